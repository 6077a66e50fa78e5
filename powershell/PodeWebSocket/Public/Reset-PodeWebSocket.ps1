<#
.SYNOPSIS
Closes a WebSocket connection and connects it again, optionally to a new URL.

.DESCRIPTION
Closes the connection (code 1000, reason "reset") and opens it again with the same options and
handlers, to -Url when given. Blocks until the new connection is open or failed; on failure the
error names the cause and the connection stays registered (it keeps reconnecting when -Reconnect
was given, else it is closed). Works on a closed (disconnected) connection too.

.PARAMETER Name
The name of the connection. Optional inside a handler (the handler's own connection).

.PARAMETER Url
A new ws:// or wss:// URL; without it the current URL is used.

.EXAMPLE
Reset-PodeWebSocket -Name 'Example'

.EXAMPLE
Reset-PodeWebSocket -Name 'Example' -Url 'ws://backup.example.com/socket'

.INPUTS
Objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.UnknownName, .InvalidUrl, .ConnectionRefused, .DnsFailure, .Tls*, .HandshakeRejected, .Timeout.
#>
function Reset-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string]
        $Name,

        [Parameter()]
        [string]
        $Url
    )

    process {
        $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        if ($null -eq $resolved) {
            $PSCmdlet.WriteError((New-PodeWsNameRequiredError -Command 'Reset-PodeWebSocket'))
            return
        }
        $failure = Wait-PodeWsTask -Task ([PodeWebSocket.Client]::BeginReset($resolved, $Url)) -Name $resolved
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

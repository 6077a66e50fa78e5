<#
.SYNOPSIS
Closes a WebSocket connection and connects it again, optionally to a new URL.

.DESCRIPTION
Closes the connection (code 1000, reason "reset") and opens it again with the same options and
handlers, to -Url when given. Blocks until the new connection is open or failed; on failure the
error names the cause and the connection stays registered (it keeps reconnecting when -Reconnect
was given, else it is closed). Works on a closed (disconnected) connection too.

Names come from -Name, from the pipeline (strings, or objects with a Name property such as those of
Get-PodeWebSocket), or inside a handler from the handler's own connection. Without any of them the
command stops with a NameRequired error, as Pode's does.

With -Verbose, every step is written as it happens, with its time: the close of the old
connection, the proxy chosen and why, the DNS answer, each TCP connect, the proxy tunnel, the TLS
protocol, cipher and server certificate, the HTTP status of the upgrade, redirects, the
subprotocol and compression chosen, then open or the failure. Header names are shown, never
their values, passwords or proxy credentials. -WhatIf shows what would be reset and changes
nothing; -Confirm asks first.

.PARAMETER Name
The name of the connection (completes with Tab). Optional inside a handler (the handler's own
connection). Accepts pipeline input by value and by property name.

.PARAMETER Url
A new ws:// or wss:// URL; without it the current URL is used. It stays the connection's URL for
later reconnects and resets.

.PARAMETER WhatIf
Shows which connection would be reset, without resetting it.

.PARAMETER Confirm
Asks for confirmation before resetting each connection.

.EXAMPLE
Reset-PodeWebSocket -Name 'Example'

.EXAMPLE
Reset-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091/backup' -Verbose

Reconnects to another URL and shows each step of the connect as it happens.

.EXAMPLE
Get-PodeWebSocket | Where-Object State -ne 'Open' | Reset-PodeWebSocket

Reconnects every connection that is not open.

.INPUTS
System.String (names), or objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.NameRequired (terminating), .UnknownName, .InvalidUrl, .ConnectionRefused,
.DnsFailure, .Tls, .TlsUntrusted, .HandshakeRejected, .Redirect, .Proxy, .Timeout.
#>
function Reset-PodeWebSocket {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string]
        $Name,

        [Parameter()]
        [string]
        $Url
    )

    process {
        $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        if ($null -eq $resolved) {
            $PSCmdlet.ThrowTerminatingError((New-PodeWsNameRequiredError -Command 'Reset-PodeWebSocket'))
        }
        if (!$PSCmdlet.ShouldProcess("WebSocket connection '$resolved'", $(if ($Url) { 'Close and connect again to a new URL' } else { 'Close and connect again' }))) {
            return
        }
        $trace = New-PodeWsTraceReader -Name $resolved -Preference $VerbosePreference
        $failure = Wait-PodeWsTask -Task ([PodeWebSocket.Client]::BeginReset($resolved, $Url)) -Name $resolved -Trace $trace -Cmdlet $PSCmdlet
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

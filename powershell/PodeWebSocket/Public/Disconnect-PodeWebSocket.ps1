<#
.SYNOPSIS
Closes a WebSocket connection, keeping its name for Reset-PodeWebSocket.

.DESCRIPTION
Closes the connection with a close code and reason and waits for the server to answer the close
(at most 5 seconds). Automatic reconnects stop. The connection stays registered in state Closed:
Test-PodeWebSocket still finds it, Reset-PodeWebSocket opens it again and Remove-PodeWebSocket
forgets it. Closing a closed connection does nothing.

.PARAMETER Name
The name of the connection. Optional inside a handler (the handler's own connection).

.PARAMETER Code
The close code: 1000 (normal, the default), 1001-1003, 1007-1014 or 3000-4999.

.PARAMETER Reason
A close reason (at most 123 UTF-8 bytes).

.EXAMPLE
Disconnect-PodeWebSocket -Name 'Example'

.EXAMPLE
Disconnect-PodeWebSocket -Name 'Example' -Code 4000 -Reason 'maintenance'

.EXAMPLE
Get-PodeWebSocket | Disconnect-PodeWebSocket

Closes every connection.

.INPUTS
Objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.UnknownName, .NameRequired, .InvalidArgument (code or reason).
#>
function Disconnect-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string]
        $Name,

        [Parameter()]
        [ValidateRange(1000, 4999)]
        [int]
        $Code = 1000,

        [Parameter()]
        [string]
        $Reason = ''
    )

    process {
        $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        if ($null -eq $resolved) {
            $PSCmdlet.WriteError((New-PodeWsNameRequiredError -Command 'Disconnect-PodeWebSocket'))
            return
        }
        $failure = [PodeWebSocket.Client]::TryDisconnect($resolved, $Code, $Reason)
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

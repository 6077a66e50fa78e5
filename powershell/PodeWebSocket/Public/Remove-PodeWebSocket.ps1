<#
.SYNOPSIS
Closes a WebSocket connection and forgets it.

.DESCRIPTION
Closes the connection (code 1000, waiting at most 5 seconds for the server) and removes its name:
its handlers stop (an -OnClose handler still sees the close) and the name can be connected again.

.PARAMETER Name
The name of the connection. Optional inside a handler (the handler's own connection).

.EXAMPLE
Remove-PodeWebSocket -Name 'Example'

.EXAMPLE
Get-PodeWebSocket | Remove-PodeWebSocket

Removes every connection.

.INPUTS
Objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.UnknownName, .NameRequired.
#>
function Remove-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string]
        $Name
    )

    process {
        $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        if ($null -eq $resolved) {
            $PSCmdlet.WriteError((New-PodeWsNameRequiredError -Command 'Remove-PodeWebSocket'))
            return
        }
        $failure = [PodeWebSocket.Client]::TryRemove($resolved)
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

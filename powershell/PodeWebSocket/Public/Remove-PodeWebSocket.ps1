<#
.SYNOPSIS
Closes a WebSocket connection and forgets it.

.DESCRIPTION
Closes the connection (code 1000, waiting at most -CloseTimeout of Connect-PodeWebSocket, 5 seconds
by default, for the server) and removes its name: its handlers stop (an -OnClose handler still
sees the close), its history (Get-PodeWebSocketEvent) goes, and the name can be connected again.

Names come from -Name, from the pipeline (strings, or objects with a Name property such as those of
Get-PodeWebSocket), or inside a handler from the handler's own connection. Without any of them the
command stops with a NameRequired error, as Pode's does.

With -Verbose, the close handshake is written as it happens. -WhatIf shows what would be removed
and removes nothing; -Confirm asks first.

.PARAMETER Name
The name of the connection (completes with Tab). Optional inside a handler (the handler's own
connection). Accepts pipeline input by value and by property name.

.PARAMETER WhatIf
Shows which connection would be removed, without removing it.

.PARAMETER Confirm
Asks for confirmation before removing each connection.

.EXAMPLE
Remove-PodeWebSocket -Name 'Example'

.EXAMPLE
Get-PodeWebSocket | Remove-PodeWebSocket

Removes every connection.

.EXAMPLE
'Example', 'Probe' | Remove-PodeWebSocket -Verbose

Removes two connections by name and shows their close handshakes.

.EXAMPLE
Get-PodeWebSocket -Name 'feed-*' | Remove-PodeWebSocket -Confirm

Asks before removing each connection whose name starts with feed-.

.INPUTS
System.String (names), or objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.NameRequired (terminating), .UnknownName.
#>
function Remove-PodeWebSocket {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string]
        $Name
    )

    process {
        $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        if ($null -eq $resolved) {
            $PSCmdlet.ThrowTerminatingError((New-PodeWsNameRequiredError -Command 'Remove-PodeWebSocket'))
        }
        if (!$PSCmdlet.ShouldProcess("WebSocket connection '$resolved'", 'Close and remove')) {
            return
        }
        $trace = New-PodeWsTraceReader -Name $resolved -Preference $VerbosePreference
        if ($null -eq $trace) {
            $failure = [PodeWebSocket.Client]::TryRemove($resolved)
        }
        else {
            $failure = Wait-PodeWsTask -Task ([PodeWebSocket.Client]::BeginRemove($resolved)) -Name $resolved -Trace $trace -Cmdlet $PSCmdlet
        }
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

<#
.SYNOPSIS
Closes a WebSocket connection, keeping its name for Reset-PodeWebSocket.

.DESCRIPTION
Closes the connection with a close code and reason and waits for the server to answer the close
(at most -CloseTimeout of Connect-PodeWebSocket, 5 seconds by default). A connect or reconnect in
progress is cancelled and automatic reconnects stop. The connection stays registered in state
Closed: Test-PodeWebSocket still finds it, Reset-PodeWebSocket opens it again and
Remove-PodeWebSocket forgets it. Closing a closed connection does nothing.

Names come from -Name, from the pipeline (strings, or objects with a Name property such as those of
Get-PodeWebSocket), or inside a handler from the handler's own connection. Without any of them the
command stops with a NameRequired error, as Pode's does.

With -Verbose, the close handshake is written as it happens: the close frame sent (code and
reason), the server's answer and how long it took, or that none came in time. -WhatIf shows what
would be closed and closes nothing; -Confirm asks first.

.PARAMETER Name
The name of the connection (completes with Tab). Optional inside a handler (the handler's own
connection). Accepts pipeline input by value and by property name.

.PARAMETER Code
The close code: 1000 (normal, the default), 1001-1003, 1007-1014 or 3000-4999.

.PARAMETER Reason
A close reason (at most 123 UTF-8 bytes).

.PARAMETER WhatIf
Shows which connection would be closed, without closing it.

.PARAMETER Confirm
Asks for confirmation before closing each connection.

.EXAMPLE
Disconnect-PodeWebSocket -Name 'Example'

.EXAMPLE
Disconnect-PodeWebSocket -Name 'Example' -Code 4000 -Reason 'maintenance' -Verbose

Closes with an application code and reason, and shows the close handshake.

.EXAMPLE
Get-PodeWebSocket | Disconnect-PodeWebSocket -WhatIf

Shows which connections would be closed.

.EXAMPLE
'Example', 'Probe' | Disconnect-PodeWebSocket

Closes two connections by name.

.INPUTS
System.String (names), or objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.NameRequired (terminating), .UnknownName, .InvalidArgument (code or reason).
#>
function Disconnect-PodeWebSocket {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
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
            $PSCmdlet.ThrowTerminatingError((New-PodeWsNameRequiredError -Command 'Disconnect-PodeWebSocket'))
        }
        if (!$PSCmdlet.ShouldProcess("WebSocket connection '$resolved'", "Close with code $Code$(if ($Reason) { " ($Reason)" })")) {
            return
        }
        $trace = New-PodeWsTraceReader -Name $resolved -Preference $VerbosePreference
        if ($null -eq $trace) {
            $failure = [PodeWebSocket.Client]::TryDisconnect($resolved, $Code, $Reason)
        }
        else {
            $failure = Wait-PodeWsTask -Task ([PodeWebSocket.Client]::BeginDisconnect($resolved, $Code, $Reason)) -Name $resolved -Trace $trace -Cmdlet $PSCmdlet -NoCancel
        }
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}

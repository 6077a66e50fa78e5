<#
.SYNOPSIS
Sets how many dispatcher runspaces run WebSocket handlers.

.DESCRIPTION
Sets the number of dispatcher runspaces (threads) that run the handlers of all connections:
exactly -Maximum of them (Pode started one more). Messages of one connection are always handled
one at a time and in order; up to -Maximum connections are handled at the same time. Applies at
once when dispatchers are running (a dispatcher that goes finishes its current batch first), else
when the first connection with a handler opens. The default is 2, as in Pode.

-WhatIf shows the change and makes none; -Confirm asks first.

.PARAMETER Maximum
The number of dispatcher runspaces, 1 to 1024.

.PARAMETER WhatIf
Shows the number of dispatchers now and the one that would be set, without changing it.

.PARAMETER Confirm
Asks for confirmation before changing the number of dispatchers.

.EXAMPLE
Set-PodeWebSocketConcurrency -Maximum 4

.EXAMPLE
Set-PodeWebSocketConcurrency -Maximum 8 -WhatIf

Shows what would change.

.INPUTS
None.

.OUTPUTS
None.
#>
function Set-PodeWebSocketConcurrency {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Low')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateRange(1, 1024)]
        [int]
        $Maximum
    )

    $current = [PodeWebSocket.Dispatcher]::Maximum
    if ($PSCmdlet.ShouldProcess("WebSocket dispatchers (now $current)", "Set the number of dispatchers to $Maximum")) {
        [PodeWebSocket.Dispatcher]::SetConcurrency($Maximum)
    }
}

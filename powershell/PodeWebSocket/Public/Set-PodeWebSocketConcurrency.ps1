<#
.SYNOPSIS
Sets how many dispatcher runspaces run WebSocket handlers.

.DESCRIPTION
Sets the number of dispatcher runspaces (threads) that run the handlers of all connections:
exactly -Maximum of them (Pode started one more). Messages of one connection are always handled
one at a time and in order; up to -Maximum connections are handled at the same time. Applies at
once when dispatchers are running, else when the first connection with a handler opens.
The default is 2, as in Pode.

.PARAMETER Maximum
The number of dispatcher runspaces, at least 1.

.EXAMPLE
Set-PodeWebSocketConcurrency -Maximum 4

.INPUTS
None.

.OUTPUTS
None.
#>
function Set-PodeWebSocketConcurrency {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateRange(1, 1024)]
        [int]
        $Maximum
    )

    [PodeWebSocket.Dispatcher]::SetConcurrency($Maximum)
}

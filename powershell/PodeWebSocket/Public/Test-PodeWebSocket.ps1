<#
.SYNOPSIS
Tests whether a WebSocket connection with this name exists.

.DESCRIPTION
Returns $true when a connection with this name is registered (connecting, open, reconnecting, or
closed by Disconnect-PodeWebSocket), $false otherwise (never connected, or removed). Use
Get-PodeWebSocket to see its state.

.PARAMETER Name
The name of the connection.

.EXAMPLE
if (Test-PodeWebSocket -Name 'Example') { Send-PodeWebSocket -Name 'Example' -Message 'hi' }

.INPUTS
Objects with a Name property.

.OUTPUTS
System.Boolean
#>
function Test-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [string]
        $Name
    )

    process {
        return ([PodeWebSocket.Client]::State($Name) -ne [PodeWebSocket.ConnectionState]::Unknown)
    }
}

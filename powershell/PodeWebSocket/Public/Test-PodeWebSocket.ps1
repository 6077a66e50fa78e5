<#
.SYNOPSIS
Tests whether a WebSocket connection with this name exists.

.DESCRIPTION
Returns $true when a connection with this name is registered (connecting, open, reconnecting, or
closed by Disconnect-PodeWebSocket), $false otherwise (never connected, or removed). Use
Get-PodeWebSocket to see its state. One answer per name piped in.

.PARAMETER Name
The name of the connection (completes with Tab). Accepts pipeline input by value and by property
name.

.EXAMPLE
if (Test-PodeWebSocket -Name 'Example') { Send-PodeWebSocket -Name 'Example' -Message 'hi' }

.EXAMPLE
'Example', 'Missing' | Test-PodeWebSocket

Returns $true, then $false.

.INPUTS
System.String (names), or objects with a Name property.

.OUTPUTS
System.Boolean
#>
function Test-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string]
        $Name
    )

    process {
        return ([PodeWebSocket.Client]::State($Name) -ne [PodeWebSocket.ConnectionState]::Unknown)
    }
}

# Our module's public, Pode-compatible commands, as the scenarios call them (through CommandInfo
# objects, so calling them costs what calling them by name from a user script costs).
$script:BenchConnect = Get-Command PodeWebSocket\Connect-PodeWebSocket
$script:BenchSend = Get-Command PodeWebSocket\Send-PodeWebSocket
$script:BenchDisconnect = Get-Command PodeWebSocket\Disconnect-PodeWebSocket
$script:BenchRemove = Get-Command PodeWebSocket\Remove-PodeWebSocket

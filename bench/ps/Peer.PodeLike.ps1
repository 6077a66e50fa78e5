# Peer P's public commands, as the scenarios call them (through CommandInfo objects, so calling
# them costs what calling them by name from a user script costs, with no adapter layer between).
$script:BenchConnect = Get-Command Connect-PLWebSocket
$script:BenchSend = Get-Command Send-PLWebSocket
$script:BenchDisconnect = Get-Command Disconnect-PLWebSocket
$script:BenchRemove = Get-Command Remove-PLWebSocket

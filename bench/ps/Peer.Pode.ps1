# Peer "Pode": the real Pode 2.14.0 client (Badgerati/Pode, found by scripts/find-pode.sh),
# through Pode's own public commands. Connect-PodeWebSocket works only
# inside Start-PodeServer, so this worker runs its command loop inside a Pode server
# (worker.ps1: Start-PodeServer, then a Running event hook); the handlers run in Pode's own two
# WebSocket consumer runspaces and report to the same interlocked BenchProbe as every peer.
$script:BenchConnect = Get-Command Pode\Connect-PodeWebSocket
$script:BenchSend = Get-Command Pode\Send-PodeWebSocket
$script:BenchRemove = Get-Command Pode\Remove-PodeWebSocket

# Pode's Disconnect-PodeWebSocket fails with a NullReferenceException, an
# ObjectDisposedException ("Cannot access a disposed object ... ClientWebSocket") or a
# WebSocketException ("The WebSocket is in an invalid state ('Closed') for this operation") when
# its receive loop handles the server's answer to the close at the same moment
# (PodeWebSocket.Disconnect, which both run, sets the socket to null and disposes it): the
# connection is closed all the same. Counted (worker.ps1 adds the count to each result as
# disconnect_failures; the report shows it), then the connection is removed as usual.
$script:BenchPodeDisconnectErrors = 0
function Disconnect-BenchPode([string] $Name) {
    try { Pode\Disconnect-PodeWebSocket -Name $Name }
    catch {
        if ($_.Exception.ToString() -notmatch 'NullReferenceException|ObjectDisposedException|disposed object|invalid state') { throw }
        $script:BenchPodeDisconnectErrors++
    }
}
$script:BenchDisconnect = Get-Command Disconnect-BenchPode

# Whether Pode's client has taken every message of connection $Name: the server closed it (so
# Pode's receive loop has queued every message before the close) and Pode's request queue,
# which counts each message until its consumer runspace has handled or dropped it, is empty.
# Pode drops a message whose connection is not yet in its table (it stores the connection only
# after the connect returns): those never reach the handler and are what the run reports lost.
$script:BenchPodeConsumer = $null
function Test-BenchDrained([string] $Name) {
    if ($null -eq $script:BenchPodeConsumer) {
        $script:BenchPodeConsumer = & (Get-Module Pode) { $PodeContext.Server.WebSockets.Consumer }
    }
    $socket = $script:BenchPodeConsumer.GetWebSocket($Name)
    return (($null -eq $socket) -or !$socket.IsConnected) -and $script:BenchPodeConsumer.Requests.Count -eq 0
}

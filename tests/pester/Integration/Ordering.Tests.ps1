# 10,000 messages through a handler with 4 dispatchers across 4 connections: each connection's
# messages are handled in order, connections in parallel, by exactly 4 dispatcher runspaces.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    Set-PodeWebSocketConcurrency -Maximum 4
}

AfterAll {
    Remove-TestConnections
    Set-PodeWebSocketConcurrency -Maximum 2
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Ordering and concurrency' {
    It 'handles 10,000 messages in order per connection with concurrency 4' {
        $sink = New-TestSink
        $names = 'Order1', 'Order2', 'Order3', 'Order4'
        foreach ($name in $names) {
            Connect-PodeWebSocket -Name $name -Url "$($script:Peer.Url)/echo" -ContentType 'text/plain' -ScriptBlock {
                param($Sink)
                $Sink.Enqueue([pscustomobject]@{
                        Name     = $WsEvent.Request.WebSocket.Name
                        Number   = [int]$WsEvent.Request.Body
                        Runspace = [runspace]::DefaultRunspace.Name
                    })
            } -ArgumentList (, $sink)
        }
        foreach ($name in $names) {
            Send-PodeWebSocket -Name $name -Message '!send 2500'
        }
        Wait-Until { $sink.Count -ge 10000 } -Timeout 90 -Because '10,000 messages to be handled'

        $items = $sink.ToArray()
        $items.Count | Should -Be 10000
        foreach ($name in $names) {
            $numbers = @($items | Where-Object Name -eq $name | ForEach-Object Number)
            $numbers.Count | Should -Be 2500
            [System.Linq.Enumerable]::SequenceEqual([int[]]$numbers, [int[]](1..2500)) | Should -BeTrue -Because "$name must be handled in order"
        }
        @($items.Runspace | Select-Object -Unique).Count | Should -BeGreaterThan 1 -Because 'connections are handled in parallel'

        [PodeWebSocket.Dispatcher]::Running | Should -Be 4
        @(Get-Runspace | Where-Object Name -like 'PodeWebSocket_Dispatcher_*' | Where-Object { $_.RunspaceStateInfo.State -eq 'Opened' }).Count |
            Should -Be 4 -Because 'Set-PodeWebSocketConcurrency -Maximum 4 means 4 runspaces, not 5'
    }
}

# $WsEvent as a Pode user knows it (checked against Pode 2.14.0's PodeWebSocketRequest and
# PodeWebSocket): Request.ContentEncoding, Request.WebSocket.URL as a [uri], Pode's properties in
# Pode's order; and state across messages in the connection's own Items table.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe "`$WsEvent.Request as in Pode" {
    AfterEach {
        Remove-TestConnections
    }

    It 'has ContentEncoding (UTF-8), URL as a [uri], and shows Pode''s properties first, in Pode''s order' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Shape' -Url "$($script:Peer.Url)/echo?greet=h%C3%A9" -ContentType 'text/plain' -ScriptBlock {
            param($S)
            $S.Enqueue(@{
                    Names    = @($WsEvent.Request.PSObject.Properties.Name)
                    Shown    = ($WsEvent.Request | Out-String)
                    Encoding = $WsEvent.Request.ContentEncoding
                    Url      = $WsEvent.Request.WebSocket.URL
                    Host     = $WsEvent.Request.WebSocket.URL.Host
                    Socket   = @($WsEvent.Request.WebSocket.PSObject.Properties.Name)
                    Body     = $WsEvent.Request.Body
                })
        } -ArgumentList (, $sink)
        Wait-Until { $sink.Count -ge 1 } -Because 'the greeting to be handled'
        $seen = $null
        $null = $sink.TryDequeue([ref]$seen)
        $seen.Names[0..4] | Should -Be @('WebSocket', 'RawBody', 'ContentLength', 'Body', 'ContentEncoding')
        $shown = @($seen.Shown -split "`n" | Where-Object { $_ -match '^(\w+)\s*:' } | ForEach-Object { $Matches[1] })
        $shown[0..4] | Should -Be @('WebSocket', 'RawBody', 'ContentLength', 'Body', 'ContentEncoding')
        $seen.Encoding | Should -BeOfType [System.Text.Encoding]
        $seen.Encoding.WebName | Should -Be 'utf-8'
        $seen.Body | Should -Be 'hé'
        $seen.Url | Should -BeOfType [uri]
        $seen.Host | Should -Be '127.0.0.1'
        $seen.Socket[0..3] | Should -Be @('Name', 'URL', 'ContentType', 'IsConnected')
    }
}

Describe 'State across messages: $WsEvent.Request.WebSocket.Items' {
    AfterEach {
        Remove-TestConnections
    }

    It 'keeps a sequence number and a running total per connection, never shared, across a reset' {
        $sink = New-TestSink
        $handler = {
            param($S)
            $items = $WsEvent.Request.WebSocket.Items
            $items['Seq'] = 1 + $items['Seq']
            $items['Total'] = [int]$WsEvent.Request.Body + $items['Total']
            $S.Enqueue("$($WsEvent.Request.WebSocket.Name) $($items['Seq']) $($items['Total'])")
        }
        Connect-PodeWebSocket -Name 'A' -Url "$($script:Peer.Url)/echo" -ContentType 'text/plain' -ScriptBlock $handler -ArgumentList (, $sink)
        Connect-PodeWebSocket -Name 'B' -Url "$($script:Peer.Url)/echo" -ContentType 'text/plain' -ScriptBlock $handler -ArgumentList (, $sink)
        1..3 | ForEach-Object { "$_" } | Send-PodeWebSocket -Name 'A'
        '10' | Send-PodeWebSocket -Name 'B'
        Wait-Until { $sink.Count -ge 4 } -Because 'four messages to be handled'
        Reset-PodeWebSocket -Name 'A'
        Send-PodeWebSocket -Name 'A' -Message '4'
        Wait-Until { $sink.Count -ge 5 } -Because 'the message after the reset'
        $lines = @($sink.ToArray())
        @($lines | Where-Object { $_ -like 'A *' }) | Should -Be @('A 1 1', 'A 2 3', 'A 3 6', 'A 4 10')
        @($lines | Where-Object { $_ -like 'B *' }) | Should -Be @('B 1 10')
    }

    It 'is seen by the lifecycle handlers too, and a new connect of the name starts empty' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Life' -Url "$($script:Peer.Url)/echo" -ContentType 'text/plain' `
            -OnOpen { $WsEvent.Request.WebSocket.Items['Opened'] = 1 + $WsEvent.Request.WebSocket.Items['Opened'] } `
            -ScriptBlock { param($S) $S.Enqueue("opened $($WsEvent.Request.WebSocket.Items['Opened'])") } -ArgumentList (, $sink)
        Wait-Until { (Get-PodeWebSocket -Name 'Life').State -eq 'Open' } -Because 'the connect'
        Send-PodeWebSocket -Name 'Life' -Message 'x'
        Wait-Until { $sink.Count -ge 1 } -Because 'the message'
        Remove-PodeWebSocket -Name 'Life'
        Connect-PodeWebSocket -Name 'Life' -Url "$($script:Peer.Url)/echo" -ContentType 'text/plain' `
            -ScriptBlock { param($S) $S.Enqueue("count $($WsEvent.Request.WebSocket.Items.Count)") } -ArgumentList (, $sink)
        Send-PodeWebSocket -Name 'Life' -Message 'y'
        Wait-Until { $sink.Count -ge 2 } -Because 'the message of the new connection'
        @($sink.ToArray()) | Should -Be @('opened 1', 'count 0')
    }

    It 'refuses -OnReconnecting without -Reconnect' {
        { Connect-PodeWebSocket -Name 'NoReconnect' -Url "$($script:Peer.Url)/echo" -OnReconnecting { } -ErrorAction Stop } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidArgument,Connect-PodeWebSocket'
        Test-PodeWebSocket -Name 'NoReconnect' | Should -BeFalse
    }
}

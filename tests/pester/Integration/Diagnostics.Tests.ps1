# Finding out what went wrong, through the commands: -Verbose on Reset, Disconnect and Remove
# (each step as it happens, never a secret), the connection history of Get-PodeWebSocketEvent
# (opens, closes, reconnect attempts, errors and handler failures, bounded, in time order), and
# what Get-PodeWebSocket shows of the last connect (proxy, URL reached, compression, wire bytes,
# the last error as an object).

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    $script:Url = "$($script:Peer.Url)/echo"

    # a port nothing listens on
    function Get-DeadPort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        return $port
    }

    # Runs a command with -Verbose and returns each verbose line with the time it arrived.
    function Get-VerboseTimeline([scriptblock]$Command) {
        $timeline = [System.Collections.Generic.List[object]]::new()
        & $Command 4>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.VerboseRecord]) {
                $timeline.Add([pscustomobject]@{ At = [datetime]::UtcNow; Text = $_.Message })
            }
        }
        return , $timeline
    }
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe '-Verbose on Reset, Disconnect and Remove' {
    AfterEach {
        Remove-TestConnections
    }

    It 'writes each step of a reset while it happens, with its time' {
        # a server that accepts TCP and never answers the upgrade: the connect waits out its timeout
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        try {
            Connect-PodeWebSocket -Name 'Slow' -Url $script:Url -ConnectTimeout 1.5
            $timeline = Get-VerboseTimeline { Reset-PodeWebSocket -Name 'Slow' -Url "ws://127.0.0.1:$($silent.LocalEndpoint.Port)/" -Verbose -ErrorAction SilentlyContinue }
            $finished = [datetime]::UtcNow
        }
        finally {
            $silent.Stop()
        }
        $texts = $timeline.Text
        $texts | Should -Contain ($texts | Where-Object { $_ -match "^Slow: \[close \+[\d.]+ ms\] close: close frame 1000 sent" })
        $tcp = $timeline | Where-Object Text -Match '^Slow: \[connect \+[\d.]+ ms\] tcp: TCP connected to 127\.0\.0\.1:\d+ in [\d.]+ ms'
        $tcp | Should -Not -BeNullOrEmpty
        $texts | Where-Object { $_ -match '\] (request|dns|proxy): ' } | Should -Not -BeNullOrEmpty
        $texts[-1] | Should -Match '\] failed: .*(timed out|timeout)'
        # written as it happened, not at the end: the TCP step came a second before the timeout
        ($finished - $tcp[0].At).TotalSeconds | Should -BeGreaterThan 0.8
    }

    It 'shows header names, never their values, passwords or proxy credentials' {
        $proxy = Start-TestServerProcess -FilePath 'python3' -Arguments (Join-Path $PSScriptRoot '../peers/proxy.py'), '--kind', 'connect'
        try {
            $proxyPort = [int]($proxy.Line -replace '^PORT ', '')
            $password = ConvertTo-SecureString 'hunter2-password' -AsPlainText -Force
            $env:HTTP_PROXY = "http://proxyuser:proxy-secret@127.0.0.1:$proxyPort"
            try {
                Connect-PodeWebSocket -Name 'Secret' -Url $script:Url -Headers @{ 'X-Api-Key' = 'api-key-value-42' } `
                    -Credential ([pscredential]::new('someone', $password))
            }
            finally {
                Remove-Item Env:HTTP_PROXY
            }
            $texts = @((Get-VerboseTimeline { Reset-PodeWebSocket -Name 'Secret' -Verbose }).Text) +
            @((Get-VerboseTimeline { Disconnect-PodeWebSocket -Name 'Secret' -Verbose }).Text)
            $all = $texts -join "`n"
            $all | Should -Match 'X-Api-Key'
            $all | Should -Match "proxy: .*127\.0\.0\.1:$proxyPort.*HTTP_PROXY"
            $all | Should -Match 'tunnel: '
            foreach ($secret in 'api-key-value-42', 'hunter2-password', 'proxy-secret', 'proxyuser',
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('someone:hunter2-password'))) {
                $all | Should -Not -Match ([regex]::Escape($secret))
            }

            # Get-PodeWebSocket shows the proxy used, without its credentials
            Reset-PodeWebSocket -Name 'Secret'
            $info = Get-PodeWebSocket -Name 'Secret'
            $info.Proxy.Url | Should -Be "http://127.0.0.1:$proxyPort"
            $info.Proxy.Source | Should -Be 'HTTP_PROXY'
            ($info | Format-List | Out-String) | Should -Not -Match 'proxy-secret|api-key-value|hunter2'
        }
        finally {
            Stop-TestPeer -Peer $proxy
        }
    }

    It 'writes the close handshake of Disconnect and Remove, and a close the server never answers' {
        Connect-PodeWebSocket -Name 'Closing' -Url $script:Url
        $texts = (Get-VerboseTimeline { Disconnect-PodeWebSocket -Name 'Closing' -Code 4001 -Reason 'bye' -Verbose }).Text
        $texts | Should -Contain ($texts | Where-Object { $_ -match "close: close frame 4001 sent" })
        $texts | Where-Object { $_ -match "close: the server answered the close with 4001 'bye' after [\d.]+ ms" } | Should -Not -BeNullOrEmpty

        Reset-PodeWebSocket -Name 'Closing'
        $texts = (Get-VerboseTimeline { Remove-PodeWebSocket -Name 'Closing' -Verbose }).Text
        $texts | Where-Object { $_ -match '^Closing: \[close \+[\d.]+ ms\] close: close frame 1000 sent' } | Should -Not -BeNullOrEmpty
        Test-PodeWebSocket -Name 'Closing' | Should -BeFalse

        Connect-PodeWebSocket -Name 'Deaf' -Url $script:Url -CloseTimeout 0.5
        Send-PodeWebSocket -Name 'Deaf' -Message '!freeze'
        (Receive-PodeWebSocket -Name 'Deaf' -Timeout 10).Request.Body | Should -Be 'frozen'
        $texts = (Get-VerboseTimeline { Disconnect-PodeWebSocket -Name 'Deaf' -Verbose }).Text
        $texts | Where-Object { $_ -match 'close: no answer .*500 ms' } | Should -Not -BeNullOrEmpty
    }

    It 'writes nothing and reads no trace without -Verbose' {
        Connect-PodeWebSocket -Name 'Quiet' -Url $script:Url
        $timeline = Get-VerboseTimeline { Reset-PodeWebSocket -Name 'Quiet'; Disconnect-PodeWebSocket -Name 'Quiet'; Remove-PodeWebSocket -Name 'Quiet' }
        $timeline.Count | Should -Be 0
    }
}

Describe 'The connection history (Get-PodeWebSocketEvent)' {
    AfterEach {
        Remove-TestConnections
    }

    It 'tells in the morning why a connection flapped at night: closes with code and cause, attempts with delay and error, handler failures' {
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
        try {
            $sink = New-TestSink
            Connect-PodeWebSocket -Name 'Night' -Url $script:Url -ContentType 'text/plain' -Reconnect -ReconnectDelay 0.1 -ReconnectMaxDelay 0.2 -ScriptBlock {
                param($Sink)
                if ($WsEvent.Request.Body -eq 'bad') { throw 'the feed sent garbage' }
                $Sink.Enqueue($WsEvent.Request.Body)
            } -ArgumentList (, $sink)
            Send-PodeWebSocket -Name 'Night' -Message 'bad'
            Wait-Until { (Get-PodeWebSocket -Name 'Night').HandlerErrors -ge 1 } -Because 'the handler failure'
            Send-PodeWebSocket -Name 'Night' -Message '!close 1011 overnight maintenance'
            Wait-Until { (Get-PodeWebSocket -Name 'Night').Reconnects -ge 1 -and (Get-PodeWebSocket -Name 'Night').State -eq 'Open' } -Because 'the reconnect'

            # the server goes away for a while: attempts fail with the real error, then it is back
            Reset-PodeWebSocket -Name 'Night' -Url "ws://127.0.0.1:$(Get-DeadPort)/" -ErrorAction SilentlyContinue
            Wait-Until { @(Get-PodeWebSocketEvent -Name 'Night' | Where-Object { $_.Event -eq 'Error' -and $_.Attempt -ge 1 }).Count -ge 1 } -Because 'a failed reconnect attempt'
            Reset-PodeWebSocket -Name 'Night' -Url $script:Url

            $events = @(Get-PodeWebSocketEvent -Name 'Night')
            $events | ForEach-Object { $_ | Should -BeOfType [PodeWebSocket.ConnectionEvent] }
            $events.Name | Select-Object -Unique | Should -Be 'Night'
            # oldest first, UTC
            for ($i = 1; $i -lt $events.Count; $i++) { $events[$i].Time | Should -BeGreaterOrEqual $events[$i - 1].Time }
            $events[0].Time.Kind | Should -Be 'Utc'
            $events[0].Event | Should -Be 'Opened'
            $events[-1].Event | Should -Be 'Opened'

            $failure = $events | Where-Object Event -eq 'HandlerError' | Select-Object -First 1
            $failure.Message | Should -Match 'the message handler failed: the feed sent garbage'
            $failure.Location | Should -Match "Diagnostics\.Tests\.ps1:\d+$"
            $close = $events | Where-Object { $_.Event -eq 'Closed' -and $_.Code -eq 1011 } | Select-Object -First 1
            $close.ClosedBy | Should -Be 'Remote'
            $close.Reason | Should -Be 'overnight maintenance'
            [array]::IndexOf($events, $failure) | Should -BeLessThan ([array]::IndexOf($events, $close))
            $attempt = $events | Where-Object { $_.Event -eq 'Reconnecting' } | Select-Object -First 1
            $attempt.Attempt | Should -Be 1
            $attempt.Delay | Should -BeOfType [timespan]
            $attempt.Delay.TotalSeconds | Should -BeGreaterThan 0
            $attempt.Cause | Should -Match '1011'
            $refused = $events | Where-Object { $_.Event -eq 'Error' -and $_.Attempt -ge 1 } | Select-Object -First 1
            $refused.ErrorId | Should -Be 'PodeWebSocket.ConnectionRefused'
            $refused.Message | Should -Match "^attempt $($refused.Attempt) failed: "

            $last = @(Get-PodeWebSocketEvent -Name 'Night' -Last 2)
            $last.Count | Should -Be 2
            $last[1].Time | Should -Be $events[-1].Time
            $table = (Get-PodeWebSocketEvent -Name 'Night' | Out-String -Width 300) -replace "`e\[[0-9;]*m", ''
            $table | Should -Match 'Time\s+Name\s+Event\s+Message'
            $table | Should -Match 'Night\s+HandlerError\s+the message handler failed'
        }
        finally {
            [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
        }
    }

    It 'keeps the last 100 handler failures, interleaves connections by time, and forgets a removed connection' {
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
        try {
            Connect-PodeWebSocket -Name 'Broken' -Url $script:Url -ContentType 'text/plain' -ScriptBlock { throw "failure $($WsEvent.Request.Body)" }
            Connect-PodeWebSocket -Name 'Other' -Url $script:Url
            1..105 | Send-PodeWebSocket -Name 'Broken'
            Wait-Until { (Get-PodeWebSocket -Name 'Broken').HandlerErrors -ge 105 } -Because 'every failure'
            $failures = @(Get-PodeWebSocketEvent -Name 'Broken' | Where-Object Event -eq 'HandlerError')
            $failures.Count | Should -Be 100
            $failures[0].Message | Should -Match 'failure 6\b'
            $failures[-1].Message | Should -Match 'failure 105\b'

            $both = @(Get-PodeWebSocketEvent -Name 'Broken', 'Other')
            $opened = @($both | Where-Object Event -eq 'Opened')
            $opened.Name | Should -Be @('Broken', 'Other')
            for ($i = 1; $i -lt $both.Count; $i++) { $both[$i].Time | Should -BeGreaterOrEqual $both[$i - 1].Time }
            @(Get-PodeWebSocketEvent -Name 'Br*' -Last 3).Count | Should -Be 3

            Remove-PodeWebSocket -Name 'Broken'
            { Get-PodeWebSocketEvent -Name 'Broken' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        }
        finally {
            [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
        }
    }
}

Describe 'Get-PodeWebSocket: what the last connect did' {
    AfterEach {
        Remove-TestConnections
    }

    It 'shows the URL reached, compression, wire bytes, and no proxy for a direct connection' {
        Connect-PodeWebSocket -Name 'Shown' -Url $script:Url
        Send-PodeWebSocket -Name 'Shown' -Message ('x' * 4000)
        $null = Receive-PodeWebSocket -Name 'Shown' -Timeout 10
        $info = Get-PodeWebSocket -Name 'Shown'
        $info.ConnectedUrl | Should -Be $script:Url
        $info.Proxy | Should -BeNullOrEmpty
        $info.Compression.Negotiated | Should -BeTrue
        "$($info.Compression)" | Should -Match '^permessage-deflate'
        $info.BytesIn | Should -Be 4000
        # 4000 repeated characters compress: fewer bytes on the wire than in the message
        $info.WireBytesIn | Should -BeGreaterThan 0
        $info.WireBytesOut | Should -BeLessThan ($info.BytesOut + 400)
        $info.OpenedAt.Kind | Should -Be 'Utc'
        $info.LastError | Should -BeNullOrEmpty
    }

    It 'shows the last error as an object: message, ErrorId, time, and whether it is still current' {
        $before = [datetime]::UtcNow.AddSeconds(-1)
        Connect-PodeWebSocket -Name 'Erring' -Url $script:Url
        Reset-PodeWebSocket -Name 'Erring' -Url "ws://127.0.0.1:$(Get-DeadPort)/" -ErrorAction SilentlyContinue
        $error1 = (Get-PodeWebSocket -Name 'Erring').LastError
        $error1 | Should -BeOfType [PodeWebSocket.ErrorInfo]
        $error1.ErrorId | Should -Be 'PodeWebSocket.ConnectionRefused'
        $error1.Message | Should -Match 'refused'
        "$error1" | Should -Be $error1.Message
        $error1.Time | Should -BeGreaterThan $before
        $error1.IsCurrent | Should -BeTrue
        (Get-PodeWebSocket -Name 'Erring').LastClose.ClosedBy | Should -Be 'Local'
    }
}

# Where users' networks and services are, through the cmdlets against real processes on
# 127.0.0.1: a CONNECT and a SOCKS5 proxy (peers/proxy.py) chosen through $env: variables,
# redirecting servers, servers that are not up yet, refuse, or throttle, a URL provider per
# reconnect attempt, and compression against python websockets (peers/netpeer.py).

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:ProxyVariables = @('http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY')
    $script:Started = [System.Collections.Generic.List[object]]::new()
    $script:LogDir = Join-Path ([System.IO.Path]::GetTempPath()) "podews-net-$PID"
    $null = New-Item -ItemType Directory -Path $script:LogDir -Force

    # A peer script of peers/ with a log file of its own; returns @{ Port; Log; Process }.
    function Start-LoggingPeer([string]$Script, [string[]]$Arguments = @()) {
        $log = Join-Path $script:LogDir "$([guid]::NewGuid().ToString('N')).jsonl"
        $null = New-Item -ItemType File -Path $log
        $started = Start-TestServerProcess -FilePath 'python3' -Arguments (@((Join-Path $PSScriptRoot "../peers/$Script"), '--log', $log) + $Arguments)
        if ($started.Line -notmatch '^PORT (\d+)$') {
            $errorText = $(if ($started.Process.HasExited) { $started.Process.StandardError.ReadToEnd() } else { '' })
            Stop-TestPeer -Peer $started
            throw "peers/$Script did not start: '$($started.Line)' $errorText"
        }
        $peer = [pscustomobject]@{ Port = [int]$Matches[1]; Log = $log; Process = $started.Process }
        $script:Started.Add($peer)
        return $peer
    }

    function Read-PeerLog($Peer) {
        # the comma: one entry must stay an array (a hashtable's Count is its number of keys)
        return , @(Get-Content -LiteralPath $Peer.Log | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json -AsHashtable })
    }

    function Get-ConnectFailure([scriptblock]$Connect) {
        try {
            & $Connect
        }
        catch {
            return $_
        }
        throw 'the connect did not fail'
    }

    function Receive-Echo([string]$Name, [string]$Text) {
        Send-PodeWebSocket -Name $Name -Message $Text
        return (Receive-PodeWebSocket -Name $Name -Timeout 10).Request.Body
    }

    $script:Echo = Start-LoggingPeer 'netpeer.py'
    $script:Connect = Start-LoggingPeer 'proxy.py' @('--kind', 'connect')
    $script:Socks = Start-LoggingPeer 'proxy.py' @('--kind', 'socks5')
    $script:EchoUrl = "ws://127.0.0.1:$($script:Echo.Port)"
}

AfterAll {
    Remove-TestConnections
    foreach ($peer in $script:Started) {
        Stop-TestPeer -Peer $peer
    }
    Remove-Item -LiteralPath $script:LogDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Networks and services' {
    AfterEach {
        Remove-TestConnections
        foreach ($variable in $script:ProxyVariables) {
            Remove-Item -LiteralPath "env:$variable" -ErrorAction SilentlyContinue
        }
    }

    Context 'Proxies from the environment, as PowerShell sees it' {
        It 'tunnels ws:// through the CONNECT proxy $env:HTTP_PROXY names, and -Verbose shows the steps' {
            $env:HTTP_PROXY = "http://127.0.0.1:$($script:Connect.Port)"
            $before = (Read-PeerLog $script:Connect).Count
            $verbose = Connect-PodeWebSocket -Name 'ViaConnect' -Url "$($script:EchoUrl)/echo" -Verbose 4>&1
            Receive-Echo 'ViaConnect' 'through the proxy' | Should -Be 'through the proxy'

            $tunnels = @((Read-PeerLog $script:Connect) | Select-Object -Skip $before)
            $tunnels.Count | Should -Be 1
            $tunnels[0].target | Should -Be "127.0.0.1:$($script:Echo.Port)"
            $text = @($verbose | ForEach-Object { "$_" })
            $text | Should -Contain ($text | Where-Object { $_ -match '\] proxy: .*HTTP_PROXY' } | Select-Object -First 1)
            @($text | Where-Object { $_ -match '\] tunnel: ' }).Count | Should -BeGreaterThan 0
            @($text | Where-Object { $_ -match '\] open: ' }).Count | Should -Be 1
        }

        It 'tunnels through the SOCKS5 proxy $env:ALL_PROXY names (socks5h: the proxy resolves the name)' {
            $env:ALL_PROXY = "socks5h://127.0.0.1:$($script:Socks.Port)"
            $before = (Read-PeerLog $script:Socks).Count
            Connect-PodeWebSocket -Name 'ViaSocks' -Url "ws://localhost:$($script:Echo.Port)/echo"
            Receive-Echo 'ViaSocks' 'socks' | Should -Be 'socks'
            $tunnels = @((Read-PeerLog $script:Socks) | Select-Object -Skip $before)
            $tunnels.Count | Should -Be 1
            $tunnels[0].target | Should -Be "localhost:$($script:Echo.Port)"
        }

        It 'goes direct to a host $env:NO_PROXY names, and with -NoProxy' {
            $env:HTTP_PROXY = "http://127.0.0.1:$($script:Connect.Port)"
            $env:NO_PROXY = 'example.com,127.0.0.1'
            $before = (Read-PeerLog $script:Connect).Count
            Connect-PodeWebSocket -Name 'Bypassed' -Url "$($script:EchoUrl)/echo"
            Receive-Echo 'Bypassed' 'direct' | Should -Be 'direct'

            Remove-Item -LiteralPath env:NO_PROXY
            Connect-PodeWebSocket -Name 'NoProxy' -Url "$($script:EchoUrl)/echo" -NoProxy
            Receive-Echo 'NoProxy' 'direct too' | Should -Be 'direct too'
            (Read-PeerLog $script:Connect).Count | Should -Be $before
        }

        It '-Proxy wins over the environment, and -ProxyCredential reaches the proxy' {
            $env:HTTP_PROXY = "socks5://127.0.0.1:$($script:Socks.Port)"
            $beforeSocks = (Read-PeerLog $script:Socks).Count
            $beforeConnect = (Read-PeerLog $script:Connect).Count
            $credential = [pscredential]::new('proxyuser', (ConvertTo-SecureString 'proxy-secret' -AsPlainText -Force))
            Connect-PodeWebSocket -Name 'Explicit' -Url "$($script:EchoUrl)/echo" -Proxy "http://127.0.0.1:$($script:Connect.Port)" -ProxyCredential $credential
            Receive-Echo 'Explicit' 'explicit' | Should -Be 'explicit'
            (Read-PeerLog $script:Socks).Count | Should -Be $beforeSocks
            $tunnels = @((Read-PeerLog $script:Connect) | Select-Object -Skip $beforeConnect)
            $tunnels.Count | Should -Be 1
            $tunnels[0].auth | Should -BeTrue
            (Get-PodeWebSocket -Name 'Explicit' | Out-String) | Should -Not -Match 'proxy-secret'
        }

        It 'refuses -ProxyCredential when no proxy applies, and -Proxy with -NoProxy' {
            $credential = [pscredential]::new('proxyuser', (ConvertTo-SecureString 'proxy-secret' -AsPlainText -Force))
            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'NoProxyApplies' -Url "$($script:EchoUrl)/echo" -ProxyCredential $credential }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.InvalidOptions,*'
            $failure.Exception.Message | Should -Match 'no proxy applies'
            $failure.Exception.Message | Should -Not -Match 'proxy-secret'
            Test-PodeWebSocket -Name 'NoProxyApplies' | Should -BeFalse

            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'Both' -Url "$($script:EchoUrl)/echo" -Proxy "http://127.0.0.1:$($script:Connect.Port)" -NoProxy }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.InvalidArgument,*'
        }
    }

    Context 'Redirects of the opening handshake' {
        BeforeAll {
            $script:Redirector = Start-LoggingPeer 'netpeer.py'
            $script:RedirectBase = "ws://127.0.0.1:$($script:Redirector.Port)"
            $script:Cert = New-TestCertificate -Directory (Join-Path $script:LogDir 'tls')
            $script:TlsRedirector = Start-LoggingPeer 'netpeer.py' @('--tls', $script:Cert.Cert, $script:Cert.Key)
            $script:Credential = [pscredential]::new('user', (ConvertTo-SecureString 'pass' -AsPlainText -Force))
        }

        It 'follows a chain of two to the last server' {
            $before = (Read-PeerLog $script:Redirector).Count
            $second = [uri]::EscapeDataString('/redirect?to=/echo&status=307')
            Connect-PodeWebSocket -Name 'Chain' -Url "$($script:RedirectBase)/redirect?to=$second&status=301"
            Receive-Echo 'Chain' 'arrived' | Should -Be 'arrived'
            @((Read-PeerLog $script:Redirector) | Select-Object -Skip $before | ForEach-Object { ([uri]"http://x$($_.path)").AbsolutePath }) |
                Should -Be @('/redirect', '/redirect', '/echo')
            ([PodeWebSocket.Client]::Info('Chain') | ConvertFrom-Json).connectedUrl | Should -Be "$($script:RedirectBase)/echo"
        }

        It 'fails a loop, too many hops and -MaximumRedirection 0 with Redirect, naming the Location' {
            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'Loop' -Url "$($script:RedirectBase)/loop/a" }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.Redirect,*'
            $failure.Exception.Message | Should -Match 'loop'
            $failure.Exception.Message | Should -Match '/loop/a'

            $second = [uri]::EscapeDataString('/redirect?to=/echo')
            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'TooMany' -Url "$($script:RedirectBase)/redirect?to=$second" -MaximumRedirection 1 }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.Redirect,*'

            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'NotFollowed' -Url "$($script:RedirectBase)/redirect?to=/echo%3Ftoken%3Dsecret" -MaximumRedirection 0 }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.Redirect,*'
            $failure.Exception.Message | Should -Match '/echo\?\*\*\*'
            $failure.Exception.Message | Should -Not -Match 'secret'
            Test-PodeWebSocket -Name 'NotFollowed' | Should -BeFalse
        }

        It 'refuses a redirect from wss:// to ws://' {
            $before = (Read-PeerLog $script:Redirector).Count
            $target = [uri]::EscapeDataString("$($script:RedirectBase)/echo")
            $failure = Get-ConnectFailure {
                Connect-PodeWebSocket -Name 'Downgrade' -Url "wss://127.0.0.1:$($script:TlsRedirector.Port)/redirect?to=$target" -SkipCertificateCheck
            }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.Redirect,*'
            $failure.Exception.Message | Should -Match 'ws://'
            (Read-PeerLog $script:Redirector).Count | Should -Be $before
        }

        It 'drops Authorization when a hop changes the host (127.0.0.1 to localhost), keeps it on the same host' {
            $before = (Read-PeerLog $script:Redirector).Count
            $target = [uri]::EscapeDataString("ws://localhost:$($script:Redirector.Port)/echo")
            Connect-PodeWebSocket -Name 'OtherHost' -Url "$($script:RedirectBase)/redirect?to=$target" -Credential $script:Credential -Headers @{ 'X-Kept' = 'yes' }
            Receive-Echo 'OtherHost' 'hop' | Should -Be 'hop'
            $seen = @((Read-PeerLog $script:Redirector) | Select-Object -Skip $before)
            $seen.Count | Should -Be 2
            $seen[0].headers.ContainsKey('authorization') | Should -BeTrue
            $seen[1].headers.host | Should -Be "localhost:$($script:Redirector.Port)"
            $seen[1].headers.ContainsKey('authorization') | Should -BeFalse
            $seen[1].headers['x-kept'] | Should -Be 'yes'

            $before = (Read-PeerLog $script:Redirector).Count
            Connect-PodeWebSocket -Name 'SameHost' -Url "$($script:RedirectBase)/redirect?to=/echo" -Credential $script:Credential
            $seen = @((Read-PeerLog $script:Redirector) | Select-Object -Skip $before)
            $seen[1].headers['authorization'] | Should -Be 'Basic dXNlcjpwYXNz'
        }
    }

    Context 'A connect in progress' {
        It 'is known by its name, content type and handlers before Connect-PodeWebSocket returns' {
            # A server that speaks first gets the connection's handlers running before the connect
            # returns; a Send-PodeWebSocket there must convert by the connection's own -ContentType
            # (conformance case 6.1.2 once echoed an empty text as '{}', the JSON default). The
            # handshake is slow here, so the connect stays in progress, in another runspace,
            # while this one looks at it.
            $shell = New-TestShell
            try {
                $null = $shell.AddScript("
                    Import-Module '$($script:ModuleManifest)' -ErrorAction Stop
                    Connect-PodeWebSocket -Name 'Opening' -Url '$($script:EchoUrl)/slow?ms=4000' -ContentType 'text/plain' -ScriptBlock { }
                ")
                $pending = $shell.BeginInvoke()
                # one look at the connection, taken while it is still connecting
                $seen = [ref]$null
                Wait-Until {
                    $info = Get-PodeWebSocket -Name 'Opening' -ErrorAction SilentlyContinue
                    if ($info.State -eq 'Connecting') { $seen.Value = $info }
                    $null -ne $seen.Value
                } -Because 'the connect to be in progress'
                $seen.Value.ContentType | Should -Be 'text/plain'
                $seen.Value.Mode | Should -Be 'Handler'
                $null = $shell.EndInvoke($pending)
                $shell.HadErrors | Should -BeFalse
                (Get-PodeWebSocket -Name 'Opening').State | Should -Be 'Open'
            }
            finally {
                Remove-TestShell $shell
            }
        }
    }

    Context 'Reconnects that real services need' {
        It '-NoWait -Reconnect returns at once and connects once the server accepts; -OnOpen runs' {
            $peer = Start-LoggingPeer 'netpeer.py' @('--drop', '3')
            $sink = New-TestSink
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            Connect-PodeWebSocket -Name 'NotUpYet' -Url "ws://127.0.0.1:$($peer.Port)/echo" -NoWait -Reconnect -ReconnectDelay 0.1 -ReconnectMaxDelay 0.3 `
                -ScriptBlock { } -OnOpen { param($S) $S.Enqueue("open") } -OnError { param($S) $S.Enqueue($WsEvent.Data.ErrorId) } -ArgumentList (, $sink)
            $watch.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
            (Get-PodeWebSocket -Name 'NotUpYet').State | Should -BeIn @('Connecting', 'Reconnecting')

            Wait-Until { $sink.ToArray() -contains 'open' } -Timeout 20 -Because 'the background connect to open'
            (Get-PodeWebSocket -Name 'NotUpYet').State | Should -Be 'Open'
            @($sink.ToArray() | Where-Object { $_ -eq 'PodeWebSocket.Network' }).Count | Should -Be 3
            (Read-PeerLog $peer).Count | Should -Be 4
        }

        It '-OnReconnecting hands out a new path and header per attempt; the server sees each' {
            $peer = Start-LoggingPeer 'netpeer.py'
            $sink = New-TestSink
            $base = "ws://127.0.0.1:$($peer.Port)"
            Connect-PodeWebSocket -Name 'Provider' -Url "$base/first" -Reconnect -ReconnectDelay 0.05 -ReconnectMaxDelay 0.2 -ScriptBlock { } `
                -OnOpen { param($S) $S.Enqueue("open $($WsEvent.Data.Url)") } `
                -OnReconnecting {
                    param($S)
                    $S.Enqueue($WsEvent.Data.Clone())
                    $items = $WsEvent.Request.WebSocket.Items
                    $items['session'] = 1 + $items['session']
                    @{ Url = "$using:base/session-$($items['session'])"; Headers = @{ 'X-Session' = "s$($items['session'])" } }
                } -ArgumentList (, $sink)
            foreach ($n in 1..3) {
                Wait-Until { (Get-PodeWebSocket -Name 'Provider').State -eq 'Open' } -Because "open before drop $n"
                Send-PodeWebSocket -Name 'Provider' -Message '!drop'
                Wait-Until { $sink.ToArray() -contains "open $base/session-$n" } -Because "the reconnect to session-$n"
            }
            $paths = @((Read-PeerLog $peer) | ForEach-Object { $_.path })
            $paths | Should -Be @('/first', '/session-1', '/session-2', '/session-3')
            @((Read-PeerLog $peer) | Select-Object -Skip 1 | ForEach-Object { $_.headers['x-session'] }) | Should -Be @('s1', 's2', 's3')
            $data = @($sink.ToArray() | Where-Object { $_ -is [hashtable] })
            $data.Count | Should -Be 3
            $data[0].Attempt | Should -Be 1
            $data[0].Url | Should -Be "$base/first"
            $data[1].Url | Should -Be "$base/session-1"
            $data[0].Delay | Should -BeGreaterThan 0
            $data[0].Cause | Should -Not -BeNullOrEmpty
            (Get-PodeWebSocket -Name 'Provider').Url | Should -Be "$base/session-3"
        }

        It 'a throwing -OnReconnecting fails that attempt (ReconnectHandlerFailed to -OnError, a handler error) and the backoff goes on' {
            $sink = New-TestSink
            [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
            try {
                Connect-PodeWebSocket -Name 'Throws' -Url "$($script:EchoUrl)/echo" -Reconnect -ReconnectDelay 0.05 -ReconnectMaxDelay 0.1 -ReconnectMaxAttempts 2 -ScriptBlock { } `
                    -OnReconnecting { throw 'the token service is down' } `
                    -OnError { param($S) $S.Enqueue(@{ Id = $WsEvent.Data.ErrorId; Message = $WsEvent.Data.Message }) } -ArgumentList (, $sink)
                Send-PodeWebSocket -Name 'Throws' -Message '!drop'
                Wait-Until { @($sink.ToArray() | Where-Object { $_.Id -eq 'PodeWebSocket.ReconnectGaveUp' }).Count -eq 1 } -Because 'giving up after 2 failed attempts'
            }
            finally {
                [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
            }
            $failed = @($sink.ToArray() | Where-Object { $_.Id -eq 'PodeWebSocket.ReconnectHandlerFailed' })
            $failed.Count | Should -Be 2
            $failed[0].Message | Should -Match 'the token service is down'
            $info = Get-PodeWebSocket -Name 'Throws'
            $info.State | Should -Be 'Closed'
            $info.HandlerErrors | Should -Be 2
            "$($info.LastHandlerError)" | Should -Match '-OnReconnecting handler: .*the token service is down'
        }

        It 'stops at once on HTTP 401: one attempt, -OnError with the ErrorId, state Closed' {
            $peer = Start-LoggingPeer 'netpeer.py'
            $sink = New-TestSink
            Connect-PodeWebSocket -Name 'Unauthorized' -Url "ws://127.0.0.1:$($peer.Port)/status/401" -NoWait -Reconnect -ReconnectDelay 0.05 -ReconnectMaxDelay 0.1 `
                -ScriptBlock { } -OnError { param($S) $S.Enqueue($WsEvent.Data.ErrorId) } -OnClose { param($S) $S.Enqueue('closed') } -ArgumentList (, $sink)
            Wait-Until { $sink.ToArray() -contains 'closed' } -Because 'the permanent failure to end the connect'
            @($sink.ToArray()) | Should -Be @('PodeWebSocket.HandshakeRejected', 'closed')
            (Get-PodeWebSocket -Name 'Unauthorized').State | Should -Be 'Closed'
            (Get-PodeWebSocket -Name 'Unauthorized').LastError | Should -Match '401'
            (Read-PeerLog $peer).Count | Should -Be 1
        }

        It 'retries a 503 with Retry-After: 2 after about 2 s, whatever -ReconnectDelay says' {
            $peer = Start-LoggingPeer 'netpeer.py'
            $sink = New-TestSink
            Connect-PodeWebSocket -Name 'Busy' -Url "ws://127.0.0.1:$($peer.Port)/status/503?retryAfter=2" -NoWait -Reconnect -ReconnectDelay 0.05 -ReconnectMaxDelay 5 `
                -ScriptBlock { } -OnReconnecting { param($S) $S.Enqueue($WsEvent.Data.Delay) } -OnError { } -ArgumentList (, $sink)
            Wait-Until { (Read-PeerLog $peer).Count -ge 2 } -Timeout 15 -Because 'the retry'
            Remove-PodeWebSocket -Name 'Busy'
            $seen = Read-PeerLog $peer
            $gap = $seen[1].time - $seen[0].time
            $gap | Should -BeGreaterOrEqual 1.9
            $gap | Should -BeLessThan 4.5
            $sink.ToArray()[0] | Should -BeGreaterOrEqual 2
        }

        It 'a -NoWait connect that fails without -OnError is written to the host and shown in LastError' {
            $peer = Start-LoggingPeer 'netpeer.py'
            $script = @"
    Import-Module '$($script:ModuleManifest)'
    Connect-PodeWebSocket -Name 'Silent' -Url 'ws://127.0.0.1:$($peer.Port)/status/403' -NoWait -Reconnect -ScriptBlock { }
    `$deadline = [datetime]::UtcNow.AddSeconds(15)
    while (((Get-PodeWebSocket -Name 'Silent').State -ne 'Closed') -and ([datetime]::UtcNow -lt `$deadline)) { Start-Sleep -Milliseconds 50 }
    Start-Sleep -Milliseconds 300
    "LASTERROR: `$((Get-PodeWebSocket -Name 'Silent').LastError)"
"@
            $output = & (Get-TestPwsh) -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" }
            $text = $output -join "`n"
            $text | Should -Match "the connection 'Silent' could not be opened: .*403"
            $text | Should -Match 'LASTERROR: .*403'
        }
    }

    Context 'Extensions and compression' {
        It 'refuses a Sec-WebSocket-Extensions header: InvalidOptions naming it, nothing registered' {
            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'ExtHeader' -Url "$($script:EchoUrl)/echo" -Headers @{ 'Sec-WebSocket-Extensions' = 'permessage-deflate' } }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.InvalidOptions,*'
            $failure.Exception.Message | Should -Match 'Sec-WebSocket-Extensions'
            Test-PodeWebSocket -Name 'ExtHeader' | Should -BeFalse
        }

        It 'fails the handshake with Protocol when the server answers with an extension nobody offered' {
            $failure = Get-ConnectFailure { Connect-PodeWebSocket -Name 'BadExt' -Url "$($script:EchoUrl)/bad-extension" }
            $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.Protocol,*'
            $failure.Exception.Message | Should -Match 'x-nobody-offered-this'
            Test-PodeWebSocket -Name 'BadExt' | Should -BeFalse
        }

        It 'negotiates permessage-deflate with python websockets by default' {
            $before = (Read-PeerLog $script:Echo).Count
            Connect-PodeWebSocket -Name 'Deflate' -Url "$($script:EchoUrl)/echo"
            Receive-Echo 'Deflate' '!extensions' | Should -Be '["permessage-deflate"]'
            @((Read-PeerLog $script:Echo) | Select-Object -Skip $before)[0].headers['sec-websocket-extensions'] | Should -Match '^permessage-deflate'
            ([PodeWebSocket.Client]::Info('Deflate') | ConvertFrom-Json).compression.negotiated | Should -BeTrue
            $big = 'x' * 100000
            Receive-Echo 'Deflate' $big | Should -Be $big
        }

        It '-NoCompression offers nothing: the server sees no offer' {
            $before = (Read-PeerLog $script:Echo).Count
            Connect-PodeWebSocket -Name 'Plain' -Url "$($script:EchoUrl)/echo" -NoCompression
            Receive-Echo 'Plain' '!extensions' | Should -Be '[]'
            @((Read-PeerLog $script:Echo) | Select-Object -Skip $before)[0].headers.ContainsKey('sec-websocket-extensions') | Should -BeFalse
            ([PodeWebSocket.Client]::Info('Plain') | ConvertFrom-Json).compression.negotiated | Should -BeFalse
        }
    }
}

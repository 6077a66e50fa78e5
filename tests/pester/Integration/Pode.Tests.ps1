# Inside the real Pode 2.14.0: a Pode server in a child pwsh relays a feed to its signal clients
# through PodeWebSocket's Connect-PodeWebSocket, called from the server script, a route and a
# timer; it survives Restart-PodeServer, Close-PodeServer exits within seconds with connections
# open and a handler busy in Start-Sleep 60, and -EnablePool WebSockets changes nothing.
# Pode is found as a user has it: an installed module, else the PowerShell Gallery, else the
# project's ../shared/pode/build (CI machines), built into target/.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:PodeVersion = '2.14.0'
    $script:Work = Join-Path $script:RepoRoot 'target/pester-pode'
    $null = New-Item -ItemType Directory -Path $script:Work -Force

    # Pode's manifest: an installed module, else the Gallery (saved into target/), else the build script.
    function Find-TestPode {
        $installed = @(Get-Module -ListAvailable -Name Pode | Where-Object { "$($_.Version)" -eq $script:PodeVersion })
        if ($installed.Count -gt 0) {
            return $installed[0].Path
        }
        $saved = Join-Path $script:RepoRoot 'target/pode-gallery'
        $savedManifest = Join-Path $saved "Pode/$($script:PodeVersion)/Pode.psd1"
        if (Test-Path -LiteralPath $savedManifest) {
            return $savedManifest
        }
        # a copy the build script made in an earlier run (it returns at once when it is current)
        $build = Join-Path $script:RepoRoot '../shared/pode/build'
        $dest = Join-Path $script:RepoRoot 'target/pode-2.14.0'
        $built = Join-Path $dest 'src/Pode.psd1'
        if ((Test-Path -LiteralPath $build) -and (Test-Path -LiteralPath $built)) {
            $null = & bash $build $dest 2>&1
            if (($LASTEXITCODE -eq 0) -and (Test-Path -LiteralPath $built)) {
                return $built
            }
        }
        $reasons = @()
        # the Gallery, in a child with a deadline (an unreachable Gallery must not hang the tests)
        $null = New-Item -ItemType Directory -Path $saved -Force
        $save = Start-TestServerProcess -FilePath (Get-TestPwsh) -Arguments @('-NoProfile', '-NonInteractive', '-Command',
            "try { Save-PSResource -Name Pode -Version $($script:PodeVersion) -Path '$saved' -TrustRepository -ErrorAction Stop; 'SAVED' } catch { `"FAILED `$_`" }") -TimeoutMs 120000
        if (-not $save.Process.HasExited) {
            $save.Process.Kill($true)
        }
        if (Test-Path -LiteralPath $savedManifest) {
            return $savedManifest
        }
        $reasons += "PowerShell Gallery: $($save.Line)"
        if (Test-Path -LiteralPath $build) {
            $output = & bash $build $dest 2>&1
            if (($LASTEXITCODE -eq 0) -and (Test-Path -LiteralPath $built)) {
                return $built
            }
            $reasons += "../shared/pode/build: $($output | Select-Object -Last 5)"
        }
        else {
            $reasons += '../shared/pode/build: not present'
        }
        throw "Pode $($script:PodeVersion) is needed for these tests and could not be had: not installed (Get-Module -ListAvailable), $($reasons -join '; '). Install it with: Install-PSResource Pode -Version $($script:PodeVersion)"
    }

    # the OS picks the port (bound to 0); Pode cannot bind port 0 itself (it takes 8080). A port
    # once released may be handed out again: never give two endpoints of this file the same one.
    $script:UsedPorts = [System.Collections.Generic.HashSet[int]]::new()
    function Get-FreePort {
        while ($true) {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start()
            try { $port = $listener.LocalEndpoint.Port } finally { $listener.Stop() }
            if ($script:UsedPorts.Add($port)) { return $port }
        }
    }

    # The Pode server, in a child pwsh with PodeWebSocket on its PSModulePath (imported by name,
    # as the README shows). It logs to a file; returns @{ Process; Http; Ws; Log } at once
    # (Wait-PodeTestServer waits for it: the servers of both tests start side by side).
    function Start-PodeTestServer([switch]$Pool) {
        $server = [pscustomobject]@{ Room = $(if ($Pool) { 'pooled' } else { 'plain' }); Process = $null; Http = Get-FreePort; Ws = Get-FreePort; Log = Join-Path $script:Work "server-$([guid]::NewGuid().ToString('N')).log" }
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPwsh))
        foreach ($argument in @('-NoProfile', '-NonInteractive', '-Command',
                "& '$($script:ServerScript)' -PodeManifest '$($script:PodeManifest)' -HttpPort $($server.Http) -WsPort $($server.Ws) -FeedUrl '$($script:Feed.Url)' -Room '$($server.Room)' -Pool:`$$($Pool.IsPresent) *> '$($server.Log)'")) {
            $psi.ArgumentList.Add($argument)
        }
        $psi.Environment['PSModulePath'] = (Join-Path $script:RepoRoot 'powershell') + [System.IO.Path]::PathSeparator + $env:PSModulePath
        $psi.RedirectStandardInput = $true
        $psi.UseShellExecute = $false
        $server.Process = [System.Diagnostics.Process]::Start($psi)
        $script:Servers.Add($server)
        return $server
    }

    function Wait-PodeTestServer($Server) {
        $server = $Server
        Wait-Until { ($null -ne (Get-ServerState $server)) -or $server.Process.HasExited } -Timeout 150 -Because 'the Pode server to start'
        if ($server.Process.HasExited) {
            throw "the Pode server exited: $(Get-Content -Raw -LiteralPath $server.Log)"
        }
    }

    function Invoke-PodeRoute($Server, [string]$Path) {
        try {
            return Invoke-RestMethod -Uri "http://127.0.0.1:$($Server.Http)$Path" -TimeoutSec 30 -NoProxy
        }
        catch {
            $exited = if ($Server.Process.HasExited) { "exited with $($Server.Process.ExitCode)" } else { 'running' }
            throw "GET $Path on the Pode server (port $($Server.Http), process $exited) failed: $_; server log: $(Get-Content -Raw -LiteralPath $Server.Log)"
        }
    }

    # name -> state of the server's PodeWebSocket connections (from a route), plus 'Start' (an id
    # of this run of the server script: it changes with Restart-PodeServer), or $null while it is not up
    function Get-ServerState($Server) {
        try {
            $answer = Invoke-RestMethod -Uri "http://127.0.0.1:$($Server.Http)/state" -TimeoutSec 2 -NoProxy
            $state = @{ Start = $answer.Start }
            foreach ($c in $answer.Connections) {
                $state[$c.Name] = $c.State
            }
            return $state
        }
        catch {
            return $null
        }
    }

    function Wait-ServerConnection($Server, [string]$Name) {
        try {
            Wait-Until { $s = Get-ServerState $Server; ($null -ne $s) -and ($s[$Name] -eq 'Open') } -Timeout 30 -Because "the server's connection '$Name' to open"
        }
        catch {
            $state = Get-ServerState $Server
            throw "$_ (connections: $(if ($null -ne $state) { ($state.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', ' } else { 'no answer' }); server log: $(Get-Content -Raw -LiteralPath $Server.Log))"
        }
    }

    # Publishes Count messages into a feed room, and returns what the signal client got for that
    # connection, ordered by the handler's own sequence numbers (Send-PodeSignal hands each
    # message to Task.Run: signals may overtake each other on the way to the browser).
    function Test-Relay($Server, [string]$Name, [string]$Room, [int]$Count) {
        $browser = "Browser-$([guid]::NewGuid().ToString('N'))"
        $publisher = "Publisher-$([guid]::NewGuid().ToString('N'))"
        Connect-PodeWebSocket -Name $browser -Url "ws://127.0.0.1:$($Server.Ws)/prices"
        Connect-PodeWebSocket -Name $publisher -Url "$($script:Feed.Url)/relay/$($Server.Room)-$Room"
        try {
            $sent = @(1..$Count | ForEach-Object { "$Room-$_" })
            $sent | Send-PodeWebSocket -Name $publisher
            $received = @(Receive-PodeWebSocket -Name $browser -Count $Count -Timeout 30 | ForEach-Object { $_.Request.Body })
            $mine = @($received | Where-Object { $_ -like "$Name|*" } | ForEach-Object {
                    $parts = $_.Split('|')
                    [pscustomobject]@{ Seq = [int]$parts[1]; Body = $parts[2] }
                } | Sort-Object Seq)
            return [pscustomobject]@{ Sent = $sent; Bodies = @($mine | ForEach-Object { $_.Body }); Seqs = @($mine | ForEach-Object { $_.Seq }) }
        }
        finally {
            Remove-PodeWebSocket -Name $browser -ErrorAction SilentlyContinue
            Remove-PodeWebSocket -Name $publisher -ErrorAction SilentlyContinue
        }
    }

    $script:Servers = [System.Collections.Generic.List[object]]::new()
    $script:PodeManifest = Find-TestPode
    $script:Feed = Start-TestPeer
    $script:ServerScript = Join-Path $script:Work 'server.ps1'
    Set-Content -LiteralPath $script:ServerScript -Value @'
param($PodeManifest, $HttpPort, $WsPort, $FeedUrl, $Room, [switch]$Pool)
Import-Module $PodeManifest
Import-Module PodeWebSocket            # after Pode: its commands take precedence
$options = @{ Threads = 2; Quiet = $true; DisableTermination = $true; DisableConsoleInput = $true }
if ($Pool) { $options.EnablePool = 'WebSockets' }
Start-PodeServer @options {
    $startId = [guid]::NewGuid().ToString()
    Import-PodeModule -Name PodeWebSocket    # routes, timers and schedules get it too
    Add-PodeEndpoint -Address 127.0.0.1 -Port $HttpPort -Protocol Http
    Add-PodeEndpoint -Address 127.0.0.1 -Port $WsPort -Protocol Ws
    Add-PodeSignalRoute -Path '/prices' -ScriptBlock { Send-PodeSignal -Value $SignalEvent.Data.Message }

    # each relay numbers its messages in the connection's Items table: the order the handler saw
    Connect-PodeWebSocket -Name 'FromScript' -Url "$FeedUrl/relay/$Room-script" -ContentType 'text/plain' -ScriptBlock {
        $items = $WsEvent.Request.WebSocket.Items
        $items['seq'] = 1 + $items['seq']
        Send-PodeSignal -Value "FromScript|$($items['seq'])|$($WsEvent.Request.Body)" -Path '/prices'
    }
    Connect-PodeWebSocket -Name 'Busy' -Url "$FeedUrl/relay/$Room-busy" -ContentType 'text/plain' -ScriptBlock {
        Send-PodeSignal -Value "Busy|1|sleeping" -Path '/prices'
        Start-Sleep -Seconds 60
    }
    Add-PodeRoute -Method Get -Path '/connect' -ScriptBlock {
        Connect-PodeWebSocket -Name 'FromRoute' -Url "$using:FeedUrl/relay/$($using:Room)-route" -ContentType 'text/plain' -ScriptBlock {
            $items = $WsEvent.Request.WebSocket.Items
            $items['seq'] = 1 + $items['seq']
            Send-PodeSignal -Value "FromRoute|$($items['seq'])|$($WsEvent.Request.Body)" -Path '/prices'
        }
        Write-PodeJsonResponse -Value @{ connected = $true }
    }
    Add-PodeTimer -Name 'Connect' -Interval 1 -Limit 1 -ScriptBlock {
        Connect-PodeWebSocket -Name 'FromTimer' -Url "$using:FeedUrl/relay/$($using:Room)-timer" -ContentType 'text/plain' -ScriptBlock {
            $items = $WsEvent.Request.WebSocket.Items
            $items['seq'] = 1 + $items['seq']
            Send-PodeSignal -Value "FromTimer|$($items['seq'])|$($WsEvent.Request.Body)" -Path '/prices'
        }
    }
    Add-PodeRoute -Method Get -Path '/state' -ScriptBlock {
        Write-PodeJsonResponse -Value @{ Start = $using:startId; Connections = @(Get-PodeWebSocket | ForEach-Object { @{ Name = $_.Name; State = "$($_.State)" } }) }
    }
    Add-PodeRoute -Method Get -Path '/restart' -ScriptBlock { Restart-PodeServer; Write-PodeJsonResponse -Value @{ restarting = $true } }
    Add-PodeRoute -Method Get -Path '/close' -ScriptBlock { Close-PodeServer; Write-PodeJsonResponse -Value @{ closing = $true } }
}
'EXITED'
'@
    $script:Plain = Start-PodeTestServer
    $script:Pooled = Start-PodeTestServer -Pool
}

AfterAll {
    Remove-TestConnections
    foreach ($server in $script:Servers) {
        if (($null -ne $server.Process) -and -not $server.Process.HasExited) {
            $server.Process.Kill($true)
            $null = $server.Process.WaitForExit(5000)
        }
    }
    Stop-TestPeer -Peer $script:Feed
}

Describe 'Inside the real Pode 2.14.0' {
    It 'relays through Send-PodeSignal from connections made in the server script, a route and a timer; survives Restart-PodeServer; Close-PodeServer exits within seconds' {
        $server = $script:Plain
        Wait-PodeTestServer $server
        Wait-ServerConnection $server 'FromScript'
        $relay = Test-Relay $server 'FromScript' 'script' 40
        $relay.Bodies | Should -Be $relay.Sent
        $relay.Seqs | Should -Be @(1..40)

        $null = Invoke-PodeRoute $server '/connect'
        Wait-ServerConnection $server 'FromRoute'
        $relay = Test-Relay $server 'FromRoute' 'route' 40
        $relay.Bodies | Should -Be $relay.Sent

        Wait-ServerConnection $server 'FromTimer'
        $relay = Test-Relay $server 'FromTimer' 'timer' 40
        $relay.Bodies | Should -Be $relay.Sent

        # Restart-PodeServer runs the server script again: its connections are made anew
        $firstRun = (Get-ServerState $server).Start
        $null = Invoke-PodeRoute $server '/restart'
        Wait-Until { $s = Get-ServerState $server; ($null -ne $s) -and ($s.Start -ne $firstRun) -and ($s['FromScript'] -eq 'Open') -and ($s['FromTimer'] -eq 'Open') } -Timeout 60 -Because 'the restarted server'
        $relay = Test-Relay $server 'FromScript' 'script' 40
        $relay.Bodies | Should -Be $relay.Sent
        $relay.Seqs | Should -Be @(1..40) -Because 'a new connection has a new Items table'

        # a handler busy in Start-Sleep 60, connections open: Close-PodeServer still ends the process
        $browser = 'BusyBrowser'
        Connect-PodeWebSocket -Name $browser -Url "ws://127.0.0.1:$($server.Ws)/prices"
        Connect-PodeWebSocket -Name 'BusyPublisher' -Url "$($script:Feed.Url)/relay/$($server.Room)-busy"
        Send-PodeWebSocket -Name 'BusyPublisher' -Message 'sleep'
        (Receive-PodeWebSocket -Name $browser -Timeout 30).Request.Body | Should -Be 'Busy|1|sleeping'
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $null = Invoke-PodeRoute $server '/close'
        $exited = $server.Process.WaitForExit(20000)
        $watch.Stop()
        $exited | Should -BeTrue -Because "Close-PodeServer must end the server: $(Get-Content -Raw -LiteralPath $server.Log)"
        Write-Host "    Close-PodeServer: the process exited $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s after the request"
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        Get-Content -Raw -LiteralPath $server.Log | Should -Match 'EXITED'
    }

    It 'relays with Start-PodeServer -EnablePool WebSockets' {
        $server = $script:Pooled
        Wait-PodeTestServer $server
        Wait-ServerConnection $server 'FromScript'
        $relay = Test-Relay $server 'FromScript' 'script' 40
        $relay.Bodies | Should -Be $relay.Sent
        $relay.Seqs | Should -Be @(1..40)
        $null = Invoke-PodeRoute $server '/close'
        $server.Process.WaitForExit(20000) | Should -BeTrue
    }
}

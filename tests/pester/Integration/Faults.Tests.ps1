# Faults as a PowerShell user sees them: the server process killed in the middle of a stream
# (-OnClose with the cause, reconnect seen by the handlers, every message received before the
# kill handled once, in order), Send-PodeWebSocket while not open (a clear ErrorRecord), and
# Remove-Module or the end of the process while messages are in flight (no hang; run in a child
# pwsh with a time limit).
#
# The server is the project's example server (examples/echo_server.rs) as a separate process, so
# it can be killed with SIGKILL and started again on the same port.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    # Built here (a no-op when up to date): the module's build does not build the examples.
    $output = & cargo build --release --quiet --example echo_server --manifest-path (Join-Path $script:RepoRoot 'Cargo.toml') 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "building the echo_server example failed: $output"
    }
    $script:EchoServer = Join-Path $script:RepoRoot 'target/release/examples/echo_server'

    function Start-EchoServer {
        # Starts the example server on 127.0.0.1:$Port (0: the OS picks); returns @{ Port; Process }.
        param([int]$Port = 0)

        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ($true) {
            $started = Start-TestServerProcess -FilePath $script:EchoServer -Arguments @('--port', "$Port", '--exit-on-stdin-close') -TimeoutMs 10000
            $process = $started.Process
            if ($started.Line -match '^LISTENING (\d+)$') {
                return [pscustomobject]@{ Port = [int]$Matches[1]; Process = $process }
            }
            # The port of a killed server may take a moment to be free again.
            $process.Kill()
            $null = $process.WaitForExit(5000)
            $process.Dispose()
            if ([DateTime]::UtcNow -gt $deadline) {
                throw "echo_server did not start on port $($Port): '$($started.Line)'"
            }
            Start-Sleep -Milliseconds 50
        }
    }

    function Stop-EchoServer {
        # SIGKILL: no close frame, the kernel drops the sockets.
        param($Server)

        if ($null -ne $Server -and -not $Server.Process.HasExited) {
            $Server.Process.Kill()
            $null = $Server.Process.WaitForExit(5000)
        }
    }

    function Get-Sequence {
        # The sequence number the firehose writes at the start of each text message.
        param([string]$Entry)
        return [long]$Entry.Substring(2, 10)
    }

    function Assert-Contiguous {
        # The messages handled are 0, 1, 2, ... without gap, duplicate or reordering.
        param([string[]]$Entries, [string]$What)

        $expected = 0
        foreach ($entry in $Entries) {
            $seq = Get-Sequence $entry
            if ($seq -ne $expected) {
                throw "$($What): message #$expected has sequence $seq"
            }
            $expected++
        }
    }

    function Invoke-ChildPwsh {
        # Runs $Script in a child pwsh; fails if it runs longer than $TimeoutSeconds (a hang).
        # Returns @{ ExitCode; Output; Seconds }.
        param([string]$Script, [int]$TimeoutSeconds = 60)

        $file = Join-Path $TestDrive "child-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $file -Value $Script
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPwsh))
        foreach ($argument in @('-NoProfile', '-NonInteractive', '-File', $file)) {
            $psi.ArgumentList.Add($argument)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['NO_COLOR'] = '1'
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $process = [System.Diagnostics.Process]::Start($psi)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "the child pwsh did not exit within $TimeoutSeconds s (a hang); output so far: $($stdout.Result)"
        }
        $process.WaitForExit()
        return [pscustomobject]@{
            ExitedAtMs = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
            ExitCode = $process.ExitCode
            # Without terminal colour codes, which test reports cannot hold.
            Output   = "$($stdout.Result)`n$($stderr.Result)" -replace "`e\[[0-9;]*[A-Za-z]", ''

            Seconds  = $watch.Elapsed.TotalSeconds
        }
    }
}

AfterAll {
    Remove-TestConnections
}

Describe 'Server process killed mid-stream' {
    AfterEach {
        # Server first: a firehose that never reads would make each close wait its timeout.
        Stop-EchoServer $script:Server
        Remove-TestConnections
    }

    It 'with -Reconnect: -OnClose says why, attempts go to -OnError, -OnOpen runs again, nothing handled twice or lost' {
        $script:Server = Start-EchoServer
        $port = $script:Server.Port
        $url = "ws://127.0.0.1:$port/firehose?count=20000&size=1024"
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Killed' -Url $url -ContentType 'text/plain' -PingInterval 0 `
            -Reconnect -ReconnectDelay 0.2 -ReconnectMaxDelay 1 `
            -ScriptBlock { param($S) $S.Enqueue("m:$($WsEvent.Request.Body)") } `
            -OnOpen { param($S) $S.Enqueue('open') } `
            -OnClose { param($S) $S.Enqueue("close:$($WsEvent.Data.Code):$($WsEvent.Data.ClosedBy):$($WsEvent.Data.Reason)") } `
            -OnError { param($S) $S.Enqueue("error:$($WsEvent.Data.ErrorId)") } `
            -ArgumentList (, $sink)
        Wait-Until { $sink.Count -ge 500 } -Because 'messages to flow'
        Stop-EchoServer $script:Server

        Wait-Until { $sink.ToArray() -match '^close:' } -Timeout 30 -Because '-OnClose after the kill'
        $entries = $sink.ToArray()
        $closeAt = 0
        while ($entries[$closeAt] -notlike 'close:*') { $closeAt++ }
        $entries[0] | Should -Be 'open'
        $before = $entries[1..($closeAt - 1)]
        Assert-Contiguous -Entries $before -What 'messages before the kill'
        $before.Count | Should -BeLessThan 20000 -Because 'the server was killed in the middle of its stream'
        $entries[$closeAt] | Should -Be 'close:1006:Lost:the server closed the connection without a close frame'

        # Down: Send fails with a clear error, and failed attempts reach -OnError with the cause.
        Wait-Until { (Get-PodeWebSocket -Name 'Killed').State -eq 'Reconnecting' } -Because 'the reconnect'
        $failure = $null
        try {
            Send-PodeWebSocket -Name 'Killed' -Message 'while down' -ErrorAction Stop
        }
        catch {
            $failure = $_
        }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.NotOpen,*'
        $failure.Exception.Message | Should -Match "'Killed' is not open \(state: Reconnecting\)"
        Wait-Until { @($sink.ToArray() -eq 'error:PodeWebSocket.ConnectionRefused').Count -ge 2 } -Because 'failed attempts'

        # Back on the same port: -OnOpen again and a new stream from its start.
        $script:Server = Start-EchoServer -Port $port
        Wait-Until { @($sink.ToArray() -eq 'open').Count -ge 2 } -Timeout 20 -Because 'the reconnect'
        Wait-Until { $sink.Count -ge $closeAt + 200 } -Because 'messages after the reconnect'
        $entries = $sink.ToArray()
        $reopenedAt = [array]::LastIndexOf($entries, 'open')
        $between = $entries[($closeAt + 1)..($reopenedAt - 1)]
        $between | ForEach-Object { $_ | Should -Be 'error:PodeWebSocket.ConnectionRefused' }
        $after = @($entries[($reopenedAt + 1)..($entries.Count - 1)] | Select-Object -First 100)
        Assert-Contiguous -Entries $after -What 'messages after the reconnect'
        (Get-PodeWebSocket -Name 'Killed').Reconnects | Should -Be 1
    }

    It 'without -Reconnect: -OnClose says why, then nothing more; Send fails with NotOpen (Closed)' {
        $script:Server = Start-EchoServer
        $port = $script:Server.Port
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'KilledOnce' -Url "ws://127.0.0.1:$port/firehose?count=20000&size=1024" `
            -ContentType 'text/plain' -PingInterval 0 `
            -ScriptBlock { param($S) $S.Enqueue("m:$($WsEvent.Request.Body)") } `
            -OnClose { param($S) $S.Enqueue("close:$($WsEvent.Data.Code):$($WsEvent.Data.ClosedBy)") } `
            -OnError { param($S) $S.Enqueue("error:$($WsEvent.Data.ErrorId)") } `
            -ArgumentList (, $sink)
        Wait-Until { $sink.Count -ge 500 } -Because 'messages to flow'
        Stop-EchoServer $script:Server
        Wait-Until { $sink.ToArray() -match '^close:' } -Timeout 30 -Because '-OnClose after the kill'
        $entries = $sink.ToArray()
        $entries[-1] | Should -Be 'close:1006:Lost'
        Assert-Contiguous -Entries $entries[0..($entries.Count - 2)] -What 'messages before the kill'

        $script:Server = Start-EchoServer -Port $port
        $count = $sink.Count
        Start-Sleep -Milliseconds 500 # nothing may happen: there is no event to wait for
        $sink.Count | Should -Be $count
        (Get-PodeWebSocket -Name 'KilledOnce').State | Should -Be 'Closed'
        { Send-PodeWebSocket -Name 'KilledOnce' -Message 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PodeWebSocket.NotOpen,*' -ExpectedMessage "*'KilledOnce' is not open (state: Closed)*"
    }
}

Describe 'Remove-Module and process exit with messages in flight' {
    BeforeAll {
        $script:Server = Start-EchoServer
        # The child: a firehose into a slow handler (a full queue, the server pushed back), a
        # connection whose server never reads while messages are sent to it, then the end.
        $script:ChildSetup = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($script:ModuleManifest)'
Connect-PodeWebSocket -Name 'Flood' -Url 'ws://127.0.0.1:$($script:Server.Port)/firehose?count=10000000&size=64' ``
    -ContentType 'text/plain' -ScriptBlock { Start-Sleep -Milliseconds 5 }
Connect-PodeWebSocket -Name 'Deaf' -Url 'ws://127.0.0.1:$($script:Server.Port)/silent' -PingInterval 0
# 64 KiB x 200: more than the TCP buffers hold, so most of it waits in the send queue.
`$big = 'x' * 65536
1..200 | ForEach-Object { Send-PodeWebSocket -Name 'Deaf' -Message `$big }
`$deadline = [DateTime]::UtcNow.AddSeconds(20)
while ((Get-PodeWebSocket -Name 'Flood').QueuedEvents -lt 100) {
    if ([DateTime]::UtcNow -gt `$deadline) { throw 'the queue never filled' }
    Start-Sleep -Milliseconds 20
}
Write-Output "IN-FLIGHT `$([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())"

"@
    }

    AfterAll {
        Stop-EchoServer $script:Server
    }

    It 'Remove-Module returns promptly and leaves no connection behind' {
        $result = Invoke-ChildPwsh -Script ($script:ChildSetup + @'
$watch = [System.Diagnostics.Stopwatch]::StartNew()
Remove-Module PodeWebSocket
Write-Output "REMOVED $([int]$watch.Elapsed.TotalMilliseconds)"
Import-Module $env:PODE_WS_TEST_MANIFEST
Write-Output "LEFT $(@(Get-PodeWebSocket).Count)"
exit 0
'@).Replace('$env:PODE_WS_TEST_MANIFEST', "'$($script:ModuleManifest)'")
        $result.Output | Should -Match 'IN-FLIGHT'
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output -match 'REMOVED (\d+)' | Should -BeTrue -Because $result.Output
        [int]$Matches[1] | Should -BeLessThan 10000 -Because 'Remove-Module waits at most a few seconds for the closes'
        $result.Output | Should -Match 'LEFT 0'
    }

    It 'the process exits promptly without Remove-Module' {
        $result = Invoke-ChildPwsh -Script ($script:ChildSetup + "exit 0`n")
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output -match 'IN-FLIGHT (\d+)' | Should -BeTrue -Because $result.Output
        $exitMs = $result.ExitedAtMs - [long]$Matches[1]
        # The module gives the closes at most 2 s at exit; the rest is .NET winding down.
        $exitMs | Should -BeLessThan 8000
    }
}

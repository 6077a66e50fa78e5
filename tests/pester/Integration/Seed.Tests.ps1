# The two examples of the seed documentation, verbatim (only the port differs: tests never use
# fixed ports). The first runs in a child pwsh process whose console output must show the message.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    # "/" is a relay room here: a client's messages go to the other clients, never back (an echo
    # would ping-pong forever with the second example); every client is greeted first.
    $script:Peer = Start-TestPeer -Arguments '--greet', 'hello-from-the-server', '--root', 'relay'
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Seed example 1: Out-Default of $WsEvent.Request' {
    It 'writes the message received to the console of the script' {
        $port = $script:Peer.Port
        $child = Join-Path $TestDrive 'example1.ps1'
        Set-Content -LiteralPath $child -Value @"
Import-Module '$($script:ModuleManifest)'
Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:$port' -ScriptBlock { `$WsEvent.Request | Out-Default }
Connect-PodeWebSocket -Name 'Failing' -Url 'ws://localhost:$port' -ScriptBlock { throw 'boom from a handler' }
# run until the test closes stdin
`$null = [Console]::In.ReadLine()
"@
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPwsh))
        foreach ($argument in '-NoProfile', '-NonInteractive', '-File', $child) { $psi.ArgumentList.Add($argument) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            # read both streams as they come; the host may colour text, so compare without ANSI escapes
            $output = [System.Text.StringBuilder]::new()
            $readers = @($process.StandardOutput, $process.StandardError)
            $pending = @($readers[0].ReadLineAsync(), $readers[1].ReadLineAsync())
            $plain = { $output.ToString() -replace "`e\[[0-9;]*m", '' }
            $done = {
                $text = & $plain
                ($text -match 'Body\s*:\s*hello-from-the-server') -and ($text -match 'Type\s*:\s*Text') -and
                ($text -match "the message handler of 'Failing' failed: boom from a handler") -and
                ($text -match ([regex]::Escape("-ScriptBlock { throw 'boom from a handler' }")))
            }
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (& $done) -and ([DateTime]::UtcNow -lt $deadline)) {
                $index = [System.Threading.Tasks.Task]::WaitAny([System.Threading.Tasks.Task[]]$pending, 100)
                if (($index -ge 0) -and ($null -ne $pending[$index].Result)) {
                    $null = $output.AppendLine($pending[$index].Result)
                    $pending[$index] = $readers[$index].ReadLineAsync()
                }
                elseif ($index -ge 0) {
                    break   # a stream ended: the process is gone
                }
            }
            $text = & $plain
            $text | Should -Match 'Body\s*:\s*hello-from-the-server'
            $text | Should -Match 'Type\s*:\s*Text'
            # the failing handler was shown on the host, and did not stop the other one
            $text | Should -Match "the message handler of 'Failing' failed: boom from a handler"
            # at the line of the script it was written in, as written (never the generated wrapper)
            $text | Should -Match "At $([regex]::Escape($child)):3 char:\d+"
            $text | Should -Match ([regex]::Escape("-ScriptBlock { throw 'boom from a handler' }"))
            $text | Should -Not -Match '__pws|foreach \(\$WsEvent in \$_\)'

            # closing stdin ends the script: a process with open connections and dispatchers exits promptly
            $process.StandardInput.Close()
            $process.WaitForExit(15000) | Should -BeTrue -Because 'the process must not hang on exit'
            $process.ExitCode | Should -Be 0
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }
}

Describe 'Seed example 2: Send-PodeWebSocket without -Name inside the handler' {
    It 'answers the server with the JSON of the message body' {
        # an observer in the same room sees what Example sends
        Connect-PodeWebSocket -Name 'Observer' -Url "ws://127.0.0.1:$($script:Peer.Port)"
        (Receive-PodeWebSocket -Name 'Observer' -Timeout 10).Request.Body | Should -Be 'hello-from-the-server'

        Connect-PodeWebSocket -Name 'Example' -Url "ws://localhost:$($script:Peer.Port)" -ScriptBlock { Send-PodeWebSocket -Message (@{ message = $WsEvent.Request.Body } | ConvertTo-Json -Compress) }

        $answer = Receive-PodeWebSocket -Name 'Observer' -Timeout 10
        $answer.Request.Body | Should -BeExactly '{"message":"hello-from-the-server"}'
        $answer.Data.message | Should -Be 'hello-from-the-server'
        (Get-PodeWebSocket -Name 'Example').HandlerErrors | Should -Be 0
    }
}

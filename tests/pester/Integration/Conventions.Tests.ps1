# PowerShell's conventions through the commands: -WhatIf and -Confirm, -Name completion with Tab,
# pipeline input (names by value, connection objects by property name), the default views, Pode's
# terminating NameRequired next to our non-terminating errors, and Receive-PodeWebSocket polling.

BeforeDiscovery {
    # the commands that take the name of an existing connection
    $NameCommands = @('Disconnect-PodeWebSocket', 'Get-PodeWebSocket', 'Get-PodeWebSocketEvent', 'Receive-PodeWebSocket',
        'Remove-PodeWebSocket', 'Reset-PodeWebSocket', 'Send-PodeWebSocket', 'Test-PodeWebSocket')
}

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    $script:Url = "$($script:Peer.Url)/echo"

    function Get-Completion([string]$InputScript) {
        return @((TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches)
    }

    # Runs a script in a child pwsh (not -NonInteractive: it may prompt) with these stdin lines;
    # returns its output lines.
    function Invoke-PromptingPwsh([string]$Script, [string[]]$Answers = @()) {
        $file = Join-Path $TestDrive "child-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $file -Value $Script
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPwsh))
        foreach ($argument in '-NoProfile', '-File', $file) { $psi.ArgumentList.Add($argument) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            foreach ($answer in $Answers) { $process.StandardInput.WriteLine($answer) }
            $process.StandardInput.Close()
            $stderr = $process.StandardError.ReadToEndAsync()
            $stdout = $process.StandardOutput.ReadToEnd()
            if (-not $process.WaitForExit(60000)) {
                $process.Kill($true)
                throw "the child pwsh did not finish: $stdout"
            }
            return @(($stdout + $stderr.Result) -replace "`e\[[0-9;]*m", '' -split '\r?\n')
        }
        finally {
            $process.Dispose()
        }
    }
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe '-WhatIf and -Confirm' {
    It 'supports ShouldProcess on Disconnect, Reset, Remove and Set-PodeWebSocketConcurrency, below the default $ConfirmPreference' {
        foreach ($command in 'Disconnect-PodeWebSocket', 'Reset-PodeWebSocket', 'Remove-PodeWebSocket', 'Set-PodeWebSocketConcurrency') {
            $binding = (Get-Command $command).ScriptBlock.Attributes | Where-Object { $_ -is [System.Management.Automation.CmdletBindingAttribute] }
            $binding.SupportsShouldProcess | Should -BeTrue -Because $command
            # scripts are not prompted by default ($ConfirmPreference is High)
            $binding.ConfirmImpact | Should -BeLessThan ([System.Management.Automation.ConfirmImpact]::High) -Because $command
        }
    }

    It 'says what -WhatIf would do and changes nothing; -Confirm asks and honours the answer' {
        $output = Invoke-PromptingPwsh -Answers 'N', 'Y', 'N', 'N', 'Y' -Script @"
Import-Module '$($script:ModuleManifest)'
Connect-PodeWebSocket -Name 'A' -Url '$($script:Url)'
Connect-PodeWebSocket -Name 'B' -Url '$($script:Url)'
Disconnect-PodeWebSocket -Name 'A' -Code 4000 -WhatIf
Reset-PodeWebSocket -Name 'A' -WhatIf
Remove-PodeWebSocket -Name 'A' -WhatIf
Set-PodeWebSocketConcurrency -Maximum 7 -WhatIf
'after whatif: ' + (Get-PodeWebSocket -Name 'A').State + ' ' + (Get-PodeWebSocket -Name 'A').Reconnects + ' ' + [PodeWebSocket.Dispatcher]::Maximum
Remove-PodeWebSocket -Name 'A' -Confirm
'after no: ' + (Test-PodeWebSocket -Name 'A')
Remove-PodeWebSocket -Name 'A' -Confirm
'after yes: ' + (Test-PodeWebSocket -Name 'A')
Disconnect-PodeWebSocket -Name 'B' -Confirm
Reset-PodeWebSocket -Name 'B' -Confirm
Set-PodeWebSocketConcurrency -Maximum 5 -Confirm
'B: ' + (Get-PodeWebSocket -Name 'B').State + ' ' + (Get-PodeWebSocket -Name 'B').Reconnects + ' ' + [PodeWebSocket.Dispatcher]::Maximum
# no prompt without -Confirm: stdin has no answer left
Remove-PodeWebSocket -Name 'B'
'done: ' + (Test-PodeWebSocket -Name 'B')
"@
        $text = $output -join "`n"
        $text | Should -Match ([regex]::Escape('What if: Performing the operation "Close with code 4000" on target "WebSocket connection ''A''".'))
        $text | Should -Match ([regex]::Escape('What if: Performing the operation "Close and connect again" on target "WebSocket connection ''A''".'))
        $text | Should -Match ([regex]::Escape('What if: Performing the operation "Close and remove" on target "WebSocket connection ''A''".'))
        $text | Should -Match ([regex]::Escape('What if: Performing the operation "Set the number of dispatchers to 7" on target "WebSocket dispatchers (now 2)".'))
        $output | Should -Contain 'after whatif: Open 0 2'
        $output | Should -Contain 'after no: True'
        $output | Should -Contain 'after yes: False'
        @($output | Where-Object { $_ -match 'Are you sure you want to perform this action' }).Count | Should -Be 5
        # Disconnect: no; Reset: no; concurrency: yes
        $output | Should -Contain 'B: Open 0 5'
        $output | Should -Contain 'done: False'
    }
}

Describe 'Tab completion of -Name' {
    BeforeAll {
        Connect-PodeWebSocket -Name 'feed-alpha' -Url $script:Url
        Connect-PodeWebSocket -Name 'feed-beta' -Url $script:Url
        Connect-PodeWebSocket -Name 'other' -Url $script:Url
        Connect-PodeWebSocket -Name 'my feed' -Url $script:Url
    }

    AfterAll {
        Remove-TestConnections
    }

    It 'completes registered names on <_>, filtered by what was typed' -TestCases $NameCommands {
        $command = $_
        $found = Get-Completion "$command -Name feed-"
        $found.CompletionText | Should -Be @('feed-alpha', 'feed-beta')
        $found[0].ResultType | Should -Be 'ParameterValue'
        $found[0].ToolTip | Should -Match 'Open'
        (Get-Completion "$command -Name FEED-B").CompletionText | Should -Be @('feed-beta')
        (Get-Completion "$command -Name nothing-like-this").CompletionText | Should -BeNullOrEmpty
    }

    It 'quotes a name that needs it, and keeps the quote the user opened' {
        (Get-Completion 'Remove-PodeWebSocket -Name my').CompletionText | Should -Be @("'my feed'")
        (Get-Completion "Remove-PodeWebSocket -Name 'my").CompletionText | Should -Be @("'my feed'")
        (Get-Completion 'Remove-PodeWebSocket -Name "my').CompletionText | Should -Be @('"my feed"')
        (Get-Completion "Remove-PodeWebSocket -Name 'fe").CompletionText | Should -Be @("'feed-alpha'", "'feed-beta'")
        # every name when nothing was typed, sorted
        (Get-Completion 'Get-PodeWebSocket -Name ').ListItemText | Should -Be @('feed-alpha', 'feed-beta', 'my feed', 'other')
    }

    It 'completes a name that the completion itself inserted as it stands (round trip)' {
        $completed = (Get-Completion 'Test-PodeWebSocket -Name my')[0].CompletionText
        & ([scriptblock]::Create("Test-PodeWebSocket -Name $completed")) | Should -BeTrue
    }
}

Describe 'Pipeline input' {
    AfterEach {
        Remove-TestConnections
    }

    It 'takes names by value: ''A'',''B'' | <Command>' -TestCases @(
        @{ Command = 'Disconnect-PodeWebSocket'; Check = { (Get-PodeWebSocket -Name 'A', 'B').State | Should -Be @('Closed', 'Closed') } }
        @{ Command = 'Reset-PodeWebSocket'; Check = { (Get-PodeWebSocket -Name 'A', 'B').Reconnects | Should -Be @(1, 1) } }
        @{ Command = 'Remove-PodeWebSocket'; Check = { 'A', 'B' | Test-PodeWebSocket | Should -Be @($false, $false) } }
        @{ Command = 'Test-PodeWebSocket'; Check = { } }
        @{ Command = 'Get-PodeWebSocket'; Check = { } }
        @{ Command = 'Get-PodeWebSocketEvent'; Check = { } }
        @{ Command = 'Receive-PodeWebSocket'; Check = { } }
    ) {
        param($Command, $Check)
        Connect-PodeWebSocket -Name 'A' -Url "$($script:Url)?greet=from-a"
        Connect-PodeWebSocket -Name 'B' -Url "$($script:Url)?greet=from-b"
        $output = @(& { 'A', 'B' | & $Command })
        switch ($Command) {
            'Test-PodeWebSocket' { $output | Should -Be @($true, $true) }
            'Get-PodeWebSocket' { $output.Name | Should -Be @('A', 'B') }
            'Get-PodeWebSocketEvent' { $output.Name | Should -Be @('A', 'B') ; $output.Event | Should -Be @('Opened', 'Opened') }
            'Receive-PodeWebSocket' { $output.Request.Body | Should -Be @('from-a', 'from-b') }
            default { $output | Should -BeNullOrEmpty }
        }
        & $Check
    }

    It 'takes connection objects by property name: Get-PodeWebSocket | <_>' -TestCases @('Disconnect-PodeWebSocket', 'Reset-PodeWebSocket', 'Remove-PodeWebSocket', 'Test-PodeWebSocket', 'Get-PodeWebSocketEvent', 'Receive-PodeWebSocket') {
        $command = $_
        Connect-PodeWebSocket -Name 'A' -Url "$($script:Url)?greet=from-a"
        Connect-PodeWebSocket -Name 'B' -Url "$($script:Url)?greet=from-b"
        $output = @(Get-PodeWebSocket | & $command)
        switch ($command) {
            'Disconnect-PodeWebSocket' { (Get-PodeWebSocket).State | Should -Be @('Closed', 'Closed') }
            'Reset-PodeWebSocket' { (Get-PodeWebSocket).Reconnects | Should -Be @(1, 1) }
            'Remove-PodeWebSocket' { Get-PodeWebSocket | Should -BeNullOrEmpty }
            'Test-PodeWebSocket' { $output | Should -Be @($true, $true) }
            'Get-PodeWebSocketEvent' { $output.Name | Should -Be @('A', 'B') }
            'Receive-PodeWebSocket' { $output.Request.Body | Should -Be @('from-a', 'from-b') }
        }
    }

    It 'sends -Message to every connection piped in by property name; piped messages never name connections' {
        Connect-PodeWebSocket -Name 'A' -Url $script:Url
        Connect-PodeWebSocket -Name 'B' -Url $script:Url
        Get-PodeWebSocket | Send-PodeWebSocket -Message 'to everyone'
        (Receive-PodeWebSocket -Name 'A' -Timeout 10).Request.Body | Should -Be 'to everyone'
        (Receive-PodeWebSocket -Name 'B' -Timeout 10).Request.Body | Should -Be 'to everyone'

        # objects with a Name property piped as messages go to -Name, whatever their Name says
        [pscustomobject]@{ Name = 'B'; Value = 1 }, [pscustomobject]@{ Name = 'nobody'; Value = 2 } | Send-PodeWebSocket -Name 'A'
        @(Receive-PodeWebSocket -Name 'A' -Count 2 -Timeout 10).Request.Body | Should -Be @('{"Name":"B","Value":1}', '{"Name":"nobody","Value":2}')
        Receive-PodeWebSocket -Name 'B' -Timeout 0 | Should -BeNullOrEmpty
    }
}

Describe 'Views' {
    AfterEach {
        Remove-TestConnections
    }

    It 'shows Get-PodeWebSocket as a table (Name, State, Url, In, Out, Reconnects, LastError) and everything with Format-List' {
        Connect-PodeWebSocket -Name 'Viewed' -Url $script:Url
        $info = Get-PodeWebSocket -Name 'Viewed'
        $info | Should -BeOfType [PodeWebSocket.ConnectionInfo]
        $table = ($info | Out-String) -replace "`e\[[0-9;]*m", ''
        $table | Should -Match 'Name\s+State\s+Url\s+In\s+Out\s+Reconnects\s+LastError'
        $table | Should -Match "Viewed\s+Open\s+$([regex]::Escape($script:Url))\s+0\s+0\s+0"
        $list = ($info | Format-List | Out-String) -replace "`e\[[0-9;]*m", ''
        foreach ($property in $info.PSObject.Properties.Name) {
            $list | Should -Match "(?m)^$property\s*:" -Because "Format-List shows $property"
        }
        $list | Should -Match 'Compression\s*:\s*permessage-deflate'
    }

    It 'marks a last error that is past in the table' {
        $refused = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $refused.Start()
        $deadPort = $refused.LocalEndpoint.Port
        $refused.Stop()
        Connect-PodeWebSocket -Name 'Flappy' -Url $script:Url
        Reset-PodeWebSocket -Name 'Flappy' -Url "ws://127.0.0.1:$deadPort/" -ErrorAction SilentlyContinue
        $info = Get-PodeWebSocket -Name 'Flappy'
        $info.LastError.ErrorId | Should -Be 'PodeWebSocket.ConnectionRefused'
        $info.LastError.IsCurrent | Should -BeTrue
        ($info | Out-String) | Should -Not -Match '\(past\)'
        Reset-PodeWebSocket -Name 'Flappy' -Url $script:Url
        $info = Get-PodeWebSocket -Name 'Flappy'
        $info.LastError.IsCurrent | Should -BeFalse
        $info.LastError.Time | Should -BeLessOrEqual ([datetime]::UtcNow)
        ($info | Out-String) | Should -Match '\(past\) could not'
    }

    It 'shows a received message as a readable list, typed PodeWebSocket.WsEvent' {
        Connect-PodeWebSocket -Name 'Viewed' -Url $script:Url -ContentType 'application/json'
        Send-PodeWebSocket -Name 'Viewed' -Message '{"price":1.25}'
        $message = Receive-PodeWebSocket -Name 'Viewed' -Timeout 10
        $message | Should -BeOfType [PodeWebSocket.WsEvent]
        $message.PSTypeNames[0] | Should -Be 'PodeWebSocket.WsEvent'
        $text = ($message | Out-String) -replace "`e\[[0-9;]*m", ''
        $text | Should -Match 'Name\s*:\s*Viewed'
        $text | Should -Match 'Type\s*:\s*Text'
        $text | Should -Match 'Body\s*:\s*\{"price":1.25\}'
        $text | Should -Match 'Data\s*:\s*price=1.25'
        $text | Should -Not -Match 'PodeWebSocket.WsEvent'
    }

    It 'shows $WsEvent inside a handler with the same view' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Viewed' -Url $script:Url -ContentType 'text/plain' -ScriptBlock {
            param($Sink)
            $Sink.Enqueue(($WsEvent | Out-String))
        } -ArgumentList (, $sink)
        Send-PodeWebSocket -Name 'Viewed' -Message 'seen in a handler'
        Wait-Until { $sink.Count -ge 1 } -Because 'the handler'
        $text = $sink.ToArray()[0] -replace "`e\[[0-9;]*m", ''
        $text | Should -Match 'Body\s*:\s*seen in a handler'
        $text | Should -Match 'Timestamp\s*:'
    }
}

Describe 'Errors as Pode has them' {
    AfterEach {
        Remove-TestConnections
    }

    It 'stops with NameRequired where Pode throws: <_> without -Name outside a handler' -TestCases @(
        'Send-PodeWebSocket -Message x', 'Disconnect-PodeWebSocket', 'Reset-PodeWebSocket', 'Remove-PodeWebSocket'
    ) {
        $call = $_
        $reached = [ref]$false
        $caught = $null
        try {
            # a terminating error ends the script block: the next statement never runs
            & ([scriptblock]::Create("$call -ErrorAction Continue; `$reached.Value = `$true"))
        }
        catch {
            $caught = $_
        }
        $reached.Value | Should -BeFalse
        $caught.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.NameRequired,*'
    }

    It 'keeps going with a clear non-terminating error where Pode is silently wrong: <_>' -TestCases @(
        'Send-PodeWebSocket -Name ghost -Message x', 'Disconnect-PodeWebSocket -Name ghost',
        'Reset-PodeWebSocket -Name ghost', 'Remove-PodeWebSocket -Name ghost'
    ) {
        $call = $_
        $output = @(& ([scriptblock]::Create("$call -ErrorAction Continue 2>&1; 'went on'")))
        $output[-1] | Should -Be 'went on'
        $output[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $output[0].FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.UnknownName,*'
        $output[0].Exception.Message | Should -Match "'ghost'"
    }

    It 'says NotOpen (non-terminating) for each message sent on a closed connection, an unknown name once per call' {
        Connect-PodeWebSocket -Name 'Shut' -Url $script:Url
        Disconnect-PodeWebSocket -Name 'Shut'
        1..5 | Send-PodeWebSocket -Name 'Shut' -ErrorVariable sendErrors -ErrorAction SilentlyContinue
        $sendErrors.Count | Should -Be 5
        $sendErrors[0].FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.NotOpen,*'

        # an unknown name is said once, not once per message
        1..5 | Send-PodeWebSocket -Name 'ghost' -ErrorVariable ghostErrors -ErrorAction SilentlyContinue
        $ghostErrors.Count | Should -Be 1
    }
}

Describe 'Receive-PodeWebSocket polling' {
    AfterEach {
        Remove-TestConnections
    }

    It 'returns nothing without an error for -Timeout 0 on an empty queue, then what is queued' {
        Connect-PodeWebSocket -Name 'Poll' -Url $script:Url
        $started = [System.Diagnostics.Stopwatch]::StartNew()
        $none = @(Receive-PodeWebSocket -Name 'Poll' -Timeout 0 -Count 10 -ErrorVariable pollErrors)
        $started.Elapsed.TotalSeconds | Should -BeLessThan 1
        $none.Count | Should -Be 0
        $pollErrors.Count | Should -Be 0

        1..3 | Send-PodeWebSocket -Name 'Poll'
        $seen = [System.Collections.Generic.List[string]]::new()
        Wait-Until { foreach ($m in (Receive-PodeWebSocket -Name 'Poll' -Timeout 0 -Count 10)) { $seen.Add($m.Request.Body) }; $seen.Count -ge 3 } -Because 'the echoes'
        $seen | Should -Be @('1', '2', '3')
    }

    It 'keeps a clear error for a closed connection, also when polling' {
        Connect-PodeWebSocket -Name 'Poll' -Url $script:Url
        Disconnect-PodeWebSocket -Name 'Poll'
        { Receive-PodeWebSocket -Name 'Poll' -Timeout 0 -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NotOpen,*'
    }
}

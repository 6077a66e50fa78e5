# Handlers as the user wrote them, through the commands: variables, $script: ones included, start
# fresh for every message on every dispatcher (as in Pode), and a failing handler is reported at
# the user's own file and line (-FilePath, a scriptblock in a script file, one typed
# interactively), never at the generated wrapper.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    $script:Url = "$($script:Peer.Url)/echo"

    # what the generated wrapper looks like: a report showing any of it points at the wrong code
    $script:Generated = '__pws|foreach \(\$WsEvent in \$_\)|HandlerHandoff'

    function Wait-HandlerError([string]$Name, [int]$Count = 1) {
        Wait-Until { (Get-PodeWebSocket -Name $Name).HandlerErrors -ge $Count } -Because "a failure of $Name's handler"
        return (Get-PodeWebSocket -Name $Name).LastHandlerError
    }
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Fresh variables for every message' {
    BeforeAll {
        Set-PodeWebSocketConcurrency -Maximum 2
    }

    AfterEach {
        Remove-TestConnections
    }

    It 'starts $script: variables fresh for every message on every dispatcher (as in Pode)' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Counter' -Url $script:Url -ContentType 'text/plain' -ScriptBlock {
            param($Sink)
            $script:n++
            $local++
            # assigned in a nested script block: still the handler's script scope
            1..3 | ForEach-Object { $script:total += $_ }
            $Sink.Enqueue("$($script:n)/$local/$($script:total)")
        } -ArgumentList (, $sink)
        # a second connection keeps both dispatchers busy, so Counter's messages meet both
        Connect-PodeWebSocket -Name 'Busy' -Url $script:Url -ContentType 'text/plain' -ScriptBlock { $script:n = 100 }
        foreach ($i in 1..8) {
            Send-PodeWebSocket -Name 'Busy' -Message "$i"
            Send-PodeWebSocket -Name 'Counter' -Message "$i"
            Wait-Until { $sink.Count -ge $i } -Because "message $i"
        }
        $sink.ToArray() | Should -Be (@('1/1/6') * 8)
    }

    It 'starts $script: variables of a -FilePath handler fresh too, and keeps a typed one working' {
        $file = Join-Path $TestDrive 'counter.ps1'
        Set-Content -LiteralPath $file -Value @'
param($Sink)
[int]$script:typed += 2
$script:seen = "$script:seen+"
$Sink.Enqueue("$script:typed $script:seen")
'@
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'FromFile' -Url $script:Url -ContentType 'text/plain' -FilePath $file -ArgumentList (, $sink)
        1..4 | Send-PodeWebSocket -Name 'FromFile'
        Wait-Until { $sink.Count -ge 4 } -Because 'four messages'
        $sink.ToArray() | Should -Be (@('2 +') * 4)
        (Get-PodeWebSocket -Name 'FromFile').HandlerErrors | Should -Be 0
    }
}

Describe 'Handler errors point at the user''s code' {
    BeforeAll {
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
    }

    AfterAll {
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
    }

    AfterEach {
        Remove-TestConnections
    }

    It 'names the file and line of a -FilePath handler' {
        $file = Join-Path $TestDrive 'handler.ps1'
        Set-Content -LiteralPath $file -Value @'
param($Prefix)
$text = "$Prefix$($WsEvent.Request.Body)"
throw "rejected: $text"
'@
        Connect-PodeWebSocket -Name 'FileHandler' -Url $script:Url -ContentType 'text/plain' -FilePath $file -ArgumentList '>'
        Send-PodeWebSocket -Name 'FileHandler' -Message 'x'
        $failure = Wait-HandlerError 'FileHandler'
        $failure.Message | Should -Be 'rejected: >x'
        $failure.ScriptName | Should -Be $file
        $failure.Line | Should -Be 3
        $failure.Location | Should -Be "$($file):3"
        $failure.Position | Should -Match "^At $([regex]::Escape($file)):3 char:1"
        $failure.Position | Should -Match ([regex]::Escape('+ throw "rejected: $text"'))
        $failure.Position | Should -Not -Match $script:Generated
        # the ErrorRecord itself says so too ($Error, Get-Error)
        $failure.ErrorRecord.InvocationInfo.ScriptName | Should -Be $file
        $failure.ErrorRecord.InvocationInfo.ScriptLineNumber | Should -Be 3
        $failure.ErrorRecord.ScriptStackTrace | Should -Match "$([regex]::Escape($file)): line 3"
    }

    It 'names the script file and line of a scriptblock written in a script, thrown or written (<How>)' -TestCases @(
        @{ How = 'throw'; Statement = 'throw "bad message: $($WsEvent.Request.Body)"' }
        @{ How = 'Write-Error'; Statement = 'Write-Error "bad message: $($WsEvent.Request.Body)"' }
    ) {
        param($How, $Statement)
        $script = Join-Path $TestDrive "bot-$How.ps1"
        Set-Content -LiteralPath $script -Value @"
param(`$Url)
# a bot script

Connect-PodeWebSocket -Name 'Bot' -Url `$Url -ContentType 'text/plain' -ScriptBlock {
    `$body = `$WsEvent.Request.Body
    $Statement
}
"@
        & $script -Url $script:Url
        Send-PodeWebSocket -Name 'Bot' -Message 'hello'
        $failure = Wait-HandlerError 'Bot'
        $failure.Message | Should -Be 'bad message: hello'
        $failure.ScriptName | Should -Be $script
        $failure.Line | Should -Be 6
        $failure.Position | Should -Match "^At $([regex]::Escape($script)):6"
        $failure.Position | Should -Match ([regex]::Escape("+ $Statement"))
        $failure.Position | Should -Not -Match $script:Generated
    }

    It 'names the line of a script the handler calls' {
        $helpers = Join-Path $TestDrive 'helpers.ps1'
        Set-Content -LiteralPath $helpers -Value @'
function Test-Message($Body) {
    # checks a message
    if ($Body -eq 'bad') { throw "deep failure" }
}
'@
        Connect-PodeWebSocket -Name 'Deep' -Url $script:Url -ContentType 'text/plain' -ScriptBlock {
            . $using:helpers
            Test-Message $WsEvent.Request.Body
        }
        Send-PodeWebSocket -Name 'Deep' -Message 'bad'
        $failure = Wait-HandlerError 'Deep'
        $failure.Message | Should -Be 'deep failure'
        $failure.ScriptName | Should -Be $helpers
        $failure.Line | Should -Be 3
        $failure.Position | Should -Match ([regex]::Escape('+ if ($Body -eq ''bad'') { throw "deep failure" }'))
        $failure.ErrorRecord.ScriptStackTrace | Should -Match "Handlers\.Tests\.ps1: line \d+"
    }

    It 'shows a one-line handler''s own line, not the wrapper (the line the user wrote it on)' {
        $script = Join-Path $TestDrive 'oneliner.ps1'
        Set-Content -LiteralPath $script -Value @'
param($Url)
Connect-PodeWebSocket -Name 'OneLine' -Url $Url -ContentType 'text/plain' -ScriptBlock { throw "boom" }
'@
        & $script -Url $script:Url
        Send-PodeWebSocket -Name 'OneLine' -Message 'x'
        $failure = Wait-HandlerError 'OneLine'
        $failure.Line | Should -Be 2
        $column = 'Connect-PodeWebSocket -Name ''OneLine'' -Url $Url -ContentType ''text/plain'' -ScriptBlock { '.Length + 1
        $failure.Position | Should -Match "^At $([regex]::Escape($script)):2 char:$column"
        $failure.Position | Should -Match ([regex]::Escape('+ Connect-PodeWebSocket -Name ''OneLine'' -Url $Url -ContentType ''text/plain'' -ScriptBlock { throw "boom" }'))
        $failure.Position | Should -Match ('\+ {' + $column + '}~{12}')
        $failure.Position | Should -Not -Match $script:Generated
    }

    It 'shows the line of a handler typed interactively (no file), with its own text' {
        # what a prompt does: the command line is a script without a file
        & ([scriptblock]::Create("Connect-PodeWebSocket -Name 'Typed' -Url '$($script:Url)' -ContentType 'text/plain' -ScriptBlock {`n  `$a = 1`n  throw 'typed boom'`n}"))
        Send-PodeWebSocket -Name 'Typed' -Message 'x'
        $failure = Wait-HandlerError 'Typed'
        $failure.ScriptName | Should -BeNullOrEmpty
        $failure.Line | Should -Be 3
        $failure.Location | Should -Be 'line 3'
        $failure.Position | Should -Match '^At line:3 char:3'
        $failure.Position | Should -Match ([regex]::Escape("+ throw 'typed boom'"))
        $failure.Position | Should -Not -Match $script:Generated
    }
    # the host output of a script that fails this way: Seed.Tests.ps1 (example 1)
}

# How a handler scriptblock becomes a steppable pipeline: $using: capture, -ArgumentList binding,
# fresh variables per message, and the fallback for scripts that cannot be a process block.
# Pipelines are built in this runspace exactly as a dispatcher builds them.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    function New-Definition {
        [CmdletBinding()]
        param([scriptblock]$ScriptBlock, [object[]]$ArgumentList, [string]$ContentType = 'text/plain')
        $definition = [PodeWebSocket.ConnectionDefinition]::new('compiler', 'ws://unit', $ContentType, $ArgumentList)
        $definition.SetHandler('Message', $ScriptBlock, $PSCmdlet.SessionState)
        return $definition
    }

    function Invoke-Handler($Definition, [string[]]$Bodies) {
        $pipeline = $Definition.CreatePipeline('Message')
        try {
            foreach ($body in $Bodies) {
                $request = [PodeWebSocket.WsRequest]::new($Definition.Connection, [System.Text.Encoding]::UTF8.GetBytes($body), $false)
                $wsEvent = [PodeWebSocket.WsEvent]::ForMessage($request, $Definition.ContentType, $null, [datetime]::UtcNow)
                $pipeline.Process($wsEvent)
            }
        }
        finally {
            $pipeline.Dispose()
        }
    }
}

Describe 'Handler compilation' {
    It 'puts a plain body into the process block of a wrapper' {
        $definition = New-Definition { $WsEvent.Request.Body }
        $script = $definition.GetHandler('Message')
        $script.IsFallback | Should -BeFalse
        $script.WrapperText | Should -Match 'process \{ foreach \(\$WsEvent in \$_\) \{'
        Invoke-Handler $definition 'a', 'b' | Should -Be @('a', 'b')
    }

    It 'captures $using: values from the caller when connecting' {
        $greeting = 'hello'
        $definition = New-Definition { "$($using:greeting) $($WsEvent.Request.Body)" }
        $greeting = 'changed later'
        $definition.UsingValues['greeting'] | Should -Be 'hello'
        Invoke-Handler $definition 'world' | Should -Be 'hello world'
    }

    It 'fails with UsingVariableNotFound for a $using: variable the caller does not have' {
        { New-Definition { $using:doesNotExist } } | Should -Throw -ExpectedMessage '*$using:doesNotExist could not be found*'
    }

    It 'leaves an unknown $using: inside a nested script block to that block' {
        $definition = New-Definition { $inner = 1; { $using:inner } }
        $definition.GetHandler('Message').UserText | Should -Match '\$using:inner'
    }

    It 'binds -ArgumentList to param() once, or to $args' {
        $definition = New-Definition { param($Prefix, [int]$Times) "$Prefix$($WsEvent.Request.Body * $Times)" } -ArgumentList '>', 2
        Invoke-Handler $definition 'ab' | Should -Be '>abab'
        $definition = New-Definition { "$($args[0])-$($WsEvent.Request.Body)" } -ArgumentList 'first'
        Invoke-Handler $definition 'x' | Should -Be 'first-x'
    }

    It 'starts every message with fresh variables, as a new scope would' {
        $definition = New-Definition {
            param($Label)
            if ($WsEvent.Request.Body -eq 'set') { $flag = 'was set'; [datetime]$when = [datetime]::UtcNow; $Label = 'changed' }
            foreach ($i in 1..2) { }
            $count++
            "$($WsEvent.Request.Body)|$flag|$count|$Label|$($null -eq $when)"
        } -ArgumentList 'orig'
        Invoke-Handler $definition 'set', 'next' | Should -Be @('set|was set|1|changed|False', 'next||1|orig|True')
    }

    It 'starts $script: variables fresh for every message, nested script blocks included, in the fallback too' {
        $definition = New-Definition {
            $script:count++
            1..2 | ForEach-Object { $script:sum += $_ }
            [int]$script:typed += 5
            "$($script:count)/$($script:sum)/$($script:typed)"
        }
        Invoke-Handler $definition 'a', 'b', 'c' | Should -Be @('1/3/5', '1/3/5', '1/3/5')
        $definition.GetHandler('Message').RestoreText | Should -Match '\$script:count = \$__pwsScript\d'
        # nothing is left behind for the next handler to find
        (Get-Variable -Name 'count', 'sum', 'typed' -Scope Script -ErrorAction Ignore).Value | Where-Object { $null -ne $_ } | Should -BeNullOrEmpty

        $definition = New-Definition { process { $script:count++; "p$($script:count)" } }
        $definition.GetHandler('Message').IsFallback | Should -BeTrue
        Invoke-Handler $definition 'a', 'b' | Should -Be @('p1', 'p1')
    }

    It 'pays nothing per message for a handler that assigns no variable' {
        $definition = New-Definition { $WsEvent.Request.Body.Length }
        $definition.GetHandler('Message').ResetText | Should -BeNullOrEmpty
        $definition.GetHandler('Message').RestoreText | Should -BeNullOrEmpty
    }

    It 'keeps every column of a line with $using: (errors point at the right character)' {
        $word = 'w'
        $definition = New-Definition { "$using:word" + (throw "col") }
        $definition.GetHandler('Message').UserText | Should -Match ([regex]::Escape('"$using_word" + (throw "col")'))
        $pipeline = $definition.CreatePipeline('Message')
        try {
            $request = [PodeWebSocket.WsRequest]::new($definition.Connection, [byte[]]@(), $false)
            $caught = $null
            try { $pipeline.Process([PodeWebSocket.WsEvent]::ForMessage($request, 'text/plain', $null, [datetime]::UtcNow)) } catch { $caught = $_ }
        }
        finally {
            $pipeline.Dispose()
        }
        $line = (Get-Content -LiteralPath $PSCommandPath)[$caught.InvocationInfo.ScriptLineNumber - 1]
        $caught.InvocationInfo.ScriptName | Should -Be $PSCommandPath
        $caught.InvocationInfo.OffsetInLine | Should -Be ($line.IndexOf('throw "col"') + 1)
    }

    It 'renames $using: out of the way of a variable named using_* of the handler''s own' {
        $word = 'outer'
        $definition = New-Definition { $using_word = 'mine'; "$using:word/$using_word" }
        Invoke-Handler $definition 'x' | Should -Be 'outer/mine'
    }

    It 'falls back to invoking the script for begin/process/end blocks and [CmdletBinding()]' {
        $definition = New-Definition { process { "p:$($WsEvent.Request.Body)" } }
        $definition.GetHandler('Message').IsFallback | Should -BeTrue
        Invoke-Handler $definition 'x' | Should -Be 'p:x'

        $definition = New-Definition { [CmdletBinding()] param([Parameter()] $Name) "$Name/$($WsEvent.Request.Body)" } -ArgumentList 'n'
        $definition.GetHandler('Message').IsFallback | Should -BeTrue
        Invoke-Handler $definition 'y' | Should -Be 'n/y'
    }

    It 'reports a syntax error in a handler file as InvalidScript' {
        $block = [scriptblock]::Create('"ok"')
        $definition = [PodeWebSocket.ConnectionDefinition]::new('compiler', 'ws://unit', 'text/plain', $null)
        { $definition.SetHandler('Message', $block, $null) } | Should -Not -Throw
    }
}

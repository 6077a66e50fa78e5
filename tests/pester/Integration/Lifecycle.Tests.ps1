# Connections over time: Reset with a new URL, Disconnect/Remove/Test, a server close reaching
# -OnClose, automatic reconnect, -OnError, and Remove-Module closing a runspace's connections.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    $script:Url = $script:Peer.Url
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Reset, Disconnect, Remove, Test' {
    AfterEach {
        Remove-TestConnections
    }

    It 'resets a connection to a new URL' {
        Connect-PodeWebSocket -Name 'Reset' -Url "$($script:Url)/echo?side=a"
        Send-PodeWebSocket -Name 'Reset' -Message '!path'
        (Receive-PodeWebSocket -Name 'Reset' -Timeout 10).Request.Body | Should -Be '/echo?side=a'

        Reset-PodeWebSocket -Name 'Reset' -Url "$($script:Url)/echo?side=b"
        Send-PodeWebSocket -Name 'Reset' -Message '!path'
        (Receive-PodeWebSocket -Name 'Reset' -Timeout 10).Request.Body | Should -Be '/echo?side=b'
        (Get-PodeWebSocket -Name 'Reset').Url | Should -Be "$($script:Url)/echo?side=b"
        (Get-PodeWebSocket -Name 'Reset').Reconnects | Should -Be 1
    }

    It 'disconnects (name kept, not open), resets back, removes (name free again)' {
        Connect-PodeWebSocket -Name 'Life' -Url "$($script:Url)/echo"
        Test-PodeWebSocket -Name 'Life' | Should -BeTrue
        (Get-PodeWebSocket -Name 'Life').State | Should -Be 'Open'

        Disconnect-PodeWebSocket -Name 'Life' -Code 4000 -Reason 'bye for now'
        Test-PodeWebSocket -Name 'Life' | Should -BeTrue
        $info = Get-PodeWebSocket -Name 'Life'
        $info.State | Should -Be 'Closed'
        $info.LastClose.Code | Should -Be 4000
        $info.LastClose.ClosedBy | Should -Be 'Local'
        { Send-PodeWebSocket -Name 'Life' -Message 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NotOpen,*'
        { Receive-PodeWebSocket -Name 'Life' -Timeout 5 -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NotOpen,*'

        Reset-PodeWebSocket -Name 'Life'
        (Get-PodeWebSocket -Name 'Life').State | Should -Be 'Open'
        Send-PodeWebSocket -Name 'Life' -Message 'again'
        (Receive-PodeWebSocket -Name 'Life' -Timeout 10).Request.Body | Should -Be 'again'

        Remove-PodeWebSocket -Name 'Life'
        Test-PodeWebSocket -Name 'Life' | Should -BeFalse
        { Get-PodeWebSocket -Name 'Life' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'

        Connect-PodeWebSocket -Name 'Life' -Url "$($script:Url)/echo"
        Test-PodeWebSocket -Name 'Life' | Should -BeTrue
    }

    It 'lets go of a removed connection''s arguments once its close handler ran (<How>)' -TestCases @(
        @{ How = 'removed while open' }
        @{ How = 'disconnected, then removed' }
    ) {
        param($How)
        $sink = New-TestSink
        # Only the connection holds the 4 MiB argument: the weak reference shows when the
        # module lets go of it (connect/remove churn must not keep every removed connection).
        $weak = & {
            $payload = [byte[]]::new(4MB)
            Connect-PodeWebSocket -Name 'Gone' -Url "$($script:Url)/echo" -ScriptBlock { param($P, $S) } `
                -OnClose { param($P, $S) $S.Enqueue('closed') } -ArgumentList $payload, $sink
            [System.WeakReference]::new($payload)
        }
        if ($How -like 'disconnected*') {
            Disconnect-PodeWebSocket -Name 'Gone'
            Wait-Until { $sink.Count -ge 1 } -Because 'the close handler'
        }
        Remove-PodeWebSocket -Name 'Gone'
        Wait-Until { $sink.Count -ge 1 } -Because 'the close handler'
        Wait-Until {
            [System.GC]::Collect()
            [System.GC]::WaitForPendingFinalizers()
            -not $weak.IsAlive
        } -Because 'the module to release the removed connection''s handlers and arguments'
        Test-PodeWebSocket -Name 'Gone' | Should -BeFalse
    }

    It 'gives up on a server that never answers the close frame after -CloseTimeout' {
        Connect-PodeWebSocket -Name 'Deaf' -Url "$($script:Url)/echo" -CloseTimeout 0.5
        Send-PodeWebSocket -Name 'Deaf' -Message '!freeze'
        # the peer stops reading, then says so: Disconnect waits -CloseTimeout (not the
        # default 5 s) for an answer that never comes
        (Receive-PodeWebSocket -Name 'Deaf' -Timeout 10).Request.Body | Should -Be 'frozen'
        $took = Measure-Command { Disconnect-PodeWebSocket -Name 'Deaf' }
        $took.TotalSeconds | Should -BeGreaterOrEqual 0.4
        $took.TotalSeconds | Should -BeLessThan 3
        (Get-PodeWebSocket -Name 'Deaf').State | Should -Be 'Closed'
    }

    It 'refuses a second connection with the same name (case-insensitive) and keeps the first' {
        Connect-PodeWebSocket -Name 'Twice' -Url "$($script:Url)/echo"
        { Connect-PodeWebSocket -Name 'TWICE' -Url "$($script:Url)/echo" } | Should -Throw -ErrorId 'PodeWebSocket.NameInUse,*'
        (Get-PodeWebSocket -Name 'Twice').State | Should -Be 'Open'
    }

    It 'disconnects, resets and removes from inside a handler without -Name' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Inside' -Url "$($script:Url)/echo" -ContentType 'text/plain' -ScriptBlock {
            switch ($WsEvent.Request.Body) {
                'disconnect' { Disconnect-PodeWebSocket -Reason 'asked' }
                'remove' { Remove-PodeWebSocket }
                default { ($using:sink).Enqueue($_) }
            }
        } -OnClose { ($using:sink).Enqueue("closed:$($WsEvent.Data.ClosedBy):$($WsEvent.Data.Reason)") }
        Send-PodeWebSocket -Name 'Inside' -Message 'disconnect'
        Wait-Until { (Get-PodeWebSocket -Name 'Inside').State -eq 'Closed' } -Because 'the handler to disconnect'
        Wait-Until { $sink.Count -ge 1 } -Because 'the close handler'
        $sink.ToArray()[0] | Should -Be 'closed:Local:asked'

        Reset-PodeWebSocket -Name 'Inside'
        Send-PodeWebSocket -Name 'Inside' -Message 'remove'
        Wait-Until { -not (Test-PodeWebSocket -Name 'Inside') } -Because 'the handler to remove its connection'
    }
}

Describe 'Server close, reconnect and errors' {
    AfterEach {
        Remove-TestConnections
    }

    It 'runs -OnOpen and -OnClose with the close code and reason of the server' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Closing' -Url "$($script:Url)/echo" -ScriptBlock { } `
            -OnOpen { param($S) $S.Enqueue("open:$($WsEvent.Data.Url)") } `
            -OnClose { param($S) $S.Enqueue("close:$($WsEvent.Data.Code):$($WsEvent.Data.Reason):$($WsEvent.Data.ClosedBy)") } `
            -ArgumentList (, $sink)
        Wait-Until { $sink.Count -ge 1 } -Because 'the open handler'
        Send-PodeWebSocket -Name 'Closing' -Message '!close 4001 going now'
        Wait-Until { $sink.Count -ge 2 } -Because 'the close handler'
        $sink.ToArray() | Should -Be @("open:$($script:Url)/echo", 'close:4001:going now:Remote')
        $info = Get-PodeWebSocket -Name 'Closing'
        $info.State | Should -Be 'Closed'
        $info.LastClose.Code | Should -Be 4001
        $info.LastClose.ClosedBy | Should -Be 'Remote'
    }

    It 'reconnects automatically after the connection is lost' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Again' -Url "$($script:Url)/echo" -ContentType 'text/plain' -Reconnect -ReconnectDelay 0.1 -ReconnectMaxDelay 0.5 `
            -ScriptBlock { param($S) $S.Enqueue("message:$($WsEvent.Request.Body)") } `
            -OnOpen { param($S) $S.Enqueue('open') } `
            -OnClose { param($S) $S.Enqueue("close:$($WsEvent.Data.ClosedBy)") } `
            -ArgumentList (, $sink)
        Wait-Until { $sink.Count -ge 1 } -Because 'the first open'
        Send-PodeWebSocket -Name 'Again' -Message '!drop'
        Wait-Until { @($sink.ToArray() | Where-Object { $_ -eq 'open' }).Count -ge 2 } -Because 'the reconnect'
        (Get-PodeWebSocket -Name 'Again').Reconnects | Should -BeGreaterOrEqual 1
        Send-PodeWebSocket -Name 'Again' -Message 'after reconnect'
        Wait-Until { $sink.ToArray() -contains 'message:after reconnect' } -Because 'the echo on the new connection'
        @($sink.ToArray() | Select-Object -First 3) | Should -Be @('open', 'close:Lost', 'open')
    }

    It 'closes with 1009 and reports MessageTooLarge for a message over -MaxMessageSize' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Limited' -Url "$($script:Url)/echo" -MaxMessageSize 16 -ScriptBlock { } `
            -OnError { param($S) $S.Enqueue($WsEvent.Data.ErrorId) } `
            -OnClose { param($S) $S.Enqueue("close:$($WsEvent.Data.Code):$($WsEvent.Data.ClosedBy)") } `
            -ArgumentList (, $sink)
        Send-PodeWebSocket -Name 'Limited' -Message "!text $('x' * 40)"
        Wait-Until { $sink.Count -ge 2 } -Because 'the error and the close'
        $sink.ToArray() | Should -Be @('PodeWebSocket.MessageTooLarge', 'close:1009:Local')
    }

    It 'reports failed reconnect attempts to -OnError and gives up after -ReconnectMaxAttempts' {
        $peer = Start-TestPeer
        try {
            $sink = New-TestSink
            Connect-PodeWebSocket -Name 'GiveUp' -Url "$($peer.Url)/echo" -Reconnect -ReconnectDelay 0.05 -ReconnectMaxDelay 0.1 -ReconnectMaxAttempts 2 `
                -ScriptBlock { } -OnError { param($S) $S.Enqueue($WsEvent.Data.ErrorId) } -ArgumentList (, $sink)
        }
        finally {
            Stop-TestPeer -Peer $peer
        }
        Wait-Until { (Get-PodeWebSocket -Name 'GiveUp').State -eq 'Closed' -and $sink.Count -ge 3 } -Timeout 20 -Because 'the attempts to fail'
        $ids = $sink.ToArray()
        $ids[0] | Should -Be 'PodeWebSocket.ConnectionRefused'
        $ids[1] | Should -Be 'PodeWebSocket.ConnectionRefused'
        $ids[2] | Should -Be 'PodeWebSocket.ReconnectGaveUp'
        (Get-PodeWebSocket -Name 'GiveUp').LastError | Should -Match 'gave up reconnecting after 2'
    }
}

Describe 'Module removal' {
    AfterEach {
        Remove-TestConnections
    }

    It 'closes the connections opened from the runspace that removes the module, and only those' {
        Connect-PodeWebSocket -Name 'MainRunspace' -Url "$($script:Url)/echo"
        $shell = New-TestShell
        try {
            $null = $shell.AddScript("
                Import-Module '$($script:ModuleManifest)' -ErrorAction Stop
                Connect-PodeWebSocket -Name 'OtherRunspace' -Url '$($script:Url)/echo' -ScriptBlock { }
                Test-PodeWebSocket -Name 'OtherRunspace'
                Remove-Module PodeWebSocket
            ").Invoke()
            $shell.HadErrors | Should -BeFalse
        }
        finally {
            Remove-TestShell $shell
        }
        Test-PodeWebSocket -Name 'OtherRunspace' | Should -BeFalse
        Test-PodeWebSocket -Name 'MainRunspace' | Should -BeTrue
        Send-PodeWebSocket -Name 'MainRunspace' -Message 'still here'
        (Receive-PodeWebSocket -Name 'MainRunspace' -Timeout 10).Request.Body | Should -Be 'still here'
    }
}

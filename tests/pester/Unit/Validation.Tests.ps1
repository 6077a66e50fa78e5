# Parameter validation, errors with stable ErrorIds for bad input (nothing left registered), the
# manifest and the help of every exported command.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Exported = @(
        'Connect-PodeWebSocket', 'Disconnect-PodeWebSocket', 'Get-PodeWebSocket', 'Get-PodeWebSocketEvent', 'Receive-PodeWebSocket',
        'Remove-PodeWebSocket', 'Reset-PodeWebSocket', 'Send-PodeWebSocket', 'Set-PodeWebSocketConcurrency',
        'Test-PodeWebSocket'
    )
}

Describe 'Manifest and help' {
    It 'passes Test-ModuleManifest and exports exactly the listed functions' {
        $manifest = Test-ModuleManifest -Path $script:ModuleManifest -ErrorAction Stop
        @($manifest.ExportedFunctions.Keys | Sort-Object) | Should -Be ($script:Exported | Sort-Object)
        @((Get-Module PodeWebSocket).ExportedCommands.Keys | Sort-Object) | Should -Be ($script:Exported | Sort-Object)
    }

    It 'has complete help for <_>' -ForEach @(
        'Connect-PodeWebSocket', 'Disconnect-PodeWebSocket', 'Get-PodeWebSocket', 'Get-PodeWebSocketEvent', 'Receive-PodeWebSocket',
        'Remove-PodeWebSocket', 'Reset-PodeWebSocket', 'Send-PodeWebSocket', 'Set-PodeWebSocketConcurrency',
        'Test-PodeWebSocket'
    ) {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$_\s"
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        foreach ($parameter in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $described = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            ($described.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }
}

Describe 'Bad input' {
    It 'rejects URLs that are not ws:// or wss:// with InvalidUrl and registers nothing' {
        { Connect-PodeWebSocket -Name 'bad-url' -Url 'http://127.0.0.1:1/' -ScriptBlock { } } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidUrl,*'
        { Connect-PodeWebSocket -Name 'bad-url' -Url 'not a url' } | Should -Throw -ErrorId 'PodeWebSocket.InvalidUrl,*'
        Test-PodeWebSocket -Name 'bad-url' | Should -BeFalse
        [PodeWebSocket.Registry]::Find('bad-url') | Should -BeNullOrEmpty
    }

    It 'validates parameters before connecting' {
        { Connect-PodeWebSocket -Name '' -Url 'ws://127.0.0.1:1' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -ConnectTimeout 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -PingInterval -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -Reconnect -ReconnectDelay 10 -ReconnectMaxDelay 1 } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidArgument,*'
        { Send-PodeWebSocket -Name 'v' -Message 'x' -Type 'Frame' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Set-PodeWebSocketConcurrency -Maximum 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Disconnect-PodeWebSocket -Name 'v' -Code 999 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'rejects bad options with the cause' {
        $credential = [pscredential]::new('user', (ConvertTo-SecureString 'pass' -AsPlainText -Force))
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -Credential $credential -Headers @{ Authorization = 'Bearer x' } } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidArgument,*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -Headers @{ 'bad header' = 'x' } } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidOptions,*' -ExpectedMessage "*bad header*"
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -SubProtocol 'a b' } | Should -Throw -ErrorId 'PodeWebSocket.InvalidOptions,*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -Proxy 'ftp://proxy:21' } | Should -Throw -ErrorId 'PodeWebSocket.*'
        Test-PodeWebSocket -Name 'v' | Should -BeFalse
    }

    It 'reports handler problems at connect time' {
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -ScriptBlock { $using:nowhere } } |
            Should -Throw -ErrorId 'PodeWebSocket.UsingVariableNotFound,*'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -FilePath (Join-Path $TestDrive 'missing.ps1') } |
            Should -Throw -ErrorId 'PodeWebSocket.FileNotFound,*'
        $broken = Join-Path $TestDrive 'broken.ps1'
        Set-Content -LiteralPath $broken -Value 'if ($true) {'
        { Connect-PodeWebSocket -Name 'v' -Url 'ws://127.0.0.1:1' -FilePath $broken } | Should -Throw -ErrorId 'PodeWebSocket.InvalidScript,*'
    }

    It 'answers UnknownName for a name that does not exist' {
        { Send-PodeWebSocket -Name 'ghost' -Message 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        { Disconnect-PodeWebSocket -Name 'ghost' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        { Reset-PodeWebSocket -Name 'ghost' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        { Remove-PodeWebSocket -Name 'ghost' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        { Get-PodeWebSocket -Name 'ghost' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        { Receive-PodeWebSocket -Name 'ghost' -Timeout 1 -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.UnknownName,*'
        Get-PodeWebSocket -Name 'ghost*' | Should -BeNullOrEmpty
        Test-PodeWebSocket -Name 'ghost' | Should -BeFalse
    }
}

Describe 'Name resolution' {
    It 'needs -Name outside a handler' {
        { Send-PodeWebSocket -Message 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NameRequired,*'
        { Disconnect-PodeWebSocket -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NameRequired,*'
        { Reset-PodeWebSocket -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NameRequired,*'
        { Remove-PodeWebSocket -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.NameRequired,*'
    }

    It 'takes the connection from the $WsEvent in scope' {
        $connection = [PodeWebSocket.WsConnection]::new('from-event', 'ws://unit', 'application/json')
        $request = [PodeWebSocket.WsRequest]::new($connection, [byte[]]@(), $false)
        $WsEvent = [PodeWebSocket.WsEvent]::ForMessage($request, 'application/json', $null, [datetime]::UtcNow)
        # the name comes from $WsEvent: the error names that connection
        { Send-PodeWebSocket -Message 'x' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'from-event'*"
        { Disconnect-PodeWebSocket -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'from-event'*"
        { Remove-PodeWebSocket -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'from-event'*"
        { Reset-PodeWebSocket -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'from-event'*"
    }
}

# The help as a user reads it: every example of every command runs (against the python peer: the
# example's ws:// or wss:// URL is replaced by the peer's, an echo for examples that receive,
# else a quiet room where nothing comes back, so a handler that answers every message does not
# talk to itself; -Confirm is answered with -Confirm:$false), and about_PodeWebSocket explains
# what users need to know. (Unit/Validation.Tests.ps1 checks that every parameter is described.)

BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $Examples = foreach ($command in @((Get-Module PodeWebSocket).ExportedFunctions.Keys | Sort-Object)) {
        $index = 0
        foreach ($example in @((Get-Help $command -Full).Examples.Example)) {
            $index++
            @{ Command = $command; Index = $index; Code = ($example.Code -join "`n") }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    # Connect-PodeWebSocket's example offers the subprotocol v2.json
    $script:Peer = Start-TestPeer -Arguments '--subprotocol', 'v2.json'
    $script:Room = 0

    # what the examples expect to find: files in the current folder, a variable
    $script:ExampleDir = Join-Path $TestDrive 'examples'
    $null = New-Item -ItemType Directory -Path (Join-Path $script:ExampleDir 'handlers') -Force
    Set-Content -LiteralPath (Join-Path $script:ExampleDir 'handlers/api.ps1') -Value '$null = $WsEvent.Request.Body'
    [System.IO.File]::WriteAllBytes((Join-Path $script:ExampleDir 'image.png'), [byte[]](0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 3))
}

AfterAll {
    Remove-TestConnections
    Set-PodeWebSocketConcurrency -Maximum 2
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Every example in the help runs' {
    AfterEach {
        Remove-TestConnections
        Set-PodeWebSocketConcurrency -Maximum 2
        Pop-Location -ErrorAction Ignore
    }

    It '<Command> example <Index>' -TestCases $Examples {
        param($Command, $Index, $Code)
        $echo = "$($script:Peer.Url)/echo"
        $script:Room++
        # the example's URL on the peer, its path kept: any path echoes, a /relay/ room stays quiet
        $base = $script:Peer.Url + $(if ($Code -match 'Receive-PodeWebSocket') { '' } else { "/relay/example-$($script:Room)" })
        $runnable = [regex]::Replace($Code, 'wss?://[^/''"\s]+', $base)
        $runnable = $runnable -replace '-Confirm\b(?!:)', '-Confirm:$false'

        # the connections an example uses without connecting them itself
        foreach ($name in 'Example', 'Probe') {
            if ($Code -notmatch "(?<![\w-])Connect-PodeWebSocket -Name '$name'") {
                Connect-PodeWebSocket -Name $name -Url $echo
            }
        }
        $key = 'an-api-key'
        # the script's own function an example names (the Slack example: the first URL)
        function Get-SlackSocketUrl { $echo }
        # relative paths: PowerShell's (Push-Location) and .NET's ([System.IO.File])
        Push-Location -LiteralPath $script:ExampleDir
        $processDir = [System.Environment]::CurrentDirectory
        [System.Environment]::CurrentDirectory = $script:ExampleDir
        try {
            $ErrorActionPreference = 'Stop'
            & ([scriptblock]::Create($runnable)) 3>$null 4>$null 6>$null | Out-Null
        }
        finally {
            $ErrorActionPreference = 'Continue'
            [System.Environment]::CurrentDirectory = $processDir
        }
        Get-PodeWebSocket | Where-Object HandlerErrors -gt 0 | Should -BeNullOrEmpty -Because "the handlers of $Command example $Index must not fail"
    }
}

Describe 'about_PodeWebSocket' {
    It 'is installed with the module and explains <_>' -TestCases @(
        @{ Topic = 'dispatchers'; Pattern = 'HANDLERS AND DISPATCHERS' }
        @{ Topic = 'ordering'; Pattern = 'ORDERING' }
        @{ Topic = 'backpressure'; Pattern = 'BACKPRESSURE' }
        @{ Topic = 'reconnects'; Pattern = 'RECONNECTS' }
        @{ Topic = 'compression'; Pattern = 'COMPRESSION' }
        @{ Topic = 'proxies'; Pattern = 'PROXIES' }
        @{ Topic = 'the Pode integration'; Pattern = 'INSIDE A PODE SERVER' }
        @{ Topic = 'finding out what went wrong'; Pattern = 'Get-PodeWebSocketEvent' }
    ) {
        param($Topic, $Pattern)
        $manifestDir = Split-Path $script:ModuleManifest
        Test-Path -LiteralPath (Join-Path $manifestDir 'en-US/about_PodeWebSocket.help.txt') | Should -BeTrue
        $text = Get-Help about_PodeWebSocket | Out-String
        $text | Should -Match 'about_PodeWebSocket'
        $text | Should -Match $Pattern -Because "it explains $Topic"
    }
}

# Loading: the native library comes from the module's own folder whatever the current directory;
# importing twice and in several runspaces at once works.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
}

Describe 'Module loading' {
    It 'loads the native library from lib/<os>-<arch>/ under the module' {
        $os = $(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' })
        $arch = $(switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } })
        $expected = Join-Path (Split-Path $script:ModuleManifest) "lib/$os-$arch"
        Split-Path ([PodeWebSocket.NativeLibraryLoader]::LibraryPath) | Should -Be $expected
        [PodeWebSocket.Client]::Version() | Should -Match '^\d+\.\d+\.\d+'
    }

    It 'compiles its C# glue with the JIT optimizer on (Add-Type builds Debug by default)' {
        $assembly = [PodeWebSocket.NativeLibraryLoader].Assembly
        $debuggable = $assembly.GetCustomAttributes([System.Diagnostics.DebuggableAttribute], $false)
        @($debuggable | Where-Object IsJITOptimizerDisabled) | Should -BeNullOrEmpty
    }

    It 'works from another current directory in a new process' {
        $pwsh = Get-TestPwsh
        $output = & $pwsh -NoProfile -NonInteractive -WorkingDirectory ([System.IO.Path]::GetTempPath()) -Command "
            Import-Module '$($script:ModuleManifest)' -ErrorAction Stop
            [PodeWebSocket.Client]::Version()
            Test-PodeWebSocket -Name 'nothing'
        "
        $LASTEXITCODE | Should -Be 0
        $output | Should -Be @([PodeWebSocket.Client]::Version(), 'False')
    }

    It 'can be imported again' {
        Import-Module $script:ModuleManifest -Force -ErrorAction Stop
        Test-PodeWebSocket -Name 'nothing' | Should -BeFalse
        Import-Module $script:ModuleManifest -Force -ErrorAction Stop -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
    }

    It 'can be imported in several runspaces at the same time' {
        $manifest = $script:ModuleManifest
        $versions = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:manifest -ErrorAction Stop
            [PodeWebSocket.Client]::Version()
            Remove-Module PodeWebSocket
        }
        $versions.Count | Should -Be 4
        @($versions | Select-Object -Unique).Count | Should -Be 1
        # the types are shared by the process, not compiled again
        @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetType('PodeWebSocket.Client') }).Count | Should -Be 1
    }
}

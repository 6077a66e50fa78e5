# One version: Cargo.toml's is the source; the manifest's ModuleVersion, the library's
# pode_ws_version, the glue assembly's version (read from Cargo.toml at build time) and the README
# must say the same (scripts/package.sh refuses to package otherwise).

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $cargo = Get-Content -Raw -LiteralPath (Join-Path $script:RepoRoot 'Cargo.toml')
    $script:Version = [regex]::Match($cargo, '(?m)^version = "([^"]+)"').Groups[1].Value
    $script:Readme = Get-Content -Raw -LiteralPath (Join-Path $script:RepoRoot 'README.md')
}

Describe 'The version' {
    It 'is a version in Cargo.toml' {
        $script:Version | Should -Match '^\d+\.\d+\.\d+$'
    }

    It 'is the manifest''s ModuleVersion' {
        (Import-PowerShellDataFile -LiteralPath $script:ModuleManifest).ModuleVersion | Should -Be $script:Version
        (Get-Module PodeWebSocket).Version.ToString(3) | Should -Be $script:Version
    }

    It 'is what the library says (pode_ws_version)' {
        [PodeWebSocket.Client]::Version() | Should -Be $script:Version
    }

    It 'is the glue assembly''s version' {
        [PodeWebSocket.NativeLibraryLoader].Assembly.GetName().Version.ToString(3) | Should -Be $script:Version
    }

    It 'is the release the README names, in every package name and folder it shows' {
        $named = @([regex]::Matches($script:Readme, 'The current release is \*\*([^*]+)\*\*') | ForEach-Object { $_.Groups[1].Value })
        $named | Should -Be @($script:Version)
        $shown = @([regex]::Matches($script:Readme, 'PodeWebSocket[./](\d+\.\d+\.\d+)') | ForEach-Object { $_.Groups[1].Value })
        $shown.Count | Should -BeGreaterThan 0
        @($shown | Where-Object { $_ -ne $script:Version }) | Should -BeNullOrEmpty
    }
}

# The release package, installed as a user installs it: scripts/package.sh builds it from the staged
# module (scripts/test-pester.sh has just built that), Install-PSResource installs it from a local
# file repository into a throw-away home, and a fresh pwsh that sees only that copy imports it by
# name and talks to a server. Linux and macOS only: on Windows the per-user folders PSResourceGet
# installs into cannot be redirected by environment variables.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) "podews-package-$([guid]::NewGuid().ToString('N'))"
    $script:ModuleDir = Split-Path $script:ModuleManifest
    $cargo = Get-Content -Raw -LiteralPath (Join-Path $script:RepoRoot 'Cargo.toml')
    $script:Version = [regex]::Match($cargo, '(?m)^version = "([^"]+)"').Groups[1].Value
    $script:Platform = [PodeWebSocket.NativeLibraryLoader]::PlatformFolder()
    $script:LibraryFile = Split-Path -Leaf ([PodeWebSocket.NativeLibraryLoader]::RelativeLibraryPath())
    $script:PlatformTags = @('Linux', 'MacOS', 'Windows')

    # Runs scripts/package.sh; returns the folder of the packaged module.
    function Invoke-Package([string]$Out, [string[]]$Extra = @()) {
        $bash = (Get-Command -Name bash -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
        $arguments = @((Join-Path $script:RepoRoot 'scripts/package.sh'), '--no-build', '--out', $Out) + $Extra
        $result = Invoke-TestProcess -FilePath $bash -Arguments $arguments -TimeoutSeconds 300
        if ($result.ExitCode -ne 0) {
            throw "scripts/package.sh failed ($($result.ExitCode)):`n$($result.Output -join "`n")"
        }
        return (Join-Path $Out "PodeWebSocket/$($script:Version)")
    }

    # Relative paths of the files under a folder, '/'-separated, sorted.
    function Get-RelativeFiles([string]$Folder) {
        return @(Get-ChildItem -LiteralPath $Folder -Recurse -File -Force |
                ForEach-Object { [System.IO.Path]::GetRelativePath($Folder, $_.FullName).Replace('\', '/') } |
                Sort-Object)
    }

    function Get-NupkgEntries([string]$Nupkg) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Nupkg)
        try {
            # NuGet's own parts aside
            return @($zip.Entries | Where-Object { $_.FullName -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|PodeWebSocket\.nuspec$)' } |
                    ForEach-Object { [uri]::UnescapeDataString($_.FullName) } | Sort-Object)
        }
        finally {
            $zip.Dispose()
        }
    }

    function Get-NuspecTags([string]$Nupkg) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Nupkg)
        try {
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('PodeWebSocket.nuspec').Open())
            [xml]$nuspec = $reader.ReadToEnd()
            $reader.Dispose()
            return @($nuspec.package.metadata.tags -split ' ')
        }
        finally {
            $zip.Dispose()
        }
    }

    $script:Dist = Join-Path $script:Work 'dist'
    $script:Packaged = Invoke-Package -Out $script:Dist
    $script:Nupkg = Join-Path $script:Dist "repository/PodeWebSocket.$($script:Version).nupkg"
}

AfterAll {
    Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The release package' {
    It 'holds every file of the module folder and the LICENSE, in dist/ and in the .nupkg, with Private/ and Public/ folded into the psm1' {
        $expected = @(@(Get-RelativeFiles $script:ModuleDir | Where-Object { $_ -notmatch '(^|/)\.|\.tmp\.|~$|\.swp$|^(Private|Public)/' }) + 'LICENSE' | Sort-Object)
        $expected | Should -Contain 'bin/PodeWebSocket.dll'
        $expected | Should -Contain "lib/$($script:Platform)/$($script:LibraryFile)"
        Get-RelativeFiles $script:Packaged | Should -Be $expected
        Test-Path -LiteralPath $script:Nupkg -PathType Leaf | Should -BeTrue
        Get-NupkgEntries $script:Nupkg | Should -Be $expected
        Get-Content -Raw -LiteralPath (Join-Path $script:Packaged 'LICENSE') | Should -BeLike 'MIT License*'
    }

    It 'defines in its one psm1 every function of Private/ and Public/, and dot-sources nothing' {
        $functions = {
            param([string]$Path)
            $tokens = $null
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | ForEach-Object Name)
        }
        $sources = @(foreach ($folder in 'Private', 'Public') {
                foreach ($file in Get-ChildItem -LiteralPath (Join-Path $script:ModuleDir $folder) -Filter '*.ps1') { & $functions $file.FullName }
            })
        $sources.Count | Should -BeGreaterThan 10
        $packaged = Join-Path $script:Packaged 'PodeWebSocket.psm1'
        @(& $functions $packaged | Sort-Object) | Should -Be @($sources | Sort-Object)
        Get-Content -Raw -LiteralPath $packaged | Should -Not -Match '\.\s+\$file'
    }

    It 'ships the library stripped, its debug information kept beside the package' {
        $readelf = Get-Command -Name readelf -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $IsLinux -or $null -eq $readelf) {
            Set-ItResult -Skipped -Because 'checked on Linux with readelf (macOS strips with strip -x, Windows keeps a .pdb)'
            return
        }
        $source = Join-Path $script:ModuleDir "lib/$($script:Platform)/$($script:LibraryFile)"
        $packaged = Join-Path $script:Packaged "lib/$($script:Platform)/$($script:LibraryFile)"
        (& $readelf.Source -S $packaged) -match '\.debug_' | Should -BeNullOrEmpty
        if ((& $readelf.Source -S $source) -match '\.debug_info') {
            $debug = Join-Path $script:Dist "symbols/$($script:Platform)/$($script:LibraryFile).debug"
            (& $readelf.Source -S $debug) -match '\.debug_info' | Should -Not -BeNullOrEmpty
            (Get-Item -LiteralPath $packaged).Length | Should -BeLessThan ((Get-Item -LiteralPath $source).Length / 2)
        }
    }

    It 'has the metadata of a release, and Tags naming the platforms of the lib/ folders it holds' {
        $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $script:Packaged 'PodeWebSocket.psd1')
        $manifest.ModuleVersion | Should -Be $script:Version
        $manifest.ContainsKey('FileList') | Should -BeFalse
        $manifest.PrivateData.PSData.ProjectUri | Should -Match '^https://'
        $manifest.PrivateData.PSData.LicenseUri | Should -Match '^https://.*LICENSE$'
        $manifest.PrivateData.PSData.ReleaseNotes | Should -Match "^$([regex]::Escape($script:Version))\b"
        $expected = @{ linux = 'Linux'; osx = 'MacOS'; win = 'Windows' }[$script:Platform.Split('-')[0]]
        @($manifest.PrivateData.PSData.Tags | Where-Object { $script:PlatformTags -contains $_ }) | Should -Be @($expected)
        @(Get-NuspecTags $script:Nupkg | Where-Object { $script:PlatformTags -contains $_ }) | Should -Be @($expected)
    }

    It 'names every platform when it holds every platform''s lib/ folder (as the CI workflow assembles it)' {
        $copy = Join-Path $script:Work 'every-platform/PodeWebSocket'
        $null = New-Item -ItemType Directory -Path $copy -Force
        Copy-Item -Path (Join-Path $script:ModuleDir '*') -Destination $copy -Recurse
        # stand-ins: package.sh strips ELF files only and leaves the others as their builds made them
        foreach ($other in 'win-x64/pode_ws.dll', 'osx-arm64/libpode_ws.dylib', 'osx-x64/libpode_ws.dylib') {
            $null = New-Item -ItemType File -Path (Join-Path $copy "lib/$other") -Force
        }
        $out = Join-Path $script:Work 'every-platform/dist'
        $packaged = Invoke-Package -Out $out -Extra @('--module', $copy)
        $tags = (Import-PowerShellDataFile -LiteralPath (Join-Path $packaged 'PodeWebSocket.psd1')).PrivateData.PSData.Tags
        @($tags | Where-Object { $script:PlatformTags -contains $_ }) | Should -Be @('Linux', 'MacOS', 'Windows')
        @(Get-NuspecTags (Join-Path $out "repository/PodeWebSocket.$($script:Version).nupkg") | Where-Object { $script:PlatformTags -contains $_ }) |
            Should -Be @('Linux', 'MacOS', 'Windows')
        $held = @([PodeWebSocket.NativeLibraryLoader]::PackagedPlatforms($script:ModuleDir))
        @(Get-ChildItem -LiteralPath (Join-Path $packaged 'lib') -Directory | ForEach-Object Name | Sort-Object) |
            Should -Be @(@('osx-arm64', 'osx-x64', 'win-x64') + $held | Sort-Object -Unique)
    }

    It 'installs with Install-PSResource and imports by name in a fresh pwsh that sees only that copy, writing no file' {
        if ($IsWindows) {
            Set-ItResult -Skipped -Because 'PSResourceGet''s per-user folders cannot be redirected on Windows'
            return
        }
        $root = Join-Path $script:Work 'user'
        $userHome = Join-Path $root 'home'
        # a user's per-user folders, all in one throw-away place (.NET answers "" for one that
        # does not exist, so they are made first; macOS keeps LocalApplicationData under Library/)
        $environment = @{
            HOME            = $userHome
            XDG_DATA_HOME   = Join-Path $userHome '.local/share'
            XDG_CACHE_HOME  = Join-Path $userHome '.cache'
            XDG_CONFIG_HOME = Join-Path $userHome '.config'
            TMPDIR          = Join-Path $root 'tmp'
        }
        foreach ($dir in @($environment.Values) + (Join-Path $userHome 'Library/Application Support')) {
            $null = New-Item -ItemType Directory -Path $dir -Force
        }

        $install = Invoke-FreshPwsh -Environment $environment -TimeoutSeconds 180 -Command "
            `$ErrorActionPreference = 'Stop'
            Register-PSResourceRepository -Name 'PodeWebSocketLocal' -Uri '$(Join-Path $script:Dist 'repository')' -Trusted
            Install-PSResource -Name 'PodeWebSocket' -Repository 'PodeWebSocketLocal' -Scope CurrentUser
            `$installed = Get-InstalledPSResource -Name 'PodeWebSocket'
            'version ' + `$installed.Version
            'location ' + `$installed.InstalledLocation
        "
        $install.ExitCode | Should -Be 0 -Because ($install.Output -join "`n")
        $install.Output | Should -Contain "version $($script:Version)"
        $modules = ($install.Output | Where-Object { $_ -like 'location *' }).Substring('location '.Length)
        $modules | Should -BeLike "$userHome*"
        $base = Join-Path $modules "PodeWebSocket/$($script:Version)"
        Get-RelativeFiles $base | Should -Contain "lib/$($script:Platform)/$($script:LibraryFile)"

        $peer = Start-TestPeer
        try {
            $environment['PSModulePath'] = $modules
            $result = Invoke-FreshPwsh -Environment $environment -Command "
                `$ErrorActionPreference = 'Stop'
                function Get-Files { Get-ChildItem -LiteralPath '$root' -Recurse -Force -File | ForEach-Object { '{0} {1} {2}' -f `$_.FullName, `$_.Length, `$_.LastWriteTimeUtc.Ticks } }
                `$before = @(Get-Files)
                Import-Module PodeWebSocket
                `$after = @(Get-Files)
                Compare-Object `$before `$after | ForEach-Object { 'changed: ' + `$_.SideIndicator + ' ' + `$_.InputObject }
                'module ' + (Get-Module PodeWebSocket).ModuleBase
                'library ' + [PodeWebSocket.NativeLibraryLoader]::LibraryPath
                'available ' + @(Get-Module -ListAvailable -Name PodeWebSocket).Count
                'help ' + ((Get-Command -Module PodeWebSocket | Sort-Object Name | ForEach-Object { (Get-Help `$_.Name).Synopsis }) -join ' | ')
                try { Send-PodeWebSocket -Name 'nothing' -Message 'x' -ErrorAction Stop } catch { 'error ' + `$_.FullyQualifiedErrorId + ' at ' + `$_.InvocationInfo.MyCommand.Name }
                Connect-PodeWebSocket -Name 'installed' -Url '$($peer.Url)/echo'
                Send-PodeWebSocket -Name 'installed' -Message 'hello from the package'
                'echo ' + (Receive-PodeWebSocket -Name 'installed' -Timeout 10).Request.Body
                Remove-PodeWebSocket -Name 'installed'
                Remove-Module PodeWebSocket
                'loaded ' + @(Get-Module -Name PodeWebSocket).Count
            "
            # the help and errors of the folded psm1 (scripts/fold-module.ps1) are those of the sources
            $help = (Get-Command -Module PodeWebSocket | Sort-Object Name | ForEach-Object { (Get-Help $_.Name).Synopsis }) -join ' | '
            $help | Should -Match 'Connects to an external WebSocket server'
            $unknown = try { Send-PodeWebSocket -Name 'nothing' -Message 'x' -ErrorAction Stop } catch { 'error ' + $_.FullyQualifiedErrorId + ' at ' + $_.InvocationInfo.MyCommand.Name }
            $unknown | Should -BeLike 'error PodeWebSocket.*'
            $result.Output | Should -Be @(
                "module $base"
                "library $(Join-Path $base "lib/$($script:Platform)/$($script:LibraryFile)")"
                'available 1'
                "help $help"
                $unknown
                'echo hello from the package'
                'loaded 0'
            )
            $result.ExitCode | Should -Be 0
        }
        finally {
            Stop-TestPeer -Peer $peer
        }
    }
}

# Loading: the glue assembly and the native library come from the module's own folder whatever
# the current directory; importing twice and in several runspaces at once works; an import writes
# no file and works from a read-only folder.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:ModuleDir = Split-Path $script:ModuleManifest

    # A copy of the staged module (everything its folder holds, as a package would) in a new
    # temporary folder.
    function Copy-TestModule([string]$Destination) {
        $null = New-Item -ItemType Directory -Path $Destination -Force
        foreach ($item in Get-ChildItem -LiteralPath $script:ModuleDir) {
            Copy-Item -LiteralPath $item.FullName -Destination $Destination -Recurse
        }
        return (Join-Path $Destination 'PodeWebSocket.psd1')
    }

    # Imports a module copy in a fresh pwsh; returns the import error's id and message (or 'imported').
    function Import-CopyInFreshPwsh([string]$Manifest) {
        return Invoke-FreshPwsh -Command "
            try { Import-Module '$Manifest' -ErrorAction Stop; 'imported' }
            catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category.ToString(); `$_.Exception.Message }
        "
    }
}

Describe 'Module loading' {
    It 'loads the native library from lib/<os>-<arch>/ under the module' {
        $os = $(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' })
        $arch = $(switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } })
        $expected = Join-Path (Split-Path $script:ModuleManifest) "lib/$os-$arch"
        Split-Path ([PodeWebSocket.NativeLibraryLoader]::LibraryPath) | Should -Be $expected
        [PodeWebSocket.Client]::Version() | Should -Match '^\d+\.\d+\.\d+'
    }

    It 'loads its C# glue from bin/ under the module, compiled ahead of time' {
        $assembly = [PodeWebSocket.NativeLibraryLoader].Assembly
        $assembly.Location | Should -Be ([System.IO.Path]::GetFullPath((Join-Path $script:ModuleDir 'bin/PodeWebSocket.dll')))
        $assembly.GetName().Name | Should -Be 'PodeWebSocket'
    }

    It 'ships its C# glue as a Release build (the JIT optimizes the dispatcher)' {
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

    It 'loads no cmdlet module while it is imported (each would cost a fresh pwsh about 0.13 s)' {
        # Get-Module is in the always-loaded core; Sort-Object here would load .Utility
        $result = Invoke-FreshPwsh -Command "
            Import-Module '$($script:ModuleManifest)' -ErrorAction Stop
            [string]::Join(',', @((Get-Module).Name))
        "
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be @('PodeWebSocket')
    }

    It 'exports its public commands only, also when the .psm1 is imported alone' {
        $psm1 = Join-Path $script:ModuleDir 'PodeWebSocket.psm1'
        $result = Invoke-FreshPwsh -Command "
            Import-Module '$psm1' -ErrorAction Stop
            @((Get-Module PodeWebSocket).ExportedCommands.Keys | Sort-Object) -join ','
        "
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be @(((Test-ModuleManifest -Path $script:ModuleManifest).ExportedFunctions.Keys | Sort-Object) -join ',')
    }

    It 'has nothing but function definitions in its script files (the psm1 loads them in any order)' {
        foreach ($folder in 'Private', 'Public') {
            foreach ($file in Get-ChildItem -LiteralPath (Join-Path $script:ModuleDir $folder) -Filter '*.ps1') {
                $tokens = $null; $errors = $null
                $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$tokens, [ref]$errors)
                $errors | Should -BeNullOrEmpty -Because $file.Name
                $ast.ParamBlock | Should -BeNullOrEmpty -Because $file.Name
                @($ast.BeginBlock, $ast.ProcessBlock) | Where-Object { $_ } | Should -BeNullOrEmpty -Because $file.Name
                $other = @($ast.EndBlock.Statements | Where-Object { $_ -isnot [System.Management.Automation.Language.FunctionDefinitionAst] })
                $other | ForEach-Object { "$($file.Name): $($_.Extent.Text)" } | Should -BeNullOrEmpty
            }
        }
    }

    It 'writes no file when it is imported' {
        # the per-user places a module could write to, all inside one new folder
        $root = Join-Path ([System.IO.Path]::GetTempPath()) "podews-import-$([guid]::NewGuid().ToString('N'))"
        $environment = @{
            HOME            = Join-Path $root 'home'
            XDG_CACHE_HOME  = Join-Path $root 'home/.cache'
            XDG_DATA_HOME   = Join-Path $root 'home/.local/share'
            XDG_CONFIG_HOME = Join-Path $root 'home/.config'
            TMPDIR          = Join-Path $root 'tmp'
        }
        foreach ($dir in $environment.Values) {
            $null = New-Item -ItemType Directory -Path $dir -Force
        }
        try {
            $watched = @($root, $script:ModuleDir) | ForEach-Object { "'$_'" }
            $result = Invoke-FreshPwsh -Environment $environment -Command "
                `$ErrorActionPreference = 'Stop'
                function Get-Files { Get-ChildItem -LiteralPath $($watched -join ',') -Recurse -Force -File | ForEach-Object { '{0} {1} {2}' -f `$_.FullName, `$_.Length, `$_.LastWriteTimeUtc.Ticks } }
                `$before = @(Get-Files)
                Import-Module '$($script:ModuleManifest)'
                `$null = [PodeWebSocket.Client]::Version()
                `$after = @(Get-Files)
                Compare-Object `$before `$after | ForEach-Object { 'changed: ' + `$_.SideIndicator + ' ' + `$_.InputObject }
                'imported'
            "
            $result.Output | Should -Be @('imported')
            $result.ExitCode | Should -Be 0
        }
        finally {
            Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'fails to import without this platform''s library, naming the file it looked for and the platforms the copy holds' {
        $root = Join-Path ([System.IO.Path]::GetTempPath()) "podews-nolib-$([guid]::NewGuid().ToString('N'))"
        $moduleCopy = Join-Path $root 'PodeWebSocket'
        $manifest = Copy-TestModule -Destination $moduleCopy
        $relative = [PodeWebSocket.NativeLibraryLoader]::RelativeLibraryPath()
        $platform = [PodeWebSocket.NativeLibraryLoader]::PlatformFolder()
        try {
            Remove-Item -LiteralPath (Join-Path $moduleCopy "lib/$platform") -Recurse -Force
            # a package built for other platforms only (the files need not be real libraries)
            foreach ($other in 'win-arm64/pode_ws.dll', 'osx-x64/libpode_ws.dylib') {
                $null = New-Item -ItemType File -Path (Join-Path $moduleCopy "lib/$other") -Force
            }
            $null = New-Item -ItemType Directory -Path (Join-Path $moduleCopy 'lib/linux-riscv64') -Force
            $result = Import-CopyInFreshPwsh -Manifest $manifest
            $result.Output[0] | Should -BeLike 'PodeWebSocket.NativeLibraryUnavailable,*'
            $result.Output[1] | Should -Be 'NotInstalled'
            $message = $result.Output[2..($result.Output.Count - 1)] -join "`n"
            $message | Should -BeLike "*no native library for $platform*"
            $message | Should -BeLike "*'$([System.IO.Path]::GetFullPath((Join-Path $moduleCopy $relative)))' does not exist*"
            # an empty lib/<rid>/ folder holds nothing
            $message | Should -BeLike "*holds lib/ for: osx-x64, win-arm64.*"

            Remove-Item -LiteralPath (Join-Path $moduleCopy 'lib') -Recurse -Force
            $message = (Import-CopyInFreshPwsh -Manifest $manifest).Output -join "`n"
            $message | Should -BeLike '*holds no native library under lib/*'
        }
        finally {
            Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'fails to import when this platform''s library does not load, naming the file and the cause' {
        $root = Join-Path ([System.IO.Path]::GetTempPath()) "podews-badlib-$([guid]::NewGuid().ToString('N'))"
        $moduleCopy = Join-Path $root 'PodeWebSocket'
        $manifest = Copy-TestModule -Destination $moduleCopy
        $library = [System.IO.Path]::GetFullPath((Join-Path $moduleCopy ([PodeWebSocket.NativeLibraryLoader]::RelativeLibraryPath())))
        try {
            [System.IO.File]::WriteAllText($library, 'not a library')
            $result = Import-CopyInFreshPwsh -Manifest $manifest
            $result.Output[0] | Should -BeLike 'PodeWebSocket.NativeLibraryUnavailable,*'
            ($result.Output -join "`n") | Should -BeLike "*'$library' was found but could not be loaded*"
        }
        finally {
            Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'fails to import beside another version or build of its assembly in the process, naming both and what to do' {
        # As after Update-PSResource in a session that had imported the old version: .NET cannot
        # load a second assembly named PodeWebSocket; it refuses one of a higher version than the
        # loaded one, or another build of the same version, and may hand back the loaded one for a
        # lower. The other assemblies are compiled here with the C# compiler PowerShell ships
        # (Add-Type names its assemblies at random).
        Add-Type -TypeDefinition 'public static class PodeWsTestCompilerLoaded { }'
        $glue = [System.IO.Path]::Combine((Split-Path $script:ModuleManifest), 'bin', 'PodeWebSocket.dll')
        $version = [PodeWebSocket.NativeLibraryLoader].Assembly.GetName().Version.ToString(3)
        foreach ($otherVersion in '0.0.1', '9.9.9', $version) {
            $other = Join-Path $TestDrive "v$otherVersion/PodeWebSocket.dll"
            $null = New-Item -ItemType Directory -Path (Split-Path $other) -Force
            $tree = [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree]::ParseText("[assembly: System.Reflection.AssemblyVersion(""$otherVersion.0"")] namespace PodeWebSocket { public static class Placeholder { } }")
            $references = [Microsoft.CodeAnalysis.MetadataReference[]]@([Microsoft.CodeAnalysis.MetadataReference]::CreateFromFile([object].Assembly.Location))
            $options = [Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions]::new([Microsoft.CodeAnalysis.OutputKind]::DynamicallyLinkedLibrary)
            $compilation = [Microsoft.CodeAnalysis.CSharp.CSharpCompilation]::Create('PodeWebSocket', [Microsoft.CodeAnalysis.SyntaxTree[]]@($tree), $references, $options)
            $stream = [System.IO.File]::Create($other)
            try { $compilation.Emit($stream).Success | Should -BeTrue } finally { $stream.Dispose() }

            $result = Invoke-FreshPwsh -Command "
                `$null = [System.Reflection.Assembly]::LoadFrom('$($other.Replace("'", "''"))')
                try { Import-Module '$($script:ModuleManifest.Replace("'", "''"))' -ErrorAction Stop; 'imported' }
                catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category.ToString(); `$_.Exception.Message }
                'commands ' + @(Get-Command -Name 'Connect-PodeWebSocket' -ErrorAction SilentlyContinue).Count
            "
            $result.Output[0] | Should -BeLike 'PodeWebSocket.AssemblyConflict,*' -Because "with $otherVersion loaded: $($result.Output -join ' ')"
            $result.Output[1] | Should -Be 'ResourceUnavailable'
            $message = $result.Output[2..($result.Output.Count - 2)] -join ' '
            $which = if ($otherVersion -eq $version) { "another build of PodeWebSocket $version" } else { "PodeWebSocket $otherVersion" }
            $message.StartsWith("$which is loaded in this process (from '$other')") | Should -BeTrue -Because $message
            $message.Contains("cannot load PodeWebSocket $version from '$glue' beside it") | Should -BeTrue -Because $message
            $message | Should -BeLike '*import it in a new PowerShell session*'
            $result.Output[-1] | Should -Be 'commands 0' -Because 'the module was not imported'
        }
    }

    It 'imports from a read-only folder and works' {
        # The tests run as root, which ignores permission bits: a read-only bind mount in a
        # private mount namespace is read-only for root too (the child proves it first).
        $unshare = Get-Command -Name unshare -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $canMount = $false
        if ($null -ne $unshare) {
            & $unshare.Source -m true 2>$null
            $canMount = $LASTEXITCODE -eq 0
        }
        if (-not $canMount) {
            Set-ItResult -Skipped -Because 'a read-only mount needs unshare -m (Linux, root or CAP_SYS_ADMIN)'
            return
        }
        $root = Join-Path ([System.IO.Path]::GetTempPath()) "podews-readonly-$([guid]::NewGuid().ToString('N'))"
        $moduleCopy = Join-Path $root 'PodeWebSocket'
        $manifest = Copy-TestModule -Destination $moduleCopy
        $peer = Start-TestPeer
        try {
            $mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
            $result = Invoke-FreshPwsh -Prefix @($unshare.Source, '-m', 'sh', '-c', $mount, $moduleCopy) -Command "
                `$ErrorActionPreference = 'Stop'
                try { [System.IO.File]::WriteAllText('$moduleCopy/probe', 'x'); 'writable' } catch { 'read-only' }
                Import-Module '$manifest'
                [PodeWebSocket.NativeLibraryLoader]::LibraryPath
                Connect-PodeWebSocket -Name 'ro' -Url '$($peer.Url)/echo'
                Send-PodeWebSocket -Name 'ro' -Message 'from a read-only module'
                (Receive-PodeWebSocket -Name 'ro' -Timeout 10).Request.Body
                Remove-PodeWebSocket -Name 'ro'
            "
            $result.Output | Should -Be @('read-only', (Join-Path $moduleCopy 'lib/linux-x64/libpode_ws.so'), 'from a read-only module')
            $result.ExitCode | Should -Be 0
            Test-Path -LiteralPath (Join-Path $moduleCopy 'probe') | Should -BeFalse
        }
        finally {
            Stop-TestPeer -Peer $peer
            Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

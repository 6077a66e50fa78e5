# The C# glue's layering (powershell/PodeWebSocket.Native/README.md): each folder is a layer, a
# file uses only types of its own layer or of layers below it, and no files depend on each other
# in a circle. A file uses a type when it names it (comments and strings aside), so a new file or
# folder is checked as soon as it exists.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')

    # bottom to top, as in the README
    $script:Layers = @('Abi', 'Diagnostics', 'Errors', 'Interop', 'Content', 'Events', 'Handlers', 'Connections', 'Dispatch', 'Module')

    $script:ProjectRoot = Join-Path $script:RepoRoot 'powershell/PodeWebSocket.Native'
    $script:Files = @{}
    foreach ($file in Get-ChildItem -LiteralPath $script:ProjectRoot -Recurse -Filter '*.cs') {
        $relative = [System.IO.Path]::GetRelativePath($script:ProjectRoot, $file.FullName).Replace('\', '/')
        if ($relative -match '^(bin|obj)/') {
            continue
        }
        $code = Get-Content -Raw -LiteralPath $file.FullName
        $code = [regex]::Replace($code, '(?s)/\*.*?\*/', '')
        $code = [regex]::Replace($code, '//[^\n]*', '')
        $code = [regex]::Replace($code, '@?"(?:[^"\\\n]|\\.)*"', '""')
        $script:Files[$relative] = $code
    }

    # type name -> the file declaring it
    $script:Declared = @{}
    foreach ($relative in $script:Files.Keys) {
        foreach ($match in [regex]::Matches($script:Files[$relative], '\b(?:class|struct|enum|interface)\s+(\w+)')) {
            $script:Declared[$match.Groups[1].Value] = $relative
        }
    }

    # file -> the other files whose types it names
    $script:Uses = @{}
    foreach ($relative in $script:Files.Keys) {
        $script:Uses[$relative] = @($script:Declared.Keys |
                Where-Object { $script:Declared[$_] -ne $relative -and $script:Files[$relative] -match "\b$_\b" } |
                ForEach-Object { $script:Declared[$_] } | Sort-Object -Unique)
    }

    function Get-Layer([string]$Relative) {
        return [array]::IndexOf($script:Layers, $Relative.Split('/')[0])
    }
}

Describe 'The layers of the C# glue' {
    It 'finds the files and what they use' {
        $script:Files.Keys | Should -Contain 'Interop/NativeMethods.cs'
        $script:Uses['Interop/Native.cs'] | Should -Contain 'Interop/NativeMethods.cs'
    }

    It 'has every file in a layer' {
        @($script:Files.Keys | Where-Object { (Get-Layer $_) -lt 0 }) | Should -BeNullOrEmpty -Because "each folder must be one of: $($script:Layers -join ', ')"
    }

    It 'has no file that uses a layer above its own' {
        $upward = foreach ($file in $script:Files.Keys) {
            foreach ($used in $script:Uses[$file]) {
                if ((Get-Layer $used) -gt (Get-Layer $file)) {
                    "$file uses $used"
                }
            }
        }
        $upward | Should -BeNullOrEmpty
    }

    It 'has no files that depend on each other, directly or in a longer circle' {
        # remove files that use nothing left, until none can be: what stays is in a circle
        $left = @{}
        foreach ($file in $script:Files.Keys) {
            $left[$file] = [System.Collections.Generic.HashSet[string]]::new([string[]]$script:Uses[$file])
        }
        do {
            $free = @($left.Keys | Where-Object { $left[$_].Count -eq 0 })
            foreach ($file in $free) {
                $left.Remove($file)
                foreach ($other in $left.Values) {
                    $null = $other.Remove($file)
                }
            }
        } while ($free.Count -gt 0)
        @($left.Keys | ForEach-Object { "$_ uses $(@($left[$_]) -join ', ')" }) | Should -BeNullOrEmpty
    }

    It 'has P/Invoke declarations in Interop/NativeMethods.cs only' {
        @($script:Files.Keys | Where-Object { $script:Files[$_] -match '\bDllImport\b' }) | Should -Be @('Interop/NativeMethods.cs')
    }
}

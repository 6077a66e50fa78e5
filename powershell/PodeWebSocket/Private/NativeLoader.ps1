# Loads the C# glue (Native/*.cs) once per process and points it at this module's native library.
# Types live per process: a second import (or an import in another runspace) reuses them.
# Compiling takes seconds, so the assembly is cached per user, keyed by a hash of the sources, the
# compiler options and the PowerShell version; a cached copy loads in milliseconds.

# Add-Type builds Debug assemblies (the JIT never optimizes them, however hot the dispatcher's
# code is) unless told -optimize+; an array, since one string of two options is rejected (CS2007).
$script:PodeWsCompilerOptions = @('-unsafe', '-optimize+')

function Initialize-PodeWsNative {
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $ModuleRoot
    )

    $sources = @(Get-ChildItem -LiteralPath (Join-Path $ModuleRoot 'Native') -Filter '*.cs' | Sort-Object Name)
    $hash = Get-PodeWsSourceHash -Files $sources

    if (-not ('PodeWebSocket.NativeLibraryLoader' -as [type])) {
        # Runspaces importing at the same time must not load twice (two assemblies, same type names).
        $gate = [System.AppDomain]::CurrentDomain
        [System.Threading.Monitor]::Enter($gate)
        try {
            if (-not ('PodeWebSocket.NativeLibraryLoader' -as [type])) {
                Import-PodeWsAssembly -Sources $sources -Hash $hash
                [PodeWebSocket.NativeLibraryLoader]::SourceHash = $hash
            }
        }
        finally {
            [System.Threading.Monitor]::Exit($gate)
        }
    }
    elseif ([PodeWebSocket.NativeLibraryLoader]::SourceHash -ne $hash) {
        Write-Warning 'PodeWebSocket: the C# sources changed since this process loaded them; start a new PowerShell process to use the new code.'
    }

    [PodeWebSocket.NativeLibraryLoader]::Initialize($ModuleRoot)
    $library = [PodeWebSocket.NativeLibraryLoader]::LibraryPath
    if (-not (Test-Path -LiteralPath $library -PathType Leaf)) {
        throw "PodeWebSocket: the native library was not found at '$library'. Build it with scripts/build.sh (it stages lib/<os>-<arch>/ into the module)."
    }
}

function Import-PodeWsAssembly {
    param(
        [Parameter(Mandatory = $true)]
        [System.IO.FileInfo[]]
        $Sources,

        [Parameter(Mandatory = $true)]
        [string]
        $Hash
    )

    $cacheDir = Get-PodeWsCacheDirectory
    $cached = $null
    if ($null -ne $cacheDir) {
        $cached = Join-Path $cacheDir "PodeWebSocket.Native.$Hash.dll"
        if (Test-Path -LiteralPath $cached -PathType Leaf) {
            try {
                Add-Type -Path $cached -ErrorAction Stop
                return
            }
            catch {
                Write-Verbose "PodeWebSocket: the cached assembly '$cached' could not be loaded ($_); compiling."
            }
        }
    }

    # Naming references replaces Add-Type's defaults: give them back ($PSHOME/ref and
    # System.Management.Automation), plus the assembly of ConvertFrom/To-Json and its Newtonsoft.Json.
    $references = @(Get-ChildItem -Path (Join-Path $PSHOME 'ref') -Filter '*.dll').FullName + @(
        [psobject].Assembly.Location
        (Join-Path $PSHOME 'Microsoft.PowerShell.Commands.Utility.dll')
        (Join-Path $PSHOME 'Newtonsoft.Json.dll')
    )
    $compile = @{
        Path                 = $Sources.FullName
        CompilerOptions      = $script:PodeWsCompilerOptions
        ReferencedAssemblies = $references
        ErrorAction          = 'Stop'
    }

    if ($null -ne $cached) {
        try {
            # compile to a private name, then publish it atomically (another process may race us)
            $temporary = Join-Path $cacheDir "PodeWebSocket.Native.$Hash.$([guid]::NewGuid().ToString('N')).tmp.dll"
            Add-Type @compile -OutputAssembly $temporary -OutputType Library
            try {
                [System.IO.File]::Move($temporary, $cached, $false)
            }
            catch [System.IO.IOException] {
                Remove-Item -LiteralPath $temporary -Force -ErrorAction Ignore
            }
            Add-Type -Path $cached -ErrorAction Stop
            return
        }
        catch {
            Write-Verbose "PodeWebSocket: could not cache the compiled assembly ($_); compiling in memory."
            if ('PodeWebSocket.NativeLibraryLoader' -as [type]) {
                return
            }
        }
    }

    Add-Type @compile
}

function Get-PodeWsCacheDirectory {
    $base = $null
    if ($IsWindows) {
        $base = $env:LOCALAPPDATA
    }
    elseif (![string]::IsNullOrWhiteSpace($env:XDG_CACHE_HOME)) {
        $base = $env:XDG_CACHE_HOME
    }
    elseif (![string]::IsNullOrWhiteSpace($HOME)) {
        $base = Join-Path $HOME '.cache'
    }
    if ([string]::IsNullOrWhiteSpace($base)) {
        return $null
    }

    $dir = Join-Path $base 'PodeWebSocket'
    try {
        $null = New-Item -ItemType Directory -Path $dir -Force -ErrorAction Stop
        return $dir
    }
    catch {
        return $null
    }
}

function Get-PodeWsSourceHash {
    param(
        [Parameter(Mandatory = $true)]
        [System.IO.FileInfo[]]
        $Files
    )

    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        # the PowerShell version is part of the key (the assembly is compiled against its
        # references), and so are the compiler options (a Debug build must not be reused)
        $key = "$($PSVersionTable.PSVersion)|$($script:PodeWsCompilerOptions -join ' ')"
        $version = [System.Text.Encoding]::UTF8.GetBytes($key)
        $null = $sha.TransformBlock($version, 0, $version.Length, $null, 0)
        foreach ($file in $Files) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            $null = $sha.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
        }
        $null = $sha.TransformFinalBlock([byte[]]::new(0), 0, 0)
        return [System.BitConverter]::ToString($sha.Hash, 0, 12).Replace('-', '')
    }
    finally {
        $sha.Dispose()
    }
}

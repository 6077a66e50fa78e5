# Loads the C# glue, bin/PodeWebSocket.dll (built by scripts/build.sh from
# powershell/PodeWebSocket.Native), and with it this module's native library. Nothing is
# compiled and nothing is written at import, so the module imports from a read-only folder. The
# types live once per process: a second import, or an import in another runspace, reuses them.

function Initialize-PodeWsNative {
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $ModuleRoot
    )

    $assembly = [System.IO.Path]::Combine($ModuleRoot, 'bin', 'PodeWebSocket.dll')
    if (-not [System.IO.File]::Exists($assembly)) {
        throw "PodeWebSocket: the glue assembly was not found at '$assembly'. Build it with scripts/build.sh (it stages bin/ and lib/<os>-<arch>/ into the module)."
    }
    # Assembly.LoadFrom, not Add-Type: see PodeWebSocket.psm1 (no cmdlet module loaded at import).
    # When the process has loaded this very build already (an import again, -Force, another
    # runspace, a Pode server's runspaces) it returns that assembly, so several runspaces may get
    # here at once. Another version or build cannot load beside the one loaded (as after
    # Update-PSResource in a session that imported the old one): .NET refuses it, or hands back the
    # loaded one when that has a higher version. Either way, say so and what to do, rather than run
    # this copy's scripts on the other copy's glue.
    try {
        $glue = [System.Reflection.Assembly]::LoadFrom($assembly)
    }
    catch [System.Management.Automation.MethodInvocationException] {
        $cause = $_.Exception.InnerException
        $loaded = @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PodeWebSocket' })
        # 0x80131621: an assembly of that name is loaded already; 0x80131040: the file is not the
        # version the loaded one's name asks for (not a file that could not be read)
        if (($cause -isnot [System.IO.FileLoadException]) -or ($cause.HResult -notin -2146232799, -2146234304) -or ($loaded.Count -eq 0)) {
            throw
        }
        throw (New-PodeWsAssemblyConflict -Loaded $loaded[0] -Path $assembly -Cause $cause)
    }
    if ($glue.GetName().Version -ne [System.Reflection.AssemblyName]::GetAssemblyName($assembly).Version) {
        throw (New-PodeWsAssemblyConflict -Loaded $glue -Path $assembly -Cause $null)
    }

    # loads lib/<rid>/ for this OS and architecture; when the package has none for it, or the file
    # does not load, the error names the file looked for and the platforms the package holds
    try {
        [PodeWebSocket.NativeLibraryLoader]::Initialize($ModuleRoot)
    }
    catch [System.Management.Automation.MethodInvocationException] {
        $cause = $_.Exception.InnerException
        throw [System.Management.Automation.ErrorRecord]::new($cause, 'PodeWebSocket.NativeLibraryUnavailable', 'NotInstalled', $ModuleRoot)
    }
}

# The import's error when the process holds another PodeWebSocket assembly than the one at $Path.
function New-PodeWsAssemblyConflict {
    param(
        [Parameter(Mandatory = $true)] [System.Reflection.Assembly] $Loaded,
        [Parameter(Mandatory = $true)] [string] $Path,
        [System.Exception] $Cause
    )
    $loadedVersion = $Loaded.GetName().Version.ToString(3)
    $thisVersion = [System.Reflection.AssemblyName]::GetAssemblyName($Path).Version.ToString(3)
    $which = if ($loadedVersion -eq $thisVersion) { "another build of PodeWebSocket $loadedVersion" } else { "PodeWebSocket $loadedVersion" }
    $message = "$which is loaded in this process (from '$($Loaded.Location)'), and .NET cannot load PodeWebSocket $thisVersion from '$Path' beside it: import it in a new PowerShell session (for a Pode server: restart its process)."
    return [System.Management.Automation.ErrorRecord]::new([System.IO.FileLoadException]::new($message, $Cause), 'PodeWebSocket.AssemblyConflict', 'ResourceUnavailable', $Path)
}

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
    # When the process has loaded this version already (an import again, in another runspace, or
    # of another copy of the same version) it returns that assembly, so several runspaces may get
    # here at once. Another version cannot load beside the one loaded (as after Update-PSResource
    # in a session that imported the old one): say so, and what to do, rather than run this
    # version's scripts on the other version's glue.
    try {
        $null = [System.Reflection.Assembly]::LoadFrom($assembly)
    }
    catch [System.Management.Automation.MethodInvocationException] {
        $cause = $_.Exception.InnerException
        $loaded = @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PodeWebSocket' })
        if (($cause -isnot [System.IO.FileLoadException]) -or ($loaded.Count -eq 0)) {
            throw
        }
        $message = "PodeWebSocket $($loaded[0].GetName().Version) is loaded in this process (from '$($loaded[0].Location)'), and its assembly cannot be replaced by '$assembly' ($([System.Reflection.AssemblyName]::GetAssemblyName($assembly).Version)): start a new PowerShell session to import this version."
        throw [System.Management.Automation.ErrorRecord]::new([System.IO.FileLoadException]::new($message, $cause), 'PodeWebSocket.VersionConflict', 'ResourceUnavailable', $assembly)
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

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

    if (-not ('PodeWebSocket.NativeLibraryLoader' -as [type])) {
        $assembly = [System.IO.Path]::Combine($ModuleRoot, 'bin', 'PodeWebSocket.dll')
        if (-not [System.IO.File]::Exists($assembly)) {
            throw "PodeWebSocket: the glue assembly was not found at '$assembly'. Build it with scripts/build.sh (it stages bin/ and lib/<os>-<arch>/ into the module)."
        }
        # several runspaces may get here at once: loading one file twice gives the same assembly
        # Assembly.LoadFrom, not Add-Type: see PodeWebSocket.psm1 (no cmdlet module loaded at import)
        $null = [System.Reflection.Assembly]::LoadFrom($assembly)
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

# PodeWebSocket: Pode's external WebSocket commands on a native (Rust) core.
# Loads Private/*.ps1, the compiled C# glue (bin/PodeWebSocket.dll, once per process), then Public/*.ps1.
# In the package the files' text replaces the two loops (scripts/fold-module.ps1, run by
# scripts/package.sh): dot-sourcing 16 files cost a fresh pwsh 10-33 ms of the import.
#
# The import uses .NET calls, not cmdlets such as Join-Path, Get-ChildItem or Add-Type: the first
# use of one loads its module (Microsoft.PowerShell.Management, .Utility) into a session that has
# not loaded it yet, about 0.13 s each in a fresh pwsh, which every import paid. It also does as
# few kinds of things as it can: in a fresh process each first use of a construct (a helper
# function, a sort, a pipeline) costs PowerShell 10-20 ms of compiling; the files only define
# functions, so their order does not matter.

foreach ($file in [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($PSScriptRoot, 'Private'), '*.ps1')) {
    . $file
}

Initialize-PodeWsNative -ModuleRoot $PSScriptRoot
$script:PodeWsManifestPath = [System.IO.Path]::Combine($PSScriptRoot, 'PodeWebSocket.psd1')

foreach ($file in [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($PSScriptRoot, 'Public'), '*.ps1')) {
    . $file
}

# One public command per Public/ file, each named *-PodeWebSocket* (the manifest lists the same; a
# test checks they agree); private helpers are named *-PodeWs*. Exporting here keeps Private/
# hidden when the .psm1 is imported alone.
Export-ModuleMember -Function '*-PodeWebSocket*'

# Remove-Module closes the connections opened from this runspace (and, when no runspace has the
# module any more, every connection and the dispatchers); process exit closes everything.
[PodeWebSocket.ModuleLifetime]::Imported([runspace]::DefaultRunspace)
$ExecutionContext.SessionState.Module.OnRemove = {
    $null = [PodeWebSocket.ModuleLifetime]::Removed([runspace]::DefaultRunspace)
}

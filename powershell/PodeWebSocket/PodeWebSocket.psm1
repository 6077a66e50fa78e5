# PodeWebSocket: Pode's external WebSocket commands on a native (Rust) core.
# Loads Private/*.ps1, the compiled C# glue (bin/PodeWebSocket.dll, once per process), then Public/*.ps1.
#
# The import uses .NET calls, not cmdlets such as Join-Path, Get-ChildItem or Add-Type: the first
# use of one loads its module (Microsoft.PowerShell.Management, .Utility) into a session that has
# not loaded it yet, about 0.13 s each in a fresh pwsh, which every import paid.

function Get-PodeWsScriptFile([string] $Folder) {
    $files = [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($PSScriptRoot, $Folder), '*.ps1')
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    return , $files
}

foreach ($file in (Get-PodeWsScriptFile 'Private')) {
    . $file
}

Initialize-PodeWsNative -ModuleRoot $PSScriptRoot
$script:PodeWsManifestPath = [System.IO.Path]::Combine($PSScriptRoot, 'PodeWebSocket.psd1')

$public = Get-PodeWsScriptFile 'Public'
foreach ($file in $public) {
    . $file
}

# One public command per Public/ file (the manifest lists the same; a test checks they agree).
# Exporting here keeps Private/ hidden when the .psm1 is imported alone.
Export-ModuleMember -Function @($public | ForEach-Object { [System.IO.Path]::GetFileNameWithoutExtension($_) })

# Remove-Module closes the connections opened from this runspace (and, when no runspace has the
# module any more, every connection and the dispatchers); process exit closes everything.
[PodeWebSocket.ModuleLifetime]::Imported([runspace]::DefaultRunspace)
$ExecutionContext.SessionState.Module.OnRemove = {
    $null = [PodeWebSocket.ModuleLifetime]::Removed([runspace]::DefaultRunspace)
}

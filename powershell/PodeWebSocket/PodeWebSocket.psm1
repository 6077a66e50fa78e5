# PodeWebSocket: Pode's external WebSocket commands on a native (Rust) core.
# Loads Private/*.ps1, the compiled C# glue (bin/PodeWebSocket.dll, once per process), then Public/*.ps1.

foreach ($file in @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1')) {
    . $file.FullName
}

Initialize-PodeWsNative -ModuleRoot $PSScriptRoot
$script:PodeWsManifestPath = Join-Path $PSScriptRoot 'PodeWebSocket.psd1'

$public = @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1')
foreach ($file in $public) {
    . $file.FullName
}

# One public command per Public/ file (the manifest lists the same; a test checks they agree).
# Exporting here keeps Private/ hidden when the .psm1 is imported alone.
Export-ModuleMember -Function $public.BaseName

# Remove-Module closes the connections opened from this runspace (and, when no runspace has the
# module any more, every connection and the dispatchers); process exit closes everything.
[PodeWebSocket.ModuleLifetime]::Imported([runspace]::DefaultRunspace)
$ExecutionContext.SessionState.Module.OnRemove = {
    $null = [PodeWebSocket.ModuleLifetime]::Removed([runspace]::DefaultRunspace)
}

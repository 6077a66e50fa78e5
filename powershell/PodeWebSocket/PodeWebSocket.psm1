# PodeWebSocket: Pode's external WebSocket commands on a native (Rust) core.
# Loads Private/*.ps1, compiles the C# glue once per process, then loads Public/*.ps1.

foreach ($file in @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1')) {
    . $file.FullName
}

Initialize-PodeWsNative -ModuleRoot $PSScriptRoot
$script:PodeWsManifestPath = Join-Path $PSScriptRoot 'PodeWebSocket.psd1'

foreach ($file in @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1')) {
    . $file.FullName
}

# Remove-Module closes the connections opened from this runspace (see about the module in README).
[PodeWebSocket.Lifecycle]::Imported([runspace]::DefaultRunspace)
$ExecutionContext.SessionState.Module.OnRemove = {
    $null = [PodeWebSocket.Lifecycle]::Removed([runspace]::DefaultRunspace)
}

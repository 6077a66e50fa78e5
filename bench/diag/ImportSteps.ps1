# Diagnostic: what single steps cost as the first thing a fresh pwsh does (each in a new
# process, twice), to see what the module's import pays once per process. For example Join-Path
# or Add-Type, whose first use imports their module (Microsoft.PowerShell.Management / .Utility).
#   pwsh -NoProfile -File bench/diag/ImportSteps.ps1 [-ModulePath PSD1]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1')
)
$ErrorActionPreference = 'Stop'
$root = [System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($ModulePath))
$glue = [System.IO.Path]::Combine($root, 'bin', 'PodeWebSocket.dll')
$steps = [ordered]@{
    'nothing'                   = ''
    'a .NET call'               = "`$null = [System.IO.Directory]::GetFiles('$root')"
    'Join-Path'                 = "`$null = Join-Path '$root' 'bin'"
    'Get-ChildItem'             = "`$null = Get-ChildItem -LiteralPath '$root'"
    'Add-Type -LiteralPath'     = "Add-Type -LiteralPath '$glue'"
    'Assembly.LoadFrom'         = "`$null = [System.Reflection.Assembly]::LoadFrom('$glue')"
    'Import-Module PodeWebSocket' = "Import-Module '$ModulePath'"
}
# pwsh as a user starts it (a dotnet global tool runs under the dotnet host: the process path is dotnet)
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
foreach ($step in $steps.GetEnumerator()) {
    $command = "`$sw = [System.Diagnostics.Stopwatch]::StartNew(); $($step.Value); [int]`$sw.Elapsed.TotalMilliseconds"
    $times = 1..2 | ForEach-Object { & $pwsh -NoProfile -NonInteractive -Command $command }
    '{0,-28} {1} ms' -f $step.Key, ($times -join ', ')
}

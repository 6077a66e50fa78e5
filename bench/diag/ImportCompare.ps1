# Diagnostic: Import-Module of two or more module copies, alternating, each import the first thing
# a fresh pwsh does; prints the median and the minimum per copy (the noise of one import is larger
# than most changes to the import, so compare medians of many alternating runs).
#   pwsh -NoProfile -File bench/diag/ImportCompare.ps1 [-Runs 12] /tmp/a/PodeWebSocket.psd1 /tmp/b/PodeWebSocket.psd1
param(
    [int] $Runs = 12,
    [Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)] [string[]] $ModulePath
)
$ErrorActionPreference = 'Stop'
# pwsh as a user starts it (a dotnet global tool runs under the dotnet host: the process path is dotnet)
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$times = @{}
foreach ($path in $ModulePath) { $times[$path] = [System.Collections.Generic.List[int]]::new() }
for ($run = 0; $run -lt $Runs; $run++) {
    foreach ($path in $ModulePath) {
        $command = "`$sw = [System.Diagnostics.Stopwatch]::StartNew(); Import-Module '$path'; [int]`$sw.Elapsed.TotalMilliseconds"
        $times[$path].Add([int](& $pwsh -NoProfile -NonInteractive -Command $command))
    }
}
foreach ($path in $ModulePath) {
    $sorted = @($times[$path] | Sort-Object)
    $median = if ($sorted.Count % 2) { $sorted[[int][math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
    '{0}: median {1} ms, min {2} ms over {3} imports' -f $path, $median, $sorted[0], $sorted.Count
}

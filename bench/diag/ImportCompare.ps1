# Diagnostic: Import-Module of two or more module copies, alternating, each import the first thing
# a fresh pwsh does, with a bare pwsh start in each round; prints per copy the median and minimum
# of the time inside Import-Module and of the whole process, start to exit (what the benchmark's
# import scenario measures), and the median of the whole process over the bare start of its round
# (the noise of one import is larger than most changes to the import: compare medians of many
# alternating runs).
#   pwsh -NoProfile -File bench/diag/ImportCompare.ps1 [-Runs 12] /tmp/a/PodeWebSocket.psd1 /tmp/b/PodeWebSocket.psd1
param(
    [int] $Runs = 12,
    [Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)] [string[]] $ModulePath
)
$ErrorActionPreference = 'Stop'
# pwsh as a user starts it (a dotnet global tool runs under the dotnet host: the process path is dotnet)
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$inside = @{}
$whole = @{}
$overBare = @{}
foreach ($path in $ModulePath) {
    $inside[$path] = [System.Collections.Generic.List[int]]::new()
    $whole[$path] = [System.Collections.Generic.List[int]]::new()
    $overBare[$path] = [System.Collections.Generic.List[int]]::new()
}
$bare = [System.Collections.Generic.List[int]]::new()

# Get-BenchPercentile (the benchmark's own, nearest rank)
. (Join-Path $PSScriptRoot '../ps/Measure.ps1')
function Get-Median($values) { return Get-BenchPercentile @($values) 50 }

for ($run = 0; $run -lt $Runs; $run++) {
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $null = & $pwsh -NoProfile -NonInteractive -Command '$null'
    $bareMs = [int]$sw.Elapsed.TotalMilliseconds
    $bare.Add($bareMs)
    # every other round the other way round: what follows the bare start pays no order effect alone
    $order = if ($run % 2) { [System.Linq.Enumerable]::Reverse([string[]]$ModulePath) } else { $ModulePath }
    foreach ($path in $order) {
        $command = "`$sw = [System.Diagnostics.Stopwatch]::StartNew(); Import-Module '$path'; [int]`$sw.Elapsed.TotalMilliseconds"
        $sw.Restart()
        $inside[$path].Add([int](& $pwsh -NoProfile -NonInteractive -Command $command))
        $wholeMs = [int]$sw.Elapsed.TotalMilliseconds
        $whole[$path].Add($wholeMs)
        $overBare[$path].Add($wholeMs - $bareMs)
    }
}
'bare pwsh: median {0} ms over {1} starts' -f (Get-Median $bare), $bare.Count
foreach ($path in $ModulePath) {
    # the whole process against the first copy's in the same round (the pair next to each other in time)
    $pairs = for ($i = 0; $i -lt $Runs; $i++) { $whole[$path][$i] - $whole[$ModulePath[0]][$i] }
    $vsFirst = if ($path -eq $ModulePath[0]) { '' } else { '; against the first copy in its round {0} ms' -f (Get-Median $pairs) }
    '{0}: inside Import-Module median {1} ms (min {2}); whole process median {3} ms (min {4}), over the bare start of its round {5} ms{7}; {6} imports' -f $path,
        (Get-Median $inside[$path]), ($inside[$path] | Measure-Object -Minimum).Minimum,
        (Get-Median $whole[$path]), ($whole[$path] | Measure-Object -Minimum).Minimum, (Get-Median $overBare[$path]), $inside[$path].Count, $vsFirst
}

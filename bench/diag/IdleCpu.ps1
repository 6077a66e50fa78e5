# Diagnostic: what the CPU of idle connections is made of, for one peer.
#   pwsh -File bench/diag/IdleCpu.ps1 -Peer ours|pode -Url ws://127.0.0.1:PORT/echo [-Count 1000] [-Seconds 10] [-Settle 3]
# As the benchmark's idle scenario (a warm-up round of Count connections, then Count held open
# for Seconds after Settle seconds, whose CPU it prints second by second), then the same hold
# again after every connection closed (-Peer pode: P, the Pode-style client, not the real Pode).
# Each hold prints the process's CPU (/proc/self/stat, which counts threads that exited during
# it), the CPU of the threads alive at its end, by name (schedstat, as the benchmark) and the threads that came or went; the
# difference between the two holds is what the open connections cost. With
# DOTNET_JitDisasmSummary=1 and DOTNET_JitStdOutFile=FILE set, it also names the lines of FILE
# that list the methods .NET compiled during each hold (tiered compilation's work; reading the
# variable itself costs the first hold some of them). bench/ANALYSIS.md (fourth pass) has its figures.
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Count = 1000,
    [int] $Seconds = 10,
    [int] $Settle = 3,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir

function Wait-Settle([string] $Label) {
    # the Settle seconds before a hold, with the process's CPU in each of them
    Start-Sleep -Milliseconds 500
    $perSecond = for ($i = 0; $i -lt $Settle; $i++) {
        $c0 = Get-BenchCpuSeconds; $j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
        Start-Sleep -Seconds 1
        '{0:N2}/{1}' -f ((Get-BenchCpuSeconds) - $c0), ([System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $j0)
    }
    "${Label}: CPU s / methods JIT-compiled in each second before the hold: $($perSecond -join ' ')"
}

function Close-All($Names) {
    $failed = 0
    foreach ($name in $Names) { try { Close-BenchConnection $name } catch { $failed++ } }
    if ($failed -gt 0) { "  $failed closes failed" }
}

function Get-JitCount {
    # with DOTNET_JitStdOutFile and DOTNET_JitDisasmSummary=1 set: how many methods were compiled so far
    $file = $env:DOTNET_JitStdOutFile
    if (-not $file -or -not [System.IO.File]::Exists($file)) { return $null }
    return [System.IO.File]::ReadAllLines($file).Count
}

function Measure-Hold([string] $Label) {
    $jit0 = Get-JitCount
    $before = Get-BenchThreadCpu
    $cpu0 = Get-BenchCpuSeconds
    Start-Sleep -Seconds $Seconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    $after = Get-BenchThreadCpu
    $byName = Get-BenchThreadCpuDelta $before $after
    $live = [double](($byName.Values | Measure-Object -Sum).Sum)
    $gone = @($before.Keys | Where-Object { -not $after.ContainsKey($_) } | ForEach-Object { $before[$_].Name })
    $came = @($after.Keys | Where-Object { -not $before.ContainsKey($_) } | ForEach-Object { $after[$_].Name })
    '{0}: process {1:N3} s ({2:N2} % of a core), threads alive at its end {3:N3} s, threads {4} -> {5}' -f $Label, $cpu, (100 * $cpu / $Seconds), $live, $before.Count, $after.Count
    '  by name: ' + (($byName.GetEnumerator() | Sort-Object Value -Descending | ForEach-Object { '{0} {1:N3}' -f $_.Key, $_.Value }) -join ', ')
    if ($gone.Count -gt 0) { '  exited: ' + ($gone -join ', ') }
    if ($came.Count -gt 0) { '  started: ' + ($came -join ', ') }
    if ($null -ne $jit0) { "  methods compiled during the hold: lines $($jit0 + 1) .. $(Get-JitCount) of $env:DOTNET_JitStdOutFile" }
}

for ($i = 0; $i -lt 50; $i++) { $null = Get-BenchThreadCpu; $null = Get-BenchCpuSeconds }
$warm = foreach ($i in 1..$Count) { $name = "warm$i"; & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'; $name }
Close-All $warm
Invoke-BenchGC
$open = foreach ($i in 1..$Count) { $name = "idle$i"; & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'; $name }
Wait-Settle "$Peer, $Count open"
Measure-Hold "$Peer, $Count open"
Close-All $open
Invoke-BenchGC
Wait-Settle "$Peer, none open"
Measure-Hold "$Peer, none open"
[Environment]::Exit(0)

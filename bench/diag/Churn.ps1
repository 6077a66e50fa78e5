# Diagnostic: connect/disconnect/remove cycles for one peer, printing RSS and the .NET heap
# (both after a full GC) every -Every cycles, to tell a leak (linear growth) from warm-up.
#   pwsh -File bench/diag/Churn.ps1 -Peer ours -Url ws://127.0.0.1:PORT/echo [-Cycles 3000] [-Every 500]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Cycles = 3000,
    [int] $Every = 500,
    [switch] $Aggressive,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir
for ($i = 1; $i -le $Cycles; $i++) {
    & $BenchConnect -Name "churn$i" -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType text/plain
    & $BenchDisconnect -Name "churn$i"
    & $BenchRemove -Name "churn$i"
    if ($i % $Every -eq 0) {
        if ($Aggressive) { $null = Get-BenchRetainedRssKiB } else { Invoke-BenchGC }
        $m = Get-BenchMemoryKiB
        "{0}: after {1,5} cycles RSS {2,7:N0} KiB, managed heap {3,7:N0} KiB, GC committed {6,7:N0} KiB, JIT'd methods {4}, loaded assemblies {5}" -f $Peer, $i, $m.Rss,
            ([GC]::GetTotalMemory($true) / 1KB), [System.Runtime.JitInfo]::GetCompiledMethodCount($false), [AppDomain]::CurrentDomain.GetAssemblies().Count,
            ([GC]::GetGCMemoryInfo().TotalCommittedBytes / 1KB)
    }
}
[Environment]::Exit(0)

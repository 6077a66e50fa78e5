# Diagnostic: the large-message scenario in one pwsh (ours), after a pause so perf can attach:
#   pwsh -File bench/diag/Large.ps1 -Url 'ws://127.0.0.1:PORT/firehose?count=64&size=16777216&kind=binary' -Count 64 [-ReuseRawBody] [-ModulePath PSD1]
param(
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Count = 64,
    [long] $Size = 16MB,
    [int] $Delay = 3,
    # whole runs before the measured one, in the same process (does the JIT settle?)
    [int] $WarmRuns = 0,
    # Connect-PodeWebSocket -ReuseRawBody: arrays handed back once handled
    [switch] $ReuseRawBody,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer ours -GlueDir $GlueDir -ModulePath $ModulePath
$warm = $Url -replace 'count=\d+', 'count=4' -replace 'size=\d+', 'size=65536'
if ($env:BENCH_DIAG_GC_HANDLER) {
    # Experiment only: collect after each message, to see how much of the peak is LOH garbage.
    $BenchHandlers.Large = { [BenchProbe]::Add($WsEvent.Request.RawBody.Length); [System.GC]::Collect(2, [System.GCCollectionMode]::Forced, $true) }
}
"PID $PID"
Start-Sleep -Seconds $Delay
$gc0 = [GC]::CollectionCount(0), [GC]::CollectionCount(1), [GC]::CollectionCount(2)
$minflt0 = [long](([System.IO.File]::ReadAllText('/proc/self/stat') -split ' ')[9])
for ($w = 0; $w -lt $WarmRuns; $w++) { $null = Invoke-BenchLarge -Url $Url -WarmupUrl $warm -Count $Count -Size $Size -ReuseRawBody $ReuseRawBody.IsPresent }
$threads0 = Get-BenchThreadCpu
$r = Invoke-BenchLarge -Url $Url -WarmupUrl $warm -Count $Count -Size $Size -ReuseRawBody $ReuseRawBody.IsPresent
$threads1 = Get-BenchThreadCpu
$gc1 = [GC]::CollectionCount(0), [GC]::CollectionCount(1), [GC]::CollectionCount(2)
"{0:N2} GB/s; CPU {7:N2} s; peak RSS over baseline {1:N1} MiB; GCs gen0/1/2: {2}/{3}/{4}; allocated {5:N0} MiB; GC pause {6:N0} ms" -f ($r.bytes / $r.secs / 1e9),
    (($r.peak_rss_kib - $r.baseline_rss_kib) / 1024), ($gc1[0] - $gc0[0]), ($gc1[1] - $gc0[1]), ($gc1[2] - $gc0[2]),
    ([GC]::GetTotalAllocatedBytes($false) / 1MB), [GC]::GetTotalPauseDuration().TotalMilliseconds, $r.cpu_secs
"JIT during the measured run: {0} methods, {1:N0} ms (with DOTNET_JitDisasmSummary=1 and DOTNET_JitStdOutFile=F: lines {2}..{3} of F)" -f ($r.jit_methods_after - $r.jit_methods_before), $r.jit_ms, ($r.jit_methods_before + 1), $r.jit_methods_after
"page faults per message: {0:N0}" -f (([long](([System.IO.File]::ReadAllText('/proc/self/stat') -split ' ')[9]) - $minflt0) / $Count)
'CPU by thread: ' + (((Get-BenchThreadCpuDelta $threads0 $threads1).GetEnumerator() | Sort-Object Value -Descending | ForEach-Object { '{0} {1} s' -f $_.Key, $_.Value }) -join '; ')
[Environment]::Exit(0)

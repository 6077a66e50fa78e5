# Diagnostic: where the memory of idle connections goes (RSS vs .NET managed heap), for one peer.
#   pwsh -File bench/diag/IdleMemory.ps1 -Peer ours|pode -Url ws://127.0.0.1:PORT/echo [-Count 500] [-WarmRounds 1]
# -WarmRounds: rounds of Count connections opened and closed before the measured one, so that the
# connect path's JIT code and the GC's committed memory are not counted as the connections'.
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Count = 500,
    [int] $WarmRounds = 1,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir
function Snapshot {
    Invoke-BenchGC
    @{ Rss = (Get-BenchMemoryKiB).Rss; Managed = [GC]::GetTotalMemory($true) / 1KB; Threads = (Get-Process -Id $PID).Threads.Count }
}
& $BenchConnect -Name warm -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType text/plain
& $BenchDisconnect -Name warm; & $BenchRemove -Name warm
for ($r = 0; $r -lt $WarmRounds; $r++) {
    for ($i = 0; $i -lt $Count; $i++) { & $BenchConnect -Name "w$i" -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType text/plain }
    for ($i = 0; $i -lt $Count; $i++) { & $BenchDisconnect -Name "w$i"; & $BenchRemove -Name "w$i" }
}
$a = Snapshot
for ($i = 0; $i -lt $Count; $i++) { & $BenchConnect -Name "c$i" -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType text/plain }
Start-Sleep -Seconds 2
$b = Snapshot
"{0}: {1} connections: RSS +{2:N1} KiB/conn, managed heap +{3:N1} KiB/conn, threads {4} -> {5}" -f $Peer, $Count,
    (($b.Rss - $a.Rss) / $Count), (($b.Managed - $a.Managed) / $Count), $a.Threads, $b.Threads
for ($i = 0; $i -lt $Count; $i++) { & $BenchDisconnect -Name "c$i"; & $BenchRemove -Name "c$i" }
$c = Snapshot
"{0}: after closing all: RSS {1:N0} KiB above the start, managed heap {2:N0} KiB above the start" -f $Peer, ($c.Rss - $a.Rss), ($c.Managed - $a.Managed)
[Environment]::Exit(0)

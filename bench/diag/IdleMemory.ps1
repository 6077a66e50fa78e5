# Diagnostic: where the memory of idle connections goes (RSS vs .NET managed heap), for one peer.
#   pwsh -File bench/diag/IdleMemory.ps1 -Peer ours|pode -Url ws://127.0.0.1:PORT/echo [-Count 500]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Count = 500,
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

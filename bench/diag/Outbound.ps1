# Diagnostic: a send loop to the sink for one peer, after a pause so strace/perf can attach:
#   pwsh -File bench/diag/Outbound.ps1 -Peer ours -Url ws://127.0.0.1:PORT/sink [-Count 3000] [-Pipeline]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [int] $Count = 3000,
    [switch] $Pipeline,
    [int] $Delay = 3,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir
$null = Invoke-BenchOutbound -Url $Url -Count 1000 -Size 64 -Pipeline $Pipeline.IsPresent   # warm-up
"PID $PID"
Start-Sleep -Seconds $Delay
$r = Invoke-BenchOutbound -Url $Url -Count $Count -Size 64 -Pipeline $Pipeline.IsPresent
"{0:N0} msg/s" -f ($r.messages / $r.secs)
[Environment]::Exit(0)

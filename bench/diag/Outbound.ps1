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
$ps = Join-Path $PSScriptRoot '../ps'
Add-Type -Path (Join-Path $GlueDir 'BenchProbe.dll')
. (Join-Path $ps 'Handlers.ps1'); . (Join-Path $ps 'Measure.ps1')
if ($Peer -eq 'ours') {
    Import-Module (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1')
    . (Join-Path $ps 'Peer.Ours.ps1')
}
else {
    Add-Type -Path (Join-Path $GlueDir 'PodeLike.dll'); . (Join-Path $ps 'PodeLike.ps1'); . (Join-Path $ps 'Peer.PodeLike.ps1')
}
. (Join-Path $ps 'Scenarios.ps1')
$null = Invoke-BenchOutbound -Url $Url -Count 1000 -Size 64 -Pipeline $Pipeline.IsPresent   # warm-up
"PID $PID"
Start-Sleep -Seconds $Delay
$r = Invoke-BenchOutbound -Url $Url -Count $Count -Size 64 -Pipeline $Pipeline.IsPresent
"{0:N0} msg/s" -f ($r.messages / $r.secs)
[Environment]::Exit(0)

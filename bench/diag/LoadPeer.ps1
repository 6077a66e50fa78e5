# Dot-sourced by the diagnostics in this folder: loads the benchmark's shared helpers
# (bench/ps: handlers, counter, /proc readers, scenarios) and the commands of one peer, exactly
# as the benchmark's workers do.
#   . (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer ours|pode|floor -GlueDir DIR [-ModulePath PSD1]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode', 'floor')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $GlueDir,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1')
)
$ps = Join-Path $PSScriptRoot '../ps'
Add-Type -Path (Join-Path $GlueDir 'BenchProbe.dll')
. (Join-Path $ps 'Handlers.ps1'); . (Join-Path $ps 'Measure.ps1')
if ($Peer -eq 'ours') {
    Import-Module $ModulePath
    . (Join-Path $ps 'Peer.Ours.ps1')
}
elseif ($Peer -eq 'floor') {
    . (Join-Path $ps 'Floor.ps1')
}
else {
    Add-Type -Path (Join-Path $GlueDir 'PodeLike.dll'); . (Join-Path $ps 'PodeLike.ps1'); . (Join-Path $ps 'Peer.PodeLike.ps1')
}
. (Join-Path $ps 'Scenarios.ps1')

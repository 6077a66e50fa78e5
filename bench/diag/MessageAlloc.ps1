# Diagnostic: managed memory allocated per message of the inbound firehose, for ours, P or F
# (the floor's events are built before it is counted, as in the benchmark). A count, not a time:
# it holds on a loaded machine. Also prints CPU per message and gen-0 collections.
#   pwsh -File bench/diag/MessageAlloc.ps1 -Peer ours|pode|floor -Url 'ws://127.0.0.1:PORT/firehose?count=200000&size=32' [-Count 200000] [-Variant Plain|Json] [-ModulePath PSD1]
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode', 'floor')] [string] $Peer,
    [string] $Url,
    [long] $Count = 200000,
    [string] $Variant = 'Plain',
    [int] $Runs = 3,
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir -ModulePath $ModulePath
function Invoke-Once([long] $N) {
    if ($Peer -eq 'floor') {
        $events = New-BenchFloorEvents $N $Variant 32
        $parser = if ($Variant -eq 'Json') { 'api' } else { 'none' }
        $alloc0 = [GC]::GetTotalAllocatedBytes($true); $gc0 = [GC]::CollectionCount(0)
        $r = Measure-BenchFloorMethod 'pipeline' $events $BenchHandlers[$Variant] $parser
    }
    else {
        $alloc0 = [GC]::GetTotalAllocatedBytes($true); $gc0 = [GC]::CollectionCount(0)
        $r = Invoke-BenchFirehose -Url ($Url -replace 'count=\d+', "count=$N") -Count $N -Variant $Variant
    }
    return @{ bytes = ([GC]::GetTotalAllocatedBytes($true) - $alloc0) / $N; gc0 = [GC]::CollectionCount(0) - $gc0; cpu = $r.cpu_secs * 1e6 / $N }
}
$null = Invoke-Once ([math]::Min($Count, 20000))   # JIT
for ($i = 0; $i -lt $Runs; $i++) {
    $r = Invoke-Once $Count
    "{0} {1}: {2:N0} bytes allocated per message, {3} gen-0 collections, {4:N2} CPU-us per message" -f $Peer, $Variant, $r.bytes, $r.gc0, $r.cpu
}
[Environment]::Exit(0)

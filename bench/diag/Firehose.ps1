# Diagnostic: runs the inbound firehose several times in one pwsh for one peer (for perf record):
#   DOTNET_PerfMapEnabled=1 pwsh -File bench/diag/Firehose.ps1 -Peer ours -Url 'ws://127.0.0.1:PORT/firehose?count=200000&size=32' -Count 200000
# Prints "PID <pid>" first and waits -Delay seconds so perf can attach.
param(
    [Parameter(Mandatory = $true)] [ValidateSet('ours', 'pode')] [string] $Peer,
    [Parameter(Mandatory = $true)] [string] $Url,
    [long] $Count = 200000,
    [string] $Variant = 'Plain',
    [int] $Runs = 3,
    [int] $Delay = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1'),
    [string] $GlueDir = (Join-Path $PSScriptRoot '../../target/bench/glue')
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'LoadPeer.ps1') -Peer $Peer -GlueDir $GlueDir -ModulePath $ModulePath
$null = Invoke-BenchFirehose -Url $Url -Count ([math]::Min($Count, 20000)) -Variant $Variant   # warm-up (JIT)
"PID $PID"
Start-Sleep -Seconds $Delay
# CPU seconds of each thread, by name (/proc/self/task/*/stat), to split the process's CPU.
function Get-ThreadCpu {
    $byName = @{}
    foreach ($task in [System.IO.Directory]::GetDirectories('/proc/self/task')) {
        try {
            $name = [System.IO.File]::ReadAllText("$task/comm").Trim()
            $stat = [System.IO.File]::ReadAllText("$task/stat")
            $f = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
            $byName[$name] = [double]$byName[$name] + ([double]$f[11] + [double]$f[12]) / 100
        }
        catch { $null = $_ }
    }
    return $byName
}
for ($i = 0; $i -lt $Runs; $i++) {
    if ($env:DOTNET_PerfMapEnabled) { "PERFMAP before run $i : $([System.IO.File]::ReadAllLines("/tmp/perf-$PID.map").Length) lines" }
    $t0 = Get-ThreadCpu
    $j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false); $jt0 = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $r = Invoke-BenchFirehose -Url $Url -Count $Count -Variant $Variant
    $j1 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false); $jt1 = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $t1 = Get-ThreadCpu
    $split = ($t1.Keys | Sort-Object | ForEach-Object { $d = $t1[$_] - [double]$t0[$_]; if ($d -gt 0) { '{0}={1:N2}s' -f $_, $d } }) -join ' '
    "{0:N0} msg/s, {1:N2} CPU-us/msg; JIT: {3} methods, {4:N0} ms; {2}" -f ($r.messages / $r.secs), ($r.cpu_secs * 1e6 / $r.messages), $split, ($j1 - $j0), ($jt1 - $jt0).TotalMilliseconds
}
[Environment]::Exit(0)

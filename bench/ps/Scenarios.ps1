# The measured scenarios, run identically against whichever peer the worker loaded (its commands
# are in $BenchConnect / $BenchSend / $BenchDisconnect / $BenchRemove). Each returns a hashtable
# that the runner reads as JSON. Times are wall-clock (Stopwatch); CPU is the whole process.
$script:BenchRun = 0

function New-BenchName([string] $Prefix) {
    $script:BenchRun++
    return "$Prefix$($script:BenchRun)"
}

function Close-BenchConnection([string] $Name) {
    & $BenchDisconnect -Name $Name
    & $BenchRemove -Name $Name
}

function Invoke-BenchPing { return @{ ok = $true; pid = $PID; peer = $Peer } }

# Inbound firehose: the server sends Count messages as fast as it can; time from before the
# connect until the handler has seen the last one.
function Invoke-BenchFirehose([string] $Url, [long] $Count, [string] $Variant, [int] $TimeoutSec = 900,
    [hashtable] $ConnectOptions = @{}, [scriptblock] $Measure = $null) {
    # $ConnectOptions: more parameters of the peer's connect; $Measure: runs with the connection's
    # name before it closes, and what it returns (a hashtable) joins the result
    $handler = $BenchHandlers[$Variant]
    $contentType = if ($Variant -eq 'Json') { 'application/json' } else { 'text/plain' }
    $name = New-BenchName 'firehose'
    [BenchProbe]::Arm($Count)
    $cpu0 = Get-BenchCpuSeconds
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    & $BenchConnect -Name $name -Url $Url -ScriptBlock $handler -ContentType $contentType @ConnectOptions
    $done = [BenchProbe]::Wait($TimeoutSec * 1000)
    $secs = $sw.Elapsed.TotalSeconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    $seen = [BenchProbe]::Count
    $measured = if ($null -ne $Measure) { & $Measure $name } else { @{} }
    Close-BenchConnection $name
    if (!$done) { throw "the handler saw $seen of $Count messages within $TimeoutSec s" }
    return @{ messages = $Count; secs = $secs; cpu_secs = $cpu } + $measured
}

# Inbound firehose for a peer that may lose messages (the real Pode): the server closes after the
# last message; the run ends when the handler has seen every message or the peer has taken them
# all (Test-BenchDrained: closed and nothing left to handle). `handled` counts the handler's
# calls, `lost` the messages it never saw.
function Invoke-BenchFirehoseToClose([string] $Url, [long] $Count, [string] $Variant, [int] $TimeoutSec = 900) {
    $handler = $BenchHandlers[$Variant]
    $contentType = if ($Variant -eq 'Json') { 'application/json' } else { 'text/plain' }
    $name = New-BenchName 'firehose'
    [BenchProbe]::Arm($Count)
    $cpu0 = Get-BenchCpuSeconds
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    & $BenchConnect -Name $name -Url $Url -ScriptBlock $handler -ContentType $contentType
    $drained = $false
    while (!($done = [BenchProbe]::Wait(5)) -and !($drained = Test-BenchDrained $name)) {
        if ($sw.Elapsed.TotalSeconds -gt $TimeoutSec) { break }
    }
    $secs = $sw.Elapsed.TotalSeconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    $seen = [BenchProbe]::Count
    Close-BenchConnection $name
    if (!$done -and !$drained) { throw "the handler saw $seen of $Count messages within $TimeoutSec s" }
    if ($seen -eq 0) { throw "the handler saw none of $Count messages" }
    return @{ messages = $seen; sent = $Count; lost = $Count - $seen; secs = $secs; cpu_secs = $cpu }
}

# Round trip: send one message, the server echoes it, wait until the handler has seen it.
function Invoke-BenchRoundtrip([string] $Url, [int] $Size, [int] $Trips, [int] $Warmup = 200) {
    $name = New-BenchName 'roundtrip'
    $message = 'r' * $Size
    & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'
    $latencies = [double[]]::new($Trips)
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $toMicros = 1e6 / [System.Diagnostics.Stopwatch]::Frequency
    try {
        for ($i = -$Warmup; $i -lt $Trips; $i++) {
            [BenchProbe]::Arm(1)
            $t0 = $sw.ElapsedTicks
            & $BenchSend -Name $name -Message $message
            if (![BenchProbe]::Wait(10000)) { throw "no echo within 10 s (trip $i)" }
            if ($i -ge 0) { $latencies[$i] = ($sw.ElapsedTicks - $t0) * $toMicros }
        }
    }
    finally { Close-BenchConnection $name }
    return @{
        trips  = $Trips
        p50_us = Get-BenchPercentile $latencies 50
        p99_us = Get-BenchPercentile $latencies 99
        mean_us = ($latencies | Measure-Object -Average).Average
    }
}

# Outbound: Count sends from this runspace to the sink, then "__count__"; the sink answers after
# it has read everything before it, so the reply proves every message arrived. -Pipeline pipes
# the messages into one call of the send command instead of calling it once per message.
function Invoke-BenchOutbound([string] $Url, [int] $Count, [int] $Size, [bool] $Pipeline = $false, [bool] $Sync = $false) {
    $name = New-BenchName 'outbound'
    $message = 'o' * $Size
    $messages = [string[]]::new($(if ($Pipeline) { $Count } else { 0 }))
    [System.Array]::Fill($messages, $message)
    & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Reply -ContentType 'text/plain'
    try {
        [BenchProbe]::Arm(1)
        Wait-BenchSync $Sync
        $cpu0 = Get-BenchCpuSeconds
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        if ($Pipeline) {
            $messages | & $BenchSend -Name $name
        }
        else {
            for ($i = 0; $i -lt $Count; $i++) {
                & $BenchSend -Name $name -Message $message
            }
        }
        $sendSecs = $sw.Elapsed.TotalSeconds
        & $BenchSend -Name $name -Message '__count__'
        if (![BenchProbe]::Wait(600000)) { throw 'no reply from the sink within 600 s' }
        $secs = $sw.Elapsed.TotalSeconds
        $cpu = (Get-BenchCpuSeconds) - $cpu0
    }
    finally { Close-BenchConnection $name }
    $received = [long][BenchProbe]::LastText
    if ($received -ne $Count) { throw "the sink counted $received of $Count messages" }
    return @{ messages = $Count; secs = $secs; send_loop_secs = $sendSecs; cpu_secs = $cpu }
}

# Large binary messages into a handler reading RawBody.Length; peak RSS over the idle baseline
# (RSS after a warm-up run and a full GC, when VmHWM is reset). ReuseRawBody: ours connects with
# -ReuseRawBody (the arrays handed back once handled, not found by collections).
function Invoke-BenchLarge([string] $Url, [string] $WarmupUrl, [int] $Count, [long] $Size, [bool] $ReuseRawBody = $false) {
    $ConnectOptions = if ($ReuseRawBody) { @{ ReuseRawBody = $true } } else { @{} }
    $warm = New-BenchName 'warmup'
    [BenchProbe]::Arm(4)
    & $BenchConnect -Name $warm -Url $WarmupUrl -ScriptBlock $BenchHandlers.Large -ContentType 'application/octet-stream' @ConnectOptions
    $null = [BenchProbe]::Wait(30000)
    Close-BenchConnection $warm
    Invoke-BenchGC
    Reset-BenchPeakRss
    $baseline = (Get-BenchMemoryKiB).Rss

    $name = New-BenchName 'large'
    [BenchProbe]::Arm($Count)
    $cpu0 = Get-BenchCpuSeconds
    # what .NET compiles during the run (methods numbered as DOTNET_JitStdOutFile lists them)
    $jit0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    $jitTime0 = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Large -ContentType 'application/octet-stream' @ConnectOptions
    $done = [BenchProbe]::Wait(600000)
    $secs = $sw.Elapsed.TotalSeconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    $jit1 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    $jitMs = ([System.Runtime.JitInfo]::GetCompilationTime($false) - $jitTime0).TotalMilliseconds
    $memory = Get-BenchMemoryKiB
    $bytes = [BenchProbe]::Bytes
    Close-BenchConnection $name
    if (!$done) { throw "the handler saw $([BenchProbe]::Count) of $Count messages" }
    if ($bytes -ne $Count * $Size) { throw "the handler saw $bytes bytes, expected $($Count * $Size)" }
    return @{
        messages = $Count; bytes = $bytes; secs = $secs; cpu_secs = $cpu
        baseline_rss_kib = $baseline; peak_rss_kib = $memory.Hwm
        jit_methods_before = $jit0; jit_methods_after = $jit1; jit_ms = $jitMs
    }
}

# Idle: Count open connections held for Seconds; RSS per connection and CPU while idle.
# Settle: seconds to wait after the last connect before measuring. Right after 1,000 connects
# .NET's tiered-compilation thread still re-JITs the hot connect path for several seconds (about
# 0.3 s of CPU, in every PowerShell peer); that is start-up work, not the cost of being idle.
function Invoke-BenchIdle([string] $Url, [int] $Count, [int] $Seconds, [int] $Settle = 3) {
    # Run the measuring functions first: their own first calls get JIT-compiled and tiered up
    # by .NET in the background, which would otherwise land in the measured hold.
    for ($i = 0; $i -lt 50; $i++) { $null = Get-BenchThreadCpu; $null = Get-BenchCpuSeconds; $null = Get-BenchMemoryKiB }
    # A warm-up round of as many connections, opened and closed: what the process pays once
    # (the connect path's JIT code and its tier-up, the GC's heap growth: +54 MiB for 500 in
    # bench/diag/IdleMemory.ps1, staying after every connection closed) is not counted as the
    # connections'.
    $warm = [System.Collections.Generic.List[string]]::new()
    for ($i = 0; $i -lt $Count; $i++) {
        $name = New-BenchName 'warmup'
        & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'
        $warm.Add($name)
    }
    foreach ($name in $warm) { Close-BenchConnection $name }
    $before = Get-BenchRetainedRssKiB
    $names = [System.Collections.Generic.List[string]]::new()
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $Count; $i++) {
        $name = New-BenchName 'idle'
        & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'
        $names.Add($name)
    }
    $connectSecs = $sw.Elapsed.TotalSeconds
    Start-Sleep -Milliseconds (500 + 1000 * $Settle)
    $threads0 = Get-BenchThreadCpu
    $cpu0 = Get-BenchCpuSeconds
    $sw.Restart()
    Start-Sleep -Seconds $Seconds
    $held = $sw.Elapsed.TotalSeconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    $byThread = Get-BenchThreadCpuDelta $threads0 (Get-BenchThreadCpu)
    $after = Get-BenchRetainedRssKiB
    foreach ($name in $names) { Close-BenchConnection $name }
    return @{
        connections = $Count; connect_secs = $connectSecs; held_secs = $held
        idle_cpu_secs = $cpu; idle_cpu_by_thread = $byThread; rss_before_kib = $before; rss_after_kib = $after
        rss_per_conn_kib = ($after - $before) / $Count; rss_sampled_after = 'aggressive collection'
    }
}

# Churn: connect + disconnect + remove, Cycles times; handshake = the connect command's duration.
# RSS and .NET heap growth are measured from the end of the warm-up to the end: RSS after an
# aggressive collection (Get-BenchRetainedRssKiB), the heap after a full one (the heap alone tells
# retained objects from JIT code and allocator growth).
function Invoke-BenchChurn([string] $Url, [int] $Cycles, [int] $Warmup) {
    $toMicros = 1e6 / [System.Diagnostics.Stopwatch]::Frequency
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $handshakes = [System.Collections.Generic.List[double]]::new()
    $rssWarm = 0
    for ($i = 0; $i -lt $Warmup + $Cycles; $i++) {
        # the first aggressive collection of a process gives back memory the GC takes again at
        # once (about 0.9 MiB in both peers between the first and second samples): have it in the warm-up
        if ($i -eq [math]::Floor($Warmup / 2)) { $null = Get-BenchRetainedRssKiB }
        if ($i -eq $Warmup) {
            Invoke-BenchGC
            $heapWarm = [GC]::GetTotalMemory($true)
            $rssWarm = Get-BenchRetainedRssKiB
        }
        $name = "churn$i"
        $t0 = $sw.ElapsedTicks
        & $BenchConnect -Name $name -Url $Url -ScriptBlock $BenchHandlers.Plain -ContentType 'text/plain'
        $t1 = $sw.ElapsedTicks
        Close-BenchConnection $name
        if ($i -ge $Warmup) { $handshakes.Add(($t1 - $t0) * $toMicros) }
    }
    Invoke-BenchGC
    $heapEnd = [GC]::GetTotalMemory($true)
    $rssEnd = Get-BenchRetainedRssKiB
    $values = $handshakes.ToArray()
    return @{
        cycles = $Cycles; warmup = $Warmup
        p50_us = Get-BenchPercentile $values 50
        p99_us = Get-BenchPercentile $values 99
        rss_warm_kib = $rssWarm; rss_end_kib = $rssEnd; rss_growth_kib = $rssEnd - $rssWarm
        rss_sampled_after = 'aggressive collection'
        heap_growth_kib = ($heapEnd - $heapWarm) / 1KB
    }
}

# Compression: the same JSON feed from a server that accepts permessage-deflate, with the
# connection's default offer or -NoCompression (ours only: no other peer compresses). Like
# Invoke-BenchFirehose, plus what Get-PodeWebSocket counted: message bytes and bytes on the
# wire, in, and whether permessage-deflate was negotiated.
function Invoke-BenchFirehoseWire([string] $Url, [long] $Count, [bool] $NoCompression, [int] $TimeoutSec = 900) {
    return Invoke-BenchFirehose -Url $Url -Count $Count -Variant Json -TimeoutSec $TimeoutSec `
        -ConnectOptions @{ NoCompression = $NoCompression } -Measure {
        param($Name)
        $info = PodeWebSocket\Get-PodeWebSocket -Name $Name
        @{ bytes_in = $info.BytesIn; wire_bytes_in = $info.WireBytesIn; negotiated = [bool]$info.Compression.Negotiated }
    }
}

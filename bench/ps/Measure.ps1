# Process counters read from inside a pwsh worker: CPU time of the whole process (every
# thread: dispatcher runspaces, .NET thread pool, the native core's tokio threads) and memory
# from /proc/self/status.
$script:BenchProcess = [System.Diagnostics.Process]::GetCurrentProcess()

function Get-BenchCpuSeconds {
    # /proc/self/stat utime + stime, in clock ticks (100 per second): the same source the Rust
    # harnesses fall back to, and it includes threads that already exited.
    $stat = [System.IO.File]::ReadAllText('/proc/self/stat')
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    return ([double]$fields[11] + [double]$fields[12]) / 100.0
}

function Get-BenchMemoryKiB {
    # VmRSS (now) and VmHWM (peak since start or since Reset-BenchPeakRss), in KiB.
    $result = @{}
    foreach ($line in [System.IO.File]::ReadAllLines('/proc/self/status')) {
        if ($line.StartsWith('VmRSS:')) { $result.Rss = [long]($line -split '\s+')[1] }
        elseif ($line.StartsWith('VmHWM:')) { $result.Hwm = [long]($line -split '\s+')[1] }
    }
    return $result
}

function Reset-BenchPeakRss {
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    [System.IO.File]::WriteAllText('/proc/self/clear_refs', '5')
}

function Invoke-BenchGC {
    [System.GC]::Collect()
    [System.GC]::WaitForPendingFinalizers()
    [System.GC]::Collect()
}

function Get-BenchRetainedRssKiB {
    # VmRSS after a collection that also gives back the memory .NET keeps committed but free
    # (GCCollectionMode.Aggressive, .NET 7+): what the process holds, not what the GC chose to
    # keep after its last collection (which swings by MiBs between samples with nothing leaking:
    # bench/ANALYSIS.md, churn). Every PowerShell peer is measured the same way.
    [System.GC]::Collect(2, [System.GCCollectionMode]::Aggressive, $true, $true)
    [System.GC]::WaitForPendingFinalizers()
    [System.GC]::Collect(2, [System.GCCollectionMode]::Aggressive, $true, $true)
    return (Get-BenchMemoryKiB).Rss
}

function Get-BenchPercentile([double[]] $Values, [double] $P) {
    $sorted = [double[]]$Values.Clone()
    [System.Array]::Sort($sorted)
    $index = [math]::Min($sorted.Length - 1, [math]::Max(0, [math]::Ceiling($P / 100.0 * $sorted.Length) - 1))
    return $sorted[$index]
}

function Wait-BenchSync([bool] $Sync) {
    if (!$Sync) { return }
    [Console]::Out.WriteLine('SYNC')
    [Console]::Out.Flush()
    $null = [Console]::In.ReadLine()
}

function Get-BenchThreadCpu {
    # CPU seconds of each thread (/proc/self/task/*): thread id -> @{ Name; Cpu }, to tell which
    # part of the process spent the time (dispatcher runspaces, the native core's tokio threads,
    # .NET's JIT and GC).
    $threads = @{}
    foreach ($task in [System.IO.Directory]::GetDirectories('/proc/self/task')) {
        try {
            # schedstat's first field is the thread's time on a CPU in ns: exact, where the
            # utime/stime ticks of a thread miss short bursts.
            $threads[[System.IO.Path]::GetFileName($task)] = @{
                Name = [System.IO.File]::ReadAllText("$task/comm").Trim()
                Cpu  = [double][System.IO.File]::ReadAllText("$task/schedstat").Split(' ')[0] / 1e9
            }
        }
        catch { $null = $_ }   # the thread exited meanwhile
    }
    return $threads
}

function Get-BenchThreadCpuDelta([hashtable] $Before, [hashtable] $After) {
    # CPU seconds by thread name between two Get-BenchThreadCpu snapshots, of the threads alive
    # at the second (one that began in between counts whole; one that ended in between is in the
    # process's CPU, not here: its time is gone with it).
    $delta = @{}
    foreach ($tid in $After.Keys) {
        $name = $After[$tid].Name
        $delta[$name] = [double]$delta[$name] + $After[$tid].Cpu - $(if ($Before.ContainsKey($tid)) { $Before[$tid].Cpu } else { 0 })
    }
    foreach ($name in @($delta.Keys)) {
        if ($delta[$name] -gt 0.0005) { $delta[$name] = [math]::Round($delta[$name], 3) } else { $delta.Remove($name) }
    }
    return $delta
}

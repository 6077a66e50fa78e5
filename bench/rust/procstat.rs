//! CPU time and memory of the current process, read from /proc (Linux), shared by the Rust
//! benchmark harnesses (included with `#[path]` so they need no extra crate).

/// One reading of this process's counters.
pub struct Sample {
    /// CPU time of the live threads so far, in seconds, from each thread's schedstat
    /// (nanosecond resolution; threads that already exited are not counted, and the harnesses
    /// keep theirs alive). Falls back to /proc/self/stat (10 ms ticks) when unavailable.
    pub cpu_secs: f64,
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Peak resident set size (VmHWM), KiB.
    pub hwm_kib: u64,
}

/// Clock ticks per second of /proc/<pid>/stat; 100 on every Linux x86-64/arm64 kernel we run on.
const TICKS_PER_SEC: f64 = 100.0;

pub fn sample() -> Sample {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after ')'.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let cpu_secs = schedstat_secs().unwrap_or((tick(11) + tick(12)) / TICKS_PER_SEC);
    Sample {
        cpu_secs,
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
    }
}

/// Sum of the first field (ns on CPU) of /proc/self/task/*/schedstat.
fn schedstat_secs() -> Option<f64> {
    let mut total_ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total_ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total_ns as f64 / 1e9)
}

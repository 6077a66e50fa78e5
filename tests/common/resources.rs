//! What the test process holds, read from /proc/self (Linux): threads, file descriptors and
//! memory, to prove that faults and load leave nothing behind.

use std::fs;

/// The names of the process's threads (`comm`, at most 15 bytes each).
pub fn thread_names() -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(tasks) = fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(comm) = fs::read_to_string(task.path().join("comm")) {
                names.push(comm.trim_end().to_string());
            }
        }
    }
    names
}

/// Threads started by the library: its tokio runtime names every thread `pode-ws-worker`
/// (the fixed workers and any blocking-pool thread).
pub fn library_threads() -> usize {
    thread_names()
        .iter()
        .filter(|n| n.starts_with("pode-ws"))
        .count()
}

/// Every thread of the process.
pub fn all_threads() -> usize {
    thread_names().len()
}

/// Open file descriptors of the process.
pub fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// A `kB` field of /proc/self/status, in bytes.
fn status_kb(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory now, in bytes.
pub fn rss() -> u64 {
    status_kb("VmRSS:")
}

/// Peak resident memory (the high-water mark), in bytes.
pub fn peak_rss() -> u64 {
    status_kb("VmHWM:")
}

/// Returns the allocator's free memory to the system (glibc keeps freed memory resident for
/// reuse), so resident memory measures what is in use rather than what earlier tests freed.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resets the peak resident memory to the current value (Linux 4.0+), so a test measures its
/// own peak rather than that of earlier tests. Returns false where that is not possible.
pub fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Raises the soft limit of open files to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
        limit.rlim_cur
    }
}

pub const MIB: u64 = 1 << 20;

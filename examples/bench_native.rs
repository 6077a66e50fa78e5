//! Benchmark "native ceiling": the firehose consumed through the C ABI by a Rust harness
//! (see bench/README.md).
//!
//! ```text
//! bench_native firehose|large <url> <count> [options-json]
//! ```
//! Calls the exported `pode_ws_*` functions exactly as a C caller would — `pode_ws_connect`,
//! then `pode_ws_poll` in batches (max_events 0 = the library's default batch) — and counts
//! text/binary events until `<count>` arrived. Prints one JSON line shaped like bench_raw's, so
//! the two are compared as they are: the core's reading, queueing and batching against a plain
//! tokio-tungstenite read loop.

#[path = "../bench/rust/procstat.rs"]
mod procstat;

use std::time::Instant;

use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

const KIND_TEXT: u32 = 1;
const KIND_BINARY: u32 = 2;
const KIND_CLOSED: u32 = 4;

fn last_error() -> String {
    let mut buf = vec![0u8; 4096];
    let mut len = 0usize;
    // SAFETY: buf is writable for buf.len() bytes and len is a valid out-param.
    unsafe { pode_ws_last_error(buf.as_mut_ptr(), buf.len(), &mut len) };
    buf.truncate(len.min(buf.len()));
    String::from_utf8_lossy(&buf).into_owned()
}

fn check(what: &str, r: PodeWsResult) {
    if r != PodeWsResult::Ok {
        panic!("{what} failed ({r:?}): {}", last_error());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, url, count, options) = match args.as_slice() {
        [m, u, c] => (m, u, c, "{}"),
        [m, u, c, o] => (m, u, c, o.as_str()),
        _ => {
            eprintln!("usage: bench_native firehose|large <url> <count> [options-json]");
            std::process::exit(2);
        }
    };
    let count: u64 = count.parse().expect("count is a number");
    if mode != "firehose" && mode != "large" {
        eprintln!("unknown mode {mode}; expected firehose or large");
        std::process::exit(2);
    }

    let name = "bench";
    let baseline = procstat::sample();
    let started = Instant::now();
    let mut poller: *mut PodeWsPoller = std::ptr::null_mut();
    // SAFETY: every pointer/length pair below comes from a live Rust string or out-variable.
    unsafe {
        check("pode_ws_poller_new", pode_ws_poller_new(&mut poller));
        let mut id = 0u64;
        check(
            "pode_ws_connect",
            pode_ws_connect(
                name.as_ptr(),
                name.len(),
                url.as_ptr(),
                url.len(),
                options.as_ptr(),
                options.len(),
                &mut id,
            ),
        );
    }

    let mut messages = 0u64;
    let mut bytes = 0u64;
    let mut polls = 0u64;
    while messages < count {
        let mut events: *const PodeWsEvent = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: poller is live; the batch is read before the next poll.
        unsafe {
            check(
                "pode_ws_poll",
                pode_ws_poll(poller, 5_000, 0, &mut events, &mut len),
            );
        }
        if len == 0 {
            panic!("no event within 5 s after {messages} of {count} messages");
        }
        polls += 1;
        // SAFETY: the library guarantees `len` events at `events` until the next poll.
        let batch = unsafe { std::slice::from_raw_parts(events, len) };
        for event in batch {
            match event.kind {
                KIND_TEXT | KIND_BINARY => {
                    messages += 1;
                    bytes += event.data_len as u64;
                }
                KIND_CLOSED => panic!("closed after {messages} of {count} messages"),
                _ => {}
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let end = procstat::sample();
    // SAFETY: as above; the poller is not used after being freed.
    unsafe {
        let _ = pode_ws_remove(name.as_ptr(), name.len());
        pode_ws_poller_free(poller);
    }

    println!(
        "{}",
        serde_json::json!({
            "peer": "native",
            "mode": mode,
            "messages": messages,
            "bytes": bytes,
            "polls": polls,
            "secs": secs,
            "cpu_secs": end.cpu_secs - baseline.cpu_secs,
            "baseline_rss_kib": baseline.rss_kib,
            "peak_rss_kib": end.hwm_kib,
        })
    );
}

//! Benchmark "native ceiling": our core driven through its C ABI by a Rust harness, with no
//! PowerShell (see bench/README.md).
//!
//! ```text
//! bench_native firehose|large <url> <count> [options-json]
//! bench_native idle <url> <connections> <seconds>
//! bench_native churn <url> <cycles> <warmup>
//! ```
//! Calls the exported `pode_ws_*` functions exactly as a C caller would: `pode_ws_connect`, then
//! `pode_ws_poll` in batches (max_events 0 = the library's default batch), counting text/binary
//! events. `idle` and `churn` isolate the core's share of the PowerShell idle and churn figures.
//! Prints one JSON line shaped like bench_raw's, so the two compare directly.

#[path = "../bench/rust/procstat.rs"]
mod procstat;

use std::time::{Duration, Instant};

use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;
use serde_json::{json, Value};

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

fn connect(name: &str, url: &str, options: &str) {
    let mut id = 0u64;
    // SAFETY: the pointer/length pairs come from live Rust strings; id is a valid out-param.
    let r = unsafe {
        pode_ws_connect(
            name.as_ptr(),
            name.len(),
            url.as_ptr(),
            url.len(),
            options.as_ptr(),
            options.len(),
            &mut id,
        )
    };
    check("pode_ws_connect", r);
}

fn close(name: &str) {
    // SAFETY: as in `connect`.
    unsafe {
        check(
            "pode_ws_disconnect",
            pode_ws_disconnect(name.as_ptr(), name.len(), 1000, std::ptr::null(), 0),
        );
        check("pode_ws_remove", pode_ws_remove(name.as_ptr(), name.len()));
    }
}

fn new_poller() -> *mut PodeWsPoller {
    let mut poller: *mut PodeWsPoller = std::ptr::null_mut();
    // SAFETY: poller is a valid out-param.
    check("pode_ws_poller_new", unsafe {
        pode_ws_poller_new(&mut poller)
    });
    poller
}

/// Polls one batch (waiting up to `timeout_ms`) and hands each event to `each`.
fn poll(poller: *mut PodeWsPoller, timeout_ms: u32, mut each: impl FnMut(&PodeWsEvent)) -> usize {
    let mut events: *const PodeWsEvent = std::ptr::null();
    let mut len = 0usize;
    // SAFETY: poller is live; the batch is only read before the next poll.
    check("pode_ws_poll", unsafe {
        pode_ws_poll(poller, timeout_ms, 0, &mut events, &mut len)
    });
    if len > 0 {
        // SAFETY: the library guarantees `len` events at `events` until the next poll.
        for event in unsafe { std::slice::from_raw_parts(events, len) } {
            each(event);
        }
    }
    len
}

/// The server's `/echo` beside `url` (same scheme, host and port).
fn echo_url(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    format!("{}/echo", &url[..end])
}

/// Consumes `count` messages; returns the measurement.
fn stream(url: &str, count: u64, options: &str) -> Value {
    let name = "bench";
    // The library starts its runtime (two threads) on the first connect: do that before the
    // clock, as R's runtime is started before its clock (a quick run's firehose lasts
    // milliseconds, and starting threads on a loaded machine can take as long).
    let poller = new_poller();
    connect("warmup", &echo_url(url), options);
    close("warmup");
    while poll(poller, 0, |_| {}) > 0 {}
    let baseline = procstat::sample();
    let started = Instant::now();
    connect(name, url, options);
    let (mut messages, mut bytes, mut polls) = (0u64, 0u64, 0u64);
    // Diagnostic: BENCH_CONSUMER_DELAY_US makes the consumer as slow as a PowerShell handler,
    // to show what the core holds in memory under backpressure.
    let delay = std::env::var("BENCH_CONSUMER_DELAY_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_micros);
    while messages < count {
        let taken = poll(poller, 5_000, |event| match event.kind {
            KIND_TEXT | KIND_BINARY => {
                messages += 1;
                bytes += event.data_len as u64;
                if let Some(delay) = delay {
                    std::thread::sleep(delay);
                }
            }
            KIND_CLOSED => panic!("closed after {messages} of {count} messages"),
            _ => {}
        });
        if taken == 0 {
            panic!("no event within 5 s after {messages} of {count} messages");
        }
        polls += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let end = procstat::sample();
    close(name);
    // SAFETY: the poller is not used after being freed.
    unsafe { pode_ws_poller_free(poller) };
    json!({
        "messages": messages, "bytes": bytes, "polls": polls, "secs": secs,
        "cpu_secs": end.cpu_secs - baseline.cpu_secs,
        "baseline_rss_kib": baseline.rss_kib, "peak_rss_kib": end.hwm_kib,
    })
}

/// Opens `count` connections, holds them `seconds`, reports RSS per connection and idle CPU.
fn idle(url: &str, count: u64, seconds: u64) -> Value {
    let poller = new_poller();
    connect("warmup", url, "{}");
    close("warmup");
    while poll(poller, 0, |_| {}) > 0 {}
    let before = procstat::sample();
    for i in 0..count {
        connect(&format!("idle{i}"), url, "{}");
    }
    while poll(poller, 0, |_| {}) > 0 {} // drain the Opened events, as a dispatcher would
    std::thread::sleep(Duration::from_secs(1));
    let held_from = procstat::sample();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let held = started.elapsed().as_secs_f64();
    let after = procstat::sample();
    for i in 0..count {
        close(&format!("idle{i}"));
    }
    json!({
        "connections": count, "held_secs": held,
        "idle_cpu_secs": after.cpu_secs - held_from.cpu_secs,
        "rss_before_kib": before.rss_kib, "rss_after_kib": after.rss_kib,
        "rss_per_conn_kib": (after.rss_kib as f64 - before.rss_kib as f64) / count as f64,
    })
}

/// `warmup` + `cycles` connect/disconnect/remove cycles; handshake = the connect call.
fn churn(url: &str, cycles: u64, warmup: u64) -> Value {
    let poller = new_poller();
    let mut handshakes = Vec::with_capacity(cycles as usize);
    let mut rss_warm = 0;
    for i in 0..warmup + cycles {
        if i == warmup {
            rss_warm = procstat::sample().rss_kib;
        }
        let t0 = Instant::now();
        connect("churn", url, "{}");
        let took = t0.elapsed();
        close("churn");
        while poll(poller, 0, |_| {}) > 0 {}
        if i >= warmup {
            handshakes.push(took.as_secs_f64() * 1e6);
        }
    }
    let rss_end = procstat::sample().rss_kib;
    handshakes.sort_by(f64::total_cmp);
    let pct =
        |p: f64| handshakes[((p / 100.0 * handshakes.len() as f64).ceil() as usize).max(1) - 1];
    json!({
        "cycles": cycles, "warmup": warmup, "p50_us": pct(50.0), "p99_us": pct(99.0),
        "rss_warm_kib": rss_warm, "rss_end_kib": rss_end,
        "rss_growth_kib": rss_end as i64 - rss_warm as i64,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_native firehose|large <url> <count> [options-json] | idle <url> <connections> <seconds> | churn <url> <cycles> <warmup>";
    let [mode, url, n, rest @ ..] = args.as_slice() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("a count");
    let extra = rest.first().map(String::as_str);
    let number = || extra.and_then(|v| v.parse::<u64>().ok()).expect(usage);
    let mut result = match mode.as_str() {
        "firehose" | "large" => stream(url, n, extra.unwrap_or("{}")),
        "idle" => idle(url, n, number()),
        "churn" => churn(url, n, number()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    result["peer"] = json!("native");
    result["mode"] = json!(mode);
    println!("{result}");
}

//! Benchmark peer R: raw tokio-tungstenite, no FFI (see bench/README.md).
//!
//! ```text
//! bench_raw firehose|large <url> <count>
//! ```
//! Connects to `<url>` (the echo server's `/firehose` route), reads `<count>` text or binary
//! messages as fast as tokio-tungstenite delivers them, and prints one JSON line: wall time from
//! before the connect to the last message, CPU time of this process, bytes received and peak RSS.
//! The measured work is what any Rust user of the crate would write: `while let Some(m) = next()`.

#[path = "../bench/rust/procstat.rs"]
mod procstat;

use std::time::Instant;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, url, count] = args.as_slice() else {
        eprintln!("usage: bench_raw firehose|large <url> <count>");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("count is a number");
    if mode != "firehose" && mode != "large" {
        eprintln!("unknown mode {mode}; expected firehose or large");
        std::process::exit(2);
    }

    let baseline = procstat::sample();
    let started = Instant::now();
    // The core's limits are 64 MiB per message and 16 MiB per frame; lift them here so R is
    // never slowed or stopped by a check the workload does not need.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));

    let mut messages = 0u64;
    let mut bytes = 0u64;
    while messages < count {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                messages += 1;
                bytes += t.len() as u64;
            }
            Some(Ok(Message::Binary(b))) => {
                messages += 1;
                bytes += b.len() as u64;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("read failed after {messages} messages: {e}"),
            None => panic!("the server closed after {messages} of {count} messages"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let end = procstat::sample();
    let _ = ws.close(None).await;

    println!(
        "{}",
        serde_json::json!({
            "peer": "raw",
            "mode": mode,
            "messages": messages,
            "bytes": bytes,
            "secs": secs,
            "cpu_secs": end.cpu_secs - baseline.cpu_secs,
            "baseline_rss_kib": baseline.rss_kib,
            "peak_rss_kib": end.hwm_kib,
        })
    );
}

//! Benchmark peer R: raw tokio-tungstenite, no FFI (see bench/README.md).
//!
//! ```text
//! bench_raw firehose|large <url> <count>
//! bench_raw idle <url> <connections> <seconds>
//! bench_raw churn <url> <cycles> <warmup>
//! ```
//! What any Rust user of the crate would write: `while let Some(m) = ws.next().await`, one task
//! per connection. Prints one JSON line (wall time from before the connect to the last message,
//! CPU time of this process, bytes received, RSS), shaped like bench_native's.

#[path = "../bench/rust/procstat.rs"]
mod procstat;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

async fn open(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    // Our core's limits are 64 MiB per message and 16 MiB per frame; R gets none, so it is
    // never slowed or stopped by a check the workload does not need.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
        .0
}

async fn stream(url: &str, count: u64) -> Value {
    let baseline = procstat::sample();
    let started = Instant::now();
    let mut ws = open(url).await;
    let (mut messages, mut bytes) = (0u64, 0u64);
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
    json!({
        "messages": messages, "bytes": bytes, "secs": secs,
        "cpu_secs": end.cpu_secs - baseline.cpu_secs,
        "baseline_rss_kib": baseline.rss_kib, "peak_rss_kib": end.hwm_kib,
    })
}

async fn idle(url: &str, count: u64, seconds: u64) -> Value {
    open(url).await.close(None).await.ok();
    let before = procstat::sample();
    let mut readers = Vec::new();
    for _ in 0..count {
        let mut ws = open(url).await;
        readers.push(tokio::spawn(async move {
            while let Some(Ok(_)) = ws.next().await {}
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held_from = procstat::sample();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let held = started.elapsed().as_secs_f64();
    let after = procstat::sample();
    for reader in readers {
        reader.abort();
    }
    json!({
        "connections": count, "held_secs": held,
        "idle_cpu_secs": after.cpu_secs - held_from.cpu_secs,
        "rss_before_kib": before.rss_kib, "rss_after_kib": after.rss_kib,
        "rss_per_conn_kib": (after.rss_kib as f64 - before.rss_kib as f64) / count as f64,
    })
}

async fn churn(url: &str, cycles: u64, warmup: u64) -> Value {
    let mut handshakes = Vec::with_capacity(cycles as usize);
    let mut rss_warm = 0;
    for i in 0..warmup + cycles {
        if i == warmup {
            rss_warm = procstat::sample().rss_kib;
        }
        let t0 = Instant::now();
        let mut ws = open(url).await;
        let took = t0.elapsed();
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_raw firehose|large <url> <count> | idle <url> <connections> <seconds> | churn <url> <cycles> <warmup>";
    let [mode, url, n, rest @ ..] = args.as_slice() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("a count");
    let number = || {
        rest.first()
            .and_then(|v| v.parse::<u64>().ok())
            .expect(usage)
    };
    let mut result = match mode.as_str() {
        "firehose" | "large" => stream(url, n).await,
        "idle" => idle(url, n, number()).await,
        "churn" => churn(url, n, number()).await,
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    result["peer"] = json!("raw");
    result["mode"] = json!(mode);
    println!("{result}");
}

//! A process that ends while its connections are busy (a full event queue, a send blocked on a
//! full send queue, a wss:// connection exchanging data, a poller thread blocked in a poll) exits
//! at once and cleanly: no hang waiting for the library's threads, no crash in its exit handlers
//! (OpenSSL's among them), with or without pode_ws_shutdown first.
//!
//! The busy process is this test binary itself, run again as a child for its ignored test
//! `child_with_traffic_in_flight`.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::tls::{self_signed, tls_echo_server};
use common::*;
use futures_util::SinkExt;
use pode_ws::ffi::{pode_ws_shutdown, PODE_WS_INFINITE};
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);
/// Tells the child how to end: `exit` (just return) or `shutdown` (pode_ws_shutdown first).
const MODE: &str = "PODE_WS_EXIT_MODE";

#[test]
#[ignore = "the child half of the process exit tests; they run it in a child process"]
fn child_with_traffic_in_flight() {
    let mode = std::env::var(MODE).expect("run by the process exit tests");

    // Inbound: a flood nobody polls, so its queue is full and the server pushed back.
    let flood = ws_server(|mut ws, _| async move {
        while ws.feed(Message::binary(vec![3u8; 1024])).await.is_ok() {}
    });
    let flooded = unique("flooded");
    connect(
        &flooded,
        &flood.url(),
        r#"{"queue": {"maxEvents": 50}, "closeTimeoutMs": 1000}"#,
    )
    .unwrap();
    wait_until(LIMIT, "a full queue", || {
        info(&flooded).unwrap()["queuedEvents"].as_u64().unwrap() >= 50
    });

    // Outbound: a server that never reads, and a sender blocked on the full send queue.
    let deaf = ws_server(|ws, _| async move {
        let _held = ws;
        std::future::pending::<()>().await;
    });
    let deafened = unique("deafened");
    connect(
        &deafened,
        &deaf.url(),
        r#"{"sendQueue": 2, "closeTimeoutMs": 1000}"#,
    )
    .unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    {
        let (name, sent) = (deafened.clone(), Arc::clone(&sent));
        std::thread::spawn(move || {
            let big = vec![0u8; 1 << 20];
            while send_binary(&name, &big).is_ok() {
                sent.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let mut last = usize::MAX;
    wait_until(LIMIT, "send to block", || {
        std::thread::sleep(Duration::from_millis(100));
        let now = sent.load(Ordering::SeqCst);
        std::mem::replace(&mut last, now) == now
    });

    // TLS busy in both directions at the moment of exit.
    let cert = self_signed("exit-test");
    let tls = tls_echo_server(&cert, false);
    let secure = unique("secure");
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    connect(&secure, &tls.url(), &options).unwrap();
    {
        let name = secure.clone();
        std::thread::spawn(move || while send_text(&name, "tick").is_ok() {});
    }

    // A poller thread blocked in an infinite poll (the flood's events are not its: it takes
    // one event at a time, slowly).
    std::thread::spawn(|| {
        let poller = TestPoller::new();
        while poller.poll(PODE_WS_INFINITE, 1).is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
    });

    println!("CHILD-READY");
    if mode == "shutdown" {
        assert_eq!(pode_ws_shutdown(), pode_ws::error::PodeWsResult::Ok);
    }
    // Returning ends the test run, and the process, with all of the above in flight.
}

/// Runs the child in `mode`; returns how long it took to exit once everything was in flight.
fn exit_time(mode: &str) -> Duration {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_with_traffic_in_flight",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MODE, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    let started = Instant::now();
    let mut said = Vec::new();
    let mut ready_at: Option<Instant> = None;
    let (status, exited_at) = loop {
        for (at, line) in rx.try_iter() {
            if line.contains("CHILD-READY") {
                ready_at = Some(at);
            }
            said.push(line);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break (status, Instant::now());
        }
        let hung = ready_at.is_some_and(|at| at.elapsed() > Duration::from_secs(20));
        if hung || started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("the process did not exit (ready: {ready_at:?}): a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    reader.join().unwrap();
    for (at, line) in rx.try_iter() {
        if line.contains("CHILD-READY") {
            ready_at = Some(at);
        }
        said.push(line);
    }
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
    // A crash (SIGSEGV, SIGABRT in an exit handler) has no exit code.
    assert!(status.success(), "the child failed ({status}): {err}");
    assert!(
        said.iter().any(|l| l.contains("1 passed")),
        "the child's test did not pass: {said:?} {err}"
    );
    let ready_at = ready_at.expect("the child never got its traffic in flight");
    exited_at.duration_since(ready_at)
}

#[test]
fn process_exits_at_once_with_traffic_in_flight() {
    // Nothing waits for the library: well under a second on an idle machine; the margin is
    // for a loaded one (a hang is caught at 20 s).
    let took = exit_time("exit");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn process_exits_promptly_after_shutdown_with_traffic_in_flight() {
    // Shutdown waits for the closes: the deaf server never answers, so up to its close
    // timeout (1 s), then the process ends (same margin as above).
    let took = exit_time("shutdown");
    assert!(took < Duration::from_secs(6), "{took:?}");
}

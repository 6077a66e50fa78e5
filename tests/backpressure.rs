//! A slow consumer: the event queue stays bounded, the server is pushed back through TCP, and
//! after draining every message arrived exactly once, in order.
//!
//! These tests poll by themselves (slowly, on purpose), so they live in a binary without the
//! dispatcher and take turns.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// One test at a time: a poller takes any connection's events.
static TURN: Mutex<()> = Mutex::new(());

/// A server that sends `count` binary messages of `size` bytes (sequence number first) as fast
/// as TCP lets it, counting those handed to the socket.
fn flood_server(count: usize, size: usize) -> (Server, Arc<AtomicUsize>) {
    let sent: Arc<AtomicUsize> = Arc::default();
    let counter = Arc::clone(&sent);
    let server = ws_server(move |mut ws, _| {
        let sent = Arc::clone(&counter);
        async move {
            for seq in 0..count as u32 {
                let mut payload = vec![0xA5u8; size];
                payload[..4].copy_from_slice(&seq.to_be_bytes());
                if ws.feed(Message::binary(payload)).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
            let _ = ws.flush().await;
            // Answer the client's close.
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    (server, sent)
}

/// Waits until the server's send counter stops moving for a while; returns where it stopped.
fn wait_for_stall(sent: &AtomicUsize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = sent.load(Ordering::SeqCst);
    let mut still = 0;
    while still < 3 {
        assert!(Instant::now() < deadline, "the server never stalled");
        std::thread::sleep(Duration::from_millis(100));
        let now = sent.load(Ordering::SeqCst);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    last
}

fn queued(name: &str) -> (u64, u64) {
    let info = info(name).unwrap();
    (
        info["queuedEvents"].as_u64().unwrap(),
        info["queuedBytes"].as_u64().unwrap(),
    )
}

/// Takes the first event of `name` (skipping what earlier tests left), which must be Opened.
fn expect_opened(poller: &TestPoller, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        // One event at a time, so no message of `name` is taken here.
        if let Some(e) = poller.poll(100, 1).unwrap().pop() {
            if e.name == name {
                assert_eq!(e.kind, OPENED, "{e:?}");
                return;
            }
        }
    }
    panic!("no Opened event for {name}");
}

/// Drains `count` messages slowly, checking order and the queue bound as it goes.
fn drain_in_order(poller: &TestPoller, name: &str, count: usize, bound: impl Fn((u64, u64))) {
    let mut next = 0u32;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut polls = 0;
    while (next as usize) < count {
        assert!(Instant::now() < deadline, "stuck at message {next}");
        for e in poller.poll(1000, 200).unwrap() {
            if e.name != name {
                continue;
            }
            assert_eq!(e.kind, BINARY, "{e:?}");
            let seq = u32::from_be_bytes(e.data[..4].try_into().unwrap());
            assert_eq!(seq, next, "lost, duplicated or reordered");
            next += 1;
        }
        polls += 1;
        if polls % 10 == 0 {
            bound(queued(name));
            // A slow consumer: give the connection time to refill its queue.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[test]
fn slow_consumer_bounds_the_queue_and_loses_nothing() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    const COUNT: usize = 50_000;
    const SIZE: usize = 1000;
    const MAX_EVENTS: u64 = 100;
    let (server, sent) = flood_server(COUNT, SIZE);
    let poller = TestPoller::new();
    let name = unique("slow");
    connect(
        &name,
        &server.url(),
        &format!(r#"{{"queue": {{"maxEvents": {MAX_EVENTS}}}}}"#),
    )
    .unwrap();

    // Nobody polls: the connection fills its queue and stops reading, so TCP pushes back.
    let stalled = wait_for_stall(&sent);
    assert!(
        stalled < COUNT,
        "the server sent everything: no backpressure"
    );
    let (events, bytes) = queued(&name);
    assert!(events <= MAX_EVENTS + 1, "{events} events queued");
    assert!(
        bytes <= (MAX_EVENTS + 1) * SIZE as u64,
        "{bytes} bytes queued"
    );

    expect_opened(&poller, &name);
    drain_in_order(&poller, &name, COUNT, |(events, _)| {
        assert!(events <= MAX_EVENTS + 1, "{events} events queued");
    });
    assert_eq!(sent.load(Ordering::SeqCst), COUNT);
    assert_eq!(info(&name).unwrap()["messagesIn"], COUNT);
    remove(&name).unwrap();
}

#[test]
fn byte_limit_bounds_the_queue_too() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    const COUNT: usize = 2_000;
    const SIZE: usize = 10_000;
    const MAX_BYTES: u64 = 64 * 1024;
    let (server, sent) = flood_server(COUNT, SIZE);
    let poller = TestPoller::new();
    let name = unique("bytes");
    connect(
        &name,
        &server.url(),
        &format!(r#"{{"queue": {{"maxBytes": {MAX_BYTES}}}}}"#),
    )
    .unwrap();
    let stalled = wait_for_stall(&sent);
    assert!(
        stalled < COUNT,
        "the server sent everything: no backpressure"
    );
    let (_, bytes) = queued(&name);
    assert!(bytes <= MAX_BYTES + SIZE as u64, "{bytes} bytes queued");
    expect_opened(&poller, &name);
    drain_in_order(&poller, &name, COUNT, |(_, bytes)| {
        assert!(bytes <= MAX_BYTES + SIZE as u64, "{bytes} bytes queued");
    });
    remove(&name).unwrap();
}

//! Closing a connection whose server floods it and never answers the close frame: the close
//! still ends within the close timeout, and the event queue stays within its limit meanwhile,
//! whether or not a poller is draining it.
//!
//! The tests poll by themselves, so they take turns.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::watch::take_turn;
use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);
const MAX_EVENTS: u64 = 100;

/// Sends `size` byte binary messages as fast as TCP allows and never reads (so never sees, let
/// alone answers, a close frame).
fn flood_server(size: usize) -> Server {
    ws_server(move |mut ws, _| async move {
        while ws.feed(Message::binary(vec![1u8; size])).await.is_ok() {}
    })
}

fn options() -> String {
    format!(r#"{{"closeTimeoutMs": 500, "queue": {{"maxEvents": {MAX_EVENTS}}}}}"#)
}

fn queued(name: &str) -> u64 {
    info(name).unwrap()["queuedEvents"].as_u64().unwrap()
}

#[test]
fn closing_a_flooded_connection_nobody_polls_keeps_the_queue_bounded() {
    let _turn = take_turn();
    let server = flood_server(1024);
    let name = unique("flood-unpolled");
    connect(&name, &server.url(), &options()).unwrap();
    wait_until(LIMIT, "a full queue", || queued(&name) >= MAX_EVENTS);

    let closing = {
        let name = name.clone();
        std::thread::spawn(move || disconnect(&name, 1000, "enough"))
    };
    let started = Instant::now();
    let mut peak = 0;
    while !closing.is_finished() {
        peak = peak.max(queued(&name));
        assert!(started.elapsed() < LIMIT, "the disconnect hung");
        std::thread::sleep(Duration::from_millis(5));
    }
    closing.join().unwrap().unwrap();
    let took = started.elapsed();
    peak = peak.max(queued(&name));
    // The limit, the one event a full queue may exceed it by, and the Closed event.
    assert!(peak <= MAX_EVENTS + 2, "{peak} events queued while closing");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    remove(&name).unwrap();
    server.stop();
}

#[test]
fn close_timeout_holds_while_a_poller_drains_a_flood() {
    let _turn = take_turn();
    // Messages larger than the read buffer take several socket reads each.
    let server = flood_server(64 * 1024);
    let name = unique("flood-polled");
    connect(&name, &server.url(), &options()).unwrap();

    // A poller keeps taking events, so the library keeps reading the flood while it closes.
    let stop = Arc::new(AtomicBool::new(false));
    let (closed_tx, closed_rx) = crossbeam_channel::bounded(1);
    let draining = {
        let (poller, name, stop) = (TestPoller::new(), name.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                for e in poller.poll(20, 0).unwrap() {
                    if e.name == name && e.kind == CLOSED {
                        let _ = closed_tx.send(e);
                    }
                }
            }
        })
    };
    wait_until(LIMIT, "messages flowing", || {
        info(&name).unwrap()["messagesIn"].as_u64().unwrap() > 1000
    });
    let started = Instant::now();
    disconnect(&name, 1000, "enough").unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "{took:?}");
    let closed = closed_rx.recv_timeout(LIMIT).unwrap();
    assert_eq!((closed.code, closed.closed_by), (1000, BY_LOCAL));
    // The connection really stopped reading: the count no longer moves.
    let read = info(&name).unwrap()["messagesIn"].as_u64().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(info(&name).unwrap()["messagesIn"].as_u64().unwrap(), read);
    stop.store(true, Ordering::SeqCst);
    draining.join().unwrap();
    remove(&name).unwrap();
    server.stop();
}

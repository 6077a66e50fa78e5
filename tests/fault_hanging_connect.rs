//! A connect that hangs (the server accepts TCP and never answers the handshake) must never
//! trap the caller: disconnect, remove and reset cancel it at once, whether it is the first
//! connect (waited for or in the background) or an automatic reconnect, and the hanging socket
//! is released. Sends meanwhile fail
//! with a clear NotOpen.
mod common;

use std::time::{Duration, Instant};

use common::dispatch::Events;
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);
/// Long enough that only a cancel can end the hanging connect within the test.
const HANG: &str = r#""connectTimeoutMs": 30000"#;

fn assert_not_open(name: &str, state_name: &str) {
    let e = send_text(name, "too early").unwrap_err();
    assert_eq!(e.code, PodeWsResult::NotOpen, "{}", e.message);
    assert!(
        e.message.contains(name) && e.message.contains(&format!("state: {state_name}")),
        "{}",
        e.message
    );
}

/// An open connection whose server then stops and comes back as one that never answers the
/// handshake: returns once an automatic reconnect attempt is stuck in it.
fn stuck_in_reconnect(name: &str) -> (Server, crossbeam_channel::Receiver<Hang>, Events) {
    let server = echo_server_handle();
    let events = events(name);
    let options = format!(
        r#"{{{HANG}, "reconnect": {{"enabled": true, "initialDelayMs": 50, "jitter": 0}}}}"#
    );
    connect(name, &server.url(), &options).unwrap();
    events.expect(OPENED, LIMIT);
    server.stop();
    assert_eq!(events.expect(CLOSED, LIMIT).closed_by, BY_LOST);
    let (hanging, hangs) = hanging_server(Some(server.addr));
    // Attempts may be refused until the hanging server listens; then one hangs.
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
    assert_eq!(state(name).unwrap(), STATE_RECONNECTING);
    assert_not_open(name, "Reconnecting");
    (hanging, hangs, events)
}

/// The events since the attempt hung: Reconnecting (and refused attempts) only.
fn only_reconnect_events(events: &Events) {
    for e in events.drain() {
        assert!(
            e.kind == RECONNECTING
                || (e.kind == ERROR && e.code == PodeWsResult::ConnectionRefused as u32),
            "{e:?}"
        );
    }
}

#[test]
fn disconnect_cancels_a_hanging_reconnect() {
    let name = unique("hang-disconnect");
    let (hanging, hangs, events) = stuck_in_reconnect(&name);
    let started = Instant::now();
    disconnect(&name, 1000, "").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_not_open(&name, "Closed");
    only_reconnect_events(&events);
    // Reconnecting has stopped for good.
    events.assert_quiet(Duration::from_millis(300));
    assert!(hangs.try_recv().is_err(), "another attempt was made");
    remove(&name).unwrap();
    hanging.stop();
}

#[test]
fn disconnect_returns_with_the_state_already_closed() {
    // The state the caller reads right after pode_ws_disconnect returns is Closed, never a
    // Reconnecting left over from the cancelled attempt. A race: tried many times.
    let options = format!(
        r#"{{{HANG}, "reconnect": {{"enabled": true, "initialDelayMs": 0, "jitter": 0}}}}"#
    );
    for round in 0..30 {
        let server = echo_server_handle();
        let name = unique("hang-state");
        connect(&name, &server.url(), &options).unwrap();
        server.stop();
        let (hanging, hangs) = hanging_server(Some(server.addr));
        assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
        disconnect(&name, 1000, "").unwrap();
        assert_eq!(state(&name).unwrap(), STATE_CLOSED, "round {round}");
        remove(&name).unwrap();
        hanging.stop();
    }
}

#[test]
fn remove_cancels_a_hanging_reconnect() {
    let name = unique("hang-remove");
    let (hanging, hangs, events) = stuck_in_reconnect(&name);
    let started = Instant::now();
    remove(&name).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_unregistered(&name);
    only_reconnect_events(&events);
    events.assert_quiet(Duration::from_millis(300));
    hanging.stop();
}

#[test]
fn reset_replaces_a_hanging_reconnect() {
    let name = unique("hang-reset");
    let (hanging, hangs, events) = stuck_in_reconnect(&name);
    let good = tagged_echo_server("good:");
    let started = Instant::now();
    reset(&name, Some(&good.url())).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    let opened = events.until_kind(OPENED, LIMIT);
    assert_eq!(opened.last().unwrap().text(), good.url());
    send_text(&name, "x").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "good:x");
    remove(&name).unwrap();
    hanging.stop();
}

#[test]
fn remove_cancels_a_hanging_first_connect() {
    let (hanging, hangs) = hanging_server(None);
    let name = unique("hang-first");
    let url = hanging.url();
    let connecting = {
        let name = name.clone();
        std::thread::spawn(move || connect(&name, &url, &format!("{{{HANG}}}")))
    };
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
    assert_eq!(state(&name).unwrap(), STATE_CONNECTING);
    assert_not_open(&name, "Connecting");
    let started = Instant::now();
    remove(&name).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let e = connecting.join().unwrap().unwrap_err();
    assert_eq!(e.code, PodeWsResult::Cancelled, "{}", e.message);
    assert!(e.message.contains("remove"), "{}", e.message);
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_unregistered(&name);
    hanging.stop();
}

/// A background first connect stuck in a handshake that never completes: the call returned at
/// once, state Connecting.
fn stuck_in_background_connect(name: &str) -> (Server, crossbeam_channel::Receiver<Hang>) {
    let (hanging, hangs) = hanging_server(None);
    let started = Instant::now();
    let options = format!(r#"{{{HANG}, "background": true, "reconnect": {{"enabled": true}}}}"#);
    connect(name, &hanging.url(), &options).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the call waited"
    );
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
    assert_eq!(state(name).unwrap(), STATE_CONNECTING);
    assert_not_open(name, "Connecting");
    (hanging, hangs)
}

#[test]
fn disconnect_cancels_a_hanging_background_connect() {
    let name = unique("hang-background-disconnect");
    let events = events(&name);
    let (hanging, hangs) = stuck_in_background_connect(&name);
    let started = Instant::now();
    disconnect(&name, 1000, "").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    // The name stays registered, closed, and nothing retries.
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    events.assert_quiet(Duration::from_millis(300));
    assert!(hangs.try_recv().is_err(), "another attempt was made");
    remove(&name).unwrap();
    hanging.stop();
}

#[test]
fn remove_cancels_a_hanging_background_connect() {
    let name = unique("hang-background-remove");
    let events = events(&name);
    let (hanging, hangs) = stuck_in_background_connect(&name);
    remove(&name).unwrap();
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_unregistered(&name);
    events.assert_quiet(Duration::from_millis(300));
    hanging.stop();
}

#[test]
fn reset_replaces_a_hanging_background_connect() {
    let name = unique("hang-background-reset");
    let events = events(&name);
    let (hanging, hangs) = stuck_in_background_connect(&name);
    let good = tagged_echo_server("good:");
    reset(&name, Some(&good.url())).unwrap();
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_eq!(events.expect(OPENED, LIMIT).text(), good.url());
    send_text(&name, "x").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "good:x");
    remove(&name).unwrap();
    hanging.stop();
}

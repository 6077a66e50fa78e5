//! Faults of a real server process (examples/echo_server.rs): killed with SIGKILL in the middle of
//! a stream and started again on the same port, frozen with SIGSTOP (half-open), or down during
//! a reconnect backoff. With automatic reconnect on and off.
//!
//! What must hold: the caller is told why the connection closed; every message the library
//! received before the fault is delivered exactly once, in order; reconnect attempts back off
//! exponentially with jitter and say why each failed; sends in between fail with a clear NotOpen.
//!
//! The tests poll by themselves (a full queue must push back on the server so it is killed
//! mid-stream), so they take turns.
mod common;

use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::watch::{take_turn, Watch};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

/// The sequence number the firehose route writes at the start of each text message.
fn seq(e: &Ev) -> u64 {
    assert_eq!(e.kind, TEXT, "{e:?}");
    e.text()[..10].parse().unwrap()
}

/// Asserts `seqs` is 0, 1, 2, ... without gap, duplicate or reordering.
fn assert_contiguous(seqs: &[u64], what: &str) {
    if let Some(i) = (0..seqs.len()).find(|&i| seqs[i] != i as u64) {
        panic!(
            "{what}: message #{i} has sequence {} (around it: {:?})",
            seqs[i],
            &seqs[i.saturating_sub(3)..(i + 3).min(seqs.len())]
        );
    }
}

fn assert_not_open(name: &str, state_name: &str) {
    let e = send_text(name, "into the void").unwrap_err();
    assert_eq!(e.code, PodeWsResult::NotOpen, "{}", e.message);
    assert!(
        e.message.contains(name) && e.message.contains(&format!("state: {state_name}")),
        "the message names the connection and its state: {}",
        e.message
    );
}

/// The firehose sends far more than the test takes; with a small queue and a test that stops
/// polling, the library stops reading and the server is stuck in the middle of the stream.
const FIREHOSE: &str = "/firehose?count=1000000&size=16";
const QUEUE: u64 = 200;

/// Connects to the firehose, takes some messages, stops polling until the queue is full (the
/// server is now blocked mid-stream), kills the server, and returns what was delivered up to
/// and including the Closed event (checked: contiguous, each exactly once, counted).
fn kill_mid_stream(server: &mut ServerProcess, watch: &Watch, name: &str, options: &str) -> Ev {
    connect(name, &server.url(FIREHOSE), options).unwrap();
    watch.expect(OPENED, LIMIT);
    let mut seqs = Vec::new();
    while seqs.len() < 500 {
        seqs.push(seq(&watch.next(LIMIT)));
    }
    wait_until(LIMIT, "the queue to fill", || {
        info(name).unwrap()["queuedEvents"].as_u64().unwrap() >= QUEUE
    });
    server.kill();

    let rest = watch.until_kind(CLOSED, LIMIT);
    let (closed, messages) = rest.split_last().unwrap();
    seqs.extend(messages.iter().map(seq));
    assert_contiguous(&seqs, "messages received before the kill");
    assert!(
        seqs.len() as u64 > 500 + QUEUE - 1,
        "the queued messages were delivered after the kill: {}",
        seqs.len()
    );
    // messagesIn counts what the library read from the socket: all of it reached the caller.
    assert_eq!(info(name).unwrap()["messagesIn"], seqs.len());
    assert_eq!(
        (closed.code, closed.closed_by),
        (1006, BY_LOST),
        "{closed:?}"
    );
    let cause = closed.text();
    assert!(
        cause.contains("without a close frame") || cause.contains("lost"),
        "the Closed event says why: {cause}"
    );
    assert_eq!(info(name).unwrap()["lastError"]["message"], cause);
    closed.clone()
}

#[test]
fn killed_server_with_reconnect_delivers_everything_once_then_reconnects_with_backoff() {
    let _turn = take_turn();
    let mut server = ServerProcess::start(0);
    let port = server.port;
    let name = unique("killed-reconnect");
    let watch = Watch::new(&name);
    let options = format!(
        r#"{{"queue": {{"maxEvents": {QUEUE}}}, "pingIntervalMs": 0, "closeTimeoutMs": 300,
            "reconnect": {{"enabled": true, "initialDelayMs": 100, "maxDelayMs": 800, "jitter": 0.5}}}}"#
    );
    kill_mid_stream(&mut server, &watch, &name, &options);

    // Down: each attempt is announced with its delay, fails with the cause, and sends fail.
    let mut attempts = Vec::new();
    while attempts.len() < 3 {
        let e = watch.next(LIMIT);
        match e.kind {
            RECONNECTING => {
                attempts.push((e.attempt, e.delay_ms));
                assert_not_open(&name, "Reconnecting");
            }
            ERROR => {
                assert_eq!(
                    e.code,
                    PodeWsResult::ConnectionRefused as u32,
                    "{}",
                    e.text()
                );
                assert!(e.text().contains(&port.to_string()), "{}", e.text());
            }
            _ => panic!("unexpected {e:?} while the server is down"),
        }
    }
    let numbers: Vec<u32> = attempts.iter().map(|a| a.0).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    // Exponential: 100, 200, 400 ms, each +-50 % jitter.
    for (attempt, delay) in &attempts {
        let base = 100u64 << (attempt - 1);
        assert!(
            (base / 2..=base * 3 / 2).contains(delay),
            "attempt {attempt}: {delay} ms is outside {base} ms +-50 %: {attempts:?}"
        );
    }
    assert!(
        attempts.iter().any(|(a, d)| *d != 100u64 << (a - 1)),
        "no jitter was applied: {attempts:?}"
    );

    // Back on the same port: the next attempt opens, and the new stream is delivered in order.
    let _server = ServerProcess::restart_on(port);
    let reopened = watch.until_kind(OPENED, LIMIT);
    assert!(
        reopened
            .iter()
            .all(|e| ![CLOSED, TEXT, BINARY].contains(&e.kind)),
        "{reopened:?}"
    );
    assert_eq!(reopened.last().unwrap().text(), _server.url(FIREHOSE));
    let fresh: Vec<u64> = (0..300).map(|_| seq(&watch.next(LIMIT))).collect();
    assert_contiguous(&fresh, "messages after the reconnect");
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    assert_eq!(info(&name).unwrap()["reconnects"], 1);
    remove(&name).unwrap();
}

#[test]
fn killed_server_without_reconnect_delivers_everything_once_then_stays_closed() {
    let _turn = take_turn();
    let mut server = ServerProcess::start(0);
    let port = server.port;
    let name = unique("killed-closed");
    let watch = Watch::new(&name);
    let options = format!(
        r#"{{"queue": {{"maxEvents": {QUEUE}}}, "pingIntervalMs": 0, "closeTimeoutMs": 300}}"#
    );
    kill_mid_stream(&mut server, &watch, &name, &options);

    watch.assert_quiet(Duration::from_millis(500));
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_not_open(&name, "Closed");

    // The server coming back changes nothing by itself; a reset is the caller's decision.
    let server = ServerProcess::restart_on(port);
    watch.assert_quiet(Duration::from_millis(300));
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    reset(&name, None).unwrap();
    assert_eq!(watch.expect(OPENED, LIMIT).text(), server.url(FIREHOSE));
    assert_eq!(seq(&watch.next(LIMIT)), 0);
    remove(&name).unwrap();
}

#[test]
fn frozen_server_is_detected_by_keepalive_and_reconnected_when_it_wakes() {
    // SIGSTOP: the server's kernel still holds the connection and acknowledges our pings at
    // the TCP level, but nothing answers them (half-open, as with a dead host behind NAT).
    let _turn = take_turn();
    let server = ServerProcess::start(0);
    let name = unique("frozen");
    let watch = Watch::new(&name);
    let options = r#"{"pingIntervalMs": 200, "pongTimeoutMs": 300, "connectTimeoutMs": 400,
        "closeTimeoutMs": 300,
        "reconnect": {"enabled": true, "initialDelayMs": 100, "maxDelayMs": 400, "jitter": 0}}"#;
    connect(&name, &server.url("/echo"), options).unwrap();
    watch.expect(OPENED, LIMIT);
    send_text(&name, "before").unwrap();
    assert_eq!(watch.expect(TEXT, LIMIT).text(), "before");

    server.freeze();
    let frozen_at = Instant::now();
    let closed = watch.expect(CLOSED, LIMIT);
    let detected = frozen_at.elapsed();
    assert_eq!(
        (closed.code, closed.closed_by),
        (1006, BY_LOST),
        "{closed:?}"
    );
    assert!(closed.text().contains("ping"), "{}", closed.text());
    // Within ping interval + pong timeout (500 ms), plus scheduling slack.
    assert!(detected < Duration::from_millis(1500), "{detected:?}");

    // Attempts reach the frozen process's kernel but the handshake never completes: each one
    // times out and says where it was stuck.
    assert_eq!(watch.expect(RECONNECTING, LIMIT).attempt, 1);
    assert_not_open(&name, "Reconnecting");
    let failed = watch.expect(ERROR, LIMIT);
    assert_eq!(
        failed.code,
        PodeWsResult::Timeout as u32,
        "{}",
        failed.text()
    );
    assert!(
        failed.text().contains("opening handshake"),
        "{}",
        failed.text()
    );

    server.thaw();
    let reopened = watch.until_kind(OPENED, LIMIT);
    assert!(reopened.iter().all(|e| e.kind != CLOSED), "{reopened:?}");
    send_text(&name, "after").unwrap();
    assert_eq!(
        watch.until_kind(TEXT, LIMIT).last().unwrap().text(),
        "after"
    );
    remove(&name).unwrap();
}

#[test]
fn reset_during_reconnect_backoff_fails_fast_or_moves_at_once() {
    let _turn = take_turn();
    let mut server = ServerProcess::start(0);
    let name = unique("reset-backoff");
    let watch = Watch::new(&name);
    let options = r#"{"pingIntervalMs": 0, "closeTimeoutMs": 300,
        "reconnect": {"enabled": true, "initialDelayMs": 5000, "maxDelayMs": 5000, "jitter": 0}}"#;
    connect(&name, &server.url("/echo"), options).unwrap();
    watch.expect(OPENED, LIMIT);
    server.kill();
    assert_eq!(watch.expect(CLOSED, LIMIT).closed_by, BY_LOST);
    let waiting = watch.expect(RECONNECTING, LIMIT);
    assert_eq!((waiting.attempt, waiting.delay_ms), (1, 5000));

    // A reset to the same (dead) URL does not wait for the backoff: it fails now, with the
    // cause, and automatic reconnecting carries on.
    let started = Instant::now();
    let e = reset(&name, None).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.code, PodeWsResult::ConnectionRefused, "{}", e.message);
    assert_eq!(watch.expect(ERROR, LIMIT).code, e.code as u32);
    assert_eq!(watch.expect(RECONNECTING, LIMIT).attempt, 1);
    assert_eq!(state(&name).unwrap(), STATE_RECONNECTING);

    // A reset to a live server opens at once; the pending backoff is forgotten.
    let other = tagged_echo_server("other:");
    let started = Instant::now();
    reset(&name, Some(&other.url())).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(watch.expect(OPENED, LIMIT).text(), other.url());
    send_text(&name, "moved").unwrap();
    assert_eq!(watch.expect(TEXT, LIMIT).text(), "other:moved");
    watch.assert_quiet(Duration::from_millis(300));
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    remove(&name).unwrap();
}

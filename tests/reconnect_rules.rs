//! Which failures are retried and how, through the C ABI against servers that script their
//! answers: a first connect in the background that waits for its server, permanent failures
//! (401, 404) that stop reconnecting at once, Retry-After on 503, giving up with its own code,
//! and a last error marked past once a reconnect succeeded.
mod common;

use std::time::{Duration, Instant};

use common::scripted::{scripted_server, Reply};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

fn reconnecting(extra: &str) -> String {
    format!(r#"{{"background": true, "reconnect": {{"enabled": true, "jitter": 0, {extra}}}}}"#)
}

fn assert_error(e: &Ev, code: PodeWsResult, attempt: u32, says: &[&str]) {
    assert_eq!(
        (e.kind, e.code, e.attempt),
        (ERROR, code as u32, attempt),
        "{e:?}: {}",
        e.text()
    );
    for part in says {
        assert!(e.text().contains(part), "{:?} lacks {part:?}", e.text());
    }
}

fn assert_reconnecting(e: &Ev, attempt: u32, delay_ms: u64) {
    assert_eq!(
        (e.kind, e.attempt, e.delay_ms),
        (RECONNECTING, attempt, delay_ms),
        "{e:?}"
    );
}

#[test]
fn a_background_first_connect_is_retried_until_the_server_accepts() {
    // The first refusal comes late, so the call is seen returning while the connect is on.
    let server = scripted_server(
        vec![
            Reply::HangUp(Duration::from_millis(500)),
            Reply::HangUp(Duration::ZERO),
            Reply::HangUp(Duration::ZERO),
        ],
        Reply::Echo,
    );
    let name = unique("background");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        &reconnecting(r#""initialDelayMs": 50, "maxDelayMs": 5000"#),
    )
    .unwrap();
    assert_eq!(state(&name).unwrap(), STATE_CONNECTING);
    let e = send_text(&name, "too early").unwrap_err();
    assert!(e.message.contains("state: Connecting"), "{}", e.message);

    let seen = events.until_kind(OPENED, LIMIT);
    assert_eq!(seen.len(), 7, "{seen:#?}");
    let hung_up = "closed the connection during the opening handshake";
    assert_error(&seen[0], PodeWsResult::Network, 0, &[hung_up]);
    assert_reconnecting(&seen[1], 1, 50);
    assert_eq!(
        seen[1].text(),
        seen[0].text(),
        "the cause is the last error"
    );
    assert_eq!(seen[1].code, PodeWsResult::Network as u32);
    assert_eq!(seen[1].extra_text(), server.url());
    assert_error(&seen[2], PodeWsResult::Network, 1, &[hung_up]);
    assert_reconnecting(&seen[3], 2, 100);
    assert_error(&seen[4], PodeWsResult::Network, 2, &[hung_up]);
    assert_reconnecting(&seen[5], 3, 200);
    assert_eq!(seen[6].text(), server.url());

    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    assert_eq!(server.visits().len(), 4);
    // The first open is not a reconnect.
    assert_eq!(info(&name).unwrap()["reconnects"], 0);
    send_text(&name, "finally").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "finally");
    remove(&name).unwrap();
}

#[test]
fn without_background_a_failed_first_connect_fails_the_call_as_before() {
    let server = scripted_server(vec![Reply::HangUp(Duration::ZERO)], Reply::Echo);
    let name = unique("blocking");
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 50}}"#;
    let e = connect(&name, &server.url(), options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Network, "{}", e.message);
    assert!(
        e.message.contains("during the opening handshake"),
        "{}",
        e.message
    );
    assert_unregistered(&name);
    assert_eq!(server.visits().len(), 1, "no retry");
    connect(&name, &server.url(), options).unwrap();
    remove(&name).unwrap();
}

#[test]
fn background_connect_checks_its_arguments_at_once() {
    let name = unique("background-bad");
    let e = connect(&name, "http://example.com/", r#"{"background": true}"#).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidUrl, "{}", e.message);
    let e = connect(
        &name,
        "ws://127.0.0.1:1/",
        r#"{"background": true, "reconnect": {"awaitTarget": 1}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert!(e.message.contains("invalid type"), "{}", e.message);
    assert_unregistered(&name);
}

#[test]
fn http_401_stops_reconnecting_at_once() {
    let server = scripted_server(
        vec![Reply::Close(1012, "service restart")],
        Reply::status("401 Unauthorized", &["WWW-Authenticate: Bearer"]),
    );
    let name = unique("401");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 50, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!((closed.code, closed.closed_by), (1012, BY_REMOTE));
    let r = events.expect(RECONNECTING, LIMIT);
    assert_reconnecting(&r, 1, 50);
    // A clean close by the server is a cause without a failure code.
    assert_eq!(r.code, 0);
    assert!(r.text().contains("1012 (service restart)"), "{}", r.text());

    let e = events.expect(ERROR, LIMIT);
    assert_error(
        &e,
        PodeWsResult::HandshakeRejected,
        1,
        &["HTTP 401", "not retried"],
    );
    events.assert_quiet(Duration::from_millis(500));
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_eq!(
        server.visits().len(),
        2,
        "exactly one attempt after the close"
    );
    let last = &info(&name).unwrap()["lastError"];
    assert_eq!(last["code"], PodeWsResult::HandshakeRejected as u32);
    assert_eq!(last["current"], true);
    remove(&name).unwrap();
}

#[test]
fn a_background_connect_answered_404_ends_with_error_then_closed() {
    let server = scripted_server(vec![], Reply::status("404 Not Found", &[]));
    let name = unique("404");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        &reconnecting(r#""initialDelayMs": 50"#),
    )
    .unwrap();
    let e = events.expect(ERROR, LIMIT);
    assert_error(
        &e,
        PodeWsResult::HandshakeRejected,
        0,
        &["HTTP 404", "not retried"],
    );
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!((closed.code, closed.closed_by), (1006, BY_LOST));
    assert_eq!(closed.extra_text(), e.text(), "the close names its cause");
    events.assert_quiet(Duration::from_millis(300));
    // Still registered, closed: a reset tries again (and fails the same way).
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_eq!(server.visits().len(), 1);
    let e = reset(&name, None).unwrap_err();
    assert_eq!(e.code, PodeWsResult::HandshakeRejected, "{}", e.message);
    remove(&name).unwrap();
}

#[test]
fn a_background_connect_without_reconnect_reports_its_failure_once() {
    let name = unique("background-once");
    let events = events(&name);
    let url = ws_url(refused_addr());
    connect(&name, &url, r#"{"background": true}"#).unwrap();
    let e = events.expect(ERROR, LIMIT);
    assert_error(
        &e,
        PodeWsResult::ConnectionRefused,
        0,
        &["connection refused"],
    );
    assert!(!e.text().contains("not retried"), "{}", e.text());
    assert_eq!(events.expect(CLOSED, LIMIT).code, 1006);
    events.assert_quiet(Duration::from_millis(300));
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    remove(&name).unwrap();
}

#[test]
fn retry_after_on_503_is_the_next_delay() {
    let server = scripted_server(
        vec![
            Reply::status("429 Too Many Requests", &[]),
            Reply::status("503 Service Unavailable", &["Retry-After: 2"]),
        ],
        Reply::Echo,
    );
    let name = unique("retry-after");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        &reconnecting(r#""initialDelayMs": 50, "maxDelayMs": 10000"#),
    )
    .unwrap();
    let seen = events.until_kind(OPENED, LIMIT);
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert_error(&seen[0], PodeWsResult::HandshakeRejected, 0, &["HTTP 429"]);
    assert!(!seen[0].text().contains("not retried"));
    assert_reconnecting(&seen[1], 1, 50);
    assert_error(&seen[2], PodeWsResult::HandshakeRejected, 1, &["HTTP 503"]);
    // The backoff alone would wait 100 ms.
    assert_reconnecting(&seen[3], 2, 2000);
    let visits = server.visits();
    let waited = visits[2].at - visits[1].at;
    assert!(waited >= Duration::from_millis(1950), "{waited:?}");
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    remove(&name).unwrap();
}

#[test]
fn retry_after_is_capped_by_the_longest_delay() {
    let server = scripted_server(
        vec![Reply::status(
            "503 Service Unavailable",
            &["Retry-After: 120"],
        )],
        Reply::Echo,
    );
    let name = unique("retry-after-cap");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        &reconnecting(r#""initialDelayMs": 50, "maxDelayMs": 300"#),
    )
    .unwrap();
    let seen = events.until_kind(OPENED, LIMIT);
    assert_reconnecting(&seen[1], 1, 300);
    remove(&name).unwrap();
}

#[test]
fn giving_up_has_its_own_code_and_names_the_last_failure() {
    let name = unique("give-up-background");
    let events = events(&name);
    connect(
        &name,
        &ws_url(refused_addr()),
        &reconnecting(r#""initialDelayMs": 20, "maxDelayMs": 40, "maxAttempts": 2"#),
    )
    .unwrap();
    let seen = events.until_kind(CLOSED, LIMIT);
    let kinds: Vec<u32> = seen.iter().map(|e| e.kind).collect();
    // Two connects failed in a row: the first one and attempt 1.
    assert_eq!(
        kinds,
        [ERROR, RECONNECTING, ERROR, ERROR, CLOSED],
        "{seen:#?}"
    );
    assert_error(
        &seen[3],
        PodeWsResult::ReconnectGaveUp,
        0,
        &[
            "gave up reconnecting after 2 attempt(s)",
            "connection refused",
        ],
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    let history = history(&name).unwrap();
    let last: Vec<&str> = history[history.len() - 2..]
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(last, ["gaveUp", "closed"]);
    remove(&name).unwrap();
}

#[test]
fn the_last_error_is_marked_past_once_a_reconnect_succeeded() {
    let server = echo_server_handle();
    let addr = server.addr;
    let name = unique("last-error");
    let events = events(&name);
    let options =
        r#"{"reconnect": {"enabled": true, "initialDelayMs": 50, "maxDelayMs": 200, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    assert!(info(&name).unwrap()["lastError"].is_null());

    server.stop();
    assert_eq!(events.expect(CLOSED, LIMIT).closed_by, BY_LOST);
    let lost = info(&name).unwrap()["lastError"].clone();
    assert_eq!(lost["code"], PodeWsResult::Network as u32, "{lost}");
    assert_eq!(lost["current"], true, "{lost}");
    assert!(lost["atMs"].as_i64().unwrap() > 0, "{lost}");

    let started = Instant::now();
    let back = ws_server_with(
        Setup {
            bind: Some(addr),
            ..Setup::default()
        },
        |ws, _| echo_loop(ws, ""),
    );
    events.until_kind(OPENED, LIMIT);
    assert!(started.elapsed() < LIMIT);
    let info = info(&name).unwrap();
    let past = &info["lastError"];
    assert_eq!(past["current"], false, "{past}");
    assert!(!past["message"].as_str().unwrap().is_empty(), "{past}");
    assert!(
        past["atMs"].as_i64() <= info["openedAtMs"].as_i64(),
        "{info}"
    );
    remove(&name).unwrap();
    back.stop();
}

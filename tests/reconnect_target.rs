//! The reconnect hook (option `reconnect.awaitTarget`) through the C ABI: each Reconnecting
//! event waits for the caller's answer (`pode_ws_reconnect_target`: a new URL and/or headers;
//! `pode_ws_reconnect_fail`: the handler failed), as a script that asks a service for a fresh
//! URL per connection would answer it.
mod common;

use std::time::{Duration, Instant};

use common::scripted::{scripted_server, Reply};
use common::tls::{self_signed, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

fn hooked(extra: &str) -> String {
    format!(
        r#"{{"reconnect": {{"enabled": true, "awaitTarget": true, "maxDelayMs": 5000, "jitter": 0, {extra}}}}}"#
    )
}

/// A server that closes every session at once with 1012 (so the client reconnects), except
/// those `echo_from` on, which it keeps.
fn restarting_server(echo_from: usize) -> common::scripted::Scripted {
    scripted_server(
        vec![Reply::Close(1012, "service restart"); echo_from],
        Reply::Echo,
    )
}

#[test]
fn a_url_provider_hands_out_a_new_path_per_attempt() {
    let server = restarting_server(3);
    let name = unique("url-provider");
    let events = events(&name);
    let path = |n: u32| format!("{}p{n}", server.url());
    connect(&name, &path(0), &hooked(r#""initialDelayMs": 20"#)).unwrap();
    events.expect(OPENED, LIMIT);
    for n in 1..=3 {
        let asked = events.until_kind(RECONNECTING, LIMIT).pop().unwrap();
        assert_eq!(asked.attempt, n);
        assert_eq!(asked.extra_text(), path(n - 1), "the URL in use");
        assert!(asked.text().contains("1012"), "the cause: {}", asked.text());
        let headers = format!(r#"{{"X-Attempt": "{n}"}}"#);
        reconnect_target(&name, n, Some(&path(n)), Some(&headers)).unwrap();
        assert_eq!(
            events.until_kind(OPENED, LIMIT).pop().unwrap().text(),
            path(n)
        );
    }
    assert_eq!(server.paths(), ["/p0", "/p1", "/p2", "/p3"]);
    let attempts: Vec<Option<String>> = server
        .visits()
        .iter()
        .map(|v| v.headers.get("x-attempt").cloned())
        .collect();
    assert_eq!(
        attempts,
        [None, Some("1".into()), Some("2".into()), Some("3".into())]
    );
    send_text(&name, "on p3").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "on p3");

    // The answer holds from then on: info shows it, and a reset goes there with those headers.
    assert_eq!(info(&name).unwrap()["url"], path(3));
    reset(&name, None).unwrap();
    let last = server.visits().pop().unwrap();
    assert_eq!(
        (
            last.path.as_str(),
            last.headers.get("x-attempt").map(String::as_str)
        ),
        ("/p3", Some("3"))
    );
    remove(&name).unwrap();
}

#[test]
fn a_background_first_connect_asks_where_to_retry() {
    let good = scripted_server(vec![], Reply::Echo);
    let refused = ws_url(refused_addr());
    let name = unique("hook-background");
    let events = events(&name);
    let options = r#"{"background": true, "reconnect": {"enabled": true, "awaitTarget": true, "initialDelayMs": 20, "jitter": 0}}"#;
    connect(&name, &refused, options).unwrap();
    let failed = events.expect(ERROR, LIMIT);
    assert_eq!(failed.code, PodeWsResult::ConnectionRefused as u32);
    let asked = events.expect(RECONNECTING, LIMIT);
    assert_eq!(asked.attempt, 1);
    assert_eq!(asked.code, PodeWsResult::ConnectionRefused as u32);
    assert_eq!(asked.extra_text(), refused);
    let fresh = format!("{}fresh?ticket=1", good.url());
    reconnect_target(&name, 1, Some(&fresh), None).unwrap();
    assert_eq!(events.expect(OPENED, LIMIT).text(), fresh);
    assert_eq!(good.paths(), ["/fresh?ticket=1"]);
    remove(&name).unwrap();
}

#[test]
fn a_failing_handler_fails_its_attempt_when_the_delay_has_passed() {
    let server = restarting_server(1);
    let name = unique("hook-fails");
    let events = events(&name);
    connect(&name, &server.url(), &hooked(r#""initialDelayMs": 300"#)).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    let asked = events.expect(RECONNECTING, LIMIT);
    assert_eq!((asked.attempt, asked.delay_ms), (1, 300));
    reconnect_fail(&name, 1, "boom: the API is down").unwrap();

    let failed = events.expect(ERROR, LIMIT);
    // Event times, not the test's clock: the events reach the test late on a busy machine.
    let waited = failed.timestamp_ms - asked.timestamp_ms;
    assert!(
        waited >= 295,
        "the failure waited for the delay: {waited} ms"
    );
    assert_eq!(
        (failed.code, failed.attempt),
        (PodeWsResult::ReconnectHandlerFailed as u32, 1)
    );
    assert!(
        failed.text().contains("boom: the API is down"),
        "{}",
        failed.text()
    );
    // The backoff goes on, with the failure as the cause.
    let again = events.expect(RECONNECTING, LIMIT);
    assert_eq!((again.attempt, again.delay_ms), (2, 600));
    assert_eq!(again.code, PodeWsResult::ReconnectHandlerFailed as u32);
    reconnect_target(&name, 2, None, None).unwrap();
    assert_eq!(events.expect(OPENED, LIMIT).text(), server.url());
    assert_eq!(
        server.visits().len(),
        2,
        "the failed attempt made no connection"
    );
    remove(&name).unwrap();
}

#[test]
fn a_silent_handler_times_out_and_a_late_answer_is_refused() {
    let server = restarting_server(1);
    let name = unique("hook-silent");
    let events = events(&name);
    let options = r#"{"connectTimeoutMs": 500, "reconnect": {"enabled": true, "awaitTarget": true, "initialDelayMs": 50, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    let asked = events.expect(RECONNECTING, LIMIT);
    let timed_out = events.expect(ERROR, LIMIT);
    let waited = timed_out.timestamp_ms - asked.timestamp_ms;
    assert!(
        waited >= 545,
        "the delay and the wait for the answer: {waited} ms"
    );
    assert_eq!(
        (timed_out.code, timed_out.attempt),
        (PodeWsResult::Timeout as u32, 1)
    );
    assert!(
        timed_out
            .text()
            .contains("did not answer for attempt 1 within 500 ms"),
        "{}",
        timed_out.text()
    );
    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 2);
    let late = reconnect_target(&name, 1, None, None).unwrap_err();
    assert_eq!(late.code, PodeWsResult::InvalidArgument, "{}", late.message);
    assert!(
        late.message.contains("attempt 2, not 1"),
        "{}",
        late.message
    );
    reconnect_target(&name, 2, None, None).unwrap();
    events.expect(OPENED, LIMIT);
    // Nothing is waiting now.
    let e = reconnect_target(&name, 2, None, None).unwrap_err();
    assert!(e.message.contains("no reconnect attempt"), "{}", e.message);
    remove(&name).unwrap();
}

#[test]
fn an_invalid_answer_fails_its_attempt_with_the_reason() {
    let server = restarting_server(1);
    let name = unique("hook-invalid");
    let events = events(&name);
    connect(&name, &server.url(), &hooked(r#""initialDelayMs": 20"#)).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);

    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 1);
    let e = reconnect_target(&name, 1, Some("http://elsewhere/"), None).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidUrl, "{}", e.message);
    assert!(
        e.message.contains("answer for attempt 1 is invalid"),
        "{}",
        e.message
    );
    let failed = events.expect(ERROR, LIMIT);
    assert_eq!(
        (failed.code, failed.attempt),
        (PodeWsResult::InvalidUrl as u32, 1)
    );
    assert_eq!(failed.text(), e.message);

    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 2);
    let secret = r#"{"Authorization": "Bearer s3cret\r\n"}"#;
    let e = reconnect_target(&name, 2, None, Some(secret)).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert!(e.message.contains("'Authorization'"), "{}", e.message);
    let failed = events.expect(ERROR, LIMIT);
    assert!(!failed.text().contains("s3cret") && !e.message.contains("s3cret"));

    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 3);
    reconnect_target(&name, 3, None, Some(r#"{"Authorization": "Bearer fine"}"#)).unwrap();
    events.expect(OPENED, LIMIT);
    let last = server.visits().pop().unwrap();
    assert_eq!(last.headers["authorization"], "Bearer fine");
    assert!(
        !history_text(&name).contains("fine"),
        "header values stay out of the history"
    );
    let e = reconnect_target("no-such-connection", 1, None, None).unwrap_err();
    assert_eq!(e.code, PodeWsResult::UnknownName);
    remove(&name).unwrap();
}

fn history_text(name: &str) -> String {
    serde_json::Value::Array(history(name).unwrap()).to_string()
}

#[test]
fn disconnect_reset_and_remove_end_the_wait() {
    let server = scripted_server(vec![], Reply::Close(1012, "service restart"));
    let name = unique("hook-cancel");
    let events = events(&name);
    connect(&name, &server.url(), &hooked(r#""initialDelayMs": 20"#)).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    events.expect(RECONNECTING, LIMIT);

    let started = Instant::now();
    disconnect(&name, 1000, "").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    let e = reconnect_target(&name, 1, None, None).unwrap_err();
    assert!(e.message.contains("no reconnect attempt"), "{}", e.message);
    events.assert_quiet(Duration::from_millis(200));

    // A reset is the caller's own connect: it does not ask.
    reset(&name, None).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 1);
    reset(&name, None).unwrap();
    events.until_kind(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    events.expect(RECONNECTING, LIMIT);

    remove(&name).unwrap();
    assert_unregistered(&name);
    events.assert_quiet(Duration::from_millis(200));
    assert_eq!(
        server.visits().len(),
        3,
        "no attempt was made without an answer"
    );
}

#[test]
fn an_answer_may_move_a_ws_connection_to_wss() {
    // The TLS settings come with the connect; the connector is built when first needed.
    let cert = self_signed("pode-hook-server");
    let secure = tls_echo_server(&cert, false);
    let server = restarting_server(1);
    let name = unique("hook-wss");
    let events = events(&name);
    let options = serde_json::json!({
        "tls": { "caPem": cert.pem },
        "reconnect": { "enabled": true, "awaitTarget": true, "initialDelayMs": 20 },
    })
    .to_string();
    connect(&name, &server.url(), &options).unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    events.expect(RECONNECTING, LIMIT);
    reconnect_target(&name, 1, Some(&secure.url()), None).unwrap();
    assert_eq!(events.expect(OPENED, LIMIT).text(), secure.url());
    send_text(&name, "over tls").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "over tls");
    remove(&name).unwrap();
}

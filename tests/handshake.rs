//! The opening handshake: refusals and failures name their cause and leave nothing registered;
//! headers and subprotocols reach the server.
mod common;

use std::time::{Duration, Instant};

use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

/// Fails a connect of a fresh name, checks the code and that the name stays free, then shows the
/// name can be used at once. Returns the failure message and how long the failing connect took.
fn fails_timed(url: &str, options: &str, code: PodeWsResult) -> (String, Duration) {
    let name = unique("fail");
    let started = Instant::now();
    let e = connect(&name, url, options).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.code, code, "{}", e.message);
    assert_unregistered(&name);
    assert!(!list_text().contains(&name), "{}", list_text());
    let events = events(&name);
    let good = echo_server_handle();
    connect(&name, &good.url(), "").unwrap();
    assert_eq!(
        events.expect(OPENED, LIMIT).text(),
        good.url(),
        "no event of the failure"
    );
    remove(&name).unwrap();
    (e.message, took)
}

fn fails_then_name_is_free(url: &str, options: &str, code: PodeWsResult) -> String {
    fails_timed(url, options, code).0
}

#[test]
fn http_401_is_rejected_with_the_status() {
    let server = http_responder(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n",
    );
    let m = fails_then_name_is_free(&server.url(), "", PodeWsResult::HandshakeRejected);
    assert!(m.contains("401"), "{m}");
}

#[test]
fn http_404_is_rejected_with_the_status() {
    let server = http_responder("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
    let m = fails_then_name_is_free(&server.url(), "", PodeWsResult::HandshakeRejected);
    assert!(m.contains("404"), "{m}");
}

#[test]
fn a_server_that_is_not_http_is_a_protocol_error() {
    let server = http_responder("SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n");
    let m = fails_then_name_is_free(&server.url(), "", PodeWsResult::Protocol);
    assert!(m.contains("not a valid HTTP response"), "{m}");
}

#[test]
fn a_server_that_hangs_up_at_once_is_a_network_error() {
    // A hang-up, unlike a wrong answer, is what a restarting server does: retried (Network).
    let server = http_responder("");
    let m = fails_then_name_is_free(&server.url(), "", PodeWsResult::Network);
    assert!(
        m.contains("closed the connection during the opening handshake"),
        "{m}"
    );
}

#[test]
fn connection_refused() {
    let addr = refused_addr();
    let m = fails_then_name_is_free(&ws_url(addr), "", PodeWsResult::ConnectionRefused);
    assert!(
        m.contains(&addr.port().to_string()) && m.contains("refused"),
        "{m}"
    );
}

#[test]
fn connection_refused_even_with_reconnect_enabled() {
    // Reconnecting is for connections that were open; a first connect fails at once.
    let (_, took) = fails_timed(
        &ws_url(refused_addr()),
        r#"{"reconnect": {"enabled": true, "initialDelayMs": 50}}"#,
        PodeWsResult::ConnectionRefused,
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn unresolvable_host() {
    let m = fails_then_name_is_free("ws://nonexistent.invalid/", "", PodeWsResult::Dns);
    assert!(m.contains("nonexistent.invalid"), "{m}");
}

#[test]
fn connect_timeout_names_the_step() {
    let server = silent_server();
    let (m, elapsed) = fails_timed(
        &server.url(),
        r#"{"connectTimeoutMs": 300}"#,
        PodeWsResult::Timeout,
    );
    assert!(
        m.contains("300 ms") && m.contains("opening handshake"),
        "{m}"
    );
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn invalid_urls_are_rejected_before_connecting() {
    for url in [
        "http://127.0.0.1/",
        "ws://",
        "",
        "127.0.0.1:80",
        "ws://user:pass@127.0.0.1/",
        "ws://127.0.0.1:notaport/",
    ] {
        let name = unique("bad-url");
        let e = connect(&name, url, "").unwrap_err();
        assert_eq!(e.code, PodeWsResult::InvalidUrl, "{url}: {}", e.message);
        assert!(!e.message.contains("pass@"), "{}", e.message);
        assert_unregistered(&name);
    }
}

#[test]
fn headers_path_and_subprotocols_reach_the_server() {
    let setup = Setup {
        select_protocol: true,
        ..Setup::default()
    };
    let server = ws_server_with(setup, |ws, _| echo_loop(ws, ""));
    let name = unique("headers");
    let events = events(&name);
    let options = r#"{
        "headers": {"Authorization": "Bearer abc123", "X-Client": "pode-test"},
        "subprotocols": ["chat.v2", "chat.v1"]
    }"#;
    let url = format!("ws://{}/feed/live?topic=a%20b", server.addr);
    connect(&name, &url, options).unwrap();

    let opened = events.expect(OPENED, LIMIT);
    assert_eq!(
        (opened.text(), opened.extra_text()),
        (url, "chat.v2".to_string())
    );
    assert_eq!(info(&name).unwrap()["subprotocol"], "chat.v2");
    let shake = &server.handshakes()[0];
    assert_eq!(shake.path, "/feed/live");
    assert_eq!(shake.headers["authorization"], "Bearer abc123");
    assert_eq!(shake.headers["x-client"], "pode-test");
    assert_eq!(shake.headers["sec-websocket-protocol"], "chat.v2, chat.v1");
    assert_eq!(shake.protocol.as_deref(), Some("chat.v2"));
    remove(&name).unwrap();
}

#[test]
fn a_server_that_picks_no_subprotocol_is_an_error() {
    let server = echo_server_handle();
    let m = fails_then_name_is_free(
        &server.url(),
        r#"{"subprotocols": ["chat.v2"]}"#,
        PodeWsResult::Protocol,
    );
    assert!(
        m.contains("none of the offered subprotocols (chat.v2)"),
        "{m}"
    );
}

#[test]
fn no_subprotocol_offered_means_none_negotiated() {
    let server = echo_server_handle();
    let name = unique("no-proto");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    assert!(events.expect(OPENED, LIMIT).extra.is_empty());
    assert_eq!(info(&name).unwrap()["subprotocol"], "");
    assert!(!server.handshakes()[0]
        .headers
        .contains_key("sec-websocket-protocol"));
    remove(&name).unwrap();
}

#[test]
fn headers_the_handshake_owns_are_refused_before_connecting() {
    let server = echo_server_handle();
    let cases = [
        (
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits; VALUE",
            "extensions (compression) are negotiated by the client itself",
        ),
        (
            "sec-websocket-protocol",
            "chat-VALUE",
            "give the subprotocols in the subprotocols option",
        ),
        ("Sec-WebSocket-Key", "key-VALUE", "the client sets it"),
        (
            "Sec-WebSocket-Version",
            "version-VALUE",
            "the client sets it",
        ),
        ("Sec-WebSocket-Accept", "accept-VALUE", "the client sets it"),
        ("Upgrade", "upgrade-VALUE", "the client sets it"),
        ("Connection", "connection-VALUE", "the client sets it"),
        ("HOST", "host-VALUE", "the client sets it"),
    ];
    for (header, value, why) in cases {
        let options = serde_json::json!({ "headers": { header: value } }).to_string();
        let m = fails_then_name_is_free(&server.url(), &options, PodeWsResult::InvalidOptions);
        assert!(
            m.contains(&format!("header '{header}' cannot be given: {why}")),
            "{m}"
        );
        assert!(!m.contains("VALUE"), "{m}");
    }
    assert!(server.handshakes().is_empty(), "nothing reached the server");
}

//! Bad input not covered elsewhere: handshakes answered wrongly (500, a plain 200, a wrong
//! accept key), expired and not-yet-valid certificates, servers sending frames a server must
//! never send (masked, reserved bits, oversized or fragmented control frames, broken
//! fragmentation, unknown opcodes, a truncated close), zero-length arguments, a double remove
//! from two threads, polling an unknown name, and every way TLS verification could be turned
//! off by accident. Each gives its documented code and a message naming the cause, and the
//! library keeps working afterwards (a normal connect and echo succeed).
mod common;

use std::time::Duration;

use common::frames::*;
use common::tls::{self_signed, self_signed_dated, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

const LIMIT: Duration = Duration::from_secs(10);

/// A normal connect and echo on a fresh name: the library is unharmed.
fn still_works() {
    let server = echo_server_handle();
    let name = unique("still-works");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "still here").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "still here");
    remove(&name).unwrap();
    server.stop();
}

/// A connect that must fail with `code` and a message containing each of `mentions`, leaving
/// nothing registered.
fn connect_fails(url: &str, options: &str, code: PodeWsResult, mentions: &[&str]) {
    let name = unique("bad");
    let e = connect(&name, url, options).unwrap_err();
    assert_eq!(e.code, code, "{}", e.message);
    for m in mentions {
        assert!(
            e.message.contains(m),
            "{url} {options}: no {m:?} in: {}",
            e.message
        );
    }
    assert_unregistered(&name);
    still_works();
}

#[test]
fn handshake_answered_with_500() {
    let server =
        http_responder("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!");
    connect_fails(
        &server.url(),
        "",
        PodeWsResult::HandshakeRejected,
        &["500", "Internal Server Error"],
    );
}

#[test]
fn handshake_answered_with_a_plain_200() {
    // An HTTP endpoint that is not a WebSocket: it answers the upgrade request as a page.
    let server = http_responder("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    connect_fails(
        &server.url(),
        "",
        PodeWsResult::HandshakeRejected,
        &["HTTP 200"],
    );
}

#[test]
fn handshake_with_a_wrong_accept_key() {
    let server = http_responder(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n",
    );
    connect_fails(
        &server.url(),
        "",
        PodeWsResult::Protocol,
        &["Sec-WebSocket-Accept"],
    );
}

#[test]
fn expired_certificate_is_rejected_even_when_its_ca_is_trusted() {
    let cert = self_signed_dated("expired", &["127.0.0.1"], &[], -2 * 86_400, -86_400);
    let server = tls_echo_server(&cert, false);
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    // Trusting its CA would not help: the message must not suggest it.
    connect_fails(
        &server.url(),
        &options,
        PodeWsResult::TlsUntrusted,
        &["certificate has expired", "not valid at this time"],
    );
}

#[test]
fn not_yet_valid_certificate_is_rejected() {
    let cert = self_signed_dated("future", &["127.0.0.1"], &[], 86_400, 2 * 86_400);
    let server = tls_echo_server(&cert, false);
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    connect_fails(
        &server.url(),
        &options,
        PodeWsResult::TlsUntrusted,
        &["not yet valid", "not valid at this time"],
    );
}

/// A server sends `frame` right after the handshake: the client must report a protocol error
/// naming `cause`, close with 1002 (the server receives it), and report Closed 1002 by Local.
fn protocol_violation(frame: Vec<u8>, cause: &str) {
    let (server, closes) = raw_frames_server(vec![frame]);
    let name = unique("violation");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let error = events.expect(ERROR, LIMIT);
    assert_eq!(
        error.code,
        PodeWsResult::Protocol as u32,
        "{}",
        error.text()
    );
    assert!(
        error.text().contains(cause) && error.text().contains("1002"),
        "expected {cause:?}: {}",
        error.text()
    );
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by),
        (1002, BY_LOCAL),
        "{closed:?}"
    );
    let seen = closes.recv_timeout(LIMIT).unwrap();
    assert_eq!(seen.map(|f| f.close_code()), Some(1002));
    assert_eq!(info(&name).unwrap()["lastError"]["message"], error.text());
    remove(&name).unwrap();
    still_works();
}

#[test]
fn masked_frame_from_the_server_is_a_protocol_error() {
    protocol_violation(
        encode_odd(true, 0, OP_TEXT, Some([1, 2, 3, 4]), b"masked"),
        "masked frame from server",
    );
}

#[test]
fn reserved_bits_are_a_protocol_error() {
    // No extension was negotiated, so RSV1 (compression), RSV2 and RSV3 must all be zero.
    for rsv in [0b100, 0b010, 0b001] {
        protocol_violation(
            encode_odd(true, rsv, OP_TEXT, None, b"rsv"),
            "Reserved bits are non-zero",
        );
    }
}

#[test]
fn oversized_control_frame_is_a_protocol_error() {
    protocol_violation(encode(true, OP_PING, &[0u8; 126]), "Control frame too big");
}

#[test]
fn fragmented_control_frame_is_a_protocol_error() {
    protocol_violation(encode(false, OP_PING, b"part"), "Fragmented control frame");
}

#[test]
fn continuation_without_a_start_is_a_protocol_error() {
    protocol_violation(
        encode(true, CONTINUATION, b"orphan"),
        "Continue frame but nothing to continue",
    );
}

#[test]
fn new_message_inside_a_fragmented_one_is_a_protocol_error() {
    let mut frames = encode(false, OP_TEXT, b"first half");
    frames.extend(encode(true, OP_BINARY, b"intruder"));
    protocol_violation(frames, "While waiting for more fragments");
}

#[test]
fn unknown_control_opcode_is_a_protocol_error() {
    protocol_violation(encode(true, 0xB, b""), "invalid opcode: 11");
}

#[test]
fn truncated_close_frame_is_a_protocol_error() {
    // A close payload is empty or holds a 2-byte code; one byte is neither.
    protocol_violation(encode(true, OP_CLOSE, &[0x03]), "Invalid close sequence");
}

#[test]
fn zero_lengths_with_valid_pointers() {
    let server = echo_server_handle();
    let url = server.url();
    let empty = b"".as_ptr();
    let name = unique("zero");
    let events = events(&name);
    unsafe {
        // An empty name, an empty URL: invalid, named as such.
        let r = pode_ws_connect(
            empty,
            0,
            url.as_ptr(),
            url.len(),
            empty,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(r, PodeWsResult::InvalidArgument);
        assert!(
            last_error().contains("name must not be empty"),
            "{}",
            last_error()
        );
        let r = pode_ws_connect(
            name.as_ptr(),
            name.len(),
            empty,
            0,
            empty,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(r, PodeWsResult::InvalidUrl);
        assert!(last_error().contains("URL is empty"), "{}", last_error());
        assert_unregistered(&name);

        // Empty options are the defaults.
        let r = pode_ws_connect(
            name.as_ptr(),
            name.len(),
            url.as_ptr(),
            url.len(),
            empty,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(r, PodeWsResult::Ok, "{}", last_error());
        events.expect(OPENED, LIMIT);

        // An empty message is a message, text or binary.
        let (n, nl) = (name.as_ptr(), name.len());
        assert_eq!(
            pode_ws_send(n, nl, PODE_WS_SEND_TEXT, empty, 0),
            PodeWsResult::Ok
        );
        assert_eq!(
            pode_ws_send(n, nl, PODE_WS_SEND_BINARY, empty, 0),
            PodeWsResult::Ok
        );
        let text = events.expect(TEXT, LIMIT);
        let binary = events.expect(BINARY, LIMIT);
        assert!(text.data.is_empty() && binary.data.is_empty());

        // A reset with an empty (not NULL) URL is an invalid URL, not "keep the current one".
        assert_eq!(pode_ws_reset(n, nl, empty, 0), PodeWsResult::InvalidUrl);
        assert!(last_error().contains("URL is empty"), "{}", last_error());
        assert_eq!(state(&name).unwrap(), STATE_OPEN);

        // An empty buffer: the needed length is still reported.
        let mut needed = 0usize;
        let mut buf = [0u8; 1];
        let r = pode_ws_version(buf.as_mut_ptr(), 0, &mut needed);
        assert_eq!(r, PodeWsResult::BufferTooSmall);
        assert_eq!(needed, env!("CARGO_PKG_VERSION").len());

        // max_events 0 means the default batch size; a timeout of 0 does not wait.
        let poller = TestPoller::new();
        let started = std::time::Instant::now();
        poller.poll(0, 0).unwrap();
        assert!(started.elapsed() < Duration::from_millis(500));

        // An empty reason closes normally.
        assert_eq!(pode_ws_disconnect(n, nl, 1000, empty, 0), PodeWsResult::Ok);
        let closed = events.until_kind(CLOSED, LIMIT).pop().unwrap();
        assert_eq!((closed.code, closed.data.len()), (1000, 0));
    }
    remove(&name).unwrap();
    still_works();
}

#[test]
fn removing_the_same_name_from_two_threads_succeeds_once() {
    let server = echo_server_handle();
    for _ in 0..20 {
        let name = unique("double-remove");
        connect(&name, &server.url(), "").unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let removers: Vec<_> = (0..2)
            .map(|_| {
                let (name, barrier) = (name.clone(), std::sync::Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    remove(&name)
                })
            })
            .collect();
        let results: Vec<_> = removers.into_iter().map(|t| t.join().unwrap()).collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "{results:?}");
        let failed = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(failed.code, PodeWsResult::UnknownName, "{}", failed.message);
        assert!(failed.message.contains(&name), "{}", failed.message);
        assert_unregistered(&name);
    }
    still_works();
}

#[test]
fn polling_an_unknown_name_is_unknown_name() {
    let poller = TestPoller::new();
    let name = unique("never-connected");
    let (r, _) = unsafe { poller.poll_connection_raw(&name, 0) };
    assert_eq!(r, PodeWsResult::UnknownName);
    assert!(last_error().contains(&name), "{}", last_error());
    still_works();
}

#[test]
fn tls_verification_is_only_turned_off_by_an_explicit_true() {
    let cert = self_signed("self-signed");
    let server = tls_echo_server(&cert, false);
    let url = server.url();
    // Each of these could be read as "skip verification" by a lenient parser; each must be an
    // options error, so a typo never connects to an untrusted server.
    let accidents = [
        r#"{"tls": {"skipVerify": "true"}}"#,
        r#"{"tls": {"skipVerify": "yes"}}"#,
        r#"{"tls": {"skipVerify": 1}}"#,
        r#"{"tls": {"skipVerify": null}}"#,
        r#"{"tls": {"skipVerify": [true]}}"#,
        r#"{"tls": {"skipVerify": {}}}"#,
        r#"{"tls": {"skipverify": true}}"#,
        r#"{"tls": {"SkipVerify": true}}"#,
        r#"{"tls": {"skip_verify": true}}"#,
        r#"{"tls": {"skipVerify ": true}}"#,
        r#"{"tls": {"insecure": true}}"#,
        r#"{"tls": {"verify": false}}"#,
        r#"{"skipVerify": true}"#,
        r#"{"insecure": true}"#,
        r#"{"tls": true}"#,
        r#"{"tls": "skipVerify"}"#,
        r#"{"tls": [true]}"#,
    ];
    for options in accidents {
        let name = unique("tls-accident");
        let e = connect(&name, &url, options).unwrap_err();
        assert_eq!(
            e.code,
            PodeWsResult::InvalidOptions,
            "{options}: {}",
            e.message
        );
        assert_unregistered(&name);
    }
    // Explicitly false, absent, or an empty tls object: verification is on.
    for options in [r#"{"tls": {"skipVerify": false}}"#, r#"{"tls": {}}"#, ""] {
        let e = connect(&unique("tls-on"), &url, options).unwrap_err();
        assert_eq!(
            e.code,
            PodeWsResult::TlsUntrusted,
            "{options}: {}",
            e.message
        );
        assert!(e.message.contains("not trusted"), "{}", e.message);
    }
    // Only this turns it off.
    let name = unique("tls-off");
    let events = events(&name);
    connect(&name, &url, r#"{"tls": {"skipVerify": true}}"#).unwrap();
    events.expect(OPENED, LIMIT);
    remove(&name).unwrap();
    still_works();
}

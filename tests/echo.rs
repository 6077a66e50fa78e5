//! Messages round-trip through an echo server: text, binary, empty, unicode, many in order.
mod common;

use std::time::Duration;

use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn text_and_binary_echo() {
    let server = echo_server_handle();
    let name = unique("echo");
    let events = events(&name);
    let id = connect(&name, &server.url(), "").unwrap();
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    let opened = events.expect(OPENED, LIMIT);
    assert_eq!((opened.connection_id, opened.text()), (id, server.url()));
    assert!(opened.extra.is_empty(), "no subprotocol was negotiated");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now_ms - opened.timestamp_ms).abs() < 5_000, "{opened:?}");

    send_text(&name, "hello").unwrap();
    send_binary(&name, &[0, 1, 2, 255]).unwrap();
    let text = events.expect(TEXT, LIMIT);
    assert_eq!((text.text().as_str(), text.connection_id), ("hello", id));
    assert_eq!(events.expect(BINARY, LIMIT).data, vec![0, 1, 2, 255]);

    let info = info(&name).unwrap();
    assert_eq!(info["state"], "Open");
    assert_eq!(info["url"], server.url());
    assert_eq!(
        (info["messagesOut"].as_u64(), info["bytesOut"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(
        (info["messagesIn"].as_u64(), info["bytesIn"].as_u64()),
        (Some(2), Some(9))
    );

    disconnect(&name, 1000, "bye").unwrap();
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by, closed.text().as_str()),
        (1000, BY_LOCAL, "bye")
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_eq!(
        send_text(&name, "late").unwrap_err().code,
        PodeWsResult::NotOpen
    );
    remove(&name).unwrap();
    assert_unregistered(&name);
}

#[test]
fn empty_messages_are_delivered() {
    let server = echo_server_handle();
    let name = unique("empty");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "").unwrap();
    send_binary(&name, &[]).unwrap();
    let text = events.expect(TEXT, LIMIT);
    let binary = events.expect(BINARY, LIMIT);
    assert!(text.data.is_empty() && binary.data.is_empty());
    remove(&name).unwrap();
}

#[test]
fn unicode_text_is_kept_byte_for_byte() {
    let server = echo_server_handle();
    let name = unique("unicode");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let samples = [
        "héllo wörld",
        "日本語のテキスト",
        "emoji 🎉🚀 and a combining e\u{301}",
        "\u{feff}BOM first, then tab\tand newline\n",
    ];
    for s in samples {
        send_text(&name, s).unwrap();
    }
    for s in samples {
        assert_eq!(events.expect(TEXT, LIMIT).text(), s);
    }
    remove(&name).unwrap();
}

#[test]
fn many_messages_keep_their_order() {
    let server = echo_server_handle();
    let name = unique("order");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    for i in 0..2000 {
        if i % 2 == 0 {
            send_text(&name, &i.to_string()).unwrap();
        } else {
            send_binary(&name, &(i as u32).to_be_bytes()).unwrap();
        }
    }
    for i in 0..2000u32 {
        let e = events.next(LIMIT);
        if i % 2 == 0 {
            assert_eq!((e.kind, e.text()), (TEXT, i.to_string()));
        } else {
            assert_eq!((e.kind, e.data), (BINARY, i.to_be_bytes().to_vec()));
        }
    }
    assert_eq!(info(&name).unwrap()["messagesIn"], 2000);
    remove(&name).unwrap();
}

#[test]
fn names_are_case_insensitive_and_unique() {
    let server = echo_server_handle();
    let name = unique("MixedCase");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let lower = name.to_lowercase();
    send_text(&lower, "via lower case").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "via lower case");
    let again = connect(&name.to_uppercase(), &server.url(), "").unwrap_err();
    assert_eq!(again.code, PodeWsResult::NameInUse, "{}", again.message);
    assert!(
        again.message.contains("already exists"),
        "{}",
        again.message
    );
    remove(&lower).unwrap();
    assert_unregistered(&name);
}

#[test]
fn localhost_is_resolved() {
    // localhost may resolve to ::1 first; the server listens on 127.0.0.1 only.
    let server = echo_server_handle();
    let name = unique("localhost");
    let events = events(&name);
    connect(&name, &format!("ws://localhost:{}/", server.port()), "").unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "hi").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "hi");
    remove(&name).unwrap();
}

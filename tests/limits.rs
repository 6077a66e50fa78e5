//! Large and fragmented messages, and the limits that fail a connection: 1009 for an oversize
//! message, 1007 for invalid UTF-8, 1002 for a protocol violation.
mod common;

use std::time::{Duration, Instant};

use common::frames::*;
use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn sixteen_mib_messages_round_trip() {
    let server = echo_server_handle();
    let name = unique("16mib");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let size = 16 << 20;
    let binary: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let text: String = (0..size)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    send_binary(&name, &binary).unwrap();
    send_text(&name, &text).unwrap();
    let got = events.expect(BINARY, LIMIT);
    assert!(got.data == binary, "binary payload differs");
    let got = events.expect(TEXT, LIMIT);
    assert!(got.data == text.as_bytes(), "text payload differs");
    let info = info(&name).unwrap();
    assert_eq!(info["bytesIn"].as_u64(), Some(2 * size as u64));
    remove(&name).unwrap();
}

#[test]
fn fragmented_messages_are_reassembled() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = raw_ws_server(move |mut tcp| {
        let tx = tx.clone();
        async move {
            // "Hello wörld" in three frames, the ö split between two of them, with a ping
            // between fragments (control frames may interleave).
            let text = "Hello wörld".as_bytes();
            let split = text.iter().position(|b| *b == 0xC3).unwrap() + 1;
            write_frame(&mut tcp, false, OP_TEXT, &text[..3]).await;
            write_frame(&mut tcp, true, OP_PING, b"mid").await;
            write_frame(&mut tcp, false, CONTINUATION, &text[3..split]).await;
            write_frame(&mut tcp, true, CONTINUATION, &text[split..]).await;
            write_frame(&mut tcp, false, OP_BINARY, &[1, 2]).await;
            write_frame(&mut tcp, false, CONTINUATION, &[]).await;
            write_frame(&mut tcp, false, CONTINUATION, &[3]).await;
            write_frame(&mut tcp, true, CONTINUATION, &[4, 5]).await;
            write_frame(&mut tcp, true, OP_TEXT, b"done").await;
            let pong = read_frame(&mut tcp).await.unwrap();
            let _ = tx.send((pong.opcode, pong.payload));
            read_until_close(&mut tcp).await;
        }
    });
    let name = unique("fragments");
    let events = events(&name);
    connect(&name, &server.url(), r#"{"closeTimeoutMs": 300}"#).unwrap();
    events.expect(OPENED, LIMIT);
    assert_eq!(events.expect(TEXT, LIMIT).text(), "Hello wörld");
    assert_eq!(events.expect(BINARY, LIMIT).data, vec![1, 2, 3, 4, 5]);
    assert_eq!(events.expect(TEXT, LIMIT).text(), "done");
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), (OP_PONG, b"mid".to_vec()));
    assert_eq!(info(&name).unwrap()["messagesIn"], 3);
    remove(&name).unwrap();
}

/// A server that sends `frames` and reports the close code the client answers with.
/// A raw server writing `frames`; the receiver gets the close code the client answers with.
fn close_code_server(frames: Vec<Vec<u8>>) -> (Server, crossbeam_channel::Receiver<u16>) {
    let (server, closes) = raw_frames_server(frames);
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for close in closes.iter().flatten() {
            let _ = tx.send(close.close_code());
        }
    });
    (server, rx)
}

/// Connects, expects an Error event with `error` then Closed with `code` by Local; returns the
/// error message.
fn fails_with(url: &str, options: &str, error: PodeWsResult, code: u32) -> String {
    let name = unique("limit");
    let events = events(&name);
    connect(&name, url, options).unwrap();
    events.expect(OPENED, LIMIT);
    let failure = events.expect(ERROR, LIMIT);
    assert_eq!(failure.code, error as u32, "{}", failure.text());
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by),
        (code, BY_LOCAL),
        "{closed:?}"
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_eq!(info(&name).unwrap()["lastError"]["message"], failure.text());
    remove(&name).unwrap();
    failure.text()
}

#[test]
fn oversize_message_closes_with_1009() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = ws_server(move |mut ws, _| {
        let tx = tx.clone();
        async move {
            ws.send(Message::binary(vec![7u8; 2000])).await.unwrap();
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(Some(f)) = m {
                    let _ = tx.send(u16::from(f.code));
                }
            }
        }
    });
    let m = fails_with(
        &server.url(),
        r#"{"maxMessageSize": 1000}"#,
        PodeWsResult::MessageTooLarge,
        1009,
    );
    assert!(m.contains("1000") && m.contains("1009"), "{m}");
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1009);
}

#[test]
fn oversize_fragmented_message_closes_with_1009() {
    // Every frame is small; together they exceed the limit.
    let frames = vec![
        encode(false, OP_TEXT, &[b'a'; 600]),
        encode(false, CONTINUATION, &[b'b'; 600]),
        encode(true, CONTINUATION, &[b'c'; 600]),
    ];
    let (server, rx) = close_code_server(frames);
    fails_with(
        &server.url(),
        r#"{"maxMessageSize": 1000}"#,
        PodeWsResult::MessageTooLarge,
        1009,
    );
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1009);
}

#[test]
fn oversize_frame_closes_with_1009() {
    let (server, rx) = close_code_server(vec![encode(true, OP_BINARY, &[0; 5000])]);
    fails_with(
        &server.url(),
        r#"{"maxFrameSize": 4096}"#,
        PodeWsResult::MessageTooLarge,
        1009,
    );
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1009);
}

#[test]
fn invalid_utf8_text_closes_with_1007() {
    let (server, rx) = close_code_server(vec![encode(true, OP_TEXT, &[b'o', b'k', 0xFF, 0xFE])]);
    let m = fails_with(&server.url(), "", PodeWsResult::InvalidUtf8, 1007);
    assert!(m.contains("UTF-8"), "{m}");
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1007);
}

#[test]
fn invalid_utf8_across_fragments_closes_with_1007() {
    // Each fragment alone could be the start of valid UTF-8; the whole is not.
    let frames = vec![
        encode(false, OP_TEXT, &[b'a', 0xC3]),
        encode(true, CONTINUATION, b"b"),
    ];
    let (server, rx) = close_code_server(frames);
    fails_with(&server.url(), "", PodeWsResult::InvalidUtf8, 1007);
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1007);
}

#[test]
fn protocol_violation_closes_with_1002() {
    // Opcode 0x3 is reserved.
    let (server, rx) = close_code_server(vec![encode(true, 0x3, b"?")]);
    let m = fails_with(&server.url(), "", PodeWsResult::Protocol, 1002);
    assert!(m.contains("1002"), "{m}");
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1002);
}

#[test]
fn failing_close_does_not_wait_for_a_peer_that_never_answers() {
    // The server never reads the close frame nor answers it: the client drops the connection
    // once its close frame is written rather than waiting for the close timeout.
    let server = raw_ws_server(|mut tcp| async move {
        write_frame(&mut tcp, true, OP_TEXT, &[0xFF]).await;
        std::future::pending::<()>().await;
    });
    let name = unique("no-answer");
    let events = events(&name);
    connect(&name, &server.url(), r#"{"closeTimeoutMs": 5000}"#).unwrap();
    let started = Instant::now();
    events.expect(OPENED, LIMIT);
    events.expect(ERROR, LIMIT);
    assert_eq!(events.expect(CLOSED, LIMIT).code, 1007);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    remove(&name).unwrap();
}

#[test]
fn a_single_frame_message_is_limited_by_max_message_size_alone() {
    // Servers usually send a message as one frame: raising maxMessageSize must be enough.
    let size = 20 << 20;
    let server = raw_ws_server(move |mut tcp| async move {
        let payload = vec![b'z'; size];
        write_frame(&mut tcp, true, 0x2, &payload).await;
        let _ = read_until_close(&mut tcp).await;
    });
    let name = unique("bigframe");
    let events = events(&name);
    connect(&name, &server.url(), r#"{"maxMessageSize": 33554432}"#).unwrap();
    events.expect(OPENED, LIMIT);
    let got = events.expect(BINARY, LIMIT);
    assert_eq!(got.data.len(), size);
    remove(&name).unwrap();
}

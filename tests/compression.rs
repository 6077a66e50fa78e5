//! permessage-deflate (RFC 7692) through the C ABI: the offer, the check of the server's answer,
//! compressed messages both ways (against the example echo server's compression layer, server
//! side), what `pode_ws_info` reports, and the failures a server can cause (data that does not
//! inflate, RSV1 where it may not be, a message that inflates past the limit).
mod common;

use std::time::Duration;

use common::frames::*;
use common::process::ServerProcess;
use common::*;
use flate2::{Compress, Compression, FlushCompress};
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(30);

/// A message compressed as permessage-deflate sends it: raw DEFLATE, sync flush, tail removed.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    z.compress_vec(data, &mut out, FlushCompress::None).unwrap();
    loop {
        out.reserve(1024);
        let room = out.capacity() - out.len();
        let before = out.len();
        z.compress_vec(&[], &mut out, FlushCompress::Sync).unwrap();
        if out.len() - before < room {
            break;
        }
    }
    assert!(out.ends_with(&[0, 0, 0xFF, 0xFF]));
    out.truncate(out.len() - 4);
    out
}

/// A text of `size` bytes that compresses well (as a JSON feed does).
fn feed_text(size: usize) -> String {
    let mut text = String::with_capacity(size + 64);
    let mut seq = 0u64;
    while text.len() < size {
        text.push_str(&format!(
            "{{\"seq\":{seq},\"symbol\":\"EURUSD\",\"bid\":1.{:04},\"ask\":1.{:04}}}\n",
            seq * 7 % 10_000,
            seq * 11 % 10_000
        ));
        seq += 1;
    }
    text.truncate(size);
    text
}

fn compression(info: &serde_json::Value) -> serde_json::Value {
    info["compression"].clone()
}

#[test]
fn offers_permessage_deflate_by_default_and_nothing_when_disabled() {
    let server = ws_server_with(Setup::default(), |ws, _| echo_loop(ws, ""));
    for (options, offer) in [
        ("", Some("permessage-deflate; client_max_window_bits")),
        (
            r#"{"compression": {"clientMaxWindowBits": 10, "serverMaxWindowBits": 12, "clientNoContextTakeover": true, "serverNoContextTakeover": true}}"#,
            Some("permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; client_no_context_takeover; server_no_context_takeover"),
        ),
        (r#"{"compression": {"enabled": false}}"#, None),
    ] {
        let name = unique("offer");
        connect(&name, &server.url(), options).unwrap();
        let shake = server.handshakes().pop().unwrap();
        assert_eq!(
            shake.headers.get("sec-websocket-extensions").map(String::as_str),
            offer,
            "options {options}"
        );
        // tungstenite's server answers no extension: nothing is negotiated.
        assert_eq!(
            compression(&info(&name).unwrap()),
            serde_json::json!({ "negotiated": false })
        );
        remove(&name).unwrap();
    }
}

#[test]
fn an_answer_the_client_cannot_honour_fails_the_handshake_naming_it() {
    let cases: [(&'static str, &str, &str); 6] = [
        (
            "x-webkit-deflate-frame",
            "",
            "'x-webkit-deflate-frame', which the client did not offer",
        ),
        (
            "permessage-deflate",
            r#"{"compression": {"enabled": false}}"#,
            "compression is off",
        ),
        (
            "permessage-deflate; client_max_window_bits",
            "",
            "client_max_window_bits has no value",
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            "",
            "server_max_window_bits=16 is not a window size",
        ),
        (
            "permessage-deflate; mystery=1",
            "",
            "unknown parameter 'mystery'",
        ),
        (
            "permessage-deflate; server_max_window_bits=12",
            r#"{"compression": {"serverMaxWindowBits": 10}}"#,
            "larger than the 10 asked for",
        ),
    ];
    for (answer, options, needle) in cases {
        let server = raw_ws_server_answering(Some(answer), |mut tcp| async move {
            let _ = read_until_close(&mut tcp).await;
        });
        let name = unique("refused");
        let e = connect(&name, &server.url(), options).unwrap_err();
        assert_eq!(e.code, PodeWsResult::Protocol, "{answer}: {}", e.message);
        assert!(e.message.contains(needle), "{answer}: {}", e.message);
        assert_unregistered(&name);
    }
}

#[test]
fn compressed_messages_round_trip_and_info_shows_the_parameters_and_wire_bytes() {
    let server = ServerProcess::start_with(0, &["--deflate"]);
    let name = unique("roundtrip");
    let events = events(&name);
    connect(&name, &server.url("/echo"), "").unwrap();
    events.expect(OPENED, LIMIT);
    let text = feed_text(200_000);
    let binary: Vec<u8> = text.bytes().rev().collect();
    for _ in 0..3 {
        send_text(&name, &text).unwrap();
        send_binary(&name, &binary).unwrap();
        send_text(&name, "").unwrap();
        assert!(events.expect(TEXT, LIMIT).data == text.as_bytes());
        assert!(events.expect(BINARY, LIMIT).data == binary);
        assert!(events.expect(TEXT, LIMIT).data.is_empty());
    }
    let info = info(&name).unwrap();
    assert_eq!(
        compression(&info),
        serde_json::json!({
            "negotiated": true,
            "serverMaxWindowBits": 15,
            "clientMaxWindowBits": 15,
            "serverNoContextTakeover": false,
            "clientNoContextTakeover": false,
        })
    );
    let message_bytes = 3 * (text.len() + binary.len()) as u64;
    assert_eq!(info["bytesIn"].as_u64(), Some(message_bytes));
    assert_eq!(info["bytesOut"].as_u64(), Some(message_bytes));
    // The feed compresses several times over, both ways.
    let (wire_in, wire_out) = (
        info["wireBytesIn"].as_u64().unwrap(),
        info["wireBytesOut"].as_u64().unwrap(),
    );
    assert!(wire_in > 0 && wire_in * 3 < message_bytes, "{info}");
    assert!(wire_out > 0 && wire_out * 3 < message_bytes, "{info}");
    remove(&name).unwrap();

    // The same with compression off: not negotiated, and the wire carries every byte.
    let name = unique("plain");
    let events = common::events(&name);
    connect(
        &name,
        &server.url("/echo"),
        r#"{"compression": {"enabled": false}}"#,
    )
    .unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, &text).unwrap();
    assert!(events.expect(TEXT, LIMIT).data == text.as_bytes());
    let info = common::info(&name).unwrap();
    assert_eq!(compression(&info)["negotiated"], false);
    assert!(
        info["wireBytesIn"].as_u64().unwrap() > text.len() as u64,
        "{info}"
    );
    assert!(
        info["wireBytesOut"].as_u64().unwrap() > text.len() as u64,
        "{info}"
    );
    remove(&name).unwrap();
}

#[test]
fn window_bits_and_no_context_takeover_both_ways_against_the_echo_server() {
    let server = ServerProcess::start_with(0, &["--deflate"]);
    let text = feed_text(70_000);
    for bits in [9, 12, 15] {
        for no_takeover in [false, true] {
            let name = unique("params");
            let events = events(&name);
            let options = format!(
                r#"{{"compression": {{"clientMaxWindowBits": {bits}, "serverMaxWindowBits": {bits}, "clientNoContextTakeover": {no_takeover}, "serverNoContextTakeover": {no_takeover}}}}}"#
            );
            connect(&name, &server.url("/echo"), &options).unwrap();
            events.expect(OPENED, LIMIT);
            for _ in 0..3 {
                send_text(&name, &text).unwrap();
                assert!(
                    events.expect(TEXT, LIMIT).data == text.as_bytes(),
                    "{options}"
                );
            }
            let c = compression(&info(&name).unwrap());
            assert_eq!(c["serverMaxWindowBits"], bits, "{c}");
            assert_eq!(c["clientMaxWindowBits"], bits, "{c}");
            assert_eq!(c["serverNoContextTakeover"], no_takeover, "{c}");
            assert_eq!(c["clientNoContextTakeover"], no_takeover, "{c}");
            remove(&name).unwrap();
        }
    }
}

#[test]
fn a_fragmented_compressed_message_with_a_ping_inside_arrives_whole() {
    let text = feed_text(50_000);
    let compressed = deflate(text.as_bytes());
    let third = compressed.len() / 3;
    let mut first = encode(false, OP_TEXT, &compressed[..third]);
    first[0] |= 0x40; // RSV1 on the first frame only
    let frames = vec![
        first,
        encode(true, OP_PING, b"inside"),
        encode(false, CONTINUATION, &compressed[third..2 * third]),
        encode(true, CONTINUATION, &compressed[2 * third..]),
        // An uncompressed message on the same connection is fine too.
        encode(true, OP_TEXT, b"plain"),
    ];
    let server = raw_ws_server_answering(Some("permessage-deflate"), move |mut tcp| {
        let frames = frames.clone();
        async move {
            for frame in frames {
                use tokio::io::AsyncWriteExt;
                tcp.write_all(&frame).await.unwrap();
            }
            let _ = read_until_close(&mut tcp).await;
        }
    });
    let name = unique("fragments");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    assert!(events.expect(TEXT, LIMIT).data == text.as_bytes());
    assert_eq!(events.expect(TEXT, LIMIT).text(), "plain");
    remove(&name).unwrap();
}

/// Connects to a server that answers `permessage-deflate` and sends `frames`; returns the
/// Error and Closed events and the close frame the server got back.
fn failing_server(frames: Vec<Vec<u8>>, options: &str) -> (Ev, Ev, Option<Frame>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = raw_ws_server_answering(Some("permessage-deflate"), move |mut tcp| {
        let (frames, tx) = (frames.clone(), tx.clone());
        async move {
            for frame in frames {
                use tokio::io::AsyncWriteExt;
                if tcp.write_all(&frame).await.is_err() {
                    break;
                }
            }
            let _ = tx.send(read_until_close(&mut tcp).await);
        }
    });
    let name = unique("failing");
    let events = events(&name);
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    let error = events.expect(ERROR, LIMIT);
    let closed = events.expect(CLOSED, LIMIT);
    let reply = rx.recv_timeout(LIMIT).unwrap();
    remove(&name).unwrap();
    (error, closed, reply)
}

#[test]
fn data_that_does_not_inflate_closes_with_1002_naming_the_cause() {
    let mut frame = encode(true, OP_BINARY, &[0xFF; 32]);
    frame[0] |= 0x40;
    let (error, closed, reply) = failing_server(vec![frame], "");
    assert_eq!(error.code, PodeWsResult::Protocol as u32);
    assert!(
        error.text().contains("does not inflate"),
        "{}",
        error.text()
    );
    assert_eq!((closed.code, closed.closed_by), (1002, BY_LOCAL));
    assert_eq!(reply.map(|f| f.close_code()), Some(1002));
}

#[test]
fn rsv1_on_a_control_or_continuation_frame_is_a_protocol_error() {
    let mut ping = encode(true, OP_PING, b"x");
    ping[0] |= 0x40;
    let mut continuation = encode(true, CONTINUATION, &deflate(b"tail"));
    continuation[0] |= 0x40;
    let mut first = encode(false, OP_TEXT, &deflate(b"head"));
    first[0] |= 0x40;
    for frames in [vec![ping], vec![first, continuation]] {
        let (error, closed, _) = failing_server(frames, "");
        assert_eq!(
            error.code,
            PodeWsResult::Protocol as u32,
            "{}",
            error.text()
        );
        assert!(error.text().contains("eserved bits"), "{}", error.text());
        assert_eq!(closed.code, 1002);
    }
}

#[test]
fn the_message_limit_counts_inflated_bytes() {
    // 4 MiB of zeros compress to about 4 KiB: a frame far below the limit on the wire.
    let compressed = deflate(&vec![0u8; 4 << 20]);
    let mut frame = encode(true, OP_BINARY, &compressed);
    frame[0] |= 0x40;
    let (error, closed, reply) = failing_server(vec![frame], r#"{"maxMessageSize": 1048576}"#);
    assert_eq!(
        error.code,
        PodeWsResult::MessageTooLarge as u32,
        "{}",
        error.text()
    );
    assert!(
        error.text().contains("limit of 1048576 bytes"),
        "{}",
        error.text()
    );
    assert_eq!(closed.code, 1009);
    assert_eq!(reply.map(|f| f.close_code()), Some(1009));
}

#[test]
fn the_frame_limit_counts_compressed_bytes_on_the_wire() {
    let mut seed = 1u64;
    let data: Vec<u8> = (0..20_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let compressed = deflate(&data);
    assert!(
        compressed.len() > 10_000,
        "compressed to {}",
        compressed.len()
    );
    let mut frame = encode(true, OP_BINARY, &compressed);
    frame[0] |= 0x40;
    let (error, closed, _) = failing_server(
        vec![frame],
        r#"{"maxFrameSize": 10000, "maxMessageSize": 1000000}"#,
    );
    assert_eq!(
        error.code,
        PodeWsResult::MessageTooLarge as u32,
        "{}",
        error.text()
    );
    assert_eq!(closed.code, 1009);
}

#[test]
fn bad_compression_options_are_refused_naming_the_key() {
    let server = ws_server_with(Setup::default(), |ws, _| echo_loop(ws, ""));
    for (options, needle) in [
        (
            r#"{"compression": true}"#,
            "compression must be a JSON object",
        ),
        (
            r#"{"compression": {"enable": false}}"#,
            "unknown field `enable`",
        ),
        (
            r#"{"compression": {"clientMaxWindowBits": 8}}"#,
            "clientMaxWindowBits must be between 9 and 15",
        ),
        (
            r#"{"compression": {"serverMaxWindowBits": 16}}"#,
            "serverMaxWindowBits must be between 8 and 15",
        ),
        (
            r#"{"compression": {"level": 10}}"#,
            "level must be between 0 and 9",
        ),
        (
            r#"{"compression": {"serverNoContextTakeover": "yes"}}"#,
            "invalid type",
        ),
    ] {
        let name = unique("badopt");
        let e = connect(&name, &server.url(), options).unwrap_err();
        assert_eq!(
            e.code,
            PodeWsResult::InvalidOptions,
            "{options}: {}",
            e.message
        );
        assert!(e.message.contains(needle), "{options}: {}", e.message);
        assert_unregistered(&name);
    }
}

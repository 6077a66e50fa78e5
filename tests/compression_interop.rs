//! permessage-deflate against real servers through the C ABI: python `websockets` and node
//! `ws` (tests/interop/), with their default settings, window bits 9 to 15 both ways, no context
//! takeover both ways (asked by the server, and asked by us), fragmented compressed messages,
//! text and binary, large messages, and a server that declines the offer.
mod common;

use std::time::Duration;

use common::dispatch::Events;
use common::interop::{self, Peer};
use common::*;

const LIMIT: Duration = Duration::from_secs(60);

fn feed(size: usize) -> String {
    let mut text = String::with_capacity(size + 80);
    let mut seq = 0u64;
    while text.len() < size {
        text.push_str(&format!(
            "{{\"seq\":{seq},\"symbol\":\"BTCUSD\",\"price\":{}.{:02},\"side\":\"{}\"}}",
            60_000 + seq * 37 % 5_000,
            seq % 100,
            if seq % 3 == 0 { "buy" } else { "sell" }
        ));
        seq += 1;
    }
    text.truncate(size);
    text
}

fn binary(size: usize) -> Vec<u8> {
    feed(size).into_bytes().into_iter().rev().collect()
}

struct Conn {
    name: String,
    events: Events,
}

impl Conn {
    fn open(url: &str, options: &str) -> Conn {
        let name = unique("interop");
        let events = common::events(&name);
        connect(&name, url, options).unwrap_or_else(|e| panic!("{url} {options}: {e:?}"));
        events.expect(OPENED, LIMIT);
        Conn { name, events }
    }

    fn echo_text(&self, text: &str) {
        send_text(&self.name, text).unwrap();
        let got = self.events.expect(TEXT, LIMIT);
        assert!(
            got.data == text.as_bytes(),
            "text of {} bytes differs",
            text.len()
        );
    }

    fn echo_binary(&self, data: &[u8]) {
        send_binary(&self.name, data).unwrap();
        let got = self.events.expect(BINARY, LIMIT);
        assert!(got.data == data, "binary of {} bytes differs", data.len());
    }

    fn compression(&self) -> serde_json::Value {
        info(&self.name).unwrap()["compression"].clone()
    }

    fn wire_ratio(&self) -> f64 {
        let info = info(&self.name).unwrap();
        let wire = info["wireBytesIn"].as_u64().unwrap() + info["wireBytesOut"].as_u64().unwrap();
        let bytes = info["bytesIn"].as_u64().unwrap() + info["bytesOut"].as_u64().unwrap();
        wire as f64 / bytes as f64
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let _ = remove(&self.name);
    }
}

fn default_settings(peer: &Peer) {
    let c = Conn::open(&peer.url("default"), "");
    assert_eq!(c.compression()["negotiated"], true, "{}", c.compression());
    for _ in 0..3 {
        c.echo_text(&feed(1 << 20));
        c.echo_binary(&binary(300_000));
        c.echo_text("tiny"); // node ws sends messages under 1 KiB uncompressed by default
        c.echo_text("");
        c.echo_binary(&[]);
    }
    let ratio = c.wire_ratio();
    assert!(ratio < 0.3, "wire/message bytes {ratio:.3}");
}

fn window_bits(peer: &Peer) {
    let text = feed(100_000);
    let data = binary(100_000);
    for bits in 9..=15 {
        let c = Conn::open(&peer.url(&format!("bits{bits}")), "");
        for _ in 0..3 {
            c.echo_text(&text);
            c.echo_binary(&data);
        }
        let negotiated = c.compression();
        assert_eq!(negotiated["serverMaxWindowBits"], bits, "{negotiated}");
        assert_eq!(negotiated["clientMaxWindowBits"], bits, "{negotiated}");
    }
    // Asked by us (of a server with no fixed window: node's ws refuses a smaller window than
    // the one it was configured with): the server compresses with at most 10 bits, we with 11.
    let c = Conn::open(
        &peer.url("default"),
        r#"{"compression": {"serverMaxWindowBits": 10, "clientMaxWindowBits": 11}}"#,
    );
    c.echo_text(&text);
    let negotiated = c.compression();
    assert_eq!(negotiated["serverMaxWindowBits"], 10, "{negotiated}");
    assert!(
        negotiated["clientMaxWindowBits"].as_u64() <= Some(11),
        "{negotiated}"
    );
}

fn no_context_takeover(peer: &Peer) {
    let text = feed(50_000);
    // Asked by the server.
    let c = Conn::open(&peer.url("no-context-takeover"), "");
    for _ in 0..4 {
        c.echo_text(&text);
        c.echo_binary(text.as_bytes());
    }
    let negotiated = c.compression();
    assert_eq!(negotiated["serverNoContextTakeover"], true, "{negotiated}");
    assert_eq!(negotiated["clientNoContextTakeover"], true, "{negotiated}");
    drop(c);
    // Asked by us, of a server that keeps its context unless asked.
    let c = Conn::open(
        &peer.url("default"),
        r#"{"compression": {"serverNoContextTakeover": true, "clientNoContextTakeover": true}}"#,
    );
    for _ in 0..4 {
        c.echo_text(&text);
    }
    let negotiated = c.compression();
    assert_eq!(negotiated["serverNoContextTakeover"], true, "{negotiated}");
    assert_eq!(negotiated["clientNoContextTakeover"], true, "{negotiated}");
}

fn fragmented(peer: &Peer) {
    let text = feed(200_000);
    for url in [
        peer.url("default"),
        peer.url("no-context-takeover"),
        peer.url("bits9"),
    ] {
        let c = Conn::open(&url, "");
        for size in [1000, 16_384, 70_000] {
            send_text(&c.name, &format!("fragments:{size}:{text}")).unwrap();
            let got = c.events.expect(TEXT, LIMIT);
            assert!(
                got.data == text.as_bytes(),
                "{url}: fragments of {size} differ"
            );
        }
    }
}

fn large(peer: &Peer) {
    let c = Conn::open(&peer.url("default"), "");
    c.echo_text(&feed(8 << 20));
    c.echo_binary(&binary(8 << 20));
}

fn declined(peer: &Peer) {
    let c = Conn::open(&peer.url("plain"), "");
    assert_eq!(c.compression(), serde_json::json!({ "negotiated": false }));
    c.echo_text(&feed(10_000));
    assert!(c.wire_ratio() > 1.0);
    // And with compression off on our side, against a server that would compress.
    let c = Conn::open(
        &peer.url("default"),
        r#"{"compression": {"enabled": false}}"#,
    );
    assert_eq!(c.compression()["negotiated"], false);
    c.echo_text(&feed(10_000));
}

macro_rules! peer_tests {
    ($peer:ident) => {
        mod $peer {
            use super::*;

            #[test]
            fn default_settings_text_binary_tiny_and_empty() {
                default_settings(interop::$peer());
            }

            #[test]
            fn window_bits_9_to_15_both_ways() {
                window_bits(interop::$peer());
            }

            #[test]
            fn no_context_takeover_both_ways() {
                no_context_takeover(interop::$peer());
            }

            #[test]
            fn fragmented_compressed_messages() {
                fragmented(interop::$peer());
            }

            #[test]
            fn eight_mib_messages() {
                large(interop::$peer());
            }

            #[test]
            fn a_declined_offer_and_compression_off() {
                declined(interop::$peer());
            }
        }
    };
}

peer_tests!(python);
peer_tests!(node);

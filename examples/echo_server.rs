//! A small, fast WebSocket server for the demo, the tests and the benchmarks.
//!
//! ```text
//! cargo run --release --example echo_server [-- --port 0]
//! ```
//! Binds 127.0.0.1 (port 0 = the OS picks), prints `LISTENING <port>` on stdout, then serves:
//!
//! | path | behaviour |
//! |---|---|
//! | `/` or `/echo` | echoes every text and binary message |
//! | `/firehose?count=N&size=S&kind=text\|binary\|json` | sends N messages of S bytes as fast as the socket allows, then echoes (with `close=1`: closes with 1000 instead, so a client sees where the feed ends). Text messages start with a zero-padded sequence number; `json` sends text objects `{"seq":"0000000001","p":"xx…"}` (at least 27 bytes); `trades` sends an exchange feed's JSON trades of about 160 bytes whose values vary (`size` is ignored). |
//! | `/sink` | discards messages; answers the text `__count__` with the number received so far |
//! | `/silent` | completes the handshake and never reads or writes again (idle and half-open tests) |
//!
//! With `--exit-on-stdin-close` it stops when its stdin closes, so a parent process that dies
//! never leaves it behind. With `--deflate` it accepts permessage-deflate when a client offers
//! it (granting the client's parameters) through the core's own compression layer, server side,
//! compressing at zlib level 6 or `--deflate-level N`; without it, it never compresses (the
//! layer is then a plain pass-through).

use std::collections::HashMap;

use futures_util::{FutureExt, SinkExt, StreamExt};
use pode_ws::deflate::negotiation::answer_offer;
use pode_ws::deflate::{Config, DeflateStream, Role};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

type Ws = tokio_tungstenite::WebSocketStream<DeflateStream<TcpStream>>;

fn query(uri: &str) -> HashMap<String, String> {
    uri.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A trade of an exchange's JSON feed (about 160 bytes): field names repeat, values vary with
/// `seq` (price, quantity, ids, time), so it compresses as such feeds do, not as padding does.
fn trade(seq: usize) -> String {
    let mix = (seq as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let price = 4_300_000 + (mix >> 40) % 20_000;
    let quantity = 1 + (mix >> 20) % 250_000;
    format!(
        "{{\"e\":\"trade\",\"E\":{},\"s\":\"BTCUSDT\",\"t\":{},\"p\":\"{}.{:02}\",\"q\":\"0.{:06}\",\"b\":{},\"a\":{},\"T\":{},\"m\":{},\"M\":true}}",
        1_764_633_600_000u64 + seq as u64 * 3,
        3_500_000_000u64 + seq as u64,
        price / 100,
        price % 100,
        quantity,
        88_000_000_000u64 + (mix >> 8) % 1_000_000,
        88_000_000_000u64 + (mix >> 12) % 1_000_000,
        1_764_633_600_000u64 + seq as u64 * 3 - 1,
        mix & 1 == 1
    )
}

fn payload(seq: usize, size: usize, kind: &str) -> Message {
    if kind == "trades" {
        return Message::text(trade(seq));
    }
    if kind == "json" {
        // A JSON object of exactly `size` bytes when size >= 27 (benchmarks parse these).
        let pad = "x".repeat(size.saturating_sub(27));
        return Message::text(format!("{{\"seq\":\"{seq:010}\",\"p\":\"{pad}\"}}"));
    }
    if kind == "binary" {
        let mut data = vec![0u8; size];
        let seq_bytes = (seq as u64).to_be_bytes();
        let n = size.min(8);
        data[..n].copy_from_slice(&seq_bytes[8 - n..]);
        Message::Binary(Bytes::from(data))
    } else {
        let mut text = format!("{seq:010}");
        text.truncate(size);
        while text.len() < size {
            text.push('x');
        }
        Message::text(text)
    }
}

async fn serve(tcp: TcpStream, deflate: Option<u32>) {
    let _ = tcp.set_nodelay(true);
    let mut path = String::from("/");
    let mut negotiated = None;
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    #[allow(clippy::result_large_err)] // the error type is tungstenite's callback signature
    let callback = |request: &Request, mut response: Response| {
        path = request.uri().to_string();
        if deflate.is_some() {
            let offers: Vec<&str> = request
                .headers()
                .get_all("sec-websocket-extensions")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            if let Some((params, answer)) = answer_offer(&offers) {
                if let Ok(value) = HeaderValue::from_str(&answer) {
                    response
                        .headers_mut()
                        .insert("Sec-WebSocket-Extensions", value);
                    negotiated = Some(params);
                }
            }
        }
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async_with_config(
        DeflateStream::new(tcp),
        callback,
        Some(config),
    )
    .await
    else {
        return;
    };
    ws.get_mut().start(negotiated.map(|negotiated| Config {
        role: Role::Server,
        negotiated,
        frame_limit: usize::MAX,
        read_buffer_size: 128 << 10,
        level: deflate.unwrap_or(6),
    }));
    let route = path.split('?').next().unwrap_or("/").to_string();
    let args = query(&path);
    match route.as_str() {
        "/silent" => {
            // Hold the socket without reading: the client's pings go unanswered.
            std::future::pending::<()>().await;
        }
        "/firehose" => {
            let count: usize = args
                .get("count")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000);
            let size: usize = args.get("size").and_then(|v| v.parse().ok()).unwrap_or(32);
            let kind = args.get("kind").map_or("text", String::as_str);
            for seq in 0..count {
                if ws.feed(payload(seq, size, kind)).await.is_err() {
                    return;
                }
            }
            if ws.flush().await.is_err() {
                return;
            }
            if args.get("close").is_some_and(|v| v == "1") {
                let normal = CloseFrame {
                    code: CloseCode::Normal,
                    reason: "".into(),
                };
                let _ = ws.close(Some(normal)).await;
                while let Some(Ok(_)) = ws.next().await {}
                return;
            }
            echo(ws).await;
        }
        "/sink" => {
            let mut received: u64 = 0;
            while let Some(Ok(message)) = ws.next().await {
                let asks_count = matches!(&message, Message::Text(t) if t.as_str() == "__count__");
                if asks_count {
                    if ws.send(Message::text(received.to_string())).await.is_err() {
                        return;
                    }
                } else if message.is_text() || message.is_binary() {
                    received += 1;
                }
            }
        }
        _ => echo(ws).await,
    }
}

async fn echo(mut ws: Ws) {
    let mut next = ws.next().await;
    while let Some(Ok(message)) = next {
        if (message.is_text() || message.is_binary()) && ws.feed(message).await.is_err() {
            return;
        }
        // Flush only when no further message is already waiting, so bursts go out in few writes.
        next = match ws.next().now_or_never() {
            Some(ready) => ready,
            None => {
                if ws.flush().await.is_err() {
                    return;
                }
                ws.next().await
            }
        };
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut port = 0u16;
    let mut watch_stdin = false;
    let mut deflate = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("--port takes a number")
            }
            "--exit-on-stdin-close" => watch_stdin = true,
            "--deflate" => deflate = Some(deflate.unwrap_or(6)),
            "--deflate-level" => {
                let level = args
                    .next()
                    .and_then(|l| l.parse().ok())
                    .filter(|l| *l <= 9)
                    .expect("--deflate-level takes 0 to 9");
                deflate = Some(level);
            }
            other => panic!(
                "unknown argument {other}; usage: echo_server [--port N] [--exit-on-stdin-close] [--deflate] [--deflate-level N]"
            ),
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind 127.0.0.1");
    println!(
        "LISTENING {}",
        listener.local_addr().expect("local addr").port()
    );

    if watch_stdin {
        tokio::spawn(async {
            let mut buf = [0u8; 64];
            let mut stdin = tokio::io::stdin();
            while let Ok(n) = stdin.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            std::process::exit(0);
        });
    }

    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                tokio::spawn(serve(tcp, deflate));
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

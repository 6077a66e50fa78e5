//! A server that answers each opening handshake as a script says (hang up, an HTTP refusal, or
//! accept and then close or echo), and records every visit: when it came, its path and its
//! headers. For reconnect tests: a server that refuses the first N connections, hands out a
//! 401 or a 503 with Retry-After, or drops every session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::servers::{bind, read_head, serve, Server};

/// How one handshake is answered.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Read the request, then close the TCP connection without a word (after `Duration`).
    HangUp(Duration),
    /// Read the request, answer with this raw HTTP response, close.
    Http(String),
    /// Accept the WebSocket, then close it at once with this code and reason.
    Close(u16, &'static str),
    /// Accept the WebSocket and echo every message.
    Echo,
}

impl Reply {
    /// An HTTP refusal with `status` and extra header lines (each `Name: value`).
    pub fn status(status: &str, headers: &[&str]) -> Reply {
        let mut response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n");
        for header in headers {
            response.push_str(header);
            response.push_str("\r\n");
        }
        response.push_str("\r\n");
        Reply::Http(response)
    }
}

/// One handshake the server saw.
#[derive(Debug, Clone)]
pub struct Visit {
    pub at: Instant,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
}

pub struct Scripted {
    pub server: Server,
    visits: Arc<Mutex<Vec<Visit>>>,
}

impl Scripted {
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn visits(&self) -> Vec<Visit> {
        self.visits.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.visits().into_iter().map(|v| v.path).collect()
    }
}

/// Answers handshake `i` with `script[i]`, and every later one with `then`.
pub fn scripted_server(script: Vec<Reply>, then: Reply) -> Scripted {
    let visits: Arc<Mutex<Vec<Visit>>> = Arc::default();
    let seen = Arc::clone(&visits);
    let server = serve(bind(None), move |mut tcp| {
        let (script, then, seen) = (script.clone(), then.clone(), Arc::clone(&seen));
        async move {
            let Some(head) = read_head(&mut tcp).await else {
                return;
            };
            let mut lines = head.lines();
            let path = lines
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("")
                .to_string();
            let headers: HashMap<String, String> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let key = headers.get("sec-websocket-key").cloned();
            let index = {
                let mut seen = seen.lock().unwrap();
                seen.push(Visit {
                    at: Instant::now(),
                    path,
                    headers,
                });
                seen.len() - 1
            };
            let reply = script.get(index).cloned().unwrap_or(then);
            match reply {
                Reply::HangUp(after) => {
                    tokio::time::sleep(after).await;
                }
                Reply::Http(response) => {
                    let _ = tcp.write_all(response.as_bytes()).await;
                    let _ = tcp.shutdown().await;
                }
                // Not a WebSocket request: nothing to accept.
                _ if key.is_none() => {}
                accept => {
                    let response = format!(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                        derive_accept_key(key.unwrap().as_bytes())
                    );
                    if tcp.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
                    if let Reply::Close(code, reason) = accept {
                        let frame = CloseFrame {
                            code: CloseCode::from(code),
                            reason: reason.into(),
                        };
                        let _ = ws.send(Message::Close(Some(frame))).await;
                    }
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    });
    Scripted { server, visits }
}

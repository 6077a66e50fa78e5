//! Connect traces through the C ABI (`traceId`, `pode_ws_trace_read`): every step in order with
//! its time, for connects that open and that fail, read while the connect blocks, for the
//! close handshake and reconnects, never a secret.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::proxies::http_proxy;
use common::tls::{self_signed, tls_echo_server, tls_echo_server_with};
use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::{pode_ws_trace_read, PodeWsBuffer};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

/// Reads a trace incrementally, as the module does.
struct Reader {
    id: String,
    next: u64,
    seen: Vec<Value>,
}

impl Reader {
    fn new(id: &str) -> Reader {
        Reader {
            id: id.to_string(),
            next: 0,
            seen: Vec::new(),
        }
    }

    /// The entries that arrived since the last call.
    fn poll(&mut self) -> Vec<Value> {
        let mut buffer: *mut PodeWsBuffer = std::ptr::null_mut();
        check(unsafe {
            pode_ws_trace_read(self.id.as_ptr(), self.id.len(), self.next, &mut buffer)
        })
        .unwrap();
        let read: Value = serde_json::from_str(&take_buffer(buffer)).unwrap();
        assert_eq!(read["traceId"], self.id);
        assert_eq!(read["dropped"], 0, "{read}");
        self.next = read["next"].as_u64().unwrap();
        let new = read["entries"].as_array().unwrap().clone();
        self.seen.extend(new.iter().cloned());
        new
    }

    fn steps(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|e| e["step"].as_str().unwrap().to_string())
            .collect()
    }

    fn text(&self, step: &str) -> String {
        self.seen
            .iter()
            .filter(|e| e["step"] == step)
            .map(|e| e["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn all_text(&self) -> String {
        serde_json::to_string(&self.seen).unwrap()
    }
}

/// Every entry has a time; times never go backwards within an operation.
fn assert_timed(entries: &[Value]) {
    let mut last: Option<(&str, f64, i64)> = None;
    for e in entries {
        let (op, elapsed, time) = (
            e["op"].as_str().unwrap(),
            e["elapsedMs"].as_f64().unwrap(),
            e["timeMs"].as_i64().unwrap(),
        );
        assert!(time > 1_700_000_000_000, "{e}");
        if let Some((last_op, last_elapsed, last_time)) = last {
            assert!(time >= last_time, "{entries:#?}");
            if op == last_op {
                assert!(elapsed >= last_elapsed, "{entries:#?}");
            }
        }
        last = Some((op, elapsed, time));
    }
}

fn assert_order(steps: &[String], expected: &[&str]) {
    assert_eq!(steps, expected, "steps in order");
}

#[test]
fn a_connect_through_a_proxy_and_tls_traces_every_step_in_order() {
    let cert = self_signed("trace-server");
    let server = tls_echo_server(&cert, false);
    let proxy = http_proxy(Some(("user", "proxy-SECRET")));
    let id = unique("trace-ok");
    let options = json!({
        "traceId": id,
        "headers": { "Authorization": "Bearer header-SECRET", "X-Api-Key": "key-SECRET" },
        "proxy": { "environment": { "HTTPS_PROXY": proxy.url_with("http", "user:proxy-SECRET") } },
        "tls": { "caPem": cert.pem },
    })
    .to_string();
    let name = unique("traced");
    connect(&name, &server.url(), &options).unwrap();
    let mut trace = Reader::new(&id);
    trace.poll();
    assert_order(
        &trace.steps(),
        &[
            "start",
            "proxy",
            "request",
            "dns",
            "tcp",
            "tunnel",
            "tls",
            "certificate",
            "http",
            "subprotocol",
            "compression",
            "open",
        ],
    );
    assert_timed(&trace.seen);
    assert!(trace.seen.iter().all(|e| e["op"] == "connect"));
    let port = proxy.server.addr.port();
    assert!(
        trace.text("proxy").contains(&format!(
            "proxy http://127.0.0.1:{port} from HTTPS_PROXY (with credentials)"
        )),
        "{}",
        trace.text("proxy")
    );
    assert!(
        trace
            .text("request")
            .contains("headers Authorization, X-Api-Key (values not shown)"),
        "{}",
        trace.text("request")
    );
    assert!(trace
        .text("dns")
        .contains("the proxy 127.0.0.1 is an IP address"));
    assert!(trace
        .text("tcp")
        .contains(&format!("TCP connected to the proxy 127.0.0.1:{port} in ")));
    assert!(
        trace.text("tunnel").contains(&format!(
            "CONNECT 127.0.0.1:{} (with credentials) answered 'HTTP/1.1 200 Connection established'",
            server.addr.port()
        )),
        "{}",
        trace.text("tunnel")
    );
    let tls = trace.text("tls");
    assert!(tls.starts_with("TLS handshake done in "), "{tls}");
    assert!(tls.contains("TLS 1.3, TLS_"), "{tls}");
    let certificate = trace.text("certificate");
    assert!(
        certificate.starts_with("server certificate: subject 'CN=trace-server', issuer 'CN=trace-server', valid from 20"),
        "{certificate}"
    );
    assert!(trace
        .text("http")
        .starts_with("HTTP 101 Switching Protocols in "));
    assert_eq!(trace.text("subprotocol"), "no subprotocol");
    assert!(trace.text("open").starts_with("open after "));
    for secret in ["SECRET", "Bearer", "dXNlcjpwcm94"] {
        assert!(!trace.all_text().contains(secret), "{}", trace.all_text());
    }
    assert_eq!(info(&name).unwrap()["traceId"], id);
    remove(&name).unwrap();
}

#[test]
fn the_subprotocol_and_redirect_hops_are_traced() {
    let setup = Setup {
        select_protocol: true,
        ..Setup::default()
    };
    let end = ws_server_with(setup, |ws, _| echo_loop(ws, ""));
    let end_addr = end.addr;
    let first = redirecting_server(move |_| Some((302, format!("ws://{end_addr}/end?token=abc"))));
    let id = unique("trace-redirect");
    let options = json!({ "traceId": id, "subprotocols": ["chat.v2"] }).to_string();
    let name = unique("traced-redirect");
    connect(&name, &format!("ws://{}/start?q=1", first.addr), &options).unwrap();
    let mut trace = Reader::new(&id);
    trace.poll();
    assert_order(
        &trace.steps(),
        &[
            "start",
            "proxy",
            "request",
            "dns",
            "tcp",
            "http",
            "redirect",
            "proxy",
            "request",
            "dns",
            "tcp",
            "http",
            "subprotocol",
            "compression",
            "open",
        ],
    );
    assert_timed(&trace.seen);
    assert!(trace
        .text("start")
        .contains(&format!("ws://{}/start?***", first.addr)));
    assert!(
        trace.text("http").starts_with("HTTP 302 Found in "),
        "{}",
        trace.text("http")
    );
    assert_eq!(
        trace.text("redirect"),
        format!(
            "redirect 1 of at most 5 (HTTP 302) to ws://{end_addr}/end?***; Authorization and Cookie are not sent there (another host or port)"
        )
    );
    assert_eq!(
        trace.text("subprotocol"),
        "subprotocol 'chat.v2' chosen by the server"
    );
    assert!(
        trace.text("proxy").starts_with("direct: "),
        "{}",
        trace.text("proxy")
    );
    assert!(!trace.all_text().contains("token") && !trace.all_text().contains("q=1"));
    remove(&name).unwrap();
}

fn failed_trace(url: &str, options: Value) -> (Failure, Reader) {
    let id = unique("trace-fail");
    let mut options = options;
    options["traceId"] = json!(id);
    let name = unique("traced-fail");
    let e = connect(&name, url, &options.to_string()).unwrap_err();
    assert_unregistered(&name);
    // The name is gone; the trace is still there.
    let mut trace = Reader::new(&id);
    trace.poll();
    assert_timed(&trace.seen);
    let last = trace.seen.last().unwrap();
    assert_eq!(last["step"], "failed");
    let text = last["text"].as_str().unwrap();
    assert!(
        text.starts_with("failed after ") && text.ends_with(&format!(" ms: {}", e.message)),
        "{text}"
    );
    (e, trace)
}

#[test]
fn a_refused_connect_is_traced_to_the_failure() {
    let (e, trace) = failed_trace(&ws_url(refused_addr()), json!({}));
    assert_eq!(e.code, PodeWsResult::ConnectionRefused);
    assert_order(
        &trace.steps(),
        &["start", "proxy", "request", "dns", "tcp", "failed"],
    );
    assert!(
        trace.text("tcp").contains("failed after"),
        "{}",
        trace.text("tcp")
    );
}

#[test]
fn an_untrusted_certificate_is_traced_with_what_the_server_showed() {
    let cert = self_signed("untrusted-13");
    let server = tls_echo_server(&cert, false);
    let (e, trace) = failed_trace(&server.url(), json!({}));
    assert!(
        matches!(e.code, PodeWsResult::Tls | PodeWsResult::TlsUntrusted),
        "{}",
        e.message
    );
    assert_order(
        &trace.steps(),
        &[
            "start",
            "proxy",
            "request",
            "dns",
            "tcp",
            "tls",
            "certificate",
            "failed",
        ],
    );
    let tls = trace.text("tls");
    assert!(
        tls.starts_with("TLS handshake failed after ") && tls.contains("(TLS 1.3, TLS_"),
        "{tls}"
    );
    assert!(trace
        .text("certificate")
        .contains("TLS 1.3 sends it encrypted"));

    // TLS 1.2 sends the certificate in the clear: the trace names the one that was refused.
    let cert = self_signed("untrusted-12");
    let server = tls_echo_server_with(&cert, false, true);
    let (_, trace) = failed_trace(&server.url(), json!({}));
    assert!(
        trace
            .text("tls")
            .contains("(TLS 1.2, TLS_ECDHE_ECDSA_WITH_"),
        "{}",
        trace.text("tls")
    );
    assert!(
        trace
            .text("certificate")
            .starts_with("server certificate: subject 'CN=untrusted-12', issuer 'CN=untrusted-12'"),
        "{}",
        trace.text("certificate")
    );
}

#[test]
fn a_refused_upgrade_is_traced_with_its_status() {
    let refusing = http_responder("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    let (e, trace) = failed_trace(
        &refusing.url(),
        json!({ "headers": { "Authorization": "Basic c2VjcmV0LVNFQ1JFVA==" } }),
    );
    assert_eq!(e.code, PodeWsResult::HandshakeRejected);
    assert_order(
        &trace.steps(),
        &["start", "proxy", "request", "dns", "tcp", "http", "failed"],
    );
    assert!(trace.text("http").starts_with("HTTP 401 Unauthorized in "));
    assert!(
        !trace.all_text().contains("c2VjcmV0"),
        "{}",
        trace.all_text()
    );
}

#[test]
fn the_trace_can_be_read_while_the_connect_blocks() {
    let (server, accepted) = hanging_server(None);
    let id = unique("trace-live");
    let options = json!({ "traceId": id, "connectTimeoutMs": 1500 }).to_string();
    let done = Arc::new(AtomicBool::new(false));
    let (url, flag) = (server.url(), Arc::clone(&done));
    let connecting = std::thread::spawn(move || {
        let result = connect(&unique("traced-live"), &url, &options);
        flag.store(true, Ordering::SeqCst);
        result
    });
    let mut trace = Reader::new(&id);
    let deadline = Instant::now() + LIMIT;
    while !trace.steps().contains(&"tcp".to_string()) {
        assert!(Instant::now() < deadline, "no TCP step while connecting");
        trace.poll();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(accepted.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
    assert!(
        !done.load(Ordering::SeqCst),
        "the connect was still blocked"
    );
    let e = connecting.join().unwrap().unwrap_err();
    assert_eq!(e.code, PodeWsResult::Timeout);
    let new = trace.poll();
    assert_eq!(new.last().unwrap()["step"], "failed");
    assert_eq!(
        new.last().unwrap()["text"],
        "timed out after 1500 ms during the WebSocket opening handshake"
    );
    assert_order(
        &trace.steps(),
        &["start", "proxy", "request", "dns", "tcp", "failed"],
    );
    assert!(trace.poll().is_empty(), "nothing new");
}

#[test]
fn a_cancelled_connect_says_so() {
    let (server, accepted) = hanging_server(None);
    let id = unique("trace-cancel");
    let name = unique("traced-cancel");
    let options = json!({ "traceId": id }).to_string();
    let (url, n) = (server.url(), name.clone());
    let connecting = std::thread::spawn(move || connect(&n, &url, &options));
    assert_eq!(accepted.recv_timeout(LIMIT).unwrap(), Hang::Accepted);
    disconnect(&name, 1000, "").unwrap();
    assert_eq!(
        connecting.join().unwrap().unwrap_err().code,
        PodeWsResult::Cancelled
    );
    let mut trace = Reader::new(&id);
    trace.poll();
    let failed = trace.text("failed");
    assert!(failed.starts_with("cancelled after "), "{failed}");
    assert!(
        failed.contains(" during ") && failed.ends_with(" (a disconnect, remove or reset)"),
        "{failed}"
    );
}

#[test]
fn the_close_handshake_is_traced() {
    let server = echo_server_handle();
    let id = unique("trace-close");
    let name = unique("traced-close");
    connect(&name, &server.url(), &json!({ "traceId": id }).to_string()).unwrap();
    let mut trace = Reader::new(&id);
    trace.poll();
    disconnect(&name, 1000, "bye").unwrap();
    let close = trace.poll();
    assert_timed(&close);
    let steps: Vec<_> = close
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps.len(), 4, "{steps:#?}");
    assert_eq!(
        steps[0],
        "closing with 1000 'bye' (waiting up to 5000 ms for the server's answer)"
    );
    assert_eq!(steps[1], "close frame 1000 sent");
    assert!(
        steps[2].starts_with("the server answered the close with 1000 'bye' after "),
        "{}",
        steps[2]
    );
    assert!(
        steps[3].starts_with("closed (1000 'bye') after "),
        "{}",
        steps[3]
    );
    assert!(close.iter().all(|e| e["op"] == "close"));
    remove(&name).unwrap();

    // A peer that never answers: the close gives up after the close timeout.
    let mute = raw_ws_server(|mut tcp| async move {
        let mut sink = [0u8; 1024];
        while tcp.read(&mut sink).await.is_ok_and(|n| n > 0) {}
    });
    let id = unique("trace-mute");
    let name = unique("traced-mute");
    connect(
        &name,
        &mute.url(),
        &json!({ "traceId": id, "closeTimeoutMs": 300 }).to_string(),
    )
    .unwrap();
    let mut trace = Reader::new(&id);
    trace.poll();
    remove(&name).unwrap();
    let close = trace.poll();
    let texts: Vec<_> = close.iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(
        texts.contains(
            &"no answer to the close within the close timeout (300 ms): the connection is dropped"
        ),
        "{texts:#?}"
    );
}

#[test]
fn reconnect_attempts_are_traced() {
    // Closes each connection when told to.
    let server = ws_server(|mut ws, _| async move {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() {
                let _ = ws.send(Message::Close(None)).await;
            }
        }
    });
    let id = unique("trace-reconnect");
    let name = unique("traced-reconnect");
    let events = events(&name);
    let options = json!({
        "traceId": id,
        "reconnect": { "enabled": true, "initialDelayMs": 10, "maxDelayMs": 20 },
    })
    .to_string();
    connect(&name, &server.url(), &options).unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "close").unwrap();
    events.until_kind(CLOSED, LIMIT);
    events.until_kind(OPENED, LIMIT);
    let mut trace = Reader::new(&id);
    trace.poll();
    let closed = trace.text("closed");
    assert!(closed.starts_with("closed by the server: 1005"), "{closed}");
    let reconnect: Vec<_> = trace
        .seen
        .iter()
        .filter(|e| e["op"] == "reconnect")
        .collect();
    assert_eq!(reconnect.first().unwrap()["step"], "start");
    assert_eq!(reconnect.last().unwrap()["step"], "open");
    remove(&name).unwrap();
}

#[test]
fn without_a_trace_id_nothing_is_recorded_and_unknown_ids_read_empty() {
    let server = echo_server_handle();
    let name = unique("untraced");
    connect(&name, &server.url(), "").unwrap();
    assert_eq!(info(&name).unwrap()["traceId"], Value::Null);
    remove(&name).unwrap();
    let mut trace = Reader::new("never-used-by-any-connect");
    assert!(trace.poll().is_empty());
    assert_eq!(trace.next, 0);
    // Argument errors.
    let mut buffer: *mut PodeWsBuffer = std::ptr::null_mut();
    let r = unsafe { pode_ws_trace_read(std::ptr::null(), 0, 0, &mut buffer) };
    assert_eq!(r, PodeWsResult::NullPointer);
    let r = unsafe { pode_ws_trace_read(b"x".as_ptr(), 1, 0, std::ptr::null_mut()) };
    assert_eq!(r, PodeWsResult::NullPointer);
    let r = unsafe { pode_ws_trace_read([0xffu8].as_ptr(), 1, 0, &mut buffer) };
    assert_eq!(r, PodeWsResult::InvalidUtf8);
}

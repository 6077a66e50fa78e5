//! Redirects of the opening handshake, through the C ABI, against redirecting servers on
//! 127.0.0.1:0: chains, relative Locations, loops, the wss:// to ws:// downgrade, the limit,
//! credentials dropped on another host, reconnects that start from the configured URL.
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::tls::{self_signed, tls_echo_server, tls_responder};
use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

fn echo_works(name: &str) {
    let events = events(name);
    events.until_kind(OPENED, LIMIT);
    send_text(name, "after the redirects").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "after the redirects");
}

/// A server that redirects `/0` to `/1?sig=n1` ... up to `/<accept_at>`, which it accepts.
fn counting_server(accept_at: u32) -> Server {
    redirecting_server(move |target| {
        let n: u32 = target[1..].split('?').next().unwrap().parse().unwrap_or(0);
        (n < accept_at).then(|| (302, format!("/{}?sig=n{}", n + 1, n + 1)))
    })
}

#[test]
fn a_chain_of_two_hops_relative_then_absolute_is_followed() {
    let end = echo_server_handle();
    let end_addr = end.addr;
    let first = redirecting_server(move |target| match target {
        // Relative to /start: /hop?step=2 on the same server.
        "/start?x=1" => Some((307, "hop?step=2".to_string())),
        // http:// means ws://.
        "/hop?step=2" => Some((301, format!("http://{end_addr}/final?t=secret"))),
        _ => None,
    });
    let name = unique("chain");
    let url = format!("ws://{}/start?x=1", first.addr);
    connect(&name, &url, "").unwrap();
    echo_works(&name);

    let paths: Vec<_> = first.handshakes().into_iter().map(|h| h.path).collect();
    assert_eq!(paths, ["/start", "/hop"]);
    assert_eq!(end.handshakes()[0].path, "/final");
    let info = info(&name).unwrap();
    assert_eq!(info["url"], url);
    assert_eq!(
        info["connectedUrl"],
        format!("ws://{end_addr}/final?***"),
        "{info}"
    );
    remove(&name).unwrap();
}

#[test]
fn the_default_limit_is_five_hops() {
    let server = counting_server(5);
    let name = unique("five");
    connect(&name, &format!("ws://{}/0", server.addr), "").unwrap();
    assert_eq!(server.handshakes().len(), 6);
    remove(&name).unwrap();

    let server = counting_server(6);
    let name = unique("six");
    let e = connect(&name, &format!("ws://{}/0", server.addr), "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains(&format!(
            "too many redirects: more than 5 (maxRedirects); the last Location was ws://{}/6?***",
            server.addr
        )),
        "{}",
        e.message
    );
    assert!(!e.message.contains("sig="), "{}", e.message);
    assert_unregistered(&name);
}

#[test]
fn max_redirects_sets_the_limit_and_zero_follows_none() {
    let server = counting_server(2);
    let url = format!("ws://{}/0", server.addr);
    let e = connect(&unique("one"), &url, r#"{"maxRedirects": 1}"#).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(e.message.contains("more than 1"), "{}", e.message);

    let name = unique("two");
    connect(&name, &url, r#"{"maxRedirects": 2}"#).unwrap();
    remove(&name).unwrap();

    let before = server.handshakes().len();
    let name = unique("zero");
    let e = connect(&name, &url, r#"{"maxRedirects": 0}"#).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains(&format!(
            "(HTTP 302) to ws://{}/1?***; following redirects is turned off (maxRedirects is 0)",
            server.addr
        )),
        "{}",
        e.message
    );
    assert!(!e.message.contains("sig="), "{}", e.message);
    assert_eq!(server.handshakes().len(), before + 1, "not followed");
    assert_unregistered(&name);
}

#[test]
fn a_loop_is_refused_naming_the_location() {
    let to_b = Arc::new(Mutex::new(String::new()));
    let to_a = Arc::new(Mutex::new(String::new()));
    let a = redirect_to(302, Arc::clone(&to_b));
    let b = redirect_to(308, Arc::clone(&to_a));
    *to_b.lock().unwrap() = format!("ws://{}/b", b.addr);
    *to_a.lock().unwrap() = format!("ws://{}/a?key=hunter2", a.addr);
    let name = unique("loop");
    let e = connect(&name, &format!("ws://{}/a?key=hunter2", a.addr), "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains(&format!(
            "redirect loop: the server redirected (HTTP 308) to ws://{}/a?***, which was visited before",
            a.addr
        )),
        "{}",
        e.message
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
    assert_eq!((a.handshakes().len(), b.handshakes().len()), (1, 1));
    assert_unregistered(&name);
}

#[test]
fn wss_to_ws_is_refused() {
    let plain = echo_server_handle();
    let cert = self_signed("redirecting");
    let response = format!(
        "HTTP/1.1 302 Found\r\nLocation: ws://{}/plain?token=abc\r\nContent-Length: 0\r\n\r\n",
        plain.addr
    );
    let secure = tls_responder(&cert, response);
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    let name = unique("downgrade");
    let e = connect(&name, &secure.url(), &options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains(&format!(
            "from wss:// to ws://{}/plain?***: it would drop TLS",
            plain.addr
        )),
        "{}",
        e.message
    );
    assert!(!e.message.contains("token"), "{}", e.message);
    assert!(plain.handshakes().is_empty());
    assert_unregistered(&name);
}

#[test]
fn ws_to_wss_is_followed_and_a_reset_can_go_there_too() {
    let cert = self_signed("upgraded");
    let secure = tls_echo_server(&cert, false);
    let secure_url = secure.url();
    let plain = redirecting_server(move |_| Some((301, secure_url.clone())));
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    let name = unique("upgrade");
    connect(&name, &plain.url(), &options).unwrap();
    echo_works(&name);
    assert_eq!(info(&name).unwrap()["connectedUrl"], secure.url());
    remove(&name).unwrap();

    // A connection made to ws:// has no TLS yet: a reset to wss:// still works.
    let echo = echo_server_handle();
    let name = unique("reset-to-wss");
    let events = events(&name);
    connect(&name, &echo.url(), &options).unwrap();
    events.expect(OPENED, LIMIT);
    reset(&name, Some(&secure.url())).unwrap();
    send_text(&name, "secure now").unwrap();
    assert_eq!(
        events.until_kind(TEXT, LIMIT).last().unwrap().text(),
        "secure now"
    );
    remove(&name).unwrap();

    // Without TLS options as well.
    let name = unique("reset-default-tls");
    connect(&name, &echo.url(), "").unwrap();
    let e = reset(&name, Some(&secure.url())).unwrap_err();
    assert_eq!(
        e.code,
        PodeWsResult::TlsUntrusted,
        "self-signed: {}",
        e.message
    );
    remove(&name).unwrap();
}

#[test]
fn another_host_gets_no_authorization_or_cookie() {
    let end = echo_server_handle();
    let end_port = end.port();
    // 127.0.0.1 -> /next on the same host and port (credentials kept) -> localhost (dropped).
    let first = redirecting_server(move |target| match target {
        "/start" => Some((302, "/next".to_string())),
        "/next" => Some((303, format!("ws://localhost:{end_port}/final"))),
        _ => None,
    });
    let options = serde_json::json!({
        "headers": {
            "Authorization": "Bearer tok-SECRET",
            "Cookie": "session=cookie-SECRET",
            "X-Trace": "kept",
        }
    })
    .to_string();
    let name = unique("cross-host");
    connect(&name, &format!("ws://{}/start", first.addr), &options).unwrap();
    echo_works(&name);

    for shake in first.handshakes() {
        assert_eq!(shake.headers["authorization"], "Bearer tok-SECRET");
        assert_eq!(shake.headers["cookie"], "session=cookie-SECRET");
    }
    let last = &end.handshakes()[0];
    assert_eq!(last.headers["host"], format!("localhost:{end_port}"));
    assert_eq!(last.headers["x-trace"], "kept");
    assert!(!last.headers.contains_key("authorization"), "{last:?}");
    assert!(!last.headers.contains_key("cookie"), "{last:?}");
    remove(&name).unwrap();
}

#[test]
fn a_redirect_without_location_or_to_another_scheme_is_an_error() {
    let bare = http_responder("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
    let e = connect(&unique("no-location"), &bare.url(), "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains("without a Location header"),
        "{}",
        e.message
    );

    let ftp = redirecting_server(|_| Some((301, "ftp://127.0.0.1/file?x=1".to_string())));
    let e = connect(&unique("ftp"), &ftp.url(), "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::Redirect, "{}", e.message);
    assert!(
        e.message.contains(
            "to ftp://127.0.0.1/file?***, which is not a ws://, wss://, http:// or https:// URL"
        ),
        "{}",
        e.message
    );
}

#[test]
fn a_failure_after_a_redirect_names_where_it_happened() {
    let refusing = http_responder("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    let port = refusing.port();
    let first = redirecting_server(move |_| Some((302, format!("ws://localhost:{port}/x?k=v"))));
    let options = r#"{"headers": {"Authorization": "Bearer abc"}}"#;
    let e = connect(&unique("after"), &first.url(), options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::HandshakeRejected, "{}", e.message);
    assert!(
        e.message.starts_with(&format!(
            "after 1 redirect(s), at ws://localhost:{port}/x?***: "
        )),
        "{}",
        e.message
    );
    assert!(e.message.contains("HTTP 401"), "{}", e.message);
    assert!(
        e.message.contains("Authorization and Cookie were not sent"),
        "{}",
        e.message
    );
}

#[test]
fn reconnects_start_from_the_configured_url() {
    // The end server closes every connection when told to, so the client reconnects.
    let end = ws_server(|mut ws, _| async move {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() {
                let _ = ws.send(Message::Close(None)).await;
            }
        }
    });
    let end_addr = end.addr;
    let first = redirecting_server(move |_| Some((302, format!("ws://{end_addr}/end"))));
    let name = unique("reconnect-redirect");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 10, "maxDelayMs": 20}}"#;
    connect(&name, &first.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "close please").unwrap();
    events.until_kind(CLOSED, LIMIT);
    events.until_kind(OPENED, LIMIT);
    assert_eq!(
        first.handshakes().len(),
        2,
        "the reconnect began at the configured URL"
    );
    assert_eq!(end.handshakes().len(), 2);
    remove(&name).unwrap();
}

//! Connecting through an HTTP CONNECT or SOCKS5 proxy running inside the test.
mod common;

use std::time::Duration;

use common::proxies::{http_proxy, socks5_proxy, Proxy};
use common::tls::{self_signed, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

fn proxy_options(proxy: &Proxy, credentials: Option<(&str, &str)>) -> String {
    let mut p = serde_json::json!({ "url": proxy.url() });
    if let Some((user, pass)) = credentials {
        p["username"] = user.into();
        p["password"] = pass.into();
    }
    serde_json::json!({ "proxy": p }).to_string()
}

fn echo_through(url: &str, options: &str) {
    let name = unique("proxied");
    let events = events(&name);
    connect(&name, url, options).unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "through the proxy").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "through the proxy");
    remove(&name).unwrap();
}

#[test]
fn http_connect_proxy_without_credentials() {
    let server = echo_server_handle();
    let proxy = http_proxy(None);
    echo_through(&server.url(), &proxy_options(&proxy, None));
    assert_eq!(proxy.tunnels(), 1);
}

#[test]
fn http_connect_proxy_with_credentials() {
    let server = echo_server_handle();
    let proxy = http_proxy(Some(("alice", "s3cret")));
    echo_through(
        &server.url(),
        &proxy_options(&proxy, Some(("alice", "s3cret"))),
    );
    assert_eq!(proxy.tunnels(), 1);
    // Basic alice:s3cret
    assert_eq!(
        proxy.credentials_seen.lock().unwrap()[0].as_deref(),
        Some("Basic YWxpY2U6czNjcmV0")
    );
}

#[test]
fn http_connect_proxy_carries_tls() {
    let cert = self_signed("behind-proxy");
    let server = tls_echo_server(&cert, false);
    let proxy = http_proxy(None);
    let options = serde_json::json!({
        "proxy": { "url": proxy.url() },
        "tls": { "caPem": cert.pem },
    })
    .to_string();
    echo_through(&server.url(), &options);
    assert_eq!(proxy.tunnels(), 1);
}

#[test]
fn http_proxy_wrong_or_missing_credentials_is_407() {
    let server = echo_server_handle();
    let proxy = http_proxy(Some(("alice", "s3cret")));
    for credentials in [Some(("alice", "wrong")), None] {
        let name = unique("proxy-407");
        let e = connect(&name, &server.url(), &proxy_options(&proxy, credentials)).unwrap_err();
        assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
        assert!(e.message.contains("407"), "{}", e.message);
        assert!(!e.message.contains("wrong"), "{}", e.message);
        assert_unregistered(&name);
    }
    assert_eq!(proxy.tunnels(), 0);
}

#[test]
fn unreachable_proxy_is_a_proxy_error() {
    let server = echo_server_handle();
    let options =
        serde_json::json!({ "proxy": { "url": format!("http://{}", refused_addr()) } }).to_string();
    let e = connect(&unique("proxy-down"), &server.url(), &options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
    assert!(
        e.message.contains("could not reach the proxy"),
        "{}",
        e.message
    );
}

#[test]
fn proxy_refusing_the_target_is_a_proxy_error() {
    let proxy = http_proxy(None);
    let e = connect(
        &unique("proxy-502"),
        &ws_url(refused_addr()),
        &proxy_options(&proxy, None),
    )
    .unwrap_err();
    assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
    assert!(e.message.contains("502"), "{}", e.message);
}

#[test]
fn socks5_proxy_without_credentials() {
    let server = echo_server_handle();
    let proxy = socks5_proxy(None);
    echo_through(&server.url(), &proxy_options(&proxy, None));
    assert_eq!(proxy.tunnels(), 1);
}

#[test]
fn socks5_proxy_with_credentials() {
    let server = echo_server_handle();
    let proxy = socks5_proxy(Some(("bob", "hunter2")));
    echo_through(
        &server.url(),
        &proxy_options(&proxy, Some(("bob", "hunter2"))),
    );
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(
        proxy.credentials_seen.lock().unwrap()[0].as_deref(),
        Some("bob:hunter2")
    );
}

#[test]
fn socks5_proxy_wrong_credentials_is_a_proxy_error() {
    let server = echo_server_handle();
    let proxy = socks5_proxy(Some(("bob", "hunter2")));
    let name = unique("socks-bad");
    let e = connect(
        &name,
        &server.url(),
        &proxy_options(&proxy, Some(("bob", "nope"))),
    )
    .unwrap_err();
    assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
    assert!(!e.message.contains("nope"), "{}", e.message);
    assert_unregistered(&name);
    assert_eq!(proxy.tunnels(), 0);
}

#[test]
fn invalid_proxy_urls_are_options_errors() {
    for url in [
        "ftp://127.0.0.1:21",
        "127.0.0.1:8080",
        "http://user:pw@127.0.0.1:8080",
        "http://127.0.0.1:notaport",
    ] {
        let options = serde_json::json!({ "proxy": { "url": url } }).to_string();
        let e = connect(&unique("bad-proxy"), "ws://127.0.0.1:1/", &options).unwrap_err();
        assert_eq!(e.code, PodeWsResult::InvalidOptions, "{url}: {}", e.message);
        assert!(!e.message.contains("pw@"), "{}", e.message);
    }
}

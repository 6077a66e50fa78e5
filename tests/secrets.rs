//! Secrets (header values, proxy password, client certificate password and data) never appear
//! in error messages, events, connect traces, or the info and list JSON, whatever fails.
mod common;

use std::time::Duration;

use base64::Engine;
use common::proxies::http_proxy;
use common::tls::{pkcs12_base64, self_signed, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);
const HEADER_SECRET: &str = "Bearer hdr-SECRET-7f3a";
const PROXY_SECRET: &str = "proxy-SECRET-91bc";
const CERT_SECRET: &str = "cert-SECRET-55de";

/// Fails the test if `text` holds any secret (or an encoding of one).
fn assert_clean(what: &str, text: &str, p12: &str) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{PROXY_SECRET}"));
    for secret in ["SECRET", "hdr-", &basic, &p12[..40]] {
        assert!(!text.contains(secret), "{what} leaks '{secret}': {text}");
    }
}

/// Options carrying every kind of secret; `p12_password` is what the PKCS#12 was sealed with.
fn secret_options(proxy_url: &str, p12: &str, extra: serde_json::Value) -> String {
    let mut options = serde_json::json!({
        "headers": { "Authorization": HEADER_SECRET, "X-Api-Key": HEADER_SECRET },
        "proxy": { "url": proxy_url, "username": "user", "password": PROXY_SECRET },
        "tls": { "clientPkcs12Base64": p12, "clientPkcs12Password": CERT_SECRET },
    });
    for (k, v) in extra.as_object().unwrap() {
        if let (Some(section), Some(fields)) = (options.get_mut(k), v.as_object()) {
            for (fk, fv) in fields {
                section[fk] = fv.clone();
            }
        } else {
            options[k] = v.clone();
        }
    }
    options.to_string()
}

#[test]
fn failures_never_reveal_secrets() {
    let client = self_signed("secret-client");
    let p12 = pkcs12_base64(&client, CERT_SECRET);
    let open_proxy = http_proxy(None);
    let strict_proxy = http_proxy(Some(("user", "the-right-one")));
    let refusing = http_responder("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    let server_cert = self_signed("secret-server");
    let tls_server = tls_echo_server(&server_cert, true);
    let none = serde_json::json!({});

    let cases: Vec<(&str, String, String, PodeWsResult)> = vec![
        (
            "401 through the proxy",
            refusing.url(),
            secret_options(&open_proxy.url(), &p12, none.clone()),
            PodeWsResult::HandshakeRejected,
        ),
        (
            "proxy refuses the password",
            refusing.url(),
            secret_options(&strict_proxy.url(), &p12, none.clone()),
            PodeWsResult::Proxy,
        ),
        (
            "proxy unreachable",
            refusing.url(),
            secret_options(&format!("http://{}", refused_addr()), &p12, none.clone()),
            PodeWsResult::Proxy,
        ),
        (
            "untrusted server certificate",
            tls_server.url(),
            secret_options(&open_proxy.url(), &p12, none.clone()),
            PodeWsResult::TlsUntrusted,
        ),
        (
            "wrong certificate password",
            tls_server.url(),
            secret_options(
                &open_proxy.url(),
                &pkcs12_base64(&client, "sealed-with-another"),
                none.clone(),
            ),
            PodeWsResult::InvalidOptions,
        ),
        (
            "certificate data is not base64",
            tls_server.url(),
            secret_options(&open_proxy.url(), &format!("{p12}!!"), none.clone()),
            PodeWsResult::InvalidOptions,
        ),
        (
            "unresolvable host",
            "ws://nonexistent.invalid/".to_string(),
            secret_options(
                &open_proxy.url(),
                &p12,
                serde_json::json!({"proxy": {"url": "http://nonexistent.invalid:8080"}}),
            ),
            PodeWsResult::Proxy,
        ),
        (
            "invalid header value",
            refusing.url(),
            secret_options(
                &open_proxy.url(),
                &p12,
                serde_json::json!({"headers": {"X-Bad": format!("{HEADER_SECRET}\n")}}),
            ),
            PodeWsResult::InvalidOptions,
        ),
    ];
    for (what, url, options, code) in cases {
        let name = unique("secret-fail");
        let mut options: serde_json::Value = serde_json::from_str(&options).unwrap();
        options["traceId"] = name.clone().into();
        let e = connect(&name, &url, &options.to_string()).unwrap_err();
        assert!(
            e.code == code || (code == PodeWsResult::Tls && e.code == PodeWsResult::TlsUntrusted),
            "{what}: {:?} {}",
            e.code,
            e.message
        );
        assert_clean(what, &e.message, &p12);
        assert_clean(what, &trace_text(&name), &p12);
        assert_unregistered(&name);
    }
    assert_clean("list", &list_text(), &p12);
}

#[test]
fn events_and_info_never_reveal_secrets() {
    let client = self_signed("secret-client");
    let p12 = pkcs12_base64(&client, CERT_SECRET);
    let server_cert = self_signed("secret-server");
    let tls_server = tls_echo_server(&server_cert, true);
    let proxy = http_proxy(Some(("user", PROXY_SECRET)));
    let name = unique("secret-open");
    let events = events(&name);
    let options = secret_options(
        &proxy.url(),
        &p12,
        serde_json::json!({
            "tls": { "caPem": server_cert.pem },
            "reconnect": { "enabled": true, "initialDelayMs": 20, "maxDelayMs": 40, "maxAttempts": 2 },
            "traceId": name,
        }),
    );
    connect(&name, &tls_server.url(), &options).unwrap();
    assert_eq!(
        *tls_server.client_names.lock().unwrap(),
        vec!["secret-client".to_string()]
    );
    send_text(&name, "ping").unwrap();
    let mut seen = events.until_kind(TEXT, LIMIT);

    // A reset to an address where nothing listens fails through the proxy; the reconnects
    // that follow fail too and give up, each reported as an event.
    let nowhere = ws_url(refused_addr());
    let e = reset(&name, Some(&nowhere)).unwrap_err();
    assert_clean("reset error", &e.message, &p12);
    seen.extend(events.until(LIMIT, |e| e.kind == ERROR && e.text().contains("gave up")));
    assert!(
        seen.iter()
            .any(|e| e.kind == ERROR && e.code == PodeWsResult::Proxy as u32),
        "{seen:?}"
    );

    for e in &seen {
        assert_clean("event data", &String::from_utf8_lossy(&e.data), &p12);
        assert_clean("event extra", &String::from_utf8_lossy(&e.extra), &p12);
    }
    assert_clean("info", &info_text(&name).unwrap(), &p12);
    assert_clean("list", &list_text(), &p12);
    remove(&name).unwrap();
    let trace = trace_text(&name);
    assert!(trace.contains("\"op\":\"reconnect\""), "{trace}");
    assert_clean("trace", &trace, &p12);
}

/// Every entry of the trace `id`, as JSON text.
fn trace_text(id: &str) -> String {
    let mut buffer: *mut pode_ws::ffi::PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws::ffi::pode_ws_trace_read(id.as_ptr(), id.len(), 0, &mut buffer) })
        .unwrap();
    take_buffer(buffer)
}

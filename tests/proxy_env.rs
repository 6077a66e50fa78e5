//! The proxy chosen from the environment's proxy variables, through the C ABI, with in-test
//! proxies on 127.0.0.1:0. The variables are passed in `proxy.environment` (tests run in
//! parallel in one process: the process environment is not touched); the default, reading the
//! process environment, is tested once in a child process.
mod common;

use std::time::Duration;

use base64::Engine;
use common::proxies::{http_proxy, socks5_proxy};
use common::tls::{self_signed, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(10);

fn with_env(variables: Value) -> String {
    json!({ "proxy": { "environment": variables } }).to_string()
}

/// Connects, echoes once, and returns the connection's info.
fn echo_through(url: &str, options: &str) -> Value {
    let name = unique("env-proxied");
    let events = events(&name);
    connect(&name, url, options).unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "hello").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "hello");
    let info = info(&name).unwrap();
    remove(&name).unwrap();
    info
}

#[test]
fn http_proxy_for_ws_and_info_names_the_variable() {
    let server = echo_server_handle();
    let proxy = http_proxy(None);
    let info = echo_through(
        &server.url(),
        &with_env(json!({ "HTTP_PROXY": proxy.url() })),
    );
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(proxy.targets(), [server.addr.to_string()]);
    assert_eq!(
        info["proxy"],
        json!({ "url": proxy.url(), "source": "HTTP_PROXY" })
    );
}

#[test]
fn the_lower_case_variable_wins() {
    let server = echo_server_handle();
    let (lower, upper) = (http_proxy(None), http_proxy(None));
    let info = echo_through(
        &server.url(),
        &with_env(json!({ "http_proxy": lower.url(), "HTTP_PROXY": upper.url() })),
    );
    assert_eq!((lower.tunnels(), upper.tunnels()), (1, 0));
    assert_eq!(info["proxy"]["source"], "http_proxy");
}

#[test]
fn https_proxy_for_wss_and_not_http_proxy() {
    let cert = self_signed("env-tls");
    let server = tls_echo_server(&cert, false);
    let (secure, plain) = (http_proxy(None), http_proxy(None));
    let options = json!({
        "proxy": { "environment": { "HTTPS_PROXY": secure.url(), "HTTP_PROXY": plain.url() } },
        "tls": { "caPem": cert.pem },
    })
    .to_string();
    let info = echo_through(&server.url(), &options);
    assert_eq!((secure.tunnels(), plain.tunnels()), (1, 0));
    assert_eq!(info["proxy"]["source"], "HTTPS_PROXY");

    // HTTPS_PROXY alone does not apply to ws://.
    let echo = echo_server_handle();
    let info = echo_through(
        &echo.url(),
        &with_env(json!({ "HTTPS_PROXY": secure.url() })),
    );
    assert_eq!(secure.tunnels(), 1);
    assert_eq!(info["proxy"], Value::Null);
}

#[test]
fn all_proxy_socks5_resolves_here_and_socks5h_lets_the_proxy_resolve() {
    let server = echo_server_handle();
    let url = format!("ws://localhost:{}/", server.port());
    let socks = socks5_proxy(None);
    let address = socks.server.addr;
    echo_through(
        &url,
        &with_env(json!({ "ALL_PROXY": format!("socks5://{address}") })),
    );
    echo_through(
        &url,
        &with_env(json!({ "all_proxy": format!("socks5h://{address}") })),
    );
    let targets = socks.targets();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets[0].starts_with("ip "), "{targets:?}");
    assert_eq!(targets[1], format!("name localhost:{}", server.port()));
}

#[test]
fn no_proxy_bypasses_each_form() {
    let server = echo_server_handle();
    let port = server.port();
    let proxy = http_proxy(None);
    let local = format!("ws://localhost:{port}/");
    let via = proxy.url();
    let cases = [
        (
            "an IP literal",
            server.url(),
            json!({ "NO_PROXY": "10.1.1.1, 127.0.0.1" }),
        ),
        ("*", server.url(), json!({ "no_proxy": "*" })),
        (
            "host:port",
            server.url(),
            json!({ "NO_PROXY": format!("127.0.0.1:{port}") }),
        ),
        ("a name", local.clone(), json!({ "no_proxy": "localhost" })),
        (
            "a leading dot",
            local.clone(),
            json!({ "NO_PROXY": ".localhost" }),
        ),
        (
            "no_proxy wins over NO_PROXY",
            local.clone(),
            json!({ "no_proxy": "localhost", "NO_PROXY": "elsewhere" }),
        ),
    ];
    for (what, url, mut variables) in cases {
        variables["HTTP_PROXY"] = json!(via);
        let info = echo_through(&url, &with_env(variables));
        assert_eq!(proxy.tunnels(), 0, "{what}");
        assert_eq!(info["proxy"], Value::Null, "{what}");
    }
    // Entries that do not match: the proxy is used.
    for list in [
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.2".into(),
        "calhost".into(),
    ] {
        echo_through(
            &local,
            &with_env(json!({ "HTTP_PROXY": via, "NO_PROXY": list })),
        );
    }
    assert_eq!(proxy.tunnels(), 3);
}

#[test]
fn credentials_in_the_variable_reach_the_proxy_and_nowhere_else() {
    let server = echo_server_handle();
    let proxy = http_proxy(Some(("alice", "s@cr:et")));
    let variable = proxy.url_with("http", "alice:s%40cr%3Aet");
    let name = unique("env-creds");
    let events = events(&name);
    let options =
        json!({ "proxy": { "environment": { "HTTP_PROXY": variable } }, "traceId": name })
            .to_string();
    connect(&name, &server.url(), &options).unwrap();
    events.expect(OPENED, LIMIT);
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:s@cr:et");
    assert_eq!(
        proxy.credentials_seen.lock().unwrap()[0].as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
    let info = info_text(&name).unwrap();
    let trace = trace_text(&name);
    for text in [&info, &trace, &list_text()] {
        for secret in ["alice", "s%40cr", "s@cr", &basic] {
            assert!(!text.contains(secret), "'{secret}' in {text}");
        }
    }
    assert!(trace.contains("(with credentials)"), "{trace}");
    remove(&name).unwrap();

    // Wrong ones: the 407 names neither.
    let wrong = proxy.url_with("http", "alice:wrong-SECRET");
    let e = connect(
        &unique("env-407"),
        &server.url(),
        &with_env(json!({ "HTTP_PROXY": wrong })),
    )
    .unwrap_err();
    assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
    assert!(e.message.contains("407"), "{}", e.message);
    assert!(
        !e.message.contains("SECRET") && !e.message.contains("alice"),
        "{}",
        e.message
    );
}

#[test]
fn separate_credentials_replace_the_variables() {
    let server = echo_server_handle();
    let proxy = http_proxy(Some(("bob", "right")));
    let options = json!({ "proxy": {
        "username": "bob", "password": "right",
        "environment": { "HTTP_PROXY": proxy.url_with("http", "alice:wrong") },
    }})
    .to_string();
    echo_through(&server.url(), &options);
    assert_eq!(proxy.tunnels(), 1);
}

#[test]
fn credentials_without_a_proxy_for_the_url_are_an_error_naming_why() {
    let server = echo_server_handle();
    let proxy = http_proxy(None);
    let cases = [
        (json!({}), "no proxy variable applies to ws:// URLs"),
        (
            json!({ "HTTP_PROXY": proxy.url(), "NO_PROXY": "127.0.0.1" }),
            "NO_PROXY entry '127.0.0.1' matches 127.0.0.1",
        ),
        (
            json!({ "HTTPS_PROXY": proxy.url() }),
            "http_proxy, HTTP_PROXY, all_proxy, ALL_PROXY unset",
        ),
    ];
    for (variables, why) in cases {
        let options = json!({ "proxy": { "username": "u", "password": "pw-SECRET", "environment": variables } })
            .to_string();
        let name = unique("creds-no-proxy");
        let e = connect(&name, &server.url(), &options).unwrap_err();
        assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
        assert!(
            e.message
                .contains("proxy credentials were given but no proxy applies"),
            "{}",
            e.message
        );
        assert!(e.message.contains(why), "{why}: {}", e.message);
        assert!(!e.message.contains("SECRET"), "{}", e.message);
        assert_unregistered(&name);
    }
    assert_eq!(proxy.tunnels(), 0);

    // A reset to a URL no proxy applies to fails the same way, and keeps the connection.
    let name = unique("creds-reset");
    let options = json!({ "proxy": { "username": "u", "password": "p", "environment": {
        "HTTP_PROXY": proxy.url(), "NO_PROXY": "localhost" } } })
    .to_string();
    connect(&name, &server.url(), &options).unwrap();
    let e = reset(&name, Some(&format!("ws://localhost:{}/", server.port()))).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    remove(&name).unwrap();
}

#[test]
fn the_environment_can_be_turned_off_and_an_explicit_proxy_wins() {
    let server = echo_server_handle();
    let (from_env, explicit) = (http_proxy(None), http_proxy(None));
    let off = json!({ "proxy": { "fromEnvironment": false, "environment": { "HTTP_PROXY": from_env.url() } } });
    let info = echo_through(&server.url(), &off.to_string());
    assert_eq!(info["proxy"], Value::Null);
    let both = json!({ "proxy": { "url": explicit.url(), "environment": { "HTTP_PROXY": from_env.url() } } });
    let info = echo_through(&server.url(), &both.to_string());
    assert_eq!((from_env.tunnels(), explicit.tunnels()), (0, 1));
    assert_eq!(
        info["proxy"],
        json!({ "url": explicit.url(), "source": "proxy.url" })
    );
}

#[test]
fn a_proxy_this_client_cannot_use_is_an_error_naming_the_variable() {
    let server = echo_server_handle();
    for (value, kind) in [
        ("https://127.0.0.1:1", "https"),
        ("socks4://127.0.0.1:1", "socks4"),
    ] {
        let e = connect(
            &unique("env-unusable"),
            &server.url(),
            &with_env(json!({ "ALL_PROXY": value })),
        )
        .unwrap_err();
        assert_eq!(e.code, PodeWsResult::Proxy, "{}", e.message);
        assert!(
            e.message
                .contains(&format!("ALL_PROXY names a {kind}:// proxy")),
            "{}",
            e.message
        );
    }
}

#[test]
fn each_redirect_hop_makes_its_own_proxy_choice() {
    let end = echo_server_handle();
    let end_port = end.port();
    let first = redirecting_server(move |_| Some((302, format!("ws://localhost:{end_port}/end"))));
    let proxy = http_proxy(None);
    let info = echo_through(
        &first.url(),
        &with_env(json!({ "HTTP_PROXY": proxy.url(), "NO_PROXY": "localhost" })),
    );
    assert_eq!(
        proxy.targets(),
        [first.addr.to_string()],
        "only the first hop"
    );
    assert_eq!(end.handshakes().len(), 1);
    assert_eq!(info["proxy"], Value::Null, "the last hop went direct");
}

/// The trace of `id` as text.
fn trace_text(id: &str) -> String {
    let mut buffer: *mut pode_ws::ffi::PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws::ffi::pode_ws_trace_read(id.as_ptr(), id.len(), 0, &mut buffer) })
        .unwrap();
    take_buffer(buffer)
}

/// The child of `the_process_environment_is_read_by_default`: connects with no proxy options,
/// in a process whose environment names the proxy.
#[test]
fn child_connects_with_the_process_environment() {
    let Ok(url) = std::env::var("PODE_WS_TEST_CHILD_URL") else {
        return; // not the child
    };
    let name = unique("from-process-env");
    connect(&name, &url, "").unwrap();
    let info = info(&name).unwrap();
    assert_eq!(info["proxy"]["source"], "http_proxy", "{info}");
    remove(&name).unwrap();
}

#[test]
fn the_process_environment_is_read_by_default() {
    let server = echo_server_handle();
    let proxy = http_proxy(None);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_connects_with_the_process_environment"])
        .env("PODE_WS_TEST_CHILD_URL", server.url())
        .env("http_proxy", proxy.url())
        .env_remove("HTTP_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "the child failed: {out}");
    assert!(
        out.contains("1 passed"),
        "the child test did not run: {out}"
    );
    assert_eq!(
        proxy.tunnels(),
        1,
        "the child's connect went through the proxy"
    );
}

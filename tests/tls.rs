//! wss:// against a server whose self-signed certificate is generated at test time.
mod common;

use std::time::Duration;

use common::tls::{pkcs12_base64, self_signed, self_signed_for, tls_echo_server};
use common::*;
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(10);

/// Connects, echoes one message, and removes the connection.
fn echo_once(name: &str, url: &str, options: &str) {
    let events = events(name);
    connect(name, url, options).unwrap();
    events.expect(OPENED, LIMIT);
    send_text(name, "over tls").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "over tls");
    remove(name).unwrap();
}

#[test]
fn untrusted_certificate_is_rejected_by_default() {
    let cert = self_signed("pode-test-server");
    let server = tls_echo_server(&cert, false);
    let name = unique("tls-default");
    let e = connect(&name, &server.url(), "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::TlsUntrusted, "{}", e.message);
    assert!(e.message.contains("not trusted"), "{}", e.message);
    assert_unregistered(&name);
}

#[test]
fn extra_ca_makes_the_certificate_trusted() {
    let cert = self_signed("pode-test-server");
    let server = tls_echo_server(&cert, false);
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    echo_once(&unique("tls-ca"), &server.url(), &options);
}

#[test]
fn another_ca_does_not_make_the_certificate_trusted() {
    let cert = self_signed("pode-test-server");
    let other = self_signed("someone-else");
    let server = tls_echo_server(&cert, false);
    let options = serde_json::json!({ "tls": { "caPem": other.pem } }).to_string();
    let e = connect(&unique("tls-other-ca"), &server.url(), &options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::TlsUntrusted, "{}", e.message);
    assert!(e.message.contains("trust its CA"), "{}", e.message);
}

#[test]
fn certificate_for_another_host_is_rejected_even_when_trusted() {
    let cert = self_signed_for("elsewhere", &[], &["elsewhere.example"]);
    let server = tls_echo_server(&cert, false);
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    let name = unique("tls-host");
    let e = connect(&name, &server.url(), &options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::TlsUntrusted, "{}", e.message);
    assert!(
        e.message.contains("not issued for this host"),
        "{}",
        e.message
    );
    // skipVerify also skips the host name check.
    echo_once(&name, &server.url(), r#"{"tls": {"skipVerify": true}}"#);
}

#[test]
fn skip_verify_accepts_any_certificate() {
    let cert = self_signed("pode-test-server");
    let server = tls_echo_server(&cert, false);
    echo_once(
        &unique("tls-skip"),
        &server.url(),
        r#"{"tls": {"skipVerify": true}}"#,
    );
}

#[test]
fn client_certificate_is_presented() {
    let cert = self_signed("pode-test-server");
    let client = self_signed("pode-test-client");
    let server = tls_echo_server(&cert, true);
    let options = serde_json::json!({ "tls": {
        "caPem": cert.pem,
        "clientPkcs12Base64": pkcs12_base64(&client, "p12-pass"),
        "clientPkcs12Password": "p12-pass",
    }})
    .to_string();
    echo_once(&unique("tls-client"), &server.url(), &options);
    assert_eq!(
        *server.client_names.lock().unwrap(),
        vec!["pode-test-client".to_string()]
    );
}

#[test]
fn server_requiring_a_client_certificate_refuses_a_client_without_one() {
    let cert = self_signed("pode-test-server");
    let server = tls_echo_server(&cert, true);
    let name = unique("tls-no-client-cert");
    let options = serde_json::json!({ "tls": { "caPem": cert.pem } }).to_string();
    let e = connect(&name, &server.url(), &options).unwrap_err();
    // TLS 1.3: the refusal is an alert after our side of the handshake, named by OpenSSL's alert
    // code when it is read before the server's reset arrives (a race the client cannot win).
    match e.code {
        PodeWsResult::Tls => assert!(
            e.message.contains("requires a client certificate"),
            "{}",
            e.message
        ),
        PodeWsResult::Network => assert!(e.message.contains("reset"), "{}", e.message),
        _ => panic!("{:?}: {}", e.code, e.message),
    }
    assert_unregistered(&name);
}

#[test]
fn wrong_client_certificate_password_is_an_options_error() {
    let cert = self_signed("pode-test-server");
    let client = self_signed("pode-test-client");
    let server = tls_echo_server(&cert, true);
    let name = unique("tls-bad-p12");
    let options = serde_json::json!({ "tls": {
        "clientPkcs12Base64": pkcs12_base64(&client, "right"),
        "clientPkcs12Password": "wrong",
    }})
    .to_string();
    let e = connect(&name, &server.url(), &options).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert!(e.message.contains("client certificate"), "{}", e.message);
    assert_unregistered(&name);
}

#[test]
fn malformed_ca_pem_is_an_options_error() {
    let e = connect(
        &unique("tls-bad-pem"),
        "wss://127.0.0.1:1/",
        r#"{"tls": {"caPem": "not a certificate"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert!(e.message.contains("caPem"), "{}", e.message);
}

#[test]
fn ca_pem_with_windows_line_endings_and_a_host_name() {
    // A PEM copied from a Windows file has CRLF line endings; the certificate names
    // localhost as a DNS name, checked against the URL's host.
    let cert = self_signed("pode-test-server");
    let server = tls_echo_server(&cert, false);
    let pem = format!("some text before\r\n{}", cert.pem.replace('\n', "\r\n"));
    let options = serde_json::json!({ "tls": { "caPem": pem } }).to_string();
    let url = format!("wss://localhost:{}/", server.addr.port());
    echo_once(&unique("tls-crlf"), &url, &options);
}

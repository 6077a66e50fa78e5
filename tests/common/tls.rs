//! Certificates generated at test time (openssl) and a `wss://` echo server on 127.0.0.1:0.
//!
//! The TLS server uses openssl directly (blocking, a thread per connection) rather than
//! native-tls, because native-tls cannot ask for a client certificate.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use tokio_tungstenite::tungstenite;

/// A self-signed certificate and its key.
pub struct TestCert {
    pub cert: X509,
    pub key: PKey<Private>,
    /// The certificate as PEM text (what `tls.caPem` takes).
    pub pem: String,
}

/// A self-signed certificate (P-256) for `cn`, valid for IP 127.0.0.1 and DNS localhost.
pub fn self_signed(cn: &str) -> TestCert {
    self_signed_for(cn, &["127.0.0.1"], &["localhost"])
}

/// A self-signed certificate (P-256) for `cn` whose subject alternative names are `ips` and
/// `dns_names`.
pub fn self_signed_for(cn: &str, ips: &[&str], dns_names: &[&str]) -> TestCert {
    self_signed_dated(cn, ips, dns_names, -3600, 86_400)
}

/// Like [`self_signed_for`], valid from `not_before` to `not_after` seconds from now (negative:
/// in the past), for expired and not-yet-valid certificates.
pub fn self_signed_dated(
    cn: &str,
    ips: &[&str],
    dns_names: &[&str],
    not_before: i64,
    not_after: i64,
) -> TestCert {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(63, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    b.set_not_before(&Asn1Time::from_unix(now + not_before).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + not_after).unwrap())
        .unwrap();
    let mut san = SubjectAlternativeName::new();
    for ip in ips {
        san.ip(ip);
    }
    for dns in dns_names {
        san.dns(dns);
    }
    let san = san.build(&b.x509v3_context(None, None)).unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let pem = String::from_utf8(cert.to_pem().unwrap()).unwrap();
    TestCert { cert, key, pem }
}

/// The certificate and key as PKCS#12 protected by `password`, base64 (what
/// `tls.clientPkcs12Base64` takes).
pub fn pkcs12_base64(cert: &TestCert, password: &str) -> String {
    let p12 = Pkcs12::builder()
        .name("pode-test")
        .pkey(&cert.key)
        .cert(&cert.cert)
        .build2(password)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(p12.to_der().unwrap())
}

/// A running `wss://` echo server.
pub struct TlsServer {
    pub addr: SocketAddr,
    /// The common names of the client certificates presented, one per TLS handshake.
    pub client_names: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    pub fn url(&self) -> String {
        format!("wss://127.0.0.1:{}/", self.addr.port())
    }
}

/// A `wss://` server presenting `cert` that answers every opening handshake with the raw
/// HTTP `response` (for example a redirect).
pub fn tls_responder(cert: &TestCert, response: String) -> TlsServer {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acceptor.set_private_key(&cert.key).unwrap();
    acceptor.set_certificate(&cert.cert).unwrap();
    let acceptor = Arc::new(acceptor.build());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { break };
            let (acceptor, response) = (Arc::clone(&acceptor), response.clone());
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let Ok(mut tls) = acceptor.accept(tcp) else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = tls.write_all(response.as_bytes());
                let _ = tls.shutdown();
            });
        }
    });
    TlsServer {
        addr,
        client_names: Arc::default(),
    }
}

/// A `wss://` echo server presenting `cert`; with `require_client_cert` the TLS handshake asks
/// for (and requires) a client certificate, which is accepted whatever it is and recorded.
pub fn tls_echo_server(cert: &TestCert, require_client_cert: bool) -> TlsServer {
    tls_echo_server_with(cert, require_client_cert, false)
}

/// [`tls_echo_server`], speaking at most TLS 1.2 when `tls12_only` (its certificate then
/// travels unencrypted).
pub fn tls_echo_server_with(
    cert: &TestCert,
    require_client_cert: bool,
    tls12_only: bool,
) -> TlsServer {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    if tls12_only {
        acceptor
            .set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
            .unwrap();
    }
    acceptor.set_private_key(&cert.key).unwrap();
    acceptor.set_certificate(&cert.cert).unwrap();
    acceptor.check_private_key().unwrap();
    if require_client_cert {
        acceptor.set_verify_callback(
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
            |_, _| true,
        );
    }
    let acceptor = Arc::new(acceptor.build());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client_names: Arc<Mutex<Vec<String>>> = Arc::default();
    let names = Arc::clone(&client_names);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { break };
            let acceptor = Arc::clone(&acceptor);
            let names = Arc::clone(&names);
            std::thread::spawn(move || {
                let Ok(tls) = acceptor.accept(tcp) else {
                    return;
                };
                if let Some(peer) = tls.ssl().peer_certificate() {
                    let cn = peer
                        .subject_name()
                        .entries_by_nid(Nid::COMMONNAME)
                        .next()
                        .map(|e| e.data().to_string().unwrap())
                        .unwrap_or_default();
                    names.lock().unwrap().push(cn);
                }
                let Ok(mut ws) = tungstenite::accept(tls) else {
                    return;
                };
                loop {
                    match ws.read() {
                        Ok(m) if m.is_text() || m.is_binary() => {
                            if ws.send(m).is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
        }
    });
    TlsServer { addr, client_names }
}

//! Opening a WebSocket over one connection (one hop of a connect, see `connect.rs`): URL check,
//! DNS, TCP (direct or through a proxy), TLS, the HTTP upgrade, each step traced.
//!
//! Every failure is classified into a result code with a message naming the real cause, and
//! a timeout says which step was still running.

use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use native_tls::TlsConnector;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError, TlsError};
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::{client_async_with_config, MaybeTlsStream, WebSocketStream};

use crate::bulk::{self, BulkStream};
use crate::deflate::negotiation::{check_answer, offer};
use crate::deflate::{self, DeflateStream, Negotiated, Role};
use crate::error::{Error, PodeWsResult, Result};
use crate::metered::Metered;
use crate::options::Options;
use crate::proxy::{split_host_port, ProxyTarget};
use crate::stats::WireStats;
use crate::tls::{describe_handshake_error, describe_io_error};
use crate::tls_hello::ServerHello;
use crate::trace::{took, Tracer};

/// The compression layer sits on top of TLS: it rewrites WebSocket frames, not TLS records.
/// The bulk layer reads for tungstenite, above compression: it sees the messages as inflated.
pub type WsStream = WebSocketStream<BulkStream<DeflateStream<MaybeTlsStream<Metered>>>>;

/// tungstenite's own read buffer, kept for the life of a connection (it zero-fills it): small,
/// because the bulk layer reads the socket in large reads and takes every message whose first
/// frame is larger past tungstenite.
const TUNGSTENITE_BUFFER: usize = 1 << 10;
/// The compression layer's input buffer (compressed bytes read at a time).
const DEFLATE_INPUT: usize = 16 << 10;

/// The step a connect is in, so a timeout can say what it was waiting for.
#[derive(Default)]
pub struct Phase(Mutex<&'static str>);

impl Phase {
    pub fn set(&self, phase: &'static str) {
        *self.0.lock() = phase;
    }
    pub fn get(&self) -> &'static str {
        *self.0.lock()
    }
}

/// A checked `ws://` or `wss://` URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub host: String,
    pub port: u16,
    pub secure: bool,
}

fn invalid_url(url: &str, why: impl std::fmt::Display) -> Error {
    Error::new(
        PodeWsResult::InvalidUrl,
        format!("invalid WebSocket URL '{}': {why}", redact_url(url)),
    )
}

impl Target {
    pub fn parse(url: &str) -> Result<Target> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::new(
                PodeWsResult::InvalidUrl,
                "the WebSocket URL is empty",
            ));
        }
        let lower = url.to_ascii_lowercase();
        let secure = if lower.starts_with("wss://") {
            true
        } else if lower.starts_with("ws://") {
            false
        } else {
            return Err(invalid_url(url, "the URL must start with ws:// or wss://"));
        };
        let uri: Uri = url.parse().map_err(|e| invalid_url(url, e))?;
        let authority = uri
            .authority()
            .ok_or_else(|| invalid_url(url, "it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid_url(
                url,
                "credentials in the URL are not supported; send an Authorization header instead",
            ));
        }
        let default_port = if secure { 443 } else { 80 };
        let (host, port) = split_host_port(authority.as_str(), default_port)
            .ok_or_else(|| invalid_url(url, "it has no valid host and port"))?;
        Ok(Target {
            url: url.to_string(),
            host,
            port,
            secure,
        })
    }
}

/// The URL with any `user:password@` removed, for messages.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            return format!("{scheme}://***@{}", &rest[at + 1..]);
        }
    }
    url.to_string()
}

/// Resolves `host` and opens a TCP connection to the first address that accepts. `role` names
/// what is dialled in the trace (`""` for the server, `"the proxy "`).
pub async fn dial(host: &str, port: u16, role: &str, trace: &Tracer) -> Result<TcpStream> {
    let started = Instant::now();
    let looked_up = tokio::net::lookup_host((host, port)).await;
    let addresses: Vec<_> = match looked_up {
        Ok(addresses) => addresses.collect(),
        Err(e) => {
            trace.record("dns", || {
                format!(
                    "could not resolve {role}{host} after {}: {e}",
                    took(started.elapsed())
                )
            });
            return Err(Error::new(
                PodeWsResult::Dns,
                format!("could not resolve host '{host}': {e}"),
            ));
        }
    };
    trace.record("dns", || {
        if host.parse::<std::net::IpAddr>().is_ok() {
            format!("{role}{host} is an IP address: no lookup")
        } else {
            let shown: Vec<String> = addresses
                .iter()
                .take(8)
                .map(|a| a.ip().to_string())
                .collect();
            format!(
                "resolved {role}{host} to {}{} in {}",
                shown.join(", "),
                if addresses.len() > 8 { ", ..." } else { "" },
                took(started.elapsed())
            )
        }
    });
    if addresses.is_empty() {
        return Err(Error::new(
            PodeWsResult::Dns,
            format!("host '{host}' has no address"),
        ));
    }
    let mut last: Option<(std::net::SocketAddr, io::Error)> = None;
    for address in addresses {
        let started = Instant::now();
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                trace.record("tcp", || {
                    format!(
                        "TCP connected to {role}{address} in {}",
                        took(started.elapsed())
                    )
                });
                return Ok(stream);
            }
            Err(e) => {
                trace.record("tcp", || {
                    format!(
                        "TCP connect to {role}{address} failed after {}: {e}",
                        took(started.elapsed())
                    )
                });
                last = Some((address, e));
            }
        }
    }
    let (address, e) = last.expect("at least one address was tried");
    let code = if e.kind() == io::ErrorKind::ConnectionRefused {
        PodeWsResult::ConnectionRefused
    } else {
        PodeWsResult::Network
    };
    let what = if code == PodeWsResult::ConnectionRefused {
        "connection refused".to_string()
    } else {
        e.to_string()
    };
    Err(Error::new(
        code,
        format!("could not connect to {host}:{port} ({address}): {what}"),
    ))
}

/// What a successful connect returns.
pub struct Opened {
    /// Boxed: the connection task's future stays small, without room for a stream it moved on.
    pub stream: Box<WsStream>,
    pub subprotocol: String,
    /// Counts socket reads (see `metered.rs`), for keepalive.
    pub reads: Arc<AtomicU64>,
    /// The permessage-deflate parameters, when the server accepted compression.
    pub compression: Option<Negotiated>,
}

/// How one hop of a connect ended.
pub enum Hop {
    Opened(Box<Opened>),
    /// The server answered with a redirect status (see `redirect.rs`).
    Redirected {
        status: u16,
        location: Option<String>,
    },
}

/// Builds the opening request. `credentials` false leaves out `Authorization` and `Cookie`
/// (after a redirect to another host).
fn request(target: &Target, options: &Options, credentials: bool) -> Result<Request> {
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| invalid_url(&target.url, e))?;
    let headers = request.headers_mut();
    for (name, value) in &options.headers {
        if !credentials && is_credential_header(name) {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::new(
                PodeWsResult::InvalidOptions,
                format!("invalid header name '{name}'"),
            )
        })?;
        let mut value = HeaderValue::from_str(&value.0).map_err(|_| {
            Error::new(
                PodeWsResult::InvalidOptions,
                format!("invalid value for header '{name}'"),
            )
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    if !options.subprotocols.is_empty() {
        let offered = HeaderValue::from_str(&options.subprotocols.join(", "))
            .map_err(|_| Error::new(PodeWsResult::InvalidOptions, "invalid subprotocols"))?;
        headers.insert("Sec-WebSocket-Protocol", offered);
    }
    if let Some(offer) = offer(&options.compression) {
        let offer = HeaderValue::from_str(&offer)
            .map_err(|_| Error::new(PodeWsResult::Internal, "invalid compression offer"))?;
        headers.insert("Sec-WebSocket-Extensions", offer);
    }
    Ok(request)
}

/// Headers that carry the user's credentials for the server.
pub fn is_credential_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie")
}

/// Opens the WebSocket at `target` over one new connection, direct or through `proxy`. Does
/// not time out by itself: the caller bounds it.
#[allow(clippy::too_many_arguments)]
pub async fn open_hop(
    target: &Target,
    options: &Options,
    credentials: bool,
    proxy: Option<&ProxyTarget>,
    tls: Option<&TlsConnector>,
    wire: &Arc<WireStats>,
    phase: &Phase,
    trace: &Tracer,
) -> Result<Hop> {
    let request = request(target, options, credentials)?;

    phase.set("resolving the host and connecting");
    let socket = match proxy {
        Some(proxy) => {
            proxy
                .tunnel(&target.host, target.port, phase, trace)
                .await?
        }
        None => dial(&target.host, target.port, "", trace).await?,
    };
    let (mut socket, reads) = Metered::new(socket, Arc::clone(wire));

    let stream = if target.secure {
        let Some(tls) = tls else {
            return Err(Error::new(
                PodeWsResult::Internal,
                "no TLS connector for a wss:// URL",
            ));
        };
        phase.set("the TLS handshake");
        let hello = trace.is_on().then(|| socket.sniff_tls_hello());
        let started = Instant::now();
        let connected = tokio_native_tls::TlsConnector::from(tls.clone())
            .connect(&target.host, socket)
            .await;
        let hello = hello.map(|h| h.lock().clone()).unwrap_or_default();
        match connected {
            Ok(stream) => {
                trace.record("tls", || tls_text(&hello, started.elapsed(), None));
                let certificate = stream.get_ref().peer_certificate().ok().flatten();
                let der = certificate
                    .and_then(|c| c.to_der().ok())
                    .or(hello.certificate);
                trace.record("certificate", || certificate_text(der.as_deref()));
                MaybeTlsStream::NativeTls(stream)
            }
            Err(e) => {
                let error = describe_handshake_failure(
                    WsError::Tls(TlsError::Native(Box::new(e))),
                    options,
                );
                trace.record("tls", || tls_text(&hello, started.elapsed(), Some(&error)));
                if hello.version.is_some() {
                    trace.record("certificate", || match &hello.certificate {
                        Some(der) => certificate_text(Some(der)),
                        None if hello.version >= Some(0x0304) => "the server certificate is not shown: TLS 1.3 sends it encrypted and the handshake failed".to_string(),
                        None => "the server sent no certificate before the handshake failed".to_string(),
                    });
                }
                return Err(error);
            }
        }
    } else {
        MaybeTlsStream::Plain(socket)
    };

    phase.set("the WebSocket opening handshake");
    let small_buffer = options.read_buffer_size.min(TUNGSTENITE_BUFFER);
    let config = WebSocketConfig::default()
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.frame_limit()))
        .read_buffer_size(small_buffer);
    let started = Instant::now();
    let layers = BulkStream::new(DeflateStream::new(stream));
    let (mut stream, response) = match client_async_with_config(request, layers, Some(config)).await
    {
        Ok(opened) => opened,
        Err(WsError::Http(response)) => {
            let status = response.status();
            trace.record("http", || {
                format!(
                    "HTTP {} {} in {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    took(started.elapsed())
                )
            });
            if crate::redirect::is_redirect(status.as_u16()) {
                let location = response
                    .headers()
                    .get("location")
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                return Ok(Hop::Redirected {
                    status: status.as_u16(),
                    location,
                });
            }
            return Err(describe_handshake_failure(WsError::Http(response), options));
        }
        Err(e) => return Err(describe_handshake_failure(e, options)),
    };
    trace.record("http", || {
        format!(
            "HTTP 101 Switching Protocols in {}",
            took(started.elapsed())
        )
    });
    let subprotocol = response
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !options.subprotocols.is_empty() && subprotocol.is_empty() {
        return Err(Error::new(
            PodeWsResult::Protocol,
            format!(
                "the server accepted none of the offered subprotocols ({})",
                options.subprotocols.join(", ")
            ),
        ));
    }
    trace.record("subprotocol", || {
        if subprotocol.is_empty() {
            "no subprotocol".to_string()
        } else {
            format!("subprotocol '{subprotocol}' chosen by the server")
        }
    });
    let answers: Vec<&str> = response
        .headers()
        .get_all("sec-websocket-extensions")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .collect();
    let compression = check_answer(&answers, &options.compression)
        .map_err(|why| Error::new(PodeWsResult::Protocol, why))?;
    trace.record("compression", || match &compression {
        Some(n) => format!(
            "permessage-deflate: server window {} bits{}, client window {} bits{}",
            n.server_max_window_bits,
            if n.server_no_context_takeover {
                ", no context takeover"
            } else {
                ""
            },
            n.client_max_window_bits,
            if n.client_no_context_takeover {
                ", no context takeover"
            } else {
                ""
            },
        ),
        None if options.compression.enabled => {
            "compression offered, not accepted by the server".to_string()
        }
        None => "compression not offered (turned off)".to_string(),
    });
    let layers = stream.get_mut();
    layers
        .get_mut()
        .start(compression.map(|negotiated| deflate::Config {
            role: Role::Client,
            negotiated,
            frame_limit: options.frame_limit(),
            read_buffer_size: options.read_buffer_size.min(DEFLATE_INPUT),
            level: options.compression.level,
        }));
    layers.start(bulk::Limits {
        max_read: options.read_buffer_size,
        threshold: small_buffer,
        frame_limit: options.frame_limit(),
        message_limit: options.max_message_size,
    });
    Ok(Hop::Opened(Box::new(Opened {
        stream: Box::new(stream),
        subprotocol,
        reads,
        compression,
    })))
}

/// "TLS 1.3, TLS_AES_256_GCM_SHA384 in 3.1 ms", or the failure.
fn tls_text(hello: &ServerHello, took_: Duration, error: Option<&Error>) -> String {
    let chosen = match (hello.version, hello.cipher) {
        (Some(version), Some(cipher)) => format!(
            "{}, {}",
            crate::tls_hello::version_name(version),
            crate::tls_hello::cipher_name(cipher)
        ),
        _ => "protocol and cipher not seen".to_string(),
    };
    match error {
        None => format!("TLS handshake done in {}: {chosen}", took(took_)),
        Some(error) => format!(
            "TLS handshake failed after {} ({chosen}): {}",
            took(took_),
            error.message
        ),
    }
}

fn certificate_text(der: Option<&[u8]>) -> String {
    match der.map(crate::x509::summarize) {
        Some(Some(summary)) => format!("server certificate: {summary}"),
        Some(None) => "server certificate: not readable".to_string(),
        None => "server certificate: none".to_string(),
    }
}

fn describe_handshake_failure(error: WsError, options: &Options) -> Error {
    match error {
        WsError::Http(response) => {
            let status = response.status();
            let mut message = format!(
                "the server refused the WebSocket upgrade: HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            if status.as_u16() == 401 || status.as_u16() == 403 {
                message.push_str(if options.headers.is_empty() {
                    " (no credentials were sent)"
                } else {
                    " (check the credentials sent in the headers)"
                });
            }
            let retry_after = crate::retry::retry_after(response.headers());
            Error::new(PodeWsResult::HandshakeRejected, message.trim_end().to_string())
                .with_http(status.as_u16(), retry_after)
        }
        WsError::Tls(tokio_tungstenite::tungstenite::error::TlsError::Native(e)) => describe_handshake_error(&e),
        WsError::Tls(e) => Error::new(PodeWsResult::Tls, format!("TLS handshake failed: {e}")),
        // A hang-up, not a wrong answer: a server restarting or shedding load does this, so it
        // is a network failure (retried), as python websockets treats it.
        WsError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => Error::new(
            PodeWsResult::Network,
            "the server closed the connection during the opening handshake (is it a WebSocket server?)",
        ),
        // A TLS failure while the upgrade is read (with TLS 1.3, a refused client certificate).
        WsError::Io(e) => describe_io_error(&e).unwrap_or_else(|| {
            Error::new(
                PodeWsResult::Network,
                format!("the connection failed during the opening handshake: {e}"),
            )
        }),
        WsError::Protocol(ProtocolError::HttparseError(e)) => Error::new(
            PodeWsResult::Protocol,
            format!("the server's answer is not a valid HTTP response ({e}); is it a WebSocket server?"),
        ),
        // An EOF before the whole answer surfaces as "Handshake not finished", not as an I/O
        // error: name the real cause.
        WsError::Protocol(ProtocolError::HandshakeIncomplete) => Error::new(
            PodeWsResult::Network,
            "the server closed the connection during the opening handshake (is it a WebSocket server?)",
        ),
        // tungstenite checks the subprotocol answer before `open` can: say what was offered.
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        )) => Error::new(
            PodeWsResult::Protocol,
            format!(
                "the server accepted none of the offered subprotocols ({})",
                options.subprotocols.join(", ")
            ),
        ),
        WsError::Protocol(e) => Error::new(
            PodeWsResult::Protocol,
            format!("the server's opening handshake answer is invalid: {e}"),
        ),
        WsError::Url(e) => Error::new(PodeWsResult::InvalidUrl, format!("invalid WebSocket URL: {e}")),
        other => Error::new(
            PodeWsResult::Protocol,
            format!("the opening handshake failed: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_other_schemes() {
        let e = Target::parse("http://x").unwrap_err();
        assert_eq!(e.code, PodeWsResult::InvalidUrl);
        assert!(e.message.contains("ws://"), "{}", e.message);
    }

    #[test]
    fn parses_ports() {
        let t = Target::parse("wss://example.org/feed?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.secure),
            ("example.org", 443, true)
        );
        let t = Target::parse("ws://127.0.0.1:9000").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.secure),
            ("127.0.0.1", 9000, false)
        );
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("ws://u:p@h:1/x@y"), "ws://***@h:1/x@y");
        assert_eq!(redact_url("ws://h/x"), "ws://h/x");
    }
}

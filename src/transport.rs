//! Opening a WebSocket: URL check, DNS, TCP (direct or through a proxy), TLS, the HTTP upgrade.
//!
//! Every failure is classified into a result code with a message naming the real cause, and
//! a timeout says which step was still running.

use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use native_tls::TlsConnector;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::{client_async_with_config, MaybeTlsStream, WebSocketStream};

use crate::deflate::negotiation::{check_answer, offer};
use crate::deflate::{self, DeflateStream, Negotiated, Role};
use crate::error::{Error, PodeWsResult, Result};
use crate::metered::Metered;
use crate::options::Options;
use crate::proxy::{split_host_port, ProxyTarget};
use crate::stats::WireStats;
use crate::tls::describe_handshake_error;

/// The compression layer sits on top of TLS: it rewrites WebSocket frames, not TLS records.
pub type WsStream = WebSocketStream<DeflateStream<MaybeTlsStream<Metered>>>;

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

/// Resolves `host` and opens a TCP connection to the first address that accepts.
pub async fn dial(host: &str, port: u16) -> Result<TcpStream> {
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| {
            Error::new(
                PodeWsResult::Dns,
                format!("could not resolve host '{host}': {e}"),
            )
        })?
        .collect();
    if addresses.is_empty() {
        return Err(Error::new(
            PodeWsResult::Dns,
            format!("host '{host}' has no address"),
        ));
    }
    let mut last: Option<(std::net::SocketAddr, io::Error)> = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some((address, e)),
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
    pub stream: WsStream,
    pub subprotocol: String,
    /// Counts socket reads (see `metered.rs`), for keepalive.
    pub reads: Arc<AtomicU64>,
    /// The permessage-deflate parameters, when the server accepted compression.
    pub compression: Option<Negotiated>,
}

/// Opens the WebSocket. Does not time out by itself: the caller bounds it.
pub async fn open(
    target: &Target,
    options: &Options,
    proxy: Option<&ProxyTarget>,
    tls: Option<&TlsConnector>,
    wire: &Arc<WireStats>,
    phase: &Phase,
) -> Result<Opened> {
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| invalid_url(&target.url, e))?;
    let headers = request.headers_mut();
    for (name, value) in &options.headers {
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

    phase.set("resolving the host and connecting");
    let socket = match proxy {
        Some(proxy) => proxy.tunnel(&target.host, target.port, phase).await?,
        None => dial(&target.host, target.port).await?,
    };
    let (socket, reads) = Metered::new(socket, Arc::clone(wire));

    let socket = if target.secure {
        phase.set("the TLS handshake");
        let tls = tls.ok_or_else(|| {
            Error::new(PodeWsResult::Internal, "no TLS connector for a wss:// URL")
        })?;
        let domain = request.uri().host().unwrap_or(&target.host).to_string();
        let stream = tokio_native_tls::TlsConnector::from(tls.clone())
            .connect(&domain, socket)
            .await
            .map_err(|e| describe_handshake_error(&e))?;
        MaybeTlsStream::NativeTls(stream)
    } else {
        MaybeTlsStream::Plain(socket)
    };

    phase.set("the WebSocket opening handshake");
    let config = WebSocketConfig::default()
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.frame_limit()))
        .read_buffer_size(options.read_buffer_size);
    let (mut stream, response) =
        client_async_with_config(request, DeflateStream::new(socket), Some(config))
            .await
            .map_err(|e| describe_handshake_failure(e, options))?;
    let answers: Vec<&str> = response
        .headers()
        .get_all("sec-websocket-extensions")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .collect();
    let compression = check_answer(&answers, &options.compression)
        .map_err(|why| Error::new(PodeWsResult::Protocol, why))?;
    stream
        .get_mut()
        .start(compression.map(|negotiated| deflate::Config {
            role: Role::Client,
            negotiated,
            frame_limit: options.frame_limit(),
            read_buffer_size: options.read_buffer_size,
            level: options.compression.level,
        }));
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
    Ok(Opened {
        stream,
        subprotocol,
        reads,
        compression,
    })
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
            Error::new(PodeWsResult::HandshakeRejected, message.trim_end().to_string())
        }
        WsError::Tls(tokio_tungstenite::tungstenite::error::TlsError::Native(e)) => describe_handshake_error(&e),
        WsError::Tls(e) => Error::new(PodeWsResult::Tls, format!("TLS handshake failed: {e}")),
        WsError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => Error::new(
            PodeWsResult::Protocol,
            "the server closed the connection during the opening handshake (is it a WebSocket server?)",
        ),
        // With TLS 1.3 the server checks the client certificate after our side of the TLS
        // handshake finished, so its refusal arrives as an alert while reading the upgrade.
        WsError::Io(e) if e.to_string().contains("alert certificate required") => Error::new(
            PodeWsResult::Tls,
            "TLS: the server requires a client certificate (set tls.clientPkcs12Base64)",
        ),
        WsError::Io(e) if e.to_string().contains("SSL routines") => Error::new(
            PodeWsResult::Tls,
            format!("TLS failed during the opening handshake: {e}"),
        ),
        WsError::Io(e) => Error::new(
            PodeWsResult::Network,
            format!("the connection failed during the opening handshake: {e}"),
        ),
        WsError::Protocol(ProtocolError::HttparseError(e)) => Error::new(
            PodeWsResult::Protocol,
            format!("the server's answer is not a valid HTTP response ({e}); is it a WebSocket server?"),
        ),
        // An EOF before the whole answer surfaces as "Handshake not finished", not as an I/O
        // error: name the real cause.
        WsError::Protocol(ProtocolError::HandshakeIncomplete) => Error::new(
            PodeWsResult::Protocol,
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

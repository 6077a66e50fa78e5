//! Tunnels through a proxy: HTTP CONNECT or SOCKS5, with optional credentials.

use std::fmt;
use std::time::Instant;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;

use crate::error::{Error, PodeWsResult, Result};
use crate::options::Secret;
use crate::trace::{took, Tracer};
use crate::transport::{dial, redact_url, Phase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// An HTTP proxy: a CONNECT tunnel, for ws:// and wss:// alike.
    HttpConnect,
    /// SOCKS5: the target's host name is resolved here and its address sent to the proxy.
    Socks5,
    /// SOCKS5: the host name is sent and the proxy resolves it (`socks5h://`).
    Socks5h,
}

impl ProxyKind {
    pub fn scheme(self) -> &'static str {
        match self {
            ProxyKind::HttpConnect => "http",
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks5h => "socks5h",
        }
    }

    /// The kind a proxy URL scheme names, with its default port.
    pub fn from_scheme(scheme: &str) -> Option<(ProxyKind, u16)> {
        match scheme.to_ascii_lowercase().as_str() {
            "http" => Some((ProxyKind::HttpConnect, 80)),
            "socks5" => Some((ProxyKind::Socks5, 1080)),
            "socks5h" => Some((ProxyKind::Socks5h, 1080)),
            _ => None,
        }
    }
}

/// A proxy to tunnel through. Its credentials never appear in `Debug` or [`Self::address`].
#[derive(Clone)]
pub struct ProxyTarget {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    credentials: Option<(Secret, Secret)>,
}

impl fmt::Debug for ProxyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyTarget({})", self.address())
    }
}

fn proxy_error(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::Proxy, message)
}

impl ProxyTarget {
    pub fn new(kind: ProxyKind, host: String, port: u16) -> ProxyTarget {
        ProxyTarget {
            kind,
            host,
            port,
            credentials: None,
        }
    }

    /// Uses `username` and `password` for the proxy (an empty username means none).
    pub fn with_credentials(mut self, username: Secret, password: Secret) -> ProxyTarget {
        self.credentials = (!username.0.is_empty()).then_some((username, password));
        self
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Parses the `proxy.url` option: `scheme://host[:port]`, nothing more.
    pub fn parse_option(url: &str) -> Result<ProxyTarget> {
        let invalid = |why: &str| {
            Error::new(
                PodeWsResult::InvalidOptions,
                // The URL may carry credentials (that is one of the errors): never echo them.
                format!("proxy.url '{}' {why}", redact_url(url)),
            )
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            invalid("must look like http://host:port, socks5://host:port or socks5h://host:port")
        })?;
        let (kind, default_port) = ProxyKind::from_scheme(scheme).ok_or_else(|| {
            invalid("has an unsupported scheme (use http://, socks5:// or socks5h://)")
        })?;
        let authority = rest.trim_end_matches('/');
        if authority.contains('@') || authority.contains('/') {
            return Err(invalid(
                "must be only scheme://host:port (give credentials as proxy.username and proxy.password)",
            ));
        }
        let (host, port) = split_host_port(authority, default_port)
            .ok_or_else(|| invalid("has no valid host and port"))?;
        Ok(ProxyTarget::new(kind, host, port))
    }

    /// `scheme://host:port`, for info and traces: never the credentials.
    pub fn address(&self) -> String {
        format!(
            "{}://{}",
            self.kind.scheme(),
            authority(&self.host, self.port)
        )
    }

    /// Opens a TCP connection to `host:port` through the proxy.
    pub async fn tunnel(
        &self,
        host: &str,
        port: u16,
        phase: &Phase,
        trace: &Tracer,
    ) -> Result<TcpStream> {
        phase.set("connecting to the proxy");
        let socket = dial(&self.host, self.port, "the proxy ", trace)
            .await
            .map_err(|e| {
                proxy_error(format!(
                    "could not reach the proxy {}:{}: {}",
                    self.host, self.port, e.message
                ))
            })?;
        phase.set("opening the proxy tunnel");
        let started = Instant::now();
        let result = match self.kind {
            ProxyKind::HttpConnect => self.http_connect(socket, host, port, trace).await,
            ProxyKind::Socks5 | ProxyKind::Socks5h => self.socks5(socket, host, port, trace).await,
        };
        if let Err(e) = &result {
            trace.record("tunnel", || {
                format!(
                    "the tunnel failed after {}: {}",
                    took(started.elapsed()),
                    e.message
                )
            });
        }
        result
    }

    async fn http_connect(
        &self,
        mut socket: TcpStream,
        host: &str,
        port: u16,
        trace: &Tracer,
    ) -> Result<TcpStream> {
        let started = Instant::now();
        let authority = authority(host, port);
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some((user, password)) = &self.credentials {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", user.0, password.0));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        socket
            .write_all(request.as_bytes())
            .await
            .map_err(|e| proxy_error(format!("the proxy closed the connection: {e}")))?;

        // Read the answer byte by byte: anything after the blank line belongs to the tunnel.
        let mut head = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 16 * 1024 {
                return Err(proxy_error("the proxy's answer to CONNECT is too long"));
            }
            let n = socket
                .read(&mut byte)
                .await
                .map_err(|e| proxy_error(format!("reading the proxy's answer failed: {e}")))?;
            if n == 0 {
                return Err(proxy_error(
                    "the proxy closed the connection before answering CONNECT",
                ));
            }
            head.push(byte[0]);
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or_default().to_string();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| {
                proxy_error(format!("the proxy's answer is not HTTP: '{status_line}'"))
            })?;
        trace.record("tunnel", || {
            format!(
                "CONNECT {authority}{} answered '{status_line}' in {}",
                if self.credentials.is_some() {
                    " (with credentials)"
                } else {
                    ""
                },
                took(started.elapsed())
            )
        });
        match status {
            200..=299 => Ok(socket),
            407 => Err(proxy_error(format!(
                "the proxy requires authentication or refused the credentials ({status_line})"
            ))),
            _ => Err(proxy_error(format!(
                "the proxy refused the tunnel to {authority} ({status_line})"
            ))),
        }
    }

    async fn socks5(
        &self,
        socket: TcpStream,
        host: &str,
        port: u16,
        trace: &Tracer,
    ) -> Result<TcpStream> {
        let started = Instant::now();
        let connected = match self.kind {
            // socks5://: the proxy gets the address, as resolved here.
            ProxyKind::Socks5 => {
                let address = resolve_first(host, port, trace).await?;
                self.socks5_to(socket, address).await
            }
            _ => self.socks5_to(socket, (host, port)).await,
        };
        let stream = connected.map_err(|e| {
            proxy_error(format!(
                "the SOCKS5 proxy failed to connect to {host}:{port}: {e}"
            ))
        })?;
        trace.record("tunnel", || {
            format!(
                "SOCKS5 tunnel to {}{}{} opened in {}",
                stream.target_addr(),
                if self.kind == ProxyKind::Socks5h {
                    " (the proxy resolves the name)"
                } else {
                    ""
                },
                if self.credentials.is_some() {
                    " with credentials"
                } else {
                    ""
                },
                took(started.elapsed())
            )
        });
        Ok(stream.into_inner())
    }

    async fn socks5_to<'t>(
        &self,
        socket: TcpStream,
        target: impl tokio_socks::IntoTargetAddr<'t>,
    ) -> std::result::Result<Socks5Stream<TcpStream>, tokio_socks::Error> {
        match &self.credentials {
            Some((user, password)) => {
                Socks5Stream::connect_with_password_and_socket(socket, target, &user.0, &password.0)
                    .await
            }
            None => Socks5Stream::connect_with_socket(socket, target).await,
        }
    }
}

/// The first address of `host`, for a SOCKS5 proxy that is given addresses.
async fn resolve_first(host: &str, port: u16, trace: &Tracer) -> Result<std::net::SocketAddr> {
    let started = Instant::now();
    let first = tokio::net::lookup_host((host, port))
        .await
        .ok()
        .and_then(|mut addresses| addresses.next());
    trace.record("dns", || match first {
        Some(a) => format!(
            "resolved {host} to {} in {} (sent to the SOCKS5 proxy)",
            a.ip(),
            took(started.elapsed())
        ),
        None => format!("could not resolve {host} ({})", took(started.elapsed())),
    });
    first.ok_or_else(|| {
        Error::new(
            PodeWsResult::Dns,
            format!(
                "could not resolve host '{host}' (socks5:// sends the address; socks5h:// lets the proxy resolve the name)"
            ),
        )
    })
}

/// `host:port`, with an IPv6 address in brackets.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Splits `host:port`, `[v6]:port` or `host` (default port).
pub fn split_host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return (!host.is_empty()).then(|| (host.to_string(), port));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, default_port),
    };
    (!host.is_empty() && !host.contains(':')).then(|| (host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(split_host_port("h:81", 1), Some(("h".into(), 81)));
        assert_eq!(split_host_port("h", 1), Some(("h".into(), 1)));
        assert_eq!(split_host_port("[::1]:9", 1), Some(("::1".into(), 9)));
        assert_eq!(split_host_port("h:x", 1), None);
        assert_eq!(split_host_port(":80", 1), None);
    }
}

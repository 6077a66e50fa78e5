//! Tunnels through a proxy: HTTP CONNECT or SOCKS5, with optional credentials.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;

use crate::error::{Error, PodeWsResult, Result};
use crate::options::{ProxyOptions, Secret};
use crate::transport::{dial, redact_url, Phase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    HttpConnect,
    Socks5,
}

/// A parsed proxy setting.
#[derive(Debug, Clone)]
pub struct ProxyTarget {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    password: Option<Secret>,
}

fn proxy_error(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::Proxy, message)
}

impl ProxyTarget {
    pub fn parse(options: &ProxyOptions) -> Result<ProxyTarget> {
        let invalid = |why: &str| {
            Error::new(
                PodeWsResult::InvalidOptions,
                // The URL may carry credentials (that is one of the errors): never echo them.
                format!("proxy.url '{}' {why}", redact_url(&options.url)),
            )
        };
        let (scheme, rest) = options
            .url
            .split_once("://")
            .ok_or_else(|| invalid("must look like http://host:port or socks5://host:port"))?;
        let (kind, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "http" => (ProxyKind::HttpConnect, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            _ => {
                return Err(invalid(
                    "has an unsupported scheme (use http:// or socks5://)",
                ))
            }
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('@') || authority.contains('/') {
            return Err(invalid(
                "must be only scheme://host:port (give credentials as proxy.username and proxy.password)",
            ));
        }
        let (host, port) = split_host_port(authority, default_port)
            .ok_or_else(|| invalid("has no valid host and port"))?;
        Ok(ProxyTarget {
            kind,
            host,
            port,
            username: options.username.clone().filter(|u| !u.is_empty()),
            password: options.password.clone(),
        })
    }

    /// Opens a TCP connection to `host:port` through the proxy.
    pub async fn tunnel(&self, host: &str, port: u16, phase: &Phase) -> Result<TcpStream> {
        phase.set("connecting to the proxy");
        let socket = dial(&self.host, self.port).await.map_err(|e| {
            proxy_error(format!(
                "could not reach the proxy {}:{}: {}",
                self.host, self.port, e.message
            ))
        })?;
        phase.set("opening the proxy tunnel");
        match self.kind {
            ProxyKind::HttpConnect => self.http_connect(socket, host, port).await,
            ProxyKind::Socks5 => self.socks5(socket, host, port).await,
        }
    }

    async fn http_connect(
        &self,
        mut socket: TcpStream,
        host: &str,
        port: u16,
    ) -> Result<TcpStream> {
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(user) = &self.username {
            let token = base64::engine::general_purpose::STANDARD.encode(format!(
                "{user}:{}",
                self.password.as_ref().map_or("", |p| p.0.as_str())
            ));
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

    async fn socks5(&self, socket: TcpStream, host: &str, port: u16) -> Result<TcpStream> {
        let stream = match &self.username {
            Some(user) => {
                Socks5Stream::connect_with_password_and_socket(
                    socket,
                    (host, port),
                    user,
                    self.password.as_ref().map_or("", |p| p.0.as_str()),
                )
                .await
            }
            None => Socks5Stream::connect_with_socket(socket, (host, port)).await,
        }
        .map_err(|e| {
            proxy_error(format!(
                "the SOCKS5 proxy failed to connect to {host}:{port}: {e}"
            ))
        })?;
        Ok(stream.into_inner())
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

//! Minimal proxies on 127.0.0.1:0: HTTP CONNECT (with optional Basic credentials, 407 when they
//! are missing or wrong) and SOCKS5 (RFC 1928, with optional RFC 1929 username/password).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{copy_bidirectional, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::servers::{bind, read_head, serve, Server};

/// A running proxy.
pub struct Proxy {
    pub server: Server,
    /// Tunnels opened to a target.
    pub tunnels: Arc<AtomicUsize>,
    /// The credentials each client presented (the Proxy-Authorization value, or `user:pass`).
    pub credentials_seen: Arc<Mutex<Vec<Option<String>>>>,
    /// The targets asked for: `host:port` for CONNECT; `ip <addr>` or `name <host:port>` for
    /// SOCKS5 (an address resolved by the client, or a name the proxy resolves).
    pub targets: Arc<Mutex<Vec<String>>>,
    scheme: &'static str,
}

impl Proxy {
    /// The proxy URL for the `proxy.url` option.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.server.addr)
    }

    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }

    /// `scheme://user:password@addr`, as a proxy variable would name it.
    pub fn url_with(&self, scheme: &str, credentials: &str) -> String {
        format!("{scheme}://{credentials}@{}", self.server.addr)
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

const PROXY_AUTH_REQUIRED: &str = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n";

/// An HTTP CONNECT proxy; with `credentials` it answers 407 unless they are sent.
pub fn http_proxy(credentials: Option<(&str, &str)>) -> Proxy {
    let expected = credentials.map(|(user, pass)| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    });
    let tunnels: Arc<AtomicUsize> = Arc::default();
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let targets: Arc<Mutex<Vec<String>>> = Arc::default();
    let (t, s, g) = (
        Arc::clone(&tunnels),
        Arc::clone(&seen),
        Arc::clone(&targets),
    );
    let server = serve(bind(None), move |mut tcp| {
        let (expected, tunnels, seen, targets) = (
            expected.clone(),
            Arc::clone(&t),
            Arc::clone(&s),
            Arc::clone(&g),
        );
        async move {
            let Some(head) = read_head(&mut tcp).await else {
                return;
            };
            let mut lines = head.lines();
            let request_line = lines.next().unwrap_or_default().to_string();
            let mut parts = request_line.split_whitespace();
            let (method, target) = (parts.next(), parts.next());
            let auth = lines.find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("proxy-authorization")
                    .then(|| value.trim().to_string())
            });
            seen.lock().unwrap().push(auth.clone());
            if let Some(target) = target {
                targets.lock().unwrap().push(target.to_string());
            }
            let (Some("CONNECT"), Some(target)) = (method, target) else {
                let _ = tcp
                    .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return;
            };
            if expected.is_some() && auth != expected {
                let _ = tcp.write_all(PROXY_AUTH_REQUIRED.as_bytes()).await;
                return;
            }
            let Ok(mut upstream) = TcpStream::connect(target).await else {
                let _ = tcp
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return;
            };
            tcp.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .unwrap();
            tunnels.fetch_add(1, Ordering::SeqCst);
            let _ = copy_bidirectional(&mut tcp, &mut upstream).await;
        }
    });
    Proxy {
        server,
        tunnels,
        credentials_seen: seen,
        targets,
        scheme: "http",
    }
}

/// A SOCKS5 proxy; with `credentials` it requires username/password authentication.
pub fn socks5_proxy(credentials: Option<(&str, &str)>) -> Proxy {
    let expected = credentials.map(|(u, p)| format!("{u}:{p}"));
    let tunnels: Arc<AtomicUsize> = Arc::default();
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let targets: Arc<Mutex<Vec<String>>> = Arc::default();
    let (t, s, g) = (
        Arc::clone(&tunnels),
        Arc::clone(&seen),
        Arc::clone(&targets),
    );
    let server = serve(bind(None), move |mut tcp| {
        let (expected, tunnels, seen, targets) = (
            expected.clone(),
            Arc::clone(&t),
            Arc::clone(&s),
            Arc::clone(&g),
        );
        async move {
            let _ = socks5_session(&mut tcp, expected, tunnels, seen, targets).await;
        }
    });
    Proxy {
        server,
        tunnels,
        credentials_seen: seen,
        targets,
        scheme: "socks5",
    }
}

async fn socks5_session(
    tcp: &mut TcpStream,
    expected: Option<String>,
    tunnels: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Option<String>>>>,
    targets: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await?;
    let mut methods = vec![0u8; head[1] as usize];
    tcp.read_exact(&mut methods).await?;
    if expected.is_some() {
        if !methods.contains(&2) {
            seen.lock().unwrap().push(None);
            return tcp.write_all(&[5, 0xFF]).await;
        }
        tcp.write_all(&[5, 2]).await?;
        let mut ver_len = [0u8; 2];
        tcp.read_exact(&mut ver_len).await?;
        let mut user = vec![0u8; ver_len[1] as usize];
        tcp.read_exact(&mut user).await?;
        let mut plen = [0u8; 1];
        tcp.read_exact(&mut plen).await?;
        let mut pass = vec![0u8; plen[0] as usize];
        tcp.read_exact(&mut pass).await?;
        let given = format!(
            "{}:{}",
            String::from_utf8_lossy(&user),
            String::from_utf8_lossy(&pass)
        );
        seen.lock().unwrap().push(Some(given.clone()));
        if Some(given) != expected {
            return tcp.write_all(&[1, 1]).await;
        }
        tcp.write_all(&[1, 0]).await?;
    } else {
        seen.lock().unwrap().push(None);
        tcp.write_all(&[5, 0]).await?;
    }
    let mut req = [0u8; 4];
    tcp.read_exact(&mut req).await?;
    let resolved_by_client = req[3] != 3;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            tcp.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            tcp.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            tcp.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0u8; 16];
            tcp.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => return tcp.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await,
    };
    let mut port = [0u8; 2];
    tcp.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    targets.lock().unwrap().push(format!(
        "{} {target}",
        if resolved_by_client { "ip" } else { "name" }
    ));
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        return tcp.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
    };
    let local: SocketAddr = upstream.local_addr()?;
    let mut reply = vec![5, 0, 0, 1];
    match local {
        SocketAddr::V4(a) => reply.extend_from_slice(&a.ip().octets()),
        SocketAddr::V6(_) => reply.extend_from_slice(&[0, 0, 0, 0]),
    }
    reply.extend_from_slice(&local.port().to_be_bytes());
    tcp.write_all(&reply).await?;
    tunnels.fetch_add(1, Ordering::SeqCst);
    copy_bidirectional(tcp, &mut upstream).await.map(|_| ())
}

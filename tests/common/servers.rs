//! In-process test servers on 127.0.0.1:0, run on a tokio runtime of their own (separate from
//! the library's): WebSocket servers with a per-connection handler, raw TCP servers for
//! misbehaving peers, and a hand-rolled WebSocket handshake for servers that write raw frames.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A server-side WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;

/// A runtime for test servers, separate from the library's.
pub fn server_runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .unwrap()
    })
}

/// What a WebSocket server saw in an opening handshake.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    /// The subprotocol the server picked, if any.
    pub protocol: Option<String>,
}

/// A running server. Dropping it does not stop it; [`Server::stop`] does.
pub struct Server {
    pub addr: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
    pub handshakes: Arc<Mutex<Vec<Handshake>>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Closes the listener and drops every connection it accepted (TCP FIN, no close frame).
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// The handshakes seen so far.
    pub fn handshakes(&self) -> Vec<Handshake> {
        self.handshakes.lock().unwrap().clone()
    }
}

/// Binds a listener with SO_REUSEADDR, so a stopped server's port can be bound again while its
/// old connections linger in TIME_WAIT. `None` picks a free port.
pub fn bind(addr: Option<SocketAddr>) -> TcpListener {
    let addr = addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
    let _guard = server_runtime().enter();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(1024).unwrap()
}

/// Accepts connections on `listener` and runs `handler` for each, until stopped.
pub fn serve<F, Fut>(listener: TcpListener, handler: F) -> Server
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().unwrap();
    let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
    let tracked = Arc::clone(&tasks);
    let accept = server_runtime().spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let task = tokio::spawn(handler(tcp));
            tracked.lock().unwrap().push(task.abort_handle());
        }
    });
    tasks.lock().unwrap().push(accept.abort_handle());
    Server {
        addr,
        tasks,
        handshakes: Arc::default(),
    }
}

/// Decides whether a handshake for a path (with its query) is redirected: status and Location.
pub type RedirectRule = Arc<dyn Fn(&str) -> Option<(u16, String)> + Send + Sync>;

/// How a WebSocket test server answers the opening handshake.
#[derive(Clone, Default)]
pub struct Setup {
    /// Pick the first subprotocol the client offers (otherwise pick none).
    pub select_protocol: bool,
    /// Bind this address (to restart a server on its old port).
    pub bind: Option<SocketAddr>,
    /// Answer some handshakes with a redirect instead (they are recorded too).
    pub redirect: Option<RedirectRule>,
}

/// A WebSocket server running `handler` for each connection after recording its handshake.
#[allow(clippy::result_large_err)] // tungstenite's callback signature, not ours
pub fn ws_server_with<F, Fut>(setup: Setup, handler: F) -> Server
where
    F: Fn(Ws, Handshake) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handshakes: Arc<Mutex<Vec<Handshake>>> = Arc::default();
    let seen = Arc::clone(&handshakes);
    let handler = Arc::new(handler);
    let mut server = serve(bind(setup.bind), move |tcp| {
        let handler = Arc::clone(&handler);
        let seen = Arc::clone(&seen);
        let select = setup.select_protocol;
        let redirect = setup.redirect.clone();
        async move {
            let mut shake = Handshake::default();
            let callback = |request: &Request,
                            mut response: Response|
             -> Result<Response, ErrorResponse> {
                shake.path = request.uri().path().to_string();
                let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
                if let Some((status, location)) = redirect.as_ref().and_then(|r| r(target)) {
                    for (name, value) in request.headers() {
                        shake.headers.insert(
                            name.as_str().to_ascii_lowercase(),
                            value.to_str().unwrap_or("<binary>").to_string(),
                        );
                    }
                    seen.lock().unwrap().push(shake.clone());
                    let mut answer = ErrorResponse::new(None);
                    *answer.status_mut() =
                        tokio_tungstenite::tungstenite::http::StatusCode::from_u16(status).unwrap();
                    answer
                        .headers_mut()
                        .insert("location", HeaderValue::from_str(&location).unwrap());
                    return Err(answer);
                }
                for (name, value) in request.headers() {
                    shake.headers.insert(
                        name.as_str().to_ascii_lowercase(),
                        value.to_str().unwrap_or("<binary>").to_string(),
                    );
                }
                let offered = shake.headers.get("sec-websocket-protocol").cloned();
                if let (true, Some(offered)) = (select, offered) {
                    let first = offered.split(',').next().unwrap().trim().to_string();
                    response.headers_mut().insert(
                        "sec-websocket-protocol",
                        HeaderValue::from_str(&first).unwrap(),
                    );
                    shake.protocol = Some(first);
                }
                // Recorded before the answer goes out, so a client that saw its
                // connection open finds its handshake here.
                seen.lock().unwrap().push(shake.clone());
                Ok(response)
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                return;
            };
            handler(ws, shake).await;
        }
    });
    server.handshakes = handshakes;
    server
}

/// An echo server that redirects the handshakes `rule` picks.
pub fn redirecting_server(
    rule: impl Fn(&str) -> Option<(u16, String)> + Send + Sync + 'static,
) -> Server {
    let setup = Setup {
        redirect: Some(Arc::new(rule)),
        ..Setup::default()
    };
    ws_server_with(setup, |ws, _| echo_loop(ws, ""))
}

/// A server redirecting every handshake with `status` to the Location in `location` (which
/// the test may change after starting it, e.g. to make a loop).
pub fn redirect_to(status: u16, location: Arc<Mutex<String>>) -> Server {
    redirecting_server(move |_| Some((status, location.lock().unwrap().clone())))
}

/// A WebSocket server with default setup.
pub fn ws_server<F, Fut>(handler: F) -> Server
where
    F: Fn(Ws, Handshake) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    ws_server_with(Setup::default(), handler)
}

/// Echoes text and binary messages, prefixed with `tag` when it is not empty (text only).
pub async fn echo_loop(mut ws: Ws, tag: &str) {
    while let Some(Ok(m)) = ws.next().await {
        let reply = match m {
            Message::Text(t) if !tag.is_empty() => Message::text(format!("{tag}{t}")),
            m if m.is_text() || m.is_binary() => m,
            _ => continue,
        };
        if ws.send(reply).await.is_err() {
            break;
        }
    }
}

/// A stoppable echo server.
pub fn echo_server_handle() -> Server {
    ws_server(|ws, _| echo_loop(ws, ""))
}

/// An echo server that prefixes text replies with `tag`, to tell servers apart.
pub fn tagged_echo_server(tag: &'static str) -> Server {
    ws_server(move |ws, _| echo_loop(ws, tag))
}

/// Starts an echo server that lives as long as the process; returns its address.
pub fn echo_server() -> SocketAddr {
    echo_server_handle().addr
}

/// Reads an HTTP request head (up to the blank line); `None` on EOF first.
pub async fn read_head(tcp: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A server that reads a request and answers with the fixed bytes `response`, then closes.
pub fn http_responder(response: &'static str) -> Server {
    serve(bind(None), move |mut tcp| async move {
        if read_head(&mut tcp).await.is_some() {
            let _ = tcp.write_all(response.as_bytes()).await;
            let _ = tcp.shutdown().await;
        }
    })
}

/// A server that accepts TCP connections and never says anything.
pub fn silent_server() -> Server {
    serve(bind(None), |tcp| async move {
        let _held = tcp;
        std::future::pending::<()>().await;
    })
}

/// An address where nothing listens (connecting is refused).
pub fn refused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A WebSocket server that completes the opening handshake by hand and gives `handler` the raw
/// TCP stream, to write frames no well-behaved library would.
pub fn raw_ws_server<F, Fut>(handler: F) -> Server
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    raw_ws_server_answering(None, handler)
}

/// Like [`raw_ws_server`], answering the handshake with `extensions` as its
/// `Sec-WebSocket-Extensions` header (whatever the client offered).
pub fn raw_ws_server_answering<F, Fut>(extensions: Option<&'static str>, handler: F) -> Server
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    serve(bind(None), move |mut tcp| {
        let handler = Arc::clone(&handler);
        async move {
            let Some(head) = read_head(&mut tcp).await else {
                return;
            };
            let key = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("sec-websocket-key")
                        .then(|| value.trim().to_string())
                })
                .expect("the client sent Sec-WebSocket-Key");
            let extensions = extensions
                .map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extensions}\r\n",
                derive_accept_key(key.as_bytes())
            );
            tcp.write_all(response.as_bytes()).await.unwrap();
            handler(tcp).await;
        }
    })
}

/// Like [`bind`], but waits (up to 5 s) for the port of a just stopped server: its listener is
/// dropped by its task, which ends a moment after [`Server::stop`].
pub fn bind_when_free(addr: Option<SocketAddr>) -> TcpListener {
    let addr = addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
    let _guard = server_runtime().enter();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        match socket.bind(addr).and_then(|()| socket.listen(1024)) {
            Ok(listener) => return listener,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("{addr} did not become free: {e}"),
        }
    }
}

/// What a [`hanging_server`] saw of one TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hang {
    /// A client connected; the server will never answer its handshake.
    Accepted,
    /// The client gave up and closed the connection.
    Released,
}

/// A server that accepts TCP connections and never answers the opening handshake (a connect
/// that hangs), on `bind` (e.g. the port of a stopped server) or a free port. Reports each
/// accept, and each connection the client let go, so a test knows a connect is in progress and
/// that its socket was released.
pub fn hanging_server(bind_to: Option<SocketAddr>) -> (Server, crossbeam_channel::Receiver<Hang>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = serve(bind_when_free(bind_to), move |mut tcp| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Hang::Accepted);
            let mut sink = [0u8; 1024];
            while let Ok(n) = tcp.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            let _ = tx.send(Hang::Released);
        }
    });
    (server, rx)
}

/// A WebSocket server that writes the raw bytes `frames` to each client, then reports the close
/// frame the client answers with (`None` when the client dropped the connection without one).
pub fn raw_frames_server(
    frames: Vec<Vec<u8>>,
) -> (
    Server,
    crossbeam_channel::Receiver<Option<super::frames::Frame>>,
) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = raw_ws_server(move |mut tcp| {
        let (tx, frames) = (tx.clone(), frames.clone());
        async move {
            for frame in frames {
                if tcp.write_all(&frame).await.is_err() {
                    break;
                }
            }
            let _ = tx.send(super::frames::read_until_close(&mut tcp).await);
        }
    });
    (server, rx)
}

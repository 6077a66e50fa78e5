//! Errors of the core and the result codes they become at the C ABI.
//!
//! Every failure carries a message naming the real cause (the DNS failure, the refused port, the
//! untrusted certificate, the HTTP status of a refused upgrade). Messages never contain secrets:
//! header values, proxy passwords and certificate passwords are never formatted into them.

use std::fmt;
use std::time::Duration;

/// The result code of every fallible C function. `Ok` is 0; every other value is an error whose
/// message can be read with `pode_ws_last_error`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodeWsResult {
    /// Success.
    Ok = 0,
    /// An argument is out of range or malformed (an empty name, an unknown message kind, ...).
    InvalidArgument = 1,
    /// A required pointer argument was NULL.
    NullPointer = 2,
    /// A string argument is not valid UTF-8, or a text message is not valid UTF-8.
    InvalidUtf8 = 3,
    /// The options JSON is malformed, has an unknown key or an invalid value.
    InvalidOptions = 4,
    /// The URL is malformed or its scheme is not `ws` or `wss`.
    InvalidUrl = 5,
    /// A connection with this name already exists.
    NameInUse = 6,
    /// No connection has this name.
    UnknownName = 7,
    /// The connection is not open (connecting, reconnecting or closed).
    NotOpen = 8,
    /// The connect or reset did not finish within the connect timeout.
    Timeout = 9,
    /// The connect or reset was cancelled by a disconnect, remove or shutdown.
    Cancelled = 10,
    /// A message is larger than the connection's maximum message size.
    MessageTooLarge = 11,
    /// The poller was closed (or the library shut down); create a new poller to poll again.
    Closed = 12,
    /// The caller's buffer is too small; the needed length is written to `out_len`.
    BufferTooSmall = 13,
    /// The host name could not be resolved.
    Dns = 14,
    /// The server (or proxy) refused the TCP connection.
    ConnectionRefused = 15,
    /// TLS failed: untrusted or invalid certificate, handshake failure, bad client certificate.
    Tls = 16,
    /// The server answered the opening handshake with an HTTP status other than 101.
    HandshakeRejected = 17,
    /// The proxy refused the tunnel or failed.
    Proxy = 18,
    /// Another network failure (unreachable, reset, ...).
    Network = 19,
    /// The peer broke the WebSocket protocol (bad handshake response, invalid frames).
    Protocol = 20,
    /// A panic was caught inside the library; the process is unharmed but the call failed.
    Panic = 21,
    /// An internal failure that should not happen (a bug); the message says more.
    Internal = 22,
    /// TLS: the server certificate is not trusted (unknown issuer, not issued for this host,
    /// expired or not yet valid). Trusting another CA, fixing the host name or the server's
    /// certificate helps; retrying does not.
    TlsUntrusted = 23,
    /// The opening handshake was redirected and the redirect was not followed: too many hops, a
    /// loop, a downgrade from wss:// to ws://, an invalid Location, or following is turned off.
    Redirect = 24,
    /// Automatic reconnection gave up: the attempt limit was reached in a row.
    ReconnectGaveUp = 25,
    /// The caller's reconnect handler (option `reconnect.awaitTarget`) reported a failure with
    /// `pode_ws_reconnect_fail`; that reconnect attempt counted as failed.
    ReconnectHandlerFailed = 26,
}

/// An error of the core: a result code and a message naming the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: PodeWsResult,
    pub message: String,
    /// The server's HTTP answer when it refused the opening handshake: the retry rules read
    /// the status and `Retry-After` here, never from the message.
    pub http: Option<HttpRefusal>,
}

/// What the server answered instead of `101 Switching Protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpRefusal {
    pub status: u16,
    /// `Retry-After` (delta-seconds, or an HTTP-date counted from when the answer arrived).
    pub retry_after: Option<Duration>,
}

impl Error {
    pub fn new(code: PodeWsResult, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            http: None,
        }
    }

    /// Keeps the HTTP answer of a refused handshake with the error.
    pub fn with_http(mut self, status: u16, retry_after: Option<Duration>) -> Self {
        self.http = Some(HttpRefusal {
            status,
            retry_after,
        });
        self
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(PodeWsResult::InvalidArgument, message)
    }

    pub fn unknown_name(name: &str) -> Self {
        Self::new(
            PodeWsResult::UnknownName,
            format!("no WebSocket connection is named '{name}'"),
        )
    }

    pub fn not_open(name: &str, state: &str) -> Self {
        Self::new(
            PodeWsResult::NotOpen,
            format!("the WebSocket connection '{name}' is not open (state: {state})"),
        )
    }

    /// Prefixes the message with context, keeping the code.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

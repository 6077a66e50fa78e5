//! Connection options: one JSON document parsed with serde.
//!
//! Every key is optional and camelCase; unknown keys are rejected so a typo is an error, not a
//! silently ignored setting. Durations are integers in milliseconds. Secrets (header values, proxy
//! and certificate passwords) are wrapped in [`Secret`], whose `Debug` never shows them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, PodeWsResult, Result};

/// A string that must never appear in errors, logs or stats.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Options {
    /// Extra HTTP headers of the opening handshake (e.g. Authorization). Values are secrets.
    pub headers: BTreeMap<String, Secret>,
    /// Subprotocols offered in `Sec-WebSocket-Protocol`, in order of preference.
    pub subprotocols: Vec<String>,
    /// Time allowed for DNS, TCP, proxy, TLS and the opening handshake together.
    pub connect_timeout_ms: u64,
    /// Send a ping after this much silence; 0 disables keepalive.
    pub ping_interval_ms: u64,
    /// A peer that sends nothing (not even a pong) this long after a ping is dead.
    pub pong_timeout_ms: u64,
    /// Time allowed for the peer to answer our close frame before the TCP connection is dropped.
    pub close_timeout_ms: u64,
    pub reconnect: ReconnectOptions,
    /// Largest incoming message (after reassembly of fragments), in bytes.
    pub max_message_size: usize,
    /// Largest incoming frame payload, in bytes; unset means `max_message_size` (most servers
    /// send a message as one frame, so a lower frame limit would silently cap messages).
    pub max_frame_size: Option<usize>,
    pub queue: QueueOptions,
    /// Size of the socket read buffer, in bytes (small keeps idle connections cheap).
    pub read_buffer_size: usize,
    /// Messages accepted by `send` but not yet written; a full queue makes `send` wait.
    pub send_queue: usize,
    pub tls: TlsOptions,
    /// The proxy: explicit, from the environment's proxy variables (the default), or none.
    pub proxy: Option<ProxyOptions>,
    /// Redirects of the opening handshake (301, 302, 303, 307, 308) followed before giving up;
    /// 0 does not follow any.
    pub max_redirects: u32,
    /// Records the steps of connects and closes under this id, readable with
    /// `pode_ws_trace_read` (also while the connect blocks, and after it failed).
    pub trace_id: Option<String>,
    /// Events of this connection are not handed to `pode_ws_poll`; the caller takes them with
    /// `pode_ws_poll_connection` (e.g. `Receive-PodeWebSocket` for a connection with no handler).
    pub manual_receive: bool,
    /// `pode_ws_connect` returns at once (state Connecting); the outcome arrives as events.
    pub background: bool,
    /// Lifecycle events kept per connection for `pode_ws_history` (0 keeps none).
    pub history_size: usize,
    pub compression: CompressionOptions,
}

/// permessage-deflate (RFC 7692): offered by default; the server decides whether it is used.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CompressionOptions {
    /// Offer compression. `false` offers nothing (and refuses a server that uses it anyway).
    pub enabled: bool,
    /// The largest window (9-15 bits) our compressor may use, offered as
    /// `client_max_window_bits=N`; unset offers the bare parameter (the server may pick).
    pub client_max_window_bits: Option<u8>,
    /// Ask the server to compress with at most this window (8-15 bits); it must confirm.
    pub server_max_window_bits: Option<u8>,
    /// Compress every outgoing message on its own (saves the compressor's window between
    /// messages at the cost of ratio).
    pub client_no_context_takeover: bool,
    /// Ask the server to compress every message on its own; it must confirm.
    pub server_no_context_takeover: bool,
    /// zlib level for outgoing messages, 0 (store) to 9 (smallest).
    pub level: u32,
}

impl Default for CompressionOptions {
    fn default() -> Self {
        CompressionOptions {
            enabled: true,
            client_max_window_bits: None,
            server_max_window_bits: None,
            client_no_context_takeover: false,
            server_no_context_takeover: false,
            level: 6,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ReconnectOptions {
    pub enabled: bool,
    pub initial_delay_ms: u64,
    pub max_delay_ms: u64,
    /// 0 means no limit.
    pub max_attempts: u32,
    /// Fraction (0..=1) of each delay that is randomised, so many clients do not retry in step.
    pub jitter: f64,
    /// Each attempt waits for the caller's answer to its Reconnecting event (a new URL and/or
    /// headers, or a failure), see `reconnect_target.rs`.
    pub await_target: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueOptions {
    /// Received events held for pollers before the connection stops reading the socket.
    pub max_events: usize,
    /// Received bytes held for pollers before the connection stops reading the socket.
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsOptions {
    /// Accept any certificate and host name. Only an explicit `true` disables verification.
    pub skip_verify: bool,
    /// Extra trusted CA certificates, PEM text (one or more certificates).
    pub ca_pem: Option<String>,
    /// Client certificate and key as PKCS#12, base64.
    pub client_pkcs12_base64: Option<Secret>,
    pub client_pkcs12_password: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyOptions {
    /// `http://host:port` (HTTP CONNECT), `socks5://host:port` (the target resolved here) or
    /// `socks5h://host:port` (resolved by the proxy). Used for every URL; wins over the
    /// environment.
    pub url: Option<String>,
    /// Credentials for the proxy in use (this one, or the one a variable names, whose own
    /// credentials they replace). Secret, like the password.
    pub username: Option<Secret>,
    pub password: Option<Secret>,
    /// Look at the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, and
    /// their lower-case forms) when no `url` is given.
    pub from_environment: bool,
    /// The proxy variables to use instead of the process environment's (a caller such as
    /// PowerShell keeps its own copy of the environment). Values are secrets.
    pub environment: Option<BTreeMap<String, Secret>>,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            url: None,
            username: None,
            password: None,
            from_environment: true,
            environment: None,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            headers: BTreeMap::new(),
            subprotocols: Vec::new(),
            connect_timeout_ms: 30_000,
            ping_interval_ms: 30_000,
            pong_timeout_ms: 10_000,
            close_timeout_ms: 5_000,
            reconnect: ReconnectOptions::default(),
            max_message_size: 64 << 20,
            max_frame_size: None,
            queue: QueueOptions::default(),
            read_buffer_size: 64 << 10,
            send_queue: 1024,
            tls: TlsOptions::default(),
            proxy: None,
            max_redirects: 5,
            trace_id: None,
            manual_receive: false,
            background: false,
            history_size: 100,
            compression: CompressionOptions::default(),
        }
    }
}

impl Default for ReconnectOptions {
    fn default() -> Self {
        ReconnectOptions {
            enabled: false,
            initial_delay_ms: 1_000,
            max_delay_ms: 30_000,
            max_attempts: 0,
            jitter: 0.2,
            await_target: false,
        }
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            max_events: 4096,
            max_bytes: 16 << 20,
        }
    }
}

/// The largest `sendQueue` accepted.
const MAX_SEND_QUEUE: usize = 1 << 20;
/// The largest `readBufferSize` accepted (64 MiB).
const MAX_READ_BUFFER: usize = 64 << 20;
/// The largest `historySize` accepted.
const MAX_HISTORY: usize = 10_000;
/// The largest `maxRedirects` accepted.
const MAX_REDIRECTS: u32 = 100;
/// The longest `traceId` accepted, in bytes.
const MAX_TRACE_ID: usize = 256;

/// Headers the client sets itself in the opening handshake: a value from the options would
/// break it, or offer what the client cannot do.
fn handshake_header(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "sec-websocket-extensions" => Some(
            "extensions (compression) are negotiated by the client itself; the header cannot be set",
        ),
        "sec-websocket-protocol" => Some("give the subprotocols in the subprotocols option"),
        "sec-websocket-key" | "sec-websocket-version" | "sec-websocket-accept" | "upgrade"
        | "connection" | "host" => Some("the client sets it for the opening handshake"),
        _ => None,
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::InvalidOptions, message)
}

/// serde also reads a struct from a JSON array, field by field in order, so `[]` or
/// `{"tls": [true]}` would be accepted (the latter as skipVerify!). Only objects are options.
fn check_objects(value: &serde_json::Value) -> Result<()> {
    let Some(top) = value.as_object() else {
        return Err(invalid(
            "invalid options JSON: the options must be a JSON object ({...})",
        ));
    };
    for section in [
        "reconnect",
        "queue",
        "tls",
        "proxy",
        "headers",
        "compression",
    ] {
        match top.get(section) {
            None | Some(serde_json::Value::Object(_)) => {}
            Some(serde_json::Value::Null) if section == "proxy" => {}
            Some(_) => {
                return Err(invalid(format!(
                    "invalid options JSON: {section} must be a JSON object ({{...}})"
                )))
            }
        }
    }
    Ok(())
}

impl Options {
    /// Parses and validates an options document. An empty document means all defaults.
    pub fn from_json(json: &str) -> Result<Options> {
        let options: Options = if json.trim().is_empty() {
            Options::default()
        } else {
            let value: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| invalid(format!("invalid options JSON: {e}")))?;
            check_objects(&value)?;
            Options::deserialize(&value)
                .map_err(|e| invalid(format!("invalid options JSON: {e}")))?
        };
        options.validate()?;
        Ok(options)
    }

    /// Checks the rules no type expresses (also for headers a reconnect handler returns).
    pub fn validate(&self) -> Result<()> {
        for (name, value) in &self.headers {
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).map_err(
                |_| {
                    invalid(format!(
                        "header name '{name}' is not a valid HTTP header name"
                    ))
                },
            )?;
            if let Some(why) = handshake_header(name) {
                return Err(invalid(format!("header '{name}' cannot be given: {why}")));
            }
            tokio_tungstenite::tungstenite::http::HeaderValue::from_str(&value.0).map_err(
                |_| {
                    invalid(format!(
                        "the value of header '{name}' is not a valid HTTP header value"
                    ))
                },
            )?;
        }
        for protocol in &self.subprotocols {
            let valid = !protocol.is_empty()
                && protocol
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
            if !valid {
                return Err(invalid(format!(
                    "subprotocol '{protocol}' is not a valid token"
                )));
            }
        }
        if self.connect_timeout_ms == 0 {
            return Err(invalid("connectTimeoutMs must be greater than 0"));
        }
        if self.ping_interval_ms > 0 && self.pong_timeout_ms == 0 {
            return Err(invalid(
                "pongTimeoutMs must be greater than 0 when pingIntervalMs is set",
            ));
        }
        if self.max_message_size == 0 || self.max_frame_size == Some(0) {
            return Err(invalid(
                "maxMessageSize and maxFrameSize must be greater than 0",
            ));
        }
        if self.queue.max_events == 0 || self.queue.max_bytes == 0 {
            return Err(invalid(
                "queue.maxEvents and queue.maxBytes must be greater than 0",
            ));
        }
        // Upper bounds: the read buffer is allocated up front (an impossible size aborts the
        // whole host process, it cannot be caught) and tokio panics on a channel capacity
        // beyond its limit.
        if !(1..=MAX_SEND_QUEUE).contains(&self.send_queue) {
            return Err(invalid(format!(
                "sendQueue must be between 1 and {MAX_SEND_QUEUE}"
            )));
        }
        if !(256..=MAX_READ_BUFFER).contains(&self.read_buffer_size) {
            return Err(invalid(format!(
                "readBufferSize must be between 256 and {MAX_READ_BUFFER}"
            )));
        }
        if self.history_size > MAX_HISTORY {
            return Err(invalid(format!(
                "historySize must be between 0 and {MAX_HISTORY}"
            )));
        }
        let r = &self.reconnect;
        if !(0.0..=1.0).contains(&r.jitter) {
            return Err(invalid("reconnect.jitter must be between 0 and 1"));
        }
        if r.initial_delay_ms > r.max_delay_ms {
            return Err(invalid(
                "reconnect.initialDelayMs must not exceed reconnect.maxDelayMs",
            ));
        }
        if self.max_redirects > MAX_REDIRECTS {
            return Err(invalid(format!(
                "maxRedirects must be between 0 and {MAX_REDIRECTS}"
            )));
        }
        if let Some(id) = &self.trace_id {
            if id.is_empty() || id.len() > MAX_TRACE_ID || id.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "traceId must be 1 to {MAX_TRACE_ID} bytes without control characters"
                )));
            }
        }
        let c = &self.compression;
        if matches!(c.client_max_window_bits, Some(bits) if !(9..=15).contains(&bits)) {
            return Err(invalid(
                "compression.clientMaxWindowBits must be between 9 and 15",
            ));
        }
        if matches!(c.server_max_window_bits, Some(bits) if !(8..=15).contains(&bits)) {
            return Err(invalid(
                "compression.serverMaxWindowBits must be between 8 and 15",
            ));
        }
        if c.level > 9 {
            return Err(invalid("compression.level must be between 0 and 9"));
        }
        if let Some(proxy) = &self.proxy {
            crate::proxy_env::ProxyPolicy::check(proxy)?;
        }
        Ok(())
    }

    /// The frame size limit in effect.
    pub fn frame_limit(&self) -> usize {
        self.max_frame_size.unwrap_or(self.max_message_size)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub fn close_timeout(&self) -> Duration {
        Duration::from_millis(self.close_timeout_ms)
    }

    /// The keepalive settings, or `None` when pings are disabled.
    pub fn keepalive(&self) -> Option<(Duration, Duration)> {
        (self.ping_interval_ms > 0).then(|| {
            (
                Duration::from_millis(self.ping_interval_ms),
                Duration::from_millis(self.pong_timeout_ms),
            )
        })
    }
}

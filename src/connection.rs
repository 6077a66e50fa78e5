//! The shared handle of one named connection: its state, counters, and the channels to its task.
//!
//! Callers on any thread use the handle; the connection task (see `task.rs`) owns the socket.
//! Blocking operations wait on a reply from the task, always with an upper bound.

use std::borrow::Cow;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, Sender};
use once_cell::sync::OnceCell;
use parking_lot::Mutex;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::deflate::Negotiated;
use crate::error::{Error, PodeWsResult, Result};
use crate::events::{Closer, Event, EventKind};
use crate::history::History;
use crate::hub::HUB;
use crate::options::{Options, TlsOptions};
use crate::proxy_env::{ProxyPolicy, ProxyUsed};
use crate::queue::{self, SendError};
use crate::reconnect_target::{Headers, TargetRequests};
use crate::redirect::redact_query;
use crate::stats::Stats;
use crate::trace::Tracer;
use crate::transport::{redact_url, Target};

/// The state of a connection, as seen at the C ABI (`pode_ws_state`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Connecting = 1,
    Open = 2,
    Reconnecting = 3,
    Closed = 4,
}

impl State {
    fn from_u32(value: u32) -> State {
        match value {
            1 => State::Connecting,
            2 => State::Open,
            3 => State::Reconnecting,
            _ => State::Closed,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Connecting => "Connecting",
            State::Open => "Open",
            State::Reconnecting => "Reconnecting",
            State::Closed => "Closed",
        }
    }
}

/// How the last session ended.
#[derive(Debug, Clone)]
pub struct CloseInfo {
    pub code: u16,
    pub reason: String,
    pub by: Closer,
    /// Set when the close was caused by a failure (limit, protocol error, lost connection).
    pub error: Option<Error>,
}

/// The last error, and whether a connect succeeded since (then it is past).
#[derive(Debug, Clone)]
struct LastError {
    message: String,
    code: PodeWsResult,
    at_ms: i64,
    current: bool,
}

/// A reply channel for a blocking caller.
pub type Waiter = Sender<Result<()>>;

/// What a caller asks of the connection task.
pub enum Command {
    Disconnect {
        code: u16,
        reason: String,
        done: Sender<()>,
    },
    Reset {
        target: Option<Target>,
        done: Waiter,
    },
    Remove {
        code: u16,
        reason: String,
        done: Sender<()>,
    },
}

/// Where the last successful connect arrived.
#[derive(Debug, Clone)]
struct Reached {
    /// The URL after redirects, query redacted.
    url: String,
    proxy: Option<(String, &'static str)>,
}

pub struct Connection {
    pub id: u64,
    pub name: Arc<str>,
    pub options: Options,
    /// How each connect (and each redirect hop) picks its proxy.
    pub proxies: ProxyPolicy,
    /// Built for the first wss:// hop (the URL, a redirect or a reset may lead there), then
    /// reused for every connect.
    tls: OnceCell<native_tls::TlsConnector>,
    /// The connect trace (option `traceId`), or none.
    pub trace: Tracer,
    reached: Mutex<Option<Reached>>,
    pub stats: Stats,
    pub history: History,
    /// The reconnect hook's pending request (option `reconnect.awaitTarget`).
    pub target_requests: TargetRequests,
    state: AtomicU32,
    target: Mutex<Target>,
    /// Headers the reconnect hook set; `None` means the options' headers.
    headers: Mutex<Option<Headers>>,
    subprotocol: Mutex<String>,
    compression: Mutex<Option<Negotiated>>,
    last_close: Mutex<Option<CloseInfo>>,
    last_error: Mutex<Option<LastError>>,
    opened_at_ms: AtomicI64,
    out_tx: queue::Sender<Message>,
    cmd_tx: queue::Sender<Command>,
}

/// The receiving ends, handed to the connection task.
pub struct TaskChannels {
    pub out_rx: queue::Receiver<Message>,
    pub cmd_rx: queue::Receiver<Command>,
}

/// Extra time a blocking caller allows beyond the task's own timeouts before giving up.
const REPLY_MARGIN: Duration = Duration::from_secs(5);

impl Connection {
    pub fn new(
        id: u64,
        name: &str,
        target: Target,
        options: Options,
    ) -> Result<(Arc<Connection>, TaskChannels)> {
        let proxies = ProxyPolicy::from_options(options.proxy.as_ref())?;
        proxies.check_credentials_used(&target)?;
        // Built now when it may be needed (so bad TLS options fail the connect), else lazily.
        let tls = OnceCell::new();
        if target.secure || options.tls != TlsOptions::default() {
            let _ = tls.set(crate::tls::build_connector(&options.tls)?);
        }
        let trace = Tracer::attach(options.trace_id.as_deref());
        let (out_tx, out_rx) = queue::bounded(options.send_queue);
        let (cmd_tx, cmd_rx) = queue::unbounded();
        let connection = Arc::new(Connection {
            id,
            name: Arc::from(name),
            proxies,
            tls,
            trace,
            reached: Mutex::new(None),
            stats: Stats::default(),
            history: History::new(options.history_size),
            target_requests: TargetRequests::default(),
            state: AtomicU32::new(State::Connecting as u32),
            target: Mutex::new(target),
            headers: Mutex::new(None),
            subprotocol: Mutex::new(String::new()),
            compression: Mutex::new(None),
            last_close: Mutex::new(None),
            last_error: Mutex::new(None),
            opened_at_ms: AtomicI64::new(0),
            out_tx,
            cmd_tx,
            options,
        });
        Ok((connection, TaskChannels { out_rx, cmd_rx }))
    }

    pub fn state(&self) -> State {
        State::from_u32(self.state.load(Ordering::Acquire))
    }

    pub fn set_state(&self, state: State) {
        self.state.store(state as u32, Ordering::Release);
    }

    pub fn target(&self) -> Target {
        self.target.lock().clone()
    }

    pub fn set_target(&self, target: Target) {
        *self.target.lock() = target;
    }

    /// The headers of the next handshake.
    pub fn headers(&self) -> Headers {
        self.headers
            .lock()
            .clone()
            .unwrap_or_else(|| self.options.headers.clone())
    }

    pub fn set_headers(&self, headers: Headers) {
        *self.headers.lock() = Some(headers);
    }

    /// The options of the next connect: the connection's, with the headers the reconnect hook
    /// set, if any.
    pub fn connect_options(&self) -> Cow<'_, Options> {
        match self.headers.lock().clone() {
            None => Cow::Borrowed(&self.options),
            Some(headers) => Cow::Owned(Options {
                headers,
                ..self.options.clone()
            }),
        }
    }

    /// The TLS connector, built on first use.
    pub fn tls_connector(&self) -> Result<native_tls::TlsConnector> {
        self.tls
            .get_or_try_init(|| crate::tls::build_connector(&self.options.tls))
            .cloned()
    }

    /// Remembers where a connect arrived (after redirects) and through which proxy.
    pub fn set_reached(&self, target: &Target, proxy: Option<&ProxyUsed>) {
        *self.reached.lock() = Some(Reached {
            url: redact_query(&target.url),
            proxy: proxy.map(|p| (p.proxy.address(), p.source)),
        });
    }

    pub fn set_opened(&self, subprotocol: String, compression: Option<Negotiated>) {
        *self.subprotocol.lock() = subprotocol;
        *self.compression.lock() = compression;
        self.opened_at_ms
            .store(crate::events::now_unix_ms(), Ordering::Relaxed);
        if let Some(last) = self.last_error.lock().as_mut() {
            last.current = false;
        }
        self.set_state(State::Open);
    }

    /// Whether the connection was ever open (a later open is a reconnect).
    pub fn has_opened(&self) -> bool {
        self.opened_at_ms.load(Ordering::Relaxed) != 0
    }

    pub fn record_close(&self, info: &CloseInfo) {
        *self.last_close.lock() = Some(info.clone());
        if let Some(error) = &info.error {
            self.record_error(error);
        }
    }

    pub fn record_error(&self, error: &Error) {
        *self.last_error.lock() = Some(LastError {
            message: error.message.clone(),
            code: error.code,
            at_ms: crate::events::now_unix_ms(),
            current: true,
        });
    }

    /// Queues an event for the pollers; `false` means the queue is full (see `Hub::push`).
    /// Lifecycle events are kept in the history too (messages never pass through here).
    pub fn emit(&self, event: Event) -> bool {
        self.history.record(&event);
        HUB.push(event)
    }

    pub fn event(&self, kind: EventKind, data: Bytes) -> Event {
        Event::new(self.id, kind, data)
    }

    pub fn emit_error(&self, error: &Error) {
        self.emit_attempt_error(error, 0);
    }

    /// Reports the failure of reconnect attempt `attempt` (0: not a reconnect attempt).
    pub fn emit_attempt_error(&self, error: &Error, attempt: u32) {
        self.record_error(error);
        let mut event = self.event(EventKind::Error, Bytes::from(error.message.clone()));
        event.code = error.code as u32;
        event.attempt = attempt;
        self.emit(event);
    }

    /// Queues a message for sending. Waits while the send queue is full.
    pub fn send(&self, binary: bool, data: Vec<u8>) -> Result<()> {
        let state = self.state();
        if state != State::Open {
            return Err(Error::not_open(&self.name, state.name()));
        }
        let message = if binary {
            Message::Binary(Bytes::from(data))
        } else {
            let text = Utf8Bytes::try_from(data).map_err(|_| {
                Error::new(
                    PodeWsResult::InvalidUtf8,
                    "a text message must be valid UTF-8 (send it as binary instead)",
                )
            })?;
            Message::Text(text)
        };
        match self.out_tx.try_send(message) {
            Ok(()) => Ok(()),
            Err(SendError::Full(message)) => self
                .out_tx
                .send_blocking(message)
                .map_err(|_| Error::not_open(&self.name, "Closed")),
            Err(SendError::Closed(_)) => Err(Error::not_open(&self.name, "Closed")),
        }
    }

    fn command(&self, command: Command) -> Result<()> {
        self.cmd_tx
            .try_send(command)
            .map_err(|_| Error::new(PodeWsResult::Internal, "the connection task has ended"))
    }

    fn wait<T>(&self, rx: &Receiver<T>, limit: Duration, what: &str) -> Result<T> {
        rx.recv_timeout(limit).map_err(|_| {
            Error::new(
                PodeWsResult::Timeout,
                format!(
                    "{what} of '{}' did not finish within {} ms",
                    self.name,
                    limit.as_millis()
                ),
            )
        })
    }

    /// Closes with `code` and `reason` and waits for the close handshake (bounded by the close
    /// timeout). Stops any reconnect. Closing a closed connection succeeds.
    pub fn disconnect(&self, code: u16, reason: &str) -> Result<()> {
        let (done, rx) = bounded(1);
        self.command(Command::Disconnect {
            code,
            reason: reason.to_string(),
            done,
        })?;
        self.wait(
            &rx,
            self.options.close_timeout() + REPLY_MARGIN,
            "disconnect",
        )
    }

    /// Closes, then connects again (to `target` when given) and waits for the result.
    pub fn reset(&self, target: Option<Target>) -> Result<()> {
        let (done, rx) = bounded(1);
        self.command(Command::Reset { target, done })?;
        let limit = self.options.close_timeout() + self.options.connect_timeout() + REPLY_MARGIN;
        self.wait(&rx, limit, "reset")?
    }

    /// Closes and ends the connection task, waiting for it (bounded by the close timeout).
    pub fn stop(&self, code: u16, reason: &str) -> Result<()> {
        let rx = self.begin_stop(code, reason)?;
        self.wait(&rx, self.stop_limit(), "remove")
    }

    /// Asks the task to close and end; the receiver gets a value when it has.
    pub fn begin_stop(&self, code: u16, reason: &str) -> Result<Receiver<()>> {
        let (done, rx) = bounded(1);
        self.command(Command::Remove {
            code,
            reason: reason.to_string(),
            done,
        })?;
        Ok(rx)
    }

    /// The longest a stop may take.
    pub fn stop_limit(&self) -> Duration {
        self.options.close_timeout() + REPLY_MARGIN
    }

    /// A JSON description for `pode_ws_info`: no option values, no secrets.
    pub fn info(&self) -> serde_json::Value {
        let (queued_events, queued_bytes) = HUB.queued(self.id);
        let last_close = self.last_close.lock().clone().map(|c| {
            serde_json::json!({
                "code": c.code,
                "reason": c.reason,
                "closedBy": match c.by {
                    Closer::Local => "Local",
                    Closer::Remote => "Remote",
                    Closer::Lost => "Lost",
                    Closer::None => "None",
                },
            })
        });
        let last_error = self.last_error.lock().clone().map(|e| {
            serde_json::json!({
                "message": e.message,
                "code": e.code as u32,
                "atMs": e.at_ms,
                "current": e.current,
            })
        });
        let reached = self.reached.lock().clone();
        let proxy = reached
            .as_ref()
            .and_then(|r| r.proxy.as_ref())
            .map(|(url, source)| serde_json::json!({ "url": url, "source": source }));
        serde_json::json!({
            "id": self.id,
            "name": &*self.name,
            "url": redact_url(&self.target.lock().url),
            "connectedUrl": reached.map(|r| r.url),
            "proxy": proxy,
            "traceId": self.options.trace_id,
            "state": self.state().name(),
            "subprotocol": &*self.subprotocol.lock(),
            "messagesIn": Stats::get(&self.stats.messages_in),
            "bytesIn": Stats::get(&self.stats.bytes_in),
            "messagesOut": Stats::get(&self.stats.messages_out),
            "bytesOut": Stats::get(&self.stats.bytes_out),
            "wireBytesIn": Stats::get(&self.stats.wire.bytes_in),
            "wireBytesOut": Stats::get(&self.stats.wire.bytes_out),
            "compression": self.compression.lock().map_or_else(
                || serde_json::json!({ "negotiated": false }),
                Negotiated::to_json,
            ),
            "reconnects": Stats::get(&self.stats.reconnects),
            "queuedEvents": queued_events,
            "queuedBytes": queued_bytes,
            "openedAtMs": self.opened_at_ms.load(Ordering::Relaxed),
            "lastClose": last_close,
            "lastError": last_error,
        })
    }
}

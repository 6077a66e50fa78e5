//! One open WebSocket: reading into the event queue, writing the send queue, keepalive, and the
//! close handshake.
//!
//! The session is a hand-written poll loop over a single `WebSocketStream` rather than split
//! read/write futures: nothing is ever held inside a cancelled future (no message can be lost),
//! reads and writes progress independently (an echoing peer cannot deadlock us), and one flush
//! covers every message written in the same wake-up.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, Stream};
use tokio::time::{sleep, Instant, Sleep};
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Utf8Bytes};
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};

use crate::connection::{CloseInfo, Command, Connection, State};
use crate::error::{Error, PodeWsResult};
use crate::events::{now_unix_ms, Closer, Event, EventKind};
use crate::hub::{Room, HUB};
use crate::queue;
use crate::transport::WsStream;

/// Messages read per wake-up before yielding to other connections (a 16 KiB socket read holds
/// about 450 small messages).
const READ_BUDGET: usize = 1024;
/// Messages written per wake-up before yielding to other connections.
const WRITE_BUDGET: usize = 256;
/// After a protocol failure, how long we try to deliver our close frame before dropping TCP.
const FAIL_FLUSH_LIMIT: Duration = Duration::from_secs(2);

/// Messages read in one wake-up, queued together (the events themselves gather in
/// `Session::burst`, whose allocation is reused).
struct Burst {
    timestamp_ms: i64,
    messages: u64,
    bytes: u64,
}

/// How a session ended, and the command that ended it (to be acknowledged by the task).
pub struct SessionEnd {
    pub info: CloseInfo,
    pub command: Option<Command>,
}

struct Keepalive {
    interval: Duration,
    timeout: Duration,
    timer: Pin<Box<Sleep>>,
    last_seen: Instant,
    ping_sent_at: Option<Instant>,
    /// Socket reads counted by the metered stream; a change means the peer is sending.
    reads: Arc<AtomicU64>,
    reads_seen: u64,
}

/// A point in time the session must not wait past. The clock is read directly as well as the
/// timer polled: a session kept busy by a flooding peer may find its timer not yet fired (tokio
/// fires timers between tasks and a task out of cooperative budget sees every timer pending),
/// and must still give up on time.
struct Deadline {
    at: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Deadline {
    fn after(duration: Duration) -> Deadline {
        let at = Instant::now() + duration;
        Deadline {
            at,
            timer: Box::pin(tokio::time::sleep_until(at)),
        }
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready() || Instant::now() >= self.at
    }
}

/// A close in progress: either graceful (drain the send queue, send close, wait for the reply)
/// or failing (send close after an error, then drop the connection).
struct Closing {
    frame: Option<CloseFrame>,
    graceful: bool,
    deadline: Deadline,
    info: CloseInfo,
    command: Option<Command>,
    /// The peer's close frame arrived (for the trace).
    answered: bool,
}

pub struct Session<'a> {
    conn: &'a Connection,
    ws: Box<WsStream>,
    out_rx: &'a mut queue::Receiver<Message>,
    cmd_rx: &'a mut queue::Receiver<Command>,
    keepalive: Option<Keepalive>,
    /// Events of the current burst, not yet queued. The allocation is kept while messages flow
    /// (up to `READ_BUDGET` events of 104 bytes), and dropped after a trickle or an idle interval.
    burst: Vec<Event>,
    unflushed: bool,
    ping_due: bool,
    backpressured: bool,
    remote_close: Option<(u16, String)>,
    remote_deadline: Option<Deadline>,
    closing: Option<Closing>,
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    // A close reason is at most 123 bytes; cut at a character boundary.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from(&reason[..end]),
    }
}

impl<'a> Session<'a> {
    pub fn new(
        conn: &'a Connection,
        ws: Box<WsStream>,
        reads: Arc<AtomicU64>,
        out_rx: &'a mut queue::Receiver<Message>,
        cmd_rx: &'a mut queue::Receiver<Command>,
    ) -> Self {
        let keepalive = conn
            .options
            .keepalive()
            .map(|(interval, timeout)| Keepalive {
                interval,
                timeout,
                timer: Box::pin(sleep(interval)),
                last_seen: Instant::now(),
                ping_sent_at: None,
                reads: Arc::clone(&reads),
                reads_seen: 0,
            });
        Session {
            conn,
            ws,
            out_rx,
            cmd_rx,
            keepalive,
            burst: Vec::new(),
            unflushed: false,
            ping_due: false,
            backpressured: false,
            remote_close: None,
            remote_deadline: None,
            closing: None,
        }
    }

    /// Runs until the connection is closed or lost.
    pub async fn run(mut self) -> SessionEnd {
        self.conn.trace.begin("session");
        let end = std::future::poll_fn(|cx| self.poll_session(cx)).await;
        let info = &end.info;
        self.conn.trace.record("closed", || match info.by {
            Closer::Remote => format!("closed by the server: {} '{}'", info.code, info.reason),
            Closer::Lost => format!("connection lost: {}", info.reason),
            _ => format!(
                "closed ({} '{}') after {}",
                info.code,
                info.reason,
                crate::trace::took(self.conn.trace.elapsed())
            ),
        });
        end
    }

    fn poll_session(&mut self, cx: &mut Context<'_>) -> Poll<SessionEnd> {
        if self.closing.is_none() {
            if let Poll::Ready(command) = self.cmd_rx.poll_recv(cx) {
                self.begin_command_close(command);
            }
        }
        if let Some(end) = self.pump_reads(cx) {
            return Poll::Ready(end);
        }
        if let Some(end) = self.poll_keepalive(cx) {
            return Poll::Ready(end);
        }
        if let Err(e) = self.pump_writes(cx) {
            return Poll::Ready(self.end_lost(e));
        }
        if let Some(closing) = &mut self.closing {
            let frame_delivered = closing.frame.is_none() && !self.unflushed;
            if (frame_delivered && !closing.graceful) || closing.deadline.expired(cx) {
                return Poll::Ready(self.finish_closing());
            }
        }
        if let Some(deadline) = &mut self.remote_deadline {
            if deadline.expired(cx) {
                return Poll::Ready(self.end_stream_closed());
            }
        }
        Poll::Pending
    }

    fn begin_command_close(&mut self, command: Option<Command>) {
        let (code, reason) = match &command {
            Some(Command::Disconnect { code, reason, .. })
            | Some(Command::Remove { code, reason, .. }) => (*code, reason.clone()),
            Some(Command::Reset { .. }) => (1000, "reset".to_string()),
            None => (1001, "going away".to_string()),
        };
        self.conn.set_state(State::Closed);
        let info = CloseInfo {
            code,
            reason: reason.clone(),
            by: Closer::Local,
            error: None,
        };
        let frame = (self.remote_close.is_none()).then(|| close_frame(code, &reason));
        self.conn.trace.begin("close");
        self.conn.trace.record("close", || match &frame {
            Some(_) => format!(
                "closing with {code} '{reason}' (waiting up to {} ms for the server's answer)",
                self.conn.options.close_timeout_ms
            ),
            None => "closing: answering the server's close".to_string(),
        });
        self.closing = Some(Closing {
            frame,
            graceful: true,
            deadline: Deadline::after(self.conn.options.close_timeout()),
            info,
            command,
            answered: self.remote_close.is_some(),
        });
    }

    /// Fails the connection after a protocol or limit violation: close frame, then drop.
    fn begin_failing_close(&mut self, code: u16, reason: &str, error: Error) {
        self.conn.set_state(State::Closed);
        let limit = self.conn.options.close_timeout().min(FAIL_FLUSH_LIMIT);
        self.conn.trace.begin("close");
        self.conn.trace.record("close", || {
            format!("failing the connection with {code}: {}", error.message)
        });
        self.closing = Some(Closing {
            frame: Some(close_frame(code, reason)),
            graceful: false,
            deadline: Deadline::after(limit),
            info: CloseInfo {
                code,
                reason: reason.to_string(),
                by: Closer::Local,
                error: Some(error),
            },
            command: None,
            answered: false,
        });
    }

    /// Reads what the socket has, up to the room left in the event queue and the budget, and
    /// queues the messages as one burst: one lock, one clock reading and at most one poller
    /// wake-up per burst rather than per message.
    fn pump_reads(&mut self, cx: &mut Context<'_>) -> Option<SessionEnd> {
        if matches!(&self.closing, Some(c) if !c.graceful) {
            return None;
        }
        // The queue limit holds while our close is in progress too: a peer that keeps sending
        // instead of answering the close frame would otherwise fill memory without bound until
        // the close timeout. With a full queue the close reply waits for a poller (or the close
        // timeout ends the connection). After the peer's close frame nothing more may come, so
        // reading on to the end of the stream is safe.
        let bounded = self.remote_close.is_none();
        let mut room = if bounded {
            match HUB.room(self.conn.id, cx.waker()) {
                Some(room) => room,
                None => {
                    self.backpressured = true;
                    return None;
                }
            }
        } else {
            Room {
                events: usize::MAX,
                bytes: usize::MAX,
            }
        };
        self.backpressured = false;
        let mut burst = Burst {
            timestamp_ms: now_unix_ms(),
            messages: 0,
            bytes: 0,
        };
        let mut end = None;
        let mut budget_spent = true;
        for _ in 0..READ_BUDGET {
            if room.events == 0 || room.bytes == 0 {
                self.backpressured = true;
                budget_spent = false;
                break;
            }
            match Pin::new(&mut self.ws).poll_next(cx) {
                Poll::Pending => {
                    budget_spent = false;
                    break;
                }
                Poll::Ready(None) => {
                    end = Some(self.end_stream_closed());
                    break;
                }
                Poll::Ready(Some(Err(e))) => {
                    end = self.on_read_error(e);
                    budget_spent = false;
                    break;
                }
                Poll::Ready(Some(Ok(message))) => {
                    if let Some(size) = self.on_message(message, &mut burst) {
                        room.events -= 1;
                        room.bytes = room.bytes.saturating_sub(size);
                    }
                }
            }
            if matches!(&self.closing, Some(c) if !c.graceful) {
                budget_spent = false;
                break;
            }
        }
        if burst.messages > 0 {
            if let Some(keepalive) = &mut self.keepalive {
                keepalive.last_seen = Instant::now();
                keepalive.ping_sent_at = None;
            }
            // Counted before they are queued: a consumer that has the messages sees them in
            // the connection's info.
            self.conn.stats.count_in(burst.messages, burst.bytes);
            // Every message goes to the queue before anything this session reports next.
            HUB.push_many(self.conn.id, &mut self.burst);
            if burst.messages < 16 {
                // A trickle: no buffer worth keeping for the next wake-up.
                self.burst = Vec::new();
            }
        }
        if end.is_some() {
            return end;
        }
        if self.backpressured {
            // Register for a wake-up when a poller makes room (or go on if it already has).
            if HUB.room(self.conn.id, cx.waker()).is_some() {
                self.backpressured = false;
                cx.waker().wake_by_ref();
            }
        } else if budget_spent {
            // More may be buffered: come back after other connections had their turn.
            cx.waker().wake_by_ref();
        }
        None
    }

    /// Handles one message; returns its size when it was queued as an event.
    fn on_message(&mut self, message: Message, burst: &mut Burst) -> Option<usize> {
        let (kind, bytes, owner) = match message {
            // An empty message may be the skeleton of one the bulk layer read (see bulk.rs).
            Message::Text(text) => match self.ws.get_mut().take_message() {
                Some(taken) => (EventKind::Text, taken.data, taken.owner),
                None => (EventKind::Text, Bytes::from(text), 0),
            },
            Message::Binary(bytes) => match self.ws.get_mut().take_message() {
                Some(taken) => (EventKind::Binary, taken.data, taken.owner),
                None => (EventKind::Binary, bytes, 0),
            },
            // tungstenite queues the pong; make sure the write side flushes it.
            Message::Ping(_) => {
                self.unflushed = true;
                return None;
            }
            Message::Pong(_) | Message::Frame(_) => return None,
            Message::Close(frame) => {
                let (code, reason) = frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
                self.unflushed = true;
                if let Some(closing) = &mut self.closing {
                    if !closing.answered {
                        closing.answered = true;
                        let elapsed = self.conn.trace.elapsed();
                        self.conn.trace.record("close", || {
                            format!(
                                "the server answered the close with {code} '{reason}' after {}",
                                crate::trace::took(elapsed)
                            )
                        });
                    }
                } else {
                    self.conn.set_state(State::Closed);
                    self.remote_close = Some((code, reason));
                    self.remote_deadline = Some(Deadline::after(self.conn.options.close_timeout()));
                }
                return None;
            }
        };
        let size = bytes.len();
        burst.messages += 1;
        burst.bytes += size as u64;
        let mut event = Event::at(self.conn.id, kind, bytes, burst.timestamp_ms);
        event.data_owner = owner;
        self.burst.push(event);
        Some(size)
    }

    fn on_read_error(&mut self, error: WsError) -> Option<SessionEnd> {
        match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed => Some(self.end_stream_closed()),
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                // The bulk layer knows the real sizes of a message it refused.
                let cause = match self.ws.get_ref().failure() {
                    Some(why) => why.to_string(),
                    None => format!(
                        "an incoming message of at least {size} bytes exceeds the limit of {max_size} bytes"
                    ),
                };
                let error = Error::new(
                    PodeWsResult::MessageTooLarge,
                    format!("{cause}; closed with 1009"),
                );
                self.begin_failing_close(1009, "message too big", error);
                None
            }
            WsError::Utf8(_) => {
                let error = Error::new(
                    PodeWsResult::InvalidUtf8,
                    "the server sent a text message that is not valid UTF-8; closed with 1007",
                );
                self.begin_failing_close(1007, "invalid UTF-8 in a text message", error);
                None
            }
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                Some(self.end_stream_closed())
            }
            WsError::Protocol(e) => {
                // The compression layer hands tungstenite a refused frame when data does not
                // inflate; it knows the real cause.
                let cause = match self.ws.get_ref().get_ref().failure() {
                    Some(why) => why.to_string(),
                    None => format!("the server broke the WebSocket protocol ({e})"),
                };
                let error =
                    Error::new(PodeWsResult::Protocol, format!("{cause}; closed with 1002"));
                self.begin_failing_close(1002, "protocol error", error);
                None
            }
            other => Some(self.end_lost(other)),
        }
    }

    fn poll_keepalive(&mut self, cx: &mut Context<'_>) -> Option<SessionEnd> {
        if self.closing.is_some() || self.remote_close.is_some() {
            return None;
        }
        let keepalive = self.keepalive.as_mut()?;
        while keepalive.timer.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            let reads = keepalive.reads.load(Ordering::Relaxed);
            // Bytes arrived (perhaps part of a large frame): the peer is alive. And while we
            // are not reading (backpressure), silence proves nothing.
            if reads != keepalive.reads_seen || self.backpressured {
                keepalive.reads_seen = reads;
                keepalive.last_seen = now;
                keepalive.ping_sent_at = None;
            }
            if let Some(sent) = keepalive.ping_sent_at {
                if now >= sent + keepalive.timeout {
                    let error = Error::new(
                        PodeWsResult::Network,
                        format!(
                            "no answer to a ping within {} ms: the server or the network stopped responding",
                            keepalive.timeout.as_millis()
                        ),
                    );
                    return Some(SessionEnd {
                        info: CloseInfo {
                            code: 1006,
                            reason: error.message.clone(),
                            by: Closer::Lost,
                            error: Some(error),
                        },
                        command: None,
                    });
                }
                keepalive.timer.as_mut().reset(sent + keepalive.timeout);
            } else if now >= keepalive.last_seen + keepalive.interval {
                // Idle for a whole interval: buffers kept for the next messages go.
                self.ws.get_mut().release_spares();
                self.burst = Vec::new();
                self.ping_due = true;
                keepalive.ping_sent_at = Some(now);
                keepalive.timer.as_mut().reset(now + keepalive.timeout);
            } else {
                keepalive
                    .timer
                    .as_mut()
                    .reset(keepalive.last_seen + keepalive.interval);
            }
        }
        None
    }

    /// Writes queued messages, a due ping, and the close frame, then flushes once.
    fn pump_writes(&mut self, cx: &mut Context<'_>) -> Result<(), WsError> {
        let mut written = 0;
        loop {
            if written >= WRITE_BUDGET {
                cx.waker().wake_by_ref();
                break;
            }
            let wants_more = self.ping_due
                || self.closing.as_ref().is_some_and(|c| c.frame.is_some())
                || (self.remote_close.is_none() && !self.is_failing());
            if !wants_more {
                break;
            }
            match Pin::new(&mut self.ws).poll_ready(cx) {
                Poll::Pending => break,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Ready(Ok(())) => {}
            }
            let Some(message) = self.next_outgoing(cx) else {
                break;
            };
            match &message {
                Message::Text(_) | Message::Binary(_) => self.conn.stats.count_out(message.len()),
                Message::Close(frame) => self.conn.trace.record("close", || {
                    let code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
                    format!("close frame {code} sent")
                }),
                _ => {}
            }
            Pin::new(&mut self.ws).start_send(message)?;
            self.unflushed = true;
            written += 1;
        }
        if self.unflushed {
            match Pin::new(&mut self.ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(WsError::ConnectionClosed)) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => {}
            }
        }
        Ok(())
    }

    fn is_failing(&self) -> bool {
        matches!(&self.closing, Some(c) if !c.graceful)
    }

    /// The next frame to write: messages the caller queued (also while a graceful close drains
    /// them), then a due ping, then the close frame once the queue is empty.
    fn next_outgoing(&mut self, cx: &mut Context<'_>) -> Option<Message> {
        let sending_allowed = self.remote_close.is_none() && !self.is_failing();
        if sending_allowed {
            if let Poll::Ready(Some(message)) = self.out_rx.poll_recv(cx) {
                return Some(message);
            }
        }
        if self.ping_due {
            self.ping_due = false;
            return Some(Message::Ping(Bytes::new()));
        }
        if let Some(closing) = &mut self.closing {
            // The close frame goes only after the last queued message (one may have come
            // since `poll_recv` found the queue empty).
            if sending_allowed && !self.out_rx.is_empty() {
                return None;
            }
            if let Some(frame) = closing.frame.take() {
                return Some(Message::Close(Some(frame)));
            }
        }
        None
    }

    fn finish_closing(&mut self) -> SessionEnd {
        let closing = self.closing.take().expect("closing is set");
        if !closing.answered && closing.graceful {
            let limit = self.conn.options.close_timeout_ms;
            let timed_out = Instant::now() >= closing.deadline.at;
            self.conn.trace.record("close", || {
                if timed_out {
                    format!("no answer to the close within the close timeout ({limit} ms): the connection is dropped")
                } else {
                    "the server ended the connection without answering the close".to_string()
                }
            });
        }
        SessionEnd {
            info: closing.info,
            command: closing.command,
        }
    }

    /// The stream ended: after our close (the peer answered), after theirs, or without any.
    fn end_stream_closed(&mut self) -> SessionEnd {
        if self.closing.is_some() {
            return self.finish_closing();
        }
        match self.remote_close.take() {
            Some((code, reason)) => SessionEnd {
                info: CloseInfo {
                    code,
                    reason,
                    by: Closer::Remote,
                    error: None,
                },
                command: None,
            },
            None => {
                let error = Error::new(
                    PodeWsResult::Network,
                    "the server closed the connection without a close frame",
                );
                SessionEnd {
                    info: CloseInfo {
                        code: 1006,
                        reason: error.message.clone(),
                        by: Closer::Lost,
                        error: Some(error),
                    },
                    command: None,
                }
            }
        }
    }

    fn end_lost(&mut self, error: WsError) -> SessionEnd {
        if let Some(closing) = self.closing.take() {
            // The socket failed while we were closing: the close is done as far as we can tell.
            return SessionEnd {
                info: closing.info,
                command: closing.command,
            };
        }
        if let Some((code, reason)) = self.remote_close.take() {
            return SessionEnd {
                info: CloseInfo {
                    code,
                    reason,
                    by: Closer::Remote,
                    error: None,
                },
                command: None,
            };
        }
        let error = Error::new(
            PodeWsResult::Network,
            format!("the connection was lost: {error}"),
        );
        SessionEnd {
            info: CloseInfo {
                code: 1006,
                reason: error.message.clone(),
                by: Closer::Lost,
                error: Some(error),
            },
            command: None,
        }
    }
}

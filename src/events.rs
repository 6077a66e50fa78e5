//! What a connection reports to its pollers: messages and lifecycle events.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio_tungstenite::tungstenite::Bytes;

/// The kind of an event, as seen at the C ABI (`PodeWsEvent::kind`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A complete text message; `data` is its UTF-8 bytes.
    Text = 1,
    /// A complete binary message; `data` is its bytes.
    Binary = 2,
    /// The opening handshake succeeded; `data` is the URL, `extra` the negotiated subprotocol.
    Opened = 3,
    /// The connection closed; `code`, `closed_by` and `data` (the reason) say how, `extra` the
    /// failure that caused it (empty when none).
    Closed = 4,
    /// Something failed; `data` is the message, `code` the `PodeWsResult` category, `attempt`
    /// the reconnect attempt that failed (0 when none).
    Error = 5,
    /// A reconnect attempt is scheduled; `attempt` and `delay_ms` say when, `data` and `code`
    /// why (the cause), `extra` the URL it will use.
    Reconnecting = 6,
}

/// Who ended a connection, as seen at the C ABI (`PodeWsEvent::closed_by`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// Not a close event.
    None = 0,
    /// This side closed: disconnect, reset, remove, shutdown, or a limit this side enforces.
    Local = 1,
    /// The server sent a close frame.
    Remote = 2,
    /// The connection was lost without a close handshake (TCP reset, EOF, ping timeout).
    Lost = 3,
}

/// One event of one connection. Payloads are reference-counted, never copied on the way to C.
/// The connection's name is not stored per event: the hub hands it out once per batch.
#[derive(Debug, Clone)]
pub struct Event {
    pub connection_id: u64,
    pub kind: EventKind,
    pub data: Bytes,
    pub extra: Bytes,
    pub code: u32,
    pub closed_by: Closer,
    pub attempt: u32,
    pub delay_ms: u64,
    pub timestamp_ms: i64,
    /// The payload allocator's owner token when `data` is in one of its buffers, else 0
    /// (payload_alloc.rs).
    pub data_owner: usize,
}

pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Event {
    pub fn new(connection_id: u64, kind: EventKind, data: Bytes) -> Event {
        Event::at(connection_id, kind, data, now_unix_ms())
    }

    /// An event with a given timestamp (one clock reading serves a whole burst of messages).
    pub fn at(connection_id: u64, kind: EventKind, data: Bytes, timestamp_ms: i64) -> Event {
        Event {
            connection_id,
            kind,
            data,
            extra: Bytes::new(),
            code: 0,
            closed_by: Closer::None,
            attempt: 0,
            delay_ms: 0,
            timestamp_ms,
            data_owner: 0,
        }
    }

    /// The bytes this event holds, counted against the queue's byte limit.
    pub fn weight(&self) -> usize {
        self.data.len() + self.extra.len()
    }

    pub fn is_message(&self) -> bool {
        matches!(self.kind, EventKind::Text | EventKind::Binary)
    }
}

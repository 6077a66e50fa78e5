//! The recent life of one connection: its last lifecycle events (opens, closes, reconnect
//! attempts, errors), kept after pollers took them, so a user can see in the morning why a
//! connection flapped at night (`pode_ws_history`).
//!
//! Only lifecycle events are kept: messages never pass through here, so the per-message path
//! costs nothing. The entries are the events themselves (their payloads are shared, not
//! copied), turned into JSON only when read.

use std::collections::VecDeque;

use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::error::PodeWsResult;
use crate::events::{Closer, Event, EventKind};

/// The last `limit` lifecycle events of one connection, oldest first.
pub struct History {
    limit: usize,
    entries: Mutex<VecDeque<Event>>,
}

impl History {
    pub fn new(limit: usize) -> History {
        History {
            limit,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Keeps a lifecycle event, dropping the oldest beyond the limit. Messages are ignored.
    pub fn record(&self, event: &Event) {
        if self.limit == 0 || event.is_message() {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() == self.limit {
            entries.pop_front();
        }
        entries.push_back(event.clone());
    }

    /// The entries as a JSON array, oldest first.
    pub fn to_json(&self) -> String {
        let entries: Vec<Value> = self.entries.lock().iter().map(entry).collect();
        Value::Array(entries).to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn closer(by: Closer) -> &'static str {
    match by {
        Closer::Local => "Local",
        Closer::Remote => "Remote",
        Closer::Lost => "Lost",
        Closer::None => "None",
    }
}

/// One entry: `atMs` (Unix milliseconds UTC), `event`, and what that kind of event says.
fn entry(event: &Event) -> Value {
    let at = event.timestamp_ms;
    match event.kind {
        EventKind::Opened => json!({
            "atMs": at,
            "event": "opened",
            "url": text(&event.data),
            "subprotocol": text(&event.extra),
        }),
        EventKind::Closed => json!({
            "atMs": at,
            "event": "closed",
            "code": event.code,
            "reason": text(&event.data),
            "closedBy": closer(event.closed_by),
            "cause": (!event.extra.is_empty()).then(|| text(&event.extra)),
        }),
        EventKind::Reconnecting => json!({
            "atMs": at,
            "event": "reconnecting",
            "attempt": event.attempt,
            "delayMs": event.delay_ms,
            "cause": text(&event.data),
            "causeCode": event.code,
            "url": text(&event.extra),
        }),
        EventKind::Error if event.code == PodeWsResult::ReconnectGaveUp as u32 => json!({
            "atMs": at,
            "event": "gaveUp",
            "code": event.code,
            "message": text(&event.data),
        }),
        EventKind::Error => json!({
            "atMs": at,
            "event": "error",
            "code": event.code,
            "message": text(&event.data),
            "attempt": event.attempt,
        }),
        EventKind::Text | EventKind::Binary => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::Bytes;

    #[test]
    fn keeps_the_last_lifecycle_events_oldest_first() {
        let history = History::new(3);
        for i in 0..5u32 {
            let mut event = Event::new(1, EventKind::Error, Bytes::from(format!("e{i}")));
            event.code = PodeWsResult::Network as u32;
            history.record(&event);
            history.record(&Event::new(1, EventKind::Text, Bytes::from("message")));
        }
        let entries: Vec<Value> = serde_json::from_str(&history.to_json()).unwrap();
        let messages: Vec<&str> = entries
            .iter()
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        assert_eq!(messages, ["e2", "e3", "e4"]);
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let history = History::new(0);
        history.record(&Event::new(1, EventKind::Opened, Bytes::from("ws://x/")));
        assert_eq!(history.to_json(), "[]");
    }
}

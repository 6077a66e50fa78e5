//! Connect traces: each step of opening and closing a connection, recorded as it happens with
//! its time (DNS answer, TCP connect, proxy tunnel, TLS, HTTP status, redirects, subprotocol, the
//! close handshake), for `-Verbose` and for anyone finding out which step fails behind a proxy or
//! a TLS inspection box.
//!
//! A trace is named by an id the caller chooses (option `traceId`), not by the connection name:
//! it can be read from another thread while `pode_ws_connect` blocks, and after a connect that
//! failed, whose name is no longer registered. Callers record host names, addresses, status
//! lines, certificate names and their own messages; never a header value or a credential.
//!
//! Memory is bounded: a trace keeps its last [`MAX_ENTRIES`] entries of at most [`MAX_TEXT`]
//! bytes each, and a trace no connection uses any more is kept for [`KEEP_DETACHED`], at most
//! [`MAX_DETACHED`] of them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use parking_lot::Mutex;
use serde_json::json;

use crate::events::now_unix_ms;

/// Entries a trace keeps (the oldest are dropped first).
pub const MAX_ENTRIES: usize = 128;
/// The longest text of an entry, in bytes.
pub const MAX_TEXT: usize = 512;
/// How long a trace outlives the last connection that used it.
pub const KEEP_DETACHED: Duration = Duration::from_secs(120);
/// Traces no connection uses any more, at most (the oldest are forgotten first).
pub const MAX_DETACHED: usize = 64;

struct Entry {
    seq: u64,
    time_ms: i64,
    op: &'static str,
    elapsed: Duration,
    step: &'static str,
    text: String,
}

struct State {
    entries: VecDeque<Entry>,
    next_seq: u64,
    op: &'static str,
    op_started: Instant,
    /// Connections holding this trace.
    users: usize,
    detached_at: Option<Instant>,
}

struct Trace {
    state: Mutex<State>,
}

static TRACES: Lazy<Mutex<HashMap<String, Arc<Trace>>>> = Lazy::new(Mutex::default);

/// Forgets traces detached too long ago, and the oldest detached ones beyond the limit.
fn purge(traces: &mut HashMap<String, Arc<Trace>>) {
    let now = Instant::now();
    let mut detached: Vec<(Instant, String)> = Vec::new();
    traces.retain(|id, trace| {
        let state = trace.state.lock();
        match (state.users, state.detached_at) {
            (0, Some(at)) if now.duration_since(at) >= KEEP_DETACHED => false,
            (0, Some(at)) => {
                detached.push((at, id.clone()));
                true
            }
            _ => true,
        }
    });
    if detached.len() > MAX_DETACHED {
        detached.sort();
        for (_, id) in &detached[..detached.len() - MAX_DETACHED] {
            traces.remove(id);
        }
    }
}

/// A connection's handle on its trace (or on none: then recording does nothing and costs
/// nothing). Dropping it lets the trace expire.
#[derive(Default)]
pub struct Tracer(Option<Arc<Trace>>);

impl Tracer {
    /// The trace named `id` (created when new; entries already there are kept), or none.
    pub fn attach(id: Option<&str>) -> Tracer {
        let Some(id) = id else {
            return Tracer(None);
        };
        let mut traces = TRACES.lock();
        purge(&mut traces);
        let trace = traces.entry(id.to_string()).or_insert_with(|| {
            Arc::new(Trace {
                state: Mutex::new(State {
                    entries: VecDeque::new(),
                    next_seq: 1,
                    op: "connect",
                    op_started: Instant::now(),
                    users: 0,
                    detached_at: None,
                }),
            })
        });
        {
            let mut state = trace.state.lock();
            state.users += 1;
            state.detached_at = None;
        }
        Tracer(Some(Arc::clone(trace)))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Starts an operation (`connect`, `reconnect`, `close`, ...): later entries are labelled
    /// with it and timed from now.
    pub fn begin(&self, op: &'static str) {
        if let Some(trace) = &self.0 {
            let mut state = trace.state.lock();
            state.op = op;
            state.op_started = Instant::now();
        }
    }

    /// Time since the current operation began.
    pub fn elapsed(&self) -> Duration {
        self.0
            .as_ref()
            .map_or(Duration::ZERO, |t| t.state.lock().op_started.elapsed())
    }

    /// Records a step. `text` is only called when tracing is on; control characters are
    /// replaced and the text is cut at [`MAX_TEXT`] bytes.
    pub fn record(&self, step: &'static str, text: impl FnOnce() -> String) {
        let Some(trace) = &self.0 else {
            return;
        };
        let text = clean(&text());
        let mut state = trace.state.lock();
        let entry = Entry {
            seq: state.next_seq,
            time_ms: now_unix_ms(),
            op: state.op,
            elapsed: state.op_started.elapsed(),
            step,
            text,
        };
        state.next_seq += 1;
        if state.entries.len() == MAX_ENTRIES {
            state.entries.pop_front();
        }
        state.entries.push_back(entry);
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if let Some(trace) = self.0.take() {
            let mut state = trace.state.lock();
            state.users = state.users.saturating_sub(1);
            if state.users == 0 {
                state.detached_at = Some(Instant::now());
            }
        }
    }
}

/// Printable text of at most [`MAX_TEXT`] bytes (a peer's status line may hold anything).
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_TEXT {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// A duration for a trace text: "0.4 ms", "12 ms", "1.25 s".
pub fn took(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// The entries of trace `id` numbered `since` and later, as JSON:
/// `{"traceId", "next", "dropped", "entries": [{"seq", "timeMs", "op", "elapsedMs", "step",
/// "text"}]}`. `next` is the `since` of the following read; `dropped` counts entries asked for
/// that the trace no longer holds. An unknown id reads as an empty trace (its connect may not
/// have started yet).
pub fn read_json(id: &str, since: u64) -> String {
    let trace = {
        let mut traces = TRACES.lock();
        purge(&mut traces);
        traces.get(id).cloned()
    };
    let Some(trace) = trace else {
        return json!({ "traceId": id, "next": since, "dropped": 0, "entries": [] }).to_string();
    };
    let state = trace.state.lock();
    let first = state.entries.front().map_or(state.next_seq, |e| e.seq);
    let entries: Vec<_> = state
        .entries
        .iter()
        .filter(|e| e.seq >= since)
        .map(|e| {
            json!({
                "seq": e.seq,
                "timeMs": e.time_ms,
                "op": e.op,
                "elapsedMs": (e.elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
                "step": e.step,
                "text": e.text,
            })
        })
        .collect();
    json!({
        "traceId": id,
        "next": state.next_seq.max(since),
        "dropped": first.saturating_sub(since.max(1)),
        "entries": entries,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_entries_and_counts_the_dropped() {
        let tracer = Tracer::attach(Some("unit-bounded"));
        for i in 0..(MAX_ENTRIES + 10) {
            tracer.record("step", || format!("entry {i}"));
        }
        let read: serde_json::Value = serde_json::from_str(&read_json("unit-bounded", 0)).unwrap();
        assert_eq!(read["entries"].as_array().unwrap().len(), MAX_ENTRIES);
        assert_eq!(read["dropped"], 10);
        assert_eq!(read["next"], MAX_ENTRIES as u64 + 11);
        let later: serde_json::Value =
            serde_json::from_str(&read_json("unit-bounded", MAX_ENTRIES as u64 + 10)).unwrap();
        assert_eq!(
            later["entries"][0]["text"],
            format!("entry {}", MAX_ENTRIES + 9)
        );
    }

    #[test]
    fn text_is_printable_and_bounded() {
        assert_eq!(clean("a\r\nb"), "a  b");
        assert!(clean(&"x".repeat(2 * MAX_TEXT)).len() <= MAX_TEXT + 3);
    }

    #[test]
    fn an_unused_trace_reads_empty() {
        let read: serde_json::Value =
            serde_json::from_str(&read_json("unit-never-used", 7)).unwrap();
        assert_eq!(read["next"], 7);
        assert!(read["entries"].as_array().unwrap().is_empty());
    }
}

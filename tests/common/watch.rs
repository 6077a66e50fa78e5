//! A test's own poller reading one connection's events, in order, only when the test asks.
//!
//! Unlike the dispatcher (which drains every queue at once), a [`Watch`] leaves events in the
//! library's queue until the test polls, so the queue can fill and push back on the server. A
//! poller receives every connection's events, so binaries using it run their tests one at a
//! time ([`take_turn`]); events of other names (left by an earlier test) are skipped.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Ev, TestPoller};

/// Serialises the tests of a binary that poll by themselves.
pub fn take_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Watch {
    pub poller: TestPoller,
    name: String,
    /// Events of `name` polled but not yet handed out.
    pending: RefCell<VecDeque<Ev>>,
}

impl Watch {
    pub fn new(name: &str) -> Watch {
        Watch {
            poller: TestPoller::new(),
            name: name.to_string(),
            pending: RefCell::default(),
        }
    }

    /// The next event of the connection, or `None` after `limit`. Polls at most `batch`
    /// events at a time (small batches leave the rest queued in the library).
    pub fn try_next(&self, limit: Duration, batch: u32) -> Option<Ev> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(e) = self.pending.borrow_mut().pop_front() {
                return Some(e);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let wait = left.as_millis().clamp(1, 100) as u32;
            let events = self.poller.poll(wait, batch).expect("poll failed");
            self.pending
                .borrow_mut()
                .extend(events.into_iter().filter(|e| e.name == self.name));
        }
    }

    /// The next event; panics after `limit`.
    pub fn next(&self, limit: Duration) -> Ev {
        self.try_next(limit, 64)
            .unwrap_or_else(|| panic!("no event for '{}' within {limit:?}", self.name))
    }

    /// The next event, which must be of `kind`.
    pub fn expect(&self, kind: u32, limit: Duration) -> Ev {
        let e = self.next(limit);
        assert_eq!(
            e.kind, kind,
            "'{}': expected kind {kind}, got {e:?}",
            self.name
        );
        e
    }

    /// Every event up to and including the first that matches `pred`; panics after `limit`.
    pub fn until(&self, limit: Duration, pred: impl Fn(&Ev) -> bool) -> Vec<Ev> {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.try_next(left, 64) {
                Some(e) => {
                    let done = pred(&e);
                    seen.push(e);
                    if done {
                        return seen;
                    }
                }
                None => panic!(
                    "no matching event for '{}' within {limit:?}; last events: {:#?}",
                    self.name,
                    &seen[seen.len().saturating_sub(10)..]
                ),
            }
        }
    }

    pub fn until_kind(&self, kind: u32, limit: Duration) -> Vec<Ev> {
        self.until(limit, |e| e.kind == kind)
    }

    /// Asserts that no event of the connection arrives within `quiet`.
    pub fn assert_quiet(&self, quiet: Duration) {
        if let Some(e) = self.try_next(quiet, 64) {
            panic!("'{}': unexpected event {e:?}", self.name);
        }
    }
}

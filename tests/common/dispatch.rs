//! One process-wide dispatcher thread that polls the hub and routes every event into a channel
//! per connection name. Tests in one binary run in parallel and a poller receives the events of
//! all connections, so a test polling by itself could take (steal) another test's events; with
//! one router every test sees exactly its own connection's events, in order.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use super::{Ev, TestPoller};

type Route = (Sender<Ev>, Receiver<Ev>);

fn routes() -> &'static Mutex<HashMap<String, Route>> {
    static ROUTES: OnceLock<Mutex<HashMap<String, Route>>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        std::thread::Builder::new()
            .name("test-dispatcher".into())
            .spawn(run)
            .unwrap();
        Mutex::new(HashMap::new())
    })
}

fn route(name: &str) -> Route {
    let mut map = routes().lock().unwrap();
    map.entry(name.to_string())
        .or_insert_with(unbounded)
        .clone()
}

fn run() {
    let poller = TestPoller::new();
    loop {
        match poller.poll(250, 0) {
            Ok(batch) => {
                for event in batch {
                    let (tx, _) = route(&event.name);
                    let _ = tx.send(event);
                }
            }
            Err(_) => return,
        }
    }
}

/// The events of one connection name, in order.
pub struct Events {
    name: String,
    rx: Receiver<Ev>,
}

/// Subscribes to the events of `name` (events that arrived before are kept for it).
pub fn events(name: &str) -> Events {
    Events {
        name: name.to_string(),
        rx: route(name).1,
    }
}

impl Events {
    /// The next event; panics after `limit`.
    pub fn next(&self, limit: Duration) -> Ev {
        match self.rx.recv_timeout(limit) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no event for '{}' within {limit:?}", self.name)
            }
            Err(RecvTimeoutError::Disconnected) => unreachable!("routes live forever"),
        }
    }

    /// The next event, which must be of `kind`.
    pub fn expect(&self, kind: u32, limit: Duration) -> Ev {
        let e = self.next(limit);
        assert_eq!(
            e.kind, kind,
            "'{}': expected event kind {kind}, got {e:?}",
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
            match self.rx.recv_timeout(left) {
                Ok(e) => {
                    let done = pred(&e);
                    seen.push(e);
                    if done {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "no matching event for '{}' within {limit:?}; saw {seen:#?}",
                    self.name
                ),
            }
        }
    }

    /// Every event up to and including the first of `kind`.
    pub fn until_kind(&self, kind: u32, limit: Duration) -> Vec<Ev> {
        self.until(limit, |e| e.kind == kind)
    }

    /// Asserts that no event arrives within `quiet`.
    pub fn assert_quiet(&self, quiet: Duration) {
        if let Ok(e) = self.rx.recv_timeout(quiet) {
            panic!("'{}': unexpected event {e:?}", self.name);
        }
    }

    /// Events already routed, without waiting.
    pub fn drain(&self) -> Vec<Ev> {
        self.rx.try_iter().collect()
    }
}

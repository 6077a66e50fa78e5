//! The event hub: one bounded queue per connection, and the pollers that drain them.
//!
//! Ordering rule: a connection's events go to one poller at a time. A poller that takes events
//! of a connection *claims* it; the claim lasts until that poller polls again (or is freed), so
//! the next events of that connection cannot be handed to another thread while the first batch
//! is still being handled. Connections with events and no claim wait in a FIFO `ready` list.
//!
//! Backpressure: when a queue reaches its event or byte limit the connection stops reading its
//! socket (it registers a waker here); a poller taking events from a full queue wakes it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use parking_lot::{Condvar, Mutex};

use crate::error::{Error, PodeWsResult, Result};
use crate::events::Event;

/// The process-wide hub.
pub static HUB: Lazy<Hub> = Lazy::new(Hub::default);

#[derive(Default)]
pub struct Hub {
    inner: Mutex<HubInner>,
    cond: Condvar,
    next_poller_id: AtomicU64,
}

#[derive(Default)]
struct HubInner {
    queues: HashMap<u64, ConnQueue>,
    ready: VecDeque<u64>,
    pollers: HashMap<u64, PollerFlags>,
}

#[derive(Default)]
struct PollerFlags {
    wake: bool,
    closed: bool,
}

struct ConnQueue {
    events: VecDeque<Event>,
    bytes: usize,
    max_events: usize,
    max_bytes: usize,
    claimed: bool,
    in_ready: bool,
    /// The connection is gone; drop the queue once it is drained and unclaimed.
    retired: bool,
    /// Events are taken only by `poll_connection` (never handed to general pollers).
    manual: bool,
    room_waker: Option<Waker>,
}

impl ConnQueue {
    fn is_full(&self) -> bool {
        self.events.len() >= self.max_events || self.bytes >= self.max_bytes
    }
}

/// A poller's private state: what it claimed and the batch it returned last.
pub struct Poller {
    id: u64,
    claimed: Vec<u64>,
    batch: Vec<Event>,
}

impl Poller {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The events returned by the last poll, oldest first.
    pub fn batch(&self) -> &[Event] {
        &self.batch
    }
}

impl Hub {
    /// Creates the queue of a new connection.
    pub fn register(&self, connection_id: u64, max_events: usize, max_bytes: usize, manual: bool) {
        self.inner.lock().queues.insert(
            connection_id,
            ConnQueue {
                events: VecDeque::new(),
                bytes: 0,
                max_events,
                max_bytes,
                claimed: false,
                in_ready: false,
                retired: false,
                manual,
                room_waker: None,
            },
        );
    }

    /// Drops a connection's queue and its events now (a connect that failed: nothing of it may
    /// stay behind).
    pub fn discard(&self, connection_id: u64) {
        let mut inner = self.inner.lock();
        inner.queues.remove(&connection_id);
        inner.ready.retain(|id| *id != connection_id);
    }

    /// Marks a connection as gone: its queued events are still delivered, then the queue is
    /// dropped. A manual queue (read by name only) is emptied at once.
    pub fn retire(&self, connection_id: u64) {
        let mut inner = self.inner.lock();
        let drop_now = match inner.queues.get_mut(&connection_id) {
            Some(q) => {
                q.retired = true;
                if q.manual {
                    // Only `poll_connection` by name reads a manual queue, and the name is
                    // gone: nobody can take these events any more, so do not keep them.
                    q.events.clear();
                    q.bytes = 0;
                }
                q.events.is_empty() && !q.claimed
            }
            None => false,
        };
        if drop_now {
            inner.queues.remove(&connection_id);
        }
    }

    /// Appends an event. Returns `false` when the queue is now full: the caller must stop
    /// reading until [`Hub::wait_for_room`] says there is room again. Control events use the
    /// same path; the limit is checked after the push, so a queue holds at most one event
    /// beyond its limit and nothing is ever dropped.
    pub fn push(&self, event: Event) -> bool {
        let id = event.connection_id;
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        let Some(q) = inner.queues.get_mut(&id) else {
            return true;
        };
        q.bytes += event.weight();
        q.events.push_back(event);
        let has_room = !q.is_full();
        if q.manual {
            // Waiters for one connection share the condvar with general pollers.
            self.cond.notify_all();
        } else if !q.claimed && !q.in_ready {
            q.in_ready = true;
            inner.ready.push_back(id);
            self.cond.notify_one();
        }
        has_room
    }

    /// True when the queue has room; otherwise registers `waker` to be woken when a poller
    /// makes room.
    pub fn wait_for_room(&self, connection_id: u64, waker: &Waker) -> bool {
        let mut inner = self.inner.lock();
        match inner.queues.get_mut(&connection_id) {
            Some(q) if q.is_full() => {
                match &q.room_waker {
                    Some(w) if w.will_wake(waker) => {}
                    _ => q.room_waker = Some(waker.clone()),
                }
                false
            }
            _ => true,
        }
    }

    /// Number of events and bytes waiting in a connection's queue.
    pub fn queued(&self, connection_id: u64) -> (usize, usize) {
        let inner = self.inner.lock();
        inner
            .queues
            .get(&connection_id)
            .map_or((0, 0), |q| (q.events.len(), q.bytes))
    }

    pub fn new_poller(&self) -> Poller {
        let id = self.next_poller_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.inner.lock().pollers.insert(id, PollerFlags::default());
        Poller {
            id,
            claimed: Vec::new(),
            batch: Vec::new(),
        }
    }

    /// Releases a poller's claims and forgets it.
    pub fn free_poller(&self, mut poller: Poller) {
        let batch = std::mem::take(&mut poller.batch);
        {
            let mut inner = self.inner.lock();
            self.release_claims(&mut inner, &mut poller);
            inner.pollers.remove(&poller.id);
        }
        drop(batch);
    }

    /// Ends the poller's current batch before its next poll: frees the payloads and releases
    /// its claims, so the memory of large messages goes back at once and other pollers may take
    /// the next events of those connections.
    pub fn release_batch(&self, poller: &mut Poller) {
        let batch = std::mem::take(&mut poller.batch);
        {
            let mut inner = self.inner.lock();
            self.release_claims(&mut inner, poller);
        }
        drop(batch);
    }

    /// Makes the current (or next) poll of this poller return at once with no events.
    pub fn wake_poller(&self, poller_id: u64) {
        let mut inner = self.inner.lock();
        if let Some(flags) = inner.pollers.get_mut(&poller_id) {
            flags.wake = true;
        }
        self.cond.notify_all();
    }

    /// Wakes every poller, as [`Hub::wake_poller`] on each.
    pub fn wake_all(&self) {
        let mut inner = self.inner.lock();
        for flags in inner.pollers.values_mut() {
            flags.wake = true;
        }
        self.cond.notify_all();
    }

    /// Closes a poller: its current poll returns and later polls fail with `Closed`.
    pub fn close_poller(&self, poller_id: u64) {
        let mut inner = self.inner.lock();
        if let Some(flags) = inner.pollers.get_mut(&poller_id) {
            flags.closed = true;
        }
        self.cond.notify_all();
    }

    /// Closes every poller (library shutdown).
    pub fn close_all_pollers(&self) {
        let mut inner = self.inner.lock();
        for flags in inner.pollers.values_mut() {
            flags.closed = true;
        }
        self.cond.notify_all();
    }

    /// Waits up to `timeout` for events and takes up to `max_events` of them, oldest first per
    /// connection, into the poller's batch. First releases what the previous poll claimed.
    /// Returns the number of events taken (0 on timeout or wake).
    pub fn poll(&self, poller: &mut Poller, timeout: Duration, max_events: usize) -> Result<usize> {
        // Free the previous batch outside the lock: dropping large payloads takes time.
        drop(std::mem::take(&mut poller.batch));
        let deadline = Instant::now().checked_add(timeout);
        let mut wakers: Vec<Waker> = Vec::new();
        let mut inner = self.inner.lock();
        self.release_claims(&mut inner, poller);
        loop {
            let flags = inner
                .pollers
                .get_mut(&poller.id)
                .ok_or_else(|| Error::new(PodeWsResult::Closed, "the poller was freed"))?;
            if flags.closed {
                return Err(Error::new(
                    PodeWsResult::Closed,
                    "the poller is closed (the library was shut down or the poller closed); create a new poller",
                ));
            }
            if flags.wake {
                flags.wake = false;
                return Ok(0);
            }
            self.take_ready(&mut inner, poller, max_events.max(1), &mut wakers);
            if !poller.batch.is_empty() {
                break;
            }
            let timed_out = match deadline {
                Some(deadline) => self.cond.wait_until(&mut inner, deadline).timed_out(),
                None => {
                    self.cond.wait(&mut inner);
                    false
                }
            };
            if timed_out {
                self.take_ready(&mut inner, poller, max_events.max(1), &mut wakers);
                break;
            }
        }
        drop(inner);
        for waker in wakers {
            waker.wake();
        }
        Ok(poller.batch.len())
    }

    /// Like [`Hub::poll`], but takes events of one connection only. This is how a connection
    /// registered as `manual` is read; other connections work too when no poller races for them.
    pub fn poll_connection(
        &self,
        poller: &mut Poller,
        connection_id: u64,
        timeout: Duration,
        max_events: usize,
    ) -> Result<usize> {
        drop(std::mem::take(&mut poller.batch));
        let deadline = Instant::now().checked_add(timeout);
        let mut waker = None;
        let mut inner = self.inner.lock();
        self.release_claims(&mut inner, poller);
        loop {
            let flags = inner
                .pollers
                .get_mut(&poller.id)
                .ok_or_else(|| Error::new(PodeWsResult::Closed, "the poller was freed"))?;
            if flags.closed {
                return Err(Error::new(PodeWsResult::Closed, "the poller is closed"));
            }
            if flags.wake {
                flags.wake = false;
                return Ok(0);
            }
            let Some(q) = inner.queues.get_mut(&connection_id) else {
                return Err(Error::new(
                    PodeWsResult::UnknownName,
                    "the connection was removed and all its events were taken",
                ));
            };
            if !q.claimed && !q.events.is_empty() {
                q.claimed = true;
                poller.claimed.push(connection_id);
                let was_full = q.is_full();
                let take = max_events.max(1).min(q.events.len());
                for event in q.events.drain(..take) {
                    q.bytes -= event.weight();
                    poller.batch.push(event);
                }
                if was_full && !q.is_full() {
                    waker = q.room_waker.take();
                }
                break;
            }
            if q.retired && q.events.is_empty() && !q.claimed {
                inner.queues.remove(&connection_id);
                return Err(Error::new(
                    PodeWsResult::UnknownName,
                    "the connection was removed and all its events were taken",
                ));
            }
            let timed_out = match deadline {
                Some(deadline) => self.cond.wait_until(&mut inner, deadline).timed_out(),
                None => {
                    self.cond.wait(&mut inner);
                    false
                }
            };
            if timed_out {
                break;
            }
        }
        drop(inner);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(poller.batch.len())
    }

    fn take_ready(
        &self,
        inner: &mut HubInner,
        poller: &mut Poller,
        max_events: usize,
        wakers: &mut Vec<Waker>,
    ) {
        while poller.batch.len() < max_events {
            let Some(id) = inner.ready.pop_front() else {
                break;
            };
            let Some(q) = inner.queues.get_mut(&id) else {
                continue;
            };
            q.in_ready = false;
            if q.events.is_empty() {
                continue;
            }
            q.claimed = true;
            poller.claimed.push(id);
            let was_full = q.is_full();
            let take = (max_events - poller.batch.len()).min(q.events.len());
            for event in q.events.drain(..take) {
                q.bytes -= event.weight();
                poller.batch.push(event);
            }
            if was_full && !q.is_full() {
                if let Some(waker) = q.room_waker.take() {
                    wakers.push(waker);
                }
            }
        }
    }

    fn release_claims(&self, inner: &mut HubInner, poller: &mut Poller) {
        for id in poller.claimed.drain(..) {
            let Some(q) = inner.queues.get_mut(&id) else {
                continue;
            };
            q.claimed = false;
            if q.manual {
                if q.retired && q.events.is_empty() {
                    inner.queues.remove(&id);
                } else {
                    self.cond.notify_all();
                }
            } else if !q.events.is_empty() {
                if !q.in_ready {
                    q.in_ready = true;
                    inner.ready.push_back(id);
                    self.cond.notify_one();
                }
            } else if q.retired {
                inner.queues.remove(&id);
            }
        }
    }
}

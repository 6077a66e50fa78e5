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
use std::sync::Arc;
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
    name: Arc<str>,
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
    /// Where each connection's run of events starts in `batch`, with its name: a batch is a
    /// sequence of runs, one per connection taken.
    runs: Vec<(usize, Arc<str>)>,
}

impl Poller {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The events returned by the last poll, oldest first, each with its connection's name.
    pub fn batch(&self) -> impl Iterator<Item = (&Event, &Arc<str>)> + '_ {
        self.runs
            .iter()
            .enumerate()
            .flat_map(move |(i, (start, name))| {
                let end = self.runs.get(i + 1).map_or(self.batch.len(), |next| next.0);
                self.batch[*start..end]
                    .iter()
                    .map(move |event| (event, name))
            })
    }

    /// Drops the last batch (outside the hub's lock: freeing large payloads takes time).
    fn clear_batch(&mut self) {
        self.batch.clear();
        self.runs.clear();
    }

    /// Moves up to `limit` events of `q` into the batch as one run.
    fn take_from(&mut self, q: &mut ConnQueue, limit: usize) {
        self.runs.push((self.batch.len(), Arc::clone(&q.name)));
        let take = limit.min(q.events.len());
        for event in q.events.drain(..take) {
            q.bytes -= event.weight();
            self.batch.push(event);
        }
    }
}

/// How much more a connection may queue before it must stop reading: `None` means full.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    pub events: usize,
    pub bytes: usize,
}

impl Hub {
    /// Creates the queue of a new connection.
    pub fn register(
        &self,
        connection_id: u64,
        name: &Arc<str>,
        max_events: usize,
        max_bytes: usize,
        manual: bool,
    ) {
        self.inner.lock().queues.insert(
            connection_id,
            ConnQueue {
                name: Arc::clone(name),
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
        let removed = {
            let mut inner = self.inner.lock();
            inner.ready.retain(|id| *id != connection_id);
            inner.queues.remove(&connection_id)
        };
        // A connection waiting for room reads on now (it has no queue limit any more); the
        // events are dropped outside the lock.
        if let Some(waker) = removed.and_then(|q| q.room_waker) {
            waker.wake();
        }
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
    /// reading until [`Hub::room`] says there is room again. Control events use this path
    /// without waiting for room: they are few, and nothing is ever dropped.
    pub fn push(&self, event: Event) -> bool {
        let id = event.connection_id;
        let mut one = vec![event];
        self.push_many(id, &mut one)
    }

    /// Appends a burst of events of one connection under one lock, waking at most one poller.
    /// Empties `events`. Returns `false` when the queue is now full.
    pub fn push_many(&self, connection_id: u64, events: &mut Vec<Event>) -> bool {
        if events.is_empty() {
            return true;
        }
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        let Some(q) = inner.queues.get_mut(&connection_id) else {
            events.clear();
            return true;
        };
        for event in events.drain(..) {
            q.bytes += event.weight();
            q.events.push_back(event);
        }
        let has_room = !q.is_full();
        if q.manual {
            // Waiters for one connection share the condvar with general pollers.
            self.cond.notify_all();
        } else if !q.claimed && !q.in_ready {
            q.in_ready = true;
            inner.ready.push_back(connection_id);
            self.cond.notify_one();
        }
        has_room
    }

    /// How many more events and bytes the queue takes before it is full. When it is full,
    /// returns `None` and registers `waker` to be woken when a poller makes room.
    pub fn room(&self, connection_id: u64, waker: &Waker) -> Option<Room> {
        let mut inner = self.inner.lock();
        match inner.queues.get_mut(&connection_id) {
            Some(q) if q.is_full() => {
                match &q.room_waker {
                    Some(w) if w.will_wake(waker) => {}
                    _ => q.room_waker = Some(waker.clone()),
                }
                None
            }
            Some(q) => Some(Room {
                events: q.max_events - q.events.len(),
                bytes: q.max_bytes - q.bytes,
            }),
            None => Some(Room {
                events: usize::MAX,
                bytes: usize::MAX,
            }),
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
            runs: Vec::new(),
        }
    }

    /// Releases a poller's claims and forgets it.
    pub fn free_poller(&self, mut poller: Poller) {
        poller.clear_batch();
        let mut inner = self.inner.lock();
        self.release_claims(&mut inner, &mut poller);
        inner.pollers.remove(&poller.id);
    }

    /// Ends the poller's current batch before its next poll: frees the payloads and releases
    /// its claims, so the memory of large messages goes back at once and other pollers may take
    /// the next events of those connections.
    pub fn release_batch(&self, poller: &mut Poller) {
        poller.clear_batch();
        let mut inner = self.inner.lock();
        self.release_claims(&mut inner, poller);
    }

    /// Makes the current (or next) poll of this poller return at once with no events.
    pub fn wake_poller(&self, poller_id: u64) {
        self.flag_pollers(Some(poller_id), |flags| flags.wake = true);
    }

    /// Wakes every poller, as [`Hub::wake_poller`] on each.
    pub fn wake_all(&self) {
        self.flag_pollers(None, |flags| flags.wake = true);
    }

    /// Closes a poller: its current poll returns and later polls fail with `Closed`.
    pub fn close_poller(&self, poller_id: u64) {
        self.flag_pollers(Some(poller_id), |flags| flags.closed = true);
    }

    /// Closes every poller (library shutdown).
    pub fn close_all_pollers(&self) {
        self.flag_pollers(None, |flags| flags.closed = true);
    }

    /// Sets a flag on one poller (or all) and wakes the blocked ones to look at it.
    fn flag_pollers(&self, poller_id: Option<u64>, set: impl Fn(&mut PollerFlags)) {
        let mut inner = self.inner.lock();
        match poller_id {
            Some(id) => inner.pollers.get_mut(&id).into_iter().for_each(&set),
            None => inner.pollers.values_mut().for_each(&set),
        }
        self.cond.notify_all();
    }

    /// Waits up to `timeout` for events and takes up to `max_events` of them, oldest first per
    /// connection, into the poller's batch. First releases what the previous poll claimed.
    /// Returns the number of events taken (0 on timeout or wake).
    pub fn poll(&self, poller: &mut Poller, timeout: Duration, max_events: usize) -> Result<usize> {
        // Free the previous batch outside the lock: dropping large payloads takes time.
        poller.clear_batch();
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
        poller.clear_batch();
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
                poller.take_from(q, max_events.max(1));
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
            poller.take_from(q, max_events - poller.batch.len());
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

//! The queues from callers' threads to a connection task: messages to send (bounded: a full
//! queue makes the caller wait) and commands (unbounded).
//!
//! Each is a mutex-guarded `VecDeque`, which allocates nothing until the first item: tokio's
//! mpsc channels allocate a 32-slot block and a cache-padded channel up front, about 2.6 KiB per
//! channel and 5.2 KiB per connection, most of an idle connection's memory. Items are few
//! (commands) or arrive from one thread at a time (sends), so a lock per item costs nothing
//! measurable.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::{Condvar, Mutex};

struct State<T> {
    items: VecDeque<T>,
    /// The receiving task's waker, when it found the queue empty.
    waker: Option<Waker>,
    closed: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when a full queue gets room, or the queue closes.
    room: Condvar,
    /// `usize::MAX` for an unbounded queue.
    capacity: usize,
}

/// A full queue, or one whose task ended; the item comes back.
#[derive(Debug)]
pub enum SendError<T> {
    Full(T),
    Closed(T),
}

/// The sending side (the connection's handle). Dropping it closes the queue.
pub struct Sender<T>(Arc<Shared<T>>);

/// The receiving side (the connection task). Dropping it closes the queue: waiting and later
/// senders get their item back.
pub struct Receiver<T>(Arc<Shared<T>>);

/// A queue of at most `capacity` items.
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            waker: None,
            closed: false,
        }),
        room: Condvar::new(),
        capacity: capacity.max(1),
    });
    (Sender(Arc::clone(&shared)), Receiver(shared))
}

/// A queue without a limit.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    bounded(usize::MAX)
}

impl<T> Shared<T> {
    fn close(&self) {
        let waker = {
            let mut state = self.state.lock();
            state.closed = true;
            state.waker.take()
        };
        self.room.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Sender<T> {
    /// Queues `item` unless the queue is full or closed.
    pub fn try_send(&self, item: T) -> Result<(), SendError<T>> {
        let state = self.0.state.lock();
        if state.closed {
            return Err(SendError::Closed(item));
        }
        if state.items.len() >= self.0.capacity {
            return Err(SendError::Full(item));
        }
        push(state, item);
        Ok(())
    }

    /// Queues `item`, waiting while the queue is full. Fails (with the item) once the
    /// receiving task has ended. Must not be called on a runtime thread.
    pub fn send_blocking(&self, item: T) -> Result<(), T> {
        let mut state = self.0.state.lock();
        while !state.closed && state.items.len() >= self.0.capacity {
            self.0.room.wait(&mut state);
        }
        if state.closed {
            return Err(item);
        }
        push(state, item);
        Ok(())
    }
}

/// Queues `item` and wakes the task if it waits, after letting go of the lock.
fn push<T>(mut state: parking_lot::MutexGuard<'_, State<T>>, item: T) {
    state.items.push_back(item);
    let waker = state.waker.take();
    drop(state);
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl<T> Receiver<T> {
    /// The next item; `Ready(None)` once the queue is closed and empty.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.state.lock();
        if let Some(item) = self.take(&mut state) {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    pub fn try_recv(&mut self) -> Option<T> {
        let mut state = self.0.state.lock();
        self.take(&mut state)
    }

    pub fn is_empty(&self) -> bool {
        self.0.state.lock().items.is_empty()
    }

    fn take(&self, state: &mut State<T>) -> Option<T> {
        let was_full = state.items.len() >= self.0.capacity;
        let item = state.items.pop_front()?;
        if state.items.is_empty() && state.items.capacity() > 8 {
            // Do not keep a burst's worth of slots for an idle connection.
            state.items = VecDeque::new();
        }
        if was_full {
            self.0.room.notify_one();
        }
        Some(item)
    }
}

impl<T> Drop for Receiver<T> {
    /// Closes the queue and drops what it still holds, as tokio's channels do: an item may carry
    /// a caller's reply channel (a command's `done`), and the caller waiting on it must learn at
    /// once that no answer comes, not after its timeout.
    fn drop(&mut self) {
        let left = std::mem::take(&mut self.0.state.lock().items);
        self.0.close();
        drop(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_full_queue_makes_the_sender_wait_until_the_task_takes_one() {
        let (tx, mut rx) = bounded::<u32>(2);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert!(matches!(tx.try_send(3), Err(SendError::Full(3))));
        let sender = std::thread::spawn(move || {
            tx.send_blocking(3).unwrap();
            tx
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!sender.is_finished(), "the sender did not wait for room");
        assert_eq!(rx.try_recv(), Some(1));
        let _tx = sender.join().unwrap();
        assert_eq!(
            (rx.try_recv(), rx.try_recv(), rx.try_recv()),
            (Some(2), Some(3), None)
        );
    }

    #[test]
    fn an_ended_task_releases_a_waiting_sender_with_its_item() {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let sender = std::thread::spawn(move || tx.send_blocking(2));
        std::thread::sleep(Duration::from_millis(50));
        drop(rx);
        assert_eq!(sender.join().unwrap(), Err(2));
    }

    #[tokio::test]
    async fn the_task_wakes_for_an_item_and_sees_the_end() {
        let (tx, mut rx) = unbounded::<u32>();
        let (woken_tx, woken) = std::sync::mpsc::channel();
        let waker = waker_fn(move || woken_tx.send(()).unwrap());
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        tx.try_send(7).unwrap();
        woken
            .recv_timeout(Duration::from_secs(5))
            .expect("the task was not woken");
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(7)));
        assert!(rx.poll_recv(&mut cx).is_pending());
        drop(tx);
        woken
            .recv_timeout(Duration::from_secs(5))
            .expect("the task was not woken at the end");
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn an_ended_task_drops_what_was_queued_so_its_waiters_learn_it_at_once() {
        let (tx, rx) = unbounded::<crossbeam_channel::Sender<()>>();
        let (done, waiting) = crossbeam_channel::bounded::<()>(1);
        tx.try_send(done).unwrap();
        drop(rx);
        assert_eq!(
            waiting.recv_timeout(Duration::from_secs(5)),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected)
        );
        assert!(matches!(
            tx.try_send(crossbeam_channel::bounded(1).0),
            Err(SendError::Closed(_))
        ));
    }

    fn waker_fn(f: impl Fn() + Send + Sync + 'static) -> Waker {
        struct F<G>(G);
        impl<G: Fn() + Send + Sync + 'static> std::task::Wake for F<G> {
            fn wake(self: Arc<Self>) {
                (self.0)()
            }
        }
        Waker::from(Arc::new(F(f)))
    }
}

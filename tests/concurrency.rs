//! Several threads poll at once: each connection's events stay in order and a connection's
//! batches are never handled by two threads at the same time.
//!
//! The test drives its own pollers, so it lives in a binary of its own (no dispatcher).
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: usize = 8;
const MESSAGES: usize = 2_000;
const THREADS: usize = 4;

/// What the polling threads share about one connection.
#[derive(Default)]
struct Lane {
    /// Held by the thread handling a batch of this connection, until its next poll.
    in_use: AtomicBool,
    /// The last sequence number handled (-1 before the first).
    last: Mutex<i64>,
}

/// (connection, sequence, thread, batch index of that thread)
type Record = (usize, i64, usize, usize);

#[test]
fn order_is_kept_under_concurrent_pollers() {
    let server = ws_server(|mut ws, _| async move {
        for seq in 0..MESSAGES {
            ws.feed(Message::text(seq.to_string())).await.unwrap();
        }
        ws.flush().await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    });
    let names: Vec<String> = (0..CONNECTIONS).map(|_| unique("order")).collect();
    let index: Arc<HashMap<String, usize>> = Arc::new(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect(),
    );
    let lanes: Arc<Vec<Lane>> = Arc::new(
        (0..CONNECTIONS)
            .map(|_| Lane {
                last: Mutex::new(-1),
                ..Lane::default()
            })
            .collect(),
    );
    let handled = Arc::new(AtomicUsize::new(0));
    let violations: Arc<Mutex<Vec<String>>> = Arc::default();
    let records: Arc<Mutex<Vec<Record>>> = Arc::default();

    // Small queues make the connections refill while other threads hold them.
    for name in &names {
        connect(name, &server.url(), r#"{"queue": {"maxEvents": 64}}"#).unwrap();
    }

    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (index, lanes, handled, violations, records) = (
                Arc::clone(&index),
                Arc::clone(&lanes),
                Arc::clone(&handled),
                Arc::clone(&violations),
                Arc::clone(&records),
            );
            std::thread::spawn(move || {
                let poller = TestPoller::new();
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut batch_index = 0;
                while handled.load(Ordering::SeqCst) < CONNECTIONS * MESSAGES {
                    assert!(Instant::now() < deadline, "not every message arrived");
                    let batch = poller.poll(20, 50).unwrap();
                    // Take every connection of the batch: another thread holding one is a
                    // violation of the claim rule.
                    let mut held = Vec::new();
                    for e in &batch {
                        let conn = index[&e.name];
                        if held.contains(&conn) {
                            continue;
                        }
                        if lanes[conn]
                            .in_use
                            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                            .is_err()
                        {
                            violations.lock().unwrap().push(format!(
                                "thread {thread} got connection {conn} while another thread held it"
                            ));
                        }
                        held.push(conn);
                    }
                    for e in &batch {
                        if e.kind != TEXT {
                            continue;
                        }
                        let conn = index[&e.name];
                        let seq: i64 = e.text().parse().unwrap();
                        let mut last = lanes[conn].last.lock().unwrap();
                        if seq != *last + 1 {
                            violations
                                .lock()
                                .unwrap()
                                .push(format!("connection {conn}: {seq} after {}", *last));
                        }
                        *last = seq;
                        records
                            .lock()
                            .unwrap()
                            .push((conn, seq, thread, batch_index));
                        handled.fetch_add(1, Ordering::SeqCst);
                    }
                    // Handling takes a while, so other threads poll meanwhile.
                    if !batch.is_empty() {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                    for conn in held {
                        lanes[conn].in_use.store(false, Ordering::SeqCst);
                    }
                    batch_index += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    let violations = violations.lock().unwrap();
    assert!(
        violations.is_empty(),
        "{:#?}",
        &violations[..violations.len().min(20)]
    );
    let records = records.lock().unwrap();
    assert_eq!(records.len(), CONNECTIONS * MESSAGES);
    for conn in 0..CONNECTIONS {
        let seqs: Vec<i64> = records
            .iter()
            .filter(|r| r.0 == conn)
            .map(|r| r.1)
            .collect();
        assert_eq!(
            seqs,
            (0..MESSAGES as i64).collect::<Vec<_>>(),
            "connection {conn}"
        );
    }
    // The test means something only if the work really was shared between threads.
    let mut threads_used: Vec<usize> = records.iter().map(|r| r.2).collect();
    threads_used.sort_unstable();
    threads_used.dedup();
    assert!(threads_used.len() > 1, "one thread handled everything");
    for name in &names {
        remove(name).unwrap();
    }
}

//! Load through the C ABI: a thousand connections polled by four threads, a consumer slower than
//! its feed, and thousands of connect/disconnect cycles. What must hold: nothing lost, order kept
//! per connection, memory bounded by the queue limits, and no thread, file descriptor or memory
//! left behind.
//!
//! The sizes are the defaults of `cargo test`; scripts/soak.sh runs the same tests bigger and
//! longer through these variables: PODE_WS_LOAD_CONNECTIONS, PODE_WS_LOAD_MESSAGES,
//! PODE_WS_SLOW_MIB, PODE_WS_CYCLES.
//!
//! The tests poll by themselves and measure the whole process, so they take turns.
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::resources::*;
use common::watch::take_turn;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A server that pushes `count` text messages ("0", "1", ...) to each client as soon as it
/// connects, then waits for the client's close.
fn push_server(count: usize) -> Server {
    ws_server(move |mut ws, _| async move {
        for seq in 0..count {
            if ws.feed(Message::text(seq.to_string())).await.is_err() {
                return;
            }
        }
        let _ = ws.flush().await;
        while let Some(Ok(_)) = ws.next().await {}
    })
}

/// What the polling threads know about one connection: the next event it must deliver
/// (-1 = Opened, then sequence numbers).
struct Lane {
    next: Mutex<i64>,
}

#[test]
fn thousand_connections_four_pollers_nothing_lost_order_kept() {
    let _turn = take_turn();
    let connections = setting("PODE_WS_LOAD_CONNECTIONS", 1_000);
    let messages = setting("PODE_WS_LOAD_MESSAGES", 100);
    // Two sockets per connection in this process (client and in-process server).
    let fd_limit = raise_fd_limit();
    assert!(
        fd_limit as usize > 2 * connections + 200,
        "the open files limit ({fd_limit}) is too low for {connections} connections"
    );
    let server = push_server(messages);
    let prefix = unique("load");
    let lanes: Arc<Vec<Lane>> = Arc::new(
        (0..connections)
            .map(|_| Lane {
                next: Mutex::new(-1),
            })
            .collect(),
    );
    let delivered = Arc::new(AtomicUsize::new(0));
    let violations: Arc<Mutex<Vec<String>>> = Arc::default();
    let per_thread: Arc<Vec<AtomicUsize>> = Arc::new((0..4).map(|_| AtomicUsize::new(0)).collect());
    let total = connections * messages;
    let started = Instant::now();

    // Four pollers from the start: they take events while connections are still opening.
    let pollers: Vec<_> = (0..4)
        .map(|thread| {
            let (lanes, delivered, violations, per_thread, prefix) = (
                Arc::clone(&lanes),
                Arc::clone(&delivered),
                Arc::clone(&violations),
                Arc::clone(&per_thread),
                format!("{prefix}-"),
            );
            std::thread::spawn(move || {
                let poller = TestPoller::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                while delivered.load(Ordering::SeqCst) < total {
                    assert!(Instant::now() < deadline, "not every message arrived");
                    for e in poller.poll(20, 256).unwrap() {
                        let Some(index) = e.name.strip_prefix(&prefix) else {
                            continue;
                        };
                        let lane = &lanes[index.parse::<usize>().unwrap()];
                        let mut next = lane.next.lock().unwrap();
                        let got = match e.kind {
                            OPENED => -1,
                            TEXT => e.text().parse().unwrap(),
                            _ => {
                                violations.lock().unwrap().push(format!("{e:?}"));
                                continue;
                            }
                        };
                        if got != *next {
                            violations
                                .lock()
                                .unwrap()
                                .push(format!("{}: {got} where {} was due", e.name, *next));
                        }
                        *next = got + 1;
                        if e.kind == TEXT {
                            delivered.fetch_add(1, Ordering::SeqCst);
                            per_thread[thread].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    let names: Vec<String> = (0..connections).map(|i| format!("{prefix}-{i}")).collect();
    for name in &names {
        connect(name, &server.url(), "").unwrap();
    }
    let connected = started.elapsed();
    for p in pollers {
        p.join().unwrap();
    }
    let violations = violations.lock().unwrap();
    assert!(
        violations.is_empty(),
        "{} violations, first: {:#?}",
        violations.len(),
        &violations[..violations.len().min(10)]
    );
    assert_eq!(delivered.load(Ordering::SeqCst), total);
    for (i, lane) in lanes.iter().enumerate() {
        assert_eq!(
            *lane.next.lock().unwrap(),
            messages as i64,
            "connection {i}"
        );
    }
    let shares: Vec<usize> = per_thread
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .collect();
    assert!(
        shares.iter().filter(|n| **n > 0).count() > 1,
        "one thread did all the work: {shares:?}"
    );
    for name in &names {
        remove(name).unwrap();
    }
    eprintln!(
        "{connections} connections x {messages} messages: connected in {connected:?}, all \
         delivered and removed in {:?}; per poller {shares:?}",
        started.elapsed()
    );
}

/// Pushes `count` binary messages of `size` bytes (sequence number first) as fast as TCP lets
/// it, counting those handed to the socket.
fn flood_server(count: usize, size: usize) -> (Server, Arc<Vec<AtomicU64>>) {
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..64).map(|_| AtomicU64::new(0)).collect());
    let counters = Arc::clone(&sent);
    let server = ws_server(move |mut ws, shake| {
        let sent = Arc::clone(&counters);
        async move {
            // The client names its connection in the path: /<index>.
            let index: usize = shake.path.trim_start_matches('/').parse().unwrap();
            for seq in 0..count as u32 {
                let mut payload = vec![0x5Au8; size];
                payload[..4].copy_from_slice(&seq.to_be_bytes());
                if ws.feed(Message::binary(payload)).await.is_err() {
                    return;
                }
                sent[index].fetch_add(1, Ordering::SeqCst);
            }
            let _ = ws.flush().await;
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    (server, sent)
}

#[test]
fn slow_consumer_peak_memory_stays_within_the_queue_limits() {
    let _turn = take_turn();
    const CONNECTIONS: usize = 4;
    const SIZE: usize = 16 * 1024;
    const MAX_BYTES: u64 = MIB;
    let fed_mib = setting("PODE_WS_SLOW_MIB", 32);
    let count = fed_mib * MIB as usize / SIZE;
    let (server, sent) = flood_server(count, SIZE);
    release_free_memory();
    assert!(reset_peak_rss(), "/proc/self/clear_refs is not writable");
    let baseline = rss();

    let names: Vec<String> = (0..CONNECTIONS).map(|_| unique("slow")).collect();
    let options = format!(r#"{{"queue": {{"maxBytes": {MAX_BYTES}}}}}"#);
    for (i, name) in names.iter().enumerate() {
        connect(name, &format!("ws://{}/{i}", server.addr), &options).unwrap();
    }
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();

    // Nobody polls: every server is pushed back and stops short of its total.
    let mut last = [u64::MAX; CONNECTIONS];
    let mut still = 0;
    wait_until(Duration::from_secs(20), "the servers to stall", || {
        std::thread::sleep(Duration::from_millis(100));
        let now: Vec<u64> = (0..CONNECTIONS)
            .map(|i| sent[i].load(Ordering::SeqCst))
            .collect();
        still = if now == last { still + 1 } else { 0 };
        last.copy_from_slice(&now);
        still >= 3
    });
    assert!(
        last.iter().all(|n| (*n as usize) < count),
        "a server sent everything to a consumer that took nothing: no backpressure ({last:?} of {count})"
    );

    // A slow consumer: small batches, a pause after each.
    let poller = TestPoller::new();
    let mut next = [0u32; CONNECTIONS];
    let deadline = Instant::now() + Duration::from_secs(120);
    while next.iter().any(|n| (*n as usize) < count) {
        assert!(Instant::now() < deadline, "stuck at {next:?} of {count}");
        for e in poller.poll(100, 16).unwrap() {
            let Some(&i) = index.get(e.name.as_str()) else {
                continue;
            };
            if e.kind != BINARY {
                continue;
            }
            let seq = u32::from_be_bytes(e.data[..4].try_into().unwrap());
            assert_eq!(seq, next[i], "{}: lost, duplicated or reordered", e.name);
            next[i] += 1;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let peak = peak_rss().saturating_sub(baseline);
    let fed = (count * SIZE * CONNECTIONS) as u64;
    // The queues may hold MAX_BYTES each (plus one message); the slack covers what is not
    // the queues': per connection the read buffer and the message being read, the servers'
    // write buffers (in this process), the test's copies of a batch, and allocator overhead.
    let bound = CONNECTIONS as u64 * MAX_BYTES + 24 * MIB;
    eprintln!(
        "fed {} MiB, peak growth {:.1} MiB (bound {} MiB)",
        fed / MIB,
        peak as f64 / MIB as f64,
        bound / MIB
    );
    assert!(
        peak < bound,
        "peak memory grew by {} MiB while {} MiB were fed; bound {} MiB",
        peak / MIB,
        fed / MIB,
        bound / MIB
    );
    for name in &names {
        assert_eq!(info(name).unwrap()["messagesIn"], count);
        remove(name).unwrap();
    }
    server.stop();
}

#[test]
fn connect_disconnect_cycles_leave_no_threads_fds_or_memory_behind() {
    let _turn = take_turn();
    let cycles = setting("PODE_WS_CYCLES", 10_000);
    let warm_up = (cycles / 10).max(200);
    // The server runs in a process of its own, so this process's memory is the library's
    // (an in-process test server keeps a record of every connection it accepted).
    let server = ServerProcess::start(0);
    let url = server.url("/echo");
    // Like an application's dispatcher: the Opened/Closed events of every cycle are taken.
    let stop = Arc::new(AtomicBool::new(false));
    let drain = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let poller = TestPoller::new();
            while !stop.load(Ordering::SeqCst) {
                poller.poll(20, 0).unwrap();
            }
        })
    };
    let prefix = unique("cycle");
    let cycle = |i: usize| {
        let name = format!("{prefix}-{i}");
        connect(&name, &url, "").unwrap();
        remove(&name).unwrap();
    };
    // Four callers at once, as handlers on several runspaces would (and four times faster).
    let run = |from: usize, to: usize| {
        std::thread::scope(|s| {
            for first in from..(from + 4).min(to) {
                s.spawn(move || (first..to).step_by(4).for_each(cycle));
            }
        })
    };
    let started = Instant::now();
    run(0, warm_up);
    // Let the runtime finish the last closes before the baseline is read.
    std::thread::sleep(Duration::from_millis(300));
    release_free_memory();
    let (threads0, fds0, rss0) = (library_threads(), open_fds(), rss());
    let mut checkpoints = Vec::new();
    let quarter = ((cycles - warm_up) / 4).max(1);
    let mut done = warm_up;
    while done < cycles {
        let next = (done + quarter).min(cycles);
        run(done, next);
        checkpoints.push((next, rss()));
        done = next;
    }
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    drain.join().unwrap();

    // The library keeps its fixed worker threads; every socket of every cycle is closed.
    assert_eq!(library_threads(), threads0, "{:?}", thread_names());
    wait_until(Duration::from_secs(5), "the sockets to close", || {
        open_fds() <= fds0
    });
    assert_eq!(list_text(), "[]");
    // Memory: a cycle allocates a connection (handle, queue, channels, a 16 KiB read buffer),
    // events, a name. Leaking even one 256-byte piece of that per cycle grows memory by more
    // than 2 MiB over the 9,000 cycles after warm-up; the allocator's own variation measured
    // here is about 0.1 MiB (its arenas and caches are warm after the warm-up).
    release_free_memory();
    let grown = rss().saturating_sub(rss0);
    eprintln!(
        "{cycles} cycles in {took:?}; RSS after warm-up {} KiB, growth {} KiB, checkpoints {:?}",
        rss0 / 1024,
        grown / 1024,
        checkpoints
            .iter()
            .map(|(n, r)| (n, (*r as i64 - rss0 as i64) / 1024))
            .collect::<Vec<_>>()
    );
    assert!(
        grown < 2 * MIB,
        "memory grew by {} KiB over {} cycles after warm-up",
        grown / 1024,
        cycles - warm_up
    );
}

//! pode_ws_shutdown while everything is in flight: received messages nobody polled (queues full,
//! servers pushed back), a send blocked on a full send queue, connects hanging in their handshake
//! (one waited for, one in the background), a reconnect waiting out its backoff, and a poller
//! thread in the middle of polling. Shutdown must return promptly, release every blocked caller
//! with a clear result, leave no thread and no socket behind, and the library must work
//! afterwards.
//!
//! Shutdown affects the whole process and the test counts the process's threads, so it is the
//! only test of this binary.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::resources::{all_threads, library_threads, open_fds};
use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::pode_ws_shutdown;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

/// Pushes a burst of 5,000 1 KiB binary messages (more than the client's queue and the TCP
/// buffers hold), then reads, answering the client's close at once.
fn burst_server() -> Server {
    ws_server(|mut ws, _| async move {
        for _ in 0..5_000 {
            if ws.feed(Message::binary(vec![7u8; 1024])).await.is_err() {
                return;
            }
        }
        let _ = ws.flush().await;
        while let Some(Ok(_)) = ws.next().await {}
    })
}

/// Completes the handshake, then never reads: the client's sends back up.
fn deaf_server() -> Server {
    ws_server(|ws, _| async move {
        let _held = ws;
        std::future::pending::<()>().await;
    })
}

#[test]
fn shutdown_with_everything_in_flight_returns_promptly_and_leaks_nothing() {
    // Warm up: the library's runtime and the test servers' runtime start their threads once.
    let echo = echo_server_handle();
    let warm = unique("warm-up");
    connect(&warm, &echo.url(), "").unwrap();
    remove(&warm).unwrap();
    let poller = TestPoller::new();
    while !poller.poll(50, 0).unwrap().is_empty() {}
    drop(poller);
    let (threads_before, library_before, fds_before) =
        (all_threads(), library_threads(), open_fds());

    let burst = burst_server();
    let deaf = deaf_server();
    let (hanging, hangs) = hanging_server(None);
    let gone = echo_server_handle();

    // Received and queued, nobody polling: the queues fill and the servers are pushed back,
    // stuck behind data the client does not read, so they see its close frame only if the
    // client goes on reading. (Default close timeout: 5 s.)
    let flooded: Vec<String> = (0..3).map(|_| unique("flooded")).collect();
    for name in &flooded {
        connect(name, &burst.url(), r#"{"queue": {"maxEvents": 50}}"#).unwrap();
    }
    for name in &flooded {
        wait_until(LIMIT, "a full queue", || {
            info(name).unwrap()["queuedEvents"].as_u64().unwrap() >= 50
        });
    }

    // A sender blocked on a full send queue.
    let deafened = unique("deafened");
    connect(
        &deafened,
        &deaf.url(),
        r#"{"closeTimeoutMs": 500, "sendQueue": 2}"#,
    )
    .unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (name, sent) = (deafened.clone(), Arc::clone(&sent));
        std::thread::spawn(move || {
            let big = vec![0u8; 1 << 20];
            loop {
                if let Err(e) = send_binary(&name, &big) {
                    return e;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut last = usize::MAX;
    wait_until(LIMIT, "send to block", || {
        std::thread::sleep(Duration::from_millis(100));
        let now = sent.load(Ordering::SeqCst);
        std::mem::replace(&mut last, now) == now
    });

    // A connect hanging in its handshake.
    let hung = unique("hung");
    let connecting = {
        let (name, url) = (hung.clone(), hanging.url());
        std::thread::spawn(move || connect(&name, &url, r#"{"connectTimeoutMs": 30000}"#))
    };
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);

    // A background first connect hanging in its handshake (the call returned at once).
    connect(
        &unique("hung-background"),
        &hanging.url(),
        r#"{"background": true, "connectTimeoutMs": 30000}"#,
    )
    .unwrap();
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Accepted);

    // A reconnect waiting out a long backoff.
    let waiting = unique("waiting");
    connect(
        &waiting,
        &gone.url(),
        r#"{"reconnect": {"enabled": true, "initialDelayMs": 60000, "maxDelayMs": 60000}}"#,
    )
    .unwrap();
    gone.stop();
    wait_until(LIMIT, "the reconnect backoff", || {
        state(&waiting).ok() == Some(STATE_RECONNECTING)
    });

    // A poller thread in the middle of polling, slowly (it must not drain the queues).
    let polling = std::thread::spawn(|| {
        let poller = TestPoller::new();
        loop {
            match poller.poll(1000, 1) {
                Ok(_) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return e,
            }
        }
    });

    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = done_tx.send(pode_ws_shutdown());
    });
    let result = done_rx.recv_timeout(LIMIT).expect("pode_ws_shutdown hung");
    let took = started.elapsed();
    assert_eq!(result, PodeWsResult::Ok);
    // The servers that answer closes are answered at once (their unread messages are dropped,
    // not waited for); the deaf one is given up after its 500 ms close timeout.
    assert!(took < Duration::from_secs(3), "{took:?}");

    // Every blocked caller is released with a result that says why.
    // The blocked send returns: failed (NotOpen), or accepted just as the queue was emptied
    // on closing, and then the sender's next send finds the name gone.
    let e = sender.join().unwrap();
    assert!(
        [PodeWsResult::NotOpen, PodeWsResult::UnknownName].contains(&e.code),
        "{e:?}"
    );
    assert!(e.message.contains(&deafened), "{}", e.message);
    let e = connecting.join().unwrap().unwrap_err();
    assert_eq!(e.code, PodeWsResult::Cancelled, "{}", e.message);
    // Both hanging connects let go of their sockets.
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    assert_eq!(hangs.recv_timeout(LIMIT).unwrap(), Hang::Released);
    let e = polling.join().unwrap();
    assert_eq!(e.code, PodeWsResult::Closed, "{}", e.message);
    assert!(e.message.contains("create a new poller"), "{}", e.message);
    assert_eq!(list_text(), "[]");

    // Nothing left behind: the library keeps only its fixed runtime threads, and once the test
    // servers created above are stopped, no socket of any connection remains.
    wait_until(LIMIT, "the library's threads to settle", || {
        library_threads() <= library_before
    });
    for server in [&burst, &deaf, &hanging] {
        server.stop();
    }
    wait_until(LIMIT, "every socket to close", || open_fds() <= fds_before);
    wait_until(LIMIT, "the test's threads to end", || {
        all_threads() <= threads_before
    });

    // And the library works again.
    let poller = TestPoller::new();
    let again = unique("again");
    connect(&again, &echo.url(), "").unwrap();
    send_text(&again, "still here").unwrap();
    let seen = poller.wait_for(&again, LIMIT, |e| e.kind == TEXT);
    assert_eq!(seen.last().unwrap().text(), "still here");
    remove(&again).unwrap();
}

//! pode_ws_shutdown closes every connection (1001, in parallel), forgets every name and
//! closes every poller; the library works again afterwards. It affects the whole process, so
//! it is the only test of this binary.
mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::pode_ws_shutdown;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn shutdown_closes_everything_and_the_library_still_works() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = ws_server(move |mut ws, _| {
        let tx = tx.clone();
        async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(Some(f)) = m {
                    let _ = tx.send(u16::from(f.code));
                }
            }
        }
    });
    // One of them never answers a close: shutdown waits for it no longer than its timeout.
    let silent = raw_ws_server(|tcp| async move {
        let _held = tcp;
        std::future::pending::<()>().await;
    });
    let names: Vec<String> = (0..3).map(|_| unique("shutdown")).collect();
    for name in &names {
        connect(name, &server.url(), "").unwrap();
    }
    let quiet = unique("shutdown-silent");
    connect(&quiet, &silent.url(), r#"{"closeTimeoutMs": 300}"#).unwrap();

    // Nobody polls before the shutdown, so every connection still has events queued.
    let before = TestPoller::new();
    for name in names.iter().chain([&quiet]) {
        wait_until(Duration::from_secs(5), "the Opened event", || {
            info(name).unwrap()["queuedEvents"] == 1
        });
    }

    let started = Instant::now();
    assert_eq!(pode_ws_shutdown(), PodeWsResult::Ok);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    let mut codes: Vec<u16> = (0..3)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, vec![1001, 1001, 1001]);
    for name in names.iter().chain([&quiet]) {
        assert_unregistered(name);
    }
    assert_eq!(list_text(), "[]");
    let e = before.poll(0, 0).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Closed, "{}", e.message);

    // A new poller starts clean: no event of the connections from before the shutdown.
    let fresh = TestPoller::new();
    let stale = fresh.poll(200, 0).unwrap();
    assert!(stale.is_empty(), "{stale:?}");

    // Connections work again, and the names are free.
    let id = connect(&names[0], &server.url(), "").unwrap();
    let opened = fresh.wait_for(&names[0], Duration::from_secs(5), |e| e.kind == OPENED);
    assert_eq!((opened[0].kind, opened[0].connection_id), (OPENED, id));
    remove(&names[0]).unwrap();
}

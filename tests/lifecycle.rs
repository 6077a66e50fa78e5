//! Closing from either side, losing the connection, keepalive, reconnecting and resetting.
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::frames::{
    read_frame, read_until_close, write_frame, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT,
};
use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn server_close_reports_code_reason_and_remote() {
    let server = ws_server(|mut ws, _| async move {
        let frame = CloseFrame {
            code: CloseCode::from(4001),
            reason: "server says bye".into(),
        };
        let _ = ws.send(Message::Close(Some(frame))).await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    let name = unique("server-close");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by, closed.text().as_str()),
        (4001, BY_REMOTE, "server says bye")
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    let last = &info(&name).unwrap()["lastClose"];
    assert_eq!(
        (last["code"].as_u64(), last["closedBy"].as_str()),
        (Some(4001), Some("Remote"))
    );
    assert_eq!(
        send_text(&name, "x").unwrap_err().code,
        PodeWsResult::NotOpen
    );
    events.assert_quiet(Duration::from_millis(100));
    remove(&name).unwrap();
}

#[test]
fn client_disconnect_sends_code_and_reason() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = ws_server(move |mut ws, _| {
        let tx = tx.clone();
        async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(frame) = m {
                    let frame = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    let _ = tx.send(frame);
                }
            }
        }
    });
    let name = unique("client-close");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let started = Instant::now();
    disconnect(&name, 4002, "client done").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the server answered the close at once"
    );
    let seen = rx.recv_timeout(LIMIT).unwrap();
    assert_eq!(seen, Some((4002, "client done".to_string())));
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by, closed.text().as_str()),
        (4002, BY_LOCAL, "client done")
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    // Closing a closed connection succeeds; reserved codes are refused.
    disconnect(&name, 1000, "").unwrap();
    let e = disconnect(&name, 1005, "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidArgument, "{}", e.message);
    let e = disconnect(&name, 1000, &"r".repeat(124)).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidArgument, "{}", e.message);
    remove(&name).unwrap();
}

#[test]
fn remove_closes_with_1000_and_forgets_the_name() {
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
    let name = unique("remove");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    remove(&name).unwrap();
    assert_unregistered(&name);
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1000);
    // The close event is still delivered after the name is gone.
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!((closed.code, closed.closed_by), (1000, BY_LOCAL));
}

#[test]
fn tcp_dropped_mid_stream_is_lost_1006() {
    let server = raw_ws_server(|mut tcp| async move {
        write_frame(&mut tcp, true, OP_TEXT, b"before the drop").await;
        // Dropping the socket ends the stream without a close frame.
    });
    let name = unique("dropped");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    assert_eq!(events.expect(TEXT, LIMIT).text(), "before the drop");
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by),
        (1006, BY_LOST),
        "{closed:?}"
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    remove(&name).unwrap();
}

#[test]
fn tcp_reset_mid_stream_is_lost_1006() {
    let server = raw_ws_server(|mut tcp| async move {
        write_frame(&mut tcp, true, OP_TEXT, b"before the reset").await;
        // SO_LINGER 0: closing sends RST instead of FIN.
        #[allow(deprecated)]
        tcp.set_linger(Some(Duration::ZERO)).unwrap();
    });
    let name = unique("reset-tcp");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    let seen = events.until_kind(CLOSED, LIMIT);
    let closed = seen.last().unwrap();
    assert_eq!((closed.code, closed.closed_by), (1006, BY_LOST), "{seen:?}");
    assert!(!closed.data.is_empty(), "the reason says what happened");
    remove(&name).unwrap();
}

#[test]
fn silent_peer_is_detected_by_the_ping_timeout() {
    // Completes the handshake, then neither reads nor writes: a half-open connection.
    let server = raw_ws_server(|tcp| async move {
        let _held = tcp;
        std::future::pending::<()>().await;
    });
    let name = unique("silent");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        r#"{"pingIntervalMs": 200, "pongTimeoutMs": 300}"#,
    )
    .unwrap();
    let opened = Instant::now();
    events.expect(OPENED, LIMIT);
    let closed = events.expect(CLOSED, LIMIT);
    let after = opened.elapsed();
    assert_eq!((closed.code, closed.closed_by), (1006, BY_LOST));
    assert!(closed.text().contains("ping"), "{}", closed.text());
    assert!(after >= Duration::from_millis(450), "{after:?}");
    assert!(after < Duration::from_millis(1500), "{after:?}");
    remove(&name).unwrap();
}

#[test]
fn answered_pings_keep_the_connection_open() {
    // tungstenite answers pings by itself and still shows them to the handler: count them.
    let pings = Arc::new(AtomicUsize::new(0));
    let server = {
        let pings = Arc::clone(&pings);
        ws_server(move |mut ws, _| {
            let pings = Arc::clone(&pings);
            async move {
                while let Some(Ok(m)) = ws.next().await {
                    if m.is_ping() {
                        pings.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    let name = unique("pinged");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        r#"{"pingIntervalMs": 100, "pongTimeoutMs": 300}"#,
    )
    .unwrap();
    events.expect(OPENED, LIMIT);
    // Unanswered, the connection would be lost after about 400 ms.
    events.assert_quiet(Duration::from_millis(800));
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    assert!(pings.load(Ordering::SeqCst) >= 2, "pings were sent");
    remove(&name).unwrap();
}

#[test]
fn server_pings_are_answered_with_the_same_payload() {
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = raw_ws_server(move |mut tcp| {
        let tx = tx.clone();
        async move {
            write_frame(&mut tcp, true, OP_PING, b"are you there").await;
            if let Some(frame) = read_frame(&mut tcp).await {
                let _ = tx.send((frame.opcode, frame.payload));
            }
            read_until_close(&mut tcp).await;
        }
    });
    let name = unique("answers-ping");
    let events = events(&name);
    connect(&name, &server.url(), r#"{"closeTimeoutMs": 200}"#).unwrap();
    events.expect(OPENED, LIMIT);
    let (opcode, payload) = rx.recv_timeout(LIMIT).unwrap();
    assert_eq!(
        (opcode, payload.as_slice()),
        (OP_PONG, &b"are you there"[..])
    );
    remove(&name).unwrap();
}

#[test]
fn reconnects_automatically_when_the_server_comes_back() {
    let server = echo_server_handle();
    let addr = server.addr;
    let name = unique("reconnect");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 100, "maxDelayMs": 5000, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    assert_eq!(info(&name).unwrap()["reconnects"], 0);

    server.stop();
    let lost = events.expect(CLOSED, LIMIT);
    assert_eq!((lost.code, lost.closed_by), (1006, BY_LOST));
    let mut attempts = Vec::new();
    while attempts.len() < 3 {
        let e = events.next(LIMIT);
        match e.kind {
            RECONNECTING => {
                attempts.push((e.attempt, e.delay_ms));
                assert_eq!(state(&name).unwrap(), STATE_RECONNECTING);
            }
            // Each failed attempt says why.
            ERROR => assert_eq!(
                e.code,
                PodeWsResult::ConnectionRefused as u32,
                "{}",
                e.text()
            ),
            _ => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(attempts, vec![(1, 100), (2, 200), (3, 400)]);

    let back = ws_server_with(
        Setup {
            bind: Some(addr),
            ..Setup::default()
        },
        |ws, _| echo_loop(ws, "back:"),
    );
    let reopened = events.until_kind(OPENED, LIMIT);
    assert!(reopened.iter().all(|e| e.kind != CLOSED), "{reopened:?}");
    assert_eq!(reopened.last().unwrap().text(), back.url());
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    assert_eq!(info(&name).unwrap()["reconnects"], 1);
    send_text(&name, "hello again").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "back:hello again");
    remove(&name).unwrap();
    back.stop();
}

#[test]
fn reconnect_gives_up_after_max_attempts() {
    let server = echo_server_handle();
    let name = unique("give-up");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 20, "maxDelayMs": 40, "maxAttempts": 2, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    server.stop();
    let seen = events.until(LIMIT, |e| e.kind == ERROR && e.text().contains("gave up"));
    let gave_up = seen.last().unwrap();
    assert_eq!(
        gave_up.code,
        PodeWsResult::ReconnectGaveUp as u32,
        "{gave_up:?}"
    );
    assert!(
        gave_up
            .text()
            .contains("the last failed: could not connect"),
        "{}",
        gave_up.text()
    );
    let attempts: Vec<u32> = seen
        .iter()
        .filter(|e| e.kind == RECONNECTING)
        .map(|e| e.attempt)
        .collect();
    assert_eq!(attempts, vec![1, 2], "{seen:?}");
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    events.assert_quiet(Duration::from_millis(200));
    remove(&name).unwrap();
}

#[test]
fn disconnect_stops_reconnecting() {
    let server = echo_server_handle();
    let name = unique("stop-reconnect");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 2000, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    server.stop();
    events.expect(CLOSED, LIMIT);
    assert_eq!(events.expect(RECONNECTING, LIMIT).attempt, 1);
    let started = Instant::now();
    disconnect(&name, 1000, "").unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no wait for the backoff"
    );
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    events.assert_quiet(Duration::from_millis(300));
    remove(&name).unwrap();
}

#[test]
fn reset_moves_the_connection_to_a_new_url() {
    let first = tagged_echo_server("first:");
    let second = tagged_echo_server("second:");
    let name = unique("reset");
    let events = events(&name);
    let id = connect(&name, &first.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    send_text(&name, "a").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "first:a");

    reset(&name, Some(&second.url())).unwrap();
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!((closed.code, closed.closed_by), (1000, BY_LOCAL));
    let opened = events.expect(OPENED, LIMIT);
    assert_eq!((opened.text(), opened.connection_id), (second.url(), id));
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    assert_eq!(info(&name).unwrap()["url"], second.url());
    send_text(&name, "b").unwrap();
    assert_eq!(events.expect(TEXT, LIMIT).text(), "second:b");

    // Without a URL, reset reconnects to the current one.
    reset(&name, None).unwrap();
    events.expect(CLOSED, LIMIT);
    assert_eq!(events.expect(OPENED, LIMIT).text(), second.url());
    assert_eq!(second.handshakes().len(), 2);
    remove(&name).unwrap();
}

#[test]
fn reset_reopens_a_closed_connection_and_reports_a_failure() {
    let server = echo_server_handle();
    let name = unique("reset-closed");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    disconnect(&name, 1000, "").unwrap();
    events.expect(CLOSED, LIMIT);
    reset(&name, None).unwrap();
    events.expect(OPENED, LIMIT);
    assert_eq!(state(&name).unwrap(), STATE_OPEN);

    // A reset to a URL where nothing listens fails, names the cause, and leaves the name
    // registered but closed.
    let nowhere = ws_url(refused_addr());
    let e = reset(&name, Some(&nowhere)).unwrap_err();
    assert_eq!(e.code, PodeWsResult::ConnectionRefused, "{}", e.message);
    assert_eq!(state(&name).unwrap(), STATE_CLOSED);
    assert_eq!(info(&name).unwrap()["url"], nowhere);
    let e = reset(&name, Some("http://not-ws")).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidUrl, "{}", e.message);
    reset(&name, Some(&server.url())).unwrap();
    assert_eq!(state(&name).unwrap(), STATE_OPEN);
    remove(&name).unwrap();
}

#[test]
fn disconnect_cancels_a_connect_in_progress() {
    let server = silent_server();
    let name = unique("cancel");
    let url = server.url();
    let connecting = {
        let name = name.clone();
        std::thread::spawn(move || connect(&name, &url, r#"{"connectTimeoutMs": 10000}"#))
    };
    wait_until(LIMIT, "the connect to start", || {
        state(&name).ok() == Some(STATE_CONNECTING)
    });
    let started = Instant::now();
    disconnect(&name, 1000, "").unwrap();
    let e = connecting.join().unwrap().unwrap_err();
    assert_eq!(e.code, PodeWsResult::Cancelled, "{}", e.message);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_unregistered(&name);
}

#[test]
fn messages_stuck_at_a_lost_connection_are_not_sent_on_the_next_one() {
    // The first connection goes to a peer that never reads, so sends pile up until `send`
    // blocks; then the peer resets the connection. The second connection records what it gets.
    let kill = Arc::new(tokio::sync::Notify::new());
    let accepted = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = {
        let kill = Arc::clone(&kill);
        raw_ws_server(move |mut tcp| {
            let (kill, accepted, tx) = (Arc::clone(&kill), Arc::clone(&accepted), tx.clone());
            async move {
                if accepted.fetch_add(1, Ordering::SeqCst) == 0 {
                    kill.notified().await;
                    #[allow(deprecated)]
                    tcp.set_linger(Some(Duration::ZERO)).unwrap();
                    return;
                }
                while let Some(frame) = read_frame(&mut tcp).await {
                    if frame.opcode == OP_CLOSE {
                        write_frame(&mut tcp, true, OP_CLOSE, &frame.payload).await;
                        return;
                    }
                    let _ = tx.send((frame.opcode, frame.payload.len()));
                }
            }
        })
    };
    let name = unique("stuck");
    let events = events(&name);
    let options = r#"{"sendQueue": 1, "pingIntervalMs": 0,
        "reconnect": {"enabled": true, "initialDelayMs": 50, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (name, stop, sent) = (name.clone(), Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let big = vec![0u8; 1 << 20];
            while !stop.load(Ordering::SeqCst) && send_binary(&name, &big).is_ok() {
                sent.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Wait until `send` blocks: the count stops moving.
    let mut last = usize::MAX;
    wait_until(LIMIT, "send to block", || {
        std::thread::sleep(Duration::from_millis(150));
        let now = sent.load(Ordering::SeqCst);
        std::mem::replace(&mut last, now) == now
    });
    stop.store(true, Ordering::SeqCst);
    kill.notify_one();

    let seen = events.until_kind(OPENED, LIMIT);
    sender.join().unwrap();
    assert!(
        seen.iter()
            .any(|e| e.kind == ERROR && e.text().contains("not sent")),
        "the unsent messages are reported: {seen:?}"
    );
    send_text(&name, "fresh").unwrap();
    assert_eq!(
        rx.recv_timeout(LIMIT).unwrap(),
        (OP_TEXT, 5),
        "a message from the lost connection was sent on the new one"
    );
    remove(&name).unwrap();
}

#[test]
fn disconnect_sends_the_queued_messages_first() {
    // The server reads nothing until told to, so a large first message fills the TCP buffers
    // and the texts after it are still queued in the library when the disconnect begins.
    let go = Arc::new(tokio::sync::Notify::new());
    let (tx, rx) = crossbeam_channel::unbounded();
    let server = {
        let go = Arc::clone(&go);
        ws_server(move |mut ws, _| {
            let (tx, go) = (tx.clone(), Arc::clone(&go));
            async move {
                go.notified().await;
                let mut texts = Vec::new();
                while let Some(Ok(m)) = ws.next().await {
                    match m {
                        Message::Text(t) => texts.push(t.to_string()),
                        Message::Close(_) => {
                            let _ = tx.send(texts.clone());
                        }
                        _ => {}
                    }
                }
            }
        })
    };
    let name = unique("drain-on-close");
    connect(&name, &server.url(), "").unwrap();
    send_binary(&name, &vec![0u8; 16 << 20]).unwrap();
    for i in 0..500 {
        send_text(&name, &i.to_string()).unwrap();
    }
    let closing = {
        let name = name.clone();
        std::thread::spawn(move || disconnect(&name, 1000, ""))
    };
    wait_until(LIMIT, "the close to begin", || {
        state(&name).ok() == Some(STATE_CLOSED)
    });
    go.notify_one();
    closing.join().unwrap().unwrap();
    let texts = rx.recv_timeout(LIMIT).unwrap();
    assert_eq!(texts.len(), 500, "the close frame overtook queued messages");
    assert_eq!(texts, (0..500).map(|i| i.to_string()).collect::<Vec<_>>());
    remove(&name).unwrap();
}

#[test]
fn server_close_without_a_code_is_1005_and_last_messages_arrive_first() {
    let server = raw_ws_server(|mut tcp| async move {
        write_frame(&mut tcp, true, OP_TEXT, b"last words").await;
        write_frame(&mut tcp, true, OP_CLOSE, &[]).await;
        read_until_close(&mut tcp).await;
    });
    let name = unique("close-1005");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    assert_eq!(events.expect(TEXT, LIMIT).text(), "last words");
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(
        (closed.code, closed.closed_by),
        (1005, BY_REMOTE),
        "{closed:?}"
    );
    assert!(closed.data.is_empty());
    remove(&name).unwrap();
}

#[test]
fn removed_manual_receive_connection_leaves_no_events_behind() {
    // Events of a manualReceive connection are read by name only; once the name is removed
    // nobody can read them, so they must not stay in memory.
    let server = echo_server_handle();
    let name = unique("manual-removed");
    let id = connect(&name, &server.url(), r#"{"manualReceive": true}"#).unwrap();
    for i in 0..10 {
        send_text(&name, &i.to_string()).unwrap();
    }
    wait_until(LIMIT, "the echoes", || {
        info(&name).unwrap()["queuedEvents"] == 11
    });
    remove(&name).unwrap();
    assert_eq!(pode_ws::hub::HUB.queued(id), (0, 0));
}

#[test]
fn a_slowly_arriving_large_frame_is_not_mistaken_for_a_dead_peer() {
    // The peer never answers pings, but keeps sending the bytes of one large frame for longer
    // than pingIntervalMs + pongTimeoutMs: it is alive, and the message must arrive.
    let server = raw_ws_server(|mut tcp| async move {
        use tokio::io::AsyncWriteExt;
        let payload = vec![b'y'; 64 * 1024];
        let frame = common::frames::encode(true, 0x2, &payload);
        for chunk in frame.chunks(frame.len() / 16 + 1) {
            if tcp.write_all(chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::future::pending::<()>().await;
    });
    let name = unique("slowframe");
    let events = events(&name);
    connect(
        &name,
        &server.url(),
        r#"{"pingIntervalMs": 200, "pongTimeoutMs": 300}"#,
    )
    .unwrap();
    events.expect(OPENED, LIMIT);
    let got = events.expect(BINARY, LIMIT);
    assert_eq!(got.data.len(), 64 * 1024);
    // Once the bytes stop, the silent peer is detected as before.
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!((closed.code, closed.closed_by), (1006, BY_LOST));
    remove(&name).unwrap();
}

#[test]
fn a_server_that_drops_every_connection_at_once_is_retried_ever_more_slowly() {
    // Accepts the handshake, then closes at once: each reconnect "succeeds", but the backoff
    // must keep growing instead of starting over at the initial delay every time.
    let server = ws_server(|mut ws, _| async move {
        let _ = ws.close(None).await;
    });
    let name = unique("flapping");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 20, "maxDelayMs": 160, "maxAttempts": 3, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    let seen = events.until(LIMIT, |e| e.kind == RECONNECTING && e.attempt >= 4);
    let delays: Vec<(u32, u64)> = seen
        .iter()
        .filter(|e| e.kind == RECONNECTING)
        .map(|e| (e.attempt, e.delay_ms))
        .collect();
    assert_eq!(
        delays,
        vec![(1, 20), (2, 40), (3, 80), (4, 160)],
        "{seen:?}"
    );
    // Every connect succeeded, so maxAttempts (failed connects in a row) never gave up.
    assert!(!seen
        .iter()
        .any(|e| e.kind == ERROR && e.text().contains("gave up")));
    remove(&name).unwrap();
}

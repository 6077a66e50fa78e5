//! A server that closes with 1000, 1001, 1008 or 1011 and a reason: the code, the reason and who
//! closed reach the caller, with automatic reconnect off (the connection stays closed) and on
//! (it reconnects, and a server that keeps closing is reported every time).
mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use pode_ws::error::PodeWsResult;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(10);

const CASES: [(u16, &str); 4] = [
    (1000, "normal closure"),
    (1001, "server restarting"),
    (1008, "policy violation: token expired"),
    (1011, "interner Fehler – überlastet"),
];

/// A server that closes every connection with the code in its path (`/close/1008`) and the
/// reason of that case, after one text message.
fn closing_server() -> Server {
    ws_server(|mut ws, shake| async move {
        let code: u16 = shake.path.trim_start_matches("/close/").parse().unwrap();
        let reason = CASES.iter().find(|c| c.0 == code).unwrap().1;
        let _ = ws.send(Message::text("hello")).await;
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = ws.send(Message::Close(Some(frame))).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
}

fn assert_closed_as(e: &Ev, code: u16, reason: &str) {
    assert_eq!(e.kind, CLOSED, "{e:?}");
    assert_eq!(
        (e.code, e.closed_by, e.text().as_str()),
        (code as u32, BY_REMOTE, reason)
    );
}

#[test]
fn server_close_codes_reach_the_caller_without_reconnect() {
    let server = closing_server();
    for (code, reason) in CASES {
        let name = unique(&format!("close-{code}"));
        let events = events(&name);
        let url = format!("ws://{}/close/{code}", server.addr);
        connect(&name, &url, "").unwrap();
        events.expect(OPENED, LIMIT);
        assert_eq!(events.expect(TEXT, LIMIT).text(), "hello");
        assert_closed_as(&events.next(LIMIT), code, reason);
        assert_eq!(state(&name).unwrap(), STATE_CLOSED);
        let last = &info(&name).unwrap()["lastClose"];
        assert_eq!(
            (
                last["code"].as_u64(),
                last["reason"].as_str(),
                last["closedBy"].as_str()
            ),
            (Some(code as u64), Some(reason), Some("Remote"))
        );
        assert_eq!(
            send_text(&name, "x").unwrap_err().code,
            PodeWsResult::NotOpen
        );
        events.assert_quiet(Duration::from_millis(200));
        remove(&name).unwrap();
    }
}

#[test]
fn server_close_codes_reach_the_caller_and_reconnect() {
    let server = closing_server();
    for (code, reason) in CASES {
        let name = unique(&format!("close-reconnect-{code}"));
        let events = events(&name);
        let url = format!("ws://{}/close/{code}", server.addr);
        let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 20, "jitter": 0}}"#;
        connect(&name, &url, options).unwrap();
        // Twice: every close is reported with its code and reason, every reconnect announced.
        for round in 0..2 {
            events.expect(OPENED, LIMIT);
            assert_eq!(events.expect(TEXT, LIMIT).text(), "hello");
            assert_closed_as(&events.next(LIMIT), code, reason);
            let next = events.expect(RECONNECTING, LIMIT);
            if round == 0 {
                assert_eq!((next.attempt, next.delay_ms), (1, 20));
            }
        }
        remove(&name).unwrap();
        assert!(server.handshakes().len() >= 2);
    }
}

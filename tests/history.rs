//! A connection's history (`pode_ws_history`): its recent lifecycle events, oldest first, kept
//! after pollers took them, across reconnects and resets, bounded, freed on remove.
mod common;

use std::time::Duration;

use common::scripted::{scripted_server, Reply};
use common::*;
use pode_ws::error::PodeWsResult;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(10);

fn kinds(history: &[Value]) -> Vec<&str> {
    history
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

#[test]
fn the_history_tells_what_happened_in_order() {
    let server = scripted_server(
        vec![
            Reply::Close(1001, "restarting"),
            Reply::status("503 Service Unavailable", &[]),
        ],
        Reply::Echo,
    );
    let name = unique("history");
    let events = events(&name);
    let options = r#"{"reconnect": {"enabled": true, "initialDelayMs": 20, "maxDelayMs": 1000, "jitter": 0}}"#;
    connect(&name, &server.url(), options).unwrap();
    events.expect(OPENED, LIMIT);
    events.until_kind(OPENED, LIMIT);
    for i in 0..3 {
        send_text(&name, &format!("message {i}")).unwrap();
        events.expect(TEXT, LIMIT);
    }
    disconnect(&name, 4000, "bye").unwrap();
    events.expect(CLOSED, LIMIT);
    reset(&name, None).unwrap();
    events.expect(OPENED, LIMIT);

    let history = history(&name).unwrap();
    assert_eq!(
        kinds(&history),
        [
            "opened",
            "closed",
            "reconnecting",
            "error",
            "reconnecting",
            "opened",
            "closed",
            "opened"
        ],
        "{history:#?}"
    );
    let url = server.url();
    assert_eq!(history[0]["url"], url.as_str());
    assert_eq!(history[0]["subprotocol"], "");
    let closed = &history[1];
    assert_eq!(
        (
            &closed["code"],
            &closed["reason"],
            &closed["closedBy"],
            &closed["cause"]
        ),
        (
            &Value::from(1001),
            &Value::from("restarting"),
            &Value::from("Remote"),
            &Value::Null
        )
    );
    let first = &history[2];
    assert_eq!(
        (&first["attempt"], &first["delayMs"]),
        (&Value::from(1), &Value::from(20))
    );
    assert!(
        first["cause"]
            .as_str()
            .unwrap()
            .contains("1001 (restarting)"),
        "{first}"
    );
    assert_eq!(first["causeCode"], 0);
    assert_eq!(first["url"], url.as_str());
    let error = &history[3];
    assert_eq!(error["code"], PodeWsResult::HandshakeRejected as u32);
    assert_eq!(error["attempt"], 1);
    assert!(
        error["message"].as_str().unwrap().contains("HTTP 503"),
        "{error}"
    );
    let second = &history[4];
    assert_eq!(
        (&second["attempt"], &second["delayMs"]),
        (&Value::from(2), &Value::from(40))
    );
    assert_eq!(second["causeCode"], PodeWsResult::HandshakeRejected as u32);
    assert_eq!(
        (&history[6]["code"], &history[6]["closedBy"]),
        (&Value::from(4000), &Value::from("Local"))
    );
    let times: Vec<i64> = history
        .iter()
        .map(|e| e["atMs"].as_i64().unwrap())
        .collect();
    assert!(
        times[0] > 0 && times.windows(2).all(|w| w[0] <= w[1]),
        "{times:?}"
    );
    remove(&name).unwrap();
}

#[test]
fn a_lost_connection_is_kept_with_its_cause() {
    let server = echo_server_handle();
    let name = unique("history-lost");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    server.stop();
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(closed.closed_by, BY_LOST);
    let history = history(&name).unwrap();
    let entry = history.last().unwrap();
    assert_eq!(
        (&entry["code"], &entry["closedBy"]),
        (&Value::from(1006), &Value::from("Lost"))
    );
    assert_eq!(entry["cause"], closed.extra_text().as_str());
    assert!(
        entry["cause"]
            .as_str()
            .unwrap()
            .contains("without a close frame"),
        "{entry}"
    );
    remove(&name).unwrap();
}

#[test]
fn the_history_is_bounded_kept_across_resets_and_freed_on_remove() {
    let server = echo_server_handle();
    let name = unique("history-bound");
    connect(&name, &server.url(), r#"{"historySize": 3}"#).unwrap();
    for _ in 0..4 {
        reset(&name, None).unwrap();
    }
    let history = history(&name).unwrap();
    assert_eq!(
        kinds(&history),
        ["opened", "closed", "opened"],
        "{history:#?}"
    );
    assert_eq!(history[1]["reason"], "reset");
    remove(&name).unwrap();
    let e = common::history(&name).unwrap_err();
    assert_eq!(e.code, PodeWsResult::UnknownName, "{}", e.message);

    let off = unique("history-off");
    connect(&off, &server.url(), r#"{"historySize": 0}"#).unwrap();
    reset(&off, None).unwrap();
    assert!(common::history(&off).unwrap().is_empty());
    remove(&off).unwrap();

    let e = connect(&off, &server.url(), r#"{"historySize": 10001}"#).unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
    assert!(e.message.contains("historySize"), "{}", e.message);
}

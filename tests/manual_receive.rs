//! Connections opened with `manualReceive` are read only through pode_ws_poll_connection.
mod common;
use common::*;
use pode_ws::error::PodeWsResult;

fn poll_connection(
    poller: &TestPoller,
    name: &str,
    timeout_ms: u32,
) -> Result<Vec<(u32, Vec<u8>)>, PodeWsResult> {
    let (r, events) = unsafe { poller.poll_connection_raw(name, timeout_ms) };
    if r != PodeWsResult::Ok {
        return Err(r);
    }
    Ok(events
        .iter()
        .map(|e| {
            let ev = unsafe { copy_event(e) };
            (ev.kind, ev.data)
        })
        .collect())
}

#[test]
fn manual_connection_is_read_only_by_name() {
    let addr = echo_server();
    let name = unique("manual");
    connect(
        &name,
        &format!("ws://{addr}/"),
        r#"{"manualReceive": true}"#,
    )
    .unwrap();
    for i in 0..3 {
        send_text(&name, &format!("m{i}")).unwrap();
    }
    // A general poller never sees this connection's events.
    let general = TestPoller::new();
    let mine = TestPoller::new();
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while got.iter().filter(|(k, _)| *k == TEXT).count() < 3 && std::time::Instant::now() < deadline
    {
        got.extend(poll_connection(&mine, &name, 200).unwrap());
    }
    let texts: Vec<String> = got
        .iter()
        .filter(|(k, _)| *k == TEXT)
        .map(|(_, d)| String::from_utf8(d.clone()).unwrap())
        .collect();
    assert_eq!(texts, vec!["m0", "m1", "m2"]);
    assert_eq!(got[0].0, OPENED);
    assert!(general.poll(0, 0).unwrap().iter().all(|e| e.name != name));
    remove(&name).unwrap();
    assert_eq!(
        poll_connection(&mine, &name, 0).unwrap_err(),
        PodeWsResult::UnknownName
    );
}

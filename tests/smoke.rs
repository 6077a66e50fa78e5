mod common;
use common::*;
use std::time::Duration;

#[test]
fn text_and_binary_echo() {
    let addr = echo_server();
    let name = unique("echo");
    let poller = TestPoller::new();
    connect(&name, &format!("ws://{addr}/"), "").unwrap();
    send_text(&name, "hello").unwrap();
    send_binary(&name, &[0, 1, 2, 255]).unwrap();
    let evs = poller.wait_for(&name, Duration::from_secs(5), |e| e.kind == BINARY);
    let kinds: Vec<u32> = evs.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![OPENED, TEXT, BINARY]);
    assert_eq!(evs[1].text(), "hello");
    assert_eq!(evs[2].data, vec![0, 1, 2, 255]);
    disconnect(&name, 1000, "bye").unwrap();
    let evs = poller.wait_for(&name, Duration::from_secs(5), |e| e.kind == CLOSED);
    let closed = evs.last().unwrap();
    assert_eq!((closed.code, closed.closed_by), (1000, BY_LOCAL));
    remove(&name).unwrap();
    assert_eq!(
        remove(&name).unwrap_err().code,
        pode_ws::error::PodeWsResult::UnknownName
    );
}

//! The C ABI's boundary rules: NULL pointers, invalid UTF-8, bad names, unknown names, bad
//! options, buffers, pollers, version. Nothing here may crash the process.
//!
//! Some tests poll with their own pollers; this binary has no dispatcher and no test here
//! waits for a connection's events, so pollers taking each other's events does not matter.
mod common;

use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

use common::*;
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

const NULL_POINTER: PodeWsResult = PodeWsResult::NullPointer;

fn open_connection() -> (String, Server) {
    let server = echo_server_handle();
    let name = unique("abi");
    connect(&name, &server.url(), "").unwrap();
    (name, server)
}

#[test]
fn null_pointers_are_errors_not_crashes() {
    let (name, _server) = open_connection();
    let (n, nl) = (name.as_ptr(), name.len());
    let url = "ws://127.0.0.1:1/";
    let mut id = 0u64;
    let mut state = 0u32;
    let mut buffer: *mut PodeWsBuffer = null_mut();
    let mut poller: *mut PodeWsPoller = null_mut();
    let mut events: *const PodeWsEvent = null();
    let mut len = 0usize;
    unsafe {
        let results = [
            pode_ws_connect(null(), 3, url.as_ptr(), url.len(), null(), 0, &mut id),
            pode_ws_connect(null(), 0, url.as_ptr(), url.len(), null(), 0, &mut id),
            pode_ws_connect(n, nl, null(), 5, null(), 0, &mut id),
            pode_ws_connect(n, nl, url.as_ptr(), url.len(), null(), 4, &mut id),
            pode_ws_send(null(), 1, PODE_WS_SEND_TEXT, null(), 0),
            pode_ws_send(n, nl, PODE_WS_SEND_BINARY, null(), 10),
            pode_ws_disconnect(null(), 1, 1000, null(), 0),
            pode_ws_disconnect(n, nl, 1000, null(), 3),
            pode_ws_reset(null(), 1, null(), 0),
            pode_ws_reset(n, nl, null(), 9),
            pode_ws_remove(null(), 4),
            pode_ws_state(null(), 4, &mut state),
            pode_ws_state(n, nl, null_mut()),
            pode_ws_state(b"nobody".as_ptr(), 6, null_mut()),
            pode_ws_info(null(), 4, &mut buffer),
            pode_ws_info(n, nl, null_mut()),
            pode_ws_list(null_mut()),
            pode_ws_poller_new(null_mut()),
            pode_ws_poll(null_mut(), 0, 0, &mut events, &mut len),
        ];
        for (i, r) in results.iter().enumerate() {
            assert_eq!(*r, NULL_POINTER, "call #{i}");
        }
        assert!(last_error().contains("NULL"), "{}", last_error());

        assert_eq!(pode_ws_poller_new(&mut poller), PodeWsResult::Ok);
        assert_eq!(
            pode_ws_poll(poller, 0, 0, null_mut(), &mut len),
            NULL_POINTER
        );
        assert_eq!(
            pode_ws_poll(poller, 0, 0, &mut events, null_mut()),
            NULL_POINTER
        );
        // The free, wake and close functions ignore NULL.
        pode_ws_poller_wake(null_mut());
        pode_ws_poller_close(null_mut());
        pode_ws_poller_free(null_mut());
        pode_ws_buffer_free(null_mut());
        pode_ws_poller_free(poller);

        // NULL with length 0 is an empty optional argument: no options, empty message,
        // no reason, same URL; and out_id may be NULL.
        let other = unique("abi-null-ok");
        let server = echo_server_handle();
        let surl = server.url();
        let r = pode_ws_connect(
            other.as_ptr(),
            other.len(),
            surl.as_ptr(),
            surl.len(),
            null(),
            0,
            null_mut(),
        );
        assert_eq!(r, PodeWsResult::Ok, "{}", last_error());
        let (o, ol) = (other.as_ptr(), other.len());
        assert_eq!(
            pode_ws_send(o, ol, PODE_WS_SEND_TEXT, null(), 0),
            PodeWsResult::Ok
        );
        assert_eq!(pode_ws_reset(o, ol, null(), 0), PodeWsResult::Ok);
        assert_eq!(pode_ws_disconnect(o, ol, 1000, null(), 0), PodeWsResult::Ok);
    }
    remove(&name).unwrap();
}

#[test]
fn invalid_utf8_names_are_rejected() {
    let bad = [b'a', 0xFF, b'b'];
    let url = "ws://127.0.0.1:1/";
    let mut state = 0u32;
    unsafe {
        let r = pode_ws_connect(
            bad.as_ptr(),
            3,
            url.as_ptr(),
            url.len(),
            null(),
            0,
            null_mut(),
        );
        assert_eq!(r, PodeWsResult::InvalidUtf8);
        assert!(
            last_error().contains("name is not valid UTF-8"),
            "{}",
            last_error()
        );
        assert_eq!(
            pode_ws_state(bad.as_ptr(), 3, &mut state),
            PodeWsResult::InvalidUtf8
        );
        assert_eq!(pode_ws_remove(bad.as_ptr(), 3), PodeWsResult::InvalidUtf8);
        let bad_url = [b'w', b's', b':', b'/', b'/', 0xC0];
        let r = pode_ws_connect(b"x".as_ptr(), 1, bad_url.as_ptr(), 6, null(), 0, null_mut());
        assert_eq!(r, PodeWsResult::InvalidUtf8);
        let r = pode_ws_connect(
            b"x".as_ptr(),
            1,
            url.as_ptr(),
            url.len(),
            bad.as_ptr(),
            3,
            null_mut(),
        );
        assert_eq!(r, PodeWsResult::InvalidUtf8);
    }
    assert_unregistered("x");
}

#[test]
fn bad_names_are_invalid_arguments() {
    let long = "n".repeat(1025);
    for name in ["", "   ", "tab\there", "new\nline", long.as_str()] {
        let e = connect(name, "ws://127.0.0.1:1/", "").unwrap_err();
        assert_eq!(
            e.code,
            PodeWsResult::InvalidArgument,
            "{name:?}: {}",
            e.message
        );
        assert!(e.message.contains("name"), "{}", e.message);
    }
}

#[test]
fn unknown_names_are_reported_by_every_call() {
    let name = unique("nobody");
    let check = |e: Failure| {
        assert_eq!(e.code, PodeWsResult::UnknownName, "{}", e.message);
        assert!(e.message.contains(&name), "{}", e.message);
    };
    check(send_text(&name, "x").unwrap_err());
    check(send_binary(&name, b"x").unwrap_err());
    check(disconnect(&name, 1000, "").unwrap_err());
    check(reset(&name, None).unwrap_err());
    check(reset(&name, Some("ws://127.0.0.1:1/")).unwrap_err());
    check(remove(&name).unwrap_err());
    check(state(&name).unwrap_err());
    check(info(&name).unwrap_err());
}

#[test]
fn double_remove_is_unknown_name() {
    let (name, _server) = open_connection();
    remove(&name).unwrap();
    assert_eq!(remove(&name).unwrap_err().code, PodeWsResult::UnknownName);
    assert!(!list_text().contains(&name));
}

#[test]
fn send_arguments_are_checked() {
    let (name, _server) = open_connection();
    unsafe {
        let r = pode_ws_send(name.as_ptr(), name.len(), 3, b"x".as_ptr(), 1);
        assert_eq!(r, PodeWsResult::InvalidArgument);
        assert!(last_error().contains("kind 3"), "{}", last_error());
    }
    let bad = [b'o', 0xFF];
    unsafe {
        let r = pode_ws_send(
            name.as_ptr(),
            name.len(),
            PODE_WS_SEND_TEXT,
            bad.as_ptr(),
            2,
        );
        assert_eq!(r, PodeWsResult::InvalidUtf8);
        assert!(last_error().contains("binary"), "{}", last_error());
    }
    send_binary(&name, &bad).unwrap();
    let e = disconnect(&name, 70_000, "").unwrap_err();
    assert_eq!(e.code, PodeWsResult::InvalidArgument, "{}", e.message);
    remove(&name).unwrap();
}

#[test]
fn malformed_options_are_rejected() {
    let server = echo_server_handle();
    let cases = [
        ("{", "invalid options JSON"),
        ("[]", "JSON object"),
        ("null", "JSON object"),
        (r#"{"tls": [true]}"#, "tls must be a JSON object"),
        (
            r#"{"reconnect": [true, 1, 2]}"#,
            "reconnect must be a JSON object",
        ),
        (r#"{"pingInterval": 5}"#, "pingInterval"),
        (r#"{"tls": {"skipverify": true}}"#, "skipverify"),
        (r#"{"reconnect": {"enable": true}}"#, "enable"),
        (r#"{"pingIntervalMs": "10"}"#, "invalid options JSON"),
        (r#"{"pingIntervalMs": -1}"#, "invalid options JSON"),
        (r#"{"connectTimeoutMs": 0}"#, "connectTimeoutMs"),
        (r#"{"reconnect": {"jitter": 2}}"#, "jitter"),
        (
            r#"{"reconnect": {"initialDelayMs": 10, "maxDelayMs": 5}}"#,
            "initialDelayMs",
        ),
        (r#"{"queue": {"maxEvents": 0}}"#, "maxEvents"),
        (r#"{"sendQueue": 0}"#, "sendQueue"),
        (r#"{"maxMessageSize": 0}"#, "maxMessageSize"),
        (r#"{"readBufferSize": 10}"#, "readBufferSize"),
        // Would abort the process (an allocation that cannot succeed).
        (r#"{"readBufferSize": 1099511627776}"#, "readBufferSize"),
        (r#"{"sendQueue": 18446744073709551615}"#, "sendQueue"),
        (r#"{"headers": {"Bad Name": "x"}}"#, "Bad Name"),
        (r#"{"headers": {"X-Ok": "line\nbreak"}}"#, "X-Ok"),
        (r#"{"subprotocols": ["has space"]}"#, "has space"),
        (r#"{"proxy": {"url": "ftp://h:1"}}"#, "proxy.url"),
        (r#"{"proxy": {"password": "x"}}"#, "proxy.password"),
        (
            r#"{"proxy": {"environment": {"HTTPS_PROXI": "x"}}}"#,
            "'HTTPS_PROXI' is not a proxy variable",
        ),
        (
            r#"{"proxy": {"environment": ["HTTP_PROXY"]}}"#,
            "invalid options JSON",
        ),
        (
            r#"{"proxy": {"username": "u", "fromEnvironment": false}}"#,
            "no proxy can apply",
        ),
        (r#"{"maxRedirects": 101}"#, "maxRedirects"),
        (r#"{"maxRedirects": -1}"#, "invalid options JSON"),
        (r#"{"traceId": ""}"#, "traceId"),
        (r#"{"traceId": "a\nb"}"#, "traceId"),
    ];
    for (options, mentions) in cases {
        let name = unique("bad-options");
        let e = connect(&name, &server.url(), options).unwrap_err();
        assert_eq!(
            e.code,
            PodeWsResult::InvalidOptions,
            "{options}: {}",
            e.message
        );
        assert!(e.message.contains(mentions), "{options}: {}", e.message);
        assert_unregistered(&name);
    }
    // Whitespace only means defaults.
    let name = unique("blank-options");
    connect(&name, &server.url(), "  \n").unwrap();
    remove(&name).unwrap();
}

#[test]
fn last_error_reports_the_needed_length() {
    let e = connect(&unique("le"), "http://nope/", "").unwrap_err();
    let mut needed = 0usize;
    let mut small = [0u8; 4];
    unsafe {
        let r = pode_ws_last_error(small.as_mut_ptr(), small.len(), &mut needed);
        assert_eq!(r, PodeWsResult::BufferTooSmall);
        assert_eq!(needed, e.message.len());
        // Asking does not clear the message: ask again with the needed size.
        let r = pode_ws_last_error(null_mut(), 0, &mut needed);
        assert_eq!(r, PodeWsResult::BufferTooSmall);
        let mut exact = vec![0u8; needed];
        let mut written = 0usize;
        let r = pode_ws_last_error(exact.as_mut_ptr(), exact.len(), &mut written);
        assert_eq!(r, PodeWsResult::Ok);
        assert_eq!(String::from_utf8(exact).unwrap(), e.message);
        assert_eq!(written, needed);
    }
    // The next call clears it.
    let mut version = [0u8; 32];
    unsafe { pode_ws_version(version.as_mut_ptr(), version.len(), null_mut()) };
    assert_eq!(last_error(), "");
}

#[test]
fn last_error_is_per_thread() {
    let e = connect(&unique("le-thread"), "http://nope/", "").unwrap_err();
    let other = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(other, "");
    assert_eq!(last_error(), e.message);
}

#[test]
fn version_string() {
    let mut needed = 0usize;
    unsafe {
        assert_eq!(
            pode_ws_version(null_mut(), 0, &mut needed),
            PodeWsResult::BufferTooSmall
        );
        assert_eq!(
            pode_ws_version(null_mut(), 0, null_mut()),
            PodeWsResult::BufferTooSmall
        );
    }
    let mut buf = vec![0u8; needed];
    let mut len = 0usize;
    unsafe {
        assert_eq!(
            pode_ws_version(buf.as_mut_ptr(), buf.len(), &mut len),
            PodeWsResult::Ok
        );
    }
    let version = String::from_utf8(buf[..len].to_vec()).unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(version.split('.').count(), 3, "{version}");
}

#[test]
fn poll_after_close_fails_with_closed() {
    let poller = TestPoller::new();
    unsafe { pode_ws_poller_close(poller.0) };
    let e = poller.poll(0, 0).unwrap_err();
    assert_eq!(e.code, PodeWsResult::Closed, "{}", e.message);
    // Still closed later; free works.
    assert_eq!(poller.poll(10, 0).unwrap_err().code, PodeWsResult::Closed);
}

/// The wake and close tests take turns: `pode_ws_wake_all` wakes every poller of the process.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts a thread polling `poller` with an infinite timeout until a poll returns no events
/// (only a wake does that); returns when that happened.
fn blocked_poll(
    poller: std::sync::Arc<TestPoller>,
) -> std::thread::JoinHandle<(Instant, Result<(), Failure>)> {
    std::thread::spawn(move || loop {
        match poller.poll(PODE_WS_INFINITE, 0) {
            Ok(batch) if batch.is_empty() => return (Instant::now(), Ok(())),
            Ok(_) => continue, // another test's events; keep waiting
            Err(e) => return (Instant::now(), Err(e)),
        }
    })
}

#[test]
fn wake_returns_a_blocked_poll_promptly() {
    let _turn = turn();
    let poller = std::sync::Arc::new(TestPoller::new());
    let waiting = blocked_poll(std::sync::Arc::clone(&poller));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiting.is_finished(), "the poll returned before the wake");
    let woken = Instant::now();
    unsafe { pode_ws_poller_wake(poller.0) };
    let (returned, result) = waiting.join().unwrap();
    result.unwrap();
    assert!(returned.duration_since(woken) < Duration::from_secs(1));
    // A wake with nobody polling makes the next poll return at once.
    unsafe { pode_ws_poller_wake(poller.0) };
    let started = Instant::now();
    loop {
        if poller.poll(PODE_WS_INFINITE, 0).unwrap().is_empty() {
            break;
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn close_returns_a_blocked_poll_with_closed() {
    let _turn = turn();
    let poller = std::sync::Arc::new(TestPoller::new());
    let waiting = blocked_poll(std::sync::Arc::clone(&poller));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiting.is_finished(), "the poll returned before the close");
    unsafe { pode_ws_poller_close(poller.0) };
    let (_, result) = waiting.join().unwrap();
    assert_eq!(result.unwrap_err().code, PodeWsResult::Closed);
}

#[test]
fn wake_all_returns_every_blocked_poll() {
    let _turn = turn();
    let pollers: Vec<_> = (0..3)
        .map(|_| std::sync::Arc::new(TestPoller::new()))
        .collect();
    let waiting: Vec<_> = pollers
        .iter()
        .map(|p| blocked_poll(std::sync::Arc::clone(p)))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    assert!(waiting.iter().all(|w| !w.is_finished()));
    let woken = Instant::now();
    pode_ws_wake_all();
    for w in waiting {
        let (returned, result) = w.join().unwrap();
        result.unwrap();
        assert!(returned.duration_since(woken) < Duration::from_secs(1));
    }
}

#[test]
fn list_describes_every_connection() {
    let (a, _s1) = open_connection();
    let (b, _s2) = open_connection();
    let list: serde_json::Value = serde_json::from_str(&list_text()).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&a.as_str()) && names.contains(&b.as_str()),
        "{names:?}"
    );
    let info = info(&a).unwrap();
    for key in [
        "id",
        "url",
        "state",
        "messagesIn",
        "bytesIn",
        "messagesOut",
        "bytesOut",
        "reconnects",
        "queuedEvents",
        "queuedBytes",
        "lastClose",
        "lastError",
        "subprotocol",
    ] {
        assert!(info.get(key).is_some(), "info lacks {key}: {info}");
    }
    remove(&a).unwrap();
    remove(&b).unwrap();
}

/// Polls `poller` one event at a time until one of `name` arrives.
fn next_of(poller: &TestPoller, name: &str, limit: Duration) -> Option<Ev> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(e) = poller.poll(50, 1).unwrap().pop() {
            if e.name == name {
                return Some(e);
            }
        }
    }
    None
}

#[test]
fn a_claim_lasts_until_the_next_poll_or_free() {
    let _turn = turn();
    let (name, _server) = open_connection();
    let queued_one = || {
        wait_until(Duration::from_secs(5), "the echo", || {
            info(&name).unwrap()["queuedEvents"] == 1
        })
    };
    let a = TestPoller::new();
    let b = TestPoller::new();
    assert_eq!(
        next_of(&a, &name, Duration::from_secs(5)).unwrap().kind,
        OPENED
    );

    // `a` holds the connection: its next event is not handed to `b`...
    send_text(&name, "one").unwrap();
    queued_one();
    assert!(next_of(&b, &name, Duration::from_millis(300)).is_none());
    // ...until `a` is freed.
    drop(a);
    let got = next_of(&b, &name, Duration::from_secs(5));
    assert_eq!(got.map(|e| e.text()), Some("one".to_string()));

    // Now `b` holds it; its own next poll releases and takes the next event.
    let c = TestPoller::new();
    send_text(&name, "two").unwrap();
    queued_one();
    assert!(next_of(&c, &name, Duration::from_millis(300)).is_none());
    let got = next_of(&b, &name, Duration::from_secs(5));
    assert_eq!(got.map(|e| e.text()), Some("two".to_string()));

    // `pode_ws_poller_release` ends `b`'s batch early: `c` may take the next event at once.
    send_text(&name, "three").unwrap();
    queued_one();
    assert!(next_of(&c, &name, Duration::from_millis(300)).is_none());
    unsafe { pode_ws_poller_release(b.0) };
    let got = next_of(&c, &name, Duration::from_secs(5));
    assert_eq!(got.map(|e| e.text()), Some("three".to_string()));
    unsafe { pode_ws_poller_release(std::ptr::null_mut()) };
    remove(&name).unwrap();
}

//! Test support: safe wrappers over the C ABI, a per-process event dispatcher, and in-process
//! servers on 127.0.0.1:0 (WebSocket, raw TCP, TLS, proxies).
//!
//! Every test binary shares one registry and one hub, and a poller receives the events of every
//! connection. Tests that only need their own connection's events use [`dispatch::events`]
//! (one routing thread, so nothing is stolen); tests that must drive pollers themselves live in
//! a binary of their own (concurrency, backpressure, abi).
#![allow(dead_code)]

pub mod dispatch;
pub mod frames;
pub mod interop;
pub mod process;
pub mod proxies;
pub mod resources;
pub mod scripted;
pub mod servers;
pub mod tls;
pub mod watch;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

#[allow(unused_imports)]
pub use dispatch::events;
#[allow(unused_imports)]
pub use servers::*;

/// The calling thread's last error message.
pub fn last_error() -> String {
    let mut buf = vec![0u8; 4096];
    let mut len = 0usize;
    let r = unsafe { pode_ws_last_error(buf.as_mut_ptr(), buf.len(), &mut len) };
    assert_eq!(r, PodeWsResult::Ok);
    buf.truncate(len);
    String::from_utf8(buf).unwrap()
}

/// A failed call: its code and message.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: PodeWsResult,
    pub message: String,
}

pub fn check(r: PodeWsResult) -> Result<(), Failure> {
    if r == PodeWsResult::Ok {
        Ok(())
    } else {
        Err(Failure {
            code: r,
            message: last_error(),
        })
    }
}

pub fn connect(name: &str, url: &str, options: &str) -> Result<u64, Failure> {
    let mut id = 0u64;
    check(unsafe {
        pode_ws_connect(
            name.as_ptr(),
            name.len(),
            url.as_ptr(),
            url.len(),
            options.as_ptr(),
            options.len(),
            &mut id,
        )
    })?;
    Ok(id)
}

pub fn send_text(name: &str, text: &str) -> Result<(), Failure> {
    check(unsafe {
        pode_ws_send(
            name.as_ptr(),
            name.len(),
            PODE_WS_SEND_TEXT,
            text.as_ptr(),
            text.len(),
        )
    })
}

pub fn send_binary(name: &str, data: &[u8]) -> Result<(), Failure> {
    check(unsafe {
        pode_ws_send(
            name.as_ptr(),
            name.len(),
            PODE_WS_SEND_BINARY,
            data.as_ptr(),
            data.len(),
        )
    })
}

pub fn disconnect(name: &str, code: u32, reason: &str) -> Result<(), Failure> {
    check(unsafe {
        pode_ws_disconnect(
            name.as_ptr(),
            name.len(),
            code,
            reason.as_ptr(),
            reason.len(),
        )
    })
}

pub fn reset(name: &str, url: Option<&str>) -> Result<(), Failure> {
    let (p, l) = url.map_or((std::ptr::null(), 0), |u| (u.as_ptr(), u.len()));
    check(unsafe { pode_ws_reset(name.as_ptr(), name.len(), p, l) })
}

pub fn remove(name: &str) -> Result<(), Failure> {
    check(unsafe { pode_ws_remove(name.as_ptr(), name.len()) })
}

pub fn state(name: &str) -> Result<u32, Failure> {
    let mut s = 0u32;
    check(unsafe { pode_ws_state(name.as_ptr(), name.len(), &mut s) })?;
    Ok(s)
}

/// Reads and frees a library buffer.
pub fn take_buffer(buf: *mut PodeWsBuffer) -> String {
    unsafe {
        let b = &*buf;
        let s = std::str::from_utf8(std::slice::from_raw_parts(b.data, b.len))
            .unwrap()
            .to_string();
        pode_ws_buffer_free(buf);
        s
    }
}

pub fn info(name: &str) -> Result<serde_json::Value, Failure> {
    let mut buf: *mut PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws_info(name.as_ptr(), name.len(), &mut buf) })?;
    Ok(serde_json::from_str(&take_buffer(buf)).unwrap())
}

/// The raw JSON text of `pode_ws_info` (for searching it for secrets).
pub fn info_text(name: &str) -> Result<String, Failure> {
    let mut buf: *mut PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws_info(name.as_ptr(), name.len(), &mut buf) })?;
    Ok(take_buffer(buf))
}

/// `pode_ws_history`: the connection's recent lifecycle events, oldest first.
pub fn history(name: &str) -> Result<Vec<serde_json::Value>, Failure> {
    let mut buf: *mut PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws_history(name.as_ptr(), name.len(), &mut buf) })?;
    Ok(serde_json::from_str(&take_buffer(buf)).unwrap())
}

/// `pode_ws_reconnect_target`; `None` passes NULL.
pub fn reconnect_target(
    name: &str,
    attempt: u32,
    url: Option<&str>,
    headers_json: Option<&str>,
) -> Result<(), Failure> {
    let (u, ul) = url.map_or((std::ptr::null(), 0), |u| (u.as_ptr(), u.len()));
    let (h, hl) = headers_json.map_or((std::ptr::null(), 0), |h| (h.as_ptr(), h.len()));
    check(unsafe { pode_ws_reconnect_target(name.as_ptr(), name.len(), attempt, u, ul, h, hl) })
}

/// `pode_ws_reconnect_fail`.
pub fn reconnect_fail(name: &str, attempt: u32, message: &str) -> Result<(), Failure> {
    check(unsafe {
        pode_ws_reconnect_fail(
            name.as_ptr(),
            name.len(),
            attempt,
            message.as_ptr(),
            message.len(),
        )
    })
}

/// The raw JSON text of `pode_ws_list`.
pub fn list_text() -> String {
    let mut buf: *mut PodeWsBuffer = std::ptr::null_mut();
    check(unsafe { pode_ws_list(&mut buf) }).unwrap();
    take_buffer(buf)
}

pub const STATE_CONNECTING: u32 = 1;
pub const STATE_OPEN: u32 = 2;
pub const STATE_RECONNECTING: u32 = 3;
pub const STATE_CLOSED: u32 = 4;

/// Asserts that `name` is not registered.
pub fn assert_unregistered(name: &str) {
    let e = state(name).expect_err("the name should not be registered");
    assert_eq!(e.code, PodeWsResult::UnknownName, "{}", e.message);
}

/// An owned copy of one polled event.
#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    pub connection_id: u64,
    pub name: String,
    pub kind: u32,
    pub data: Vec<u8>,
    pub extra: Vec<u8>,
    pub code: u32,
    pub closed_by: u32,
    pub attempt: u32,
    pub delay_ms: u64,
    pub timestamp_ms: i64,
}

impl Ev {
    pub fn text(&self) -> String {
        String::from_utf8(self.data.clone()).unwrap()
    }

    pub fn extra_text(&self) -> String {
        String::from_utf8(self.extra.clone()).unwrap()
    }
}

pub const TEXT: u32 = 1;
pub const BINARY: u32 = 2;
pub const OPENED: u32 = 3;
pub const CLOSED: u32 = 4;
pub const ERROR: u32 = 5;
pub const RECONNECTING: u32 = 6;

pub const BY_LOCAL: u32 = 1;
pub const BY_REMOTE: u32 = 2;
pub const BY_LOST: u32 = 3;

/// Copies one C event out.
///
/// # Safety
/// `e` must come from a batch that is still valid.
pub unsafe fn copy_event(e: &PodeWsEvent) -> Ev {
    let bytes = |p: *const u8, l: usize| {
        if l == 0 {
            Vec::new()
        } else {
            unsafe { std::slice::from_raw_parts(p, l).to_vec() }
        }
    };
    Ev {
        connection_id: e.connection_id,
        name: String::from_utf8(bytes(e.name, e.name_len)).unwrap(),
        kind: e.kind,
        data: bytes(e.data, e.data_len),
        extra: bytes(e.extra, e.extra_len),
        code: e.code,
        closed_by: e.closed_by,
        attempt: e.attempt,
        delay_ms: e.delay_ms,
        timestamp_ms: e.timestamp_ms,
    }
}

/// A poller owned by a test.
pub struct TestPoller(pub *mut PodeWsPoller);

unsafe impl Send for TestPoller {}
unsafe impl Sync for TestPoller {}

impl TestPoller {
    pub fn new() -> TestPoller {
        let mut p = std::ptr::null_mut();
        check(unsafe { pode_ws_poller_new(&mut p) }).unwrap();
        TestPoller(p)
    }

    /// One poll: copies the batch out.
    pub fn poll(&self, timeout_ms: u32, max: u32) -> Result<Vec<Ev>, Failure> {
        let mut events: *const PodeWsEvent = std::ptr::null();
        let mut len = 0usize;
        check(unsafe { pode_ws_poll(self.0, timeout_ms, max, &mut events, &mut len) })?;
        Ok((0..len)
            .map(|i| unsafe { copy_event(&*events.add(i)) })
            .collect())
    }

    /// One poll of connection `name`'s own queue (manualReceive): the result code and the batch as
    /// the C ABI hands it out.
    ///
    /// # Safety
    /// The slice is valid only until pode_ws_poller_release or the next poll of this poller,
    /// which the borrow does not enforce: do not read it after either.
    pub unsafe fn poll_connection_raw(
        &self,
        name: &str,
        timeout_ms: u32,
    ) -> (PodeWsResult, &[PodeWsEvent]) {
        let mut events: *const PodeWsEvent = std::ptr::null();
        let mut len = 0usize;
        let r = unsafe {
            pode_ws_poll_connection(
                self.0,
                name.as_ptr(),
                name.len(),
                timeout_ms,
                0,
                &mut events,
                &mut len,
            )
        };
        if r != PodeWsResult::Ok || len == 0 {
            return (r, &[]);
        }
        (r, unsafe { std::slice::from_raw_parts(events, len) })
    }

    /// Polls until `pred` matches an event of connection `name`, returning every event of that
    /// connection seen so far (including the match). Panics after `limit`.
    pub fn wait_for(&self, name: &str, limit: Duration, pred: impl Fn(&Ev) -> bool) -> Vec<Ev> {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            for e in self.poll(100, 0).unwrap() {
                if e.name == name {
                    let done = pred(&e);
                    seen.push(e);
                    if done {
                        return seen;
                    }
                }
            }
        }
        panic!("no matching event for '{name}' within {limit:?}; saw {seen:?}");
    }
}

impl Default for TestPoller {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestPoller {
    fn drop(&mut self) {
        unsafe { pode_ws_poller_free(self.0) };
    }
}

/// A unique connection name per test (tests share one process-wide registry).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Polls `cond` until it holds; panics with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `ws://addr/`.
pub fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/")
}

//! The C ABI. Every function here only translates: it checks and converts its arguments, calls
//! the safe API in `api.rs`, and converts the result. Conventions:
//!
//! - Every fallible function returns a `PodeWsResult` (0 = `PODE_WS_RESULT_OK`). On error the
//!   calling thread's message is available from `pode_ws_last_error`; it is cleared at the start
//!   of every call (except `pode_ws_last_error` itself).
//! - Out-parameters are named `out_*`, come last, and are written only on success.
//! - Strings cross as UTF-8 pointer + length, never NUL-terminated. No `bool` in signatures.
//! - Whatever the library allocates, the library frees (`pode_ws_*_free`, NULL-safe).
//! - Panics never cross the boundary: they become `PODE_WS_RESULT_PANIC`.
//! - Every function may be called from any thread; blocking ones say how long they block.
//!
//! # Safety (every function)
//! Each `ptr` + `len` pair must be NULL with `len == 0` or point to `len` readable bytes; each
//! `out_*` must be NULL (an error, except where it says optional) or valid for one write;
//! poller and buffer handles must come from this library and not be used after being freed.
#![allow(clippy::missing_safety_doc)] // the shared contract above applies to every export

mod guard;

use std::time::Duration;

use parking_lot::Mutex;

use crate::api;
use crate::error::{Error, PodeWsResult};
use crate::hub::{Poller, HUB};

use guard::{
    bytes_arg, copy_out, guard, guard_void, null, optional_str_arg, str_arg, with_last_error,
    write_out,
};

/// Pass as `timeout_ms` to `pode_ws_poll` to wait until an event arrives or the poller is woken.
pub const PODE_WS_INFINITE: u32 = u32::MAX;

/// A message kind for `pode_ws_send`: a text message (the data must be UTF-8).
pub const PODE_WS_SEND_TEXT: u32 = 1;
/// A message kind for `pode_ws_send`: a binary message.
pub const PODE_WS_SEND_BINARY: u32 = 2;

/// One event returned by `pode_ws_poll`. All pointers stay valid until the next
/// `pode_ws_poll` on the same poller or `pode_ws_poller_free`.
#[repr(C)]
pub struct PodeWsEvent {
    /// Unique per connect: a name connected again gets a new id.
    pub connection_id: u64,
    /// The connection name (UTF-8, as given to `pode_ws_connect`).
    pub name: *const u8,
    pub name_len: usize,
    /// Text/binary: the message. Opened: the URL. Closed: the reason. Error: the message.
    /// Reconnecting: the cause (the last attempt's error, or how the server closed).
    pub data: *const u8,
    pub data_len: usize,
    /// Opened: the negotiated subprotocol (may be empty). Closed: the failure that caused the
    /// close (empty when none). Reconnecting: the URL the attempt will use (unless the
    /// reconnect handler answers another). Otherwise empty.
    pub extra: *const u8,
    pub extra_len: usize,
    /// When the event happened (for messages: when it was received), Unix milliseconds UTC.
    pub timestamp_ms: i64,
    /// Reconnecting: the delay before the attempt, in milliseconds.
    pub delay_ms: u64,
    /// A `PodeWsEventKind`.
    pub kind: u32,
    /// Closed: the close code (1006 when the connection was lost or never opened). Error: a
    /// `PodeWsResult`. Reconnecting: the cause's `PodeWsResult` (0 when the server closed
    /// without a failure).
    pub code: u32,
    /// Closed: a `PodeWsCloser`.
    pub closed_by: u32,
    /// Reconnecting: the attempt number, from 1 (pass it to `pode_ws_reconnect_target`).
    /// Error: the reconnect attempt that failed (0 when the error is not an attempt's).
    pub attempt: u32,
    /// Binary: the owner token the payload allocator gave for the buffer `data` points into
    /// (see `pode_ws_set_payload_allocator`), 0 when the message is in the library's memory.
    pub data_owner: usize,
}

/// A byte buffer allocated by the library (JSON text); free it with `pode_ws_buffer_free`.
#[repr(C)]
pub struct PodeWsBuffer {
    pub data: *const u8,
    pub len: usize,
}

#[repr(C)]
struct BufferAlloc {
    header: PodeWsBuffer,
    storage: String,
}

/// A poller: the handle a dispatcher thread polls with. Opaque to C.
pub struct PodeWsPoller {
    id: u64,
    state: Mutex<PollerState>,
}

struct PollerState {
    poller: Option<Poller>,
    views: Vec<PodeWsEvent>,
}

/// Copies the library version (e.g. "0.1.0") into `buf`.
///
/// `out_len` (may be NULL) always receives the needed length; a too-small buffer gives
/// `PODE_WS_RESULT_BUFFER_TOO_SMALL`. Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_version(
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> PodeWsResult {
    guard(|| copy_out(env!("CARGO_PKG_VERSION"), buf, buf_len, out_len))
}

/// Copies the calling thread's last error message (UTF-8, possibly empty) into `buf`.
///
/// Does not clear the message, so a call with a too-small buffer can be repeated with the
/// length written to `out_len` (may be NULL). Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_last_error(
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> PodeWsResult {
    let result = std::panic::catch_unwind(|| {
        with_last_error(|message| copy_out(message, buf, buf_len, out_len))
    });
    match result {
        Ok(Ok(())) => PodeWsResult::Ok,
        Ok(Err(error)) => error.code,
        Err(_) => PodeWsResult::Panic,
    }
}

/// Connects the connection `name` to a `ws://` or `wss://` `url` with `options` (a JSON document,
/// see the README; NULL or empty means defaults).
///
/// Blocks until the opening handshake succeeded, failed or timed out (options
/// `connectTimeoutMs`, default 30 s), or a `pode_ws_disconnect`/`pode_ws_remove` of the same name
/// from another thread cancelled it. On success writes the connection id to `out_id` (may be
/// NULL) and an Opened event is queued. On failure nothing stays registered and the last error
/// names the cause (DNS, refused, TLS, HTTP status, redirect, timeout step). Names are unique in
/// the process, compared case-insensitively.
///
/// Redirects of the opening handshake are followed (option `maxRedirects`, default 5); each hop
/// picks its proxy from the option `proxy` or, by default, from the proxy variables of the
/// process environment, read during this call (or those given in `proxy.environment`). With
/// the option `traceId`, each step is recorded for `pode_ws_trace_read` from any thread, also
/// while this call blocks.
///
/// With the option `background: true` it does not wait for the network: once the name, URL
/// and options are checked it registers the name, writes the id and returns (state
/// Connecting). The outcome arrives as events: Opened, or Error then Closed (the name stays
/// registered, state Closed); with `reconnect.enabled`, transient failures are retried first
/// (Reconnecting events) and permanent ones end it at once.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_connect(
    name: *const u8,
    name_len: usize,
    url: *const u8,
    url_len: usize,
    options: *const u8,
    options_len: usize,
    out_id: *mut u64,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let url = str_arg(url, url_len, "url")?;
        let options = optional_str_arg(options, options_len, "options")?.unwrap_or("");
        let id = api::connect(name, url, options)?;
        if !out_id.is_null() {
            out_id.write(id);
        }
        Ok(())
    })
}

/// Sends a message on the connection `name`: `kind` is `PODE_WS_SEND_TEXT` (data must be UTF-8)
/// or `PODE_WS_SEND_BINARY`. The data is copied; `data` may be NULL when `data_len` is 0.
///
/// Returns once the message is queued for writing (messages of one connection are written in
/// order). Blocks only while the connection's send queue (option `sendQueue`) is full. Fails
/// with `PODE_WS_RESULT_NOT_OPEN` unless the connection is open.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_send(
    name: *const u8,
    name_len: usize,
    kind: u32,
    data: *const u8,
    data_len: usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let binary = match kind {
            PODE_WS_SEND_TEXT => false,
            PODE_WS_SEND_BINARY => true,
            other => {
                return Err(Error::invalid_argument(format!(
                    "message kind {other} is unknown (1 = text, 2 = binary)"
                )))
            }
        };
        let data = bytes_arg(data, data_len, "data")?;
        api::send(name, binary, data.to_vec())
    })
}

/// Closes the connection `name` with a close `code` (1000-1003, 1007-1014, 3000-4999) and a
/// `reason` (UTF-8, at most 123 bytes; NULL when `reason_len` is 0).
///
/// Blocks until the server answered the close frame or the close timeout (option
/// `closeTimeoutMs`, default 5 s) passed. Cancels a connect or reconnect in progress and stops
/// automatic reconnects. The name stays registered (state Closed) until `pode_ws_remove`;
/// `pode_ws_reset` opens it again. Closing a closed connection succeeds.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_disconnect(
    name: *const u8,
    name_len: usize,
    code: u32,
    reason: *const u8,
    reason_len: usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let reason = optional_str_arg(reason, reason_len, "reason")?.unwrap_or("");
        let code = u16::try_from(code)
            .map_err(|_| Error::invalid_argument(format!("close code {code} is out of range")))?;
        api::disconnect(name, code, reason)
    })
}

/// Closes the connection `name` (code 1000, reason "reset") and connects it again, to `url` when
/// given (NULL with `url_len` 0 keeps the current URL).
///
/// Blocks like `pode_ws_disconnect` followed by `pode_ws_connect`, with the same options (proxy
/// variables as read at connect, redirects, trace). On failure the connection stays registered;
/// it reconnects automatically if that option is on, else it is closed.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_reset(
    name: *const u8,
    name_len: usize,
    url: *const u8,
    url_len: usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let url = optional_str_arg(url, url_len, "url")?;
        api::reset(name, url)
    })
}

/// Closes the connection `name` (code 1000) and forgets the name, which can be connected again
/// at once. Events already queued are still delivered to pollers (those of a `manualReceive`
/// connection are dropped: they could only be read by name). Blocks like
/// `pode_ws_disconnect`. Removing an unknown name fails with `PODE_WS_RESULT_UNKNOWN_NAME`.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_remove(name: *const u8, name_len: usize) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        api::remove(name)
    })
}

/// Writes the state of the connection `name` (a `PodeWsState`) to `out_state`. Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_state(
    name: *const u8,
    name_len: usize,
    out_state: *mut u32,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        // Argument errors first, as in every other export: a NULL out-parameter is reported
        // as such whether or not the name exists.
        if out_state.is_null() {
            return Err(null("out_state"));
        }
        let state = api::state(name)?;
        write_out(out_state, state as u32, "out_state")
    })
}

fn buffer(storage: String) -> *mut PodeWsBuffer {
    let mut alloc = Box::new(BufferAlloc {
        header: PodeWsBuffer {
            data: std::ptr::null(),
            len: 0,
        },
        storage,
    });
    alloc.header.data = alloc.storage.as_ptr();
    alloc.header.len = alloc.storage.len();
    Box::into_raw(alloc).cast::<PodeWsBuffer>()
}

/// The body of `pode_ws_info` and `pode_ws_history`: what `describe` says of the connection
/// `name`, as JSON in a new buffer written to `out_buffer`.
unsafe fn named_json(
    name: *const u8,
    name_len: usize,
    out_buffer: *mut *mut PodeWsBuffer,
    describe: fn(&str) -> crate::error::Result<String>,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        write_out(out_buffer, buffer(describe(name)?), "out_buffer")
    })
}

/// Describes the connection `name` as a JSON object (name, url, connectedUrl (after
/// redirects, query redacted), proxy (`{url, source}` of the last connect, or null), traceId,
/// state, subprotocol, counters: messages and their bytes, `wireBytesIn`/`wireBytesOut` on the
/// socket; `compression`: `negotiated` and the permessage-deflate parameters in effect; queued
/// events, last close, last error; never option values or secrets) in a new buffer written to
/// `out_buffer`. `lastError` is null or `{message, code, atMs, current}`, `current` false once
/// a connect succeeded after it. Free it with `pode_ws_buffer_free`. Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_info(
    name: *const u8,
    name_len: usize,
    out_buffer: *mut *mut PodeWsBuffer,
) -> PodeWsResult {
    named_json(name, name_len, out_buffer, api::info_json)
}

/// Writes the recent lifecycle events of the connection `name` (option `historySize`, default
/// the last 100: opens, closes, reconnect attempts, errors, giving up; never messages) as a
/// JSON array, oldest first, to a new buffer in `out_buffer`. Each entry has `atMs` (Unix
/// milliseconds UTC) and `event` (`opened`, `closed`, `reconnecting`, `error`, `gaveUp`) with
/// its fields (see the README). Kept across reconnects and resets, freed by `pode_ws_remove`.
/// Free the buffer with `pode_ws_buffer_free`. Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_history(
    name: *const u8,
    name_len: usize,
    out_buffer: *mut *mut PodeWsBuffer,
) -> PodeWsResult {
    named_json(name, name_len, out_buffer, api::history_json)
}

/// Answers a Reconnecting event of a connection opened with `reconnect.awaitTarget`: reconnect
/// attempt `attempt` (the event's `attempt`) of `name` connects to `url` (a ws:// or wss:// URL;
/// NULL with `url_len` 0 keeps the current one) with the header changes in `headers_json` (a JSON
/// object of header names to string values, `null` removing a header, merged by name into the
/// current headers; NULL with `headers_len` 0 keeps them). The URL and headers stay in effect
/// for later attempts and resets, as `pode_ws_reset` with a URL does.
///
/// The attempt starts once its delay has passed. An invalid URL or header set fails the
/// attempt (an Error event names the reason, the backoff goes on) and is returned as the
/// error too. Fails with `PODE_WS_RESULT_INVALID_ARGUMENT` when `attempt` is not the attempt
/// waiting (already answered, timed out, cancelled, or an old event). Never blocks; any thread.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_reconnect_target(
    name: *const u8,
    name_len: usize,
    attempt: u32,
    url: *const u8,
    url_len: usize,
    headers_json: *const u8,
    headers_len: usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let url = optional_str_arg(url, url_len, "url")?;
        let headers = optional_str_arg(headers_json, headers_len, "headers_json")?;
        api::reconnect_target(name, attempt, url, headers)
    })
}

/// Answers a Reconnecting event of a connection opened with `reconnect.awaitTarget` with a
/// failure (the caller's handler threw): reconnect attempt `attempt` of `name` fails with
/// `message` (UTF-8, may be NULL with `message_len` 0; at most 4096 bytes are kept) when its
/// delay has passed, reported as an Error event with `PODE_WS_RESULT_RECONNECT_HANDLER_FAILED`,
/// and the backoff goes on (it counts toward `reconnect.maxAttempts`). Fails with
/// `PODE_WS_RESULT_INVALID_ARGUMENT` when `attempt` is not the attempt waiting. Never blocks;
/// any thread.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_reconnect_fail(
    name: *const u8,
    name_len: usize,
    attempt: u32,
    message: *const u8,
    message_len: usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let message = optional_str_arg(message, message_len, "message")?.unwrap_or("");
        api::reconnect_fail(name, attempt, message)
    })
}

/// Describes every connection as a JSON array of the objects `pode_ws_info` returns, in a new
/// buffer written to `out_buffer`. Free it with `pode_ws_buffer_free`. Never blocks.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_list(out_buffer: *mut *mut PodeWsBuffer) -> PodeWsResult {
    guard(|| {
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        write_out(out_buffer, buffer(api::list_json()), "out_buffer")
    })
}

/// Reads the connect trace named `trace_id` (the option `traceId` of `pode_ws_connect`): its
/// entries numbered `since_seq` and later, as a JSON object in a new buffer written to
/// `out_buffer` (free it with `pode_ws_buffer_free`):
/// `{"traceId", "next", "dropped", "entries": [{"seq", "timeMs", "op", "elapsedMs", "step",
/// "text"}]}`. Pass 0 first, then the `next` of the previous read to get only new entries.
///
/// Never blocks, any thread: meant to be called while another thread is blocked in
/// `pode_ws_connect`, `pode_ws_reset`, `pode_ws_disconnect` or `pode_ws_remove` of the traced
/// connection, and after a connect that failed (a trace outlives its connection by two
/// minutes). An id no connect has used yet reads as an empty trace. Entries never hold a
/// header value, a password or proxy credentials.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_trace_read(
    trace_id: *const u8,
    trace_id_len: usize,
    since_seq: u64,
    out_buffer: *mut *mut PodeWsBuffer,
) -> PodeWsResult {
    guard(|| {
        let trace_id = str_arg(trace_id, trace_id_len, "trace_id")?;
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        let json = api::trace_json(trace_id, since_seq);
        write_out(out_buffer, buffer(json), "out_buffer")
    })
}

/// Frees a buffer returned by the library. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_buffer_free(buffer: *mut PodeWsBuffer) {
    if buffer.is_null() {
        return;
    }
    guard_void(|| drop(Box::from_raw(buffer.cast::<BufferAlloc>())));
}

/// Creates a poller and writes it to `out_poller`. A poller is used by one thread at a time for
/// `pode_ws_poll`; `pode_ws_poller_wake` and `pode_ws_poller_close` may come from any thread.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poller_new(out_poller: *mut *mut PodeWsPoller) -> PodeWsResult {
    guard(|| {
        if out_poller.is_null() {
            return Err(null("out_poller"));
        }
        let poller = HUB.new_poller();
        let handle = Box::new(PodeWsPoller {
            id: poller.id(),
            state: Mutex::new(PollerState {
                poller: Some(poller),
                views: Vec::new(),
            }),
        });
        write_out(out_poller, Box::into_raw(handle), "out_poller")
    })
}

/// Frees a poller: releases the connections it claimed and invalidates its last batch. NULL is
/// ignored. Must not race with a `pode_ws_poll` on the same poller.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poller_free(poller: *mut PodeWsPoller) {
    if poller.is_null() {
        return;
    }
    guard_void(|| {
        let handle = Box::from_raw(poller);
        let inner = handle.state.lock().poller.take();
        if let Some(inner) = inner {
            HUB.free_poller(inner);
        }
    });
}

/// Waits up to `timeout_ms` (0 = do not wait, `PODE_WS_INFINITE` = until an event or a wake)
/// for events and returns a batch of at most `max_events` (0 means 1024), oldest first per
/// connection, in `out_events` / `out_len` (0 events and a NULL array on timeout or wake).
///
/// The batch stays valid until the next poll on this poller or `pode_ws_poller_free`. The
/// connections in the batch are claimed by this poller until its next poll: their later events
/// go to no other poller meanwhile, so each connection's events are handled in order even with
/// many polling threads. Connections opened with the option `manualReceive` are skipped (see
/// `pode_ws_poll_connection`). Fails with `PODE_WS_RESULT_CLOSED` once the poller is closed.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poll(
    poller: *mut PodeWsPoller,
    timeout_ms: u32,
    max_events: u32,
    out_events: *mut *const PodeWsEvent,
    out_len: *mut usize,
) -> PodeWsResult {
    guard(|| poll_into(poller, None, timeout_ms, max_events, out_events, out_len))
}

/// Like `pode_ws_poll`, but returns only events of the connection `name` (typically one opened
/// with the option `manualReceive`, whose events `pode_ws_poll` never returns). Fails with
/// `PODE_WS_RESULT_UNKNOWN_NAME` when no such connection exists (or it was removed and its
/// last events were taken).
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poll_connection(
    poller: *mut PodeWsPoller,
    name: *const u8,
    name_len: usize,
    timeout_ms: u32,
    max_events: u32,
    out_events: *mut *const PodeWsEvent,
    out_len: *mut usize,
) -> PodeWsResult {
    guard(|| {
        let name = str_arg(name, name_len, "name")?;
        let id = api::connection_id(name)?;
        poll_into(
            poller,
            Some(id),
            timeout_ms,
            max_events,
            out_events,
            out_len,
        )
    })
}

unsafe fn poll_into(
    poller: *mut PodeWsPoller,
    connection_id: Option<u64>,
    timeout_ms: u32,
    max_events: u32,
    out_events: *mut *const PodeWsEvent,
    out_len: *mut usize,
) -> Result<(), Error> {
    if poller.is_null() {
        return Err(null("poller"));
    }
    if out_events.is_null() || out_len.is_null() {
        return Err(null("out_events or out_len"));
    }
    let handle = &*poller;
    let mut state = handle.state.lock();
    let state = &mut *state;
    state.views.clear();
    let inner = state
        .poller
        .as_mut()
        .ok_or_else(|| Error::new(PodeWsResult::Closed, "the poller was freed"))?;
    let timeout = if timeout_ms == PODE_WS_INFINITE {
        Duration::MAX
    } else {
        Duration::from_millis(timeout_ms.into())
    };
    let max = if max_events == 0 {
        1024
    } else {
        max_events as usize
    };
    let count = match connection_id {
        Some(id) => HUB.poll_connection(inner, id, timeout, max)?,
        None => HUB.poll(inner, timeout, max)?,
    };
    state
        .views
        .extend(inner.batch().map(|(e, name)| PodeWsEvent {
            connection_id: e.connection_id,
            name: name.as_ptr(),
            name_len: name.len(),
            data: e.data.as_ptr(),
            data_len: e.data.len(),
            extra: e.extra.as_ptr(),
            extra_len: e.extra.len(),
            timestamp_ms: e.timestamp_ms,
            delay_ms: e.delay_ms,
            kind: e.kind as u32,
            code: e.code,
            closed_by: e.closed_by as u32,
            attempt: e.attempt,
            data_owner: e.data_owner,
        }));
    let events = if count == 0 {
        std::ptr::null()
    } else {
        state.views.as_ptr()
    };
    out_events.write(events);
    out_len.write(count);
    Ok(())
}

/// Ends the poller's last batch now instead of at its next poll: frees the events (their
/// pointers become invalid) and releases the connections it claimed. Call it when a batch has
/// been handled, so large payloads are freed at once and the connections' next events can go to
/// any poller. NULL is ignored. Must not race with a poll on the same poller.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poller_release(poller: *mut PodeWsPoller) {
    if poller.is_null() {
        return;
    }
    guard_void(|| {
        let handle = &*poller;
        let mut state = handle.state.lock();
        let state = &mut *state;
        state.views.clear();
        if let Some(inner) = state.poller.as_mut() {
            HUB.release_batch(inner);
        }
    });
}

/// Makes the current (or else the next) `pode_ws_poll` of this poller return at once with no
/// events. NULL is ignored. Any thread.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poller_wake(poller: *mut PodeWsPoller) {
    if poller.is_null() {
        return;
    }
    guard_void(|| HUB.wake_poller((*poller).id));
}

/// Closes a poller: its current poll returns and later polls fail with `PODE_WS_RESULT_CLOSED`.
/// It must still be freed with `pode_ws_poller_free`. NULL is ignored. Any thread.
#[no_mangle]
pub unsafe extern "C" fn pode_ws_poller_close(poller: *mut PodeWsPoller) {
    if poller.is_null() {
        return;
    }
    guard_void(|| HUB.close_poller((*poller).id));
}

/// Wakes every poller, as `pode_ws_poller_wake` on each: a blocked poll returns now with no
/// events; a poller not blocked returns at once, empty, from its next poll. Any thread.
#[no_mangle]
pub extern "C" fn pode_ws_wake_all() {
    guard_void(|| HUB.wake_all());
}

/// Closes every connection (code 1001, in parallel), forgets every name, drops their events
/// not yet polled and closes every poller. Blocks until the closes finished, bounded by the
/// longest close timeout. New connections and pollers can be created afterwards.
#[no_mangle]
pub extern "C" fn pode_ws_shutdown() -> PodeWsResult {
    guard(|| {
        api::shutdown();
        Ok(())
    })
}

/// Returns a buffer of at least `len` writable bytes, or NULL, and writes its owner token to
/// `owner` (see `pode_ws_set_payload_allocator`).
pub type PodeWsPayloadAllocate =
    Option<unsafe extern "C" fn(len: usize, owner: *mut usize) -> *mut u8>;
/// Gives back a buffer `PodeWsPayloadAllocate` returned, by its owner token.
pub type PodeWsPayloadFree = Option<unsafe extern "C" fn(owner: usize)>;

/// Lets the program supply the memory large incoming binary messages are read into, so that it
/// can take them without a copy (a managed runtime hands its own arrays out).
///
/// From then on, a binary message of at least `min_len` bytes (0 means 1) that arrives in one
/// frame, uncompressed, is read from the socket straight into a buffer `allocate(len, &owner)`
/// returns: `len` writable bytes, valid until `free(owner)`; NULL makes the library use its own
/// buffer for that message. Its event has `data` pointing into the buffer and `data_owner` set
/// to `owner`. The library calls `free(owner)` exactly once per buffer, on any thread, when it
/// holds no more reference to it: after the event was released (the next poll,
/// `pode_ws_poller_release`, `pode_ws_poller_free`) or when the message was dropped unfinished.
/// The program may keep using the buffer after `free`: the library no longer touches it.
/// `allocate` runs on the library's network threads and must not block for long, nor call back
/// into the library. `allocate` NULL removes the allocator (buffers handed out are still given
/// back); `free` must not be NULL when `allocate` is not. Never blocks.
#[no_mangle]
pub extern "C" fn pode_ws_set_payload_allocator(
    allocate: PodeWsPayloadAllocate,
    free: PodeWsPayloadFree,
    min_len: usize,
) -> PodeWsResult {
    guard(|| match (allocate, free) {
        (None, _) => {
            crate::payload_alloc::remove();
            Ok(())
        }
        (Some(allocate), Some(free)) => {
            crate::payload_alloc::set(allocate, free, min_len);
            Ok(())
        }
        (Some(_), None) => Err(null("free")),
    })
}

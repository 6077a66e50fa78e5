//! The safe Rust API behind the C ABI: one function per exported operation.
//!
//! `ffi.rs` only converts arguments and results; every rule lives here or deeper.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::bounded;

use crate::connection::{Connection, State};
use crate::error::{Error, PodeWsResult, Result};
use crate::hub::HUB;
use crate::options::Options;
use crate::reconnect_target;
use crate::registry::REGISTRY;
use crate::runtime::runtime;
use crate::transport::Target;

const MAX_NAME_BYTES: usize = 1024;

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid_argument(
            "the connection name must not be empty",
        ));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid_argument(format!(
            "the connection name is longer than {MAX_NAME_BYTES} bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_argument(
            "the connection name must not contain control characters",
        ));
    }
    Ok(())
}

/// Close codes an endpoint may send (RFC 6455 section 7.4).
fn check_close_code(code: u16) -> Result<()> {
    let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "close code {code} cannot be sent; use 1000-1003, 1007-1014 or 3000-4999"
        )))
    }
}

fn check_close_reason(reason: &str) -> Result<()> {
    if reason.len() > 123 {
        return Err(Error::invalid_argument(format!(
            "the close reason is {} bytes; at most 123 fit in a close frame",
            reason.len()
        )));
    }
    Ok(())
}

/// Connects `name` to `url` and waits until the opening handshake succeeded, failed or timed
/// out. On failure nothing stays registered. Returns the connection id.
///
/// With the option `background` it returns once the arguments are checked and the name is
/// registered (state Connecting); the outcome arrives as events.
pub fn connect(name: &str, url: &str, options_json: &str) -> Result<u64> {
    check_name(name)?;
    let target = Target::parse(url)?;
    let options = Options::from_json(options_json)?;
    let (max_events, max_bytes, manual, background) = (
        options.queue.max_events,
        options.queue.max_bytes,
        options.manual_receive,
        options.background,
    );
    let connect_limit = options.connect_timeout() + Duration::from_secs(5);
    let id = REGISTRY.next_id();
    let (connection, channels) = Connection::new(id, name, target, options)?;
    REGISTRY.insert(Arc::clone(&connection))?;
    HUB.register(id, &connection.name, max_events, max_bytes, manual);

    if background {
        runtime().spawn(crate::task::run(connection, channels, None));
        return Ok(id);
    }
    let (first, first_result) = bounded(1);
    runtime().spawn(crate::task::run(
        Arc::clone(&connection),
        channels,
        Some(first),
    ));
    let result = match first_result.recv_timeout(connect_limit) {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            PodeWsResult::Internal,
            "the connection task ended without answering the connect",
        )),
    };
    match result {
        Ok(()) => Ok(id),
        Err(error) => {
            REGISTRY.remove(name, id);
            HUB.discard(id);
            // The task has stopped (or stops now); this only makes sure.
            let _ = connection.stop(1000, "");
            HUB.discard(id);
            Err(error)
        }
    }
}

/// Queues a text (UTF-8) or binary message.
pub fn send(name: &str, binary: bool, data: Vec<u8>) -> Result<()> {
    REGISTRY.get(name)?.send(binary, data)
}

/// Closes with `code` and `reason`; the connection stays registered (closed) until removed.
pub fn disconnect(name: &str, code: u16, reason: &str) -> Result<()> {
    check_close_code(code)?;
    check_close_reason(reason)?;
    REGISTRY.get(name)?.disconnect(code, reason)
}

/// Closes and connects again, optionally to a new URL, and waits for the result.
pub fn reset(name: &str, url: Option<&str>) -> Result<()> {
    let target = url.map(Target::parse).transpose()?;
    let connection = REGISTRY.get(name)?;
    if let Some(target) = &target {
        connection.proxies.check_credentials_used(target)?;
    }
    connection.reset(target)
}

/// Closes and forgets the connection. Its events still queued are delivered, then dropped.
pub fn remove(name: &str) -> Result<()> {
    let connection = REGISTRY.take(name)?;
    let result = connection.stop(1000, "");
    HUB.retire(connection.id);
    result
}

/// The id of the connection now registered as `name`.
pub fn connection_id(name: &str) -> Result<u64> {
    Ok(REGISTRY.get(name)?.id)
}

pub fn state(name: &str) -> Result<State> {
    Ok(REGISTRY.get(name)?.state())
}

pub fn info_json(name: &str) -> Result<String> {
    Ok(REGISTRY.get(name)?.info().to_string())
}

/// The connection's recent lifecycle events as a JSON array, oldest first.
pub fn history_json(name: &str) -> Result<String> {
    Ok(REGISTRY.get(name)?.history.to_json())
}

/// Answers the reconnect hook of `name` for `attempt`: connect to `url` and/or with the header
/// changes in `headers_json` (both optional), from then on. An invalid answer fails the
/// attempt with the reason, and the reason is returned too.
pub fn reconnect_target(
    name: &str,
    attempt: u32,
    url: Option<&str>,
    headers_json: Option<&str>,
) -> Result<()> {
    let connection = REGISTRY.get(name)?;
    let requests = &connection.target_requests;
    requests.check(&connection.name, attempt)?;
    let checked = reconnect_target::check_answer(
        &connection.options,
        &connection.headers(),
        url,
        headers_json,
    )
    .and_then(|answer| {
        if let Some(target) = &answer.target {
            connection.proxies.check_credentials_used(target)?;
        }
        Ok(answer)
    });
    match checked {
        Ok(answer) => requests.answer(&connection.name, attempt, Ok(answer)),
        Err(error) => {
            let error = error.context(format!(
                "the reconnect handler's answer for attempt {attempt} is invalid"
            ));
            requests.answer(&connection.name, attempt, Err(error.clone()))?;
            Err(error)
        }
    }
}

/// The longest handler message kept (a stack trace can be long; events should not be).
const MAX_FAILURE_MESSAGE: usize = 4096;

/// Answers the reconnect hook of `name` for `attempt` with a failure (the handler threw):
/// the attempt fails with `message` and the backoff goes on.
pub fn reconnect_fail(name: &str, attempt: u32, message: &str) -> Result<()> {
    let connection = REGISTRY.get(name)?;
    let mut end = message.len().min(MAX_FAILURE_MESSAGE);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let message = message[..end].trim();
    let error = Error::new(
        PodeWsResult::ReconnectHandlerFailed,
        if message.is_empty() {
            format!("the reconnect handler failed for attempt {attempt}")
        } else {
            format!("the reconnect handler failed for attempt {attempt}: {message}")
        },
    );
    connection
        .target_requests
        .answer(&connection.name, attempt, Err(error))
}

/// The entries of the trace `trace_id` numbered `since` and later (see `trace.rs`).
pub fn trace_json(trace_id: &str, since: u64) -> String {
    crate::trace::read_json(trace_id, since)
}

pub fn list_json() -> String {
    let all: Vec<_> = REGISTRY.all().iter().map(|c| c.info()).collect();
    serde_json::Value::Array(all).to_string()
}

/// Closes and removes every connection (1001 going away), drops their queued events and closes
/// every poller. Closes run in parallel; the wait is bounded by the longest close timeout.
pub fn shutdown() {
    let stopping: Vec<_> = REGISTRY
        .all()
        .into_iter()
        .filter_map(|c| REGISTRY.take(&c.name).ok())
        .map(|c| {
            let done = c.begin_stop(1001, "going away").ok();
            // Shutdown drops the events nobody polled; dropping them now, before waiting,
            // also frees a connection held back by its full queue to read the server's
            // close reply, instead of waiting out its close timeout.
            HUB.discard(c.id);
            (c, done)
        })
        .collect();
    let deadline = std::time::Instant::now()
        + stopping
            .iter()
            .map(|(c, _)| c.stop_limit())
            .max()
            .unwrap_or_default();
    for (connection, done) in stopping {
        if let Some(done) = done {
            let _ = done.recv_deadline(deadline);
        }
        // Shutdown is a clean slate: pollers created afterwards (a module imported again)
        // must not receive events of connections from before.
        HUB.discard(connection.id);
    }
    HUB.close_all_pollers();
}

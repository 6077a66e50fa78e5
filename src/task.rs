//! The life of one connection: connect, run a session, then reconnect with backoff, wait for a
//! reset, or stop. One tokio task per connection runs this.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::Bytes;

use crate::connection::{CloseInfo, Command, Connection, State, TaskChannels, Waiter};
use crate::error::{Error, PodeWsResult, Result};
use crate::events::{Closer, EventKind};
use crate::reconnect_target::Answer;
use crate::retry::{self, Cause};
use crate::session::Session;
use crate::transport::{redact_url, Opened, Phase};

/// Where automatic reconnection stands.
#[derive(Debug, Clone, Copy, Default)]
struct Retry {
    /// The reconnect attempt (1-based; 0 for a first connect or a reset): sets the delay.
    attempt: u32,
    /// Connects failed in a row: `reconnect.maxAttempts` counts these.
    failed: u32,
}

impl Retry {
    /// After attempt `self.attempt` failed.
    fn failed(self) -> Retry {
        Retry {
            attempt: self.attempt.saturating_add(1),
            failed: self.failed.saturating_add(1),
        }
    }
}

/// What a failed connect does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnFailure {
    /// The first connect, which `pode_ws_connect` waits for: the call fails and the task ends
    /// (nothing stays registered).
    EndTask,
    /// The failure is reported as events (and to a waiting reset); a transient one is retried
    /// when reconnect is enabled.
    Report,
}

enum Step {
    /// Open the connection.
    Connect {
        waiter: Option<Waiter>,
        on_failure: OnFailure,
        retry: Retry,
    },
    /// Wait before reconnect attempt `retry.attempt`, which `cause` made necessary.
    Backoff {
        retry: Retry,
        cause: Cause,
    },
    /// Closed; wait for a reset or a remove.
    Idle,
    Stop,
}

fn reply(waiter: Option<Waiter>, result: Result<()>) {
    if let Some(waiter) = waiter {
        let _ = waiter.try_send(result);
    }
}

fn cancelled(why: &str) -> Error {
    Error::new(PodeWsResult::Cancelled, why.to_string())
}

/// Runs the connection until it is removed (or its first connect fails while `first`, the
/// caller of `pode_ws_connect`, waits; without a waiter the first connect runs in the
/// background and its outcome is reported as events).
pub async fn run(conn: Arc<Connection>, mut channels: TaskChannels, first: Option<Waiter>) {
    let on_failure = if first.is_some() {
        OnFailure::EndTask
    } else {
        OnFailure::Report
    };
    let mut step = Step::Connect {
        waiter: first,
        on_failure,
        retry: Retry::default(),
    };
    loop {
        step = match step {
            Step::Connect {
                waiter,
                on_failure,
                retry,
            } => connect(&conn, &mut channels, waiter, on_failure, retry).await,
            Step::Backoff { retry, cause } => backoff(&conn, &mut channels, retry, cause).await,
            Step::Idle => idle(&conn, &mut channels).await,
            Step::Stop => break,
        };
    }
}

async fn open(conn: &Connection) -> Result<Opened> {
    let target = conn.target();
    let phase = Phase::default();
    let limit = conn.options.connect_timeout();
    let attempt = crate::connect::open(conn, &target, &phase);
    match timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            PodeWsResult::Timeout,
            format!(
                "connecting to {} timed out after {} ms during {}",
                redact_url(&target.url),
                limit.as_millis(),
                phase.get()
            ),
        )),
    }
}

async fn connect(
    conn: &Arc<Connection>,
    channels: &mut TaskChannels,
    mut waiter: Option<Waiter>,
    on_failure: OnFailure,
    retry: Retry,
) -> Step {
    conn.set_state(if retry.attempt > 0 {
        State::Reconnecting
    } else {
        State::Connecting
    });
    let mut opening = Box::pin(open(conn));
    let result = loop {
        tokio::select! {
            result = &mut opening => break result,
            command = channels.cmd_rx.recv() => match command {
                None => {
                    reply(waiter, Err(cancelled("the connection was dropped")));
                    return Step::Stop;
                }
                Some(Command::Disconnect { done, .. }) => {
                    reply(waiter, Err(cancelled("the connect was cancelled by a disconnect")));
                    // Closed before the caller is released: its next look must not still see
                    // Reconnecting (idle() would set it only on the task's next poll).
                    conn.set_state(State::Closed);
                    let _ = done.try_send(());
                    return match on_failure {
                        OnFailure::EndTask => Step::Stop,
                        OnFailure::Report => Step::Idle,
                    };
                }
                Some(Command::Remove { done, .. }) => {
                    reply(waiter, Err(cancelled("the connect was cancelled by a remove")));
                    let _ = done.try_send(());
                    return Step::Stop;
                }
                Some(Command::Reset { done, .. }) if on_failure == OnFailure::EndTask => {
                    let _ = done.try_send(Err(Error::not_open(&conn.name, "Connecting")));
                }
                Some(Command::Reset { target, done }) => {
                    reply(waiter.take(), Err(cancelled("the connect was superseded by a reset")));
                    if let Some(target) = target {
                        conn.set_target(target);
                    }
                    waiter = Some(done);
                    opening = Box::pin(open(conn));
                }
            }
        }
    };
    drop(opening);

    match result {
        Ok(opened) => {
            // A `send` that was blocked on a full queue when the previous session ended puts
            // its message in after that session's drain. Such a message belongs to the lost
            // connection: report it now, before the state turns Open, rather than send it on
            // this new connection.
            report_unsent(conn, channels);
            let reopened = conn.has_opened();
            conn.set_opened(opened.subprotocol.clone(), opened.compression);
            if reopened {
                conn.stats.count_reconnect();
            }
            let mut event = conn.event(
                EventKind::Opened,
                Bytes::from(redact_url(&conn.target().url)),
            );
            event.extra = Bytes::from(opened.subprotocol);
            conn.emit(event);
            reply(waiter, Ok(()));
            let opened_at = std::time::Instant::now();
            let end = Session::new(
                conn,
                opened.stream,
                opened.reads,
                &mut channels.out_rx,
                &mut channels.cmd_rx,
            )
            .run()
            .await;
            conn.set_state(State::Closed);
            report_close(conn, &end.info);
            report_unsent(conn, channels);
            match end.command {
                Some(command) => on_command_when_closed(conn, Some(command)),
                None if conn.options.reconnect.enabled => Step::Backoff {
                    retry: Retry {
                        attempt: next_attempt(conn, retry.attempt, opened_at.elapsed()),
                        failed: 0,
                    },
                    cause: match &end.info.error {
                        Some(error) => Cause::failure(error),
                        None => Cause::server_close(end.info.code, &end.info.reason),
                    },
                },
                None => Step::Idle,
            }
        }
        Err(error) if on_failure == OnFailure::EndTask => {
            reply(waiter, Err(error));
            Step::Stop
        }
        Err(error) => {
            let reconnect = conn.options.reconnect.enabled;
            let retried = reconnect && !retry::is_permanent(&error);
            let error = if reconnect && !retried {
                retry::not_retried(error)
            } else {
                error
            };
            conn.emit_attempt_error(&error, retry.attempt);
            let cause = Cause::failure(&error);
            if !retried {
                end_unopened(conn, &error);
            }
            reply(waiter, Err(error));
            if retried {
                Step::Backoff {
                    retry: retry.failed(),
                    cause,
                }
            } else {
                Step::Idle
            }
        }
    }
}

/// A connection that never opened (a background first connect) and will not try again ends
/// with a Closed event after its Error, so the caller sees how it ended.
fn end_unopened(conn: &Connection, error: &Error) {
    conn.set_state(State::Closed);
    if conn.has_opened() {
        return;
    }
    let mut event = conn.event(EventKind::Closed, Bytes::from(error.message.clone()));
    event.code = 1006;
    event.closed_by = Closer::Lost;
    event.extra = Bytes::from(error.message.clone());
    conn.emit(event);
}

fn report_close(conn: &Connection, info: &CloseInfo) {
    conn.record_close(info);
    if let Some(error) = &info.error {
        if info.by != Closer::Lost {
            // A limit or protocol failure: say what happened before the close event.
            conn.emit_error(error);
        }
    }
    let mut event = conn.event(EventKind::Closed, Bytes::from(info.reason.clone()));
    event.code = info.code as u32;
    event.closed_by = info.by;
    if let Some(error) = &info.error {
        event.extra = Bytes::from(error.message.clone());
    }
    conn.emit(event);
}

/// Messages accepted by `send` but never written are reported, not silently dropped.
fn report_unsent(conn: &Connection, channels: &mut TaskChannels) {
    let mut unsent = 0usize;
    while channels.out_rx.try_recv().is_some() {
        unsent += 1;
    }
    if unsent > 0 {
        conn.emit_error(&Error::new(
            PodeWsResult::NotOpen,
            format!("{unsent} queued message(s) were not sent because the connection closed"),
        ));
    }
}

/// The attempt number after a session that lasted `lasted`, opened by attempt `attempt` (0 for
/// a first connect or a reset). The backoff starts over only after a session that stayed up
/// for the longest backoff delay: a server that accepts and drops at once is retried ever
/// more slowly, not every initial delay forever.
fn next_attempt(conn: &Connection, attempt: u32, lasted: Duration) -> u32 {
    let stable = Duration::from_millis(conn.options.reconnect.max_delay_ms);
    if lasted >= stable {
        1
    } else {
        attempt.saturating_add(1)
    }
}

async fn backoff(
    conn: &Arc<Connection>,
    channels: &mut TaskChannels,
    retry: Retry,
    cause: Cause,
) -> Step {
    let policy = &conn.options.reconnect;
    if policy.max_attempts > 0 && retry.failed >= policy.max_attempts {
        let error = Error::new(
            PodeWsResult::ReconnectGaveUp,
            format!(
                "gave up reconnecting after {} attempt(s) in a row; the last failed: {}",
                policy.max_attempts, cause.message
            ),
        );
        conn.set_state(State::Closed);
        conn.emit_error(&error);
        end_unopened(conn, &error);
        return Step::Idle;
    }
    conn.set_state(State::Reconnecting);
    let delay = retry::next_delay(policy, retry.attempt, &cause);
    // Asked before the event goes out, so an answer can never come before the question.
    let answer = policy
        .await_target
        .then(|| conn.target_requests.open(retry.attempt));
    let mut event = conn.event(EventKind::Reconnecting, Bytes::from(cause.message));
    event.attempt = retry.attempt;
    event.delay_ms = delay.as_millis() as u64;
    event.code = cause.code as u32;
    event.extra = Bytes::from(redact_url(&conn.target().url));
    conn.emit(event);
    let waited = wait_for_attempt(conn, channels, delay, retry.attempt, answer).await;
    conn.target_requests.close();
    match waited {
        Err(command) => on_command_when_closed(conn, command),
        Ok(Ok(target)) => {
            if let Some(headers) = target.headers {
                conn.set_headers(headers);
            }
            if let Some(target) = target.target {
                conn.set_target(target);
            }
            Step::Connect {
                waiter: None,
                on_failure: OnFailure::Report,
                retry,
            }
        }
        Ok(Err(error)) => {
            // The handler failed (or never answered): that attempt failed, the backoff goes on.
            conn.emit_attempt_error(&error, retry.attempt);
            Step::Backoff {
                retry: retry.failed(),
                cause: Cause::failure(&error),
            }
        }
    }
}

/// Waits until the attempt may start: its delay passed and, with the reconnect hook, the
/// caller answered (a failure, too, takes effect only when the delay passed, so a handler that
/// fails at once cannot run through every attempt without waiting). A caller silent for the
/// connect timeout beyond the delay fails the attempt. A command ends the wait (`Err`).
async fn wait_for_attempt(
    conn: &Connection,
    channels: &mut TaskChannels,
    delay: Duration,
    attempt: u32,
    answer: Option<tokio::sync::oneshot::Receiver<Answer>>,
) -> std::result::Result<Answer, Option<Command>> {
    let starts_at = Instant::now() + delay;
    let limit = conn.options.connect_timeout();
    let deadline = starts_at + limit;
    let (mut receiver, mut answered) = match answer {
        Some(receiver) => (Some(receiver), None),
        None => (None, Some(Ok(Default::default()))),
    };
    let mut delay_passed = false;
    loop {
        if delay_passed {
            if let Some(answered) = answered.take() {
                return Ok(answered);
            }
        }
        tokio::select! {
            command = channels.cmd_rx.recv() => return Err(command),
            _ = sleep_until(starts_at), if !delay_passed => delay_passed = true,
            got = async { receiver.as_mut().expect("waiting for an answer").await },
                if answered.is_none() =>
            {
                answered = Some(got.unwrap_or_else(|_| {
                    Err(Error::new(PodeWsResult::Internal, "the reconnect request was withdrawn"))
                }));
                receiver = None;
            }
            _ = sleep_until(deadline), if answered.is_none() => {
                answered = Some(Err(Error::new(
                    PodeWsResult::Timeout,
                    format!(
                        "the reconnect handler did not answer for attempt {attempt} within {} ms after the delay (connectTimeoutMs); the attempt failed",
                        limit.as_millis()
                    ),
                )));
            }
        }
    }
}

async fn idle(conn: &Arc<Connection>, channels: &mut TaskChannels) -> Step {
    conn.set_state(State::Closed);
    let command = channels.cmd_rx.recv().await;
    on_command_when_closed(conn, command)
}

fn on_command_when_closed(conn: &Connection, command: Option<Command>) -> Step {
    match command {
        None => Step::Stop,
        Some(Command::Disconnect { done, .. }) => {
            conn.set_state(State::Closed);
            let _ = done.try_send(());
            Step::Idle
        }
        Some(Command::Remove { done, .. }) => {
            let _ = done.try_send(());
            Step::Stop
        }
        Some(Command::Reset { target, done }) => {
            if let Some(target) = target {
                conn.set_target(target);
            }
            Step::Connect {
                waiter: Some(done),
                on_failure: OnFailure::Report,
                retry: Retry::default(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every connection's task is allocated at this size for its whole life (the open stream
    /// lives in a box of its own): it once was 3.9 KiB, a large part of an idle connection.
    #[test]
    fn the_task_of_a_connection_stays_small() {
        let target = crate::transport::Target::parse("ws://127.0.0.1:1").unwrap();
        let (conn, channels) =
            crate::connection::Connection::new(1, "x", target, Default::default()).unwrap();
        let task = super::run(conn, channels, None);
        let size = std::mem::size_of_val(&task);
        assert!(
            size <= 1536,
            "the connection task's future takes {size} bytes"
        );
    }
}

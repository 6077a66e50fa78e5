//! The life of one connection: connect, run a session, then reconnect with backoff, wait for a
//! reset, or stop. One tokio task per connection runs this.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep, timeout};
use tokio_tungstenite::tungstenite::Bytes;

use crate::connection::{CloseInfo, Command, Connection, State, TaskChannels, Waiter};
use crate::error::{Error, PodeWsResult, Result};
use crate::events::{Closer, EventKind};
use crate::session::Session;
use crate::transport::{self, redact_url, Opened, Phase};

/// Where automatic reconnection stands.
#[derive(Debug, Clone, Copy, Default)]
struct Retry {
    /// The reconnect attempt (1-based; 0 for a first connect or a reset): sets the delay.
    attempt: u32,
    /// Connects failed in a row: `reconnect.maxAttempts` counts these.
    failed: u32,
}

enum Step {
    /// Open the connection; `first` is the initial connect, whose failure ends the task.
    Connect {
        waiter: Option<Waiter>,
        first: bool,
        retry: Retry,
    },
    /// Wait before reconnect attempt `retry.attempt`.
    Backoff {
        retry: Retry,
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

/// Runs the connection until it is removed (or its first connect fails).
pub async fn run(conn: Arc<Connection>, mut channels: TaskChannels, first: Waiter) {
    let mut step = Step::Connect {
        waiter: Some(first),
        first: true,
        retry: Retry::default(),
    };
    loop {
        step = match step {
            Step::Connect {
                waiter,
                first,
                retry,
            } => connect(&conn, &mut channels, waiter, first, retry).await,
            Step::Backoff { retry } => backoff(&conn, &mut channels, retry).await,
            Step::Idle => idle(&conn, &mut channels).await,
            Step::Stop => break,
        };
    }
}

async fn open(conn: &Connection) -> Result<Opened> {
    let target = conn.target();
    let phase = Phase::default();
    let limit = conn.options.connect_timeout();
    let attempt = transport::open(
        &target,
        &conn.options,
        conn.proxy.as_ref(),
        conn.tls.as_ref(),
        &conn.stats.wire,
        &phase,
    );
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
    first: bool,
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
                    return if first { Step::Stop } else { Step::Idle };
                }
                Some(Command::Remove { done, .. }) => {
                    reply(waiter, Err(cancelled("the connect was cancelled by a remove")));
                    let _ = done.try_send(());
                    return Step::Stop;
                }
                Some(Command::Reset { done, .. }) if first => {
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
            conn.set_opened(opened.subprotocol.clone(), opened.compression);
            if !first {
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
                },
                None => Step::Idle,
            }
        }
        Err(error) if first => {
            reply(waiter, Err(error));
            Step::Stop
        }
        Err(error) => {
            conn.emit_error(&error);
            reply(waiter, Err(error));
            if conn.options.reconnect.enabled {
                Step::Backoff {
                    retry: Retry {
                        attempt: retry.attempt + 1,
                        failed: retry.failed + 1,
                    },
                }
            } else {
                Step::Idle
            }
        }
    }
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
    conn.emit(event);
}

/// Messages accepted by `send` but never written are reported, not silently dropped.
fn report_unsent(conn: &Connection, channels: &mut TaskChannels) {
    let mut unsent = 0usize;
    while channels.out_rx.try_recv().is_ok() {
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

/// The delay before reconnect attempt `attempt`: exponential, capped, with jitter.
pub fn backoff_delay(initial_ms: u64, max_ms: u64, jitter: f64, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let base = initial_ms.saturating_mul(1u64 << exponent).min(max_ms) as f64;
    let spread = base * jitter * (fastrand::f64() * 2.0 - 1.0);
    Duration::from_millis((base + spread).max(0.0) as u64)
}

async fn backoff(conn: &Arc<Connection>, channels: &mut TaskChannels, retry: Retry) -> Step {
    let policy = &conn.options.reconnect;
    if policy.max_attempts > 0 && retry.failed >= policy.max_attempts {
        conn.set_state(State::Closed);
        conn.emit_error(&Error::new(
            PodeWsResult::Network,
            format!(
                "gave up reconnecting after {} attempt(s)",
                policy.max_attempts
            ),
        ));
        return Step::Idle;
    }
    conn.set_state(State::Reconnecting);
    let delay = backoff_delay(
        policy.initial_delay_ms,
        policy.max_delay_ms,
        policy.jitter,
        retry.attempt,
    );
    let mut event = conn.event(EventKind::Reconnecting, Bytes::new());
    event.attempt = retry.attempt;
    event.delay_ms = delay.as_millis() as u64;
    conn.emit(event);
    tokio::select! {
        _ = sleep(delay) => Step::Connect { waiter: None, first: false, retry },
        command = channels.cmd_rx.recv() => on_command_when_closed(conn, command),
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
                first: false,
                retry: Retry::default(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_delay;

    #[test]
    fn backoff_grows_and_caps() {
        let d = |a| backoff_delay(100, 1000, 0.0, a).as_millis();
        assert_eq!(
            (d(1), d(2), d(3), d(4), d(5), d(40)),
            (100, 200, 400, 800, 1000, 1000)
        );
        for _ in 0..100 {
            let j = backoff_delay(1000, 1000, 0.5, 1).as_millis();
            assert!((500..=1500).contains(&j), "{j}");
        }
    }
}

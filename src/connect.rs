//! One connect attempt (a first connect, a reconnect or a reset): hops until the WebSocket
//! opens, each hop a new connection with its own proxy choice (see `proxy_env.rs`), following
//! the redirects `redirect.rs` allows; every step goes to the connection's trace.
//!
//! Every attempt starts from the configured URL: a redirect is never remembered for the next.

use std::time::Duration;

use crate::connection::{Connection, State};
use crate::error::{Error, PodeWsResult, Result};
use crate::options::Options;
use crate::redirect::{redact_query, Redirects};
use crate::trace::{took, Tracer};
use crate::transport::{self, is_credential_header, Hop, Opened, Phase, Target};

/// Opens `target` for `conn`. Does not time out by itself: the caller bounds it (a timeout or
/// a cancelling command drops this future, which the trace records as such).
pub async fn open(conn: &Connection, target: &Target, phase: &Phase) -> Result<Opened> {
    let trace = &conn.trace;
    trace.begin(if conn.state() == State::Reconnecting {
        "reconnect"
    } else {
        "connect"
    });
    trace.record("start", || {
        format!(
            "connecting to {} (timeout {} ms)",
            redact_query(&target.url),
            conn.options.connect_timeout_ms
        )
    });
    let mut unfinished = Unfinished {
        trace,
        phase,
        limit: conn.options.connect_timeout(),
        finished: false,
    };
    let result = hops(conn, target, phase).await;
    unfinished.finished = true;
    match &result {
        Ok(_) => trace.record("open", || format!("open after {}", took(trace.elapsed()))),
        Err(e) => trace.record("failed", || {
            format!("failed after {}: {}", took(trace.elapsed()), e.message)
        }),
    }
    result
}

async fn hops(conn: &Connection, target: &Target, phase: &Phase) -> Result<Opened> {
    let trace = &conn.trace;
    // The connection's options, with the headers the reconnect hook set, if any.
    let options = conn.connect_options();
    let mut redirects = Redirects::new(target, conn.options.max_redirects);
    let mut hop = target.clone();
    let mut credentials = true;
    loop {
        let route = conn.proxies.route(&hop)?;
        trace.record("proxy", || route.why.clone());
        trace.record("request", || request_text(&options, &hop, credentials));
        let tls = if hop.secure {
            Some(conn.tls_connector()?)
        } else {
            None
        };
        let outcome = transport::open_hop(
            &hop,
            &options,
            credentials,
            route.proxy.as_ref().map(|p| &p.proxy),
            tls.as_ref(),
            &conn.stats.wire,
            phase,
            trace,
        )
        .await
        .map_err(|e| after_redirects(e, &redirects, &hop, credentials))?;
        match outcome {
            Hop::Opened(opened) => {
                conn.set_reached(&hop, route.proxy.as_ref());
                return Ok(*opened);
            }
            Hop::Redirected { status, location } => {
                let next = redirects.follow(&hop, status, location.as_deref())?;
                trace.record("redirect", || {
                    format!(
                        "redirect {} of at most {} (HTTP {status}) to {}{}",
                        next.number,
                        conn.options.max_redirects,
                        redact_query(&next.target.url),
                        if credentials && !next.credentials {
                            "; Authorization and Cookie are not sent there (another host or port)"
                        } else {
                            ""
                        }
                    )
                });
                credentials = next.credentials;
                hop = next.target;
            }
        }
    }
}

/// The header names (never values) and subprotocols a hop sends.
fn request_text(options: &Options, hop: &Target, credentials: bool) -> String {
    let names: Vec<&str> = options
        .headers
        .keys()
        .filter(|name| credentials || !is_credential_header(name))
        .map(String::as_str)
        .collect();
    let headers = if names.is_empty() {
        "no extra headers".to_string()
    } else {
        format!("headers {} (values not shown)", names.join(", "))
    };
    let protocols = if options.subprotocols.is_empty() {
        String::new()
    } else {
        format!(
            ", offering subprotocols {}",
            options.subprotocols.join(", ")
        )
    };
    format!(
        "opening handshake to {} with {headers}{protocols}",
        redact_query(&hop.url)
    )
}

/// Names the URL a failure happened at once a redirect led elsewhere.
fn after_redirects(
    mut error: Error,
    redirects: &Redirects,
    hop: &Target,
    credentials: bool,
) -> Error {
    if redirects.followed() == 0 {
        return error;
    }
    if !credentials && error.code == PodeWsResult::HandshakeRejected {
        error.message.push_str(
            " (Authorization and Cookie were not sent: a redirect led to another host or port)",
        );
    }
    error.context(format!(
        "after {} redirect(s), at {}",
        redirects.followed(),
        redact_query(&hop.url)
    ))
}

/// Records how an attempt ended when its future is dropped before finishing: the caller's
/// connect timeout, or a disconnect, remove or reset that cancelled it.
struct Unfinished<'a> {
    trace: &'a Tracer,
    phase: &'a Phase,
    limit: Duration,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let elapsed = self.trace.elapsed();
        let phase = self.phase.get();
        // The timeout started a moment before this attempt's clock.
        let slack = Duration::from_millis(20).max(self.limit / 100);
        self.trace.record("failed", || {
            if elapsed + slack >= self.limit {
                format!(
                    "timed out after {} ms during {phase}",
                    self.limit.as_millis()
                )
            } else {
                format!(
                    "cancelled after {} during {phase} (a disconnect, remove or reset)",
                    took(elapsed)
                )
            }
        });
    }
}

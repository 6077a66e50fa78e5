//! Which connect failures are worth retrying, and how long to wait before the next attempt.
//!
//! A permanent failure is one that the same request would meet again: a bad URL or option, a
//! certificate that is not trusted, a redirect not followed, a handshake answer that breaks the
//! protocol, and HTTP 4xx except 408 (Request Timeout) and 429 (Too Many Requests). Retrying
//! it only hammers the server, so automatic reconnection stops at once. Everything else (DNS,
//! refused, timeout, network, proxy, HTTP 408/429/5xx) is transient and retried with backoff,
//! as python websockets' `connect()` iterator and HTTP clients do.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_tungstenite::tungstenite::http::HeaderMap;

use crate::error::{Error, PodeWsResult};
use crate::options::ReconnectOptions;

/// Whether retrying the connect that failed with `error` cannot help.
pub fn is_permanent(error: &Error) -> bool {
    match error.code {
        PodeWsResult::InvalidUrl
        | PodeWsResult::InvalidOptions
        | PodeWsResult::InvalidArgument
        | PodeWsResult::TlsUntrusted
        | PodeWsResult::Redirect
        | PodeWsResult::Protocol => true,
        // Without a status (never produced today) the refusal is retried, as before.
        PodeWsResult::HandshakeRejected => error
            .http
            .is_some_and(|http| !is_transient_status(http.status)),
        _ => false,
    }
}

/// HTTP answers that say "try again later".
fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// `error`, saying that automatic reconnection stops because of it.
pub fn not_retried(mut error: Error) -> Error {
    error
        .message
        .push_str(" (a permanent failure: not retried)");
    error
}

/// Why a reconnect attempt is needed: the failure of the last attempt, or how the last session
/// ended. Reported in the Reconnecting event (`data`, `code`) and read by the delay rules.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The failure's result code; `Ok` when the server closed the session without a failure.
    pub code: PodeWsResult,
    pub message: String,
    /// How long the server asked us to wait (`Retry-After` on a 429 or 503 answer).
    pub retry_after: Option<Duration>,
}

impl Cause {
    pub fn failure(error: &Error) -> Cause {
        let retry_after = error
            .http
            .filter(|http| matches!(http.status, 429 | 503))
            .and_then(|http| http.retry_after);
        Cause {
            code: error.code,
            message: error.message.clone(),
            retry_after,
        }
    }

    /// The server ended the session with a close frame (no failure on our side).
    pub fn server_close(code: u16, reason: &str) -> Cause {
        let message = if reason.is_empty() {
            format!("the server closed the connection with code {code}")
        } else {
            format!("the server closed the connection with code {code} ({reason})")
        };
        Cause {
            code: PodeWsResult::Ok,
            message,
            retry_after: None,
        }
    }
}

/// The delay before reconnect attempt `attempt`: exponential, capped, with jitter.
pub fn backoff_delay(initial_ms: u64, max_ms: u64, jitter: f64, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let base = initial_ms.saturating_mul(1u64 << exponent).min(max_ms) as f64;
    let spread = base * jitter * (fastrand::f64() * 2.0 - 1.0);
    Duration::from_millis((base + spread).max(0.0) as u64)
}

/// The delay before attempt `attempt` after `cause`: the backoff, but never shorter than the
/// server's `Retry-After`, and never longer than `maxDelayMs`.
pub fn next_delay(policy: &ReconnectOptions, attempt: u32, cause: &Cause) -> Duration {
    let backoff = backoff_delay(
        policy.initial_delay_ms,
        policy.max_delay_ms,
        policy.jitter,
        attempt,
    );
    match cause.retry_after {
        Some(asked) => backoff
            .max(asked)
            .min(Duration::from_millis(policy.max_delay_ms)),
        None => backoff,
    }
}

/// The `Retry-After` of an HTTP answer, as a wait from now. `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// `Retry-After: <delta-seconds>` or `Retry-After: <HTTP-date>` (RFC 9110 section 10.2.3),
/// relative to `now`; a date in the past means no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than u64 holds is still "a very long time": the delay cap applies.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

/// An HTTP-date as Unix seconds, in any of the three forms RFC 9110 section 5.6.7 names:
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850)
/// and `Sun Nov  6 08:49:37 1994` (asctime).
fn parse_http_date(value: &str) -> Option<i64> {
    let tokens: Vec<&str> = value
        .split([' ', ',', '-'])
        .filter(|t| !t.is_empty())
        .collect();
    let (day, month, year, time) = match tokens.as_slice() {
        [_, day, month, year, time, "GMT"] => (*day, *month, *year, *time),
        [_, month, day, time, year] => (*day, *month, *year, *time),
        _ => return None,
    };
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let year: i64 = match year.parse().ok()? {
        // RFC 850's two-digit years: RFC 9110 reads those more than 50 years ahead as past.
        y @ 0..=69 if year.len() == 2 => 2000 + y,
        y @ 70..=99 if year.len() == 2 => 1900 + y,
        y if year.len() == 4 => y,
        _ => return None,
    };
    let mut hms = time.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u16) -> Error {
        Error::new(PodeWsResult::HandshakeRejected, format!("HTTP {status}"))
            .with_http(status, None)
    }

    #[test]
    fn classifies_failures() {
        for status in [400, 401, 403, 404, 410, 426, 301] {
            assert!(is_permanent(&rejected(status)), "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(!is_permanent(&rejected(status)), "{status}");
        }
        for code in [
            PodeWsResult::InvalidUrl,
            PodeWsResult::TlsUntrusted,
            PodeWsResult::Redirect,
            PodeWsResult::Protocol,
            PodeWsResult::InvalidOptions,
        ] {
            assert!(is_permanent(&Error::new(code, "x")), "{code:?}");
        }
        for code in [
            PodeWsResult::Dns,
            PodeWsResult::ConnectionRefused,
            PodeWsResult::Timeout,
            PodeWsResult::Network,
            PodeWsResult::Proxy,
            PodeWsResult::Tls,
        ] {
            assert!(!is_permanent(&Error::new(code, "x")), "{code:?}");
        }
    }

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

    #[test]
    fn retry_after_is_honoured_for_429_and_503_within_the_cap() {
        let policy = ReconnectOptions {
            initial_delay_ms: 100,
            max_delay_ms: 5_000,
            jitter: 0.0,
            ..ReconnectOptions::default()
        };
        let cause = |status, secs| {
            Cause::failure(
                &Error::new(PodeWsResult::HandshakeRejected, "x")
                    .with_http(status, Some(Duration::from_secs(secs))),
            )
        };
        assert_eq!(
            next_delay(&policy, 1, &cause(503, 2)),
            Duration::from_secs(2)
        );
        assert_eq!(
            next_delay(&policy, 1, &cause(429, 9)),
            Duration::from_secs(5)
        );
        // Never shorter than the backoff, and only 429 and 503 are read.
        assert_eq!(
            next_delay(&policy, 6, &cause(429, 1)),
            Duration::from_millis(3_200)
        );
        assert_eq!(
            next_delay(&policy, 1, &cause(500, 2)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn parses_retry_after() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let p = |v| parse_retry_after(v, now);
        assert_eq!(p("120"), Some(Duration::from_secs(120)));
        assert_eq!(p(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            p("Sun, 06 Nov 1994 08:50:07 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            p("Sunday, 06-Nov-94 08:51:37 GMT"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(p("Sun Nov  6 08:49:47 1994"), Some(Duration::from_secs(10)));
        assert_eq!(p("Sat, 05 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(
            p("Thu, 29 Feb 2024 00:00:00 GMT").map(|d| d.as_secs()),
            Some(925_053_023)
        );
        for bad in [
            "",
            "-5",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(
            p("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}

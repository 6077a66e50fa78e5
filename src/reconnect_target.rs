//! The reconnect hook (option `reconnect.awaitTarget`): before each reconnect attempt the
//! connection task asks the caller where to connect and waits for the answer, a new URL and/or
//! headers (`pode_ws_reconnect_target`) or a failure (`pode_ws_reconnect_fail`). Services such
//! as Slack Socket Mode hand out a fresh URL for every connection.
//!
//! Nothing calls into the caller: the task emits a Reconnecting event and the caller's
//! dispatcher answers through the C ABI, from any thread, without blocking.

use std::collections::BTreeMap;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::error::{Error, PodeWsResult, Result};
use crate::options::{Options, Secret};
use crate::transport::Target;

/// Handshake headers by name (values are secrets).
pub type Headers = BTreeMap<String, Secret>;

/// Where the awaited attempt connects: `None` keeps the current URL or headers.
#[derive(Debug, Default)]
pub struct TargetAnswer {
    pub target: Option<Target>,
    /// The complete header set from then on (the current headers with the answer's changes).
    pub headers: Option<Headers>,
}

pub type Answer = Result<TargetAnswer>;

struct Pending {
    attempt: u32,
    reply: oneshot::Sender<Answer>,
}

/// The one request of a connection that may wait for an answer.
#[derive(Default)]
pub struct TargetRequests {
    pending: Mutex<Option<Pending>>,
}

impl TargetRequests {
    /// Asks for the target of `attempt` (replacing any earlier request); the answer arrives on
    /// the receiver.
    pub fn open(&self, attempt: u32) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        *self.pending.lock() = Some(Pending { attempt, reply });
        answer
    }

    /// Withdraws the request: the attempt started, or was cancelled.
    pub fn close(&self) {
        self.pending.lock().take();
    }

    /// Fails unless `attempt` is the attempt waiting for its target.
    pub fn check(&self, name: &str, attempt: u32) -> Result<()> {
        let waiting = self.pending.lock().as_ref().map(|p| p.attempt);
        match waiting {
            Some(waiting) if waiting == attempt => Ok(()),
            Some(waiting) => Err(Error::invalid_argument(format!(
                "'{name}' is waiting for the target of reconnect attempt {waiting}, not {attempt} (an answer came too late or too early)"
            ))),
            None => Err(Error::invalid_argument(format!(
                "no reconnect attempt of '{name}' is waiting for a target (attempt {attempt} was answered, timed out or cancelled)"
            ))),
        }
    }

    /// Delivers the answer for `attempt`; fails when that attempt is not waiting for one.
    pub fn answer(&self, name: &str, attempt: u32, answer: Answer) -> Result<()> {
        let mut pending = self.pending.lock();
        match pending.take() {
            Some(p) if p.attempt == attempt => {
                // The task stopped waiting only by withdrawing the request first, so a send
                // error cannot happen; if it did, the attempt is over anyway.
                let _ = p.reply.send(answer);
                Ok(())
            }
            other => {
                *pending = other;
                drop(pending);
                self.check(name, attempt)
            }
        }
    }
}

/// Checks an answer as `pode_ws_connect` checks its arguments: the URL must be a ws:// or
/// wss:// URL, the headers a JSON object of header names to string values (`null` removes a
/// header), and the resulting header set must pass the options' header rules. Header changes
/// are merged into `current` by name, case-insensitively.
pub fn check_answer(
    options: &Options,
    current: &Headers,
    url: Option<&str>,
    headers_json: Option<&str>,
) -> Result<TargetAnswer> {
    let target = url.map(Target::parse).transpose()?;
    let headers = headers_json
        .map(|json| merge_headers(options, current, json))
        .transpose()?;
    Ok(TargetAnswer { target, headers })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::InvalidOptions, message)
}

fn merge_headers(options: &Options, current: &Headers, json: &str) -> Result<Headers> {
    // Parsed untyped: serde's typed errors would quote the values, which are secrets.
    let changes: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(changes)) => changes,
        Ok(_) => return Err(invalid("the headers must be a JSON object ({...})")),
        Err(e) => return Err(invalid(format!("the headers are not valid JSON: {e}"))),
    };
    let mut merged = current.clone();
    for (name, value) in changes {
        merged.retain(|existing, _| !existing.eq_ignore_ascii_case(&name));
        match value {
            serde_json::Value::String(value) => {
                merged.insert(name, Secret(value));
            }
            serde_json::Value::Null => {}
            _ => {
                return Err(invalid(format!(
                    "the value of header '{name}' must be a string (or null to remove it)"
                )))
            }
        }
    }
    let mut checked = options.clone();
    checked.headers = merged;
    checked.validate()?;
    Ok(checked.headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Secret(v.to_string())))
            .collect()
    }

    #[test]
    fn header_changes_merge_by_name() {
        let current = headers(&[("Authorization", "old"), ("X-Keep", "1")]);
        let answer = check_answer(
            &Options::default(),
            &current,
            None,
            Some(r#"{"authorization": "new", "X-Keep": null, "X-Add": "2"}"#),
        )
        .unwrap();
        assert_eq!(
            answer.headers.unwrap(),
            headers(&[("authorization", "new"), ("X-Add", "2")])
        );
        assert!(answer.target.is_none());
    }

    #[test]
    fn bad_answers_name_the_cause_without_values() {
        let check =
            |url, json| check_answer(&Options::default(), &Headers::new(), url, json).unwrap_err();
        assert_eq!(check(Some("http://x"), None).code, PodeWsResult::InvalidUrl);
        for (json, says) in [
            ("[1]", "JSON object"),
            ("{", "not valid JSON"),
            (r#"{"X-Token": 12345}"#, "must be a string"),
            (
                r#"{"Bad Name": "secret-value"}"#,
                "not a valid HTTP header name",
            ),
            (
                "{\"X-Token\": \"secret\\nvalue\"}",
                "not a valid HTTP header value",
            ),
        ] {
            let e = check(None, Some(json));
            assert_eq!(e.code, PodeWsResult::InvalidOptions, "{json}");
            assert!(e.message.contains(says), "{json}: {}", e.message);
            assert!(
                !e.message.contains("secret") && !e.message.contains("12345"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn only_the_waiting_attempt_is_answered() {
        let requests = TargetRequests::default();
        assert!(requests.check("c", 1).is_err());
        let mut answer = requests.open(2);
        let stale = requests
            .answer("c", 1, Ok(TargetAnswer::default()))
            .unwrap_err();
        assert!(
            stale.message.contains("attempt 2, not 1"),
            "{}",
            stale.message
        );
        requests
            .answer("c", 2, Ok(TargetAnswer::default()))
            .unwrap();
        assert!(answer.try_recv().unwrap().is_ok());
        let twice = requests
            .answer("c", 2, Ok(TargetAnswer::default()))
            .unwrap_err();
        assert_eq!(twice.code, PodeWsResult::InvalidArgument);
    }
}

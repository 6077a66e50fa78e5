//! Autobahn TestSuite client, built only on the C ABI (as a C caller would use it).
//!
//! Usage: `autobahn_client [BASE_URL] [AGENT] [COMPRESSION_JSON]` (defaults
//! `ws://127.0.0.1:9001`, `pode_ws`, the core's default compression offer). COMPRESSION_JSON
//! is the `compression` option, e.g. `{"clientNoContextTakeover": true}` for the 13.* cases
//! whose server accepts only an offer with `client_no_context_takeover`.
//! Asks the fuzzing server for its case count, runs every case (echoing each text and binary
//! message back with the same kind until the connection closes), then asks it to write the
//! reports. Exit code 0 once every case was driven; 1 when the server could not be used.
//! With `AUTOBAHN_VERBOSE` set, prints one line per case (echoed messages, close code, time,
//! the library's Error events); otherwise only cases with a problem (failed send, no close).
//! Driven by `scripts/conformance.sh`, which judges the reports.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

const TEXT: u32 = 1;
const BINARY: u32 = 2;
const CLOSED: u32 = 4;
const ERROR: u32 = 5;

/// Large batches: the 9.* cases send thousands of messages per case.
const BATCH: u32 = 4096;
const POLL_MS: u32 = 500;
/// A case that has not closed by then is abandoned (removed) so the run cannot hang.
const CASE_LIMIT: Duration = Duration::from_secs(120);

/// The 9.* cases send messages of up to 16 MiB, possibly as one frame; keepalive pings would
/// add frames the cases do not expect.
const CASE_OPTIONS: &str = r#"{
    "compression": COMPRESSION,
    "pingIntervalMs": 0,
    "closeTimeoutMs": 3000,
    "connectTimeoutMs": 10000,
    "maxMessageSize": 67108864,
    "maxFrameSize": 67108864,
    "readBufferSize": 262144,
    "queue": { "maxEvents": 65536, "maxBytes": 134217728 }
}"#;

fn last_error() -> String {
    let mut buf = vec![0u8; 4096];
    let mut len = 0usize;
    // SAFETY: buf is writable for buf.len() bytes; len is a valid out-parameter.
    let r = unsafe { pode_ws_last_error(buf.as_mut_ptr(), buf.len(), &mut len) };
    if r != PodeWsResult::Ok {
        return format!("(no message: {r:?})");
    }
    buf.truncate(len.min(buf.len()));
    String::from_utf8_lossy(&buf).into_owned()
}

fn check(r: PodeWsResult) -> Result<(), String> {
    if r == PodeWsResult::Ok {
        Ok(())
    } else {
        Err(format!("{r:?}: {}", last_error()))
    }
}

fn connect(name: &str, url: &str, options: &str) -> Result<(), String> {
    let mut id = 0u64;
    // SAFETY: every pointer/length pair comes from a live &str; id is a valid out-parameter.
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
    })
}

fn remove(name: &str) {
    // SAFETY: name is a live &str. Failure (already gone) does not matter here.
    unsafe { pode_ws_remove(name.as_ptr(), name.len()) };
}

/// One poller, polled in large batches. Event views are used in place (no copy) and are valid
/// until the next poll.
struct Poller(*mut PodeWsPoller);

impl Poller {
    fn new() -> Result<Poller, String> {
        let mut p = std::ptr::null_mut();
        // SAFETY: p is a valid out-parameter.
        check(unsafe { pode_ws_poller_new(&mut p) })?;
        Ok(Poller(p))
    }

    fn poll(&mut self) -> Result<&[PodeWsEvent], String> {
        let mut events: *const PodeWsEvent = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: the poller is live and only this thread polls it; out-parameters are valid.
        check(unsafe { pode_ws_poll(self.0, POLL_MS, BATCH, &mut events, &mut len) })?;
        if len == 0 || events.is_null() {
            return Ok(&[]);
        }
        // SAFETY: the library returned `len` events, valid until the next poll, which needs
        // `&mut self` and so cannot happen while this borrow lives.
        Ok(unsafe { std::slice::from_raw_parts(events, len) })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // SAFETY: the poller came from pode_ws_poller_new and is freed once.
        unsafe { pode_ws_poller_free(self.0) };
    }
}

/// A view of an event field, borrowed from the event (so it cannot outlive the batch).
fn view(_event: &PodeWsEvent, ptr: *const u8, len: usize) -> &[u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the pointer and length are a field of `_event`, valid while it is.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

fn event_name(event: &PodeWsEvent) -> &[u8] {
    view(event, event.name, event.name_len)
}

fn event_data(event: &PodeWsEvent) -> &[u8] {
    view(event, event.data, event.data_len)
}

/// What a finished connection did, for the log.
struct Outcome {
    echoed: u64,
    close_code: Option<u32>,
    /// Error events of the library (expected in cases where the server breaks the protocol).
    notes: Vec<String>,
    /// Things that should not happen: a failed send, a case that never closed.
    problems: Vec<String>,
}

/// Polls until `name` closes. With `echo`, sends every text/binary message back; `on_text`
/// sees each text message (used to read the case count).
fn drive(
    poller: &mut Poller,
    name: &str,
    echo: bool,
    mut on_text: impl FnMut(&[u8]),
) -> Result<Outcome, String> {
    let deadline = Instant::now() + CASE_LIMIT;
    let mut outcome = Outcome {
        echoed: 0,
        close_code: None,
        notes: Vec::new(),
        problems: Vec::new(),
    };
    while Instant::now() < deadline {
        for event in poller.poll()? {
            if event_name(event) != name.as_bytes() {
                continue; // a leftover of an earlier, abandoned connection
            }
            match event.kind {
                TEXT | BINARY => {
                    if event.kind == TEXT {
                        on_text(event_data(event));
                    }
                    if echo {
                        // SAFETY: the data view is valid until the next poll; the library
                        // copies it before returning.
                        let r = unsafe {
                            pode_ws_send(
                                name.as_ptr(),
                                name.len(),
                                event.kind,
                                event.data,
                                event.data_len,
                            )
                        };
                        // NOT_OPEN is expected when the server closed meanwhile.
                        if r == PodeWsResult::Ok {
                            outcome.echoed += 1;
                        } else if r != PodeWsResult::NotOpen {
                            outcome
                                .problems
                                .push(format!("send: {r:?}: {}", last_error()));
                        }
                    }
                }
                ERROR => outcome
                    .notes
                    .push(String::from_utf8_lossy(event_data(event)).into_owned()),
                CLOSED => {
                    outcome.close_code = Some(event.code);
                    return Ok(outcome);
                }
                _ => {}
            }
        }
    }
    outcome
        .problems
        .push(format!("no Closed event within {CASE_LIMIT:?}; abandoned"));
    Ok(outcome)
}

fn case_count(poller: &mut Poller, base: &str) -> Result<u32, String> {
    let name = "autobahn-case-count";
    connect(
        name,
        &format!("{base}/getCaseCount"),
        &CASE_OPTIONS.replace("COMPRESSION", "{}"),
    )?;
    let mut count = None;
    let result = drive(poller, name, false, |text| {
        count = std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
    });
    remove(name);
    result?;
    count.ok_or_else(|| "the server sent no case count".to_string())
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_string());
    let base = base.trim_end_matches('/').to_string();
    let agent = args.next().unwrap_or_else(|| "pode_ws".to_string());
    let compression = args.next().unwrap_or_else(|| "{}".to_string());
    let case_options = CASE_OPTIONS.replace("COMPRESSION", &compression);
    let verbose = std::env::var_os("AUTOBAHN_VERBOSE").is_some();

    let mut poller = Poller::new()?;
    let count = case_count(&mut poller, &base)?;
    eprintln!("autobahn_client: {count} cases, agent '{agent}'");

    let started = Instant::now();
    for case in 1..=count {
        let name = format!("case{case}");
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        let case_started = Instant::now();
        match connect(&name, &url, &case_options) {
            // Some cases fail the opening handshake on purpose.
            Err(e) => eprintln!("case {case}: connect failed: {e}"),
            Ok(()) => {
                let outcome = drive(&mut poller, &name, true, |_| {});
                remove(&name);
                let outcome = outcome?;
                if verbose || !outcome.problems.is_empty() {
                    eprintln!(
                        "case {case}: echoed {}, closed {:?}, {} ms; errors: [{}]; problems: [{}]",
                        outcome.echoed,
                        outcome.close_code,
                        case_started.elapsed().as_millis(),
                        outcome.notes.join(" | "),
                        outcome.problems.join(" | "),
                    );
                }
            }
        }
    }
    eprintln!(
        "autobahn_client: ran {count} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let name = "autobahn-update-reports";
    connect(
        name,
        &format!("{base}/updateReports?agent={agent}"),
        &CASE_OPTIONS.replace("COMPRESSION", "{}"),
    )?;
    let result = drive(&mut poller, name, false, |_| {});
    remove(name);
    result.map(|_| ())
}

fn main() -> ExitCode {
    let result = run();
    // Close whatever is left so the process exits promptly.
    let _ = pode_ws_shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autobahn_client: {e}");
            ExitCode::FAILURE
        }
    }
}

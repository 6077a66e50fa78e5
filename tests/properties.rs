//! Property-based tests (proptest) of the options parser and of the C ABI's argument handling.
//!
//! Options: any JSON (or any text) is either accepted or an InvalidOptions error, never a panic;
//! every valid generated document gives exactly the settings it states (defaults elsewhere), and
//! connects; an unknown key anywhere is always rejected by name.
//!
//! ABI: arbitrary byte strings as names, URLs, options, reasons and data, NULL pointers with
//! arbitrary lengths, arbitrary kinds, close codes and buffer sizes never panic and give the
//! documented code for the first bad argument, with a message.
mod common;

use std::collections::BTreeMap;
use std::ptr::{null, null_mut};
use std::time::Duration;

use common::watch::{take_turn, Watch};
use common::*;
use futures_util::StreamExt;
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;
use pode_ws::options::{Options, ProxyOptions, QueueOptions, ReconnectOptions, Secret, TlsOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

const LIMIT: Duration = Duration::from_secs(10);

/// `cases` runs, or PODE_WS_PROPTEST_CASES (scripts/valgrind.sh runs few; a soak may run many).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PODE_WS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // No regression files in the tree: a failure prints its minimal input instead.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The options parser
// ---------------------------------------------------------------------------------------------

const TOP_KEYS: [&str; 19] = [
    "headers",
    "subprotocols",
    "connectTimeoutMs",
    "pingIntervalMs",
    "pongTimeoutMs",
    "closeTimeoutMs",
    "reconnect",
    "maxMessageSize",
    "maxFrameSize",
    "queue",
    "readBufferSize",
    "sendQueue",
    "tls",
    "proxy",
    "maxRedirects",
    "traceId",
    "manualReceive",
    "background",
    "historySize",
];
const RECONNECT_KEYS: [&str; 6] = [
    "enabled",
    "initialDelayMs",
    "maxDelayMs",
    "maxAttempts",
    "jitter",
    "awaitTarget",
];
const QUEUE_KEYS: [&str; 2] = ["maxEvents", "maxBytes"];
const TLS_KEYS: [&str; 4] = [
    "skipVerify",
    "caPem",
    "clientPkcs12Base64",
    "clientPkcs12Password",
];
const PROXY_KEYS: [&str; 5] = [
    "url",
    "username",
    "password",
    "fromEnvironment",
    "environment",
];

/// Object keys: mostly the real ones (so values of every type reach every field), some noise.
fn key() -> impl Strategy<Value = String> {
    let known: Vec<&'static str> = TOP_KEYS
        .iter()
        .chain(&RECONNECT_KEYS)
        .chain(&QUEUE_KEYS)
        .chain(&TLS_KEYS)
        .chain(&PROXY_KEYS)
        .copied()
        .collect();
    prop_oneof![
        4 => prop::sample::select(known).prop_map(String::from),
        1 => ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Any JSON value, but mostly objects of known keys with values of any type.
fn options_like() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => json_value(),
        3 => prop::collection::btree_map(key(), json_value(), 0..8)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
}

fn assert_parses_or_rejects(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = Options::from_json(text) {
        prop_assert_eq!(e.code, PodeWsResult::InvalidOptions, "{}", e.message);
        prop_assert!(
            e.message.starts_with("invalid options JSON") || e.message.len() > 10,
            "{}",
            e.message
        );
    }
    Ok(())
}

#[test]
fn any_json_is_accepted_or_rejected_never_a_panic() {
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(&options_like(), |value| {
            assert_parses_or_rejects(&value.to_string())
        })
        .unwrap();
}

#[test]
fn any_text_is_accepted_or_rejected_never_a_panic() {
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(&".{0,64}", |text| assert_parses_or_rejects(&text))
        .unwrap();
}

/// A generated valid options document: the JSON and the settings it must produce.
#[derive(Debug, Clone)]
struct Document {
    json: Map<String, Value>,
    expected: Options,
}

fn maybe<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}

/// Sets `key` in `json` and `field` in the expected settings when the value is present.
fn put<T: Clone + Into<Value>>(
    json: &mut Map<String, Value>,
    key: &str,
    value: &Option<T>,
    field: &mut T,
) {
    if let Some(v) = value {
        json.insert(key.to_string(), v.clone().into());
        *field = v.clone();
    }
}

fn reconnect_section() -> impl Strategy<Value = (Map<String, Value>, ReconnectOptions)> {
    (
        maybe(any::<bool>()),
        maybe((any::<u64>(), any::<u64>())),
        maybe(any::<u32>()),
        maybe(0.0f64..=1.0),
        maybe(any::<bool>()),
    )
        .prop_map(|(enabled, delays, attempts, jitter, await_target)| {
            let mut json = Map::new();
            let mut r = ReconnectOptions::default();
            put(&mut json, "enabled", &enabled, &mut r.enabled);
            if let Some((a, b)) = delays {
                let (low, high) = (a.min(b), a.max(b));
                put(
                    &mut json,
                    "initialDelayMs",
                    &Some(low),
                    &mut r.initial_delay_ms,
                );
                put(&mut json, "maxDelayMs", &Some(high), &mut r.max_delay_ms);
            }
            put(&mut json, "maxAttempts", &attempts, &mut r.max_attempts);
            put(&mut json, "jitter", &jitter, &mut r.jitter);
            put(&mut json, "awaitTarget", &await_target, &mut r.await_target);
            (json, r)
        })
}

fn queue_section() -> impl Strategy<Value = (Map<String, Value>, QueueOptions)> {
    (maybe(1usize..=usize::MAX), maybe(1usize..=usize::MAX)).prop_map(|(events, bytes)| {
        let mut json = Map::new();
        let mut q = QueueOptions::default();
        put(&mut json, "maxEvents", &events, &mut q.max_events);
        put(&mut json, "maxBytes", &bytes, &mut q.max_bytes);
        (json, q)
    })
}

fn tls_section() -> impl Strategy<Value = (Map<String, Value>, TlsOptions)> {
    (
        maybe(any::<bool>()),
        maybe(".{0,24}"),
        maybe("[A-Za-z0-9+/=]{0,24}"),
        maybe(".{0,12}"),
    )
        .prop_map(|(skip, ca, p12, password)| {
            let mut json = Map::new();
            let mut t = TlsOptions::default();
            put(&mut json, "skipVerify", &skip, &mut t.skip_verify);
            if let Some(ca) = ca {
                json.insert("caPem".into(), ca.clone().into());
                t.ca_pem = Some(ca);
            }
            if let Some(p12) = p12 {
                json.insert("clientPkcs12Base64".into(), p12.clone().into());
                t.client_pkcs12_base64 = Some(Secret(p12));
            }
            if let Some(password) = password {
                json.insert("clientPkcs12Password".into(), password.clone().into());
                t.client_pkcs12_password = Some(Secret(password));
            }
            (json, t)
        })
}

fn proxy_section() -> impl Strategy<Value = (Map<String, Value>, ProxyOptions)> {
    (
        prop::sample::select(vec!["http", "socks5", "HTTP", "socks5h"]),
        prop_oneof!["[a-z][a-z0-9.-]{0,15}", Just("127.0.0.1".to_string())],
        maybe(1u16..=65535),
        maybe(".{0,12}"),
        maybe(".{0,12}"),
    )
        .prop_map(|(scheme, host, port, username, password)| {
            // A password needs a username (alone it is an error).
            let password = password.filter(|_| username.as_deref().is_some_and(|u| !u.is_empty()));
            let url = match port {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            };
            let mut json = Map::new();
            json.insert("url".into(), url.clone().into());
            if let Some(u) = &username {
                json.insert("username".into(), u.clone().into());
            }
            if let Some(p) = &password {
                json.insert("password".into(), p.clone().into());
            }
            let proxy = ProxyOptions {
                url: Some(url),
                username: username.map(Secret),
                password: password.map(Secret),
                ..ProxyOptions::default()
            };
            (json, proxy)
        })
}

prop_compose! {
    fn scalars()(
        connect in maybe(1u64..=u64::MAX),
        keepalive in maybe(prop_oneof![Just(0u64), 1u64..=u64::MAX]),
        pong in maybe(1u64..=u64::MAX),
        close in maybe(any::<u64>()),
        max_message in maybe(1usize..=usize::MAX),
        max_frame in maybe(1usize..=usize::MAX),
        read_buffer in maybe(256usize..=64 << 20),
        send_queue in maybe(1usize..=1 << 20),
        manual in maybe(any::<bool>()),
        background in maybe(any::<bool>()),
        history in maybe(0usize..=10_000),
    ) -> (Map<String, Value>, Options) {
        let mut json = Map::new();
        let mut o = Options::default();
        put(&mut json, "connectTimeoutMs", &connect, &mut o.connect_timeout_ms);
        put(&mut json, "pingIntervalMs", &keepalive, &mut o.ping_interval_ms);
        put(&mut json, "pongTimeoutMs", &pong, &mut o.pong_timeout_ms);
        put(&mut json, "closeTimeoutMs", &close, &mut o.close_timeout_ms);
        put(&mut json, "maxMessageSize", &max_message, &mut o.max_message_size);
        if let Some(f) = max_frame {
            json.insert("maxFrameSize".into(), f.into());
            o.max_frame_size = Some(f);
        }
        put(&mut json, "readBufferSize", &read_buffer, &mut o.read_buffer_size);
        put(&mut json, "sendQueue", &send_queue, &mut o.send_queue);
        put(&mut json, "manualReceive", &manual, &mut o.manual_receive);
        put(&mut json, "background", &background, &mut o.background);
        put(&mut json, "historySize", &history, &mut o.history_size);
        (json, o)
    }
}

prop_compose! {
    fn document()(
        (json, scalars) in scalars(),
        headers in maybe(prop::collection::btree_map("X-[A-Za-z0-9-]{1,12}", "[ -~]{0,20}", 0..4)),
        subprotocols in maybe(prop::collection::vec("[A-Za-z0-9.!#$%&'*+^_`|~-]{1,12}", 0..4)),
        reconnect in maybe(reconnect_section()),
        queue in maybe(queue_section()),
        tls in maybe(tls_section()),
        proxy in maybe(proxy_section()),
    ) -> Document {
        let (mut json, mut expected) = (json, scalars);
        if let Some(headers) = headers {
            json.insert("headers".into(), json!(headers));
            expected.headers = headers
                .into_iter()
                .map(|(k, v)| (k, Secret(v)))
                .collect::<BTreeMap<_, _>>();
        }
        if let Some(protocols) = subprotocols {
            json.insert("subprotocols".into(), json!(protocols));
            expected.subprotocols = protocols;
        }
        if let Some((section, r)) = reconnect {
            json.insert("reconnect".into(), Value::Object(section));
            expected.reconnect = r;
        }
        if let Some((section, q)) = queue {
            json.insert("queue".into(), Value::Object(section));
            expected.queue = q;
        }
        if let Some((section, t)) = tls {
            json.insert("tls".into(), Value::Object(section));
            expected.tls = t;
        }
        if let Some((section, p)) = proxy {
            json.insert("proxy".into(), Value::Object(section));
            expected.proxy = Some(p);
        }
        Document { json, expected }
    }
}

#[test]
fn valid_documents_give_exactly_their_settings() {
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(&document(), |doc| {
            let text = Value::Object(doc.json.clone()).to_string();
            match Options::from_json(&text) {
                Ok(mut parsed) => {
                    // serde_json's fast float parsing may land one unit in the last place away
                    // from the printed value; for a jitter fraction that is the same setting.
                    let (got, want) = (parsed.reconnect.jitter, doc.expected.reconnect.jitter);
                    prop_assert!((got - want).abs() <= 1e-12, "jitter {} != {}", got, want);
                    parsed.reconnect.jitter = want;
                    prop_assert_eq!(parsed, doc.expected, "{}", text)
                }
                Err(e) => prop_assert!(false, "{} rejected: {}", text, e.message),
            }
            Ok(())
        })
        .unwrap();
}

/// Where an unknown key goes: the top level or one of the sections (not `headers`, whose keys
/// are header names).
fn injection() -> impl Strategy<Value = (Document, Option<&'static str>, String)> {
    (
        document(),
        prop::sample::select(vec![
            None,
            Some("reconnect"),
            Some("queue"),
            Some("tls"),
            Some("proxy"),
        ]),
        ".{0,16}",
    )
        .prop_filter_map("a known key is not unknown", |(doc, section, key)| {
            let known: &[&str] = match section {
                None => &TOP_KEYS,
                Some("reconnect") => &RECONNECT_KEYS,
                Some("queue") => &QUEUE_KEYS,
                Some("tls") => &TLS_KEYS,
                _ => &PROXY_KEYS,
            };
            (!known.contains(&key.as_str())).then_some((doc, section, key))
        })
}

#[test]
fn unknown_keys_are_always_rejected_by_name() {
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(&injection(), |(doc, section, key)| {
            let mut json = doc.json;
            let target = match section {
                None => &mut json,
                Some(section) => {
                    // The section may be absent from the document: add it (a proxy needs its url).
                    let entry = json.entry(section).or_insert_with(|| match section {
                        "proxy" => json!({"url": "http://127.0.0.1:1"}),
                        _ => json!({}),
                    });
                    entry.as_object_mut().unwrap()
                }
            };
            target.insert(key.clone(), json!(true));
            let text = Value::Object(json).to_string();
            match Options::from_json(&text) {
                Ok(_) => prop_assert!(false, "{} was accepted", text),
                Err(e) => {
                    prop_assert_eq!(e.code, PodeWsResult::InvalidOptions);
                    prop_assert!(
                        e.message.contains(&format!("unknown field `{key}`")),
                        "{}: {}",
                        text,
                        e.message
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn valid_documents_connect_and_echo() {
    let _turn = take_turn();
    let server = echo_server_handle();
    // Settings a valid document may hold that would, by design, stop this particular connect:
    // a proxy (there is none), TLS material, subprotocols (the echo server picks none), manual
    // receive (read by name only), timeouts too short for a loaded machine.
    let usable = document().prop_map(|mut doc| {
        for key in ["proxy", "subprotocols", "manualReceive"] {
            doc.json.remove(key);
        }
        // Random TLS material cannot be loaded, and TLS options are loaded at connect even for
        // ws:// (a redirect or a reset may lead to wss://).
        if let Some(Value::Object(tls)) = doc.json.get_mut("tls") {
            tls.remove("caPem");
            tls.remove("clientPkcs12Base64");
        }
        for (key, floor) in [("connectTimeoutMs", 2000u64), ("pongTimeoutMs", 2000)] {
            if let Some(v) = doc.json.get_mut(key) {
                *v = json!(v.as_u64().unwrap().max(floor));
            }
        }
        if let Some(v) = doc.json.get_mut("pingIntervalMs") {
            let ms = v.as_u64().unwrap();
            *v = json!(if ms == 0 { 0 } else { ms.max(2000) });
        }
        doc
    });
    // Each case is a real connection (some with a 64 MiB read buffer): at most 1,000 even in
    // a soak.
    let config = config(48);
    let mut runner = TestRunner::new(Config {
        cases: config.cases.min(1000),
        ..config
    });
    runner
        .run(&usable, |doc| {
            let options = Value::Object(doc.json).to_string();
            let name = unique("prop-valid");
            let watch = Watch::new(&name);
            connect(&name, &server.url(), &options)
                .map_err(|e| TestCaseError::fail(format!("{options}: {}", e.message)))?;
            prop_assert_eq!(watch.expect(OPENED, LIMIT).kind, OPENED);
            send_text(&name, "x").unwrap();
            prop_assert_eq!(watch.expect(TEXT, LIMIT).text(), "x");
            remove(&name).unwrap();
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The C ABI's argument handling
// ---------------------------------------------------------------------------------------------

/// A pointer + length argument: NULL with any length, or real bytes (often valid UTF-8).
#[derive(Debug, Clone)]
enum Arg {
    Null(usize),
    Bytes(Vec<u8>),
}

impl Arg {
    fn raw(&self) -> (*const u8, usize) {
        match self {
            Arg::Null(len) => (null(), *len),
            Arg::Bytes(b) => (
                if b.is_empty() {
                    b"".as_ptr()
                } else {
                    b.as_ptr()
                },
                b.len(),
            ),
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Arg::Null(_))
    }

    fn text(&self) -> Option<&str> {
        match self {
            Arg::Null(_) => None,
            Arg::Bytes(b) => std::str::from_utf8(b).ok(),
        }
    }

    fn len(&self) -> usize {
        self.raw().1
    }
}

fn arg() -> impl Strategy<Value = Arg> {
    prop_oneof![
        1 => prop_oneof![Just(0usize), any::<usize>()].prop_map(Arg::Null),
        2 => prop::collection::vec(any::<u8>(), 0..48).prop_map(Arg::Bytes),
        3 => ".{0,24}".prop_map(|s: String| Arg::Bytes(s.into_bytes())),
    ]
}

/// URLs: arbitrary, or refused-at-once ws:// URLs with an arbitrary tail (never a DNS name).
fn url_arg() -> impl Strategy<Value = Arg> {
    prop_oneof![
        2 => arg(),
        1 => ".{0,16}".prop_map(|tail: String| Arg::Bytes(format!("ws://127.0.0.1:1/{tail}").into_bytes())),
    ]
}

/// The code of a failed check of a required string argument, if it fails.
fn required(a: &Arg) -> Option<PodeWsResult> {
    match a {
        Arg::Null(_) => Some(PodeWsResult::NullPointer),
        Arg::Bytes(b) if std::str::from_utf8(b).is_err() => Some(PodeWsResult::InvalidUtf8),
        _ => None,
    }
}

/// Same for an optional one (NULL with length 0 means absent).
fn optional(a: &Arg) -> Option<PodeWsResult> {
    match a {
        Arg::Null(0) => None,
        other => required(other),
    }
}

fn valid_close_code(code: u32) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Every failure must say something, and a panic or internal error is never acceptable.
fn check_failure(r: PodeWsResult, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        r != PodeWsResult::Panic && r != PodeWsResult::Internal,
        "{}: {:?} {}",
        what,
        r,
        last_error()
    );
    if r != PodeWsResult::Ok {
        prop_assert!(
            !last_error().is_empty(),
            "{}: {:?} without a message",
            what,
            r
        );
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct Call {
    name: Arg,
    url: Arg,
    options: Arg,
    reason: Arg,
    data: Arg,
    kind: u32,
    code: u32,
}

fn call() -> impl Strategy<Value = Call> {
    (
        arg(),
        url_arg(),
        arg(),
        arg(),
        arg(),
        prop_oneof![0u32..4, any::<u32>()],
        prop_oneof![900u32..5100, any::<u32>()],
    )
        .prop_map(|(name, url, options, reason, data, kind, code)| Call {
            name,
            url,
            options,
            reason,
            data,
            kind,
            code,
        })
}

#[test]
fn arbitrary_arguments_give_documented_codes_never_a_panic() {
    let _turn = take_turn();
    // An open connection to a server that reads and discards (sends never back up), and a
    // closed one, under names no generated name takes.
    let sink = ws_server(|mut ws, _| async move { while let Some(Ok(_)) = ws.next().await {} });
    let open = unique("prop-open");
    let closed = unique("prop-closed");
    connect(&open, &sink.url(), "").unwrap();
    connect(&closed, &sink.url(), "").unwrap();
    disconnect(&closed, 1000, "").unwrap();
    let poller = TestPoller::new();

    let mut runner = TestRunner::new(config(512));
    runner
        .run(&call(), |c| {
            prop_assume!(
                c.name.text() != Some(open.as_str()) && c.name.text() != Some(closed.as_str())
            );
            let (n, nl) = c.name.raw();
            let (u, ul) = c.url.raw();
            let (o, ol) = c.options.raw();
            let (r, rl) = c.reason.raw();
            let (d, dl) = c.data.raw();
            unsafe {
                // connect: the ABI checks name, url, options in order; beyond that the
                // result depends on their content, from a documented set.
                let mut id = 0u64;
                let got = pode_ws_connect(n, nl, u, ul, o, ol, &mut id);
                check_failure(got, "connect")?;
                let first = required(&c.name)
                    .or(required(&c.url))
                    .or(optional(&c.options));
                if let Some(expected) = first {
                    prop_assert_eq!(got, expected, "{}", last_error());
                } else {
                    // Any documented outcome of a connect (check_failure excluded a panic).
                    prop_assert!(
                        ![PodeWsResult::NullPointer, PodeWsResult::InvalidUtf8].contains(&got),
                        "connect: {:?} {}",
                        got,
                        last_error()
                    );
                }
                if got == PodeWsResult::Ok {
                    pode_ws_remove(n, nl);
                }

                // send to an unknown name: name, kind, data checked first, then the name.
                let got = pode_ws_send(n, nl, c.kind, d, dl);
                check_failure(got, "send")?;
                let kind_error =
                    (c.kind != 1 && c.kind != 2).then_some(PodeWsResult::InvalidArgument);
                let data_error =
                    (c.data.is_null() && c.data.len() > 0).then_some(PodeWsResult::NullPointer);
                let expected = required(&c.name)
                    .or(kind_error)
                    .or(data_error)
                    .unwrap_or(PodeWsResult::UnknownName);
                prop_assert_eq!(got, expected, "send: {}", last_error());

                // send on the open connection: the data decides.
                let got = pode_ws_send(open.as_ptr(), open.len(), c.kind, d, dl);
                check_failure(got, "send open")?;
                let utf8_error = (c.kind == 1 && !c.data.is_null() && c.data.text().is_none())
                    .then_some(PodeWsResult::InvalidUtf8);
                let expected = kind_error
                    .or(data_error)
                    .or(utf8_error)
                    .unwrap_or(PodeWsResult::Ok);
                prop_assert_eq!(got, expected, "send open: {}", last_error());

                // disconnect a closed connection: only the code and reason decide.
                let got = pode_ws_disconnect(closed.as_ptr(), closed.len(), c.code, r, rl);
                check_failure(got, "disconnect")?;
                let reason_error = optional(&c.reason).or_else(|| {
                    (rl > 123 && !c.reason.is_null()).then_some(PodeWsResult::InvalidArgument)
                });
                let code_error =
                    (!valid_close_code(c.code)).then_some(PodeWsResult::InvalidArgument);
                let expected = reason_error.or(code_error).unwrap_or(PodeWsResult::Ok);
                if reason_error.is_none() && code_error.is_some() {
                    prop_assert!(
                        last_error().contains(&c.code.to_string()),
                        "{}",
                        last_error()
                    );
                }
                // Both code and reason errors are InvalidArgument; their order does not matter.
                prop_assert_eq!(got, expected, "disconnect: {}", last_error());

                // reset, remove, state, info of an unknown name.
                let got = pode_ws_reset(n, nl, u, ul);
                check_failure(got, "reset")?;
                if let Some(expected) = required(&c.name).or(optional(&c.url)) {
                    prop_assert_eq!(got, expected, "reset: {}", last_error());
                }
                let got = pode_ws_remove(n, nl);
                check_failure(got, "remove")?;
                let mut state = 0u32;
                let got = pode_ws_state(n, nl, &mut state);
                check_failure(got, "state")?;
                let mut buffer: *mut PodeWsBuffer = null_mut();
                let got = pode_ws_info(n, nl, &mut buffer);
                check_failure(got, "info")?;
                prop_assert!(buffer.is_null(), "info wrote a buffer for an unknown name");
                let expected = required(&c.name).unwrap_or(PodeWsResult::UnknownName);
                for got in [pode_ws_remove(n, nl), pode_ws_state(n, nl, &mut state)] {
                    prop_assert_eq!(got, expected, "{}", last_error());
                }

                // A poll that does not wait, with any batch size.
                let mut events: *const PodeWsEvent = null();
                let mut len = 0usize;
                let got = pode_ws_poll(poller.0, 0, c.kind, &mut events, &mut len);
                prop_assert_eq!(got, PodeWsResult::Ok, "{}", last_error());
                let max = if c.kind == 0 { 1024 } else { c.kind as usize };
                prop_assert!(len <= max, "{} events for a batch of at most {}", len, max);
            }
            Ok(())
        })
        .unwrap();
    remove(&open).unwrap();
    remove(&closed).unwrap();
}

#[test]
fn caller_buffers_of_any_size_are_handled() {
    // The last error and the version are copied into caller buffers: any size, or none.
    let mut runner = TestRunner::new(config(512));
    let buffers = (0usize..64, any::<bool>(), any::<bool>(), ".{0,40}");
    runner
        .run(&buffers, |(size, null_buf, null_len, name)| {
            // Leave a last error of a known length behind (or none).
            let failed = connect(&name, "nope://", "").unwrap_err();
            let message = failed.message;
            let mut storage = vec![0xAAu8; size];
            let buf = if null_buf {
                null_mut()
            } else {
                storage.as_mut_ptr()
            };
            let mut needed = usize::MAX;
            let out = if null_len {
                null_mut()
            } else {
                &mut needed as *mut usize
            };
            let got = unsafe { pode_ws_last_error(buf, size, out) };
            let fits = message.len() <= size && (!null_buf || message.is_empty());
            prop_assert_eq!(
                got,
                if fits {
                    PodeWsResult::Ok
                } else {
                    PodeWsResult::BufferTooSmall
                }
            );
            if !null_len {
                prop_assert_eq!(needed, message.len());
            }
            if fits && !null_buf {
                prop_assert_eq!(&storage[..message.len()], message.as_bytes());
                // Nothing written beyond the message.
                prop_assert!(storage[message.len()..].iter().all(|b| *b == 0xAA));
            }
            let version = env!("CARGO_PKG_VERSION");
            let got = unsafe { pode_ws_version(buf, size, out) };
            let fits = version.len() <= size && !null_buf;
            prop_assert_eq!(
                got,
                if fits {
                    PodeWsResult::Ok
                } else {
                    PodeWsResult::BufferTooSmall
                }
            );
            Ok(())
        })
        .unwrap();
}

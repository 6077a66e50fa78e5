//! Which proxy a connection uses for a URL: the `proxy.url` option, else the proxy variables of
//! the environment read the way .NET's `HttpClient.DefaultProxy` reads them on Linux and macOS
//! (dotnet/runtime `HttpEnvironmentProxy`), else none.
//!
//! .NET's rules, kept here: `http_proxy`, then `HTTP_PROXY` (not in a CGI program, where
//! `GATEWAY_INTERFACE` is set), then `all_proxy`, then `ALL_PROXY` for ws://; `https_proxy`,
//! `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` for wss://; the lower-case name wins; a value that is
//! empty or not a proxy address counts as unset; a value without a scheme is an HTTP proxy;
//! credentials in it (`user:pass@`, percent-decoded) are used; `no_proxy` (when set at all) else
//! `NO_PROXY` lists hosts that go direct; loopback is not bypassed by itself.
//!
//! Beyond .NET (a host .NET bypasses is bypassed here too): a `NO_PROXY` name without a leading
//! dot also matches its subdomains (curl, Go), `*` matches every host, `*.example.com` is
//! `.example.com`, IP literals compare as addresses, and `host:port` matches that port only;
//! `socks5h://` is a SOCKS5 proxy that resolves the name (curl's convention; `socks5://` sends
//! the address resolved here).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, PodeWsResult, Result};
use crate::options::{ProxyOptions, Secret};
use crate::proxy::{ProxyKind, ProxyTarget};
use crate::transport::Target;

/// The variables read, exactly as named (on Linux and macOS names are case-sensitive).
pub const VARIABLES: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "GATEWAY_INTERFACE",
];

const FOR_WS: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
const FOR_WSS: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/// The proxy variables: given in the options, or read from the process environment when the
/// connection is made. Values may hold credentials: `Debug` shows only the names.
#[derive(Clone, Default)]
pub struct ProxyEnvironment(BTreeMap<&'static str, Secret>);

impl fmt::Debug for ProxyEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl ProxyEnvironment {
    /// The variables of this process, now.
    pub fn from_process() -> ProxyEnvironment {
        let mut values = BTreeMap::new();
        for name in VARIABLES {
            if let Ok(value) = std::env::var(name) {
                values.insert(name, Secret(value));
            }
        }
        ProxyEnvironment(values)
    }

    fn from_option(given: &BTreeMap<String, Secret>) -> Result<ProxyEnvironment> {
        let mut values = BTreeMap::new();
        for (name, value) in given {
            let known = VARIABLES.iter().find(|v| **v == name).ok_or_else(|| {
                invalid(format!(
                    "proxy.environment: '{name}' is not a proxy variable (known, exactly so: {})",
                    VARIABLES.join(", ")
                ))
            })?;
            values.insert(*known, value.clone());
        }
        Ok(ProxyEnvironment(values))
    }

    /// A variable's value, `None` when it is unset.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.0.as_str())
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::InvalidOptions, message)
}

/// A proxy in use and where it was configured (`proxy.url` or a variable's name).
#[derive(Debug, Clone)]
pub struct ProxyUsed {
    pub proxy: ProxyTarget,
    pub source: &'static str,
}

/// The decision for one URL, with the reason (for the trace).
#[derive(Debug, Clone)]
pub struct Route {
    pub proxy: Option<ProxyUsed>,
    pub why: String,
}

/// How a connection picks its proxy, fixed when it is made.
#[derive(Debug, Clone)]
pub struct ProxyPolicy {
    explicit: Option<ProxyTarget>,
    /// `None` when `proxy.fromEnvironment` is false.
    environment: Option<ProxyEnvironment>,
    credentials: Option<(Secret, Secret)>,
}

/// What a proxy variable's value gives.
enum Variable {
    Proxy(ProxyTarget),
    /// A proxy .NET would use that this client cannot (TLS to the proxy, SOCKS4).
    Unsupported(String),
    /// Not a proxy address: as in .NET, the variable counts as unset.
    Invalid,
}

impl ProxyPolicy {
    /// Checks the `proxy` options without reading the environment.
    pub fn check(options: &ProxyOptions) -> Result<()> {
        if let Some(url) = &options.url {
            ProxyTarget::parse_option(url)?;
        }
        if let Some(given) = &options.environment {
            ProxyEnvironment::from_option(given)?;
        }
        let username = options.username.as_ref().is_some_and(|u| !u.0.is_empty());
        let password = options.password.as_ref().is_some_and(|p| !p.0.is_empty());
        if password && !username {
            return Err(invalid("proxy.password was given without proxy.username"));
        }
        if username && options.url.is_none() && !options.from_environment {
            return Err(invalid(
                "proxy credentials were given but no proxy can apply: there is no proxy.url and proxy.fromEnvironment is false",
            ));
        }
        Ok(())
    }

    /// The policy of these options; the process environment is read now when the options
    /// neither name a proxy nor give the variables.
    pub fn from_options(options: Option<&ProxyOptions>) -> Result<ProxyPolicy> {
        let defaults = ProxyOptions::default();
        let options = options.unwrap_or(&defaults);
        ProxyPolicy::check(options)?;
        let credentials = options
            .username
            .clone()
            .filter(|u| !u.0.is_empty())
            .map(|u| (u, options.password.clone().unwrap_or_default()));
        let explicit = options
            .url
            .as_deref()
            .map(ProxyTarget::parse_option)
            .transpose()?
            .map(|p| match &credentials {
                Some((u, pw)) => p.with_credentials(u.clone(), pw.clone()),
                None => p,
            });
        let environment = match (&explicit, options.from_environment, &options.environment) {
            (Some(_), _, _) | (None, false, _) => None,
            (None, true, Some(given)) => Some(ProxyEnvironment::from_option(given)?),
            (None, true, None) => Some(ProxyEnvironment::from_process()),
        };
        Ok(ProxyPolicy {
            explicit,
            environment,
            credentials,
        })
    }

    /// The proxy for `target`, or why there is none. Fails when the variable that applies
    /// names a proxy this client cannot use.
    pub fn route(&self, target: &Target) -> Result<Route> {
        if let Some(proxy) = &self.explicit {
            return Ok(Route {
                why: describe(proxy, "proxy.url"),
                proxy: Some(ProxyUsed {
                    proxy: proxy.clone(),
                    source: "proxy.url",
                }),
            });
        }
        let Some(environment) = &self.environment else {
            return Ok(direct("direct: proxy.fromEnvironment is false".into()));
        };
        let names = if target.secure { FOR_WSS } else { FOR_WS };
        let scheme = if target.secure { "wss" } else { "ws" };
        let mut ignored = Vec::new();
        let mut found = None;
        for name in names {
            if name == "HTTP_PROXY" && environment.get("GATEWAY_INTERFACE").is_some() {
                ignored.push("HTTP_PROXY (ignored in a CGI program: GATEWAY_INTERFACE is set)");
                continue;
            }
            let Some(value) = environment.get(name).filter(|v| !v.is_empty()) else {
                continue;
            };
            match parse_variable(value) {
                Variable::Proxy(proxy) => {
                    found = Some((name, proxy));
                    break;
                }
                Variable::Unsupported(kind) => {
                    return Err(Error::new(
                        PodeWsResult::Proxy,
                        format!(
                            "{name} names a {kind}:// proxy, which this client cannot use (use an http://, socks5:// or socks5h:// proxy)"
                        ),
                    ))
                }
                Variable::Invalid => ignored.push(name),
            }
        }
        let note = if ignored.is_empty() {
            String::new()
        } else {
            format!(
                "; not a proxy address, so ignored as .NET does: {}",
                ignored.join(", ")
            )
        };
        let Some((name, proxy)) = found else {
            return Ok(direct(format!(
                "direct: no proxy variable applies to {scheme}:// URLs ({} unset){note}",
                names.join(", ")
            )));
        };
        let no_proxy = ["no_proxy", "NO_PROXY"]
            .into_iter()
            .find_map(|n| environment.get(n).map(|v| (n, v)));
        if let Some((list_name, list)) = no_proxy {
            if let Some(entry) = bypass_entry(list, &target.host, target.port) {
                return Ok(direct(format!(
                    "direct: {list_name} entry '{entry}' matches {} (else {} from {name}){note}",
                    target.host,
                    proxy.address()
                )));
            }
        }
        let proxy = match &self.credentials {
            Some((u, p)) => proxy.with_credentials(u.clone(), p.clone()),
            None => proxy,
        };
        Ok(Route {
            why: format!("{}{note}", describe(&proxy, name)),
            proxy: Some(ProxyUsed {
                proxy,
                source: name,
            }),
        })
    }

    /// Proxy credentials given in the options must be used: fails when no proxy applies to
    /// `target`, naming why.
    pub fn check_credentials_used(&self, target: &Target) -> Result<()> {
        if self.credentials.is_none() {
            return Ok(());
        }
        let route = self.route(target)?;
        if route.proxy.is_none() {
            return Err(invalid(format!(
                "proxy credentials were given but no proxy applies to {}: {}",
                crate::redirect::redact_query(&target.url),
                route.why.trim_start_matches("direct: ")
            )));
        }
        Ok(())
    }
}

fn direct(why: String) -> Route {
    Route { proxy: None, why }
}

fn describe(proxy: &ProxyTarget, source: &str) -> String {
    format!(
        "proxy {} from {source}{}",
        proxy.address(),
        if proxy.has_credentials() {
            " (with credentials)"
        } else {
            ""
        }
    )
}

/// Reads a proxy variable's value as .NET's `GetUriFromString` does: an optional scheme,
/// optional `user:password@` (percent-decoded), a host and an optional port; anything after
/// the port's digits is ignored.
fn parse_variable(value: &str) -> Variable {
    let value = value.trim();
    let (kind, default_port, rest) = match value.find("://") {
        Some(i) => {
            let scheme = value[..i].to_ascii_lowercase();
            match ProxyKind::from_scheme(&scheme) {
                Some((kind, port)) => (kind, port, &value[i + 3..]),
                None if matches!(scheme.as_str(), "https" | "socks4" | "socks4a") => {
                    return Variable::Unsupported(scheme)
                }
                None => return Variable::Invalid,
            }
        }
        None => (ProxyKind::HttpConnect, 80, value),
    };
    let (credentials, rest) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (host, after) = if let Some(inner) = rest.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return Variable::Invalid;
        };
        if inner[..end].parse::<std::net::Ipv6Addr>().is_err() {
            return Variable::Invalid;
        }
        (&inner[..end], &inner[end + 1..])
    } else {
        let end = rest.find([':', '/']).unwrap_or(rest.len());
        let host = &rest[..end];
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !valid {
            return Variable::Invalid;
        }
        (host, &rest[end..])
    };
    if host.is_empty() {
        return Variable::Invalid;
    }
    let port = match after.strip_prefix(':') {
        Some(digits) => {
            let end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            match digits[..end].parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Variable::Invalid,
            }
        }
        None => default_port,
    };
    let mut proxy = ProxyTarget::new(kind, host.to_string(), port);
    if let Some(credentials) = credentials {
        let decoded = percent_decode(credentials);
        let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
        proxy = proxy.with_credentials(Secret(user.to_string()), Secret(password.to_string()));
    }
    Variable::Proxy(proxy)
}

/// Decodes `%XX` escapes; the text as it is when the result would not be UTF-8 (credentials
/// may or may not be escaped, as with curl and .NET).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The first entry of a `NO_PROXY` list that matches `host` (and `port`).
fn bypass_entry<'a>(list: &'a str, host: &str, port: u16) -> Option<&'a str> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .find(|entry| entry_matches(entry, host, port))
}

fn entry_matches(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let (name, entry_port) = split_entry(entry);
    if entry_port.is_some_and(|p| p != port) {
        return false;
    }
    let host = host.trim_end_matches('.');
    if let (Ok(a), Ok(b)) = (name.parse::<IpAddr>(), host.parse::<IpAddr>()) {
        return a == b;
    }
    let name = name.strip_prefix('*').unwrap_or(name);
    let suffix = name.trim_start_matches('.').trim_end_matches('.');
    if suffix.is_empty() || host.len() < suffix.len() {
        return false;
    }
    let (head, tail) = host.split_at(host.len() - suffix.len());
    tail.eq_ignore_ascii_case(suffix) && (head.is_empty() || head.ends_with('.'))
}

/// `name`, `name:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn split_entry(entry: &str) -> (&str, Option<u16>) {
    if let Some(inner) = entry.strip_prefix('[') {
        return match inner.split_once(']') {
            Some((address, after)) => (
                address,
                after.strip_prefix(':').and_then(|p| p.parse().ok()),
            ),
            None => (entry, None),
        };
    }
    match entry.split_once(':') {
        Some((name, port)) if !port.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            // Not a port: an entry that matches nothing (rather than every port).
            Err(_) => ("", None),
        },
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ProxyPolicy {
        let given = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Secret(v.to_string())))
            .collect();
        ProxyPolicy::from_options(Some(&ProxyOptions {
            environment: Some(given),
            ..ProxyOptions::default()
        }))
        .unwrap()
    }

    fn route(policy: &ProxyPolicy, url: &str) -> Option<(String, &'static str)> {
        let target = Target::parse(url).unwrap();
        policy
            .route(&target)
            .unwrap()
            .proxy
            .map(|p| (p.proxy.address(), p.source))
    }

    #[test]
    fn the_variable_of_the_scheme_then_all_proxy_lower_case_first() {
        let p = env(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "lower:2"),
            ("HTTPS_PROXY", "socks5h://secure:3"),
            ("ALL_PROXY", "all:4"),
        ]);
        assert_eq!(
            route(&p, "ws://h/"),
            Some(("http://lower:2".into(), "http_proxy"))
        );
        assert_eq!(
            route(&p, "wss://h/"),
            Some(("socks5h://secure:3".into(), "HTTPS_PROXY"))
        );
        let p = env(&[("ALL_PROXY", "all:4"), ("all_proxy", "")]);
        assert_eq!(
            route(&p, "wss://h/"),
            Some(("http://all:4".into(), "ALL_PROXY"))
        );
        assert_eq!(route(&env(&[("HTTPS_PROXY", "x:1")]), "ws://h/"), None);
    }

    #[test]
    fn invalid_values_are_skipped_and_cgi_ignores_http_proxy() {
        let p = env(&[
            ("http_proxy", "http://h:notaport"),
            ("HTTP_PROXY", "good:8"),
        ]);
        let target = Target::parse("ws://h/").unwrap();
        let r = p.route(&target).unwrap();
        assert_eq!(r.proxy.unwrap().source, "HTTP_PROXY");
        assert!(
            r.why.contains("ignored as .NET does: http_proxy"),
            "{}",
            r.why
        );
        let cgi = env(&[("HTTP_PROXY", "good:8"), ("GATEWAY_INTERFACE", "CGI/1.1")]);
        assert_eq!(route(&cgi, "ws://h/"), None);
    }

    #[test]
    fn unusable_proxies_are_errors_naming_the_variable() {
        let p = env(&[("HTTPS_PROXY", "https://tls-proxy:443")]);
        let e = p.route(&Target::parse("wss://h/").unwrap()).unwrap_err();
        assert_eq!(e.code, PodeWsResult::Proxy);
        assert!(
            e.message.contains("HTTPS_PROXY names a https://"),
            "{}",
            e.message
        );
    }

    #[test]
    fn variable_values() {
        let address = |v: &str| match parse_variable(v) {
            Variable::Proxy(p) => Some((p.address(), p.has_credentials())),
            _ => None,
        };
        assert_eq!(address("proxy"), Some(("http://proxy:80".into(), false)));
        assert_eq!(
            address("http://u:p%40ss@proxy:3128/"),
            Some(("http://proxy:3128".into(), true))
        );
        assert_eq!(
            address("socks5://[::1]:1081"),
            Some(("socks5://[::1]:1081".into(), false))
        );
        assert_eq!(
            address("SOCKS5H://s"),
            Some(("socks5h://s:1080".into(), false))
        );
        assert_eq!(address(":@proxy:1"), Some(("http://proxy:1".into(), false)));
        for bad in [
            "ftp://h:21",
            "http://:80",
            "h:0",
            "h:99999",
            "http://a b:1",
            "[zz]:1",
        ] {
            assert_eq!(address(bad), None, "{bad}");
        }
        assert_eq!(percent_decode("p%40ss%zz%"), "p@ss%zz%");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("%FF"), "%FF");
    }

    #[test]
    fn no_proxy_entries() {
        let m = |list: &str, host: &str, port: u16| bypass_entry(list, host, port).is_some();
        assert!(m("*", "anything.example", 1));
        assert!(m(".example.com", "example.com", 1));
        assert!(m(".example.com", "a.b.example.com", 1));
        assert!(m("example.com", "a.example.com", 1));
        assert!(m("*.example.com", "a.example.com", 1));
        assert!(m("EXAMPLE.com", "example.COM", 1));
        assert!(!m("example.com", "badexample.com", 1));
        assert!(!m(".example.com", "com", 1));
        assert!(m("10.0.0.1", "10.0.0.1", 1));
        assert!(!m("10.0.0.1", "10.0.0.10", 1));
        assert!(m("::1", "::1", 1));
        assert!(m("[0:0::1]", "::1", 1));
        assert!(m("[::1]:8080", "::1", 8080));
        assert!(!m("[::1]:8080", "::1", 8081));
        assert!(m("host:8080", "host", 8080));
        assert!(!m("host:8080", "host", 80));
        assert!(!m("host:x", "host", 80));
        assert!(m(" a , ,b ", "b", 1));
        assert!(!m("", "b", 1));
    }

    #[test]
    fn separate_credentials_replace_the_variables_and_must_be_used() {
        let options = ProxyOptions {
            username: Some(Secret("bob".into())),
            password: Some(Secret("pw".into())),
            environment: Some(BTreeMap::from([
                ("HTTP_PROXY".to_string(), Secret("alice:x@p:1".into())),
                ("NO_PROXY".to_string(), Secret("skip.me".into())),
            ])),
            ..ProxyOptions::default()
        };
        let p = ProxyPolicy::from_options(Some(&options)).unwrap();
        assert!(p
            .check_credentials_used(&Target::parse("ws://h/").unwrap())
            .is_ok());
        let e = p
            .check_credentials_used(&Target::parse("ws://skip.me/?t=1").unwrap())
            .unwrap_err();
        assert_eq!(e.code, PodeWsResult::InvalidOptions);
        assert!(
            e.message.contains("NO_PROXY entry 'skip.me'"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("t=1"), "{}", e.message);
        let e = p
            .check_credentials_used(&Target::parse("wss://h/").unwrap())
            .unwrap_err();
        assert!(e.message.contains("HTTPS_PROXY"), "{}", e.message);
    }
}

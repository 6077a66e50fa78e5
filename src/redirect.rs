//! Redirects of the opening handshake: which ones are followed and where they lead.
//!
//! 301, 302, 303, 307 and 308 are followed up to `maxRedirects` hops (0 follows none). The
//! Location is resolved against the URL that answered (RFC 3986 section 5.2); `http://` there
//! means `ws://` and `https://` means `wss://` (the handshake is an HTTP request, and servers
//! behind web frameworks answer with HTTP URLs); any other scheme is refused. A hop from
//! `wss://` to `ws://` is refused (it would drop TLS), and so is a URL visited before (a loop).
//! Once a hop changes the host or the port (a `ws://host:80` to `wss://host:443` upgrade keeps
//! them), `Authorization` and `Cookie` are no longer sent. Every refusal is a `Redirect` error
//! that names the Location, its query string redacted (redirect targets often carry tokens).

use crate::error::{Error, PodeWsResult, Result};
use crate::transport::{redact_url, Target};

/// Statuses that redirect the handshake.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// `url` without credentials, with its query replaced by `***` and without its fragment.
pub fn redact_query(url: &str) -> String {
    let url = redact_url(url);
    let url = url.split('#').next().unwrap_or_default();
    match url.split_once('?') {
        Some((before, query)) if !query.is_empty() => format!("{before}?***"),
        Some((before, _)) => before.to_string(),
        None => url.to_string(),
    }
}

/// The redirects of one connect attempt.
#[derive(Debug)]
pub struct Redirects {
    max: u32,
    followed: u32,
    visited: Vec<String>,
    keep_credentials: bool,
}

/// Where a redirect leads.
#[derive(Debug)]
pub struct Hop {
    pub target: Target,
    /// Send `Authorization` and `Cookie` on this hop: the host and port did not change yet.
    pub credentials: bool,
    /// How many redirects were followed, this one included.
    pub number: u32,
}

fn redirect_error(message: String) -> Error {
    Error::new(PodeWsResult::Redirect, message)
}

impl Redirects {
    pub fn new(start: &Target, max: u32) -> Redirects {
        Redirects {
            max,
            followed: 0,
            visited: vec![identity(start)],
            keep_credentials: true,
        }
    }

    pub fn followed(&self) -> u32 {
        self.followed
    }

    /// The next hop after `current` answered `status` with `location`, or why not.
    pub fn follow(&mut self, current: &Target, status: u16, location: Option<&str>) -> Result<Hop> {
        let Some(location) = location.map(str::trim).filter(|l| !l.is_empty()) else {
            return Err(redirect_error(format!(
                "the server redirected the opening handshake (HTTP {status}) without a Location header"
            )));
        };
        let resolved = resolve(&current.url, location);
        let shown = redact_query(&resolved);
        if self.max == 0 {
            return Err(redirect_error(format!(
                "the server redirected the opening handshake (HTTP {status}) to {shown}; following redirects is turned off (maxRedirects is 0)"
            )));
        }
        if self.followed >= self.max {
            return Err(redirect_error(format!(
                "too many redirects: more than {} (maxRedirects); the last Location was {shown}",
                self.max
            )));
        }
        let url = websocket_scheme(&resolved).ok_or_else(|| {
            redirect_error(format!(
                "the server redirected the opening handshake (HTTP {status}) to {shown}, which is not a ws://, wss://, http:// or https:// URL"
            ))
        })?;
        let target = Target::parse(&url).map_err(|e| {
            redirect_error(format!(
                "the server redirected the opening handshake (HTTP {status}) to an invalid URL: {}",
                e.message
            ))
        })?;
        if current.secure && !target.secure {
            return Err(redirect_error(format!(
                "refused to follow the redirect (HTTP {status}) from wss:// to {shown}: it would drop TLS"
            )));
        }
        let id = identity(&target);
        if self.visited.contains(&id) {
            return Err(redirect_error(format!(
                "redirect loop: the server redirected (HTTP {status}) to {shown}, which was visited before"
            )));
        }
        self.visited.push(id);
        self.followed += 1;
        let upgrade = !current.secure && target.secure && current.port == 80 && target.port == 443;
        let same_place = current.host.eq_ignore_ascii_case(&target.host)
            && (current.port == target.port || upgrade);
        self.keep_credentials &= same_place;
        Ok(Hop {
            target,
            credentials: self.keep_credentials,
            number: self.followed,
        })
    }
}

/// The URL a hop reaches, for loop detection: scheme, host and port, path and query.
fn identity(target: &Target) -> String {
    let (_, after_authority, _) = split_authority(&target.url);
    let path = if after_authority.is_empty() || after_authority.starts_with('?') {
        format!("/{after_authority}")
    } else {
        after_authority.to_string()
    };
    format!(
        "{}://{}:{}{}",
        if target.secure { "wss" } else { "ws" },
        target.host.to_ascii_lowercase(),
        target.port,
        path.split('#').next().unwrap_or_default()
    )
}

/// `http://` becomes `ws://`, `https://` becomes `wss://`; other schemes give `None`.
fn websocket_scheme(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        _ => return None,
    };
    Some(format!("{scheme}://{rest}"))
}

/// Splits `scheme://authority/rest` into (scheme, rest, authority); rest starts with `/`, `?`,
/// `#` or is empty.
fn split_authority(url: &str) -> (&str, &str, &str) {
    let (scheme, after) = url.split_once("://").unwrap_or(("", url));
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    (scheme, &after[end..], &after[..end])
}

/// A URI reference split into its parts (RFC 3986 appendix B), without the fragment.
struct Reference<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

fn parse_reference(text: &str) -> Reference<'_> {
    let text = text.split('#').next().unwrap_or_default();
    let scheme_end = text
        .find(':')
        .filter(|&i| {
            i > 0
                && text[..i].starts_with(|c: char| c.is_ascii_alphabetic())
                && text[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
        .filter(|&i| !text[..i].contains(['/', '?']));
    let (scheme, rest) = match scheme_end {
        Some(i) => (Some(&text[..i]), &text[i + 1..]),
        None => (None, text),
    };
    let (authority, rest) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
        None => (None, rest),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    Reference {
        scheme,
        authority,
        path,
        query,
    }
}

/// Resolves `reference` against the absolute URL `base` (RFC 3986 section 5.2.2).
fn resolve(base: &str, reference: &str) -> String {
    let b = parse_reference(base);
    let r = parse_reference(reference);
    let (scheme, authority, path, query) = if let Some(scheme) = r.scheme {
        (scheme, r.authority, remove_dot_segments(r.path), r.query)
    } else if r.authority.is_some() {
        (
            b.scheme.unwrap_or_default(),
            r.authority,
            remove_dot_segments(r.path),
            r.query,
        )
    } else if r.path.is_empty() {
        (
            b.scheme.unwrap_or_default(),
            b.authority,
            b.path.to_string(),
            r.query.or(b.query),
        )
    } else {
        let path = if r.path.starts_with('/') {
            r.path.to_string()
        } else if b.authority.is_some() && b.path.is_empty() {
            format!("/{}", r.path)
        } else {
            let dir = b.path.rfind('/').map_or("", |i| &b.path[..=i]);
            format!("{dir}{}", r.path)
        };
        (
            b.scheme.unwrap_or_default(),
            b.authority,
            remove_dot_segments(&path),
            r.query,
        )
    };
    let mut url = format!("{scheme}:");
    if let Some(authority) = authority {
        url.push_str("//");
        url.push_str(authority);
    }
    url.push_str(&path);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output: Vec<&str> = Vec::new();
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            output.pop();
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push(&input[..end]);
            input = &input[end..];
        }
    }
    output.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_references_as_rfc_3986_examples() {
        let base = "http://a/b/c/d;p?q";
        for (reference, expected) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("./../g", "http://a/b/g"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("wss://other:9/x?t=1", "wss://other:9/x?t=1"),
        ] {
            assert_eq!(resolve(base, reference), expected, "{reference}");
        }
        assert_eq!(resolve("ws://h:1", "next"), "ws://h:1/next");
    }

    #[test]
    fn redacts_queries() {
        assert_eq!(redact_query("wss://h/p?ticket=abc#f"), "wss://h/p?***");
        assert_eq!(redact_query("wss://h/p?"), "wss://h/p");
        assert_eq!(redact_query("ws://u:p@h/p"), "ws://***@h/p");
    }

    fn target(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn follows_and_refuses() {
        let start = target("ws://h:80/a?x=1");
        let mut r = Redirects::new(&start, 3);
        let hop = r.follow(&start, 302, Some("https://h/b")).unwrap();
        assert_eq!(hop.target.url, "wss://h/b");
        assert!(
            hop.credentials,
            "ws:80 to wss:443 on the same host keeps them"
        );
        let e = r
            .follow(&hop.target, 301, Some("ws://h/c?t=SECRET"))
            .unwrap_err();
        assert_eq!(e.code, PodeWsResult::Redirect);
        assert!(
            e.message.contains("ws://h/c?***") && !e.message.contains("SECRET"),
            "{}",
            e.message
        );
        let other = r.follow(&hop.target, 307, Some("//other/c")).unwrap();
        assert!(!other.credentials);
        let back = r.follow(&other.target, 308, Some("wss://h/b")).unwrap_err();
        assert!(back.message.contains("loop"), "{}", back.message);
        let mut r = Redirects::new(&start, 1);
        r.follow(&start, 303, Some("/one")).unwrap();
        let e = r.follow(&start, 303, Some("/two")).unwrap_err();
        assert!(e.message.contains("too many redirects"), "{}", e.message);
        let e = Redirects::new(&start, 0)
            .follow(&start, 302, Some("/x"))
            .unwrap_err();
        assert!(e.message.contains("maxRedirects is 0"), "{}", e.message);
        let e = Redirects::new(&start, 5)
            .follow(&start, 302, None)
            .unwrap_err();
        assert!(e.message.contains("without a Location"), "{}", e.message);
        let e = Redirects::new(&start, 5)
            .follow(&start, 302, Some("ftp://h/x"))
            .unwrap_err();
        assert!(e.message.contains("not a ws://"), "{}", e.message);
        let same = Redirects::new(&start, 5)
            .follow(&start, 302, Some("/a?x=1"))
            .unwrap_err();
        assert!(same.message.contains("loop"), "{}", same.message);
    }
}

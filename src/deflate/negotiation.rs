//! The `Sec-WebSocket-Extensions` negotiation of permessage-deflate (RFC 7692 §5, §7.1): the
//! client's offer, the check of the server's answer, and the answer a server gives to an offer.

use crate::options::CompressionOptions;

pub const EXTENSION: &str = "permessage-deflate";
/// The window zlib uses when a peer names none (RFC 7692: 32 KiB).
pub const DEFAULT_WINDOW_BITS: u8 = 15;

/// What both sides agreed on, with defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with.
    pub client_max_window_bits: u8,
    /// The server starts every message with an empty window.
    pub server_no_context_takeover: bool,
    /// The client starts every message with an empty window.
    pub client_no_context_takeover: bool,
}

impl Negotiated {
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "negotiated": true,
            "serverMaxWindowBits": self.server_max_window_bits,
            "clientMaxWindowBits": self.client_max_window_bits,
            "serverNoContextTakeover": self.server_no_context_takeover,
            "clientNoContextTakeover": self.client_no_context_takeover,
        })
    }
}

/// The client's offer for `Sec-WebSocket-Extensions`, or `None` when compression is off.
pub fn offer(options: &CompressionOptions) -> Option<String> {
    if !options.enabled {
        return None;
    }
    let mut offer = EXTENSION.to_string();
    // Always offered: it lets the server ask for a smaller client window (RFC 7692 §7.1.2.2).
    match options.client_max_window_bits {
        Some(bits) => offer.push_str(&format!("; client_max_window_bits={bits}")),
        None => offer.push_str("; client_max_window_bits"),
    }
    if let Some(bits) = options.server_max_window_bits {
        offer.push_str(&format!("; server_max_window_bits={bits}"));
    }
    if options.client_no_context_takeover {
        offer.push_str("; client_no_context_takeover");
    }
    if options.server_no_context_takeover {
        offer.push_str("; server_no_context_takeover");
    }
    Some(offer)
}

/// One extension of a `Sec-WebSocket-Extensions` list: its name and parameters.
struct Element {
    name: String,
    params: Vec<(String, Option<String>)>,
}

/// Splits `s` at `separator` outside double-quoted strings.
fn split_unquoted(s: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Parses the header values (several header lines count as one comma-separated list).
fn parse_elements(values: &[&str]) -> Result<Vec<Element>, String> {
    let mut elements = Vec::new();
    for value in values {
        for item in split_unquoted(value, ',') {
            if item.trim().is_empty() {
                continue;
            }
            let mut parts = split_unquoted(item, ';').into_iter();
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            if name.is_empty() || name.contains(['"', ' ', '=']) {
                return Err(format!("'{}' is not a valid extension", item.trim()));
            }
            let mut params = Vec::new();
            for part in parts {
                let (key, value) = match part.split_once('=') {
                    Some((k, v)) => {
                        let v = v.trim();
                        let v = v
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .unwrap_or(v);
                        (k, Some(v.to_string()))
                    }
                    None => (part, None),
                };
                params.push((key.trim().to_ascii_lowercase(), value));
            }
            elements.push(Element { name, params });
        }
    }
    Ok(elements)
}

fn window_bits(name: &str, value: &str, min: u8) -> Result<u8, String> {
    match value.parse::<u8>() {
        Ok(bits) if (min..=15).contains(&bits) && !value.starts_with('0') => Ok(bits),
        _ => Err(format!("{name}={value} is not a window size ({min} to 15)")),
    }
}

/// The parameters of one permessage-deflate element, checked for duplicates and values.
#[derive(Default)]
struct Params {
    server_max_window_bits: Option<Option<u8>>,
    client_max_window_bits: Option<Option<u8>>,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
}

fn parse_params(element: &Element) -> Result<Params, String> {
    let mut p = Params::default();
    for (key, value) in &element.params {
        let flag = |set: &mut bool| {
            if value.is_some() {
                return Err(format!("{key} takes no value"));
            }
            if std::mem::replace(set, true) {
                return Err(format!("{key} appears twice"));
            }
            Ok(())
        };
        match key.as_str() {
            "server_no_context_takeover" => flag(&mut p.server_no_context_takeover)?,
            "client_no_context_takeover" => flag(&mut p.client_no_context_takeover)?,
            "server_max_window_bits" | "client_max_window_bits" => {
                let bits = value
                    .as_deref()
                    .map(|v| window_bits(key, v, 8))
                    .transpose()?;
                let slot = if key == "server_max_window_bits" {
                    &mut p.server_max_window_bits
                } else {
                    &mut p.client_max_window_bits
                };
                if slot.replace(bits).is_some() {
                    return Err(format!("{key} appears twice"));
                }
            }
            other => return Err(format!("it has the unknown parameter '{other}'")),
        }
    }
    Ok(p)
}

/// Checks the server's `Sec-WebSocket-Extensions` answer against what `options` offered
/// (RFC 6455 §4.1, RFC 7692 §5 and §7.1). `Ok(None)`: no compression. `Err`: the reason the
/// connection must fail, naming the parameter.
pub fn check_answer(
    values: &[&str],
    options: &CompressionOptions,
) -> Result<Option<Negotiated>, String> {
    let elements = parse_elements(values)
        .map_err(|e| format!("the server's Sec-WebSocket-Extensions answer is invalid: {e}"))?;
    let mut negotiated = None;
    for element in &elements {
        if element.name != EXTENSION {
            return Err(format!(
                "the server's answer names the extension '{}', which the client did not offer",
                element.name
            ));
        }
        if !options.enabled {
            return Err(
                "the server's answer names the extension 'permessage-deflate', which the client did not offer (compression is off)"
                    .to_string(),
            );
        }
        if negotiated.is_some() {
            return Err("the server's answer names permessage-deflate twice".to_string());
        }
        let p = parse_params(element)
            .map_err(|e| format!("the server's permessage-deflate answer is invalid: {e}"))?;
        let refuse =
            |why: String| format!("the server's permessage-deflate answer is refused: {why}");
        let server_bits = match p.server_max_window_bits {
            Some(None) => return Err(refuse("server_max_window_bits has no value".into())),
            Some(Some(bits)) => {
                if let Some(asked) = options.server_max_window_bits {
                    if bits > asked {
                        return Err(refuse(format!(
                            "server_max_window_bits={bits} is larger than the {asked} asked for (compression.serverMaxWindowBits)"
                        )));
                    }
                }
                bits
            }
            None => match options.server_max_window_bits {
                Some(asked) => {
                    return Err(refuse(format!(
                        "it does not confirm server_max_window_bits={asked} (compression.serverMaxWindowBits)"
                    )))
                }
                None => DEFAULT_WINDOW_BITS,
            },
        };
        let client_bits = match p.client_max_window_bits {
            Some(None) => return Err(refuse("client_max_window_bits has no value".into())),
            Some(Some(bits)) => match options.client_max_window_bits {
                Some(offered) if bits > offered => {
                    return Err(refuse(format!(
                        "client_max_window_bits={bits} is larger than the {offered} offered (compression.clientMaxWindowBits)"
                    )))
                }
                _ => bits,
            },
            None => options
                .client_max_window_bits
                .unwrap_or(DEFAULT_WINDOW_BITS),
        };
        if options.server_no_context_takeover && !p.server_no_context_takeover {
            return Err(refuse(
                "it does not confirm server_no_context_takeover (compression.serverNoContextTakeover)"
                    .into(),
            ));
        }
        negotiated = Some(Negotiated {
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            server_no_context_takeover: p.server_no_context_takeover,
            // Offered as a hint, it binds the client whatever the answer says (§7.1.1.2).
            client_no_context_takeover: p.client_no_context_takeover
                || options.client_no_context_takeover,
        });
    }
    Ok(negotiated)
}

/// A server's answer to a client's offers: the first permessage-deflate offer it can accept,
/// granting what the client asked for. `None`: no compression.
pub fn answer_offer(values: &[&str]) -> Option<(Negotiated, String)> {
    let elements = parse_elements(values).ok()?;
    for element in elements.iter().filter(|e| e.name == EXTENSION) {
        let Ok(p) = parse_params(element) else {
            continue;
        };
        if p.server_max_window_bits == Some(None) {
            continue;
        }
        let mut answer = EXTENSION.to_string();
        let server_bits = p.server_max_window_bits.flatten();
        if let Some(bits) = server_bits {
            answer.push_str(&format!("; server_max_window_bits={bits}"));
        }
        if p.server_no_context_takeover {
            answer.push_str("; server_no_context_takeover");
        }
        if p.client_no_context_takeover {
            answer.push_str("; client_no_context_takeover");
        }
        let negotiated = Negotiated {
            server_max_window_bits: server_bits.unwrap_or(DEFAULT_WINDOW_BITS),
            client_max_window_bits: p
                .client_max_window_bits
                .flatten()
                .unwrap_or(DEFAULT_WINDOW_BITS),
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
        };
        return Some((negotiated, answer));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> CompressionOptions {
        CompressionOptions::default()
    }

    #[test]
    fn default_offer() {
        assert_eq!(
            offer(&on()).as_deref(),
            Some("permessage-deflate; client_max_window_bits")
        );
        let off = CompressionOptions {
            enabled: false,
            ..on()
        };
        assert_eq!(offer(&off), None);
    }

    #[test]
    fn accepts_a_plain_answer_with_defaults() {
        let n = check_answer(&["permessage-deflate"], &on())
            .unwrap()
            .unwrap();
        assert_eq!(
            (n.server_max_window_bits, n.client_max_window_bits),
            (15, 15)
        );
        assert!(!n.server_no_context_takeover && !n.client_no_context_takeover);
    }

    #[test]
    fn reads_every_parameter_quoted_or_not() {
        let n = check_answer(
            &["permessage-deflate; server_max_window_bits=\"10\"; client_max_window_bits=9; server_no_context_takeover; client_no_context_takeover"],
            &on(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            n,
            Negotiated {
                server_max_window_bits: 10,
                client_max_window_bits: 9,
                server_no_context_takeover: true,
                client_no_context_takeover: true
            }
        );
    }

    #[test]
    fn no_answer_means_no_compression() {
        assert_eq!(check_answer(&[], &on()).unwrap(), None);
    }

    #[test]
    fn refuses_what_was_not_offered_or_cannot_be_honoured() {
        let off = CompressionOptions {
            enabled: false,
            ..on()
        };
        let asked = CompressionOptions {
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(12),
            server_no_context_takeover: true,
            ..on()
        };
        for (answer, options, needle) in [
            ("x-webkit-deflate-frame", &on(), "'x-webkit-deflate-frame', which the client did not offer"),
            ("permessage-deflate", &off, "compression is off"),
            ("permessage-deflate, permessage-deflate", &on(), "twice"),
            ("permessage-deflate; foo", &on(), "unknown parameter 'foo'"),
            ("permessage-deflate; server_max_window_bits=16", &on(), "not a window size"),
            ("permessage-deflate; server_max_window_bits=7", &on(), "not a window size"),
            ("permessage-deflate; server_max_window_bits", &on(), "has no value"),
            ("permessage-deflate; client_max_window_bits", &on(), "has no value"),
            ("permessage-deflate; server_no_context_takeover=1", &on(), "takes no value"),
            ("permessage-deflate; client_no_context_takeover; client_no_context_takeover", &on(), "twice"),
            ("permessage-deflate; server_max_window_bits=11; server_no_context_takeover", &asked, "larger than the 10"),
            ("permessage-deflate; server_no_context_takeover", &asked, "server_max_window_bits=10"),
            ("permessage-deflate; server_max_window_bits=9", &asked, "server_no_context_takeover"),
            ("permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_max_window_bits=13", &asked, "larger than the 12"),
        ] {
            let e = check_answer(&[answer], options).unwrap_err();
            assert!(e.contains(needle), "{answer}: {e}");
        }
    }

    #[test]
    fn a_server_grants_what_the_client_asks() {
        let (n, answer) = answer_offer(&[
            "permessage-deflate; server_max_window_bits=10; client_no_context_takeover; client_max_window_bits",
        ])
        .unwrap();
        assert_eq!(
            answer,
            "permessage-deflate; server_max_window_bits=10; client_no_context_takeover"
        );
        assert_eq!(
            (n.server_max_window_bits, n.client_max_window_bits),
            (10, 15)
        );
        assert!(n.client_no_context_takeover && !n.server_no_context_takeover);
        // The answer passes the client's own check.
        let options = CompressionOptions {
            server_max_window_bits: Some(10),
            client_no_context_takeover: true,
            ..on()
        };
        assert_eq!(check_answer(&[&answer], &options).unwrap(), Some(n));
        assert!(answer_offer(&["x-other", "permessage-deflate; bogus"]).is_none());
    }
}

//! What a trace shows of a server certificate: subject, issuer and validity, read from its DER
//! encoding (native-tls hands out the DER on every platform, but nothing parsed).
//!
//! Only the fields needed are read (RFC 5280 section 4.1); anything unexpected gives `None`
//! rather than a guess. Names are shown as .NET's `X509Certificate2.Subject` shows them: the
//! most specific part first (`CN=host, O=Org, C=US`).

/// The parts of a certificate a trace shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub subject: String,
    pub issuer: String,
    /// RFC 3339 UTC, e.g. `2026-11-28T08:30:00Z`.
    pub not_before: String,
    pub not_after: String,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "subject '{}', issuer '{}', valid from {} to {}",
            self.subject, self.issuer, self.not_before, self.not_after
        )
    }
}

/// One DER element: its tag and contents.
struct Element<'a> {
    tag: u8,
    contents: &'a [u8],
}

/// Reads one element from the front of `input`, returning it and what follows.
fn element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | b as usize);
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((
        Element {
            tag,
            contents: &rest[..length],
        },
        &rest[length..],
    ))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

/// The elements of a constructed element's contents.
fn children(mut contents: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let (e, rest) = element(contents)?;
        out.push(e);
        contents = rest;
    }
    Some(out)
}

/// Reads subject, issuer and validity from a DER certificate.
pub fn summarize(der: &[u8]) -> Option<Summary> {
    let (certificate, _) = element(der)?;
    if certificate.tag != SEQUENCE {
        return None;
    }
    let (tbs, _) = element(certificate.contents)?;
    if tbs.tag != SEQUENCE {
        return None;
    }
    let fields = children(tbs.contents)?;
    // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
    let skip = usize::from(fields.first()?.tag == 0xa0);
    let issuer = fields.get(skip + 2)?;
    let validity = children(fields.get(skip + 3)?.contents)?;
    let subject = fields.get(skip + 4)?;
    Some(Summary {
        subject: name(subject)?,
        issuer: name(issuer)?,
        not_before: time(validity.first()?)?,
        not_after: time(validity.get(1)?)?,
    })
}

/// A Name (a sequence of sets of type/value pairs), most specific part first.
fn name(element: &Element<'_>) -> Option<String> {
    if element.tag != SEQUENCE {
        return None;
    }
    let mut parts = Vec::new();
    for rdn in children(element.contents)? {
        if rdn.tag != SET {
            return None;
        }
        for pair in children(rdn.contents)? {
            let pair = children(pair.contents)?;
            let (oid, value) = (pair.first()?, pair.get(1)?);
            if oid.tag != 0x06 {
                return None;
            }
            parts.push(format!("{}={}", attribute(oid.contents), text(value)));
        }
    }
    parts.reverse();
    Some(parts.join(", "))
}

/// The short name of an attribute type, else `OID.<dotted>` (as .NET shows it).
fn attribute(oid: &[u8]) -> String {
    let dotted = dotted_oid(oid);
    let short = match dotted.as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "S",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "G",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return format!("OID.{dotted}"),
    };
    short.to_string()
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for &b in oid {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A directory string's text (UTF8String, PrintableString, IA5String, T61String, BMPString).
fn text(value: &Element<'_>) -> String {
    match value.tag {
        0x1e => {
            let units: Vec<u16> = value
                .contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        0x14 => value.contents.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(value.contents).into_owned(),
    }
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as RFC 3339.
fn time(value: &Element<'_>) -> Option<String> {
    let text = std::str::from_utf8(value.contents).ok()?;
    let digits = text.strip_suffix('Z')?;
    let full = match (value.tag, digits.len()) {
        (0x17, 12) => {
            let year: u32 = digits[..2].parse().ok()?;
            format!("{}{digits}", if year >= 50 { "19" } else { "20" })
        }
        (0x18, 14) => digits.to_string(),
        _ => return None,
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_certificate() {
        assert_eq!(summarize(&[]), None);
        assert_eq!(summarize(&[0x30, 0x05, 0x01]), None);
        assert_eq!(summarize(&[0x30, 0x00]), None);
    }

    #[test]
    fn summarizes_a_certificate_made_by_openssl() {
        use openssl::asn1::Asn1Time;
        use openssl::ec::{EcGroup, EcKey};
        use openssl::hash::MessageDigest;
        use openssl::nid::Nid;
        use openssl::pkey::PKey;
        use openssl::x509::{X509Builder, X509NameBuilder};

        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut subject = X509NameBuilder::new().unwrap();
        subject.append_entry_by_text("C", "US").unwrap();
        subject.append_entry_by_text("O", "Acme Café").unwrap();
        subject.append_entry_by_text("CN", "host.example").unwrap();
        let subject = subject.build();
        let mut issuer = X509NameBuilder::new().unwrap();
        issuer
            .append_entry_by_text("CN", "Inspection Root")
            .unwrap();
        let issuer = issuer.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&subject).unwrap();
        b.set_issuer_name(&issuer).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::from_str("20260101000000Z").unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_str("20510630120000Z").unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let der = b.build().to_der().unwrap();
        let summary = summarize(&der).unwrap();
        assert_eq!(
            summary,
            Summary {
                subject: "CN=host.example, O=Acme Café, C=US".into(),
                issuer: "CN=Inspection Root".into(),
                not_before: "2026-01-01T00:00:00Z".into(),
                not_after: "2051-06-30T12:00:00Z".into(),
            }
        );
    }

    #[test]
    fn oids_and_times() {
        assert_eq!(dotted_oid(&[0x55, 0x04, 0x03]), "2.5.4.3");
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]),
            "1.2.840.113549.1.9.1"
        );
        let utc = Element {
            tag: 0x17,
            contents: b"261128083000Z",
        };
        assert_eq!(time(&utc).as_deref(), Some("2026-11-28T08:30:00Z"));
        let generalized = Element {
            tag: 0x18,
            contents: b"20501231235959Z",
        };
        assert_eq!(time(&generalized).as_deref(), Some("2050-12-31T23:59:59Z"));
    }
}

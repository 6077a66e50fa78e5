//! The TLS version and cipher suite the server chose, read off the wire from its ServerHello.
//!
//! native-tls exposes neither (on any platform), but the ServerHello is never encrypted, so the
//! bytes the TCP stream reads during the handshake say it on Linux, macOS and Windows alike. In
//! TLS 1.2 the server's Certificate message is not encrypted either and is read too: a trace can
//! then name the certificate even when verification rejected it (TLS 1.3 encrypts it; then only
//! a successful handshake shows it, through native-tls). Used only while a connection is traced.

use std::sync::Arc;

use parking_lot::Mutex;

/// What the server's first flight said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// 0x0304 for TLS 1.3, 0x0303 for TLS 1.2, ...
    pub version: Option<u16>,
    pub cipher: Option<u16>,
    /// The server's own certificate (DER), when the handshake sent it in the clear (TLS 1.2).
    pub certificate: Option<Vec<u8>>,
}

/// Handshake bytes kept at most (a certificate chain fits easily).
const MAX_HANDSHAKE: usize = 256 << 10;
const RECORD_HANDSHAKE: u8 = 22;
const RECORD_CHANGE_CIPHER_SPEC: u8 = 20;
const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
const SERVER_HELLO_DONE: u8 = 14;
/// The `random` of a HelloRetryRequest (RFC 8446 section 4.1.3): a real ServerHello follows.
const HELLO_RETRY: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Reads the server's side of a TLS handshake as it arrives.
pub struct Sniffer {
    /// Bytes of the record being read.
    record: Vec<u8>,
    /// Handshake messages not yet complete.
    handshake: Vec<u8>,
    found: ServerHello,
    out: Arc<Mutex<ServerHello>>,
}

impl Sniffer {
    pub fn new() -> (Sniffer, Arc<Mutex<ServerHello>>) {
        let out: Arc<Mutex<ServerHello>> = Arc::default();
        (
            Sniffer {
                record: Vec::new(),
                handshake: Vec::new(),
                found: ServerHello::default(),
                out: Arc::clone(&out),
            },
            out,
        )
    }

    /// Takes bytes read from the server; `false` once nothing more can be learnt (the rest is
    /// encrypted, or the bytes are not TLS).
    pub fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let want = if self.record.len() < 5 {
                5 - self.record.len()
            } else {
                5 + u16::from_be_bytes([self.record[3], self.record[4]]) as usize
                    - self.record.len()
            };
            let take = want.min(bytes.len());
            self.record.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.record.len() < 5 {
                continue;
            }
            // Not a TLS record header: nothing to learn here.
            if !(20..=23).contains(&self.record[0]) || self.record[1] != 3 {
                return false;
            }
            let length = u16::from_be_bytes([self.record[3], self.record[4]]) as usize;
            if self.record.len() < 5 + length {
                continue;
            }
            let kind = self.record[0];
            let keep_going = match kind {
                RECORD_HANDSHAKE => {
                    self.handshake.extend_from_slice(&self.record[5..]);
                    self.handshake.len() <= MAX_HANDSHAKE && self.messages()
                }
                // TLS 1.3's compatibility ChangeCipherSpec may come after a HelloRetryRequest.
                RECORD_CHANGE_CIPHER_SPEC => self.found.version.is_none(),
                _ => false,
            };
            self.record.clear();
            if !keep_going {
                return false;
            }
        }
        true
    }

    /// Reads the complete handshake messages; `false` when done.
    fn messages(&mut self) -> bool {
        loop {
            if self.handshake.len() < 4 {
                return true;
            }
            let length =
                u32::from_be_bytes([0, self.handshake[1], self.handshake[2], self.handshake[3]])
                    as usize;
            if self.handshake.len() < 4 + length {
                return true;
            }
            let kind = self.handshake[0];
            let body: Vec<u8> = self.handshake.drain(..4 + length).skip(4).collect();
            match kind {
                SERVER_HELLO => {
                    let Some((random, version, cipher)) = server_hello(&body) else {
                        return false;
                    };
                    if random == HELLO_RETRY {
                        continue;
                    }
                    self.found.version = Some(version);
                    self.found.cipher = Some(cipher);
                    self.publish();
                    // From TLS 1.3 on, everything after the ServerHello is encrypted.
                    if version >= 0x0304 {
                        return false;
                    }
                }
                CERTIFICATE => {
                    self.found.certificate = first_certificate(&body);
                    self.publish();
                    return false;
                }
                SERVER_HELLO_DONE => return false,
                _ => {}
            }
        }
    }

    fn publish(&self) {
        *self.out.lock() = self.found.clone();
    }
}

/// (random, negotiated version, cipher suite) of a ServerHello body.
fn server_hello(body: &[u8]) -> Option<([u8; 32], u16, u16)> {
    let legacy = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let random: [u8; 32] = body.get(2..34)?.try_into().ok()?;
    let session_len = *body.get(34)? as usize;
    let at = 35 + session_len;
    let cipher = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
    // compression method, then optional extensions
    let mut version = legacy;
    if let Some(ext_len) = body.get(at + 3..at + 5) {
        let end = (at + 5 + u16::from_be_bytes([ext_len[0], ext_len[1]]) as usize).min(body.len());
        let mut i = at + 5;
        while i + 4 <= end {
            let kind = u16::from_be_bytes([body[i], body[i + 1]]);
            let len = u16::from_be_bytes([body[i + 2], body[i + 3]]) as usize;
            // supported_versions: the version actually negotiated (TLS 1.3).
            if kind == 43 && len == 2 && i + 6 <= end {
                version = u16::from_be_bytes([body[i + 4], body[i + 5]]);
            }
            i += 4 + len;
        }
    }
    Some((random, version, cipher))
}

/// The first certificate of a TLS 1.2 Certificate message.
fn first_certificate(body: &[u8]) -> Option<Vec<u8>> {
    let len = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
    let first = body.get(3..6)?;
    body.get(6..6 + len(first)).map(<[u8]>::to_vec)
}

/// "TLS 1.3", "TLS 1.2", ... or the number.
pub fn version_name(version: u16) -> String {
    match version {
        0x0304 => "TLS 1.3".into(),
        0x0303 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        0x0300 => "SSL 3.0".into(),
        v => format!("TLS version 0x{v:04x}"),
    }
}

/// The IANA name of the common cipher suites, else the number.
pub fn cipher_name(cipher: u16) -> String {
    let name = match cipher {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x1305 => "TLS_AES_128_CCM_8_SHA256",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        c => return format!("cipher suite 0x{c:04x}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        r.extend_from_slice(payload);
        r
    }

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut h = vec![kind];
        h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        h.extend_from_slice(body);
        h
    }

    fn hello(random: [u8; 32], cipher: u16, tls13: bool) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&random);
        b.push(0); // no session id
        b.extend_from_slice(&cipher.to_be_bytes());
        b.push(0); // compression
        if tls13 {
            b.extend_from_slice(&[0, 6, 0, 43, 0, 2, 3, 4]);
        }
        b
    }

    #[test]
    fn reads_a_tls13_hello_split_anywhere_after_a_retry() {
        let mut wire = record(22, &handshake(2, &hello(HELLO_RETRY, 0x1301, true)));
        wire.extend(record(20, &[1]));
        wire.extend(record(22, &handshake(2, &hello([7; 32], 0x1302, true))));
        wire.extend(record(23, &[0; 40]));
        for chunk in [1, 3, 7, 64] {
            let (mut sniffer, out) = Sniffer::new();
            let mut done = false;
            for piece in wire.chunks(chunk) {
                if !sniffer.feed(piece) {
                    done = true;
                    break;
                }
            }
            assert!(done);
            let found = out.lock().clone();
            assert_eq!((found.version, found.cipher), (Some(0x0304), Some(0x1302)));
        }
    }

    #[test]
    fn reads_the_tls12_certificate() {
        let cert = b"0123456789".to_vec();
        let mut list = Vec::new();
        list.extend_from_slice(&((cert.len() + 3) as u32).to_be_bytes()[1..]);
        list.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(&cert);
        let mut messages = handshake(2, &hello([1; 32], 0xc02f, false));
        messages.extend(handshake(11, &list));
        // One handshake message split over two records.
        let (a, b) = messages.split_at(20);
        let mut wire = record(22, a);
        wire.extend(record(22, b));
        let (mut sniffer, out) = Sniffer::new();
        assert!(!sniffer.feed(&wire));
        let found = out.lock().clone();
        assert_eq!(found.version, Some(0x0303));
        assert_eq!(found.certificate, Some(cert));
        assert_eq!(cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }

    #[test]
    fn stops_on_what_is_not_tls() {
        let (mut sniffer, out) = Sniffer::new();
        assert!(!sniffer.feed(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
        assert_eq!(*out.lock(), ServerHello::default());
    }
}

//! WebSocket frame headers (RFC 6455 §5.2): just enough to find frame boundaries, flags and
//! masks in a byte stream, and to write the headers of rewritten frames.

pub const FIN: u8 = 0x80;
pub const RSV1: u8 = 0x40;
pub const OPCODE_CONTINUATION: u8 = 0x0;
pub const OPCODE_TEXT: u8 = 0x1;
pub const OPCODE_BINARY: u8 = 0x2;
/// The longest header: 2 bytes, an 8-byte length and a 4-byte mask.
pub const MAX_HEADER: usize = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The first byte as received: FIN, RSV1-3 and the opcode.
    pub first: u8,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    /// Bytes the header took on the wire.
    pub len: usize,
}

impl Header {
    pub fn fin(&self) -> bool {
        self.first & FIN != 0
    }

    pub fn rsv1(&self) -> bool {
        self.first & RSV1 != 0
    }

    pub fn opcode(&self) -> u8 {
        self.first & 0x0F
    }

    pub fn is_control(&self) -> bool {
        self.opcode() & 0x08 != 0
    }

    /// Parses a header at the start of `bytes`; `None` while it is incomplete.
    pub fn parse(bytes: &[u8]) -> Option<Header> {
        if bytes.len() < 2 {
            return None;
        }
        let first = bytes[0];
        let masked = bytes[1] & 0x80 != 0;
        let (payload_len, mut len) = match bytes[1] & 0x7F {
            126 => (
                u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?) as u64,
                4,
            ),
            127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
            n => (n as u64, 2),
        };
        let mask = if masked {
            let key: [u8; 4] = bytes.get(len..len + 4)?.try_into().ok()?;
            len += 4;
            Some(key)
        } else {
            None
        };
        Some(Header {
            first,
            mask,
            payload_len,
            len,
        })
    }
}

/// Header size (without a mask) for a payload of `len` bytes, in the shortest encoding.
pub fn header_len(payload_len: u64, masked: bool) -> usize {
    let base = match payload_len {
        0..=125 => 2,
        126..=65535 => 4,
        _ => 10,
    };
    if masked {
        base + 4
    } else {
        base
    }
}

/// Writes a header with the shortest length encoding into `out` (which must hold
/// `header_len(payload_len, mask.is_some())` bytes); returns the bytes written.
pub fn write_header(out: &mut [u8], first: u8, payload_len: u64, mask: Option<[u8; 4]>) -> usize {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    out[0] = first;
    let mut len = match payload_len {
        0..=125 => {
            out[1] = mask_bit | payload_len as u8;
            2
        }
        126..=65535 => {
            out[1] = mask_bit | 126;
            out[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
            4
        }
        _ => {
            out[1] = mask_bit | 127;
            out[2..10].copy_from_slice(&payload_len.to_be_bytes());
            10
        }
    };
    if let Some(key) = mask {
        out[len..len + 4].copy_from_slice(&key);
        len += 4;
    }
    len
}

/// XORs `data` with `key`, starting `offset` bytes into the payload.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: u64) {
    let shift = (offset % 4) as usize;
    let key = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let word = u32::from_ne_bytes(key);
    let mut chunks = data.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let value = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_in_every_length_form() {
        for (len, mask) in [
            (0u64, None),
            (125, Some([1, 2, 3, 4])),
            (126, None),
            (65535, Some([9, 8, 7, 6])),
            (65536, None),
            (1 << 40, Some([0, 0, 0, 1])),
        ] {
            let mut out = [0u8; MAX_HEADER];
            let n = write_header(&mut out, FIN | RSV1 | OPCODE_TEXT, len, mask);
            assert_eq!(n, header_len(len, mask.is_some()));
            let h = Header::parse(&out[..n]).unwrap();
            assert_eq!((h.payload_len, h.mask, h.len), (len, mask, n));
            assert!(h.fin() && h.rsv1() && h.opcode() == OPCODE_TEXT);
            assert!(
                Header::parse(&out[..n - 1]).is_none(),
                "incomplete header parsed"
            );
        }
    }

    #[test]
    fn masking_twice_restores_and_offsets_continue() {
        let data: Vec<u8> = (0..37u8).collect();
        let key = [0xA1, 0xB2, 0xC3, 0xD4];
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut split = data.clone();
        let (a, b) = split.split_at_mut(7);
        apply_mask(a, key, 0);
        apply_mask(b, key, 7);
        assert_eq!(whole, split);
        apply_mask(&mut whole, key, 0);
        assert_eq!(whole, data);
    }
}

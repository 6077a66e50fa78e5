//! Raw DEFLATE for permessage-deflate (RFC 7692 §7.2): one compressor and one decompressor
//! per connection, created on first use (an idle connection pays nothing), kept across
//! messages (context takeover) or reset after each one.

use std::io;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The end of a sync flush, removed from every compressed message and added back before
/// inflating it (RFC 7692 §7.2.1, §7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// zlib cannot make a 256-byte window: 8 window bits work as 9 (RFC 7692 §7.1.2.1 note).
fn zlib_bits(bits: u8) -> u8 {
    bits.clamp(9, 15)
}

pub struct Inflater {
    window_bits: u8,
    reset_each_message: bool,
    zlib: Option<Box<Decompress>>,
}

/// What one call to [`Inflater::inflate`] did.
pub struct Inflated {
    pub consumed: usize,
    pub produced: usize,
    /// The sender ended the DEFLATE stream (a final block): the rest of the input is ignored.
    pub stream_end: bool,
}

impl Inflater {
    pub fn new(window_bits: u8, reset_each_message: bool) -> Inflater {
        Inflater {
            window_bits: zlib_bits(window_bits),
            reset_each_message,
            zlib: None,
        }
    }

    pub fn inflate(&mut self, input: &[u8], output: &mut [u8]) -> Result<Inflated, String> {
        let bits = self.window_bits;
        let zlib = self
            .zlib
            .get_or_insert_with(|| Box::new(Decompress::new_with_window_bits(false, bits)));
        let (in_before, out_before) = (zlib.total_in(), zlib.total_out());
        let status = zlib
            .decompress(input, output, FlushDecompress::None)
            .map_err(|e| format!("the compressed data is invalid ({e})"))?;
        Ok(Inflated {
            consumed: (zlib.total_in() - in_before) as usize,
            produced: (zlib.total_out() - out_before) as usize,
            stream_end: status == Status::StreamEnd,
        })
    }

    /// After the last byte of a message: forget the window when the peer does not keep it,
    /// or when it ended its stream.
    pub fn end_message(&mut self, stream_ended: bool) {
        if self.reset_each_message || stream_ended {
            if let Some(zlib) = &mut self.zlib {
                zlib.reset(false);
            }
        }
    }
}

pub struct Deflater {
    window_bits: u8,
    reset_each_message: bool,
    level: Compression,
    zlib: Option<Box<Compress>>,
}

fn compress_error(e: flate2::CompressError) -> io::Error {
    io::Error::other(format!("permessage-deflate: compression failed: {e}"))
}

impl Deflater {
    pub fn new(window_bits: u8, reset_each_message: bool, level: u32) -> Deflater {
        Deflater {
            window_bits: zlib_bits(window_bits),
            reset_each_message,
            level: Compression::new(level),
            zlib: None,
        }
    }

    fn zlib(&mut self) -> &mut Compress {
        let (level, bits) = (self.level, self.window_bits);
        self.zlib
            .get_or_insert_with(|| Box::new(Compress::new_with_window_bits(level, false, bits)))
    }

    /// Compresses `input` (part of a message), appending to `out`.
    pub fn compress(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let zlib = self.zlib();
        while !input.is_empty() {
            if out.capacity() - out.len() < 64 {
                out.reserve((input.len() / 2).max(1024));
            }
            let before = zlib.total_in();
            zlib.compress_vec(input, out, FlushCompress::None)
                .map_err(compress_error)?;
            input = &input[(zlib.total_in() - before) as usize..];
        }
        Ok(())
    }

    /// Ends a message: a sync flush, without its 4-byte tail.
    pub fn finish_message(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let reset = self.reset_each_message;
        let zlib = self.zlib();
        let before = out.len();
        loop {
            out.reserve(256);
            let room = out.capacity() - out.len();
            let flushed = zlib.total_out();
            zlib.compress_vec(&[], out, FlushCompress::Sync)
                .map_err(compress_error)?;
            if ((zlib.total_out() - flushed) as usize) < room {
                break;
            }
        }
        if out.len() == before {
            // zlib makes no second flush without input in between: an empty message right
            // after another is the one byte an empty stored block leaves (RFC 7692 §7.2.3.6).
            out.push(0x00);
        } else if out[before..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if reset {
            zlib.reset();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(inflater: &mut Inflater, compressed: &[u8]) -> Vec<u8> {
        let mut input = compressed.to_vec();
        input.extend_from_slice(&TAIL);
        let mut out = Vec::new();
        let mut chunk = [0u8; 100];
        let mut at = 0;
        loop {
            let r = inflater.inflate(&input[at..], &mut chunk).unwrap();
            at += r.consumed;
            out.extend_from_slice(&chunk[..r.produced]);
            if at == input.len() && r.produced < chunk.len() {
                break;
            }
        }
        inflater.end_message(false);
        out
    }

    #[test]
    fn round_trip_with_and_without_context_takeover() {
        for bits in 8..=15 {
            for reset in [false, true] {
                let mut deflater = Deflater::new(bits, reset, 6);
                let mut inflater = Inflater::new(bits, reset);
                // Not repetitive within itself, and short enough for the smallest window (zlib
                // reaches back at most the window less 262 bytes).
                let mut seed = 7u32;
                let message: Vec<u8> = (0..200)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        b'a' + (seed >> 16) as u8 % 26
                    })
                    .collect();
                let mut sizes = Vec::new();
                for _ in 0..3 {
                    let mut out = Vec::new();
                    deflater.compress(&message[..90], &mut out).unwrap();
                    deflater.compress(&message[90..], &mut out).unwrap();
                    deflater.finish_message(&mut out).unwrap();
                    sizes.push(out.len());
                    assert_eq!(inflate_all(&mut inflater, &out), message, "bits {bits}");
                }
                // With context takeover the repeat refers back to the first message.
                assert_eq!(
                    sizes[1] < sizes[0],
                    !reset,
                    "bits {bits} reset {reset}: {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn an_empty_message_is_one_byte_also_right_after_another() {
        let mut deflater = Deflater::new(15, false, 6);
        let mut inflater = Inflater::new(15, false);
        for message in [&b""[..], b"abc", b"", b"", b"short"] {
            let mut out = Vec::new();
            deflater.compress(message, &mut out).unwrap();
            deflater.finish_message(&mut out).unwrap();
            if message.is_empty() {
                assert_eq!(out, [0x00]);
            }
            assert_eq!(inflate_all(&mut inflater, &out), message);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut inflater = Inflater::new(15, false);
        let e = inflater.inflate(&[0xFF; 16], &mut [0u8; 64]).err().unwrap();
        assert!(e.contains("invalid"), "{e}");
    }
}

//! Bytes made for tungstenite's reads that wait for its next read. The stream layers under
//! tungstenite (`bulk`, `deflate`) hand it frames of their own making (skeleton headers, inflated
//! frames); what does not fit the caller's buffer is handed out first on the next read.

use tokio::io::ReadBuf;

/// The waiting bytes, handed out in order.
#[derive(Debug, Default)]
pub struct Staged {
    bytes: Vec<u8>,
    pos: usize,
}

impl Staged {
    /// Nothing waiting, nothing allocated.
    pub fn new() -> Staged {
        Staged::default()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Moves what fits of the waiting bytes into `buf`.
    pub fn drain_into(&mut self, buf: &mut ReadBuf<'_>) {
        let n = (self.bytes.len() - self.pos).min(buf.remaining());
        buf.put_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
    }

    /// Queues `bytes` after whatever still waits.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            self.clear();
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// Gives `buf` what fits of `bytes` and keeps the rest waiting, after whatever still waits.
    pub fn emit(&mut self, buf: &mut ReadBuf<'_>, bytes: &[u8]) {
        if !self.is_empty() {
            self.push(bytes);
            return;
        }
        let n = bytes.len().min(buf.remaining());
        buf.put_slice(&bytes[..n]);
        self.push(&bytes[n..]);
    }

    /// A zeroed area of `len` bytes to make output in place, dropping whatever waits; then
    /// [`Staged::keep`] says how much of it waits.
    pub fn scratch(&mut self, len: usize) -> &mut [u8] {
        self.clear();
        self.bytes.resize(len, 0);
        &mut self.bytes[..]
    }

    /// The first `len` bytes of the area [`Staged::scratch`] gave wait for the next read.
    pub fn keep(&mut self, len: usize) {
        self.bytes.truncate(len);
        self.pos = 0;
    }

    /// Drops whatever waits (the allocation is kept).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_in_order_across_small_reads() {
        let mut staged = Staged::new();
        let mut first = [0u8; 3];
        let mut buf = ReadBuf::new(&mut first);
        staged.emit(&mut buf, b"abcde");
        assert_eq!(buf.filled(), b"abc");
        staged.push(b"fg");
        let mut second = [0u8; 8];
        let mut buf = ReadBuf::new(&mut second);
        staged.drain_into(&mut buf);
        assert_eq!(buf.filled(), b"defg");
        assert!(staged.is_empty());
    }

    #[test]
    fn emit_waits_behind_what_already_waits() {
        let mut staged = Staged::new();
        staged.push(b"12");
        let mut out = [0u8; 8];
        let mut buf = ReadBuf::new(&mut out);
        staged.emit(&mut buf, b"34");
        assert_eq!(buf.filled(), b"");
        staged.drain_into(&mut buf);
        assert_eq!(buf.filled(), b"1234");
    }

    #[test]
    fn keeps_what_was_made_in_place() {
        let mut staged = Staged::new();
        staged.scratch(16)[..3].copy_from_slice(b"xyz");
        staged.keep(3);
        let mut out = [0u8; 2];
        let mut buf = ReadBuf::new(&mut out);
        staged.drain_into(&mut buf);
        assert_eq!(buf.filled(), b"xy");
        assert!(!staged.is_empty());
    }
}

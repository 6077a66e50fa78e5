//! The stream layer between the socket and tungstenite that adds permessage-deflate.
//!
//! tungstenite 0.30 has no extension support (it rejects RSV1), so this layer rewrites frames
//! in the byte stream, in both roles:
//! - reading: a data message whose first frame has RSV1 is inflated as it arrives and handed on
//!   as frames of at most 64 KiB with RSV1 clear (the message is refragmented, which never
//!   changes its content); everything else passes untouched, so tungstenite still judges every
//!   violation (RSV1 on a control or continuation frame, a mask where none belongs, ...).
//!   Memory stays bounded whatever the ratio: nothing is inflated ahead of what tungstenite
//!   takes, and tungstenite stops at `maxMessageSize`, counted on the inflated bytes.
//! - writing: each data message tungstenite writes is unmasked, compressed with a sync flush,
//!   stripped of the `00 00 FF FF` tail and written as one frame with RSV1 set, masked again
//!   with a fresh key when we are the client.
//!
//! During the opening handshake the layer passes bytes through but holds back whatever follows
//! the end of the HTTP head, so no frame reaches tungstenite before the caller has read the
//! negotiation answer and called [`DeflateStream::start`]. Without compression the layer is a
//! plain pass-through from then on: no parsing, no copy.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::codec::{Deflater, Inflater, TAIL};
use super::frame::{
    apply_mask, header_len, write_header, Header, FIN, MAX_HEADER, OPCODE_BINARY,
    OPCODE_CONTINUATION, OPCODE_TEXT, RSV1,
};
use super::negotiation::Negotiated;
use crate::staged::Staged;

/// Which end of the connection this layer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Frames from the peer are unmasked; frames we send are masked.
    Client,
    /// Frames from the peer are masked; frames we send are not.
    Server,
}

/// How the layer compresses, once negotiated.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub role: Role,
    pub negotiated: Negotiated,
    /// The largest frame payload accepted from the peer (the compressed size on the wire).
    pub frame_limit: usize,
    /// Bytes read from the socket at a time.
    pub read_buffer_size: usize,
    /// zlib compression level (0-9).
    pub level: u32,
}

/// Largest frame payload handed to tungstenite: keeps its 16-bit length form, and the inflate
/// output bounded by the reader's buffer rather than by the compression ratio.
const MAX_FRAGMENT: usize = 65535;
/// Below this much room in tungstenite's buffer, inflate into our own small buffer instead.
const MIN_DIRECT_ROOM: usize = 64;
const STAGE_SIZE: usize = 16 << 10;
/// Compressed bytes waiting for the socket before `poll_write` pushes back.
const WRITE_HIGH_WATER: usize = 256 << 10;
/// Payload unmasked per step when compressing a masked frame.
const UNMASK_CHUNK: usize = 64 << 10;
/// Buffers larger than this are released once empty (one large message must not keep
/// megabytes per connection).
const KEEP_CAPACITY: usize = 1 << 20;

enum Mode {
    /// The opening handshake: bytes pass, what follows the HTTP head is held back.
    Handshake {
        matched: usize,
        head_done: bool,
        held: Vec<u8>,
    },
    /// No compression; bytes held back during the handshake are served first.
    PlainHeld {
        held: Vec<u8>,
        pos: usize,
    },
    Plain,
    Deflate(Box<Codec>),
}

pub struct DeflateStream<S> {
    inner: S,
    mode: Mode,
}

impl<S> DeflateStream<S> {
    pub fn new(inner: S) -> DeflateStream<S> {
        DeflateStream {
            inner,
            mode: Mode::Handshake {
                matched: 0,
                head_done: false,
                held: Vec::new(),
            },
        }
    }

    /// Ends the handshake phase: compress with `config`, or pass through with `None`.
    pub fn start(&mut self, config: Option<Config>) {
        let held = match &mut self.mode {
            Mode::Handshake { held, .. } => std::mem::take(held),
            _ => return,
        };
        self.mode = match config {
            Some(config) => Mode::Deflate(Box::new(Codec::new(config, held))),
            None if held.is_empty() => Mode::Plain,
            None => Mode::PlainHeld { held, pos: 0 },
        };
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Why the layer failed the connection (data that does not inflate), if it did.
    pub fn failure(&self) -> Option<&str> {
        match &self.mode {
            Mode::Deflate(codec) => codec.reader.failure.as_deref(),
            _ => None,
        }
    }
}

const HEAD_END: &[u8; 4] = b"\r\n\r\n";

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for DeflateStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.mode {
            Mode::Plain => Pin::new(&mut this.inner).poll_read(cx, buf),
            Mode::Deflate(codec) => codec.reader.poll_read(&mut this.inner, cx, buf),
            Mode::PlainHeld { held, pos } => {
                let n = (held.len() - *pos).min(buf.remaining());
                buf.put_slice(&held[*pos..*pos + n]);
                *pos += n;
                if *pos == held.len() {
                    this.mode = Mode::Plain;
                }
                Poll::Ready(Ok(()))
            }
            Mode::Handshake {
                matched,
                head_done,
                held,
            } => {
                if *head_done {
                    // Nobody reads past the head before `start`; serve what was held if so.
                    let n = held.len().min(buf.remaining());
                    buf.put_slice(&held[..n]);
                    held.drain(..n);
                    return Poll::Ready(Ok(()));
                }
                let before = buf.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                let fresh = &buf.filled()[before..];
                let mut end = None;
                for (i, &b) in fresh.iter().enumerate() {
                    *matched = if b == HEAD_END[*matched] {
                        *matched + 1
                    } else {
                        usize::from(b == b'\r')
                    };
                    if *matched == HEAD_END.len() {
                        end = Some(i + 1);
                        break;
                    }
                }
                if let Some(end) = end {
                    held.extend_from_slice(&fresh[end..]);
                    buf.set_filled(before + end);
                    *head_done = true;
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for DeflateStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match &mut this.mode {
            Mode::Deflate(codec) => codec.writer.poll_write(&mut this.inner, cx, buf),
            _ => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match &mut this.mode {
            Mode::Deflate(codec) => {
                let buf = bufs
                    .iter()
                    .find(|b| !b.is_empty())
                    .map_or(&[][..], |b| &**b);
                codec.writer.poll_write(&mut this.inner, cx, buf)
            }
            _ => Pin::new(&mut this.inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        !matches!(self.mode, Mode::Deflate(_)) && self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Mode::Deflate(codec) = &mut this.mode {
            ready!(codec.writer.drain(&mut this.inner, cx))?;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Mode::Deflate(codec) = &mut this.mode {
            ready!(codec.writer.drain(&mut this.inner, cx))?;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

struct Codec {
    reader: Reader,
    writer: Writer,
}

impl Codec {
    fn new(config: Config, held: Vec<u8>) -> Codec {
        let n = config.negotiated;
        let client = config.role == Role::Client;
        // Each side inflates with the window its peer compresses with, and compresses with
        // its own.
        let (in_bits, in_reset, out_bits, out_reset) = if client {
            (
                n.server_max_window_bits,
                n.server_no_context_takeover,
                n.client_max_window_bits,
                n.client_no_context_takeover,
            )
        } else {
            (
                n.client_max_window_bits,
                n.client_no_context_takeover,
                n.server_max_window_bits,
                n.server_no_context_takeover,
            )
        };
        let size = config.read_buffer_size.max(MAX_HEADER * 2);
        // Bytes held back during the handshake are the input's start; else it comes on demand.
        let input = if held.is_empty() {
            Vec::new()
        } else {
            let mut input = vec![0u8; size.max(held.len())];
            input[..held.len()].copy_from_slice(&held);
            input
        };
        Codec {
            reader: Reader {
                inflater: Inflater::new(in_bits, in_reset),
                end: held.len(),
                input,
                input_size: size,
                start: 0,
                state: ReadState::Header,
                message: InMessage::None,
                staged: Staged::new(),
                frame_limit: config.frame_limit.max(1),
                from_client: !client,
                failure: None,
            },
            writer: Writer {
                // A 256-byte window cannot be made with zlib: such a peer gets our messages
                // uncompressed, which RFC 7692 always allows.
                deflater: (out_bits >= 9).then(|| Deflater::new(out_bits, out_reset, config.level)),
                mask_output: client,
                header: [0; MAX_HEADER],
                header_len: 0,
                state: WriteState::Header,
                compressing: None,
                out: Vec::new(),
                out_pos: 0,
                message: Vec::new(),
                scratch: Vec::new(),
            },
        }
    }
}

// --- reading ------------------------------------------------------------------------------

enum ReadState {
    Header,
    /// Forwarding a frame's payload verbatim.
    Pass {
        remaining: u64,
    },
    Inflate(InflateFrame),
    /// The layer handed tungstenite an error; raw bytes pass from now on.
    Failed,
}

struct InflateFrame {
    /// Payload bytes not yet fed to the inflater.
    remaining: u64,
    fin: bool,
    mask: Option<[u8; 4]>,
    /// Payload bytes fed so far (the mask's phase).
    offset: u64,
    /// Bytes at the start of the input that are already unmasked.
    clear: usize,
    /// Bytes of the `00 00 FF FF` tail still to feed (final frame only).
    tail: usize,
    /// The last inflate filled its output: more may be pending inside the inflater.
    full: bool,
}

#[derive(PartialEq)]
enum InMessage {
    None,
    /// An uncompressed fragmented message: its continuations pass through.
    Plain,
    Compressed {
        opcode: u8,
        /// A frame of this message was handed on (later ones are continuations).
        emitted: bool,
        /// The sender ended its DEFLATE stream; the rest of the message is ignored.
        ended: bool,
        /// Payload bytes of this message came (an empty message sent as no bytes at all, not
        /// as RFC 7692's single 0x00, gets no tail either).
        fed: bool,
    },
}

struct Reader {
    inflater: Inflater,
    /// Bytes read from the socket: `input[start..end]` is not yet processed. Allocated (at
    /// `input_size`) when a read needs it, dropped when it is empty and the socket has nothing.
    input: Vec<u8>,
    input_size: usize,
    start: usize,
    end: usize,
    state: ReadState,
    message: InMessage,
    /// Output that did not fit the caller's buffer.
    staged: Staged,
    frame_limit: usize,
    /// We are the server: frames arrive masked, and tungstenite wants them masked.
    from_client: bool,
    failure: Option<String>,
}

impl Reader {
    fn poll_read<S: AsyncRead + Unpin>(
        &mut self,
        inner: &mut S,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let start = buf.filled().len();
        loop {
            self.staged.drain_into(buf);
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if self.step(buf) {
                continue;
            }
            if buf.filled().len() > start {
                return Poll::Ready(Ok(()));
            }
            // A large verbatim payload goes straight into the caller's buffer.
            if let ReadState::Pass { remaining } = &mut self.state {
                if self.start == self.end {
                    let limit = (*remaining).min(buf.remaining() as u64) as usize;
                    let dst = &mut buf.initialize_unfilled_to(limit)[..limit];
                    let mut direct = ReadBuf::new(dst);
                    ready!(Pin::new(inner).poll_read(cx, &mut direct))?;
                    let n = direct.filled().len();
                    buf.advance(n);
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = ReadState::Header;
                    }
                    return Poll::Ready(Ok(()));
                }
            }
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.input.len() - self.end < MAX_HEADER || self.start > self.input.len() / 2
            {
                self.input.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.input.is_empty() {
                self.input = vec![0u8; self.input_size];
            }
            let mut fresh = ReadBuf::new(&mut self.input[self.end..]);
            if Pin::new(&mut *inner)
                .poll_read(cx, &mut fresh)?
                .is_pending()
            {
                if self.start == self.end {
                    // Nothing buffered and the socket is empty: an idle connection keeps no
                    // input buffer.
                    self.input = Vec::new();
                    self.start = 0;
                    self.end = 0;
                }
                return Poll::Pending;
            }
            let n = fresh.filled().len();
            if n == 0 {
                return Poll::Ready(Ok(())); // end of stream: tungstenite decides what it means
            }
            self.end += n;
        }
    }

    /// Processes buffered input into `buf`; false when more input is needed.
    fn step(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        match &mut self.state {
            ReadState::Header => match Header::parse(&self.input[self.start..self.end]) {
                Some(header) => {
                    self.begin_frame(header, buf);
                    true
                }
                None => false,
            },
            ReadState::Pass { remaining } => {
                let n = ((self.end - self.start) as u64)
                    .min(*remaining)
                    .min(buf.remaining() as u64) as usize;
                buf.put_slice(&self.input[self.start..self.start + n]);
                self.start += n;
                *remaining -= n as u64;
                if *remaining == 0 {
                    self.state = ReadState::Header;
                    return true;
                }
                n > 0
            }
            ReadState::Failed => {
                let n = (self.end - self.start).min(buf.remaining());
                buf.put_slice(&self.input[self.start..self.start + n]);
                self.start += n;
                n > 0
            }
            ReadState::Inflate(_) => self.inflate_step(buf),
        }
    }

    fn begin_frame(&mut self, h: Header, buf: &mut ReadBuf<'_>) {
        let masked_right = h.mask.is_some() == self.from_client;
        let other_rsv = h.first & 0x30 != 0;
        let data = !h.is_control();
        let compressed = data && masked_right && !other_rsv && {
            match (&self.message, h.opcode()) {
                (InMessage::None, OPCODE_TEXT | OPCODE_BINARY) => h.rsv1(),
                (InMessage::Compressed { .. }, OPCODE_CONTINUATION) => !h.rsv1(),
                _ => false,
            }
        };
        let mut header = [0u8; MAX_HEADER];
        header[..h.len].copy_from_slice(&self.input[self.start..self.start + h.len]);
        self.start += h.len;
        if !compressed {
            // Verbatim: control frames, uncompressed messages and every violation, which
            // tungstenite then reports as it would without compression.
            if data && !h.rsv1() {
                self.message = match (&self.message, h.opcode(), h.fin()) {
                    (InMessage::None, OPCODE_TEXT | OPCODE_BINARY, false) => InMessage::Plain,
                    (InMessage::Plain, OPCODE_CONTINUATION, true) => InMessage::None,
                    _ => std::mem::replace(&mut self.message, InMessage::None),
                };
            }
            self.staged.emit(buf, &header[..h.len]);
            self.state = ReadState::Pass {
                remaining: h.payload_len,
            };
            return;
        }
        if h.payload_len > self.frame_limit as u64 {
            // tungstenite refuses an oversize frame as soon as it reads the header (1009).
            let mut oversize = [0u8; MAX_HEADER];
            let n = write_header(
                &mut oversize,
                h.first & !RSV1,
                h.payload_len,
                self.from_client.then_some([0; 4]),
            );
            self.staged.emit(buf, &oversize[..n]);
            self.state = ReadState::Failed;
            return;
        }
        if h.opcode() != OPCODE_CONTINUATION {
            self.message = InMessage::Compressed {
                opcode: h.opcode(),
                emitted: false,
                ended: false,
                fed: false,
            };
        }
        let fed = match &mut self.message {
            InMessage::Compressed { fed, .. } => {
                *fed |= h.payload_len > 0;
                *fed
            }
            _ => false,
        };
        self.state = ReadState::Inflate(InflateFrame {
            remaining: h.payload_len,
            fin: h.fin(),
            mask: h.mask,
            offset: 0,
            clear: 0,
            tail: if h.fin() && fed { TAIL.len() } else { 0 },
            full: false,
        });
    }

    fn inflate_step(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let ReadState::Inflate(f) = &mut self.state else {
            return false;
        };
        let InMessage::Compressed {
            opcode,
            emitted,
            ended,
            ..
        } = &mut self.message
        else {
            return false;
        };
        let available = ((self.end - self.start) as u64).min(f.remaining) as usize;
        if let Some(key) = f.mask {
            if available > f.clear {
                let from = self.start + f.clear;
                apply_mask(
                    &mut self.input[from..self.start + available],
                    key,
                    f.offset + f.clear as u64,
                );
                f.clear = available;
            }
        }
        if *ended {
            // Past the end of the sender's stream: skip the rest of the message.
            self.start += available;
            f.remaining -= available as u64;
            f.clear = 0;
            f.tail = 0;
        }
        let input: &[u8] = if f.remaining > 0 {
            &self.input[self.start..self.start + available]
        } else {
            &TAIL[TAIL.len() - f.tail..]
        };
        if input.is_empty() && f.remaining > 0 && !f.full {
            return false;
        }

        let mask_len = if self.from_client { 4 } else { 0 };
        let direct = buf.remaining() >= MIN_DIRECT_ROOM;
        let dst: &mut [u8] = if direct {
            buf.initialize_unfilled()
        } else {
            self.staged.scratch(STAGE_SIZE)
        };
        let max_payload = (dst.len() - 4 - mask_len)
            .min(MAX_FRAGMENT)
            .min(self.frame_limit);
        let reserve = header_len(max_payload as u64, false) + mask_len;
        let (consumed, produced, stream_end) = if *ended {
            (0, 0, false)
        } else {
            match self
                .inflater
                .inflate(input, &mut dst[reserve..reserve + max_payload])
            {
                Ok(r) => (r.consumed, r.produced, r.stream_end),
                Err(e) => {
                    if !direct {
                        self.staged.clear();
                    }
                    self.fail(
                        buf,
                        format!("the server sent a compressed message that does not inflate: {e}"),
                    );
                    return true;
                }
            }
        };
        if f.remaining > 0 {
            self.start += consumed;
            f.remaining -= consumed as u64;
            f.offset += consumed as u64;
            f.clear = f.clear.saturating_sub(consumed);
        } else {
            f.tail -= consumed;
        }
        if stream_end {
            *ended = true;
        }
        let drained = produced < max_payload;
        f.full = !drained;
        let frame_done = f.remaining == 0 && (f.tail == 0 || *ended) && drained;
        let fin = frame_done && f.fin;
        let emit_frame = produced > 0 || (frame_done && (fin || !*emitted));
        let mut written = 0;
        if emit_frame {
            let first = (if fin { FIN } else { 0 })
                | if *emitted {
                    OPCODE_CONTINUATION
                } else {
                    *opcode
                };
            let len = header_len(produced as u64, false) + mask_len;
            if len < reserve {
                dst.copy_within(reserve..reserve + produced, len);
            }
            write_header(
                dst,
                first,
                produced as u64,
                self.from_client.then_some([0; 4]),
            );
            *emitted = true;
            written = len + produced;
        }
        if direct {
            buf.advance(written);
        } else {
            self.staged.keep(written);
        }
        if frame_done {
            if fin {
                self.inflater.end_message(*ended);
                self.message = InMessage::None;
            }
            self.state = ReadState::Header;
        }
        consumed > 0 || emit_frame || frame_done
    }

    /// Hands tungstenite a frame it refuses (RSV1 on an empty frame: a protocol error, 1002),
    /// keeping the real reason for the session to report.
    fn fail(&mut self, buf: &mut ReadBuf<'_>, reason: String) {
        let mut header = [0u8; MAX_HEADER];
        let n = write_header(
            &mut header,
            FIN | RSV1 | OPCODE_BINARY,
            0,
            self.from_client.then_some([0; 4]),
        );
        self.staged.emit(buf, &header[..n]);
        self.failure = Some(reason);
        self.state = ReadState::Failed;
    }
}

// --- writing ------------------------------------------------------------------------------

enum WriteState {
    Header,
    Pass {
        remaining: u64,
    },
    Compress {
        remaining: u64,
        fin: bool,
        mask: Option<[u8; 4]>,
        offset: u64,
    },
}

struct Writer {
    /// `None`: messages go out uncompressed.
    deflater: Option<Deflater>,
    /// We are the client: tungstenite's frames are masked and ours must be.
    mask_output: bool,
    /// A frame header split across writes.
    header: [u8; MAX_HEADER],
    header_len: usize,
    state: WriteState,
    /// The opcode of the message being compressed (it may span several frames).
    compressing: Option<u8>,
    /// Bytes for the socket: `out[out_pos..]` is not yet written.
    out: Vec<u8>,
    out_pos: usize,
    /// The compressed message being built, `MAX_HEADER` bytes reserved in front.
    message: Vec<u8>,
    scratch: Vec<u8>,
}

impl Writer {
    fn pending(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Writes pending output to the socket.
    fn drain<S: AsyncWrite + Unpin>(
        &mut self,
        inner: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut *inner).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.out.clear();
        self.out_pos = 0;
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::new();
        }
        Poll::Ready(Ok(()))
    }

    fn poll_write<S: AsyncWrite + Unpin>(
        &mut self,
        inner: &mut S,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if let Poll::Ready(Err(e)) = self.drain(inner, cx) {
            return Poll::Ready(Err(e));
        }
        if self.pending() > WRITE_HIGH_WATER {
            return Poll::Pending; // the socket's waker is registered by the drain above
        }
        let mut used = 0;
        while used < buf.len() {
            used += self.take(&buf[used..])?;
            if used > 0 && self.pending() > WRITE_HIGH_WATER {
                break;
            }
        }
        // Start sending now; what the socket does not take goes on the next write or flush.
        if let Poll::Ready(Err(e)) = self.drain(inner, cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(used))
    }

    /// Consumes bytes of tungstenite's output; returns how many.
    fn take(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.state {
            WriteState::Header => {
                let (header, used) = if self.header_len == 0 {
                    match Header::parse(buf) {
                        Some(h) => (h, h.len),
                        None => {
                            let n = buf.len().min(MAX_HEADER);
                            self.header[..n].copy_from_slice(&buf[..n]);
                            self.header_len = n;
                            return Ok(n);
                        }
                    }
                } else {
                    let had = self.header_len;
                    let n = buf.len().min(MAX_HEADER - had);
                    self.header[had..had + n].copy_from_slice(&buf[..n]);
                    match Header::parse(&self.header[..had + n]) {
                        Some(h) => {
                            self.header_len = 0;
                            (h, h.len - had)
                        }
                        None => {
                            self.header_len = had + n;
                            return Ok(n);
                        }
                    }
                };
                self.begin_frame(header, &buf[..used])?;
                Ok(used)
            }
            WriteState::Pass { remaining } => {
                let n = (*remaining).min(buf.len() as u64) as usize;
                self.out.extend_from_slice(&buf[..n]);
                *remaining -= n as u64;
                if *remaining == 0 {
                    self.state = WriteState::Header;
                }
                Ok(n)
            }
            WriteState::Compress {
                remaining,
                fin,
                mask,
                offset,
            } => {
                let n = (*remaining).min(buf.len() as u64).min(UNMASK_CHUNK as u64) as usize;
                let deflater = self
                    .deflater
                    .as_mut()
                    .expect("compressing needs a deflater");
                match mask {
                    Some(key) => {
                        self.scratch.clear();
                        self.scratch.extend_from_slice(&buf[..n]);
                        apply_mask(&mut self.scratch, *key, *offset);
                        deflater.compress(&self.scratch, &mut self.message)?;
                    }
                    None => deflater.compress(&buf[..n], &mut self.message)?,
                }
                *remaining -= n as u64;
                *offset += n as u64;
                if *remaining == 0 {
                    let fin = *fin;
                    self.state = WriteState::Header;
                    if fin {
                        self.finish_message()?;
                    }
                }
                Ok(n)
            }
        }
    }

    /// `tail` is the end of the header that this write delivered (the part before it, if the
    /// header was split, is in `self.header`).
    fn begin_frame(&mut self, h: Header, tail: &[u8]) -> io::Result<()> {
        let compress = self.deflater.is_some()
            && !h.is_control()
            && h.first & 0x70 == 0
            && matches!(
                (self.compressing, h.opcode()),
                (None, OPCODE_TEXT | OPCODE_BINARY) | (Some(_), OPCODE_CONTINUATION)
            );
        if !compress {
            let split = h.len - tail.len();
            self.out.extend_from_slice(&self.header[..split]);
            self.out.extend_from_slice(tail);
            self.state = WriteState::Pass {
                remaining: h.payload_len,
            };
            return Ok(());
        }
        if h.opcode() != OPCODE_CONTINUATION {
            self.compressing = Some(h.opcode());
            self.message.clear();
            self.message.resize(MAX_HEADER, 0);
        }
        self.state = WriteState::Compress {
            remaining: h.payload_len,
            fin: h.fin(),
            mask: h.mask,
            offset: 0,
        };
        if h.payload_len == 0 && h.fin() {
            // An empty final frame: nothing more will come for it.
            self.state = WriteState::Header;
            self.finish_message()?;
        }
        Ok(())
    }

    /// Frames the compressed message: one frame, FIN and RSV1, masked with a fresh key when
    /// we are the client.
    fn finish_message(&mut self) -> io::Result<()> {
        let opcode = self.compressing.take().unwrap_or(OPCODE_BINARY);
        let deflater = self
            .deflater
            .as_mut()
            .expect("compressing needs a deflater");
        deflater.finish_message(&mut self.message)?;
        let payload_len = (self.message.len() - MAX_HEADER) as u64;
        let key = self.mask_output.then(rand::random::<[u8; 4]>);
        if let Some(key) = key {
            apply_mask(&mut self.message[MAX_HEADER..], key, 0);
        }
        let at = MAX_HEADER - header_len(payload_len, key.is_some());
        write_header(
            &mut self.message[at..MAX_HEADER],
            FIN | RSV1 | opcode,
            payload_len,
            key,
        );
        if self.out_pos == self.out.len() {
            self.out.clear();
            std::mem::swap(&mut self.out, &mut self.message);
            self.out_pos = at;
        } else {
            self.out.extend_from_slice(&self.message[at..]);
        }
        self.message.clear();
        if self.message.capacity() > KEEP_CAPACITY {
            self.message = Vec::new();
        }
        if self.scratch.capacity() > KEEP_CAPACITY {
            self.scratch = Vec::new();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::Role as WsRole;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    fn config(role: Role) -> Config {
        Config {
            role,
            negotiated: Negotiated {
                server_max_window_bits: 15,
                client_max_window_bits: 15,
                server_no_context_takeover: false,
                client_no_context_takeover: false,
            },
            frame_limit: 64 << 20,
            read_buffer_size: 4096,
            level: 6,
        }
    }

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut d = Deflater::new(15, false, 6);
        let mut out = Vec::new();
        d.compress(data, &mut out).unwrap();
        d.finish_message(&mut out).unwrap();
        out
    }

    /// A client layer reading what a raw peer writes, and writing what the peer reads.
    async fn client_pair() -> (
        WebSocketStream<DeflateStream<tokio::io::DuplexStream>>,
        tokio::io::DuplexStream,
    ) {
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let mut layer = DeflateStream::new(ours);
        layer.start(Some(config(Role::Client)));
        let ws = WebSocketStream::from_raw_socket(layer, WsRole::Client, None).await;
        (ws, theirs)
    }

    #[tokio::test]
    async fn inflates_a_single_frame_and_a_fragmented_message() {
        let (mut ws, mut peer) = client_pair().await;
        let text = "hello hello hello compressed world ".repeat(200);
        let c = compress(text.as_bytes());
        let mut frame = vec![FIN | RSV1 | OPCODE_TEXT, 126];
        frame.extend_from_slice(&(c.len() as u16).to_be_bytes());
        frame.extend_from_slice(&c);
        peer.write_all(&frame).await.unwrap();
        let m = ws.next().await.unwrap().unwrap();
        assert_eq!(m.into_text().unwrap().as_str(), text);

        let c = compress(text.as_bytes());
        let (a, b) = c.split_at(c.len() / 2);
        let mut frames = vec![RSV1 | OPCODE_BINARY, a.len() as u8];
        assert!(a.len() < 126);
        frames.extend_from_slice(a);
        frames.extend_from_slice(&[FIN | 0x9, 0]); // a ping in between
        frames.extend_from_slice(&[FIN, b.len() as u8]);
        frames.extend_from_slice(b);
        peer.write_all(&frames).await.unwrap();
        assert!(matches!(
            ws.next().await.unwrap().unwrap(),
            Message::Ping(_)
        ));
        let m = ws.next().await.unwrap().unwrap();
        assert_eq!(m.into_data(), text.as_bytes());
    }

    #[tokio::test]
    async fn deflates_what_tungstenite_writes() {
        let (mut ws, mut peer) = client_pair().await;
        let text = "a message that repeats, a message that repeats. ".repeat(100);
        ws.send(Message::text(text.clone())).await.unwrap();
        let mut head = [0u8; 2];
        peer.read_exact(&mut head).await.unwrap();
        assert_eq!(head[0], FIN | RSV1 | OPCODE_TEXT);
        assert_eq!(head[1] & 0x80, 0x80, "a client masks");
        let len = (head[1] & 0x7F) as usize;
        assert!(len < 126, "compressed to {len}");
        let mut key = [0u8; 4];
        peer.read_exact(&mut key).await.unwrap();
        let mut payload = vec![0u8; len];
        peer.read_exact(&mut payload).await.unwrap();
        apply_mask(&mut payload, key, 0);
        payload.extend_from_slice(&TAIL);
        let mut inflater = Inflater::new(15, false);
        let mut out = vec![0u8; 10_000];
        let r = inflater.inflate(&payload, &mut out).unwrap();
        assert_eq!(&out[..r.produced], text.as_bytes());
    }
}

#[cfg(test)]
mod pair_tests {
    use super::tests_support::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    #[tokio::test]
    async fn client_and_server_layers_talk() {
        let (mut client, mut server) = pair().await;
        let text = "x".repeat(100_000) + &"some text ".repeat(1000);
        for m in [
            Message::text(text.clone()),
            Message::binary(text.clone().into_bytes()),
            Message::text(""),
            Message::text(""),
            Message::text("short"),
        ] {
            client.send(m.clone()).await.unwrap();
            let got = server.next().await.unwrap();
            let got = got.unwrap_or_else(|e| panic!("{e}: {:?}", server.get_ref().failure()));
            assert_eq!(got, m);
            server.send(got).await.unwrap();
            let back = client.next().await.unwrap().unwrap();
            assert_eq!(back, m);
        }
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::Role as WsRole;
    use tokio_tungstenite::WebSocketStream;

    pub type Ws = WebSocketStream<DeflateStream<tokio::io::DuplexStream>>;

    pub async fn pair() -> (Ws, Ws) {
        let (a, b) = tokio::io::duplex(1 << 16);
        let negotiated = Negotiated {
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
        };
        let mut layers = [DeflateStream::new(a), DeflateStream::new(b)];
        for (layer, role) in layers.iter_mut().zip([Role::Client, Role::Server]) {
            layer.start(Some(Config {
                role,
                negotiated,
                frame_limit: 64 << 20,
                read_buffer_size: 4096,
                level: 6,
            }));
        }
        let [a, b] = layers;
        (
            WebSocketStream::from_raw_socket(a, WsRole::Client, None).await,
            WebSocketStream::from_raw_socket(b, WsRole::Server, None).await,
        )
    }
}

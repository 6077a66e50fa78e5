//! The stream layer right under tungstenite: large socket reads, and large messages read past
//! tungstenite into buffers of their own size.
//!
//! tungstenite reads at most its `read_buffer_size` per call, into a buffer it zero-fills, keeps
//! for the life of the connection and grows to the largest frame it ever received. A small
//! buffer keeps idle connections cheap but turns a 16 MiB message into thousands of socket
//! reads; a large one costs every idle connection its size. This layer gives both:
//! - it reads from the socket in reads of up to `max_read` bytes (the `readBufferSize` option)
//!   into a buffer of its own, allocated when data arrives and freed as soon as the socket has
//!   nothing more (an idle connection holds none), and serves tungstenite's small reads from it;
//! - a text or binary message whose first frame is larger than tungstenite's buffer is read
//!   here, straight from the socket into one buffer of the message's size, and tungstenite gets
//!   a *skeleton* in its place: one empty frame with the same opcode and FIN. The session takes
//!   the payload with [`BulkStream::take_message`] when tungstenite returns that message.
//!   The buffers of the last two such messages are kept and reused once the consumer let go of
//!   them (so does tungstenite with its own buffer): a new buffer for every message would leave
//!   a freed one behind in each allocator arena the runtime's threads use, doubling the memory a
//!   stream of large messages takes. [`BulkStream::release_spares`] lets them go (the session
//!   calls it when the connection was idle for a ping interval).
//!
//! Why the skeleton's message is the one tungstenite returns next: tungstenite reads only when
//! the frames it holds are incomplete; a message is taken here only at a frame boundary and only
//! when nothing else is in the caller's buffer, so tungstenite holds no data frame then, and
//! while the message is read here only control frames pass (a ping between two fragments).
//!
//! Everything else passes verbatim, so tungstenite still judges every frame. A violation inside
//! a message read here is handed on as it came, after an unfinished skeleton (tungstenite then
//! sees a fragmented message and reports what it would have reported); a message over the size
//! limit becomes a frame header tungstenite refuses as too long (1009), invalid UTF-8 a text
//! frame tungstenite refuses as such (1007).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

use crate::deflate::frame::{
    write_header, Header, FIN, MAX_HEADER, OPCODE_BINARY, OPCODE_CONTINUATION, OPCODE_TEXT,
};
use crate::payload_alloc::{self, ExternalBuffer};
use crate::staged::Staged;

/// Buffers of recent large messages kept for reuse: one the consumer holds, one being read.
const SPARES: usize = 2;

/// How the layer reads, set once the opening handshake is done.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest socket read.
    pub max_read: usize,
    /// tungstenite's read buffer size: messages whose first frame is larger are read here.
    pub threshold: usize,
    /// The largest frame payload accepted.
    pub frame_limit: usize,
    /// The largest message accepted.
    pub message_limit: usize,
}

/// A message read past tungstenite, for the session to put in place of the skeleton.
#[derive(Debug)]
pub struct Taken {
    pub text: bool,
    pub data: Bytes,
    /// The owner token when `data` is in a buffer of the registered payload allocator, else 0.
    pub owner: usize,
}

/// Where a message read here goes: a buffer of the library's own, or, for a binary message in
/// one frame when the embedding program registered an allocator, one of its buffers
/// (payload_alloc.rs), read into without a copy on either side.
enum Payload {
    Own(BytesMut),
    External(ExternalBuffer),
}

impl Payload {
    fn len(&self) -> usize {
        match self {
            Payload::Own(b) => b.len(),
            Payload::External(b) => b.len(),
        }
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        match self {
            Payload::Own(b) => b.extend_from_slice(bytes),
            Payload::External(b) => b.extend_from_slice(bytes),
        }
    }

    /// Room for a continuation frame (an external buffer holds a message of one frame only).
    fn reserve(&mut self, additional: usize) {
        if let Payload::Own(b) = self {
            b.reserve(additional);
        }
    }
}

pub struct BulkStream<S> {
    inner: S,
    /// `None` until [`BulkStream::start`]: the opening handshake passes untouched.
    reader: Option<Reader>,
}

impl<S> BulkStream<S> {
    pub fn new(inner: S) -> BulkStream<S> {
        BulkStream {
            inner,
            reader: None,
        }
    }

    /// Starts reading frames; the stream must be at the first byte after the HTTP head.
    pub fn start(&mut self, limits: Limits) {
        self.reader = Some(Reader::new(limits));
    }

    /// The message whose skeleton tungstenite just returned, if it was read here.
    pub fn take_message(&mut self) -> Option<Taken> {
        self.reader.as_mut()?.done.take()
    }

    /// Drops the buffers kept for reuse.
    pub fn release_spares(&mut self) {
        if let Some(reader) = &mut self.reader {
            reader.spares.clear();
        }
    }

    /// Why the layer failed the connection (a message over the size limit), if it did.
    pub fn failure(&self) -> Option<&str> {
        self.reader.as_ref()?.failure.as_deref()
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

/// What one step over the buffered bytes achieved.
enum Step {
    /// Something was done: go on.
    Again,
    /// Return what the caller's buffer holds before going on.
    Yield,
    /// More bytes are needed from the socket.
    Input,
}

enum State {
    /// Frames pass to tungstenite; `passing` bytes of the current one are still to go (0 at a
    /// frame boundary).
    Scan {
        passing: u64,
    },
    Collect(Collect),
}

/// A message being read here.
struct Collect {
    opcode: u8,
    data: Payload,
    /// Payload bytes of the current frame still to read.
    frame_left: u64,
    fin: bool,
    /// Bytes of a control frame between two fragments still to pass on.
    passing: u64,
}

struct Reader {
    limits: Limits,
    /// Bytes read from the socket: `ahead[start..]` is not yet handled.
    ahead: Vec<u8>,
    start: usize,
    state: State,
    /// tungstenite holds an unfinished fragmented message: a new data frame is its to judge.
    fragmented: bool,
    /// Bytes for tungstenite ahead of anything else (a skeleton, a refused frame).
    inject: Staged,
    done: Option<Taken>,
    /// The buffers of recent messages read here, reused once the consumer dropped them.
    spares: Vec<Bytes>,
    failure: Option<String>,
    /// A refused frame was handed on: nothing is read here any more.
    failed: bool,
    eof: bool,
}

fn clean(h: &Header) -> bool {
    h.first & 0x70 == 0 && h.mask.is_none()
}

impl Reader {
    fn new(limits: Limits) -> Reader {
        Reader {
            limits,
            ahead: Vec::new(),
            start: 0,
            state: State::Scan { passing: 0 },
            fragmented: false,
            inject: Staged::new(),
            done: None,
            spares: Vec::new(),
            failure: None,
            failed: false,
            eof: false,
        }
    }

    fn poll_read<S: AsyncRead + Unpin>(
        &mut self,
        inner: &mut S,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let start = buf.filled().len();
        loop {
            self.inject.drain_into(buf);
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            match self.step(buf, start) {
                Step::Again => continue,
                Step::Yield => return Poll::Ready(Ok(())),
                Step::Input => {}
            }
            if buf.filled().len() > start || self.eof {
                return Poll::Ready(Ok(()));
            }
            match self.fill(inner, cx) {
                Poll::Pending => {
                    if self.start == self.ahead.len() {
                        // The socket has nothing more: an idle connection keeps no buffer.
                        self.ahead = Vec::new();
                        self.start = 0;
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => self.end_of_stream(),
                Poll::Ready(Ok(_)) => {}
            }
        }
    }

    /// Reads from the socket: straight into the message being read when its frame's payload
    /// is next, else into the read-ahead buffer.
    fn fill<S: AsyncRead + Unpin>(
        &mut self,
        inner: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        if let State::Collect(c) = &mut self.state {
            if c.passing == 0 && c.frame_left > 0 && self.start == self.ahead.len() {
                let want = usize::try_from(c.frame_left).unwrap_or(usize::MAX);
                let n = std::task::ready!(match &mut c.data {
                    Payload::Own(b) => poll_read_buf(Pin::new(inner), cx, &mut b.limit(want)),
                    Payload::External(b) => poll_read_buf(Pin::new(inner), cx, &mut b.limit(want)),
                })?;
                c.frame_left -= n as u64;
                return Poll::Ready(Ok(n));
            }
        }
        // What is left here is at most a partial frame header.
        self.ahead.drain(..self.start);
        self.start = 0;
        if self.ahead.capacity() == 0 {
            self.ahead
                .reserve_exact(self.limits.max_read.max(2 * MAX_HEADER));
        }
        let room = self.ahead.capacity() - self.ahead.len();
        poll_read_buf(Pin::new(inner), cx, &mut (&mut self.ahead).limit(room))
    }

    /// The socket ended: a partial header goes to tungstenite as it is (tungstenite reports
    /// the truncated stream), a message read here is dropped unfinished, as tungstenite drops
    /// a partial frame.
    fn end_of_stream(&mut self) {
        self.eof = true;
        let left = (self.ahead.len() - self.start) as u64;
        self.state = State::Scan { passing: left };
    }

    /// Moves up to `passing` buffered bytes to tungstenite.
    fn pass(ahead: &[u8], start: &mut usize, passing: &mut u64, buf: &mut ReadBuf<'_>) -> Step {
        let available = ahead.len() - *start;
        if available == 0 {
            return Step::Input;
        }
        let n = (*passing).min(available as u64).min(buf.remaining() as u64) as usize;
        buf.put_slice(&ahead[*start..*start + n]);
        *start += n;
        *passing -= n as u64;
        Step::Again
    }

    fn step(&mut self, buf: &mut ReadBuf<'_>, start: usize) -> Step {
        match &mut self.state {
            State::Scan { passing } if *passing > 0 => {
                Self::pass(&self.ahead, &mut self.start, passing, buf)
            }
            State::Scan { .. } => {
                let Some(h) = Header::parse(&self.ahead[self.start..]) else {
                    return Step::Input;
                };
                if self.takes(&h) {
                    if buf.filled().len() > start {
                        return Step::Yield;
                    }
                    self.start += h.len;
                    // The payload length was checked against the limits (a usize).
                    let data = self.buffer_for(&h, h.payload_len as usize);
                    self.state = State::Collect(Collect {
                        opcode: h.opcode(),
                        data,
                        frame_left: h.payload_len,
                        fin: h.fin(),
                        passing: 0,
                    });
                } else {
                    match h.opcode() {
                        OPCODE_TEXT | OPCODE_BINARY => self.fragmented = !h.fin(),
                        OPCODE_CONTINUATION if h.fin() => self.fragmented = false,
                        _ => {}
                    }
                    self.state = State::Scan {
                        passing: (h.len as u64).saturating_add(h.payload_len),
                    };
                }
                Step::Again
            }
            State::Collect(c) => {
                if c.passing > 0 {
                    return Self::pass(&self.ahead, &mut self.start, &mut c.passing, buf);
                }
                if c.frame_left > 0 {
                    let available = self.ahead.len() - self.start;
                    if available == 0 {
                        return Step::Input;
                    }
                    let n = c.frame_left.min(available as u64) as usize;
                    c.data
                        .extend_from_slice(&self.ahead[self.start..self.start + n]);
                    self.start += n;
                    c.frame_left -= n as u64;
                    return Step::Again;
                }
                if c.fin {
                    self.complete();
                    return Step::Again;
                }
                let Some(h) = Header::parse(&self.ahead[self.start..]) else {
                    return Step::Input;
                };
                if h.is_control() {
                    // A ping between fragments: tungstenite answers it now, as it would.
                    c.passing = (h.len as u64).saturating_add(h.payload_len);
                } else if h.opcode() != OPCODE_CONTINUATION
                    || !clean(&h)
                    || h.payload_len > self.limits.frame_limit as u64
                {
                    self.hand_back();
                } else {
                    let total = c.data.len() as u64 + h.payload_len;
                    if total > self.limits.message_limit as u64 {
                        self.refuse_size(total);
                    } else {
                        self.start += h.len;
                        c.frame_left = h.payload_len;
                        c.fin = h.fin();
                        c.data.reserve(h.payload_len as usize);
                    }
                }
                Step::Again
            }
        }
    }

    /// Whether the message starting with this frame is read here.
    fn takes(&self, h: &Header) -> bool {
        !self.failed
            && !self.fragmented
            && matches!(h.opcode(), OPCODE_TEXT | OPCODE_BINARY)
            && clean(h)
            && h.payload_len > self.limits.threshold as u64
            && h.payload_len <= self.limits.frame_limit as u64
            && h.payload_len <= self.limits.message_limit as u64
    }

    /// An empty buffer for the message starting with `h`, of `size` bytes: the embedding
    /// program's for a binary message in one frame, when it gives one; else a spare the consumer
    /// let go of when one fits (no more than twice the size, so one huge message does not stay),
    /// else a new one.
    fn buffer_for(&mut self, h: &Header, size: usize) -> Payload {
        if h.opcode() == OPCODE_BINARY && h.fin() {
            if let Some(external) = payload_alloc::allocate(size) {
                return Payload::External(external);
            }
        }
        Payload::Own(self.own_buffer_for(size))
    }

    fn own_buffer_for(&mut self, size: usize) -> BytesMut {
        let mut found = None;
        self.spares.retain_mut(|spare| {
            if found.is_some() || !spare.is_unique() {
                return true;
            }
            let data = std::mem::take(spare);
            if let Ok(mut buffer) = data.try_into_mut() {
                if buffer.capacity() >= size && buffer.capacity() / 2 <= size {
                    buffer.clear();
                    found = Some(buffer);
                }
            }
            false
        });
        found.unwrap_or_else(|| BytesMut::with_capacity(size))
    }

    /// Queues a frame header for tungstenite, after anything it has not yet been given.
    fn inject_header(&mut self, first: u8, payload_len: u64) {
        let mut header = [0u8; MAX_HEADER];
        let n = write_header(&mut header, first, payload_len, None);
        self.inject.push(&header[..n]);
    }

    /// The whole message is here: the skeleton goes to tungstenite, the payload to `done`.
    fn complete(&mut self) {
        let State::Collect(c) = std::mem::replace(&mut self.state, State::Scan { passing: 0 })
        else {
            return;
        };
        let text = c.opcode == OPCODE_TEXT;
        let invalid = match &c.data {
            Payload::Own(b) => text && std::str::from_utf8(b).is_err(),
            Payload::External(_) => false, // binary only
        };
        if invalid {
            // One invalid byte: tungstenite refuses it as invalid UTF-8 (1007).
            self.inject_header(FIN | OPCODE_TEXT, 1);
            self.inject.push(&[0xFF]);
            self.failed = true;
            return;
        }
        debug_assert!(self.done.is_none(), "a message read here was not taken");
        let (data, owner) = match c.data {
            Payload::Own(b) => {
                let data = b.freeze();
                if self.spares.len() == SPARES {
                    self.spares.remove(0);
                }
                self.spares.push(data.clone());
                (data, 0)
            }
            // The consumer owns it from now on: never reused here.
            Payload::External(b) => {
                let owner = b.owner();
                (b.freeze(), owner)
            }
        };
        self.done = Some(Taken { text, data, owner });
        self.inject_header(FIN | c.opcode, 0);
    }

    /// Something tungstenite must judge came inside a message read here: it gets the message's
    /// unfinished skeleton, then that frame as it came.
    fn hand_back(&mut self) {
        let State::Collect(c) = std::mem::replace(&mut self.state, State::Scan { passing: 0 })
        else {
            return;
        };
        self.inject_header(c.opcode, 0);
        self.fragmented = true;
        self.failed = true;
    }

    /// The message grew past the size limit: tungstenite gets a frame header it refuses as too
    /// long (1009); the real sizes are kept for the session's message.
    fn refuse_size(&mut self, total: u64) {
        let State::Collect(c) = std::mem::replace(&mut self.state, State::Scan { passing: 0 })
        else {
            return;
        };
        self.failure = Some(format!(
            "an incoming message of at least {total} bytes exceeds the limit of {} bytes",
            self.limits.message_limit
        ));
        self.inject_header(c.opcode, 0);
        let refused = total.max(self.limits.frame_limit as u64 + 1);
        self.inject_header(OPCODE_CONTINUATION, refused);
        self.failed = true;
        // Nothing more is passed: tungstenite stops at that header.
        self.ahead = Vec::new();
        self.start = 0;
        self.eof = true;
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for BulkStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.reader {
            Some(reader) => reader.poll_read(&mut this.inner, cx, buf),
            None => Pin::new(&mut this.inner).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for BulkStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use proptest::prelude::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
    use tokio_tungstenite::tungstenite::{Error as WsError, Message};
    use tokio_tungstenite::WebSocketStream;

    const SMALL: usize = 1024;

    fn limits() -> Limits {
        Limits {
            max_read: 64 << 10,
            threshold: SMALL,
            frame_limit: 8 << 20,
            message_limit: 8 << 20,
        }
    }

    fn config(l: &Limits) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(l.threshold)
            .max_frame_size(Some(l.frame_limit))
            .max_message_size(Some(l.message_limit))
    }

    /// A socket that counts the reads that brought data.
    struct Counted {
        inner: DuplexStream,
        reads: usize,
    }

    impl AsyncRead for Counted {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let before = buf.filled().len();
            let r = Pin::new(&mut this.inner).poll_read(cx, buf);
            if buf.filled().len() > before {
                this.reads += 1;
            }
            r
        }
    }

    impl AsyncWrite for Counted {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_flush(cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }
    }

    type Ws = WebSocketStream<BulkStream<Counted>>;

    async fn client(l: Limits, pipe: usize) -> (Ws, DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(pipe);
        let mut layer = BulkStream::new(Counted {
            inner: ours,
            reads: 0,
        });
        layer.start(l);
        let ws = WebSocketStream::from_raw_socket(layer, Role::Client, Some(config(&l))).await;
        (ws, theirs)
    }

    /// What the session does: the payload read here replaces the skeleton.
    async fn next(ws: &mut Ws) -> Option<Result<Message, WsError>> {
        let m = ws.next().await?;
        Some(m.map(|m| match m {
            Message::Text(_) | Message::Binary(_) => match ws.get_mut().take_message() {
                Some(Taken {
                    text: true, data, ..
                }) => Message::Text(data.try_into().unwrap()),
                Some(Taken {
                    text: false, data, ..
                }) => Message::Binary(data),
                None => m,
            },
            other => other,
        }))
    }

    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MAX_HEADER];
        let n = write_header(&mut out, first, payload.len() as u64, None);
        out.truncate(n);
        out.extend_from_slice(payload);
        out
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    /// One message as the server sends it: its frames, maybe with a ping between two of them.
    #[derive(Debug, Clone)]
    struct Sent {
        text: bool,
        payload: Vec<u8>,
        cuts: Vec<usize>,
        ping_after: Option<usize>,
    }

    fn wire(messages: &[Sent]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in messages {
            let mut bounds: Vec<usize> = m.cuts.iter().map(|c| c % (m.payload.len() + 1)).collect();
            bounds.sort_unstable();
            bounds.dedup();
            bounds.retain(|&b| b > 0 && b < m.payload.len());
            let mut from = 0;
            let count = bounds.len() + 1;
            for (i, to) in bounds.into_iter().chain([m.payload.len()]).enumerate() {
                let opcode = match (i, m.text) {
                    (0, true) => OPCODE_TEXT,
                    (0, false) => OPCODE_BINARY,
                    _ => OPCODE_CONTINUATION,
                };
                let fin = if i + 1 == count { FIN } else { 0 };
                out.extend(frame(opcode | fin, &m.payload[from..to]));
                if m.ping_after == Some(i) && i + 1 < count {
                    out.extend(frame(FIN | 0x9, b"between"));
                }
                from = to;
            }
        }
        out
    }

    fn expected(m: &Sent) -> Message {
        if m.text {
            Message::text(String::from_utf8(m.payload.clone()).unwrap())
        } else {
            Message::binary(m.payload.clone())
        }
    }

    /// Sends `bytes` in chunks of the given sizes (cycled), then closes.
    async fn send_in_chunks(mut peer: DuplexStream, bytes: Vec<u8>, chunks: Vec<usize>) {
        let mut at = 0;
        let mut i = 0;
        while at < bytes.len() {
            let n = chunks[i % chunks.len()].clamp(1, bytes.len() - at);
            peer.write_all(&bytes[at..at + n]).await.unwrap();
            at += n;
            i += 1;
        }
        let mut sink = Vec::new();
        // Read (and drop) the pongs until the client closes its end.
        let _ = peer.read_to_end(&mut sink).await;
    }

    fn sent_strategy() -> impl Strategy<Value = Sent> {
        let size = prop_oneof![
            0usize..64,
            900usize..1200,
            1usize..5000,
            60_000usize..200_000
        ];
        (
            any::<bool>(),
            size,
            any::<u8>(),
            prop::collection::vec(any::<usize>(), 0..4),
            prop::option::of(0usize..3),
        )
            .prop_map(|(text, len, seed, cuts, ping_after)| Sent {
                text,
                // ASCII for text, so every cut keeps it valid UTF-8.
                payload: if text {
                    pattern(len, seed).iter().map(|b| b'a' + b % 26).collect()
                } else {
                    pattern(len, seed)
                },
                cuts,
                ping_after,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever the sizes, fragments, pings and socket chunks: the same messages in the
        /// same order as the server sent them.
        #[test]
        fn delivers_every_message_in_order(
            messages in prop::collection::vec(sent_strategy(), 1..12),
            chunks in prop::collection::vec(1usize..70_000, 1..6),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (mut ws, peer) = client(limits(), 1 << 16).await;
                let bytes = wire(&messages);
                let writer = tokio::spawn(send_in_chunks(peer, bytes, chunks));
                for m in &messages {
                    let mut got = next(&mut ws).await.unwrap().unwrap();
                    while matches!(got, Message::Ping(_)) {
                        got = next(&mut ws).await.unwrap().unwrap();
                    }
                    prop_assert_eq!(got, expected(m));
                }
                drop(ws);
                writer.await.unwrap();
                Ok(())
            })?;
        }
    }

    #[tokio::test]
    async fn reads_a_large_message_in_large_reads_and_keeps_no_buffer_when_idle() {
        let (mut ws, mut peer) = client(limits(), 4 << 20).await;
        let payload = pattern(6 << 20, 7);
        let bytes = frame(FIN | OPCODE_BINARY, &payload);
        let writer = tokio::spawn(async move {
            peer.write_all(&bytes).await.unwrap();
            peer.write_all(&frame(FIN | OPCODE_TEXT, b"after"))
                .await
                .unwrap();
            peer
        });
        let got = next(&mut ws).await.unwrap().unwrap();
        assert_eq!(got.into_data(), payload);
        assert_eq!(
            next(&mut ws).await.unwrap().unwrap(),
            Message::text("after")
        );
        let _peer = writer.await.unwrap();
        let reads = ws.get_ref().get_ref().reads;
        // tungstenite alone: 6 MiB in reads of 1 KiB, 6,144 of them.
        assert!(reads < 200, "{reads} socket reads for 6 MiB");
        // Nothing more to read: the next poll finds the socket empty and frees the buffer.
        let pending = futures_util::poll!(ws.next());
        assert!(pending.is_pending());
        let reader = ws.get_ref().reader.as_ref().unwrap();
        assert_eq!(
            reader.ahead.capacity(),
            0,
            "an idle connection keeps a read buffer"
        );
        assert!(reader.done.is_none());
    }

    #[tokio::test]
    async fn reuses_the_buffer_of_a_message_the_consumer_dropped() {
        let (mut ws, mut peer) = client(limits(), 1 << 20).await;
        let writer = tokio::spawn(async move {
            for seed in 0..4 {
                peer.write_all(&frame(FIN | OPCODE_BINARY, &pattern(300_000, seed)))
                    .await
                    .unwrap();
            }
            peer
        });
        let first = next(&mut ws).await.unwrap().unwrap().into_data();
        let at = first.as_ptr();
        drop(first);
        let second = next(&mut ws).await.unwrap().unwrap().into_data();
        assert_eq!(second.as_ptr(), at, "a dropped message's buffer is reused");
        assert_eq!(second, pattern(300_000, 1));
        // Held by the consumer: the next message gets a buffer of its own.
        let third = next(&mut ws).await.unwrap().unwrap().into_data();
        assert_ne!(third.as_ptr(), second.as_ptr());
        assert_eq!(third, pattern(300_000, 2));
        let _peer = writer.await.unwrap();
        drop((second, third));
        ws.get_mut().release_spares();
        assert!(ws.get_ref().reader.as_ref().unwrap().spares.is_empty());
    }

    #[tokio::test]
    async fn answers_a_ping_between_fragments_of_a_large_message() {
        let (mut ws, mut peer) = client(limits(), 1 << 20).await;
        let payload = pattern(100_000, 3);
        let mut bytes = frame(OPCODE_BINARY, &payload[..50_000]);
        bytes.extend(frame(FIN | 0x9, b"p"));
        bytes.extend(frame(FIN | OPCODE_CONTINUATION, &payload[50_000..]));
        peer.write_all(&bytes).await.unwrap();
        assert_eq!(
            next(&mut ws).await.unwrap().unwrap(),
            Message::Ping("p".into())
        );
        assert_eq!(next(&mut ws).await.unwrap().unwrap().into_data(), payload);
        // tungstenite's pong goes out on the next write or flush.
        futures_util::SinkExt::flush(&mut ws).await.unwrap();
        let mut pong = [0u8; 7];
        peer.read_exact(&mut pong).await.unwrap();
        assert_eq!(pong[0], FIN | 0xA, "a pong");
    }

    async fn first_error(bytes: Vec<u8>, l: Limits) -> (WsError, Option<String>) {
        let (mut ws, mut peer) = client(l, 1 << 20).await;
        peer.write_all(&bytes).await.unwrap();
        loop {
            match next(&mut ws).await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => return (e, ws.get_ref().failure().map(str::to_string)),
                None => panic!("the stream ended without an error"),
            }
        }
    }

    #[tokio::test]
    async fn hands_violations_inside_a_large_message_to_tungstenite() {
        let big = pattern(5000, 1);
        // A new data frame before the message ended.
        let mut bytes = frame(OPCODE_BINARY, &big);
        bytes.extend(frame(FIN | OPCODE_TEXT, b"x"));
        let (e, _) = first_error(bytes, limits()).await;
        assert!(matches!(e, WsError::Protocol(_)), "{e}");
        // RSV bits on a continuation.
        let mut bytes = frame(OPCODE_BINARY, &big);
        bytes.extend(frame(FIN | 0x20, b"x"));
        let (e, _) = first_error(bytes, limits()).await;
        assert!(e.to_string().contains("Reserved bits"), "{e}");
        // A masked frame from the server is never taken here.
        let mut masked = vec![FIN | OPCODE_BINARY, 0x80 | 126, 0x13, 0x88, 1, 2, 3, 4];
        masked.extend_from_slice(&big);
        let (e, _) = first_error(masked, limits()).await;
        assert!(e.to_string().to_lowercase().contains("mask"), "{e}");
    }

    #[tokio::test]
    async fn refuses_invalid_utf8_and_oversize_messages_as_tungstenite_would() {
        let mut text = vec![b'a'; 5000];
        text[4000] = 0xC3; // a lead byte followed by ASCII
        let (e, _) = first_error(frame(FIN | OPCODE_TEXT, &text), limits()).await;
        assert!(matches!(e, WsError::Utf8(_)), "{e}");

        let l = Limits {
            message_limit: 12_000,
            frame_limit: 12_000,
            ..limits()
        };
        let big = pattern(8000, 2);
        let mut bytes = frame(OPCODE_BINARY, &big);
        bytes.extend(frame(FIN | OPCODE_CONTINUATION, &big));
        let (e, why) = first_error(bytes, l).await;
        assert!(matches!(e, WsError::Capacity(_)), "{e}");
        assert_eq!(
            why.as_deref(),
            Some("an incoming message of at least 16000 bytes exceeds the limit of 12000 bytes")
        );
        // One frame over the limit: tungstenite refuses it at its header, as without the layer.
        let (e, why) = first_error(frame(FIN | OPCODE_BINARY, &pattern(13_000, 0)), l).await;
        assert!(matches!(e, WsError::Capacity(_)), "{e}");
        assert_eq!(why, None);
    }

    #[tokio::test]
    async fn a_stream_that_ends_inside_a_large_message_ends_as_without_the_layer() {
        let (mut ws, mut peer) = client(limits(), 1 << 20).await;
        let bytes = frame(FIN | OPCODE_BINARY, &pattern(100_000, 9));
        peer.write_all(&bytes[..60_000]).await.unwrap();
        drop(peer);
        match next(&mut ws).await {
            Some(Err(WsError::Protocol(e))) => {
                assert!(e.to_string().contains("closing handshake"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}

//! A TCP stream that counts its reads, so keepalive sees a peer that is sending (for example
//! one huge frame, slowly) even before a whole message has arrived, and the bytes on the wire
//! both ways (what compression saves). While a traced connection opens TLS, it also shows the
//! bytes read to a ServerHello sniffer (see `tls_hello.rs`).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::stats::WireStats;
use crate::tls_hello::{ServerHello, Sniffer};

pub struct Metered {
    inner: TcpStream,
    reads: Arc<AtomicU64>,
    sniffer: Option<Box<Sniffer>>,
    wire: Arc<WireStats>,
}

impl Metered {
    pub fn new(inner: TcpStream, wire: Arc<WireStats>) -> (Metered, Arc<AtomicU64>) {
        let reads = Arc::new(AtomicU64::new(0));
        (
            Metered {
                inner,
                reads: Arc::clone(&reads),
                sniffer: None,
                wire,
            },
            reads,
        )
    }

    /// Reads the server's TLS ServerHello from now on; the result fills in as it arrives.
    pub fn sniff_tls_hello(&mut self) -> Arc<Mutex<ServerHello>> {
        let (sniffer, hello) = Sniffer::new();
        self.sniffer = Some(Box::new(sniffer));
        hello
    }
}

impl AsyncRead for Metered {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.wire.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
            let this = &mut *self;
            if let Some(sniffer) = &mut this.sniffer {
                if !sniffer.feed(&buf.filled()[before..]) {
                    this.sniffer = None;
                }
            }
        }
        result
    }
}

impl Metered {
    fn count_out(&self, result: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = result {
            self.wire.bytes_out.fetch_add(*n as u64, Ordering::Relaxed);
        }
    }
}

impl AsyncWrite for Metered {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count_out(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count_out(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

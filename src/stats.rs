//! Per-connection counters, updated lock-free on the hot path.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Stats {
    pub messages_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Successful reconnections (automatic or by reset).
    pub reconnects: AtomicU64,
    /// Bytes on the socket, counted by the metered stream.
    pub wire: Arc<WireStats>,
}

/// Bytes read from and written to the TCP socket: frames as sent (compressed or not), TLS
/// records and the HTTP handshake included.
#[derive(Debug, Default)]
pub struct WireStats {
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
}

impl Stats {
    /// Counts messages received (once per burst: two atomic adds per message cost as much as
    /// queueing it).
    pub fn count_in(&self, messages: u64, bytes: u64) {
        self.messages_in.fetch_add(messages, Relaxed);
        self.bytes_in.fetch_add(bytes, Relaxed);
    }

    pub fn count_out(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    pub fn count_reconnect(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}

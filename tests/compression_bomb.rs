//! A compression bomb: a message of about 2 MiB on the wire that would inflate to 2 GiB. The
//! limit counts inflated bytes, so the connection closes with 1009 and a MessageTooLarge error
//! event, and the process's peak memory stays near `maxMessageSize` plus buffers: nothing is
//! inflated ahead of what the message assembly takes. A binary of its own: it measures the
//! peak resident memory of the whole process.
mod common;

use std::time::Duration;

use common::frames::*;
use common::resources::*;
use common::*;
use flate2::{Compress, Compression, FlushCompress};
use pode_ws::error::PodeWsResult;

const LIMIT: Duration = Duration::from_secs(30);
const INFLATED_GIB: usize = 2;
const MAX_MESSAGE: u64 = 16 << 20;

/// Raw DEFLATE of `INFLATED_GIB` GiB of zeros, built from two compressed MiB: the first, then a
/// second that only refers back into a window of zeros, repeated (each ends byte-aligned with a
/// sync flush, so the copies chain).
fn bomb() -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut z = Compress::new(Compression::best(), false);
    let chunk = |z: &mut Compress| {
        let mut out = Vec::with_capacity(64 << 10);
        z.compress_vec(&zeros, &mut out, FlushCompress::Sync)
            .unwrap();
        out
    };
    let first = chunk(&mut z);
    let next = chunk(&mut z);
    let mut bomb = first;
    for _ in 1..(INFLATED_GIB << 10) {
        bomb.extend_from_slice(&next);
    }
    bomb.truncate(bomb.len() - 4); // the message's 00 00 FF FF tail
    bomb
}

#[test]
fn a_compression_bomb_closes_with_1009_and_memory_stays_bounded() {
    let payload = bomb();
    assert!(payload.len() < 3 << 20, "bomb of {} bytes", payload.len());
    let mut frame = encode(true, OP_BINARY, &payload);
    frame[0] |= 0x40;
    drop(payload);
    let server = raw_ws_server_answering(Some("permessage-deflate"), move |mut tcp| {
        let frame = frame.clone();
        async move {
            use tokio::io::AsyncWriteExt;
            // The client stops reading once the limit is hit: this write may never finish,
            // until the client drops the connection.
            let _ = tcp.write_all(&frame).await;
            let _ = read_until_close(&mut tcp).await;
        }
    });
    let name = unique("bomb");
    let events = events(&name);
    release_free_memory();
    assert!(reset_peak_rss(), "/proc/self/clear_refs is not writable");
    let baseline = rss();
    connect(
        &name,
        &server.url(),
        &format!(r#"{{"maxMessageSize": {MAX_MESSAGE}, "pingIntervalMs": 0}}"#),
    )
    .unwrap();
    events.expect(OPENED, LIMIT);
    let error = events.expect(ERROR, LIMIT);
    assert_eq!(
        error.code,
        PodeWsResult::MessageTooLarge as u32,
        "{}",
        error.text()
    );
    let closed = events.expect(CLOSED, LIMIT);
    assert_eq!(closed.code, 1009);
    let peak = peak_rss().saturating_sub(baseline);
    remove(&name).unwrap();
    eprintln!(
        "bomb: would inflate to {} GiB; peak growth {:.1} MiB with maxMessageSize {} MiB",
        INFLATED_GIB,
        peak as f64 / MIB as f64,
        MAX_MESSAGE / MIB
    );
    // The message being assembled (at most maxMessageSize; a growing Vec briefly holds its old
    // and new buffers), the socket and inflate buffers, and the test's own server.
    let bound = 2 * MAX_MESSAGE + 16 * MIB;
    assert!(
        peak < bound,
        "peak memory grew {:.1} MiB (bound {} MiB)",
        peak as f64 / MIB as f64,
        bound / MIB
    );
}

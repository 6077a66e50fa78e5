//! `pode_ws_set_payload_allocator`: large binary messages in one frame are read from the socket
//! straight into the program's own buffers (no copy on either side), every other message into
//! the library's; each buffer handed out is given back exactly once, after its event was released
//! or when its message was dropped unfinished. The allocator is process-wide: this binary
//! registers one for all its tests, and each test tells its buffers apart by message size.
mod common;

use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use common::frames::*;
use common::*;
use pode_ws::error::PodeWsResult;
use pode_ws::ffi::*;

const LIMIT: Duration = Duration::from_secs(20);
const MIN: usize = 1 << 20;
/// The allocator answers NULL for messages of this size.
const REFUSED_SIZE: usize = MIN + 7;

struct Grant {
    len: usize,
    ptr: usize,
    frees: u32,
}

static GRANTS: Mutex<Vec<Grant>> = Mutex::new(Vec::new());

unsafe extern "C" fn test_allocate(len: usize, owner: *mut usize) -> *mut u8 {
    if len == REFUSED_SIZE {
        return std::ptr::null_mut();
    }
    // Filled with a byte no test message holds, so a message not read into it shows.
    let ptr = Box::into_raw(vec![0xEEu8; len].into_boxed_slice()) as *mut u8;
    let mut grants = GRANTS.lock().unwrap();
    grants.push(Grant {
        len,
        ptr: ptr as usize,
        frees: 0,
    });
    unsafe { owner.write(grants.len()) };
    ptr
}

unsafe extern "C" fn test_free(owner: usize) {
    // The memory is kept (leaked) so that a late write by the library could not corrupt the
    // test process unseen; the count is what the tests check.
    GRANTS.lock().unwrap()[owner - 1].frees += 1;
}

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let rc = pode_ws_set_payload_allocator(Some(test_allocate), Some(test_free), MIN);
        assert_eq!(rc, PodeWsResult::Ok);
    });
}

/// (owner, pointer, frees) of every buffer handed out for messages of `len` bytes.
fn grants_of(len: usize) -> Vec<(usize, usize, u32)> {
    GRANTS
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, g)| g.len == len)
        .map(|(i, g)| (i + 1, g.ptr, g.frees))
        .collect()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// A message event of one connection, seen in the batch it came in.
struct Seen {
    kind: u32,
    data: Vec<u8>,
    data_ptr: usize,
    owner: usize,
}

/// Polls the (manualReceive) connection `name` until `count` messages were seen; after each
/// batch, `between` runs before the batch is released.
fn messages(
    poller: &TestPoller,
    name: &str,
    count: usize,
    mut between: impl FnMut(&[Seen]),
) -> Vec<Seen> {
    let deadline = Instant::now() + LIMIT;
    let mut all = Vec::new();
    while all.len() < count {
        assert!(
            Instant::now() < deadline,
            "only {} of {count} messages",
            all.len()
        );
        let (rc, events) = unsafe { poller.poll_connection_raw(name, 100) };
        assert_eq!(rc, PodeWsResult::Ok, "{}", last_error());
        let mut batch = Vec::new();
        for e in events {
            if e.kind != TEXT && e.kind != BINARY {
                continue;
            }
            batch.push(Seen {
                kind: e.kind,
                data: unsafe { copy_event(e) }.data,
                data_ptr: e.data as usize,
                owner: e.data_owner,
            });
        }
        between(&batch);
        unsafe { pode_ws_poller_release(poller.0) };
        all.extend(batch);
    }
    all
}

#[test]
fn large_binary_messages_are_read_into_the_programs_buffers_and_given_back_once() {
    register();
    let size = MIN + 1;
    let large = pattern(size, 1);
    let small = pattern(MIN - 1, 2);
    let text = "t".repeat(MIN + 3);
    let (large_c, small_c, text_c) = (large.clone(), small.clone(), text.clone());
    let server = raw_ws_server(move |mut tcp| {
        let (large, small, text) = (large_c.clone(), small_c.clone(), text_c.clone());
        async move {
            write_frame(&mut tcp, true, OP_BINARY, &large).await;
            write_frame(&mut tcp, true, OP_BINARY, &small).await;
            write_frame(&mut tcp, true, OP_TEXT, text.as_bytes()).await;
            // one binary message in two frames: its size is unknown at the first frame
            write_frame(&mut tcp, false, OP_BINARY, &pattern(MIN + 10, 5)).await;
            write_frame(&mut tcp, true, CONTINUATION, &[9]).await;
            read_until_close(&mut tcp).await;
        }
    });
    let name = unique("alloc");
    connect(&name, &server.url(), r#"{"manualReceive":true}"#).unwrap();
    let poller = TestPoller::new();
    let mut held_frees = None;
    let seen = messages(&poller, &name, 4, |batch| {
        if batch.iter().any(|m| m.owner != 0) && held_frees.is_none() {
            // the buffer is not given back while its event's batch is held
            held_frees = Some(grants_of(size).iter().map(|g| g.2).sum::<u32>());
        }
    });
    assert_eq!(
        held_frees,
        Some(0),
        "a buffer was given back while its event was held"
    );

    let grants = grants_of(size);
    assert_eq!(
        grants.len(),
        1,
        "one buffer for the one large binary message"
    );
    let (owner, ptr, _) = grants[0];
    assert_eq!(seen[0].kind, BINARY);
    assert_eq!(
        seen[0].owner, owner,
        "the event names the buffer's owner token"
    );
    assert_eq!(
        seen[0].data_ptr, ptr,
        "the event's data is the program's buffer"
    );
    assert!(seen[0].data == large, "the large message's bytes differ");
    wait_until(LIMIT, "the buffer given back", || grants_of(size)[0].2 == 1);

    assert_eq!(
        seen[1].owner, 0,
        "a message under min_len is in the library's memory"
    );
    assert!(seen[1].data == small);
    assert_eq!(seen[2].kind, TEXT);
    assert_eq!(
        seen[2].owner, 0,
        "text is never read into the program's buffers"
    );
    assert!(seen[2].data == text.as_bytes());
    assert_eq!(
        seen[3].owner, 0,
        "a message in several frames is in the library's memory"
    );
    let mut fragmented = pattern(MIN + 10, 5);
    fragmented.push(9);
    assert!(seen[3].data == fragmented);
    assert!(grants_of(MIN + 10).is_empty() && grants_of(MIN + 3).is_empty());

    remove(&name).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(grants_of(size)[0].2, 1, "given back more than once");
}

#[test]
fn a_message_dropped_unfinished_gives_its_buffer_back() {
    register();
    let size = MIN + 5;
    let server = raw_ws_server(move |mut tcp| async move {
        use tokio::io::AsyncWriteExt;
        let frame = encode(true, OP_BINARY, &pattern(size, 3));
        tcp.write_all(&frame[..frame.len() / 2]).await.unwrap();
        // the connection is lost in the middle of the message
    });
    let name = unique("alloc-lost");
    let events = events(&name);
    connect(&name, &server.url(), "").unwrap();
    events.expect(OPENED, LIMIT);
    events.expect(CLOSED, LIMIT);
    wait_until(LIMIT, "the unfinished message's buffer given back", || {
        grants_of(size).iter().map(|g| g.2).sum::<u32>() == 1
    });
    assert_eq!(grants_of(size).len(), 1);
    remove(&name).unwrap();
}

#[test]
fn a_refused_buffer_leaves_the_message_in_the_librarys_memory() {
    register();
    let message = pattern(REFUSED_SIZE, 4);
    let copy = message.clone();
    let server = raw_ws_server(move |mut tcp| {
        let message = copy.clone();
        async move {
            write_frame(&mut tcp, true, OP_BINARY, &message).await;
            read_until_close(&mut tcp).await;
        }
    });
    let name = unique("alloc-refused");
    connect(&name, &server.url(), r#"{"manualReceive":true}"#).unwrap();
    let poller = TestPoller::new();
    let seen = messages(&poller, &name, 1, |_| {});
    assert_eq!(seen[0].owner, 0);
    assert!(seen[0].data == message);
    remove(&name).unwrap();
}

#[test]
fn an_allocator_without_a_free_callback_is_refused() {
    let rc = pode_ws_set_payload_allocator(Some(test_allocate), None, MIN);
    assert_eq!(rc, PodeWsResult::NullPointer);
    assert!(last_error().contains("free"), "{}", last_error());
}

//! Buffers for large binary messages supplied by the program that embeds the library
//! (`pode_ws_set_payload_allocator`).
//!
//! A message the bulk layer reads past tungstenite (bulk.rs) normally goes into a buffer of the
//! library's own, which a managed consumer then copies into its own array: for a 16 MiB message
//! that copy into fresh memory cost the PowerShell module as long as reading it from the socket.
//! With an allocator registered, the socket is read straight into the consumer's memory, and
//! the event hands that memory's owner token on (`PodeWsEvent::data_owner`), so the consumer
//! takes it without a copy. Every buffer handed out is given back exactly once through the free
//! callback, when the library holds no more reference to it: after the event that carried it was
//! released, or when its message was dropped unfinished (limit, protocol error, lost connection).

use std::ptr::NonNull;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes};
use parking_lot::RwLock;

/// Returns a buffer of at least `len` writable bytes (or NULL: the library uses its own) and
/// writes its owner token to `owner`.
pub type AllocateFn = unsafe extern "C" fn(len: usize, owner: *mut usize) -> *mut u8;
/// Gives a buffer back: called once per buffer `AllocateFn` returned, with its token.
pub type FreeFn = unsafe extern "C" fn(owner: usize);

#[derive(Clone, Copy)]
struct Allocator {
    allocate: AllocateFn,
    free: FreeFn,
    min_len: usize,
}

static ALLOCATOR: RwLock<Option<Allocator>> = RwLock::new(None);

/// Registers the allocator; binary messages in one frame from `min_len` bytes use it.
pub fn set(allocate: AllocateFn, free: FreeFn, min_len: usize) {
    *ALLOCATOR.write() = Some(Allocator {
        allocate,
        free,
        min_len: min_len.max(1),
    });
}

/// Removes the allocator. Buffers already handed out are still given back to the free
/// callback they came with.
pub fn remove() {
    *ALLOCATOR.write() = None;
}

/// A buffer from the registered allocator for a message of `len` bytes, if one is registered,
/// the message is large enough and the allocator gave one.
pub fn allocate(len: usize) -> Option<ExternalBuffer> {
    let allocator = (*ALLOCATOR.read())?;
    if len < allocator.min_len {
        return None;
    }
    let mut owner = 0usize;
    // SAFETY: the callback's contract (pode_ws_set_payload_allocator): NULL or `len` writable
    // bytes that stay valid until the free callback is called with `owner`.
    let ptr = unsafe { (allocator.allocate)(len, &mut owner) };
    let ptr = NonNull::new(ptr)?;
    Some(ExternalBuffer {
        grant: Grant {
            ptr,
            capacity: len,
            owner,
            free: allocator.free,
        },
        len: 0,
    })
}

/// One buffer handed out by the allocator; given back when dropped.
struct Grant {
    ptr: NonNull<u8>,
    capacity: usize,
    owner: usize,
    free: FreeFn,
}

// SAFETY: the buffer is plain memory owned by the allocator until `free`; the library writes it
// from one thread at a time (the connection's task) and then only reads it.
unsafe impl Send for Grant {}
unsafe impl Sync for Grant {}

impl Drop for Grant {
    fn drop(&mut self) {
        // SAFETY: called once per buffer, with the token the allocator gave.
        unsafe { (self.free)(self.owner) }
    }
}

/// A buffer being filled with a message; [`ExternalBuffer::freeze`] makes it the message.
pub struct ExternalBuffer {
    grant: Grant,
    len: usize,
}

impl ExternalBuffer {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.grant.capacity
    }

    /// The owner token, for the event (`PodeWsEvent::data_owner`).
    pub fn owner(&self) -> usize {
        self.grant.owner
    }

    /// Appends bytes (no more than the capacity left).
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.capacity() - self.len,
            "payload buffer overrun"
        );
        // SAFETY: within the granted capacity, checked above; nothing else writes it.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.grant.ptr.as_ptr().add(self.len),
                bytes.len(),
            );
        }
        self.len += bytes.len();
    }

    /// The filled bytes as the message's payload; the buffer is given back when the last
    /// reference to them is dropped.
    pub fn freeze(self) -> Bytes {
        Bytes::from_owner(Filled {
            grant: self.grant,
            len: self.len,
        })
    }
}

// SAFETY: `chunk_mut` is the unwritten part of the granted capacity, `advance_mut` only counts
// bytes the caller wrote into it.
unsafe impl BufMut for ExternalBuffer {
    fn remaining_mut(&self) -> usize {
        self.capacity() - self.len
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        assert!(cnt <= self.remaining_mut(), "payload buffer overrun");
        self.len += cnt;
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        let left = self.remaining_mut();
        // SAFETY: `len..capacity` of the grant is writable and only this buffer writes it.
        unsafe { UninitSlice::from_raw_parts_mut(self.grant.ptr.as_ptr().add(self.len), left) }
    }
}

/// The frozen payload: what `Bytes` reads.
struct Filled {
    grant: Grant,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes were written before the freeze; no one writes them now.
        unsafe { std::slice::from_raw_parts(self.grant.ptr.as_ptr(), self.len) }
    }
}

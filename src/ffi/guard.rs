//! The boundary rules every export follows: panics become `PodeWsResult::Panic`, errors set the
//! calling thread's last-error message, and pointer arguments are checked before use.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, PodeWsResult, Result};

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn set_last_error(message: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(message);
    });
}

pub fn with_last_error<T>(f: impl FnOnce(&str) -> T) -> T {
    LAST_ERROR.with(|e| f(&e.borrow()))
}

/// Runs an export's body: clears the last error, catches panics, records the error message.
pub fn guard(body: impl FnOnce() -> Result<()>) -> PodeWsResult {
    set_last_error("");
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => PodeWsResult::Ok,
        Ok(Err(error)) => {
            set_last_error(&error.message);
            error.code
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            set_last_error(&format!(
                "internal error (a panic was caught, please report it): {detail}"
            ));
            PodeWsResult::Panic
        }
    }
}

/// Like [`guard`] for functions that cannot report a result: panics are swallowed.
pub fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

pub fn null(what: &str) -> Error {
    Error::new(PodeWsResult::NullPointer, format!("{what} is NULL"))
}

/// Borrows `len` bytes at `ptr`. NULL is allowed only with `len == 0`.
///
/// # Safety
/// `ptr` must point to `len` readable bytes that stay valid for the call.
pub unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(what));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Borrows a required UTF-8 string argument: NULL is an error even with `len == 0`.
///
/// # Safety
/// As [`bytes_arg`].
pub unsafe fn str_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(what));
    }
    utf8(bytes_arg(ptr, len, what)?, what)
}

/// Borrows an optional UTF-8 string argument: NULL with `len == 0` is `None`.
///
/// # Safety
/// As [`bytes_arg`].
pub unsafe fn optional_str_arg<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() && len == 0 {
        return Ok(None);
    }
    str_arg(ptr, len, what).map(Some)
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            PodeWsResult::InvalidUtf8,
            format!("{what} is not valid UTF-8 ({e})"),
        )
    })
}

/// Writes an out-parameter after checking it is not NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<()> {
    if out.is_null() {
        return Err(null(what));
    }
    out.write(value);
    Ok(())
}

/// Copies `text` into a caller buffer; `out_len` always receives the needed length.
///
/// # Safety
/// `buf` must be NULL or valid for `buf_len` bytes; `out_len` NULL or valid for a write.
pub unsafe fn copy_out(
    text: &str,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<()> {
    if !out_len.is_null() {
        out_len.write(text.len());
    }
    if text.len() > buf_len || (buf.is_null() && !text.is_empty()) {
        return Err(Error::new(
            PodeWsResult::BufferTooSmall,
            format!(
                "the buffer holds {buf_len} bytes but {} are needed",
                text.len()
            ),
        ));
    }
    if !text.is_empty() {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len());
    }
    Ok(())
}

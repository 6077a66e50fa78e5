//! The process-wide tokio runtime, started on first use.
//!
//! Two worker threads (named `pode-ws-worker`) serve every connection: the work per connection
//! is small and mostly waiting, and PowerShell's own dispatcher threads need the other cores.

use once_cell::sync::Lazy;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("pode-ws-worker")
        .enable_all()
        .build()
        .expect("the pode_ws tokio runtime could not start")
});

pub fn runtime() -> &'static Runtime {
    &RUNTIME
}

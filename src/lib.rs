//! `pode_ws`: a WebSocket client with a C ABI, the native core of the PodeWebSocket PowerShell
//! module.
//!
//! ```text
//!  caller (PowerShell, C) ── pode_ws_connect / send / reset / disconnect / remove / info
//!        ▲                              │
//!        │ pode_ws_poll (batches)       ▼
//!   hub: bounded queue per connection ◄── one tokio task per connection (task.rs, session.rs)
//! ```
//!
//! Layout: `ffi` is the C ABI and only translates; `api` is the safe API behind it; `registry`
//! holds connections by name; `connection` is the shared handle of one connection (`queue`
//! carries its sends and commands to its task); `task` runs
//! its life (connect, reconnect with backoff; `retry` says which failures are retried and how
//! long to wait, `reconnect_target` asks the caller where to reconnect); `history` keeps each
//! connection's recent lifecycle events; `connect` makes one connect attempt, hop by hop
//! (`redirect` decides which redirects to follow, `proxy_env` which proxy each hop uses);
//! `transport`, `proxy` and `tls` open one hop (over a `metered` TCP stream, whose TLS
//! ServerHello `tls_hello` reads for the trace; `x509` summarizes the certificate); `deflate`
//! adds permessage-deflate as a stream layer under tungstenite, `bulk` reads for tungstenite
//! (large socket reads, large messages past it; `staged` holds what both made for tungstenite's
//! next read); `trace` records each step for
//! `pode_ws_trace_read`; `session` moves the bytes of one open WebSocket; `hub` queues events
//! for pollers; `options` parses the JSON options; `error` maps failures to result codes.

pub mod api;
pub mod bulk;
pub mod connect;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod events;
pub mod ffi;
pub mod history;
pub mod hub;
pub mod metered;
pub mod options;
pub mod payload_alloc;
pub mod proxy;
pub mod proxy_env;
pub mod queue;
pub mod reconnect_target;
pub mod redirect;
pub mod registry;
pub mod retry;
pub mod runtime;
pub mod session;
pub mod staged;
pub mod stats;
pub mod task;
pub mod tls;
pub mod tls_hello;
pub mod trace;
pub mod transport;
pub mod x509;

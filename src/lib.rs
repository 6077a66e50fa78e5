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
//! holds connections by name; `connection` is the shared handle of one connection; `task` runs
//! its life (connect, reconnect with backoff); `session` moves the bytes of one open WebSocket;
//! `transport`, `proxy` and `tls` open it (over a `metered` TCP stream); `deflate` adds
//! permessage-deflate as a stream layer under tungstenite; `hub` queues events for pollers; `options` parses
//! the JSON options; `error` maps failures to result codes.

pub mod api;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod events;
pub mod ffi;
pub mod hub;
pub mod metered;
pub mod options;
pub mod proxy;
pub mod registry;
pub mod runtime;
pub mod session;
pub mod stats;
pub mod task;
pub mod tls;
pub mod transport;

//! permessage-deflate (RFC 7692) for tungstenite, which has none: the negotiation
//! (`negotiation`), raw DEFLATE with or without context takeover (`codec`), frame headers
//! (`frame`), and the stream layer between the socket and tungstenite that rewrites frames
//! (`stream`). Role-generic: the client core uses it, and so can a server (the example echo
//! server does).

pub mod codec;
pub mod frame;
pub mod negotiation;
pub mod stream;

pub use negotiation::Negotiated;
pub use stream::{Config, DeflateStream, Role};

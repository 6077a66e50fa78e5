//! Writing and reading raw WebSocket frames (RFC 6455 section 5.2) for servers that misbehave
//! on purpose or split messages their own way.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Encodes an unmasked (server-to-client) frame.
pub fn encode(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= u16::MAX as usize => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Encodes a frame a server must never send: `rsv` sets the reserved bits (0b100 = RSV1,
/// 0b010 = RSV2, 0b001 = RSV3) and `mask` masks the payload (only clients mask).
pub fn encode_odd(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = encode(fin, opcode, payload);
    out[0] |= (rsv & 0b111) << 4;
    if let Some(mask) = mask {
        out[1] |= 0x80;
        let start = out.len() - payload.len();
        for (i, b) in out[start..].iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        out.splice(start..start, mask);
    }
    out
}

pub async fn write_frame(tcp: &mut TcpStream, fin: bool, opcode: u8, payload: &[u8]) {
    tcp.write_all(&encode(fin, opcode, payload)).await.unwrap();
}

/// One frame read from a client, unmasked.
#[derive(Debug, Clone)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The close code of a close frame (1005 when it has none).
    pub fn close_code(&self) -> u16 {
        if self.payload.len() >= 2 {
            u16::from_be_bytes([self.payload[0], self.payload[1]])
        } else {
            1005
        }
    }
}

/// Reads one frame; `None` on EOF or error.
pub async fn read_frame(tcp: &mut TcpStream) -> Option<Frame> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.ok()?;
    let fin = head[0] & 0x80 != 0;
    let opcode = head[0] & 0x0F;
    let masked = head[1] & 0x80 != 0;
    let len = match head[1] & 0x7F {
        126 => {
            let mut b = [0u8; 2];
            tcp.read_exact(&mut b).await.ok()?;
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            tcp.read_exact(&mut b).await.ok()?;
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut mask = [0u8; 4];
    if masked {
        tcp.read_exact(&mut mask).await.ok()?;
    }
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.ok()?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
    }
    Some(Frame {
        fin,
        opcode,
        payload,
    })
}

/// Reads frames until a close frame, answering nothing; returns it (`None` on EOF first).
pub async fn read_until_close(tcp: &mut TcpStream) -> Option<Frame> {
    loop {
        let frame = read_frame(tcp).await?;
        if frame.opcode == OP_CLOSE {
            return Some(frame);
        }
    }
}

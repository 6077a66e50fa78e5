//! Real permessage-deflate peers as processes: python `websockets` and node `ws` servers
//! (tests/interop/), one server per compression setting, started once per test binary. Node's
//! `ws` is installed at test time with npm into target/interop-node (kept for later runs); a
//! machine where that cannot be done fails the tests with the reason.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The `ws` release the node peer runs.
const WS_PACKAGE: &str = "ws@8.23.0";

pub struct Peer {
    /// Held so the process lives as long as the test binary; its stdin closing ends it.
    _child: Mutex<Child>,
    ports: HashMap<String, u16>,
}

impl Peer {
    /// `ws://127.0.0.1:PORT/` of the server with compression setting `name`.
    pub fn url(&self, name: &str) -> String {
        let port = self
            .ports
            .get(name)
            .unwrap_or_else(|| panic!("the peer has no server '{name}'"));
        format!("ws://127.0.0.1:{port}/")
    }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn start(mut command: Command, what: &str) -> Peer {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} could not be started: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ports: HashMap<String, u16> = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("{what} printed {line:?} instead of its ports: {e}"));
    Peer {
        _child: Mutex::new(child),
        ports,
    }
}

/// The python `websockets` servers (tests/interop/websockets_server.py).
pub fn python() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let mut command = Command::new("python3");
        command.arg(manifest_dir().join("tests/interop/websockets_server.py"));
        start(command, "the python websockets peer")
    })
}

/// Installs `ws` into target/interop-node unless it is there; returns its node_modules.
fn node_modules() -> PathBuf {
    let prefix = manifest_dir().join("target/interop-node");
    let modules = prefix.join("node_modules");
    if modules.join("ws/package.json").is_file() {
        return modules;
    }
    std::fs::create_dir_all(&prefix).unwrap();
    let output = Command::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(WS_PACKAGE)
        .output();
    match output {
        Ok(out) if out.status.success() && modules.join("ws/package.json").is_file() => modules,
        Ok(out) => panic!(
            "the node interop peer needs the npm package {WS_PACKAGE}, and `npm install` into {} failed ({}):\n{}",
            prefix.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the node interop peer needs node and npm (to install {WS_PACKAGE}); npm could not be run: {e}"
        ),
    }
}

/// The node `ws` servers (tests/interop/ws_server.js).
pub fn node() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let modules = node_modules();
        let mut command = Command::new("node");
        command
            .arg(manifest_dir().join("tests/interop/ws_server.js"))
            .env("NODE_PATH", modules);
        start(command, "the node ws peer")
    })
}

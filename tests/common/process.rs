//! The project's example server (examples/echo_server.rs) run as a separate process, so a test
//! can kill it with SIGKILL (the kernel drops its sockets; no close frame is ever sent), start it
//! again on the same port, or freeze it with SIGSTOP (its TCP stack still accepts connections and
//! acknowledges data, but nothing answers: a half-open peer).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The echo_server example binary, built once per test process with the profile of the test
/// (a no-op when it is up to date; `cargo test` without `--test` builds it anyway).
/// `PODE_WS_ECHO_SERVER` names a prebuilt binary instead (valgrind and soak runs set it).
pub fn echo_server_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Ok(path) = std::env::var("PODE_WS_ECHO_SERVER") {
                return PathBuf::from(path);
            }
            // target/<profile>/deps/<test binary>
            let exe = std::env::current_exe().expect("current_exe");
            let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
            let release = profile_dir.file_name().is_some_and(|n| n == "release");
            let mut build = Command::new(option_env!("CARGO").unwrap_or("cargo"));
            build
                .args([
                    "build",
                    "--quiet",
                    "--example",
                    "echo_server",
                    "--manifest-path",
                ])
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
            if release {
                build.arg("--release");
            }
            let status = build.status().expect("cargo could not be started");
            assert!(status.success(), "building the echo_server example failed");
            profile_dir.join("examples").join("echo_server")
        })
        .clone()
}

/// A running echo_server process. Dropping it kills it.
pub struct ServerProcess {
    child: Option<Child>,
    pub port: u16,
}

impl ServerProcess {
    /// Starts the server on 127.0.0.1:`port` (0 = the OS picks) and waits until it listens.
    pub fn start(port: u16) -> ServerProcess {
        ServerProcess::start_with(port, &[])
    }

    /// Like [`ServerProcess::start`], with extra arguments (e.g. `--deflate`).
    pub fn start_with(port: u16, extra: &[&str]) -> ServerProcess {
        let mut child = Command::new(echo_server_binary())
            .args(["--port", &port.to_string(), "--exit-on-stdin-close"])
            .args(extra)
            // Its stdin is ours: if the test process dies, the server exits too.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("echo_server could not be started");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("LISTENING ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("echo_server said {line:?} instead of LISTENING <port>"));
        ServerProcess {
            child: Some(child),
            port,
        }
    }

    /// Starts the server again on the port of a killed one. The port's old connections may
    /// linger in TIME_WAIT (tokio's listener sets SO_REUSEADDR, so that does not stop it), but
    /// retry briefly in case the kernel has not released the listening socket yet.
    pub fn restart_on(port: u16) -> ServerProcess {
        for _ in 0..50 {
            let probe = std::net::TcpListener::bind(("127.0.0.1", port));
            if probe.is_ok() {
                drop(probe);
                return ServerProcess::start(port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("port {port} did not become free again");
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("ws://127.0.0.1:{}{path_and_query}", self.port)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("the server is running").id() as i32
    }

    fn signal(&self, signal: i32) {
        let r = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(r, 0, "kill({}, {signal}) failed", self.pid());
    }

    /// SIGKILL, then reap the process: its sockets are gone when this returns.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the process (SIGSTOP): connections stay up at the TCP level, nothing answers.
    pub fn freeze(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Lets a frozen process run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal(libc::SIGCONT);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL needs no cooperation, so this also ends a frozen process.
        self.kill();
    }
}

#!/usr/bin/env bash
# The quick-start demo: builds the release library and the C# glue, stages them into the module,
# builds the example echo server, installs PowerShell 7.6.9 when missing, and runs
# examples/demo.ps1 (connect, send a string, a hashtable and bytes, show $WsEvent and
# Get-PodeWebSocket, reset, disconnect).
# Usage: scripts/demo.sh   (from anywhere)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/build.sh
cargo build --release --quiet --example echo_server
pwsh_path="$(scripts/install-deps.sh | tail -n 1)"
exec "$pwsh_path" -NoProfile -NonInteractive -File examples/demo.ps1 -ServerPath target/release/examples/echo_server

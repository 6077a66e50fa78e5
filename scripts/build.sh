#!/usr/bin/env bash
# Builds the native library (release) and stages it into the PowerShell module:
#   powershell/PodeWebSocket/lib/<os>-<arch>/<libpode_ws.so|pode_ws.dll|libpode_ws.dylib>
# Usage: scripts/build.sh            (from anywhere)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cargo build --release --lib --quiet

case "$(uname -s)" in
    Linux*)  os=linux;  file=libpode_ws.so ;;
    Darwin*) os=osx;    file=libpode_ws.dylib ;;
    MINGW*|MSYS*|CYGWIN*) os=win; file=pode_ws.dll ;;
    *) echo "build.sh: unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "build.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

dest="powershell/PodeWebSocket/lib/$os-$arch"
mkdir -p "$dest"
# Copy to a temporary name and rename, so a pwsh process that has the old library loaded
# keeps its mapping instead of crashing on a file rewritten under it.
cp "target/release/$file" "$dest/$file.tmp.$$"
mv -f "$dest/$file.tmp.$$" "$dest/$file"
echo "build.sh: staged $dest/$file"

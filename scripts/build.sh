#!/usr/bin/env bash
# Builds what the PowerShell module loads and stages it into the module:
#   the native library (cargo, release)
#       powershell/PodeWebSocket/lib/<os>-<arch>/<libpode_ws.so|pode_ws.dll|libpode_ws.dylib>
#   the C# glue (dotnet build -c Release of powershell/PodeWebSocket.Native)
#       powershell/PodeWebSocket/bin/PodeWebSocket.dll
# Both are gitignored build output. Needs cargo and the .NET SDK (10.0+; NuGet restores the
# PowerShell reference assemblies on the first build).
# Usage: scripts/build.sh            (from anywhere)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Copy to a temporary name and rename, so a pwsh process that has the old file loaded keeps its
# mapping instead of crashing on a file rewritten under it.
stage() {
    local from="$1" dest="$2"
    mkdir -p "$(dirname "$dest")"
    cp "$from" "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    echo "build.sh: staged $dest"
}

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
stage "target/release/$file" "powershell/PodeWebSocket/lib/$os-$arch/$file"

command -v dotnet >/dev/null 2>&1 || { echo "build.sh: the .NET SDK (dotnet) is required to build the C# glue" >&2; exit 1; }
dotnet build powershell/PodeWebSocket.Native/PodeWebSocket.Native.csproj -c Release --nologo -v quiet -clp:NoSummary >&2
stage target/dotnet/bin/PodeWebSocket.Native/release/PodeWebSocket.dll powershell/PodeWebSocket/bin/PodeWebSocket.dll

#!/usr/bin/env bash
# Builds what the PowerShell module loads and stages it into the module:
#   the native library (cargo, release)
#       powershell/PodeWebSocket/lib/<rid>/<libpode_ws.so|pode_ws.dll|libpode_ws.dylib>
#       (<rid>: the .NET runtime identifier of the platform cargo builds for: linux-x64,
#       linux-arm64, osx-x64, osx-arm64, win-x64, win-arm64)
#   the C# glue (dotnet build -c Release of powershell/PodeWebSocket.Native)
#       powershell/PodeWebSocket/bin/PodeWebSocket.dll
# Both are gitignored build output. Needs cargo and the .NET SDK (10.0+; NuGet restores the
# PowerShell reference assemblies on the first build). Runs with bash on Linux and macOS and with
# Git Bash on Windows; only Linux x64 is exercised here (the other platforms by the CI workflow,
# .github/workflows/package.yml, which has not run yet).
#
# Usage: scripts/build.sh [native] [glue]     (from anywhere; no argument: both)
#   native   only the native library (the CI job of each platform)
#   glue     only the C# glue (the CI job that assembles one package from every platform's lib/)
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

# The runtime identifier and file name of the library cargo builds, from its host triple (not
# uname: a shell may run emulated, e.g. x64 Git Bash on Windows arm64).
native_platform() {
    local host
    host="$(rustc -vV | tr -d '\r' | sed -n 's/^host: //p')"
    case "$host" in
        *-linux-gnu*) os=linux file=libpode_ws.so ;;
        *-apple-darwin) os=osx file=libpode_ws.dylib ;;
        *-windows-msvc) os=win file=pode_ws.dll ;;
        *) echo "build.sh: unsupported platform $host (the module loads linux-gnu, apple-darwin and windows-msvc builds)" >&2; exit 1 ;;
    esac
    case "$host" in
        x86_64-*) arch=x64 ;;
        aarch64-*) arch=arm64 ;;
        *) echo "build.sh: unsupported architecture in $host (x86_64 and aarch64 only)" >&2; exit 1 ;;
    esac
}

build_native() {
    cargo build --release --lib --quiet
    native_platform
    stage "target/release/$file" "powershell/PodeWebSocket/lib/$os-$arch/$file"
    # MSVC keeps the debug information in a .pdb beside the DLL: staged outside the module, where
    # scripts/package.sh finds it for the symbols it keeps beside the package
    if [ -f target/release/pode_ws.pdb ]; then
        stage target/release/pode_ws.pdb "target/symbols/$os-$arch/pode_ws.pdb"
    fi
}

build_glue() {
    command -v dotnet >/dev/null 2>&1 || { echo "build.sh: the .NET SDK (dotnet) is required to build the C# glue" >&2; exit 1; }
    dotnet build powershell/PodeWebSocket.Native/PodeWebSocket.Native.csproj -c Release --nologo -v quiet -clp:NoSummary >&2
    stage target/dotnet/bin/PodeWebSocket.Native/release/PodeWebSocket.dll powershell/PodeWebSocket/bin/PodeWebSocket.dll
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(native glue)
for part in "${parts[@]}"; do
    case "$part" in
        native|glue) ;;
        *) echo "build.sh: unknown part '$part' (known: native glue)" >&2; exit 2 ;;
    esac
done
for part in "${parts[@]}"; do
    "build_$part"
done

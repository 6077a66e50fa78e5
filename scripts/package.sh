#!/usr/bin/env bash
# Builds the release package of the PowerShell module:
#   dist/PodeWebSocket/<version>/             the module as it is installed: everything the module
#                                            folder holds (manifest, psm1, bin/, lib/<rid>/, help,
#                                            format data, ...), LICENSE, Private/ and Public/ folded
#                                            into the psm1 (scripts/fold-module.ps1), the native
#                                            libraries stripped, Tags naming the platforms of the
#                                            lib/<rid>/ folders present
#   dist/repository/PodeWebSocket.<version>.nupkg   made by Publish-PSResource (a local file
#                                            repository: Install-PSResource reads it)
#   dist/symbols/<rid>/                      the debug information taken out of each library
#                                            (libpode_ws.so.debug, *.dSYM, pode_ws.pdb); not
#                                            in the package
# <version> is Cargo.toml's: the manifest's ModuleVersion and the library's pode_ws_version must
# be the same, or nothing is packaged (tests/pester/Unit/Version.Tests.ps1 checks the README too).
#
# Usage: scripts/package.sh [--no-build] [--out DIR] [--module DIR]
#   --no-build   package what the module folder holds now (bin/ and every lib/<rid>/ already
#                staged: by scripts/build.sh, or by the CI job that gathers every platform's lib/)
#   --out DIR    instead of dist/ (DIR is emptied of the three folders above first)
#   --module DIR package this module folder instead of powershell/PodeWebSocket (tests; implies
#                --no-build)
#
# Needs pwsh 7.6 (PSResourceGet comes with it); on Linux binutils (objcopy, strip), on macOS
# strip and dsymutil (Xcode command line tools). Linux x64 is exercised here; macOS and Windows
# (Git Bash) are written for the CI workflow and untested.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$PATH:$HOME/.dotnet/tools"

build=1
out="$root/dist"
module_src="$root/powershell/PodeWebSocket"
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --out) out="${2:?--out needs a directory}"; shift ;;
        --module) module_src="$(cd "${2:?--module needs a directory}" && pwd)"; build=0; shift ;;
        *) echo "package.sh: unknown argument '$1' (known: --no-build, --out DIR)" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

[ "$build" -eq 1 ] && scripts/build.sh >&2

version="$(sed -n 's/^version = "\([^"]*\)"/\1/p' Cargo.toml | head -n 1)"
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }
module="$out/PodeWebSocket/$version"
symbols="$out/symbols"
repository="$out/repository"
rm -rf "$out/PodeWebSocket" "$symbols" "$repository"
mkdir -p "$module" "$symbols" "$repository"

# The whole module folder, so files added to it (help, format data, a new folder) need no list
# here; only the leftovers of editors and of build.sh's staging are left out.
cp -R "$module_src/." "$module/"
find "$module" \( -name '.*' -o -name '*.tmp.*' -o -name '*~' -o -name '*.swp' \) -prune -exec rm -rf {} +
cp LICENSE "$module/LICENSE"

[ -f "$module/bin/PodeWebSocket.dll" ] || { echo "package.sh: $module_src/bin/PodeWebSocket.dll is missing (scripts/build.sh glue)" >&2; exit 1; }

pwsh_path="$(command -v pwsh || true)"
[ -n "$pwsh_path" ] || pwsh_path="$(scripts/install-deps.sh | tail -n 1)"

# Private/ and Public/ into the psm1: one file to parse at import instead of 17
"$pwsh_path" -NoProfile -NonInteractive -File scripts/fold-module.ps1 -ModuleDir "$module" >&2

size() { wc -c <"$1" | tr -d ' '; }

# Strips one library of the package and keeps what it took out under dist/symbols/<rid>/.
strip_library() {
    local lib="$1" rid="$2" name before
    name="$(basename "$lib")"
    before="$(size "$lib")"
    mkdir -p "$symbols/$rid"
    case "$rid" in
        linux-*)
            if LC_ALL=C readelf -S "$lib" | grep -q '\.debug_info'; then
                # a debug link lets gdb and perf find the symbols when the .debug file sits beside
                # the library or under /usr/lib/debug
                objcopy --only-keep-debug "$lib" "$symbols/$rid/$name.debug"
                strip --strip-unneeded "$lib"
                objcopy --add-gnu-debuglink="$symbols/$rid/$name.debug" "$lib"
            fi
            ;;
        osx-*)
            if [ "$(uname -s)" = Darwin ]; then
                dsymutil "$lib" -o "$symbols/$rid/$name.dSYM"
                strip -x "$lib"
            else
                # only macOS's tools strip a Mach-O file: the macOS job of the CI workflow packages
                # its own library first, and the job that assembles every platform copies it
                echo "package.sh: $rid/$name copied as it is (stripped by the macOS build)" >&2
            fi
            ;;
        win-*)
            # MSVC writes the debug information into the .pdb, not into the DLL
            if [ -f "target/symbols/$rid/pode_ws.pdb" ]; then
                cp "target/symbols/$rid/pode_ws.pdb" "$symbols/$rid/"
            fi
            ;;
    esac
    echo "package.sh: lib/$rid/$name $before -> $(size "$lib") bytes" >&2
}

rids=()
for dir in "$module"/lib/*/; do
    [ -d "$dir" ] || continue
    rid="$(basename "$dir")"
    found=0
    for lib in "$dir"libpode_ws.so "$dir"libpode_ws.dylib "$dir"pode_ws.dll; do
        if [ -f "$lib" ]; then
            strip_library "$lib" "$rid"
            found=1
        fi
    done
    [ "$found" -eq 1 ] && rids+=("$rid")
done
[ ${#rids[@]} -gt 0 ] || { echo "package.sh: no native library under $module_src/lib/<rid>/ (scripts/build.sh native)" >&2; exit 1; }
rmdir "$symbols"/* 2>/dev/null || true

# Publish-PSResource registers a repository: a throw-away home keeps that out of the user's
# settings (on Windows, where .NET ignores HOME, package.ps1 unregisters it again).
# .NET answers "" for a per-user folder that does not exist (and PSResourceGet would then write
# into the current directory): create them (XDG on Linux; macOS's LocalApplicationData is under
# Library/).
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.local/share" "$home/.cache" "$home/.config" "$home/Library/Application Support"
HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" XDG_CONFIG_HOME="$home/.config" \
    "$pwsh_path" -NoProfile -NonInteractive -File scripts/package.ps1 \
    -ModuleDir "$module" -Version "$version" -Repository "$repository" -Platforms "${rids[*]}"

echo "package.sh: $module"
echo "package.sh: $repository/PodeWebSocket.$version.nupkg ($(size "$repository/PodeWebSocket.$version.nupkg") bytes)"
echo "package.sh: symbols in $symbols"

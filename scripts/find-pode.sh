#!/usr/bin/env bash
# Finds the real Pode 2.14.0 for what compares with it (bench/ import scenario) and prints the path
# of its Pode.psd1 on the last line. Looks, in order, at:
#   1. $PODE_MODULE: a Pode.psd1 you name
#   2. an installed Pode 2.14.0 (Get-Module -ListAvailable Pode), as a user has it after
#      `Install-PSResource Pode -Version 2.14.0`
#   3. ../shared/pode/build, on this project's machines (no Gallery there): built once into
#      target/pode-2.14.0 (about 2 minutes; the build is skipped when it is up to date)
# Exits 1 naming what to do when none of them gives Pode.
# Usage: scripts/find-pode.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$PATH:$HOME/.dotnet/tools"
version=2.14.0

if [ -n "${PODE_MODULE:-}" ]; then
    [ -f "$PODE_MODULE" ] || { echo "find-pode: PODE_MODULE=$PODE_MODULE does not exist" >&2; exit 1; }
    echo "$PODE_MODULE"
    exit 0
fi

if command -v pwsh >/dev/null 2>&1; then
    installed="$(pwsh -NoProfile -NonInteractive -Command "
        Get-Module -ListAvailable -Name Pode | Where-Object { \$_.Version -eq [version]'$version' } |
            Select-Object -First 1 -ExpandProperty Path" 2>/dev/null || true)"
    if [ -n "$installed" ] && [ -f "$installed" ]; then
        echo "$installed"
        exit 0
    fi
fi

shared_build="$root/../shared/pode/build"
if [ -x "$shared_build" ]; then
    # the build script wants an absolute destination
    "$shared_build" "$root/target/pode-$version" >&2
    echo "$root/target/pode-$version/src/Pode.psd1"
    exit 0
fi

echo "find-pode: Pode $version not found: Install-PSResource Pode -Version $version (or set PODE_MODULE to a Pode.psd1)" >&2
exit 1

#!/usr/bin/env bash
# Installs what the tests and the demo need beyond Rust, when missing:
#   - PowerShell 7.6.9 as a .NET global tool (dotnet tool install --global PowerShell)
#   - Pester 5.7.1 into .tools/Modules (from the PowerShell Gallery where reachable, else the
#     NuGet feed: a .nupkg is a zip holding the module under tools/)
# Prints the pwsh path on the last line. Usage: scripts/install-deps.sh   (from anywhere)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pwsh_version="7.6.9"
pester_version="5.7.1"

export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v pwsh >/dev/null 2>&1; then
    echo "install-deps: installing PowerShell $pwsh_version (dotnet global tool)" >&2
    dotnet tool install --global PowerShell --version "$pwsh_version" >&2
fi
pwsh_path="$(command -v pwsh)"

pester_dir="$root/.tools/Modules/Pester/$pester_version"
if [ ! -f "$pester_dir/Pester.psd1" ]; then
    echo "install-deps: installing Pester $pester_version into .tools/Modules" >&2
    if ! "$pwsh_path" -NoProfile -NonInteractive -Command "
        \$ErrorActionPreference = 'Stop'
        Save-Module -Name Pester -RequiredVersion $pester_version -Path '$root/.tools/Modules' -Repository PSGallery
    " >/dev/null 2>&1; then
        tmp="$(mktemp -d)"
        curl -fsSL -o "$tmp/pester.nupkg" \
            "https://api.nuget.org/v3-flatcontainer/pester/$pester_version/pester.$pester_version.nupkg"
        mkdir -p "$pester_dir"
        (cd "$tmp" && unzip -q pester.nupkg 'tools/*' && cp -r tools/. "$pester_dir/")
        rm -rf "$tmp"
    fi
fi
test -f "$pester_dir/Pester.psd1" || { echo "install-deps: Pester did not install" >&2; exit 1; }
echo "$pwsh_path"

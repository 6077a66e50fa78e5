#!/usr/bin/env bash
# Runs the Pester tests of the PowerShell module (tests/pester: Unit then Integration).
# Builds the native library and the C# glue, installs PowerShell 7.6.9 and Pester 5.7.1 when
# missing, then runs Pester from .tools/Modules. The integration tests start a python `websockets` peer
# (tests/pester/peers/peer.py; installed with pip when missing) and use openssl for certificates.
# Exit code: 0 when every test passed. Prints a one-line summary last.
# Usage: scripts/test-pester.sh [path-filter...]   e.g. scripts/test-pester.sh tests/pester/Unit
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/build.sh >&2
pwsh_path="$(scripts/install-deps.sh | tail -n 1)"

if ! python3 -c 'import websockets' >/dev/null 2>&1; then
    echo "test-pester: installing the python websockets package for the test peer" >&2
    python3 -m pip install --user --quiet 'websockets>=13' >&2 ||
        { echo "test-pester: python3 with the websockets package is required (pip install websockets)" >&2; exit 1; }
fi
command -v openssl >/dev/null 2>&1 || { echo "test-pester: openssl is required (TLS test certificates)" >&2; exit 1; }

paths=("$@")
if [ ${#paths[@]} -eq 0 ]; then
    paths=(tests/pester/Unit tests/pester/Integration)
fi
path_list=""
for p in "${paths[@]}"; do
    path_list="$path_list'$(cd "$(dirname "$p")" && pwd)/$(basename "$p")',"
done
path_list="@(${path_list%,})"

"$pwsh_path" -NoProfile -NonInteractive -Command "
    \$ErrorActionPreference = 'Stop'
    Import-Module '$root/.tools/Modules/Pester/5.7.1/Pester.psd1' -Force
    \$config = New-PesterConfiguration
    \$config.Run.Path = $path_list
    \$config.Run.PassThru = \$true
    \$config.Output.Verbosity = 'Detailed'
    \$result = Invoke-Pester -Configuration \$config
    \$summary = 'pester: {0} passed, {1} failed, {2} skipped, {3} not run in {4:n1} s' -f \$result.PassedCount, \$result.FailedCount, \$result.SkippedCount, \$result.NotRunCount, \$result.Duration.TotalSeconds
    Write-Host \$summary
    if ((\$result.FailedCount -gt 0) -or (\$result.Result -ne 'Passed')) { exit 1 }
    exit 0
"

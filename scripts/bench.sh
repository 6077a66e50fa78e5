#!/usr/bin/env bash
# Runs the benchmark suite (bench/README.md) and writes docs/benchmarks.md and docs/benchmarks.svg.
#
#   scripts/bench.sh --quick     every scenario, >= 5 alternating pairs, small counts (~2-3 min)
#   scripts/bench.sh --full      the issue's counts (200,000-message firehose, 1,000 idle ...)
#   scripts/bench.sh --smoke     tiny counts, 1 pair, output in target/bench/smoke: only proves
#                                the scripts work (CI); its numbers mean nothing
# Extra arguments go to bench/run.py (e.g. --only firehose,native  or  --out DIR).
# Builds what it needs first: the release library (staged into the module), the echo server,
# the Rust harnesses, the benchmark's C# helpers and the real Pode (target/bench/pode).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$PATH:$HOME/.dotnet/tools"

mode=quick
args=()
for arg in "$@"; do
    case "$arg" in
        --quick) mode=quick ;;
        --full) mode=full ;;
        --smoke) mode=smoke ;;
        *) args+=("$arg") ;;
    esac
done

# PowerShell 7.6.9 (and Pester, unused here) when missing; bench/run.py calls `pwsh` by name.
pwsh_path="$(scripts/install-deps.sh | tail -n 1)"
export PATH="$(dirname "$pwsh_path"):$PATH"
echo "bench.sh: building (release library, echo_server, bench_raw, bench_native)"
scripts/build.sh
cargo build --release --quiet --example echo_server --example bench_raw --example bench_native
pwsh -NoProfile -NonInteractive -File bench/ps/BuildGlue.ps1 -OutDir target/bench/glue
# The real Pode 2.14.0 (peer "Pode"), built once (about 40 s; needs NuGet) where ../shared has it;
# elsewhere BENCH_PODE_MODULE may name an installed Pode.psd1, or its rows are left out.
if [ -z "${BENCH_PODE_MODULE:-}" ] && [ -x "$root/../shared/pode/build" ]; then
    "$root/../shared/pode/build" "$root/target/bench/pode" >/dev/null ||
        echo "bench.sh: the real Pode could not be built; its rows are left out" >&2
fi

exec python3 bench/run.py --mode "$mode" --command "scripts/bench.sh --$mode${args[*]:+ ${args[*]}}" ${args[@]+"${args[@]}"}

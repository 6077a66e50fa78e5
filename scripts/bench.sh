#!/usr/bin/env bash
# Runs the benchmark suite (bench/README.md) and writes docs/benchmarks.md and docs/benchmarks.svg.
#
#   scripts/bench.sh --quick     every scenario, >= 5 alternating pairs, small counts (~2-3 min)
#   scripts/bench.sh --full      the issue's counts (200,000-message firehose, 1,000 idle ...)
#   scripts/bench.sh --smoke     tiny counts, 1 pair, output in target/bench/smoke: only proves
#                                the scripts work (CI); its numbers mean nothing
# Extra arguments go to bench/run.py (e.g. --only firehose,native  or  --out DIR).
# Builds what it needs first: the release library (staged into the module), the echo server,
# the Rust harnesses and the benchmark's C# helpers; Pode 2.14.0 (scripts/find-pode.sh: PODE_MODULE,
# an installed Pode, or built once when only ../shared/pode/build has it) for peer "Pode" and the
# import scenario; for the import scenario also the release package (scripts/package.sh).
#   scripts/bench.sh --quick --only import    the import times alone (about 2 minutes)
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
# Which scenarios run (--only), for what they need beyond the build above.
only=""
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --only) only="${args[i + 1]:-}" ;;
        --only=*) only="${args[i]#--only=}" ;;
    esac
done
wants() { [ -z "$only" ] || [[ ",$only," == *,"$1",* ]]; }
extra_args=()
# The real Pode 2.14.0: peer "Pode" of the firehose and round-trip scenarios, and what the import
# scenario compares with. Without it those rows are left out.
if wants firehose || wants roundtrip || wants import; then
    echo "bench.sh: finding Pode 2.14.0 (scripts/find-pode.sh)"
    if pode="$(scripts/find-pode.sh | tail -n 1)"; then
        extra_args+=(--pode "$pode")
    else
        echo "bench.sh: Pode 2.14.0 not found: its rows are left out" >&2
    fi
fi
# The import scenario installs the release package.
if wants import; then
    echo "bench.sh: packaging the module (import scenario)"
    scripts/package.sh --no-build --out target/bench/import/dist >&2
    extra_args+=(--package-repo "$root/target/bench/import/dist/repository")
fi

exec python3 bench/run.py --mode "$mode" --command "scripts/bench.sh --$mode${args[*]:+ ${args[*]}}" ${args[@]+"${args[@]}"} ${extra_args[@]+"${extra_args[@]}"}

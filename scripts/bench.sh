#!/usr/bin/env bash
# Runs the benchmark suite (bench/README.md) and writes docs/benchmarks.md and docs/benchmarks.svg.
#
#   scripts/bench.sh --quick     every scenario, >= 5 alternating pairs, small counts (~2-3 min)
#   scripts/bench.sh --full      the issue's counts (200,000-message firehose, 1,000 idle ...)
#   scripts/bench.sh --smoke     tiny counts, 1 pair, output in target/bench/smoke: only proves
#                                the scripts work (CI); its numbers mean nothing
# Extra arguments go to bench/run.py (e.g. --only firehose,native  or  --out DIR).
# Builds what it needs first: the release library (staged into the module), the echo server,
# the Rust harnesses and the benchmark's C# helpers; for the import scenario also the release
# package (scripts/package.sh) and Pode 2.14.0 (scripts/find-pode.sh: built once when only
# ../shared/pode/build has it).
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

# The import scenario installs the release package and compares with the real Pode 2.14.0: make
# the package and find (or build, once) Pode, unless --only leaves that scenario out.
only=""
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --only) only="${args[i + 1]:-}" ;;
        --only=*) only="${args[i]#--only=}" ;;
    esac
done
import_args=()
if [ -z "$only" ] || [[ ",$only," == *,import,* ]]; then
    echo "bench.sh: packaging the module and finding Pode 2.14.0 (import scenario)"
    scripts/package.sh --no-build --out target/bench/import/dist >&2
    import_args=(--package-repo "$root/target/bench/import/dist/repository")
    if pode="$(scripts/find-pode.sh | tail -n 1)"; then
        import_args+=(--pode "$pode")
    fi
fi

exec python3 bench/run.py --mode "$mode" --command "scripts/bench.sh --$mode${args[*]:+ ${args[*]}}" ${args[@]+"${args[@]}"} ${import_args[@]+"${import_args[@]}"}

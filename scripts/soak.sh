#!/usr/bin/env bash
# Long-running variants of the fault, load and property tests (the default test command runs
# them small and fast). Release build; expect 10-30 minutes on a small machine.
#
#   scripts/soak.sh
#
# Sizes (environment variables, defaults in brackets):
#   PODE_WS_LOAD_CONNECTIONS [5000]   connections polled by four threads (tests/load.rs)
#   PODE_WS_LOAD_MESSAGES    [200]    messages pushed to each of them
#   PODE_WS_SLOW_MIB         [1024]   MiB fed to the slow consumer (peak RSS must stay bounded)
#   PODE_WS_CYCLES           [100000] connect/remove cycles (no thread, fd or memory growth)
#   PODE_WS_PROPTEST_CASES   [20000]  cases per property (tests/properties.rs)
#   SOAK_ROUNDS              [20]     repetitions of the fault suites, to shake out races
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

export PODE_WS_LOAD_CONNECTIONS="${PODE_WS_LOAD_CONNECTIONS:-5000}"
export PODE_WS_LOAD_MESSAGES="${PODE_WS_LOAD_MESSAGES:-200}"
export PODE_WS_SLOW_MIB="${PODE_WS_SLOW_MIB:-1024}"
export PODE_WS_CYCLES="${PODE_WS_CYCLES:-100000}"
export PODE_WS_PROPTEST_CASES="${PODE_WS_PROPTEST_CASES:-20000}"
rounds="${SOAK_ROUNDS:-20}"
fault_suites=(fault_server_process fault_hanging_connect fault_close_codes fault_flooding_peer
    fault_shutdown fault_exit bad_input lifecycle)

logs="$root/target/soak"
mkdir -p "$logs"
failed=0
summary=()

run() {
    local label="$1"; shift
    local log="$logs/$label.log"
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then
        summary+=("PASS  $label ($((SECONDS - start)) s)")
    else
        summary+=("FAIL  $label ($((SECONDS - start)) s; log: target/soak/$label.log)")
        failed=1
    fi
    echo "    ${summary[-1]}"
}

echo "==> building (release)"
cargo build --release --quiet --example echo_server || exit 2
# Built once, then run directly: later edits of the tree do not change what is soaked.
targets=()
for name in load properties "${fault_suites[@]}"; do targets+=(--test "$name"); done
declare -A binary
while IFS=$'\t' read -r name path; do
    binary[$name]="$path"
done < <(scripts/test-binaries.sh --release "${targets[@]}")
[ -n "${binary[load]:-}" ] || { echo "the release test binaries did not build"; exit 2; }
snapshot="$logs/bin"
rm -rf "$snapshot" && mkdir -p "$snapshot"
cp target/release/examples/echo_server "$snapshot/echo_server"
export PODE_WS_ECHO_SERVER="$snapshot/echo_server"
for name in load properties "${fault_suites[@]}"; do
    cp "${binary[$name]}" "$snapshot/$name"
done

echo "==> load: $PODE_WS_LOAD_CONNECTIONS connections x $PODE_WS_LOAD_MESSAGES messages," \
    "$PODE_WS_SLOW_MIB MiB slow consumer, $PODE_WS_CYCLES cycles"
run load "$snapshot/load" --nocapture
grep -hE 'connections x|fed |cycles in' "$logs/load.log" | sed 's/^\.*/      /'

echo "==> properties: $PODE_WS_PROPTEST_CASES cases each"
run properties "$snapshot/properties"

echo "==> fault suites, $rounds rounds"
for round in $(seq 1 "$rounds"); do
    for suite in "${fault_suites[@]}"; do
        run "$suite-$round" "$snapshot/$suite"
    done
done

echo
echo "Summary (logs: target/soak/):"
printf '  %s\n' "${summary[@]}" | grep -v '^  PASS  fault_\|^  PASS  bad_input-\|^  PASS  lifecycle-' || true
passes=$(printf '%s\n' "${summary[@]}" | grep -c '^PASS')
echo "  $passes of ${#summary[@]} runs passed"
if [ "$failed" -ne 0 ]; then
    echo "Some soak runs failed."
    exit 1
fi
echo "Soak passed."

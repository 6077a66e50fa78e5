#!/usr/bin/env bash
# Runs a representative part of the Rust test suite under valgrind memcheck (leak check on) and
# fails unless every run has zero memory errors (invalid reads/writes, uses of uninitialised
# values, bad frees) and zero definite (or indirect) leaks. It takes several minutes.
#
#   scripts/valgrind.sh              the default set of test binaries (below)
#   scripts/valgrind.sh echo tls     only these test binaries (names of tests/*.rs)
#
# The suites exercise, through the C ABI: connect, send, poll, close both ways, reset, remove,
# TLS (trusted, untrusted, client certificates), proxies, limits (1009/1007/1002), bad input,
# ABI hygiene (NULLs, bad UTF-8), property-based argument handling, shutdown with traffic in
# flight, and every free function.
#
# Only well-understood one-time allocations are suppressed (tests/valgrind.supp explains each).
# Tests that assert tight timings may fail under valgrind's 20-50x slowdown; those failures are
# reported but are not memory errors: the verdict is valgrind's. Logs: target/valgrind/<suite>.log
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

default_suites=(echo handshake lifecycle limits tls abi secrets proxy manual_receive shutdown
    bad_input properties fault_hanging_connect fault_close_codes fault_shutdown)
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=("${default_suites[@]}")

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

echo "==> building the test binaries"
cargo build --quiet --example echo_server || exit 2
targets=()
for suite in "${suites[@]}"; do targets+=(--test "$suite"); done
declare -A binary
while IFS=$'\t' read -r name path; do
    binary[$name]="$path"
done < <(scripts/test-binaries.sh "${targets[@]}")

logs="$root/target/valgrind"
mkdir -p "$logs"
# Valgrind is slow: fewer property cases, and the example server is found without cargo.
export PODE_WS_PROPTEST_CASES=24
export PODE_WS_ECHO_SERVER="$root/target/debug/examples/echo_server"

failed=0
summary=()
for suite in "${suites[@]}"; do
    bin="${binary[$suite]:-}"
    if [ -z "$bin" ]; then
        echo "unknown test binary '$suite'"; exit 2
    fi
    log="$logs/$suite.log"
    echo "==> $suite"
    start=$SECONDS
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --num-callers=40 \
        --suppressions="$root/tests/valgrind.supp" --gen-suppressions=all \
        --log-file="$log" \
        "$bin" --test-threads=1 >"$logs/$suite.out" 2>&1
    tests_rc=$?
    errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
    definite=$(grep -Eo 'definitely lost: [0-9,]+ bytes' "$log" | tail -1 | grep -Eo '[0-9,]+' | tr -d ,)
    indirect=$(grep -Eo 'indirectly lost: [0-9,]+ bytes' "$log" | tail -1 | grep -Eo '[0-9,]+' | tr -d ,)
    invalid=$(grep -Ec 'Invalid (read|write|free)|uninitialised|Mismatched free' "$log")
    tests=$(grep -E '^test result:' "$logs/$suite.out" | tail -1 | sed 's/; finished.*//')
    verdict=PASS
    if [ "${errors:-1}" != 0 ] || [ "${definite:-0}" != 0 ] || [ "${indirect:-0}" != 0 ]; then
        verdict=FAIL
        failed=1
    fi
    line="$verdict  $suite: ${errors:-?} errors, ${definite:-0}+${indirect:-0} bytes definitely+indirectly lost, $invalid invalid accesses ($((SECONDS - start)) s) | ${tests:-tests did not finish (exit $tests_rc)}"
    echo "    $line"
    summary+=("$line")
done

echo
echo "Summary (logs: target/valgrind/):"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$failed" -ne 0 ]; then
    echo "valgrind found memory errors or definite leaks."
    exit 1
fi
echo "valgrind: no memory errors, no definite leaks."

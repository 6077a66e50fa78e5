#!/usr/bin/env bash
# Runs every test suite of the project, from a fresh clone, and prints one summary line per
# suite. Exits non-zero when any suite fails. Installs what it needs when missing (PowerShell
# 7.6.9, Pester 5.7.1); the Rust crates and the Python tools come from the machine set-up.
#
#   scripts/test.sh            everything
#   scripts/test.sh rust c     only the named suites (fmt clippy header rust c pester conformance bench)
#
# `bench` runs the benchmark scripts with tiny counts (scripts/bench.sh --smoke): it proves they
# still work; its numbers mean nothing and no number fails it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$PATH:$HOME/.dotnet/tools"
# Every test server listens on 127.0.0.1, and a proxy named by the environment would be used for
# it too (as .NET does: loopback is not bypassed by default). Tests that need a proxy set their own.
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

all_suites=(fmt clippy header rust c pester conformance bench)
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=("${all_suites[@]}")

logs="$root/target/test-logs"
mkdir -p "$logs"
summary=()
failed=0

run_suite() {
    local name="$1"; shift
    local log="$logs/$name.log"
    local start=$SECONDS
    echo "==> $name"
    if "$@" 2>&1 | tee "$log"; then
        summary+=("PASS  $name ($((SECONDS - start)) s)")
    else
        summary+=("FAIL  $name ($((SECONDS - start)) s; log: target/test-logs/$name.log)")
        failed=1
    fi
}

suite_fmt() { cargo fmt --all -- --check; }

suite_clippy() { cargo clippy --all-targets --quiet -- -D warnings; }

# The checked-in header must be exactly what build.rs generates from the current sources.
suite_header() {
    local saved
    saved="$(mktemp)"
    cp include/pode_ws.h "$saved"
    touch build.rs
    cargo build --lib --quiet || return 1
    if ! cmp -s "$saved" include/pode_ws.h; then
        echo "include/pode_ws.h is stale: build.rs generated a different header (diff below)."
        diff -u "$saved" include/pode_ws.h
        cp "$saved" include/pode_ws.h
        rm -f "$saved"
        return 1
    fi
    rm -f "$saved"
    echo "include/pode_ws.h matches the generated header"
}

suite_rust() { cargo test --quiet --all-targets 2>&1; }

suite_c() { tests/c/run.sh; }

suite_pester() { scripts/test-pester.sh; }

suite_conformance() { scripts/conformance.sh; }

suite_bench() { scripts/bench.sh --smoke; }

for suite in "${suites[@]}"; do
    case "$suite" in
        fmt|clippy|header|rust|c|pester|conformance|bench) run_suite "$suite" "suite_$suite" ;;
        *) echo "unknown suite '$suite' (known: ${all_suites[*]})"; exit 2 ;;
    esac
done

echo
echo "Summary:"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$failed" -ne 0 ]; then
    echo "Some suites failed."
    exit 1
fi
echo "All suites passed."

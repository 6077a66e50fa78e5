#!/usr/bin/env bash
# Autobahn TestSuite conformance: runs every client case (517, the 216 permessage-deflate cases
# 12.* and 13.* included) against the native core through its C ABI, and a subset (1.*, 2.*,
# 5.*, 6.*, a few of 12.1.* and 13.1.*) through the PowerShell module when the module and its
# staged library are present.
#
# The core's cases run as four kosoku sessions: everything but compression first (several of
# those outcomes depend on timing, so nothing else runs beside them), then the compression
# cases in two parallel chains (12.*; 13.*), whose time is mostly kosoku's own. Cases 13.2, 13.5
# and 13.6 are served only to a client whose offer has client_no_context_takeover, so their
# session runs the client with {"clientNoContextTakeover": true}; every other case uses the
# core's default offer.
#
# The fuzzing server is kosoku (`pip install kosoku`), started on a free loopback port. Each run's
# outcomes are judged by tests/conformance/judge.py: every case must end OK, NON-STRICT or
# INFORMATIONAL, and none may be worse than tests/conformance/expected-results.json.
#
# Usage: scripts/conformance.sh [--update-expected] [--native-only]
#   --update-expected  rewrite the expected file from this run (still fails on a failing case)
#   --native-only      skip the PowerShell subset
# Reports (index.html, one JSON/HTML per case): target/conformance/<session>/reports/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

update=()
native_only=0
for arg in "$@"; do
    case "$arg" in
        --update-expected) update=(--update-expected) ;;
        --native-only) native_only=1 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "conformance.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

expected="tests/conformance/expected-results.json"
judge="tests/conformance/judge.py"
out_root="target/conformance"
started=$(date +%s.%N)

elapsed() { # seconds since $1, one decimal
    awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

command -v kosoku >/dev/null || { echo "conformance.sh: kosoku is not installed (pip install kosoku)" >&2; exit 1; }

kosoku_pid=""
stop_kosoku() {
    if [[ -n "$kosoku_pid" ]] && kill -0 "$kosoku_pid" 2>/dev/null; then
        kill "$kosoku_pid" 2>/dev/null || true
        wait "$kosoku_pid" 2>/dev/null || true
    fi
    kosoku_pid=""
}
trap stop_kosoku EXIT

# start_kosoku DIR ARGS... : starts the fuzzing server on 127.0.0.1 port 0 (the OS picks a free
# port), reads the port it announces, and waits until it accepts connections. Sets $server_url.
start_kosoku() {
    local dir="$1"; shift
    rm -rf "$dir"
    mkdir -p "$dir"
    kosoku -m fuzzingserver 127.0.0.1:0 "$@" -o "$dir/reports" >"$dir/kosoku.out" 2>"$dir/kosoku.err" &
    kosoku_pid=$!
    local deadline=$((SECONDS + 30)) port=""
    while [[ -z "$port" ]]; do
        port="$(sed -n 's#.*listening on ws://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$dir/kosoku.err" | head -n1)"
        if [[ -n "$port" ]]; then break; fi
        if ! kill -0 "$kosoku_pid" 2>/dev/null; then
            echo "conformance.sh: kosoku exited before listening:" >&2; cat "$dir/kosoku.err" >&2; return 1
        fi
        if (( SECONDS >= deadline )); then echo "conformance.sh: kosoku announced no port within 30 s" >&2; return 1; fi
        sleep 0.05
    done
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if (( SECONDS >= deadline )); then echo "conformance.sh: port $port not accepting within 30 s" >&2; return 1; fi
        sleep 0.05
    done
    server_url="ws://127.0.0.1:$port"
}

# finish_kosoku DIR : after the client asked for the reports, kosoku writes them and exits
# (non-zero when a case failed; judge.py decides). Bounded wait.
finish_kosoku() {
    local dir="$1" deadline=$((SECONDS + 120))
    while kill -0 "$kosoku_pid" 2>/dev/null; do
        if (( SECONDS >= deadline )); then
            echo "conformance.sh: kosoku did not finish writing reports within 120 s" >&2
            stop_kosoku; return 1
        fi
        sleep 0.1
    done
    wait "$kosoku_pid" 2>/dev/null || true
    kosoku_pid=""
    if [[ ! -s "$dir/reports/index.json" ]]; then
        echo "conformance.sh: kosoku wrote no index.json:" >&2; cat "$dir/kosoku.out" "$dir/kosoku.err" >&2; return 1
    fi
}

# bounded SECONDS CMD... : runs CMD, killed after SECONDS when coreutils `timeout` exists, so a
# hung client cannot hang the test command.
bounded() {
    local seconds="$1"; shift
    if command -v timeout >/dev/null; then timeout "$seconds" "$@"; else "$@"; fi
}

status=0
summary=()

# --- native core through the C ABI ------------------------------------------------------------
t=$(date +%s.%N)
cargo build --release --quiet --example autobahn_client
echo "conformance.sh: built the client in $(elapsed "$t") s"

# native_run NAME COMPRESSION_JSON KOSOKU_ARGS... : one kosoku session driven by the C ABI
# client; reports in $out_root/native-NAME/reports.
native_run() {
    local name="native-$1" compression="$2"; shift 2
    local dir="$out_root/$name"
    start_kosoku "$dir" "$@" || return 1
    echo "conformance.sh: $name: kosoku at $server_url"
    if ! bounded 900 target/release/examples/autobahn_client "$server_url" pode_ws "$compression" 2>"$dir/client.log"; then
        echo "conformance.sh: $name: the client failed:" >&2; tail -n 20 "$dir/client.log" >&2
        stop_kosoku
        return 1
    fi
    grep -v '^case ' "$dir/client.log" || true
    finish_kosoku "$dir"
}

t=$(date +%s.%N)
rm -rf "$out_root"/native-*
native_ok=1
native_run core '{}' -x '12.*' -x '13.*' || native_ok=0
echo "conformance.sh: native-core: $(elapsed "$t") s"
if (( native_ok )); then
    tc=$(date +%s.%N)
    mkdir -p "$out_root"
    ( trap stop_kosoku EXIT; native_run deflate-12 '{}' -i '12.*' ) >"$out_root/native-chain-12.log" 2>&1 &
    chain_12=$!
    ( trap stop_kosoku EXIT
      native_run deflate-13 '{}' -i '13.1.*' -i '13.3.*' -i '13.4.*' -i '13.7.*' &&
      native_run deflate-13-nct '{"clientNoContextTakeover": true}' -i '13.2.*' -i '13.5.*' -i '13.6.*'
    ) >"$out_root/native-chain-13.log" 2>&1 &
    chain_13=$!
    wait "$chain_12" || native_ok=0
    wait "$chain_13" || native_ok=0
    cat "$out_root/native-chain-12.log" "$out_root/native-chain-13.log"
    echo "conformance.sh: native compression cases: $(elapsed "$tc") s"
fi
if (( native_ok )) && python3 "$judge" "$out_root"/native-{core,deflate-12,deflate-13,deflate-13-nct}/reports/index.json \
    --expected "$expected" --suite native "${update[@]}"; then
    summary+=("native: passed in $(elapsed "$t") s")
else
    status=1
    summary+=("native: FAILED (reports: $out_root/native-*/reports/index.html)")
fi

# --- PowerShell module subset -----------------------------------------------------------------
module="$PWD/powershell/PodeWebSocket/PodeWebSocket.psd1"
staged="$(ls powershell/PodeWebSocket/lib/*/libpode_ws.so powershell/PodeWebSocket/lib/*/libpode_ws.dylib \
    powershell/PodeWebSocket/lib/*/pode_ws.dll 2>/dev/null | head -n1 || true)"
[[ -f powershell/PodeWebSocket/bin/PodeWebSocket.dll ]] || staged=""
pwsh_bin="$(command -v pwsh || ls "$HOME/.dotnet/tools/pwsh" 2>/dev/null || true)"
if (( native_only )); then
    summary+=("powershell subset: skipped (--native-only)")
elif [[ ! -f "$module" || -z "$staged" || -z "$pwsh_bin" ]]; then
    why=()
    [[ -f "$module" ]] || why+=("no $module")
    [[ -n "$staged" ]] || why+=("no staged native library or glue assembly (run scripts/build.sh)")
    [[ -n "$pwsh_bin" ]] || why+=("no pwsh")
    summary+=("powershell subset: SKIPPED ($(IFS=';'; echo "${why[*]}"))")
else
    t=$(date +%s.%N)
    ps_dir="$out_root/powershell"
    start_kosoku "$ps_dir" -i '1.*' -i '2.*' -i '5.*' -i '6.*' -i '12.1.1' -i '12.1.2' -i '12.1.11' -i '13.1.1' -i '13.1.2'
    echo "conformance.sh: powershell: kosoku at $server_url"
    if ! bounded 900 "$pwsh_bin" -NoProfile -NonInteractive -File tests/conformance/Invoke-PodeWsConformance.ps1 \
        -Url "$server_url" -Agent PodeWebSocket -ModulePath "$module" >"$ps_dir/client.log" 2>&1; then
        echo "conformance.sh: powershell: the client failed:" >&2; tail -n 20 "$ps_dir/client.log" >&2
        stop_kosoku
        status=1
        summary+=("powershell subset: FAILED (client error, log: $ps_dir/client.log)")
    else
        finish_kosoku "$ps_dir"
        if python3 "$judge" "$ps_dir/reports/index.json" --expected "$expected" --suite powershell \
            --groups 1,2,5,6,12,13 "${update[@]}"; then
            summary+=("powershell subset: passed in $(elapsed "$t") s")
        else
            status=1
            summary+=("powershell subset: FAILED (reports: $ps_dir/reports/index.html)")
        fi
    fi
fi

echo
for line in "${summary[@]}"; do echo "conformance: $line"; done
echo "conformance: wall time $(elapsed "$started") s"
exit "$status"

#!/usr/bin/env bash
# The C smoke test: builds libpode_ws (debug, or PROFILE=release), compiles tests/c/smoke.c
# against include/pode_ws.h with -Wall -Wextra -Werror -std=c11, starts a python `websockets`
# echo server on 127.0.0.1 (port chosen by the OS), and runs the smoke program against it.
# Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
profile="${PROFILE:-debug}"

case "$profile" in
    release) cargo build --release --lib --quiet ;;
    debug) cargo build --lib --quiet ;;
    *) echo "PROFILE must be debug or release" >&2; exit 2 ;;
esac
libdir="$root/target/$profile"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cc -Wall -Wextra -Werror -std=c11 -I include tests/c/smoke.c \
    -L "$libdir" -lpode_ws -Wl,-rpath,"$libdir" -o "$work/smoke"

python3 tests/c/echo_server.py >"$work/port" &
server_pid=$!
for _ in $(seq 100); do
    [ -s "$work/port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the echo server did not start" >&2
        exit 1
    fi
    sleep 0.1
done
port="$(head -n 1 "$work/port")"
[ -n "$port" ] || { echo "the echo server printed no port" >&2; exit 1; }
echo "echo server on 127.0.0.1:$port"

"$work/smoke" "ws://127.0.0.1:$port/"

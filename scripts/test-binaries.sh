#!/usr/bin/env bash
# Builds the Rust test binaries and prints one "name<TAB>path" line per binary, for the scripts
# that run them directly (valgrind.sh, soak.sh).
#   scripts/test-binaries.sh [--release] [--test NAME ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --no-run "$@" --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"] + "\t" + m["executable"])
'

#!/usr/bin/env python3
"""Judges an Autobahn (kosoku) client report against the rules and the expected results.

Usage: judge.py INDEX_JSON... --expected EXPECTED_JSON --suite SUITE [--update-expected]
               [--groups 1,2,5,6]

Each INDEX_JSON is an `index.json` kosoku writes ({agent: {case: {behavior, behaviorClose,
...}}}); one suite may run as several kosoku sessions (e.g. with different client offers), whose
cases are judged together.
EXPECTED_JSON holds one section per suite ("native", "powershell"):
{suite: {case: {"behavior": ..., "behaviorClose": ..., "note": optional}}}. A "note" marks an
outcome that depends on timing (see updated_section): the entry records the worst accepted one.

Fails (exit 1) when:
  - a case is not OK, NON-STRICT or INFORMATIONAL, or its closing handshake is not OK or
    INFORMATIONAL (the compression cases 12.* and 13.* must be OK or NON-STRICT);
  - a case got worse than the expected file says (a regression), or an expected case is missing.
With --update-expected, the suite's section is rewritten from this run (the other sections are
kept); the absolute rule above still decides the exit code.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys

PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASSING_CLOSE = {"OK", "INFORMATIONAL"}
PASSING_COMPRESSION = {"OK", "NON-STRICT"}
COMPRESSION_GROUPS = {"12", "13"}

# Lower is better. INFORMATIONAL ranks with OK: the case, not the client, decides between them
# (e.g. 7.1.6 depends on whether the close overtakes the echo).
BEHAVIOR_RANK = {"OK": 0, "INFORMATIONAL": 0, "NON-STRICT": 1, "UNIMPLEMENTED": 2, "FAILED": 3}
CLOSE_RANK = {"OK": 0, "INFORMATIONAL": 0}
WORST = 9


def case_key(case_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in case_id.split("."))


def is_worse(got: dict, want: dict) -> bool:
    return BEHAVIOR_RANK.get(got["behavior"], WORST) > BEHAVIOR_RANK.get(
        want["behavior"], WORST
    ) or CLOSE_RANK.get(got["behaviorClose"], WORST) > CLOSE_RANK.get(
        want["behaviorClose"], WORST
    )


def updated_section(old: dict, results: dict, others: list[dict]) -> dict:
    """This run's outcomes. An entry with a "note" (a documented timing-dependent outcome) keeps
    its recorded, worst accepted outcome unless this run did worse, and keeps its note. A case new
    to this section takes the note (and so the worst accepted outcome) another section has for it:
    the same race applies to every client of the same core."""
    section = {}
    for c, r in results.items():
        entry = {"behavior": r["behavior"], "behaviorClose": r["behaviorClose"]}
        previous = old.get(c) or next((o[c] for o in others if o.get(c, {}).get("note")), None)
        if previous and previous.get("note"):
            if not is_worse(entry, previous):
                entry = {"behavior": previous["behavior"], "behaviorClose": previous["behaviorClose"]}
            entry["note"] = previous["note"]
        section[c] = entry
    return section


def dump_expected(expected_all: dict) -> str:
    """JSON with one case per line, in case order, so diffs show exactly which cases changed."""
    suites = []
    for suite in sorted(expected_all):
        cases = expected_all[suite]
        lines = [
            f"    {json.dumps(c)}: {json.dumps(cases[c], sort_keys=True)}"
            for c in sorted(cases, key=case_key)
        ]
        suites.append(f"  {json.dumps(suite)}: {{\n" + ",\n".join(lines) + "\n  }")
    return "{\n" + ",\n".join(suites) + "\n}\n"


def counts(values) -> str:
    c = collections.Counter(values)
    return ", ".join(f"{k} {c[k]}" for k in sorted(c, key=lambda k: (-c[k], k)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", nargs="+")
    parser.add_argument("--expected", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--update-expected", action="store_true")
    parser.add_argument(
        "--groups",
        help="comma-separated top-level case groups this suite must run (default: any)",
    )
    args = parser.parse_args()

    results: dict = {}
    agents = set()
    for path in args.index:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
        if len(index) != 1:
            print(f"judge: expected one agent in {path}, found {sorted(index)}")
            return 1
        (agent, session), = index.items()
        agents.add(agent)
        overlap = set(session) & set(results)
        if overlap:
            print(f"judge: cases run twice: {sorted(overlap, key=case_key)}")
            return 1
        results.update(session)
    agent = ", ".join(sorted(agents))

    try:
        with open(args.expected, encoding="utf-8") as f:
            expected_all = json.load(f)
    except FileNotFoundError:
        expected_all = {}
    expected = expected_all.get(args.suite, {})

    ids = sorted(results, key=case_key)
    tag = f"conformance[{args.suite}]"
    print(f"{tag}: agent '{agent}', {len(ids)} cases")
    print(f"{tag}: behavior:      {counts(results[c]['behavior'] for c in ids)}")
    print(f"{tag}: closing:       {counts(results[c]['behaviorClose'] for c in ids)}")

    # Time per top-level group, to spot slow groups.
    by_group: dict[str, int] = collections.defaultdict(int)
    for c in ids:
        by_group[c.split(".")[0]] += int(results[c].get("duration") or 0)
    print(
        f"{tag}: time per group (server-measured ms): "
        + ", ".join(f"{g}.* {by_group[g]}" for g in sorted(by_group, key=int))
    )

    problems: list[str] = []

    groups = {c.split(".")[0] for c in ids}
    if args.groups:
        wanted = set(args.groups.split(","))
        if groups != wanted:
            problems.append(f"case groups run {sorted(groups, key=int)} != required {sorted(wanted, key=int)}")

    non_ok = collections.defaultdict(list)
    for c in ids:
        r = results[c]
        behavior, close = r["behavior"], r["behaviorClose"]
        if behavior != "OK" or close != "OK":
            non_ok[f"{behavior}/{close}"].append(c)
        passing = PASSING_COMPRESSION if c.split(".")[0] in COMPRESSION_GROUPS else PASSING
        if behavior not in passing or close not in PASSING_CLOSE:
            problems.append(
                f"case {c}: {behavior} / close {close} (report: {r.get('reportfile')})"
            )
    for outcome in sorted(non_ok):
        print(f"{tag}: {outcome}: {' '.join(non_ok[outcome])}")

    if args.update_expected:
        others = [cases for suite, cases in expected_all.items() if suite != args.suite]
        expected_all[args.suite] = updated_section(expected, results, others)
        with open(args.expected, "w", encoding="utf-8") as f:
            f.write(dump_expected(expected_all))
        print(f"{tag}: rewrote the '{args.suite}' section of {args.expected}")
    elif not expected:
        print(f"{tag}: no '{args.suite}' section in {args.expected}; run with --update-expected to record one")
    else:
        improved, varied = [], []
        for c in sorted(expected, key=case_key):
            want = expected[c]
            got = results.get(c)
            if got is None:
                problems.append(f"case {c}: expected but not run")
                continue
            if is_worse(got, want):
                problems.append(
                    f"case {c}: regression: {got['behavior']}/{got['behaviorClose']}, "
                    f"expected {want['behavior']}/{want['behaviorClose']}"
                )
            elif (got["behavior"], got["behaviorClose"]) != (want["behavior"], want["behaviorClose"]):
                (varied if want.get("note") else improved).append(c)
        new = [c for c in ids if c not in expected]
        if new:
            print(f"{tag}: {len(new)} case(s) not in the expected file: {' '.join(new)}")
        if varied:
            print(f"{tag}: timing-dependent cases that did better this run: {' '.join(varied)}")
        if improved:
            print(
                f"{tag}: better than expected (consider --update-expected): {' '.join(improved)}"
            )

    if problems:
        print(f"{tag}: FAILED")
        for p in problems:
            print(f"{tag}:   {p}")
        return 1
    print(f"{tag}: passed (every case OK, NON-STRICT or INFORMATIONAL; no regression)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

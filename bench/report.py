"""Turns the raw results of bench/run.py into table rows, docs/benchmarks.md and the SVG chart.

Every ratio is ours ÷ peer, computed per pair (the two runs next to each other in time), and the
table shows the median of those ratios. A target says which side of it is good: "≥ 3×" for a
higher-is-better metric (messages/s), "≤ 0.33×" for a lower-is-better one (CPU per message).
"""

import html
import math
import os
import statistics

PEER_NAMES = {
    "ours": "ours (PodeWebSocket)",
    "pode": "P (Pode-like ClientWebSocket)",
    "floor": "F (PowerShell floor)",
    "raw": "R (raw tokio-tungstenite)",
    "native": "ours, native (C ABI, Rust)",
    "ours_pipeline": "ours, messages piped into one Send-PodeWebSocket",
    "ours_reuse": "ours, Connect-PodeWebSocket -ReuseRawBody",
    "pode_real": "Pode (the real Pode 2.14.0: its client inside a Pode server; Import-Module for import)",
    "bare": "a bare pwsh start",
}
WRITE_KINDS = ["write", "writev", "sendto", "sendmsg", "sendmmsg"]
ANALYSIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def retained_text(info, scenario):
    """How a scenario's RSS samples were taken (runs from 2026-12-06 on say so in their data)."""
    runs = info["scenarios"].get(scenario, {}).get("runs", {}).get("ours", [])
    if not runs or "rss_sampled_after" not in runs[0]:
        return "both after an ordinary full GC (the GC's committed but free memory included)"
    return ("both after an aggressive full GC (GCCollectionMode.Aggressive: the memory .NET keeps "
            "committed but free is given back, so what is counted is what the process holds; runs "
            "before 2026-12-06 sampled after an ordinary full GC, which swung by MiBs)")


def brief(result):
    keys = ("secs", "p50_us", "rss_per_conn_kib", "peak_rss_kib", "rss_growth_kib", "method")
    parts = [f"{k}={result[k]:.4g}" if isinstance(result[k], float) else f"{k}={result[k]}"
             for k in keys if k in result]
    return " ".join(parts) or str(result)[:120]


# ---------------------------------------------------------------------------------------------
# Metrics derived from one run.

def rate(r):
    return r["messages"] / r["secs"]


def cpu_us(r):
    return r["cpu_secs"] * 1e6 / r["messages"]


def writes_per_msg(r):
    counts = r.get("syscalls")
    if not counts:
        return None
    return sum(counts.get(s, 0) for s in ("write", "writev", "sendto", "sendmsg", "sendmmsg")) / r["messages"]


def syscalls_per_msg(r):
    counts = r.get("syscalls")
    return counts["sys_enter"] / r["messages"] if counts and "sys_enter" in counts else None


def gbps(r):
    return r["bytes"] / r["secs"] / 1e9


def peak_over_mib(r):
    return (r["peak_rss_kib"] - r["baseline_rss_kib"]) / 1024


def idle_cpu_pct(r):
    return r["idle_cpu_secs"] / r["held_secs"] * 100


def idle_staying_cpu_pct(r):
    """The hold's CPU of the threads alive at its end (the raw data's split by thread): without
    the threads that ended in it, in a fresh pwsh mostly .NET's tiered-compilation thread, which
    ends and starts again while it still compiles the connects' code (bench/diag/IdleCpu.ps1)."""
    return sum(r.get("idle_cpu_by_thread", {}).values()) / r["held_secs"] * 100


# ---------------------------------------------------------------------------------------------
# Rows.

def ratio_row(scenario, metric, unit, runs, ours, peer, fn, target=None, better="higher", fmt="{:,.0f}"):
    """A row comparing `ours` with `peer` run by run (pairs are the i-th runs of each)."""
    a = [fn(r) for r in runs[ours]]
    b = [fn(r) for r in runs[peer]]
    ratios = [x / y for x, y in zip(a, b) if x is not None and y not in (None, 0)]
    row = dict(scenario=scenario, metric=metric, unit=unit, ours_peer=ours, peer=peer,
               ours=median(a), peer_value=median(b), ours_all=a, peer_all=b, ratios=ratios,
               ratio=median(ratios), better=better, target=target, fmt=fmt, kind="ratio")
    if target is not None and row["ratio"] is not None:
        row["met"] = row["ratio"] >= target if better == "higher" else row["ratio"] <= target
    return row


def limit_row(scenario, metric, unit, runs, ours, fn, limit, reference=None, fmt="{:,.2f}", scored=True):
    """A row with an absolute limit (lower is better); `reference` is another peer for context."""
    a = [fn(r) for r in runs[ours]]
    row = dict(scenario=scenario, metric=metric, unit=unit, ours_peer=ours, ours=median(a),
               ours_all=a, target=limit, better="lower", fmt=fmt, kind="limit",
               peer=reference, ratio=None, ratios=[])
    if reference:
        b = [fn(r) for r in runs[reference]]
        row["peer_value"], row["peer_all"] = median(b), b
    if row["ours"] is not None and scored:
        row["met"] = row["ours"] < limit
    return row


def rows(info):
    s = info["scenarios"]
    out = []
    if "firehose" in s:
        for variant, label in (("Plain", "inbound firehose, 32 B text"),
                               ("Json", "inbound firehose, 32 B JSON (application/json)")):
            runs = s["firehose"][variant]
            out.append(ratio_row(label, "messages/s into the handler", "msg/s", runs, "ours", "pode", rate, 3.0))
            out.append(ratio_row(label, "messages/s into the handler", "msg/s", runs, "ours", "floor", rate, 0.85))
            out.append(ratio_row(label, "CPU per message", "µs", runs, "ours", "pode", cpu_us, 1 / 3, "lower", "{:,.2f}"))
            out.append(ratio_row(label, "CPU per message", "µs", runs, "ours", "floor", cpu_us, 1.1, "lower", "{:,.2f}"))
            if "pode_real" in runs:
                out.append(ratio_row(label, "messages/s into the handler", "msg/s", runs, "ours", "pode_real", rate))
                out.append(ratio_row(label, "CPU per message", "µs", runs, "ours", "pode_real", cpu_us, None, "lower", "{:,.2f}"))
                out.append(limit_row(label, "messages the handler never saw (lost)", "", runs, "pode_real",
                                     lambda r: r["lost"], 0, fmt="{:,.0f}", scored=False))
                if all("disconnect_failures" in r for r in runs["pode_real"]):
                    out.append(limit_row(label, "Disconnect-PodeWebSocket calls that failed (closed all the same)", "",
                                         runs, "pode_real", lambda r: r["disconnect_failures"], 0, fmt="{:,.0f}",
                                         scored=False))
    if "roundtrip" in s:
        for size, label in (("32", "round trip, 32 B"), ("4096", "round trip, 4 KiB")):
            runs = s["roundtrip"][size]
            out.append(ratio_row(label, "p50 latency", "µs", runs, "ours", "pode", lambda r: r["p50_us"], 1.0, "lower"))
            out.append(ratio_row(label, "p99 latency", "µs", runs, "ours", "pode", lambda r: r["p99_us"], None, "lower"))
            if "pode_real" in runs:
                out.append(ratio_row(label, "p50 latency", "µs", runs, "ours", "pode_real", lambda r: r["p50_us"], None, "lower"))
                out.append(ratio_row(label, "p99 latency", "µs", runs, "ours", "pode_real", lambda r: r["p99_us"], None, "lower"))
    if "native" in s:
        runs = s["native"]["runs"]
        label = "native ceiling: firehose through the C ABI"
        out.append(ratio_row(label, "messages/s", "msg/s", runs, "native", "raw", rate, 0.9))
        out.append(ratio_row(label, "CPU per message", "µs", runs, "native", "raw", cpu_us, None, "lower", "{:,.3f}"))
    if "outbound" in s:
        runs = s["outbound"]["runs"]
        label = "outbound: 64 B sends from PowerShell"
        out.append(ratio_row(label, "messages/s", "msg/s", runs, "ours", "pode", rate, 2.0))
        if s["outbound"].get("perf"):
            out.append(ratio_row(label, "write syscalls per message", "", runs, "ours", "pode", writes_per_msg, 0.5, "lower", "{:,.3f}"))
            out.append(ratio_row(label, "all syscalls per message", "", runs, "ours", "pode", syscalls_per_msg, None, "lower", "{:,.2f}"))
        if "ours_pipeline" in runs:
            plabel = "outbound: the same sends piped into one Send-PodeWebSocket"
            out.append(ratio_row(plabel, "messages/s", "msg/s", runs, "ours_pipeline", "pode", rate, None))
            if s["outbound"].get("perf"):
                out.append(ratio_row(plabel, "write syscalls per message", "", runs, "ours_pipeline", "pode", writes_per_msg, None, "lower", "{:,.3f}"))
    if "large" in s:
        runs = s["large"]["runs"]
        size_mib = s["large"]["size"] / (1024 * 1024)
        label = f"large: {size_mib:g} MiB binary messages"
        out.append(ratio_row(label, "throughput", "GB/s", runs, "ours", "raw", gbps, 0.9, fmt="{:,.2f}"))
        if "ours_reuse" in runs:
            out.append(ratio_row(label, "throughput with -ReuseRawBody", "GB/s", runs, "ours_reuse", "raw", gbps, 0.9, fmt="{:,.2f}"))
        out.append(ratio_row(label, "throughput (native, for reference)", "GB/s", runs, "native", "raw", gbps, None, fmt="{:,.2f}"))
        out.append(limit_row(label, "peak RSS over the idle baseline", "MiB", runs, "ours", peak_over_mib, 2 * size_mib, "raw", "{:,.1f}"))
        if "ours_reuse" in runs:
            out.append(limit_row(label, "peak RSS over the idle baseline with -ReuseRawBody", "MiB", runs, "ours_reuse",
                                 peak_over_mib, 2 * size_mib, "raw", "{:,.1f}"))
        if "native" in runs:
            out.append(limit_row(label, "peak RSS over the idle baseline, core alone (for reference)", "MiB", runs,
                                 "native", peak_over_mib, 2 * size_mib, "raw", "{:,.1f}", scored=False))
    if "idle" in s:
        runs = s["idle"]["runs"]
        conns = runs["ours"][0]["connections"]
        label = f"idle: {conns:,} open connections"
        out.append(ratio_row(label, "RSS per connection", "KiB", runs, "ours", "pode", lambda r: r["rss_per_conn_kib"], 0.5, "lower", "{:,.1f}"))
        out.append(limit_row(label, "CPU while idle", "% of a core", runs, "ours", idle_cpu_pct, 0.3, "pode", "{:,.2f}"))
        if all("idle_cpu_by_thread" in r for r in runs["ours"] + runs.get("pode", [])):
            out.append(limit_row(label, "CPU while idle, threads that stay (for reference)", "% of a core", runs, "ours",
                                 idle_staying_cpu_pct, 0.3, "pode", "{:,.2f}", scored=False))
        if "native" in runs:
            out.append(ratio_row(label, "RSS per connection, core alone (for reference)", "KiB", runs, "native", "raw", lambda r: r["rss_per_conn_kib"], None, "lower", "{:,.1f}"))
    if "churn" in s:
        runs = s["churn"]["runs"]
        cycles = runs["ours"][0]["cycles"]
        label = f"churn: {cycles:,} connect/disconnect cycles"
        out.append(ratio_row(label, "handshake p50", "µs", runs, "ours", "pode", lambda r: r["p50_us"], 1.0, "lower"))
        out.append(limit_row(label, "RSS growth after warm-up", "MiB", runs, "ours", lambda r: r["rss_growth_kib"] / 1024, 1.0, "pode", "{:,.2f}"))
        out.append(ratio_row(label, ".NET heap growth after warm-up (for reference)", "KiB", runs, "ours", "pode", lambda r: r.get("heap_growth_kib"), None, "lower", "{:,.0f}"))
        if "native" in runs:
            out.append(ratio_row(label, "handshake p50, core alone (for reference)", "µs", runs, "native", "raw", lambda r: r["p50_us"], None, "lower"))
            out.append(limit_row(label, "RSS growth, core alone (for reference)", "MiB", runs, "native", lambda r: r["rss_growth_kib"] / 1024, 1.0, "raw", "{:,.2f}", scored=False))
    if "compression" in s:
        runs = s["compression"]["runs"]
        label = "compression: the same JSON feed, permessage-deflate against -NoCompression"
        per_message = lambda r: r["wire_bytes_in"] / r["messages"]  # noqa: E731
        out.append(ratio_row(label, "bytes on the wire per message", "B", runs, "ours_deflate", "ours_plain",
                             per_message, None, "lower", "{:,.1f}"))
        out.append(ratio_row(label, "messages/s into the handler", "msg/s", runs, "ours_deflate", "ours_plain", rate))
        out.append(ratio_row(label, "CPU per message", "µs", runs, "ours_deflate", "ours_plain", cpu_us, None,
                             "lower", "{:,.2f}"))
    if "import" in s:
        runs = s["import"]["runs"]
        label = "import: Import-Module in a fresh pwsh"
        pode = "pode_real" if "pode_real" in runs else None
        out.append(limit_row(label, "first import after install, over a bare pwsh start", "s", runs, "ours",
                             lambda r: r["first_over_bare"], 0.3, pode, "{:,.3f}"))
        out.append(limit_row(label, "later imports, over a bare pwsh start", "s", runs, "ours",
                             lambda r: r["later_over_bare"], None, pode, "{:,.3f}", scored=False))
        if pode:
            out.append(ratio_row(label, "Import-Module time inside the process, first import", "ms", runs, "ours", pode,
                                 lambda r: r["import_ms_first"], None, "lower"))
            out.append(ratio_row(label, "Import-Module time inside the process, later imports", "ms", runs, "ours", pode,
                                 lambda r: r["import_ms_later"], None, "lower"))
        out.append(limit_row(label, "bare pwsh start (for reference)", "s", runs, "bare", lambda r: r["secs"],
                             None, None, "{:,.3f}", scored=False))
    return out


# ---------------------------------------------------------------------------------------------
# Text.

def fmt_value(row, value):
    if value is None:
        return "n/a"
    text = row["fmt"].format(value)
    return f"{text} {row['unit']}".strip()


def fmt_target(row):
    t = row["target"]
    if t is None:
        return "—"
    if row["kind"] == "limit":
        return f"< {t:g} {row['unit']}" if "met" in row else "—"
    op = "≥" if row["better"] == "higher" else "≤"
    return f"{op} {t:.2f}× {short_peer(row['peer'])}"


def short_peer(peer):
    return {"ours": "ours", "pode": "P", "floor": "F", "raw": "R", "native": "native",
            "ours_pipeline": "ours, piped", "ours_reuse": "ours, -ReuseRawBody", "pode_real": "Pode",
            "bare": "bare pwsh"}.get(peer, peer or "")


def met_text(row):
    if "met" not in row:
        return "info"
    return "**yes**" if row["met"] else "**NO**"


def summary_line(row):
    ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else "—"
    versus = f" vs {short_peer(row['peer'])}" if row.get("peer") else ""
    return (f"{row['scenario']} / {row['metric']} ({short_peer(row['ours_peer'])}{versus}): "
            f"ours {fmt_value(row, row['ours'])}, peer "
            f"{fmt_value(row, row.get('peer_value'))}, ratio {ratio}, target {fmt_target(row)}: "
            f"{met_text(row).strip('*')}")


def markdown(info, table):
    m = info["machine"]
    cfg = info["config"]
    lines = [
        "# PodeWebSocket benchmarks",
        "",
        f"Generated by `{info['command']}` ({info['mode']} mode) on {info['started']}, "
        f"in {info['secs'] / 60:.1f} minutes. Do not edit by hand: run the command again.",
        "",
        "Every scenario runs its peers alternately in the same run (A B A B …, "
        f"{cfg['pairs']} pair{'s' if cfg['pairs'] != 1 else ''}), because this shared machine's speed drifts. **ratio** is the "
        "median of the per-pair ratios ours ÷ peer; **ours** and **peer** are the medians of the "
        "absolute values. Peers are defined below the table.",
        "",
    ]
    scored = [r for r in table if "met" in r]
    lines.append(f"**{sum(1 for r in scored if r['met'])} of {len(scored)} targets met.**")
    lines += ["", "| scenario | metric | ours | peer | ratio (ours ÷ peer) | target | met? |",
              "|---|---|---|---|---|---|---|"]
    for r in table:
        ours = fmt_value(r, r["ours"])
        if r["ours_peer"] != "ours":
            ours += f" ({short_peer(r['ours_peer'])})"
        peer = fmt_value(r, r.get("peer_value")) + f" ({short_peer(r.get('peer'))})" if r.get("peer") else "—"
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "—"
        lines.append(f"| {r['scenario']} | {r['metric']} | {ours} | {peer} | {ratio} | {fmt_target(r)} | {met_text(r)} |")

    lines += ["", "![peers per scenario](benchmarks.svg)", "",
              "## Machine and load", "",
              f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory']}",
              f"- OS: {m['os']}",
              f"- PowerShell {m['pwsh']}",
              f"- {m['rust']}",
              f"- Commit: {m['commit']}",
              f"- Load average (1/5/15 min) at start: {info['load_start']}; at end: {info['load_end']}. "
              "Anything else running on the machine shows here; per-scenario load:",
              ""]
    lines += ["| scenario | load at start | load at end | duration |", "|---|---|---|---|"]
    order = ["firehose", "native", "roundtrip", "outbound", "large", "idle", "churn", "compression", "import"]
    for name, l in sorted(info["load"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        lines.append(f"| {name} | {l['start']} | {l['end']} | {l['secs']:.0f} s |")

    lines += ["", "## Workloads", "",
              f"- Inbound firehose: {cfg['firehose']:,} text messages of 32 B per run"
              + (f" ({cfg['firehose_pode']:,} for P, whose rate is flat after warm-up, to keep this "
                 "mode short)" if cfg["firehose_pode"] != cfg["firehose"] else "")
              + (f"; {cfg.get('firehose_pode_real', 0):,} for the real Pode, whose feed ends with the "
                 "server's close frame (`close=1`): its run ends when its handler has seen every "
                 "message, or when Pode has taken every message and its request queue is empty, "
                 "and the messages its handler never saw are reported as lost"
                 if "pode_real" in info["scenarios"].get("firehose", {}).get("Plain", {}) else "")
              + " from the echo server's `/firehose` route (JSON variant: `kind=json`, objects `{\"seq\":\"…\",\"p\":\"…\"}` "
              "of 32 B, parsed because the connection's ContentType is application/json). Time from "
              "before the connect until the handler has seen the last message; CPU of the whole "
              "client process over the same span.",
              f"- Round trip: {cfg['rt_trips']:,} sequential trips (after 200 warm-up trips) of 32 B "
              "and 4 KiB to `/echo`: `Send-…` from the main runspace, then wait until the handler has "
              "seen the echo.",
              f"- Native ceiling: the same firehose read by a Rust program through the C ABI "
              "(`pode_ws_connect`, then `pode_ws_poll` batches) against R reading it with "
              "tokio-tungstenite.",
              f"- Outbound: {cfg['outbound']:,} sends of 64 B with the peer's `Send-…` command in a "
              "loop, then `__count__`; the sink's reply (after it read every message) ends the "
              "clock. Syscalls of the client process during exactly that phase are counted with "
              "`perf stat -e syscalls:sys_enter_*` attached to its pid (write = write + writev + "
              "sendto + sendmsg + sendmmsg).",
              f"- Large: {cfg['large_count']} binary messages of {cfg['large_size'] // (1024 * 1024)} MiB "
              "into a handler reading `$WsEvent.Request.RawBody.Length`"
              + (", in a fresh pwsh" if "large" in cfg["fresh"] else ", in the long-lived worker")
              + "; peak RSS "
              "is VmHWM (reset via /proc/self/clear_refs after a warm-up and a full GC) minus VmRSS "
              "at that moment."
              + (" Ours twice: as a Pode user gets it (RawBody an array the handler may "
                 "keep, used again only once a collection found it unreachable) and with "
                 "`Connect-PodeWebSocket -ReuseRawBody` (RawBody valid only while handled, its array "
                 "handed back as soon as the handler moves on)."
                 if "ours_reuse" in info["scenarios"].get("large", {}).get("runs", {}) else ""),
              f"- Idle: {cfg['idle_conns']:,} connections to `/echo` opened by one "
              + ("fresh " if "idle" in cfg["fresh"] else "long-lived ") + "pwsh, held "
              f"{cfg['idle_secs']} s after a {cfg['idle_settle']} s settle (the JIT's tier-up of the "
              "connect path runs on for seconds after the connects); RSS per connection = (VmRSS "
              "after the hold − VmRSS before the "
              "first connect) ÷ connections, " + retained_text(info, "idle")
              + ", the first after a warm-up round "
              "of as many connections opened and closed (what a process pays once, the connect "
              "path's JIT code and the GC's heap growth, is not counted as the connections'); CPU = the process's CPU time "
              "during the hold; \"threads that stay\" counts the threads alive at the end of the hold (their "
              "schedstat time in it), leaving out those that ended in it: in a fresh pwsh mostly .NET's "
              "tiered-compilation thread, which ends and starts again while it compiles (bench/ANALYSIS.md, fourth "
              "pass" + ("" if info.get("thread_cpu_split") == "by thread" else
                        "; this run, from before commit 8ce505e, split by thread name, so a name whose thread "
                        "ended counted only if its other threads gained more") + ").",
              f"- Churn: {cfg['churn_warmup']:,} warm-up + {cfg['churn']:,} cycles of connect, "
              "disconnect and remove in a " + ("fresh" if "churn" in cfg["fresh"] else "long-lived")
              + " pwsh; handshake = duration of the connect command; "
              "RSS growth = VmRSS at the end − VmRSS after the warm-up, "
              + retained_text(info, "churn")
              + ("; one more aggressive collection runs midway through the warm-up, since the first "
                 "of a process gives back memory the GC takes again at once"
                 if "rss_sampled_after" in (info["scenarios"].get("churn", {}).get("runs", {}).get("ours") or [{}])[0]
                 else "") + ".",
              "- CPU time is utime + stime from /proc/<pid>/stat (every thread, 10 ms ticks) for "
              "pwsh; for the Rust harnesses, the sum of each thread's schedstat (ns).",
              ""]

    if "compression" in info["scenarios"]:
        # before the CPU bullet, the last of the workloads
        lines.insert(len(lines) - 2, (
            f"- Compression: {info['scenarios']['compression']['count']:,} JSON trades of about 160 B "
            "(`/firehose?kind=trades`: an exchange feed's field names, varying prices, quantities, "
            "ids and times) from a second echo server started with `--deflate` (zlib level 6, "
            "context takeover), into the JSON handler; ours with its default offer "
            "(permessage-deflate negotiated: **ours, deflate**) against ours with `-NoCompression` "
            "(**ours, plain**), alternating in one worker. Bytes on the wire are "
            "`Get-PodeWebSocket`'s `WireBytesIn` (frames as received, headers included) at the end "
            "of the run."))
    if "import" in info["scenarios"]:
        # before the CPU bullet, the last of the workloads
        lines.insert(len(lines) - 2, (
            "- Import: per pair, the package (`scripts/package.sh`) installed anew with "
            "`Install-PSResource` from a local repository (and a new copy of Pode 2.14.0, when "
            "`scripts/find-pode.sh` finds it), then "
            f"{1 + cfg.get('import_later', 0)} rounds of three new processes, `pwsh -NoProfile "
            "-NonInteractive -Command` with nothing (bare), `Import-Module PodeWebSocket` and "
            "`Import-Module Pode`, each seeing only its module folder (`PSModulePath`); round 1 "
            "holds the first imports after the install. Wall time of the whole process; \"over "
            "a bare pwsh start\" is the difference to the bare start of the same round; the "
            "time inside the process is a Stopwatch around `Import-Module`."))
    lines += ["## Peers", "",
              "- **ours**: the PodeWebSocket module (`powershell/PodeWebSocket`), its public "
              "Pode-compatible commands, handler scriptblocks run by its dispatcher.",
              "- **P**: .NET `System.Net.WebSockets.ClientWebSocket` driven from PowerShell 7 the "
              "way Pode drives it (`bench/ps/PodeLike.cs`, `bench/ps/PodeLike.ps1`): a receive loop "
              "per connection queueing one request per message; one receive runspace taking them one "
              "by one, building the `$WsEvent` hashtable, parsing by ContentType and invoking the "
              "handler through a `GetNewClosure()` + `& $sb @args` helper; sends awaited one by one.",
              "- **F**: the PowerShell floor (`bench/ps/Floor.ps1`): the same handler over a "
              "pre-filled array of the same messages (pre-built `$WsEvent` hashtables, no network, "
              "no native code), invoked the fastest way PowerShell offers; for JSON the parse is "
              "inside the loop (every implementation has to parse).",
              "- **Pode**: the real Pode 2.14.0 client (Badgerati/Pode, found by `scripts/find-pode.sh`) through its own "
              "`Connect-`, `Send-`, `Disconnect-` and `Remove-PodeWebSocket`. `Connect-PodeWebSocket` "
              "works only inside `Start-PodeServer`, so that worker runs inside a Pode server "
              "(`Start-PodeServer -Quiet`, one connection opened by the server script so that Pode "
              "starts its WebSocket consumer runspaces, the commands run from a `Running` event "
              "hook, i.e. while the server runs, as from a route or a timer). Its handlers run in "
              "Pode's two consumer runspaces and count with the same interlocked counter. Pode "
              "stores a connection only after its connect returns and drops the messages that "
              "arrive before: those are the lost messages. In the import scenario, the Pode module "
              "itself, imported as installed.",
              "- **R**: raw tokio-tungstenite in Rust, no FFI (`examples/bench_raw.rs`).",
              "- **native**: our core read through its C ABI by Rust (`examples/bench_native.rs`).",
              "- **bare pwsh** (import only): a pwsh start that imports nothing.",
              "",
              "Every PowerShell peer runs the same handlers (`bench/ps/Handlers.ps1`), each making "
              "one call to a static counter per message.",
              ""]

    methods = info["scenarios"].get("firehose", {}).get("floor_methods")
    if methods:
        lines += ["### Why F uses a compiled process block", "",
                  "One run of every way of invoking the handler per message "
                  f"({methods['Plain']['messages']:,} messages; µs per message, lower is better):", "",
                  "| method | text | JSON (+ parse: cmdlet / API) |", "|---|---|---|"]
        descriptions = {
            "call": "`foreach` + `$WsEvent = $e; & $handler`",
            "dot": "`foreach` + `$WsEvent = $e; . $handler`",
            "context": "`$handler.InvokeWithContext($null, $vars)`",
            "steppable": "`process {}` block compiled once, `SteppablePipeline.Process($e)` per item",
            "pipeline": "`process {}` block compiled once, `$events \\| & $compiled`",
        }
        for method, text in descriptions.items():
            n = methods["Plain"]["messages"]
            plain = methods["Plain"]["methods"].get(method)
            jc = methods["Json"]["methods"].get(method + "+cmdlet")
            ja = methods["Json"]["methods"].get(method + "+api")
            us = lambda r: f"{r['secs'] * 1e6 / n:.2f}" if r else "n/a"  # noqa: E731
            lines.append(f"| {text} | {us(plain)} | {us(jc)} / {us(ja)} |")
        lines += ["", "The compiled process block runs the handler's code with no new scope, no "
                  "parameter binding and no method-call binder per item, which is why it is the "
                  "fastest; F takes the faster of its two forms in each run (`pipeline` or "
                  "`steppable`), with the faster parse (the `JsonObject.ConvertFromJson` API that "
                  "`ConvertFrom-Json` calls).", ""]

    outbound = info["scenarios"].get("outbound")
    if outbound and outbound.get("perf"):
        lines += ["### Outbound syscalls by kind", "",
                  "Median per message, counted by perf for the client process during the send phase "
                  "(ours: `write` is mostly the eventfd that wakes the core's runtime, `sendto` the "
                  "socket; P writes the socket with `sendmsg`/`sendto` from the calling thread):", "",
                  "| peer | " + " | ".join(WRITE_KINDS + ["all syscalls"]) + " |",
                  "|---|" + "---|" * (len(WRITE_KINDS) + 1)]
        for peer, runs in outbound["runs"].items():
            cells = []
            for kind in WRITE_KINDS + ["sys_enter"]:
                values = [r["syscalls"].get(kind, 0) / r["messages"] for r in runs if r.get("syscalls")]
                cells.append(f"{median(values):.3f}" if values else "n/a")
            lines.append(f"| {PEER_NAMES.get(peer, peer)} | " + " | ".join(cells) + " |")
        lines.append("")

    lines += ["## Every run", "", "Per-pair values (in run order), for checking the medians:", ""]
    for r in table:
        vals = ", ".join(r["fmt"].format(v) if v is not None else "n/a" for v in r["ours_all"])
        line = f"- {r['scenario']} / {r['metric']}: {short_peer(r['ours_peer'])} [{vals}]"
        if r.get("peer_all"):
            pv = ", ".join(r["fmt"].format(v) if v is not None else "n/a" for v in r["peer_all"])
            line += f"; {short_peer(r['peer'])} [{pv}]"
        if r["ratios"]:
            line += "; ratios [" + ", ".join(f"{x:.2f}" for x in r["ratios"]) + "]"
        lines.append(line)
    lines.append("")

    if os.path.exists(ANALYSIS):
        with open(ANALYSIS) as f:
            lines += ["## Analysis of the misses", "",
                      "Hand-written from profiling (`bench/ANALYSIS.md`, included as is; its "
                      "numbers come from the runs it names, not necessarily this one).", "",
                      f.read().strip(), ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Chart: one bar per row, how many times better ours is than the peer (log scale; > 1 = ours
# better), with the target as a tick. Limit rows show limit ÷ value (> 1 = within the limit).

def advantage(row):
    if row["kind"] == "limit" and row["target"] is None:
        return None, None
    if row["kind"] == "limit":
        v = row["ours"]
        return (row["target"] / v if v and v > 0 else None), 1.0
    r = row["ratio"]
    if r is None or r <= 0:
        return None, None
    t = row["target"]
    if row["better"] == "higher":
        return r, t
    return 1 / r, (1 / t if t else None)


SHORT_SCENARIOS = [("inbound firehose, 32 B text", "firehose text"),
                   ("inbound firehose, 32 B JSON", "firehose JSON"),
                   ("round trip, 32 B", "round trip 32 B"), ("round trip, 4 KiB", "round trip 4 KiB"),
                   ("native ceiling", "native ceiling"), ("outbound: the same", "outbound piped"),
                   ("outbound", "outbound loop"), ("large", "large"), ("idle", "idle"), ("churn", "churn"),
                   ("import", "import")]
SHORT_METRICS = [("messages/s", "msg/s"), ("CPU per message", "CPU/msg"), ("p50 latency", "p50"),
                 ("p99 latency", "p99"), ("write syscalls", "write syscalls/msg"),
                 ("all syscalls", "syscalls/msg"), ("throughput (native", "GB/s, native"),
                 ("throughput", "GB/s"), ("peak RSS", "peak RSS"), ("RSS per connection, core", "RSS/conn, core"),
                 ("RSS per connection", "RSS/conn"), ("CPU while idle, threads", "idle CPU, threads that stay"),
                 ("CPU while idle", "idle CPU"),
                 ("handshake p50, core", "handshake p50, core"), ("handshake p50", "handshake p50"),
                 ("RSS growth, core", "RSS growth, core"), ("RSS growth", "RSS growth"),
                 (".NET heap growth", ".NET heap growth"), ("first import", "first import over bare pwsh")]


def short_label(row):
    scenario = next((v for k, v in SHORT_SCENARIOS if row["scenario"].startswith(k)), row["scenario"])
    metric = next((v for k, v in SHORT_METRICS if row["metric"].startswith(k)), row["metric"])
    return f"{scenario}: {metric}"


def svg(info, table):
    bars = [(row,) + advantage(row) for row in table]
    bars = [b for b in bars if b[1] is not None]
    values = [b[1] for b in bars] + [b[2] for b in bars if b[2]]
    lo = min(values + [0.5]) / 1.6
    hi = max(values + [2.0]) * 1.6
    lo, hi = max(lo, 1e-2), min(hi, 1e3)
    left, right, top, row_h = 370, 70, 70, 24
    width = 1100
    plot_w = width - left - right
    height = top + row_h * len(bars) + 70

    def x(v):
        v = min(max(v, lo), hi)
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">'
           'PodeWebSocket against its peers: how many times better (log scale)</text>',
           f'<text x="{width / 2}" y="42" text-anchor="middle" fill="#444">'
           f'{html.escape(info["started"])}, {info["mode"]} mode, median of {info["config"]["pairs"]} '
           'alternating pairs. Bar = ours vs the peer (1× = equal, right = ours better); '
           '| = target; green met, red missed, grey no target.</text>']
    # Grid: powers of ten and 2x/5x.
    decade = math.floor(math.log10(lo))
    while 10 ** decade <= hi:
        for mult in (1, 2, 5):
            v = mult * 10 ** decade
            if lo <= v <= hi:
                gx = x(v)
                strong = mult == 1
                out.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{top + row_h * len(bars)}" '
                           f'stroke="{"#bbb" if strong else "#e4e4e4"}"/>')
                out.append(f'<text x="{gx:.1f}" y="{top + row_h * len(bars) + 16}" text-anchor="middle" '
                           f'fill="#555">{v:g}×</text>')
        decade += 1
    one = x(1.0)
    out.append(f'<line x1="{one:.1f}" y1="{top - 10}" x2="{one:.1f}" y2="{top + row_h * len(bars)}" '
               'stroke="#000" stroke-width="1.5"/>')
    for i, (row, adv, target) in enumerate(bars):
        y = top + i * row_h
        color = "#9e9e9e" if "met" not in row else ("#2e7d32" if row["met"] else "#c62828")
        peer = "limit" if row["kind"] == "limit" else short_peer(row["peer"])
        who = short_peer(row["ours_peer"])
        label = f"{short_label(row)} ({who} vs {peer})"
        out.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{html.escape(label)}</text>')
        x0, x1 = sorted((one, x(adv)))
        out.append(f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 10}" '
                   f'fill="{color}"/>')
        shown = f"{adv:.2f}×" if lo <= adv <= hi else (f"> {hi:g}×" if adv > hi else f"< {lo:g}×")
        # Values sit right of the bar's outer end, or right of the 1× line for bars going left.
        tx = max(x(adv), one) + 6
        anchor = "start"
        out.append(f'<text x="{tx:.1f}" y="{y + 16}" text-anchor="{anchor}" fill="#222">{shown}</text>')
        if target:
            gx = x(target)
            out.append(f'<line x1="{gx:.1f}" y1="{y + 2}" x2="{gx:.1f}" y2="{y + row_h - 2}" '
                       'stroke="#000" stroke-width="2.5"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 20}" text-anchor="middle" fill="#444">'
               'ours better than the peer by this factor (for "lower is better" metrics: peer ÷ ours; '
               'for limits: limit ÷ ours)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

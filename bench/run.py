#!/usr/bin/env python3
"""Runs the benchmark suite and writes the results file and chart (see bench/README.md).

    python3 bench/run.py --mode quick|full|smoke [--out DIR] [--only SCENARIO,...]

Expects the binaries and assemblies that scripts/bench.sh builds first. Every scenario runs its
peers alternately in the same run (A B A B ..., `pairs` times) and reports, per metric, the
median of the per-pair ratios and the median of each peer's absolute values.
Standard library only (no matplotlib on this machine): the chart is written as SVG by hand.
"""

import argparse
import datetime
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import report  # noqa: E402  (bench/report.py: table, markdown and SVG)

EXAMPLES = os.path.join(ROOT, "target", "release", "examples")
GLUE = os.path.join(ROOT, "target", "bench", "glue")
MODULE = os.path.join(ROOT, "powershell", "PodeWebSocket", "PodeWebSocket.psd1")
MIB = 1024 * 1024

# Workload sizes per mode. "full" is the specification. "quick" keeps every scenario and
# 5 pairs with smaller counts and gives P (two orders of magnitude slower per message) a tenth of
# the firehose. "smoke" only proves the scripts work. `fresh`: the scenarios whose figures are
# memory (idle, churn, large) run each measurement in a new pwsh; otherwise in the long-lived
# worker (large resets VmHWM itself, so it stays meaningful there).
MODES = {
    "full": dict(pairs=5, firehose=200_000, firehose_pode=200_000, firehose_pode_real=50_000, rt_trips=5_000,
                 outbound=100_000, large_count=64, large_size=16 * MIB, idle_conns=1_000,
                 # churn warms up 3,000 cycles: .NET's tier-up of the connect path goes on that long
                 # in both PowerShell peers (bench/diag/Churn.ps1: compiled methods and RSS level
                 # off after ~3,000 cycles), and growth before that is JIT code, not connections
                 idle_secs=10, idle_settle=10, churn=1_000, churn_warmup=3_000, import_later=3,
                 fresh={"idle", "churn", "large"}),
    "quick": dict(pairs=5, firehose=20_000, firehose_pode=2_000, firehose_pode_real=2_000, rt_trips=500, outbound=3_000,
                  large_count=8, large_size=16 * MIB, idle_conns=100, idle_secs=1, idle_settle=2,
                  churn=100, churn_warmup=100, import_later=3, fresh={"idle", "churn"}),
    "smoke": dict(pairs=1, firehose=300, firehose_pode=300, firehose_pode_real=300, rt_trips=20, outbound=200,
                  large_count=2, large_size=1 * MIB, idle_conns=5, idle_secs=1, idle_settle=0,
                  churn=5, churn_warmup=2, import_later=1, fresh=set()),
}
SERVER = None  # the load server of this run (Server), restarted by alternate() if it dies
SCENARIOS = ["firehose", "native", "roundtrip", "outbound", "large", "idle", "churn", "compression", "import"]
# Set from the command line (scripts/bench.sh packages the module and finds Pode before it runs
# this): the package the import scenario installs, and the real Pode 2.14.0's Pode.psd1 (peer
# "Pode" of the firehose and round-trip scenarios, and what the import scenario compares with).
IMPORT = {"repository": None, "pode": None}
WRITE_SYSCALLS = ["write", "writev", "sendto", "sendmsg", "sendmmsg"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pwsh_path():
    found = shutil.which("pwsh") or os.path.expanduser("~/.dotnet/tools/pwsh")
    if not os.path.exists(found):
        sys.exit("pwsh not found (install it with scripts/install-deps.sh)")
    return found


class Server:
    """The project's echo_server example: the load source (firehose, echo, sink).

    It runs from a copy named bench-load-server, so another engineer's `pkill echo_server` on
    this shared machine does not end it, and it is restarted on the same port if it dies anyway
    (`ensure`, called before every measured run)."""

    def __init__(self, deflate=False):
        self.deflate = deflate  # accept permessage-deflate (the compression scenario's server)
        self.binary = os.path.join(ROOT, "target", "bench", "bench-load-server")
        # Copy then rename: a server still running from an earlier copy keeps its file.
        shutil.copy2(os.path.join(EXAMPLES, "echo_server"), self.binary + ".tmp")
        os.replace(self.binary + ".tmp", self.binary)
        self.port = None
        self._start()

    def _start(self):
        args = [self.binary, "--exit-on-stdin-close"] + (["--deflate"] if self.deflate else [])
        if self.port:
            args += ["--port", str(self.port)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "LISTENING":
            sys.exit(f"the load server did not start: {line}")
        self.port = int(line[1])
        self.base = f"ws://127.0.0.1:{self.port}"

    def ensure(self):
        if self.proc.poll() is not None:
            log(f"the load server exited (code {self.proc.returncode}); restarting it on port {self.port}")
            self._start()

    def url(self, path):
        return self.base + path

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Worker:
    """One pwsh process holding one peer (bench/ps/worker.ps1), driven line by line. Peer
    `pode_real` is the real Pode: its worker runs inside a Pode server, which keeps one connection
    to the load server's /echo open from its start (Pode's consumer runspaces need one)."""

    def __init__(self, peer):
        self.peer = peer
        args = [pwsh_path(), "-NoProfile", "-NonInteractive", "-File",
                os.path.join(ROOT, "bench", "ps", "worker.ps1"), "-Peer", peer, "-GlueDir", GLUE]
        if peer == "ours":
            args += ["-ModulePath", MODULE]
        if peer == "pode_real":
            args += ["-PodeModule", IMPORT["pode"], "-StartUrl", SERVER.url("/echo")]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        ready = self._next(120)
        for _ in range(50):  # what a framework prints while it starts
            if ready.startswith("READY "):
                break
            print(f"[{peer} worker] {ready}", file=sys.stderr)
            ready = self._next(120)
        if not ready.startswith("READY "):
            raise RuntimeError(f"{peer} worker did not start: {ready!r}")
        # The pwsh launcher may be a shim: READY carries the pid of the process that runs the
        # peer, which is the one measured (perf, /proc).
        self.pid = int(ready.split()[1])

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _next(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"{self.peer} worker: no answer within {timeout} s")
        if line is None:
            raise RuntimeError(f"{self.peer} worker exited (code {self.proc.poll()})")
        return line

    def run(self, op, timeout=1800, on_sync=None, **args):
        self.proc.stdin.write(json.dumps(dict(op=op, **args)) + "\n")
        self.proc.stdin.flush()
        sync_state = None
        while True:
            line = self._next(timeout)
            if line == "SYNC":
                sync_state = on_sync(self.pid) if on_sync else None
                self.proc.stdin.write("go\n")
                self.proc.stdin.flush()
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
                if sync_state is not None:
                    result["_sync"] = sync_state
                if "error" in result:
                    raise RuntimeError(f"{self.peer} {op}: {result['error']}")
                return result

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self):
        for pid in (self.pid, self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (OSError, AttributeError):
                pass


def isolated(cfg, workers, peer, op, **args):
    """Runs one command in a fresh worker when the mode asks for it (memory scenarios: a process
    of their own), else in the long-lived worker of that peer."""
    if op.lower() not in cfg["fresh"]:
        return workers[peer].run(op, **args)
    worker = Worker(peer)
    try:
        return worker.run(op, **args)
    finally:
        worker.close()


def rust(binary, *args, timeout=600):
    out = subprocess.run([os.path.join(EXAMPLES, binary), *map(str, args)], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{binary} {' '.join(map(str, args))} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class SyscallCounter:
    """perf stat on the worker's pid for the measured phase only (between SYNC and RESULT)."""

    def __init__(self):
        self.available = shutil.which("perf") is not None and self._probe()
        self.proc = None

    @staticmethod
    def _probe():
        r = subprocess.run(["perf", "stat", "-x,", "-e", "syscalls:sys_enter_write", "true"],
                           capture_output=True, text=True)
        return r.returncode == 0

    def start(self, pid):
        if not self.available:
            return None
        self.out = tempfile.NamedTemporaryFile(prefix="perf-", suffix=".csv", delete=False).name
        events = ",".join(f"syscalls:sys_enter_{s}" for s in WRITE_SYSCALLS) + ",raw_syscalls:sys_enter"
        self.proc = subprocess.Popen(["perf", "stat", "-x,", "-e", events, "-p", str(pid),
                                      "-o", self.out], stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf needs a moment to attach to every thread
        return True

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(20)
        self.proc = None
        counts = {}
        with open(self.out) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) > 2 and ":" in parts[2]:
                    try:
                        counts[parts[2].split(":")[-1].replace("sys_enter_", "")] = int(parts[0])
                    except ValueError:
                        pass
        os.unlink(self.out)
        return counts


# ---------------------------------------------------------------------------------------------
# Scenarios. Each returns {"runs": {peer: [result per pair]}, ...}; report.py turns them into
# rows. Peers run alternately within each pair.
# ---------------------------------------------------------------------------------------------

def alternate(pairs, runners, label, warmups=()):
    """Runs each warm-up once (not recorded: JIT tiering of a long-lived pwsh settles over the
    first runs), then the runners alternately, `pairs` rounds."""
    for warm in warmups:
        SERVER.ensure()
        warm()
    runs = {name: [] for name, _ in runners}
    for i in range(pairs):
        for name, fn in runners:
            SERVER.ensure()
            started = time.time()
            try:
                result = fn()
            except RuntimeError as e:
                if SERVER.proc.poll() is None:
                    raise
                # The server died under the run (killed from outside): measure that run again.
                log(f"{label} pair {i + 1} {name}: the load server died during the run ({e}); again")
                SERVER.ensure()
                started = time.time()
                result = fn()
            result["_wall"] = time.time() - started
            runs[name].append(result)
            log(f"{label} pair {i + 1}/{pairs} {name}: " + report.brief(result))
    return runs


def scenario_firehose(cfg, server, workers):
    out = {}
    n, n_pode, n_real = cfg["firehose"], cfg["firehose_pode"], cfg["firehose_pode_real"]
    for variant, kind in (("Plain", "text"), ("Json", "json")):
        url = server.url(f"/firehose?count={n}&size=32&kind={kind}")
        url_pode = server.url(f"/firehose?count={n_pode}&size=32&kind={kind}")
        # The real Pode may drop messages: the server closes after the last one, so the run
        # knows when Pode has taken them all (bench/ps/Scenarios.ps1, FirehoseToClose).
        url_real = server.url(f"/firehose?count={n_real}&size=32&kind={kind}&close=1")
        runners = [
            ("ours", lambda: workers["ours"].run("Firehose", Url=url, Count=n, Variant=variant)),
            ("pode", lambda: workers["pode"].run("Firehose", Url=url_pode, Count=n_pode,
                                                 Variant=variant)),
            ("floor", lambda: workers["floor"].run("Floor", Count=n, Variant=variant,
                                                   Methods=["steppable", "pipeline"])),
        ]
        if "pode_real" in workers:
            runners.append(("pode_real", lambda: workers["pode_real"].run(
                "FirehoseToClose", Url=url_real, Count=n_real, Variant=variant)))
        # Warm-ups at the measured count, four each for ours and F: .NET's tier-up of their hot
        # paths goes on for ~1,000,000 messages (bench/diag/Firehose.ps1 shows JIT bursts of
        # ~300 methods and 100 ms in the third 200,000-message run, none from the fifth), and
        # the table is about the steady state of a long-running process. P is warmed less: one
        # of its runs takes over a minute, and its cost per message is not JIT-bound.
        warm_n, warm_p = n, min(n_pode, 2_000)
        warm_url = server.url(f"/firehose?count={warm_n}&size=32&kind={kind}")
        warm_url_p = server.url(f"/firehose?count={warm_p}&size=32&kind={kind}")
        warmups = [lambda: workers["ours"].run("Firehose", Url=warm_url, Count=warm_n, Variant=variant)] * 4
        warmups += [lambda: workers["pode"].run("Firehose", Url=warm_url_p, Count=warm_p, Variant=variant)]
        warmups += [lambda: workers["floor"].run("Floor", Count=warm_n, Variant=variant,
                                                 Methods=["steppable", "pipeline"])] * 4
        if "pode_real" in workers:
            warm_r = server.url(f"/firehose?count={warm_p}&size=32&kind={kind}&close=1")
            warmups += [lambda: workers["pode_real"].run("FirehoseToClose", Url=warm_r,
                                                        Count=warm_p, Variant=variant)]
        out[variant] = alternate(cfg["pairs"], runners, f"firehose {variant}", warmups)
    # Every way of invoking the handler, once, to show why F uses the compiled process block.
    out["floor_methods"] = {v: workers["floor"].run("Floor", Count=min(n, 20_000), Variant=v)
                            for v in ("Plain", "Json")}
    return out


def scenario_native(cfg, server, workers):
    n = cfg["firehose"]
    url = server.url(f"/firehose?count={n}&size=32")
    runners = [("native", lambda: rust("bench_native", "firehose", url, n)),
               ("raw", lambda: rust("bench_raw", "firehose", url, n))]
    return {"runs": alternate(cfg["pairs"], runners, "native ceiling")}


def scenario_roundtrip(cfg, server, workers):
    out = {}
    url = server.url("/echo")
    peers = [p for p in ("ours", "pode", "pode_real") if p in workers]
    for size in (32, 4096):
        runners = [(p, (lambda p=p: workers[p].run("Roundtrip", Url=url, Size=size,
                                                   Trips=cfg["rt_trips"])))
                   for p in peers]
        warmups = [(lambda p=p: workers[p].run("Roundtrip", Url=url, Size=size, Trips=200))
                   for p in peers]
        out[str(size)] = alternate(cfg["pairs"], runners, f"round trip {size} B", warmups)
    return out


def scenario_outbound(cfg, server, workers):
    counter = SyscallCounter()
    url = server.url("/sink")

    def run(peer, pipeline=False):
        result = workers[peer].run("Outbound", Url=url, Count=cfg["outbound"], Size=64,
                                   Pipeline=pipeline, Sync=counter.available,
                                   on_sync=counter.start)
        result["syscalls"] = counter.stop()
        return result

    # ours_pipeline: the same sends piped into one Send-PodeWebSocket call (P's command takes
    # no pipeline input, so it has only the loop).
    runners = [("ours", lambda: run("ours")), ("pode", lambda: run("pode")),
               ("ours_pipeline", lambda: run("ours", True))]
    warmups = [(lambda p=p, piped=piped: workers[p].run("Outbound", Url=url, Count=min(cfg["outbound"], 1_000),
                                                         Size=64, Pipeline=piped))
               for p, piped in (("ours", False), ("pode", False), ("ours", True))]
    return {"runs": alternate(cfg["pairs"], runners, "outbound", warmups), "perf": counter.available}


def scenario_large(cfg, server, workers):
    n, size = cfg["large_count"], cfg["large_size"]
    url = server.url(f"/firehose?count={n}&size={size}&kind=binary")
    warm = server.url("/firehose?count=4&size=65536&kind=binary")
    runners = [
        ("ours", lambda: isolated(cfg, workers, "ours", "Large", Url=url, WarmupUrl=warm,
                                  Count=n, Size=size)),
        # Connect-PodeWebSocket -ReuseRawBody: RawBody valid only while handled, arrays reused at once
        ("ours_reuse", lambda: isolated(cfg, workers, "ours", "Large", Url=url, WarmupUrl=warm,
                                        Count=n, Size=size, ReuseRawBody=True)),
        ("raw", lambda: rust("bench_raw", "large", url, n)),
        ("native", lambda: rust("bench_native", "large", url, n)),
    ]
    return {"runs": alternate(cfg["pairs"], runners, "large"), "size": size}


def scenario_idle(cfg, server, workers):
    url = server.url("/echo")
    n, secs = cfg["idle_conns"], cfg["idle_secs"]
    runners = [(p, (lambda p=p: isolated(cfg, workers, p, "Idle", Url=url, Count=n, Seconds=secs,
                                         Settle=cfg["idle_settle"])))
               for p in ("ours", "pode")]
    # The core alone and R, for context: how much of ours is the native core.
    runners += [(b.split("_")[1], (lambda b=b: rust(b, "idle", url, n, secs)))
                for b in ("bench_native", "bench_raw")]
    return {"runs": alternate(cfg["pairs"], runners, "idle")}


def scenario_churn(cfg, server, workers):
    url = server.url("/echo")
    n, warm = cfg["churn"], cfg["churn_warmup"]
    runners = [(p, (lambda p=p: isolated(cfg, workers, p, "Churn", Url=url, Cycles=n,
                                         Warmup=warm)))
               for p in ("ours", "pode")]
    runners += [(b.split("_")[1], (lambda b=b: rust(b, "churn", url, n, warm)))
                for b in ("bench_native", "bench_raw")]
    return {"runs": alternate(cfg["pairs"], runners, "churn")}


def fresh_pwsh(statement, env_extra, timeout=180):
    """Runs `statement` in a new pwsh process; returns (wall seconds of the whole process, the
    milliseconds the statement took inside it)."""
    script = ("$sw = [System.Diagnostics.Stopwatch]::StartNew(); " + statement +
              "; [Console]::Out.WriteLine($sw.Elapsed.TotalMilliseconds)")
    env = dict(os.environ, **env_extra)
    started = time.perf_counter()
    out = subprocess.run([pwsh_path(), "-NoProfile", "-NonInteractive", "-Command", script],
                         env=env, capture_output=True, text=True, timeout=timeout)
    secs = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"pwsh -Command {statement!r} failed: {(out.stdout + out.stderr).strip()[-600:]}")
    return secs, float(out.stdout.strip().splitlines()[-1])


def install_package(repository, work):
    """Install-PSResource from the local repository into a new per-user home under `work`, as a
    user installs it; returns the module folder it installed into (not timed)."""
    home = os.path.join(work, "home")
    for sub in (".local/share", ".cache", ".config", "Library/Application Support"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, ".local/share"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"), XDG_CONFIG_HOME=os.path.join(home, ".config"))
    script = ("$ErrorActionPreference = 'Stop'; "
              f"Register-PSResourceRepository -Name PodeWebSocketBench -Uri '{repository}' -Trusted; "
              "Install-PSResource -Name PodeWebSocket -Repository PodeWebSocketBench -Scope CurrentUser; "
              "(Get-InstalledPSResource -Name PodeWebSocket).InstalledLocation")
    out = subprocess.run([pwsh_path(), "-NoProfile", "-NonInteractive", "-Command", script],
                         env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"Install-PSResource failed: {(out.stdout + out.stderr).strip()[-600:]}")
    return out.stdout.strip().splitlines()[-1]


def install_pode(pode_manifest, work):
    """A new copy of Pode in a module folder of its own, as an install leaves it."""
    modules = os.path.join(work, "pode-modules")
    shutil.copytree(os.path.dirname(pode_manifest), os.path.join(modules, "Pode"))
    return modules


def scenario_compression(cfg, server, workers):
    """The same JSON feed (an exchange's trades, about 160 B each) from a server that accepts
    permessage-deflate, into a handler: ours with its default offer against ours with
    -NoCompression, alternating in one worker. Bytes on the wire and messages/s, side by side."""
    deflating = Server(deflate=True)
    try:
        n = cfg["firehose"]
        url = deflating.url(f"/firehose?count={n}&kind=trades")

        def run(no_compression):
            deflating.ensure()
            return workers["ours"].run("FirehoseWire", Url=url, Count=n, NoCompression=no_compression)

        runners = [("ours_deflate", lambda: run(False)), ("ours_plain", lambda: run(True))]
        warmups = [lambda: run(False), lambda: run(True)] * 2
        runs = alternate(cfg["pairs"], runners, "compression", warmups)
    finally:
        deflating.close()
    for result in runs["ours_deflate"]:
        if not result["negotiated"]:
            raise RuntimeError("compression: permessage-deflate was not negotiated with the deflating server")
    return {"runs": runs, "count": n}


def scenario_import(cfg, server, workers):
    """Import-Module in a fresh pwsh: the first import after an install and later ones, against a
    bare pwsh start and against importing Pode, all in the same run. Each pair installs anew, then
    runs rounds of bare, ours, Pode (round 1 = the first imports); a difference over bare is taken
    within one round (the runs next to each other in time)."""
    repository, pode = IMPORT["repository"], IMPORT["pode"]
    if not repository:
        raise RuntimeError("the import scenario needs the package (scripts/bench.sh builds it: --package-repo)")
    if not pode:
        log("import: Pode 2.14.0 not found (scripts/find-pode.sh): measuring without it")
    base = os.path.join(ROOT, "target", "bench", "import", "runs")
    shutil.rmtree(base, ignore_errors=True)
    empty = os.path.join(base, "empty-modules")
    os.makedirs(empty)
    statements = {"bare": ("$null", lambda paths: empty),
                  "ours": ("Import-Module PodeWebSocket -ErrorAction Stop", lambda paths: paths["ours"])}
    if pode:
        # "pode_real": the real Pode, not the Pode-like peer P of the other scenarios
        statements["pode_real"] = ("Import-Module Pode -ErrorAction Stop", lambda paths: paths["pode"])

    def install(work):
        paths = {"ours": install_package(repository, work)}
        if pode:
            paths["pode"] = install_pode(pode, work)
        return paths

    def run(peer, paths):
        statement, modules = statements[peer]
        return fresh_pwsh(statement, {"PSModulePath": modules(paths)})

    # Warm-up, not recorded: pwsh's own files into the page cache, its startup profile written.
    warm = install(os.path.join(base, "warmup"))
    for peer in statements:
        run(peer, warm)

    runs = {peer: [] for peer in statements}
    for i in range(cfg["pairs"]):
        paths = install(os.path.join(base, f"pair-{i + 1}"))
        rounds = []
        for _ in range(1 + cfg["import_later"]):
            rounds.append({peer: run(peer, paths) for peer in statements})
        first, later = rounds[0], rounds[1:]
        runs["bare"].append({"secs": statistics.median(r["bare"][0] for r in rounds),
                             "all_secs": [r["bare"][0] for r in rounds]})
        for peer in statements:
            if peer == "bare":
                continue
            runs[peer].append({
                "secs": first[peer][0],
                "first_secs": first[peer][0],
                "later_secs": statistics.median(r[peer][0] for r in later),
                "first_over_bare": first[peer][0] - first["bare"][0],
                "later_over_bare": statistics.median(r[peer][0] - r["bare"][0] for r in later),
                "import_ms_first": first[peer][1],
                "import_ms_later": statistics.median(r[peer][1] for r in later),
                "later_all_secs": [r[peer][0] for r in later],
            })
        for peer in statements:
            log(f"import pair {i + 1}/{cfg['pairs']} {peer}: " + report.brief(runs[peer][-1])
                + (f" first_over_bare={runs[peer][-1]['first_over_bare']:.3f}" if peer != "bare" else ""))
        shutil.rmtree(os.path.join(base, f"pair-{i + 1}"), ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return {"runs": runs, "later": cfg["import_later"], "pode": bool(pode)}


# ---------------------------------------------------------------------------------------------

def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    osname = platform.platform()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"') + f" (kernel {platform.release()})"
    head = command_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "powershell",
                            "bench", "examples"])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "os": osname,
        "pwsh": command_output([pwsh_path(), "-NoProfile", "-c",
                                "\"$($PSVersionTable.PSVersion) on .NET $([Environment]::Version)\""]),
        "rust": command_output(["rustc", "-V"]),
        "commit": head + (" (with uncommitted changes)" if dirty else ""),
        "memory": command_output(["sh", "-c", "free -m | awk '/Mem:/ {print $2\" MiB\"}'"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=MODES, default="quick")
    parser.add_argument("--out", help="directory for benchmarks.md and .svg (default: docs/, "
                                      "or target/bench/smoke for --mode smoke)")
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    parser.add_argument("--command", default=None, help="the command line to record")
    parser.add_argument("--package-repo", help="import scenario: the folder holding the "
                                               "PodeWebSocket .nupkg (scripts/package.sh)")
    parser.add_argument("--pode", help="Pode 2.14.0's Pode.psd1 (scripts/find-pode.sh): peer Pode, "
                                         "and the import scenario's comparison")
    parser.add_argument("--render", metavar="RAW_JSON",
                        help="measure nothing: write benchmarks.md and .svg again from the raw data "
                             "of an earlier run (e.g. after editing bench/ANALYSIS.md)")
    opts = parser.parse_args()

    if opts.render:
        with open(opts.render) as f:
            info = json.load(f)
        render(info, opts.out or os.path.join(ROOT, "docs"))
        return

    cfg = MODES[opts.mode]
    IMPORT.update(repository=opts.package_repo, pode=opts.pode)
    out_dir = opts.out or (os.path.join(ROOT, "target", "bench", "smoke") if opts.mode == "smoke"
                           else os.path.join(ROOT, "docs"))
    os.makedirs(out_dir, exist_ok=True)
    chosen = opts.only.split(",") if opts.only else SCENARIOS
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if not os.path.exists(MODULE):
        sys.exit(f"the PowerShell module is missing: {MODULE}")

    started = datetime.datetime.now(datetime.timezone.utc)
    info = {"mode": opts.mode, "config": cfg, "machine": machine(),
            "command": opts.command or "python3 bench/run.py --mode " + opts.mode,
            "started": started.strftime("%Y-%m-%d %H:%M UTC"), "load_start": loadavg(),
            "scenarios": {}, "load": {},
            # Get-BenchThreadCpu splits by thread id since 8ce505e; raw data without this key split by name.
            "thread_cpu_split": "by thread"}
    log(f"mode {opts.mode}; load {info['load_start']}; scenarios {', '.join(chosen)}")

    global SERVER
    server = SERVER = Server()
    real_pode = bool(IMPORT["pode"])
    if not real_pode:
        log("the real Pode 2.14.0 was not given (--pode): its rows are left out")
    needs = {"firehose": {"ours", "pode", "floor"} | ({"pode_real"} if real_pode else set()),
             "roundtrip": {"ours", "pode"} | ({"pode_real"} if real_pode else set()),
             "outbound": {"ours", "pode"}, "compression": {"ours"}}
    for name in ("large", "idle", "churn"):
        if name not in cfg["fresh"]:
            needs[name] = {"ours"} if name == "large" else {"ours", "pode"}
    workers = {}
    try:
        peers = sorted(set().union(*(needs.get(s, set()) for s in chosen)))
        started_workers = {}
        threads = [threading.Thread(target=lambda p=p: started_workers.__setitem__(p, Worker(p)))
                   for p in peers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        workers.update(started_workers)
        missing = set(peers) - set(workers)
        if missing:
            raise RuntimeError(f"worker(s) did not start: {', '.join(sorted(missing))}")
        for name in chosen:
            t0 = time.time()
            load0 = loadavg()
            info["scenarios"][name] = globals()["scenario_" + name](cfg, server, workers)
            info["load"][name] = {"start": load0, "end": loadavg(), "secs": time.time() - t0}
            log(f"{name} done in {time.time() - t0:.0f} s")
    finally:
        for worker in workers.values():
            worker.close()
        server.close()

    info["load_end"] = loadavg()
    info["secs"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    raw = os.path.join(ROOT, "target", "bench", f"benchmarks-{opts.mode}.json")
    os.makedirs(os.path.dirname(raw), exist_ok=True)
    with open(raw, "w") as f:
        json.dump(info, f, indent=1,
                  default=lambda o: sorted(o) if isinstance(o, set) else str(o))
    if out_dir == os.path.join(ROOT, "docs"):
        # the results file's raw data, kept with it (re-render: bench/run.py --render)
        shutil.copyfile(raw, os.path.join(out_dir, f"benchmarks-{opts.mode}.json"))
    log(f"raw data: {raw}; measured in {info['secs']:.0f} s")
    render(info, out_dir)


def render(info, out_dir):
    """Writes benchmarks.md and benchmarks.svg for a run's raw data and logs the summary."""
    os.makedirs(out_dir, exist_ok=True)
    rows = report.rows(info)
    with open(os.path.join(out_dir, "benchmarks.md"), "w") as f:
        f.write(report.markdown(info, rows))
    with open(os.path.join(out_dir, "benchmarks.svg"), "w") as f:
        f.write(report.svg(info, rows))
    log(f"wrote {out_dir}/benchmarks.md and benchmarks.svg")
    missed = [r for r in rows if r.get("met") is False]
    for r in rows:
        log(report.summary_line(r))
    log(f"{len(rows) - len(missed)} of {len(rows)} rows met their target")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Runtime benchmark: final_server side by side with its peers, over loopback.

Run it through scripts/bench.sh, which installs the Debian packages it needs
and gives it a session of its own with raised priority. Python 3 standard
library only.

    scripts/bench.sh            full run (3 repetitions), writes docs/benchmarks.md
                                and docs/img/bench-*.svg
    scripts/bench.sh --quick    smoke check (1 repetition, few clients), writes
                                build-bench/quick/benchmarks.md and its SVGs
    options: --reps N  --servers final,beast,bun,node,python,raw  --out-dir DIR
             --no-nice  --wait-idle S  --no-callgrind
             --report-only build-bench/runs/STAMP  (rewrite the report of a run)
             --callgrind-only build-bench/runs/STAMP  (redo its callgrind counts)

How it is built: SERVERS says how to start each server; Bench.server() is the
one place that starts and stops one; there is one function per figure
(measure_handshake, measure_ticks, measure_stress, measure_drift,
measure_callgrind), each returning the load client's key=value lines as a
dict; everything lands in one results.json per run, and the report, the
console table and the plots are all written from summarise()'s one dict.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build-bench"
PEERS = ROOT / "tests" / "bench" / "peers"
TOOLS = BUILD / "tools" / "bin"
PY = "/usr/bin/python3"  # Debian's python3 (python3-websockets), not a pyenv one

# name: (label, schedule, how it is started; {bin} etc. filled in by Bench.command)
SERVERS = {
    "final": ("final_server (websocketpp)", "per-connection", ["{final}"]),
    "beast": ("Boost.Beast", "per-connection", [str(TOOLS / "bench_beast_server")]),
    "bun": ("Bun (uWebSockets)", "broadcast", ["{bun}", str(PEERS / "bun_server.js")]),
    "node": ("Node ws", "broadcast", ["node", str(PEERS / "node_ws_server.js")]),
    "python": ("Python websockets", "broadcast",
               [PY, str(PEERS / "python_websockets_server.py")]),
    "raw": ("raw TCP fan-out", "broadcast", [str(TOOLS / "bench_raw_fanout")]),
}
NATIVE = ("final", "beast", "raw")  # the ones callgrind can count

PARAMS = {
    "full": dict(reps=3, hs_conns=5000, hs_settle=2, t1_conns=1000, t2_conns=10000,
                 tick_warmup=2, tick_duration=6, tick_grace=1.5, st_conns=1000,
                 st_warmup=1, st_duration=5, dr_conns=100, dr_ticks=300, dr_interval=100,
                 cg_conns=(100, 300), cg_st_conns=100, cg_st_duration=3, wait_idle=60),
    "quick": dict(reps=1, hs_conns=500, hs_settle=1, t1_conns=200, t2_conns=1000,
                  tick_warmup=1, tick_duration=3, tick_grace=1.2, st_conns=200,
                  st_warmup=0.5, st_duration=2, dr_conns=20, dr_ticks=30, dr_interval=100,
                  cg_conns=(50, 150), cg_st_conns=50, cg_st_duration=2, wait_idle=0),
}
CONCURRENCY = 64     # handshakes in flight (below every peer's listen backlog)
CLIENT_THREADS = 1   # one io thread (one core), leaving the other to the server
STRESS_INTERVAL = 1  # ms


def log(*words):
    print(f"[bench {time.strftime('%H:%M:%S')}]", *words, file=sys.stderr, flush=True)


def parse_kv(text):
    """The load client's key=value lines as a dict of floats (strings if not numbers)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and " " not in key:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


# ------------------------------------------------------------------ processes
class Bench:
    def __init__(self, args, work, params):
        self.args, self.work, self.p = args, work, params
        self.nice = 0 if args.no_nice else -10
        self.children = []          # every process started, stopped on exit
        self.exits = {}             # server -> [exit codes on SIGTERM]
        self.paths = {"final": str(BUILD / "bin" / "final_server"), "bun": "bun"}
        self.node_path = ""

    def spawn(self, cmd, stdout, stderr, env=None, nice=True):
        pre = (lambda: os.nice(self.nice)) if nice and self.nice else None
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env, preexec_fn=pre)
        self.children.append(proc)
        return proc

    def stop(self, proc):
        """SIGTERM, up to 5 s, then SIGKILL. Returns the exit code."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self):
        for proc in self.children:
            if proc.poll() is None:
                self.stop(proc)

    def command(self, name, interval_ms):
        cmd = [part.format(**self.paths) for part in SERVERS[name][2]]
        return cmd + ["--host", "127.0.0.1", "--port", "0", "--interval-ms", str(interval_ms)]

    @contextmanager
    def server(self, name, interval_ms, tag, wrapper=()):
        """The one place a server starts and stops: yields (pid, port)."""
        out, err = self.work / f"{name}-{tag}.out", self.work / f"{name}-{tag}.err"
        env = dict(os.environ, NODE_PATH=self.node_path)
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = self.spawn(list(wrapper) + self.command(name, interval_ms), fo, fe, env)
        port = None
        deadline = time.monotonic() + (60 if wrapper else 15)
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            m = re.match(r"Now listening on: http://localhost:(\d+)", out.read_text())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.1)
        try:
            if port is None:
                raise RuntimeError(f"{name} did not start (see {err})")
            yield proc.pid, port
        finally:
            self.exits.setdefault(name, []).append(self.stop(proc))

    def client(self, name, port, pid, interval_ms, limit_s, *args):
        """Runs the load client against one server; its key=value lines as a dict."""
        cmd = ["timeout", "--signal=TERM", "--kill-after=5", str(limit_s),
               str(TOOLS / "bench_load_client"), "--host", "127.0.0.1", "--port", str(port),
               "--threads", str(CLIENT_THREADS), "--concurrency", str(CONCURRENCY),
               "--interval-ms", str(interval_ms), "--schedule", SERVERS[name][1]]
        if pid:
            cmd += ["--server-pid", str(pid)]
        proc = self.spawn(cmd + [str(a) for a in args], subprocess.PIPE, subprocess.PIPE)
        out, err = proc.communicate()
        result = parse_kv(out.decode())
        if proc.returncode:
            result["error"] = f"load client exit {proc.returncode}: {err.decode()[-200:]}"
            log(f"{name}: load client exit {proc.returncode}")
        return result

    def raw_stats(self, name, tag, result):
        """The raw server's own counters (its stats line on stderr)."""
        if name != "raw":
            return result
        text = (self.work / f"{name}-{tag}.err").read_text()
        for key, value in re.findall(r"(\w+)=([\d.]+)", text.partition("raw_fanout: ")[2]):
            result["raw_" + key] = float(value)
        if result.get("raw_frames_written"):
            written = result["raw_frames_written"]
            result["client_read_share"] = result.get("frames_total", 0) / written
        return result

    # -------------------------------------------------------------- figures
    def measure_handshake(self, name, rep):
        """RSS per idle connection and handshakes/s (and the server's CPU for them)."""
        p, tag = self.p, f"handshake.{rep}"
        with self.server(name, 1000, tag) as (pid, port):
            r = self.client(name, port, pid, 1000, 120, "--mode", "handshake",
                            "--connections", p["hs_conns"], "--settle-s", p["hs_settle"],
                            "--connect-timeout-s", 60)
        return self.raw_stats(name, tag, r)

    def measure_ticks(self, name, rep, conns):
        """Tick lateness at 1 Hz with `conns` clients (and the server's CPU while they idle)."""
        p, tag = self.p, f"ticks{conns}.{rep}"
        samples = self.work / "results" / name / f"{tag}.samples"
        samples.parent.mkdir(parents=True, exist_ok=True)
        with self.server(name, 1000, tag) as (pid, port):
            r = self.client(name, port, pid, 1000, 180, "--mode", "ticks",
                            "--connections", conns, "--warmup-s", p["tick_warmup"],
                            "--duration-s", p["tick_duration"], "--grace-s", p["tick_grace"],
                            "--connect-timeout-s", 90, "--samples-out", samples)
        return self.raw_stats(name, tag, r)

    def measure_stress(self, name, rep):
        """Fan-out throughput: a tick every millisecond, as many frames as get through."""
        p, tag = self.p, f"stress.{rep}"
        with self.server(name, STRESS_INTERVAL, tag) as (pid, port):
            r = self.client(name, port, pid, STRESS_INTERVAL, 90, "--mode", "stress",
                            "--connections", p["st_conns"], "--warmup-s", p["st_warmup"],
                            "--duration-s", p["st_duration"], "--connect-timeout-s", 60)
        return self.raw_stats(name, tag, r)

    def measure_drift(self, names, rep):
        """Drift: every server at once (100 ms ticks, few clients), one load client each."""
        p, results = self.p, {}
        limit = int(p["dr_ticks"] * p["dr_interval"] / 1000 * 1.5 + 40)
        servers, clients = [], []
        try:
            for name in names:
                cm = self.server(name, p["dr_interval"], f"drift.{rep}")
                pid, port = cm.__enter__()
                servers.append((name, cm))
                samples = self.work / "results" / name / f"drift.{rep}.samples"
                samples.parent.mkdir(parents=True, exist_ok=True)
                cmd = ["timeout", "--signal=TERM", "--kill-after=5", str(limit),
                       str(TOOLS / "bench_load_client"), "--host", "127.0.0.1",
                       "--port", str(port), "--interval-ms", str(p["dr_interval"]),
                       "--schedule", SERVERS[name][1], "--mode", "drift",
                       "--connections", str(p["dr_conns"]), "--drift-ticks", str(p["dr_ticks"]),
                       "--connect-timeout-s", "30", "--samples-out", str(samples)]
                clients.append((name, self.spawn(cmd, subprocess.PIPE, subprocess.DEVNULL)))
            for name, proc in clients:
                results[name] = parse_kv(proc.communicate()[0].decode())
        finally:
            for name, cm in servers:
                cm.__exit__(None, None, None)
        return results

    def measure_callgrind(self, name):
        """Instructions per connection and per delivered frame, counted by callgrind.

        Three runs under valgrind: two handshake runs with different client counts
        (the difference gives instructions per connection: handshake, first message,
        close) and one stress run (what it costs beyond its connections, per frame).
        The same arithmetic per function says where those instructions go.
        """
        p, runs = self.p, []
        for kind, conns in [("hs", p["cg_conns"][0]), ("hs", p["cg_conns"][1]),
                            ("stress", p["cg_st_conns"])]:
            tag = f"callgrind-{kind}{conns}"
            outfile = self.work / f"{name}.{tag}.callgrind"
            wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}"]
            interval = 1000 if kind == "hs" else STRESS_INTERVAL
            args = (["--mode", "handshake", "--settle-s", 0.5] if kind == "hs" else
                    ["--mode", "stress", "--warmup-s", 0.5, "--duration-s", p["cg_st_duration"]])
            with self.server(name, interval, tag, wrapper) as (pid, port):
                r = self.client(name, port, 0, interval, 300, "--connections", conns,
                                "--connect-timeout-s", 120, *args)
            self.exits[name].pop()  # valgrind runs are not counted in "shutdown"
            r["connections"], r["functions"] = conns, callgrind_functions(outfile)
            runs.append(r)
        a, b, s = runs
        if not all(x["functions"] for x in runs):
            return {"error": "callgrind gave no totals"}

        def linear(fn):
            """Instructions of `fn` (None: the total) per connection and per frame."""
            ia, ib, i_s = (x["functions"].get(fn or "TOTAL", 0) for x in runs)
            per_conn = (ib - ia) / (b["connections"] - a["connections"])
            fixed = ia - per_conn * a["connections"]
            frames = s.get("frames_total", 0) - s["connections"]
            per_frame = (i_s - fixed - per_conn * s["connections"]) / frames if frames > 0 else 0
            return per_conn, per_frame
        total_conn, total_frame = linear(None)
        names = set(b["functions"]) | set(s["functions"])
        names.discard("TOTAL")
        costs = {fn: linear(fn) for fn in names}
        top_conn = sorted(((c, fn) for fn, (c, f) in costs.items()), reverse=True)[:10]
        top_frame = sorted(((f, fn) for fn, (c, f) in costs.items()), reverse=True)[:10]
        return {"ir_per_connection": total_conn, "ir_per_frame": total_frame,
                "frames": s.get("frames_total", 0) - s["connections"],
                "top_per_frame": top_frame, "top_per_connection": top_conn}


def callgrind_functions(outfile):
    """Self instructions per function of one callgrind output; "TOTAL" for the program."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                           str(outfile)], capture_output=True, text=True).stdout
    out = {}
    total = re.search(r"^\s*([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", text, re.M)
    if total:
        out["TOTAL"] = float(total.group(1).replace(",", ""))
    for m in re.finditer(r"^\s*([\d,]+) \([\d. ]+%\)\s+[^\s:]*:(?!:)(.*)$", text, re.M):
        fn = short_function(m.group(2))
        out[fn] = out.get(fn, 0) + float(m.group(1).replace(",", ""))
    return out


def short_function(name):
    """A callgrind function name, readable: template arguments and long parameter
    lists collapsed, the object file's folder dropped ("f [/usr/lib/libc.so.6]" ->
    "f [libc.so.6]")."""
    name, _, obj = name.strip().partition(" [")
    while True:
        shorter = re.sub(r"<[^<>]*>", "\x00", name)
        if shorter == name:
            break
        name = shorter
    name = name.replace("\x00", "<…>")
    name = re.sub(r"\((?=[^()]{40,}\))[^()]*\)", "(…)", name)
    return name + (f" [{os.path.basename(obj.rstrip(']'))}]" if obj else "")


# ------------------------------------------------------------------ setup
def run_quiet(cmd, logfile, **kw):
    with open(logfile, "a") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw).returncode == 0


def npm_install(folder, dest, probe, work):
    """npm ci of the lock file in `folder` into build-bench/`dest`; True if `probe` exists."""
    dest = BUILD / dest
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(folder / f, dest / f)
    if not list(dest.glob(probe)):
        run_quiet(["timeout", "180", "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                  work / "npm.log", cwd=dest)
    found = sorted(dest.glob(probe))
    return found[0] if found else None


def build(bench, servers, work):
    """Release builds into build-bench/: the bench tools and peers, and final_server."""
    jobs = str(min(os.cpu_count() or 1, 2))
    nice = ["nice", "-n", "10"]
    log("building (Release) in", BUILD)
    tools_log = work / "cmake-tools.log"
    ok = run_quiet(["cmake", "-S", ROOT / "tests/bench", "-B", BUILD / "tools",
                    "-DCMAKE_BUILD_TYPE=Release"], tools_log) and \
        run_quiet(nice + ["cmake", "--build", BUILD / "tools", "-j", jobs], tools_log)
    if not ok:
        sys.exit(f"cannot build the bench tools (see {tools_log})")
    notes, meta = [], {"final_from": "working tree"}
    if "beast" in servers and not (TOOLS / "bench_beast_server").exists():
        notes.append("the Beast peer was not built (Boost missing?): left out")
        servers.remove("beast")

    def build_final(src, dest):
        flog = work / "cmake-final.log"
        return (src / "final/CMakeLists.txt").exists() and \
            run_quiet(["cmake", "-S", src, "-B", dest, "-DCMAKE_BUILD_TYPE=Release",
                       "-DBUILD_TESTING=OFF"], flog) and \
            run_quiet(nice + ["cmake", "--build", dest, "--target", "final_server", "-j", jobs],
                      flog) and (dest / "bin/final_server").exists()
    if "final" in servers and not build_final(ROOT, BUILD):
        # The working tree is someone's edit in progress: measure the last commit instead.
        log("final_server does not build from the working tree; building HEAD instead")
        src = BUILD / "head-src"
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"], capture_output=True)
        subprocess.run(["tar", "-x", "-C", src], input=archive.stdout)
        if build_final(src, BUILD / "head"):
            bench.paths["final"] = str(BUILD / "head/bin/final_server")
            head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()
            meta["final_from"] = f"HEAD {head} (the working tree did not build)"
        else:
            notes.append("final_server could not be built (see cmake-final.log): left out")
            servers.remove("final")

    if "node" in servers:
        ws = npm_install(PEERS, "node", "node_modules/ws/package.json", work)
        if ws:
            bench.node_path, meta["ws_source"] = str(ws.parent.parent), "npm"
        elif Path("/usr/share/nodejs/ws").exists():
            bench.node_path, meta["ws_source"] = "/usr/share/nodejs", "Debian node-ws"
        else:
            notes.append("npm's ws could not be installed: Node ws left out")
            servers.remove("node")
    if "bun" in servers:
        bun = npm_install(PEERS / "bun", "bun", "node_modules/@oven/bun-linux-*/bin/bun", work)
        if bun:
            bench.paths["bun"] = str(bun)
        else:
            notes.append("npm's bun could not be installed: Bun left out")
            servers.remove("bun")
    return notes, meta


def versions(bench, meta):
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "n/a"
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*: (.*)$", cpuinfo, re.M)
    wspp = Path("/usr/include/websocketpp/version.hpp")
    wspp_v = ".".join(re.findall(r"(?:major|minor|patch)_version = (\d+)", wspp.read_text())) \
        if wspp.exists() else "n/a"
    asio = re.search(r"#define ASIO_VERSION (\d+)", Path("/usr/include/asio/version.hpp")
                     .read_text()) if Path("/usr/include/asio/version.hpp").exists() else None
    av = int(asio.group(1)) if asio else 0
    boost = re.search(r"#define BOOST_LIB_VERSION \"([\d_]+)\"",
                      Path("/usr/include/boost/version.hpp").read_text()) \
        if Path("/usr/include/boost/version.hpp").exists() else None
    ws_pkg = Path(bench.node_path) / "ws/package.json"
    final_rev = out(["git", "-C", ROOT, "log", "-1", "--format=%h %cs", "--", "final"])
    if out(["git", "-C", ROOT, "status", "--porcelain", "--", "final"]):
        final_rev += " + uncommitted changes"
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return dict(meta,
                cpu=model.group(1) if model else "?", cores=os.cpu_count(),
                mem=f"{mem / 1048576:.0f} GiB", kernel=" ".join(os.uname()[0:3:2]),
                debian=out(["cat", "/etc/debian_version"]), gxx=out(["g++", "--version"])
                .splitlines()[0], websocketpp=wspp_v,
                asio=f"{av // 100000}.{av // 100 % 1000}.{av % 100}",
                boost=boost.group(1).replace("_", ".") if boost else "n/a",
                bun=out([bench.paths["bun"], "--version"]) if "bun" in bench.paths else "n/a",
                node=out(["node", "--version"]),
                ws=json.loads(ws_pkg.read_text())["version"] if ws_pkg.exists() else "n/a",
                python=out([PY, "--version"]).split()[-1],
                websockets=out([PY, "-c", "import websockets; print(websockets.__version__)"]),
                valgrind=out(["valgrind", "--version"]), gnuplot=out(["gnuplot", "--version"]),
                final_rev=meta["final_from"] if meta["final_from"] != "working tree"
                else final_rev)


# ------------------------------------------------------------------ the run
def measure_tls(final_server, connections=5000, in_flight=16):
    """final_server's handshakes over wss:// against ws:// (tls_handshakes.py)."""
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "tls_handshakes.py"),
                           final_server, str(connections), str(in_flight)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        return {"error": done.stderr[-300:]}
    return json.loads(done.stdout)


def run(args, mode):
    p = dict(PARAMS[mode], **({"reps": args.reps} if args.reps else {}))
    if args.wait_idle is not None:
        p["wait_idle"] = args.wait_idle
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    work = BUILD / "runs" / stamp
    (work / "results").mkdir(parents=True)
    servers = [s for s in SERVERS if s in args.servers.split(",")]
    bench = Bench(args, work, p)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        notes, meta = build(bench, servers, work)
        for n in notes:
            log(n)
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        p["fd_limit"] = hard
        if hard < p["t2_conns"] + 200:
            log(f"open-files limit {hard}: the {p['t2_conns']}-client run is cut")
            p["t2_conns"] = hard - 200
        info = versions(bench, meta)
        info["final_bin"] = bench.paths["final"]
        waited = 0
        while waited < p["wait_idle"] and os.getloadavg()[0] >= 1.0:
            if not waited:
                log(f"load average {os.getloadavg()[0]:.2f}: waiting up to {p['wait_idle']} s")
            time.sleep(10)
            waited += 10
        info["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        info["begin"] = time.time()
        results = {s: {} for s in servers}
        log(f"servers: {' '.join(servers)}; repetitions: {p['reps']}; results in {work}")
        for rep in range(1, p["reps"] + 1):  # interleaved: all servers, then again
            for name in servers:
                r = results[name]
                for kind, fn in [("handshake", lambda: bench.measure_handshake(name, rep)),
                                 ("ticks1", lambda: bench.measure_ticks(name, rep, p["t1_conns"])),
                                 ("ticks2", lambda: bench.measure_ticks(name, rep, p["t2_conns"])),
                                 ("stress", lambda: bench.measure_stress(name, rep))]:
                    try:
                        r.setdefault(kind, []).append(fn())
                    except RuntimeError as e:
                        log(e)
                        r.setdefault(kind, []).append({"error": str(e)})
                    x = r[kind][-1]
                    log(f"{name} {kind} rep {rep}: " + " ".join(
                        f"{k}={x[k]:g}" for k in ("handshakes_per_sec", "rss_per_conn_kb",
                                                   "frames_per_sec", "lateness_p99_ms",
                                                   "clients_held") if k in x))
            for name, x in bench.measure_drift(servers, rep).items():
                results[name].setdefault("drift", []).append(x)
                log(f"{name} drift rep {rep}: {x.get('drift_last_tick_p50_ms')}")
        callgrind = {}
        if not args.no_callgrind and shutil.which("valgrind"):
            for name in [s for s in NATIVE if s in servers]:
                log(f"{name}: callgrind")
                try:
                    callgrind[name] = bench.measure_callgrind(name)
                except (RuntimeError, KeyError) as e:
                    callgrind[name] = {"error": str(e)}
        tls = {}
        if "final" in servers and not args.no_tls:
            log("final: handshakes over TLS against plain")
            tls = measure_tls(bench.paths["final"])
        info["end"] = time.time()
        info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        bench.stop_all()
    data = {"mode": mode, "params": p, "servers": servers, "notes": notes, "info": info,
            "results": results, "callgrind": callgrind, "tls": tls, "exits": bench.exits,
            "nice": bench.nice}
    (work / "results.json").write_text(json.dumps(data, indent=1))
    return data, work


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--out-dir")
    ap.add_argument("--no-nice", action="store_true")
    ap.add_argument("--wait-idle", type=int)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--no-tls", action="store_true", help="skip the TLS handshake figures")
    ap.add_argument("--report-only", metavar="RUN_DIR")
    ap.add_argument("--callgrind-only", metavar="RUN_DIR",
                    help="redo the callgrind counts of a run (they do not depend on load)")
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    import bench_report
    if a.report_only or a.callgrind_only:
        run_dir = Path(a.report_only or a.callgrind_only).resolve()
        data = json.loads((run_dir / "results.json").read_text())
    if a.callgrind_only:
        bench = Bench(a, run_dir, data["params"])
        bench.paths["final"] = data["info"].get("final_bin", bench.paths["final"])
        try:
            for name in [s for s in NATIVE if s in data["servers"]]:
                log(f"{name}: callgrind")
                bench.exits[name] = []
                data["callgrind"][name] = bench.measure_callgrind(name)
        finally:
            bench.stop_all()
        (run_dir / "results.json").write_text(json.dumps(data, indent=1))
    if not (a.report_only or a.callgrind_only):
        data, run_dir = run(a, "quick" if a.quick else "full")
    out = Path(a.out_dir) if a.out_dir else \
        (BUILD / "quick" if data["mode"] == "quick" else ROOT / "docs")
    bench_report.write_all(data, run_dir, out.resolve(), ROOT)

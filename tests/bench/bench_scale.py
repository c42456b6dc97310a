#!/usr/bin/python3
"""Scale benchmark: step 21 servers fanning out one Redis Stream (issue 14, item 6).

Run it through scripts/bench.sh --scale (or scripts/bench-scale.sh), which installs
redis-server, builds step21_server and bench_scale_client in Release into
build-bench-scale/ and gives the run a session of its own. Python 3 standard
library only.

    scripts/bench.sh --scale           full run (3 repetitions, ~10 min), writes
                                       docs/benchmarks-scale.md
    scripts/bench.sh --scale --quick   smoke check (1 repetition, 900 clients, ~1 min),
                                       writes build-bench-scale/quick/benchmarks-scale.md
    options: --reps N  --out FILE  --wait-idle S  --threads T (load client io threads, 2)
             --report-only build-bench-scale/runs/STAMP (rewrite the report of a run)

Each run starts a fresh redis-server (unix socket, no persistence), fresh servers
and one bench_scale_client (tests/bench/scale_client.cpp), which opens every
connection and says "ready"; this script then publishes itself (XADD over its own
RESP connection) with text "<seq> <CLOCK_MONOTONIC ns>", and tells the client how
many it published; the client computes receipt - published for every message on
every connection and checks that each got every seq once, in order.

  latency   1 server x 9,000 clients and 3 servers x 3,000, at 5 messages/s for 20 s
            (a rate this 2-core machine carries with room to spare), and at 20/s for
            20 s (180,000 deliveries/s: all of its two cores).
  redis     Redis's CPU time (INFO cpu: used_cpu_user + used_cpu_sys) per message,
            with 1 and 3 servers reading: 200/s for 15 s (less Redis's idle rate,
            measured just before), then 3,000 back to back.
  recovery  3 servers x 1,000 clients that reconnect, on loss, to the next server with
            ?since=<last ID>; a message every 100 ms; kill -9 of one server, then: time
            from the kill until each of its clients got the first message published
            after it, and no message lost or duplicated on any connection.
"""
import argparse
import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build-bench-scale"
BIN = BUILD / "bin"
STREAM = "ticks"

# rate: messages/s for the latency runs, one this machine carries with room to spare
# (9,000 x 5 = 45,000 deliveries/s); over_rate: the same at 20/s (180,000 deliveries/s),
# which takes all of its two cores.
PARAMS = {
    "full": dict(reps=3, total_clients=9000, layouts=(1, 3), rate=5, duration=20,
                 over_rate=20, over_duration=20, over_reps=3,
                 redis_rate=200, redis_duration=15, redis_clients=10, redis_burst=3000,
                 idle=5,
                 rec_servers=3, rec_clients=1000, rec_rate=10, rec_before=3, rec_after=5,
                 wait_idle=120),
    "quick": dict(reps=1, total_clients=900, layouts=(1, 3), rate=5, duration=5,
                  over_rate=20, over_duration=2, over_reps=1,
                  redis_rate=200, redis_duration=3, redis_clients=10, redis_burst=600,
                  idle=2,
                  rec_servers=3, rec_clients=100, rec_rate=10, rec_before=2, rec_after=3,
                  wait_idle=0),
}
CONCURRENCY = 64  # first handshakes in flight, as in scripts/bench.sh


def log(*words):
    print(f"[bench-scale {time.strftime('%H:%M:%S')}]", *words, file=sys.stderr, flush=True)


def parse_kv(text):
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and " " not in key:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def proc_cpu_s(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """(busy, stolen, total, tasks) clock ticks of the whole machine (/proc/stat's first
    line): busy is user + nice + system + irq + softirq, anyone's; stolen is the time
    the hypervisor gave this virtual machine's CPUs to others; tasks is user + nice +
    system, the part billed to processes."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6], v[7], sum(v), v[0] + v[1] + v[2]


def die_with_parent():
    """In a child, before exec: SIGKILL when this script dies, even by SIGKILL
    (prctl PR_SET_PDEATHSIG), so that no server or Redis outlives a killed run."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# ------------------------------------------------------------------ Redis
class Resp:
    """A minimal RESP2 client over Redis's unix socket: enough for XADD and INFO."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(parts))
        return self.reply()

    def reply(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def close(self):
        self.file.close()
        self.sock.close()


def redis_cpu(r):
    """Redis's own CPU seconds (INFO cpu: getrusage, microseconds) and its per-command
    counters (INFO commandstats: calls, usec spent inside the command)."""
    info = r.call("INFO", "cpu") + r.call("INFO", "commandstats")
    cpu = {k: float(v) for k, v in re.findall(r"^(used_cpu_(?:user|sys)):([\d.]+)", info, re.M)}
    cmds = {m[0]: (int(m[1]), int(m[2]))
            for m in re.findall(r"^cmdstat_(\w+):calls=(\d+),usec=(\d+)", info, re.M)}
    return cpu["used_cpu_user"] + cpu["used_cpu_sys"], cmds


# ------------------------------------------------------------------ processes
class Bench:
    def __init__(self, work, params, threads):
        self.work, self.p, self.threads = work, params, threads
        self.children = []

    def spawn(self, cmd, **kw):
        proc = subprocess.Popen([str(c) for c in cmd], preexec_fn=die_with_parent, **kw)
        self.children.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self):
        for proc in reversed(self.children):
            if proc.poll() is None:
                self.stop(proc)
        self.children.clear()

    def start_redis(self, tag):
        sock = self.work / f"redis-{tag}.sock"
        logf = self.work / f"redis-{tag}.log"
        proc = self.spawn(["redis-server", "--port", "0", "--unixsocket", sock,
                           "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                           "--logfile", logf, "--dir", self.work],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                r = Resp(sock)
                if r.call("PING") == "PONG":
                    return proc, sock, r
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start (see {logf})")

    def start_server(self, sock, tag):
        out = self.work / f"server-{tag}.out"
        with open(out, "w") as fo, open(self.work / f"server-{tag}.err", "w") as fe:
            proc = self.spawn([BIN / "step21_server", "--host", "127.0.0.1", "--port", "0",
                               "--redis", f"unix:{sock}"], stdout=fo, stderr=fe)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            with open(out) as f:
                m = re.match(r"Now listening on: http://localhost:(\d+)", f.readline())
            if m:
                return proc, int(m.group(1))
            time.sleep(0.05)
        raise RuntimeError(f"step21_server did not start (see {out})")

    def start_client(self, tag, ports, clients, expect, reconnect, limit_s, grace):
        cmd = [BIN / "bench_scale_client", "--ports", ",".join(map(str, ports)),
               "--connections", clients, "--threads", self.threads,
               "--concurrency", CONCURRENCY, "--expect", expect, "--grace-s", grace,
               "--connect-timeout-s", 120, "--timeout-s", limit_s]
        if reconnect:
            cmd.append("--reconnect")
        err = open(self.work / f"client-{tag}.err", "w")
        proc = self.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                          text=True)
        err.close()
        return proc

    @staticmethod
    def wait_ready(client, timeout):
        ready, _, _ = select.select([client.stdout], [], [], timeout)
        line = client.stdout.readline() if ready else ""
        if not line.startswith("ready "):
            raise RuntimeError(f"load client not ready: {line!r}")
        return parse_kv(line[len("ready "):].replace(" ", "\n"))

    # -------------------------------------------------------------- one run
    def run_case(self, tag, servers, clients, rate, duration, idle_s=0,
                 kill_after=None, reconnect=False, grace=10, burst=0):
        """One fresh Redis, `servers` step21_server, `clients` connections in all;
        publishes rate x duration messages once they are connected. kill_after:
        kill -9 the first server that many seconds into publishing. burst: then that
        many more, back to back, with Redis's CPU for them apart (burst_ keys)."""
        count = int(rate * duration)
        result = dict(servers=servers, clients=clients, rate=rate, published_target=count,
                      load_before=loadavg())
        try:
            redis, sock, r = self.start_redis(tag)
            srv = [self.start_server(sock, f"{tag}.{i}") for i in range(servers)]
            client = self.start_client(tag, [port for _, port in srv], clients, count + burst,
                                       reconnect, duration + idle_s + grace + 300, grace)
            result.update({f"ready_{k}": v for k, v in self.wait_ready(client, 150).items()})
            time.sleep(1)  # the last handshakes' work done, before anything is measured
            pids = [redis.pid] + [p.pid for p, _ in srv] + [os.getpid(), client.pid]
            # Redis's idle rate with everyone connected: XREAD BLOCKs waiting, its cron.
            if idle_s:
                i0, t0 = redis_cpu(r)[0], time.monotonic()
                time.sleep(idle_s)
                result["redis_idle_cpu_per_s"] = (redis_cpu(r)[0] - i0) / (time.monotonic() - t0)
            cpu0, cmds0 = redis_cpu(r)
            procs0 = [proc_cpu_s(pid) for pid in pids]
            m0, t0 = machine_cpu(), time.monotonic()
            published, kill_ns, late = publish(r, rate, count,
                                               kill=(srv[0][0], int(rate * kill_after))
                                               if kill_after is not None else None)
            time.sleep(0.5)  # the servers' XREADs of the last entry
            window = time.monotonic() - t0
            cpu1, cmds1 = redis_cpu(r)
            procs1 = [proc_cpu_s(pid) for pid in pids]
            m1 = machine_cpu()
            if burst:
                b0, bcmds0 = redis_cpu(r)
                published += publish(r, None, burst, first=count)[0]
                time.sleep(0.5)
                b1, bcmds1 = redis_cpu(r)
                result.update(burst=burst, burst_redis_cpu_s=b1 - b0)
                for name in ("xadd", "xread"):
                    c0, c1 = bcmds0.get(name, (0, 0)), bcmds1.get(name, (0, 0))
                    result[f"burst_redis_{name}_calls"] = c1[0] - c0[0]
                    result[f"burst_redis_{name}_usec"] = c1[1] - c0[1]
            client.stdin.write(f"end {published} {kill_ns}\n")
            client.stdin.flush()
            out, _ = client.communicate(timeout=grace + 60)
            result.update(parse_kv(out))
            if client.returncode:
                result["error"] = f"load client exit {client.returncode}"
            result.update(published=count, publish_late=late, window_s=window,
                          redis_cpu_s=cpu1 - cpu0, load_after=loadavg(),
                          machine_busy_pct=100 * (m1[0] - m0[0]) / max(1, m1[2] - m0[2]),
                          machine_steal_pct=100 * (m1[1] - m0[1]) / max(1, m1[2] - m0[2]))
            # CPU billed to processes that are not the benchmark's: other people's work
            hz = os.sysconf("SC_CLK_TCK")
            ours = sum(b - a for a, b in zip(procs0, procs1) if a is not None and b is not None)
            tasks_s, all_s = (m1[3] - m0[3]) / hz, max(1, m1[2] - m0[2]) / hz
            result["others_cpu_pct"] = max(0.0, 100 * (tasks_s - ours) / all_s)
            for name in ("xadd", "xread"):
                c0, c1 = cmds0.get(name, (0, 0)), cmds1.get(name, (0, 0))
                result[f"redis_{name}_calls"] = c1[0] - c0[0]
                result[f"redis_{name}_usec"] = c1[1] - c0[1]

            def cpu_delta(i):
                a, b = procs0[i], procs1[i]
                return b - a if a is not None and b is not None else None
            result["servers_cpu_s"] = sum(cpu_delta(i) or 0 for i in range(1, 1 + servers))
            result["client_cpu_s"] = cpu_delta(len(pids) - 1)
        finally:
            self.stop_all()
        return result


def publish(r, rate, count, kill=None, first=0):
    """XADD count entries, text "<seq> <CLOCK_MONOTONIC ns>" with seq first, first+1...,
    on a fixed schedule (entry k due at start + k/rate; a late one goes at once, none
    is skipped, so the seqs have no hole); rate None: back to back, each as soon as
    Redis has answered the previous one. kill=(proc, k): kill -9 proc just before
    entry k. Returns (published, kill time in CLOCK_MONOTONIC ns or 0, entries late)."""
    interval = 1e9 / rate if rate else 0
    start = time.monotonic_ns() + 10_000_000
    kill_ns, late = 0, 0
    for k in range(count):
        due = start + int(k * interval)
        now = time.monotonic_ns()
        if now < due:
            time.sleep((due - now) / 1e9)
        elif rate and now - due > interval / 2:
            late += 1
        if kill and k == kill[1]:
            kill_ns = time.monotonic_ns()
            kill[0].send_signal(signal.SIGKILL)
        r.call("XADD", STREAM, "MAXLEN", "~", "100000", "*", "text",
               f"{first + k} {time.monotonic_ns()}")
    return count, kill_ns, late


# ------------------------------------------------------------------ the run
def build(work):
    log("building step21_server and bench_scale_client (Release) in", BUILD)
    logf = work / "build.log"
    generator = ["-G", "Ninja"] if shutil.which("ninja") and \
        not (BUILD / "CMakeCache.txt").exists() else []
    with open(logf, "w") as f:
        for cmd in (["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release"] + generator,
                    ["nice", "cmake", "--build", BUILD, "--target", "step21_server",
                     "bench_scale_client"]):
            done = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT)
            if done.returncode:
                sys.exit(f"build failed, see {logf}")


def raise_open_files(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if target < needed:
        sys.exit(f"the open-files hard limit is {hard}; the benchmark needs {needed} "
                 "(raise it: ulimit -Hn, or /etc/security/limits.conf)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def machine_info(nofile):
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "n/a"
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*: (.*)$", cpuinfo, re.M)
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    rev = out(["git", "-C", ROOT, "log", "-1", "--format=%h %cs", "--", "steps/21-resume"])
    if out(["git", "-C", ROOT, "status", "--porcelain", "--", "steps/21-resume/server.cpp",
            "steps/21-resume/redis_asio.hpp"]):
        rev += " + uncommitted changes"
    hiredis = re.search(r"hiredis ([\d.]+)", (BUILD / "CMakeCache.txt").read_text()
                        if (BUILD / "CMakeCache.txt").exists() else "")
    virtual = ", a virtual machine" if re.search(r"^flags\s*:.* hypervisor", cpuinfo, re.M) \
        else ""
    return dict(cpu=model.group(1) if model else "?", cores=os.cpu_count(), virtual=virtual,
                mem=f"{mem / 1048576:.0f} GiB", kernel=" ".join(os.uname()[0:3:2]),
                debian=out(["cat", "/etc/debian_version"]),
                redis=out(["redis-server", "--version"]).split(" v=")[-1].split()[0],
                gxx=out(["g++", "--version"]).splitlines()[0], step21=rev, nofile=nofile,
                hiredis=out(["pkg-config", "--modversion", "hiredis"]) or
                (hiredis.group(1) if hiredis else "n/a"))


def wait_idle(limit):
    waited = 0
    while waited < limit and os.getloadavg()[0] >= 1.0:
        if waited == 0:
            log(f"load average {os.getloadavg()[0]:.2f}: waiting up to {limit} s for < 1")
        time.sleep(5)
        waited += 5
    return waited


def run(args, mode):
    p = dict(PARAMS[mode])
    if args.reps:
        p["reps"] = args.reps
    if args.wait_idle is not None:
        p["wait_idle"] = args.wait_idle
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    work = BUILD / "runs" / stamp
    work.mkdir(parents=True, exist_ok=True)
    build(work)
    nofile = raise_open_files(p["total_clients"] + 200)
    bench = Bench(work, p, args.threads)
    info = dict(machine_info(nofile), mode=mode, params=p, threads=args.threads,
                started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    info["waited_s"] = wait_idle(p["wait_idle"])
    info["load_before"] = loadavg()
    t0 = time.monotonic()
    runs = []

    def case(kind, rep, servers, clients, rate, duration, **kw):
        log(f"{kind} {rep + 1}: {servers} server(s), {clients:,} clients, {rate:g}/s for "
            f"{duration:g} s (load {loadavg()})")
        r = bench.run_case(f"{kind}{servers}.{rep}", servers, clients, rate, duration, **kw)
        runs.append(dict(r, kind=kind, rep=rep))
        log(summary_line(r))
    try:
        for rep in range(p["reps"]):
            for servers in p["layouts"]:
                case("latency", rep, servers, p["total_clients"], p["rate"], p["duration"])
            if rep < p["over_reps"]:
                for servers in p["layouts"]:
                    case("overload", rep, servers, p["total_clients"], p["over_rate"],
                         p["over_duration"], grace=60)
            for servers in p["layouts"]:
                case("redis", rep, servers, p["redis_clients"] * servers, p["redis_rate"],
                     p["redis_duration"], idle_s=p["idle"], burst=p["redis_burst"])
            case("recovery", rep, p["rec_servers"], p["rec_servers"] * p["rec_clients"],
                 p["rec_rate"], p["rec_before"] + p["rec_after"], kill_after=p["rec_before"],
                 reconnect=True)
    finally:
        bench.stop_all()
    info["seconds"] = round(time.monotonic() - t0)
    info["load_after"] = loadavg()
    (work / "results.json").write_text(json.dumps(dict(info=info, runs=runs), indent=1))
    log("results in", work / "results.json")
    return work


def summary_line(r):
    s = f"lat p50/p99/max " + " / ".join(
        f"{r.get(k, float('nan')):.2f}" for k in
        ("latency_p50_ms", "latency_p99_ms", "latency_max_ms")) + \
        f" ms, lost {r.get('lost', '?')}, dup {r.get('duplicates', '?')}"
    if r.get("published"):
        s += f", redis {r['redis_cpu_s'] / r['published'] * 1e6:.1f} µs/msg gross"
    if "recovery_max_ms" in r:
        s += (f", recovery p50/max {r['recovery_p50_ms']:.0f}/{r['recovery_max_ms']:.0f} ms"
              f" ({r.get('recovered_connections', 0):.0f}/{r.get('killed_connections', 0):.0f})")
    return s + (f" ERROR {r['error']}" if "error" in r else "")


# ------------------------------------------------------------------ report
def values(runs, key, scale=1.0):
    return [r[key] * scale for r in runs if isinstance(r.get(key), (int, float))]


def med(runs, key, scale=1.0):
    vals = values(runs, key, scale)
    return statistics.median(vals) if vals else None


def fmt(v, digits=2):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def rng(vals, digits=2):
    """median (min–max) of a list of numbers; the number alone for one."""
    if not vals:
        return "n/a"
    if len(vals) == 1:
        return fmt(vals[0], digits)
    return (f"{fmt(statistics.median(vals), digits)} ({fmt(min(vals), digits)}–"
            f"{fmt(max(vals), digits)})")


def total(runs, key):
    return f"{sum(int(r.get(key, 0)) for r in runs):,}"


def loads(runs):
    """Each run's 1-minute load average before → after."""
    return "; ".join(f"{r['load_before'].split()[0]} → {r['load_after'].split()[0]}"
                     for r in runs)


def layout(servers, clients):
    return f"{servers} server{'s' if servers > 1 else ''} × {clients // servers:,} clients"


def latency_table(groups, reps):
    """Rows of p50 / p99 / max etc. for {servers: [runs]}."""
    L = ["| layout | latency p50 / p99 / max, ms | p99.9, ms | messages received / "
         "expected | lost | duplicated | CPU per delivered message, µs: servers / client "
         "| machine busy / stolen / other processes | load average (1 min) before → after |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s, rs in groups.items():
        if not rs:
            continue
        cpu_per = [r["servers_cpu_s"] / r["messages_received"] * 1e6 for r in rs
                   if r.get("messages_received")]
        client_per = [r["client_cpu_s"] / r["messages_received"] * 1e6 for r in rs
                      if r.get("messages_received") and r.get("client_cpu_s") is not None]
        L.append(
            f"| {layout(s, int(rs[0]['clients']))} "
            f"| {fmt(med(rs, 'latency_p50_ms'))} / {fmt(med(rs, 'latency_p99_ms'))} / "
            f"{fmt(med(rs, 'latency_max_ms'))} "
            f"| {fmt(med(rs, 'latency_p999_ms'))} "
            f"| {total(rs, 'messages_received')} / {total(rs, 'messages_expected')} "
            f"| {total(rs, 'lost')} | {total(rs, 'duplicates')} "
            f"| {fmt(statistics.median(cpu_per) if cpu_per else None, 1)} / "
            f"{fmt(statistics.median(client_per) if client_per else None, 1)} "
            f"| {fmt(med(rs, 'machine_busy_pct'), 0)}% / "
            f"{fmt(med(rs, 'machine_steal_pct'), 0)}% / {fmt(med(rs, 'others_cpu_pct'), 0)}% "
            f"| {loads(rs)} |")
    if reps > 1:
        L += ["", "Each run on its own (p50 / p99 / max, ms; the share of the CPUs stolen "
              "by the hypervisor meanwhile):", "",
              "| layout | " + " | ".join(f"run {i + 1}" for i in range(reps)) + " |",
              "|---|" + "---:|" * reps]
        for s, rs in groups.items():
            cells = [f"{fmt(r.get('latency_p50_ms'))} / {fmt(r.get('latency_p99_ms'))} / "
                     f"{fmt(r.get('latency_max_ms'))} ({fmt(r.get('machine_steal_pct'), 0)}%)"
                     for r in rs]
            if rs:
                L.append(f"| {layout(s, int(rs[0]['clients']))} | " + " | ".join(cells) + " |")
    return L


def report(work, out):
    data = json.loads((work / "results.json").read_text())
    info, runs = data["info"], data["runs"]
    p = info["params"]

    def kind(k):
        return {s: [r for r in runs if r["kind"] == k and r["servers"] == s]
                for s in p["layouts"]}
    lat, over, red = kind("latency"), kind("overload"), kind("redis")
    rec = [r for r in runs if r["kind"] == "recovery"]
    reps = p["reps"]
    cmd = "scripts/bench.sh --scale" + (" --quick" if info["mode"] == "quick" else "")
    n = p["total_clients"]
    L = ["# Scale benchmark: several step 21 servers on one Redis Stream", "",
         "Leia em português: [docs/pt-BR/benchmarks-scale.md](pt-BR/benchmarks-scale.md)", "",
         "`step21_server --redis` instances reading one Redis Stream, measured in one run "
         f"of `{cmd}` on one machine, over loopback and a unix socket. Figures are the "
         f"median of {reps} run(s) (ranges or each run alongside); each run starts a "
         "fresh redis-server and fresh servers. This file is written by the script: "
         "re-run it to refresh it.", "",
         "## Machine", "", "| | |", "|---|---|",
         f"| CPU | {info['cpu']}, **{info['cores']} cores**, shared by Redis, every server, "
         f"the publisher and the load client; {info['mem']} |",
         f"| OS | {info['kernel']} (Debian {info['debian']}){info['virtual']} |",
         f"| run | {info['started']}, {info['seconds']} s; load average before "
         f"{info['load_before']}, after {info['load_after']} (each run's own is in the "
         "tables) |",
         f"| Redis | redis-server {info['redis']} (Debian), unix socket, no persistence "
         "(`--save '' --appendonly no`) |",
         f"| servers | `step21_server` (steps/21-resume at {info['step21']}), hiredis "
         f"{info['hiredis']}, {info['gxx']}, Release |",
         f"| load client | `tests/bench/scale_client.cpp` (standalone Asio), "
         f"{info['threads']} io thread(s), {CONCURRENCY} handshakes in flight; open-files "
         f"limit {info['nofile']} |", ""]

    L += ["## Publish → client latency", "",
          f"{n:,} clients in all, as 1 server × {n:,} or 3 servers × {n // 3:,}; "
          f"{p['rate']:g} messages/s for {p['duration']:g} s "
          f"({int(p['rate'] * p['duration']):,} messages, {n * p['rate']:,.0f} deliveries/s) "
          "once every client is connected; latency = receipt − publish time, for every "
          "message on every connection.", ""]
    L += latency_table(lat, reps)
    L += ["", f"### At {p['over_rate']:g} messages/s", "",
          f"The same {n:,} clients, {p['over_rate']:g} messages/s for "
          f"{p['over_duration']:g} s ({int(p['over_rate'] * p['over_duration']):,} "
          f"messages, {n * p['over_rate']:,.0f} deliveries/s), {p['over_reps']} run(s). "
          "Each delivery costs the servers and the client the CPU in their column (less "
          "than at the lower rate: a busy process finds more to do per wake-up), and the "
          "kernel its loopback work; the machine-busy column says how much of the two "
          "cores that takes. A server has one io thread, so one "
          "server uses one core at most, while three can use both. Where a server's "
          "core, or the machine, is full, messages queue and the latency is the "
          "queue's; the line under the table says how long after the last publish the "
          "last message arrived (the client waits up to 60 s for it).", ""]
    L += latency_table(over, p["over_reps"])
    L += ["", "From the last publish until the last client had the last message, ms: " +
          "; ".join(f"{layout(s, int(rs[0]['clients']))}: {fmt(med(rs, 'drain_ms'), 0)}"
                    for s, rs in over.items() if rs)]

    # --- redis
    L += ["", "## Redis CPU per message", "",
          f"Separate runs, with enough messages to measure: {p['redis_rate']:g} "
          f"messages/s for {p['redis_duration']:g} s "
          f"({int(p['redis_rate'] * p['redis_duration']):,} messages), then "
          f"{p['redis_burst']:,} more back to back (each XADD sent as soon as Redis "
          f"answered the previous one); {p['redis_clients']} clients per server (Redis "
          "never sees the WebSocket clients). redis-server's own CPU time (`INFO cpu`: "
          "used_cpu_user + used_cpu_sys, getrusage, µs) over each window ÷ messages "
          "published; for the spaced window less the idle rate measured for "
          f"{p['idle']:g} s just before with the same servers connected (XREAD BLOCKs "
          "waiting, Redis's cron). Per message Redis runs one XADD and, for each server, "
          "answers one blocked XREAD that the server then sends again (one XREAD can "
          "carry several entries when they come faster than the server asks: see the "
          "calls per message). `INFO commandstats` gives the time spent inside the "
          "commands, without the socket I/O and the wake-ups around them.", "",
          "| servers reading | publishing | Redis CPU per message, µs | XREAD calls per "
          "message | µs inside each XADD | µs inside each XREAD | load average (1 min) "
          "before → after |",
          "|---:|---|---:|---:|---:|---:|---|"]
    for s, rs in red.items():
        if not rs:
            continue
        for label, pre, n_key in ((f"{p['redis_rate']:g}/s (net of idle "
                                   f"{rng(values(rs, 'redis_idle_cpu_per_s', 1e3), 1)} "
                                   "ms/s)", "", "published"),
                                  ("back to back", "burst_", "burst")):
            per = [(r[pre + "redis_cpu_s"] - (0 if pre else r.get("redis_idle_cpu_per_s", 0)
                                               * r["window_s"])) / r[n_key] * 1e6
                   for r in rs if r.get(n_key)]
            xr = [r[pre + "redis_xread_calls"] / r[n_key] for r in rs if r.get(n_key)]
            xadd = [r[pre + "redis_xadd_usec"] / r[pre + "redis_xadd_calls"] for r in rs
                    if r.get(pre + "redis_xadd_calls")]
            xread = [r[pre + "redis_xread_usec"] / r[pre + "redis_xread_calls"] for r in rs
                     if r.get(pre + "redis_xread_calls")]
            L.append(f"| {s} | {label} | {rng(per, 1)} | {rng(xr, 2)} | {rng(xadd, 1)} "
                     f"| {rng(xread, 1)} | {'' if pre else loads(rs)} |")

    # --- recovery
    if rec:
        k = p["rec_clients"]
        L += ["", "## Recovery after kill -9 of one server", "",
              f"{p['rec_servers']} servers × {k:,} clients. Each client "
              "(bench_scale_client --reconnect), on loss, reconnects at once to the next "
              "server of its list with `?since=<last ID>` (as step21_client --reconnect "
              "does; a 200 ms back-off only after a whole round failed). A message every "
              f"{1000 / p['rec_rate']:.0f} ms; {p['rec_before']:g} s into publishing, "
              "`kill -9` of the first server, then at once the next message; "
              f"{p['rec_after']:g} s more. Times are from the kill (CLOCK_MONOTONIC, read "
              "by the script just before it sends SIGKILL).", "",
              "| | median of runs | each run |", "|---|---:|---|"]

        def row(label, key, digits=2, bold=False):
            v = fmt(med(rec, key), digits)
            L.append(f"| {label} | {'**' + v + '**' if bold else v} | "
                     f"{', '.join(fmt(r.get(key), digits) for r in rec)} |")
        row(f"clients of the killed server that got a message published after the kill "
            f"(of {k:,})", "recovered_connections", 0)
        row("loss seen by the client (end of stream or reset on its socket), p50, ms",
            "detect_p50_ms")
        row("loss seen by the client, max, ms", "detect_max_ms")
        row("TCP connection to the next server open, p50, ms", "tcp_connect_p50_ms")
        row("TCP connection to the next server open, max, ms", "tcp_connect_max_ms")
        row("reconnected (its `101`, ticks.v1 selected), p50, ms", "reconnect_p50_ms")
        row("reconnected, p99, ms", "reconnect_p99_ms")
        row("reconnected, max, ms", "reconnect_max_ms")
        row("**recovered** (got the first message published after the kill), p50, ms",
            "recovery_p50_ms")
        row("recovered, p99, ms", "recovery_p99_ms")
        row("**recovered, max: the last of its clients**, ms", "recovery_max_ms", bold=True)
        row("messages replayed from the stream (published while away, received after "
            "the reconnect), all its clients", "replayed_from_history", 0)
        row("the other servers' clients meanwhile: latency of the messages of the first "
            "second after the kill, p99, ms", "others_after_kill_p99_ms")
        L += [f"| messages received / expected, all {p['rec_servers'] * k:,} clients, all "
              f"runs | {total(rec, 'messages_received')} / {total(rec, 'messages_expected')} "
              "| |",
              f"| **lost / duplicated**, all clients, all runs | **{total(rec, 'lost')} / "
              f"{total(rec, 'duplicates')}** | |",
              f"| gap notices; failed reconnect attempts, all runs | "
              f"{total(rec, 'gap_notices')}; {total(rec, 'reconnect_failures')} | |",
              f"| load average (1 min) before → after | | {loads(rec)} |"]

    errors = [f"{r['kind']} {r['servers']} servers run {r['rep'] + 1}: {r['error']}"
              for r in runs if "error" in r]
    if errors:
        L += ["", "Errors: " + "; ".join(errors)]

    L += ["", "## How it is measured", "",
          "* **Processes.** `tests/bench/bench_scale.py` starts, per run, a redis-server "
          "on a unix socket (no TCP port, no RDB, no AOF), the servers "
          "(`step21_server --host 127.0.0.1 --port 0 --redis unix:SOCKET`, port read "
          "from their first line), and one `bench_scale_client` that opens every "
          "connection, offering `Sec-WebSocket-Protocol: ticks.v1` (connection *i* goes "
          "to server *i* mod *n*). The client says `ready` once all are open; the "
          "script waits 1 s more, then publishes. At the end it stops every process it "
          "started (SIGTERM, then SIGKILL), also on Ctrl+C; the client has a watchdog.",
          "* **Publishing.** The script itself, over its own RESP connection: "
          "`XADD ticks MAXLEN ~ 100000 * text \"<seq> <ns>\"`, one at a time (each waits "
          "for Redis's reply), on a fixed schedule; ns is `time.monotonic_ns()` "
          "(CLOCK_MONOTONIC) read just before the command is written. A late entry is "
          "sent at once, none is skipped, so the seqs are 0…P−1.",
          "* **Latency.** For every message on every connection: the client's "
          "CLOCK_MONOTONIC when the read that carried it completed, − ns. One machine, "
          "one clock: nothing to synchronise. It covers the XADD's trip to Redis, the "
          "server's XREAD BLOCK being answered, the server's loop over its clients, "
          "loopback TCP, and the client's own turn to read that socket (the client "
          "reads every connection, so in a burst of N deliveries the last one waits "
          "for the client too).",
          "* **Lost / duplicated.** Each connection expects seq 0, 1, 2…: a seq below "
          "the next one expected is a duplicate; a jump counts the ones skipped as "
          "lost, and so do those a connection still lacks when the run ends (the "
          f"client waits up to 10 s after the last publish, 60 s in the {p['over_rate']:g}/s "
          "runs).",
          "* **Recovery.** Per connection of the killed server, each minus the kill "
          "time: when its socket reported the loss, when its TCP connection to the next "
          "server opened, when that server's `101` arrived, and when the first message "
          "published after the kill arrived (through the resume's XRANGE catch-up, or "
          "live).",
          "* **CPU.** Redis: `INFO cpu` (µs). Servers and client: `/proc/PID/stat` "
          "utime + stime (10 ms ticks) over the publishing window. Machine: "
          "`/proc/stat`, both CPUs, over the window: busy (user, nice, system, irq, "
          "softirq: the benchmark's and anyone else's), stolen (given by the hypervisor "
          "to other virtual machines), and other processes (user + system time not "
          "billed to Redis, the servers, the client or the publishing script: other "
          "people's work on the machine).", "",
          "### Limits", "",
          f"* One shared {info['cores']}-core virtual machine runs Redis, every server, the "
          "publisher and the client (which alone reads every message of every "
          "connection). The three servers share the two cores the one server had (it "
          "has one io thread, so it uses one of them at most; three can use both), and "
          "the client competes with them; on separate machines the three-server layout "
          "would spread the fan-out over three machines' cores. What the comparison "
          "shows on one machine: one loop over 9,000 sockets on one thread against "
          "three loops over 3,000 that the kernel can run on both cores, for one more "
          "XREAD per message.",
          "* Other people's builds and tests may run on the machine, and the hypervisor "
          "takes a share of the CPUs (stolen): both are in the tables. The 1-minute load "
          "average counts the benchmark's own processes too (a run keeps 2 to 5 of them "
          "busy), so it rises during the run; the figure before the first run is the "
          "machine's own. The benchmark's processes run in a session of their own at a "
          "lowered nice value (as scripts/bench.sh does); stolen time is beyond that.",
          "* Loopback TCP and a unix socket to Redis: no network latency.",
          "* `INFO cpu` is the whole redis-server process (its event loop, its cron), "
          "hence the idle rate subtracted; it leaves out the kernel's softirq work for "
          "the socket traffic.", "",
          "## Reproduce", "",
          f"`{cmd}` from the repository root (root, or a user allowed to `apt-get install` "
          "and to raise priority; add `--no-nice` otherwise). It installs redis-server "
          "and libhiredis-dev if missing, builds `step21_server` and `bench_scale_client` "
          "in Release into `build-bench-scale/`, raises the open-files limit to the hard "
          f"limit (at least {n + 200:,} are needed), waits up to "
          f"{p['wait_idle']} s for a 1-minute load average under 1, and runs "
          "`tests/bench/bench_scale.py`. Raw results stay in "
          "`build-bench-scale/runs/STAMP/results.json`; "
          "`scripts/bench.sh --scale --report-only build-bench-scale/runs/STAMP` rewrites "
          "this file from them. `scripts/bench.sh` without `--scale` is the other "
          "benchmark ([benchmarks.md](benchmarks.md)).", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(L))
    log("wrote", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--wait-idle", type=int)
    ap.add_argument("--out")
    ap.add_argument("--report-only")
    ap.add_argument("--no-nice", action="store_true")  # handled by the shell script
    args = ap.parse_args()
    mode = "quick" if args.quick else "full"
    default_out = (ROOT / "docs" / "benchmarks-scale.md" if mode == "full"
                   else BUILD / "quick" / "benchmarks-scale.md")
    out = Path(args.out) if args.out else default_out

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    if args.report_only:
        work = Path(args.report_only)
        mode = json.loads((work / "results.json").read_text())["info"]["mode"]
        if not args.out and mode == "quick":
            out = BUILD / "quick" / "benchmarks-scale.md"
    else:
        work = run(args, mode)
    report(work, out)


if __name__ == "__main__":
    main()

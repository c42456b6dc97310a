"""The report of a bench.py run: docs/benchmarks.md, the console table and the plots.

summarise() turns a run's results.json into one dict (medians per server,
CPU-normalised figures, goals with verdict and reason, callgrind counts);
every writer below reads only that dict.
"""
import os
import statistics
import subprocess
from datetime import datetime
from pathlib import Path

LABELS = {"final": "final_server (websocketpp)", "beast": "Boost.Beast",
          "bun": "Bun (uWebSockets)", "node": "Node ws", "python": "Python websockets",
          "raw": "raw TCP fan-out"}
COLOURS = {"final": "#aa3377", "beast": "#228833", "bun": "#ccbb44", "node": "#4477aa",
           "python": "#66ccee", "raw": "#bbbbbb"}  # Paul Tol's colour-blind safe set
STRESS_INTERVAL_MS = 1
SHORT = {"final": "final_server", "beast": "Beast", "bun": "Bun", "node": "Node ws",
         "python": "Python", "raw": "raw"}


def med(runs, key):
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None


def per_run_median(runs, fn):
    """Median over repetitions of a figure computed from each run's own values."""
    values = []
    for r in runs:
        try:
            v = fn(r)
        except (KeyError, TypeError, ZeroDivisionError):
            continue
        if v is not None:
            values.append(v)
    return statistics.median(values) if values else None


def fmt(v, decimals=1):
    return "n/a" if v is None else f"{v:,.{decimals}f}"


def ratio(a, b):
    return a / b if a is not None and b else None


# ------------------------------------------------------------------ summarise
def summarise(data, run_dir):
    p, res = data["params"], data["results"]
    rows = {}
    for name in data["servers"]:
        r = res.get(name, {})
        hs, st, t1, t2, dr = (r.get(k, []) for k in
                              ("handshake", "stress", "ticks1", "ticks2", "drift"))
        row = {
            "rss": med(hs, "rss_per_conn_kb"), "hs": med(hs, "handshakes_per_sec"),
            "fps": med(st, "frames_per_sec"), "scpu": med(st, "server_cpu_pct"),
            "ccpu": med(st, "client_cpu_pct"), "fpr": med(st, "frames_per_read"),
            "hs_scpu": med(hs, "connect_server_cpu_pct"),
            "hs_ccpu": med(hs, "connect_client_cpu_pct"),
            "share": med(st, "client_read_share"),
            "blocked": max([x.get("raw_blocked_sends", 0) for x in st] or [0]),
            "raw_fps_send": med(st, "raw_frames_written"),
            "drift": med(dr, "drift_last_tick_p50_ms"),
            "driftmax": med(dr, "drift_last_tick_max_ms"),
            # CPU-normalised: the server's user+system CPU time per unit of work.
            "us_per_frame": per_run_median(st, lambda x: (x["server_user_s"] + x["server_sys_s"])
                                           / x["frames"] * 1e6),
            "sys_share": per_run_median(st, lambda x: x["server_sys_s"]
                                        / (x["server_user_s"] + x["server_sys_s"])),
            "us_per_hs": per_run_median(hs, lambda x: (x["connect_server_user_s"]
                                                       + x["connect_server_sys_s"])
                                        / x["connections_ok"] * 1e6),
            "ms_per_idle_min": per_run_median(t2, lambda x: (x["window_server_user_s"]
                                                             + x["window_server_sys_s"]) * 1e3
                                              / (x["clients_held"] * x["window_seconds"] / 60)),
            "machine": {k: med(st, f"machine_{k}_pct")
                        for k in ("user", "sys", "softirq", "idle")},
        }
        for k, runs in (("ticks1", t1), ("ticks2", t2)):
            row[k] = {"p50": med(runs, "lateness_p50_ms"), "p99": med(runs, "lateness_p99_ms"),
                      "max": med(runs, "lateness_max_ms"),
                      "held": min([x["clients_held"] for x in runs if "clients_held" in x] or [0]),
                      "missing": med(runs, "missing_ticks"), "amb": med(runs, "ambiguous_ticks")}
        codes = data["exits"].get(name, [])
        row["exits"] = (sum(1 for c in codes if c == 0), len(codes))
        rows[name] = row
    cg = data.get("callgrind", {})
    tags = {"ticks1": f"ticks{p['t1_conns']}", "ticks2": f"ticks{p['t2_conns']}"}
    report = {"data": data, "rows": rows, "callgrind": cg, "p": p, "tls": data.get("tls"),
              "cdf": {n: {k: cdf(run_dir, n, tags[k]) for k in tags} for n in rows}}
    report["goals"] = goals(rows, cg, p)
    return report


def cdf(run_dir, name, tag):
    """Lateness distribution: per percentile, the median over repetitions."""
    files = sorted((run_dir / "results" / name).glob(f"{tag}.*.samples"))
    by_pct = {}
    for f in files:
        for line in f.read_text().splitlines():
            if line and not line.startswith("#"):
                pct, value = line.split()[:2]
                by_pct.setdefault(float(pct), []).append(float(value))
    return sorted((pct, max(statistics.median(v), 0.001)) for pct, v in by_pct.items())


def goals(rows, cg, p):
    """Every goal: (goal, measured, verdict, reason)."""
    out = []
    f, b, u, n, raw = (rows.get(k) for k in ("final", "beast", "bun", "node", "raw"))
    cgf, cgb = cg.get("final", {}), cg.get("beast", {})

    def add(goal, a, bval, op, limit, unit, decimals, reason):
        r = ratio(a, bval)
        verdict = "not measured" if r is None else \
            ("met" if (r <= limit if op == "<=" else r >= limit) else "missed")
        measured = "n/a" if r is None else \
            f"{r:.2f}× ({fmt(a, decimals)} vs {fmt(bval, decimals)} {unit})"
        out.append((goal, measured, verdict, reason))

    def ir(c, key):
        return fmt(c.get(key), 0) if c.get(key) else "n/a"
    if f and b:
        add("CPU per delivered frame ≤ 1.0× Beast", f["us_per_frame"], b["us_per_frame"], "<=",
            1.0, "µs", 2, f"callgrind: {ir(cgf, 'ir_per_frame')} vs {ir(cgb, 'ir_per_frame')} "
            "instructions per frame; kernel share of the server's CPU "
            f"{fmt(pct(f['sys_share']), 0)}% vs {fmt(pct(b['sys_share']), 0)}%")
        add("CPU per handshake ≤ 1.0× Beast", f["us_per_hs"], b["us_per_hs"], "<=", 1.0, "µs",
            1,
            f"callgrind: {ir(cgf, 'ir_per_connection')} vs {ir(cgb, 'ir_per_connection')} "
            "instructions per connection (handshake, first message, close), most of the "
            "difference in websocketpp's handshake code: see the analysis")
        add("memory per idle connection ≤ 1.0× Beast", f["rss"], b["rss"], "<=", 1.0, "KB", 1,
            "about 5 KB of final_server's figure is websocketpp's and Asio's connection "
            "state; see the analysis below")
    if f and u:
        add("CPU per frame within 1.5× of Bun (uWebSockets)", f["us_per_frame"],
            u["us_per_frame"], "<=", 1.5, "µs", 2,
            f"user-space share {fmt(100 - pct(f['sys_share']), 0)}% vs "
            f"{fmt(100 - pct(u['sys_share']), 0)}% of it; websocketpp's write coalescing "
            f"({fmt(f['fpr'], 2)} vs {fmt(u['fpr'], 2)} frames per client read) saves kernel "
            "time")
    if f and n:
        add("memory per idle connection ≤ 0.5× Node ws", f["rss"], n["rss"], "<=", 0.5, "KB", 1,
            "websocketpp's and Asio's own state per connection (see the analysis)")
        add("fan-out ≥ 3× Node ws", f["fps"], n["fps"], ">=", 3, "frames/s", 0,
            "both cores are full (server, load client, loopback TCP): compare CPU per frame, "
            f"{fmt(ratio(n['us_per_frame'], f['us_per_frame']), 2)}× less than Node")
        if raw:
            add("fan-out ≥ 0.5× raw ceiling", f["fps"], raw["fps"], ">=", 0.5, "frames/s", 0,
                "the raw program batches like the best server (one send per socket per pass, "
                f"{fmt(raw['fpr'], 1)} frames per client read) and spends "
                f"{fmt(raw['us_per_frame'], 2)} µs of CPU per frame, final_server "
                f"{fmt(f['us_per_frame'], 2)}")
        for k, conns in (("ticks1", p["t1_conns"]), ("ticks2", p["t2_conns"])):
            add(f"tick p99 lateness ≤ 0.5× Node ws, {conns:,} clients", f[k]["p99"],
                n[k]["p99"], "<=", 0.5, "ms", 2,
                "per-connection due times spread the sends; a broadcast waits for its whole pass")
        d = f["drift"]
        out.append((f"drift 0: last of {p['dr_ticks']} ticks at {p['dr_interval']} ms within one "
                    "scheduler wake-up (≤ 1 ms)",
                    f"{fmt(d, 3)} ms (Node ws {fmt(n['drift'], 1)} ms)",
                    "not measured" if d is None else ("met" if d <= 1 else "missed"),
                    "due times move on by whole intervals, never from \"now\""))
        add("handshakes/s ≥ 2× Node ws", f["hs"], n["hs"], ">=", 2, "/s", 0,
            "server, client and kernel share two cores: compare CPU per handshake, "
            f"{fmt(ratio(n['us_per_hs'], f['us_per_hs']), 2)}× less than Node")
    return out


def pct(share):
    return None if share is None else share * 100


# ------------------------------------------------------------------ plots
def gnuplot(script, run_dir, name):
    (run_dir / f"{name}.gp").write_text(script)
    # Run in the run's folder with data files named relatively: gnuplot writes a
    # plot's source into the SVG, and no path of this machine belongs in docs/.
    subprocess.run(["gnuplot", f"{name}.gp"], cwd=run_dir, stderr=subprocess.DEVNULL)


def write_plots(rep, run_dir, img):
    p, rows = rep["p"], rep["rows"]
    head = ("set terminal svg size {w},{h} dynamic font 'sans,12' background rgb 'white'\n"
            "set output '{out}'\nset termoption noenhanced\n")
    # Lateness distributions
    gp = head.format(w=960, h=460, out=img / "bench-lateness.svg")
    gp += (f"set multiplot layout 1,2 title 'Tick lateness at 1 Hz (receipt − due; median of "
           f"{p['reps']} runs per percentile; below 1 µs drawn at 1 µs)'\n"
           "set logscale x; set xlabel 'lateness (ms, log)'; set ylabel 'percentile of ticks'\n"
           "set yrange [0:100]; set grid; set key below maxrows 2\n")
    for k, conns in (("ticks1", p["t1_conns"]), ("ticks2", p["t2_conns"])):
        gp += f"set title '{conns:,} clients'\n"
        plots = []
        for name in rows:
            points = rep["cdf"][name][k]
            if points:
                dat = run_dir / f"{name}.{k}.cdf"
                dat.write_text("".join(f"{a} {b}\n" for a, b in points))
                plots.append(f"'{dat.name}' using 2:1 with lines lw 2 "
                             f"lc rgb '{COLOURS[name]}' title '{LABELS[name]}'")
        gp += ("plot " + ", ".join(plots) if plots else
               "set label 'no data' at graph 0.5,0.5; plot NaN notitle") + "\n"
    gnuplot(gp + "unset multiplot\n", run_dir, "lateness")

    # Throughput, with the raw ceiling
    dat = run_dir / "throughput.dat"
    dat.write_text("".join(f'"{SHORT[n]}" {r["fps"]}\n' for n, r in rows.items() if r["fps"]))
    raw = rows.get("raw", {}).get("fps")
    gp = head.format(w=860, h=420, out=img / "bench-throughput.svg")
    gp += (f"set title 'Fan-out throughput, {p['st_conns']:,} clients, tick every "
           f"{STRESS_INTERVAL_MS} ms (median of {p['reps']} runs)'\n"
           "set style fill solid 0.8 border -1; set boxwidth 0.6\n"
           "set ylabel 'frames delivered per second'; set grid ytics; set format y '%.0s%c'\n"
           f"set xrange [-0.5:{len(dat.read_text().splitlines())}-0.5]; set xtics scale 0\n"
           "set key below; set yrange [0:*]; set offsets 0, 0, graph 0.08, 0\n")
    offered = p["st_conns"] * 1000 // STRESS_INTERVAL_MS
    gp += (f"set arrow 1 from graph 0, first {offered} to graph 1, first {offered} nohead "
           "front lw 1 dt 3 lc rgb '#ee7733'\n")
    if raw:
        gp += (f"set arrow 2 from graph 0, first {raw} to graph 1, first {raw} nohead front "
               "lw 2 dt 2 lc rgb '#cc3311'\n")
    gp += (f"plot '{dat.name}' using 0:2:xtic(1) with boxes lc rgb '#4477aa' title 'frames/s', "
           "'' using 0:2:(sprintf('%.0fk', $2/1000)) with labels offset 0,0.8 notitle, "
           f"NaN with lines lw 1 dt 3 lc rgb '#ee7733' title 'offered: {offered:,} frames/s'")
    if raw:
        gp += (", NaN with lines lw 2 dt 2 lc rgb '#cc3311' title 'raw TCP ceiling "
               "(one send per socket per pass)'")
    gnuplot(gp + "\n", run_dir, "throughput")

    # CPU per unit of work: three panels
    gp = head.format(w=1100, h=440, out=img / "bench-cpu.svg")
    gp += ("set multiplot layout 1,3 title 'Server CPU time (user + system, /proc/PID/stat) "
           f"per unit of work — lower is better (median of {p['reps']} runs)'\n"
           "set style fill solid 0.8 border -1; set boxwidth 0.6; set grid ytics\n"
           "set xtics scale 0 font ',10'; set yrange [0:*]; unset key\n")
    for key, title, dec in (("us_per_frame", "µs per delivered frame (= ms per 1,000)", 2),
                            ("us_per_hs", "µs per handshake", 0),
                            ("ms_per_idle_min", "ms per idle connection-minute", 2)):
        dat = run_dir / f"cpu-{key}.dat"
        dat.write_text("".join(f'"{SHORT[n]}" {r[key]}\n'
                               for n, r in rows.items() if r[key] is not None))
        n = len(dat.read_text().splitlines())
        gp += (f"set title '{title}'; set xrange [-0.5:{max(n, 1)}-0.5]\n"
               f"plot '{dat.name}' using 0:2:xtic(1) with boxes lc rgb '#228833' notitle, "
               f"'' using 0:2:(sprintf('%.{dec}f', $2)) with labels offset 0,0.7 font ',10' "
               "notitle\n")
    gnuplot(gp + "unset multiplot\n", run_dir, "cpu")


# ------------------------------------------------------------------ text
def results_table(rep):
    p, rows = rep["p"], rep["rows"]

    def lat(r, k):
        return f"{fmt(r[k]['p50'], 2)} / {fmt(r[k]['p99'], 2)} / {fmt(r[k]['max'], 1)}"
    lines = [
        f"| server | RSS per idle connection (KB, {p['hs_conns']:,} clients) | handshakes/s "
        f"(opening {p['hs_conns']:,}) | fan-out frames/s ({p['st_conns']:,} clients, 1 ms) | "
        f"lateness p50 / p99 / max, ms ({p['t1_conns']:,} clients, 1 Hz) | lateness p50 / p99 / "
        f"max, ms ({p['t2_conns']:,} clients, 1 Hz) | drift: last of {p['dr_ticks']} ticks at "
        f"{p['dr_interval']} ms, ms (p50 / max over connections) | clients held "
        f"({p['t1_conns']:,} / {p['t2_conns']:,}) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        lines.append(f"| {LABELS[name]} | {fmt(r['rss'])} | {fmt(r['hs'], 0)} | "
                     f"{fmt(r['fps'], 0)} | {lat(r, 'ticks1')} | {lat(r, 'ticks2')} | "
                     f"{fmt(r['drift'], 2)} / {fmt(r['driftmax'], 2)} | "
                     f"{r['ticks1']['held']:,.0f} / {r['ticks2']['held']:,.0f} |")
    return lines


def cpu_table(rep):
    p, rows = rep["p"], rep["rows"]
    beast = rows.get("beast", {})
    lines = [
        f"| server | CPU per 1,000 delivered frames, ms (stress, {p['st_conns']:,} clients) | "
        f"× Beast | kernel (system) share of it | CPU per handshake, µs (opening "
        f"{p['hs_conns']:,}) | × Beast | CPU per idle connection-minute, ms ({p['t2_conns']:,} "
        "clients, 1 Hz ticks) | × Beast |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        def x(key):
            v = ratio(r[key], beast.get(key))
            return f"{v:.2f}×" if v is not None else "n/a"
        lines.append(f"| {LABELS[name]} | {fmt(r['us_per_frame'], 2)} | {x('us_per_frame')} | "
                     f"{fmt(pct(r['sys_share']), 0)}% | {fmt(r['us_per_hs'], 1)} | "
                     f"{x('us_per_hs')} | {fmt(r['ms_per_idle_min'], 2)} | "
                     f"{x('ms_per_idle_min')} |")
    return lines


def side_table(rep):
    rows = rep["rows"]
    lines = ["| server | stress: server CPU | stress: load client CPU | stress: frames per read "
             "| stress: machine user / system / softirq / idle | handshakes: server CPU | "
             "handshakes: load client CPU |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        m = r["machine"]
        machine = " / ".join(f"{fmt(m[k], 0)}%" for k in ("user", "sys", "softirq", "idle"))
        lines.append(f"| {LABELS[name]} | {fmt(r['scpu'], 0)}% | {fmt(r['ccpu'], 0)}% | "
                     f"{fmt(r['fpr'], 2)} | {machine} | {fmt(r['hs_scpu'], 0)}% | "
                     f"{fmt(r['hs_ccpu'], 0)}% |")
    return lines


def callgrind_section(rep):
    cg = rep["callgrind"]
    if not cg:
        return []
    p = rep["p"]
    lines = ["## Where the instructions go (callgrind)", "",
             "Instruction counts do not depend on the machine's load, so they settle what the "
             "CPU times above only suggest. Each native server ran three times under "
             f"`valgrind --tool=callgrind`: opening {p['cg_conns'][0]} and {p['cg_conns'][1]} "
             "connections (the difference gives the instructions per connection: handshake, "
             f"first message, close), and a stress run with {p['cg_st_conns']} clients and a "
             "1 ms tick (what it costs beyond its connections, divided by the frames the "
             "client got). User-space instructions only: the kernel's side of each system "
             "call is not counted.", "",
             "| server | instructions per delivered frame | instructions per connection |",
             "|---|---:|---:|"]
    for name, c in cg.items():
        lines.append(f"| {LABELS[name]} | {fmt(c.get('ir_per_frame'), 0)} | "
                     f"{fmt(c.get('ir_per_connection'), 0)} |")
    for name, c in cg.items():
        for key, what in (("top_per_frame", "per delivered frame"),
                          ("top_per_connection", "per connection")):
            if not c.get(key):
                continue
            lines += ["", f"{LABELS[name]}: the functions with the most instructions of their "
                      f"own {what}:", "", f"| instructions {what} | function |", "|---:|---|"]
            for ir, fn in c[key][:8]:
                lines.append(f"| {ir:,.0f} | `{fn.replace('|', '/')}` |")
    return lines + [""]


def tls_section(rep):
    """final_server's handshakes over wss:// against ws:// (tests/bench/tls_handshakes.py)."""
    t = rep.get("tls") or {}
    if not t or "error" in t:
        return ["## Handshakes over TLS", "", f"Not measured: {t.get('error', 'not run')}", ""]
    plain, tls = t["plain"], t["tls"]
    return ["## Handshakes over TLS", "",
            f"final_server, {t['connections']:,} WebSocket handshakes with {t['in_flight']} in "
            "flight from a Python asyncio client, each connection closed at once; TLS 1.3 "
            "with the P-256 certificate of `scripts/make-dev-cert.sh`. The server's CPU per "
            "handshake decides; the rate is the client's limit as much as the server's." +
            (" " + t["note"] if t.get("note") else ""), "",
            "| | handshakes/s | server CPU µs per handshake |", "|---|---:|---:|",
            f"| ws:// | {fmt(plain['handshakes_per_sec'], 0)} | "
            f"{fmt(plain['server_cpu_us_per_handshake'], 0)} |",
            f"| wss:// | {fmt(tls['handshakes_per_sec'], 0)} | "
            f"{fmt(tls['server_cpu_us_per_handshake'], 0)} |",
            f"| wss:// / ws:// | "
            f"{fmt(ratio(tls['handshakes_per_sec'], plain['handshakes_per_sec']), 2)}× | "
            f"{fmt(ratio(tls['server_cpu_us_per_handshake'], plain['server_cpu_us_per_handshake']), 2)}× |",
            ""]


def markdown(rep, img_rel, root):
    d, p, rows, info = rep["data"], rep["p"], rep["rows"], rep["data"]["info"]
    cmd = "scripts/bench.sh --quick" if d["mode"] == "quick" else "scripts/bench.sh"
    began = datetime.fromtimestamp(info["begin"]).astimezone()
    L = ["# Runtime benchmark", "",
         "Leia em português: [docs/pt-BR/benchmarks.md](pt-BR/benchmarks.md)", "",
         "`final_server` (the finished server of this tutorial) measured side by side with",
         "the peers a C++ engineer would weigh it against (Boost.Beast, uWebSockets as Bun's",
         f"server) and idiomatic Node and Python servers, in one run of `{cmd}` on one machine,",
         f"over loopback (127.0.0.1 only). Every figure is the median of {p['reps']} run(s); each",
         f"run starts a fresh server. This file and the plots under `{img_rel}/` are written by",
         "the script: re-run it to refresh them.", "",
         "## Machine and versions", "", "| | |", "|---|---|",
         f"| CPU | {info['cpu']}, {info['cores']} cores, {info['mem']} |",
         f"| OS | {info['kernel']} (Debian {info['debian']}) |",
         f"| run | {began:%Y-%m-%d %H:%M %Z}, {info['end'] - info['begin']:.0f} s; load average "
         f"before {info['load_before']}, after {info['load_after']} |",
         f"| final_server | websocketpp {info['websocketpp']}, standalone Asio {info['asio']}, "
         f"{info['gxx']}, Release; final/ at {info['final_rev']} |",
         f"| Boost.Beast | Boost {info['boost']} (Debian), same compiler, Release, "
         "`tests/bench/peers/beast_server.cpp` |",
         f"| Bun (uWebSockets) | Bun {info['bun']} (npm), `tests/bench/peers/bun_server.js` |",
         f"| Node ws | Node {info['node']}, ws {info['ws']} ({info.get('ws_source', 'n/a')}), "
         "`tests/bench/peers/node_ws_server.js` |",
         f"| Python websockets | CPython {info['python']} (/usr/bin/python3), websockets "
         f"{info['websockets']} (Debian), `tests/bench/peers/python_websockets_server.py` |",
         "| raw TCP fan-out | `tests/bench/raw_fanout.cpp` (epoll, no WebSocket library), same "
         "compiler |",
         f"| load client | `tests/bench/load_client.cpp` (standalone Asio {info['asio']}), 1 io "
         "thread, 64 handshakes in flight |",
         f"| tools | {info['valgrind']}, {info['gnuplot']} |", "",
         f"Reproduce: `{cmd}` from the repository root (root, or a user allowed to",
         f"`apt-get install` and to raise priority; `--no-nice` otherwise). It installs what is",
         "missing (python3-websockets, gnuplot-nox, libboost-dev, valgrind; npm's `ws` and `bun`",
         "at the versions locked in `tests/bench/peers/package-lock.json` and",
         "`tests/bench/peers/bun/package-lock.json` into `build-bench/`), builds `final_server`,",
         "the Beast peer and the bench tools in Release into `build-bench/`, raises the",
         f"open-files limit to the hard limit ({p['fd_limit']} here) and runs everything",
         "(`tests/bench/bench.py`). Raw per-run outputs and `results.json` stay in",
         "`build-bench/runs/`; `scripts/bench.sh --report-only build-bench/runs/STAMP` rewrites",
         "the report from them.", ""]
    for note in d["notes"]:
        L += [f"> **Note:** {note}", ""]
    L += ["## Results", ""] + results_table(rep) + [""]
    L += ["### CPU per unit of work",
          "",
          "Rates on a shared 2-core machine move with whatever else runs; the CPU time a server",
          "spends per unit of work moves much less. The server's user + system time",
          "(`/proc/PID/stat`) over the stress window per frame the client received, over the",
          "opening of the connections per handshake, and over the 1 Hz tick window per",
          "connection and minute (idle clients, one tick a second each):", ""]
    L += cpu_table(rep) + [""]
    L += ["CPU of each side (100% = one core; task time, which leaves out the kernel's softirq",
          "work for loopback TCP, shown in the machine's split) over the stress window and over",
          f"the opening of the {p['hs_conns']:,} connections, and frames the client got per read",
          "in the stress run:", ""] + side_table(rep) + [""]
    raw = rows.get("raw")
    if raw and raw["share"]:
        L += [f"The raw fan-out writes every frame due since a socket's last write in one "
              f"`send()`; against it the load client had read {raw['share'] * 100:.2f}% of all "
              "the frames the server wrote by the time it stopped (the rest: the last frames in "
              f"flight), with {fmt(raw['fpr'], 2)} frames per read, and the raw server found a "
              f"socket buffer full {raw['blocked']:,.0f} times in its worst run.", ""]
    f = rows.get("final")
    if f:
        L += [f"**At a glance** — final_server: held {f['ticks1']['held']:,.0f} of "
              f"{p['t1_conns']:,} and {f['ticks2']['held']:,.0f} of {p['t2_conns']:,} clients; "
              f"RSS per idle connection {fmt(f['rss'])} KB ({p['hs_conns']:,} clients); "
              f"{fmt(f['us_per_frame'], 2)} µs of CPU per delivered frame, "
              f"{fmt(f['us_per_hs'], 1)} µs per handshake; tick lateness with "
              f"{p['t1_conns']:,} clients p50 {fmt(f['ticks1']['p50'], 2)} ms, p99 "
              f"{fmt(f['ticks1']['p99'], 2)} ms.", ""]
    L += ["Shutdown: " + " ".join(f"{LABELS[n]}: {r['exits'][0]} of {r['exits'][1]} runs "
                                  "exited 0 on SIGTERM." for n, r in rows.items()), ""]
    L += [f"![Tick lateness distribution per server]({img_rel}/bench-lateness.svg)", "",
          f"![Fan-out throughput per server against the raw TCP ceiling]"
          f"({img_rel}/bench-throughput.svg)", "",
          f"![Server CPU time per frame, per handshake and per idle connection-minute]"
          f"({img_rel}/bench-cpu.svg)", ""]
    if rep["goals"]:
        L += ["## Goals (final_server)", "", "| goal | measured | verdict | reason |",
              "|---|---|---|---|"]
        L += [f"| {g} | {m} | {v} | {r} |" for g, m, v, r in rep["goals"]] + [""]
    for name, r in rows.items():
        for k, conns in (("ticks1", p["t1_conns"]), ("ticks2", p["t2_conns"])):
            if r[k]["missing"]:
                L.append(f"- {LABELS[name]}, {conns:,} clients: {r[k]['missing']:,.0f} ticks due "
                         f"in the window had not arrived {p['tick_grace']} s after it (median "
                         "over runs): the server was that far behind its schedule, or closed "
                         "connections.")
            if r[k]["amb"]:
                L.append(f"- {LABELS[name]}, {conns:,} clients: {r[k]['amb']:,.0f} receipts fell "
                         "in an ambiguous broadcast cluster (a fan-out longer than a third of "
                         "the interval).")
    L += [""] + callgrind_section(rep) + tls_section(rep)
    for extra in ("analysis.md", "method.md"):
        f = root / "tests" / "bench" / extra
        if f.exists():
            L += [f.read_text().rstrip(), ""]
    return "\n".join(L)


def console(rep, doc, run_dir):
    rows, p = rep["rows"], rep["p"]
    out = [f"\nRuntime benchmark, medians of {p['reps']} run(s)",
           f"{'server':<27} {'RSS/conn':>9} {'hs/s':>7} {'fan-out/s':>10} {'µs/frame':>9} "
           f"{'µs/hs':>7} {'ms/idle-min':>11} {'p99@' + str(p['t1_conns']):>10} "
           f"{'drift':>7}"]
    for name, r in rows.items():
        out.append(f"{LABELS[name]:<27} {fmt(r['rss']):>9} {fmt(r['hs'], 0):>7} "
                   f"{fmt(r['fps'], 0):>10} {fmt(r['us_per_frame'], 2):>9} "
                   f"{fmt(r['us_per_hs'], 1):>7} {fmt(r['ms_per_idle_min'], 2):>11} "
                   f"{fmt(r['ticks1']['p99'], 2):>10} {fmt(r['drift'], 2):>7}")
    for name, c in rep["callgrind"].items():
        out.append(f"callgrind {name}: {fmt(c.get('ir_per_frame'), 0)} instructions/frame, "
                   f"{fmt(c.get('ir_per_connection'), 0)} per connection")
    out.append("goals (final_server):")
    out += [f"  {g:<58} {m:<40} {v}" for g, m, v, _ in rep["goals"]]
    out.append(f"report: {doc}   raw results: {run_dir}")
    return "\n".join(out)


def write_all(data, run_dir, out_dir, root):
    rep = summarise(data, run_dir)
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    doc = out_dir / "benchmarks.md"
    if subprocess.run(["which", "gnuplot"], capture_output=True).returncode == 0:
        write_plots(rep, run_dir, img)
    doc.write_text(markdown(rep, os.path.relpath(img, out_dir), root))
    text = console(rep, doc, run_dir)
    (run_dir / "table.txt").write_text(text + "\n")
    print(text)

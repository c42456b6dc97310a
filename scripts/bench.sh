#!/usr/bin/env bash
# Runtime benchmark: final_server side by side with Boost.Beast, Bun (uWebSockets),
# Node ws, Python websockets and a raw TCP fan-out, over loopback. The benchmark
# itself is tests/bench/bench.py (its docstring explains it); this script
# installs the Debian packages it needs and gives it a session of its own.
#
#   scripts/bench.sh            full run (3 repetitions, ~15 min), writes
#                               docs/benchmarks.md and docs/img/bench-*.svg
#   scripts/bench.sh --quick    smoke check (1 repetition, few clients, ~3 min),
#                               writes build-bench/quick/benchmarks.md and its SVGs
#   options: --reps N  --servers final,beast,bun,node,python,raw  --out-dir DIR
#            --no-nice  --no-callgrind  --no-tls (skip the wss:// against ws:// handshakes)
#            --wait-idle S (wait up to S s for a 1-min load average < 1; 60 full, 0 quick)
#            --report-only build-bench/runs/STAMP (rewrite the report of an earlier run)
#            --callgrind-only build-bench/runs/STAMP (redo that run's callgrind counts)
#   scripts/bench.sh --scale [...]  the scale benchmark instead (step 21 servers on Redis):
#                               scripts/bench-scale.sh, which writes docs/benchmarks-scale.md
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ " $* " == *" --scale "* ]]; then
  args=()
  for a in "$@"; do [ "$a" = --scale ] || args+=("$a"); done
  exec "$ROOT/scripts/bench-scale.sh" ${args[@]+"${args[@]}"}
fi
case " $* " in *" -h "*|*" --help "*) sed -n '2,17p' "$0"; exit 0 ;; esac

# Priority. The kernel shares the CPU between sessions (autogroup) before it
# looks at nice values, so `nice` alone does not shield the benchmark from a
# build in another session: the benchmark runs in a session of its own whose
# nice value is lowered (the Python program also starts every server and
# client at nice -10). setsid --wait forwards nothing, so Ctrl+C/SIGTERM are
# passed on to it; it stops everything it started.
if [[ " $* " != *" --no-nice "* && " $* " != *" --report-only "* ]] \
   && [ -z "${WSDEMO_BENCH_INNER:-}" ] && command -v setsid >/dev/null \
   && [ -w /proc/self/autogroup ]; then
  WSDEMO_BENCH_INNER=1 setsid --wait "$0" "$@" &
  inner=$!
  trap 'kill -TERM "$inner" 2>/dev/null || true' INT TERM
  rc=0
  wait "$inner" || rc=$?
  wait "$inner" 2>/dev/null || true
  exit "$rc"
fi
[ -n "${WSDEMO_BENCH_INNER:-}" ] && { echo -10 >/proc/self/autogroup 2>/dev/null || true; }

# Debian packages (Python's standard library does the rest; node and npm are
# expected, as for the interop tests).
missing=()
for p in python3 python3-websockets gnuplot-nox cmake g++ libasio-dev libwebsocketpp-dev \
         libboost-dev valgrind; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [[ " $* " != *" --report-only "* ]]; then
  echo "[bench] apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$ROOT/tests/bench/bench.py" "$@"

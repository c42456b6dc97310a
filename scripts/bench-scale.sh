#!/usr/bin/env bash
# Scale benchmark: step 21 servers fanning out one Redis Stream (issue 14): publish ->
# client latency with 1 server x 9,000 clients against 3 servers x 3,000, Redis's CPU
# per message, and the recovery time after kill -9 of one server. The benchmark
# itself is tests/bench/bench_scale.py (its docstring explains it); this script
# installs the Debian packages it needs and gives it a session of its own.
# scripts/bench.sh --scale runs this script.
#
#   scripts/bench-scale.sh          full run (3 repetitions, ~10 min), writes
#                                   docs/benchmarks-scale.md
#   scripts/bench-scale.sh --quick  smoke check (1 repetition, 900 clients, ~1 min),
#                                   writes build-bench-scale/quick/benchmarks-scale.md
#   options: --reps N  --threads T (load client io threads, default 2)  --out FILE
#            --no-nice  --wait-idle S (wait up to S s for a 1-min load average < 1;
#            120 full, 0 quick)  --report-only build-bench-scale/runs/STAMP
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case " $* " in *" -h "*|*" --help "*) sed -n '2,16p' "$0"; exit 0 ;; esac

# Priority, as in scripts/bench.sh: a session of its own (the kernel shares the CPU
# between sessions before it looks at nice values) whose nice value is lowered.
# setsid --wait forwards nothing, so Ctrl+C/SIGTERM are passed on; the Python
# program stops everything it started.
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

missing=()
for p in python3 redis-server libhiredis-dev cmake g++ libasio-dev libwebsocketpp-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [[ " $* " != *" --report-only "* ]]; then
  echo "[bench-scale] apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$ROOT/tests/bench/bench_scale.py" "$@"

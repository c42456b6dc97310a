#!/usr/bin/env bash
# Runtime benchmark: final_server side by side with idiomatic peers, over loopback.
#
#   scripts/bench.sh            full run (3 repetitions, ~10-15 min), writes
#                               docs/benchmarks.md and docs/img/bench-*.svg
#   scripts/bench.sh --quick    smoke check (1 repetition, few clients, ~2 min),
#                               writes build-bench/quick/benchmarks.md and its SVGs
#   options: --reps N  --servers final,node,python,raw  --out-dir DIR  --no-nice
#            --wait-idle S (wait up to S s for a 1-min load average < 1; 60 full, 0 quick)
#            --report-only build-bench/runs/STAMP (rewrite the report of an earlier run)
#
# Servers (all: --host 127.0.0.1 --port 0 --interval-ms N, first stdout line
# "Now listening on: http://localhost:PORT", SIGTERM = graceful exit):
#   final   build-bench/bin/final_server (Release)            per-connection schedule
#   node    tests/bench/peers/node_ws_server.js (npm ws)        setInterval broadcast
#   python  tests/bench/peers/python_websockets_server.py       sleep-then-broadcast loop
#   raw     build-bench/tools/bin/bench_raw_fanout (no WS lib)  the machine's ceiling
# One load client for all: build-bench/tools/bin/bench_load_client.
#
# Every process this script starts is recorded and stopped on exit, Ctrl+C or
# failure; every wait is bounded in count and time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
PEERS=$ROOT/tests/bench/peers
PY=/usr/bin/python3   # Debian's python3 (python3-websockets), not a pyenv one

ORIG_ARGS=("$@")
QUICK=0
REPS=""
SERVERS="final,node,python,raw"
OUT_DIR=""
NICE=-10
WAIT_IDLE=""
REPORT_ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --reps) REPS=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --out-dir) OUT_DIR=$2; shift ;;
    --no-nice) NICE=0 ;;
    --wait-idle) WAIT_IDLE=$2; shift ;;
    --report-only) REPORT_ONLY=$(cd "$2" && pwd); NICE=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# Priority. The kernel groups processes by session (autogroup) and shares the
# CPU between sessions before it looks at nice values, so `nice` alone does not
# shield the benchmark from a build running in another session. The script
# re-runs itself in a session of its own and lowers that session's nice value
# (it dies with the session); it forwards Ctrl+C/SIGTERM to it.
if [ "$NICE" != 0 ] && [ -z "${WSDEMO_BENCH_INNER:-}" ] && command -v setsid >/dev/null \
   && [ -w /proc/self/autogroup ]; then
  WSDEMO_BENCH_INNER=1 setsid --wait "$0" "${ORIG_ARGS[@]}" &
  inner=$!
  trap 'kill -TERM "$inner" 2>/dev/null || true' INT TERM
  rc=0
  wait "$inner" || rc=$?
  for _ in $(seq 1 100); do kill -0 "$inner" 2>/dev/null || break; sleep 0.1; done
  exit "$rc"
fi
if [ -n "${WSDEMO_BENCH_INNER:-}" ] && [ "$NICE" != 0 ]; then
  echo "$NICE" >/proc/self/autogroup 2>/dev/null || true
fi

# ---------------------------------------------------------------- parameters
if [ -n "$REPORT_ONLY" ]; then
  # shellcheck disable=SC1091
  source "$REPORT_ONLY/run.env"   # QUICK, REPS, servers, versions... of that run
fi
if [ "$QUICK" = 1 ]; then
  REPS=${REPS:-1}
  HS_CONNS=500;      HS_SETTLE=1
  T1_CONNS=200;      T2_CONNS=1000; TICK_WARMUP=1; TICK_DURATION=3; TICK_GRACE=1.2
  ST_CONNS=200;      ST_WARMUP=0.5; ST_DURATION=2
  DR_CONNS=20;       DR_TICKS=30;   DR_INTERVAL=100
  OUT_DIR=${OUT_DIR:-$BUILD/quick}
  WAIT_IDLE=${WAIT_IDLE:-0}
else
  REPS=${REPS:-3}
  HS_CONNS=5000;     HS_SETTLE=2
  T1_CONNS=1000;     T2_CONNS=10000; TICK_WARMUP=2; TICK_DURATION=8; TICK_GRACE=1.5
  ST_CONNS=1000;     ST_WARMUP=1;    ST_DURATION=5
  DR_CONNS=100;      DR_TICKS=300;   DR_INTERVAL=100
  OUT_DIR=${OUT_DIR:-$ROOT/docs}
  WAIT_IDLE=${WAIT_IDLE:-60}
fi
CONCURRENCY=64       # handshakes in flight (below every peer's listen backlog)
CLIENT_THREADS=1     # the load client: one io thread (one core), leaving the other to the server
STRESS_INTERVAL=1    # ms
DOC=$OUT_DIR/benchmarks.md
IMG=$OUT_DIR/img
STAMP=$(date +%Y%m%d-%H%M%S)
WORK=${REPORT_ONLY:-$BUILD/runs/$STAMP}
RES=$WORK/results
mkdir -p "$RES" "$IMG"
# shellcheck disable=SC1091
if [ -n "$REPORT_ONLY" ]; then source "$REPORT_ONLY/run.env"; fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- processes
PIDS=()
stop_pid() {  # stop_pid PID: TERM, up to 5 s, then KILL; exit code in STOP_RC
  local pid=$1 i rc=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  STOP_RC=$rc
}
cleanup() {
  local pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then stop_pid "$pid"; fi
  done
}
trap cleanup EXIT
trap 'log "interrupted"; cleanup; exit 130' INT TERM

has() { case ",$SERVERS," in *,"$1",*) return 0 ;; *) return 1 ;; esac; }
label() {
  case "$1" in
    final) echo "final_server (websocketpp)" ;;
    node) echo "Node ws" ;;
    python) echo "Python websockets" ;;
    raw) echo "raw TCP fan-out" ;;
  esac
}
schedule_of() { [ "$1" = final ] && echo per-connection || echo broadcast; }

if [ -z "$REPORT_ONLY" ]; then
# ---------------------------------------------------------------- setup
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [ "$FD_LIMIT" != unlimited ] && [ "$FD_LIMIT" -lt $((T2_CONNS + 200)) ]; then
  log "open-files limit $FD_LIMIT is below $((T2_CONNS + 200)); the ${T2_CONNS}-client run is cut to $((FD_LIMIT - 200))"
  T2_CONNS=$((FD_LIMIT - 200))
fi

APT_UPDATED=0
need_apt() {  # need_apt PACKAGE...: installs the ones that are missing
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >/dev/null || true; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
need_apt python3-websockets gnuplot-nox cmake g++ libasio-dev libwebsocketpp-dev


# Node ws: npm's ws at the locked version, installed into build-bench/node;
# Debian's node-ws (/usr/share/nodejs) when the registry cannot be reached.
NODE_MODULES=""
WS_SOURCE=""
if has node; then
  if command -v node >/dev/null; then
    mkdir -p "$BUILD/node"
    cp "$PEERS/package.json" "$PEERS/package-lock.json" "$BUILD/node/"
    if [ -f "$BUILD/node/node_modules/ws/package.json" ] \
       || (cd "$BUILD/node" && timeout 180 npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1); then
      NODE_MODULES=$BUILD/node/node_modules; WS_SOURCE="npm"
    else
      log "npm ci failed; falling back to Debian's node-ws"
      need_apt node-ws && NODE_MODULES=/usr/share/nodejs && WS_SOURCE="Debian node-ws"
    fi
  else
    log "node not found: the node peer is skipped"
  fi
  [ -n "$NODE_MODULES" ] || SERVERS=${SERVERS//node/}
fi

# Release build in build-bench/: final_server from the top-level project, the
# bench tools from tests/bench (standalone, so they build whatever tests/ holds).
log "building (Release) in $BUILD"
cmake -S "$ROOT/tests/bench" -B "$BUILD/tools" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake-tools.log" 2>&1 \
  && cmake --build "$BUILD/tools" -j"$(nproc)" >>"$WORK/cmake-tools.log" 2>&1 \
  || { cat "$WORK/cmake-tools.log" >&2; log "cannot build the bench tools"; exit 1; }
CLIENT=$BUILD/tools/bin/bench_load_client
RAW=$BUILD/tools/bin/bench_raw_fanout
FINAL=$BUILD/bin/final_server
FINAL_NOTE=""
FINAL_FROM="working tree"
build_final() {  # build_final SOURCE_DIR BUILD_DIR
  [ -f "$1/final/CMakeLists.txt" ] \
    && cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >>"$WORK/cmake-final.log" 2>&1 \
    && cmake --build "$2" --target final_server -j"$(nproc)" >>"$WORK/cmake-final.log" 2>&1 \
    && [ -x "$2/bin/final_server" ]
}
if has final; then
  if build_final "$ROOT" "$BUILD"; then
    :
  elif git -C "$ROOT" cat-file -e HEAD:final/CMakeLists.txt 2>/dev/null; then
    # The working tree is someone's edit in progress: measure the last commit instead.
    log "final_server does not build from the working tree; building the committed HEAD instead"
    rm -rf "$BUILD/head-src" && mkdir -p "$BUILD/head-src"
    git -C "$ROOT" archive HEAD | tar -x -C "$BUILD/head-src"
    if build_final "$BUILD/head-src" "$BUILD/head"; then
      FINAL=$BUILD/head/bin/final_server
      FINAL_FROM="HEAD $(git -C "$ROOT" rev-parse --short HEAD) (the working tree did not build)"
    else
      FINAL_NOTE="final_server could not be built (see build-bench/runs/$(basename "$WORK")/cmake-final.log): it is left out of this run."
    fi
  else
    FINAL_NOTE="final_server could not be built (see build-bench/runs/$(basename "$WORK")/cmake-final.log): it is left out of this run."
  fi
  if [ -n "$FINAL_NOTE" ]; then log "$FINAL_NOTE"; SERVERS=${SERVERS//final/}; fi
fi

SERVER_LIST=()
for s in final node python raw; do has "$s" && SERVER_LIST+=("$s"); done
[ ${#SERVER_LIST[@]} -gt 0 ] || { log "no server to measure"; exit 1; }


# start_server NAME INTERVAL_MS TAG: sets SERVER_PID and SERVER_PORT
start_server() {
  local name=$1 interval=$2 tag=$3 out=$WORK/$1-$3.out err=$WORK/$1-$3.err i line
  local cmd
  case "$name" in
    final) cmd=("$FINAL") ;;
    node) cmd=(node "$PEERS/node_ws_server.js") ;;
    python) cmd=("$PY" "$PEERS/python_websockets_server.py") ;;
    raw) cmd=("$RAW") ;;
  esac
  : >"$out"
  NODE_PATH=$NODE_MODULES nice -n "$NICE" "${cmd[@]}" --host 127.0.0.1 --port 0 --interval-ms "$interval" >"$out" 2>"$err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT=""
  for i in $(seq 1 150); do
    line=$(head -n 1 "$out" 2>/dev/null || true)
    if [[ "$line" =~ ^Now\ listening\ on:\ http://localhost:([0-9]+) ]]; then SERVER_PORT=${BASH_REMATCH[1]}; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$SERVER_PORT" ]; then
    log "$name did not start (see $err)"
    stop_server
    return 1
  fi
}
stop_server() { stop_pid "$SERVER_PID"; }

# client OUT TIMEOUT_S ARGS...: starts the load client bounded in time, in the
# background (CLIENT_PID); `wait` on it stays interruptible by Ctrl+C.
client() {
  local out=$1 limit=$2; shift 2
  timeout --signal=TERM --kill-after=5 "$limit" nice -n "$NICE" "$CLIENT" --host 127.0.0.1 \
    --threads "$CLIENT_THREADS" --concurrency "$CONCURRENCY" "$@" >"$out" 2>"$out.err" &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
}

# run_one NAME REP KIND: one measurement on a fresh server; results in $RES/NAME/KIND.REP
run_one() {
  local name=$1 rep=$2 kind=$3 sched interval args=() limit rc
  sched=$(schedule_of "$name")
  local out=$RES/$name/$kind.$rep
  mkdir -p "$RES/$name"
  case "$kind" in
    handshake) interval=1000; limit=120
      args=(--mode handshake --connections "$HS_CONNS" --settle-s "$HS_SETTLE" --connect-timeout-s 60) ;;
    ticks1) interval=1000; limit=150
      args=(--mode ticks --connections "$T1_CONNS" --warmup-s "$TICK_WARMUP" --duration-s "$TICK_DURATION"
            --grace-s "$TICK_GRACE" --connect-timeout-s 60 --samples-out "$out.samples") ;;
    ticks2) interval=1000; limit=180
      args=(--mode ticks --connections "$T2_CONNS" --warmup-s "$TICK_WARMUP" --duration-s "$TICK_DURATION"
            --grace-s "$TICK_GRACE" --connect-timeout-s 90 --samples-out "$out.samples") ;;
    stress) interval=$STRESS_INTERVAL; limit=90
      args=(--mode stress --connections "$ST_CONNS" --warmup-s "$ST_WARMUP" --duration-s "$ST_DURATION"
            --connect-timeout-s 60) ;;
  esac
  start_server "$name" "$interval" "$kind.$rep" || { echo "error=server did not start" >"$out"; return 0; }
  rc=0
  client "$out" "$limit" --port "$SERVER_PORT" --interval-ms "$interval" --schedule "$sched" --server-pid "$SERVER_PID" \
    "${args[@]}"
  wait "$CLIENT_PID" || rc=$?
  [ "$rc" = 0 ] || { echo "error=load client exit $rc" >>"$out"; log "$name $kind rep $rep: load client exit $rc"; }
  stop_server
  echo "server_exit=$STOP_RC" >>"$out"
  if [ "$name" = raw ]; then
    sed -n 's/^raw_fanout: //p' "$WORK/raw-$kind.$rep.err" | tr ' ' '\n' | sed 's/^/raw_/' >>"$out"
    # share of what the raw server wrote that the client had read when it stopped
    awk -F= '$1=="frames_total"{r=$2} $1=="raw_frames_written"{w=$2} END{ if (w>0) printf "client_read_share=%.4f\n", r/w }' "$out" >>"$out.share"
    cat "$out.share" >>"$out"; rm -f "$out.share"
  fi
  log "$name $kind rep $rep: $(grep -E '^(handshakes_per_sec|rss_per_conn_kb|frames_per_sec|lateness_p99_ms|clients_held)=' "$out" | tr '\n' ' ')"
}

# Drift: every server at once (100 ms ticks, few clients: negligible load), one client each.
run_drift() {
  local rep=$1 name pids=() names=() ports=() spids=() i rc
  for name in "${SERVER_LIST[@]}"; do
    mkdir -p "$RES/$name"
    if start_server "$name" "$DR_INTERVAL" "drift.$rep"; then
      names+=("$name"); ports+=("$SERVER_PORT"); spids+=("$SERVER_PID")
    else
      echo "error=server did not start" >"$RES/$name/drift.$rep"
    fi
  done
  local limit
  limit=$(awk -v k="$DR_TICKS" -v i="$DR_INTERVAL" 'BEGIN{printf "%d", k*i/1000*1.5+40}')
  for i in "${!names[@]}"; do
    name=${names[$i]}
    client "$RES/$name/drift.$rep" "$limit" --port "${ports[$i]}" --interval-ms "$DR_INTERVAL" \
      --schedule "$(schedule_of "$name")" --mode drift --connections "$DR_CONNS" --drift-ticks "$DR_TICKS" \
      --connect-timeout-s 30 --samples-out "$RES/$name/drift.$rep.samples"
    pids+=("$CLIENT_PID")
  done
  for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    [ "$rc" = 0 ] || echo "error=load client exit $rc" >>"$RES/${names[$i]}/drift.$rep"
  done
  for i in "${!names[@]}"; do
    SERVER_PID=${spids[$i]}
    stop_server
    echo "server_exit=$STOP_RC" >>"$RES/${names[$i]}/drift.$rep"
    log "${names[$i]} drift rep $rep: $(grep -E '^drift_last_tick_p50_ms=' "$RES/${names[$i]}/drift.$rep" | tr '\n' ' ')"
  done
}

# ---- versions and machine
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
CORES=$(nproc)
MEM=$(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo)
KERNEL=$(uname -sr)
GXX=$(g++ --version | head -n 1)
WSPP=$(awk '/major_version =|minor_version =|patch_version =/ { gsub(/;/,""); printf "%s%s", sep, $NF; sep="." }' /usr/include/websocketpp/version.hpp 2>/dev/null || true)
ASIO=$(awk '/#define ASIO_VERSION / { v=$3; printf "%d.%d.%d", v/100000, (v/100)%1000, v%100 }' /usr/include/asio/version.hpp 2>/dev/null || true)
NODE_V=$(node --version 2>/dev/null || echo n/a)
WS_V=$( [ -n "$NODE_MODULES" ] && sed -n 's/^ *"version": "\(.*\)",*/\1/p' "$NODE_MODULES/ws/package.json" | head -n 1 || echo n/a)
PY_V=$("$PY" --version 2>&1 | cut -d' ' -f2)
WEBSOCKETS_V=$("$PY" -c 'import websockets; print(websockets.__version__)' 2>/dev/null || echo n/a)
GNUPLOT_V=$(gnuplot --version 2>/dev/null || echo n/a)
if [ "$FINAL_FROM" = "working tree" ]; then
  FINAL_REV=$(git -C "$ROOT" log -1 --format='%h %cs' -- final 2>/dev/null || true)
  [ -n "$(git -C "$ROOT" status --porcelain -- final 2>/dev/null)" ] && FINAL_REV="${FINAL_REV:+$FINAL_REV + }uncommitted changes"
  [ -n "$FINAL_REV" ] || FINAL_REV="working tree"
else
  FINAL_REV=$FINAL_FROM
fi
CMD="scripts/bench.sh"; [ "$QUICK" = 1 ] && CMD="scripts/bench.sh --quick"

# ---------------------------------------------------------------- run
# A shared machine: give concurrent builds a bounded chance to finish first.
waited=0
while [ "$waited" -lt "$WAIT_IDLE" ] && awk '{ exit !($1 >= 1.0) }' /proc/loadavg; do
  [ "$waited" = 0 ] && log "load average $(cut -d' ' -f1 /proc/loadavg): waiting up to ${WAIT_IDLE} s for the machine to calm down"
  sleep 10; waited=$((waited + 10))
done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_BEGIN=$(date +%s)
log "servers: ${SERVER_LIST[*]}; repetitions: $REPS; results in $WORK"
for rep in $(seq 1 "$REPS"); do
  for name in "${SERVER_LIST[@]}"; do
    for kind in handshake ticks1 ticks2 stress; do run_one "$name" "$rep" "$kind"; done
  done
  run_drift "$rep"
done
T_END=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Everything the report needs, so --report-only can rewrite it later.
{
  declare -p QUICK REPS SERVERS SERVER_LIST FD_LIMIT T1_CONNS T2_CONNS LOAD_BEFORE LOAD_AFTER T_BEGIN T_END \
    FINAL_NOTE WS_SOURCE CPU_MODEL CORES MEM KERNEL GXX WSPP ASIO NODE_V WS_V PY_V WEBSOCKETS_V GNUPLOT_V FINAL_REV CMD
} >"$WORK/run.env"

fi  # not --report-only

# ---------------------------------------------------------------- report
# vals NAME KIND KEY: the value of KEY in every repetition that has it
vals() {
  local f
  for f in "$RES/$1/$2".[0-9]*; do
    case "$f" in *.samples|*.err|*.cdf) continue ;; esac
    if [ -f "$f" ]; then sed -n "s/^$3=//p" "$f"; fi
  done
  return 0
}
# med NAME KIND KEY: median over the repetitions (blank if none)
med() {
  vals "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'
}
# minv NAME KIND KEY: minimum over the repetitions (for counts such as clients held)
minv() {
  vals "$@" | sort -g | awk 'NR==1 { print }'
}
fmt() {  # fmt VALUE DECIMALS
  [ -z "$1" ] && { echo "n/a"; return; }
  awk -v v="$1" -v d="$2" 'BEGIN{ printf "%.*f", d, v }'
}
fmt_int() {
  [ -z "$1" ] && { echo "n/a"; return; }
  awk -v v="$1" 'BEGIN{ s=sprintf("%.0f", v); n=length(s); o=""; for(i=1;i<=n;i++){ o=o substr(s,i,1); if((n-i)%3==0 && i<n) o=o "," } print o }'
}

declare -A M
for name in "${SERVER_LIST[@]}"; do
  M[$name,rss]=$(med "$name" handshake rss_per_conn_kb)
  M[$name,hs]=$(med "$name" handshake handshakes_per_sec)
  M[$name,hs_ok]=$(minv "$name" handshake connections_ok)
  M[$name,fps]=$(med "$name" stress frames_per_sec)
  M[$name,ccpu]=$(med "$name" stress client_cpu_pct)
  M[$name,scpu]=$(med "$name" stress server_cpu_pct)
  M[$name,fpr]=$(med "$name" stress frames_per_read)
  M[$name,share]=$(med "$name" stress client_read_share)
  M[$name,hs_ccpu]=$(med "$name" handshake connect_client_cpu_pct)
  M[$name,blocked]=$(vals "$name" stress raw_blocked_sends | sort -g | tail -n 1)
  M[$name,hs_scpu]=$(med "$name" handshake connect_server_cpu_pct)
  for k in ticks1 ticks2; do
    M[$name,$k,p50]=$(med "$name" $k lateness_p50_ms)
    M[$name,$k,p99]=$(med "$name" $k lateness_p99_ms)
    M[$name,$k,max]=$(med "$name" $k lateness_max_ms)
    M[$name,$k,held]=$(minv "$name" $k clients_held)
    M[$name,$k,missing]=$(med "$name" $k missing_ticks)
    M[$name,$k,amb]=$(med "$name" $k ambiguous_ticks)
  done
  M[$name,drift]=$(med "$name" drift drift_last_tick_p50_ms)
  M[$name,driftmax]=$(med "$name" drift drift_last_tick_max_ms)
  M[$name,drift_p99]=$(med "$name" drift lateness_p99_ms)
done

# Lateness distributions: per percentile, the median over repetitions.
for name in "${SERVER_LIST[@]}"; do
  for k in ticks1 ticks2; do
    files=("$RES/$name/$k".*.samples)
    [ -f "${files[0]}" ] || continue
    awk '!/^#/ { v[FNR]=v[FNR] " " $2; p[FNR]=$1 } END { for (i in p) { n=split(v[i], a, " "); for (x=1;x<=n;x++) for (y=x+1;y<=n;y++) if (a[y]+0<a[x]+0) { t=a[x]; a[x]=a[y]; a[y]=t }; m=(n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2; if (m<0.001) m=0.001; print p[i], m } }' \
      "${files[@]}" | sort -g >"$RES/$name/$k.cdf"
  done
done

# ---- goals (final_server against Node ws and the raw ceiling)
ratio() {
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN{ if (b==0) print ""; else printf "%.2f", a/b }'; fi
  return 0
}
verdict() {  # verdict VALUE OP LIMIT -> met/missed
  [ -z "$1" ] && { echo "not measured"; return; }
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN{ ok = (op=="<=") ? (v<=l) : (v>=l); print ok ? "met" : "missed" }'
}
GOALS=()
if has final && has node; then
  r=$(ratio "${M[final,rss]}" "${M[node,rss]}")
  GOALS+=("| memory per idle connection ≤ 0.5× Node ws | ${r:-n/a}× ($(fmt "${M[final,rss]}" 1) vs $(fmt "${M[node,rss]}" 1) KB) | $(verdict "$r" '<=' 0.5) |")
  r=$(ratio "${M[final,fps]}" "${M[node,fps]}")
  GOALS+=("| fan-out ≥ 3× Node ws | ${r:-n/a}× ($(fmt_int "${M[final,fps]}") vs $(fmt_int "${M[node,fps]}") frames/s) | $(verdict "$r" '>=' 3) |")
  if has raw; then
    r=$(ratio "${M[final,fps]}" "${M[raw,fps]}")
    GOALS+=("| fan-out ≥ 0.5× raw ceiling | ${r:-n/a}× ($(fmt_int "${M[final,fps]}") vs $(fmt_int "${M[raw,fps]}") frames/s) | $(verdict "$r" '>=' 0.5) |")
  fi
  for k in ticks1 ticks2; do
    n=$T1_CONNS; [ $k = ticks2 ] && n=$T2_CONNS
    r=$(ratio "${M[final,$k,p99]}" "${M[node,$k,p99]}")
    GOALS+=("| tick p99 lateness ≤ 0.5× Node ws, $(fmt_int $n) clients | ${r:-n/a}× ($(fmt "${M[final,$k,p99]}" 2) vs $(fmt "${M[node,$k,p99]}" 2) ms) | $(verdict "$r" '<=' 0.5) |")
  done
  GOALS+=("| drift 0: last of $DR_TICKS ticks at ${DR_INTERVAL} ms within one scheduler wake-up (≤ 1 ms) | $(fmt "${M[final,drift]}" 3) ms (Node ws $(fmt "${M[node,drift]}" 1) ms) | $(verdict "${M[final,drift]}" '<=' 1) |")
  r=$(ratio "${M[final,hs]}" "${M[node,hs]}")
  GOALS+=("| handshakes/s ≥ 2× Node ws | ${r:-n/a}× ($(fmt_int "${M[final,hs]}") vs $(fmt_int "${M[node,hs]}") /s) | $(verdict "$r" '>=' 2) |")
fi

# ---- plots
if command -v gnuplot >/dev/null; then
  {
    echo "set terminal svg size 960,460 dynamic font 'sans,12' background rgb 'white'"
    echo "set output '$IMG/bench-lateness.svg'"
    echo "set termoption noenhanced"
    echo "set multiplot layout 1,2 title 'Tick lateness at 1 Hz (receipt − due; median of $REPS runs per percentile; below 1 µs drawn at 1 µs)'"
    echo "set logscale x; set xlabel 'lateness (ms, log)'; set ylabel 'percentile of ticks'; set yrange [0:100]; set grid"
    echo "set key below maxrows 2"
    for k in ticks1 ticks2; do
      n=$T1_CONNS; [ $k = ticks2 ] && n=$T2_CONNS
      echo "set title '$(fmt_int $n) clients'"
      plots=()
      for name in "${SERVER_LIST[@]}"; do
        [ -s "$RES/$name/$k.cdf" ] && plots+=("'$RES/$name/$k.cdf' using 2:1 with lines lw 2 title '$(label "$name")'")
      done
      if [ ${#plots[@]} -gt 0 ]; then (IFS=,; echo "plot ${plots[*]}"); else echo "set label 'no data' at graph 0.5,0.5; plot NaN notitle"; fi
    done
    echo "unset multiplot"
  } >"$WORK/lateness.gp"
  gnuplot "$WORK/lateness.gp" 2>"$WORK/gnuplot.err" || log "gnuplot (lateness) failed: $(head -3 "$WORK/gnuplot.err")"

  : >"$WORK/throughput.dat"
  for name in "${SERVER_LIST[@]}"; do
    [ -n "${M[$name,fps]}" ] && printf '"%s" %s\n' "$(label "$name")" "${M[$name,fps]}" >>"$WORK/throughput.dat"
  done
  NBARS=$(wc -l <"$WORK/throughput.dat")
  {
    echo "set terminal svg size 760,420 dynamic font 'sans,12' background rgb 'white'"
    echo "set output '$IMG/bench-throughput.svg'"
    echo "set termoption noenhanced"
    echo "set title 'Fan-out throughput, $(fmt_int $ST_CONNS) clients, tick every ${STRESS_INTERVAL} ms (median of $REPS runs)'"
    echo "set style fill solid 0.8 border -1; set boxwidth 0.6"
    echo "set ylabel 'frames delivered per second'; set grid ytics; set format y '%.0s%c'"
    echo "set xrange [-0.5:$NBARS-0.5]; set xtics scale 0; set key below"
    if [ -n "${M[raw,fps]:-}" ]; then
      echo "raw = ${M[raw,fps]}"
      echo "set yrange [0:$(for name in "${SERVER_LIST[@]}"; do echo "${M[$name,fps]:-0}"; done | awk '$1>m{m=$1} END{printf "%.0f", m*1.2+1}')]"
      echo "set arrow 1 from graph 0, first raw to graph 1, first raw nohead front lw 2 dt 2 lc rgb '#cc3311'"
      echo "set arrow 2 from graph 0, first raw/2 to graph 1, first raw/2 nohead front lw 1 dt 3 lc rgb '#ee7733'"
      echo "plot '$WORK/throughput.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa' title 'frames/s (median)', \\"
      echo "  '' using 0:2:(sprintf('%.0fk', \$2/1000)) with labels offset 0,0.8 notitle, \\"
      echo "  NaN with lines lw 2 dt 2 lc rgb '#cc3311' title 'raw TCP ceiling', \\"
      echo "  NaN with lines lw 1 dt 3 lc rgb '#ee7733' title '0.5 × ceiling'"
    else
      echo "set yrange [0:*]"
      echo "plot '$WORK/throughput.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa' title 'frames/s (median)', \\"
      echo "  '' using 0:2:(sprintf('%.0fk', \$2/1000)) with labels offset 0,0.8 notitle"
    fi
  } >"$WORK/throughput.gp"
  [ -s "$WORK/throughput.dat" ] && { gnuplot "$WORK/throughput.gp" 2>>"$WORK/gnuplot.err" || log "gnuplot (throughput) failed"; }
fi

# final_server at a glance (the figures another issue asked for), and how every server stopped
GLANCE=""
if has final; then
  GLANCE="final_server: held $(fmt_int "${M[final,ticks1,held]}") of $(fmt_int "$T1_CONNS") and $(fmt_int "${M[final,ticks2,held]}") of $(fmt_int "$T2_CONNS") clients; RSS per idle connection $(fmt "${M[final,rss]}" 1) KB ($(fmt_int "$HS_CONNS") clients); tick lateness with $(fmt_int "$T1_CONNS") clients p50 $(fmt "${M[final,ticks1,p50]}" 2) ms, p99 $(fmt "${M[final,ticks1,p99]}" 2) ms"
fi
EXITS=""
for name in "${SERVER_LIST[@]}"; do
  total=$(cat "$RES/$name"/*.[0-9] 2>/dev/null | grep -c '^server_exit=' || true)
  bad=$(cat "$RES/$name"/*.[0-9] 2>/dev/null | grep '^server_exit=' | grep -vc '^server_exit=0$' || true)
  EXITS+="$(label "$name"): $((total - bad)) of $total runs exited 0 on SIGTERM. "
done

# ---- stdout table
cell_lat() { echo "$(fmt "${M[$1,$2,p50]}" 2) / $(fmt "${M[$1,$2,p99]}" 2) / $(fmt "${M[$1,$2,max]}" 1)"; }
{
  echo
  echo "Runtime benchmark — $(date -d "@$T_BEGIN" '+%Y-%m-%d %H:%M'), $CORES cores ($CPU_MODEL), loopback; medians of $REPS run(s)"
  printf '%-27s %10s %11s %12s %23s %23s %11s %13s\n' "server" "RSS/conn" "handshk/s" "fan-out/s" "late@$T1_CONNS p50/p99/max" "late@$T2_CONNS p50/p99/max" "drift" "held"
  printf '%-27s %10s %11s %12s %23s %23s %11s %13s\n' "" "KB @$HS_CONNS" "@$HS_CONNS" "@$ST_CONNS" "ms" "ms" "ms @$DR_TICKS" "@$T1_CONNS/@$T2_CONNS"
  for name in "${SERVER_LIST[@]}"; do
    printf '%-27s %10s %11s %12s %23s %23s %11s %13s\n' "$(label "$name")" "$(fmt "${M[$name,rss]}" 1)" \
      "$(fmt_int "${M[$name,hs]}")" "$(fmt_int "${M[$name,fps]}")" "$(cell_lat "$name" ticks1)" "$(cell_lat "$name" ticks2)" \
      "$(fmt "${M[$name,drift]}" 2)" "$(fmt_int "${M[$name,ticks1,held]}")/$(fmt_int "${M[$name,ticks2,held]}")"
  done
  if has raw; then
    echo "load client during the raw stress run: $(fmt "${M[raw,ccpu]}" 0)% of one core, $(fmt "${M[raw,fpr]}" 2) frames per read, read $(awk -v v="${M[raw,share]:-0}" 'BEGIN{printf "%.2f", v*100}')% of the frames the raw server wrote (server $(fmt "${M[raw,scpu]}" 0)% CPU)"
  fi
  [ -n "$GLANCE" ] && echo "$GLANCE"
  if [ ${#GOALS[@]} -gt 0 ]; then
    echo "goals (final_server):"
    for g in "${GOALS[@]}"; do echo "$g" | awk -F'|' '{ printf "  %-62s %-44s %s\n", $2, $3, $4 }'; done
  fi
  [ -n "$FINAL_NOTE" ] && echo "note: $FINAL_NOTE"
  echo "report: $DOC   raw results: $WORK"
} | tee "$WORK/table.txt"

# ---- docs/benchmarks.md
{
  cat <<EOF
# Runtime benchmark

\`final_server\` (the finished server of this tutorial) measured side by side with
idiomatic alternatives, in one run of \`$CMD\` on one machine, over loopback
(127.0.0.1 only). Every figure is the median of $REPS run(s); each run starts a
fresh server. This file and the plots under \`$(basename "$IMG")/\` are written by the
script: re-run it to refresh them.

## Machine and versions

| | |
|---|---|
| CPU | $CPU_MODEL, $CORES cores, $MEM |
| OS | $KERNEL (Debian $(cat /etc/debian_version 2>/dev/null || echo ?)) |
| run | $(date -d "@$T_BEGIN" '+%Y-%m-%d %H:%M %Z'), $((T_END - T_BEGIN)) s; load average before $LOAD_BEFORE, after $LOAD_AFTER |
| final_server | websocketpp $WSPP, standalone Asio $ASIO, $GXX, Release; final/ at $FINAL_REV |
| Node ws | Node $NODE_V, ws $WS_V ($WS_SOURCE), \`tests/bench/peers/node_ws_server.js\` |
| Python websockets | CPython $PY_V (/usr/bin/python3), websockets $WEBSOCKETS_V (Debian), \`tests/bench/peers/python_websockets_server.py\` |
| raw TCP fan-out | \`tests/bench/raw_fanout.cpp\` (epoll, no WebSocket library), same compiler |
| load client | \`tests/bench/load_client.cpp\` (standalone Asio $ASIO), $CLIENT_THREADS io thread, $CONCURRENCY handshakes in flight |
| plots | $GNUPLOT_V |

Reproduce: \`$CMD\` from the repository root (root, or a user allowed to
\`apt-get install\`, \`nice -n $NICE\`; \`--no-nice\` otherwise). It installs what is
missing (python3-websockets, gnuplot-nox; npm's \`ws\` at the version locked in
\`tests/bench/peers/package-lock.json\` into \`build-bench/node\`), builds
\`final_server\` and the bench tools in Release into \`build-bench/\`, raises the
open-files limit to the hard limit ($FD_LIMIT here) and runs everything. Raw
per-run outputs stay in \`build-bench/runs/\`.

EOF
  [ -n "$FINAL_NOTE" ] && printf '> **Note:** %s\n\n' "$FINAL_NOTE"
  cat <<EOF
## Results

| server | RSS per idle connection (KB, $(fmt_int $HS_CONNS) clients) | handshakes/s (opening $(fmt_int $HS_CONNS)) | fan-out frames/s ($(fmt_int $ST_CONNS) clients, ${STRESS_INTERVAL} ms) | lateness p50 / p99 / max, ms ($(fmt_int $T1_CONNS) clients, 1 Hz) | lateness p50 / p99 / max, ms ($(fmt_int $T2_CONNS) clients, 1 Hz) | drift: last of $DR_TICKS ticks at $DR_INTERVAL ms, ms (p50 / max over connections) | clients held ($(fmt_int $T1_CONNS) / $(fmt_int $T2_CONNS)) |
|---|---:|---:|---:|---:|---:|---:|---:|
EOF
  for name in "${SERVER_LIST[@]}"; do
    echo "| $(label "$name") | $(fmt "${M[$name,rss]}" 1) | $(fmt_int "${M[$name,hs]}") | $(fmt_int "${M[$name,fps]}") | $(cell_lat "$name" ticks1) | $(cell_lat "$name" ticks2) | $(fmt "${M[$name,drift]}" 2) / $(fmt "${M[$name,driftmax]}" 2) | $(fmt_int "${M[$name,ticks1,held]}") / $(fmt_int "${M[$name,ticks2,held]}") |"
  done
  echo
  HS_CPU=""
  for name in "${SERVER_LIST[@]}"; do [ -n "${M[$name,hs_scpu]}" ] && HS_CPU=1; done
  echo "CPU of each side (100% = one core; task time, which leaves out the kernel's softirq work for loopback TCP)"
  if [ -n "$HS_CPU" ]; then
    echo "over the stress window and over the opening of the $(fmt_int "$HS_CONNS") connections, and frames the client got per read in the stress run:"
    echo
    echo "| server | stress: server CPU | stress: load client CPU | stress: frames per read | handshakes: server CPU | handshakes: load client CPU |"
    echo "|---|---:|---:|---:|---:|---:|"
    for name in "${SERVER_LIST[@]}"; do
      echo "| $(label "$name") | $(fmt "${M[$name,scpu]}" 0)% | $(fmt "${M[$name,ccpu]}" 0)% | $(fmt "${M[$name,fpr]}" 2) | $(fmt "${M[$name,hs_scpu]}" 0)% | $(fmt "${M[$name,hs_ccpu]}" 0)% |"
    done
  else
    echo "over the stress window, and frames the client got per read:"
    echo
    echo "| server | stress: server CPU | stress: load client CPU | stress: frames per read |"
    echo "|---|---:|---:|---:|"
    for name in "${SERVER_LIST[@]}"; do
      echo "| $(label "$name") | $(fmt "${M[$name,scpu]}" 0)% | $(fmt "${M[$name,ccpu]}" 0)% | $(fmt "${M[$name,fpr]}" 2) |"
    done
  fi | sed 's/| n\/a% /| n\/a /g'
  if has raw && [ -n "${M[raw,share]}" ]; then
    echo
    echo "Against the raw fan-out the load client had read $(awk -v v="${M[raw,share]}" 'BEGIN{printf "%.2f", v*100}')% of all the frames the server wrote by the time it stopped (the rest: the last frames in flight), with $(fmt "${M[raw,fpr]}" 2) frames per read, and the raw server found a socket buffer full $(fmt_int "${M[raw,blocked]:-0}") times in its worst run: the client keeps up with the fastest server of the machine."
  fi
  echo
  [ -n "$GLANCE" ] && { echo "**At a glance** — $GLANCE."; echo; }
  echo "Shutdown: $EXITS"
  echo
  echo "![Tick lateness distribution per server]($(basename "$IMG")/bench-lateness.svg)"
  echo
  echo "![Fan-out throughput per server against the raw TCP ceiling]($(basename "$IMG")/bench-throughput.svg)"
  echo
  if [ ${#GOALS[@]} -gt 0 ]; then
    echo "## Goals (final_server)"
    echo
    echo "| goal | measured | verdict |"
    echo "|---|---|---|"
    for g in "${GOALS[@]}"; do echo "$g"; done
    echo
  fi
  # Missing ticks or ambiguous broadcast numbering would make lateness figures suspect: say so.
  for name in "${SERVER_LIST[@]}"; do
    for k in ticks1 ticks2; do
      mt=${M[$name,$k,missing]}; am=${M[$name,$k,amb]}
      if [ -n "$mt" ] && [ "$(fmt "$mt" 0)" != 0 ]; then echo "- $(label "$name"), $(fmt_int "$( [ $k = ticks1 ] && echo "$T1_CONNS" || echo "$T2_CONNS")") clients: $(fmt_int "$mt") ticks due in the window had not arrived ${TICK_GRACE} s after it (median over runs): the server was that far behind its schedule, or closed connections."; fi
      if [ -n "$am" ] && [ "$(fmt "$am" 0)" != 0 ]; then echo "- $(label "$name"), $(fmt_int "$( [ $k = ticks1 ] && echo "$T1_CONNS" || echo "$T2_CONNS")") clients: $(fmt "$am" 0) receipts fell in an ambiguous broadcast cluster (a fan-out longer than a third of the interval)."; fi
    done
  done
  echo
  if [ -f "$ROOT/tests/bench/analysis.md" ]; then cat "$ROOT/tests/bench/analysis.md"; echo; fi
  cat "$ROOT/tests/bench/method.md"
} >"$DOC"
log "wrote $DOC and $IMG/bench-*.svg"

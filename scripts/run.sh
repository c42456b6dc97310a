#!/usr/bin/env bash
# The main job: build a snapshot and show it working.
#   scripts/run.sh               the finished server and client (final/)
#   scripts/run.sh 03            step 03's demo
#   scripts/run.sh final --count 5   extra arguments go to the client
# Servers start on a free port; everything started here is stopped on exit or Ctrl+C.
set -euo pipefail
source "$(dirname "$0")/common.sh"
setup

if [ $# -gt 0 ]; then
  step=$1
  shift
elif [ -d "$ROOT/final" ] && [ -f "$ROOT/final/server.cpp" ]; then
  step=final
else
  step=$(cd "$ROOT/steps" && ls -d [0-9][0-9]-* | tail -n 1 | cut -c1-2)
fi
dir=$(step_dir "$step")
prefix=step$step
[ "$step" = final ] && prefix=final

targets=("${prefix}_server" wsdemo_probe)
[ -f "$dir/client.cpp" ] && targets+=("${prefix}_client")
[ -f "$dir/publisher.cpp" ] && targets+=("${prefix}_publisher")
[ "$step" = 17 ] && targets+=(step18_client)
# The main job needs no test framework: without Catch2 the tests are left out.
CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_REQUIRE_TESTS=OFF"
build "${targets[@]}"
bin=$BUILD_DIR/bin

server_pid=
server_pids=()  # every server started (step 21's demo runs two)
server_logs=()
stop_server() {
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      # A server disowned below is not this shell's to wait for: poll it (5 s at most).
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  rm -f ${server_logs[@]+"${server_logs[@]}"}
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Starts a server on a free port and waits (10 s at most) for its listening line.
start_server() {
  echo "== starting ${prefix}_server $*"
  # Its own session (setsid), or its own process group where there is no
  # setsid (macOS): Ctrl+C in the terminal then reaches the client alone, which
  # closes normally; a server hit by the same SIGINT could drop it first.
  server_log=$(mktemp)
  server_logs+=("$server_log")
  local detach=()
  if command -v setsid >/dev/null; then detach=(setsid); else set -m; fi
  ${detach[@]+"${detach[@]}"} "$bin/${prefix}_server" "$@" \
    > >(tee "$server_log" | while IFS= read -r line; do echo "[server] $line"; done) 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
  set +m
  for _ in $(seq 100); do
    port=$(sed -n 's|^Now listening on: https\{0,1\}://localhost:\([0-9]*\)$|\1|p' "$server_log" |
      head -n 1)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "the server exited before listening" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server printed no listening line within 10 s" >&2
  exit 1
}

probe() { "$bin/wsdemo_probe" "$@"; }
client() {
  echo "== running ${prefix}_client $*"
  "$bin/${prefix}_client" "$@"
}

case "$step" in
  01) start_server 0; probe http "$port" / ;;
  02) start_server 0; probe http "$port" /; probe ws "ws://localhost:$port/" 0 1; probe ws "ws://localhost:$port/other" ;;
  03) start_server 0; probe http "$port" /; probe ws "ws://localhost:$port/" 0 1 ;;
  04) start_server 0; probe ws "ws://localhost:$port/" 5 2 ;;
  05 | 06) start_server 0; probe ws "ws://localhost:$port/" 4 5 ;;
  1[0-6] | final) start_server --port 0; client "ws://localhost:$port/" "$@" ;;
  17 | 18)
    # wss:// with a local certificate authority made for this demo (see chapter 17).
    certs=$BUILD_DIR/dev-cert
    [ -f "$certs/server.crt" ] || "$ROOT/scripts/make-dev-cert.sh" "$certs"
    start_server --port 0 --tls-cert "$certs/server.crt" --tls-key "$certs/server.key"
    # Step 17's own client has no wss:// yet: its demo borrows step 18's.
    [ "$step" = 17 ] && prefix=step18
    client "wss://localhost:$port/" --ca-file "$certs/ca.crt" "$@" ;;
  20)
    # A Redis of its own on a unix socket, and a publisher adding the tick every
    # second with redis-cli: the server only relays the stream (see chapter 20).
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
      echo "== no redis-server or redis-cli (apt-get install redis-server redis-tools):" \
        "the server ticks itself"
      start_server --port 0; client "ws://localhost:$port/" "$@"
    else
      redis_dir=$(mktemp -d)
      redis-server --port 0 --unixsocket "$redis_dir/redis.sock" --save '' --appendonly no \
        --dir "$redis_dir" > "$redis_dir/redis.log" 2>&1 &
      redis_pid=$!
      for _ in $(seq 50); do [ -S "$redis_dir/redis.sock" ] && break; sleep 0.1; done
      publish() {
        while sleep 1; do
          redis-cli -s "$redis_dir/redis.sock" XADD ticks MAXLEN '~' 1000 '*' \
            text "C++ Rocks -> $(date '+%Y-%m-%d %H:%M:%S')" > /dev/null 2>&1 || true
        done
      }
      publish &
      publisher_pid=$!
      trap 'kill "$publisher_pid" "$redis_pid" 2>/dev/null || true; stop_server;
        rm -rf "$redis_dir"' EXIT
      start_server --port 0 --redis "unix:$redis_dir/redis.sock"
      client "ws://localhost:$port/" "$@"
    fi ;;
  21)
    # A Redis of its own, step 21's publisher, two servers, and a client that knows both:
    # 4 s in, server A is killed (kill -9) and the client resumes on B, nothing lost.
    command -v redis-server >/dev/null || { echo "== needs redis-server:" \
      "apt-get install redis-server (scripts/setup.sh --tests installs it)" >&2; exit 1; }
    redis_dir=$(mktemp -d)
    redis-server --port 0 --unixsocket "$redis_dir/redis.sock" --save '' --appendonly no \
      --dir "$redis_dir" > "$redis_dir/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 50); do [ -S "$redis_dir/redis.sock" ] && break; sleep 0.1; done
    redis=unix:$redis_dir/redis.sock
    "$bin/step21_publisher" --redis "$redis" \
      > >(while IFS= read -r line; do echo "[publisher] $line"; done) 2>&1 &
    publisher_pid=$!
    trap 'kill "$publisher_pid" "${killer_pid:-}" 2>/dev/null || true; stop_server;
      kill "$redis_pid" 2>/dev/null || true; rm -rf "$redis_dir"' EXIT
    start_server --port 0 --redis "$redis"; port_a=$port; pid_a=$server_pid
    disown "$pid_a"  # its kill -9 is the demo: no "Killed" job report from bash
    start_server --port 0 --redis "$redis"; port_b=$port
    (sleep 4; echo "== kill -9 the server on port $port_a: the client moves to $port_b"
     kill -9 "$pid_a") &
    killer_pid=$!
    client "ws://localhost:$port_a/" --reconnect "ws://localhost:$port_b/" --show-ids \
      ${@+"$@"} ;;
  *) start_server 0; client "ws://localhost:$port/" "$@" ;;
esac
echo "== stopping the server"

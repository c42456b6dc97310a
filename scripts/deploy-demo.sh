#!/usr/bin/env bash
# The deployment of docs/19-deploy.md on this machine, on loopback: nginx in
# front (TLS with a local CA's certificate, the browser page, /ws), several
# final_server instances behind it, each restarted when it exits, the way
# `systemctl restart` would.
#
#   scripts/deploy-demo.sh [--instances N]    (default 3)
#
# Prints the https:// URL to open. `kill -TERM PID` of an instance is one step
# of a rolling restart: its clients get Close 1001 and reconnect through nginx
# to another instance; the script starts it again on the same port.
# Ctrl+C stops everything. Files (certificate, nginx.conf, logs): build/deploy-demo/.
set -euo pipefail
source "$(dirname "$0")/common.sh"

instances=3
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]?$ ]] || {
        echo "usage: scripts/deploy-demo.sh [--instances N]  (1 to 99)" >&2; exit 2; }
      instances=$2; shift 2 ;;
    *) echo "usage: scripts/deploy-demo.sh [--instances N]" >&2; exit 2 ;;
  esac
done

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl >/dev/null || missing+=(openssl)
setup ${missing[@]+"${missing[@]}"}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
CMAKE_ARGS="${CMAKE_ARGS:-} -DWSDEMO_REQUIRE_TESTS=OFF"
build final_server final_client
bin=$BUILD_DIR/bin

dir=$BUILD_DIR/deploy-demo
mkdir -p "$dir/logs"
# One local CA, kept from run to run: trust $dir/cert/ca.crt in a browser once.
[ -f "$dir/cert/server.crt" ] || "$ROOT/scripts/make-dev-cert.sh" "$dir/cert"

# A free loopback port, from the kernel (port 0), for nginx's two listeners.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
https_port=$(free_port)
http_port=$(free_port)
origin=https://localhost:$https_port

pids=()
ports=()
nginx_pid=
stopping=no
stop_all() {
  stopping=yes
  # The instances first: each client gets Close 1001 through nginx, then nginx goes.
  for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$nginx_pid" ]; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start_instance I [PORT]: final_server number I, on PORT or a free one; its
# lines go to the terminal as "[server I] ..." and to logs/server-I.log.
start_instance() {
  local i=$1 port=${2:-0} log=$dir/logs/server-$1.log
  : >"$log"
  # Its own session: Ctrl+C reaches this script, which stops the instances in order.
  setsid "$bin/final_server" --host 127.0.0.1 --port "$port" --allowed-origin "$origin" \
    > >(tee -a "$log" | sed -u "s/^/[server $i] /") 2>&1 &
  pids[i]=$!
  for _ in $(seq 100); do
    port=$(sed -n 's|^Now listening on: http://localhost:\([0-9]*\)$|\1|p' "$log" | head -n 1)
    if [ -n "$port" ]; then ports[i]=$port; return 0; fi
    kill -0 "${pids[i]}" 2>/dev/null || { echo "final_server $i exited before listening" >&2; exit 1; }
    sleep 0.1
  done
  echo "final_server $i printed no listening line within 10 s" >&2
  exit 1
}

for i in $(seq "$instances"); do start_instance "$i"; done

servers=
for i in $(seq "$instances"); do servers+="server 127.0.0.1:${ports[i]} max_fails=0;"$'\n'"        "; done
conf=$(<"$ROOT/deploy/nginx.conf.in")
conf=${conf//@RUN_DIR@/$dir}
conf=${conf//@SERVERS@/$servers}
conf=${conf//@HTTPS_LISTEN@/127.0.0.1:$https_port}
conf=${conf//@HTTP_LISTEN@/127.0.0.1:$http_port}
conf=${conf//@SERVER_NAME@/localhost}
conf=${conf//@CERT@/$dir/cert/server.crt}
conf=${conf//@KEY@/$dir/cert/server.key}
conf=${conf//@PAGE_DIR@/$ROOT/deploy/page}
printf '%s\n' "$conf" >"$dir/nginx.conf"

# In the foreground (daemon off), as a child of this script; its errors on our stderr.
setsid "$nginx" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' \
  2> >(sed -u 's/^/[nginx] /' >&2) &
nginx_pid=$!
for _ in $(seq 100); do
  [ -s "$dir/nginx.pid" ] && break
  kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx did not start (its errors are above)" >&2; exit 1; }
  sleep 0.1
done

cat <<MESSAGE

== open $origin/  (the page; its WebSocket is wss://localhost:$https_port/ws)
   Your browser does not know the local CA yet: trust $dir/cert/ca.crt
   (docs/19-deploy.md says how), or accept the warning for this one visit.
   https://127.0.0.1:$https_port/ is the same page from another origin: refused (403).
== final_client through nginx: $bin/final_client ws://127.0.0.1:$http_port/ws --reconnect
== a rolling restart, one instance at a time: kill -TERM PID (restarted on the same port)
MESSAGE
for i in $(seq "$instances"); do
  echo "   instance $i: pid ${pids[i]}, 127.0.0.1:${ports[i]}"
done
echo "== nginx access log: $dir/access.log; Ctrl+C stops everything"

# Restarts an instance that has exited, as `systemctl restart` would.
while true; do
  kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx exited" >&2; exit 1; }
  for i in $(seq "$instances"); do
    if ! kill -0 "${pids[i]}" 2>/dev/null && [ "$stopping" = no ]; then
      wait "${pids[i]}" 2>/dev/null || true
      echo "== instance $i exited; starting it again on port ${ports[i]}"
      start_instance "$i" "${ports[i]}"
      echo "   instance $i: pid ${pids[i]}, 127.0.0.1:${ports[i]}"
    fi
  done
  sleep 0.5
done

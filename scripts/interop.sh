#!/usr/bin/env bash
# Our programs with code nobody here wrote: final_server against Python's
# websockets, Node's ws and headless Chromium's own WebSocket; final_client and
# step 09's client against Python and Node servers (tests/interop/, label
# interop); TLS with Python's ssl and OpenSSL (label tls); behind a real nginx,
# with Chromium and Node over wss:// (label deploy); several servers on one
# Redis stream, with a real redis-server (label scale).
#
# Installs what is missing, from Debian packages, then runs those labels.
# Arguments go to scripts/test.sh, e.g.  scripts/interop.sh --sanitize=address
set -euo pipefail
source "$(dirname "$0")/common.sh"

# Debian's python3, not whichever python3 comes first on PATH: the module comes
# from Debian's package. Node may come from elsewhere; Debian's node-ws lives in
# /usr/share/nodejs, which the tests put on NODE_PATH.
missing=()
/usr/bin/python3 -c 'import websockets' 2>/dev/null || missing+=(python3 python3-websockets)
command -v node >/dev/null || missing+=(nodejs)
NODE_PATH=/usr/share/nodejs node -e 'require("ws")' 2>/dev/null || missing+=(node-ws)
command -v chromium >/dev/null || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null || missing+=(openssl)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
  setup --tests "${missing[@]}"
fi

# A peer that cannot be found fails its test instead of skipping it.
export WSTEST_INTEROP_REQUIRED=1
exec "$ROOT/scripts/test.sh" -L '^(interop|tls|deploy|scale)$' "$@"

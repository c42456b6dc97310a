#!/usr/bin/env bash
# Makes docs/img/deploy-page.png, the page of docs/19-deploy.md, as a learner
# sees it: scripts/deploy-demo.sh with one instance, headless Chromium on the
# page (trusting the demo's certificate by its key), one restart of the
# instance, and the screenshot once the page has reconnected and shows ticks.
# Needs nginx, openssl, chromium, nodejs and node-ws (scripts/interop.sh's set).
#   scripts/screenshot.sh [OUTPUT.png]
set -euo pipefail
source "$(dirname "$0")/common.sh"
output=${1:-$ROOT/docs/img/deploy-page.png}

work=$(mktemp -d)
demo_pid=
browser_pid=
cleanup() {
  [ -n "$browser_pid" ] && kill -TERM "$browser_pid" 2>/dev/null && wait "$browser_pid" || true
  [ -n "$demo_pid" ] && kill -TERM "$demo_pid" 2>/dev/null && wait "$demo_pid" || true
  rm -rf "$work"
}
trap cleanup EXIT

"$ROOT/scripts/deploy-demo.sh" --instances 1 >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 600); do
  grep -q 'Ctrl+C stops everything' "$work/demo.log" && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; exit 1; }
  sleep 0.5
done
url=$(sed -n 's|^== open \(https://localhost:[0-9]*/\) .*|\1|p' "$work/demo.log")
instance=$(sed -n 's|^   instance 1: pid \([0-9]*\),.*|\1|p' "$work/demo.log")
[ -n "$url" ] && [ -n "$instance" ] || { cat "$work/demo.log" >&2; exit 1; }
cert=$BUILD_DIR/deploy-demo/cert/server.crt
spki=$(openssl x509 -pubkey -noout -in "$cert" | openssl pkey -pubin -outform der |
       openssl dgst -sha256 -binary | openssl base64)

HOME=$work chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --ignore-certificate-errors-spki-list="$spki" \
  --hide-scrollbars --window-size=720,560 --remote-debugging-port=0 "$url" \
  2>"$work/browser.log" &
browser_pid=$!
for _ in $(seq 100); do
  grep -q 'DevTools listening on' "$work/browser.log" && break
  sleep 0.2
done
devtools=$(sed -n 's|^DevTools listening on ws://\([^/]*\)/.*|\1|p' "$work/browser.log")
[ -n "$devtools" ] || { cat "$work/browser.log" >&2; exit 1; }

# Chromium's DevTools protocol, over a WebSocket: wait for ticks, restart the
# instance (SIGTERM; the demo starts it again), wait for the page to be back
# with ticks, take the picture.
NODE_PATH=/usr/share/nodejs node - "$devtools" "$instance" "$output" <<'SCRIPT'
'use strict';
const WebSocket = require('ws');
const fs = require('fs');
const [devtools, instance, output] = process.argv.slice(2);

async function main() {
  const pages = await (await fetch(`http://${devtools}/json/list`)).json();
  const socket = new WebSocket(pages.find((page) => page.type === 'page').webSocketDebuggerUrl);
  await new Promise((resolve) => socket.once('open', resolve));
  let id = 0;
  const call = (method, params = {}) => new Promise((resolve) => {
    const mine = ++id;
    socket.on('message', function listener(data) {
      const reply = JSON.parse(data);
      if (reply.id !== mine) return;
      socket.off('message', listener);
      resolve(reply.result);
    });
    socket.send(JSON.stringify({ id: mine, method, params }));
  });
  const read = async (element) => (await call('Runtime.evaluate',
    { expression: `document.getElementById('${element}').textContent` })).result.value;
  const until = async (test) => {
    for (let tries = 0; tries < 100 && !(await test()); ++tries) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  await until(async () => Number(await read('count')) >= 3);
  process.kill(Number(instance), 'SIGTERM');
  await until(async () => Number(await read('connections')) >= 2);
  const before = Number(await read('count'));
  await until(async () => Number(await read('count')) >= before + 2);
  const shot = await call('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(output, Buffer.from(shot.data, 'base64'));
  socket.close();
}
main().then(() => console.log(`screenshot.sh: ${output}`),
  (error) => { console.error(error); process.exit(1); });
SCRIPT

// COUNT Node `ws` clients of one URL, each reconnecting after a close with the
// backoff of final_client --reconnect and the page (0.5 s, 1, 2, 4, 8, 10 s at
// most, each cut by a random 0-25 %). For the rolling-restart test.
//
// Prints "ready COUNT" once every client has had a message. Then, each time
// clients have lost their connection and every one of them is back (open
// again, with a message), one line:
//   back clients=200 moved=67 codes=1001 all_back_ms=620 outage_ms_max=510
//        outage_ms_median=450 attempts_max=1 missed_max=0 missed_total=0
// moved: clients that lost their connection; all_back_ms: from the first
// close to the last client's first message on its new connection; outage:
// close to open, per client; attempts: connection attempts it took;
// missed: ticks a client did not get, from the gap between its last message
// before the close and its first after: round(gap / INTERVAL_MS) - 1.
// SIGTERM closes every client normally and exits 0.
// Usage: node crowd.js URL COUNT INTERVAL_MS   (the CA: NODE_EXTRA_CA_CERTS)
'use strict';
const WebSocket = require('ws');

const [url, count, intervalMs] = [process.argv[2], Number(process.argv[3]),
  Number(process.argv[4])];
const now = () => performance.now();
const clients = [];
let ready = false;
let stopping = false;
let episode = null;  // since the first close of clients not yet all back

function connect(client) {
  ++client.attempts;
  const socket = new WebSocket(url);
  client.socket = socket;
  socket.on('open', () => { client.openedAt = now(); });
  socket.on('message', () => {
    const at = now();
    if (client.away) {
      client.away = false;
      const gap = at - client.lastMessageAt;
      episode.outages.push(client.openedAt - client.closedAt);
      episode.missed.push(Math.max(0, Math.round(gap / intervalMs) - 1));
      episode.attempts.push(client.attempts);
      episode.lastBackAt = at;
      if (clients.every((c) => !c.away)) report();
    }
    client.lastMessageAt = at;
    client.attempts = 0;
    if (!ready && clients.every((c) => c.lastMessageAt !== undefined)) {
      ready = true;
      console.log(`ready ${count}`);
    }
  });
  socket.on('error', () => {});  // 'close' follows, with 1006
  socket.on('close', (code) => {
    if (stopping) return;
    if (!client.away && client.lastMessageAt !== undefined) {
      client.away = true;
      client.closedAt = now();
      if (!episode) {
        episode = { firstCloseAt: client.closedAt, codes: new Set(), outages: [],
          missed: [], attempts: [], lastBackAt: 0 };
      }
      episode.codes.add(code);
    }
    const base = Math.min(10000, 500 * 2 ** Math.min(Math.max(client.attempts - 1, 0), 5));
    setTimeout(() => connect(client), base * (0.75 + 0.25 * Math.random()));
  });
}

function report() {
  const sorted = (list) => [...list].sort((a, b) => a - b);
  const outages = sorted(episode.outages);
  const figures = {
    clients: count,
    moved: outages.length,
    codes: [...episode.codes].sort().join(','),
    all_back_ms: Math.round(episode.lastBackAt - episode.firstCloseAt),
    outage_ms_max: Math.round(outages[outages.length - 1]),
    outage_ms_median: Math.round(outages[Math.floor(outages.length / 2)]),
    attempts_max: Math.max(...episode.attempts),
    missed_max: Math.max(...episode.missed),
    missed_total: episode.missed.reduce((a, b) => a + b, 0),
  };
  console.log(`back ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  episode = null;
}

process.on('SIGTERM', () => {
  stopping = true;
  for (const client of clients) client.socket.close(1000);
  setTimeout(() => process.exit(0), 3000).unref();
  let open = clients.length;
  for (const client of clients) {
    if (client.socket.readyState === WebSocket.CLOSED) --open;
    else client.socket.on('close', () => { if (--open === 0) process.exit(0); });
  }
  if (open === 0) process.exit(0);
});

for (let i = 0; i < count; ++i) {
  const client = { attempts: 0, away: false };
  clients.push(client);
  connect(client);
}

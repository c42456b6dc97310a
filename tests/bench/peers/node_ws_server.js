#!/usr/bin/env node
// Benchmark peer: the idiomatic Node server with the `ws` package (Debian's
// node-ws, /usr/share/nodejs). One setInterval broadcasts the tick to every
// client, as in ws's README ("Server broadcast"); a new client gets one tick at
// once on connection. Compression off.
//
// Usage: node node_ws_server.js [--host 127.0.0.1] [--port 0] [--interval-ms 1000]
// First stdout line: "Now listening on: http://localhost:PORT". SIGTERM: exit 0.
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const args = { host: '127.0.0.1', port: 0, intervalMs: 1000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [name, value] = [process.argv[i], process.argv[i + 1]];
  if (name === '--host') args.host = value;
  else if (name === '--port') args.port = Number(value);
  else if (name === '--interval-ms') args.intervalMs = Number(value);
  else { console.error(`unknown option ${name}`); process.exit(2); }
}

const pad = (n) => String(n).padStart(2, '0');
function tickMessage() {
  const d = new Date(); // local time
  return `C++ Rocks -> ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
         `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const wss = new WebSocketServer({ host: args.host, port: args.port, path: '/', perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('error', () => {}); // a client that resets is just gone
  ws.send(tickMessage());
});

wss.on('listening', () => {
  console.log(`Now listening on: http://localhost:${wss.address().port}`);
});

const timer = setInterval(() => {
  const message = tickMessage();
  wss.clients.forEach((client) => {
    if (client.readyState === WebSocket.OPEN) client.send(message);
  });
}, args.intervalMs);

function stop() {
  clearInterval(timer);
  for (const client of wss.clients) client.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Benchmark peer: Bun's built-in WebSocket server (Bun.serve, which is
// uWebSockets underneath), written as Bun's documentation writes it: every
// client subscribes to one topic, and a setInterval publishes the tick to that
// topic, which uWebSockets fans out in native code. A new client gets one
// tick at once on open. No compression (Bun's default).
//
// Usage: bun bun_server.js [--host 127.0.0.1] [--port 0] [--interval-ms 1000]
// First stdout line: "Now listening on: http://localhost:PORT". SIGTERM: exit 0.
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

const server = Bun.serve({
  hostname: args.host,
  port: args.port,
  fetch(req, server) {
    if (new URL(req.url).pathname !== '/') return new Response('Not Found', { status: 404 });
    if (server.upgrade(req)) return undefined; // the 101 is sent by Bun
    return new Response('This endpoint speaks WebSocket.\n', { status: 400 });
  },
  websocket: {
    open(ws) {
      ws.send(tickMessage());
      ws.subscribe('ticks');
    },
    message() {}, // whatever a client says is ignored
  },
});
console.log(`Now listening on: http://localhost:${server.port}`);

const timer = setInterval(() => server.publish('ticks', tickMessage()), args.intervalMs);

function stop() {
  clearInterval(timer);
  server.stop(true); // close every connection too
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

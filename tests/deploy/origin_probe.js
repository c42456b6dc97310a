// One WebSocket handshake with a chosen Origin header, as a browser on a page
// from that origin would send it: prints "status 101" and the first message,
// or "status CODE" when the handshake is refused.
// Usage: node origin_probe.js URL ORIGIN   (the CA: NODE_EXTRA_CA_CERTS)
'use strict';
const WebSocket = require('ws');

const socket = new WebSocket(process.argv[2], { origin: process.argv[3] });
socket.on('upgrade', (response) => console.log(`status ${response.statusCode}`));
socket.on('unexpected-response', (request, response) => {
  console.log(`status ${response.statusCode}`);
  request.destroy();
});
socket.on('message', (data) => {
  console.log(`message ${data}`);
  socket.close(1000);
});
socket.on('error', (error) => console.log(`error ${error.message}`));

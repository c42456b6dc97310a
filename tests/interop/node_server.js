// A Node `ws` server: to each client, four text messages (short, 64 KiB,
// UTF-8, 1 MiB), then a Close 1000 "done".
//
// Prints "Now listening on: http://localhost:PORT" first, like the project's
// servers, then for each client how it answered the Close.
// Usage: node node_server.js
'use strict';
const { WebSocketServer } = require('ws');

// The same messages as messages.py.
const counted = (size) => Array.from({ length: size / 8 }, (_, i) => `${String(i).padStart(7, '0')},`).join('');
const messages = [
  'hello from node ws',
  counted(64 * 1024),
  'UTF-8: naïve café, Ελληνικά, 日本語, emoji 🎉🚀',
  counted(1024 * 1024),
];

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () => console.log(`Now listening on: http://localhost:${server.address().port}`));
server.on('connection', (socket) => {
  // The code is the one in the client's Close frame: 1005 none, 1006 no Close at all.
  socket.on('close', (code) => console.log(`client answered Close ${code}`));
  for (const message of messages) socket.send(message);
  socket.close(1000, 'done');
});

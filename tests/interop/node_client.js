// A Node `ws` client: receives COUNT messages and closes normally, or with
// COUNT 0 receives until the server closes.
//
// Prints "open", then "message MS TEXT" per message (MS: milliseconds since the
// connection opened), then "closed CODE REASON" with the code of the server's Close.
// Usage: node node_client.js URL COUNT
'use strict';
const WebSocket = require('ws');

const [url, count] = [process.argv[2], Number(process.argv[3])];
const socket = new WebSocket(url);
let opened = 0;
let received = 0;

socket.on('open', () => {
  opened = performance.now();
  console.log('open');
});
socket.on('message', (data, isBinary) => {
  console.log(`${isBinary ? 'binary' : 'message'} ${Math.round(performance.now() - opened)} ${data}`);
  if (++received === count) socket.close(1000);
});
socket.on('close', (code, reason) => console.log(`closed ${code} ${reason}`));
socket.on('error', (error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});

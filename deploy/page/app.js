// deploy/page/app.js — connects to /ws on this page's own origin (wss:// for
// an https:// page), shows each message and the connection's state, and after
// any close connects again with backoff: 0.5 s, then 1, 2, 4, 8 and 10 s at
// most, each cut by a random 0-25 % (final_client --reconnect does the same).
//
// Every change is also a console line starting "deploy: ", which the tests
// read from headless Chromium's log.
'use strict';

const url = new URL('/ws', location.href);
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

const view = (id) => document.getElementById(id);
const report = (line) => console.log(`deploy: ${line}`);
let messages = 0;
let connections = 0;
let failedAttempts = 0;  // in a row: sets the backoff

function showState(name, text) {
  view('state').className = name;
  view('state').textContent = text;
}

function connect() {
  showState('connecting', 'connecting');
  report('connecting');
  const socket = new WebSocket(url);
  socket.onopen = () => {
    failedAttempts = 0;
    view('connections').textContent = ++connections;
    showState('open', 'open');
    report('open');
  };
  socket.onmessage = (event) => {
    view('count').textContent = ++messages;
    view('last').textContent = event.data;
    const item = document.createElement('li');
    item.textContent = event.data;
    view('history').prepend(item);
    while (view('history').children.length > 5) view('history').lastChild.remove();
    report(`message ${event.data}`);
  };
  // A refused handshake (403 from the origin check, 502 with no instance up)
  // and a lost connection both end here: a page learns no more than code 1006.
  socket.onclose = (event) => {
    const reason = event.reason ? ` "${event.reason}"` : '';
    view('close').textContent = `${event.code}${reason} at ${new Date().toLocaleTimeString()}`;
    report(`closed ${event.code}${reason}`);
    retryLater();
  };
}

function retryLater() {
  const base = Math.min(10000, 500 * 2 ** Math.min(failedAttempts, 5));
  const delay = Math.round(base * (0.75 + 0.25 * Math.random()));
  ++failedAttempts;
  showState('closed', `closed, reconnecting in ${(delay / 1000).toFixed(1)} s`);
  report(`reconnecting in ${delay} ms`);
  setTimeout(connect, delay);
}

view('url').textContent = url.href;
connect();

// Paste into the browser's console (F12, then Console) while the tab shows
// http://localhost:5065/, and press Enter. Plain JavaScript, any modern browser.
var ws = new WebSocket("ws://localhost:5065/");
var states = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];  // ws.readyState 0..3

// One line per event: what happened, then the connection's state.
ws.onopen = () => console.log("open", states[ws.readyState]);
ws.onmessage = (event) => console.log("message:", event.data, states[ws.readyState]);
// A script is never told why a connection failed: the browser prints that itself.
ws.onerror = () => console.log("error", states[ws.readyState]);
// code and reason come from the server's Close frame; 1006: no Close frame came.
ws.onclose = (event) => console.log("close: code", event.code,
    "reason", JSON.stringify(event.reason), "clean", event.wasClean, states[ws.readyState]);

console.log("created", states[ws.readyState]);
// Later, type: ws.close(1000, "bye")   to close normally, or: states[ws.readyState]

#!/usr/bin/env python3
"""WebSocket handshakes over TLS against plain, on final_server (scripts/bench.sh).

The same server binary twice: plain ws://, then wss:// with a dev certificate
(scripts/make-dev-cert.sh, P-256). A client with IN_FLIGHT connections at a time
opens CONNECTIONS WebSocket connections one after another (TCP, TLS when wss,
the HTTP upgrade, the 101 answer) and closes each at once. The figure that
decides is the server's CPU per handshake (user + system from /proc): it does
not depend on how fast this Python client is. The rate is reported beside it,
and it is the client's limit as much as the server's.

    tls_handshakes.py FINAL_SERVER [CONNECTIONS] [IN_FLIGHT]   prints one JSON object
"""
import asyncio
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUEST = (b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_handshake(port, context):
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None)
    writer.write(REQUEST)
    answer = await reader.readuntil(b"\r\n\r\n")
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(answer.split(b"\r\n")[0].decode())
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, ssl.SSLError):
        pass


async def handshakes(port, context, connections, in_flight):
    left = iter(range(connections))

    async def worker():
        for _ in left:
            await one_handshake(port, context)
    await asyncio.gather(*(worker() for _ in range(in_flight)))


def measure(server, connections, in_flight, certs=None):
    args = [server, "--host", "127.0.0.1", "--port", "0", "--interval-ms", "1000"]
    context = None
    if certs:
        args += ["--tls-cert", f"{certs}/server.crt", "--tls-key", f"{certs}/server.key"]
        context = ssl.create_default_context(cafile=f"{certs}/ca.crt")
    # Its log (a line per connection) goes to a file: a pipe nobody reads would
    # fill and stall the server.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.DEVNULL)
    try:
        match, deadline = None, time.monotonic() + 10
        while not match and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            log.seek(0)
            match = re.search(r"https?://localhost:(\d+)", log.read())
        if not match:
            raise RuntimeError(f"{server} printed no listening line")
        port = int(match.group(1))
        asyncio.run(handshakes(port, context, 200, in_flight))  # warm-up, not counted
        cpu_before, started = cpu_seconds(proc.pid), time.monotonic()
        asyncio.run(handshakes(port, context, connections, in_flight))
        wall, cpu = time.monotonic() - started, cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    return {"handshakes_per_sec": connections / wall,
            "server_cpu_us_per_handshake": cpu / connections * 1e6}


def main():
    server = sys.argv[1]
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    in_flight = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    with tempfile.TemporaryDirectory() as certs:
        subprocess.run(["bash", str(ROOT / "scripts/make-dev-cert.sh"), certs], check=True,
                       stdout=subprocess.DEVNULL)
        result = {"connections": connections, "in_flight": in_flight,
                  "plain": measure(server, connections, in_flight),
                  "tls": measure(server, connections, in_flight, certs)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Benchmark peer: the idiomatic Python server with `websockets` (Debian's
python3-websockets 10.4, run by Debian's /usr/bin/python3).

The broadcast loop is the one of the websockets documentation ("Broadcasting"):
    while True:
        await asyncio.sleep(interval)
        websockets.broadcast(CONNECTIONS, message)
A new client gets one tick at once on connection. Compression off.

Usage: python_websockets_server.py [--host 127.0.0.1] [--port 0] [--interval-ms 1000]
First stdout line: "Now listening on: http://localhost:PORT". SIGTERM: exit 0.
"""
import argparse
import asyncio
import http
import signal
import time

import websockets

CONNECTIONS = set()


def tick_message():
    return "C++ Rocks -> " + time.strftime("%Y-%m-%d %H:%M:%S")  # local time


async def handler(websocket):
    await websocket.send(tick_message())
    CONNECTIONS.add(websocket)
    try:
        await websocket.wait_closed()
    finally:
        CONNECTIONS.discard(websocket)


async def not_root(path, request_headers):
    if path != "/":
        return http.HTTPStatus.NOT_FOUND, [], b"Not Found\n"
    return None


async def broadcast(interval):
    while True:
        await asyncio.sleep(interval)
        websockets.broadcast(CONNECTIONS, tick_message())


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--interval-ms", type=float, default=1000)
    args = parser.parse_args()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)

    async with websockets.serve(handler, args.host, args.port, compression=None,
                                process_request=not_root) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"Now listening on: http://localhost:{port}", flush=True)
        ticker = asyncio.create_task(broadcast(args.interval_ms / 1000))
        await stop
        ticker.cancel()


if __name__ == "__main__":
    asyncio.run(main())

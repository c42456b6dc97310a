#!/usr/bin/python3
"""A Python `websockets` server: to each client, four text messages (short,
64 KiB, UTF-8, 1 MiB), then a Close 1000 "done".

Prints "Now listening on: http://localhost:PORT" first, like the project's
servers, then for each client how it answered the Close.
Usage: py_server.py   (a free port on 127.0.0.1)
"""
import asyncio

import websockets

from messages import messages


async def handler(websocket):
    for message in messages("python websockets"):
        await websocket.send(message)
    # Sends the Close and waits for the client's: the closing handshake.
    await websocket.close(1000, "done")
    answer = websocket.close_rcvd
    print(f"client answered Close {answer.code if answer else 'never'}", flush=True)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"Now listening on: http://localhost:{port}", flush=True)
        await asyncio.Future()  # until the test stops us


asyncio.run(main())

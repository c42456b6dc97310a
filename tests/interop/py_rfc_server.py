#!/usr/bin/python3
"""A Python `websockets` server that checks a client against RFC 6455 beyond
plain messages: to each client, a Ping (the client must answer with a Pong of
the same payload), a text message in three fragments with a Ping between two of
them (section 5.4: control frames may come in the middle of a message), then a
Close with a reason (the client must answer with a Close).

Prints "Now listening on: http://localhost:PORT" first, then what it saw.
Usage: py_rfc_server.py
"""
import asyncio

import websockets


async def handler(websocket):
    pong = await websocket.ping(b"ping before")
    await asyncio.wait_for(pong, timeout=5)  # resolves on the Pong with this payload
    print("pong 1 received", flush=True)

    pongs = []

    async def fragments():
        yield "fragmented message: one, "
        pongs.append(await websocket.ping(b"ping inside"))
        yield "two, "
        yield "three"

    await websocket.send(fragments())  # an async iterable: one frame per item
    await asyncio.wait_for(pongs[0], timeout=5)
    print("pong 2 received", flush=True)

    await websocket.close(1000, "RFC test over")
    answer = websocket.close_rcvd
    print(f"client answered Close {answer.code if answer else 'never'}", flush=True)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"Now listening on: http://localhost:{port}", flush=True)
        await asyncio.Future()


asyncio.run(main())

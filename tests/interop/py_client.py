#!/usr/bin/python3
"""A Python `websockets` client: receives COUNT messages and closes normally,
or with COUNT 0 receives until the server closes.

Prints "open", then "message MS TEXT" per message (MS: milliseconds since the
connection opened), then "closed CODE REASON" with the code of the server's Close.
Usage: py_client.py URL COUNT
"""
import asyncio
import sys
import time

import websockets


async def main(url, count):
    async with websockets.connect(url) as websocket:
        opened = time.monotonic()
        print("open", flush=True)
        received = 0
        try:
            while count == 0 or received < count:
                message = await websocket.recv()
                kind = "message" if isinstance(message, str) else "binary"
                print(f"{kind} {(time.monotonic() - opened) * 1000:.0f} {message}", flush=True)
                received += 1
        except websockets.ConnectionClosed:
            pass
    # Leaving the block sent our Close 1000 (unless the server closed first)
    # and waited for the answer.
    print(f"closed {websocket.close_code} {websocket.close_reason}", flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))

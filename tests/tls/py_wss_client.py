#!/usr/bin/python3
"""A Python websockets client over wss://, trusting only CA_FILE: receives
COUNT messages, closes normally and prints "message TEXT" per message and
"closed CODE". Usage: py_wss_client.py URL CA_FILE COUNT
"""
import asyncio
import ssl
import sys

import websockets


async def main(url, ca_file, count):
    context = ssl.create_default_context(cafile=ca_file)  # checks the chain and the host name
    async with websockets.connect(url, ssl=context) as websocket:
        print("open", websocket.transport.get_extra_info("ssl_object").version(), flush=True)
        for _ in range(count):
            print("message", await websocket.recv(), flush=True)
    print("closed", websocket.close_code, flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

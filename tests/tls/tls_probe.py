#!/usr/bin/python3
"""A WebSocket handshake over TLS with nothing but Python's standard library:
the other side of the TLS tests, and a client that can offer old TLS versions.

Prints "tls VERSION" once the TLS handshake is done, then the HTTP status line
and "tick" once the first message has come; or "refused REASON" and exits 1.
Usage: tls_probe.py PORT CA_FILE [HOST] [--tls1.1]
"""
import base64
import os
import socket
import ssl
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1, on purpose

args = [a for a in sys.argv[1:] if not a.startswith("--")]
port, ca_file = int(args[0]), args[1]
host = args[2] if len(args) > 2 else "localhost"
context = ssl.create_default_context(cafile=ca_file)
if "--tls1.1" in sys.argv:
    # A client that offers TLS 1.1 and nothing newer; SECLEVEL=0 lets OpenSSL 3 send it at all.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1_1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
try:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            print("tls", tls.version(), flush=True)
            key = base64.b64encode(os.urandom(16)).decode()
            tls.sendall((f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            data = b""
            while b"C++ Rocks" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
            print(data.split(b"\r\n")[0].decode(errors="replace"), flush=True)
            print("tick" if b"C++ Rocks" in data else "no tick", flush=True)
except (ssl.SSLError, OSError) as error:
    print("refused", error, flush=True)
    sys.exit(1)

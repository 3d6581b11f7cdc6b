#!/usr/bin/env python3
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
"""connect_proxy.py PORT_FILE: an HTTP proxy that only tunnels (CONNECT).

Listens on a free loopback port (written to PORT_FILE once listening). For
each "CONNECT host:port" it opens that connection, answers 200 and relays
bytes both ways without looking at them, as an outbound proxy does for
https; it prints "CONNECT host:port" on stderr for each, so a test can see
that a connection went through it (and with which Proxy-Authorization).
Anything else gets 405.
"""
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_relay import accept_forever, pump  # noqa: E402  (shared with the TLS relay)


def serve(conn):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        data = conn.recv(4096)
        if not data:
            conn.close()
            return
        head += data
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    if len(parts) != 3 or parts[0] != "CONNECT":
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    host, _, port = parts[1].rpartition(":")
    try:
        up = socket.create_connection((host, int(port)))
    except (OSError, ValueError):
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    auth = [h for h in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
            if h.lower().startswith(b"proxy-authorization:")]
    print("CONNECT %s%s" % (parts[1], (" with " + auth[0].decode("latin-1")) if auth else ""),
          file=sys.stderr, flush=True)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    rest = head.split(b"\r\n\r\n", 1)[1]
    if rest:
        up.sendall(rest)
    threading.Thread(target=pump, args=(up, conn), daemon=True).start()
    pump(conn, up)


def main():
    accept_forever(sys.argv[1], serve)


if __name__ == "__main__":
    main()

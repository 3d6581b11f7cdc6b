#!/usr/bin/env python3
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
"""tls_relay.py CERT KEY TARGET_PORT PORT_FILE: an HTTPS front for the mock.

Listens on a free loopback port (written to PORT_FILE once listening),
completes a TLS handshake with CERT and KEY, and relays the plain bytes to
127.0.0.1:TARGET_PORT and back, so an upstream that speaks HTTPS can be
tested against the mock's record. Each handshake that fails is printed on
stderr with the reason the TLS library gave (a client that rejects the
certificate says so in its alert), so a test can tell "refused at the
handshake" from "never connected".
"""
import os
import socket
import ssl
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass


def serve(ctx, conn, target):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print("handshake failed: %s" % e, file=sys.stderr, flush=True)
        conn.close()
        return
    try:
        up = socket.create_connection(("127.0.0.1", target))
    except OSError as e:
        print("mock unreachable: %s" % e, file=sys.stderr, flush=True)
        tls.close()
        return
    print("relaying a connection", file=sys.stderr, flush=True)
    threading.Thread(target=pump, args=(up, tls), daemon=True).start()
    pump(tls, up)


def accept_forever(port_file, handle):
    """Listen on a free loopback port, write it to port_file once
    listening, and hand each connection to handle(conn) in a thread."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def main():
    cert, key, target, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    accept_forever(port_file, lambda conn: serve(ctx, conn, target))


if __name__ == "__main__":
    main()

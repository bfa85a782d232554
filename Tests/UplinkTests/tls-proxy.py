#!/usr/bin/env python3
"""A TLS-terminating proxy, as a government site puts in front of the Hailong server (nginx in
real life): accepts TLS on 127.0.0.1 with the given certificate and forwards the plain bytes to
the server's loopback port. Used by the uplink tests to prove `uplink.ca_file` works.

usage: tls-proxy.py CERT KEY BACKEND_PORT PORT_FILE   (writes its own port to PORT_FILE; runs
until killed or until its stdin is closed)"""
import os, socket, ssl, sys, threading

cert, key, backend_port, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.create_server(("127.0.0.1", 0))


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(raw):
    try:
        client = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        raw.close()  # the board refused our certificate: that is the point of some tests
        return
    backend = socket.create_connection(("127.0.0.1", backend_port))
    threading.Thread(target=pump, args=(backend, client), daemon=True).start()
    pump(client, backend)


def accept():
    while True:
        raw, _ = listener.accept()
        threading.Thread(target=serve, args=(raw,), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
sys.stdin.read()  # the test closes our stdin (or dies): then we go

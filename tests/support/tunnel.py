"""An HTTP CONNECT proxy on loopback, for kubeconfig clusters with a `proxy-url`.

It opens tunnels to 127.0.0.1 only, counts them by target, and relays bytes untouched (TLS
goes end to end, through it). Importable without pytest.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
from collections import Counter


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        request = self.rfile.readline(8192).decode("latin-1").split()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # the headers: nothing in them matters here
        if len(request) < 2 or request[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, _, port = request[1].rpartition(":")
        if host not in ("127.0.0.1", "localhost") or not port.isdigit():
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")  # loopback only
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        with self.server.lock:
            self.server.tunnels[request[1]] += 1
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        _relay(self.connection, upstream)


def _relay(a: socket.socket, b: socket.socket) -> None:
    a.settimeout(None)
    b.settimeout(None)
    with contextlib.closing(b):
        while True:
            readable, _, _ = select.select([a, b], [], [], 60)
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.tunnels: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class ConnectProxy:
    """`url` goes in a kubeconfig cluster's `proxy-url`; `tunnels` counts CONNECTs by target."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def tunnels(self) -> Counter[str]:
        with self._server.lock:
            return Counter(self._server.tunnels)

    def start(self) -> ConnectProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

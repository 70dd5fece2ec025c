"""A small HTTP(S) proxy in front of the real kube-apiserver that injects faults per path.

The real apiserver cannot answer 429, 5xx, 410 on a continue token, hang in the middle of a
body or drop the connection on demand; this proxy can. It terminates TLS with its own
throw-away CA (or speaks plain HTTP), forwards everything else to the apiserver unchanged
(bearer token included), records every request, and can rewrite `limit=` so that a handful of
objects already spans several pages (and drop resourceVersion=0, as an apiserver without its
watch cache would, which serves such lists from etcd in pages too).

    with FaultProxy(cp.server, cp.ca_file) as proxy:
        proxy.add(Fault(r"/pods$", status=503, times=2))
        ...kubeconfig with server=proxy.url, certificate-authority=proxy.ca_file...
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import urllib3

from tests.support.pki import ServerTls

# Headers never copied between the two connections.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "accept-encoding",
    "host",
    "te",
    "upgrade",
    "proxy-authorization",
}


@dataclass(frozen=True)
class Seen:
    """One request the proxy received."""

    method: str
    path: str
    query: dict[str, str]
    at: float  # time.monotonic()
    fault: str  # the name of the fault applied, or "" when forwarded untouched


@dataclass
class Fault:
    """What to do to requests whose path matches `path` (a regex searched in the path only).

    Exactly one behaviour: `status` (answer with a Status document, or with `body` when given
    — e.g. a 200 whose body is not JSON), `close` (drop the
    connection before answering), `cut_after` (forward, then drop the connection after that
    many body bytes), `hang_after` (forward, then stall after that many body bytes until the
    proxy stops), `trickle` (forward, the body a byte at a time, that many seconds apart).
    `delay` waits before any of them (or before forwarding). `when` narrows the
    match further; `times` bounds how many requests are hit (None: all).
    """

    path: str
    status: int | None = None
    reason: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    close: bool = False
    cut_after: int | None = None
    hang_after: int | None = None
    trickle: float | None = None
    delay: float = 0.0
    when: Callable[[str, dict[str, str]], bool] | None = None
    times: int | None = None
    name: str = ""
    hits: int = 0

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if not re.search(self.path, path):
            return False
        return self.when is None or self.when(path, query)


def with_continue(_path: str, query: dict[str, str]) -> bool:
    """A `when` for faults that hit only follow-up pages of a paginated list."""
    return "continue" in query


def status_body(code: int, reason: str, message: str) -> bytes:
    """A metav1.Status as the apiserver writes it."""
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }
    ).encode()


def make_ca_and_cert(folder: Path, cn: str = "faultproxy") -> tuple[Path, Path, Path]:
    """A throw-away CA and a serving cert for 127.0.0.1/localhost: (ca.crt, tls.crt, tls.key)."""
    tls = ServerTls.create(folder, common_name=cn)
    return tls.ca_cert, tls.cert, tls.key


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshakes happen here, in the request's own thread, so that a client that
        # rejects our certificate never stalls the accept loop.
        if self.proxy.connect_delay:
            self.proxy._stopped.wait(self.proxy.connect_delay)  # the handshakes' round trips
        context = self.proxy.server_context
        if context is not None:
            try:
                request = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with contextlib.suppress(OSError):
                    request.close()
                return
        self.proxy._track(request)
        try:
            super().finish_request(request, client_address)
        finally:
            self.proxy._untrack(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up are expected here; stay quiet


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        proxy = self.server.proxy
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        fault = proxy._pick(parsed.path, query)
        proxy._record(
            Seen(self.command, parsed.path, query, time.monotonic(), fault.name if fault else "")
        )
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if fault is not None and fault.delay:
            proxy._stopped.wait(fault.delay)
        if fault is not None and fault.close:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.status is not None:
            payload = fault.body
            if payload is None:
                payload = status_body(
                    fault.status, fault.reason, fault.message or f"injected {fault.status}"
                )
            self._answer(
                fault.status, {"Content-Type": "application/json", **fault.headers}, payload
            )
            return
        if proxy.page_limit is not None and "limit" in query:
            query["limit"] = str(proxy.page_limit)
        if not proxy.watch_cache and query.get("resourceVersion") == "0":
            # The watch cache serves resourceVersion=0 lists whole, ignoring limit; an apiserver
            # without it (--watch-cache=false) reads etcd and paginates them.
            del query["resourceVersion"]
        status, headers, payload = proxy._forward(
            self.command, parsed.path, query, self.headers, body
        )
        if fault is not None and fault.cut_after is not None:
            self._answer(status, headers, payload, send=fault.cut_after)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.trickle is not None:
            self._answer(status, headers, payload, send=0)
            for offset in range(len(payload)):
                try:
                    self.wfile.write(payload[offset : offset + 1])
                    self.wfile.flush()
                except OSError:
                    break
                if proxy._stopped.wait(fault.trickle):
                    break
            self.close_connection = True
            return
        if fault is not None and fault.hang_after is not None:
            self._answer(status, headers, payload, send=fault.hang_after)
            proxy._stopped.wait(proxy.hang_limit)
            self.close_connection = True
            return
        self._answer(status, headers, payload)

    def _answer(
        self, status: int, headers: dict[str, str], payload: bytes, send: int | None = None
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload if send is None else payload[:send])
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class FaultProxy:
    """The proxy. `tls=False` serves plain HTTP (for kubeconfigs with an http:// server).

    `page_limit` rewrites every `limit=` so that a few objects span several pages;
    `watch_cache=False` answers like an apiserver without its watch cache, which paginates
    resourceVersion=0 lists too; `connect_delay` holds each new connection that long before
    its TLS handshake (a distant server's TCP and TLS round trips).
    """

    def __init__(
        self,
        upstream: str,
        upstream_ca: Path | str,
        *,
        tls: bool = True,
        page_limit: int | None = None,
        watch_cache: bool = True,
        hang_limit: float = 60.0,
        connect_delay: float = 0.0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.connect_delay = connect_delay
        self.page_limit = page_limit
        self.watch_cache = watch_cache
        self.hang_limit = hang_limit
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sockets: set[Any] = set()
        self._pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(upstream_ca),
            retries=False,
            timeout=30.0,
            maxsize=16,  # clients send several requests at once: reuse as many connections
        )
        self._tmp = tempfile.TemporaryDirectory(prefix="faultproxy-")
        self.ca_file: Path | None = None
        self.server_context: ssl.SSLContext | None = None
        if tls:
            ca, cert, key = make_ca_and_cert(Path(self._tmp.name))
            self.ca_file = ca
            self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.server_context.load_cert_chain(cert, key)
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.server_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release every stalled answer, close every connection. Idempotent."""
        self._stopped.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._pool.clear()
        self._tmp.cleanup()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration and inspection ----------------------------------------------------------

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            if not fault.name:
                fault.name = f"fault-{len(self.faults)}"
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def requests(self, path: str = "") -> list[Seen]:
        """Requests whose path matches the regex `path` (all by default)."""
        with self._lock:
            return [s for s in self.seen if re.search(path, s.path)]

    # -- internals --------------------------------------------------------------------------------

    def _pick(self, path: str, query: dict[str, str]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(path, query):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _track(self, sock: Any) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: Any) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def _forward(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        url = self.upstream + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        out = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            response = self._pool.request(method, url, headers=out, body=body, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            return (
                502,
                {"Content-Type": "application/json"},
                status_body(502, "BadGateway", str(exc)),
            )
        keep = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        return response.status, keep, response.data


@contextlib.contextmanager
def fault_proxy(upstream: str, upstream_ca: Path | str, **kwargs: Any) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, upstream_ca, **kwargs)
    with proxy:
        yield proxy

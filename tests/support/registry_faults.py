"""A real registry that fails on demand, and images that fail on a node: for issue 21's causes.

- `RegistryFront`: an HTTP(S) front before a real `Registry` (tests/support/registries.py) that
  forwards every request unchanged (auth headers and challenges included) and, for the requests
  a `RegistryFault` matches, answers 500/502/503/504 with a registry error body, or sends a
  blob cut short: its full Content-Length and then fewer bytes before it closes the connection
  (`cut_after`: the client reads `unexpected EOF`), or a shorter body announced as such
  (`truncate_to`: a size or digest that does not match the manifest's).
- `write_platform_index`: an OCI layout whose tag names an image index with one manifest, for
  another platform than the node's (`other_architecture()`); push it with
  `Registry.push(..., all_platforms=True)`.
- `write_big_layer_image`: an OCI layout with one layer of incompressible bytes (plus optional
  small files and a config, to run it once there is room), streamed to disk: for a full disk
  on a small tmpfs.

The front runs in a thread of this process; with `namespace` (tests/support/netns.py, the real
node's) its listening socket is made inside that network namespace and its connections to the
registry too. It serves TLS with the registry's Pki (the node trusts that CA already) or plain
http. No pytest: usable by hand as well.

    with Registry(work, pki=pki, htpasswd_users=users) as registry, RegistryFront(
        registry, faults=[RegistryFault(r"/manifests/", status=503)]
    ) as front:
        ...the Pod's image is f"{front.hostport}/team/app:v1"; its secret's key front.hostport...
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import socket
import tarfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import urllib3

from tests.support.registries import (
    ImageFile,
    Namespace,
    Registry,
    _layer,
    _sha256,
    go_architecture,
    write_oci_layout,
)

# Headers never copied between the two connections (the front sets its own length).
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
    "te",
    "upgrade",
}
# Registry error codes (distribution spec) for the statuses a front may inject.
_ERROR_CODES = {500: "UNKNOWN", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "UNAVAILABLE"}


@dataclass
class RegistryFault:
    """What to do to the requests whose path the regex `path` matches (`/v2/<repo>/manifests/
    <ref>`, `/v2/<repo>/blobs/<digest>`), for `method` (any when ""), at most `times` times
    (None: always).

    One behaviour: `status` (answer it, with a distribution error body), `cut_after` (forward,
    send the answer's headers and that many body bytes, then close), `truncate_to` (forward,
    and send only that many body bytes, announced by Content-Length).
    """

    path: str
    status: int | None = None
    cut_after: int | None = None
    truncate_to: int | None = None
    method: str = ""
    times: int | None = None
    hits: int = 0

    def __post_init__(self) -> None:
        chosen = [v for v in (self.status, self.cut_after, self.truncate_to) if v is not None]
        if len(chosen) != 1:
            raise ValueError("a RegistryFault has one behaviour: status, cut_after or truncate_to")

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None


@dataclass(frozen=True)
class FrontRequest:
    method: str
    path: str
    fault: str  # "" when forwarded untouched, else what was done


def registry_error_body(status: int) -> bytes:
    code = _ERROR_CODES.get(status, "UNKNOWN")
    message = f"injected {status} by the test's registry front"
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


class RegistryFront:
    """The front. `port` fixes its port (default: a free one); `tls=None` follows the
    registry's (the registry's Pki serves it); `faults` may change while it runs."""

    def __init__(
        self,
        registry: Registry,
        faults: Sequence[RegistryFault] = (),
        *,
        port: int = 0,
        tls: bool | None = None,
        namespace: Namespace | None = None,
    ) -> None:
        self.registry = registry
        self.faults = list(faults)
        self.requests: list[FrontRequest] = []
        self._port = port
        self._tls = registry.tls if tls is None else tls
        self._namespace = namespace if namespace is not None else registry.namespace
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        ca = str(registry.pki.ca_cert) if registry.pki is not None else None
        self._pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED" if ca else "CERT_NONE",
            ca_certs=ca,
            retries=False,
            timeout=urllib3.Timeout(connect=10, read=120),
        )

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "front not started"
        return int(self._httpd.server_address[1])

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_faults(self, *faults: RegistryFault) -> None:
        with self._lock:
            self.faults = list(faults)

    def seen(self, path: str = "") -> list[FrontRequest]:
        with self._lock:
            return [r for r in self.requests if re.search(path, r.path)]

    def start(self) -> RegistryFront:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                front._serve(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass  # never echo Authorization

        address = ("127.0.0.1", self._port)
        if self._namespace is not None:
            httpd = self._namespace.call(ThreadingHTTPServer, address, Handler)
        else:
            httpd = ThreadingHTTPServer(address, Handler)
        httpd.daemon_threads = True
        if self._tls:
            assert self.registry.pki is not None, "TLS needs the registry's Pki"
            httpd.socket = self.registry.pki.server_context().wrap_socket(
                httpd.socket, server_side=True
            )
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._pool.clear()

    def __enter__(self) -> RegistryFront:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------

    def _pick(self, method: str, path: str) -> RegistryFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, method: str, path: str, fault: str) -> None:
        with self._lock:
            self.requests.append(FrontRequest(method, path, fault))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method, target = handler.command, handler.path
        path = target.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        fault = self._pick(method, path)
        if fault is not None and fault.status is not None:
            self._record(method, path, f"status {fault.status}")
            payload = registry_error_body(fault.status)
            self._send(handler, fault.status, {"Content-Type": "application/json"}, payload)
            return
        try:
            upstream = self._forward(method, target, handler.headers, body)
        except urllib3.exceptions.HTTPError:
            self._record(method, path, "upstream failed")
            self._send(handler, 502, {"Content-Type": "application/json"}, registry_error_body(502))
            return
        try:
            headers = {
                name: ", ".join(upstream.headers.getlist(name))
                for name in dict.fromkeys(upstream.headers.keys())
                if name.lower() not in _HOP_BY_HOP
            }
            if method == "HEAD":
                self._record(method, path, "")
                announced = upstream.headers.get("Content-Length", "0")
                self._send(handler, upstream.status, {**headers, "Content-Length": announced}, b"")
                return
            payload = upstream.read()
        finally:
            upstream.release_conn()
        if fault is not None and fault.truncate_to is not None:
            self._record(method, path, f"truncated to {fault.truncate_to} bytes")
            self._send(handler, upstream.status, headers, payload[: fault.truncate_to])
            return
        if fault is not None and fault.cut_after is not None:
            self._record(method, path, f"cut after {fault.cut_after} bytes")
            headers["Content-Length"] = str(len(payload))
            self._send(handler, upstream.status, headers, payload, send=fault.cut_after)
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self._record(method, path, "")
        self._send(handler, upstream.status, headers, payload)

    def _forward(
        self, method: str, target: str, headers: Any, body: bytes | None
    ) -> urllib3.BaseHTTPResponse:
        url = f"{self.registry.scheme}://{self.registry.hostport}{target}"
        # Repeated request headers (a runtime sends one Accept per media type) joined as one.
        out = {
            name: ", ".join(headers.get_all(name))
            for name in dict.fromkeys(headers.keys())
            if name.lower() not in _HOP_BY_HOP
        }
        out["Host"] = self.registry.hostport

        def request() -> urllib3.BaseHTTPResponse:
            return self._pool.request(
                method,
                url,
                headers=out,
                body=body,
                redirect=False,
                preload_content=False,
                decode_content=False,
            )

        return self._namespace.call(request) if self._namespace is not None else request()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        headers: Mapping[str, str],
        payload: bytes,
        send: int | None = None,
    ) -> None:
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if not any(name.lower() == "content-length" for name in headers):
                handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(payload if send is None else payload[:send])
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True


# --------------------------------------------------------------------------------------------
# Images that fail on a node


def other_architecture(node: str | None = None) -> str:
    """An architecture the node (this machine by default) cannot pull for: arm64 on amd64."""
    return "amd64" if (node or go_architecture()) == "arm64" else "arm64"


def write_platform_index(
    directory: Path,
    tag: str = "v1",
    *,
    architecture: str | None = None,
    os: str = "linux",
    variant: str = "",
    files: Sequence[ImageFile] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Path:
    """An OCI layout whose `tag` names an image index holding one manifest, for `os` and
    `architecture` (default: not this machine's). A runtime on another platform finds the
    image and no manifest for itself: containerd `no match for platform in manifest`, CRI-O
    `no image found in image index for architecture`. Push it with all its platforms:
    `Registry.push(layout, tag, "team/app:v1", creds, all_platforms=True)`."""
    architecture = architecture or other_architecture()
    write_oci_layout(directory, tag, files=files, config=config, architecture=architecture)
    (single,) = json.loads((directory / "index.json").read_text())["manifests"]
    platform: dict[str, str] = {"architecture": architecture, "os": os}
    if variant:
        platform["variant"] = variant
    entry = {k: v for k, v in single.items() if k != "annotations"} | {"platform": platform}
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [entry],
        }
    ).encode()
    blobs = directory / "blobs" / "sha256"
    (blobs / _sha256(index).split(":", 1)[1]).write_bytes(index)
    root = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": _sha256(index),
                "size": len(index),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (directory / "index.json").write_text(json.dumps(root))
    return directory


class _Hashing(io.RawIOBase):
    """A write-only stream that counts and hashes what passes through to `sink`."""

    def __init__(self, sink: BinaryIO | None) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        if self.sink is not None:
            self.sink.write(chunk)
        return len(chunk)


class _RandomBytes(io.RawIOBase):
    """`size` bytes no compressor shrinks (SHAKE-256 of `seed`: the same bytes every run)."""

    def __init__(self, size: int, seed: bytes) -> None:
        self.left = size
        self.block = 0
        self.seed = seed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.left, 1 << 20)
        if want <= 0:
            return 0
        data = hashlib.shake_256(self.seed + self.block.to_bytes(8, "big")).digest(want)
        self.block += 1
        buffer[:want] = data
        self.left -= want
        return want


def write_big_layer_image(
    directory: Path,
    tag: str = "v1",
    size: int = 64 << 20,
    *,
    seed: bytes = b"kubectl-pullsecret",
    files: Sequence[ImageFile] = (),
    config: Mapping[str, Any] | None = None,
    architecture: str | None = None,
) -> Path:
    """An OCI layout whose image holds a layer of `size` incompressible bytes (`/filler.bin`),
    after a small layer of `files` when given (with `config`, a runnable image): on a node
    whose image store sits on a tmpfs smaller than `size`, the pull fails with `no space left
    on device`. The big layer streams to disk; memory stays small."""
    directory.mkdir(parents=True, exist_ok=True)
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    layers: list[tuple[str, int, str]] = []  # (digest, size, diff_id)
    if files:
        small_tar = _layer(files)
        small = gzip.compress(small_tar, mtime=0)
        (blobs / _sha256(small).split(":", 1)[1]).write_bytes(small)
        layers.append((_sha256(small), len(small), _sha256(small_tar)))
    partial = blobs / "partial"
    with partial.open("wb") as out:
        compressed = _Hashing(out)
        with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=1) as zipped:
            uncompressed = _Hashing(zipped)  # type: ignore[arg-type]
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                info = tarfile.TarInfo("filler.bin")
                info.size, info.mode, info.mtime = size, 0o644, 0
                tar.addfile(info, io.BufferedReader(_RandomBytes(size, seed)))
    digest = "sha256:" + compressed.digest.hexdigest()
    partial.rename(blobs / digest.split(":", 1)[1])
    layers.append((digest, compressed.size, "sha256:" + uncompressed.digest.hexdigest()))
    config_blob = json.dumps(
        {
            "architecture": architecture or go_architecture(),
            "os": "linux",
            "config": dict(config or {}),
            "rootfs": {"type": "layers", "diff_ids": [d for _, _, d in layers]},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _sha256(config_blob),
                "size": len(config_blob),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": d,
                    "size": n,
                }
                for d, n, _ in layers
            ],
        }
    ).encode()
    for blob in (config_blob, manifest):
        (blobs / _sha256(blob).split(":", 1)[1]).write_bytes(blob)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": _sha256(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (directory / "index.json").write_text(json.dumps(index))
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return directory


@contextlib.contextmanager
def fronted(registry: Registry, *faults: RegistryFault, **kwargs: Any) -> Iterator[RegistryFront]:
    with RegistryFront(registry, faults, **kwargs) as front:
        yield front


__all__ = [
    "FrontRequest",
    "RegistryFault",
    "RegistryFront",
    "fronted",
    "other_architecture",
    "registry_error_body",
    "write_big_layer_image",
    "write_platform_index",
]

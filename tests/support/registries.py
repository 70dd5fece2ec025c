"""Real container registries for end-to-end tests, with no Docker engine.

- `Registry`: CNCF distribution (Debian's `docker-registry` package) on 127.0.0.1 and a free
  port, with htpasswd Basic auth or token auth, over TLS or plain http.
- `TokenServer`: a small token server (distribution spec/auth/token.md) that checks Basic
  credentials against a user table and issues RS256 JWTs with an `x5c` header.
- `Pki`: a throw-away CA (tests/support/pki.py), a serving certificate, a token signing key.
- `write_oci_layout` + `Registry.push`: a real image pushed with skopeo; `ImageFile` entries
  and an image config make one that a container runtime can run (the real node's images).
- `namespace`: registries and servers can live in a network namespace (tests/support/netns.py,
  for the real node); their processes start inside it and their sockets are made inside it.
- Small real HTTP servers for the odd cases: `Responder` (fixed answers), `Redirector`,
  `Blackhole` (accepts TCP, never answers).

Every process is started with subprocess and stopped by its pid; every server thread is
stopped by its own handle. This module imports no pytest so that it can also be used by hand:

    with Pki.create(tmp) as pki, TokenServer(pki, users) as ts, Registry(...) as reg: ...
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import platform
import secrets
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.pki import LOOPBACK, CertificateAuthority
from tests.support.supervisor import Supervised, Supervisor

REQUIRED_TOOLS = ("docker-registry", "skopeo", "htpasswd")
APT_PACKAGES = ("docker-registry", "apache2-utils", "skopeo")


class Namespace(Protocol):
    """A network namespace to run in: `prefix` for processes, `call` for Python sockets."""

    @property
    def prefix(self) -> list[str]: ...

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any: ...


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def free_port() -> int:
    """A port that was free a moment ago (the registry binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused."""
    return free_port()


# --------------------------------------------------------------------------------------------
# PKI


@dataclass
class Pki:
    """A throw-away CA with a serving certificate and a token signing certificate (RSA: the
    registry verifies the tokens' RS256 signatures)."""

    directory: Path
    ca_cert: Path  # PEM; tests pass it as VerifyOptions.ca_file
    server_cert: Path
    server_key: Path
    signing_key: rsa.RSAPrivateKey
    signing_cert_der: bytes

    @classmethod
    def create(cls, directory: Path, hosts: tuple[str, ...] = LOOPBACK) -> Pki:
        ca = CertificateAuthority(kind="rsa")
        server_cert, server_key = ca.issue("127.0.0.1", hosts=hosts).write(directory, "server")
        signing = ca.issue("token signer", usage=None)
        return cls(
            directory=directory,
            ca_cert=ca.write(directory / "ca.crt"),
            server_cert=server_cert,
            server_key=server_key,
            signing_key=signing.key,
            signing_cert_der=signing.cert_der,
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


# --------------------------------------------------------------------------------------------
# Small HTTP servers (real sockets, real HTTP) running in threads of the test process


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    authorization: str | None  # the raw header, for assertions only; never printed


class _Server:
    """A ThreadingHTTPServer in a daemon thread, optionally over TLS; stopped by `stop()`."""

    def __init__(
        self,
        handler: Callable[[BaseHTTPRequestHandler], None],
        tls: Pki | None,
        namespace: Namespace | None = None,
    ):
        self._handler_fn = handler
        self._tls = tls
        self._namespace = namespace
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.hostport}"

    def start(self) -> _Server:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                with outer._lock:
                    outer.requests.append(
                        RecordedRequest(self.command, self.path, self.headers.get("Authorization"))
                    )
                outer._handler_fn(self)

            do_GET = do_HEAD = do_POST = _any  # http.server dispatches on these names

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean (and never echo Authorization)

        # The listening socket keeps the namespace it is made in; serving it needs no more.
        if self._namespace is not None:
            httpd = self._namespace.call(ThreadingHTTPServer, ("127.0.0.1", 0), Handler)
        else:
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        if self._tls is not None:
            httpd.socket = self._tls.server_context().wrap_socket(httpd.socket, server_side=True)
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

    def __enter__(self) -> _Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


class Responder(_Server):
    """Answers every request with the same status, headers and body (e.g. 429 or 404)."""

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        tls: Pki | None = None,
    ):
        super().__init__(lambda h: send(h, status, body, headers), tls)


class Redirector(_Server):
    """Answers every request with 307 to `target` + the original path and query."""

    def __init__(self, target: str, tls: Pki | None = None):
        super().__init__(
            lambda h: send(h, 307, headers={"Location": target.rstrip("/") + h.path}), tls
        )


# --------------------------------------------------------------------------------------------
# Token server


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class User:
    password: str
    # repository name (or "*") -> actions granted, e.g. {"team/app": {"pull"}}
    rights: Mapping[str, frozenset[str]] = field(default_factory=dict)


class TokenServer(_Server):
    """distribution's token protocol: GET /token?service=S&scope=repository:NAME:ACTIONS, and
    the OAuth2 password grant (POST /token) that containerd tries first.

    Basic credentials are checked against `users`; a wrong password is 401 (as Docker Hub
    does). Without credentials the caller is anonymous and gets pull on `anonymous_pull` only.
    The granted access is the intersection of what was asked and what the user may do: a
    user without rights still gets a (useless) token, as real token servers do.
    """

    def __init__(
        self,
        pki: Pki,
        users: Mapping[str, User],
        anonymous_pull: frozenset[str] = frozenset(),
        *,
        tls: bool = True,
        service: str = "test-registry",
        issuer: str = "test-token-issuer",
        namespace: Namespace | None = None,
    ):
        super().__init__(self._handle, pki if tls else None, namespace)
        self.pki = pki
        self.users = dict(users)
        self.anonymous_pull = anonymous_pull
        self.service = service
        self.issuer = issuer
        self.issued_tokens: list[str] = []

    @property
    def realm(self) -> str:
        return f"{self.url}/token"

    def _rights(self, user: User | None, repository: str) -> frozenset[str]:
        if user is None:
            return frozenset({"pull"}) if repository in self.anonymous_pull else frozenset()
        granted = set(user.rights.get(repository, frozenset()))
        granted |= user.rights.get("*", frozenset())
        if repository in self.anonymous_pull:
            granted.add("pull")
        return frozenset(granted)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        if url.path != "/token":
            send(handler, 404, b"not found")
            return
        if handler.command == "POST":
            self._password_grant(handler)
            return
        query = urllib.parse.parse_qs(url.query)
        user: User | None = None
        subject = ""
        header = handler.headers.get("Authorization")
        if header is not None:
            scheme, _, value = header.partition(" ")
            try:
                username, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                username, password = "", ""
            candidate = self.users.get(username)
            if scheme.lower() != "basic" or candidate is None or candidate.password != password:
                self._refuse(handler)
                return
            user, subject = candidate, username
        token = self.issue(
            subject, query.get("service", [""])[0], self._access(user, query.get("scope", []))
        )
        body = {"token": token, "access_token": token, "expires_in": 300}
        send(handler, 200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _password_grant(self, handler: BaseHTTPRequestHandler) -> None:
        """POST /token, the OAuth2 password grant (distribution spec/auth/oauth.md), which
        containerd tries first when it has credentials; a 401 makes it fall back to GET."""
        length = int(handler.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(handler.rfile.read(length).decode(errors="replace"))

        def value(name: str) -> str:
            return form.get(name, [""])[0]

        if value("grant_type") != "password":
            send(handler, 400, b'{"error": "unsupported_grant_type"}')
            return
        user = self.users.get(value("username"))
        if user is None or user.password != value("password"):
            self._refuse(handler)
            return
        scopes = list(form.get("scope", []))
        token = self.issue(value("username"), value("service"), self._access(user, scopes))
        body = {"access_token": token, "expires_in": 300, "scope": " ".join(scopes)}
        send(handler, 200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _refuse(handler: BaseHTTPRequestHandler) -> None:
        body = {"details": "incorrect username or password"}
        send(
            handler,
            401,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "WWW-Authenticate": 'Basic realm="t"'},
        )

    def _access(self, user: User | None, scopes: list[str]) -> list[dict[str, Any]]:
        """What is granted: the intersection of what was asked and what the user may do."""
        access = []
        for scope in scopes:
            for item in scope.split(" "):
                kind, _, rest = item.partition(":")
                name, _, actions = rest.rpartition(":")
                if kind != "repository" or not name:
                    continue
                wanted = set(actions.split(","))
                granted = sorted(wanted & self._rights(user, name))
                access.append({"type": "repository", "name": name, "actions": granted})
        return access

    def issue(self, subject: str, audience: str, access: list[dict[str, Any]]) -> str:
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self.pki.signing_cert_der).decode("ascii")],
        }
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.pki.signing_key.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        token = f"{signing_input}.{_b64url(signature)}"
        with self._lock:
            self.issued_tokens.append(token)
        return token


# --------------------------------------------------------------------------------------------
# Blackhole: accepts TCP connections and never answers


class Blackhole:
    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._held.append(conn)  # keep it open and silent

    def __enter__(self) -> Blackhole:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()


class Dripper:
    """Answers HTTP, but one byte of header every `interval` seconds, forever.

    Per-read socket timeouts never fire on it; only a bound on the whole connection does.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = int(self._sock.getsockname()[1])
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            worker = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self._stopped.wait(self.interval):
                    conn.sendall(b"X")  # one endless header line
            except OSError:
                pass  # the client gave up: that is the point

    def __enter__(self) -> Dripper:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._accepter.join(timeout=5)
        for worker in self._threads:
            worker.join(timeout=5)
        self._sock.close()


# --------------------------------------------------------------------------------------------
# OCI layout and pushing


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ImageFile:
    """One entry of an image's only layer: a file, or a symlink when `link` is set."""

    path: str
    content: bytes = b""
    mode: int = 0o644
    link: str | None = None


def go_architecture() -> str:
    """This machine's architecture as image configs name it (the runtime pulls only that)."""
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )


def _layer(files: Sequence[ImageFile]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders = sorted({str(Path(f.path).parent) for f in files} - {"."})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for entry in files:
            info = tarfile.TarInfo(entry.path)
            info.mtime = 0
            if entry.link is not None:
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.link, 0o777
                tar.addfile(info)
            else:
                info.size, info.mode = len(entry.content), entry.mode
                tar.addfile(info, io.BytesIO(entry.content))
    return buffer.getvalue()


def write_oci_layout(
    directory: Path,
    tag: str = "v1",
    content: bytes = b"hello\n",
    *,
    files: Sequence[ImageFile] | None = None,
    config: Mapping[str, Any] | None = None,
    architecture: str = "amd64",
) -> Path:
    """A minimal OCI image layout: one layer, its config, manifest and index.

    The layer holds /hello.txt with `content`, or `files`; `config` is the image's runtime
    config (Cmd, Entrypoint, Env). Deterministic: the same input gives the same digests.
    """
    directory.mkdir(parents=True, exist_ok=True)
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    layer_tar = _layer(files if files is not None else [ImageFile("hello.txt", content)])
    layer = gzip.compress(layer_tar, mtime=0)  # mtime=0: the same bytes on every run

    config_blob = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": dict(config or {}),
            "rootfs": {"type": "layers", "diff_ids": [_sha256(layer_tar)]},
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
                    "digest": _sha256(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    for blob in (layer, config_blob, manifest):
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


# --------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class TokenAuth:
    realm: str
    service: str = "test-registry"
    issuer: str = "test-token-issuer"


class RegistryError(RuntimeError):
    pass


class Registry:
    """`docker-registry serve CONFIG` on 127.0.0.1:PORT, Basic (htpasswd) or token auth.

    `htpasswd_users` selects Basic auth, `token` token auth, neither an open registry.
    `pki` given: the registry serves TLS with the CA's serving certificate, else plain http.
    `port` fixes the port (default: a free one); `namespace` runs it inside a network
    namespace, where skopeo pushes to it too.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        pki: Pki | None = None,
        tls: bool = True,
        htpasswd_users: Mapping[str, str] | None = None,
        token: TokenAuth | None = None,
        port: int = 0,
        namespace: Namespace | None = None,
    ):
        if htpasswd_users is not None and token is not None:
            raise ValueError("choose htpasswd or token auth, not both")
        if tls and pki is None:
            raise ValueError("TLS needs a Pki")
        if token is not None and pki is None:
            raise ValueError("token auth needs a Pki (its CA verifies the token signatures)")
        self.workdir = workdir
        self.pki = pki
        self.tls = tls
        self.htpasswd_users = dict(htpasswd_users) if htpasswd_users is not None else None
        self.token = token
        self.fixed_port = port
        self.port = port
        self.namespace = namespace
        self._processes = Supervisor(workdir, prefix=namespace.prefix if namespace else ())
        self._proc: Supervised | None = None
        self._log_path = workdir / "registry.log"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _config(self) -> dict[str, Any]:
        http: dict[str, Any] = {
            "addr": self.hostport,
            "secret": secrets.token_hex(16),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        }
        if self.tls:
            assert self.pki is not None
            http["tls"] = {
                "certificate": str(self.pki.server_cert),
                "key": str(self.pki.server_key),
            }
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "storage")},
                "delete": {"enabled": True},
            },
            "http": http,
        }
        if self.htpasswd_users is not None:
            htpasswd = self.workdir / "htpasswd"
            lines = []
            for user, password in self.htpasswd_users.items():
                # bcrypt is the only hash distribution accepts; htpasswd -B makes it.
                out = subprocess.run(
                    ["htpasswd", "-Bbn", user, password],
                    check=True,
                    capture_output=True,
                    timeout=30,
                )
                lines.append(out.stdout.decode().strip())
            htpasswd.write_text("\n".join(lines) + "\n")
            config["auth"] = {"htpasswd": {"realm": "test-realm", "path": str(htpasswd)}}
        elif self.token is not None:
            assert self.pki is not None
            config["auth"] = {
                "token": {
                    "realm": self.token.realm,
                    "service": self.token.service,
                    "issuer": self.token.issuer,
                    "rootcertbundle": str(self.pki.ca_cert),
                }
            }
        return config

    def start(self, timeout: float = 20.0) -> Registry:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.fixed_port:
            self.port = self.fixed_port
        else:
            self.port = self.namespace.call(free_port) if self.namespace else free_port()
        config_path = self.workdir / "config.yml"
        # JSON is YAML: no YAML writer needed.
        config_path.write_text(json.dumps(self._config(), indent=2))
        # Dies with the test run, even a SIGKILLed one (the supervisor's parent-death signal).
        self._proc = self._processes.start(
            "docker-registry",
            ["docker-registry", "serve", str(config_path)],
            cwd=self.workdir,
            log=self._log_path,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        end = time.monotonic() + timeout
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        while time.monotonic() < end:
            if not self._proc.alive():
                raise RegistryError(
                    f"docker-registry exited with {self._proc.popen.returncode}:\n{self.log_tail()}"
                )
            answers = (
                self.namespace.call(self._answers, context)
                if self.namespace
                else self._answers(context)
            )
            if answers:
                return
            time.sleep(0.05)
        raise RegistryError(f"docker-registry not ready after {timeout}s:\n{self.log_tail()}")

    def _answers(self, context: ssl.SSLContext) -> bool:
        """Whether the registry answers HTTP on its port yet."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                sock = context.wrap_socket(raw) if self.tls else raw
                with sock:
                    sock.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n")
                    return sock.recv(12).startswith(b"HTTP/")
        except OSError:
            return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._processes.stop()
        self._proc = None

    @property
    def _prefix(self) -> list[str]:
        return self.namespace.prefix if self.namespace else []

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(
        self,
        layout: Path,
        tag: str,
        destination: str,
        creds: tuple[str, str] | None,
        all_platforms: bool = False,
    ) -> None:
        """skopeo copy oci:LAYOUT:TAG docker://127.0.0.1:PORT/DESTINATION, with creds unless
        the registry is open; `all_platforms` copies an image index whole (--all), even when
        it has no manifest for this machine's platform."""
        login = ["--dest-creds", f"{creds[0]}:{creds[1]}"] if creds else ["--dest-no-creds"]
        command = [
            "skopeo",
            "--insecure-policy",  # no dependence on the machine's /etc/containers/policy.json
            "copy",
            "--quiet",
            *(["--all"] if all_platforms else []),
            # Our CA is not in the system store: skip verification, which for skopeo also
            # allows the plain-http registries.
            "--dest-tls-verify=false",
            *login,
            f"oci:{layout}:{tag}",
            f"docker://{self.hostport}/{destination}",
        ]
        env = dict(os.environ)
        # skopeo must not read or write the user's auth files or registries.conf mirrors.
        env["HOME"] = str(self.workdir)
        env["XDG_RUNTIME_DIR"] = str(self.workdir)
        env["REGISTRY_AUTH_FILE"] = str(self.workdir / "auth.json")
        env["TMPDIR"] = str(self.workdir)
        result = subprocess.run(
            [*self._prefix, *command], capture_output=True, env=env, timeout=120
        )
        if result.returncode != 0:
            # Redact the credentials: the command line is part of the error text.
            raise RegistryError(
                f"skopeo copy to {self.hostport}/{destination} failed "
                f"({result.returncode}): {result.stderr.decode(errors='replace')}\n"
                f"registry log:\n{self.log_tail()}"
            )


@contextlib.contextmanager
def running(*servers: Any) -> Iterator[None]:
    """Start servers/registries in order and stop them in reverse order, always."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)
        yield

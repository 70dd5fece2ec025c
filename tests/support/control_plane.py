"""A real Kubernetes control plane (etcd + kube-apiserver) on loopback, for tests and demos.

By default there is no kubelet, scheduler or controller manager: the helpers in `Cluster` write
what a kubelet would have written (container statuses, core/v1 Events) with the kubelet's own
texts (see /work/shared/docs/kubelet-pull-semantics.md, section 8). The real node
(tests/support/node.py) starts it inside the node's namespaces (`namespace`), with
kube-controller-manager (`controllers`) and kube-scheduler (`scheduler`).

Importable without pytest. `python -m tests.support.control_plane` starts a cluster for humans.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeAlias, TypeVar

import urllib3

from kubectl_pullsecret.kubelet.versions import Version, parse_version
from tests.support.pki import LOOPBACK, CertificateAuthority, key_pem, new_key, public_key_pem
from tests.support.supervisor import Supervisor

K8S_VERSION = "1.20.2"
PROVISION_COMMAND = "tools/provision.sh"
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
READY_TIMEOUT_S = 60.0

Json: TypeAlias = dict[str, Any]
# An entry for create_docker_secret: (username, password), or a raw entry mapping such as
# {"auth": "not base64"} for malformed cases.
AuthEntry: TypeAlias = "tuple[str, str] | Mapping[str, Any]"
# A container for create_pod: (name, image), or a full container spec mapping.
ContainerSpec: TypeAlias = "tuple[str, str] | Mapping[str, Any]"

T = TypeVar("T")

# What the workloads need to create their Pods and a ServiceAccount's Pods to start: `default`
# ServiceAccounts, and the kube-root-ca.crt ConfigMap that the projected token volume mounts.
NODE_CONTROLLERS = (
    "deployment",
    "replicaset",
    "statefulset",
    "job",
    "cronjob",
    "serviceaccount",
    "namespace",
    "garbagecollector",
    "root-ca-cert-publisher",
)

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"
OPAQUE = "Opaque"


class AssetsNotFoundError(RuntimeError):
    """kube-apiserver / etcd binaries are not available."""


class ControlPlaneError(RuntimeError):
    """The control plane failed to start or answered unexpectedly."""


class ApiError(RuntimeError):
    """A non-2xx answer from the apiserver."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.reason = ""
        self.message = body
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            doc = json.loads(body)
            self.reason = str(doc.get("reason", ""))
            self.message = str(doc.get("message", body))
        super().__init__(f"{method} {path}: HTTP {status} {self.reason}: {self.message}")


# --------------------------------------------------------------------------------------------
# Binaries


def default_assets_dir() -> Path:
    """The cache folder tools/provision.sh builds into."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kubectl-pullsecret" / f"kubernetes-{K8S_VERSION}"


def _has_assets(folder: Path) -> bool:
    return all(os.access(folder / b, os.X_OK) for b in ("kube-apiserver", "etcd"))


class Namespace(Protocol):
    """Where the control plane runs when not on the machine's loopback: processes start with
    `prefix`, and the harness's own sockets are made by `call` (tests/support/netns.py)."""

    @property
    def prefix(self) -> list[str]: ...

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any: ...


def find_assets() -> Path:
    """Locate kube-apiserver and etcd like the provisioning script does, without building.

    Raises AssetsNotFoundError with the provisioning command in the message.
    """
    env = os.environ.get("KUBEBUILDER_ASSETS")
    if env:
        if _has_assets(Path(env)):
            return Path(env)
        raise AssetsNotFoundError(
            f"KUBEBUILDER_ASSETS={env} lacks an executable kube-apiserver and etcd; "
            f"fix it or unset it and run {PROVISION_COMMAND}"
        )
    cached = default_assets_dir()
    if _has_assets(cached):
        return cached
    raise AssetsNotFoundError(
        f"no kube-apiserver/etcd found (looked at $KUBEBUILDER_ASSETS and {cached}). "
        f"Provision them with: {PROVISION_COMMAND}  (builds from Debian sources, ~5 min once)"
    )


# --------------------------------------------------------------------------------------------
# Small utilities


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (racy by nature; start() retries on clashes)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now_rfc3339(t: dt.datetime | None = None) -> str:
    t = t or dt.datetime.now(dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_VERSIONS: dict[Path, Version] = {}


def binary_version(binary: Path) -> Version:
    """The Kubernetes release of a binary, from `BINARY --version` ("Kubernetes v1.37.2")."""
    if binary not in _VERSIONS:
        said = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.split()
        version = parse_version(said[-1]) if said else None
        if version is None:
            raise ControlPlaneError(f"{binary} --version says no release: {' '.join(said)!r}")
        _VERSIONS[binary] = version
    return _VERSIONS[binary]


def _b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


OWNER_FILE = "owner"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_dirs() -> None:
    """Remove temp dirs left by harness processes that died without stop() (SIGKILL).

    Only dirs whose recorded owner pid is gone are removed, so concurrent sessions are safe.
    """
    for workdir in Path(tempfile.gettempdir()).glob("realcluster-*"):
        owner = workdir / OWNER_FILE
        try:
            pid_line, etcd_line, *_ = owner.read_text().splitlines()
            pid = int(pid_line)
        except (OSError, ValueError):
            continue
        if _pid_alive(pid):
            continue
        etcd_dir = Path(etcd_line)
        if etcd_dir.name.startswith("realcluster-etcd-"):
            shutil.rmtree(etcd_dir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# PKI


@dataclass
class _Pki:
    ca: CertificateAuthority
    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    sa_key: Path
    sa_pub: Path


def _write_pki(folder: Path, hosts: tuple[str, ...] = LOOPBACK) -> _Pki:
    """A throw-away CA, a serving cert for the API server, and a service-account key."""
    ca = CertificateAuthority("realcluster-ca")
    serving_cert, serving_key = ca.issue("kube-apiserver", hosts=hosts).write(folder, "apiserver")
    sa = new_key()
    sa_key, sa_pub = folder / "sa.key", folder / "sa.pub"
    sa_key.write_bytes(key_pem(sa))
    sa_key.chmod(0o600)
    sa_pub.write_bytes(public_key_pem(sa))
    return _Pki(ca, ca.write(folder / "ca.crt"), serving_cert, serving_key, sa_key, sa_pub)


# --------------------------------------------------------------------------------------------
# Users and RBAC

READ_VERBS = ["get", "list", "watch"]

# username -> groups. Restricted users get their permissions from DEFAULT_USER_RULES.
DEFAULT_USERS: dict[str, list[str]] = {
    "admin": ["system:masters"],
    "no-secrets": [],
    "no-pods": [],
}

# username -> ClusterRole rules created at start (bound cluster-wide).
DEFAULT_USER_RULES: dict[str, list[Json]] = {
    # Everything the plugin reads except secrets.
    "no-secrets": [
        {
            "apiGroups": [""],
            "resources": ["pods", "events", "serviceaccounts", "namespaces"],
            "verbs": READ_VERBS,
        }
    ],
    # Everything the plugin reads except pods.
    "no-pods": [
        {
            "apiGroups": [""],
            "resources": ["events", "serviceaccounts", "namespaces", "secrets"],
            "verbs": READ_VERBS,
        }
    ],
}


# --------------------------------------------------------------------------------------------
# REST client (raw JSON; no model classes, so nothing depends on client/server model skew)


class Rest:
    """Minimal JSON REST client for one user of the control plane."""

    def __init__(
        self,
        server: str,
        token: str,
        ca_file: Path,
        timeout: float = 30.0,
        namespace: Namespace | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self._token = token
        self._pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_certs=str(ca_file), timeout=timeout
        )
        # Connections are opened in the namespace's threads, so they reach its loopback.
        self._namespace = namespace

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        redact: Iterable[str] = (),
    ) -> Json:
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        if self._namespace is not None:
            resp = self._namespace.call(self._pool.request, method, url, body=data, headers=headers)
        else:
            resp = self._pool.request(method, url, body=data, headers=headers)
        text = resp.data.decode(errors="replace")
        if not 200 <= resp.status < 300:
            # Error texts may echo request content; never let secret values reach a log.
            for value in redact:
                if value:
                    text = text.replace(value, "<redacted>")
            raise ApiError(method, path, resp.status, text)
        return json.loads(text) if text else {}

    def get(self, path: str, **query: str) -> Json:
        return self.request("GET", path, query=query or None)

    def post(self, path: str, body: Json, redact: Iterable[str] = ()) -> Json:
        return self.request("POST", path, body, redact=redact)

    def merge_patch(self, path: str, body: Json) -> Json:
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def close(self) -> None:
        self._pool.clear()


# --------------------------------------------------------------------------------------------
# Control plane


class ControlPlane:
    """etcd + kube-apiserver on 127.0.0.1 with TLS, static tokens and RBAC.

    `users` adds (or overrides) token users: {username: [groups]}. The token file is read
    only at start, so users must be known before start(). Permissions for extra users are
    granted afterwards with Cluster.grant().

    `namespace` runs everything inside it (127.0.0.1 is then the namespace's loopback).
    `controllers` starts kube-controller-manager with those controllers (e.g.
    NODE_CONTROLLERS), `scheduler` kube-scheduler; both need the full build
    (tools/provision.sh). `parent_dir` holds the work folder (default: the temp folder).
    """

    def __init__(
        self,
        assets_dir: Path | str | None = None,
        users: Mapping[str, Sequence[str]] | None = None,
        ready_timeout: float = READY_TIMEOUT_S,
        extra_apiserver_args: Sequence[str] = (),
        *,
        namespace: Namespace | None = None,
        controllers: Sequence[str] = (),
        scheduler: bool = False,
        parent_dir: Path | None = None,
    ) -> None:
        self.assets_dir = Path(assets_dir) if assets_dir else None
        self.users: dict[str, list[str]] = {u: list(g) for u, g in DEFAULT_USERS.items()}
        for user, groups in (users or {}).items():
            self.users[user] = list(groups)
        self.tokens: dict[str, str] = {u: secrets.token_hex(16) for u in self.users}
        self.ready_timeout = ready_timeout
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.namespace = namespace
        self.controllers = list(controllers)
        self.scheduler = scheduler
        self.parent_dir = parent_dir

        self.workdir: Path | None = None
        self.etcd_dir: Path | None = None
        self.port: int | None = None
        self.etcd_port: int | None = None
        self.pki: _Pki | None = None
        self.startup_seconds: float | None = None
        self.version: Version | None = None  # the binaries' Kubernetes release
        self._processes: Supervisor | None = None
        self._lock = threading.Lock()

    # -- public -------------------------------------------------------------------------------

    @property
    def server(self) -> str:
        if self.port is None:
            raise ControlPlaneError("control plane is not started")
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        if self.pki is None:
            raise ControlPlaneError("control plane is not started")
        return self.pki.ca_cert

    @property
    def processes(self) -> Supervisor:
        if self._processes is None:
            raise ControlPlaneError("control plane is not started")
        return self._processes

    @property
    def running(self) -> bool:
        return self._processes is not None and not self._processes.dead()

    def _free_port(self) -> int:
        return self.namespace.call(free_port) if self.namespace else free_port()

    def token(self, user: str = "admin") -> str:
        return self.tokens[user]

    def start(self) -> ControlPlane:
        if self._processes is not None:
            raise ControlPlaneError("already started")
        t0 = time.monotonic()
        assets = self.assets_dir or find_assets()
        self.version = binary_version(assets / "kube-apiserver")
        sweep_stale_dirs()
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix="realcluster-", dir=self.parent_dir))
            self._processes = Supervisor(
                self.workdir, prefix=self.namespace.prefix if self.namespace else ()
            )
            # etcd fsyncs a lot; tmpfs keeps startup and every write fast.
            shm = Path("/dev/shm")
            base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
            self.etcd_dir = Path(tempfile.mkdtemp(prefix="realcluster-etcd-", dir=base))
            # Lets a later run remove these dirs if this process is SIGKILLed.
            (self.workdir / OWNER_FILE).write_text(f"{os.getpid()}\n{self.etcd_dir}\n")
            self.pki = _write_pki(self.workdir)
            self._write_token_file()
            # Free ports can be taken by someone else before we bind: retry a few times.
            for attempt in range(3):
                try:
                    self._start_etcd(assets)
                    self._start_apiserver(assets)
                    self._wait_ready()
                    break
                except _PortClash:
                    self.processes.stop()
                    for name in ("etcd", "kube-apiserver"):  # the next try's logs start anew
                        (self.workdir / f"{name}.log").unlink(missing_ok=True)
                    if attempt == 2:
                        raise ControlPlaneError("could not bind free ports 3 times") from None
                    shutil.rmtree(self.etcd_dir, ignore_errors=True)
                    self.etcd_dir.mkdir()
            self._bootstrap_rbac()
            if self.controllers:
                self._start_controller_manager(assets)
            if self.scheduler:
                self._start_scheduler(assets)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Kill the controllers, kube-apiserver, then etcd, and remove temp dirs. Idempotent."""
        with self._lock:
            if self._processes is not None:
                # Clients first, then the apiserver, then etcd (newest first): etcd going away
                # under a live apiserver, or the apiserver under its clients, is only noise.
                self._processes.stop(timeout=10)
                self._processes = None
            for d in (self.workdir, self.etcd_dir):
                if d is not None:
                    shutil.rmtree(d, ignore_errors=True)
            self.workdir = None
            self.etcd_dir = None
            self.pki = None
            self.port = None

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def rest(self, user: str = "admin") -> Rest:
        return Rest(self.server, self.token(user), self.ca_file, namespace=self.namespace)

    def cluster(self) -> Cluster:
        """Helpers acting with admin credentials."""
        return Cluster(self.rest("admin"))

    def kubeconfig(self, user: str = "admin", namespace: str | None = None) -> Path:
        """Write a kubeconfig for `user` (context `realcluster-<user>`) and return its path."""
        if self.workdir is None:
            raise ControlPlaneError("control plane is not started")
        ctx = f"realcluster-{user}"
        context: Json = {"cluster": "realcluster", "user": ctx}
        if namespace:
            context["namespace"] = namespace
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "realcluster",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.ca_file),
                    },
                }
            ],
            "users": [{"name": ctx, "user": {"token": self.token(user)}}],
            "contexts": [{"name": ctx, "context": context}],
            "current-context": ctx,
            "preferences": {},
        }
        suffix = f"-{namespace}" if namespace else ""
        path = self.workdir / f"kubeconfig-{user}{suffix}"
        # JSON is valid YAML; kubectl and the python client read it alike.
        path.write_text(json.dumps(doc, indent=2) + "\n")
        path.chmod(0o600)
        return path

    def client_certificate(self, user: str, groups: Sequence[str] = ()) -> tuple[Path, Path]:
        """A client certificate and key from the API server's CA (--client-ca-file): the API
        server reads the user from CN and the groups from O."""
        if self.workdir is None or self.pki is None:
            raise ControlPlaneError("control plane is not started")
        issued = self.pki.ca.issue(user, usage="client", organizations=tuple(groups))
        return issued.write(self.workdir / "clients", f"{user}-{secrets.token_hex(3)}")

    def api_client(self, user: str = "admin") -> Any:
        """A `kubernetes.client.ApiClient` for `user` (imported lazily; not in a namespace)."""
        if self.namespace is not None:
            raise ControlPlaneError("api_client() cannot reach into a namespace; use rest()")
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.server
        cfg.ssl_ca_cert = str(self.ca_file)
        cfg.api_key = {"authorization": self.token(user)}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return client.ApiClient(cfg)

    def apiserver_log_tail(self, lines: int = 40) -> str:
        apiserver = self._processes.get("kube-apiserver") if self._processes else None
        return apiserver.tail(lines) if apiserver else ""

    def log_tails(self, lines: int = 20) -> str:
        """The last lines of every process's log, for failure messages."""
        return self._processes.tails(lines) if self._processes else ""

    # -- internals ----------------------------------------------------------------------------

    def _for_release(self, before_minor: int, flags: list[str]) -> list[str]:
        """Flags that releases before 1.<before_minor> need and later ones refuse."""
        assert self.version is not None
        return flags if not self.version.at_least(before_minor) else []

    def _write_token_file(self) -> None:
        assert self.workdir is not None
        with (self.workdir / "tokens.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            for user, groups in self.users.items():
                row = [self.tokens[user], user, f"uid-{user}"]
                if groups:
                    row.append(",".join(groups))
                w.writerow(row)
        (self.workdir / "tokens.csv").chmod(0o600)

    def _start_etcd(self, assets: Path) -> None:
        assert self.etcd_dir is not None
        self.etcd_port = self._free_port()
        peer = self._free_port()
        client_url = f"http://127.0.0.1:{self.etcd_port}"
        peer_url = f"http://127.0.0.1:{peer}"
        self.processes.start(
            "etcd",
            [
                str(assets / "etcd"),
                "--name=realcluster",
                f"--data-dir={self.etcd_dir}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=realcluster={peer_url}",
                "--initial-cluster-state=new",
                "--log-level=warn",
                "--logger=zap",
            ],
        )

    def _start_apiserver(self, assets: Path) -> None:
        assert self.workdir is not None and self.pki is not None
        self.port = self._free_port()
        pki = self.pki
        self.processes.start(
            "kube-apiserver",
            [
                str(assets / "kube-apiserver"),
                f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                *self._for_release(before_minor=24, flags=["--insecure-port=0"]),
                f"--cert-dir={self.workdir}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                f"--token-auth-file={self.workdir / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer=https://127.0.0.1:{self.port}",
                f"--service-account-key-file={pki.sa_pub}",
                f"--service-account-signing-key-file={pki.sa_key}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                # GA in 1.22 and gone as a gate in 1.24: earlier releases need it turned on.
                *self._for_release(
                    before_minor=24, flags=["--feature-gates=BoundServiceAccountTokenVolume=true"]
                ),
                "--allow-privileged=false",
                "--profiling=false",
                # The "kubernetes" Endpoints may not hold a loopback IP; skip reconciling it
                # rather than log an error every 10 s.
                "--endpoint-reconciler-type=none",
                *self.extra_apiserver_args,
            ],
        )

    def _wait_ready(self) -> None:
        assert self.pki is not None
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer yet"
        pool = urllib3.PoolManager(
            ssl_context=ctx, timeout=urllib3.Timeout(connect=1.0, read=5.0), retries=False
        )
        headers = {"Authorization": f"Bearer {self.token('admin')}"}
        try:
            while True:
                for proc in self.processes.dead():
                    if "address already in use" in proc.tail():
                        raise _PortClash()
                    raise ControlPlaneError(
                        f"{proc.name} exited with code {proc.popen.returncode} during "
                        f"startup; log {proc.log}:\n{proc.tail()}"
                    )
                try:
                    url = f"{self.server}/readyz"
                    if self.namespace is not None:
                        r = self.namespace.call(pool.request, "GET", url, headers=headers)
                    else:
                        r = pool.request("GET", url, headers=headers)
                    if r.status == 200:
                        return
                    last = f"HTTP {r.status}: {r.data.decode(errors='replace')[-2000:]}"
                except urllib3.exceptions.HTTPError as exc:
                    last = repr(exc)
                if time.monotonic() > deadline:
                    raise ControlPlaneError(
                        f"kube-apiserver not ready after {self.ready_timeout:.0f}s "
                        f"(last /readyz: {last}):\n{self.apiserver_log_tail()}"
                    )
                time.sleep(0.1)
        finally:
            pool.clear()

    def _bootstrap_rbac(self) -> None:
        c = self.cluster()
        try:
            for user, rules in DEFAULT_USER_RULES.items():
                if user in self.users:
                    c.grant(user, rules)
        finally:
            c.close()

    def _start_controller_manager(self, assets: Path) -> None:
        assert self.workdir is not None and self.pki is not None
        self.processes.start(
            "kube-controller-manager",
            [
                str(assets / "kube-controller-manager"),
                f"--kubeconfig={self.kubeconfig('admin')}",
                f"--controllers={','.join(self.controllers)}",
                "--leader-elect=false",
                "--use-service-account-credentials=false",
                f"--root-ca-file={self.pki.ca_cert}",
                f"--service-account-private-key-file={self.pki.sa_key}",
                # No health or metrics endpoints: nothing listens but the apiserver's clients.
                # (The insecure port and its flag are gone since 1.24.)
                *self._for_release(before_minor=24, flags=["--port=0"]),
                "--secure-port=0",
                "--v=1",
            ],
        )

    def _start_scheduler(self, assets: Path) -> None:
        self.processes.start(
            "kube-scheduler",
            [
                str(assets / "kube-scheduler"),
                f"--kubeconfig={self.kubeconfig('admin')}",
                "--leader-elect=false",
                *self._for_release(before_minor=24, flags=["--port=0"]),
                "--secure-port=0",
                "--v=1",
            ],
        )


class _PortClash(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Kubelet-situation helpers


def _container_entry(c: ContainerSpec) -> Json:
    if isinstance(c, tuple):
        name, image = c
        return {"name": name, "image": image}
    return dict(c)


def _docker_entry(value: AuthEntry) -> Json:
    if isinstance(value, tuple):
        user, password = value
        return {"username": user, "password": password, "auth": _b64(f"{user}:{password}")}
    return dict(value)


def _secret_values(auths: Mapping[str, AuthEntry] | bytes | str) -> list[str]:
    """Every string in the payload that is a credential, for redaction."""
    if not isinstance(auths, Mapping):
        return []
    out: list[str] = []
    for value in auths.values():
        entry = _docker_entry(value)
        for k in ("password", "auth", "identitytoken", "registrytoken"):
            v = entry.get(k)
            if isinstance(v, str) and v:
                out.append(v)
        if isinstance(value, tuple):
            out.append(_b64(f"{value[0]}:{value[1]}"))
    return out


_NAME_SAFE = re.compile(r"[^a-z0-9-]+")


def dns_label(text: str, max_len: int = 40) -> str:
    """Turn arbitrary text (e.g. a test name) into a DNS-1123 label prefix."""
    label = _NAME_SAFE.sub("-", text.lower()).strip("-")[:max_len].strip("-")
    return label or "ns"


def pull_failure_events(
    image: str, runtime_error: str, backoff: bool
) -> list[tuple[str, str, str]]:
    """(reason, type, message) of the events the kubelet records on a container whose pull
    fails (pkg/kubelet/images/image_manager.go and kuberuntime_container.go, v1.20)."""
    events = [
        ("Pulling", "Normal", f'Pulling image "{image}"'),
        ("Failed", "Warning", f'Failed to pull image "{image}": {runtime_error}'),
        ("Failed", "Warning", "Error: ErrImagePull"),
    ]
    if backoff:
        events += [
            ("BackOff", "Normal", f'Back-off pulling image "{image}"'),
            ("Failed", "Warning", "Error: ImagePullBackOff"),
        ]
    return events


def backoff_message(image: str, runtime_error: str) -> str:
    """The ImagePullBackOff waiting message as kubelet 1.32+ writes it, keeping the pull error
    (kubernetes#127918); 1.20's stops after the image."""
    return f'Back-off pulling image "{image}": ErrImagePull: {runtime_error}'


class Cluster:
    """Builds kubelet situations through the API (admin credentials)."""

    def __init__(self, rest: Rest) -> None:
        self.rest = rest

    def close(self) -> None:
        self.rest.close()

    # -- namespaces, service accounts, RBAC --------------------------------------------------

    def create_namespace(self, prefix: str = "test") -> str:
        """A fresh namespace `<prefix>-<random>` with its `default` ServiceAccount.

        Never delete namespaces: without the controller manager they never finish.
        """
        for _ in range(5):
            name = f"{dns_label(prefix)}-{secrets.token_hex(3)}"
            try:
                self.rest.post(
                    "/api/v1/namespaces",
                    {"metadata": {"name": name, "labels": {"realcluster": "true"}}},
                )
            except ApiError as exc:
                if exc.status == 409:
                    continue
                raise
            # Pods fail admission without it. Without a controller manager nobody else
            # creates it; with one, its serviceaccount controller may have been first.
            try:
                self.create_service_account(name, "default")
            except ApiError as exc:
                if exc.status != 409:
                    raise
            return name
        raise ControlPlaneError(f"could not create a unique namespace for prefix {prefix!r}")

    def create_service_account(
        self, ns: str, name: str, image_pull_secrets: Sequence[str] | None = None
    ) -> Json:
        body: Json = {"metadata": {"name": name, "namespace": ns}}
        if image_pull_secrets is not None:
            body["imagePullSecrets"] = [{"name": n} for n in image_pull_secrets]
        return self.rest.post(f"/api/v1/namespaces/{ns}/serviceaccounts", body)

    def patch_service_account_pull_secrets(
        self, ns: str, name: str, image_pull_secrets: Sequence[str]
    ) -> Json:
        """Replace the ServiceAccount's imagePullSecrets (existing pods keep theirs)."""
        return self.rest.merge_patch(
            f"/api/v1/namespaces/{ns}/serviceaccounts/{name}",
            {"imagePullSecrets": [{"name": n} for n in image_pull_secrets]},
        )

    def grant(
        self,
        user: str,
        rules: Sequence[Json],
        namespace: str | None = None,
        subject_kind: str = "User",
    ) -> None:
        """Give `user` (or the group of that name, with subject_kind="Group") the RBAC
        `rules`: cluster-wide, or only in `namespace`."""
        name = f"realcluster:{user}:{secrets.token_hex(3)}"
        subject = {"kind": subject_kind, "apiGroup": "rbac.authorization.k8s.io", "name": user}
        base = "/apis/rbac.authorization.k8s.io/v1"
        if namespace is None:
            self.rest.post(f"{base}/clusterroles", {"metadata": {"name": name}, "rules": rules})
            kind, path = "ClusterRole", f"{base}/clusterrolebindings"
        else:
            self.rest.post(
                f"{base}/namespaces/{namespace}/roles",
                {"metadata": {"name": name}, "rules": list(rules)},
            )
            kind, path = "Role", f"{base}/namespaces/{namespace}/rolebindings"
        self.rest.post(
            path,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                "subjects": [subject],
            },
        )

    # -- secrets ----------------------------------------------------------------------------

    def create_docker_secret(
        self,
        ns: str,
        name: str,
        auths: Mapping[str, AuthEntry] | bytes | str,
        type: str = DOCKERCONFIGJSON,
        data_key: str | None = None,
    ) -> Json:
        """Create a registry-credential secret of any type.

        `auths`: {registry key: (user, password) | raw entry mapping}, laid out as the type
        expects (`{"auths": {...}}` for dockerconfigjson and Opaque, a bare map for
        dockercfg); or raw bytes/str stored verbatim (malformed payloads). `data_key`
        defaults to `.dockercfg` for dockercfg and `.dockerconfigjson` otherwise. The
        apiserver itself rejects invalid JSON in the two docker types (ApiError 422).
        """
        if data_key is None:
            data_key = ".dockercfg" if type == DOCKERCFG else ".dockerconfigjson"
        if isinstance(auths, Mapping):
            entries = {k: _docker_entry(v) for k, v in auths.items()}
            doc: Json = entries if type == DOCKERCFG else {"auths": entries}
            payload = json.dumps(doc).encode()
        else:
            payload = auths.encode() if isinstance(auths, str) else auths
        body = {
            "metadata": {"name": name, "namespace": ns},
            "type": type,
            "data": {data_key: _b64(payload)},
        }
        redact = [*_secret_values(auths), _b64(payload)]
        if not isinstance(auths, Mapping):
            redact.append(payload.decode(errors="replace"))
        return self.rest.post(f"/api/v1/namespaces/{ns}/secrets", body, redact=redact)

    # -- pods -------------------------------------------------------------------------------

    def create_pod(
        self,
        ns: str,
        name: str,
        containers: Sequence[ContainerSpec] = (("app", "registry.example.com/team/app:v1"),),
        init_containers: Sequence[ContainerSpec] = (),
        image_pull_secrets: Sequence[str] | None = None,
        service_account: str | None = None,
        labels: Mapping[str, str] | None = None,
        node_name: str | None = None,
    ) -> Json:
        """Create a pod. `image_pull_secrets=None` leaves the field out, so the ServiceAccount
        admission plugin copies the SA's list (it does so for an empty list too)."""
        spec: Json = {
            "containers": [_container_entry(c) for c in containers],
            # Without the controller manager there are no SA token secrets to mount.
            "automountServiceAccountToken": False,
        }
        if init_containers:
            spec["initContainers"] = [_container_entry(c) for c in init_containers]
        if image_pull_secrets is not None:
            spec["imagePullSecrets"] = [{"name": n} for n in image_pull_secrets]
        if service_account is not None:
            spec["serviceAccountName"] = service_account
        if node_name is not None:
            spec["nodeName"] = node_name
        meta: Json = {"name": name, "namespace": ns}
        if labels:
            meta["labels"] = dict(labels)
        return self.rest.post(f"/api/v1/namespaces/{ns}/pods", {"metadata": meta, "spec": spec})

    def get_pod(self, ns: str, name: str) -> Json:
        return self.rest.get(f"/api/v1/namespaces/{ns}/pods/{name}")

    def set_container_waiting(
        self,
        ns: str,
        pod: str,
        container: str,
        reason: str,
        message: str | None = None,
        init: bool = False,
        restart_count: int = 0,
        phase: str | None = None,
    ) -> Json:
        """Container waiting with `reason`/`message` (e.g. ImagePullBackOff), as the kubelet
        reports it. `phase=None` derives the pod phase from the container states."""
        waiting: Json = {"reason": reason}
        if message is not None:
            waiting["message"] = message
        return self._set_container_state(
            ns, pod, container, init, {"waiting": waiting}, False, restart_count, phase
        )

    def set_container_running(
        self,
        ns: str,
        pod: str,
        container: str,
        init: bool = False,
        ready: bool = True,
        restart_count: int = 0,
        phase: str | None = None,
    ) -> Json:
        state = {"running": {"startedAt": now_rfc3339()}}
        return self._set_container_state(
            ns, pod, container, init, state, ready, restart_count, phase
        )

    def set_container_terminated(
        self,
        ns: str,
        pod: str,
        container: str,
        exit_code: int = 0,
        reason: str = "Completed",
        init: bool = False,
        restart_count: int = 0,
        phase: str | None = None,
    ) -> Json:
        """E.g. a finished init container (exit 0, reason Completed)."""
        ts = now_rfc3339()
        state = {
            "terminated": {
                "exitCode": exit_code,
                "reason": reason,
                "startedAt": ts,
                "finishedAt": ts,
            }
        }
        ready = init and exit_code == 0
        return self._set_container_state(
            ns, pod, container, init, state, ready, restart_count, phase
        )

    def set_phase(self, ns: str, pod: str, phase: str) -> Json:
        return self.rest.merge_patch(
            f"/api/v1/namespaces/{ns}/pods/{pod}/status", {"status": {"phase": phase}}
        )

    def _set_container_state(
        self,
        ns: str,
        pod: str,
        container: str,
        init: bool,
        state: Json,
        ready: bool,
        restart_count: int,
        phase: str | None,
    ) -> Json:
        obj = self.get_pod(ns, pod)
        spec, status = obj["spec"], obj.get("status") or {}
        key = "initContainerStatuses" if init else "containerStatuses"
        spec_key = "initContainers" if init else "containers"
        images = {c["name"]: c["image"] for c in spec.get(spec_key) or []}
        if container not in images:
            raise KeyError(f"pod {ns}/{pod} has no {spec_key[:-1]} named {container!r}")

        # The kubelet always reports every container; fill in the ones not set yet.
        statuses = {
            "initContainerStatuses": self._all_statuses(spec, status, init=True),
            "containerStatuses": self._all_statuses(spec, status, init=False),
        }
        statuses[key][container] = {
            "name": container,
            "state": state,
            "lastState": {},
            "ready": ready,
            "restartCount": restart_count,
            "image": images[container],
            "imageID": "",
            "started": "running" in state,
        }
        init_list = list(statuses["initContainerStatuses"].values())
        main_list = list(statuses["containerStatuses"].values())
        new_status: Json = {
            "phase": phase or _derive_phase(init_list, main_list),
            "conditions": _conditions(init_list, main_list),
            "containerStatuses": main_list,
            "startTime": status.get("startTime") or now_rfc3339(),
            "qosClass": status.get("qosClass") or "BestEffort",
        }
        if init_list:
            new_status["initContainerStatuses"] = init_list
        if spec.get("nodeName"):
            new_status["hostIP"] = "127.0.0.1"
        # Merge patch replaces lists wholesale, which is what we want here.
        return self.rest.merge_patch(
            f"/api/v1/namespaces/{ns}/pods/{pod}/status", {"status": new_status}
        )

    @staticmethod
    def _all_statuses(spec: Json, status: Json, init: bool) -> dict[str, Json]:
        spec_key = "initContainers" if init else "containers"
        key = "initContainerStatuses" if init else "containerStatuses"
        existing = {s["name"]: s for s in status.get(key) or []}
        has_init = bool(spec.get("initContainers"))
        default_reason = "PodInitializing" if (init or has_init) else "ContainerCreating"
        out: dict[str, Json] = {}
        for c in spec.get(spec_key) or []:
            out[c["name"]] = existing.get(c["name"]) or {
                "name": c["name"],
                "state": {"waiting": {"reason": default_reason}},
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": c["image"],
                "imageID": "",
                "started": False,
            }
        return out

    # -- events -----------------------------------------------------------------------------

    def emit_event(
        self,
        ns: str,
        pod: str,
        reason: str,
        message: str,
        type: str = "Warning",
        container: str | None = None,
        init: bool = False,
        count: int = 1,
        first_timestamp: dt.datetime | None = None,
        last_timestamp: dt.datetime | None = None,
    ) -> Json:
        """A core/v1 Event exactly as the kubelet's recorder writes it."""
        obj = self.get_pod(ns, pod)
        meta = obj["metadata"]
        node = obj["spec"].get("nodeName") or ""
        involved: Json = {
            "kind": "Pod",
            "namespace": ns,
            "name": pod,
            "uid": meta["uid"],
            "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if container is not None:
            spec_key = "initContainers" if init else "containers"
            involved["fieldPath"] = f"spec.{spec_key}{{{container}}}"
        now = dt.datetime.now(dt.timezone.utc)
        last = last_timestamp or now
        first = first_timestamp or last
        body: Json = {
            "metadata": {
                # client-go's recorder names events "<object>.<hex unix nanos>".
                "name": f"{pod}.{time.time_ns():x}",
                "namespace": ns,
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": "kubelet", **({"host": node} if node else {})},
            "firstTimestamp": now_rfc3339(first),
            "lastTimestamp": now_rfc3339(last),
            "count": count,
            "type": type,
            "eventTime": None,
            "reportingComponent": "kubelet",
            "reportingInstance": node,
        }
        return self.rest.post(f"/api/v1/namespaces/{ns}/events", body)

    def list_events(self, ns: str, **field_selectors: str) -> list[Json]:
        """Events in `ns`; keyword args become a field selector (dots as `__`)."""
        sel = ",".join(f"{k.replace('__', '.')}={v}" for k, v in field_selectors.items())
        query = {"fieldSelector": sel} if sel else {}
        return list(self.rest.get(f"/api/v1/namespaces/{ns}/events", **query)["items"])

    # -- kubelet sequences ------------------------------------------------------------------

    def simulate_pull_failure(
        self,
        ns: str,
        pod: str,
        container: str,
        image: str | None,
        runtime_error: str,
        backoff: bool = True,
        init: bool = False,
        count: int = 1,
    ) -> Json:
        """The kubelet's events and container status for a failed pull (tests/node checks them
        against a real kubelet's).

        `image=None` takes the container's image from the pod spec. Returns the patched pod.
        """
        if image is None:
            spec_key = "initContainers" if init else "containers"
            spec = self.get_pod(ns, pod)["spec"].get(spec_key) or []
            image = next(c["image"] for c in spec if c["name"] == container)
        ev = {"container": container, "init": init, "count": count}
        for reason, type_, message in pull_failure_events(image, runtime_error, backoff):
            self.emit_event(ns, pod, reason, message, type_, **ev)
        if not backoff:
            return self.set_container_waiting(
                ns, pod, container, "ErrImagePull", runtime_error, init=init
            )
        return self.set_container_waiting(
            ns, pod, container, "ImagePullBackOff", backoff_message(image, runtime_error), init=init
        )

    def simulate_missing_pull_secrets(
        self, ns: str, pod: str, names: Sequence[str], count: int = 1
    ) -> Json:
        """The pod-level Warning the kubelet emits on each sync for absent pull secrets."""
        return self.emit_event(
            ns,
            pod,
            "FailedToRetrieveImagePullSecret",
            f"Unable to retrieve some image pull secrets ({', '.join(names)}); "
            "attempting to pull the image may not succeed.",
            "Warning",
            count=count,
        )


def _derive_phase(init: list[Json], main: list[Json]) -> str:
    init_done = all("terminated" in s["state"] for s in init)
    if init_done and main and all("waiting" not in s["state"] for s in main):
        return "Running"
    return "Pending"


def _conditions(init: list[Json], main: list[Json]) -> list[Json]:
    ts = now_rfc3339()

    def cond(kind: str, ok: bool, reason: str | None = None, msg: str | None = None) -> Json:
        c: Json = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": ts}
        if not ok and reason:
            c["reason"] = reason
            c["message"] = msg or ""
        c["lastProbeTime"] = None
        return c

    pending_init = [s["name"] for s in init if not s["ready"]]
    unready = [s["name"] for s in main if not s["ready"]]
    unready_msg = f"containers with unready status: [{' '.join(unready)}]"
    return [
        cond(
            "Initialized",
            not pending_init,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(pending_init)}]",
        ),
        cond("Ready", not unready, "ContainersNotReady", unready_msg),
        cond("ContainersReady", not unready, "ContainersNotReady", unready_msg),
        cond("PodScheduled", True),
    ]


# --------------------------------------------------------------------------------------------
# Context-manager convenience


@contextlib.contextmanager
def running_control_plane(**kwargs: Any) -> Iterator[ControlPlane]:
    cp = ControlPlane(**kwargs)
    with cp:
        yield cp


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start etcd + kube-apiserver on loopback.")
    parser.add_argument("--assets", help="folder holding kube-apiserver and etcd")
    args = parser.parse_args(argv)
    # Both signals become KeyboardInterrupt, even where SIGINT was inherited as ignored
    # (background jobs), so the context manager always stops the processes.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with ControlPlane(assets_dir=args.assets) as cp:
            print(f"control plane ready in {cp.startup_seconds:.1f}s at {cp.server}")
            for user in cp.users:
                print(f"  {user:12s} kubeconfig: {cp.kubeconfig(user)}")
            print(f"\nexport KUBECONFIG={cp.kubeconfig('admin')}\nCtrl-C to stop.", flush=True)
            while True:
                time.sleep(0.5)
                if not cp.running:
                    print("a control-plane process died; stopping", file=sys.stderr)
                    print(cp.apiserver_log_tail(), file=sys.stderr)
                    return 1
    except KeyboardInterrupt:
        pass
    except AssetsNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How requests reach one API server: a connection pool with the cluster's TLS settings, and
the user's credentials as headers, fresh when asked (exec plugins).

Most kubeconfigs need nothing more than urllib3 and the standard library, which the kubernetes
client takes a third of a second to import: tokens, basic auth, client certificates, CAs,
tls-server-name, http(s) proxies (the kubeconfig's or the environment's) and exec plugins are
built here, as client-go builds them (rest.Config, transport.TLSConfigFor,
plugin/pkg/client/auth/exec). Auth providers, SOCKS proxies and the in-cluster config still
go through the kubernetes client (`from_configuration`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kubectl_pullsecret.cluster.errors import KubeError

POOL_SIZE = 16  # lookups go 8 at once, beside the event list and a list's next page
EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
_INTERACTIVE = threading.Lock()  # one plugin at a time may talk to the terminal


@dataclass
class Transport:
    """The server's address, a pool of connections to it, and the user's credentials."""

    host: str
    pool: Any  # urllib3.PoolManager
    verify: bool
    # The credentials' headers; `refresh` asks an exec plugin again (after a 401).
    auth: Callable[[bool], dict[str, str]] = field(default=lambda refresh: {})
    close: Callable[[], None] = field(default=lambda: None)


def usable_here(cluster: dict[str, Any], user: dict[str, Any]) -> bool:
    """Whether this module can build the transport without the kubernetes client."""
    return "auth-provider" not in user and not proxy_for(cluster).startswith("socks")


def proxy_for(cluster: dict[str, Any]) -> str:
    """The proxy requests to the server go through ("" for none): the cluster's proxy-url,
    else the environment's, as client-go's ProxyFromEnvironment reads it
    (golang.org/x/net/http/httpproxy): HTTPS_PROXY or HTTP_PROXY by the server's scheme (the
    upper-case name first), never for localhost or a loopback address, nor for a NO_PROXY
    entry (`*`, a host and its subdomains, `.domain`, an IP, a CIDR, each optionally with a
    port)."""
    if cluster.get("proxy-url"):
        return str(cluster["proxy-url"])
    from urllib.parse import urlsplit

    server = urlsplit(str(cluster.get("server") or ""))
    name = "HTTPS_PROXY" if server.scheme == "https" else "HTTP_PROXY"
    proxy = _environment(name)
    host = (server.hostname or "").lower()
    if not proxy or host == "localhost" or _loopback(host):
        return ""
    port = server.port or (443 if server.scheme == "https" else 80)
    if _no_proxy(host, port, _environment("NO_PROXY")):
        return ""
    return proxy if "://" in proxy else f"http://{proxy}"


def _environment(name: str) -> str:
    return os.environ.get(name) or os.environ.get(name.lower()) or ""


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_proxy(host: str, port: int, setting: str) -> bool:
    """httpproxy's useProxy, inverted: whether NO_PROXY spares this host and port."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in setting.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        with contextlib.suppress(ValueError):
            if "/" in entry:
                if address is not None and address in ipaddress.ip_network(entry, strict=False):
                    return True
                continue
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.strip("[]")
        try:
            entry_address = ipaddress.ip_address(name)
        except ValueError:
            entry_address = None  # a host name
        if entry_address is not None:  # an IP entry matches that address only
            if address == entry_address:
                return True
            continue
        if name.startswith("*."):
            name = name[1:]
        if name.startswith("."):
            if host.endswith(name) or host == name[1:]:
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    """`host:port` or `[v6]:port`, not a bare IPv6 address."""
    if entry.startswith("["):
        return "]:" in entry
    return entry.count(":") == 1


def build(
    cluster: dict[str, Any], user: dict[str, Any], user_name: str, context_name: str
) -> Transport:
    """The transport for a kubeconfig cluster and user entry, as validated and overridden by
    cluster.kubeconfig (flags applied, client-go's precedence between credentials settled)."""
    server = str(cluster["server"]).rstrip("/")
    plugin = (
        _ExecPlugin(user["exec"], cluster, user_name, context_name)
        if isinstance(user.get("exec"), dict)
        else None
    )
    pool = _Pool(cluster, user, server.startswith("https"))
    static = _static_headers(user)

    def auth(refresh: bool) -> dict[str, str]:
        if plugin is None:
            return static
        credential = plugin.credential(refresh)
        pool.use(credential.cert)
        return {"authorization": f"Bearer {credential.token}"} if credential.token else {}

    verify = cluster.get("insecure-skip-tls-verify") is not True
    return Transport(server, pool, verify, auth, pool.clear)


class _Pool:
    """The connections, with the client certificate of the moment: an exec plugin may hand out
    a new one when it runs again."""

    def __init__(self, cluster: dict[str, Any], user: dict[str, Any], tls: bool) -> None:
        self.cluster, self.user, self.tls = cluster, user, tls
        self._cert: tuple[bytes, bytes] | None = None
        self._pool: Any = None
        self._lock = threading.Lock()

    def use(self, cert: tuple[bytes, bytes] | None) -> None:
        with self._lock:
            if cert is not None and cert != self._cert:
                if self._pool is not None:
                    self._pool.clear()
                self._cert, self._pool = cert, None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = _pool(self.cluster, self.user, self._cert, self.tls)
            pool = self._pool
        return pool.request(*args, **kwargs)

    def clear(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.clear()


def from_configuration(configuration: Any) -> Transport:
    """A kubernetes.client.Configuration (auth providers, SOCKS, in-cluster) as a transport."""
    from kubernetes.client import ApiClient

    configuration.retries = False  # retries are ours: bounded by --request-timeout
    api = ApiClient(configuration)

    def auth(refresh: bool) -> dict[str, str]:
        # auth_settings() runs the refresh hook of auth providers and of the in-cluster token.
        return {
            setting["key"]: setting["value"]
            for setting in configuration.auth_settings().values()
            if setting.get("in") == "header" and setting.get("value")
        }

    return Transport(
        configuration.host.rstrip("/"),
        api.rest_client.pool_manager,
        bool(configuration.verify_ssl),
        auth,
        api.close,
    )


# --- TLS and the pool ---------------------------------------------------------------------------


def _data(entry: dict[str, Any], name: str) -> bytes | None:
    """A `*-data` field (base64), or the file its path field names."""
    data = entry.get(f"{name}-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=False)
        except (binascii.Error, ValueError):
            raise KubeError(f"invalid kubeconfig: {name}-data is not base64") from None
    path = entry.get(name)
    if path:
        try:
            with open(str(path), "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise KubeError(f"unable to read {name} {path}: {exc.strerror}") from None
    return None


def _pool(
    cluster: dict[str, Any], user: dict[str, Any], cert: tuple[bytes, bytes] | None, tls: bool
) -> Any:
    import urllib3

    kwargs: dict[str, Any] = {"maxsize": POOL_SIZE, "retries": False}
    if tls:
        if cluster.get("insecure-skip-tls-verify") is True:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        else:
            # The cluster's CA alone when it names one (as client-go), else the system's roots
            # (loading those takes a while: not when they are not used).
            ca = _data(cluster, "certificate-authority")
            cadata = _pem_text(ca, "certificate-authority") if ca is not None else None
            context = ssl.create_default_context(cadata=cadata)
        if cert is None:
            cert_pem, key_pem = _data(user, "client-certificate"), _data(user, "client-key")
            cert = (cert_pem, key_pem) if cert_pem and key_pem else None
        if cert is not None:
            _load_client_certificate(context, *cert)
        kwargs["ssl_context"] = context
        if cluster.get("tls-server-name"):  # SNI, and the name the certificate must hold
            kwargs["server_hostname"] = str(cluster["tls-server-name"])
    proxy = proxy_for(cluster)
    if proxy:
        return urllib3.ProxyManager(proxy, **kwargs)
    return urllib3.PoolManager(**kwargs)


def _pem_text(data: bytes, what: str) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise KubeError(f"invalid kubeconfig: {what} is not PEM") from None


def _load_client_certificate(context: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    """The ssl module reads a certificate and key from files only: an anonymous memory file on
    Linux, so that nothing is written; elsewhere a private file removed at once."""
    with _memory_file(cert + b"\n" + key) as path:
        try:
            context.load_cert_chain(path)
        except ssl.SSLError as exc:
            raise KubeError(
                f"the client certificate and key do not load ({exc.reason or 'invalid PEM'})"
            ) from None


@contextlib.contextmanager
def _memory_file(content: bytes) -> Iterator[str]:
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("kubectl-pullsecret-client-cert")
        try:
            os.write(fd, content)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    fd, path = tempfile.mkstemp(prefix="kubectl-pullsecret-")
    try:
        os.write(fd, content)
        os.close(fd)
        yield path
    finally:
        os.unlink(path)


def _static_headers(user: dict[str, Any]) -> dict[str, str]:
    if user.get("token"):
        return {"authorization": f"Bearer {user['token']}"}
    if user.get("username"):
        pair = f"{user['username']}:{user.get('password') or ''}".encode()
        return {"authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    return {}


# --- exec plugins -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Credential:
    token: str = field(default="", repr=False)
    cert: tuple[bytes, bytes] | None = field(default=None, repr=False)
    expires: float | None = None  # epoch seconds


class _ExecPlugin:
    """client-go's exec authenticator: runs the plugin, keeps its credential until it expires
    or the server refuses it, and runs it again then."""

    def __init__(
        self, config: dict[str, Any], cluster: dict[str, Any], user: str, context: str
    ) -> None:
        self.config = config
        self.cluster = cluster
        self.who = f'the exec plugin of user "{user}" (context "{context}")'
        self.api_version = str(config.get("apiVersion") or "")
        if self.api_version not in EXEC_API_VERSIONS:
            raise KubeError(
                f"{self.who} asks for apiVersion {self.api_version or '(none)'!r}; kubectl "
                f"supports {' and '.join(EXEC_API_VERSIONS)}"
            )
        self._cached: _Credential | None = None
        self._lock = threading.Lock()

    def credential(self, refresh: bool) -> _Credential:
        import time

        with self._lock:
            cached = self._cached
            fresh = cached is not None and (cached.expires is None or cached.expires > time.time())
            if refresh or not fresh:
                self._cached = self._run()
            assert self._cached is not None
            return self._cached

    def _interactive(self) -> bool:
        mode = str(self.config.get("interactiveMode") or "IfAvailable")
        terminal = sys.stdin is not None and sys.stdin.isatty()
        if mode == "Always" and not terminal:
            raise KubeError(f"{self.who} needs a terminal (interactiveMode: Always)")
        return mode != "Never" and terminal

    def _run(self) -> _Credential:
        command = str(self.config.get("command") or "")
        args = [str(a) for a in self.config.get("args") or []]
        env = dict(os.environ)
        for pair in self.config.get("env") or []:
            if isinstance(pair, dict) and pair.get("name"):
                env[str(pair["name"])] = str(pair.get("value") or "")
        interactive = self._interactive()  # client-go asks whether stdin is a terminal
        spec: dict[str, Any] = {"interactive": interactive}
        if self.config.get("provideClusterInfo"):
            spec["cluster"] = self._cluster_info()
        env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}
        )
        lock = _INTERACTIVE if interactive else contextlib.nullcontext()
        try:
            with lock:
                process = subprocess.run(
                    [command, *args],
                    env=env,
                    stdin=None if interactive else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=None if interactive else subprocess.PIPE,
                    check=False,
                )
        except OSError as exc:
            hint = str(self.config.get("installHint") or "").strip()
            raise KubeError(
                f"{self.who} cannot run {command!r}: {exc.strerror}"
                + (f"; {hint.splitlines()[0]}" if hint else "")
            ) from None
        if process.returncode != 0:
            said = (process.stderr or b"").decode(errors="replace").strip()
            raise KubeError(
                f"{self.who} failed: exit status {process.returncode}"
                + (f": {said.splitlines()[0]}" if said else "")
                + "; log in again (kubectl would fail the same way)"
            )
        return self._parse(process.stdout)

    def _parse(self, output: bytes) -> _Credential:
        try:
            document = json.loads(output)
        except ValueError:
            raise KubeError(f"{self.who} printed no ExecCredential (not JSON)") from None
        status = document.get("status") if isinstance(document, dict) else None
        if not isinstance(status, dict) or document.get("apiVersion") != self.api_version:
            raise KubeError(
                f"{self.who} printed no ExecCredential of apiVersion {self.api_version}"
            )
        token = str(status.get("token") or "")
        cert_pem, key_pem = status.get("clientCertificateData"), status.get("clientKeyData")
        cert = (str(cert_pem).encode(), str(key_pem).encode()) if cert_pem and key_pem else None
        if not token and cert is None:
            raise KubeError(f"{self.who} gave neither a token nor a client certificate and key")
        from kubectl_pullsecret.secrecy import remember

        remember([token] if token else [])
        return _Credential(token, cert, _expiry(status.get("expirationTimestamp")))

    def _cluster_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"server": self.cluster.get("server")}
        ca = _data(self.cluster, "certificate-authority")
        if ca is not None:
            info["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
        for key in ("insecure-skip-tls-verify", "tls-server-name", "proxy-url"):
            if self.cluster.get(key):
                info[key] = self.cluster[key]
        for extension in self.cluster.get("extensions") or []:
            if (
                isinstance(extension, dict)
                and extension.get("name") == "client.authentication.k8s.io/exec"
            ):
                info["config"] = extension.get("extension")
        return info


def _expiry(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None

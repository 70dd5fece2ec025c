"""The one module that talks to the Kubernetes API.

Configuration follows kubectl (clientcmd): `--kubeconfig` means that file only; otherwise the
KUBECONFIG list, where the first file to set a value wins (current-context included); otherwise
~/.kube/config; in-cluster config last. Refreshed credentials are never written back.

Requests are raw JSON GETs over the official client's configured connection pool (TLS, client
certificates, bearer tokens, exec plugins): no model deserialization, paginated lists, and
server-side field selectors so that the number of requests follows the trouble, not the
cluster's size.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

log = logging.getLogger("kubectl_pullsecret.kube")

PAGE_SIZE = 500
MAX_ATTEMPTS = 4  # for 429, 5xx and connection failures
MAX_LIST_RESTARTS = 2  # after 410 Gone on a continue token
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
SERVICE_ACCOUNT_DIR = Path(
    "/var/run/secrets/kubernetes.io/serviceaccount"
)  # in-cluster credentials


class KubeError(Exception):
    """The command cannot do its job (exit 2). The message is one line, safe to print."""


class ApiStatusError(KubeError):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Forbidden(ApiStatusError):
    pass


class NotFound(ApiStatusError):
    pass


class Expired(ApiStatusError):
    pass


@dataclass(frozen=True)
class KubeOptions:
    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    request_timeout: float | None = None  # seconds; None means the defaults above


def parse_request_timeout(value: str | None) -> float | None:
    """kubectl's --request-timeout: '0' (none), a bare number of seconds, or 1s/2m/3h, 500ms."""
    if value is None:
        return None
    text = value.strip()
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    try:
        for suffix, factor in units:
            if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
                seconds = float(text[: -len(suffix)]) * factor
                break
        else:
            seconds = float(int(text))
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise KubeError(
            f"invalid --request-timeout {value!r}: use a duration like 30s, 2m or 0 (no timeout)"
        )
    return seconds or None


# --- kubeconfig -------------------------------------------------------------------------------


def _kubeconfig_paths(explicit: str | None) -> list[Path]:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise KubeError(f"--kubeconfig {explicit}: no such file")
        return [path]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [
            Path(p).expanduser()
            for p in env.split(os.pathsep)
            if p and Path(p).expanduser().is_file()
        ]
    default = Path.home() / ".kube" / "config"
    return [default] if default.is_file() else []


_PATH_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def _absolutize(kind: str, item: dict[str, Any], base: Path) -> None:
    """kubectl resolves a file's relative paths against that file's folder."""
    inner_key, fields = _PATH_FIELDS[kind]
    inner = item.get(inner_key)
    if not isinstance(inner, dict):
        return
    for name in fields:
        value = inner.get(name)
        if isinstance(value, str) and value and not os.path.isabs(value):
            inner[name] = str(base / value)
    exec_config = inner.get("exec") if kind == "users" else None
    if isinstance(exec_config, dict):
        command = exec_config.get("command")
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            exec_config["command"] = str(base / command)


def merge_kubeconfigs(documents: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """clientcmd's merge: per named cluster/context/user and for current-context, the first wins."""
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    seen: dict[str, set[str]] = {k: set() for k in merged}
    for path, document in documents:
        if not isinstance(document, dict):
            raise KubeError(f"kubeconfig {path} is not a mapping")
        if document.get("current-context") and "current-context" not in merged:
            merged["current-context"] = document["current-context"]
        for kind in ("clusters", "contexts", "users"):
            for item in document.get(kind) or []:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise KubeError(f"kubeconfig {path}: malformed {kind} entry")
                if item["name"] in seen[kind]:
                    continue
                seen[kind].add(item["name"])
                if kind in _PATH_FIELDS:
                    _absolutize(kind, item, path.parent)
                merged[kind].append(item)
    return merged


def _load_documents(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    import yaml

    documents = []
    for path in paths:
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
            raise KubeError(f"cannot read kubeconfig {path}: {type(exc).__name__}") from None
        documents.append((path, document))
    return documents


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get("name") == name), None)


@dataclass
class ResolvedConfig:
    configuration: Any  # kubernetes.client.Configuration
    namespace: str
    context: str
    user: str


def resolve_config(options: KubeOptions) -> ResolvedConfig:
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    configuration = Configuration()
    paths = _kubeconfig_paths(options.kubeconfig)
    if not paths:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not options.context:
            return _in_cluster(configuration, options)
        raise KubeError(
            "no kubeconfig found (looked at KUBECONFIG and ~/.kube/config) and not running in a "
            "cluster; pass --kubeconfig or set KUBECONFIG"
        )
    merged = merge_kubeconfigs(_load_documents(paths))
    context_name = options.context or merged.get("current-context")
    if not context_name:
        raise KubeError("the kubeconfig has no current-context; pass --context NAME")
    context_item = _named(merged["contexts"], context_name)
    if context_item is None or not isinstance(context_item.get("context"), dict):
        raise KubeError(f'context "{context_name}" not found in the kubeconfig')
    context = dict(context_item["context"])
    if options.cluster:
        context["cluster"] = options.cluster
    if options.user:
        context["user"] = options.user
    if _named(merged["clusters"], str(context.get("cluster", ""))) is None:
        raise KubeError(
            f'cluster "{context.get("cluster", "")}" (context "{context_name}") not found in the kubeconfig'
        )
    if options.user and _named(merged["users"], options.user) is None:
        raise KubeError(f'user "{options.user}" not found in the kubeconfig')
    merged["contexts"] = [{"name": context_name, "context": context}]

    from kubernetes.config.kube_config import KubeConfigLoader

    try:
        # No config_persister: refreshed tokens are never written back to the user's files.
        loader = KubeConfigLoader(config_dict=merged, active_context=context_name)
        loader.load_and_set(configuration)
    except ConfigException as exc:
        raise KubeError(
            f"invalid kubeconfig (context {context_name}): {_first_line(str(exc))}"
        ) from None
    except OSError as exc:
        raise KubeError(
            f"kubeconfig (context {context_name}): {exc.strerror}: {exc.filename}"
        ) from None
    namespace = options.namespace or context.get("namespace") or "default"
    return ResolvedConfig(configuration, namespace, context_name, str(context.get("user", "")))


def _in_cluster(configuration: Any, options: KubeOptions) -> ResolvedConfig:
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    try:
        InClusterConfigLoader(
            token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
            cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
        ).load_and_set(configuration)
    except ConfigException as exc:
        raise KubeError(f"in-cluster configuration failed: {_first_line(str(exc))}") from None
    try:
        namespace = (
            options.namespace
            or (SERVICE_ACCOUNT_DIR / "namespace").read_text().strip()
            or "default"
        )
    except OSError:
        namespace = options.namespace or "default"
    return ResolvedConfig(configuration, namespace, "in-cluster", "serviceaccount")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


# --- requests ---------------------------------------------------------------------------------


@dataclass
class RequestStats:
    requests: int = 0
    bytes_read: int = 0


class KubeClient:
    """GETs raw JSON from the API server. Counts requests and bytes for --debug."""

    def __init__(self, options: KubeOptions) -> None:
        self.options = options
        resolved = resolve_config(options)
        self.namespace = resolved.namespace
        self.context = resolved.context
        self.user = resolved.user
        self._configuration = resolved.configuration
        self._configuration.retries = False  # retries are ours: bounded by --request-timeout
        from kubernetes.client import ApiClient

        self._api = ApiClient(self._configuration)
        self._auth = self._auth_headers()
        self.stats = RequestStats()
        self._started = time.monotonic()

    def close(self) -> None:
        self._api.close()

    def _auth_headers(self) -> dict[str, str]:
        # auth_settings() runs the refresh hook of exec plugins and names the header in a way
        # that holds across client versions. It costs about 1 ms, so once, and again on 401.
        return {
            setting["key"]: setting["value"]
            for setting in self._configuration.auth_settings().values()
            if setting.get("in") == "header" and setting.get("value")
        }

    def _timeout(self) -> Any:
        import urllib3

        budget = self.options.request_timeout
        if budget is None:
            return urllib3.Timeout(connect=DEFAULT_CONNECT_TIMEOUT, read=DEFAULT_READ_TIMEOUT)
        return urllib3.Timeout(connect=budget, read=budget)

    def _budget_left(self) -> float | None:
        if self.options.request_timeout is None:
            return None
        return self.options.request_timeout - (time.monotonic() - self._started)

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        url = self._configuration.host.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        shown = path + ("?" + urlencode(query) if query else "")
        delay = 0.2
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            started = time.monotonic()
            try:
                response = self._api.rest_client.pool_manager.request(
                    "GET",
                    url,
                    headers={
                        "Accept": "application/json",
                        "User-Agent": "kubectl-pullsecret",
                        **self._auth,
                    },
                    timeout=self._timeout(),
                    retries=False,
                    preload_content=False,
                )
                body = response.read()
                response.release_conn()
            except Exception as exc:  # urllib3 raises many kinds; all mean "no answer"
                failure = _describe_transport_error(exc, self._configuration.host)
                log.debug(
                    "GET %s failed after %.0f ms: %s",
                    shown,
                    1000 * (time.monotonic() - started),
                    failure,
                )
                if attempt < MAX_ATTEMPTS and _retryable_transport(exc) and self._can_wait(delay):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise KubeError(failure) from None
            self.stats.requests += 1
            self.stats.bytes_read += len(body)
            log.debug(
                "GET %s -> %d in %.0f ms, %d bytes",
                shown,
                response.status,
                1000 * (time.monotonic() - started),
                len(body),
            )
            if 200 <= response.status < 300:
                try:
                    document = json.loads(body)
                except ValueError:
                    raise KubeError(f"the API server sent invalid JSON for {path}") from None
                if not isinstance(document, dict):
                    raise KubeError(f"the API server sent an unexpected document for {path}")
                return document
            if response.status == 401 and not refreshed:
                # An exec plugin's token may have expired during the run: ask it once more.
                refreshed = True
                fresh = self._auth_headers()
                if fresh != self._auth:
                    self._auth = fresh
                    continue
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if (response.status == 429 or response.status >= 500) and attempt < MAX_ATTEMPTS:
                wait = max(delay, retry_after or 0.0)
                if self._can_wait(wait):
                    time.sleep(wait)
                    delay *= 2
                    continue
            raise self._status_error(response.status, body, path)
        raise KubeError(f"GET {path}: gave up after {MAX_ATTEMPTS} attempts")  # pragma: no cover

    def _can_wait(self, seconds: float) -> bool:
        left = self._budget_left()
        return left is None or left > seconds

    def _status_error(self, status: int, body: bytes, path: str) -> ApiStatusError:
        from kubectl_pullsecret.events import scrub

        try:
            document = json.loads(body)
            message = str(document.get("message") or "")
            reason = str(document.get("reason") or "")
        except (ValueError, AttributeError):
            message, reason = "", ""
        message = scrub(message or f"HTTP {status} for {path}", 300)
        if status == 401:
            raise KubeError(
                f'the API server rejected the credentials of user "{self.user}" (context '
                f'"{self.context}"): 401 Unauthorized; log in again or check the kubeconfig'
            )
        if status == 403:
            return Forbidden(status, reason, message)
        if status == 404:
            return NotFound(status, reason, message)
        if status == 410:
            return Expired(status, reason, message)
        if status == 429 or status >= 500:
            return ApiStatusError(
                status, reason, f"the API server keeps failing ({status}): {message}"
            )
        return ApiStatusError(status, reason, message)

    def list_all(self, path: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a list, page by page; a 410 on a continue token restarts it cleanly."""
        for restart in range(MAX_LIST_RESTARTS + 1):
            items: list[dict[str, Any]] = []
            params = dict(query or {}, limit=str(PAGE_SIZE))
            try:
                while True:
                    page = self.get(path, params)
                    items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        return items
                    params["continue"] = token
            except Expired:
                if "continue" not in params or restart == MAX_LIST_RESTARTS:
                    raise
                log.debug("continue token expired for %s; restarting the list", path)
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 10.0) if value else None
    except ValueError:
        return None


def _retryable_transport(exc: Exception) -> bool:
    import urllib3.exceptions as ue

    # A refused or reset connection may be a restarting server; TLS and DNS errors will not heal.
    return isinstance(exc, (ue.NewConnectionError, ue.ProtocolError)) and not isinstance(
        exc, ue.NameResolutionError
    )


def _describe_transport_error(exc: Exception, host: str) -> str:
    import urllib3.exceptions as ue

    reason = exc.reason if isinstance(exc, ue.MaxRetryError) and exc.reason else exc
    text = str(reason)
    if "Connection refused" in text:  # urllib3 2 makes refusals a kind of connect timeout
        what = "connection refused"
    elif isinstance(reason, ue.SSLError) or "CERTIFICATE_VERIFY_FAILED" in text:
        what = "TLS verification failed (wrong CA or server name in the kubeconfig?)"
    elif isinstance(reason, ue.NameResolutionError) or "Name or service not known" in text:
        what = "the server's name does not resolve"
    elif isinstance(reason, (ue.ConnectTimeoutError,)):
        what = "timed out connecting"
    elif isinstance(reason, ue.ReadTimeoutError):
        what = "timed out waiting for an answer"
    elif isinstance(reason, ue.ProtocolError):
        what = "the connection broke off"
    else:
        what = type(reason).__name__
    return f"cannot reach the API server at {host}: {what}; check the cluster is up and the context is right (--context, --request-timeout)"


# --- resource paths ---------------------------------------------------------------------------


def core_path(resource: str, namespace: str | None = None, name: str | None = None) -> str:
    path = "/api/v1"
    if namespace is not None:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{resource}"
    if name is not None:
        path += f"/{quote(name, safe='')}"
    return path


def check_namespace(client: KubeClient, namespace: str, warnings: list[str]) -> None:
    """After an empty answer: a namespace that does not exist is an error, as in kubectl get -n."""
    try:
        client.get(core_path("namespaces", name=namespace))
    except NotFound:
        raise KubeError(f'namespace "{namespace}" not found') from None
    except Forbidden:
        warnings.append(
            f'cannot check that namespace "{namespace}" exists (forbidden: get namespaces); an empty answer may mean it does not'
        )
    except ApiStatusError:
        pass  # an empty result is still an answer


# --- gathering what a diagnosis needs ---------------------------------------------------------

# Above this many distinct objects, one list per type beats one GET per object.
BULK_THRESHOLD = 8


@dataclass
class Gathered:
    contexts: list[Any]  # list[PodContext]
    warnings: list[str]
    sensitive: list[str]  # decoded secret material, for the output redactor


def _pull_secret_types() -> tuple[str, ...]:
    from kubectl_pullsecret.dockerconfig import PULL_SECRET_TYPES

    return tuple(PULL_SECRET_TYPES)


def sensitive_values(secret: dict[str, Any]) -> list[str]:
    """Everything in a Secret that must never be printed: raw values and decoded passwords."""
    from kubectl_pullsecret.dockerconfig import decode_secret, decode_secret_data

    values: list[str] = []
    data = secret.get("data") if isinstance(secret.get("data"), dict) else {}
    values.extend(v for v in data.values() if isinstance(v, str))
    decoded_data, _ = decode_secret_data(data)
    decoded = decode_secret(str(secret.get("type") or ""), decoded_data)
    for entry in decoded.entries:
        values.append(entry.password)
        values.extend(key_secrets(entry.key))
    for raw in decoded_data.values():
        values.extend(_auth_fields(raw))
    return [v for v in values if len(v) >= 4]


def key_secrets(key: str) -> list[str]:
    """The userinfo of a registry key written as a URL (https://user:password@host/)."""
    from kubectl_pullsecret.dockerconfig import key_userinfo

    userinfo = key_userinfo(key)
    return [userinfo, userinfo.partition(":")[2]] if userinfo else []


def _auth_fields(raw: bytes) -> list[str]:
    import re

    return re.findall(r'"auth"\s*:\s*"([^"]+)"', raw.decode("utf-8", "replace"), flags=re.I)


class Gatherer:
    """Fetches what the diagnosis needs with as few requests as the trouble allows."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.warnings: list[str] = []
        self.sensitive: list[str] = []
        self._by_name: dict[str, list[dict[str, Any]] | None] = {}

    # pods and events

    def failing_pods(self, namespace: str | None, selector: str | None) -> list[dict[str, Any]]:
        """Pending pods, plus pods that pull-failure events point at (Running ones included)."""
        # resourceVersion=0: served from the API server's watch cache instead of a full etcd
        # read (1.4 s -> 17 ms at 10,000 pods); it may lag by milliseconds.
        query = {"fieldSelector": "status.phase=Pending", "resourceVersion": "0"}
        if selector:
            query["labelSelector"] = selector
        try:
            pods = self.client.list_all(core_path("pods", namespace), query)
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None
        if namespace is not None and not pods:
            self._check_namespace(namespace)
        return pods

    def pod(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            return self.client.get(core_path("pods", namespace, name))
        except NotFound:
            raise KubeError(f'pod "{name}" not found in namespace "{namespace}"') from None
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: get pods)") from None

    def pod_if_selected(
        self, namespace: str, name: str, selector: str | None
    ) -> dict[str, Any] | None:
        query = {"fieldSelector": f"metadata.name={name}"}
        if selector:
            query["labelSelector"] = selector
        try:
            items = self.client.list_all(core_path("pods", namespace), query)
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None
        return items[0] if items else None

    def _check_namespace(self, namespace: str) -> None:
        check_namespace(self.client, namespace, self.warnings)

    def pull_events(self, namespace: str | None) -> list[dict[str, Any]]:
        """The kubelet's pull-failure Warnings. One list: every events list is a full etcd scan
        on the server, so filtering the reasons here beats one request per reason."""
        from kubectl_pullsecret.events import PULL_EVENT_REASONS

        query = {"fieldSelector": "involvedObject.kind=Pod,type=Warning"}
        try:
            events = self.client.list_all(core_path("events", namespace), query)
        except Forbidden:
            self.warnings.append(
                "cannot list events (forbidden): pods that still run despite pull failures, "
                "and FailedToRetrieveImagePullSecret warnings, are not seen"
            )
            return []
        return [e for e in events if e.get("reason") in PULL_EVENT_REASONS]

    def pod_events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        query = {"fieldSelector": f"involvedObject.kind=Pod,involvedObject.name={name}"}
        try:
            return self.client.list_all(core_path("events", namespace), query)
        except Forbidden:
            self.warnings.append(
                f"cannot list events in namespace {namespace} (forbidden); the kubelet's messages are not used"
            )
            return []

    # secrets and service accounts

    def _named_everywhere(self, name: str) -> list[dict[str, Any]] | None:
        """Every secret of this name in any namespace: one request per name, cached; None
        when RBAC forbids listing secrets across namespaces."""
        if name not in self._by_name:
            try:
                items = self.client.list_all(
                    core_path("secrets"), {"fieldSelector": f"metadata.name={name}"}
                )
            except Forbidden:
                self._by_name[name] = None
            else:
                for item in items:
                    self.sensitive.extend(sensitive_values(item))
                self._by_name[name] = items
        return self._by_name[name]

    def secrets(
        self, wanted: set[tuple[str, str]], all_namespaces: bool
    ) -> dict[tuple[str, str], Any]:
        """The wanted (namespace, name) secrets: a GET each when few; otherwise one list per
        pull-secret type, and one cross-namespace lookup per name for the rest (missing or of
        another type), which also says where else they exist."""
        from kubectl_pullsecret.diagnosis import SecretFetch, SecretStatus
        from kubectl_pullsecret.objects import secret_fetch

        found: dict[tuple[str, str], Any] = {}
        namespaces = {ns for ns, _ in wanted}
        if len(wanted) > BULK_THRESHOLD:
            scope = None if all_namespaces or len(namespaces) > 1 else next(iter(namespaces))
            try:
                for secret_type in _pull_secret_types():
                    for item in self.client.list_all(
                        core_path("secrets", scope), {"fieldSelector": f"type={secret_type}"}
                    ):
                        meta = item.get("metadata") or {}
                        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
                        if key in wanted:
                            self.sensitive.extend(sensitive_values(item))
                            found[key] = secret_fetch(key[1], item)
            except Forbidden:
                pass  # fall back to one GET per secret
            for name in sorted({n for _, n in wanted - found.keys()}):
                items = self._named_everywhere(name)
                if items is None:
                    continue
                by_namespace = {
                    str((i.get("metadata") or {}).get("namespace", "")): i for i in items
                }
                for namespace in sorted(ns for ns, n in wanted - found.keys() if n == name):
                    item = by_namespace.get(namespace)
                    found[(namespace, name)] = (
                        secret_fetch(name, item)
                        if item
                        else SecretFetch(
                            name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"'
                        )
                    )
        for key in sorted(wanted - found.keys()):
            namespace, name = key
            try:
                item = self.client.get(core_path("secrets", namespace, name))
            except NotFound:
                found[key] = SecretFetch(
                    name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"'
                )
            except Forbidden:
                found[key] = SecretFetch(
                    name,
                    SecretStatus.FORBIDDEN,
                    detail=f"RBAC forbids `get secrets` for user {self.client.user}",
                )
            except ApiStatusError as exc:
                found[key] = SecretFetch(name, SecretStatus.ERROR, detail=str(exc))
            else:
                self.sensitive.extend(sensitive_values(item))
                found[key] = secret_fetch(name, item)
        return found

    def secrets_elsewhere(self, name: str, namespace: str) -> tuple[list[tuple[str, str]], bool]:
        """Other namespaces holding a secret of this name, with its type; and whether we could look."""
        items = self._named_everywhere(name)
        if items is None:
            return [], False
        return [
            (str((i.get("metadata") or {}).get("namespace", "")), str(i.get("type") or ""))
            for i in items
            if (i.get("metadata") or {}).get("namespace") != namespace
        ], True

    def service_accounts(
        self, wanted: set[tuple[str, str]], all_namespaces: bool
    ) -> dict[tuple[str, str], Any]:
        from kubectl_pullsecret.diagnosis import SecretStatus, ServiceAccountFacts
        from kubectl_pullsecret.objects import service_account_facts

        found: dict[tuple[str, str], Any] = {}
        namespaces = {ns for ns, _ in wanted}
        if len(wanted) > BULK_THRESHOLD:
            scope = None if all_namespaces or len(namespaces) > 1 else next(iter(namespaces))
            try:
                for item in self.client.list_all(core_path("serviceaccounts", scope)):
                    meta = item.get("metadata") or {}
                    key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
                    if key in wanted:
                        found[key] = service_account_facts(key[1], item)
            except Forbidden:
                pass
        for key in sorted(wanted - found.keys()):
            namespace, name = key
            try:
                found[key] = service_account_facts(
                    name, self.client.get(core_path("serviceaccounts", namespace, name))
                )
            except NotFound:
                found[key] = ServiceAccountFacts(name, SecretStatus.MISSING)
            except Forbidden:
                found[key] = ServiceAccountFacts(name, SecretStatus.FORBIDDEN)
                self.warnings.append(
                    f"cannot read serviceaccount {namespace}/{name} (forbidden: get serviceaccounts): "
                    "its imagePullSecrets are not compared with the Pod's"
                )
            except ApiStatusError:
                found[key] = ServiceAccountFacts(name, SecretStatus.ERROR)
        return found


def gather_diagnosis(
    client: KubeClient, namespace: str | None, name: str | None, selector: str | None
) -> Gathered:
    """Pods to diagnose with their secrets, ServiceAccounts and events.

    With a name: that Pod. Otherwise every Pod in scope with an image pull problem: Pending pods
    (one paginated list, server-filtered by phase) and pods that pull-failure events name
    (server-filtered by reason), so healthy Running pods are never transferred.
    """
    from kubectl_pullsecret.diagnosis import PodContext, pod_needs_attention
    from kubectl_pullsecret.objects import event_target, pod_event, pod_facts

    gatherer = Gatherer(client)
    all_namespaces = namespace is None
    raw_pods: dict[tuple[str, str], dict[str, Any]] = {}
    events_by_pod: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if name is not None:
        assert namespace is not None
        raw_pods[(namespace, name)] = gatherer.pod(namespace, name)
        events_by_pod[(namespace, name)] = gatherer.pod_events(namespace, name)
    else:
        for pod in gatherer.failing_pods(namespace, selector):
            meta = pod.get("metadata") or {}
            raw_pods[(str(meta.get("namespace", "")), str(meta.get("name", "")))] = pod
        for event in gatherer.pull_events(namespace):
            ns, pod_name, _ = event_target(event)
            events_by_pod.setdefault((ns, pod_name), []).append(event)
        for key in sorted(events_by_pod.keys() - raw_pods.keys()):
            pod = gatherer.pod_if_selected(key[0], key[1], selector)
            if pod is not None:
                raw_pods[key] = pod

    pods = []
    for key, raw in raw_pods.items():
        facts = pod_facts(raw)
        # Events outlive pods: keep only those about this incarnation of the name.
        events = tuple(
            pod_event(e)
            for e in events_by_pod.get(key, [])
            if event_target(e)[2] in ("", facts.uid)
        )
        if name is not None or pod_needs_attention(facts, events):
            pods.append((facts, events))

    wanted_sas = {(f.namespace, f.service_account) for f, _ in pods}
    accounts = gatherer.service_accounts(wanted_sas, all_namespaces) if wanted_sas else {}
    wanted_secrets = {(f.namespace, n) for f, _ in pods for n in f.pull_secret_names if n}
    secrets = gatherer.secrets(wanted_secrets, all_namespaces) if wanted_secrets else {}

    from kubectl_pullsecret.diagnosis import SecretStatus

    contexts = []
    for facts, events in sorted(pods, key=lambda p: (p[0].namespace, p[0].name)):
        pod_secrets = {n: secrets[(facts.namespace, n)] for n in facts.pull_secret_names if n}
        elsewhere: dict[str, tuple[str, ...]] = {}
        elsewhere_types: dict[str, str] = {}
        unknown = False
        for secret_name, fetch in pod_secrets.items():
            if fetch.status is not SecretStatus.MISSING:
                continue
            found, could_look = gatherer.secrets_elsewhere(secret_name, facts.namespace)
            unknown |= not could_look
            if found:
                elsewhere[secret_name] = tuple(ns for ns, _ in found)
                elsewhere_types[secret_name] = found[0][1]
        contexts.append(
            PodContext(
                pod=facts,
                secrets=pod_secrets,
                service_account=accounts.get((facts.namespace, facts.service_account)),
                events=events,
                elsewhere=elsewhere,
                elsewhere_types=elsewhere_types,
                elsewhere_unknown=unknown,
            )
        )
    return Gathered(contexts, gatherer.warnings, gatherer.sensitive)


def fetch_secrets(
    client: KubeClient, namespace: str, names: list[str]
) -> tuple[list[tuple[str, Any]], list[str]]:
    """Secrets by name for `check`, in the order given: [(name, SecretFetch)] and secret material."""
    from kubectl_pullsecret.diagnosis import SecretStatus

    gatherer = Gatherer(client)
    found = gatherer.secrets({(namespace, n) for n in names}, all_namespaces=False)
    if any(f.status is SecretStatus.MISSING for f in found.values()):
        check_namespace(client, namespace, gatherer.warnings)
    return [(n, found[(namespace, n)]) for n in names], gatherer.sensitive


@dataclass
class ShownSecret:
    view: Any  # SecretView
    decoded: Any  # DecodedSecret, passwords included: for --verify only
    pod_images: tuple[str, ...]  # images of the Pods that reference the secret
    warnings: list[str]
    sensitive: list[str]


def _users_in(
    client: KubeClient, namespace: str | None, warnings: list[str]
) -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]]]:
    """Who references which pull secret in scope: {(ns, secret): [pod/x, serviceaccount/y]},
    and {(ns, secret): images of those Pods}. One list of Pods and one of ServiceAccounts."""
    from kubectl_pullsecret.objects import names_of, pod_facts

    users: dict[tuple[str, str], list[str]] = {}
    images: dict[tuple[str, str], list[str]] = {}
    where = f"namespace {namespace}" if namespace else "any namespace"
    try:
        for pod in client.list_all(core_path("pods", namespace)):
            facts = pod_facts(pod)
            for name in dict.fromkeys(n for n in facts.pull_secret_names if n):
                users.setdefault((facts.namespace, name), []).append(f"pod/{facts.name}")
                images.setdefault((facts.namespace, name), []).extend(
                    c.image for c in facts.containers
                )
    except Forbidden:
        warnings.append(f"cannot list pods in {where} (forbidden); 'used by' is incomplete")
    try:
        for account in client.list_all(core_path("serviceaccounts", namespace)):
            meta = account.get("metadata") or {}
            for name in dict.fromkeys(n for n in names_of(account.get("imagePullSecrets")) if n):
                users.setdefault((str(meta.get("namespace", "")), name), []).append(
                    f"serviceaccount/{meta.get('name', '')}"
                )
    except Forbidden:
        warnings.append(
            f"cannot list serviceaccounts in {where} (forbidden); 'used by' is incomplete"
        )
    return users, images


def gather_secret(client: KubeClient, namespace: str, name: str, reveal: bool) -> ShownSecret:
    """`show SECRET`: the secret decoded, who uses it, and the images they pull."""
    from kubectl_pullsecret.dockerconfig import decode_secret, decode_secret_data
    from kubectl_pullsecret.show import view_secret

    try:
        secret = client.get(core_path("secrets", namespace, name))
    except NotFound:
        raise KubeError(f'secret "{name}" not found in namespace "{namespace}"') from None
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: get secrets)") from None
    warnings: list[str] = []
    data, _ = decode_secret_data(secret.get("data") if isinstance(secret.get("data"), dict) else {})
    decoded = decode_secret(str(secret.get("type") or ""), data)
    users, images = _users_in(client, namespace, warnings)
    view = view_secret(
        namespace, name, decoded, tuple(users.get((namespace, name), ())), reveal=reveal
    )
    pod_images = tuple(dict.fromkeys(images.get((namespace, name), ())))
    return ShownSecret(view, decoded, pod_images, warnings, sensitive_values(secret))


def gather_secrets(
    client: KubeClient, namespace: str | None
) -> tuple[list[Any], list[str], list[str]]:
    """`show` without a name: every docker-registry Secret in scope, with who uses it."""
    from kubectl_pullsecret.dockerconfig import decode_secret, decode_secret_data
    from kubectl_pullsecret.show import view_secret

    found: list[tuple[str, str, Any]] = []
    sensitive: list[str] = []
    for secret_type in _pull_secret_types():
        try:
            items = client.list_all(
                core_path("secrets", namespace), {"fieldSelector": f"type={secret_type}"}
            )
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list secrets)") from None
        for item in items:
            meta = item.get("metadata") or {}
            data, _ = decode_secret_data(
                item.get("data") if isinstance(item.get("data"), dict) else {}
            )
            sensitive.extend(sensitive_values(item))
            found.append(
                (
                    str(meta.get("namespace", "")),
                    str(meta.get("name", "")),
                    decode_secret(str(item.get("type") or ""), data),
                )
            )
    warnings: list[str] = []
    if namespace is not None and not found:
        check_namespace(client, namespace, warnings)
    users, _ = _users_in(client, namespace, warnings) if found else ({}, {})
    views = [
        view_secret(ns, name, decoded, tuple(users.get((ns, name), ())))
        for ns, name, decoded in found
    ]
    views.sort(key=lambda v: (v.namespace, v.name))
    return views, warnings, sensitive

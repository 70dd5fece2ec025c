"""Which cluster, as whom: kubeconfig resolution as kubectl (clientcmd) does it.

`--kubeconfig` means that file only; otherwise the KUBECONFIG list, where the first file to set
a value wins (current-context included); otherwise ~/.kube/config; in-cluster config last.
Refreshed credentials are never written back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubectl_pullsecret.cluster.errors import KubeError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")  # in-cluster


@dataclass(frozen=True)
class KubeOptions:
    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    request_timeout: float | None = None  # seconds; None: the client's own timeouts


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


def kubeconfig_paths(explicit: str | None) -> list[Path]:
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


def load_documents(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
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
    paths = kubeconfig_paths(options.kubeconfig)
    if not paths:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not options.context:
            return _in_cluster(configuration, options)
        raise KubeError(
            "no kubeconfig found (looked at KUBECONFIG and ~/.kube/config) and not running in a "
            "cluster; pass --kubeconfig or set KUBECONFIG"
        )
    merged = merge_kubeconfigs(load_documents(paths))
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


def default_namespace(options: KubeOptions) -> str:
    """The namespace a command works in, read from the files only: -n, else the context's, else
    "default". Nothing is contacted and no credential plugin runs (for --offline)."""
    if options.namespace:
        return options.namespace
    try:
        paths = kubeconfig_paths(options.kubeconfig)
        merged = merge_kubeconfigs(load_documents(paths)) if paths else {}
    except KubeError:
        return "default"
    context_name = options.context or merged.get("current-context")
    context_item = _named(merged.get("contexts", []), str(context_name)) if context_name else None
    context = context_item.get("context") if context_item else None
    namespace = context.get("namespace") if isinstance(context, dict) else None
    return namespace if isinstance(namespace, str) and namespace else "default"

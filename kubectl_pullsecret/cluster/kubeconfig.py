"""Which cluster, as whom: kubeconfig resolution as kubectl (clientcmd) does it.

`--kubeconfig` means that file only; otherwise the KUBECONFIG list, where the first file to set
a value wins (current-context included); otherwise ~/.kube/config; in-cluster config last.
kubectl's global flags override the kubeconfig as clientcmd's ConfigOverrides do
(client-go tools/clientcmd/client_config.go, cli-runtime genericclioptions/config_flags.go).
Refreshed credentials are never written back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.english import noun

if TYPE_CHECKING:
    from kubectl_pullsecret.cluster.transport import Transport

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")  # in-cluster


@dataclass(frozen=True)
class KubeOptions:
    """kubectl's global flags. None (or empty) means not given: the kubeconfig decides."""

    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    request_timeout: float | None = None  # seconds; None: the client's own timeouts
    server: str | None = None
    tls_server_name: str | None = None
    insecure_skip_tls_verify: bool = False
    certificate_authority: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    token: str | None = field(default=None, repr=False)
    impersonate: str | None = None  # --as
    impersonate_groups: tuple[str, ...] = ()  # --as-group, repeatable
    impersonate_uid: str | None = None  # --as-uid
    username: str | None = None  # deprecated by kubectl, still honoured
    password: str | None = field(default=None, repr=False)


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
    documents = []
    for path in paths:
        try:
            document = _parse(path.read_text()) or {}
        except (OSError, ValueError, TypeError, RecursionError) as exc:
            # The parser's class name only: its message may quote the file, tokens and all.
            kind = str(exc) if isinstance(exc, _NotYaml) else type(exc).__name__
            raise KubeError(f"cannot read kubeconfig {path}: {kind}") from None
        documents.append((path, document))
    return documents


class _NotYaml(ValueError):
    """The YAML parser's error, by its class name."""


def _parse(text: str) -> Any:
    """A kubeconfig, YAML or JSON (which is YAML too). JSON is read as JSON: the YAML parser's
    import alone costs a run 25 ms."""
    if text.lstrip().startswith("{"):
        import json

        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML in braces ({a: b}): the YAML parser reads it
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _NotYaml(type(exc).__name__) from None


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get("name") == name), None)


@dataclass(frozen=True)
class Impersonation:
    """Whom the requests act as (kubeconfig `as*` fields, then --as, --as-group, --as-uid)."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # kubeconfig `as-user-extra`, one pair per value

    def headers(self) -> list[tuple[str, str]]:
        """client-go's impersonatingRoundTripper: one Impersonate-Group header per group."""
        headers = [("Impersonate-User", self.user)]
        if self.uid:
            headers.append(("Impersonate-Uid", self.uid))
        headers += [("Impersonate-Group", group) for group in self.groups]
        headers += [(f"Impersonate-Extra-{_header_key_escape(k)}", v) for k, v in self.extra]
        return headers

    def describe(self) -> str:
        text = f'"{self.user}"'
        if self.groups:
            groups = ", ".join(f'"{g}"' for g in self.groups)
            text += f" in {noun(len(self.groups), 'group')} {groups}"
        if self.uid:
            text += f' with uid "{self.uid}"'
        return text


def _header_key_escape(key: str) -> str:
    """client-go's headerKeyEscape: bytes outside an HTTP token, and '%', percent-encoded."""
    legal = set("!#$&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return "".join(chr(b) if chr(b) in legal else f"%{b:02X}" for b in key.encode())


@dataclass
class ResolvedConfig:
    transport: Transport
    namespace: str
    context: str
    user: str  # the kubeconfig user's name, or the flag that gave the credentials
    credentials: str  # whose credentials, for messages: 'user "NAME"', "the --token", ...
    impersonation: Impersonation | None = None
    # The cluster and user entries as the flags left them, which the transport was built from.
    cluster_entry: dict[str, Any] = field(default_factory=dict, repr=False)
    user_entry: dict[str, Any] = field(default_factory=dict, repr=False)


def resolve_config(options: KubeOptions) -> ResolvedConfig:
    paths = kubeconfig_paths(options.kubeconfig)
    if not paths and not options.server:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not options.context:
            return _in_cluster(options)
        raise KubeError(
            "no kubeconfig found (looked at KUBECONFIG and ~/.kube/config) and not running in a "
            "cluster; pass --kubeconfig or set KUBECONFIG (or --server)"
        )
    merged = (
        merge_kubeconfigs(load_documents(paths))
        if paths
        else {"clusters": [], "contexts": [], "users": []}
    )
    context_name = options.context or merged.get("current-context") or ""
    context: dict[str, Any] = {}
    if context_name:
        context_item = _named(merged["contexts"], context_name)
        if context_item is None or not isinstance(context_item.get("context"), dict):
            raise KubeError(f'context "{context_name}" not found in the kubeconfig')
        context = dict(context_item["context"])
    if options.cluster:
        context["cluster"] = options.cluster
    if options.user:
        context["user"] = options.user
    cluster_name, user_name = str(context.get("cluster", "")), str(context.get("user", ""))
    cluster = _entry(merged["clusters"], "cluster", cluster_name, required=bool(options.cluster))
    user = _entry(merged["users"], "user", user_name, required=bool(options.user))
    _override_cluster(cluster, options)
    _override_user(user, options)
    if not cluster.get("server"):
        if not context_name and not cluster_name:
            raise KubeError("the kubeconfig has no current-context; pass --context NAME")
        if _named(merged["clusters"], cluster_name) is None:
            raise KubeError(
                f'cluster "{cluster_name}" (context "{context_name}") not found in the kubeconfig'
            )
        raise KubeError(f'no server found for cluster "{cluster_name}"; pass --server')
    impersonation = _impersonation(user, user_name)
    _usable_auth(user, user_name)
    _usable_tls(cluster, cluster_name)
    if not str(cluster["server"]).startswith("https"):
        user = {}  # client-go sends no credentials over plain http (IsConfigTransportTLS)
    context_name = context_name or "(flags)"
    from kubectl_pullsecret.cluster import transport

    if transport.usable_here(cluster, user):
        chosen = transport.build(cluster, user, user_name, context_name)
    else:
        chosen = _through_the_kubernetes_client(cluster, user, context_name)
    namespace = options.namespace or context.get("namespace") or "default"
    return ResolvedConfig(
        chosen, namespace, context_name, *_who(options, user_name), impersonation, cluster, user
    )


def _through_the_kubernetes_client(
    cluster: dict[str, Any], user: dict[str, Any], context_name: str
) -> Transport:
    """Auth providers and SOCKS proxies, as the kubernetes client loads them."""
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

    single = {
        "clusters": [{"name": "cluster", "cluster": cluster}],
        "users": [{"name": "user", "user": user}],
        "contexts": [{"name": context_name, "context": {"cluster": "cluster", "user": "user"}}],
    }
    configuration = Configuration()
    try:
        # No config_persister: refreshed tokens are never written back to the user's files.
        loader = KubeConfigLoader(config_dict=single, active_context=context_name)
        loader.load_and_set(configuration)
    except ConfigException as exc:
        raise KubeError(
            f"invalid kubeconfig (context {context_name}): {_first_line(str(exc))}"
        ) from None
    except OSError as exc:
        raise KubeError(
            f"kubeconfig (context {context_name}): {exc.strerror}: {exc.filename}"
        ) from None
    from kubectl_pullsecret.cluster.transport import from_configuration

    return from_configuration(configuration)


def _entry(items: list[dict[str, Any]], kind: str, name: str, required: bool) -> dict[str, Any]:
    """A copy of the named cluster or user; clientcmd starts from an empty one when the context
    names a missing entry, and fails only when a flag (--cluster, --user) named it."""
    item = _named(items, name) if name else None
    if item is None:
        if required:
            raise KubeError(f'{kind} "{name}" not found in the kubeconfig')
        return {}
    inner = item.get(kind)
    return dict(inner) if isinstance(inner, dict) else {}


def _override_cluster(cluster: dict[str, Any], options: KubeOptions) -> None:
    """DirectClientConfig.getCluster: flags over the kubeconfig's cluster."""
    if options.server:
        cluster["server"] = options.server
    # --insecure-skip-tls-verify or --certificate-authority replace the kubeconfig's whole trust
    # setting: a kubeconfig CA does not survive --insecure-skip-tls-verify, nor its
    # insecure-skip-tls-verify a --certificate-authority.
    if options.insecure_skip_tls_verify or options.certificate_authority:
        cluster.pop("certificate-authority-data", None)
        cluster["insecure-skip-tls-verify"] = options.insecure_skip_tls_verify
        _set(cluster, "certificate-authority", options.certificate_authority)
    # --server clears the kubeconfig's tls-server-name: it named the kubeconfig's server.
    if options.tls_server_name or options.server:
        _set(cluster, "tls-server-name", options.tls_server_name)
    server = str(cluster.get("server") or "")
    if server and "://" not in server:
        # client-go reads a server without a scheme as plain http (rest.DefaultServerURL).
        cluster["server"] = "http://" + server


def _override_user(user: dict[str, Any], options: KubeOptions) -> None:
    """DirectClientConfig.getAuthInfo: each given flag replaces its kubeconfig field."""
    if options.token:
        user["token"] = options.token
    # A certificate or key flag replaces both the kubeconfig's file and its inline data.
    for flag, name in (
        (options.client_certificate, "client-certificate"),
        (options.client_key, "client-key"),
    ):
        if flag:
            user.pop(f"{name}-data", None)
            user[name] = flag
    if options.username:
        user["username"] = options.username
    if options.password:
        user["password"] = options.password
    if options.impersonate:
        user["as"] = options.impersonate
    if options.impersonate_groups:
        user["as-groups"] = list(options.impersonate_groups)
    if options.impersonate_uid:
        user["as-uid"] = options.impersonate_uid


def _set(item: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        item[key] = value
    else:
        item.pop(key, None)


def _impersonation(user: dict[str, Any], user_name: str) -> Impersonation | None:
    name = user.get("as")
    groups = user.get("as-groups")
    uid = user.get("as-uid")
    extra = user.get("as-user-extra")
    groups = tuple(str(g) for g in groups) if isinstance(groups, list) else ()
    uid = str(uid) if isinstance(uid, str) else ""
    pairs = tuple(
        (str(k), str(v))
        for k, values in (extra.items() if isinstance(extra, dict) else ())
        for v in (values if isinstance(values, list) else [values])
    )
    if not isinstance(name, str) or not name:
        if groups or uid or pairs:
            raise KubeError(
                f'requesting uid, groups or user-extra for user "{user_name}" without '
                "impersonating a user: add --as USER"
            )
        return None
    return Impersonation(name, groups, uid, pairs)


def _usable_auth(user: dict[str, Any], user_name: str) -> None:
    """validateAuthInfo and client-go's precedence between the ways to authenticate, applied to
    the user entry the python client will read (it would otherwise choose differently)."""
    if user.get("tokenFile"):
        # client-go reads tokenFile on every request, and what it reads beats an inline token.
        try:
            user["token"] = Path(str(user["tokenFile"])).read_text().strip()
        except OSError as exc:
            if not user.get("token"):
                raise KubeError(
                    f'cannot read tokenFile {user["tokenFile"]} of user "{user_name}": '
                    f"{exc.strerror}"
                ) from None
        user.pop("tokenFile")
    methods = [
        method
        for method, used in (
            ("token", user.get("token")),
            ("basic auth", user.get("username") or user.get("password")),
        )
        if used
    ]
    if len(methods) > 1:
        raise KubeError(
            f'more than one authentication method found for user "{user_name}": '
            f"{' and '.join(methods)}, only one is allowed; drop --token or --username/--password"
        )
    if (user.get("client-certificate") or user.get("client-certificate-data")) and not (
        user.get("client-key") or user.get("client-key-data")
    ):
        raise KubeError(
            f'a client certificate for user "{user_name}" needs its key: pass --client-key'
        )
    for name in ("client-certificate", "client-key"):
        _readable(user.get(name), name, user_name)
    # client-go sends basic auth when there is a username (a password alone is not used), and
    # a token or basic auth replaces exec plugins and auth providers.
    if user.get("username"):
        user.setdefault("password", "")
    else:
        user.pop("password", None)
    if user.get("token") or user.get("username"):
        user.pop("exec", None)
        user.pop("auth-provider", None)
    if user.get("exec") and user.get("auth-provider"):
        raise KubeError(
            f'user "{user_name}" has both an exec plugin and an auth provider; kubectl refuses '
            "that too: keep one"
        )
    if user.get("client-certificate") or user.get("client-certificate-data"):
        user.pop("exec", None)


def _usable_tls(cluster: dict[str, Any], cluster_name: str) -> None:
    https = str(cluster.get("server", "")).startswith("https")
    if not https:
        # Over plain http client-go uses no TLS settings at all.
        for key in ("certificate-authority", "certificate-authority-data"):
            cluster.pop(key, None)
        return
    if cluster.get("insecure-skip-tls-verify") is True and (
        cluster.get("certificate-authority") or cluster.get("certificate-authority-data")
    ):
        # client-go's TLSConfigFor refuses the pair, whichever of kubeconfig or flags set it.
        raise KubeError(
            "specifying a root certificates file with the insecure flag is not allowed "
            f'(cluster "{cluster_name}"): drop --insecure-skip-tls-verify or the CA'
        )
    _readable(cluster.get("certificate-authority"), "certificate-authority", cluster_name)


def _readable(path: Any, what: str, owner: str) -> None:
    """validateClusterInfo/validateAuthInfo: a named file must open, before any request."""
    if not isinstance(path, str) or not path:
        return
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise KubeError(f'unable to read {what} {path} for "{owner}": {exc.strerror}') from None


def _who(options: KubeOptions, user_name: str) -> tuple[str, str]:
    """(the user, for "RBAC forbids ... for user X"; whose credentials, for 401 and 403)."""
    if options.token:
        return "(--token)", "the --token"
    if options.client_certificate:
        return "(--client-certificate)", "the --client-certificate"
    if options.username:
        return options.username, f'user "{options.username}" (--username)'
    if not user_name:
        return "(anonymous)", "no credentials (anonymous)"
    return user_name, f'user "{user_name}"'


def _in_cluster(options: KubeOptions) -> ResolvedConfig:
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    configuration = Configuration()
    try:
        InClusterConfigLoader(
            token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
            cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
        ).load_and_set(configuration)
    except ConfigException as exc:
        raise KubeError(f"in-cluster configuration failed: {_first_line(str(exc))}") from None
    # client-go's inClusterClientConfig takes --token and --certificate-authority from flags.
    if options.token:
        configuration.api_key["BearerToken"] = f"Bearer {options.token}"
        configuration.refresh_api_key_hook = None  # it would re-read the ServiceAccount token
    if options.certificate_authority:
        _readable(options.certificate_authority, "certificate-authority", "in-cluster")
        configuration.ssl_ca_cert = options.certificate_authority
    user: dict[str, Any] = {}
    _override_user(user, options)
    try:
        namespace = (
            options.namespace
            or (SERVICE_ACCOUNT_DIR / "namespace").read_text().strip()
            or "default"
        )
    except OSError:
        namespace = options.namespace or "default"
    from kubectl_pullsecret.cluster.transport import from_configuration

    return ResolvedConfig(
        from_configuration(configuration),
        namespace,
        "in-cluster",
        *_who(options, "serviceaccount"),
        _impersonation(user, "serviceaccount"),
    )


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

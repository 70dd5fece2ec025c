"""The shared core of the gathering: one cluster's reader, and the judge's input it assembles.

A `ClusterReader` is one cluster's run: its client, its scope, what it has read so far and the
warnings met on the way. The thread that runs the cluster owns it; the reads it starts itself
(several lookups at once) share its lock. Each command's own walk is in its own module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubectl_pullsecret.cluster.client import KubeClient, check_namespace, core_path
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden, KubeError, NotFound
from kubectl_pullsecret.cluster.objects import secret_fetch, service_account_facts
from kubectl_pullsecret.cluster.workloads import WorkloadKind
from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts, admitted_pull_secrets
from kubectl_pullsecret.kubelet.docker_config import PULL_SECRET_TYPES
from kubectl_pullsecret.kubelet.messages import PodEvent
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretFetch, SecretStatus
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload

# Above this many distinct objects, one list per type beats one GET per object.
BULK_THRESHOLD = 8
# Requests at once for per-object lookups (the client's connection pool holds 10).
MAX_IN_FLIGHT = 8

Key = tuple[str, str]  # (namespace, name)
K = TypeVar("K")
V = TypeVar("V")
A = TypeVar("A")
B = TypeVar("B")


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Two independent reads at once. The API server scans etcd for every event list (events
    have no watch cache), so their wall times overlap instead of adding up."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        later = pool.submit(second)
        return first(), later.result()


def at_once(fetch: Callable[[K], V], keys: Sequence[K]) -> list[V]:
    """One small request per key, several in flight: their round trips overlap instead of
    adding up. Results come in the order of `keys`."""
    if len(keys) < 2:
        return [fetch(key) for key in keys]
    with ThreadPoolExecutor(max_workers=min(len(keys), MAX_IN_FLIGHT)) as pool:
        return list(pool.map(fetch, keys))


def key_of(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


class NotServed(KubeError):
    """The API server serves no version of a kind."""


def _names_an_object(exc: NotFound) -> bool:
    """A 404 about an object, not about a resource this server does not serve."""
    return "the server could not find the requested resource" not in str(exc)


@dataclass(frozen=True)
class Scope:
    """Where a command looks: one namespace, or every one (None), and a label selector."""

    namespace: str | None
    selector: str | None = None

    @property
    def query(self) -> dict[str, str] | None:
        return {"labelSelector": self.selector} if self.selector else None


@dataclass(frozen=True)
class Subject:
    """One Pod, or one pod template, to judge; what the judge needs is read for it."""

    pod: PodFacts
    owners: OwnerChain = field(default_factory=OwnerChain)
    events: tuple[PodEvent, ...] = ()
    template_of: Workload | None = None  # judged as a new Pod would pull on a fresh node

    @property
    def admitted(self) -> bool:
        """Its pull secrets are those ServiceAccount admission would give a new Pod (a bare
        Pod's were given when it was created)."""
        return self.template_of is not None and self.template_of.kind != "Pod"


class ClusterReader:
    """One cluster's run: reads each object once, with as few requests as the trouble allows."""

    def __init__(self, client: KubeClient, scope: Scope) -> None:
        self.client = client
        self.scope = scope
        self.warnings: list[str] = []
        self._secrets: dict[Key, SecretFetch] = {}
        self._by_name: dict[str, list[dict[str, Any]] | None] = {}
        self._server_rules: KubeletRules | None = None
        self._node_rules: dict[str, KubeletRules] = {}
        self._lock = threading.Lock()

    def warn_once(self, warning: str) -> None:
        with self._lock:
            if warning not in self.warnings:
                self.warnings.append(warning)

    def check_namespace(self) -> None:
        """After an empty answer in one namespace: say when it does not exist."""
        if self.scope.namespace is not None:
            check_namespace(self.client, self.scope.namespace, self.warnings)

    # pods and workloads

    def pod(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            return self.client.get(core_path("pods", namespace, name))
        except NotFound:
            raise KubeError(f'pod "{name}" not found in namespace "{namespace}"') from None
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: get pods)") from None

    def pods_selected(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        try:
            return self.client.list_all(core_path("pods", namespace), {"labelSelector": selector})
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None

    def workload(self, kind: WorkloadKind, namespace: str, name: str) -> dict[str, Any]:
        """One workload by name, in the first API version the server serves."""
        for version in kind.group_versions:
            try:
                return self.client.get(kind.path(namespace, name, version))
            except NotFound as exc:
                if exc.reason == "NotFound" and _names_an_object(exc):
                    break
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: get {kind.resource})") from None
        raise KubeError(f'{kind.singular} "{name}" not found in namespace "{namespace}"')

    def listed(
        self, kind: WorkloadKind, metadata_only: bool = False, selected: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every object of a kind in scope, page by page, in the first API version the server
        serves. Forbidden is the caller's to judge."""
        query = self.scope.query if selected else None
        for version in kind.group_versions:
            path = kind.path(self.scope.namespace, group_version=version)
            given = False
            try:
                for item in self.client.iterate(path, query, metadata_only):
                    given = True
                    yield item
                return
            except NotFound:
                if given:
                    raise
                continue  # this server does not serve that version
        raise NotServed(f"the API server serves no {kind.resource}")

    def workloads(self, kind: WorkloadKind, selected: bool = True) -> list[dict[str, Any]]:
        try:
            return list(self.listed(kind, selected=selected))
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list {kind.resource})") from None

    # secrets

    def _named_everywhere(self, name: str) -> list[dict[str, Any]] | None:
        """Every secret of this name in any namespace: one request per name, cached; None
        when RBAC forbids listing secrets across namespaces."""
        if name not in self._by_name:
            try:
                self._by_name[name] = self.client.list_all(
                    core_path("secrets"), {"fieldSelector": f"metadata.name={name}"}
                )
            except Forbidden:
                self._by_name[name] = None
        return self._by_name[name]

    def _look_everywhere(self, names: Iterable[str]) -> None:
        """The cross-namespace lookups of these names, several at once."""
        at_once(self._named_everywhere, sorted(set(names) - self._by_name.keys()))

    def all_pull_secrets(self) -> dict[Key, SecretFetch]:
        """Every docker-registry Secret in scope: one list per pull-secret type."""
        found: dict[Key, SecretFetch] = {}
        for secret_type in PULL_SECRET_TYPES:
            query = {"fieldSelector": f"type={secret_type}"}
            try:
                for item in self.client.iterate(core_path("secrets", self.scope.namespace), query):
                    found[key_of(item)] = secret_fetch(key_of(item)[1], item)
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: list secrets)") from None
        self._secrets.update(found)
        return found

    def secrets(self, wanted: set[Key]) -> dict[Key, SecretFetch]:
        """The wanted (namespace, name) secrets, each read once per run: a GET each when few;
        otherwise one list per pull-secret type, and one cross-namespace lookup per name for
        the rest (missing or of another type), which also says where else they exist."""
        found = {k: self._secrets[k] for k in wanted if k in self._secrets}
        if len(wanted - found.keys()) > BULK_THRESHOLD:
            namespaces = {ns for ns, _ in wanted - found.keys()}
            scope = next(iter(namespaces)) if len(namespaces) == 1 else None
            try:
                for items in at_once(
                    lambda secret_type: self.client.list_all(
                        core_path("secrets", scope), {"fieldSelector": f"type={secret_type}"}
                    ),
                    PULL_SECRET_TYPES,
                ):
                    for item in items:
                        if key_of(item) in wanted:
                            found[key_of(item)] = secret_fetch(key_of(item)[1], item)
            except Forbidden:
                pass  # fall back to one GET per secret
            self._look_everywhere({n for _, n in wanted - found.keys()})
            for name in sorted({n for _, n in wanted - found.keys()}):
                items = self._named_everywhere(name)
                if items is None:
                    continue
                by_namespace = {key_of(i)[0]: i for i in items}
                for namespace in sorted(ns for ns, n in wanted - found.keys() if n == name):
                    item = by_namespace.get(namespace)
                    found[(namespace, name)] = (
                        secret_fetch(name, item)
                        if item
                        else SecretFetch(
                            name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"'
                        )
                    )
        missing = sorted(wanted - found.keys())
        found.update(zip(missing, at_once(self._secret, missing), strict=True))
        self._secrets.update(found)
        return found

    def _secret(self, key: Key) -> SecretFetch:
        namespace, name = key
        try:
            item = self.client.get(core_path("secrets", namespace, name))
        except NotFound:
            return SecretFetch(name, SecretStatus.MISSING, detail=f'in namespace "{namespace}"')
        except Forbidden:
            return SecretFetch(
                name,
                SecretStatus.FORBIDDEN,
                detail=f"RBAC forbids `get secrets` for user {self.client.user}",
            )
        except ApiStatusError as exc:
            return SecretFetch(name, SecretStatus.ERROR, detail=str(exc))
        return secret_fetch(name, item)

    def secrets_elsewhere(self, name: str, namespace: str) -> tuple[list[tuple[str, str]], bool]:
        """Other namespaces holding a secret of this name, with its type; and whether we could look."""
        items = self._named_everywhere(name)
        if items is None:
            return [], False
        return [
            (key_of(i)[0], str(i.get("type") or "")) for i in items if key_of(i)[0] != namespace
        ], True

    # service accounts

    def service_accounts(self, wanted: set[Key]) -> dict[Key, ServiceAccountFacts]:
        found: dict[Key, ServiceAccountFacts] = {}
        if len(wanted) > BULK_THRESHOLD:
            namespaces = {ns for ns, _ in wanted}
            scope = next(iter(namespaces)) if len(namespaces) == 1 else None
            try:
                for item in self.client.list_all(core_path("serviceaccounts", scope)):
                    if key_of(item) in wanted:
                        found[key_of(item)] = service_account_facts(key_of(item)[1], item)
            except Forbidden:
                pass
        missing = sorted(wanted - found.keys())
        for key, facts in zip(missing, at_once(self._service_account, missing), strict=True):
            found[key] = facts
            if facts.status is SecretStatus.FORBIDDEN:
                self.warnings.append(
                    f"cannot read serviceaccount {key[0]}/{key[1]} (forbidden: get "
                    "serviceaccounts): its imagePullSecrets are not compared with the Pod's"
                )
        return found

    def _service_account(self, key: Key) -> ServiceAccountFacts:
        namespace, name = key
        try:
            return service_account_facts(
                name, self.client.get(core_path("serviceaccounts", namespace, name))
            )
        except NotFound:
            return ServiceAccountFacts(name, SecretStatus.MISSING)
        except Forbidden:
            return ServiceAccountFacts(name, SecretStatus.FORBIDDEN)
        except ApiStatusError:
            return ServiceAccountFacts(name, SecretStatus.ERROR)

    # the kubelet's version

    def server_rules(self) -> KubeletRules:
        """Rules from the API server's version (one request), for what runs on no node yet."""
        with self._lock:  # node lookups run several at once and may all fall back here
            if self._server_rules is None:
                try:
                    info = self.client.get("/version")
                except ApiStatusError:
                    info = {}
                self._server_rules = rules_for(server_version=info)
        return self._server_rules

    def read_nodes(self, nodes: Iterable[str]) -> None:
        """The rules of these nodes: a GET each, several at once, when few; one list of the
        nodes when many (a Node is a few kB, mostly its image list: a list costs more bytes
        than a few GETs, and far fewer round trips than many)."""
        wanted = sorted({n for n in nodes if n} - self._node_rules.keys())
        if len(wanted) > BULK_THRESHOLD:
            try:
                listed = {
                    key_of(node)[1]: node
                    for node in self.client.iterate(core_path("nodes"), {"resourceVersion": "0"})
                    if key_of(node)[1] in wanted
                }
            except Forbidden:
                pass  # one GET each: they may be allowed, and say so when they are not
            else:
                # A node the list lacks is gone: the server's rules, as a GET's 404 would give.
                for name in wanted:
                    self._node_rules[name] = self._rules_of(listed.get(name, {}))
                return
        at_once(self.node_rules, wanted)

    def node_rules(self, node: str) -> KubeletRules:
        """The rules of the kubelet and runtime a node reports (status.nodeInfo); the server's
        when the Pod is not scheduled or nodes cannot be read."""
        if not node:
            return self.server_rules()
        if node not in self._node_rules:
            try:
                found = self.client.get(core_path("nodes", name=node))
            except Forbidden:
                self.warn_once(
                    "cannot read nodes (forbidden: get nodes): the verdicts assume the kubelet "
                    "version of the API server"
                )
                found = {}
            except ApiStatusError:
                found = {}
            self._node_rules[node] = self._rules_of(found)
        return self._node_rules[node]

    def _rules_of(self, node: dict[str, Any]) -> KubeletRules:
        info = (node.get("status") or {}).get("nodeInfo") or {}
        kubelet, runtime = info.get("kubeletVersion"), info.get("containerRuntimeVersion")
        return rules_for(kubelet, runtime) if kubelet else self.server_rules()

    # the judge's input

    def missing_elsewhere(
        self, pod_secrets: dict[str, SecretFetch], namespace: str
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, str], bool]:
        """For each missing secret, the other namespaces holding one of that name and its
        type there; and whether any of them could not be looked for."""
        elsewhere: dict[str, tuple[str, ...]] = {}
        types: dict[str, str] = {}
        unknown = False
        for name, fetch in pod_secrets.items():
            if fetch.status is not SecretStatus.MISSING:
                continue
            found, could_look = self.secrets_elsewhere(name, namespace)
            unknown |= not could_look
            if found:
                elsewhere[name] = tuple(ns for ns, _ in found)
                types[name] = found[0][1]
        return elsewhere, types, unknown

    def _kubelets(self, subjects: Sequence[Subject]) -> None:
        """The kubelets the subjects meet: their nodes', and the server's for templates and
        Pods on no node."""
        pods = [s.pod.node_name for s in subjects if s.template_of is None]
        if any(s.template_of is not None for s in subjects) or not all(pods):
            both(self.server_rules, lambda: self.read_nodes(pods))
        else:
            self.read_nodes(pods)

    def judge_inputs(self, subjects: Sequence[Subject]) -> list[PodContext]:
        """Everything the judge needs about each subject, in order: its ServiceAccount, its
        pull secrets (after admission, for a template), where a missing one exists, and the
        kubelet it would meet. Each object is read once, however many subjects share it."""
        # Independent reads at once: the ServiceAccounts (which name a template's secrets),
        # the nodes the Pods run on, and the server's version for what runs on none.
        accounts, _ = both(
            lambda: self.service_accounts(
                {(s.pod.namespace, s.pod.service_account) for s in subjects}
            ),
            lambda: self._kubelets(subjects),
        )

        def names(subject: Subject) -> tuple[str, ...]:
            facts = subject.pod
            if not subject.admitted:
                return tuple(n for n in facts.pull_secret_names if n)
            account = accounts.get((facts.namespace, facts.service_account))
            return tuple(n for n in admitted_pull_secrets(facts.pull_secret_names, account) if n)

        named = [names(s) for s in subjects]
        secrets = self.secrets(
            {(s.pod.namespace, n) for s, these in zip(subjects, named, strict=True) for n in these}
        )
        self._look_everywhere(k[1] for k, f in secrets.items() if f.status is SecretStatus.MISSING)
        contexts = []
        for subject, these in zip(subjects, named, strict=True):
            facts = subject.pod
            pod_secrets = {n: secrets[(facts.namespace, n)] for n in these}
            elsewhere, types, unknown = self.missing_elsewhere(pod_secrets, facts.namespace)
            contexts.append(
                PodContext(
                    pod=facts,
                    secrets=pod_secrets,
                    service_account=accounts.get((facts.namespace, facts.service_account)),
                    events=subject.events,
                    elsewhere=elsewhere,
                    elsewhere_types=types,
                    elsewhere_unknown=unknown,
                    owners=subject.owners,
                    template_of=subject.template_of,
                    rules=self.server_rules()
                    if subject.template_of
                    else self.node_rules(facts.node_name),
                )
            )
        return contexts

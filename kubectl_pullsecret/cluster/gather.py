"""What each command reads from the cluster, with as few requests as the trouble allows.

The answers are the model's plain facts (cluster.objects); secret material seen on the way is
collected in `sensitive` for the output filter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, TypeVar

from kubectl_pullsecret.cluster.client import (
    PAGE_SIZE,
    KubeClient,
    check_namespace,
    core_path,
)
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden, KubeError, NotFound
from kubectl_pullsecret.cluster.events import FORBIDDEN as EVENTS_FORBIDDEN
from kubectl_pullsecret.cluster.events import PodWarnings, list_pod_warnings
from kubectl_pullsecret.cluster.objects import (
    controller_of,
    event_target,
    label_selector,
    names_of,
    pod_event,
    pod_facts,
    secret_fetch,
    sensitive_values,
    service_account_facts,
    workload_facts,
)
from kubectl_pullsecret.cluster.owners import OwnerResolver
from kubectl_pullsecret.cluster.workloads import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    POD,
    REPLICA_SET,
    REPLICATION_CONTROLLER,
    STATEFUL_SET,
    Target,
    WorkloadKind,
)
from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts, admitted_pull_secrets
from kubectl_pullsecret.kubelet.docker_config import PULL_SECRET_TYPES, DecodedSecret
from kubectl_pullsecret.kubelet.messages import (
    FAILED_TO_RETRIEVE_PULL_SECRET,
    PodEvent,
    shows_pull_trouble,
)
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretFetch, SecretStatus
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload

# Above this many distinct objects, one list per type beats one GET per object.
BULK_THRESHOLD = 8
# Requests at once for per-object lookups (the client's connection pool holds 10).
MAX_IN_FLIGHT = 8
# `Failed` carries the pull errors (and finds Running Pods whose restarted container cannot
# pull), FailedToRetrieveImagePullSecret the missing secrets of Pods that still run (1.28+).
# InvalidImageName and ErrImageNeverPull leave the Pod Pending: the Pending list finds it.
PULL_REASONS = frozenset({"Failed", FAILED_TO_RETRIEVE_PULL_SECRET})
# The top-level workloads whose templates `diagnose pod` reads for secrets that are gone.
LATENT_KINDS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CRON_JOB)

A = TypeVar("A")
B = TypeVar("B")
K = TypeVar("K")
V = TypeVar("V")


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


@dataclass
class Gathered:
    contexts: list[PodContext]
    warnings: list[str]
    sensitive: list[str]  # decoded secret material, for the output redactor


def _names_an_object(exc: NotFound) -> bool:
    """A 404 about an object, not about a resource this server does not serve."""
    return "the server could not find the requested resource" not in str(exc)


class Gatherer:
    """Fetches what the diagnosis needs with as few requests as the trouble allows."""

    def __init__(self, client: KubeClient, early_events: PodWarnings | None = None) -> None:
        self.client = client
        self.early_events = early_events
        self.warnings: list[str] = []
        self.sensitive: list[str] = []
        self._by_name: dict[str, list[dict[str, Any]] | None] = {}
        self._server_rules: KubeletRules | None = None
        self._node_rules: dict[str, KubeletRules] = {}
        self._node_images: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

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
        """The kubelet's Warnings that can concern a pull: one list (the one started early, when
        it was), the common Warnings that never concern a pull left out on the server."""
        early, self.early_events = self.early_events, None
        if early is not None and early.namespace == namespace:
            events = early.result()
        else:
            events = list_pod_warnings(self.client, namespace)
        if events is None:
            self.warnings.append(EVENTS_FORBIDDEN)
            return []
        return [e for e in events if e.get("reason") in PULL_REASONS]

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

    def workloads(
        self, kind: WorkloadKind, namespace: str | None, selector: str | None
    ) -> list[dict[str, Any]]:
        """Every workload of a kind in scope, in the first API version the server serves."""
        query = {"labelSelector": selector} if selector else None
        for version in kind.group_versions:
            try:
                return self.client.list_all(kind.path(namespace, group_version=version), query)
            except NotFound:
                continue  # this server does not serve that version
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: list {kind.resource})") from None
        raise KubeError(f"the API server serves no {kind.resource}")

    def pods_selected(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        try:
            return self.client.list_all(core_path("pods", namespace), {"labelSelector": selector})
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None

    def pod_events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        query = {"fieldSelector": f"involvedObject.kind=Pod,involvedObject.name={name}"}
        try:
            return self.client.list_all(core_path("events", namespace), query)
        except Forbidden:
            self.warnings.append(
                f"cannot list events in namespace {namespace} (forbidden); the kubelet's messages are not used"
            )
            return []

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
        """The rules of these nodes, read several at once (see node_rules)."""
        at_once(self.node_rules, sorted({n for n in nodes if n} - self._node_rules.keys()))

    def node_rules(self, node: str) -> KubeletRules:
        """The rules of the kubelet and runtime a node reports (status.nodeInfo): one request
        per node; the server's when the Pod is not scheduled or nodes cannot be read."""
        if not node:
            return self.server_rules()
        if node not in self._node_rules:
            status: dict[str, Any] = {}
            try:
                status = self.client.get(core_path("nodes", name=node)).get("status") or {}
                info = status.get("nodeInfo") or {}
            except Forbidden:
                self._warn_once(
                    "cannot read nodes (forbidden: get nodes): the verdicts assume the kubelet "
                    "version of the API server"
                )
                info = {}
            except ApiStatusError:
                info = {}
            kubelet, runtime = info.get("kubeletVersion"), info.get("containerRuntimeVersion")
            self._node_images[node] = node_image_names(status)
            self._node_rules[node] = rules_for(kubelet, runtime) if kubelet else self.server_rules()
        return self._node_rules[node]

    def node_images(self, node: str) -> frozenset[str]:
        """The images a node reported it holds (read with its rules; empty when unknown)."""
        return self._node_images.get(node, frozenset())

    def _warn_once(self, warning: str) -> None:
        with self._lock:
            if warning not in self.warnings:
                self.warnings.append(warning)

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
    ) -> dict[tuple[str, str], SecretFetch]:
        """The wanted (namespace, name) secrets: a GET each when few; otherwise one list per
        pull-secret type, and one cross-namespace lookup per name for the rest (missing or of
        another type), which also says where else they exist."""
        found: dict[tuple[str, str], SecretFetch] = {}
        namespaces = {ns for ns, _ in wanted}
        if len(wanted) > BULK_THRESHOLD:
            scope = None if all_namespaces or len(namespaces) > 1 else next(iter(namespaces))
            try:
                for secret_type in PULL_SECRET_TYPES:
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
        missing = sorted(wanted - found.keys())
        found.update(zip(missing, at_once(self._secret, missing), strict=True))
        return found

    def _secret(self, key: tuple[str, str]) -> SecretFetch:
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
        self.sensitive.extend(sensitive_values(item))
        return secret_fetch(name, item)

    def all_pull_secrets(self, namespace: str | None) -> dict[tuple[str, str], SecretFetch]:
        """Every docker-registry Secret in scope: one list per pull-secret type."""
        found: dict[tuple[str, str], SecretFetch] = {}
        for secret_type in PULL_SECRET_TYPES:
            query = {"fieldSelector": f"type={secret_type}"}
            try:
                for item in self.client.iterate(core_path("secrets", namespace), query):
                    self.sensitive.extend(sensitive_values(item))
                    found[_key(item)] = secret_fetch(_key(item)[1], item)
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: list secrets)") from None
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

    def service_accounts(
        self, wanted: set[tuple[str, str]], all_namespaces: bool
    ) -> dict[tuple[str, str], ServiceAccountFacts]:
        found: dict[tuple[str, str], ServiceAccountFacts] = {}
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
        missing = sorted(wanted - found.keys())
        for key, facts in zip(missing, at_once(self._service_account, missing), strict=True):
            found[key] = facts
            if facts.status is SecretStatus.FORBIDDEN:
                self.warnings.append(
                    f"cannot read serviceaccount {key[0]}/{key[1]} (forbidden: get "
                    "serviceaccounts): its imagePullSecrets are not compared with the Pod's"
                )
        return found

    def _service_account(self, key: tuple[str, str]) -> ServiceAccountFacts:
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


def node_image_names(status: dict[str, Any]) -> frozenset[str]:
    """Every name of every image in a node's `status.images` (tags and digests, as the runtime
    reports them: `127.0.0.1:5001/team/app:v1`, `docker.io/library/nginx@sha256:...`). The
    kubelet reports at most nodeStatusMaxImages (50 by default, largest first): an image not
    listed may still be there."""
    names: set[str] = set()
    for image in status.get("images") or []:
        if isinstance(image, dict):
            names.update(n for n in image.get("names") or [] if isinstance(n, str))
    return frozenset(names)


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def _troubled_pods(
    gatherer: Gatherer,
    namespace: str | None,
    selector: str | None,
    candidates: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> list[tuple[PodFacts, tuple[PodEvent, ...]]]:
    """Pods with a pull problem and their pull events: Pending pods (one list, server-filtered
    by phase) and pods that pull events name (server-filtered by reason), so healthy Running
    pods are never transferred. With `candidates` (a workload's pods): among those only."""
    raw_pods: dict[tuple[str, str], dict[str, Any]] = {}
    if candidates is None:
        pending, events = both(
            lambda: gatherer.failing_pods(namespace, selector),
            lambda: gatherer.pull_events(namespace),
        )
        raw_pods = {_key(p): p for p in pending}
    else:
        events = gatherer.pull_events(namespace)
    events_by_pod: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in events:
        ns, pod_name, _ = event_target(event)
        events_by_pod.setdefault((ns, pod_name), []).append(event)
    if candidates is not None:
        raw_pods = candidates
    else:
        named = sorted(events_by_pod.keys() - raw_pods.keys())
        pods = at_once(lambda key: gatherer.pod_if_selected(*key, selector), named)
        raw_pods.update((key, pod) for key, pod in zip(named, pods, strict=True) if pod is not None)
    troubled = []
    for key, raw in raw_pods.items():
        facts = pod_facts(raw)
        # Events outlive pods: keep only those about this incarnation of the name.
        events = tuple(
            pod_event(e)
            for e in events_by_pod.get(key, [])
            if event_target(e)[2] in ("", facts.uid)
        )
        if shows_pull_trouble(facts.statuses, events):
            troubled.append((facts, events))
    return troubled


def _templates_naming_secrets(
    gatherer: Gatherer, namespace: str | None, selector: str | None
) -> list[tuple[WorkloadKind, dict[str, Any]]]:
    """The top-level workloads whose pod templates name pull secrets: their Running Pods may
    lack a secret that the next pull needs. Kubelets before 1.28 (and after PR #138432) send
    no event for that, and finding them through the Pods would mean listing every healthy Pod;
    workloads are far fewer, and only those naming secrets are kept."""
    query = {"labelSelector": selector} if selector else None
    found: list[tuple[WorkloadKind, dict[str, Any]]] = []
    for kind in LATENT_KINDS:
        for version in kind.group_versions:
            try:
                for obj in gatherer.client.iterate(
                    kind.path(namespace, group_version=version), query
                ):
                    template = workload_facts(kind, obj).template
                    if template is not None and template.pull_secret_names:
                        found.append((kind, obj))
            except NotFound:
                continue  # this server does not serve that version
            except Forbidden:
                gatherer._warn_once(
                    f"cannot list {kind.resource} (forbidden): Running Pods whose pull secrets are "
                    "gone are found only through the kubelet's events (1.28+)"
                )
            break
    return found


def _latent_templates(
    owners: OwnerResolver,
    listed: list[tuple[WorkloadKind, dict[str, Any]]],
    troubled: list[tuple[PodFacts, tuple[PodEvent, ...]]],
) -> list[Workload]:
    """The listed workloads none of whose Pods is reported already."""
    reported = {
        (top.kind, top.namespace, top.name)
        for facts, _ in troubled
        if (top := owners.chain(facts).top) is not None
    }
    found = [owners.remember(kind, obj) for kind, obj in listed]
    return [w for w in found if (w.kind, w.namespace, w.name) not in reported]


def _pods_of(
    gatherer: Gatherer, kind: WorkloadKind, obj: dict[str, Any]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The Pods a workload's label selector picks (a CronJob's: those of its Jobs); the owner
    chains then keep only the workload's own."""
    namespace, _ = _key(obj)
    if kind is CRON_JOB:
        uid = (obj.get("metadata") or {}).get("uid")
        jobs = [
            _key(job)[1]
            for job in gatherer.workloads(JOB, namespace, None)
            if any(
                r.get("uid") == uid
                for r in (job.get("metadata") or {}).get("ownerReferences") or []
            )
        ]
        if not jobs:
            return {}
        selector = f"job-name in ({','.join(jobs)})"
    else:
        selector = label_selector((obj.get("spec") or {}).get("selector"))
        if not selector:
            return {}
    return {_key(p): p for p in gatherer.pods_selected(namespace, selector)}


def gather_diagnosis(
    client: KubeClient,
    namespace: str | None,
    target: Target,
    selector: str | None,
    early_events: PodWarnings | None = None,
) -> Gathered:
    """What to diagnose, with its secrets, ServiceAccounts, events and owners.

    A Pod by name: that Pod. `pod` without a name: every Pod in scope with a pull problem. A
    workload by name: its Pods with a pull problem, or, when none has one, its pod template.
    A workload type without a name: the same for every workload of that type in scope.
    """
    gatherer = Gatherer(client, early_events)
    owners = OwnerResolver(client)
    kind, name = target.kind, target.name
    pods: list[tuple[PodFacts, tuple[PodEvent, ...]]] = []
    templates: list[Workload] = []
    if kind is POD and name is not None:
        assert namespace is not None
        facts = pod_facts(gatherer.pod(namespace, name))
        # Events outlive pods: keep only those about this incarnation of the name.
        events = tuple(
            pod_event(e)
            for e in gatherer.pod_events(namespace, name)
            if event_target(e)[2] in ("", facts.uid)
        )
        pods = [(facts, events)]
    elif kind is POD:
        pods, listed = both(
            lambda: _troubled_pods(gatherer, namespace, selector),
            lambda: _templates_naming_secrets(gatherer, namespace, selector),
        )
        templates = _latent_templates(owners, listed, pods)
    elif name is not None:
        assert namespace is not None
        obj = gatherer.workload(kind, namespace, name)
        workload = owners.remember(kind, obj)
        candidates = _pods_of(gatherer, kind, obj)
        pods = [
            (facts, events)
            for facts, events in _troubled_pods(gatherer, namespace, None, candidates)
            if _top_is(owners.chain(facts), workload)
        ]
        if not pods:
            templates = [workload]
    else:
        workloads = [
            owners.remember(kind, obj) for obj in gatherer.workloads(kind, namespace, selector)
        ]
        if namespace is not None and not workloads:
            check_namespace(client, namespace, gatherer.warnings)
        wanted = {(w.namespace, w.name) for w in workloads}
        for facts, events in _troubled_pods(gatherer, namespace, None):
            top = owners.chain(facts).top
            if top is not None and top.kind == kind.kind and (top.namespace, top.name) in wanted:
                pods.append((facts, events))
        failing = {
            (c.top.namespace, c.top.name) for c in (owners.chain(f) for f, _ in pods) if c.top
        }
        templates = [w for w in workloads if (w.namespace, w.name) not in failing]

    all_namespaces = namespace is None
    template_pods = [w.template for w in templates if w.template is not None]
    wanted_sas = {(f.namespace, f.service_account) for f in [p for p, _ in pods] + template_pods}
    accounts = gatherer.service_accounts(wanted_sas, all_namespaces) if wanted_sas else {}

    def pull_secrets(facts: PodFacts, is_template: bool) -> tuple[str, ...]:
        if not is_template:
            return facts.pull_secret_names
        return admitted_pull_secrets(
            facts.pull_secret_names, accounts.get((facts.namespace, facts.service_account))
        )

    subjects = [(f, e, None) for f, e in pods] + [
        (w.template, (), w) for w in templates if w.template is not None
    ]
    wanted_secrets = {
        (f.namespace, n) for f, _, w in subjects for n in pull_secrets(f, w is not None) if n
    }
    secrets = gatherer.secrets(wanted_secrets, all_namespaces) if wanted_secrets else {}

    gatherer.read_nodes(f.node_name for f, _, template_of in subjects if template_of is None)
    contexts = []
    for facts, events, template_of in sorted(subjects, key=lambda s: (s[0].namespace, s[0].name)):
        names = pull_secrets(facts, template_of is not None)
        pod_secrets = {n: secrets[(facts.namespace, n)] for n in names if n}
        elsewhere, elsewhere_types, unknown = gatherer.missing_elsewhere(
            pod_secrets, facts.namespace
        )
        contexts.append(
            PodContext(
                pod=facts,
                secrets=pod_secrets,
                service_account=accounts.get((facts.namespace, facts.service_account)),
                events=events,
                elsewhere=elsewhere,
                elsewhere_types=elsewhere_types,
                elsewhere_unknown=unknown,
                owners=OwnerChain((template_of,)) if template_of else owners.chain(facts),
                template_of=template_of,
                rules=gatherer.server_rules()
                if template_of
                else gatherer.node_rules(facts.node_name),
                node_images=frozenset() if template_of else gatherer.node_images(facts.node_name),
            )
        )
    return Gathered(contexts, gatherer.warnings + owners.warnings, gatherer.sensitive)


def _top_is(chain: OwnerChain, workload: Workload) -> bool:
    top = chain.top
    return top is not None and (top.kind, top.namespace, top.name) == (
        workload.kind,
        workload.namespace,
        workload.name,
    )


def fetch_secrets(
    client: KubeClient, namespace: str, names: list[str]
) -> tuple[list[tuple[str, SecretFetch]], list[str]]:
    """Secrets by name for `check`, in the order given: [(name, SecretFetch)] and secret material."""
    gatherer = Gatherer(client)
    found = gatherer.secrets({(namespace, n) for n in names}, all_namespaces=False)
    if any(f.status is SecretStatus.MISSING for f in found.values()):
        check_namespace(client, namespace, gatherer.warnings)
    return [(n, found[(namespace, n)]) for n in names], gatherer.sensitive


@dataclass(frozen=True)
class SecretUse:
    """Who references one pull secret: `pod/x` and `serviceaccount/y`, and the Pods' images."""

    users: tuple[str, ...] = ()
    pod_images: tuple[str, ...] = ()


@dataclass
class PullSecrets:
    """Docker-registry Secrets as decoded, each with its users; passwords included (for
    --verify and --reveal only)."""

    secrets: list[tuple[str, str, DecodedSecret, SecretUse]]  # (namespace, name, decoded, use)
    warnings: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)


def _uses_in(
    client: KubeClient, namespace: str | None, warnings: list[str]
) -> dict[tuple[str, str], SecretUse]:
    """Who references which pull secret in scope. One list of Pods and one of ServiceAccounts."""
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
    return {
        key: SecretUse(tuple(users.get(key, ())), tuple(dict.fromkeys(images.get(key, ()))))
        for key in users.keys() | images.keys()
    }


def gather_secret(client: KubeClient, namespace: str, name: str) -> PullSecrets:
    """`show SECRET`: the secret decoded, who uses it, and the images they pull."""
    try:
        secret = client.get(core_path("secrets", namespace, name))
    except NotFound:
        raise KubeError(f'secret "{name}" not found in namespace "{namespace}"') from None
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: get secrets)") from None
    result = PullSecrets([], sensitive=sensitive_values(secret))
    decoded = secret_fetch(name, secret).decoded
    assert decoded is not None
    use = _uses_in(client, namespace, result.warnings).get((namespace, name), SecretUse())
    result.secrets.append((namespace, name, decoded, use))
    return result


def gather_secrets(client: KubeClient, namespace: str | None) -> PullSecrets:
    """`show` without a name: every docker-registry Secret in scope, with who uses it."""
    result = PullSecrets([])
    found: list[tuple[str, str, DecodedSecret]] = []
    for secret_type in PULL_SECRET_TYPES:
        try:
            items = client.list_all(
                core_path("secrets", namespace), {"fieldSelector": f"type={secret_type}"}
            )
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list secrets)") from None
        for item in items:
            meta = item.get("metadata") or {}
            result.sensitive.extend(sensitive_values(item))
            decoded = secret_fetch(str(meta.get("name", "")), item).decoded
            assert decoded is not None
            found.append((str(meta.get("namespace", "")), str(meta.get("name", "")), decoded))
    if namespace is not None and not found:
        check_namespace(client, namespace, result.warnings)
    uses = _uses_in(client, namespace, result.warnings) if found else {}
    result.secrets = [
        (ns, name, decoded, uses.get((ns, name), SecretUse()))
        for ns, name, decoded in sorted(found, key=lambda f: (f[0], f[1]))
    ]
    return result


# --- audit ------------------------------------------------------------------------------------

# Owners of Pods that are themselves owned, as a rule (by a Deployment, a CronJob): their
# lists are read as metadata first, and only the unowned ones in full.
_USUALLY_OWNED = (REPLICA_SET, JOB, REPLICATION_CONTROLLER)


@dataclass
class Audited:
    contexts: list[PodContext]
    secrets: list[tuple[str, str, DecodedSecret]]  # every pull secret in scope, decoded
    warnings: list[str]
    sensitive: list[str]


def _unowned(
    gatherer: Gatherer, path: str, query: dict[str, str] | None, what: str
) -> list[tuple[str, str]]:
    """(namespace, name) of the objects without a controller, from a metadata-only list."""
    try:
        return [
            _key(item)
            for item in gatherer.client.iterate(path, query, metadata_only=True)
            if not controller_of(item)
        ]
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: list {what})") from None


def _bare_pods(
    gatherer: Gatherer, namespace: str | None, query: dict[str, str] | None
) -> list[PodFacts]:
    """The Pods without a controller. Pods are usually owned: their list is read as metadata,
    and only the bare ones in full. When the first page is mostly bare Pods, reading every Pod
    once in full beats reading them twice."""
    client, path = gatherer.client, core_path("pods", namespace)
    try:
        metadata = client.iterate(path, query, metadata_only=True)
        first = list(islice(metadata, PAGE_SIZE))
        if 2 * sum(not controller_of(item) for item in first) > len(first):
            metadata.close()
            return [pod_facts(p) for p in client.iterate(path, query) if not controller_of(p)]
        unowned = [_key(item) for item in chain(first, metadata) if not controller_of(item)]
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: list pods)") from None
    if len(unowned) <= BULK_THRESHOLD:
        return [pod_facts(gatherer.pod(ns, name)) for ns, name in unowned]
    wanted = set(unowned)
    return [pod_facts(p) for p in client.iterate(path, query) if _key(p) in wanted]


def gather_audit(client: KubeClient, namespace: str | None, selector: str | None) -> Audited:
    """Every workload in scope as a fresh node would run it: the top-level owners' pod
    templates, and the specs of Pods without an owner. Lists stream page by page, keeping only
    each object's facts; each distinct secret is read once, by one list per secret type."""
    gatherer = Gatherer(client)
    query = {"labelSelector": selector} if selector else None
    workloads: list[Workload] = []
    for kind in (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CRON_JOB):
        for version in kind.group_versions:
            try:
                workloads += [
                    workload_facts(kind, obj)
                    for obj in client.iterate(kind.path(namespace, group_version=version), query)
                ]
                break
            except NotFound:
                continue  # this server does not serve that version
            except Forbidden as exc:
                raise KubeError(f"{exc} (need: list {kind.resource})") from None
    for kind in _USUALLY_OWNED:
        for ns, name in _unowned(gatherer, kind.path(namespace), query, kind.resource):
            workloads.append(workload_facts(kind, gatherer.workload(kind, ns, name)))
    bare = _bare_pods(gatherer, namespace, query)
    if namespace is not None and not workloads and not bare:
        check_namespace(client, namespace, gatherer.warnings)

    subjects: list[tuple[PodFacts, Workload]] = [
        (w.template, w) for w in workloads if w.template is not None
    ] + [(p, Workload("Pod", p.namespace, p.name, 1, template=p)) for p in bare]
    wanted_sas = {(p.namespace, p.service_account) for p, _ in subjects}
    accounts = gatherer.service_accounts(wanted_sas, namespace is None) if wanted_sas else {}

    def names(facts: PodFacts, workload: Workload) -> tuple[str, ...]:
        if workload.kind == "Pod":
            return facts.pull_secret_names  # admission ran when it was created
        account = accounts.get((facts.namespace, facts.service_account))
        return admitted_pull_secrets(facts.pull_secret_names, account)

    in_scope = gatherer.all_pull_secrets(namespace)
    wanted = {(p.namespace, n) for p, w in subjects for n in names(p, w) if n}
    # Named but not among the pull secrets listed: of another type, or missing.
    rest = wanted - in_scope.keys()
    others = gatherer.secrets(rest, namespace is None) if rest else {}
    contexts = []
    for facts, workload in sorted(subjects, key=lambda s: (s[0].namespace, s[1].label)):
        pod_secrets = {
            name: in_scope.get((facts.namespace, name)) or others[(facts.namespace, name)]
            for name in names(facts, workload)
            if name
        }
        elsewhere, elsewhere_types, unknown = gatherer.missing_elsewhere(
            pod_secrets, facts.namespace
        )
        contexts.append(
            PodContext(
                pod=facts,
                secrets=pod_secrets,
                service_account=accounts.get((facts.namespace, facts.service_account)),
                elsewhere=elsewhere,
                elsewhere_types=elsewhere_types,
                elsewhere_unknown=unknown,
                owners=OwnerChain((workload,)),
                template_of=workload,
                rules=gatherer.server_rules(),
            )
        )
    decoded = [
        (ns, name, fetch.decoded)
        for (ns, name), fetch in sorted(in_scope.items())
        if fetch.decoded is not None
    ]
    return Audited(contexts, decoded, gatherer.warnings, gatherer.sensitive)

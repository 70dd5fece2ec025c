"""The shared core of the gathering: one cluster's reader, and the judge's input it assembles.

A `ClusterReader` is one cluster's run: its client, its scope, what it has read so far and the
warnings met on the way. The thread that runs the cluster owns it; the reads it starts itself
(several lookups at once) share its lock. Each command's own walk is in its own module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient, check_namespace, core_path
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden, KubeError, NotFound
from kubectl_pullsecret.cluster.gather.batch import BULK_THRESHOLD, Key, at_once, both, key_of
from kubectl_pullsecret.cluster.gather.kubelets import Kubelets
from kubectl_pullsecret.cluster.gather.secrets import Secrets
from kubectl_pullsecret.cluster.objects import service_account_facts
from kubectl_pullsecret.cluster.workloads import WorkloadKind
from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts, admitted_pull_secrets
from kubectl_pullsecret.kubelet.messages import PodEvent
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretStatus
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload


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
        self._lock = threading.Lock()
        # Its parts: the pull secrets and the kubelets, each read once per run.
        self.secrets = Secrets(client, scope.namespace)
        self.kubelets = Kubelets(client, self.warn_once)

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

    # the judge's input

    def _kubelets(self, subjects: Sequence[Subject]) -> None:
        """The kubelets the subjects meet: their nodes', and the server's for templates and
        Pods on no node."""
        pods = [s.pod.node_name for s in subjects if s.template_of is None]
        if any(s.template_of is not None for s in subjects) or not all(pods):
            both(self.kubelets.server, lambda: self.kubelets.read_nodes(pods))
        else:
            self.kubelets.read_nodes(pods)

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
        secrets = self.secrets.named(
            {(s.pod.namespace, n) for s, these in zip(subjects, named, strict=True) for n in these}
        )
        self.secrets.look_everywhere(
            k[1] for k, f in secrets.items() if f.status is SecretStatus.MISSING
        )
        contexts = []
        for subject, these in zip(subjects, named, strict=True):
            facts = subject.pod
            pod_secrets = {n: secrets[(facts.namespace, n)] for n in these}
            elsewhere, types, unknown = self.secrets.missing_elsewhere(pod_secrets, facts.namespace)
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
                    rules=self.kubelets.server()
                    if subject.template_of
                    else self.kubelets.of_node(facts.node_name),
                    node_images=frozenset()
                    if subject.template_of
                    else self.kubelets.images(facts.node_name),
                )
            )
        return contexts

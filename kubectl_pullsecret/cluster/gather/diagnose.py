"""What `diagnose` reads: the Pods with a pull problem (never the healthy ones), their events
and owners, and the pod templates whose secrets are gone."""

from __future__ import annotations

from typing import Any

from kubectl_pullsecret.cluster.client import core_path
from kubectl_pullsecret.cluster.errors import Forbidden, KubeError
from kubectl_pullsecret.cluster.events import FORBIDDEN as EVENTS_FORBIDDEN
from kubectl_pullsecret.cluster.events import PodWarnings, list_pod_warnings
from kubectl_pullsecret.cluster.gather.batch import Key, at_once, both, key_of
from kubectl_pullsecret.cluster.gather.core import ClusterReader, NotServed, Subject
from kubectl_pullsecret.cluster.objects import (
    event_target,
    label_selector,
    pod_event,
    pod_facts,
    workload_facts,
)
from kubectl_pullsecret.cluster.owners import OwnerResolver
from kubectl_pullsecret.cluster.workloads import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    POD,
    STATEFUL_SET,
    Target,
    WorkloadKind,
)
from kubectl_pullsecret.kubelet.messages import (
    FAILED_TO_RETRIEVE_PULL_SECRET,
    PodEvent,
    shows_pull_trouble,
)
from kubectl_pullsecret.kubelet.pod import PodFacts
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload

# `Failed` carries the pull errors (and finds Running Pods whose restarted container cannot
# pull), FailedToRetrieveImagePullSecret the missing secrets of Pods that still run (1.28+).
# InvalidImageName and ErrImageNeverPull leave the Pod Pending: the Pending list finds it.
PULL_REASONS = frozenset({"Failed", FAILED_TO_RETRIEVE_PULL_SECRET})
# The top-level workloads whose templates `diagnose pod` reads for secrets that are gone.
LATENT_KINDS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CRON_JOB)

Troubled = tuple[PodFacts, tuple[PodEvent, ...]]


class DiagnosisReader:
    """`diagnose`'s walk over one cluster, on that cluster's reader."""

    def __init__(self, reader: ClusterReader, early_events: PodWarnings | None = None) -> None:
        self.reader = reader
        self.client = reader.client
        self.scope = reader.scope
        self.owners = OwnerResolver(reader.client)
        self._early_events = early_events

    # pods and events

    def pending_pods(self, selector: str | None) -> list[dict[str, Any]]:
        """Pending pods: where most pull problems are."""
        # resourceVersion=0: served from the API server's watch cache instead of a full etcd
        # read (1.4 s -> 17 ms at 10,000 pods); it may lag by milliseconds.
        query = {"fieldSelector": "status.phase=Pending", "resourceVersion": "0"}
        if selector:
            query["labelSelector"] = selector
        try:
            pods = self.client.list_all(core_path("pods", self.scope.namespace), query)
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None
        if not pods:
            self.reader.check_namespace()
        return pods

    def pod_if_selected(self, key: Key, selector: str | None) -> dict[str, Any] | None:
        namespace, name = key
        query = {"fieldSelector": f"metadata.name={name}"}
        if selector:
            query["labelSelector"] = selector
        try:
            items = self.client.list_all(core_path("pods", namespace), query)
        except Forbidden as exc:
            raise KubeError(f"{exc} (need: list pods)") from None
        return items[0] if items else None

    def pull_events(self) -> list[dict[str, Any]]:
        """The kubelet's Warnings that can concern a pull: one list (the one started early, when
        it was), the common Warnings that never concern a pull left out on the server."""
        early, self._early_events = self._early_events, None
        if early is not None and early.namespace == self.scope.namespace:
            events = early.result()
        else:
            events = list_pod_warnings(self.client, self.scope.namespace)
        if events is None:
            self.reader.warnings.append(EVENTS_FORBIDDEN)
            return []
        return [e for e in events if e.get("reason") in PULL_REASONS]

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
            self.reader.warnings.append(
                f"cannot list events in namespace {namespace} (forbidden); the kubelet's messages are not used"
            )
            return []

    def troubled_pods(
        self, selector: str | None = None, candidates: dict[Key, dict[str, Any]] | None = None
    ) -> list[Troubled]:
        """Pods with a pull problem and their pull events: Pending pods (one list, server-filtered
        by phase) and pods that pull events name (server-filtered by reason), so healthy Running
        pods are never transferred. With `candidates` (a workload's pods): among those only."""
        if candidates is None:
            pending, events = both(lambda: self.pending_pods(selector), self.pull_events)
            raw_pods = {key_of(p): p for p in pending}
        else:
            events = self.pull_events()
            raw_pods = candidates
        events_by_pod: dict[Key, list[dict[str, Any]]] = {}
        for event in events:
            ns, pod_name, _ = event_target(event)
            events_by_pod.setdefault((ns, pod_name), []).append(event)
        if candidates is None:
            named = sorted(events_by_pod.keys() - raw_pods.keys())
            pods = at_once(lambda key: self.pod_if_selected(key, selector), named)
            raw_pods.update((k, pod) for k, pod in zip(named, pods, strict=True) if pod is not None)
        troubled = []
        for key, raw in raw_pods.items():
            facts = pod_facts(raw)
            pod_events = _this_incarnation(facts, events_by_pod.get(key, []))
            if shows_pull_trouble(facts.statuses, pod_events):
                troubled.append((facts, pod_events))
        return troubled

    # workloads

    def templates_naming_secrets(self) -> list[tuple[WorkloadKind, dict[str, Any]]]:
        """The top-level workloads whose pod templates name pull secrets: their Running Pods may
        lack a secret that the next pull needs. Kubelets before 1.28 (and after PR #138432) send
        no event for that, and finding them through the Pods would mean listing every healthy
        Pod; workloads are far fewer, and only those naming secrets are kept."""

        def naming_secrets(kind: WorkloadKind) -> list[tuple[WorkloadKind, dict[str, Any]]]:
            found = []
            try:
                for obj in self.reader.listed(kind):
                    template = workload_facts(kind, obj).template
                    if template is not None and template.pull_secret_names:
                        found.append((kind, obj))
            except NotServed:
                pass
            except Forbidden:
                self.reader.warn_once(
                    f"cannot list {kind.resource} (forbidden): Running Pods whose pull secrets are "
                    "gone are found only through the kubelet's events (1.28+)"
                )
            return found

        # The kinds at once: each list is a round trip, far from the API server.
        return [found for kind in at_once(naming_secrets, LATENT_KINDS) for found in kind]

    def latent_templates(
        self, listed: list[tuple[WorkloadKind, dict[str, Any]]], troubled: list[Troubled]
    ) -> list[Workload]:
        """The listed workloads none of whose Pods is reported already."""
        reported = {
            (top.kind, top.namespace, top.name)
            for facts, _ in troubled
            if (top := self.owners.chain(facts).top) is not None
        }
        found = [self.owners.remember(kind, obj) for kind, obj in listed]
        return [w for w in found if (w.kind, w.namespace, w.name) not in reported]

    def pods_of(self, kind: WorkloadKind, obj: dict[str, Any]) -> dict[Key, dict[str, Any]]:
        """The Pods a workload's label selector picks (a CronJob's: those of its Jobs); the owner
        chains then keep only the workload's own."""
        namespace, _ = key_of(obj)
        if kind is CRON_JOB:
            uid = (obj.get("metadata") or {}).get("uid")
            jobs = [
                key_of(job)[1]
                for job in self.reader.workloads(JOB, selected=False)
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
        return {key_of(p): p for p in self.pods_selected(namespace, selector)}

    # the walks

    def named_pod(self, name: str) -> list[Subject]:
        namespace = self.scope.namespace
        assert namespace is not None
        facts = pod_facts(self.reader.pod(namespace, name))
        events = _this_incarnation(facts, self.pod_events(namespace, name))
        return [Subject(facts, self.owners.chain(facts), events)]

    def troubled_pods_and_latent_templates(self) -> list[Subject]:
        pods, listed = both(
            lambda: self.troubled_pods(self.scope.selector), self.templates_naming_secrets
        )
        templates = self.latent_templates(listed, pods)
        return self._pods(pods) + _templates(templates)

    def named_workload(self, kind: WorkloadKind, name: str) -> list[Subject]:
        """Its failing Pods; when none fails, its pod template."""
        namespace = self.scope.namespace
        assert namespace is not None
        obj = self.reader.workload(kind, namespace, name)
        workload = self.owners.remember(kind, obj)
        pods = [
            (facts, events)
            for facts, events in self.troubled_pods(candidates=self.pods_of(kind, obj))
            if _top_is(self.owners.chain(facts), workload)
        ]
        return self._pods(pods) if pods else _templates([workload])

    def workloads_of_kind(self, kind: WorkloadKind) -> list[Subject]:
        """Each workload of the kind in scope: its failing Pods, or its pod template."""
        workloads = [self.owners.remember(kind, obj) for obj in self.reader.workloads(kind)]
        if not workloads:
            self.reader.check_namespace()
        wanted = {(w.namespace, w.name) for w in workloads}
        pods = []
        for facts, events in self.troubled_pods():
            top = self.owners.chain(facts).top
            if top is not None and top.kind == kind.kind and (top.namespace, top.name) in wanted:
                pods.append((facts, events))
        failing = {
            (c.top.namespace, c.top.name) for c in (self.owners.chain(f) for f, _ in pods) if c.top
        }
        return self._pods(pods) + _templates(
            [w for w in workloads if (w.namespace, w.name) not in failing]
        )

    def _pods(self, pods: list[Troubled]) -> list[Subject]:
        return [Subject(facts, self.owners.chain(facts), events) for facts, events in pods]


def _this_incarnation(facts: PodFacts, events: list[dict[str, Any]]) -> tuple[PodEvent, ...]:
    """Events outlive pods: only those about this incarnation of the name."""
    return tuple(pod_event(e) for e in events if event_target(e)[2] in ("", facts.uid))


def _templates(workloads: list[Workload]) -> list[Subject]:
    return [
        Subject(w.template, OwnerChain((w,)), template_of=w)
        for w in workloads
        if w.template is not None
    ]


def _top_is(chain: OwnerChain, workload: Workload) -> bool:
    top = chain.top
    return top is not None and (top.kind, top.namespace, top.name) == (
        workload.kind,
        workload.namespace,
        workload.name,
    )


def gather_diagnosis(
    reader: ClusterReader, target: Target, early_events: PodWarnings | None = None
) -> tuple[list[PodContext], list[str]]:
    """What to diagnose, with its secrets, ServiceAccounts, events and owners; and the
    warnings met on the way.

    A Pod by name: that Pod. `pod` without a name: every Pod in scope with a pull problem, and
    the templates whose secrets are gone. A workload by name: its Pods with a pull problem, or,
    when none has one, its pod template. A workload type without a name: the same for every
    workload of that type in scope.
    """
    walk = DiagnosisReader(reader, early_events)
    if target.kind is POD:
        if target.name is not None:
            subjects = walk.named_pod(target.name)
        else:
            subjects = walk.troubled_pods_and_latent_templates()
    elif target.name is not None:
        subjects = walk.named_workload(target.kind, target.name)
    else:
        subjects = walk.workloads_of_kind(target.kind)
    subjects.sort(key=lambda s: (s.pod.namespace, s.pod.name))
    return reader.judge_inputs(subjects), reader.warnings + walk.owners.warnings

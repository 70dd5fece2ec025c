"""What `audit` reads: every workload in scope as a fresh node would run it, and every pull
secret. Lists stream page by page and keep only each object's facts; each distinct secret is
read once, by one list per secret type."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from kubectl_pullsecret.cluster.client import PAGE_SIZE
from kubectl_pullsecret.cluster.errors import Forbidden, KubeError
from kubectl_pullsecret.cluster.gather.batch import BULK_THRESHOLD, Key, key_of
from kubectl_pullsecret.cluster.gather.core import ClusterReader, NotServed, Subject
from kubectl_pullsecret.cluster.objects import controller_of, pod_facts, workload_facts
from kubectl_pullsecret.cluster.workloads import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    POD,
    REPLICA_SET,
    REPLICATION_CONTROLLER,
    STATEFUL_SET,
    WorkloadKind,
)
from kubectl_pullsecret.kubelet.docker_config import DecodedSecret
from kubectl_pullsecret.kubelet.pod import PodFacts
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload

# Owners of Pods that are themselves owned, as a rule (by a Deployment, a CronJob): their
# lists are read as metadata first, and only the unowned ones in full.
_USUALLY_OWNED = (REPLICA_SET, JOB, REPLICATION_CONTROLLER)


@dataclass
class Audited:
    contexts: list[PodContext]
    secrets: list[tuple[str, str, DecodedSecret]]  # every pull secret in scope, decoded
    warnings: list[str]


def _listed_in_full(reader: ClusterReader, kind: WorkloadKind) -> list[Workload]:
    try:
        return [workload_facts(kind, obj) for obj in reader.listed(kind)]
    except NotServed:
        return []
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: list {kind.resource})") from None


def _unowned(reader: ClusterReader, kind: WorkloadKind) -> list[Workload]:
    """The objects without a controller, from a metadata-only list, each then read in full."""
    try:
        keys = [key_of(o) for o in reader.listed(kind, metadata_only=True) if not controller_of(o)]
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: list {kind.resource})") from None
    return [workload_facts(kind, reader.workload(kind, ns, name)) for ns, name in keys]


def _bare_pods(reader: ClusterReader) -> list[PodFacts]:
    """The Pods without a controller. Pods are usually owned: their list is read as metadata,
    and only the bare ones in full. When the first page is mostly bare Pods, reading every Pod
    once in full beats reading them twice."""

    def bare(pod: dict[str, Any]) -> bool:
        return not controller_of(pod)

    try:
        metadata = reader.listed(POD, metadata_only=True)
        first = list(islice(metadata, PAGE_SIZE))
        if 2 * sum(map(bare, first)) > len(first):
            metadata.close()
            return [pod_facts(p) for p in reader.listed(POD) if bare(p)]
        unowned: list[Key] = [key_of(p) for p in chain(first, metadata) if bare(p)]
        if len(unowned) <= BULK_THRESHOLD:
            return [pod_facts(reader.pod(ns, name)) for ns, name in unowned]
        wanted = set(unowned)
        return [pod_facts(p) for p in reader.listed(POD) if key_of(p) in wanted]
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: list pods)") from None


def gather_audit(reader: ClusterReader) -> Audited:
    """Every workload in scope as a fresh node would run it: the top-level owners' pod
    templates, and the specs of Pods without an owner."""
    workloads = [
        w
        for kind in (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CRON_JOB)
        for w in _listed_in_full(reader, kind)
    ]
    workloads += [w for kind in _USUALLY_OWNED for w in _unowned(reader, kind)]
    bare = _bare_pods(reader)
    if not workloads and not bare:
        reader.check_namespace()
    workloads += [Workload("Pod", p.namespace, p.name, 1, template=p) for p in bare]
    subjects = [
        Subject(w.template, OwnerChain((w,)), template_of=w)
        for w in workloads
        if w.template is not None
    ]
    subjects.sort(key=lambda s: (s.pod.namespace, s.owners.owners[0].label))
    in_scope = reader.secrets.in_scope()
    decoded = [
        (ns, name, fetch.decoded)
        for (ns, name), fetch in sorted(in_scope.items())
        if fetch.decoded is not None
    ]
    return Audited(reader.judge_inputs(subjects), decoded, reader.warnings)

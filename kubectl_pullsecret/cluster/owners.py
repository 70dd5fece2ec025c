"""Who owns a Pod: its controllers up to the top-level workload, read through the API once per
distinct owner (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden, NotFound
from kubectl_pullsecret.cluster.objects import controller_of, workload_facts
from kubectl_pullsecret.cluster.workloads import BY_KIND, DEPLOYMENT, WorkloadKind
from kubectl_pullsecret.kubelet.pod import PodFacts
from kubectl_pullsecret.verdicts.facts import OwnerChain, Workload

MAX_DEPTH = 8  # real chains are two long; anything deeper is a loop in disguise


@dataclass(frozen=True)
class _Unread:
    why: str
    forbidden: bool = False


class OwnerResolver:
    """Resolves owner chains, reading every owner once; `warnings` says where it fell short."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.warnings: list[str] = []
        self._read: dict[tuple[str, str, str], tuple[Workload, dict[str, Any]] | _Unread] = {}

    def remember(self, kind: WorkloadKind, obj: dict[str, Any]) -> Workload:
        """An owner already read by a list: later chains through it cost no request."""
        workload = workload_facts(kind, obj)
        self._read[(kind.kind, workload.namespace, workload.name)] = (workload, controller_of(obj))
        return workload

    def _get(
        self, kind: WorkloadKind, namespace: str, name: str, api_version: str
    ) -> tuple[Workload, dict[str, Any]] | _Unread:
        """The owner and its own controller reference, or why it cannot be read."""
        key = (kind.kind, namespace, name)
        if key not in self._read:
            try:
                obj = self.client.get(kind.path(namespace, name, api_version))
            except NotFound:
                self._read[key] = _Unread(
                    f"{kind.singular}/{name} in namespace {namespace}, the owner of Pods, "
                    "does not exist (they are orphans, or being deleted)"
                )
            except Forbidden:
                self._read[key] = _Unread(
                    f"cannot read {kind.resource} in namespace {namespace} (forbidden: get "
                    f"{kind.resource})",
                    forbidden=True,
                )
            except ApiStatusError as exc:
                self._read[key] = _Unread(f"cannot read {kind.singular}/{name}: {exc}")
            else:
                self.remember(kind, obj)
        return self._read[key]

    def chain(self, pod: PodFacts) -> OwnerChain:
        owners: list[Workload] = []
        seen: set[tuple[str, str]] = set()
        ref: dict[str, Any] = {
            "kind": pod.owner_kind,
            "name": pod.owner_name,
            "apiVersion": pod.owner_api_version,
        }
        while ref.get("kind"):
            kind_name, name = str(ref.get("kind")), str(ref.get("name", ""))
            if (kind_name, name) in seen or len(owners) >= MAX_DEPTH:
                return self._cut(
                    owners,
                    f"in namespace {pod.namespace}, an owner chain loops back to "
                    f"{kind_name.lower()}/{name}",
                )
            seen.add((kind_name, name))
            kind = BY_KIND.get(kind_name)
            if kind is None:
                # A controller this tool does not know (an operator's resource, a Node for a
                # static Pod): it is the top, and its template cannot be patched from here.
                owners.append(Workload(kind_name, pod.namespace, name))
                return OwnerChain(tuple(owners))
            found = self._get(kind, pod.namespace, name, str(ref.get("apiVersion", "")))
            if isinstance(found, _Unread):
                return self._unreadable(pod, owners, kind, name, found)
            workload, ref = found
            owners.append(workload)
        return OwnerChain(tuple(owners))

    def _cut(self, owners: list[Workload], why: str) -> OwnerChain:
        note = f"{why}; their findings are grouped and fixed at the last owner that could be read"
        if note not in self.warnings:
            self.warnings.append(note)
        return OwnerChain(tuple(owners), note=note)

    def _unreadable(
        self, pod: PodFacts, owners: list[Workload], kind: WorkloadKind, name: str, unread: _Unread
    ) -> OwnerChain:
        """The chain stops at an owner that cannot be read. A forbidden one is still named, and
        the Deployment behind a ReplicaSet guessed from the pod-template-hash label, saying so;
        one that does not exist ends the chain below it."""
        if not unread.forbidden:
            return self._cut(owners, unread.why)
        owners.append(Workload(kind.kind, pod.namespace, name, template_path=kind.template_path))
        suffix = f"-{pod.template_hash}"
        if (
            kind.kind == "ReplicaSet"
            and len(owners) == 1
            and pod.template_hash
            and name.endswith(suffix)
        ):
            deployment = name[: -len(suffix)]
            owners.append(
                Workload(
                    DEPLOYMENT.kind,
                    pod.namespace,
                    deployment,
                    template_path=DEPLOYMENT.template_path,
                )
            )
            note = f"{unread.why}: deployment/{deployment} is inferred from the pod-template-hash label"
            if note not in self.warnings:
                self.warnings.append(note)
            return OwnerChain(tuple(owners), note=note, inferred=True)
        return self._cut(owners, unread.why)

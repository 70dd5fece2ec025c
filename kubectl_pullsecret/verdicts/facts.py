"""What the verdicts judge: everything known about one Pod, or one pod template, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.messages import PodEvent
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretFetch
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy


@dataclass(frozen=True)
class Workload:
    """An object that runs Pods from a template: a Deployment, a CronJob, ... or a bare Pod."""

    kind: str
    namespace: str
    name: str
    replicas: int | None = None  # Pods it wants now; None when it cannot be known
    update_strategy: str = ""  # RollingUpdate | OnDelete | Recreate | "" (none or not read)
    template: PodFacts | None = None  # its pod template, as the Pods it creates get it
    selector: str = ""  # the label selector of its Pods
    template_path: tuple[str, ...] = ()  # where its pod template is; () if not patchable here
    manifest: str = ""  # the file it was read from (preflight), when not from the cluster

    @property
    def label(self) -> str:
        """`deployment/web`, as kubectl names it."""
        return f"{self.kind.lower()}/{self.name}"


@dataclass(frozen=True)
class OwnerChain:
    """A Pod's controllers: its direct owner first, the top-level owner last."""

    owners: tuple[Workload, ...] = ()
    # Why the chain stops short of the real top (forbidden, gone, a loop), for a warning.
    note: str = ""
    # The top was inferred rather than read (a ReplicaSet's Deployment, from pod-template-hash).
    inferred: bool = False

    @property
    def top(self) -> Workload | None:
        return self.owners[-1] if self.owners else None


@dataclass(frozen=True)
class SeenAttempt:
    """A pull attempt that `--wait` saw the kubelet make for one container: the waiting state
    it left, and the earliest moment the attempt can have begun (the end of the back-off before
    it), which dates it against a changed pull secret."""

    began_after: datetime
    reason: str
    message: str


@dataclass(frozen=True)
class PodContext:
    pod: PodFacts
    secrets: dict[str, SecretFetch]
    service_account: ServiceAccountFacts | None = None
    events: tuple[PodEvent, ...] = ()
    # For each missing secret: the other namespaces that hold a secret of that name.
    elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)
    elsewhere_types: dict[str, str] = field(default_factory=dict)  # type of the first copy
    elsewhere_unknown: bool = False  # the search across namespaces was forbidden
    owners: OwnerChain = field(default_factory=OwnerChain)
    # A pod template rather than a Pod: judged as a new Pod would pull on a fresh node.
    template_of: Workload | None = None
    # The clock that credential expiry is judged by; None: expiry is not judged.
    expiry: ExpiryPolicy | None = None
    # CredentialsDiverged findings of the Pod's secrets, by secret name (an audit's).
    divergences: dict[str, tuple[Problem, ...]] = field(default_factory=dict)
    # The kubelet and runtime the verdicts assume: the node's, else the server's, else newest.
    rules: KubeletRules = field(default_factory=rules_for)
    # The images the Pod's node reports it holds (status.images names); empty when unknown.
    node_images: frozenset[str] = frozenset()
    # The clock that dates events and secrets (aware); None: the real one.
    now: datetime | None = None
    # Attempts `--wait` saw, by (container kind, container name).
    seen: dict[tuple[str, str], SeenAttempt] = field(default_factory=dict)

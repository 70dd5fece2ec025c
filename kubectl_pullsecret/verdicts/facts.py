"""What the verdicts judge: everything known about one Pod, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.messages import PodEvent
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretFetch


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

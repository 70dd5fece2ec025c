"""A Pod as the kubelet reads it before it pulls: its containers, their states, and its pull
secrets as the secret manager hands them over (pkg/kubelet/kubelet_pods.go getPullSecretsForPod:
only `spec.imagePullSecrets`, in order, from the Pod's own namespace)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kubectl_pullsecret.kubelet.docker_config import DecodedSecret

CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")


class SecretStatus(str, Enum):
    FOUND = "found"
    MISSING = "missing"
    FORBIDDEN = "forbidden"
    ERROR = "error"


@dataclass(frozen=True)
class SecretFetch:
    """A pull secret as the API returned it: decoded, missing, forbidden, or failed."""

    name: str
    status: SecretStatus
    decoded: DecodedSecret | None = None
    detail: str = ""  # for forbidden/error: what the API said (no secret material)


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    kind: str = "containers"  # containers | initContainers | ephemeralContainers


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    kind: str = "containers"
    waiting_reason: str = ""
    waiting_message: str = ""
    running: bool = False
    terminated_reason: str = ""


@dataclass(frozen=True)
class PodFacts:
    namespace: str
    name: str
    uid: str = ""
    phase: str = ""
    service_account: str = "default"
    pull_secret_names: tuple[str, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    statuses: tuple[ContainerStatus, ...] = ()
    # Its controller (metadata.ownerReferences with controller: true), if any.
    owner_kind: str = ""
    owner_name: str = ""
    owner_api_version: str = ""
    template_hash: str = ""  # label pod-template-hash, to name a Deployment from its ReplicaSet

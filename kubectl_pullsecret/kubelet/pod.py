"""A Pod as the kubelet reads it before it pulls: its containers, their states, and its pull
secrets as the secret manager hands them over (pkg/kubelet/kubelet_pods.go getPullSecretsForPod:
only `spec.imagePullSecrets`, in order, from the Pod's own namespace).

Image volumes (KEP-4639, `spec.volumes[].image{reference, pullPolicy}`; alpha 1.31, on by
default 1.35, GA 1.36) are pulled with the same secrets: the API documents "Pull secrets will be
assembled in the same way as for the container image by looking up node credentials, SA image
pull secrets, and pod spec image pull secrets", and kuberuntime SyncPod pulls them
(getImageVolumes -> EnsureImageExists with the Pod's pull secrets) before any container starts.
A failure fails the whole sync before any container has a result of its own, so the containers
stay waiting as ContainerCreating (inferred from SyncPod: `result.Fail(err); return`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kubectl_pullsecret.kubelet.docker_config import DecodedSecret

CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")
IMAGE_VOLUME_KIND = "imageVolumes"  # ContainerSpec.kind of an image volume (pulled_images)

PULL_ALWAYS = "Always"
PULL_IF_NOT_PRESENT = "IfNotPresent"
PULL_NEVER = "Never"


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
    written: str = ""  # RFC 3339: its creation, or its latest update (managedFields)


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    kind: str = "containers"  # containers | initContainers | ephemeralContainers | imageVolumes
    pull_policy: str = ""  # as written; "" when absent (see effective_pull_policy)


@dataclass(frozen=True)
class ImageVolumeSpec:
    """`spec.volumes[].image`: an OCI image mounted as a volume, pulled like a container's."""

    name: str  # the volume's name
    reference: str  # `image.reference`, the image as written
    pull_policy: str = ""  # `image.pullPolicy` as written; "" when absent
    mounted_by: tuple[str, ...] = ()  # names of the containers that mount it

    def as_container_spec(self) -> ContainerSpec:
        """The volume as the image entry every command judges like a container's."""
        return ContainerSpec(self.name, self.reference, IMAGE_VOLUME_KIND, self.pull_policy)


def effective_pull_policy(image: str, declared: str = "") -> str:
    """The pull policy the kubelet applies: the declared one, else the API's default.

    API defaulting (pkg/apis/core/v1/defaults.go SetDefaults_Container, and the same rule for
    ImageVolumeSource): Always when the tag is `latest` or there is neither tag nor digest,
    IfNotPresent otherwise. A manifest that was never admitted carries no default.
    """
    if declared in (PULL_ALWAYS, PULL_IF_NOT_PRESENT, PULL_NEVER):
        return declared
    name, _, _ = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if "@" in image and not tag:
        return PULL_IF_NOT_PRESENT
    return PULL_ALWAYS if tag in ("", "latest") else PULL_IF_NOT_PRESENT


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
    image_volumes: tuple[ImageVolumeSpec, ...] = ()
    node_name: str = ""  # spec.nodeName: whose kubeletVersion applies; "" when unscheduled
    created: str = ""  # metadata.creationTimestamp (RFC 3339): no pull of it is older

    def pulled_images(self) -> tuple[ContainerSpec, ...]:
        """Everything the kubelet pulls with the Pod's secrets: containers, then image volumes."""
        return self.containers + tuple(v.as_container_spec() for v in self.image_volumes)

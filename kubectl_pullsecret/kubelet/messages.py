"""The kubelet's image-pull events and waiting messages, and the runtimes' errors inside them.

Formats from pkg/kubelet/images (image_manager.go, types.go) and pkg/kubelet/kubelet_pods.go.
Event text is written by whoever can create Events in a namespace, so it is hostile: it is only
classified here; secrecy.scrub makes it safe before anything quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from kubectl_pullsecret.kubelet.pod import ContainerStatus

FAILED_TO_RETRIEVE_PULL_SECRET = "FailedToRetrieveImagePullSecret"
# Waiting reasons set by the kubelet's image manager (images/types.go).
PULL_FAILURE_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "ImageInspectError",
        "RegistryUnavailable",
        "SignatureValidationFailed",
    }
)
# Reasons of the kubelet's Warning events that can carry pull failures.
PULL_EVENT_REASONS = (
    "Failed",
    "InspectFailed",
    "ErrImageNeverPull",
    FAILED_TO_RETRIEVE_PULL_SECRET,
)

_MISSING_SECRETS = re.compile(r"Unable to retrieve some image pull secrets \((.*)\); attempting")
_FAILED_TO_PULL = re.compile(r'^Failed to pull image "[^"]*": (.*)$', re.S)
_BACKOFF_WITH_ERROR = re.compile(r'^Back-off pulling image "[^"]*": (?:ErrImagePull: )?(.*)$', re.S)
_FIELD_PATH = re.compile(r"^spec\.(containers|initContainers|ephemeralContainers)\{(.+)\}$")


class PullError(str, Enum):
    AUTH = "auth"
    NOT_FOUND = "not-found"
    RATE_LIMITED = "rate-limited"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"


# Order matters: rate limiting and transport errors can mention "unauthorized" further on.
_CLASSIFIERS: tuple[tuple[PullError, re.Pattern[str]], ...] = (
    (PullError.RATE_LIMITED, re.compile(r"toomanyrequests|429 Too Many Requests|rate limit", re.I)),
    (
        PullError.UNREACHABLE,
        re.compile(
            r"no such host|i/o timeout|connection refused|x509: certificate|tls: |"
            r"network is unreachable|no route to host|TLS handshake timeout|"
            r"connection reset by peer|server misbehaving|certificate signed by unknown authority",
            re.I,
        ),
    ),
    (
        PullError.AUTH,
        re.compile(
            r"pull access denied|401 Unauthorized|403 Forbidden|no basic auth credentials|"
            r"unauthorized: |authentication required|insufficient_scope|"
            r"requested access to the resource is denied|failed to authorize|denied: ",
            re.I,
        ),
    ),
    (
        PullError.NOT_FOUND,
        re.compile(r"manifest unknown|not found|404 Not Found|name unknown", re.I),
    ),
)


def classify_pull_error(message: str) -> PullError:
    for kind, pattern in _CLASSIFIERS:
        if pattern.search(message):
            return kind
    return PullError.UNKNOWN


def parse_missing_pull_secrets(message: str) -> list[str]:
    """The secret names in a FailedToRetrieveImagePullSecret message."""
    match = _MISSING_SECRETS.search(message)
    if match is None:
        return []
    return [name.strip() for name in match.group(1).split(",") if name.strip()]


def runtime_error_of(message: str) -> str | None:
    """The runtime's error inside a kubelet message, or None when the message has none.

    Handles `Failed to pull image "<img>": <err>` and, from 1.32 on, the back-off waiting
    message `Back-off pulling image "<img>": ErrImagePull: <err>`.
    """
    for pattern in (_FAILED_TO_PULL, _BACKOFF_WITH_ERROR):
        match = pattern.match(message)
        if match and match.group(1).strip():
            return match.group(1)
    return None


@dataclass(frozen=True)
class ContainerRef:
    kind: str  # containers | initContainers | ephemeralContainers
    name: str


def container_of(field_path: str) -> ContainerRef | None:
    match = _FIELD_PATH.match(field_path or "")
    return ContainerRef(match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class PodEvent:
    """The fields of a core/v1 Event that the diagnosis reads."""

    reason: str
    message: str
    type: str
    field_path: str
    count: int
    last_seen: str  # RFC 3339; sorts chronologically as text

    @property
    def container(self) -> ContainerRef | None:
        return container_of(self.field_path)


def shows_pull_trouble(statuses: Iterable[ContainerStatus], events: Iterable[PodEvent]) -> bool:
    """A container waits for a pull, or the kubelet complained about pull secrets."""
    if any(s.waiting_reason in PULL_FAILURE_REASONS for s in statuses):
        return True
    return any(e.reason == FAILED_TO_RETRIEVE_PULL_SECRET for e in events)

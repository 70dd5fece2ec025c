"""The kubelet's image-pull events and waiting messages, and the runtimes' errors inside them.

Formats from pkg/kubelet/images (image_manager.go, types.go), pkg/kubelet/kubelet_pods.go and
client-go tools/record/events_cache.go; the runtimes' texts from containerd remotes/docker
(v1.6.20, v1.7.34, v2.3.4), CRI-O server/image_pull.go and go.podman.io/image docker/errors.go.
tests/kubelet/pull_messages.py holds the genuine messages, each with its source, that this
module must read right.

Where the runtime's error is found, by kubelet version (versions.KubeletRules says which):

- waiting reason ErrImagePull: the message IS the runtime's raw error (all versions).
- ImagePullBackOff: `Back-off pulling image "<img>"` (<= 1.31, no error), from 1.32
  `Back-off pulling image "<img>": <ErrName>: <msg>` where ErrName is ErrImagePull,
  RegistryUnavailable or SignatureValidationFailed.
- RegistryUnavailable / SignatureValidationFailed (1.28+, CRI-O): `image pull failed for <img>
  because the registry is unavailable: <detail>` / `... because the signature validation
  failed: <detail>`.
- 1.33+: an error while looking up credentials (a pull secret that cannot be decoded) is the
  waiting reason itself, and the message repeats it.
- Warning events `Failed`: `Failed to pull image "<img>": <err>`, maybe behind the prefix
  `(combined from similar events): `, and `Error: <reason>`.
- Several matching credentials: the kubelet tries each and joins the errors with
  utilerrors.NewAggregate: `[err1, err2]` (identical texts merged; one left is not bracketed).
- Before 1.28 every runtime error starts `rpc error: code = Unknown desc = `; from 1.28 only
  the other codes keep the prefix (`rpc error: code = NotFound desc = ...`).

Event and status text is written by whoever can create Events or by the node, so it is hostile:
it is only matched here; secrecy.scrub makes it safe before anything quotes it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from kubectl_pullsecret.kubelet.pod import ContainerStatus

FAILED_TO_RETRIEVE_PULL_SECRET = "FailedToRetrieveImagePullSecret"
# Waiting reasons set by the kubelet's image manager (images/types.go, cri-api errors).
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
# Reasons of the kubelet's Warning events that can carry pull failures. A 1.33+ credential
# lookup error arrives as a `Failed` event `Error: <error text>`.
PULL_EVENT_REASONS = (
    "Failed",
    "InspectFailed",
    "ErrImageNeverPull",
    FAILED_TO_RETRIEVE_PULL_SECRET,
)

# client-go tools/record/events_cache.go: an event that differs from 10 others of the same
# object, type and reason within 600 s only by its message is written as one event with this
# prefix; its key ignores fieldPath, so it may be about any container of the Pod.
COMBINED_PREFIX = "(combined from similar events): "
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_WINDOW_SECONDS = 600
# events_cache.go defaultSpamBurst/defaultSpamQPS: per source and object (any reason), 25
# events, then one per 300 s; a dropped event does not even bump an existing event's count.
SPAM_BURST = 25
SPAM_REFILL_SECONDS = 300
# kube-apiserver --event-ttl default (EKS 10 min to 1 h, OpenShift 3 h).
DEFAULT_EVENT_TTL_SECONDS = 3600
# The kubelet's image back-off doubles up to 300 s (kubelet.go: flowcontrol.NewBackOff(10s,
# 300s)); a Pod that still fails retries at least that often, and each retry writes events.
MAX_PULL_BACKOFF_SECONDS = 300

_MISSING_SECRETS = re.compile(r"Unable to retrieve some image pull secrets \((.*)\); attempting")
_QUOTED = r'"((?:[^"\\]|\\.)*)"'  # a Go %q string
_FAILED_TO_PULL = re.compile(rf"^Failed to pull image {_QUOTED}: (.*)$", re.S)
_BACKOFF = re.compile(rf"^Back-off pulling image {_QUOTED}(?:: (.*))?$", re.S)
_NEVER_PULL = re.compile(rf"^Container image {_QUOTED} is not present with pull policy of Never")
_INVALID_NAME = re.compile(rf"^Failed to apply default image tag {_QUOTED}: (.*)$", re.S)
_INSPECT = re.compile(rf"^Failed to inspect image {_QUOTED}: (.*)$", re.S)
_CRI_ERROR_MESSAGE = re.compile(
    r"^image pull failed for (.*?) because the "
    r"(registry is unavailable|signature validation failed)(?:: (.*)|\.)?$",
    re.S,
)
_ERROR_EVENT = re.compile(r"^Error: (.*)$", re.S)
_FIELD_PATH = re.compile(r"^spec\.(containers|initContainers|ephemeralContainers)\{(.+)\}$")
# A waiting reason the kubelet names (ErrImagePull, CreateContainerConfigError, ...) is one
# CamelCase word; anything else is an error text that became the reason (1.33+ lookups).
_NAMED_REASON = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_GRPC_PREFIX = re.compile(r"^rpc error: code = (\w+) desc = ")
_PREVIOUS_ERROR = ("ErrImagePull", "RegistryUnavailable", "SignatureValidationFailed")


class PullError(str, Enum):
    """What a pull error says about the cause. Values are stable (they reach JSON output)."""

    AUTH = "auth"  # the registry refused the credentials offered, or anonymous access
    NOT_FOUND = "not-found"  # the registry answered: no such repository, tag or blob
    RATE_LIMITED = "rate-limited"  # 429 / toomanyrequests (Docker Hub, CRI-O token 429)
    UNREACHABLE = "unreachable"  # DNS, TCP, TLS trust: the registry could not be talked to
    # The runtime gave up on a pull that stalled (containerd cancels after 5 min without
    # progress: `context canceled`) or hit a deadline; a slow or huge pull, not credentials.
    TIMEOUT = "timeout"
    # The node speaks the wrong protocol to the registry: http to a TLS port answers `400 Bad
    # Request`, https to a plain-http registry `server gave HTTP response to HTTPS client`.
    # The fix is in the runtime's registry config (hosts.toml, registries.conf).
    MISCONFIGURED = "misconfigured"
    SIGNATURE = "signature"  # CRI-O signature policy rejected the image
    SHORT_NAME = "short-name"  # CRI-O could not resolve an unqualified name (registries.conf)
    # The kubelet could not decode a pull secret (bad base64 `auth`, bad JSON): no pull was
    # attempted and every credential of the Pod is blocked.
    CREDENTIAL_LOOKUP = "credential-lookup"
    # The node's disk filled up while the runtime stored or unpacked the image (ENOSPC).
    NODE_DISK = "node-disk"
    # A manifest or layer arrived damaged or cut short: a size or digest that does not match,
    # an unexpected end of the stream. The registry was reached and answered.
    DAMAGED = "damaged-download"
    # The kubelet's own pull throttle (registryPullQPS/registryBurst) refused the pull before it
    # reached the runtime: no registry and no credential was involved.
    THROTTLED = "throttled"
    # The runtime could not inspect the image on the node (ImageStatus): no pull took place.
    INSPECT = "inspect-failed"
    # The registry (or a proxy before it) answered 5xx: 500, 502, 503, 504.
    REGISTRY_ERROR = "registry-error"
    # The image exists, but its index names no manifest for the node's OS and architecture.
    NO_PLATFORM = "no-platform"
    UNKNOWN = "unknown"


def _bad_request_for_manifest(text: str) -> bool:
    """`400 Bad Request` answering a manifest request (its URL or `[manifests <ref>]` before
    it on the same line): http spoken to a TLS port. A token server's 400 is not this."""
    for line in text.split("\n"):
        last = line.rfind(": 400 Bad Request")
        if last != -1 and "manifests" in line[:last]:
            return True
    return False


def _closed_before_answering(text: str) -> bool:
    """containerd's `failed to do request: Get "<url>": EOF`: the server (or a proxy) closed
    the connection before it answered (Go's net/http returns io.EOF). A body cut short after
    the answer began is `unexpected EOF` instead (DAMAGED)."""
    return "failed to do request: " in text and text.rstrip().endswith(": EOF")


class _LazyPattern:
    """A regular expression compiled at its first use (start-up pays for none of them)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


# Order matters: the first match wins for one error text. Kubelet decoding errors are whole
# texts; rate limiting, transport and timeout errors can mention "unauthorized" further on.
@functools.cache
def _classifiers() -> tuple[tuple[PullError, Callable[[str], object]], ...]:
    """Compiled at the first error to classify: a healthy cluster's run never pays for them."""
    return (
        (
            PullError.CREDENTIAL_LOOKUP,
            re.compile(
                r"illegal base64 data at input byte \d+|unable to parse auth field|"
                r"^invalid character .* looking for beginning of (?:value|object key string)$|"
                r"^unexpected end of JSON input$|^json: cannot unmarshal .* into Go .*$",
                re.S,
            ).search,
        ),
        # pkg/kubelet/images/helpers.go throttledImageService: `pull QPS exceeded` (`.` before 1.x).
        (PullError.THROTTLED, re.compile(r"\bpull QPS exceeded", re.I).search),
        # ENOSPC and EDQUOT, whoever wrote the file: containerd's content ingest and snapshotter,
        # CRI-O's /var/tmp blob copy, dockershim's layer registration.
        (
            PullError.NODE_DISK,
            re.compile(r"no space left on device|disk quota exceeded", re.I).search,
        ),
        # containerd core/images handlers.go and image.go, go.podman.io/image manifest lists and
        # OCI indexes, the docker daemon: an index without the node's platform. Before NOT_FOUND:
        # containerd wraps it in ErrNotFound (`...: not found`).
        (
            PullError.NO_PLATFORM,
            re.compile(
                r"no match for (?:current )?platform\b|no matching manifest for \S+ in the manifest "
                r"list|no image found in (?:image index|manifest list) for architecture|"
                r"does not match the specified platform",
                re.I,
            ).search,
        ),
        # containerd core/content helpers.go and core/metadata content.go (`failed commit on ref`,
        # `failed size validation`, `unexpected commit digest/size`, 2.x `short read`), Go's
        # io.ErrUnexpectedEOF, go.podman.io/image copy (`Digest did not match`, `happened during
        # read`), a manifest whose digest is not the one asked for.
        (
            PullError.DAMAGED,
            re.compile(
                r"failed size validation|unexpected commit (?:digest|size)|failed commit on ref|"
                r"short read: expected|unexpected EOF|Digest did not match|digest mismatch|"
                r"does not match (?:the )?(?:provided|expected) (?:manifest )?digest|"
                r"happened during read|size mismatch|content digest \S+ mismatch",
                re.I,
            ).search,
        ),
        (
            PullError.SHORT_NAME,
            re.compile(
                r"short-name \S+ did not resolve to an alias|short name mode is enforcing|"
                r"short-name resolution enforced",
                re.I,
            ).search,
        ),
        (
            PullError.SIGNATURE,
            re.compile(
                r"SignatureValidationFailed|signature validation failed|Source image rejected|"
                r"A signature was required|no signature exists",
                re.I,
            ).search,
        ),
        (
            PullError.RATE_LIMITED,
            re.compile(
                r"toomanyrequests|429 Too Many Requests|too many requests|rate limit", re.I
            ).search,
        ),
        (
            PullError.MISCONFIGURED,
            re.compile(
                r"server gave HTTP response to HTTPS client|"
                r"Client sent an HTTP request to an HTTPS server",
                re.I,
            ).search,
        ),
        (PullError.MISCONFIGURED, _bad_request_for_manifest),
        (PullError.UNREACHABLE, _closed_before_answering),
        # A 5xx from the registry, its token server or a proxy before them (rate limits, which
        # some registries send as 503, are matched above). Go's net/http status texts; containerd
        # `unexpected status ...: 503 Service Unavailable`, CRI-O `received unexpected HTTP status:
        # 500 Internal Server Error`, older c/image `Invalid status code returned when fetching
        # blob 504`, the kubelet's `StatusCode: 502`.
        (
            PullError.REGISTRY_ERROR,
            re.compile(
                r"\b5\d\d (?:Internal Server Error|Bad Gateway|Service (?:Temporarily )?Unavailable|"
                r"Gateway Time-?out|Not Implemented|HTTP Version Not Supported|Insufficient Storage|"
                r"Loop Detected|Network Authentication Required|Variant Also Negotiates|"
                r"Not Extended)\b|"
                r"(?:status(?: code)?(?: from registry)?|StatusCode)[:=]? ?5\d\d\b|"
                r"fetching blob 5\d\d\b|"
                r"\(?HTTP(?: code)? 5\d\d\b",
                re.I,
            ).search,
        ),
        (
            PullError.UNREACHABLE,
            re.compile(
                r"no such host|i/o timeout|connection refused|x509: |tls: |"
                r"network is unreachable|no route to host|host is unreachable|TLS handshake timeout|"
                r"connection reset by peer|server misbehaving|certificate signed by unknown authority|"
                r"lookup \S+(?: on \S+)?: Try again|Temporary failure in name resolution|"
                r"connect: connection timed out|registry is unavailable|RegistryUnavailable",
                re.I,
            ).search,
        ),
        (
            PullError.TIMEOUT,
            re.compile(
                r"context canceled|context deadline exceeded|"
                r"code = (?:Canceled|DeadlineExceeded) desc",
                re.I,
            ).search,
        ),
        (
            PullError.AUTH,
            re.compile(
                r"pull access denied|40[13] \(?(?:Unauthorized|Forbidden)|no basic auth credentials|"
                r"\bunauthorized\b|authentication required|insufficient_scope|"
                r"requested access to the resource is denied|failed to authorize|denied: |"
                r"invalid username/password|unauthenticated|"
                # The status code alone, should a cut text end before its phrase (`401 Unauthor`).
                r"(?:failed with status code \[[^\]\n]{0,256}\]|request to \S+|unexpected status(?: code "
                r"\S+)?): 40[13]\b",
                re.I,
            ).search,
        ),
        (
            PullError.NOT_FOUND,
            re.compile(
                r"manifest unknown|not found|404 Not Found|name unknown|"
                r"repository name not known to registry",
                re.I,
            ).search,
        ),
    )


# For several credentials: the attempt that got furthest says most. An answer other than an
# auth failure means some credential was accepted (or never reached auth), so "credentials
# rejected" is true only when every recognised attempt was rejected.
_AGGREGATE_PRIORITY = (
    PullError.NODE_DISK,
    PullError.DAMAGED,
    PullError.NO_PLATFORM,
    PullError.NOT_FOUND,
    PullError.SIGNATURE,
    PullError.SHORT_NAME,
    PullError.MISCONFIGURED,
    PullError.THROTTLED,
    PullError.INSPECT,
    PullError.REGISTRY_ERROR,
    PullError.RATE_LIMITED,
    PullError.TIMEOUT,
    PullError.UNREACHABLE,
    PullError.AUTH,
    PullError.CREDENTIAL_LOOKUP,
    PullError.UNKNOWN,
)

# How one credential's error starts, for containerd 1.6-2.x, CRI-O and dockershim, with or
# without the gRPC prefix. Splitting an aggregate only at ", " followed by one of these keeps
# the commas inside an error ("pull access denied, repository does not exist ...") intact.
_ATTEMPT_HEAD = _LazyPattern(
    r"rpc error: code = \w+ desc = |failed to pull and unpack image |failed to pull image |"
    r"failed to resolve reference |failed to resolve image|failed to copy|failed to do request|"
    r"failed to authorize|failed to fetch|pulling from host |unexpected status|"
    r"pull access denied|initializing source |reading manifest |Error reading manifest |"
    r"pinging container registry |unable to retrieve auth token|Requesting bearer token|"
    r"RegistryUnavailable: |SignatureValidationFailed: |Source image rejected|short-name |"
    r"short name mode|too many requests to registry|Error response from daemon|"
    r"image pull failed for |trying and failing to pull image|error pinging|"
    r"copying system image |writing blob|reading blob |Error reading blob |Error writing blob|"
    r"choosing image instance|unable to pull image|failed commit on ref |pull QPS exceeded"
)


def _first_match(text: str) -> PullError:
    for kind, matches in _classifiers():
        if matches(text):
            return kind
    return PullError.UNKNOWN


def split_attempts(message: str) -> tuple[str, ...]:
    """The per-credential errors of a kubelet aggregate `[err1, err2, ...]`.

    kuberuntime PullImage tries every matching credential in keyring order (the Pod's secrets,
    then the node's docker config, then credential providers) and returns
    utilerrors.NewAggregate: one error alone is not bracketed, identical texts are merged (so
    two credentials can leave one text). The errors contain ", " and brackets themselves, so
    the text is cut only where a new runtime error starts. A text that is not an aggregate,
    or one that cannot be cut safely (a truncated event may lose the closing bracket), comes
    back whole.
    """
    text = message.strip()
    if not text.startswith("[") or not _ATTEMPT_HEAD.match(text, 1):
        return (text,)
    inner = text[1:-1] if text.endswith("]") else text[1:]
    parts: list[str] = []
    start = 0
    position = inner.find(", ")
    while position != -1:
        if _ATTEMPT_HEAD.match(inner, position + 2):
            parts.append(inner[start:position])
            start = position + 2
        position = inner.find(", ", position + 2)
    parts.append(inner[start:])
    return tuple(parts) if len(parts) > 1 else (text,)


@dataclass(frozen=True)
class PullAttempt:
    """One credential's (or the anonymous) attempt, as the kubelet reported it."""

    error: str
    kind: PullError
    grpc_code: str | None = None  # "NotFound", "Canceled", ... (kept by the kubelet >= 1.28)


def grpc_code_of(error: str) -> str | None:
    """The gRPC status code of `rpc error: code = X desc = ...`, if the text starts so."""
    match = _GRPC_PREFIX.match(error.strip())
    return match.group(1) if match else None


def pull_attempts(message: str) -> tuple[PullAttempt, ...]:
    """Every attempt in a runtime error, classified apart, in the kubelet's order."""
    return tuple(
        PullAttempt(part, _first_match(part), grpc_code_of(part))
        for part in split_attempts(message)
    )


# containerd 1.7 and 2.x (core/remotes/docker/authorizer.go AddResponses): a Basic challenge
# with no credentials ends at once in `no basic auth credentials`, a Bearer one fetches an
# `anonymous token`; so a 401 status after retries, or an `oauth token` refused, means that
# credentials were sent. containerd 1.6 says `pulling from host ... failed with status code
# [manifests ...]: 401 Unauthorized` for both (real-node.md), so its text tells nothing.
_CREDENTIALS_SENT = _LazyPattern(
    r"unexpected status from (?:HEAD|GET) request to \S+: 401 Unauthorized|"
    r"failed to fetch oauth token"
)


def credentials_sent(attempts: Iterable[PullAttempt]) -> bool:
    """Whether a refused pull's text proves that the runtime sent credentials (containerd
    1.7+; False when it cannot tell)."""
    return any(a.kind is PullError.AUTH and _CREDENTIALS_SENT.search(a.error) for a in attempts)


def overall_kind(attempts: Iterable[PullAttempt]) -> PullError:
    """The class of a failed pull over all its attempts (see _AGGREGATE_PRIORITY)."""
    kinds = {attempt.kind for attempt in attempts}
    return next((kind for kind in _AGGREGATE_PRIORITY if kind in kinds), PullError.UNKNOWN)


def classify_pull_error(message: str) -> PullError:
    """The cause a runtime error names; for several credentials, see overall_kind."""
    return overall_kind(pull_attempts(message))


def parse_missing_pull_secrets(message: str) -> list[str]:
    """The secret names in a FailedToRetrieveImagePullSecret message."""
    match = _MISSING_SECRETS.search(message)
    if match is None:
        return []
    return [name.strip() for name in match.group(1).split(",") if name.strip()]


def strip_combined_prefix(message: str) -> str:
    """An event message without the aggregator's `(combined from similar events): ` prefix."""
    return message.removeprefix(COMBINED_PREFIX)


def is_named_reason(reason: str) -> bool:
    """A reason the kubelet names (ErrImagePull), not an error text used as the reason."""
    return bool(_NAMED_REASON.match(reason))


def is_pull_failure(reason: str) -> bool:
    """A waiting reason that means the container waits for its image.

    The named reasons, plus (1.33+) a credential-lookup error text standing as the reason.
    No other path of the kubelet puts raw error text into a waiting reason: startContainer's
    other failures are named (CreateContainerConfigError, RunContainerError, ...).
    """
    return reason in PULL_FAILURE_REASONS or (bool(reason) and not is_named_reason(reason))


def _unquote(go_quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", go_quoted)


def _after_error_name(text: str) -> tuple[str | None, str]:
    """`ErrImagePull: <msg>` -> ("ErrImagePull", msg): the 1.32+ back-off wrapping."""
    for name in _PREVIOUS_ERROR:
        if text.startswith(name + ": "):
            return name, text[len(name) + 2 :]
    return None, text


def runtime_error_of(message: str) -> str | None:
    """The runtime's error inside a kubelet event or waiting message, or None when it has none.

    Reads `Failed to pull image "<img>": <err>` (with or without the aggregator's prefix), the
    1.32+ back-off message `Back-off pulling image "<img>": <ErrName>: <err>`, the CRI error
    messages `image pull failed for <img> because ...` (returned whole: the cause is in the
    sentence) and a 1.33+ `Error: <credential lookup error>` event. A bare `Back-off pulling
    image "<img>"`, `Error: ImagePullBackOff` or `Error: <anything not a pull's>` has none.
    For a waiting ErrImagePull, whose message is the raw error itself, use read_waiting.
    """
    text = strip_combined_prefix(message)
    match = _FAILED_TO_PULL.match(text)
    if match:
        return match.group(2).strip() or None
    match = _BACKOFF.match(text)
    if match:
        _, error = _after_error_name(match.group(2) or "")
        return error.strip() or None
    if _CRI_ERROR_MESSAGE.match(text):
        return text.strip()
    match = _ERROR_EVENT.match(text)
    # startContainer writes `Error: <text>` for every failure it meets (a missing env secret,
    # runAsNonRoot, ...): only a credential-lookup error is a pull's.
    if match and _first_match(match.group(1).strip()) is PullError.CREDENTIAL_LOOKUP:
        return match.group(1).strip()
    return None


def image_of_event(message: str) -> str | None:
    """The image (as written in the spec) a Failed-to-pull or back-off message names."""
    text = strip_combined_prefix(message)
    for pattern in (_FAILED_TO_PULL, _BACKOFF, _NEVER_PULL, _INVALID_NAME, _INSPECT):
        match = pattern.match(text)
        if match:
            return _unquote(match.group(1))
    return None


class WaitingForm(str, Enum):
    """How the kubelet put a pull failure into `state.waiting`."""

    PULL_ERROR = "ErrImagePull"  # message: the runtime's raw error
    BACK_OFF = "ImagePullBackOff"  # message: bare (<= 1.31) or with the previous error (1.32+)
    REGISTRY_UNAVAILABLE = "RegistryUnavailable"  # 1.28+ with CRI-O: connection refused
    SIGNATURE_FAILED = "SignatureValidationFailed"  # 1.28+ with CRI-O: signature policy
    NEVER_PULL = "ErrImageNeverPull"  # pull policy Never: not present (1.35+: or not verified)
    INVALID_NAME = "InvalidImageName"
    INSPECT_FAILED = "ImageInspectError"
    CREDENTIAL_LOOKUP = "credential-lookup"  # 1.33+: the lookup error is the reason itself


@dataclass(frozen=True)
class WaitingPull:
    """What a waiting container's reason and message say about its pull.

    `error` is the runtime's error text (for CREDENTIAL_LOOKUP the kubelet's own), None when
    the message carries none (a bare <= 1.31 back-off, ErrImageNeverPull). `image` is the
    image as the message names it. `previous` is the error name a 1.32+ back-off message
    carries (ErrImagePull, RegistryUnavailable, SignatureValidationFailed).
    """

    form: WaitingForm
    error: str | None = None
    image: str | None = None
    previous: str | None = None

    @property
    def attempts(self) -> tuple[PullAttempt, ...]:
        return pull_attempts(self.error) if self.error else ()

    @property
    def kind(self) -> PullError:
        """The cause, the CRI error types taking precedence over the text's keywords."""
        named = self.previous or self.form.value
        if named == WaitingForm.REGISTRY_UNAVAILABLE.value:
            return PullError.UNREACHABLE
        if named == WaitingForm.SIGNATURE_FAILED.value:
            return PullError.SIGNATURE
        if self.form is WaitingForm.INSPECT_FAILED:
            # ImageStatus failed: whatever its text says, no pull and no credential took part.
            return PullError.INSPECT
        return overall_kind(self.attempts) if self.error else PullError.UNKNOWN


def _cri_error_detail(message: str) -> tuple[str | None, str]:
    """(image, text) of `image pull failed for <img> because ...`; the whole text is kept."""
    match = _CRI_ERROR_MESSAGE.match(message)
    return (match.group(1), message) if match else (None, message)


def read_waiting(reason: str, message: str) -> WaitingPull | None:
    """A container's `state.waiting` read as a pull failure, or None when it is none."""
    reason, message = reason.strip(), message.strip()
    if reason == "ErrImagePull":
        # Always the raw error; read a full kubelet sentence too, should a runtime send one.
        return WaitingPull(WaitingForm.PULL_ERROR, runtime_error_of(message) or message or None)
    if reason == "ImagePullBackOff":
        match = _BACKOFF.match(message)
        if match is None:
            return WaitingPull(WaitingForm.BACK_OFF)
        previous, error = _after_error_name((match.group(2) or "").strip())
        return WaitingPull(WaitingForm.BACK_OFF, error or None, _unquote(match.group(1)), previous)
    if reason in (WaitingForm.REGISTRY_UNAVAILABLE.value, WaitingForm.SIGNATURE_FAILED.value):
        image, text = _cri_error_detail(message)
        return WaitingPull(WaitingForm(reason), text or None, image)
    simple = {
        "ErrImageNeverPull": (WaitingForm.NEVER_PULL, _NEVER_PULL),
        "InvalidImageName": (WaitingForm.INVALID_NAME, _INVALID_NAME),
        "ImageInspectError": (WaitingForm.INSPECT_FAILED, _INSPECT),
    }
    if reason in simple:
        form, pattern = simple[reason]
        match = pattern.match(message)
        if match is None:
            return WaitingPull(form)
        error = match.group(2).strip() if match.lastindex and match.lastindex >= 2 else None
        return WaitingPull(form, error or None, _unquote(match.group(1)))
    if is_pull_failure(reason):
        return WaitingPull(WaitingForm.CREDENTIAL_LOOKUP, reason)
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

    @property
    def combined(self) -> bool:
        """An aggregate of similar events: its fieldPath may name any container of the Pod."""
        return self.message.startswith(COMBINED_PREFIX)


def shows_pull_trouble(statuses: Iterable[ContainerStatus], events: Iterable[PodEvent]) -> bool:
    """A container waits for a pull, or the kubelet complained about pull secrets."""
    if any(is_pull_failure(s.waiting_reason) for s in statuses):
        return True
    return any(e.reason == FAILED_TO_RETRIEVE_PULL_SECRET for e in events)


def parse_time(value: str) -> datetime | None:
    """An RFC 3339 timestamp of the API (`Z` or an offset, optional fraction), or None."""
    match = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})",
        value.strip(),
    )
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "").ljust(6, "0")[:6]
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}.{micro}")
    except ValueError:
        return None
    if zone in ("Z", "z"):
        return moment.replace(tzinfo=timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment.replace(tzinfo=timezone(sign * offset))


@dataclass(frozen=True)
class EventTrail:
    """What a Pod's kubelet events can still tell, given how events are thinned and expire.

    - `occurrences`: sum of the counts of the events given. Every kubelet event of the Pod,
      of any reason (Pulling, BackOff, Failed...), spends the same spam-filter token, so pass
      them all where possible; fewer events only understate it. Without `Pulling` events,
      each pull error counts twice, for its attempt's `Pulling`; without `BackOff` events,
      each `Error: ImagePullBackOff` counts twice, for its `Back-off pulling image`.
    - `throttled`: at least SPAM_BURST occurrences, less one for each pair estimated (the
      unread event comes first and may have spent the last token): the per-object filter
      (25, then one per 5 min) is probably dropping events, and counts and lastTimestamps stop moving.
    - `combined`: some messages were folded into `(combined from similar events): ...`.
    - `pull_error_seen`: some event still carries a runtime pull error.
    - `stale`: the Pod still fails, but the newest pull error is older than a retry (back-off
      300 s) plus a token refill (300 s): the events lag the kubelet, read the status.
    - `expired`: the Pod still fails and no pull error is left (TTL, 1 h by default, or the
      filter): the waiting message is the only evidence.
    """

    occurrences: int
    throttled: bool
    combined: bool
    pull_error_seen: bool
    newest_pull_error: str  # RFC 3339 of the newest event carrying a pull error, or ""
    stale: bool
    expired: bool


def event_trail(events: Iterable[PodEvent], now: datetime, failing: bool) -> EventTrail:
    """Judge a Pod's events against the spam filter and the event TTL; `now` is aware."""
    events = list(events)
    occurrences = sum(max(event.count, 1) for event in events)
    pull_errors = [e for e in events if e.reason == "Failed" and runtime_error_of(e.message)]
    # Events the filter counted that diagnose does not read (Normal ones, and BackOff, which
    # is mostly about crashing containers), each paired with one it does read: an attempt's
    # `Pulling` with its pull error, a `Back-off pulling image` with its `Error: ImagePullBackOff`.
    # The unread one of a pair comes first, so it may have taken the burst's last token: each
    # pair estimated leaves one event of slack.
    reasons = {e.reason for e in events}
    slack = 0
    if "Pulling" not in reasons:
        occurrences += sum(max(e.count, 1) for e in pull_errors)
        slack += 1
    if "BackOff" not in reasons:
        occurrences += sum(
            max(e.count, 1) for e in events if e.message == "Error: ImagePullBackOff"
        )
        slack += 1
    newest = max((e.last_seen for e in pull_errors), default="")
    moment = parse_time(newest) if newest else None
    lag = (now - moment).total_seconds() if moment else None
    stale = failing and lag is not None and lag > MAX_PULL_BACKOFF_SECONDS + SPAM_REFILL_SECONDS
    return EventTrail(
        occurrences=occurrences,
        throttled=occurrences + slack >= SPAM_BURST,
        combined=any(e.combined for e in events),
        pull_error_seen=bool(pull_errors),
        newest_pull_error=newest,
        stale=stale,
        expired=failing and not pull_errors,
    )

"""Which kubelet and runtime a verdict assumes, and the pull rules that differ by version.

A node reports `status.nodeInfo.kubeletVersion` ("v1.29.3-eks-ae9a62a", "v1.33.1+k3s1") and
`containerRuntimeVersion` ("containerd://1.7.27", "cri-o://1.36.0", "docker://20.10.7"); the
API server reports its /version `gitVersion`. `rules_for` turns what is known into
`KubeletRules`: the node's own versions first, then the server's (a kubelet is never newer than
its API server, and at most three minor releases older), and the newest kubelet when nothing is
known.

Every property of `KubeletRules` cites where the behaviour starts. Feature-gate defaults come
from the versioned table in pkg/features/kube_features.go (read in the 1.35 tree); releases
"inferred" below were worked out from a PR's merge date and its release note in
CHANGELOG-1.xx.md, as recorded in ../shared/docs/modern-kubelet.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def at_least(self, minor: int, major: int = 1) -> bool:
        return (self.major, self.minor) >= (major, minor)


# The newest kubelet the rules describe (issue 20: "1.20 to 1.37", proven on a genuine 1.37.2
# node); the default when no version is known, so that every rule of a current cluster applies.
NEWEST = Version(1, 37, 0)
OLDEST_SUPPORTED = Version(1, 20, 0)

# "v1.29.3-eks-ae9a62a", "1.33.1+k3s1", "v1.31.0-alpha.1", "v1.30.5-gke.1014001", "v1.28"
_SEMVER = re.compile(
    r"^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?P<rest>[-+.~_][\x21-\x7e]{0,120})?$"
)


def parse_version(text: object) -> Version | None:
    """A Kubernetes or runtime version string; None for anything else (fields are hostile)."""
    if not isinstance(text, str):
        return None
    match = _SEMVER.match(text.strip())
    if match is None:
        return None
    major, minor, patch = match.group(1), match.group(2), match.group(3)
    return Version(int(major), int(minor), int(patch or 0))


def parse_server_version(info: Mapping[str, object]) -> Version | None:
    """The API server's /version: gitVersion, or else major/minor ("1", "29+" on EKS/GKE)."""
    found = parse_version(info.get("gitVersion"))
    if found is not None:
        return found
    major, minor = info.get("major"), info.get("minor")
    if isinstance(major, str) and isinstance(minor, str):
        return parse_version(f"{major}.{minor.rstrip('+')}")
    return None


class Runtime(str, Enum):
    CONTAINERD = "containerd"
    CRIO = "cri-o"
    DOCKER = "docker"  # dockershim (kubelet <= 1.23) or cri-dockerd
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RuntimeInfo:
    runtime: Runtime
    version: Version | None
    raw: str = ""

    def __str__(self) -> str:
        if self.runtime is Runtime.UNKNOWN:
            return "unknown runtime"
        return f"{self.runtime.value} {self.version}" if self.version else self.runtime.value


UNKNOWN_RUNTIME = RuntimeInfo(Runtime.UNKNOWN, None)
_RUNTIME_NAMES = {
    "containerd": Runtime.CONTAINERD,
    "cri-o": Runtime.CRIO,
    "crio": Runtime.CRIO,
    "docker": Runtime.DOCKER,
}


def parse_runtime(text: object) -> RuntimeInfo:
    """`containerRuntimeVersion` ("containerd://1.7.27"): the runtime and its version."""
    if not isinstance(text, str) or "://" not in text:
        return UNKNOWN_RUNTIME
    name, _, version = text.strip().partition("://")
    runtime = _RUNTIME_NAMES.get(name.lower(), Runtime.OTHER)
    # Distribution builds append their own suffix ("1.6.20~ds1-1", "1.7.27-0ubuntu1").
    return RuntimeInfo(runtime, parse_version(version), text.strip()[:80])


class Gate(str, Enum):
    """A kubelet feature gate's state in a release, by default."""

    ABSENT = "absent"  # the release has no such feature
    OFF = "off"  # alpha, or beta off by default: only where an admin enabled it
    ON = "on"  # beta, on by default: unless an admin disabled it
    GA = "ga"  # locked on

    @property
    def possible(self) -> bool:
        return self is not Gate.ABSENT

    @property
    def by_default(self) -> bool:
        return self in (Gate.ON, Gate.GA)


def _gate(version: Version, stages: tuple[tuple[int, Gate], ...]) -> Gate:
    state = Gate.ABSENT
    for minor, stage in stages:
        if version.at_least(minor):
            state = stage
    return state


class Basis(str, Enum):
    """Where a `KubeletRules` got its kubelet version from."""

    NODE = "node"  # the Pod's node reported it
    GIVEN = "given"  # the user named it (`check --kubelet-version`)
    SERVER = "server"  # the API server's version: the kubelet is that or up to 3 minors older
    DEFAULT = "default"  # nothing known: the newest kubelet's rules


@dataclass(frozen=True)
class KubeletRules:
    """The pull behaviour of one kubelet release on one runtime."""

    kubelet: Version = NEWEST
    basis: Basis = Basis.DEFAULT
    runtime: RuntimeInfo = UNKNOWN_RUNTIME
    kubelet_raw: str = ""

    # -- events -------------------------------------------------------------------------------

    @property
    def missing_secret_event(self) -> bool:
        """The kubelet emits Warning FailedToRetrieveImagePullSecret on the Pod.

        From v1.28: kubernetes PR #117927, CHANGELOG-1.28 "Added a new event
        `FailedToRetrieveImagePullSecret`". Before, the kubelet only logs (seen on a genuine
        1.20.2 node: real-node.md, `kubelet_pods.go:880] Unable to retrieve pull secret`).
        """
        return self.kubelet.at_least(28)

    @property
    def missing_secret_event_on_every_sync(self) -> bool:
        """The event also fires for Pods that pull fine or are Running (every pod sync).

        From 1.28 until 1.37, whose kubelet emits it only for a sync whose pull failed:
        kubernetes PR #138432, CHANGELOG-1.37 (v1.37.0) "Changed to only emit
        `FailedToRetrieveImagePullSecret` events if an image pull has failed"; kubelet.go SyncPod
        `if hasPullFailures`. Seen on a genuine 1.37.2 node: a Running Pod with a secret gone
        gets none (tests/node/test_current_kubelet.py).
        """
        return self.missing_secret_event and not self.kubelet.at_least(37)

    # -- the texts the kubelet writes -----------------------------------------------------------

    @property
    def strips_unknown_grpc_prefix(self) -> bool:
        """`rpc error: code = Unknown desc = ` is gone from pull errors; other codes stay.

        From v1.28: PR #117612 (CHANGELOG-1.28 "Fixed bug to correctly report
        `ErrRegistryUnavailable`..."), cri-client remote_image.go pullImageV1 returns
        `errors.New(statusErr.Message())` for codes.Unknown.
        """
        return self.kubelet.at_least(28)

    @property
    def backoff_keeps_error(self) -> bool:
        """The ImagePullBackOff waiting message carries the previous pull error.

        From v1.32: PR #127918; image_manager.go stores `fmt.Sprintf("%s: %s", err, msg)` and
        the back-off message becomes `Back-off pulling image "<img>": <ErrName>: <msg>`.
        """
        return self.kubelet.at_least(32)

    @property
    def credential_errors_as_reason(self) -> bool:
        """A credential-lookup error (a pull secret the kubelet cannot decode) is the waiting
        reason itself, with no ErrImagePull, no Failed-to-pull event and no back-off.

        From v1.33, where the lookup moved into image_manager.go EnsureImageExists
        (`pullCredentials, err := lookupPullCredentials(); if err != nil { return "",
        err.Error(), err }`, with KEP-2535/4412). Before, the same error went through the
        runtime pull and surfaced as ErrImagePull with the error as message (genuine 1.20.2:
        `illegal base64 data at input byte 0`). (Code, not yet observed on a node.)
        """
        return self.kubelet.at_least(33)

    @property
    def registry_unavailable_reasons(self) -> bool:
        """Waiting reasons RegistryUnavailable / SignatureValidationFailed can occur.

        Needs kubelet >= 1.28 (evalCRIPullErr, PRs #117612/#117717/#117935) and a runtime that
        returns the CRI error types: only CRI-O >= 1.28.0 does (server/image_pull.go wraps
        ECONNREFUSED in ErrRegistryUnavailable and signature.PolicyRequirementError in
        ErrSignatureValidationFailed; 1.32 adds InvalidSignatureError via
        internal/storage/image.go WrapSignatureCRIErrorIfNeeded). containerd never does
        (no use of the type in v2.3.4). Unknown runtime: possible.
        """
        if not self.kubelet.at_least(28):
            return False
        runtime = self.runtime
        if runtime.runtime is Runtime.UNKNOWN:
            return True
        return runtime.runtime is Runtime.CRIO and (
            runtime.version is None or runtime.version.at_least(28)
        )

    @property
    def pull_progress_timeout_seconds(self) -> int | None:
        """The runtime cancels a pull that makes no progress for this long (`context canceled`).

        containerd >= 1.7: `image_pull_progress_timeout` default 5m (pkg/cri/config/config.go
        in v1.7, internal/cri/config/config.go in v2.x; log "cancel pulling image %s because
        of no progress in %v"); containerd 1.6 has none. CRI-O `pull_progress_timeout`
        defaults to 0 (off). None when unknown or off. The kubelet sets no deadline itself.
        """
        runtime = self.runtime
        if runtime.runtime is Runtime.CONTAINERD and runtime.version is not None:
            return 300 if runtime.version.at_least(7) else None
        return None

    # -- how images are named ----------------------------------------------------------------

    @property
    def name_length_counts_domain(self) -> bool:
        """The 255-character limit counts domain and path together (else the path only).

        The kubelet parses with distribution/reference: docker/distribution up to 1.28 and
        github.com/distribution/reference v0.5.0 from 1.29 (CHANGELOG-1.29 "Added
        github.com/distribution/reference v0.5.0") check `len(matches[1])`, the whole name;
        v0.6.0 checks `len(repo.path)` (reference.go Parse). Kubernetes moved to v0.6.0 in
        v1.32.0-alpha.1 (CHANGELOG-1.32 dependencies "v0.5.0 -> v0.6.0").
        """
        return not self.kubelet.at_least(32)

    # -- features that change which images need which credentials ---------------------------

    @property
    def ensure_secret_pulled_images(self) -> Gate:
        """KEP-2535 KubeletEnsureSecretPulledImages: a cached image is re-checked against the
        Pod's credentials (IfNotPresent pulls again; Never fails with ErrImageNeverPull).

        kube_features.go: {1.33 Alpha false}, {1.35 Beta true} (PR #135228). The node's
        imagePullCredentialsVerificationPolicy (default NeverVerifyPreloadedImages) can exempt
        images; a client cannot read it.
        """
        return _gate(self.kubelet, ((33, Gate.OFF), (35, Gate.ON)))

    @property
    def image_volumes(self) -> Gate:
        """KEP-4639 ImageVolume (`spec.volumes[].image`), pulled with the Pod's secrets.

        kube_features.go: {1.31 Alpha false}, {1.33 Beta false}, {1.35 Beta true}; GA in 1.36
        per the KEP (keps/sig-node/4639-oci-volume-source/kep.yaml).
        """
        return _gate(self.kubelet, ((31, Gate.OFF), (35, Gate.ON), (36, Gate.GA)))

    @property
    def service_account_token_providers(self) -> Gate:
        """KEP-4412 KubeletServiceAccountTokenForCredentialProviders: credential provider
        plugins get the Pod's ServiceAccount token and selected annotations.

        kube_features.go: {1.33 Alpha false}, {1.34 Beta true}.
        """
        return _gate(self.kubelet, ((33, Gate.OFF), (34, Gate.ON)))

    # -- for -o wide and JSON ---------------------------------------------------------------

    def describe(self) -> str:
        """One line: which kubelet and runtime the verdicts assume, and how that is known."""
        kubelet = self.kubelet_raw or f"v{self.kubelet}"
        how = {
            Basis.NODE: "from the node",
            Basis.GIVEN: "as given",
            Basis.SERVER: "assumed from the API server; the kubelet may be up to 3 minors older",
            Basis.DEFAULT: "assumed: the newest",
        }[self.basis]
        return f"kubelet {kubelet} ({how}), {self.runtime}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kubeletVersion": self.kubelet_raw or f"v{self.kubelet}",
            "kubeletVersionSource": self.basis.value,
            "runtime": self.runtime.runtime.value,
            "runtimeVersion": str(self.runtime.version) if self.runtime.version else None,
        }


def rules_for(
    kubelet_version: str | None = None,
    runtime_version: str | None = None,
    server_version: str | Mapping[str, object] | None = None,
) -> KubeletRules:
    """The rules for a Pod's node: its own versions, else the server's, else the newest.

    Pass the node's `status.nodeInfo` fields when the Pod is scheduled and `get nodes` is
    allowed; the server's /version (gitVersion string or the whole JSON) otherwise.
    """
    runtime = parse_runtime(runtime_version)
    node = parse_version(kubelet_version)
    if node is not None:
        basis, version, raw = Basis.NODE, node, str(kubelet_version).strip()[:80]
    else:
        if isinstance(server_version, Mapping):
            server, shown = parse_server_version(server_version), server_version.get("gitVersion")
        else:
            server, shown = parse_version(server_version), server_version
        if server is not None:
            raw = shown.strip()[:80] if isinstance(shown, str) and parse_version(shown) else ""
            basis, version = Basis.SERVER, server
        else:
            basis, version, raw = Basis.DEFAULT, NEWEST, ""
    return KubeletRules(kubelet=version, basis=basis, runtime=runtime, kubelet_raw=raw)


def rules_given(kubelet_version: str, runtime_version: str | None = None) -> KubeletRules | None:
    """The rules for a version the user named (`check --kubelet-version v1.29`); None when it
    is no version, so that the command can say so."""
    version = parse_version(kubelet_version)
    if version is None:
        return None
    return KubeletRules(
        kubelet=version,
        basis=Basis.GIVEN,
        runtime=parse_runtime(runtime_version),
        kubelet_raw=kubelet_version.strip()[:80],
    )

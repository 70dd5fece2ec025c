"""The catalogue of problems: every verdict's code, severity and text, written once.

The codes are the stable contract scripts rely on (README.md, "Verdicts"). Each function below
words one verdict; the judges (pod.py, image.py, secret.py) and the live check call them with
the facts, and they never write a verdict's text themselves. `subject` names what is judged as
people read it: `Secret "regcred"`, `secret/regcred` or a file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(str, Enum):
    SECRET_NOT_FOUND = "SecretNotFound"
    SECRET_WRONG_TYPE = "SecretWrongType"
    SECRET_MALFORMED = "SecretMalformed"
    SECRET_UNREADABLE = "SecretUnreadable"
    NO_PULL_SECRETS = "NoPullSecrets"
    NO_CREDENTIALS_FOR_REGISTRY = "NoCredentialsForRegistry"
    SERVICE_ACCOUNT_SECRETS_NOT_APPLIED = "ServiceAccountSecretsNotApplied"
    IMAGE_NOT_FOUND = "ImageNotFound"
    REGISTRY_UNREACHABLE = "RegistryUnreachable"
    RATE_LIMITED = "RateLimited"
    # Classified from the runtime's messages; none is a credentials problem.
    PULL_TIMED_OUT = "PullTimedOut"
    RUNTIME_MISCONFIGURED = "RuntimeMisconfigured"
    SIGNATURE_VALIDATION_FAILED = "SignatureValidationFailed"
    SHORT_NAME_UNRESOLVED = "ShortNameUnresolved"
    NODE_DISK_FULL = "NodeDiskFull"
    DOWNLOAD_DAMAGED = "DownloadDamaged"
    PULL_THROTTLED = "PullThrottled"
    IMAGE_INSPECT_FAILED = "ImageInspectFailed"
    REGISTRY_SERVER_ERROR = "RegistryServerError"
    NO_MATCHING_PLATFORM = "NoMatchingPlatform"
    # The pull fails and the evidence names no cause this tool recognises: never a verdict
    # on the credentials.
    PULL_FAILED_UNRECOGNIZED = "PullFailedUnrecognized"
    # A pull secret changed after the kubelet's newest failed pull on record: the next retry
    # uses it, and nothing tells yet whether it works.
    AWAITING_RETRY = "AwaitingRetry"
    INVALID_IMAGE_NAME = "InvalidImageName"
    AUTH_FIELD_MISMATCH = "AuthFieldMismatch"
    # The credential says when it ends (a JWT's exp, an ECR token's expiration).
    CREDENTIALS_EXPIRED = "CredentialsExpired"
    CREDENTIALS_EXPIRING = "CredentialsExpiring"
    CREDENTIALS_SHORT_LIVED = "CredentialsShortLived"
    # One account's copies across secrets and namespaces hold different passwords.
    CREDENTIALS_DIVERGED = "CredentialsDiverged"
    NODE_CREDENTIALS_POSSIBLE = "NodeCredentialsPossible"
    # The image is on the node, but the kubelet (1.35+, KEP-2535) lets this Pod use it only with
    # credentials verified for it, and this Pod's never were.
    CACHED_IMAGE_NOT_VERIFIED = "CachedImageNotVerified"
    # The kubelet offered credentials and the registry refused them (from its events), or
    # --verify saw a 401 at login or from the token server.
    CREDENTIALS_REJECTED = "CredentialsRejected"
    # --verify only.
    CREDENTIALS_VALID = "CredentialsValid"
    ACCESS_DENIED = "AccessDenied"
    ANONYMOUS_PULL_ALLOWED = "AnonymousPullAllowed"


# What is wrong with a pull secret itself: it fails every future pull that needs it.
SECRET_LEVEL = frozenset({Code.SECRET_NOT_FOUND, Code.SECRET_WRONG_TYPE, Code.SECRET_MALFORMED})


@dataclass(frozen=True)
class Problem:
    code: Code
    severity: Severity
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }

    def with_severity(self, severity: Severity) -> Problem:
        return Problem(self.code, severity, self.message, self.hint)


NOT_CREDENTIALS = "This is not a credentials problem."


# --- one pull secret ------------------------------------------------------------------------


def empty_pull_secret_name() -> Problem:
    return Problem(
        Code.SECRET_NOT_FOUND,
        Severity.INFO,
        "imagePullSecrets has an entry with an empty name, which the kubelet skips",
        "remove the empty entry from the pod template",
    )


def secret_not_found(subject: str, where: str, hint: str, reported: str = "") -> Problem:
    """`where`: the namespace it was looked for in and, after a `;`, where else it exists;
    `reported`: how the kubelet tells of it, which depends on its version."""
    return Problem(
        Code.SECRET_NOT_FOUND,
        Severity.ERROR,
        f"{subject} does not exist{where}. The kubelet skips it{reported}.",
        hint,
    )


def secret_unreadable(
    subject: str, detail: str, hint: str, reported_missing: bool = False
) -> Problem:
    seen = (
        " The kubelet reported it missing (FailedToRetrieveImagePullSecret)."
        if reported_missing
        else ""
    )
    return Problem(
        Code.SECRET_UNREADABLE,
        Severity.WARNING,
        f"{subject} cannot be read: {detail}; its credentials are not checked.{seen}",
        hint,
    )


def secret_malformed(
    subject: str, data_key: str | None, error: str, blocked: str, hint: str
) -> Problem:
    """`blocked`: whose secrets a decoding error blocks, e.g. "of this Pod's pull secrets"."""
    return Problem(
        Code.SECRET_MALFORMED,
        Severity.ERROR,
        f"{subject} cannot be decoded ({data_key or 'data'}: {error}). The kubelet then refuses "
        f"ALL {blocked}: every pull fails, even of public images.",
        hint,
    )


def secret_wrong_type(subject: str, ignored_reason: str, hint: str) -> Problem:
    return Problem(
        Code.SECRET_WRONG_TYPE,
        Severity.ERROR,
        f"{subject} is ignored by the kubelet: {ignored_reason}. Only "
        "kubernetes.io/dockerconfigjson (.dockerconfigjson) and kubernetes.io/dockercfg "
        "(.dockercfg) secrets count.",
        hint,
    )


def secret_without_entries(subject: str) -> Problem:
    return Problem(
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        Severity.WARNING,
        f"{subject} holds no registry entries",
        "add an entry under auths",
    )


def key_not_a_url(subject: str, key: str, reason: str) -> Problem:
    return Problem(
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        Severity.WARNING,
        f"{subject}: key {key!r} is not a valid URL ({reason}); the kubelet ignores it",
        "write the key as host[:port] or https://host[:port]/",
    )


def key_matches_no_docker_hub_image(subject: str, key: str, normalized: str) -> Problem | None:
    """The classic Docker Hub key traps, seen in the key alone."""
    if normalized == "index.docker.io/v1":
        why = (
            "lacks its trailing slash, so the kubelet reads it as path /v1 on index.docker.io "
            "and no Docker Hub image matches it"
        )
    elif normalized.split("/", 1)[0] == "registry-1.docker.io":
        why = "is Docker Hub's API host, which the kubelet never matches to images"
    else:
        return None
    return Problem(
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        Severity.WARNING,
        f"{subject}: key {key!r} {why}",
        "write the key as https://index.docker.io/v1/",
    )


def auth_field_mismatch(subject: str, key: str) -> Problem:
    return Problem(
        Code.AUTH_FIELD_MISMATCH,
        Severity.WARNING,
        f"{subject}, key {key!r}: the auth field disagrees with the username/password fields; "
        "the kubelet uses auth and ignores the others.",
        "re-create the secret so both agree (kubectl create secret docker-registry writes them "
        "consistently)",
    )


# --- the health of a credential ---------------------------------------------------------------

_RENEW = {
    "ECR authorization token": "ECR tokens live 12 hours: refresh the secret on a schedule (a "
    "CronJob running `aws ecr get-login-password`, or external-secrets' ECRAuthorizationToken "
    "generator), or let nodes use the ECR credential provider",
}


def _renew(what: str, fix: str) -> str:
    return f"{fix}; {_RENEW[what]}" if what in _RENEW else fix


def credentials_expired(
    subject: str, key: str, user: str, what: str, when: str, fix: str
) -> Problem:
    return Problem(
        Code.CREDENTIALS_EXPIRED,
        Severity.ERROR,
        f"{subject}, key {key!r} (user {user!r}): the {what} expired at {when}; the registry "
        "refuses it (401), and the kubelet does not skip it for the next credential",
        _renew(what, fix),
    )


def credentials_expiring(
    subject: str, key: str, user: str, what: str, when: str, left: str, fix: str
) -> Problem:
    return Problem(
        Code.CREDENTIALS_EXPIRING,
        Severity.WARNING,
        f"{subject}, key {key!r} (user {user!r}): the {what} expires at {when}, in {left}; "
        "pulls fail after that, also of Pods that run now once they are rescheduled",
        _renew(what, fix),
    )


def credentials_short_lived(subject: str, key: str, what: str, lifetime: str) -> Problem:
    return Problem(
        Code.CREDENTIALS_SHORT_LIVED,
        Severity.INFO,
        f"{subject}, key {key!r}: a {what}, which carries no date and lives {lifetime}: pulls "
        "fail once it is older, unless something refreshes it",
        "use a long-lived credential (a service account key, user _json_key) or node "
        "credentials (Workload Identity, the GCP credential provider)",
    )


def credentials_diverged(registry: str, user: str, versions: str, hint: str) -> Problem:
    return Problem(
        Code.CREDENTIALS_DIVERGED,
        Severity.WARNING,
        f"the account {user!r} on {registry} has different passwords in its copies: {versions}. "
        "A password rotated in one place was not rotated in the others; the stale copies "
        "fail once the old password is revoked.",
        hint,
    )


# --- the Pod's credentials for one image ----------------------------------------------------


def no_pull_secrets(
    whose: str, repository: str, said: str, hint: str, severity: Severity = Severity.ERROR
) -> Problem:
    return Problem(
        Code.NO_PULL_SECRETS,
        severity,
        f"{whose[0].upper()}{whose[1:]} has no imagePullSecrets, so the kubelet pulls "
        f"{repository} anonymously (or with node credentials){said}",
        hint,
    )


def no_credentials_for_registry(
    subject: str,
    covered: str,
    near_misses: str,
    hint: str,
    anonymous: str = "",
    severity: Severity = Severity.ERROR,
) -> Problem:
    """`subject` says what lacks the credentials and ends with what was searched."""
    return Problem(
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        severity,
        f"{subject} cover: {covered}.{anonymous}{near_misses}",
        hint,
    )


def service_account_secrets_not_applied(
    account: str, names: str, why: str, hint: str, severity: Severity
) -> Problem:
    return Problem(
        Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED,
        severity,
        f'ServiceAccount "{account}" lists pull secrets ({names}) that this Pod lacks: {why}.',
        hint,
    )


def node_credentials_possible(domain: str, provider: str) -> Problem:
    return Problem(
        Code.NODE_CREDENTIALS_POSSIBLE,
        Severity.INFO,
        f"{domain} is {provider}: nodes often get credentials from a kubelet credential "
        "provider, which this tool cannot see",
        "if nodes use a credential provider, check the node's IAM/managed identity",
    )


# --- what the kubelet reported --------------------------------------------------------------


def invalid_image_name(image: str, reason: str) -> Problem:
    detail = f" ({reason})" if reason else ""
    return Problem(
        Code.INVALID_IMAGE_NAME,
        Severity.ERROR,
        f"image {image!r} is not a valid reference{detail}; the kubelet refuses it with "
        "InvalidImageName",
        "fix the image reference (repository names are lowercase: "
        "[registry[:port]/]path[:tag][@digest])",
    )


def cached_image_not_verified(
    image: str, node: str, kubelet: str, outcome: str, severity: Severity, hint: str
) -> Problem:
    """`outcome`: what the kubelet did instead of using the cached image."""
    return Problem(
        Code.CACHED_IMAGE_NOT_VERIFIED,
        severity,
        f"{image} is on node {node}, but this Pod's credentials were never verified for it: "
        f"kubelet {kubelet} lets a Pod use a cached image only with credentials already "
        "verified for it, or when the image was pulled without any "
        f"(KubeletEnsureSecretPulledImages, on by default since 1.35); {outcome}",
        hint,
    )


def empty_image_name() -> Problem:
    """An empty reference: what the API server and the kubelet make of it."""
    return Problem(
        Code.INVALID_IMAGE_NAME,
        Severity.ERROR,
        "an empty reference is no image name. The API server refuses a container whose image "
        "is empty, in a Pod and in a pod template alike (validateContainerCommon: "
        "spec.containers[0].image: Required value). Were one to reach the kubelet, it would "
        "pull nothing: EnsureImageExists calls applyDefaultImageTag, "
        'whose ParseNormalizedNamed turns "" into docker.io/library/ and rejects it '
        '(couldn\'t parse image name "": invalid reference format), and the container waits '
        "with InvalidImageName",
        "give the image as [registry[:port]/]path[:tag][@digest], e.g. nginx:1.27",
    )


def image_never_pulled(image: str, unverified: str = "") -> Problem:
    """`unverified`: why "not present" may mean present but not allowed (KEP-2535), if so."""
    if unverified:
        return Problem(
            Code.IMAGE_NOT_FOUND,
            Severity.ERROR,
            f"image {image!r}: the kubelet says it is not on the node (imagePullPolicy Never), "
            f"but {unverified}. This may well be a credentials problem.",
            "give the Pod a pull secret that can pull the image (the kubelet then accepts the "
            "cached image), or set imagePullPolicy: IfNotPresent",
        )
    return Problem(
        Code.IMAGE_NOT_FOUND,
        Severity.ERROR,
        f"image {image!r} is not on the node and imagePullPolicy is Never; {NOT_CREDENTIALS}",
        "pre-load the image on the node or set imagePullPolicy: IfNotPresent",
    )


def image_not_found(reference: str, said: str) -> Problem:
    return Problem(
        Code.IMAGE_NOT_FOUND,
        Severity.ERROR,
        f"{reference} does not exist in the registry{said}. {NOT_CREDENTIALS}",
        "check the image name and tag (skopeo inspect / crane manifest), or push the image",
    )


def registry_unreachable(domain: str, said: str) -> Problem:
    return Problem(
        Code.REGISTRY_UNREACHABLE,
        Severity.ERROR,
        f"the node cannot reach registry {domain}{said}. {NOT_CREDENTIALS}",
        "check DNS, network policies, proxies and the registry's TLS certificate from the node",
    )


def rate_limited(domain: str, said: str, hint: str) -> Problem:
    return Problem(
        Code.RATE_LIMITED,
        Severity.ERROR,
        f"registry {domain} rate-limited the pull{said}. This is not a credentials problem as such.",
        hint,
    )


def pull_timed_out(domain: str, said: str) -> Problem:
    return Problem(
        Code.PULL_TIMED_OUT,
        Severity.ERROR,
        f"the runtime gave up pulling from {domain}{said}: the pull stalled (containerd cancels "
        f"a pull after 5 minutes without progress) or hit a deadline. {NOT_CREDENTIALS}",
        "check the registry's speed and the image's size from the node; containerd's "
        "image_pull_progress_timeout sets the limit",
    )


def runtime_misconfigured(domain: str, said: str) -> Problem:
    return Problem(
        Code.RUNTIME_MISCONFIGURED,
        Severity.ERROR,
        f"the node's runtime speaks the wrong protocol to {domain}{said}: plain http to a TLS "
        f"port answers 400 Bad Request, https to an http registry is refused. {NOT_CREDENTIALS}",
        "fix the registry's entry in the runtime's configuration on the nodes (containerd "
        "certs.d/hosts.toml, CRI-O registries.conf)",
    )


def signature_validation_failed(image: str, said: str) -> Problem:
    return Problem(
        Code.SIGNATURE_VALIDATION_FAILED,
        Severity.ERROR,
        f"the runtime's signature policy refused {image}{said}. {NOT_CREDENTIALS}",
        "sign the image for the policy, or change the node's policy.json (CRI-O)",
    )


def short_name_unresolved(image: str, said: str) -> Problem:
    return Problem(
        Code.SHORT_NAME_UNRESOLVED,
        Severity.ERROR,
        f"the runtime could not resolve the short name {image!r}{said}. {NOT_CREDENTIALS}",
        "write the image with its registry (e.g. docker.io/library/nginx), or configure "
        "unqualified-search-registries or aliases in the node's registries.conf (CRI-O)",
    )


def node_disk_full(image: str, said: str) -> Problem:
    return Problem(
        Code.NODE_DISK_FULL,
        Severity.ERROR,
        f"the node ran out of disk space while the runtime stored or unpacked {image}{said}. "
        f"{NOT_CREDENTIALS}",
        "free space where the runtime keeps images on the node (containerd: /var/lib/containerd; "
        "CRI-O: /var/lib/containers, and /var/tmp for its blob copies): remove unused images "
        "(crictl rmi --prune), check the kubelet's image garbage collection "
        "(imageGCHighThresholdPercent), or give the node a larger disk",
    )


def download_damaged(image: str, said: str) -> Problem:
    return Problem(
        Code.DOWNLOAD_DAMAGED,
        Severity.ERROR,
        f"a manifest or layer of {image} arrived damaged or cut short{said}: its size or digest "
        "is not what the registry announced, or the stream ended early. The registry answered "
        f"the pull. {NOT_CREDENTIALS}",
        "the kubelet retries by itself; if it recurs, look for a proxy, mirror or pull-through "
        "cache that cuts or rewrites downloads between the node and the registry (its size "
        "limits and timeouts), and check the image in the registry is whole (skopeo copy "
        "docker://IMAGE dir:/tmp/check verifies every digest)",
    )


def pull_throttled(said: str) -> Problem:
    return Problem(
        Code.PULL_THROTTLED,
        Severity.WARNING,
        "the kubelet throttled its own image pulls (registryPullQPS, default 5 per second with "
        f"a burst of 10) and did not start this one{said}: no registry was asked and no "
        f"credential offered. {NOT_CREDENTIALS}",
        "the kubelet retries after its back-off; where many Pods start at once on one node, "
        "raise registryPullQPS and registryBurst in the kubelet configuration (0 turns the "
        "throttle off)",
    )


def image_inspect_failed(image: str, said: str) -> Problem:
    return Problem(
        Code.IMAGE_INSPECT_FAILED,
        Severity.ERROR,
        f"the runtime failed to inspect image {image!r} on the node{said}. The kubelet asks the "
        "runtime whether the image is there before it pulls, and that question failed: no pull "
        f"took place and no credential was offered. {NOT_CREDENTIALS}",
        "check the container runtime on the node: its log (journalctl -u containerd, or crio) "
        "and crictl inspecti IMAGE; a damaged image store is often mended by removing the image "
        "(crictl rmi IMAGE), so that the kubelet pulls it again",
    )


def registry_server_error(domain: str, said: str) -> Problem:
    return Problem(
        Code.REGISTRY_SERVER_ERROR,
        Severity.ERROR,
        f"registry {domain}, or a proxy in front of it, failed with a server error (5xx){said}. "
        f"The node reached it and it failed to answer. {NOT_CREDENTIALS}",
        "the kubelet retries by itself; check the registry's status page or logs, and any "
        "proxy, mirror or pull-through cache between the nodes and the registry",
    )


def no_matching_platform(image: str, said: str) -> Problem:
    return Problem(
        Code.NO_MATCHING_PLATFORM,
        Severity.ERROR,
        f"{image} exists, but it has no manifest for the node's OS and architecture{said}. "
        f"{NOT_CREDENTIALS}",
        "push the image for the node's platform too (docker buildx build --platform "
        "linux/amd64,linux/arm64 ...), or run the Pod on nodes of a platform the image has (a "
        "nodeSelector on kubernetes.io/arch); skopeo inspect --raw docker://IMAGE lists them",
    )


def pull_failed_unrecognized(what: str, offered: str, hint: str) -> Problem:
    """`what`: the failure as known (the runtime's text quoted, or why there is none);
    `offered`: the credentials the kubelet offered, or ""."""
    credentials = (
        f" Credentials were offered ({offered}); nothing shows they are at fault, and the live "
        "check tells whether they work."
        if offered
        else ""
    )
    return Problem(
        Code.PULL_FAILED_UNRECOGNIZED,
        Severity.ERROR,
        f"the pull fails{what}.{credentials}",
        hint,
    )


def awaiting_retry(changed: str, last: str, retry: str, said: str, hint: str) -> Problem:
    """`changed`: which secret changed and when; `last`: the newest failure on record;
    `retry`: when the kubelet's back-off lets it try again."""
    return Problem(
        Code.AWAITING_RETRY,
        Severity.WARNING,
        f"{changed}, after the kubelet's newest failed pull on record{last}: no pull with it is "
        f"on record yet, so the failure says nothing about it{said}. {retry}",
        hint,
    )


def credentials_rejected(repository: str, offered: str, said: str, note: str, hint: str) -> Problem:
    return Problem(
        Code.CREDENTIALS_REJECTED,
        Severity.ERROR,
        f"the registry refused the credentials the kubelet offered for {repository} "
        f"({offered}){said}.{note}",
        hint,
    )


def node_credentials_rejected(repository: str, said: str, hint: str) -> Problem:
    return Problem(
        Code.CREDENTIALS_REJECTED,
        Severity.ERROR,
        f"the node offered credentials for {repository} and the registry refused them{said}. "
        "This Pod has no pull secret for it: the credentials came from the node (a kubelet "
        "credential provider, or the node's docker config.json), which this tool cannot see; "
        "the runtime's answer shows they were sent (an anonymous pull gets `no basic auth "
        "credentials` or `insufficient_scope` instead)",
        hint,
    )


# --- the registry, live (--verify) ----------------------------------------------------------


def registry_answer(
    code: Code, severity: Severity, image: str, credential: str, answer: str, hint: str
) -> Problem:
    """One attempt of the live check: the image, who tried, what the registry answered."""
    return Problem(code, severity, f"{image} with {credential}: {answer}", hint)


def tried_next(problem: Problem) -> Problem:
    """A failed attempt before one that works: the kubelet moves on to the next credential."""
    return Problem(
        problem.code,
        Severity.WARNING,
        f"{problem.message}; the kubelet then tries the next credential",
        problem.hint,
    )


def rejected_credential_breaks_public_image(image: str, keys: str, domain: str) -> Problem:
    return Problem(
        Code.CREDENTIALS_REJECTED,
        Severity.ERROR,
        f"{image}: anyone may pull this image anonymously, but the kubelet offers the rejected "
        "credential and never retries without it: a wrong credential breaks even a public image",
        f"fix or remove the credential ({keys}), or change its key so that it no longer "
        f"matches {domain}",
    )


def nothing_to_verify(secret: str, namespace: str) -> Problem:
    return Problem(
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        Severity.INFO,
        "--verify: no Pod that uses this secret pulls from a registry it covers, so nothing was "
        "checked",
        f"check one image: kubectl pullsecret check IMAGE --secret {secret} -n {namespace} --verify",
    )

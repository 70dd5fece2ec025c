"""The diagnosis: from a Pod, its pull secrets, its ServiceAccount and its events to verdicts.

Pure: plain dataclasses in, plain dataclasses out. It follows the kubelet step by step:
only `spec.imagePullSecrets` count, in order (kubelet_pods.go getPullSecretsForPod); secrets
are selected and decoded as in secrets.MakeDockerKeyring, where one decoding error fails the
Pod's whole lookup; credentials are matched as in BasicDockerKeyring.Lookup; ServiceAccount
admission copies the account's pull secrets only at creation and only into a Pod without any.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from kubectl_pullsecret.dockerconfig import DOCKERCFG_TYPE, DecodedSecret
from kubectl_pullsecret.events import (
    FAILED_TO_RETRIEVE_PULL_SECRET,
    PULL_FAILURE_REASONS,
    PodEvent,
    PullError,
    classify_pull_error,
    parse_missing_pull_secrets,
    runtime_error_of,
    scrub,
)
from kubectl_pullsecret.imageref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.keyring import Credential, Keyring, near_misses
from kubectl_pullsecret.problems import Code, Problem, Severity

DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
# Registries whose nodes usually authenticate through kubelet credential providers, which a
# client-side tool cannot see (section 6 of the pull semantics).
_NODE_PROVIDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^[0-9]+\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"), "Amazon ECR"),
    (re.compile(r"(^|\.)gcr\.io$"), "Google Container Registry"),
    (re.compile(r"-docker\.pkg\.dev$"), "Google Artifact Registry"),
    (re.compile(r"\.azurecr\.(io|cn|de|us)$"), "Azure Container Registry"),
)


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
    owner_kind: str = ""
    owner_name: str = ""
    template_hash: str = ""  # label pod-template-hash, to name a Deployment from its ReplicaSet


@dataclass(frozen=True)
class ServiceAccountFacts:
    name: str
    status: SecretStatus  # found | missing | forbidden | error
    pull_secret_names: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class CredentialRef:
    secret: str
    key: str
    username: str


@dataclass(frozen=True)
class ContainerReport:
    namespace: str
    pod: str
    container: str
    kind: str
    image: str
    repository: str | None
    registry: str | None
    state: str
    pod_phase: str
    latent: bool
    credentials: tuple[CredentialRef, ...]
    problems: tuple[Problem, ...]
    secrets: tuple[str, ...]
    service_account: str
    # The credentials themselves, for --verify; never rendered.
    offered: tuple[Credential, ...] = field(default=(), repr=False, compare=False)
    image_ref: ImageRef | None = field(default=None, repr=False, compare=False)

    @property
    def has_findings(self) -> bool:
        return any(p.severity is not Severity.INFO for p in self.problems)


# --- fix commands -----------------------------------------------------------------------------


def _q(text: str) -> str:
    return shlex.quote(text)


def docker_server_for(image: ImageRef) -> str:
    """The --docker-server value whose key the kubelet matches to this image."""
    return DOCKER_HUB_SERVER if image.is_docker_hub else image.domain


def create_secret_command(name: str, namespace: str, server: str) -> str:
    return (
        f"kubectl create secret docker-registry {_q(name)} -n {_q(namespace)} "
        f"--docker-server={_q(server)} --docker-username=<username> --docker-password=<password>"
    )


def copy_secret_command(name: str, source_ns: str, target_ns: str, secret_type: str) -> str:
    """Copies the docker config without writing it to disk or printing it."""
    if secret_type == DOCKERCFG_TYPE:
        data_key, create = ".dockercfg", "generic {n} --type=kubernetes.io/dockercfg"
    else:
        data_key, create = ".dockerconfigjson", "docker-registry {n}"
    template = "{{index .data " + json.dumps(data_key) + " | base64decode}}"
    return (
        f"kubectl get secret {_q(name)} -n {_q(source_ns)} -o go-template={_q(template)} | "
        f"kubectl create secret {create.format(n=_q(name))} -n {_q(target_ns)} "
        f"--from-file={data_key}=/dev/stdin"
    )


def _workload(pod: PodFacts) -> tuple[str, str] | None:
    """The object whose pod template to change: (resource, name), or None for a bare Pod."""
    if pod.owner_kind == "ReplicaSet" and pod.template_hash:
        suffix = "-" + pod.template_hash
        if pod.owner_name.endswith(suffix):
            return "deployment", pod.owner_name[: -len(suffix)]
    if pod.owner_kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"):
        return pod.owner_kind.lower(), pod.owner_name
    return None


def add_pull_secret_hint(pod: PodFacts, secret: str, sa: ServiceAccountFacts | None) -> str:
    workload = _workload(pod)
    if workload is not None:
        path = "/spec/template/spec/imagePullSecrets"
        if pod.pull_secret_names:
            op = {"op": "add", "path": path + "/-", "value": {"name": secret}}
        else:
            op = {"op": "add", "path": path, "value": [{"name": secret}]}
        template = (
            f"kubectl patch {workload[0]} {_q(workload[1])} -n {_q(pod.namespace)} "
            f"--type=json -p {_q(json.dumps([op]))}"
        )
        if workload[0] == "job":
            template = (
                f"add imagePullSecrets [{secret}] to the Job's pod template and re-create the Job"
            )
    else:
        template = (
            f"add `imagePullSecrets: [{{name: {secret}}}]` to the pod manifest, then re-create it "
            f"(kubectl delete pod {_q(pod.name)} -n {_q(pod.namespace)}; kubectl apply -f <manifest>)"
        )
    sa_names = list(sa.pull_secret_names) if sa and sa.status is SecretStatus.FOUND else []
    if secret not in sa_names:
        sa_names.append(secret)
    patch = json.dumps({"imagePullSecrets": [{"name": n} for n in sa_names]})
    sa_cmd = f"kubectl patch serviceaccount {_q(pod.service_account)} -n {_q(pod.namespace)} -p {_q(patch)}"
    return (
        f"{template}; or, for every new Pod of the ServiceAccount: {sa_cmd} "
        "(existing Pods keep their list: re-create them)"
    )


def recreate_hint(pod: PodFacts) -> str:
    workload = _workload(pod)
    if workload is not None and workload[0] in ("deployment", "statefulset", "daemonset"):
        return f"kubectl rollout restart {workload[0]}/{_q(workload[1])} -n {_q(pod.namespace)}"
    if workload is not None:
        return f"kubectl delete pod {_q(pod.name)} -n {_q(pod.namespace)} (its {workload[0]} re-creates it)"
    return (
        f"re-create the Pod from its manifest without imagePullSecrets, so that admission copies "
        f"the ServiceAccount's (kubectl delete pod {_q(pod.name)} -n {_q(pod.namespace)})"
    )


# --- the diagnosis ----------------------------------------------------------------------------


def node_provider_for(domain: str) -> str | None:
    host = domain.rsplit(":", 1)[0] if not domain.endswith("]") else domain
    return next((name for pattern, name in _NODE_PROVIDERS if pattern.search(host)), None)


@dataclass
class _PodFindings:
    """What the pod's secrets give every container: a keyring, or the reason there is none."""

    keyring: Keyring
    problems: list[Problem]
    malformed: list[str]
    usable: list[str]
    consulted: list[str]
    missing: list[str]
    unreadable: list[str]
    arrived: list[str]  # reported missing by the kubelet, present now


def _secret_problems(ctx: PodContext) -> _PodFindings:
    pod = ctx.pod
    keyring = Keyring()
    findings = _PodFindings(keyring, [], [], [], [], [], [], [])
    reported_missing: set[str] = set()
    for event in ctx.events:
        if event.reason == FAILED_TO_RETRIEVE_PULL_SECRET:
            reported_missing.update(parse_missing_pull_secrets(event.message))

    if any(not n for n in pod.pull_secret_names):
        findings.problems.append(
            Problem(
                Code.SECRET_NOT_FOUND,
                Severity.INFO,
                "imagePullSecrets has an entry with an empty name, which the kubelet skips",
                "remove the empty entry from the pod template",
            )
        )
    seen: set[str] = set()
    for name in pod.pull_secret_names:
        if not name or name in seen:
            continue
        seen.add(name)
        findings.consulted.append(name)
        fetch = ctx.secrets.get(name, SecretFetch(name, SecretStatus.ERROR, detail="not fetched"))
        if fetch.status is SecretStatus.MISSING:
            findings.missing.append(name)
            findings.problems.append(_secret_not_found(ctx, name))
        elif fetch.status is SecretStatus.FORBIDDEN:
            findings.unreadable.append(name)
            seen_by_kubelet = (
                " The kubelet reported it missing (FailedToRetrieveImagePullSecret)."
                if name in reported_missing
                else ""
            )
            findings.problems.append(
                Problem(
                    Code.SECRET_UNREADABLE,
                    Severity.WARNING,
                    f'Secret "{name}" in namespace {pod.namespace} cannot be read: {fetch.detail}; '
                    f"its credentials are not checked.{seen_by_kubelet}",
                    f"ask for the permission `get secrets` in namespace {pod.namespace} "
                    f"(kubectl auth can-i get secrets -n {_q(pod.namespace)})",
                )
            )
        elif fetch.status is SecretStatus.ERROR or fetch.decoded is None:
            findings.unreadable.append(name)
            findings.problems.append(
                Problem(
                    Code.SECRET_UNREADABLE,
                    Severity.WARNING,
                    f'Secret "{name}" could not be fetched: {fetch.detail}',
                    "retry; check the API server's health",
                )
            )
        else:
            _decoded_secret_problems(ctx, name, fetch.decoded, findings)
            if name in reported_missing:
                findings.arrived.append(name)
    return findings


def _secret_not_found(ctx: PodContext, name: str) -> Problem:
    ns = ctx.pod.namespace
    elsewhere = ctx.elsewhere.get(name, ())
    if elsewhere:
        where = f"; a secret of that name exists in namespace(s): {', '.join(elsewhere)}"
        source = elsewhere[0]
        hint = (
            f"copy it: {copy_secret_command(name, source, ns, ctx.elsewhere_types.get(name, ''))}"
        )
    else:
        where = (
            "; other namespaces could not be searched (forbidden)" if ctx.elsewhere_unknown else ""
        )
        registry = next(iter(_registries(ctx.pod)), "<registry>")
        hint = f"create it: {create_secret_command(name, ns, registry)}"
    return Problem(
        Code.SECRET_NOT_FOUND,
        Severity.ERROR,
        f'Secret "{name}" named in imagePullSecrets does not exist in namespace {ns}{where}. '
        "The kubelet skips it (FailedToRetrieveImagePullSecret).",
        hint,
    )


def _registries(pod: PodFacts) -> list[str]:
    servers: list[str] = []
    for container in pod.containers:
        try:
            server = docker_server_for(parse_image(container.image))
        except InvalidImageName:
            continue
        if server not in servers:
            servers.append(server)
    return servers


def _decoded_secret_problems(
    ctx: PodContext, name: str, decoded: DecodedSecret, findings: _PodFindings
) -> None:
    ns = ctx.pod.namespace
    if decoded.error is not None:
        findings.malformed.append(name)
        findings.problems.append(
            Problem(
                Code.SECRET_MALFORMED,
                Severity.ERROR,
                f'Secret "{name}" cannot be decoded ({decoded.data_key}: {decoded.error}). '
                "The kubelet then refuses ALL of this Pod's pull secrets: every pull fails, "
                "even of public images.",
                f"fix or re-create it: kubectl pullsecret show {_q(name)} -n {_q(ns)}; "
                + create_secret_command(name, ns, next(iter(_registries(ctx.pod)), "<registry>"))
                + " --dry-run=client -o yaml | kubectl replace -f -",
            )
        )
        return
    if not decoded.used:
        findings.problems.append(
            Problem(
                Code.SECRET_WRONG_TYPE,
                Severity.ERROR,
                f'Secret "{name}" is ignored by the kubelet: {decoded.ignored_reason}. '
                "Only kubernetes.io/dockerconfigjson (.dockerconfigjson) and "
                "kubernetes.io/dockercfg (.dockercfg) secrets count.",
                "re-create it with the right type: "
                + create_secret_command(name, ns, next(iter(_registries(ctx.pod)), "<registry>")),
            )
        )
        return
    findings.usable.append(name)
    findings.keyring.add(f"secret/{name}", decoded.entries)
    for entry in decoded.entries:
        if entry.auth == "differs":
            findings.problems.append(
                Problem(
                    Code.AUTH_FIELD_MISMATCH,
                    Severity.WARNING,
                    f'Secret "{name}", key {entry.key!r}: the auth field disagrees with the '
                    "username/password fields; the kubelet uses auth and ignores the others.",
                    "re-create the secret so both agree (kubectl create secret docker-registry "
                    "writes them consistently)",
                )
            )
    for skipped in findings.keyring.skipped:
        if skipped.source == f"secret/{name}":
            findings.problems.append(
                Problem(
                    Code.NO_CREDENTIALS_FOR_REGISTRY,
                    Severity.WARNING,
                    f'Secret "{name}": key {skipped.written_key!r} is not a valid URL '
                    f"({skipped.reason}); the kubelet ignores it",
                    "write the key as host[:port] or https://host[:port]/",
                )
            )
    findings.keyring.skipped = [s for s in findings.keyring.skipped if s.source != f"secret/{name}"]


def _service_account_problem(ctx: PodContext, failing_without_creds: bool) -> Problem | None:
    sa = ctx.service_account
    pod = ctx.pod
    if sa is None or sa.status is not SecretStatus.FOUND or not sa.pull_secret_names:
        return None
    missing = [n for n in sa.pull_secret_names if n and n not in pod.pull_secret_names]
    if not missing:
        return None
    names = ", ".join(missing)
    if pod.pull_secret_names:
        why = "the Pod lists its own imagePullSecrets, and admission never merges the two lists"
        hint = (
            "add them to the pod template's imagePullSecrets "
            f"({add_pull_secret_hint(pod, missing[0], sa).split('; or,')[0]})"
        )
    else:
        why = (
            "admission copies them only when a Pod is created, so this Pod was created before "
            "they were added to the ServiceAccount"
        )
        hint = f"re-create the Pod: {recreate_hint(pod)}"
    return Problem(
        Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED,
        Severity.ERROR if failing_without_creds else Severity.WARNING,
        f'ServiceAccount "{sa.name}" lists pull secrets ({names}) that this Pod lacks: {why}.',
        hint,
    )


def _state_of(status: ContainerStatus | None, pod: PodFacts) -> str:
    if status is None:
        return pod.phase or "Unknown"
    if status.waiting_reason:
        return status.waiting_reason
    if status.running:
        return "Running"
    if status.terminated_reason:
        return f"Terminated:{status.terminated_reason}"
    return "Waiting"


def _latest_runtime_error(
    status: ContainerStatus | None, events: Iterable[PodEvent], spec: ContainerSpec
) -> str | None:
    if status is not None and status.waiting_message:
        found = runtime_error_of(status.waiting_message)
        if found:
            return found
    latest: PodEvent | None = None
    for event in events:
        ref = event.container
        if ref is None or ref.name != spec.name or ref.kind != spec.kind:
            continue
        if runtime_error_of(event.message) and (
            latest is None or event.last_seen >= latest.last_seen
        ):
            latest = event
    return runtime_error_of(latest.message) if latest is not None else None


def _credential_refs(creds: Sequence[Credential]) -> tuple[CredentialRef, ...]:
    return tuple(CredentialRef(c.source.removeprefix("secret/"), c.key, c.username) for c in creds)


def diagnose_pod(ctx: PodContext) -> list[ContainerReport]:
    """One report per container (init, regular and ephemeral), in spec order."""
    pod = ctx.pod
    findings = _secret_problems(ctx)
    statuses = {(s.kind, s.name): s for s in pod.statuses}
    reports: list[ContainerReport] = []
    for spec in pod.containers:
        status = statuses.get((spec.kind, spec.name))
        state = _state_of(status, pod)
        failing = state in PULL_FAILURE_REASONS
        latent = pod.phase == "Running" and not failing
        problems: list[Problem] = []
        creds: list[Credential] = []
        repository = registry = None
        image: ImageRef | None = None
        try:
            image = parse_image(spec.image)
        except InvalidImageName as exc:
            problems.append(
                Problem(
                    Code.INVALID_IMAGE_NAME,
                    Severity.ERROR,
                    f"image {scrub(spec.image, 200)!r} is not a valid reference ({exc}); the "
                    "kubelet refuses it with InvalidImageName",
                    "fix the image reference in the pod template (repository names are lowercase)",
                )
            )
        if image is not None:
            repository, registry = image.repository, image.domain
            if not findings.malformed:
                creds = findings.keyring.lookup(image.repository)
            problems.extend(
                _container_problems(ctx, spec, status, state, image, creds, findings, failing)
            )

        pod_level = list(findings.problems)
        sa_problem = _service_account_problem(
            ctx, failing and not creds and image is not None and not findings.malformed
        )
        if sa_problem is not None:
            pod_level.append(sa_problem)
        if not failing:
            # Nothing fails now: what is wrong with the secrets bites at the next pull.
            pod_level = [
                Problem(p.code, Severity.WARNING, p.message, p.hint)
                if p.severity is Severity.ERROR
                else p
                for p in pod_level
            ]
        reports.append(
            ContainerReport(
                namespace=pod.namespace,
                pod=pod.name,
                container=spec.name,
                kind=spec.kind,
                image=spec.image,
                repository=repository,
                registry=registry,
                state=state,
                pod_phase=pod.phase,
                latent=latent,
                credentials=_credential_refs(creds),
                problems=tuple(pod_level + problems),
                secrets=tuple(findings.consulted),
                service_account=pod.service_account,
                offered=tuple(creds),
                image_ref=image,
            )
        )
    return reports


def _container_problems(
    ctx: PodContext,
    spec: ContainerSpec,
    status: ContainerStatus | None,
    state: str,
    image: ImageRef,
    creds: list[Credential],
    findings: _PodFindings,
    failing: bool,
) -> list[Problem]:
    pod = ctx.pod
    problems: list[Problem] = []
    provider = node_provider_for(image.domain)
    if state == "ErrImageNeverPull":
        return [
            Problem(
                Code.IMAGE_NOT_FOUND,
                Severity.ERROR,
                f"image {spec.image!r} is not on the node and imagePullPolicy is Never; "
                "this is not a credentials problem",
                "pre-load the image on the node or set imagePullPolicy: IfNotPresent",
            )
        ]
    if state == "InvalidImageName":
        return [
            Problem(
                Code.INVALID_IMAGE_NAME,
                Severity.ERROR,
                f"the kubelet refused image {spec.image!r} as an invalid name",
                "fix the image reference in the pod template",
            )
        ]
    runtime_error = _latest_runtime_error(status, ctx.events, spec) if failing else None
    kind = classify_pull_error(runtime_error) if runtime_error else PullError.UNKNOWN
    said = f": {scrub(runtime_error)}" if runtime_error else ""
    if failing and kind is PullError.NOT_FOUND:
        problems.append(
            Problem(
                Code.IMAGE_NOT_FOUND,
                Severity.ERROR,
                f"{image.repository}:{image.reference} does not exist in the registry{said}. "
                "This is not a credentials problem.",
                "check the image name and tag (skopeo inspect / crane manifest), or push the image",
            )
        )
    elif failing and kind is PullError.UNREACHABLE:
        problems.append(
            Problem(
                Code.REGISTRY_UNREACHABLE,
                Severity.ERROR,
                f"the node cannot reach registry {image.domain}{said}. "
                "This is not a credentials problem.",
                "check DNS, network policies, proxies and the registry's TLS certificate from the node",
            )
        )
    elif failing and kind is PullError.RATE_LIMITED:
        hint = (
            "authenticate Docker Hub pulls (authenticated users get higher limits): "
            + create_secret_command("dockerhub", pod.namespace, DOCKER_HUB_SERVER)
            if image.is_docker_hub and not creds
            else "wait, use a pull-through mirror, or authenticate with an account with higher limits"
        )
        problems.append(
            Problem(
                Code.RATE_LIMITED,
                Severity.ERROR,
                f"registry {image.domain} rate-limited the pull{said}. "
                "This is not a credentials problem as such.",
                hint,
            )
        )
    elif failing and creds and not findings.malformed and findings.arrived:
        # The kubelet's last attempt ran before these secrets existed: its error says nothing
        # about the credentials now listed, which the next retry (back-off up to 5 min) uses.
        pass
    elif failing and creds and not findings.malformed:
        offered = ", ".join(
            f"{c.source} (key {c.key}, user {c.username or '<empty>'})" for c in creds
        )
        anonymous_note = (
            " The kubelet never retries anonymously, so a wrong Docker Hub credential breaks even "
            "public images."
            if image.is_docker_hub
            else ""
        )
        if kind is PullError.AUTH:
            problems.append(
                Problem(
                    Code.CREDENTIALS_REJECTED,
                    Severity.ERROR,
                    f"the registry refused the credentials the kubelet offered for {image.repository}"
                    f" ({offered}){said}.{anonymous_note}",
                    f"check the username, password and pull rights: kubectl pullsecret check "
                    f"{_q(spec.image)} -n {_q(pod.namespace)} "
                    + " ".join(f"--secret {_q(c.source.removeprefix('secret/'))}" for c in creds)
                    + " --verify",
                )
            )
        elif runtime_error:
            problems.append(
                Problem(
                    Code.CREDENTIALS_REJECTED,
                    Severity.WARNING,
                    f"the pull failed with credentials offered ({offered}) for an unrecognized "
                    f"reason{said}",
                    f"check live: kubectl pullsecret check {_q(spec.image)} -n {_q(pod.namespace)} --verify",
                )
            )
    elif failing and not creds and not findings.malformed:
        problems.extend(_no_credentials(ctx, spec, image, findings, kind, said))
    if provider is not None and not creds:
        problems.append(
            Problem(
                Code.NODE_CREDENTIALS_POSSIBLE,
                Severity.INFO,
                f"{image.domain} is {provider}: nodes often get credentials from a kubelet "
                "credential provider, which this tool cannot see",
                "if nodes use a credential provider, check the node's IAM/managed identity",
            )
        )
    return problems


def _no_credentials(
    ctx: PodContext,
    spec: ContainerSpec,
    image: ImageRef,
    findings: _PodFindings,
    kind: PullError,
    said: str,
) -> list[Problem]:
    pod = ctx.pod
    server = docker_server_for(image)
    if findings.missing or findings.unreadable:
        # The missing or unreadable secret is the lead; SecretNotFound carries the fix.
        return []
    if not findings.consulted:
        sa = ctx.service_account
        sa_has = sa is not None and sa.status is SecretStatus.FOUND and sa.pull_secret_names
        new_name = sa.pull_secret_names[0] if sa_has and sa is not None else "regcred"
        hint = (
            f"re-create the Pod so that admission copies the ServiceAccount's secrets: {recreate_hint(pod)}"
            if sa_has
            else f"{create_secret_command(new_name, pod.namespace, server)}; then "
            + add_pull_secret_hint(pod, new_name, sa)
        )
        return [
            Problem(
                Code.NO_PULL_SECRETS,
                Severity.ERROR,
                f"the Pod has no imagePullSecrets, so the kubelet pulls {image.repository} "
                f"anonymously (or with node credentials){said}",
                hint,
            )
        ]
    all_creds = findings.keyring.all_credentials()
    covered = sorted({c.key for c in all_creds})
    covered_text = ", ".join(covered) if covered else "no registry at all"
    misses = near_misses(image.repository, all_creds)
    miss_text = "".join(
        f" Near miss: key {m.written_key!r} in {m.source}: {m.explanation}." for m in misses
    )
    if misses:
        wrong = misses[0].source.removeprefix("secret/")
        hint = (
            f"re-create {misses[0].source} with the key the kubelet matches: "
            f"{create_secret_command(wrong, pod.namespace, server)} --dry-run=client -o yaml | kubectl apply -f -"
        )
    else:
        base = (
            "dockerhub"
            if image.is_docker_hub
            else f"{image.domain.split(':')[0].replace('.', '-')}-pull"
        )
        new_name, suffix = base, 2
        while new_name in pod.pull_secret_names:
            new_name, suffix = f"{base}-{suffix}", suffix + 1
        hint = (
            f"{create_secret_command(new_name, pod.namespace, server)}; then "
            + add_pull_secret_hint(pod, new_name, ctx.service_account)
        )
    return [
        Problem(
            Code.NO_CREDENTIALS_FOR_REGISTRY,
            Severity.ERROR,
            f"no pull secret of this Pod has credentials for {image.domain} "
            f"(repository {image.repository}); its secrets ({', '.join(findings.consulted)}) "
            f"cover: {covered_text}.{miss_text}",
            hint,
        )
    ]


def pod_needs_attention(pod: PodFacts, events: Sequence[PodEvent]) -> bool:
    """Cheap pre-filter: a container waits for a pull, or the kubelet complained about pulls."""
    if any(s.waiting_reason in PULL_FAILURE_REASONS for s in pod.statuses):
        return True
    return any(e.reason == FAILED_TO_RETRIEVE_PULL_SECRET for e in events)

"""A Pod's verdicts: from its pull secrets, its ServiceAccount and its events to problems.

Pure: plain dataclasses in, plain dataclasses out. It follows the kubelet step by step:
only `spec.imagePullSecrets` count, in order (kubelet_pods.go getPullSecretsForPod); secrets
are selected and decoded as in secrets.MakeDockerKeyring, where one decoding error fails the
Pod's whole lookup; credentials are matched as in BasicDockerKeyring.Lookup; ServiceAccount
admission copies the account's pull secrets only at creation and only into a Pod without any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kubectl_pullsecret.kubelet.admission import not_admitted
from kubectl_pullsecret.kubelet.credential_providers import provider_for
from kubectl_pullsecret.kubelet.image_ref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import Credential, Keyring, near_misses
from kubectl_pullsecret.kubelet.messages import (
    FAILED_TO_RETRIEVE_PULL_SECRET,
    PULL_FAILURE_REASONS,
    PodEvent,
    PullError,
    classify_pull_error,
    parse_missing_pull_secrets,
    runtime_error_of,
)
from kubectl_pullsecret.kubelet.pod import ContainerSpec, ContainerStatus, PodFacts, SecretStatus
from kubectl_pullsecret.secrecy import scrub
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem, Severity
from kubectl_pullsecret.verdicts.facts import PodContext
from kubectl_pullsecret.verdicts.fixes import (
    DOCKER_HUB_SERVER,
    add_pull_secret_hint,
    add_pull_secret_to_template,
    copy_secret_command,
    create_secret_command,
    docker_server_for,
    new_secret_name,
    q,
    recreate_hint,
    registries_of,
    replace_secret_command,
)
from kubectl_pullsecret.verdicts.secret import decoded_secret_problems


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


def _first_registry(pod: PodFacts) -> str:
    return next(iter(registries_of(pod)), "<registry>")


def _secret_problems(ctx: PodContext) -> _PodFindings:
    pod = ctx.pod
    findings = _PodFindings(Keyring(), [], [], [], [], [], [], [])
    reported_missing: set[str] = set()
    for event in ctx.events:
        if event.reason == FAILED_TO_RETRIEVE_PULL_SECRET:
            reported_missing.update(parse_missing_pull_secrets(event.message))

    if any(not n for n in pod.pull_secret_names):
        findings.problems.append(catalogue.empty_pull_secret_name())
    for name in dict.fromkeys(n for n in pod.pull_secret_names if n):
        findings.consulted.append(name)
        fetch = ctx.secrets.get(name)
        subject = f'Secret "{name}"'
        if fetch is not None and fetch.status is SecretStatus.MISSING:
            findings.missing.append(name)
            findings.problems.append(_secret_not_found(ctx, name))
        elif fetch is not None and fetch.status is SecretStatus.FORBIDDEN:
            findings.unreadable.append(name)
            findings.problems.append(
                catalogue.secret_unreadable(
                    f"{subject} in namespace {pod.namespace}",
                    fetch.detail,
                    f"ask for the permission `get secrets` in namespace {pod.namespace} "
                    f"(kubectl auth can-i get secrets -n {q(pod.namespace)})",
                    reported_missing=name in reported_missing,
                )
            )
        elif fetch is None or fetch.decoded is None:
            findings.unreadable.append(name)
            findings.problems.append(
                catalogue.secret_unreadable(
                    subject,
                    fetch.detail if fetch else "not fetched",
                    "retry; check the API server's health",
                )
            )
        else:
            decoded = fetch.decoded
            findings.problems += decoded_secret_problems(
                subject,
                decoded,
                blocked="of this Pod's pull secrets",
                malformed_fix=f"fix or re-create it: kubectl pullsecret show {q(name)} -n "
                f"{q(pod.namespace)}; "
                + replace_secret_command(name, pod.namespace, _first_registry(pod)),
                wrong_type_fix="re-create it with the right type: "
                + create_secret_command(name, pod.namespace, _first_registry(pod)),
            )
            if decoded.error is not None:
                findings.malformed.append(name)
            elif decoded.used:
                findings.usable.append(name)
                findings.keyring.add(f"secret/{name}", decoded.entries)
            if name in reported_missing:
                findings.arrived.append(name)
    return findings


def _secret_not_found(ctx: PodContext, name: str) -> Problem:
    ns = ctx.pod.namespace
    elsewhere = ctx.elsewhere.get(name, ())
    if elsewhere:
        where = f"; a secret of that name exists in namespace(s): {', '.join(elsewhere)}"
        hint = "copy it: " + copy_secret_command(
            name, elsewhere[0], ns, ctx.elsewhere_types.get(name, "")
        )
    else:
        where = (
            "; other namespaces could not be searched (forbidden)" if ctx.elsewhere_unknown else ""
        )
        hint = f"create it: {create_secret_command(name, ns, _first_registry(ctx.pod))}"
    return catalogue.secret_not_found(
        f'Secret "{name}" named in imagePullSecrets', f" in namespace {ns}{where}", hint
    )


def _service_account_problem(ctx: PodContext, failing_without_creds: bool) -> Problem | None:
    sa = ctx.service_account
    pod = ctx.pod
    missing = not_admitted(pod.pull_secret_names, sa)
    if sa is None or not missing:
        return None
    if pod.pull_secret_names:
        why = "the Pod lists its own imagePullSecrets, and admission never merges the two lists"
        hint = (
            "add them to the pod template's imagePullSecrets "
            f"({add_pull_secret_to_template(pod, missing[0])})"
        )
    else:
        why = (
            "admission copies them only when a Pod is created, so this Pod was created before "
            "they were added to the ServiceAccount"
        )
        hint = f"re-create the Pod: {recreate_hint(pod)}"
    return catalogue.service_account_secrets_not_applied(
        sa.name,
        ", ".join(missing),
        why,
        hint,
        Severity.ERROR if failing_without_creds else Severity.WARNING,
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
                catalogue.invalid_image_name(scrub(spec.image, 200, (spec.image,)), str(exc))
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
                p.with_severity(Severity.WARNING) if p.severity is Severity.ERROR else p
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


def _offered(creds: Sequence[Credential]) -> str:
    return ", ".join(f"{c.source} (key {c.key}, user {c.username or '<empty>'})" for c in creds)


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
    if state == "ErrImageNeverPull":
        return [catalogue.image_never_pulled(spec.image)]
    if state == "InvalidImageName":
        return [catalogue.invalid_image_name(spec.image, "")]
    runtime_error = _latest_runtime_error(status, ctx.events, spec) if failing else None
    kind = classify_pull_error(runtime_error) if runtime_error else PullError.UNKNOWN
    public = (spec.image, image.repository, image.domain, image.path)  # shown anyway
    said = f": {scrub(runtime_error, public=public)}" if runtime_error else ""
    if failing and kind is PullError.NOT_FOUND:
        problems.append(catalogue.image_not_found(f"{image.repository}:{image.reference}", said))
    elif failing and kind is PullError.UNREACHABLE:
        problems.append(catalogue.registry_unreachable(image.domain, said))
    elif failing and kind is PullError.RATE_LIMITED:
        hint = (
            "authenticate Docker Hub pulls (authenticated users get higher limits): "
            + create_secret_command("dockerhub", pod.namespace, DOCKER_HUB_SERVER)
            if image.is_docker_hub and not creds
            else "wait, use a pull-through mirror, or authenticate with an account with higher limits"
        )
        problems.append(catalogue.rate_limited(image.domain, said, hint))
    elif failing and creds and not findings.malformed and findings.arrived:
        # The kubelet's last attempt ran before these secrets existed: its error says nothing
        # about the credentials now listed, which the next retry (back-off up to 5 min) uses.
        pass
    elif failing and creds and not findings.malformed:
        if kind is PullError.AUTH:
            note = (
                " The kubelet never retries anonymously, so a wrong Docker Hub credential "
                "breaks even public images."
                if image.is_docker_hub
                else ""
            )
            secrets = " ".join(f"--secret {q(c.source.removeprefix('secret/'))}" for c in creds)
            problems.append(
                catalogue.credentials_rejected(
                    image.repository,
                    _offered(creds),
                    said,
                    note,
                    f"check the username, password and pull rights: kubectl pullsecret check "
                    f"{q(spec.image)} -n {q(pod.namespace)} {secrets} --verify",
                )
            )
        elif runtime_error:
            problems.append(
                catalogue.pull_failed_with_credentials(
                    _offered(creds),
                    said,
                    f"check live: kubectl pullsecret check {q(spec.image)} -n {q(pod.namespace)} --verify",
                )
            )
    elif failing and not creds and not findings.malformed:
        problems.extend(_no_credentials(ctx, image, findings, said))
    provider = provider_for(image.domain)
    if provider is not None and not creds:
        problems.append(catalogue.node_credentials_possible(image.domain, provider))
    return problems


def _no_credentials(
    ctx: PodContext, image: ImageRef, findings: _PodFindings, said: str
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
        return [catalogue.no_pull_secrets(image.repository, said, hint)]
    all_creds = findings.keyring.all_credentials()
    covered = sorted({c.key for c in all_creds})
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
        new_name = new_secret_name(image, pod.pull_secret_names)
        hint = (
            f"{create_secret_command(new_name, pod.namespace, server)}; then "
            + add_pull_secret_hint(pod, new_name, ctx.service_account)
        )
    return [
        catalogue.no_credentials_for_registry(
            f"no pull secret of this Pod has credentials for {image.domain} (repository "
            f"{image.repository}); its secrets ({', '.join(findings.consulted)})",
            ", ".join(covered) if covered else "no registry at all",
            miss_text,
            hint,
        )
    ]

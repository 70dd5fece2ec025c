"""A Pod's verdicts: from its pull secrets, its ServiceAccount and its events to problems.

Pure: plain dataclasses in, plain dataclasses out. It follows the kubelet step by step:
only `spec.imagePullSecrets` count, in order (kubelet_pods.go getPullSecretsForPod); secrets
are selected and decoded as in secrets.MakeDockerKeyring, where one decoding error fails the
Pod's whole lookup; credentials are matched as in BasicDockerKeyring.Lookup; ServiceAccount
admission copies the account's pull secrets only at creation and only into a Pod without any.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kubectl_pullsecret.kubelet.admission import admitted_pull_secrets, not_admitted
from kubectl_pullsecret.kubelet.credential_providers import ProviderOutlook, provider_outlook
from kubectl_pullsecret.kubelet.image_cache import CacheEffect, cached_image_check, on_node
from kubectl_pullsecret.kubelet.image_ref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import Credential, Keyring, near_misses
from kubectl_pullsecret.kubelet.messages import (
    FAILED_TO_RETRIEVE_PULL_SECRET,
    PodEvent,
    PullAttempt,
    PullError,
    credentials_sent,
    event_trail,
    image_of_event,
    is_named_reason,
    is_pull_failure,
    overall_kind,
    parse_missing_pull_secrets,
    parse_time,
    pull_attempts,
    read_waiting,
    runtime_error_of,
)
from kubectl_pullsecret.kubelet.pod import (
    IMAGE_VOLUME_KIND,
    ContainerSpec,
    ContainerStatus,
    PodFacts,
    SecretStatus,
    effective_pull_policy,
)
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.secrecy import scrub
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem, Severity
from kubectl_pullsecret.verdicts.credential_health import expiry_problems
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext
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
    owners: OwnerChain = field(default_factory=OwnerChain)
    # Judged from a pod template (no Pod is failing): what a new Pod would meet.
    template: bool = False
    # The kubelet and runtime the verdicts assume.
    kubelet: KubeletRules = field(default_factory=rules_for, compare=False)
    # The credentials themselves, for --verify; never rendered.
    offered: tuple[Credential, ...] = field(default=(), repr=False, compare=False)
    image_ref: ImageRef | None = field(default=None, repr=False, compare=False)

    @property
    def has_findings(self) -> bool:
        return any(p.severity is not Severity.INFO for p in self.problems)

    @property
    def workload(self) -> str:
        """Who the finding belongs to: the top-level owner, or the Pod itself."""
        top = self.owners.top
        return top.label if top is not None else f"pod/{self.pod}"


@dataclass
class _PodFindings:
    """What the pod's secrets give every container: a keyring, or the reason there is none."""

    keyring: Keyring = field(default_factory=Keyring)
    problems: list[Problem] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    usable: list[str] = field(default_factory=list)
    consulted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    # Present now, and not yet tried by the kubelet (see _written_after).
    arrived: list[str] = field(default_factory=list)
    # Written after the newest pull error on record, but the spam filter thins the events, so
    # whether the kubelet has tried them since, no one can tell from the API.
    unconfirmed: list[str] = field(default_factory=list)


TEMPLATE_STATE = "PodTemplate"


def _whose(ctx: PodContext) -> str:
    """What the pull secrets belong to, as the verdicts' texts name it."""
    if ctx.template_of is not None:
        return f"the pod template of {ctx.template_of.label}"
    return "this Pod"


@functools.lru_cache(maxsize=1024)
def _first_registry(pod: PodFacts) -> str:
    """The --docker-server of the Pod's first image (asked by several verdicts' fixes)."""
    return next(iter(registries_of(pod)), "<registry>")


def pull_secret_names(ctx: PodContext) -> tuple[str, ...]:
    """The Pod's list; for a template, the list a new Pod gets once admission has run."""
    if ctx.template_of is None or ctx.template_of.kind == "Pod":
        return ctx.pod.pull_secret_names  # a Pod went through admission when it was created
    return admitted_pull_secrets(ctx.pod.pull_secret_names, ctx.service_account)


def _newest_pull_error(ctx: PodContext) -> tuple[datetime | None, bool]:
    """When the newest pull error on record happened, and whether the spam filter thins the
    events (25, then one per 5 minutes), so that later attempts may have left none."""
    trail = event_trail(ctx.events, datetime.now(timezone.utc), failing=True)
    newest = parse_time(trail.newest_pull_error) if trail.newest_pull_error else None
    return newest, trail.throttled


def _written_after(written: str, moment: datetime | None) -> bool:
    """Whether a secret was created or replaced after `moment`. Its metadata is all that tells:
    only kubelets 1.28+ report a secret they missed (FailedToRetrieveImagePullSecret)."""
    written_at = parse_time(written) if written else None
    return written_at is not None and moment is not None and written_at > moment


def _secret_problems(ctx: PodContext) -> _PodFindings:
    pod = ctx.pod
    names = pull_secret_names(ctx)
    findings = _PodFindings()
    reported_missing: set[str] = set()
    for event in ctx.events:
        if event.reason == FAILED_TO_RETRIEVE_PULL_SECRET:
            reported_missing.update(parse_missing_pull_secrets(event.message))
    newest_error, thinned = _newest_pull_error(ctx)

    if any(not n for n in names):
        findings.problems.append(catalogue.empty_pull_secret_name())
    for name in dict.fromkeys(n for n in names if n):
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
                + replace_secret_command(name, pod.namespace, _first_registry(pod), force=True),
            )
            if decoded.error is not None:
                findings.malformed.append(name)
            elif decoded.used:
                findings.usable.append(name)
                findings.keyring.add(f"secret/{name}", decoded.entries)
            if name in reported_missing:
                findings.arrived.append(name)
            elif _written_after(fetch.written, newest_error):
                (findings.unconfirmed if thinned else findings.arrived).append(name)
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
    if ctx.rules.missing_secret_event_on_every_sync:
        reported = " and reports FailedToRetrieveImagePullSecret"
    elif ctx.rules.missing_secret_event:
        reported = (
            f" and reports FailedToRetrieveImagePullSecret only when a pull fails (kubelet "
            f"{ctx.rules.kubelet} and later: a Pod that runs gets no event)"
        )
    else:
        reported = f" (kubelet {ctx.rules.kubelet} only logs it: the event exists from 1.28)"
    return catalogue.secret_not_found(
        f'Secret "{name}" named in imagePullSecrets', f" in namespace {ns}{where}", hint, reported
    )


def _service_account_problem(ctx: PodContext, failing_without_creds: bool) -> Problem | None:
    sa = ctx.service_account
    pod = ctx.pod
    missing = not_admitted(pod.pull_secret_names, sa)
    if sa is None or not missing or (ctx.template_of is not None and not pod.pull_secret_names):
        return None
    if pod.pull_secret_names:
        why = "the Pod lists its own imagePullSecrets, and admission never merges the two lists"
        hint = (
            "add them to the pod template's imagePullSecrets "
            f"({add_pull_secret_to_template(pod, ctx.owners, missing[0])})"
        )
    else:
        why = (
            "admission copies them only when a Pod is created, so this Pod was created before "
            "they were added to the ServiceAccount"
        )
        hint = f"re-create the Pod: {recreate_hint(pod, ctx.owners)}"
    return catalogue.service_account_secrets_not_applied(
        sa.name,
        ", ".join(missing),
        why,
        hint,
        Severity.ERROR if failing_without_creds else Severity.WARNING,
    )


def _volume_failing(ctx: PodContext, spec: ContainerSpec) -> bool:
    """An image volume fails the Pod's sync before any container gets a result: its
    containers stay ContainerCreating, and only the Pod's events name its image."""
    return spec.kind == IMAGE_VOLUME_KIND and any(
        image_of_event(e.message) == spec.image and runtime_error_of(e.message) for e in ctx.events
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


@dataclass(frozen=True)
class _Evidence:
    """What the kubelet said about a failing pull: the runtime's error, the source of it."""

    error: str | None = None
    kind: PullError = PullError.UNKNOWN
    attempts: tuple[PullAttempt, ...] = ()
    stale: str = ""  # when the error comes from an old event only: how old, for the message


def _evidence(
    ctx: PodContext, status: ContainerStatus | None, spec: ContainerSpec, failing: bool
) -> _Evidence:
    """The waiting message first (durable: events expire after an hour and are thinned to one
    per 5 minutes after 25), then the newest event that carries a pull error."""
    if not failing:
        return _Evidence()
    waiting = read_waiting(status.waiting_reason, status.waiting_message) if status else None
    if waiting is not None and waiting.error:
        return _Evidence(waiting.error, waiting.kind, waiting.attempts)
    latest: PodEvent | None = None
    for event in ctx.events:
        ref = event.container
        if spec.kind == IMAGE_VOLUME_KIND:
            # An image volume's failure is reported on the Pod: match it by its image.
            if image_of_event(event.message) != spec.image:
                continue
        elif ref is None or ref.name != spec.name or ref.kind != spec.kind:
            continue
        if runtime_error_of(event.message) and (
            latest is None or event.last_seen >= latest.last_seen
        ):
            latest = event
    error = runtime_error_of(latest.message) if latest is not None else None
    if error is None:
        return _Evidence(kind=waiting.kind if waiting is not None else PullError.UNKNOWN)
    attempts = pull_attempts(error)
    stale = ""
    if waiting is not None and waiting.previous is None and latest is not None:
        trail = event_trail(ctx.events, datetime.now(timezone.utc), failing=True)
        if trail.stale:
            stale = f" (from an event last seen at {latest.last_seen}; newer ones are thinned out)"
    return _Evidence(error, overall_kind(attempts), attempts, stale)


def _credential_refs(creds: Sequence[Credential]) -> tuple[CredentialRef, ...]:
    return tuple(CredentialRef(c.source.removeprefix("secret/"), c.key, c.username) for c in creds)


def diagnose_pod(ctx: PodContext) -> list[ContainerReport]:
    """One report per container (init, regular and ephemeral), in spec order."""
    pod = ctx.pod
    findings = _secret_problems(ctx)
    statuses = {(s.kind, s.name): s for s in pod.statuses}
    reports: list[ContainerReport] = []
    prospective = ctx.template_of is not None
    for spec in pod.pulled_images():
        status = statuses.get((spec.kind, spec.name))
        # A template is judged as the pull a new Pod would make: as if it were failing now,
        # with no runtime error to read.
        state = TEMPLATE_STATE if prospective else _state_of(status, pod)
        failing = prospective or is_pull_failure(state) or _volume_failing(ctx, spec)
        latent = pod.phase == "Running" and not failing
        problems: list[Problem] = []
        creds: list[Credential] = []
        repository = registry = None
        image: ImageRef | None = None
        try:
            image = parse_image(
                spec.image, length_counts_domain=ctx.rules.name_length_counts_domain
            )
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
            problems.extend(_credential_health(ctx, creds))

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
                # A 1.33+ credential-lookup error is the reason itself: hostile text.
                state=state if is_named_reason(state) else scrub(state, 80),
                pod_phase=pod.phase,
                latent=latent,
                credentials=_credential_refs(creds),
                problems=tuple(pod_level + problems),
                secrets=tuple(findings.consulted),
                service_account=pod.service_account,
                owners=ctx.owners,
                template=prospective,
                kubelet=ctx.rules,
                offered=tuple(creds),
                image_ref=image,
            )
        )
    return reports


def _credential_health(ctx: PodContext, creds: Sequence[Credential]) -> list[Problem]:
    """Expiry of the credentials the kubelet offers for this image (only those: an expired
    credential elsewhere in the secret does not touch this pull)."""
    problems: list[Problem] = []
    for c in creds:
        secret = c.source.removeprefix("secret/")
        renew = "renew it: " + replace_secret_command(secret, ctx.pod.namespace, c.key)
        problems += expiry_problems(
            f'Secret "{secret}"', c.written_key, c.username, c.password, ctx.expiry, renew
        )
    for secret in dict.fromkeys(c.source.removeprefix("secret/") for c in creds):
        problems += ctx.divergences.get(secret, ())
    return problems


def _offered(creds: Sequence[Credential], attempts: Sequence[PullAttempt] = ()) -> str:
    """The credentials offered, each with the registry's answer to it when the kubelet
    reported one error per credential (its aggregate `[err1, err2]`)."""
    labels = [f"{c.source} (key {c.key}, user {c.username or '<empty>'})" for c in creds]
    if _per_credential(creds, attempts):
        labels = [
            f"{label}: {attempt.kind.value}, {scrub(attempt.error, 200)}"
            for label, attempt in zip(labels, attempts, strict=True)
        ]
    return "; ".join(labels) if _per_credential(creds, attempts) else ", ".join(labels)


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
    policy = effective_pull_policy(spec.image, spec.pull_policy)
    # Only where the check is on by default: on an older kubelet the image may have arrived on
    # the node after this Pod's failed pull, and its next retry would use it.
    check = cached_image_check(ctx.rules, policy, state)
    cached = (
        failing
        and ctx.template_of is None
        and check.credentials_matter
        and check.gate.by_default
        and on_node(image, ctx.node_images)
    )
    if state == "ErrImageNeverPull" and cached:
        return [
            catalogue.cached_image_not_verified(
                spec.image,
                pod.node_name,
                str(ctx.rules.kubelet),
                "with imagePullPolicy Never it then says the image is not present, so as not "
                "to reveal an image this Pod may not use (image_manager.go). Not a missing "
                "image: a credentials problem",
                Severity.ERROR,
                "give the Pod a pull secret with the credentials that pulled the image (those "
                "of a Pod that runs it on this node: the kubelet then accepts the cached image), "
                "or set imagePullPolicy: IfNotPresent so that the kubelet pulls with this Pod's "
                "own",
            )
        ]
    if cached:
        has = "" if creds else f", and it has none for {image.domain}"
        problems.append(
            catalogue.cached_image_not_verified(
                spec.image,
                pod.node_name,
                str(ctx.rules.kubelet),
                f"so it pulled the image again with this Pod's own credentials{has}",
                Severity.WARNING,
                "the next finding says what this Pod's credentials lack; with ones that can "
                "pull the image, the kubelet verifies them and uses the cached image",
            )
        )
    if state == "ErrImageNeverPull":
        unverified = ""
        if check.credentials_matter:
            unverified = (
                f"on kubelet {ctx.rules.kubelet} (KubeletEnsureSecretPulledImages, "
                f"{check.gate.value}) it says so too when the image is on the node but was "
                "pulled with credentials this Pod does not have: it does not reveal which"
            )
        return [catalogue.image_never_pulled(spec.image, unverified)]
    if state == "InvalidImageName":
        return [catalogue.invalid_image_name(spec.image, "")]
    evidence = _evidence(ctx, status, spec, failing and not ctx.template_of)
    kind = evidence.kind
    public = (spec.image, image.repository, image.domain, image.path)  # shown anyway
    said = f": {scrub(evidence.error, public=public)}{evidence.stale}" if evidence.error else ""
    not_credentials = {
        PullError.NOT_FOUND: lambda: catalogue.image_not_found(
            f"{image.repository}:{image.reference}", said
        ),
        PullError.UNREACHABLE: lambda: catalogue.registry_unreachable(image.domain, said),
        PullError.TIMEOUT: lambda: catalogue.pull_timed_out(image.domain, said),
        PullError.MISCONFIGURED: lambda: catalogue.runtime_misconfigured(image.domain, said),
        PullError.SIGNATURE: lambda: catalogue.signature_validation_failed(spec.image, said),
        PullError.SHORT_NAME: lambda: catalogue.short_name_unresolved(spec.image, said),
    }
    if failing and kind in not_credentials:
        problems.append(not_credentials[kind]())
    elif failing and kind is PullError.RATE_LIMITED:
        hint = (
            "authenticate Docker Hub pulls (authenticated users get higher limits): "
            + create_secret_command("dockerhub", pod.namespace, DOCKER_HUB_SERVER)
            if image.is_docker_hub and not creds
            else "wait, use a pull-through mirror, or authenticate with an account with higher limits"
        )
        problems.append(catalogue.rate_limited(image.domain, said, hint))
    elif failing and kind is PullError.CREDENTIAL_LOOKUP and not findings.malformed:
        # The kubelet could not decode a pull secret; they all decode now (fixed since, or an
        # error this tool's decoder does not see): the next retry tells.
        problems.append(
            catalogue.secret_malformed(
                "One of this Pod's pull secrets",
                None,
                scrub(evidence.error or "", 200),
                "of this Pod's pull secrets",
                "they decode now; if the Pod does not recover at its next retry, re-create "
                "its pull secrets with kubectl create secret docker-registry",
            )
        )
    elif (
        failing
        and not findings.malformed
        and any(c.source.removeprefix("secret/") in findings.arrived for c in creds)
    ):
        # The kubelet's last attempt ran before these secrets existed or changed: its error says
        # nothing about the credentials now listed, which the next retry (back-off up to 5 min)
        # uses.
        pass
    elif failing and creds and not findings.malformed:
        if kind is PullError.AUTH:
            secrets = " ".join(f"--secret {q(c.source.removeprefix('secret/'))}" for c in creds)
            problems.append(
                catalogue.credentials_rejected(
                    image.repository,
                    _offered(creds, evidence.attempts),
                    "" if _per_credential(creds, evidence.attempts) else said,
                    _rejection_notes(ctx, spec, image, creds, findings.unconfirmed),
                    f"check the username, password and pull rights: kubectl pullsecret check "
                    f"{q(spec.image)} -n {q(pod.namespace)} {secrets} --verify; then re-create "
                    "the secret it rejects with working credentials: "
                    + replace_secret_command(
                        creds[0].source.removeprefix("secret/"),
                        pod.namespace,
                        docker_server_for(image),
                    ),
                )
            )
        elif evidence.error:
            problems.append(
                catalogue.pull_failed_with_credentials(
                    _offered(creds, evidence.attempts),
                    said,
                    f"check live: kubectl pullsecret check {q(spec.image)} -n {q(pod.namespace)} --verify",
                )
            )
    elif failing and not creds and not findings.malformed:
        # Sent credentials, none of them this Pod's: the node's (a secret this user cannot
        # read may have sent them, though).
        if (
            kind is PullError.AUTH
            and credentials_sent(evidence.attempts)
            and not findings.unreadable
        ):
            problems.append(_node_credentials_rejected(ctx, image, said))
        else:
            problems.extend(_no_credentials(ctx, image, findings, said))
    outlook = _outlook(ctx, image)
    if outlook.cloud_registry is not None and not creds:
        problems.append(catalogue.node_credentials_possible(image.domain, outlook.cloud_registry))
    return problems


def _node_credentials_rejected(ctx: PodContext, image: ImageRef, said: str) -> Problem:
    """No pull secret of the Pod matches, yet the runtime sent credentials: the node's."""
    pod = ctx.pod
    name = new_secret_name(image, pod.pull_secret_names)
    return catalogue.node_credentials_rejected(
        image.repository,
        said,
        "fix the credentials the node hands out for this registry (its kubelet credential "
        "provider's, or its config.json); or give the Pod its own, which the kubelet tries "
        f"first: {create_secret_command(name, pod.namespace, docker_server_for(image))}; then "
        + add_pull_secret_hint(pod, ctx.owners, name, ctx.service_account),
    )


def _outlook(ctx: PodContext, image: ImageRef) -> ProviderOutlook:
    annotations = dict(ctx.service_account.annotations) if ctx.service_account else {}
    return provider_outlook(ctx.rules, image.domain, annotations)


def _provider_note(ctx: PodContext, image: ImageRef) -> str:
    """Where a credential provider may serve the image: never say the Pod cannot pull."""
    outlook = _outlook(ctx, image)
    if not outlook.service_account_provider_possible:
        return ""
    keys = ", ".join(outlook.identity_annotations)
    attempt = "did not serve it either" if ctx.template_of is None else "may serve it"
    return (
        f"; its ServiceAccount carries a workload identity ({keys}): a credential provider that "
        f"pulls with the ServiceAccount's token (kubelet {ctx.rules.kubelet}, "
        f"KubeletServiceAccountTokenForCredentialProviders {outlook.service_account_tokens.value}) "
        f"{attempt}"
    )


def _per_credential(creds: Sequence[Credential], attempts: Sequence[PullAttempt]) -> bool:
    """The kubelet reported one error per credential (identical errors are merged into one)."""
    return len(creds) > 1 and len(attempts) == len(creds)


def _rejection_notes(
    ctx: PodContext,
    spec: ContainerSpec,
    image: ImageRef,
    creds: Sequence[Credential],
    unconfirmed: Sequence[str],
) -> str:
    notes = ""
    changed = dict.fromkeys(
        n for c in creds if (n := c.source.removeprefix("secret/")) in unconfirmed
    )
    if changed:
        named = ", ".join(f'"{name}"' for name in changed)
        notes += (
            f" Secret {named} was created or replaced after the newest pull error on record, and "
            "the kubelet's spam filter (25 events, then one per 5 minutes) has thinned this "
            "Pod's events since: this refusal may predate the change. The check in the fix "
            "tells, and so does the next retry (back-off up to 5 minutes)."
        )
    if image.is_docker_hub:
        notes += (
            " The kubelet never retries anonymously, so a wrong Docker Hub credential breaks "
            "even public images."
        )
    policy = effective_pull_policy(spec.image, spec.pull_policy)
    check = cached_image_check(ctx.rules, policy)
    if check.effect is CacheEffect.REPULL_WITH_POD_CREDENTIALS and check.gate.by_default:
        notes += (
            f" On kubelet {ctx.rules.kubelet} an image already on the node is pulled again with "
            "this Pod's own credentials (KubeletEnsureSecretPulledImages), even where other "
            "Pods on the node run it."
        )
    return notes


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
            "re-create the Pod so that admission copies the ServiceAccount's secrets: "
            + recreate_hint(pod, ctx.owners)
            if sa_has
            else f"{create_secret_command(new_name, pod.namespace, server)}; then "
            + add_pull_secret_hint(pod, ctx.owners, new_name, sa)
        )
        # A template without secrets most often pulls public images: nothing says otherwise.
        severity = Severity.INFO if ctx.template_of is not None else Severity.ERROR
        note = _provider_note(ctx, image)
        return [
            catalogue.no_pull_secrets(_whose(ctx), image.repository, said + note, hint, severity)
        ]
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
            + replace_secret_command(wrong, pod.namespace, server)
        )
    else:
        new_name = new_secret_name(image, pod.pull_secret_names)
        hint = (
            f"{create_secret_command(new_name, pod.namespace, server)}; then "
            + add_pull_secret_hint(pod, ctx.owners, new_name, ctx.service_account)
        )
    return [
        catalogue.no_credentials_for_registry(
            f"no pull secret of {_whose(ctx)} has credentials for {image.domain} (repository "
            f"{image.repository}); its secrets ({', '.join(findings.consulted)})",
            ", ".join(covered) if covered else "no registry at all",
            miss_text,
            hint,
            severity=_anonymous_severity(ctx, image),
            anonymous=_anonymous_pull(ctx, image),
        )
    ]


def _anonymous_severity(ctx: PodContext, image: ImageRef) -> Severity:
    """A failed pull is an error. A template's anonymous pull may work: a warning, but no
    finding at all for Docker Hub's official images, which are public."""
    if ctx.template_of is None:
        return Severity.ERROR
    return Severity.INFO if _official_image(image) else Severity.WARNING


def _official_image(image: ImageRef) -> bool:
    return image.is_docker_hub and image.path.startswith("library/")


def _anonymous_pull(ctx: PodContext, image: ImageRef) -> str:
    if ctx.template_of is None:
        return ""
    if _official_image(image):
        return (
            " A new Pod pulls it anonymously, which works: Docker Hub's official images are public."
        )
    return (
        " A new Pod would pull anonymously: it fails unless the registry serves the image to "
        "anyone."
    )

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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum

from kubectl_pullsecret.kubelet.admission import admitted_pull_secrets, not_admitted
from kubectl_pullsecret.kubelet.backoff import (
    MAX_RETRY_GAP_SECONDS,
    RACE_SECONDS,
    RetryOutlook,
)
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
from kubectl_pullsecret.verdicts.catalogue import Code, Problem, Severity
from kubectl_pullsecret.verdicts.credential_health import expiry_problems
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, SeenAttempt
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
    # The kubelet's next attempt as the record dates it (for --wait); None when not failing.
    retry: RetryOutlook | None = field(default=None, repr=False, compare=False)

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
    # When each secret present was last created or replaced (see _changed_at); absent when no
    # one can tell.
    changed: dict[str, datetime] = field(default_factory=dict)


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


def _now(ctx: PodContext) -> datetime:
    return ctx.now or datetime.now(timezone.utc)


def _changed_at(ctx: PodContext, written: str, reported_missing: str) -> datetime | None:
    """When a secret present now was last created or replaced: its metadata (creation, newest
    managedFields entry). A 1.28+ kubelet that reported it missing (FailedToRetrieve...) at
    `reported_missing` proves it came later; with neither date readable, it is taken as new."""
    moments = [m for m in (parse_time(written) if written else None,) if m is not None]
    if reported_missing:
        reported = parse_time(reported_missing)
        moments.append(reported if reported is not None else _now(ctx))
    return max(moments, default=None)


def _secret_problems(ctx: PodContext) -> _PodFindings:
    pod = ctx.pod
    names = pull_secret_names(ctx)
    findings = _PodFindings()
    reported_missing: dict[str, str] = {}  # name -> when the kubelet last reported it missing
    for event in ctx.events:
        if event.reason == FAILED_TO_RETRIEVE_PULL_SECRET:
            for name in parse_missing_pull_secrets(event.message):
                reported_missing[name] = max(reported_missing.get(name, ""), event.last_seen or "?")

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
            changed = _changed_at(ctx, fetch.written, reported_missing.get(name, ""))
            if changed is not None:
                findings.changed[name] = changed
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
    """What the kubelet said about a failing pull: the runtime's error, and what dates it."""

    error: str | None = None
    kind: PullError = PullError.UNKNOWN
    attempts: tuple[PullAttempt, ...] = ()
    stale: str = ""  # when the error comes from an old event only: how old, for the message
    # The error comes from the container's status, which the kubelet rewrites at every attempt.
    fresh: bool = False
    # The newest failed pull the events date for this container, how many they count, and
    # whether the spam filter thins them (so that the count is a floor).
    newest: datetime | None = None
    failures: int = 0
    thinned: bool = False


def _failure_events(ctx: PodContext, spec: ContainerSpec) -> list[PodEvent]:
    """The events that carry a pull error of this container (an image volume's name its
    image; an aggregated event, whose fieldPath may be any container's, counts by its image)."""
    found = []
    for event in ctx.events:
        if not runtime_error_of(event.message):
            continue
        ref = event.container
        named = ref is not None and (ref.kind, ref.name) == (spec.kind, spec.name)
        if spec.kind == IMAGE_VOLUME_KIND or (event.combined and not named):
            if image_of_event(event.message) != spec.image:
                continue
        elif not named:
            continue
        found.append(event)
    return found


def _evidence(
    ctx: PodContext, status: ContainerStatus | None, spec: ContainerSpec, failing: bool
) -> _Evidence:
    """The waiting message first (durable: events expire after an hour and are thinned to one
    per 5 minutes after 25), then the newest event that carries a pull error; and, from the
    events, when the newest failure was and how many there were."""
    if not failing:
        return _Evidence()
    waiting = read_waiting(status.waiting_reason, status.waiting_message) if status else None
    seen = ctx.seen.get((spec.kind, spec.name))
    if seen is not None and (waiting is None or not waiting.error):
        # `--wait` saw the attempt's result, which the status may no longer show.
        waiting = read_waiting(seen.reason, seen.message) or waiting
    events = _failure_events(ctx, spec)
    latest = max(events, key=lambda e: e.last_seen, default=None)
    trail = event_trail(ctx.events, _now(ctx), failing=True)
    dating = {
        "newest": parse_time(latest.last_seen) if latest is not None else None,
        "failures": sum(max(e.count, 1) for e in events if e.reason == "Failed"),
        "thinned": trail.throttled,
    }
    if waiting is not None and waiting.error:
        return _Evidence(waiting.error, waiting.kind, waiting.attempts, fresh=True, **dating)
    error = runtime_error_of(latest.message) if latest is not None else None
    if error is None:
        return _Evidence(kind=waiting.kind if waiting is not None else PullError.UNKNOWN, **dating)
    attempts = pull_attempts(error)
    stale = ""
    if waiting is not None and waiting.previous is None and latest is not None and trail.stale:
        stale = f" (from an event last seen at {latest.last_seen}; newer ones are thinned out)"
    return _Evidence(error, overall_kind(attempts), attempts, stale, **dating)


class _Trial(Enum):
    """Whether the kubelet's failure on record used the credentials the Pod offers now."""

    TRIED = "tried"  # yes, or nothing changed since
    UNTRIED = "untried"  # a secret changed after it, and no attempt since is on record
    # A secret changed after it, and the kubelet has retried since, but no error of that retry
    # is on record (the events thinned or expired, the status keeps none before 1.32).
    RETRIED_UNSEEN = "retried-unseen"


def _trial(
    ctx: PodContext, evidence: _Evidence, changed: datetime | None, seen: SeenAttempt | None
) -> _Trial:
    """Dates the newest failure against the newest change of the Pod's offered secrets.

    Events may lag the pulls (the kubelet sends them asynchronously, rate-limited, and its spam
    filter drops them), so an event only ever proves that a failure came after a change; no
    event proves that none did. Without proof the change is taken as untried, until the
    kubelet must have retried with it (its attempts are never more than 315 s apart): then the
    container's status, which each attempt rewrites, is the latest failure's own.
    """
    created = parse_time(ctx.pod.created) if ctx.pod.created else None
    if changed is None or (created is not None and changed <= created):
        # Unchanged since the Pod was created (whole seconds: its first pull comes after
        # scheduling, a sandbox and a read of its secrets), every attempt offered it.
        return _Trial.TRIED
    after_change = changed + timedelta(seconds=RACE_SECONDS)
    if seen is not None and seen.began_after > after_change:
        return _Trial.TRIED
    if evidence.newest is not None and evidence.newest > after_change:
        return _Trial.TRIED
    if _now(ctx) - changed > timedelta(seconds=MAX_RETRY_GAP_SECONDS + RACE_SECONDS):
        return _Trial.TRIED if evidence.fresh else _Trial.RETRIED_UNSEEN
    return _Trial.UNTRIED


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
        retry: RetryOutlook | None = None
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
            found, retry = _container_problems(
                ctx, spec, status, state, image, creds, findings, failing
            )
            problems.extend(found)
            problems.extend(_credential_health(ctx, creds))

        pod_level = list(findings.problems)
        if image is None or state == "InvalidImageName":
            # No registry to match a key against: what is wrong with a key is no part of it.
            pod_level = [p for p in pod_level if p.code is not Code.NO_CREDENTIALS_FOR_REGISTRY]
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
                retry=retry,
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
) -> tuple[list[Problem], RetryOutlook | None]:
    """The container's problems, and the kubelet's next attempt as the record dates it."""
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
        ], None
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
        return [catalogue.image_never_pulled(spec.image, unverified)], None
    if state == "InvalidImageName":
        return [catalogue.invalid_image_name(spec.image, "")], None
    evidence = _evidence(ctx, status, spec, failing and not ctx.template_of)
    retry = _retry_outlook(ctx, evidence, creds, findings) if failing else None
    kind = _kind_over_offered(evidence, creds)
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
        PullError.NODE_DISK: lambda: catalogue.node_disk_full(spec.image, said),
        PullError.DAMAGED: lambda: catalogue.download_damaged(spec.image, said),
        PullError.THROTTLED: lambda: catalogue.pull_throttled(said),
        PullError.INSPECT: lambda: catalogue.image_inspect_failed(spec.image, said),
        PullError.REGISTRY_ERROR: lambda: catalogue.registry_server_error(image.domain, said),
        PullError.NO_PLATFORM: lambda: catalogue.no_matching_platform(
            f"{image.repository}:{image.reference}", said
        ),
    }
    if state == "ImageInspectError" or (failing and kind in not_credentials):
        # ImageInspectError: the runtime's ImageStatus failed, whatever its text says.
        problems.append(
            not_credentials[PullError.INSPECT if state == "ImageInspectError" else kind]()
        )
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
    elif failing and creds and not findings.malformed and not ctx.template_of:
        problems.append(
            _judge_offered(ctx, spec, image, creds, findings, replace(evidence, kind=kind), said)
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
            missing = _no_credentials(ctx, image, findings, said)
            if (
                kind is PullError.UNKNOWN
                and not ctx.template_of
                and any(
                    p.code in (Code.NO_PULL_SECRETS, Code.NO_CREDENTIALS_FOR_REGISTRY)
                    for p in missing
                )
            ):
                # Nothing names the cause: that the Pod offers no credentials may matter (a private
                # image) or not (a public one), so it is a warning beside the failure.
                problems.append(
                    catalogue.pull_failed_unrecognized(
                        f", and the runtime's text names no cause this tool recognises{said}"
                        if evidence.error
                        else _NO_ERROR_ON_RECORD,
                        "",
                        "read the kubelet's events (kubectl describe pod) and the runtime's log on "
                        "the node (journalctl -u containerd, or crio) for the pull of this image",
                    )
                )
                missing = [
                    p.with_severity(Severity.WARNING) if p.severity is Severity.ERROR else p
                    for p in missing
                ]
            problems.extend(missing)
    outlook = _outlook(ctx, image)
    if outlook.cloud_registry is not None and not creds:
        problems.append(catalogue.node_credentials_possible(image.domain, outlook.cloud_registry))
    return problems, retry


def _kind_over_offered(evidence: _Evidence, creds: Sequence[Credential]) -> PullError:
    """The cause over the kubelet's attempts, knowing which credential made each.

    An entry with no username and no password makes an anonymous attempt, and a registry that
    hides its private repositories answers that one `not found`: it proves nothing was
    accepted. Joined to a credentialed attempt that was refused, the refusal is the cause.
    """
    attempts = evidence.attempts
    if evidence.kind is not PullError.NOT_FOUND or not _per_credential(creds, attempts):
        return evidence.kind
    pairs = list(zip(creds, attempts, strict=True))
    named = [a.kind for c, a in pairs if c.username or c.password]
    anonymous = [a.kind for c, a in pairs if not (c.username or c.password)]
    if PullError.AUTH in named and PullError.NOT_FOUND not in named and anonymous:
        return PullError.AUTH
    return evidence.kind


def _retry_outlook(
    ctx: PodContext, evidence: _Evidence, creds: Sequence[Credential], findings: _PodFindings
) -> RetryOutlook:
    changed = [
        moment
        for name in dict.fromkeys(c.source.removeprefix("secret/") for c in creds)
        if (moment := findings.changed.get(name)) is not None
    ]
    return RetryOutlook(
        evidence.newest,
        evidence.failures,
        evidence.thinned or evidence.failures >= 6,
        max(changed, default=None),
    )


_NO_ERROR_ON_RECORD = (
    ", and no error of it is on record (events expire after an hour and are thinned to one per "
    "5 minutes; before 1.32 the back-off message keeps no error)"
)


def _clock(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%H:%M:%S UTC")


def _judge_offered(
    ctx: PodContext,
    spec: ContainerSpec,
    image: ImageRef,
    creds: list[Credential],
    findings: _PodFindings,
    evidence: _Evidence,
    said: str,
) -> Problem:
    """The verdict on a failed pull with credentials offered, dated against the newest change
    of the secrets offering them: a refusal blames them only when it used them."""
    pod = ctx.pod
    names = list(dict.fromkeys(c.source.removeprefix("secret/") for c in creds))
    secrets = " ".join(f"--secret {q(name)}" for name in names)
    live_check = (
        f"kubectl pullsecret check {q(spec.image)} -n {q(pod.namespace)} {secrets} --verify"
    )
    retry = _retry_outlook(ctx, evidence, creds, findings)
    trial = _trial(ctx, evidence, retry.changed, ctx.seen.get((spec.kind, spec.name)))
    changed = [n for n in names if findings.changed.get(n) == retry.changed]
    which = (
        f'Secret "{changed[0]}" was created or replaced'
        if len(changed) == 1
        else "Secrets " + ", ".join(f'"{n}"' for n in changed) + " were created or replaced"
    )
    if trial is _Trial.UNTRIED and retry.changed is not None:
        now = _now(ctx)
        due = retry.due_by(retry.changed)
        late = int((now - due).total_seconds())
        when = (
            f"The kubelet's back-off (10 s, doubling to 5 minutes) lets it retry by "
            f"{_clock(due)} at the latest (in about {-late} s), with the credentials as they "
            "are now."
            if late < 0
            else f"Its retry was due by {_clock(due)} at the latest ({late} s ago), and no "
            "result of it is on record yet: the kubelet's events can lag its pulls."
        )
        last = f" ({_clock(retry.last_failure)})" if retry.last_failure else " (undated)"
        return catalogue.awaiting_retry(
            f"{which} at {_clock(retry.changed)}",
            last,
            when,
            f" (it said{said})" if said else "",
            f"follow the next attempt: kubectl pullsecret diagnose pod {q(pod.name)} -n "
            f"{q(pod.namespace)} --wait; or check the credentials now: {live_check}",
        )
    offered = _offered(creds, evidence.attempts)
    if trial is _Trial.RETRIED_UNSEEN and retry.changed is not None:
        before = f", at {_clock(retry.last_failure)}" if retry.last_failure else ""
        return catalogue.pull_failed_unrecognized(
            f" still: {which[0].lower()}{which[1:]} at {_clock(retry.changed)}, the kubelet has "
            "retried since (it never waits more than about 5 minutes), and no error newer "
            f"than the change is on record (the newest{before} predates it{said}; the "
            "kubelet's spam filter and the event TTL drop the rest, and before 1.32 the "
            "back-off message keeps no error)",
            offered,
            f"check the credentials live: {live_check}; the runtime's log on the node "
            "(journalctl -u containerd, or crio) has every pull's error",
        )
    if evidence.kind is PullError.AUTH:
        return catalogue.credentials_rejected(
            image.repository,
            offered,
            "" if _per_credential(creds, evidence.attempts) else said,
            _rejection_notes(ctx, spec, image),
            f"check the username, password and pull rights: {live_check}; then re-create "
            "the secret it rejects with working credentials: "
            + replace_secret_command(names[0], pod.namespace, docker_server_for(image)),
        )
    what = (
        f", and the runtime's text names no cause this tool recognises{said}"
        if evidence.error
        else _NO_ERROR_ON_RECORD
    )
    return catalogue.pull_failed_unrecognized(
        what,
        offered,
        f"check the credentials live: {live_check}; then read the runtime's log on the node "
        "(journalctl -u containerd, or crio) for the pull of this image",
    )


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


def _rejection_notes(ctx: PodContext, spec: ContainerSpec, image: ImageRef) -> str:
    notes = ""
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

"""`diagnose ... --wait`: follow the failing Pods through the kubelet's next attempt, then judge
them afresh, the way `kubectl rollout status` follows a rollout.

What marks an attempt is what the kubelet writes, never a fixed sleep: after each pull it
rewrites the container's waiting state (ImagePullBackOff -> ErrImagePull, a new error text, a
1.33+ lookup error as the reason), starts the container, or the Pod goes away. The Pods are
watched (one request per namespace, narrowed to the Pod by a field selector when it is the
only one there); a watch that cannot start falls back to listing every few seconds.

An attempt can only judge a pull secret that changed before it began: the first attempt's
earliest start is the end of the back-off on record (verdicts: RetryOutlook); when that is not
later than the change, the attempt may have read the secret as it was, and the next one is
followed too (it begins a back-off of 10 s or more after the one just seen).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kubectl_pullsecret.cluster.client import KubeClient, core_path
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.cluster.objects import pod_facts
from kubectl_pullsecret.cluster.workloads import Target
from kubectl_pullsecret.commands.diagnose import DiagnoseRequest, Diagnosis, diagnose
from kubectl_pullsecret.kubelet.backoff import (
    INITIAL_BACKOFF_SECONDS,
    MAX_RETRY_GAP_SECONDS,
    RACE_SECONDS,
)
from kubectl_pullsecret.kubelet.messages import is_pull_failure
from kubectl_pullsecret.kubelet.pod import ContainerStatus
from kubectl_pullsecret.verdicts.facts import SeenAttempt

if TYPE_CHECKING:
    from kubectl_pullsecret.commands.verify import VerifyRequest
    from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy
    from kubectl_pullsecret.verdicts.pod import ContainerReport

log = logging.getLogger("kubectl_pullsecret")

# The longest the kubelet goes between two attempts, a pull's own time and a margin.
DEFAULT_WAIT_SECONDS = 360.0
assert DEFAULT_WAIT_SECONDS > MAX_RETRY_GAP_SECONDS
POLL_SECONDS = 3.0  # only when a watch cannot start
BACKOFF = "ImagePullBackOff"
# Waiting reasons that come before the first pull (or between a pull and the start).
_NOT_YET = ("ContainerCreating", "PodInitializing")
# Failures no pull attempt changes: the Pod's spec must (its image, its pull policy).
_NO_ATTEMPT = ("InvalidImageName", "ErrImageNeverPull")


@dataclass
class Followed:
    """One failing container, from the diagnosis that listed it to the kubelet's next attempt."""

    report: ContainerReport
    reason: str  # the waiting reason the diagnosis saw
    message: str | None = None  # its message, once read (the report does not keep it)
    in_backoff: bool = False  # ImagePullBackOff seen since: the next change is an attempt
    # The earliest the next attempt can begin, and the change it must postdate to judge it.
    begins_after: datetime | None = None
    change: datetime | None = None
    outcome: str = ""  # what the attempt left: "Running", "ErrImagePull", "deleted", ...
    seen: SeenAttempt | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.report.namespace, self.report.pod

    @property
    def done(self) -> bool:
        return bool(self.outcome)

    @property
    def label(self) -> str:
        return f"{self.report.namespace}/{self.report.pod} {self.report.container}"

    def observe(self, status: ContainerStatus | None, now: datetime) -> bool:
        """Read the container's state as the kubelet wrote it (None: the Pod is gone); True
        once the attempt is seen."""
        if self.done:
            return True
        if status is None:
            self.outcome = "deleted"
            return True
        if status.running or status.terminated_reason:
            self.outcome = "Running" if status.running else f"Terminated:{status.terminated_reason}"
            return True
        reason, message = status.waiting_reason, status.waiting_message
        if reason == BACKOFF:
            self.in_backoff = True
            if self.message is None and self.reason == BACKOFF:
                self.message = message
            return False
        if reason in _NOT_YET:
            return False
        if not is_pull_failure(reason):
            self.outcome = reason or "Waiting"  # pulled; the container waits for something else
            return True
        first_read = self.message is None and reason == self.reason and not self.in_backoff
        if first_read or (not self.in_backoff and (reason, message) == (self.reason, self.message)):
            self.message = message  # the state the diagnosis saw: no attempt yet
            return False
        # An attempt: the error changed, or came back after a back-off.
        began = self.begins_after
        if self.change is not None and (
            began is None or began <= self.change + timedelta(seconds=RACE_SECONDS)
        ):
            # It may have read the secret as it was: follow the next one, which begins a
            # back-off after this one failed (its status may have been written late: 10 s).
            self.begins_after = now + timedelta(seconds=INITIAL_BACKOFF_SECONDS)
            self.reason, self.message, self.in_backoff = reason, message, False
            return False
        self.seen = SeenAttempt(began or now, reason, message)
        self.outcome = reason
        return True


def followed_from(reports: Sequence[ContainerReport]) -> list[Followed]:
    """The containers a diagnosis found failing (not templates, not Running Pods' latent
    findings), each with what dates its next attempt."""
    found = []
    for report in reports:
        if report.template or report.latent or report.state in _NO_ATTEMPT:
            continue
        if not is_pull_failure(report.state):
            continue
        retry = report.retry
        found.append(
            Followed(
                report,
                report.state,
                in_backoff=report.state == BACKOFF,
                begins_after=retry.next_attempt_after if retry else None,
                change=retry.changed if retry and _awaits(report) else None,
            )
        )
    return found


def _awaits(report: ContainerReport) -> bool:
    from kubectl_pullsecret.verdicts.catalogue import Code

    return any(p.code is Code.AWAITING_RETRY for p in report.problems)


@dataclass
class FollowResult:
    first: Diagnosis
    fresh: Diagnosis | None  # None when nothing was failing
    followed: list[Followed] = field(default_factory=list)
    timed_out: list[Followed] = field(default_factory=list)


def _container(pod: dict[str, Any], followed: Followed) -> ContainerStatus | None:
    """The followed container's status in `pod`; None while the kubelet has written none."""
    for status in pod_facts(pod).statuses:
        if (status.kind, status.name) == (followed.report.kind, followed.report.container):
            return status
    return None


def _watch(
    client: KubeClient,
    namespace: str,
    names: set[str],
    deadline: float,
    out: queue.Queue[tuple[str, str, dict[str, Any] | None]],
    stop: threading.Event,
) -> None:
    """Feed `out` with (namespace, name, pod or None when it is gone) until `deadline`."""
    path = core_path("pods", namespace)
    query = {"fieldSelector": f"metadata.name={next(iter(names))}"} if len(names) == 1 else {}
    watching = True
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            listed = client.get(path, query)
        except KubeError as exc:
            log.debug("listing pods in %s to follow them failed: %s", namespace, exc)
            stop.wait(POLL_SECONDS)
            continue
        present = set()
        for pod in listed.get("items") or []:
            name = str((pod.get("metadata") or {}).get("name", ""))
            if name in names:
                present.add(name)
                out.put((namespace, name, pod))
        for name in names - present:
            out.put((namespace, name, None))
        version = str((listed.get("metadata") or {}).get("resourceVersion", ""))
        left = deadline - time.monotonic()
        if not watching or not version or left <= 0:
            stop.wait(min(POLL_SECONDS, max(left, 0)))
            continue
        try:
            for kind, pod in client.watch(path, {**query, "resourceVersion": version}, left):
                if stop.is_set() or kind == "ERROR":  # 410 Gone and the like: list again
                    break
                name = str((pod.get("metadata") or {}).get("name", ""))
                if name in names:
                    out.put((namespace, name, None if kind == "DELETED" else pod))
        except KubeError as exc:
            log.debug(
                "cannot watch pods in %s (%s): listing every %.0f s", namespace, exc, POLL_SECONDS
            )
            watching = False


def _diagnosed(
    connection: KubeOptions, request: DiagnoseRequest, verify: VerifyRequest | None
) -> Diagnosis:
    """One cluster's diagnosis, the registries asked when asked."""
    with KubeClient(connection) as client:
        diagnosis = diagnose(client, request)
    if verify is None:
        return diagnosis
    from kubectl_pullsecret.commands.verify import verified_reports

    return Diagnosis(
        verified_reports(verify, diagnosis.reports), diagnosis.warnings, diagnosis.namespace
    )


def follow(
    connection: KubeOptions,
    target: Target,
    all_namespaces: bool,
    selector: str | None,
    verify: VerifyRequest | None,
    expiry: ExpiryPolicy | None,
    wait_seconds: float,
    progress: Callable[[str], None],
) -> FollowResult:
    """Diagnose, follow each failing container through the kubelet's next attempt (at most
    `wait_seconds`), then diagnose again with the attempts seen."""
    request = DiagnoseRequest(target, all_namespaces, selector, expiry)
    first = _diagnosed(connection, request, verify)
    followed = followed_from(first.reports)
    if not followed:
        return FollowResult(first, None)
    progress(
        f"waiting up to {_duration(wait_seconds)} for the kubelet's next pull of "
        f"{len(followed)} container(s) (Ctrl-C stops)"
    )
    now = datetime.now(timezone.utc)
    for f in followed:
        due = f.report.retry.due_by(f.change or now) if f.report.retry else None
        when = f"; it retries by {due:%H:%M:%S} UTC at the latest" if due and due > now else ""
        progress(f"{f.label}: {f.reason}{when}")
    _wait(connection, followed, time.monotonic() + wait_seconds, progress)
    seen: dict[tuple[str, str], dict[tuple[str, str], SeenAttempt]] = {}
    for f in followed:
        if f.seen is not None:
            seen.setdefault(f.key, {})[(f.report.kind, f.report.container)] = f.seen
    fresh = _diagnosed(connection, replace(request, seen=seen), verify)
    return FollowResult(first, fresh, followed, [f for f in followed if not f.done])


def _wait(
    connection: KubeOptions,
    followed: list[Followed],
    deadline: float,
    progress: Callable[[str], None],
) -> None:
    client = KubeClient(connection)
    updates: queue.Queue[tuple[str, str, dict[str, Any] | None]] = queue.Queue()
    stop = threading.Event()
    by_namespace: dict[str, set[str]] = {}
    for f in followed:
        by_namespace.setdefault(f.report.namespace, set()).add(f.report.pod)
    for namespace, names in by_namespace.items():
        threading.Thread(
            target=_watch,
            args=(client, namespace, names, deadline, updates, stop),
            daemon=True,  # a watch blocked in a read must not keep the process alive
        ).start()
    uids: dict[tuple[str, str], str] = {}
    try:
        while not all(f.done for f in followed):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                namespace, name, pod = updates.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            uid = str(((pod or {}).get("metadata") or {}).get("uid", ""))
            if pod is not None and uids.setdefault((namespace, name), uid) != uid:
                pod = None  # a new Pod of that name: the one followed is gone
            now = datetime.now(timezone.utc)
            for f in followed:
                if f.key != (namespace, name) or f.done:
                    continue
                status = _container(pod, f) if pod is not None else None
                if pod is not None and status is None:
                    continue
                if f.observe(status, now):
                    progress(f"{f.label}: {_outcome(f)}")
    finally:
        stop.set()
        log.debug("%d API requests while following", client.stats.requests)
        client.close()


def _outcome(f: Followed) -> str:
    if f.outcome == "deleted":
        return "deleted (a controller may replace it; its new Pod is not followed)"
    if f.outcome == "Running" or f.outcome.startswith("Terminated"):
        return f"pulled, {f.outcome}"
    if is_pull_failure(f.outcome):
        return f"the kubelet tried again: {f.outcome}"
    return f"pulled; now waiting: {f.outcome}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"

"""Issue 21's done-criterion: on the project's corpus of real pull-error texts
(tests/kubelet/pull_messages.py, each with its source), no cause outside the credentials is
blamed on them.

Each text is written on a Pod as the kubelet writes it (the runtime's error as an ErrImagePull
waiting message, as a `Failed to pull image` event beside a bare back-off, and as a 1.32+
back-off message; an event text as the event; a waiting text as the waiting state), and the
Pod is judged twice: with a pull secret that matches its registry, as most Pods have, and with
none. Pure: no cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from kubectl_pullsecret.kubelet.docker_config import decode_secret
from kubectl_pullsecret.kubelet.messages import PodEvent, PullError, credentials_sent, pull_attempts
from kubectl_pullsecret.kubelet.pod import (
    ContainerSpec,
    ContainerStatus,
    PodFacts,
    SecretFetch,
    SecretStatus,
)
from kubectl_pullsecret.verdicts.catalogue import Code, Severity
from kubectl_pullsecret.verdicts.facts import PodContext
from kubectl_pullsecret.verdicts.pod import diagnose_pod
from tests.kubelet.pull_messages import EVENT, MESSAGES, RUNTIME, PullMessage

IMAGE = "registry.example.com/team/app:v1"
FAILED_AT = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
NOW = FAILED_AT + timedelta(seconds=40)  # within the back-off: nothing changed since

EXPECTED = {
    PullError.AUTH: Code.CREDENTIALS_REJECTED,
    PullError.NOT_FOUND: Code.IMAGE_NOT_FOUND,
    PullError.RATE_LIMITED: Code.RATE_LIMITED,
    PullError.UNREACHABLE: Code.REGISTRY_UNREACHABLE,
    PullError.TIMEOUT: Code.PULL_TIMED_OUT,
    PullError.MISCONFIGURED: Code.RUNTIME_MISCONFIGURED,
    PullError.SIGNATURE: Code.SIGNATURE_VALIDATION_FAILED,
    PullError.SHORT_NAME: Code.SHORT_NAME_UNRESOLVED,
    PullError.CREDENTIAL_LOOKUP: Code.SECRET_MALFORMED,
    PullError.NODE_DISK: Code.NODE_DISK_FULL,
    PullError.DAMAGED: Code.DOWNLOAD_DAMAGED,
    PullError.THROTTLED: Code.PULL_THROTTLED,
    PullError.INSPECT: Code.IMAGE_INSPECT_FAILED,
    PullError.REGISTRY_ERROR: Code.REGISTRY_SERVER_ERROR,
    PullError.NO_PLATFORM: Code.NO_MATCHING_PLATFORM,
    PullError.UNKNOWN: Code.PULL_FAILED_UNRECOGNIZED,
}
# Verdicts that put the failure on the Pod's credentials.
BLAMING = frozenset(
    {
        Code.CREDENTIALS_REJECTED,
        Code.NO_CREDENTIALS_FOR_REGISTRY,
        Code.NO_PULL_SECRETS,
        Code.SECRET_MALFORMED,
        Code.CREDENTIALS_EXPIRED,
        Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED,
    }
)
CREDENTIAL_CAUSES = (PullError.AUTH, PullError.CREDENTIAL_LOOKUP)


@dataclass(frozen=True)
class Written:
    """One way the kubelet puts a text on a Pod."""

    how: str
    reason: str
    message: str
    event: str = ""


def written(message: PullMessage) -> list[Written]:
    if message.where == RUNTIME:
        return [
            Written("waiting ErrImagePull", "ErrImagePull", message.text),
            Written(
                "event beside a bare back-off (<= 1.31)",
                "ImagePullBackOff",
                f'Back-off pulling image "{IMAGE}"',
                f'Failed to pull image "{IMAGE}": {message.text}',
            ),
            Written(
                "1.32+ back-off message",
                "ImagePullBackOff",
                f'Back-off pulling image "{IMAGE}": ErrImagePull: {message.text}',
            ),
        ]
    if message.where == EVENT:
        return [
            Written("event", "ImagePullBackOff", f'Back-off pulling image "{IMAGE}"', message.text)
        ]
    return [Written("waiting", message.reason, message.text)]


def context(way: Written, secrets: bool) -> PodContext:
    pod = PodFacts(
        namespace="corpus",
        name="app",
        phase="Pending",
        pull_secret_names=("regcred",) if secrets else (),
        containers=(ContainerSpec("app", IMAGE),),
        statuses=(ContainerStatus("app", waiting_reason=way.reason, waiting_message=way.message),),
    )
    config = {"auths": {"registry.example.com": {"username": "robot", "password": "s3cr3t-pw"}}}
    fetch = SecretFetch(
        "regcred",
        SecretStatus.FOUND,
        decode_secret(
            "kubernetes.io/dockerconfigjson", {".dockerconfigjson": json.dumps(config).encode()}
        ),
        written="2026-04-01T00:00:00Z",  # long before the failure: the kubelet offered it
    )
    events = ()
    if way.event:
        stamp = FAILED_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
        events = (PodEvent("Failed", way.event, "Warning", "spec.containers{app}", 2, stamp),)
    return PodContext(pod, {"regcred": fetch} if secrets else {}, events=events, now=NOW)


CASES = [(m, way) for m in MESSAGES for way in written(m)]


def _id(case: tuple[PullMessage, Written]) -> str:
    message, way = case
    return f"{message.expected.value}:{way.how}:{message.source[:50]}"


def test_the_corpus_holds_at_least_90_real_texts_with_their_sources() -> None:
    # Pasted in public issues or recorded on the real node: not built from a format string,
    # not the generic fragments of kubelet-pull-semantics.md section 8.
    real = [m for m in MESSAGES if not m.source.startswith("(code)") and "§8" not in m.source]
    assert len(real) >= 90, len(real)
    assert all(m.source and m.runtime and m.kubelet for m in MESSAGES)
    # Every cause outside the credentials that issue 21 names has real pastes.
    for cause in (
        PullError.NODE_DISK,
        PullError.DAMAGED,
        PullError.THROTTLED,
        PullError.INSPECT,
        PullError.REGISTRY_ERROR,
        PullError.NO_PLATFORM,
    ):
        assert sum(m.expected is cause for m in real) >= 3, cause


@pytest.mark.parametrize(("message", "way"), CASES, ids=[_id(c) for c in CASES])
def test_no_cause_outside_the_credentials_is_blamed_on_them(
    message: PullMessage, way: Written
) -> None:
    """With a pull secret that matches the registry: the class's own verdict, alone."""
    (report,) = diagnose_pod(context(way, secrets=True))
    codes = [p.code for p in report.problems]
    assert codes == [EXPECTED[message.expected]], report.problems
    if message.expected not in CREDENTIAL_CAUSES:
        assert not BLAMING & set(codes), report.problems
    # A failing Pod is never left without a finding.
    assert report.has_findings


# A credential lookup error needs pull secrets to decode.
WITHOUT_SECRETS = [c for c in CASES if c[0].expected is not PullError.CREDENTIAL_LOOKUP]


@pytest.mark.parametrize(("message", "way"), WITHOUT_SECRETS, ids=[_id(c) for c in WITHOUT_SECRETS])
def test_without_pull_secrets_only_a_refusal_is_put_on_the_missing_secrets(
    message: PullMessage, way: Written
) -> None:
    (report,) = diagnose_pod(context(way, secrets=False))
    found = {p.code: p.severity for p in report.problems if p.severity is not Severity.INFO}
    if message.expected is PullError.AUTH and credentials_sent(pull_attempts(message.text)):
        # containerd 1.7+ says so when it sent credentials: none were the Pod's, so the node's.
        assert found == {Code.CREDENTIALS_REJECTED: Severity.ERROR}, report.problems
        assert any("the node offered credentials" in p.message for p in report.problems)
    elif message.expected is PullError.AUTH:
        assert found == {Code.NO_PULL_SECRETS: Severity.ERROR}, report.problems
    elif message.expected is PullError.UNKNOWN:
        # An unknown cause may still be the missing secret: said as a warning beside it.
        assert found == {
            Code.PULL_FAILED_UNRECOGNIZED: Severity.ERROR,
            Code.NO_PULL_SECRETS: Severity.WARNING,
        }, report.problems
    else:
        assert found.keys() == {EXPECTED[message.expected]}, report.problems

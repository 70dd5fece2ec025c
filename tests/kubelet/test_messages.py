"""Reading the kubelet's messages (pkg/kubelet/images, kubelet_pods.go, client-go events_cache)
and the runtimes' errors inside them; the genuine texts live in pull_messages.py."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from kubectl_pullsecret.kubelet.messages import (
    COMBINED_PREFIX,
    PodEvent,
    PullAttempt,
    PullError,
    WaitingForm,
    classify_pull_error,
    container_of,
    event_trail,
    grpc_code_of,
    image_of_event,
    is_pull_failure,
    overall_kind,
    parse_missing_pull_secrets,
    parse_time,
    pull_attempts,
    read_waiting,
    runtime_error_of,
    shows_pull_trouble,
    split_attempts,
)
from kubectl_pullsecret.kubelet.pod import ContainerStatus
from tests.kubelet.pull_messages import EVENT, MESSAGES, RUNTIME, WAITING, PullMessage


def _id(message: PullMessage) -> str:
    return f"{message.expected.value}:{message.source[:60]}"


@pytest.mark.parametrize("message", MESSAGES, ids=[_id(m) for m in MESSAGES])
def test_genuine_messages(message: PullMessage) -> None:
    assert message.source and message.runtime and message.kubelet
    if message.where == RUNTIME:
        assert classify_pull_error(message.text) is message.expected
    elif message.where == EVENT:
        error = runtime_error_of(message.text)
        assert error is not None
        assert classify_pull_error(error) is message.expected
    else:
        assert message.where == WAITING
        waiting = read_waiting(message.reason, message.text)
        assert waiting is not None
        assert waiting.kind is message.expected


def test_the_corpus_covers_every_class() -> None:
    assert {m.expected for m in MESSAGES} == set(PullError)


# -- the cases issue 12 names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("dial tcp: lookup registry.example.com: Try again", PullError.UNREACHABLE),
        ("lookup x on 10.0.0.10:53: Temporary failure in name resolution", PullError.UNREACHABLE),
        ("dial tcp 10.0.0.1:443: connect: connection timed out", PullError.UNREACHABLE),
        ('Get "https://r/v2/x/blobs/sha256:a": context canceled', PullError.TIMEOUT),
        ("rpc error: code = DeadlineExceeded desc = context deadline exceeded", PullError.TIMEOUT),
        ("too many requests to registry", PullError.RATE_LIMITED),
        ('short-name "app" did not resolve to an alias', PullError.SHORT_NAME),
        (
            "pulling from host h failed with status code [manifests v1]: 400 Bad Request",
            PullError.MISCONFIGURED,
        ),
    ],
)
def test_issue_12_texts_are_no_longer_unknown(text: str, kind: PullError) -> None:
    assert classify_pull_error(text) is kind


def test_400_bad_request_is_not_a_credentials_problem() -> None:
    # real-node.md: every pull failed with 400, good credentials included (http to TLS).
    text = "pulling from host 127.0.0.1:5001 failed with status code [manifests d]: 400 Bad Request"
    assert classify_pull_error(text) is PullError.MISCONFIGURED


# -- several credentials: utilerrors aggregates ----------------------------------------------

UNAUTHORIZED = (
    'failed to pull and unpack image "r.example.com/a:v1": failed to resolve reference '
    '"r.example.com/a:v1": pull access denied, repository does not exist or may require '
    "authorization: server message: insufficient_scope: authorization failed"
)
NOT_THERE = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "r.example.com/a:v1": '
    'failed to resolve reference "r.example.com/a:v1": r.example.com/a:v1: not found'
)
REFUSED = (
    'failed to pull and unpack image "[::1]:5000/a:v1": failed to resolve reference '
    '"[::1]:5000/a:v1": failed to do request: Head "https://[::1]:5000/v2/a/manifests/v1": '
    "dial tcp [::1]:5000: connect: connection refused"
)


def test_splits_an_aggregate_at_the_start_of_each_error_only() -> None:
    # Errors contain ", " ("pull access denied, repository ...") and brackets ("[::1]").
    aggregate = f"[{UNAUTHORIZED}, {NOT_THERE}, {REFUSED}]"
    assert split_attempts(aggregate) == (UNAUTHORIZED, NOT_THERE, REFUSED)
    attempts = pull_attempts(aggregate)
    assert [a.kind for a in attempts] == [
        PullError.AUTH,
        PullError.NOT_FOUND,
        PullError.UNREACHABLE,
    ]
    assert [a.grpc_code for a in attempts] == [None, "NotFound", None]


def test_one_rejected_credential_and_one_not_found_is_not_credentials_rejected() -> None:
    assert classify_pull_error(f"[{UNAUTHORIZED}, {NOT_THERE}]") is PullError.NOT_FOUND
    assert classify_pull_error(f"[{UNAUTHORIZED}, {UNAUTHORIZED.replace('a:v1', 'a:v2')}]") is (
        PullError.AUTH
    )


def test_a_single_error_is_not_bracketed_and_stays_whole() -> None:
    # utilerrors: one error (or several identical ones, merged) prints without brackets.
    assert split_attempts(UNAUTHORIZED) == (UNAUTHORIZED,)
    assert split_attempts("[manifests v1]: 401 Unauthorized") == (
        "[manifests v1]: 401 Unauthorized",
    )


def test_a_truncated_aggregate_still_splits() -> None:
    truncated = f"[{UNAUTHORIZED}, {NOT_THERE[:60]}"
    assert split_attempts(truncated) == (UNAUTHORIZED, NOT_THERE[:60].rstrip())


def test_overall_kind_prefers_the_attempt_that_got_furthest() -> None:
    def attempts(*kinds: PullError) -> list[PullAttempt]:
        return [PullAttempt("x", kind) for kind in kinds]

    assert overall_kind(attempts(PullError.AUTH, PullError.UNKNOWN)) is PullError.AUTH
    assert overall_kind(attempts(PullError.AUTH, PullError.UNREACHABLE)) is PullError.UNREACHABLE
    assert overall_kind(attempts(PullError.RATE_LIMITED, PullError.NOT_FOUND)) is (
        PullError.NOT_FOUND
    )
    assert overall_kind([]) is PullError.UNKNOWN


def test_grpc_code() -> None:
    assert grpc_code_of(NOT_THERE) == "NotFound"
    assert grpc_code_of("rpc error: code = Canceled desc = x") == "Canceled"
    assert grpc_code_of(UNAUTHORIZED) is None


# -- where the runtime error sits --------------------------------------------------------


def test_runtime_error_from_events() -> None:
    assert (
        runtime_error_of('Failed to pull image "nginx": rpc error: not found')
        == "rpc error: not found"
    )
    assert runtime_error_of(COMBINED_PREFIX + 'Failed to pull image "a": boom') == "boom"
    assert runtime_error_of('Failed to pull image "a\\"b": boom') == "boom"
    assert (
        runtime_error_of('Back-off pulling image "nginx": ErrImagePull: 401 Unauthorized')
        == "401 Unauthorized"
    )
    assert runtime_error_of('Back-off pulling image "nginx"') is None
    assert runtime_error_of("Error: ImagePullBackOff") is None
    assert runtime_error_of("Error: ErrImagePull") is None
    assert runtime_error_of("Error: illegal base64 data at input byte 4") == (
        "illegal base64 data at input byte 4"
    )
    # kuberuntime_container.go startContainer records `Error: %v` for config failures too.
    assert runtime_error_of('Error: secret "app-env" not found') is None
    assert runtime_error_of("Error: container has runAsNonRoot and image will run as root") is None
    assert runtime_error_of('Pulling image "nginx"') is None


def test_back_off_with_a_cri_error_keeps_the_kubelet_sentence() -> None:
    message = (
        'Back-off pulling image "q.io/x:v1": RegistryUnavailable: image pull failed for '
        "q.io/x:v1 because the registry is unavailable: dial tcp 1.2.3.4:443: connect: "
        "connection refused"
    )
    assert runtime_error_of(message) == (
        "image pull failed for q.io/x:v1 because the registry is unavailable: dial tcp "
        "1.2.3.4:443: connect: connection refused"
    )


def test_image_named_by_an_event() -> None:
    assert image_of_event('Failed to pull image "nginx:1": x') == "nginx:1"
    assert image_of_event(COMBINED_PREFIX + 'Back-off pulling image "a/b"') == "a/b"
    assert image_of_event('Container image "x" is not present with pull policy of Never') == "x"
    assert image_of_event("Pulled") is None


@pytest.mark.parametrize(
    ("reason", "message", "form", "error", "image", "previous"),
    [
        # ErrImagePull: the raw error, all versions (image_manager.go `return err.Error(), ...`).
        (
            "ErrImagePull",
            "401 Unauthorized",
            WaitingForm.PULL_ERROR,
            "401 Unauthorized",
            None,
            None,
        ),
        ("ErrImagePull", "", WaitingForm.PULL_ERROR, None, None, None),
        # <= 1.31: bare back-off; 1.32+: with the previous error (PR #127918).
        (
            "ImagePullBackOff",
            'Back-off pulling image "a:1"',
            WaitingForm.BACK_OFF,
            None,
            "a:1",
            None,
        ),
        (
            "ImagePullBackOff",
            'Back-off pulling image "a:1": ErrImagePull: not found',
            WaitingForm.BACK_OFF,
            "not found",
            "a:1",
            "ErrImagePull",
        ),
        ("ImagePullBackOff", "", WaitingForm.BACK_OFF, None, None, None),
        (
            "RegistryUnavailable",
            "image pull failed for a:1 because the registry is unavailable: refused",
            WaitingForm.REGISTRY_UNAVAILABLE,
            "image pull failed for a:1 because the registry is unavailable: refused",
            "a:1",
            None,
        ),
        # The pre-1.28 kubelet's own sentence (image_manager.go before PR #117612), ends in ".".
        (
            "RegistryUnavailable",
            "image pull failed for a:1 because the registry is unavailable.",
            WaitingForm.REGISTRY_UNAVAILABLE,
            "image pull failed for a:1 because the registry is unavailable.",
            "a:1",
            None,
        ),
        (
            "ErrImageNeverPull",
            'Container image "a:1" is not present with pull policy of Never',
            WaitingForm.NEVER_PULL,
            None,
            "a:1",
            None,
        ),
        (
            "InvalidImageName",
            'Failed to apply default image tag "A:1": couldn\'t parse image reference',
            WaitingForm.INVALID_NAME,
            "couldn't parse image reference",
            "A:1",
            None,
        ),
        (
            "ImageInspectError",
            'Failed to inspect image "a:1": rpc error: code = Unavailable desc = x',
            WaitingForm.INSPECT_FAILED,
            "rpc error: code = Unavailable desc = x",
            "a:1",
            None,
        ),
        # 1.33+: the credential lookup error is the reason (and the message).
        (
            "illegal base64 data at input byte 4",
            "illegal base64 data at input byte 4",
            WaitingForm.CREDENTIAL_LOOKUP,
            "illegal base64 data at input byte 4",
            None,
            None,
        ),
    ],
)
def test_read_waiting(
    reason: str,
    message: str,
    form: WaitingForm,
    error: str | None,
    image: str | None,
    previous: str | None,
) -> None:
    waiting = read_waiting(reason, message)
    assert waiting is not None
    assert (waiting.form, waiting.error, waiting.image, waiting.previous) == (
        form,
        error,
        image,
        previous,
    )


@pytest.mark.parametrize(
    "reason", ["", "ContainerCreating", "CrashLoopBackOff", "CreateContainerConfigError"]
)
def test_other_waiting_states_are_no_pull_failure(reason: str) -> None:
    assert read_waiting(reason, "whatever") is None
    assert not is_pull_failure(reason)


def test_the_cri_error_types_win_over_keywords() -> None:
    # A RegistryUnavailable detail may not say "connection refused" in a future runtime.
    assert (
        read_waiting(
            "RegistryUnavailable", "image pull failed for a because the registry is unavailable: x"
        ).kind
        is PullError.UNREACHABLE
    )  # type: ignore[union-attr]
    back_off = read_waiting(
        "ImagePullBackOff",
        'Back-off pulling image "a": SignatureValidationFailed: image pull failed for a because '
        "the signature validation failed: policy",
    )
    assert back_off is not None and back_off.kind is PullError.SIGNATURE


def test_1_33_credential_errors_are_found_among_statuses() -> None:
    # Issue 12 item 3: `diagnose -A` selects Pods by shows_pull_trouble.
    waiting = ContainerStatus("app", waiting_reason="illegal base64 data at input byte 4")
    assert shows_pull_trouble([waiting], [])
    assert shows_pull_trouble([ContainerStatus("app", waiting_reason="ErrImagePull")], [])
    assert not shows_pull_trouble([ContainerStatus("app", waiting_reason="ContainerCreating")], [])


def test_missing_pull_secret_names() -> None:
    message = "Unable to retrieve some image pull secrets (regcred, other); attempting to pull the image may not succeed."
    assert parse_missing_pull_secrets(message) == ["regcred", "other"]
    # modern-kubelet.md K1: user paste on a running pod.
    paste = (
        "Unable to retrieve some image pull secrets (aether.registry); attempting to pull the "
        "image may not succeed."
    )
    assert parse_missing_pull_secrets(paste) == ["aether.registry"]
    assert parse_missing_pull_secrets("garbage") == []


def test_container_of_field_paths() -> None:
    assert container_of("spec.initContainers{setup}").kind == "initContainers"  # type: ignore[union-attr]
    assert container_of("spec.containers{app}").name == "app"  # type: ignore[union-attr]
    assert container_of("") is None and container_of("spec.containers") is None


# -- events thinned by the spam filter and expired by the TTL ------------------------------

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(reason: str, message: str, count: int = 1, minutes_ago: float = 0) -> PodEvent:
    return PodEvent(reason, message, "Warning", "spec.containers{app}", count, at(minutes_ago))


FAILED = 'Failed to pull image "a:1": 401 Unauthorized'


def test_a_fresh_failure_is_neither_throttled_nor_stale() -> None:
    trail = event_trail([event("Failed", FAILED, 3, 1), event("BackOff", "b", 5, 0)], NOW, True)
    # 3 pull errors, 5 back-offs, and the 3 `Pulling` events that diagnose does not read.
    assert (trail.occurrences, trail.throttled, trail.stale, trail.expired) == (
        11,
        False,
        False,
        False,
    )
    assert trail.pull_error_seen and trail.newest_pull_error == at(1)


def test_25_events_exhaust_the_spam_filter() -> None:
    # events_cache.go defaultSpamBurst = 25 per source and object, any reason.
    events = [event("Pulling", "p", 9), event("Failed", FAILED, 8), event("BackOff", "b", 8)]
    assert event_trail(events, NOW, True).throttled is True
    assert event_trail(events[:2], NOW, True).throttled is False
    # As diagnose reads them, without Normal events nor BackOff: each pull error also spent a
    # `Pulling` token, and each `Error: ImagePullBackOff` a `Back-off pulling image` one. The
    # counts of a Pod on the real 1.20 node, right when its events stopped dating its pulls:
    read = [
        event("Failed", FAILED, 4),
        event("Failed", "Error: ErrImagePull", 4),
        event("Failed", "Error: ImagePullBackOff", 7),
    ]
    assert event_trail(read, NOW, True).occurrences == 26  # the node's own count was 25
    assert event_trail(read, NOW, True).throttled is True
    assert event_trail(read[:2], NOW, True).throttled is False
    # Another Pod there: 25 tokens, BackOff 7 but `Error: ImagePullBackOff` 6 (the BackOff of
    # the pair came first and took the last token). The estimate is 24, within its slack.
    read[2] = event("Failed", "Error: ImagePullBackOff", 6)
    assert event_trail(read, NOW, True).occurrences == 24
    assert event_trail(read, NOW, True).throttled is True
    assert event_trail([event("Failed", FAILED, 11)], NOW, True).throttled is False  # 22 + 2


def test_an_old_pull_error_on_a_failing_pod_is_stale() -> None:
    # Back-off caps at 300 s and the filter refills one event per 300 s: beyond 10 minutes
    # the kubelet has retried without the events showing it.
    assert event_trail([event("Failed", FAILED, 30, 11)], NOW, True).stale is True
    assert event_trail([event("Failed", FAILED, 30, 9)], NOW, True).stale is False
    assert event_trail([event("Failed", FAILED, 30, 11)], NOW, False).stale is False


def test_no_pull_error_left_means_the_status_is_the_only_evidence() -> None:
    # --event-ttl defaults to 1 h: after that a failing Pod has only its waiting message.
    trail = event_trail([event("BackOff", 'Back-off pulling image "a:1"', 40)], NOW, True)
    assert trail.expired and not trail.pull_error_seen and trail.throttled
    assert event_trail([], NOW, False).expired is False


def test_combined_events_are_noticed() -> None:
    trail = event_trail([event("Failed", COMBINED_PREFIX + FAILED, 1, 2)], NOW, True)
    assert trail.combined and trail.pull_error_seen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T12:00:00Z", NOW),
        ("2026-05-01T12:00:00.123456Z", NOW + timedelta(microseconds=123456)),
        ("2026-05-01T14:00:00+02:00", NOW),
        ("2026-05-01T12:00:00.5Z", NOW + timedelta(microseconds=500000)),
        ("yesterday", None),
        ("2026-13-01T12:00:00Z", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "hostile",
    [
        "lookup " * 3000,
        "manifests " * 2000,
        "x manifests: 400 Bad Request" * 800,
        "[failed to copy, " * 1200,
        'Failed to pull image "' + "\\\\" * 10000,
        "image pull failed for " * 1000 + " because the x",
        "failed with status code [" * 1000,
        "status code 5" * 2000,
        "does not match the provided " * 800,
    ],
    ids=[
        "lookup",
        "manifests",
        "400",
        "aggregate",
        "quotes",
        "cri-sentence",
        "status-bracket",
        "5xx",
        "digest",
    ],
)
def test_readers_stay_linear_on_hostile_text(hostile: str) -> None:
    # Event and status text is written by others: a quadratic regex would hang `diagnose -A`.
    # About 20 000 characters each; quadratic versions of these patterns took over a second.
    started = time.perf_counter()
    classify_pull_error(hostile)
    runtime_error_of(hostile)
    read_waiting("ImagePullBackOff", hostile)
    read_waiting(hostile, hostile)
    assert time.perf_counter() - started < 0.5

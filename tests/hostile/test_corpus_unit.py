"""The hostile corpus through the pure functions: decoding, `check`, `show` and the diagnosis,
plus rendering every result in every format. No cluster, no subprocess."""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from kubectl_pullsecret import render
from kubectl_pullsecret import secrecy as redact
from kubectl_pullsecret.cluster.manifests import decode_credentials_file as decode_config_file
from kubectl_pullsecret.cluster.objects import (
    event_target,
    pod_event,
    pod_facts,
    secret_fetch,
    sensitive_values,
)
from kubectl_pullsecret.kubelet.docker_config import (
    DecodedSecret,
    RegistryEntry,
    decode_secret,
)
from kubectl_pullsecret.kubelet.image_ref import InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus
from kubectl_pullsecret.secrecy import scrub
from kubectl_pullsecret.verdicts.catalogue import Code, Problem
from kubectl_pullsecret.verdicts.facts import PodContext
from kubectl_pullsecret.verdicts.image import check_image
from kubectl_pullsecret.verdicts.pod import diagnose_pod
from kubectl_pullsecret.verdicts.secret import REDACTED, view_secret

from .corpus import (
    IMAGE,
    IMAGES,
    ODD_EVENTS,
    ONE_MIB,
    PODS,
    RUNTIME_401,
    SECRETS,
    SECRETS_BY_NAME,
    ImageCase,
    PodCase,
    SecretCase,
    Verdict,
    b64,
)
from .support import assert_terminal_safe

BOMB_SECONDS = 5.0
BOMB_MEMORY = 1 << 30

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({mem}, {mem}))
from kubectl_pullsecret.cluster.manifests import decode_credentials_file
d = decode_credentials_file(sys.stdin.buffer.read())
json.dump({{"used": d.used, "error": d.error, "ignored": d.ignored_reason,
           "type": d.type, "data_key": d.data_key,
           "entries": [[e.key, e.username, e.password, e.email, e.auth] for e in d.entries]}},
          sys.stdout)
"""


@functools.cache
def _decode_in_child(raw: bytes) -> dict[str, Any] | str:
    """The decoded document, or why the child failed (cached: a bomb costs its time once)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD.format(mem=BOMB_MEMORY)],
            input=raw,
            capture_output=True,
            timeout=BOMB_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"decode_config_file did not finish within {BOMB_SECONDS:.0f} s"
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"decode_config_file failed in a child limited to {BOMB_MEMORY >> 20} MiB: {tail}"
    return dict(json.loads(done.stdout))


def decode_bounded(raw: bytes) -> DecodedSecret:
    """decode_config_file in a child process limited to BOMB_SECONDS and BOMB_MEMORY."""
    doc = _decode_in_child(raw)
    if isinstance(doc, str):
        pytest.fail(doc)
    entries = tuple(RegistryEntry(*e) for e in doc["entries"])
    return DecodedSecret(
        doc["type"], doc["data_key"], doc["used"], entries, doc["ignored"], doc["error"]
    )


_DECODED: dict[str, DecodedSecret] = {}


def decode_case(case: SecretCase) -> DecodedSecret:
    """The case as the plugin decodes it: a file or manifest, or a Secret's type and data.
    (Cached per case: results are frozen, and the 1 MiB case takes a while.)"""
    if case.name not in _DECODED:
        _DECODED[case.name] = _decode_case(case)
    return _DECODED[case.name]


def _decode_case(case: SecretCase) -> DecodedSecret:
    if case.bomb:
        return decode_bounded(case.file_bytes())
    if case.needs_manifest():
        return decode_config_file(case.file_bytes())
    return decode_secret(case.type, case.data)


def api_view(case: SecretCase) -> dict[str, object]:
    """The Secret as the API would return it (the apiserver folds stringData into data)."""
    obj = case.api_object("corpus")
    data = dict(obj.get("data") or {})
    data.update({k: b64(v) for k, v in case.string_data.items()})
    return {**obj, "data": data}


def pod_for(case: SecretCase) -> PodContext:
    """A Pod that lists only this secret and whose pull failed with a 401."""
    pod = {
        "metadata": {"name": f"pod-{case.name}", "namespace": "corpus", "uid": "u1"},
        "spec": {
            "containers": [{"name": "app", "image": case.image}],
            "imagePullSecrets": [{"name": case.name}],
        },
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "app",
                    "state": {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{case.image}": ErrImagePull: {RUNTIME_401}',
                        }
                    },
                }
            ],
        },
    }
    fetch = SecretFetch(case.name, SecretStatus.FOUND, decode_case(case))
    return PodContext(pod=pod_facts(pod), secrets={case.name: fetch})


def all_text(problems: Iterable[Problem]) -> str:
    return "\n".join(f"{p.code.value}: {p.message}" for p in problems)


def passwords(case: SecretCase) -> list[str]:
    return [e.password for e in case.entries or () if len(e.password) >= 4]


# --- secrets ----------------------------------------------------------------------------------


def _cases(*, skip_big: bool = False) -> list[SecretCase]:
    """The big case is decoded and checked here, but rendered only end to end (slow tables);
    bombs only through decode_case's bounded child."""
    return [c for c in SECRETS if not (skip_big and (c.name == "one-mib" or c.bomb))]


@pytest.mark.parametrize("case", SECRETS, ids=lambda c: c.name)
def test_decoding_gives_the_precise_verdict(case: SecretCase) -> None:
    decoded = decode_case(case)
    if case.verdict is Verdict.MALFORMED:
        assert decoded.used and decoded.error is not None, decoded
        assert case.expect in decoded.error
        assert not decoded.entries
    elif case.verdict is Verdict.IGNORED:
        assert not decoded.used and decoded.error is None, decoded
        assert decoded.ignored_reason is not None and case.expect in decoded.ignored_reason
    else:
        assert decoded.used and decoded.error is None, decoded
        got = tuple((e.key, e.username, e.password) for e in decoded.entries)
        if case.verdict is Verdict.EMPTY:
            assert got == ()
        elif case.entries is not None:
            assert got == tuple((e.key, e.username, e.password) for e in case.entries)
        else:
            assert len(got) == case.n_entries
    # Error texts carry positions and key names, never secret material.
    for secret in passwords(case):
        assert secret not in (decoded.error or "") + (decoded.ignored_reason or "")


@pytest.mark.parametrize("case", [c for c in SECRETS if not c.is_file], ids=lambda c: c.name)
def test_the_api_object_decodes_like_the_manifest(case: SecretCase) -> None:
    """objects.secret_fetch (what `show`/`diagnose` use) agrees with the local-file path."""
    fetch = secret_fetch(case.name, api_view(case))
    assert fetch.status is SecretStatus.FOUND and fetch.decoded is not None
    from_file = decode_config_file(case.file_bytes())
    assert fetch.decoded.error == from_file.error
    assert fetch.decoded.used == from_file.used
    assert [(e.key, e.username, e.password) for e in fetch.decoded.entries] == [
        (e.key, e.username, e.password) for e in from_file.entries
    ]


@pytest.mark.parametrize("case", SECRETS, ids=lambda c: c.name)
def test_check_explains_the_case(case: SecretCase) -> None:
    fetch = SecretFetch(case.name, SecretStatus.FOUND, decode_case(case))
    report = check_image(case.image, [(f"secret/{case.name}", fetch)])
    text = all_text(report.problems)
    keys = tuple(m.key for m in report.matches)
    if case.verdict is Verdict.MALFORMED:
        assert Code.SECRET_MALFORMED.value in text and case.expect in text, text
        assert keys == ()
    elif case.verdict is Verdict.IGNORED:
        assert Code.SECRET_WRONG_TYPE.value in text and case.expect in text, text
        assert keys == ()
    else:
        assert keys == case.matches, text
        if not case.matches:
            assert Code.NO_CREDENTIALS_FOR_REGISTRY.value in text, text
        if case.near_miss:
            assert case.near_miss in text, text
        if case.key_problem == "AuthFieldMismatch":
            assert Code.AUTH_FIELD_MISMATCH.value in text
    document = render.serialize(render.check_document(report), "json")
    table = render.check_table(report)
    assert_terminal_safe(table)
    for secret in passwords(case):
        assert secret not in document and secret not in table


@pytest.mark.parametrize("case", _cases(skip_big=True), ids=lambda c: c.name)
def test_show_explains_the_case(case: SecretCase) -> None:
    view = view_secret("corpus", case.name, decode_case(case), ())
    text = all_text(view.problems)
    if case.verdict is Verdict.MALFORMED:
        assert Code.SECRET_MALFORMED.value in text and case.expect in text, text
    elif case.verdict is Verdict.IGNORED:
        assert Code.SECRET_WRONG_TYPE.value in text and case.expect in text, text
    elif case.verdict is Verdict.EMPTY:
        assert "holds no registry entries" in text, text
    else:
        assert [(e.key, e.username) for e in view.entries] == [
            (e.key, e.username) for e in case.entries or ()
        ]
        assert all(e.password == REDACTED for e in view.entries)
        assert [e.password_length for e in view.entries] == [
            len(e.password) for e in case.entries or ()
        ]
        if case.key_problem:
            assert case.key_problem in text, text
    table = render.show_table(view)
    assert_terminal_safe(table)
    for fmt in ("json", "yaml"):
        out = render.serialize(render.show_document(view), fmt)
        for secret in passwords(case):
            assert secret not in out
    for secret in passwords(case):
        assert secret not in table
    revealed = view_secret("corpus", case.name, decode_case(case), (), reveal=True)
    assert [e.password for e in revealed.entries] == [e.password for e in case.entries or ()]


@pytest.mark.parametrize("case", _cases(skip_big=True), ids=lambda c: c.name)
def test_diagnosis_explains_the_case(case: SecretCase) -> None:
    (report,) = diagnose_pod(pod_for(case))
    text = all_text(report.problems)
    keys = tuple(c.key for c in report.credentials)
    if case.verdict is Verdict.MALFORMED:
        assert Code.SECRET_MALFORMED.value in text and case.expect in text, text
        assert keys == ()
    elif case.verdict is Verdict.IGNORED:
        assert Code.SECRET_WRONG_TYPE.value in text and case.expect in text, text
    elif case.verdict is Verdict.EMPTY:
        assert Code.NO_CREDENTIALS_FOR_REGISTRY.value in text, text
    else:
        assert keys == case.matches, text
        code = Code.CREDENTIALS_REJECTED if case.matches else Code.NO_CREDENTIALS_FOR_REGISTRY
        assert code.value in text, text
        for needle in (case.key_problem, case.near_miss):
            assert needle in text, text
    table = render.diagnose_table([report], wide=True, no_headers=False)
    assert_terminal_safe(table)
    document = render.serialize(render.diagnose_document([report]), "yaml")
    for secret in passwords(case):
        assert secret not in table and secret not in document


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", IMAGES, ids=lambda c: c.name)
def test_image_references(case: ImageCase) -> None:
    if case.repository is None:
        with pytest.raises(InvalidImageName) as info:
            parse_image(case.image)
        assert case.error in str(info.value)
        report = check_image(case.image, [])
        assert [p.code for p in report.problems] == [Code.INVALID_IMAGE_NAME]
    else:
        ref = parse_image(case.image)
        assert ref.repository == case.repository
        if case.reference is not None:
            assert ref.reference == case.reference
        # The repository is itself a valid reference that normalizes to itself.
        assert parse_image(ref.repository).repository == ref.repository
    pod = {
        "metadata": {"name": "p", "namespace": "corpus"},
        "spec": {"containers": [{"name": "c", "image": case.image}]},
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {
                        "waiting": {
                            "reason": "InvalidImageName"
                            if case.repository is None
                            else "ErrImagePull"
                        }
                    },
                }
            ],
        },
    }
    (report,) = diagnose_pod(PodContext(pod=pod_facts(pod), secrets={}))
    assert report.repository == case.repository
    if case.repository is None:
        assert Code.INVALID_IMAGE_NAME in [p.code for p in report.problems]
    for text in (
        render.diagnose_table([report], wide=True, no_headers=False),
        render.check_table(check_image(case.image, [])),
    ):
        assert_terminal_safe(text)


# --- pods and events --------------------------------------------------------------------------


@pytest.mark.parametrize("case", PODS, ids=lambda c: c.name)
def test_odd_pods(case: PodCase) -> None:
    facts = pod_facts(case.pod)
    secrets = {n: SecretFetch(n, SecretStatus.MISSING) for n in facts.pull_secret_names if n}
    reports = diagnose_pod(PodContext(pod=facts, secrets=secrets))
    got = [(r.kind, r.container, r.state) for r in reports]
    assert got == [(k, n, s) for k, n, s, _ in case.reports]
    for report, (_, _, _, code) in zip(reports, case.reports, strict=True):
        assert report.secrets == case.pull_secrets
        if code:
            assert code in [p.code.value for p in report.problems], all_text(report.problems)
    for fmt in ("json", "yaml"):
        render.serialize(render.diagnose_document(reports), fmt)
    assert_terminal_safe(render.diagnose_table(reports, wide=True, no_headers=False))


def test_empty_pull_secret_names_are_skipped_like_the_kubelet() -> None:
    case = next(c for c in PODS if c.name == "empty-pull-secret-names")
    (report,) = diagnose_pod(
        PodContext(
            pod=pod_facts(case.pod),
            secrets={"regcred": SecretFetch("regcred", SecretStatus.MISSING)},
        )
    )
    assert report.secrets == ("regcred",)
    assert any("empty name" in p.message for p in report.problems)


@pytest.mark.parametrize(("name", "event"), ODD_EVENTS, ids=[n for n, _ in ODD_EVENTS])
def test_odd_events_never_break_the_diagnosis(name: str, event: dict[str, object]) -> None:
    parsed = pod_event(event)
    assert isinstance(parsed.count, int)
    event_target(event)
    pod = {
        "metadata": {"name": "p", "namespace": "corpus", "uid": "u"},
        "spec": {"containers": [{"name": "app", "image": IMAGE}]},
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
            ],
        },
    }
    (report,) = diagnose_pod(PodContext(pod=pod_facts(pod), secrets={}, events=(parsed,)))
    table = render.diagnose_table([report], wide=False, no_headers=False)
    document = render.serialize(render.diagnose_document([report]), "json")
    assert_terminal_safe(table)
    for out in (table, json.loads(document)["items"][0]["problems"].__repr__()):
        assert "hunter2-corpus" not in out
        assert "cm9ib3Q6c2VjcmV0LXB3" not in out


def test_a_hostile_event_message_is_classified_and_scrubbed() -> None:
    message = dict(ODD_EVENTS)["hostile-message"]["message"]
    assert isinstance(message, str)
    clean = scrub(message)
    assert "\x1b" not in clean and "\x07" not in clean and "\x00" not in clean and "\r" not in clean
    assert "hunter2-corpus" not in clean and "cm9ib3Q6c2VjcmV0LXB3" not in clean
    pod = {
        "metadata": {"name": "p", "namespace": "corpus", "uid": "u"},
        "spec": {
            "containers": [{"name": "app", "image": IMAGE}],
            "imagePullSecrets": [{"name": "s"}],
        },
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
            ],
        },
    }
    good = SecretCase(
        "s",
        Verdict.OK,
        data={
            ".dockerconfigjson": b'{"auths": {"registry.example.com": {"auth": "cm9ib3Q6cHc="}}}'
        },
    )
    ctx = PodContext(
        pod=pod_facts(pod),
        secrets={"s": SecretFetch("s", SecretStatus.FOUND, decode_case(good))},
        events=(pod_event(dict(ODD_EVENTS)["hostile-message"]),),
    )
    (report,) = diagnose_pod(ctx)
    assert Code.CREDENTIALS_REJECTED in [p.code for p in report.problems]
    text = all_text(report.problems)
    assert "hunter2-corpus" not in text and "\x1b" not in text


# --- the 1 MiB secret: the output filter must not become quadratic -----------------------------


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python work in the main thread after `seconds`."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_redaction_of_output_for_a_one_mib_secret_is_not_quadratic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every value of a 1 MiB secret (32k of them) is remembered for the output filter; filtering
    300 kB of output must stay well under the time a user waits (linear work is milliseconds)."""
    monkeypatch.setattr(redact, "_values", set())
    secret = SECRETS_BY_NAME["one-mib"].api_object("corpus")
    redact.remember(sensitive_values(secret))
    text = ONE_MIB.decode()[:300_000]
    timed_out = False
    try:
        with time_limit(3.0):
            out = redact.redact(text)
    except TimeoutError:
        timed_out = True
    if timed_out:  # outside the handler: no traceback through the interrupted C frame
        pytest.fail(
            f"redact() needed more than 3 s for {len(text)} characters and "
            f"{len(redact._values)} remembered values: it is O(values x text)",
            pytrace=False,
        )
    first_auth = json.loads(ONE_MIB)["auths"]["reg0.example.org"]["auth"]
    assert first_auth in text and first_auth not in out

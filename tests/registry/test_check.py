"""--verify end to end: real registries (CNCF distribution), a real token server, real images.

No HTTP mocks: every case talks HTTP(S) to a server on 127.0.0.1. Where a case needs a server
misbehaving in a way distribution never does (rate limits, silence, redirects), a small real
server from tests/support/registries.py plays it.
"""

from __future__ import annotations

import base64
import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from kubectl_pullsecret.kubelet.image_ref import parse_image
from kubectl_pullsecret.kubelet.keyring import Credential
from kubectl_pullsecret.registry.check import (
    PullVerdict,
    VerifyConfigError,
    VerifyOptions,
    verify_pull,
    verify_pulls,
)
from kubectl_pullsecret.verdicts.catalogue import Code, Severity
from tests.support.registries import (
    Blackhole,
    Dripper,
    Pki,
    Redirector,
    Registry,
    Responder,
    TokenServer,
    _Server,
    closed_port,
    send,
)
from tests.support.registry_fixtures import Registries
from tests.support.registry_users import (
    ALICE,
    BOB,
    PRIVATE,
    PUBLIC,
    PUSHER,
    TAG,
    WRONG,
    cred,
)

pytestmark = pytest.mark.e2e

StartRegistry = Callable[..., Registry]


def options(pki: Pki, **kwargs: object) -> VerifyOptions:
    return VerifyOptions(ca_file=str(pki.ca_cert), connect_timeout=5.0, **kwargs)  # type: ignore[arg-type]


def image(registry: Registry | str, repo: str = PRIVATE, tag: str = TAG) -> object:
    host = registry if isinstance(registry, str) else registry.hostport
    return parse_image(f"{host}/{repo}:{tag}")


def codes(verdict: PullVerdict) -> list[Code]:
    return [a.problem.code for a in verdict.attempts]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every address verify connects to (and every name it resolves), recorded."""
    seen: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        seen.append(address)
        return real_connect(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        seen.append(("dns", host))
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield seen


# ---------------------------------------------------------------------------------------------
# Credentials: valid, rejected, without rights; both auth schemes


@pytest.mark.parametrize("which", ["token_tls", "basic_tls"])
def test_correct_credentials_can_pull(registries: Registries, pki: Pki, which: str) -> None:
    registry = getattr(registries, which)
    user, password = ALICE
    verdict = verify_pull(image(registry), [cred(user, password)], options(pki))
    assert verdict.ok and verdict.winner == 0
    assert codes(verdict) == [Code.CREDENTIALS_VALID]
    problem = verdict.problems[0]
    assert problem.severity is Severity.INFO
    assert "user 'alice' from secret/regcred" in problem.message
    assert f"can pull {PRIVATE}:{TAG}" in problem.message
    assert verdict.winning_credential is not None
    assert verdict.winning_credential.username == user


@pytest.mark.parametrize("which", ["token_tls", "basic_tls", "basic_http"])
def test_wrong_password_is_rejected(registries: Registries, pki: Pki, which: str) -> None:
    registry = getattr(registries, which)
    opts = options(pki, insecure_registries=frozenset({registries.basic_http.hostport}))
    verdict = verify_pull(image(registry), [cred(ALICE[0], WRONG)], opts)
    assert not verdict.ok and verdict.winner is None
    assert codes(verdict) == [Code.CREDENTIALS_REJECTED]
    assert verdict.problems[0].severity is Severity.ERROR
    assert "rejected the credential (HTTP 401" in verdict.problems[0].message
    if which == "token_tls":
        assert "token server" in verdict.problems[0].message


def test_user_without_pull_right_is_denied(registries: Registries, pki: Pki) -> None:
    verdict = verify_pull(image(registries.token_tls), [cred(*BOB)], options(pki))
    assert codes(verdict) == [Code.ACCESS_DENIED]
    message = verdict.problems[0].message
    assert "valid but may not pull team/app" in message
    assert "insufficient_scope" in message


def test_missing_tag_is_image_not_found_with_a_working_credential(
    registries: Registries, pki: Pki
) -> None:
    verdict = verify_pull(image(registries.token_tls, tag="nope"), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.IMAGE_NOT_FOUND]
    message = verdict.problems[0].message
    assert "the credential works" in message and "MANIFEST_UNKNOWN" in message
    assert verdict.winner is None


def test_missing_repository_is_image_not_found(registries: Registries, pki: Pki) -> None:
    # distribution 2.8 answers MANIFEST_UNKNOWN here too (NAME_UNKNOWN is for tag lists).
    ref = image(registries.basic_tls, repo="team/nope")
    verdict = verify_pull(ref, [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.IMAGE_NOT_FOUND]
    assert "team/nope:v1 does not exist" in verdict.problems[0].message


def test_digest_reference(registries: Registries, pki: Pki) -> None:
    missing = "sha256:" + "0" * 64
    ref = parse_image(f"{registries.token_tls.hostport}/{PRIVATE}@{missing}")
    verdict = verify_pull(ref, [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.IMAGE_NOT_FOUND]
    assert f"{PRIVATE}@{missing}" in verdict.problems[0].message


# ---------------------------------------------------------------------------------------------
# The kubelet's order


def test_second_credential_wins_and_first_is_reported_rejected(
    registries: Registries, pki: Pki
) -> None:
    first = cred(ALICE[0], WRONG, source="secret/old", key="registry-old")
    second = cred(*ALICE, source="secret/new", key="registry-new")
    verdict = verify_pull(image(registries.token_tls), [first, second], options(pki))
    assert verdict.winner == 1
    assert codes(verdict) == [Code.CREDENTIALS_REJECTED, Code.CREDENTIALS_VALID]
    assert verdict.attempts[0].credential == first
    # The pull works, so the broken first credential is a warning, not an error.
    assert [p.severity for p in verdict.problems] == [Severity.WARNING, Severity.INFO]
    assert "secret/old" in verdict.problems[0].message
    assert "tries the next credential" in verdict.problems[0].message
    assert "secret/new" in verdict.problems[1].message


def test_credentials_after_the_winner_are_never_tried(
    registries: Registries, pki: Pki, token_server: TokenServer
) -> None:
    mark = len(token_server.requests)
    never = cred(BOB[0], "Never-sent-pw-0b1d")
    verdict = verify_pull(image(registries.token_tls), [cred(*ALICE), never], options(pki))
    assert verdict.winner == 0 and len(verdict.attempts) == 1
    sent = [r.authorization for r in token_server.requests[mark:]]
    assert base64.b64encode(b"bob:Never-sent-pw-0b1d").decode() not in str(sent)


def test_no_anonymous_retry_after_a_failure(
    registries: Registries, pki: Pki, token_server: TokenServer
) -> None:
    """A private repository, a wrong credential: the verdict is the rejection alone."""
    mark = len(token_server.requests)
    verdict = verify_pull(image(registries.token_tls), [cred(ALICE[0], WRONG)], options(pki))
    assert codes(verdict) == [Code.CREDENTIALS_REJECTED]
    assert verdict.winner is None
    # The explanatory probe ran (anonymous is denied here), but changed nothing.
    assert verdict.anonymous_probe is not None
    assert verdict.anonymous_probe.code is Code.ACCESS_DENIED
    assert [p.code for p in verdict.problems] == [Code.CREDENTIALS_REJECTED]
    assert any(r.authorization is None for r in token_server.requests[mark:])


# ---------------------------------------------------------------------------------------------
# Anonymous access


def test_anonymous_readable_repository(registries: Registries, pki: Pki) -> None:
    verdict = verify_pull(image(registries.token_tls, repo=PUBLIC), [], options(pki))
    assert verdict.winner == 0
    assert len(verdict.attempts) == 1 and verdict.attempts[0].credential is None
    assert codes(verdict) == [Code.ANONYMOUS_PULL_ALLOWED]
    assert verdict.problems[0].severity is Severity.INFO


def test_anonymous_private_repository_is_denied(registries: Registries, pki: Pki) -> None:
    for registry in (registries.token_tls, registries.basic_tls):
        verdict = verify_pull(image(registry), [], options(pki))
        assert codes(verdict) == [Code.ACCESS_DENIED], registry.hostport
        assert "does not allow anonymous pulls" in verdict.problems[0].message


def test_wrong_credential_breaks_a_public_image(registries: Registries, pki: Pki) -> None:
    rejected = cred(BOB[0], WRONG, source="secret/stale", key="docker.example")
    verdict = verify_pull(image(registries.token_tls, repo=PUBLIC), [rejected], options(pki))
    assert verdict.winner is None  # the kubelet never retries anonymously
    assert codes(verdict) == [Code.CREDENTIALS_REJECTED]
    assert verdict.anonymous_probe is not None
    assert verdict.anonymous_probe.code is Code.ANONYMOUS_PULL_ALLOWED
    note = verdict.problems[-1]
    assert note.code is Code.CREDENTIALS_REJECTED and note.severity is Severity.ERROR
    assert "a wrong credential breaks even a public image" in note.message
    assert "docker.example in secret/stale" in note.hint


def test_valid_credential_without_rights_still_reads_a_public_image(
    registries: Registries, pki: Pki
) -> None:
    verdict = verify_pull(image(registries.token_tls, repo=PUBLIC), [cred(*BOB)], options(pki))
    assert verdict.winner == 0 and codes(verdict) == [Code.CREDENTIALS_VALID]


# ---------------------------------------------------------------------------------------------
# Unreachable registries and token servers


def test_server_down(pki: Pki) -> None:
    verdict = verify_pull(image(f"127.0.0.1:{closed_port()}"), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "connection to 127.0.0.1:" in verdict.problems[0].message
    assert "refused" in verdict.problems[0].message


def test_realm_on_a_refused_address(start_registry: StartRegistry, pki: Pki) -> None:
    port = closed_port()
    registry = start_registry(f"https://127.0.0.1:{port}/token")
    verdict = verify_pull(image(registry), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    message = verdict.problems[0].message
    assert f"token server of {registry.hostport} (https://127.0.0.1:{port})" in message
    assert "refused" in message


def test_dns_failure(pki: Pki) -> None:
    verdict = verify_pull(image("registry.invalid"), [], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "DNS lookup of registry.invalid failed" in verdict.problems[0].message


def test_tls_certificate_verify_failed_without_the_ca(registries: Registries) -> None:
    verdict = verify_pull(image(registries.token_tls), [cred(*ALICE)], VerifyOptions())
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "TLS certificate verify failed" in verdict.problems[0].message
    assert "--registry-ca" in verdict.problems[0].hint


def test_insecure_registry_skips_tls_verification(registries: Registries) -> None:
    registry = registries.basic_tls
    opts = VerifyOptions(insecure_registries=frozenset({registry.hostport}))
    verdict = verify_pull(image(registry), [cred(*ALICE)], opts)
    assert codes(verdict) == [Code.CREDENTIALS_VALID]


def test_insecure_applies_only_to_the_listed_host(registries: Registries) -> None:
    """token_tls is listed, its realm host (another port) is not: the realm is still verified."""
    opts = VerifyOptions(insecure_registries=frozenset({registries.token_tls.hostport}))
    verdict = verify_pull(image(registries.token_tls), [cred(*ALICE)], opts)
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "token server" in verdict.problems[0].message
    assert "TLS certificate verify failed" in verdict.problems[0].message


def test_plain_http_registry_needs_insecure_registry(registries: Registries, pki: Pki) -> None:
    registry = registries.basic_http
    refused = verify_pull(image(registry), [cred(*ALICE)], options(pki))
    assert codes(refused) == [Code.REGISTRY_UNREACHABLE]
    assert "TLS handshake" in refused.problems[0].message
    assert f"--insecure-registry {registry.hostport}" in refused.problems[0].hint

    opts = options(pki, insecure_registries=frozenset({registry.hostport}))
    allowed = verify_pull(image(registry), [cred(*ALICE)], opts)
    assert codes(allowed) == [Code.CREDENTIALS_VALID]


def test_plain_http_token_registry_with_https_realm(registries: Registries, pki: Pki) -> None:
    opts = options(pki, insecure_registries=frozenset({registries.token_http.hostport}))
    verdict = verify_pull(image(registries.token_http), [cred(*ALICE)], opts)
    assert codes(verdict) == [Code.CREDENTIALS_VALID]


def test_not_a_v2_registry(pki: Pki) -> None:
    with Responder(404, b"<html>nope</html>", tls=pki) as server:
        verdict = verify_pull(image(server.hostport), [], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "is not a v2 registry: GET /v2/ answered HTTP 404" in verdict.problems[0].message


def test_rate_limited_registry(pki: Pki) -> None:
    body = (
        b'{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit"}]}'
    )
    with Responder(429, body, {"Content-Type": "application/json"}, tls=pki) as server:
        verdict = verify_pull(image(server.hostport), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.RATE_LIMITED]
    assert "toomanyrequests" in verdict.problems[0].message


def test_rate_limited_token_server(start_registry: StartRegistry, pki: Pki) -> None:
    with Responder(429, b"too many", tls=pki) as limiter:
        registry = start_registry(f"{limiter.url}/token")
        verdict = verify_pull(image(registry), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.RATE_LIMITED]


# ---------------------------------------------------------------------------------------------
# Safety rules


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "169.254.10.1:5000", "[fe80::1]:5000", "metadata.google.internal"],
)
def test_link_local_and_metadata_registries_are_never_contacted(
    host: str, connections: list[object]
) -> None:
    verdict = verify_pull(image(host), [cred(*ALICE)], VerifyOptions())
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "never contacts" in verdict.problems[0].message or "metadata service name" in (
        verdict.problems[0].message
    )
    assert connections == []  # no DNS query, no connection


def test_a_name_resolving_to_the_metadata_address_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, connections: list[object]
) -> None:
    # DNS is the one thing faked here: no resolver on this machine answers with 169.254.x.
    real = socket.getaddrinfo

    def rebinding(host: object, *args: object, **kwargs: object) -> object:
        if host == "registry.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    verdict = verify_pull(image("registry.example"), [cred(*ALICE)], VerifyOptions())
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "169.254.169.254 is the cloud metadata service" in verdict.problems[0].message
    assert not any(isinstance(c, tuple) and c and c[0] == "169.254.169.254" for c in connections)


def test_realm_on_the_metadata_address_is_refused(
    start_registry: StartRegistry, pki: Pki, connections: list[object]
) -> None:
    registry = start_registry("https://169.254.169.254/latest/meta-data")
    verdict = verify_pull(image(registry), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "token server" in verdict.problems[0].message
    assert "never contacts" in verdict.problems[0].message
    assert all("169.254" not in str(c) for c in connections)


def test_http_realm_from_an_https_registry_is_refused(
    start_registry: StartRegistry, pki: Pki, http_token_server: TokenServer
) -> None:
    registry = start_registry(http_token_server.realm)
    mark = len(http_token_server.requests)
    verdict = verify_pull(image(registry), [cred(*ALICE)], options(pki))
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "plain http while" in verdict.problems[0].message
    assert http_token_server.requests[mark:] == []  # the credential never left


def test_http_realm_from_an_http_insecure_registry_is_followed(
    start_registry: StartRegistry, pki: Pki, layout: object, http_token_server: TokenServer
) -> None:
    registry = start_registry(http_token_server.realm, tls=False)
    registry.push(layout, TAG, f"{PRIVATE}:{TAG}", PUSHER)  # type: ignore[arg-type]
    opts = options(pki, insecure_registries=frozenset({registry.hostport}))
    verdict = verify_pull(image(registry), [cred(*ALICE)], opts)
    assert codes(verdict) == [Code.CREDENTIALS_VALID]


def test_realm_redirect_to_another_host_drops_the_credential(
    start_registry: StartRegistry, pki: Pki, token_server: TokenServer
) -> None:
    with Redirector(token_server.url, tls=pki) as redirector:
        registry = start_registry(f"{redirector.url}/token")
        mark = len(token_server.requests)
        verdict = verify_pull(image(registry), [cred(*ALICE)], options(pki))
        # The realm host itself got the credential; the host it redirected to did not, so
        # the token is anonymous and cannot pull the private repository.
        assert redirector.requests and all(r.authorization for r in redirector.requests)
    followed = token_server.requests[mark:]
    assert followed and all(r.authorization is None for r in followed)
    assert codes(verdict) == [Code.ACCESS_DENIED]


def test_registry_redirect_to_another_host_drops_basic_auth(pki: Pki) -> None:
    def challenge(handler: object) -> None:
        send(handler, 401, b"", {"WWW-Authenticate": 'Basic realm="elsewhere"'})  # type: ignore[arg-type]

    with _Server(challenge, tls=pki) as elsewhere, Redirector(elsewhere.url, tls=pki) as front:
        verdict = verify_pull(image(front.hostport), [cred(*ALICE)], options(pki))
        # ping, login with Basic, then the anonymous probe that explains the rejection
        assert [r.path for r in front.requests] == [
            "/v2/",
            "/v2/",
            f"/v2/{PRIVATE}/manifests/{TAG}",
        ]
        assert front.requests[1].authorization is not None
        assert elsewhere.requests and all(r.authorization is None for r in elsewhere.requests)
    assert codes(verdict) == [Code.CREDENTIALS_REJECTED]


def test_no_secret_in_problems_reprs_or_logs(
    registries: Registries,
    pki: Pki,
    token_server: TokenServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    opts = options(pki, insecure_registries=frozenset({registries.basic_http.hostport}))
    mark = len(token_server.issued_tokens)
    requests = []
    for registry in (registries.token_tls, registries.basic_tls, registries.basic_http):
        for repo, tag in ((PRIVATE, TAG), (PRIVATE, "nope"), (PUBLIC, TAG)):
            ref = image(registry, repo, tag)
            requests += [
                (ref, [cred(*ALICE)]),
                (ref, [cred(*BOB)]),
                (ref, [cred(ALICE[0], WRONG), cred(*ALICE)]),
                (ref, [cred(BOB[0], WRONG)]),
            ]
    verdicts = verify_pulls(requests, opts)
    tokens = token_server.issued_tokens[mark:]
    assert tokens, "the token server should have issued tokens"

    passwords = [ALICE[1], BOB[1], WRONG]
    basics = [
        base64.b64encode(f"{u}:{p}".encode()).decode()
        for u in (ALICE[0], BOB[0])
        for p in passwords
    ]
    secrets = passwords + basics + tokens + [t.split(".")[2] for t in tokens]
    texts = [repr(v) for v in verdicts]
    texts += [str(v) for v in verdicts]
    for verdict in verdicts:
        for problem in [*verdict.problems, *(a.problem for a in verdict.attempts)]:
            texts += [problem.message, problem.hint, repr(problem)]
        texts += [repr(a) for a in verdict.attempts]
    records = [r for r in caplog.records if r.name.startswith("kubectl_pullsecret")]
    assert records, "verify should log at DEBUG"
    texts += [r.getMessage() for r in records]
    for secret in secrets:
        for text in texts:
            assert secret not in text
    # Hosts, status codes and durations: no paths, no queries, no repository names.
    for record in records:
        message = record.getMessage()
        assert "/v2" not in message and "?" not in message and PRIVATE not in message


# ---------------------------------------------------------------------------------------------
# Time bounds, caching, concurrency


def test_deadline_bounds_the_whole_check() -> None:
    with Blackhole() as silent:
        start = time.monotonic()
        opts = VerifyOptions(connect_timeout=30.0, deadline=start + 1.0, max_workers=2)
        # Six images on a silent server, two at a time: without the deadline, 6 x 30 s / 2.
        requests = [(image(f"127.0.0.1:{silent.port}", f"team/app{i}"), []) for i in range(6)]
        verdicts = verify_pulls(requests, opts)
        elapsed = time.monotonic() - start
    assert elapsed < 2.5, elapsed
    for verdict in verdicts:
        assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
        assert "deadline" in verdict.problems[0].message


def test_each_connection_has_its_own_timeout() -> None:
    with Blackhole() as silent:
        start = time.monotonic()
        verdict = verify_pull(
            image(f"127.0.0.1:{silent.port}"), [], VerifyOptions(connect_timeout=0.5)
        )
        elapsed = time.monotonic() - start
    assert elapsed < 2.0, elapsed
    assert f"127.0.0.1:{silent.port} timed out after 0.5s" in verdict.problems[0].message


def test_a_dripping_server_is_cut_at_the_connection_timeout() -> None:
    with Dripper(interval=0.1) as dripper:
        start = time.monotonic()
        verdict = verify_pull(
            image(f"127.0.0.1:{dripper.port}"),
            [],
            VerifyOptions(
                connect_timeout=1.0, insecure_registries=frozenset({f"127.0.0.1:{dripper.port}"})
            ),
        )
        elapsed = time.monotonic() - start
    # https (a TLS handshake against a plain server) fails fast; http drips until cut.
    assert elapsed < 3.0, elapsed
    assert codes(verdict) == [Code.REGISTRY_UNREACHABLE]
    assert "timed out after 1s" in verdict.problems[0].message


def test_each_distinct_check_runs_once(
    registries: Registries, pki: Pki, token_server: TokenServer
) -> None:
    mark = len(token_server.requests)
    ref = image(registries.token_tls)
    same_secret_other_source = cred(*ALICE, source="secret/copy", key="other")
    requests = [(ref, [cred(*ALICE)])] * 6 + [(ref, [same_secret_other_source])]
    verdicts = verify_pulls(requests, options(pki, max_workers=4))
    assert all(v.winner == 0 for v in verdicts)
    # One token for (registry, alice, team/app, v1), however many pods ask.
    assert len(token_server.requests[mark:]) == 1
    # Each verdict still names its own credential source.
    assert "secret/copy" in verdicts[-1].problems[0].message


def test_many_registries_concurrently(registries: Registries, pki: Pki) -> None:
    opts = options(pki, insecure_registries=frozenset({registries.basic_http.hostport}))
    requests: list[tuple[object, list[Credential]]] = []
    for registry in (registries.token_tls, registries.basic_tls, registries.basic_http):
        requests += [
            (image(registry), [cred(*ALICE)]),
            (image(registry, tag="nope"), [cred(*ALICE)]),
        ]
    verdicts = verify_pulls(requests, opts)  # type: ignore[arg-type]
    assert [codes(v) for v in verdicts] == [
        [Code.CREDENTIALS_VALID],
        [Code.IMAGE_NOT_FOUND],
    ] * 3


def test_unreadable_ca_file_is_a_config_error(tmp_path: object) -> None:
    with pytest.raises(VerifyConfigError, match="cannot use CA file"):
        verify_pulls([], VerifyOptions(ca_file="/nonexistent/ca.pem"))

"""Credential expiry and drift, on plain data and real tokens made here (no cluster)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from kubectl_pullsecret.kubelet.docker_config import DecodedSecret, RegistryEntry, decode_secret
from kubectl_pullsecret.verdicts.catalogue import Code, Severity
from kubectl_pullsecret.verdicts.credential_health import (
    ExpiryPolicy,
    credential_expiry,
    diverged,
    divergence_problem,
    ecr_expiry,
    expiring,
    expiry_problems,
    jwt_expiry,
    problems_by_copy,
    remaining,
)
from kubectl_pullsecret.verdicts.secret import view_secret
from tests.support.tokens import ecr_token, jwt

NOW = time.time()
DAY = 86400.0


def b64(data: object) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_signed_jwt_and_an_ecr_token_are_dated() -> None:
    now = time.time()
    token = jwt(expires_in=3600)
    assert jwt_expiry(token) == pytest.approx(now + 3600, abs=5)
    assert ecr_expiry(ecr_token(12 * 3600)) == pytest.approx(now + 12 * 3600, abs=5)
    assert [e.what for e in credential_expiry("AWS", ecr_token())] == ["ECR authorization token"]
    (gcp,) = credential_expiry("oauth2accesstoken", "ya29.a0AfH6SMBx")
    assert (gcp.expires_at, gcp.lifetime) == (None, "one hour from issue")


@pytest.mark.parametrize(
    "password",
    [
        "not.a.jwt",
        "aGVsbG8=.aGVsbG8=.x",  # base64, but no JSON
        f"{b64({'alg': 'RS256'})}.{b64({'exp': -5})}.sig",  # a negative exp
        f"{b64({'alg': 'RS256'})}.{b64({'exp': 10**20})}.sig",  # a huge exp
        f"{b64({'alg': 'RS256'})}.{b64({'exp': 'tomorrow'})}.sig",
        f"{b64({'alg': 'RS256'})}.{b64({'exp': True})}.sig",
        f"{b64({'typ': 'JWT'})}.{b64({'exp': int(NOW)})}.sig",  # no alg: not a JWT header
        f"{b64([1, 2])}.{b64({'exp': int(NOW)})}.sig",
        "!!!!.%%%%.^^^^",
        base64.b64encode(b'{"expiration": 1700000000}').decode(),  # no payload: not ECR's
        base64.b64encode(b'{"payload": "x", "expiration": -1}').decode(),
        base64.b64encode(b"[]").decode(),
        "x" * 200_000 + ".y.z",
        "",
    ],
)
def test_look_alikes_get_no_expiry_and_no_crash(password: str) -> None:
    assert credential_expiry("robot", password) == []
    assert expiry_problems("s", "r.io", "robot", password, ExpiryPolicy(NOW), "fix") == []


def test_expired_expiring_and_fine() -> None:
    now = time.time()
    policy = ExpiryPolicy(now, window=DAY)
    expired = jwt(expires_in=-60)
    soon = jwt(expires_in=3 * 3600)
    later = jwt(expires_in=5 * DAY)
    (p,) = expiry_problems('Secret "a"', "r.io", "robot", expired, policy, "renew it")
    assert (p.code, p.severity) == (Code.CREDENTIALS_EXPIRED, Severity.ERROR)
    (p,) = expiry_problems('Secret "a"', "r.io", "robot", soon, policy, "renew it")
    assert (p.code, p.severity) == (Code.CREDENTIALS_EXPIRING, Severity.WARNING)
    assert "in 2h 59m" in p.message or "in 3h 0m" in p.message
    assert expiry_problems('Secret "a"', "r.io", "robot", later, policy, "renew it") == []
    # A wider window (--expiry-warning 7d) warns of it too.
    (p,) = expiry_problems(
        'Secret "a"', "r.io", "robot", later, ExpiryPolicy(NOW, 7 * DAY), "renew"
    )
    assert p.code is Code.CREDENTIALS_EXPIRING
    # The token itself never appears: its date does.
    for token in (expired, soon):
        for problem in expiry_problems("s", "r.io", "robot", token, policy, "fix"):
            assert token not in problem.message + problem.hint
            assert token.split(".")[1] not in problem.message + problem.hint
    assert remaining(2 * DAY + 3600) == "2d 1h" and remaining(59) == "59s"


def test_an_ecr_token_s_fix_says_how_to_keep_it_fresh() -> None:
    (p,) = expiry_problems(
        "s",
        "1.dkr.ecr.eu-west-1.amazonaws.com",
        "AWS",
        ecr_token(-10),
        ExpiryPolicy(time.time()),
        "renew it",
    )
    assert "ECR tokens live 12 hours" in p.hint and p.hint.startswith("renew it")


def test_show_reads_the_expiry_of_passwords_and_tokens() -> None:
    config = {
        "auths": {
            "acr.azurecr.io": {
                "username": "00000000-0000-0000-0000-000000000000",
                "password": "",
                "identitytoken": jwt(expires_in=-3600),
            },
            "r.io": {"username": "robot", "password": jwt(expires_in=7200)},
        }
    }
    decoded = decode_secret(
        "kubernetes.io/dockerconfigjson", {".dockerconfigjson": json.dumps(config).encode()}
    )
    view = view_secret("ns", "mixed", decoded, (), expiry=ExpiryPolicy(time.time()))
    codes = sorted(p.code.value for p in view.problems)
    assert codes == ["CredentialsExpired", "CredentialsExpiring"]
    (expired,) = [p for p in view.problems if p.code is Code.CREDENTIALS_EXPIRED]
    assert "identitytoken (a JWT; the kubelet does not use it)" in expired.message
    assert all(e.expires.endswith("Z") for e in view.entries)


def entry(key: str, user: str, password: str) -> RegistryEntry:
    return RegistryEntry(key, user, password)


def test_drift_names_the_copies_by_fingerprint_not_by_value() -> None:
    copies = [
        ("", "shop", "regcred", entry("https://r.io/v1/", "robot", "Old-pw-1")),
        ("", "billing", "regcred", entry("r.io", "robot", "New-pw-2")),
        ("", "search", "pull", entry("r.io", "robot", "New-pw-2")),
        ("", "search", "other", entry("r.io", "human", "Whatever-3")),
        ("", "search", "quay", entry("quay.io", "robot", "Old-pw-1")),
    ]
    (divergence,) = diverged(copies, salt=b"s" * 32)
    assert (divergence.registry, divergence.username) == ("r.io", "robot")
    assert [[c.label for c in v] for v in divergence.versions] == [
        ["billing/regcred", "search/pull"],
        ["shop/regcred"],
    ]
    problem = divergence_problem(divergence)
    assert problem.code is Code.CREDENTIALS_DIVERGED and problem.severity is Severity.WARNING
    assert (
        "billing/regcred, search/pull (2 holding password A); shop/regcred (one holding password B)"
        in problem.message
    )
    for secret in ("Old-pw-1", "New-pw-2"):
        assert secret not in problem.message + problem.hint
    # One account, one password: no finding; and salts differ between runs.
    assert diverged(copies[1:3]) == []
    assert diverged(copies) == diverged(copies)  # the result does not depend on the salt


def test_drift_across_clusters_names_the_clusters_that_hold_the_odd_copy() -> None:
    """200 clusters share an account; 3 kept the old password. The odd ones out are named in
    full, the common copy is counted past a few clusters, and no password shows."""
    fleet = [f"prod-{i:03d}" for i in range(200)]
    stale = {"prod-007", "prod-042", "prod-199"}
    copies = [
        (c, "shop", "regcred", entry("r.io", "robot", "Old-pw-1" if c in stale else "New-pw-2"))
        for c in fleet
    ]
    (divergence,) = diverged(copies)
    assert [len(v) for v in divergence.versions] == [197, 3]
    problem = divergence_problem(divergence)
    assert (
        "shop/regcred in prod-000, prod-001, prod-002, prod-003, prod-004 and 192 more clusters "
        "(197 holding password A); shop/regcred in prod-007, prod-042, prod-199 (3 holding "
        "password B)" in problem.message
    )
    assert "--context prod-000" in problem.hint
    for secret in ("Old-pw-1", "New-pw-2"):
        assert secret not in problem.message + problem.hint
    # The copies of each cluster carry the finding; equal copies in other clusters do not.
    found = problems_by_copy((c, ns, name, e) for c, ns, name, e in copies)
    assert set(found) == {(c, "shop", "regcred") for c in fleet}
    same = [(c, "shop", "regcred", entry("r.io", "robot", "Same-pw-3")) for c in fleet[:3]]
    assert problems_by_copy(same) == {}


def test_expiring_credentials_over_many_clusters_come_soonest_first() -> None:
    now = time.time()
    policy = ExpiryPolicy(now, window=24 * 3600)

    def secret(password: str) -> DecodedSecret:
        return DecodedSecret(
            "kubernetes.io/dockerconfigjson",
            ".dockerconfigjson",
            True,
            (RegistryEntry("r.io", "ci", password),),
        )

    dated = expiring(
        [
            ("prod", "shop", "later", secret(jwt(expires_in=3 * 3600))),
            ("stage", "shop", "gone", secret(jwt(expires_in=-600))),
            ("prod", "shop", "far", secret(jwt(expires_in=30 * 86400))),
            ("dev", "shop", "plain", secret("Not-a-token-1")),
            ("dev", "web", "soon", secret(jwt(expires_in=600))),
        ],
        policy,
    )
    assert [(x.context, x.secret) for x in dated] == [
        ("stage", "gone"),
        ("dev", "soon"),
        ("prod", "later"),
    ]
    assert dated[0].expires_at < now < dated[1].expires_at

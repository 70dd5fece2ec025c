"""Pure helpers of the registry check (safety rules, auth protocol, verdicts): no network."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_pullsecret.kubelet.image_ref import parse_image
from kubectl_pullsecret.kubelet.keyring import Credential
from kubectl_pullsecret.registry.auth import (
    DOCKER_HUB_API_HOST,
    DOCKER_HUB_REALM,
    DOCKER_HUB_SERVICE,
    Challenge,
    parse_www_authenticate,
    pull_scope,
    registry_endpoint,
    select_challenge,
    token_url,
)
from kubectl_pullsecret.registry.check import Attempt, PullVerdict, _Once, describe_credential
from kubectl_pullsecret.registry.http import (
    _URL,
    VerifyOptions,
    _Refused,
    join_hostport,
    split_hostport,
)
from kubectl_pullsecret.registry.safety import (
    address_refusal,
    hostname_refusal,
    is_insecure,
    redact,
)
from kubectl_pullsecret.verdicts.catalogue import Code, Problem, Severity

SECRET = "Sup3r-secret-pw"

# ---------------------------------------------------------------------------------------------
# WWW-Authenticate


def test_docker_hub_challenge() -> None:
    [challenge] = parse_www_authenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'
    )
    assert challenge == Challenge(
        "bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}
    )


def test_quoted_commas_and_escapes() -> None:
    [challenge] = parse_www_authenticate(
        'Bearer realm="https://a.example/token?x=1,2",service="s,t",'
        'scope="repository:team/app:pull,push",error="insufficient_scope"'
    )
    assert challenge.get("realm") == "https://a.example/token?x=1,2"
    assert challenge.get("service") == "s,t"
    assert challenge.get("scope") == "repository:team/app:pull,push"
    assert challenge.get("error") == "insufficient_scope"
    [basic] = parse_www_authenticate(r'Basic realm="a \"quoted\", realm\\"')
    assert basic.get("realm") == 'a "quoted", realm\\'


def test_several_challenges_in_one_value_and_across_values() -> None:
    challenges = parse_www_authenticate(
        ['Basic realm="x", Bearer realm="https://y/t",service="z"', 'Negotiate, Basic realm="w"']
    )
    assert [c.scheme for c in challenges] == ["basic", "bearer", "negotiate", "basic"]
    assert challenges[1].params == {"realm": "https://y/t", "service": "z"}
    # Bearer wins over Basic, as in containerd.
    assert select_challenge(challenges) == challenges[1]
    # Among equals, the first one offered.
    assert select_challenge(challenges[::3]) == challenges[0]


def test_case_whitespace_and_unquoted_values() -> None:
    [challenge] = parse_www_authenticate(
        "BEARER Realm = https://auth.example/token , SERVICE=reg , realm=ignored"
    )
    assert challenge.scheme == "bearer"
    # Unquoted realms are not HTTP tokens, but Go clients accept them; the first value wins.
    assert challenge.params == {"realm": "https://auth.example/token", "service": "reg"}


@pytest.mark.parametrize("value", ["", "   ", ",,", '="x"', "Negotiate", "NTLM abc"])
def test_nothing_usable(value: str) -> None:
    assert select_challenge(parse_www_authenticate(value)) is None


_names = st.sampled_from(["realm", "service", "scope", "error", "x-extra"])
_values = st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=40)


@given(
    scheme=st.sampled_from(["Bearer", "Basic"]),
    params=st.dictionaries(_names, _values, min_size=1, max_size=5),
)
def test_quoted_round_trip(scheme: str, params: dict[str, str]) -> None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = scheme + " " + ", ".join(f"{k}={quote(v)}" for k, v in params.items())
    assert parse_www_authenticate(header) == [Challenge(scheme.lower(), params)]


# ---------------------------------------------------------------------------------------------
# Realm URLs


def test_token_url_for_docker_hub_official_image() -> None:
    scope = pull_scope(parse_image("nginx"))
    assert scope == "repository:library/nginx:pull"
    assert token_url(DOCKER_HUB_REALM, DOCKER_HUB_SERVICE, scope) == (
        "https://auth.docker.io/token?service=registry.docker.io"
        "&scope=repository%3Alibrary%2Fnginx%3Apull"
    )


@pytest.mark.parametrize(
    ("realm", "service", "expected"),
    [
        (
            "https://a.example/jwt/auth?client=1",
            "svc",
            "https://a.example/jwt/auth?client=1&service=svc&scope=S",
        ),
        ("https://a.example/token", None, "https://a.example/token?scope=S"),
        ("https://a.example/token", "", "https://a.example/token?scope=S"),
        ("https://a.example", "svc", "https://a.example/?service=svc&scope=S"),
        ("https://a.example:8443/t#frag", "a b", "https://a.example:8443/t?service=a+b&scope=S"),
    ],
)
def test_token_url(realm: str, service: str | None, expected: str) -> None:
    assert token_url(realm, service, "S") == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://a.example/token", "only http/https"),
        ("//a.example/token", "only http/https"),
        ("https://user:pw@a.example/token", "user info"),
        ("https:///token", "without a host"),
        ("https://a.example:99999/token", "invalid port"),
    ],
)
def test_realm_urls_that_are_never_followed(url: str, reason: str) -> None:
    with pytest.raises(_Refused, match=reason):
        _URL.parse(url)


def test_url_host_and_origin() -> None:
    url = _URL.parse("https://[::1]:5000/v2/?a=b")
    assert (url.host, url.port, url.target, url.hostport) == ("::1", 5000, "/v2/?a=b", "[::1]:5000")
    assert _URL.parse("HTTPS://Registry.Example/v2/").hostport == "registry.example"
    assert _URL.parse("https://r.example:443/").origin == _URL.parse("https://r.example/").origin
    assert _URL.parse("http://r.example/").origin != _URL.parse("https://r.example/").origin


# ---------------------------------------------------------------------------------------------
# Hosts and ports


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("docker.io", (DOCKER_HUB_API_HOST, None)),
        ("registry.example.com", ("registry.example.com", None)),
        ("localhost:5000", ("localhost", 5000)),
        ("127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("[::1]:5000", ("::1", 5000)),
        ("[fe80::1]", ("fe80::1", None)),
    ],
)
def test_registry_endpoint(domain: str, expected: tuple[str, int | None]) -> None:
    assert registry_endpoint(domain) == expected


def test_docker_hub_images_map_to_the_api_host() -> None:
    for name in (
        "nginx",
        "index.docker.io/library/nginx:1",
        "docker.io/team/app@sha256:" + "a" * 64,
    ):
        ref = parse_image(name)
        assert registry_endpoint(ref.domain) == ("registry-1.docker.io", None)
    assert pull_scope(parse_image("team/app:v1")) == "repository:team/app:pull"


@pytest.mark.parametrize("bad", ["[::1", "[::1]x", "[::1]:x", "host:port", "a:b:c"])
def test_split_hostport_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        split_hostport(bad)


def test_join_hostport() -> None:
    assert join_hostport("::1", 5000) == "[::1]:5000"
    assert join_hostport("r.example", None) == "r.example"


def test_insecure_registries_match_host_and_port_exactly() -> None:
    listed = frozenset({"Registry.Local:5000", "plain.local"})
    assert is_insecure("registry.local:5000", listed)
    assert not is_insecure("registry.local", listed)
    assert not is_insecure("registry.local:5001", listed)
    assert is_insecure("plain.local", listed)
    assert not is_insecure("plain.local:80", listed)


# ---------------------------------------------------------------------------------------------
# Address screening


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "169.254.0.1",
        "169.254.170.2",
        "fe80::1",
        "fe80::1%eth0",
        "febf::1",
        "fd00:ec2::254",
        "fd20:ce::254",
        "100.100.100.200",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_refused_addresses(address: str) -> None:
    assert address_refusal(address) is not None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "192.168.1.1",
        "100.100.100.201",
        "8.8.8.8",
        "fd00::1",
        "fec0::1",
    ],
)
def test_allowed_addresses(address: str) -> None:
    assert address_refusal(address) is None


def test_metadata_names() -> None:
    for name in (
        "metadata.google.internal",
        "METADATA.GOOGLE.INTERNAL.",
        "metadata.goog",
        "metadata",
    ):
        assert hostname_refusal(name) is not None
    for name in ("gcr.io", "metadata.example.com", "registry.internal"):
        assert hostname_refusal(name) is None


# ---------------------------------------------------------------------------------------------
# Never a password in a label, a repr, a redacted text


def _credential() -> Credential:
    return Credential("secret/regcred", "r.example", "https://r.example", "alice", SECRET)


def test_credential_label_and_reprs_hide_the_password() -> None:
    credential = _credential()
    label = describe_credential(credential)
    assert label == "user 'alice' from secret/regcred (key 'https://r.example')"
    attempt = Attempt(credential, Problem(Code.CREDENTIALS_VALID, Severity.INFO, "ok"))
    verdict = PullVerdict(parse_image("r.example/app"), (attempt,), 0, (attempt.problem,))
    for text in (repr(attempt), str(attempt), repr(verdict), str(verdict)):
        assert SECRET not in text  # whatever Credential's own repr does
        assert "alice" in text
    assert verdict.ok and verdict.winning_credential is credential
    assert attempt.succeeds
    assert describe_credential(None) == "no credentials (anonymous)"


def test_redact() -> None:
    assert redact(f"bad {SECRET} and {SECRET}x", [SECRET, ""]) == "bad [redacted] and [redacted]x"
    # Longer secrets first, so a secret containing another is blanked whole.
    assert redact("abcdef", ["abc", "abcdef"]) == "[redacted]"


# ---------------------------------------------------------------------------------------------
# The once-only cache


def test_once_computes_each_key_once_under_contention() -> None:
    once: _Once[int] = _Once()
    calls: list[int] = []
    lock = threading.Lock()

    def compute() -> int:
        with lock:
            calls.append(1)
        time.sleep(0.05)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(once.get("k", compute))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and len(calls) == 1
    assert once.get("other", lambda: 7) == 7


def test_once_shares_failures() -> None:
    once: _Once[int] = _Once()

    def boom() -> int:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        once.get("k", boom)
    with pytest.raises(RuntimeError):
        once.get("k", lambda: 1)


def test_default_options() -> None:
    options = VerifyOptions()
    assert options.insecure_registries == frozenset()
    assert options.ca_file is None and options.deadline is None
    assert options.connect_timeout == 5.0 and options.max_workers == 4

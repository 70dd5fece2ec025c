"""Key normalization and matching, built from the kubelet's keyring_test.go tables plus our own cases."""

import pytest

from kubectl_pullsecret.kubelet.docker_config import RegistryEntry
from kubectl_pullsecret.kubelet.keyring import (
    BadPattern,
    Keyring,
    filepath_match,
    is_default_registry_match,
    near_misses,
    normalize_key,
    urls_match_str,
)


def entry(key: str, user: str = "foo", password: str = "bar") -> RegistryEntry:
    return RegistryEntry(key, user, password, "foo@bar.baz")


# keyring_test.go TestURLsMatch
@pytest.mark.parametrize(
    ("glob", "target", "expected"),
    [
        ("*.kubernetes.io", "prefix.kubernetes.io", True),
        ("prefix.*.io", "prefix.kubernetes.io", True),
        ("prefix.kubernetes.*", "prefix.kubernetes.io", True),
        ("*-good.kubernetes.io", "prefix-good.kubernetes.io", True),
        ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", True),
        ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", True),
        ("*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah", True),
        ("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", True),
        ("*.kubernetes.io", "kubernetes.io", False),
        ("*.*.kubernetes.io", "prefix.kubernetes.io", False),
        ("*.*.kubernetes.io", "kubernetes.io", False),
        ("*kubernetes.io", "a.kubernetes.io", False),
        ("*kubernetes.io", "kubernetes.io", True),
        ("*.*.*.kubernetes.io", "a.b.c.kubernetes.io", True),
        ("kubernetes.io", "kubernetes.com", False),
        ("k*.io", "quay.io", False),
        ("*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah", False),
        ("prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", False),
    ],
)
def test_urls_match_kubelet_table(glob: str, target: str, expected: bool) -> None:
    assert urls_match_str(glob, target) is expected


# keyring_test.go TestDockerKeyringForGlob: every key must find the credential
@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("https://hello.kubernetes.io", "hello.kubernetes.io"),
        ("https://*.docker.io", "prefix.docker.io"),
        ("https://prefix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.*", "prefix.docker.io"),
        ("https://*.docker.io/path", "prefix.docker.io/path"),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath"),
        ("https://prefix.docker.*/path", "prefix.docker.io/path"),
        ("https://*.docker.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.*.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.docker.*:8888", "prefix.docker.io:8888"),
        ("https://*.docker.io/path:1111", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v1/", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v2/", "prefix.docker.io/path:1111"),
        ("https://prefix.docker.*/path:1111", "prefix.docker.io/path:1111"),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path"),
        ("*.docker.io:1111", "prefix.docker.io:1111/path"),
    ],
)
def test_keyring_for_glob_kubelet_table(key: str, target: str) -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry(key)])
    (cred,) = keyring.lookup(target + "/foo/bar")
    assert (cred.username, cred.password, cred.email) == ("foo", "bar", "foo@bar.baz")


# keyring_test.go TestKeyringMiss
@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("https://hello.kubernetes.io", "world.mesos.org/foo/bar"),
        ("https://*.docker.com", "prefix.docker.io"),
        ("https://suffix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.c*", "prefix.docker.io"),
        ("https://prefix.*.io/path:1111", "prefix.docker.io/path/subpath:1111"),
        ("suffix.*.io", "prefix.docker.io"),
    ],
)
def test_keyring_miss_kubelet_table(key: str, target: str) -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry(key)])
    assert keyring.lookup(target + "/foo/bar") == []


def docker_hub_keyring() -> Keyring:
    keyring = Keyring()
    keyring.add("secret/s", [entry("https://index.docker.io/v1/")])
    return keyring


def test_keyring_miss_with_docker_hub_credentials() -> None:
    assert docker_hub_keyring().lookup("world.mesos.org/foo/bar") == []


@pytest.mark.parametrize(
    "repository",
    ["google/docker-registry", "jenkins", "index.docker.io/v1//google/docker-registry"],
)
def test_keyring_hit_with_docker_hub(repository: str) -> None:
    creds = docker_hub_keyring().lookup(repository)
    assert len(creds) == 1 and creds[0].username == "foo"


# keyring_test.go TestIsDefaultRegistryMatch
@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        ("foo/bar", True),
        ("docker.io/foo/bar", True),
        ("index.docker.io/foo/bar", True),
        ("foo", True),
        ("", False),
        ("registry.tld/foo/bar", False),
        ("registry:5000/foo/bar", False),
        ("myhostdocker.io/foo/bar", False),
    ],
)
def test_is_default_registry_match_kubelet_table(repository: str, expected: bool) -> None:
    assert is_default_registry_match(repository) is expected


# keyring_test.go TestDockerKeyringLookup
@pytest.mark.parametrize(
    ("image", "users"),
    [
        ("bar.example.com", ["ada"]),
        ("bar.example.com/pong", ["grace", "ada"]),
        ("bar.example.com/ping", ["ada"]),
        ("bar.example.com/pongz", ["grace", "ada"]),
        ("bar.example.com/pong/pang", ["grace", "ada"]),
        ("example.com", []),
        ("foo.example.com", []),
    ],
)
def test_docker_keyring_lookup_kubelet_table(image: str, users: list[str]) -> None:
    keyring = Keyring()
    keyring.add(
        "secret/s",
        [
            entry("bar.example.com/pong", "grace", "squash"),
            entry("bar.example.com", "ada", "smash"),
        ],
    )
    assert [c.username for c in keyring.lookup(image)] == users


# keyring_test.go TestIssue3797
@pytest.mark.parametrize("image", ["quay.io", "quay.io/foo", "quay.io/foo/bar"])
def test_issue_3797_scheme_and_v1_path_match_the_host(image: str) -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry("https://quay.io/v1/", "rex", "tiny arms")])
    assert [c.username for c in keyring.lookup(image)] == ["rex"]


@pytest.mark.parametrize(
    ("key", "normalized"),
    [
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("https://index.docker.io/v1", "index.docker.io/v1"),  # the classic trap
        ("index.docker.io", "index.docker.io"),
        ("docker.io", "docker.io"),
        ("http://registry.local:5000/v2/", "registry.local:5000"),
        ("registry.local:5000/v2/team", "registry.local:5000/team"),
        ("https://quay.io/team/", "quay.io/team/"),
        ("https://user:pw@quay.io/", "quay.io"),
        ("quay.io/a%2Fb", "quay.io/a/b"),
        ("Quay.IO", "Quay.IO"),
        ("[::1]:5000", "[::1]:5000"),
        ("", ""),
    ],
)
def test_normalize_key(key: str, normalized: str) -> None:
    assert normalize_key(key) == normalized


@pytest.mark.parametrize(
    "key", ["host:port", "a b.io", "quay.io/%zz", "bad\x00key", "quay.io:-1", "[::1", "quay.io%41"]
)
def test_invalid_keys_are_skipped_like_the_kubelet(key: str) -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry(key), entry("ok.io")])
    assert [s.written_key for s in keyring.skipped] == [key]
    assert keyring.index == ["ok.io"]


def test_docker_hub_key_spellings() -> None:
    def users_for(key: str, repository: str) -> list[str]:
        keyring = Keyring()
        keyring.add("secret/s", [entry(key, "jane")])
        return [c.username for c in keyring.lookup(repository)]

    for repository in ("docker.io/library/nginx", "docker.io/janedoe/app"):
        assert users_for("https://index.docker.io/v1/", repository) == ["jane"]
        assert users_for("index.docker.io", repository) == ["jane"]
        assert users_for("docker.io", repository) == ["jane"]
        assert users_for("https://index.docker.io/v1", repository) == []
        assert users_for("registry-1.docker.io", repository) == []


def test_index_is_reverse_sorted_and_creds_keep_secret_order() -> None:
    keyring = Keyring()
    keyring.add("secret/first", [entry("quay.io", "a"), entry("quay.io/team", "b")])
    keyring.add("secret/second", [entry("https://quay.io/v1/", "c"), entry("quay.io", "a")])
    assert keyring.index == ["quay.io/team", "quay.io"]
    assert [(c.source, c.username) for c in keyring.lookup("quay.io/team/app")] == [
        ("secret/first", "b"),
        ("secret/first", "a"),
        ("secret/second", "c"),
        ("secret/second", "a"),
    ]


def test_path_prefix_is_a_plain_string_prefix() -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry("quay.io/team")])
    assert keyring.lookup("quay.io/teamfoo/app")
    assert not keyring.lookup("quay.io/other/app")


def test_ports_compare_as_strings() -> None:
    assert not urls_match_str("registry.io:443", "registry.io/app")
    assert not urls_match_str("registry.io", "registry.io:443/app")
    assert urls_match_str("registry.io:5000", "registry.io:5000/app")


def test_ipv6_hosts() -> None:
    assert urls_match_str("[::1]:5000", "[::1]:5000/x")
    # without a port, "[::1]" is a glob character class in filepath.Match
    assert not urls_match_str("[::1]", "[::1]/x")


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("*", "abc", True),
        ("a*c", "abbbc", True),
        ("a?c", "abc", True),
        ("[a-c]x", "bx", True),
        ("[^a-c]x", "bx", False),
        ("a\\*", "a*", True),
        ("*-good", "x-good", True),
        ("*", "", True),
        ("a*/b", "abc/b", True),
        ("a*", "ab/c", False),
    ],
)
def test_filepath_match(pattern: str, name: str, expected: bool) -> None:
    assert filepath_match(pattern, name) is expected


@pytest.mark.parametrize("pattern", ["[", "[a-", "a\\", "[]a]"])
def test_filepath_match_bad_patterns(pattern: str) -> None:
    with pytest.raises(BadPattern):
        filepath_match(pattern, "a")


def test_bad_glob_in_a_key_never_matches() -> None:
    keyring = Keyring()
    keyring.add("secret/s", [entry("reg[.io")])
    assert keyring.lookup("reg[.io/app") == []


def test_near_misses_explain_the_classic_traps() -> None:
    keyring = Keyring()
    keyring.add(
        "secret/s",
        [
            entry("https://index.docker.io/v1"),
            entry("registry-1.docker.io"),
        ],
    )
    misses = near_misses("docker.io/library/nginx", keyring.all_credentials())
    text = " ".join(m.explanation for m in misses)
    assert "trailing slash" in text and "API host" in text

    keyring = Keyring()
    keyring.add("secret/s", [entry("registry.local:5000"), entry("*.example.com")])
    assert (
        "ports differ"
        in near_misses("registry.local/app", keyring.all_credentials())[0].explanation
    )
    assert (
        "one host label"
        in near_misses("a.b.example.com/app", keyring.all_credentials())[0].explanation
    )

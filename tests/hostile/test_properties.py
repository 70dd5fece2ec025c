"""Property-based tests: image parsing, key normalization, matching, decoding and scrubbing hold
their contracts on generated input, and matching agrees with a reference implementation
written here from the kubelet's rules (kubelet-pull-semantics.md sections 4 and 5, Go's
path/filepath.Match and net.SplitHostPort documentation), independently of keyring.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import unicodedata
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kubectl_pullsecret.cluster.manifests import decode_credentials_file as decode_config_file
from kubectl_pullsecret.cluster.objects import pod_event, pod_facts
from kubectl_pullsecret.kubelet.docker_config import (
    DecodedSecret,
    DockerConfigError,
    RegistryEntry,
    decode_auth_field,
    decode_secret,
    parse_docker_config_json,
    parse_dockercfg,
)
from kubectl_pullsecret.kubelet.image_ref import InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import (
    BadPattern,
    GoURLError,
    Keyring,
    filepath_match,
    normalize_key,
    urls_match_str,
)
from kubectl_pullsecret.kubelet.messages import (
    classify_pull_error,
    parse_missing_pull_secrets,
    runtime_error_of,
)
from kubectl_pullsecret.secrecy import scrub
from kubectl_pullsecret.verdicts.facts import PodContext
from kubectl_pullsecret.verdicts.pod import diagnose_pod

# Example counts keep the module at a few seconds; HOSTILE_EXAMPLES_SCALE=50 digs deeper.
_SCALE = max(1, int(os.environ.get("HOSTILE_EXAMPLES_SCALE", "1")))
FAST = settings(
    max_examples=100 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SOME = settings(
    max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- strategies -------------------------------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
# Characters that matter to references, URLs and globs, plus a few that never should appear.
IMAGE_CHARS = LOWER + "ABCZ._-/:@[]%+ \t\x00\u00e9"
KEY_CHARS = LOWER[:6] + "AB.-_:/@[]%?#*\\ \x00\u00e9" + "%2F%25%41%3F%23%0A%C3%A9"

component = st.from_regex(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+){0,2}", fullmatch=True)
# Without a domain, a first component with a '.' would be read as the domain.
first_component = st.from_regex(r"[a-z0-9]+(?:(?:_|__|-+)[a-z0-9]+){0,2}", fullmatch=True)
domain_label = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
port = st.integers(0, 99999).map(str)
ipv6 = st.sampled_from(["[::1]", "[2001:db8::1]", "[fe80::]", "[::ffff:a00:1]"])
tag = st.from_regex(r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,20}", fullmatch=True)
digest = st.sampled_from(["sha256:" + "a" * 64, "sha512:" + "0f" * 64, "sha384:" + "9" * 96])


@st.composite
def valid_images(draw: st.DrawFn) -> str:
    """References the grammar accepts: [domain[:port]/]path[:tag][@digest]."""
    domain = draw(
        st.one_of(
            st.none(),
            st.just("localhost"),
            st.lists(domain_label, min_size=2, max_size=4).map(".".join),
            ipv6,
        )
    )
    if domain is not None and draw(st.booleans()):
        domain += ":" + draw(port)
    first = draw(component if domain else first_component)
    path = "/".join([first, *draw(st.lists(component, max_size=2))])
    image = f"{domain}/{path}" if domain else path
    if draw(st.booleans()):
        image += ":" + draw(tag)
    if draw(st.booleans()):
        image += "@" + draw(digest)
    return image


any_image = st.one_of(
    valid_images(),
    st.text(alphabet=IMAGE_CHARS, max_size=40),
    st.text(max_size=20),
    valid_images().map(lambda s: s.upper()),
    st.tuples(valid_images(), st.text(alphabet=IMAGE_CHARS, max_size=3)).map("".join),
)

any_key = st.one_of(
    st.text(alphabet=KEY_CHARS, max_size=30),
    st.text(max_size=20),
    st.tuples(
        st.sampled_from(["", "https://", "http://", "HTTPS://", "https://http://", "user:pw@"]),
        st.text(alphabet=KEY_CHARS, max_size=20),
        st.sampled_from(["", "/", "/v1/", "/v2/", "/v1", "/v2/v1/x", "/%2F", "/a%3Fb", "?x#y"]),
    ).map("".join),
)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
b64_ish = st.one_of(
    st.text(alphabet="ABCDEFabcdef0123456789+/=:\n\r -_*", max_size=24),
    st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode().rstrip("=")),
    st.text(max_size=10).map(lambda t: base64.b64encode(t.encode()).decode()),
)
entry_values = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "auth": st.one_of(b64_ish, json_values),
            "username": st.one_of(st.text(max_size=8), json_values),
            "password": st.one_of(st.text(max_size=8), json_values),
            "Auth": b64_ish,
            "email": st.text(max_size=8),
        },
    ),
)
docker_configs = st.one_of(
    st.dictionaries(st.text(alphabet=KEY_CHARS, max_size=12), entry_values, max_size=3).map(
        lambda m: {"auths": m}
    ),
    st.dictionaries(st.text(alphabet=KEY_CHARS, max_size=12), entry_values, max_size=3),
    json_values,
    st.fixed_dictionaries({"auths": json_values, "HttpHeaders": json_values}),
)
# YAML scalars with surprising types: dates, sexagesimals, binary, infinities, tags.
yaml_scalars = st.sampled_from(
    [
        "2024-01-31",
        "2024-13-45",
        "12:30:45",
        "0x1F",
        "1e400",
        ".inf",
        "~",
        "on",
        "!!binary aGVsbG8=",
        "!!str 5",
        "'quoted'",
        "[a, b]",
        "{a: 1}",
        "&x a",
        "!!python/object:os.system x",
    ]
)


@st.composite
def yaml_manifests(draw: st.DrawFn) -> bytes:
    fields = {
        "apiVersion": "v1",
        "kind": draw(st.sampled_from(["Secret", "ConfigMap", "secret"])),
        "type": draw(
            st.one_of(st.sampled_from(["kubernetes.io/dockerconfigjson", "Opaque"]), yaml_scalars)
        ),
    }
    lines = [f"{k}: {v}" for k, v in fields.items()]
    for section in draw(
        st.lists(st.sampled_from(["data", "stringData", "metadata"]), max_size=2, unique=True)
    ):
        lines.append(f"{section}:")
        for key in draw(
            st.lists(
                st.sampled_from([".dockerconfigjson", ".dockercfg", "name", "x"]),
                max_size=2,
                unique=True,
            )
        ):
            lines.append(f"  {key}: {draw(st.one_of(yaml_scalars, b64_ish.map(json.dumps)))}")
    return ("\n".join(lines) + "\n").encode()


# --- image references ---------------------------------------------------------------------------


@SOME
@given(any_image)
@example("a" * 64)
@example("[::1]:5000/x")
@example("LOCALHOST/app")
def test_parse_image_raises_only_invalid_image_name(image: str) -> None:
    try:
        ref = parse_image(image)
    except InvalidImageName:
        return
    # Whatever parses has a repository that parses to itself, with no tag or digest.
    again = parse_image(ref.repository)
    assert (again.domain, again.path, again.tag, again.digest) == (
        ref.domain,
        ref.path,
        None,
        None,
    )
    assert again.repository == ref.repository


@SOME
@given(valid_images())
def test_grammatical_images_parse_and_round_trip(image: str) -> None:
    ref = parse_image(image)
    assert parse_image(ref.repository).repository == ref.repository
    # Tag and digest never reach the repository the keyring looks up.
    assert "@" not in ref.repository and ref.repository.count(":") <= ref.domain.count(":")
    assert ref.reference in (ref.digest or ref.tag or "latest",)


# --- key normalization --------------------------------------------------------------------------


def _path_part(normalized: str) -> str:
    slash = normalized.find("/")
    return "" if slash < 0 else normalized[slash:]


def normalization_is_stable_in_go(normalized: str) -> bool:
    """Where BasicDockerKeyring.Add's normalization is idempotent in Go as well.

    Add keeps `parsed.Host + parsed.Path`: the *decoded* path, stripped of one /v1/ or /v2/.
    Feeding that back through Add differs, in Go too, when:
    - it holds '%' (decoded again, or an invalid escape), '?' or '#' (query or fragment cut
      off), or a control character decoded from %0A and the like (url.Parse refuses those);
    - it starts with http:// or https:// (key "https://http://x" gives "http://x", then "x");
    - its path still starts with /v1/ or /v2/ (key "h/v2/v1/x" gives "h/v1/x", then "h/x").
    """
    if any(c in normalized for c in "%?#"):
        return False
    if any(unicodedata.category(c) == "Cc" for c in normalized):
        return False
    if normalized.startswith(("http://", "https://")):
        return False
    return not _path_part(normalized).startswith(("/v1/", "/v2/"))


@FAST
@given(any_key)
@example("https://index.docker.io/v1/")
@example("https://http://x")
@example("h/v2/v1/x")
@example("h/a%2541")
@example("h/a%0Ab")
def test_normalize_key_raises_only_go_url_error_and_is_idempotent(key: str) -> None:
    try:
        normalized = normalize_key(key)
    except GoURLError:
        return
    if normalization_is_stable_in_go(normalized):
        assert normalize_key(normalized) == normalized


def test_where_normalization_is_not_idempotent_in_go_either() -> None:
    """The exclusions above are real: each of these changes again on a second pass."""
    assert normalize_key("h/v2/v1/x") == "h/v1/x" and normalize_key("h/v1/x") == "h/x"
    assert normalize_key("https://http://x") == "http://x" and normalize_key("http://x") == "x"
    assert normalize_key("h/a%2541") == "h/a%41" and normalize_key("h/a%41") == "h/aA"
    assert normalize_key("h/a%3Fb") == "h/a?b" and normalize_key("h/a?b") == "h/a"
    with pytest.raises(GoURLError):
        normalize_key(normalize_key("h/a%0Ab"))


# --- a reference matcher, from the documentation ---------------------------------------------------

# Go's path/filepath.Match grammar:
#   pattern: { term }
#   term: '*' | '?' | '[' [ '^' ] { character-range } ']' | c (not '*', '?', '\\', '[') | '\\' c
#   character-range: c (not '\\', '-', ']') | '\\' c | lo '-' hi
# A malformed pattern is ErrBadPattern; '*' and '?' never match the separator '/'.

Token = tuple[str, Any]  # ("star", None) | ("any", None) | ("lit", c) | ("class", (neg, ranges))


def _class_char(p: str, i: int) -> tuple[str, int] | None:
    if i >= len(p) or p[i] in "-]":
        return None
    if p[i] == "\\":
        i += 1
        if i >= len(p):
            return None
    return p[i], i + 1


def tokenize_glob(p: str) -> list[Token] | None:
    """The pattern's terms, or None for a malformed pattern."""
    tokens: list[Token] = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "*":
            tokens.append(("star", None))
            i += 1
        elif c == "?":
            tokens.append(("any", None))
            i += 1
        elif c == "\\":
            if i + 1 >= len(p):
                return None
            tokens.append(("lit", p[i + 1]))
            i += 2
        elif c == "[":
            i += 1
            negated = i < len(p) and p[i] == "^"
            if negated:
                i += 1
            ranges: list[tuple[str, str]] = []
            while True:
                if i < len(p) and p[i] == "]" and ranges:
                    i += 1
                    break
                lo = _class_char(p, i)
                if lo is None:
                    return None
                lo_c, i = lo
                hi_c = lo_c
                if i < len(p) and p[i] == "-":
                    hi = _class_char(p, i + 1)
                    if hi is None:
                        return None
                    hi_c, i = hi
                if i >= len(p):
                    return None  # the class never closes
                ranges.append((lo_c, hi_c))
            tokens.append(("class", (negated, tuple(ranges))))
        else:
            tokens.append(("lit", c))
            i += 1
    return tokens


def glob_match(pattern: str, name: str) -> bool | None:
    """True/False, or None where Go reports ErrBadPattern."""
    tokens = tokenize_glob(pattern)
    if tokens is None:
        return None

    @cache
    def at(t: int, n: int) -> bool:
        if t == len(tokens):
            return n == len(name)
        kind, arg = tokens[t]
        if kind == "star":
            return at(t + 1, n) or (n < len(name) and name[n] != "/" and at(t, n + 1))
        if n >= len(name):
            return False
        ch = name[n]
        if kind == "any":
            ok = ch != "/"
        elif kind == "lit":
            ok = ch == arg
        else:
            negated, ranges = arg
            ok = any(lo <= ch <= hi for lo, hi in ranges) != negated
        return ok and at(t + 1, n + 1)

    return at(0, 0)


def split_host_port(hostport: str) -> tuple[str, str] | None:
    """net.SplitHostPort, from its documentation: host:port, [host]:port; None on error."""
    colon = hostport.rfind(":")
    if colon < 0:
        return None
    j = k = 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or end + 1 != colon:
            return None
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:colon]
        if ":" in host:
            return None
    if "[" in hostport[j:] or "]" in hostport[k:]:
        return None
    return host, hostport[colon + 1 :]


def parse_schemeless(value: str) -> tuple[str, str] | None:
    """(host[:port], path) of "https://" + value for the characters the generators use, or
    None where url.Parse fails (bad port, unclosed IPv6 bracket)."""
    slash = value.find("/")
    host, path = (value, "") if slash < 0 else (value[:slash], value[slash:])
    if host.startswith("["):
        end = host.rfind("]")
        rest = host[end + 1 :] if end >= 0 else None
    else:
        colon = host.rfind(":")
        rest = host[colon:] if colon >= 0 else ""
    if rest is None or (rest and not ((rest[0] == ":" and rest[1:].isdigit()) or rest == ":")):
        return None
    return host, path


def reference_match(key: str, repository: str) -> bool:
    """Section 5: ports equal as strings, same label count, path prefix, label globs."""
    glob, target = parse_schemeless(key), parse_schemeless(repository)
    if glob is None or target is None:
        return False
    (g_hostport, g_path), (t_hostport, t_path) = glob, target
    g_split = split_host_port(g_hostport) or (g_hostport, "")
    t_split = split_host_port(t_hostport) or (t_hostport, "")
    g_labels, t_labels = g_split[0].split("."), t_split[0].split(".")
    if g_split[1] != t_split[1] or len(g_labels) != len(t_labels):
        return False
    if not t_path.startswith(g_path):
        return False
    return all(glob_match(g, t) for g, t in zip(g_labels, t_labels, strict=True))


def reference_default_registry(repository: str) -> bool:
    first, sep, _ = repository.partition("/")
    if not first:
        return False
    if not sep or first in ("docker.io", "index.docker.io"):
        return True
    return not any(c in first for c in ".:")


GLOB_CHARS = "ab-*?[]^\\/"


@FAST
@given(st.text(alphabet=GLOB_CHARS, max_size=8), st.text(alphabet="ab-*?[]^\\/", max_size=6))
@example("[]a]", "a")
@example("[^]", "a")
@example("a\\", "a")
@example("*[", "")
@example("[a-]", "a")
@example("[\\]]", "]")
@example("*?", "/")
def test_filepath_match_agrees_with_the_reference(pattern: str, name: str) -> None:
    expected = glob_match(pattern, name)
    try:
        got: bool | None = filepath_match(pattern, name)
    except BadPattern:
        got = None
    assert got == expected


host_chars = st.sampled_from(list("abcxyz019-"))
plain_label = st.text(alphabet=host_chars, min_size=1, max_size=5)


@st.composite
def key_and_target(draw: st.DrawFn) -> tuple[str, str]:
    """A repository and a key made from it by small edits, so that matches are frequent."""
    labels = draw(st.lists(plain_label, min_size=1, max_size=4))
    t_port = draw(st.one_of(st.just(""), st.sampled_from([":5000", ":443", ":1"])))
    t_path = draw(st.sampled_from(["/app", "/team/app", "/teamfoo/app", "/a/b/c"]))
    target = ".".join(labels) + t_port + t_path

    g_labels = []
    for label in labels:
        edit = draw(st.sampled_from(["same", "same", "star", "prefix", "class", "other", "upper"]))
        if edit == "star":
            g_labels.append("*")
        elif edit == "prefix":
            g_labels.append(label[: draw(st.integers(0, len(label)))] + "*")
        elif edit == "class":
            g_labels.append(f"[{label[0]}-z]{label[1:]}")
        elif edit == "other":
            g_labels.append(draw(plain_label))
        elif edit == "upper":
            g_labels.append(label.upper())
        else:
            g_labels.append(label)
    shape = draw(st.sampled_from(["same", "same", "same", "more", "fewer"]))
    if shape == "more":
        g_labels.insert(0, "*")
    elif shape == "fewer" and len(g_labels) > 1:
        g_labels.pop(0)
    g_port = draw(st.sampled_from([t_port, t_port, "", ":5000", ":", ":x"]))
    g_path = draw(st.sampled_from(["", "", "/", "/team", t_path, "/other", "/team/app/more"]))
    bracket = draw(st.sampled_from(["", "", "", "[", "]"]))
    return bracket + ".".join(g_labels) + g_port + g_path, target


@FAST
@given(key_and_target())
@example(("*.example.com", "a.example.com/x"))
@example(("a[b].c:5000", "ab.c:5000/x"))
@example(("[::1]:5000", "[::1]:5000/x"))
@example(("quay.io/team", "quay.io/teamfoo/app"))
def test_urls_match_agrees_with_the_reference(pair: tuple[str, str]) -> None:
    key, target = pair
    assert urls_match_str(key, target) is reference_match(key, target)


@SOME
@given(st.lists(key_and_target(), min_size=1, max_size=5), st.booleans())
def test_keyring_lookup_agrees_with_the_reference(
    pairs: list[tuple[str, str]], with_hub_key: bool
) -> None:
    """Keys de-duplicated and reverse-sorted; every matching key's credentials in that order;
    the Docker Hub fallback only when nothing matched."""
    keys = [k for k, _ in pairs] + (["index.docker.io"] if with_hub_key else [])
    target = pairs[0][1]
    keyring = Keyring()
    keyring.add("s", [RegistryEntry(k, f"user-{i}", "pw") for i, k in enumerate(keys)])
    got = [(c.key, c.username) for c in keyring.lookup(target)]

    normalized = {}
    for i, k in enumerate(keys):
        try:
            normalized.setdefault(normalize_key(k), []).append((normalize_key(k), f"user-{i}"))
        except GoURLError:
            continue
    expected = [
        c
        for k in sorted(normalized, reverse=True)
        if reference_match(k, target)
        for c in normalized[k]
    ]
    if not expected and reference_default_registry(target):
        expected = normalized.get("index.docker.io", [])
    assert got == expected


# --- decoding -------------------------------------------------------------------------------------


def _check_decoded(decoded: DecodedSecret) -> None:
    assert isinstance(decoded, DecodedSecret)
    if decoded.error is not None:
        assert decoded.entries == ()


@FAST
@given(st.one_of(st.binary(max_size=80), docker_configs.map(lambda d: json.dumps(d).encode())))
@example(b'{"auths": NaN}')
@example(b"[" * 5000)
@example(b'{"auths": {"a": {"auth": "\\u0000"}}}')
def test_parsers_raise_only_docker_config_error(raw: bytes) -> None:
    for parse in (parse_docker_config_json, parse_dockercfg):
        with contextlib.suppress(DockerConfigError):
            parse(raw)
    for secret_type in ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg", "Opaque", ""):
        for key in (".dockerconfigjson", ".dockercfg"):
            _check_decoded(decode_secret(secret_type, {key: raw}))


@FAST
@given(b64_ish)
def test_decode_auth_field_raises_only_docker_config_error(auth: str) -> None:
    try:
        username, password = decode_auth_field(auth)
    except DockerConfigError:
        return
    assert isinstance(username, str) and isinstance(password, str)


@FAST
@given(
    st.one_of(
        st.binary(max_size=60),
        docker_configs.map(lambda d: json.dumps(d).encode()),
        yaml_manifests(),
        st.builds(
            lambda d, t: json.dumps(
                {"apiVersion": "v1", "kind": "Secret", "type": t, "data": d}
            ).encode(),
            st.one_of(
                json_values,
                st.dictionaries(st.sampled_from([".dockerconfigjson", ".dockercfg"]), b64_ish),
            ),
            st.one_of(
                json_values,
                st.sampled_from(["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"]),
            ),
        ),
    )
)
@example(b"kind: Secret\nmetadata: {creationTimestamp: 2024-13-45}\n")
def test_decode_config_file_never_raises(raw: bytes) -> None:
    """A local file gives a verdict whatever it holds; the caller has no try/except."""
    _check_decoded(decode_config_file(raw))


# --- scrub and the other readers of hostile text --------------------------------------------------


@FAST
@given(st.text(max_size=600), st.integers(min_value=2, max_value=500))
@example("a\tb", 400)
@example("\x1b[2J\x00\r\n\x85\x9b", 400)
def test_scrub_output_has_no_control_characters(text: str, limit: int) -> None:
    clean = scrub(text, limit)
    bad = [c for c in clean if unicodedata.category(c) == "Cc"]
    assert not bad, f"control characters {bad!r} survive scrub({text!r})"
    assert len(clean) <= limit


@SOME
@given(
    st.text(alphabet=LOWER, min_size=6, max_size=20).map(lambda s: "Zq9" + s),
    st.sampled_from(
        [
            "https://robot:{p}@registry.example.com/v2/",
            "Authorization: Basic {p}",
            "Authorization: Bearer {p}",
            'password="{p}"',
            '"auth": "{p}"',
            "token={p}",
        ]
    ),
    st.text(max_size=40),
)
def test_scrub_masks_credentials(secret: str, template: str, noise: str) -> None:
    """A password, token or auth value after the usual keywords never survives (the secret
    starts with "Zq9", which no keyword or mask contains)."""
    assume(secret not in noise)
    clean = scrub(noise + " " + template.format(p=secret) + " " + noise, 2000)
    assert secret not in clean


@FAST
@given(st.text(max_size=300))
def test_event_text_readers_never_raise(message: str) -> None:
    classify_pull_error(message)
    names = parse_missing_pull_secrets(message)
    assert all(isinstance(n, str) and n for n in names)
    found = runtime_error_of(message)
    assert found is None or isinstance(found, str)


pod_like = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "metadata",
                    "spec",
                    "status",
                    "containers",
                    "initContainers",
                    "ephemeralContainers",
                    "containerStatuses",
                    "imagePullSecrets",
                    "name",
                    "image",
                    "state",
                    "waiting",
                    "reason",
                    "message",
                    "phase",
                    "uid",
                    "namespace",
                    "running",
                    "terminated",
                    "ownerReferences",
                    "controller",
                    "kind",
                    "labels",
                    "involvedObject",
                    "count",
                    "series",
                    "fieldPath",
                    "lastTimestamp",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@SOME
@given(
    st.dictionaries(st.sampled_from(["metadata", "spec", "status"]), pod_like, max_size=3),
    st.lists(pod_like, max_size=3),
)
def test_objects_and_the_diagnosis_tolerate_any_pod_and_events(
    pod: dict[str, Any], events: list[Any]
) -> None:
    facts = pod_facts(pod)
    parsed = tuple(pod_event(e) for e in events if isinstance(e, dict))
    diagnose_pod(PodContext(pod=facts, secrets={}, events=parsed))

"""Secret selection and decoding as in secrets.MakeDockerKeyring and DockerConfigEntry.UnmarshalJSON."""

import base64
import json

import pytest

from kubectl_pullsecret.kubelet.docker_config import (
    DockerConfigError,
    decode_auth_field,
    decode_secret,
    parse_docker_config_json,
    parse_dockercfg,
)

B64 = base64.b64encode


def config_json(auths: object) -> bytes:
    return json.dumps({"auths": auths}).encode()


def test_dockerconfigjson_with_username_and_password() -> None:
    secret = decode_secret(
        "kubernetes.io/dockerconfigjson",
        {
            ".dockerconfigjson": config_json(
                {"r.io": {"username": "u", "password": "p", "email": "e@x"}}
            )
        },
    )
    assert secret.used and secret.error is None
    (entry,) = secret.entries
    assert (entry.key, entry.username, entry.password, entry.email, entry.auth) == (
        "r.io",
        "u",
        "p",
        "e@x",
        "absent",
    )


def test_auth_wins_over_username_and_password() -> None:
    auth = B64(b"real:secret").decode()
    (entry,) = parse_docker_config_json(
        config_json({"r.io": {"username": "other", "password": "x", "auth": auth}})
    )
    assert (entry.username, entry.password, entry.auth) == ("real", "secret", "differs")


def test_auth_agreeing_and_auth_only() -> None:
    auth = B64(b"u:p").decode()
    agree, only = parse_docker_config_json(
        config_json(
            {"a.io": {"username": "u", "password": "p", "auth": auth}, "b.io": {"auth": auth}}
        )
    )
    assert (agree.auth, only.auth) == ("agrees", "only")


def test_auth_splits_at_first_colon() -> None:
    assert decode_auth_field(B64(b"user:pa:ss:word").decode()) == ("user", "pa:ss:word")


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (B64(b"ab:c").decode(), ("ab", "c")),  # padded form "YWI6Yw=="
        (B64(b"ab:c").decode().rstrip("="), ("ab", "c")),  # unpadded form
        (
            B64(b"u:p").decode()[:2] + "\n" + B64(b"u:p").decode()[2:],
            ("u", "p"),
        ),  # Go skips newlines
    ],
)
def test_auth_padding_rules(auth: str, expected: tuple[str, str]) -> None:
    assert decode_auth_field(auth) == expected


@pytest.mark.parametrize(
    "auth",
    [
        "not base64!",
        B64(b"nocolon").decode(),
        "YWI6Yw=",  # wrong padding
        "YWI6Yw==YQ==",
        " " + B64(b"u:p").decode(),
        "YWI6Y",  # impossible length
    ],
)
def test_bad_auth_is_fatal(auth: str) -> None:
    secret = decode_secret(
        "kubernetes.io/dockerconfigjson",
        {".dockerconfigjson": config_json({"r.io": {"auth": auth}})},
    )
    assert secret.used and secret.error and not secret.entries
    assert auth not in secret.error


def test_legacy_dockercfg_is_a_bare_map() -> None:
    raw = json.dumps(
        {"https://index.docker.io/v1/": {"auth": B64(b"jane:pw").decode(), "email": "j@x"}}
    ).encode()
    secret = decode_secret("kubernetes.io/dockercfg", {".dockercfg": raw})
    (entry,) = secret.entries
    assert (entry.key, entry.username, entry.password) == (
        "https://index.docker.io/v1/",
        "jane",
        "pw",
    )
    assert parse_dockercfg(b"null") == []


@pytest.mark.parametrize(
    ("secret_type", "data", "reason"),
    [
        (
            "Opaque",
            {".dockerconfigjson": config_json({})},
            "not a docker-registry type although it holds .dockerconfigjson",
        ),
        ("kubernetes.io/basic-auth", {"username": b"u"}, "not a docker-registry type"),
        (
            "kubernetes.io/dockerconfigjson",
            {".dockerconfigjson": b""},
            "data key .dockerconfigjson is empty",
        ),
        ("kubernetes.io/dockerconfigjson", {}, "data key .dockerconfigjson is missing"),
        # the legacy type with the new key, and the reverse, are ignored too
        (
            "kubernetes.io/dockercfg",
            {".dockerconfigjson": config_json({})},
            "data key .dockercfg is missing",
        ),
    ],
)
def test_ignored_secrets(secret_type: str, data: dict[str, bytes], reason: str) -> None:
    secret = decode_secret(secret_type, data)
    assert not secret.used and secret.ignored_reason is not None
    assert reason in secret.ignored_reason


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'"a string"',
        b'{"auths": []}',
        b'{"auths": "x"}',
        b'{"auths": {"r.io": "x"}}',
        b'{"auths": {"r.io": {"username": 5}}}',
        b'{"auths": {"r.io": {"password": ["p"]}}}',
        b'{"auths": {"r.io": {"auth": true}}}',
        b'{"auths": {}, "HttpHeaders": 5}',
        b'{"auths": {"r.io": {"username": NaN}}}',
        b"\xef\xbb\xbf{}",  # a byte-order mark
    ],
)
def test_decoding_errors(raw: bytes) -> None:
    with pytest.raises(DockerConfigError):
        parse_docker_config_json(raw)


def test_json_without_auths_gives_no_entries() -> None:
    assert parse_docker_config_json(b'{"credsStore": "desktop"}') == []
    assert parse_docker_config_json(b"null") == []
    assert parse_docker_config_json(b'{"auths": null}') == []


def test_go_json_field_names_are_case_insensitive_and_repeated_auths_merge() -> None:
    entries = parse_docker_config_json(
        b'{"AUTHS": {"a.io": {"UserName": "u", "PASSWORD": "p"}}, "auths": {"b.io": {"username": "v"}}}'
    )
    assert [(e.key, e.username, e.password) for e in entries] == [
        ("a.io", "u", "p"),
        ("b.io", "v", ""),
    ]


def test_duplicate_keys_keep_the_last_value() -> None:
    (entry,) = parse_docker_config_json(
        b'{"auths": {"r.io": {"username": "a"}, "r.io": {"username": "b"}}}'
    )
    assert entry.username == "b"


def test_null_fields_and_unknown_fields_are_ignored() -> None:
    (entry,) = parse_docker_config_json(
        b'{"auths": {"r.io": {"username": null, "identitytoken": "t", "registrytoken": "r"}}}'
    )
    assert (entry.username, entry.password) == ("", "")


def test_invalid_utf8_inside_strings_is_replaced_not_fatal() -> None:
    (entry,) = parse_docker_config_json(b'{"auths": {"r.io": {"username": "a\xffb"}}}')
    assert entry.username == "a\ufffdb"


def test_password_is_not_in_repr() -> None:
    (entry,) = parse_docker_config_json(
        config_json({"r.io": {"username": "u", "password": "hunter2-marker"}})
    )
    assert "hunter2-marker" not in repr(entry)


def test_error_messages_carry_no_secret_material() -> None:
    raw = b'{"auths": {"r.io": {"password": "S3cr3t-marker", "auth": "S3cr3t-marker-not-b64!"}}}'
    secret = decode_secret("kubernetes.io/dockerconfigjson", {".dockerconfigjson": raw})
    assert secret.error and "S3cr3t" not in secret.error


def test_a_password_inside_a_key_never_reaches_a_decoding_error() -> None:
    raw = b'{"auths": {"https://robot:Key-pw-marker@r.io": {"auth": "!!"}}}'
    secret = decode_secret("kubernetes.io/dockerconfigjson", {".dockerconfigjson": raw})
    assert secret.error is not None and "<redacted>@r.io" in secret.error
    assert "Key-pw-marker" not in secret.error

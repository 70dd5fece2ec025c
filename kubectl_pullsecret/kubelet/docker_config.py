"""Decoding docker-registry Secrets and docker config files the way the kubelet does.

Sources: pkg/credentialprovider/secrets/secrets.go (MakeDockerKeyring: which secrets count) and
pkg/credentialprovider/config.go (DockerConfigEntry.UnmarshalJSON, decodeDockerConfigFieldAuth).
The kubelet decodes with Go's encoding/json, so this module reproduces its quirks that matter:
field names match case-insensitively, a value of the wrong JSON type is an error, and an error
anywhere in any pull secret fails the whole lookup for the Pod.

Nothing here prints or logs: decoded passwords live only in the returned dataclasses.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

DOCKER_CONFIG_JSON_TYPE = "kubernetes.io/dockerconfigjson"
DOCKER_CONFIG_JSON_KEY = ".dockerconfigjson"
DOCKERCFG_TYPE = "kubernetes.io/dockercfg"
DOCKERCFG_KEY = ".dockercfg"
PULL_SECRET_TYPES = {DOCKER_CONFIG_JSON_TYPE: DOCKER_CONFIG_JSON_KEY, DOCKERCFG_TYPE: DOCKERCFG_KEY}


class DockerConfigError(ValueError):
    """The kubelet's json.Unmarshal would fail: fatal for every pull of the Pod.

    Messages never contain secret material, only positions, types and key names.
    """


@dataclass(frozen=True)
class RegistryEntry:
    """One registry key of a docker config, decoded as the kubelet decodes it."""

    key: str
    username: str
    password: str = field(repr=False)
    email: str = ""
    # Does `auth` agree with the username and password written beside it? "absent" (no auth),
    # "only" (auth alone), "agrees" or "differs" (auth wins, so the written pair is unused).
    auth: str = "absent"
    # identitytoken and registrytoken, which docker reads and the kubelet ignores: only their
    # expiry is reported.
    tokens: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class DecodedSecret:
    """What the kubelet makes of one Secret.

    `used` is False when the kubelet silently ignores the secret (wrong type, missing or empty
    data key); `ignored_reason` says why. `error` is set when decoding fails, which blocks every
    credential of the Pod.
    """

    type: str
    data_key: str | None
    used: bool
    entries: tuple[RegistryEntry, ...] = ()
    ignored_reason: str | None = None
    error: str | None = None


@dataclass
class _GoEntry:
    username: str = ""
    password: str = field(default="", repr=False)
    email: str = ""
    auth: str = field(default="", repr=False)
    seen: set[str] = field(default_factory=set)
    tokens: list[tuple[str, str]] = field(default_factory=list, repr=False)


def _reject_constant(name: str) -> None:
    # Python accepts NaN and Infinity; Go's decoder does not.
    raise DockerConfigError(
        f"invalid JSON: invalid character {name[0]!r} looking for beginning of value"
    )


def _go_json_loads(raw: bytes) -> object:
    """json.loads with Go's differences that matter: UTF-8 only, no NaN, duplicates kept."""
    text = raw.decode("utf-8", errors="replace")  # Go replaces invalid UTF-8 inside strings
    try:
        return json.loads(text, object_pairs_hook=_Pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DockerConfigError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise DockerConfigError("invalid JSON: exceeded max depth") from None


class _Pairs(list):
    """A JSON object as its ordered (key, value) pairs, duplicates included, as Go sees them."""


def _type_name(value: object) -> str:
    if isinstance(value, _Pairs):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _fold_equal(a: str, b: str) -> bool:
    # encoding/json matches struct field names case-insensitively (after an exact match fails).
    return a.casefold() == b.casefold()


def key_userinfo(key: str) -> str:
    """The `user:password` part of a key written as a URL; the kubelet drops it, we hide it."""
    authority = key.split("://", 1)[-1].split("/", 1)[0]
    return authority.rpartition("@")[0]


def mask_key(key: str) -> str:
    userinfo = key_userinfo(key)
    return key.replace(userinfo + "@", "<redacted>@", 1) if userinfo else key


def _decode_entry(key: str, value: object) -> _GoEntry:
    entry = _GoEntry()
    if value is None:
        return entry
    if not isinstance(value, _Pairs):
        raise DockerConfigError(
            f"entry {mask_key(key)!r}: cannot unmarshal {_type_name(value)} into an object"
        )
    for name, item in value:
        token = next((t for t in ("identitytoken", "registrytoken") if _fold_equal(name, t)), None)
        if token is not None and isinstance(item, str) and item:
            entry.tokens.append((token, item))  # a field Go's decoder drops: never an error
        for go_field in ("username", "password", "email", "auth"):
            if _fold_equal(name, go_field):
                if item is None:
                    break
                if not isinstance(item, str):
                    raise DockerConfigError(
                        f"entry {mask_key(key)!r}: field {go_field!r} is {_a(_type_name(item))}, not a string"
                    )
                setattr(entry, go_field, item)
                entry.seen.add(go_field)
                break
    return entry


def _go_base64_decode(text: str) -> bytes:
    """decodeDockerConfigFieldAuth: padded when it ends in '=', unpadded otherwise."""
    # Go's base64 decoder skips \r and \n; everything else outside the alphabet is an error.
    compact = text.replace("\r", "").replace("\n", "")
    if text.strip().endswith("="):
        if len(compact) % 4:
            raise binascii.Error("illegal base64 data")
        return base64.b64decode(compact, validate=True)
    if "=" in compact or len(compact) % 4 == 1:
        raise binascii.Error("illegal base64 data")
    return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)


def decode_auth_field(auth: str) -> tuple[str, str]:
    """base64("user:password") to (user, password), split at the first colon."""
    try:
        decoded = _go_base64_decode(auth)
    except (binascii.Error, ValueError):
        raise DockerConfigError("auth is not valid base64") from None
    text = decoded.decode("utf-8", errors="surrogateescape")
    username, colon, password = text.partition(":")
    if not colon:
        raise DockerConfigError("auth must be base64(username:password), but has no colon")
    return username, password


def _to_registry_entry(key: str, go_entry: _GoEntry) -> RegistryEntry:
    tokens = tuple(go_entry.tokens)
    if not go_entry.auth:
        return RegistryEntry(
            key, go_entry.username, go_entry.password, go_entry.email, "absent", tokens
        )
    try:
        username, password = decode_auth_field(go_entry.auth)
    except DockerConfigError as exc:
        raise DockerConfigError(f"entry {mask_key(key)!r}: {exc}") from None
    if not {"username", "password"} & go_entry.seen:
        state = "only"
    elif (username, password) == (go_entry.username, go_entry.password):
        state = "agrees"
    else:
        state = "differs"
    return RegistryEntry(key, username, password, go_entry.email, state, tokens)


def _decode_auth_map(value: object, where: str) -> list[RegistryEntry]:
    if value is None:
        return []
    if not isinstance(value, _Pairs):
        raise DockerConfigError(f"{where} is {_a(_type_name(value))}, not an object")
    # Go decodes into a map: a duplicate key keeps the last value, at the first one's place.
    merged: dict[str, object] = {}
    for key, item in value:
        merged[key] = item
    return [_to_registry_entry(key, _decode_entry(key, item)) for key, item in merged.items()]


def parse_docker_config_json(raw: bytes) -> list[RegistryEntry]:
    """`.dockerconfigjson` or config.json: {"auths": {KEY: ENTRY}} (DockerConfigJSON)."""
    document = _go_json_loads(raw)
    if document is None:
        return []
    if not isinstance(document, _Pairs):
        raise DockerConfigError(f"the config is a JSON {_type_name(document)}, not an object")
    entries: dict[str, RegistryEntry] = {}
    for name, value in document:
        if _fold_equal(name, "auths"):
            # Go reuses the map for a repeated "auths": entries merge.
            for entry in _decode_auth_map(value, "auths"):
                entries[entry.key] = entry
        elif (
            _fold_equal(name, "HttpHeaders")
            and value is not None
            and (not isinstance(value, _Pairs) or any(not isinstance(v, str) for _, v in value))
        ):
            raise DockerConfigError("HttpHeaders must be an object of strings")
    return list(entries.values())


def parse_dockercfg(raw: bytes) -> list[RegistryEntry]:
    """Legacy `.dockercfg`: a bare {KEY: ENTRY} map (credentialprovider.DockerConfig)."""
    return _decode_auth_map(_go_json_loads(raw), "the config")


def decode_secret(secret_type: str, data: Mapping[str, bytes]) -> DecodedSecret:
    """What the kubelet makes of a Secret with this type and (already base64-decoded) data."""
    data_key = PULL_SECRET_TYPES.get(secret_type)
    if data_key is None:
        present = [k for k in PULL_SECRET_TYPES.values() if k in data]
        hint = f" although it holds {present[0]}" if present else ""
        return DecodedSecret(
            secret_type,
            present[0] if present else None,
            used=False,
            ignored_reason=f"type {secret_type or '<empty>'} is not a docker-registry type{hint}",
        )
    raw = data.get(data_key)
    if not raw:
        what = "is empty" if raw is not None else "is missing"
        return DecodedSecret(
            secret_type, data_key, used=False, ignored_reason=f"data key {data_key} {what}"
        )
    parse = parse_docker_config_json if data_key == DOCKER_CONFIG_JSON_KEY else parse_dockercfg
    try:
        entries = parse(raw)
    except DockerConfigError as exc:
        return DecodedSecret(secret_type, data_key, used=True, error=str(exc))
    return DecodedSecret(secret_type, data_key, used=True, entries=tuple(entries))


def decode_config_file(raw: bytes) -> DecodedSecret | None:
    """A docker config file as the kubelet reads node credentials: `config.json` ({"auths":
    ...}) or a legacy `.dockercfg` map. None when the bytes are no JSON object of either kind
    (not JSON at all, or a Kubernetes manifest: it has `kind` and `apiVersion`)."""
    try:
        document = _go_json_loads(raw)
    except DockerConfigError:
        return None
    if isinstance(document, _Pairs):
        names = [name for name, _ in document]
        if any(_fold_equal(n, "auths") for n in names):
            return decode_secret(DOCKER_CONFIG_JSON_TYPE, {DOCKER_CONFIG_JSON_KEY: raw})
        if "kind" in names and "apiVersion" in names:
            return None
    return decode_secret(DOCKERCFG_TYPE, {DOCKERCFG_KEY: raw})

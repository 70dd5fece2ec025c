"""The kubelet's registry keyring: key normalization and repository matching.

A port of pkg/credentialprovider/keyring.go (BasicDockerKeyring.Add and Lookup, URLsMatch,
ParseSchemelessURL, SplitURL, isDefaultRegistryMatch), with the parts of Go's net/url and
path/filepath.Match that decide its results.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kubectl_pullsecret.kubelet.docker_config import RegistryEntry, mask_key

DEFAULT_REGISTRY_HOST = "index.docker.io"


class GoURLError(ValueError):
    """Go's url.Parse would fail: the kubelet skips such a key."""


@dataclass(frozen=True)
class GoURL:
    host: str  # host[:port] as written (Go keeps the case)
    path: str  # percent-decoded


# shouldEscape(c, encodeHost) is false for these ASCII bytes; any other ASCII byte is an error.
_HOST_OK = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:[]<>\"%"
)


def _unescape(text: str, *, host: bool) -> str:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", errors="surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # '%'
            hexpart = raw[i + 1 : i + 3]
            if len(hexpart) < 2 or not re.fullmatch(rb"[0-9a-fA-F]{2}", hexpart):
                raise GoURLError("invalid URL escape")
            value = int(hexpart, 16)
            if host and value < 0x80 and hexpart.lower() != b"25":
                raise GoURLError("invalid URL escape in host")
            out.append(value)
            i += 3
            continue
        if host and c < 0x80 and chr(c) not in _HOST_OK:
            raise GoURLError(f"invalid character {chr(c)!r} in host name")
        out.append(c)
        i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _valid_optional_port(port: str) -> bool:
    return port == "" or re.fullmatch(r":[0-9]*", port) is not None


_USERINFO_OK = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*")


def _parse_host(authority: str) -> str:
    userinfo, at, host = authority.rpartition("@")  # userinfo is dropped from Host
    if at:
        if not _USERINFO_OK.fullmatch(userinfo):
            raise GoURLError("invalid userinfo")
        _unescape(userinfo, host=False)
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise GoURLError("missing ']' in host")
        if not _valid_optional_port(host[end + 1 :]):
            raise GoURLError("invalid port after host")
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _valid_optional_port(host[colon:]):
            raise GoURLError("invalid port after host")
    return _unescape(host, host=True)


def parse_url(raw: str) -> GoURL:
    """net/url.Parse for the absolute http(s) URLs the keyring builds."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise GoURLError("invalid control character in URL")
    without_fragment = raw.partition("#")[0]
    _scheme, sep, rest = without_fragment.partition("://")
    if not sep:
        raise GoURLError("missing scheme")
    rest = rest.partition("?")[0]
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    return GoURL(host=_parse_host(authority), path=_unescape(path, host=False))


@functools.lru_cache(maxsize=4096)  # pure, and asked again for every image and key
def parse_schemeless_url(value: str) -> GoURL:
    return parse_url("https://" + value)


@functools.lru_cache(maxsize=4096)
def normalize_key(key: str) -> str:
    """BasicDockerKeyring.Add: the index key for a docker config key. Raises GoURLError."""
    value = key if key.startswith(("https://", "http://")) else "https://" + key
    parsed = parse_url(value)
    path = parsed.path
    if path.startswith(("/v2/", "/v1/")):
        path = path[3:]
    return parsed.host + path if path and path != "/" else parsed.host


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """net.SplitHostPort; None where Go returns an error (then the kubelet uses Host whole)."""
    colon = hostport.rfind(":")
    if colon < 0:
        return None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or end + 1 != colon:
            return None
        host, after_host = hostport[1:end], hostport[end + 1 :]
        if "[" in hostport[1:] or "]" in after_host:
            return None
    else:
        host = hostport[:colon]
        if ":" in host or "[" in hostport or "]" in hostport:
            return None
    return host, hostport[colon + 1 :]


def split_url(url: GoURL) -> tuple[list[str], str]:
    split = _split_host_port(url.host)
    host, port = split if split is not None else (url.host, "")
    return host.split("."), port


class BadPattern(ValueError):
    pass


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise BadPattern
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern
    r, chunk = chunk[0], chunk[1:]
    if not chunk:
        raise BadPattern
    return r, chunk


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    """Go's matchChunk. Returns (rest, ok); raises BadPattern like Go's ErrBadPattern."""
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            matched = False
            nrange = 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk.startswith("-"):
                    hi, chunk = _get_esc(chunk[1:])
                if lo <= r <= hi:
                    matched = True
                nrange += 1
            if matched == negated:
                failed = True
        elif c == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        elif c == "\\":
            chunk = chunk[1:]
            if not chunk:
                raise BadPattern
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if not failed:
                if c != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def _check_pattern(pattern: str) -> None:
    """Go's filepath.Match validates the rest of the pattern after a mismatch."""
    while pattern:
        _, chunk, pattern = _scan_chunk(pattern)
        _match_chunk(chunk, "")


def filepath_match(pattern: str, name: str) -> bool:
    """path/filepath.Match on a '/'-separated system. Raises BadPattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if star:
            found = False
            i = 0
            while i < len(name) and name[i] != "/":
                rest, ok = _match_chunk(chunk, name[i + 1 :])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    found = True
                    break
                i += 1
            if found:
                continue
        _check_pattern(pattern)
        return False
    return not name


def urls_match(glob: GoURL, target: GoURL) -> bool:
    """keyring.go URLsMatch: ports equal as strings, same label count, path prefix, label globs."""
    glob_parts, glob_port = split_url(glob)
    target_parts, target_port = split_url(target)
    if glob_port != target_port or len(glob_parts) != len(target_parts):
        return False
    if not target.path.startswith(glob.path):
        return False
    try:
        return all(filepath_match(g, t) for g, t in zip(glob_parts, target_parts, strict=True))
    except BadPattern:
        return False


@functools.lru_cache(maxsize=16384)
def urls_match_str(glob: str, target: str) -> bool:
    try:
        return urls_match(parse_schemeless_url(glob), parse_schemeless_url(target))
    except GoURLError:
        return False


def is_default_registry_match(repository: str) -> bool:
    first, sep, _ = repository.partition("/")
    if not first:
        return False
    if not sep:
        return True
    if first in ("docker.io", "index.docker.io"):
        return True
    return not any(c in first for c in ".:")


@dataclass(frozen=True)
class Credential:
    """One credential the kubelet may offer: from which source, under which key."""

    source: str  # "secret/NAME" or a file path
    key: str  # the key as the kubelet normalized it
    written_key: str  # the key as written in the config, its userinfo masked
    username: str
    password: str = field(repr=False)
    email: str = ""


@dataclass(frozen=True)
class SkippedKey:
    source: str
    written_key: str
    reason: str


class Keyring:
    """BasicDockerKeyring: keys de-duplicated and reverse-sorted; credentials per key in order."""

    def __init__(self) -> None:
        self._creds: dict[str, list[Credential]] = {}
        self.skipped: list[SkippedKey] = []

    def add(self, source: str, entries: Iterable[RegistryEntry]) -> None:
        for entry in entries:
            # The key as written is shown in messages: its userinfo (a password) never is.
            written = mask_key(entry.key)
            try:
                key = normalize_key(entry.key)
            except GoURLError as exc:
                self.skipped.append(SkippedKey(source, written, str(exc)))
                continue
            credential = Credential(
                source, key, written, entry.username, entry.password, entry.email
            )
            self._creds.setdefault(key, []).append(credential)

    @property
    def index(self) -> list[str]:
        return sorted(self._creds, reverse=True)

    def lookup(self, repository: str) -> list[Credential]:
        """The credentials the kubelet offers for a normalized repository, in its order."""
        matched = [
            c for key in self.index if urls_match_str(key, repository) for c in self._creds[key]
        ]
        if matched:
            return matched
        if is_default_registry_match(repository):
            return list(self._creds.get(DEFAULT_REGISTRY_HOST, []))
        return []

    def all_credentials(self) -> list[Credential]:
        return [c for key in self.index for c in self._creds[key]]


@dataclass(frozen=True)
class NearMiss:
    written_key: str
    source: str
    explanation: str


def _docker_hub_near_miss(key: str) -> str | None:
    if key == "index.docker.io/v1":
        return (
            "the key lacks its trailing slash: the kubelet reads 'https://index.docker.io/v1' as "
            "path /v1 on index.docker.io, which no image matches; write https://index.docker.io/v1/"
        )
    host = key.split("/", 1)[0]
    if host == "registry-1.docker.io":
        return (
            "registry-1.docker.io is Docker Hub's API host, which the kubelet never matches to "
            "images; use https://index.docker.io/v1/ (or docker.io)"
        )
    if host in ("index.docker.io", "docker.io") and "/" in key:
        return f"the path in key {key!r} is not a prefix of this repository"
    return None


def near_misses(repository: str, credentials: Iterable[Credential]) -> list[NearMiss]:
    """Keys that look meant for this repository but do not match it, each with the reason."""
    target = parse_schemeless_url(repository)
    target_labels, target_port = split_url(target)
    docker_hub = is_default_registry_match(repository)
    misses: list[NearMiss] = []
    seen: set[str] = set()
    for cred in credentials:
        if cred.written_key in seen:
            continue
        seen.add(cred.written_key)
        explanation: str | None = None
        if docker_hub:
            explanation = _docker_hub_near_miss(cred.key)
        if explanation is None:
            try:
                glob = parse_schemeless_url(cred.key)
            except GoURLError:
                continue
            labels, port = split_url(glob)
            same_host = [g.lower() for g in labels] == [t.lower() for t in target_labels]
            if same_host and port != target_port:
                explanation = (
                    f"the ports differ ({port or 'none'} in the key, {target_port or 'none'} in "
                    "the image): the kubelet compares ports as written, with no defaults"
                )
            elif same_host and labels != target_labels:
                explanation = (
                    "the host differs in letter case; the kubelet compares it case-sensitively"
                )
            elif same_host and not target.path.startswith(glob.path):
                explanation = (
                    f"the key's path {glob.path} is not a prefix of the repository path "
                    f"{target.path}"
                )
            elif (
                port == target_port
                and any("*" in g for g in labels)
                and len(labels) != len(target_labels)
            ):
                explanation = (
                    f"a wildcard matches exactly one host label: {cred.key!r} has {len(labels)} "
                    f"labels, the registry has {len(target_labels)}"
                )
        if explanation is not None:
            misses.append(NearMiss(cred.written_key, cred.source, explanation))
    return misses

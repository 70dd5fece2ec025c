"""The distribution auth protocol's pieces, pure (docs/spec/api.md, spec/auth/token.md): the
WWW-Authenticate challenges, the token request, and where Docker Hub's API lives."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from kubectl_pullsecret.kubelet.image_ref import DEFAULT_DOMAIN, ImageRef
from kubectl_pullsecret.registry.http import split_hostport

DOCKER_HUB_API_HOST = "registry-1.docker.io"
# What Docker Hub's /v2/ challenge names; kept for documentation and tests. The flow itself
# always follows the challenge the registry sends.
DOCKER_HUB_REALM = "https://auth.docker.io/token"
DOCKER_HUB_SERVICE = "registry.docker.io"


# RFC 6750 b64token. Anything else in a token (a newline above all) would make http.client
# raise ValueError with the header value, that is the token, in the message.
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "basic", "bearer", ...
    params: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    def get(self, name: str) -> str | None:
        return self.params.get(name)


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _parse_challenges(value: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    params: dict[str, str] | None = None
    i = 0
    n = len(value)
    while i < n:
        i = _skip(value, i, " \t,")
        match = _HTTP_TOKEN.match(value, i)
        if match is None:
            break  # malformed: keep what was understood so far
        name = match.group()
        j = _skip(value, match.end(), " \t")
        if params is not None and j < n and value[j] == "=":
            j = _skip(value, j + 1, " \t")
            if j < n and value[j] == '"':
                chars: list[str] = []
                j += 1
                while j < n and value[j] != '"':
                    if value[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(value[j])
                    j += 1
                param_value = "".join(chars)
                j += 1  # the closing quote
            else:
                # Lenient like Go clients: unquoted realms (https://a/b) are not tokens.
                start = j
                while j < n and value[j] not in ", \t":
                    j += 1
                param_value = value[start:j]
            params.setdefault(name.lower(), param_value)
            i = j
        else:
            params = {}
            challenges.append(Challenge(name.lower(), params))
            i = j
    return challenges


def parse_www_authenticate(values: str | Iterable[str]) -> list[Challenge]:
    """All challenges in one or more WWW-Authenticate header values (RFC 7235)."""
    if isinstance(values, str):
        values = [values]
    return [challenge for value in values for challenge in _parse_challenges(value)]


def select_challenge(challenges: Iterable[Challenge]) -> Challenge | None:
    """Bearer before Basic, as containerd orders them; other schemes are not understood."""
    by_scheme = {c.scheme: c for c in reversed(list(challenges))}
    return by_scheme.get("bearer") or by_scheme.get("basic")


def token_url(realm: str, service: str | None, scope: str) -> str:
    """realm?service=S&scope=SCOPE, keeping any query the realm already has."""
    parts = urlsplit(realm)
    params = [("service", service)] if service else []
    params.append(("scope", scope))
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def pull_scope(image: ImageRef) -> str:
    return f"repository:{image.path}:pull"


def registry_endpoint(domain: str) -> tuple[str, int | None]:
    """The API host and port for an image domain: docker.io is served by registry-1.docker.io."""
    if domain == DEFAULT_DOMAIN:
        return DOCKER_HUB_API_HOST, None
    return split_hostport(domain)

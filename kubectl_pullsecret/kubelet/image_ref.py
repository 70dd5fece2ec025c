"""Image references, normalized exactly as the kubelet does before it looks up credentials.

A port of distribution/reference (ParseNormalizedNamed, splitDockerDomain, the reference
grammar) as used by the kubelet's pkg/util/parsers.ParseImageName. The kubelet looks up
credentials by the repository name only; tag and digest play no part.

One rule differs by kubelet version: the 255-character name limit. docker/distribution
(kubelet <= 1.28) and distribution/reference v0.5.0 (1.29-1.31) count the whole name,
domain included (`len(matches[1])` in reference.go Parse); v0.6.0 (kubelet 1.32+, CHANGELOG-1.32
dependencies) counts the path only (`len(repo.path)`). versions.KubeletRules
.name_length_counts_domain says which applies; the default is the newest kubelet's rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
NAME_TOTAL_LENGTH_MAX = 255

# The grammar of distribution/reference regexp.go. Go's \w is ASCII-only, hence no \w here.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?")
_ANCHORED_NAME = re.compile(rf"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})")
_ANCHORED_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
# go-digest: only these algorithms are available, each with its exact lowercase hex length.
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


class InvalidImageName(ValueError):
    """The kubelet would refuse this image with the waiting reason InvalidImageName."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference. `repository` is what the kubelet's keyring looks up."""

    original: str
    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == DEFAULT_DOMAIN

    @property
    def reference(self) -> str:
        """Tag or digest the runtime asks the registry for; `latest` when neither is given."""
        return self.digest or self.tag or "latest"


def split_docker_domain(name: str) -> tuple[str, str]:
    """distribution/reference splitDockerDomain: (domain, remainder)."""
    first, sep, rest = name.partition("/")
    if not sep or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def _validate_digest(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    if expected is None:
        raise InvalidImageName(f"unsupported digest algorithm {algorithm!r}")
    if len(encoded) != expected or not re.fullmatch(r"[a-f0-9]+", encoded):
        raise InvalidImageName(f"invalid {algorithm} digest (want {expected} lowercase hex digits)")


@functools.lru_cache(maxsize=8192)  # pure; every verdict of a Pod asks again
def parse_image(image: str, *, length_counts_domain: bool = False) -> ImageRef:
    """reference.ParseNormalizedNamed, raising InvalidImageName where the kubelet would.

    `length_counts_domain`: apply the name length limit to domain and path together, as
    kubelets before 1.32 do (KubeletRules.name_length_counts_domain).
    """
    if _ANCHORED_IDENTIFIER.fullmatch(image):
        raise InvalidImageName("cannot specify 64-byte hexadecimal strings as a repository name")
    domain, remainder = split_docker_domain(image)
    remote_name = remainder.partition(":")[0]
    if remote_name.lower() != remote_name:
        raise InvalidImageName("repository name must be lowercase")

    candidate = f"{domain}/{remainder}"
    match = _REFERENCE.fullmatch(candidate)
    if match is None:
        # An empty name too: splitDockerDomain makes it docker.io/library/, which Parse refuses
        # as `invalid reference format` (ErrNameEmpty is only for an empty string).
        if _REFERENCE.fullmatch(candidate.lower()):
            raise InvalidImageName("repository name must be lowercase")
        raise InvalidImageName("invalid reference format")
    name, tag, digest = match.groups()
    name_match = _ANCHORED_NAME.fullmatch(name)
    assert name_match is not None  # the reference grammar embeds the name grammar
    counted = name if length_counts_domain else name_match.group(2)
    if len(counted) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidImageName(
            f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    if digest is not None:
        _validate_digest(digest)
    return ImageRef(
        original=image,
        domain=name_match.group(1) or "",
        path=name_match.group(2),
        tag=tag,
        digest=digest,
    )

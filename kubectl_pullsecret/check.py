"""`check IMAGE`: the credentials the kubelet would offer for an image, from given sources. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubectl_pullsecret.diagnosis import (
    SecretFetch,
    SecretStatus,
    docker_server_for,
    node_provider_for,
)
from kubectl_pullsecret.imageref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.keyring import Credential, Keyring, near_misses
from kubectl_pullsecret.problems import Code, Problem, Severity


@dataclass(frozen=True)
class Match:
    source: str
    key: str
    username: str


@dataclass(frozen=True)
class CheckReport:
    image: str
    repository: str | None
    registry: str | None
    matches: tuple[Match, ...]
    problems: tuple[Problem, ...]
    offered: tuple[Credential, ...] = field(default=(), repr=False, compare=False)
    image_ref: ImageRef | None = field(default=None, repr=False, compare=False)


def check_image(image: str, sources: Sequence[tuple[str, SecretFetch]]) -> CheckReport:
    """Sources in the kubelet's order: (label, fetched secret or decoded file)."""
    try:
        ref = parse_image(image)
    except InvalidImageName as exc:
        problem = Problem(
            Code.INVALID_IMAGE_NAME,
            Severity.ERROR,
            f"not a valid image reference ({exc}); the kubelet refuses it with InvalidImageName",
            "repository names are lowercase: [registry[:port]/]path[:tag][@digest]",
        )
        return CheckReport(image, None, None, (), (problem,))
    keyring = Keyring()
    problems: list[Problem] = []
    malformed = False
    usable = 0
    for label, fetch in sources:
        decoded = fetch.decoded
        if fetch.status is SecretStatus.MISSING:
            problems.append(
                Problem(
                    Code.SECRET_NOT_FOUND,
                    Severity.ERROR,
                    f"{label} does not exist" + (f" {fetch.detail}" if fetch.detail else ""),
                    "check the name and namespace",
                )
            )
        elif fetch.status is not SecretStatus.FOUND or decoded is None:
            problems.append(
                Problem(
                    Code.SECRET_UNREADABLE,
                    Severity.WARNING,
                    f"{label} cannot be read: {fetch.detail}",
                    "ask for `get secrets` permission",
                )
            )
        elif decoded.error is not None:
            malformed = True
            problems.append(
                Problem(
                    Code.SECRET_MALFORMED,
                    Severity.ERROR,
                    f"{label} cannot be decoded: {decoded.error}. The kubelet would refuse all pull secrets of such a Pod.",
                    "re-create it with kubectl create secret docker-registry",
                )
            )
        elif not decoded.used:
            problems.append(
                Problem(
                    Code.SECRET_WRONG_TYPE,
                    Severity.ERROR,
                    f"{label} is ignored by the kubelet: {decoded.ignored_reason}",
                    "use type kubernetes.io/dockerconfigjson with key .dockerconfigjson",
                )
            )
        else:
            usable += 1
            keyring.add(label, decoded.entries)
            for entry in decoded.entries:
                if entry.auth == "differs":
                    problems.append(
                        Problem(
                            Code.AUTH_FIELD_MISMATCH,
                            Severity.WARNING,
                            f"{label}, key {entry.key!r}: auth disagrees with username/password; the kubelet uses auth",
                            "make them agree",
                        )
                    )
    creds = [] if malformed else keyring.lookup(ref.repository)
    if not creds and not malformed:
        misses = near_misses(ref.repository, keyring.all_credentials())
        covered = ", ".join(sorted({c.key for c in keyring.all_credentials()})) or "nothing"
        detail = "".join(
            f" Near miss: key {m.written_key!r} in {m.source}: {m.explanation}." for m in misses
        )
        if usable:  # otherwise the unusable sources already explain it
            problems.append(
                Problem(
                    Code.NO_CREDENTIALS_FOR_REGISTRY,
                    Severity.ERROR,
                    f"no credential matches {ref.repository}; the sources cover: {covered}. The kubelet would pull anonymously.{detail}",
                    f"add a key for {docker_server_for(ref)!r} (kubectl create secret docker-registry NAME --docker-server={docker_server_for(ref)} ...)",
                )
            )
        provider = node_provider_for(ref.domain)
        if provider:
            problems.append(
                Problem(
                    Code.NODE_CREDENTIALS_POSSIBLE,
                    Severity.INFO,
                    f"{ref.domain} is {provider}: nodes may get credentials from a kubelet credential provider, which this tool cannot see",
                    "",
                )
            )
    matches = tuple(Match(c.source, c.key, c.username) for c in creds)
    return CheckReport(
        image, ref.repository, ref.domain, matches, tuple(problems), tuple(creds), ref
    )

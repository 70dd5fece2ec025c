"""One image: the credentials the kubelet would offer for it, from given sources. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubectl_pullsecret.kubelet.credential_providers import provider_for
from kubectl_pullsecret.kubelet.image_ref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import Credential, Keyring, near_misses
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy, expiry_problems
from kubectl_pullsecret.verdicts.fixes import docker_server_for
from kubectl_pullsecret.verdicts.secret import decoded_secret_problems


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
    kubelet: KubeletRules = field(default_factory=rules_for, compare=False)


def check_image(
    image: str,
    sources: Sequence[tuple[str, SecretFetch]],
    expiry: ExpiryPolicy | None = None,
    rules: KubeletRules | None = None,
) -> CheckReport:
    """Sources in the kubelet's order: (label, fetched secret or decoded file)."""
    rules = rules or rules_for()
    try:
        ref = parse_image(image, length_counts_domain=rules.name_length_counts_domain)
    except InvalidImageName as exc:
        problem = (
            catalogue.invalid_image_name(image, str(exc)) if image else catalogue.empty_image_name()
        )
        return CheckReport(image, None, None, (), (problem,), kubelet=rules)
    keyring = Keyring()
    problems: list[Problem] = []
    malformed = False
    usable = 0
    for label, fetch in sources:
        decoded = fetch.decoded
        if fetch.status is SecretStatus.MISSING:
            where = f" {fetch.detail}" if fetch.detail else ""
            problems.append(
                catalogue.secret_not_found(label, where, "check the name and namespace")
            )
        elif fetch.status is not SecretStatus.FOUND or decoded is None:
            problems.append(
                catalogue.secret_unreadable(label, fetch.detail, "ask for `get secrets` permission")
            )
        else:
            problems += decoded_secret_problems(
                label,
                decoded,
                blocked="the pull secrets of a Pod that lists it",
                malformed_fix="re-create it with kubectl create secret docker-registry",
                wrong_type_fix="use type kubernetes.io/dockerconfigjson with key .dockerconfigjson",
            )
            malformed |= decoded.error is not None
            if decoded.used and decoded.error is None:
                usable += 1
                keyring.add(label, decoded.entries)
    creds = [] if malformed else keyring.lookup(ref.repository)
    if not creds and not malformed:
        if usable:  # otherwise the unusable sources already explain it
            all_creds = keyring.all_credentials()
            misses = near_misses(ref.repository, all_creds)
            server = docker_server_for(ref)
            problems.append(
                catalogue.no_credentials_for_registry(
                    f"no credential matches {ref.repository}; the sources",
                    ", ".join(sorted({c.key for c in all_creds})) or "nothing",
                    "".join(
                        f" Near miss: key {m.written_key!r} in {m.source}: {m.explanation}."
                        for m in misses
                    ),
                    f"add a key for {server!r} (kubectl create secret docker-registry NAME "
                    f"--docker-server={server} ...)",
                    anonymous=" The kubelet would pull anonymously.",
                )
            )
        provider = provider_for(ref.domain)
        if provider:
            problems.append(catalogue.node_credentials_possible(ref.domain, provider))
    for c in creds:
        problems += expiry_problems(
            c.source, c.written_key, c.username, c.password, expiry, "renew the credential"
        )
    matches = tuple(Match(c.source, c.key, c.username) for c in creds)
    return CheckReport(
        image, ref.repository, ref.domain, matches, tuple(problems), tuple(creds), ref, rules
    )

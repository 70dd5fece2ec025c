"""`show SECRET`: a docker-registry Secret decoded as the kubelet reads it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from kubectl_pullsecret.dockerconfig import DecodedSecret, mask_key
from kubectl_pullsecret.keyring import GoURLError, normalize_key
from kubectl_pullsecret.problems import Code, Problem, Severity

REDACTED = "<redacted>"


@dataclass(frozen=True)
class EntryView:
    key: str
    registry: str  # the key as the kubelet normalizes it; empty when it ignores the key
    username: str
    email: str
    password: str  # REDACTED unless revealed
    password_length: int
    auth: str  # absent | only | agrees | differs


@dataclass(frozen=True)
class SecretView:
    namespace: str
    name: str
    type: str
    data_key: str | None
    entries: tuple[EntryView, ...]
    problems: tuple[Problem, ...]
    used_by: tuple[str, ...]


def _key_problem(name: str, key: str, registry: str) -> Problem | None:
    if registry == "index.docker.io/v1":
        return Problem(
            Code.NO_CREDENTIALS_FOR_REGISTRY,
            Severity.WARNING,
            f"{name}: key {key!r} lacks its trailing slash, so the kubelet reads it as path /v1 on index.docker.io and no Docker Hub image matches it",
            "write the key as https://index.docker.io/v1/",
        )
    if registry.split("/", 1)[0] == "registry-1.docker.io":
        return Problem(
            Code.NO_CREDENTIALS_FOR_REGISTRY,
            Severity.WARNING,
            f"{name}: key {key!r} is Docker Hub's API host, which the kubelet never matches to images",
            "write the key as https://index.docker.io/v1/",
        )
    return None


def view_secret(
    namespace: str,
    name: str,
    decoded: DecodedSecret,
    used_by: tuple[str, ...],
    *,
    reveal: bool = False,
) -> SecretView:
    problems: list[Problem] = []
    label = f'Secret "{name}"'
    if decoded.error is not None:
        problems.append(
            Problem(
                Code.SECRET_MALFORMED,
                Severity.ERROR,
                f"{label} cannot be decoded ({decoded.data_key}: {decoded.error}); the kubelet refuses all pull secrets of any Pod that lists it",
                f"re-create it: kubectl create secret docker-registry {name} -n {namespace} --docker-server=... --dry-run=client -o yaml | kubectl replace -f -",
            )
        )
    elif not decoded.used:
        problems.append(
            Problem(
                Code.SECRET_WRONG_TYPE,
                Severity.ERROR,
                f"{label} is ignored by the kubelet: {decoded.ignored_reason}",
                "re-create it with type kubernetes.io/dockerconfigjson (kubectl create secret docker-registry)",
            )
        )
    elif not decoded.entries:
        problems.append(
            Problem(
                Code.NO_CREDENTIALS_FOR_REGISTRY,
                Severity.WARNING,
                f"{label} holds no registry entries",
                "add an entry under auths",
            )
        )
    entries = []
    for entry in decoded.entries:
        try:
            registry = normalize_key(entry.key)
        except GoURLError as exc:
            registry = ""
            problems.append(
                Problem(
                    Code.NO_CREDENTIALS_FOR_REGISTRY,
                    Severity.WARNING,
                    f"{label}: key {entry.key!r} is not a valid URL ({exc}); the kubelet ignores it",
                    "write the key as host[:port]",
                )
            )
        else:
            problem = _key_problem(label, entry.key, registry)
            if problem:
                problems.append(problem)
        if entry.auth == "differs":
            problems.append(
                Problem(
                    Code.AUTH_FIELD_MISMATCH,
                    Severity.WARNING,
                    f"{label}, key {entry.key!r}: auth disagrees with username/password; the kubelet uses auth",
                    "re-create the secret so both agree",
                )
            )
        entries.append(
            EntryView(
                key=entry.key if reveal else mask_key(entry.key),
                registry=registry,
                username=entry.username,
                email=entry.email,
                password=entry.password if reveal else REDACTED,
                password_length=len(entry.password),
                auth=entry.auth,
            )
        )
    return SecretView(
        namespace, name, decoded.type, decoded.data_key, tuple(entries), tuple(problems), used_by
    )

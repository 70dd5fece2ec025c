"""One pull secret as the kubelet reads it: its problems, and its view for `show`. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from kubectl_pullsecret.kubelet.docker_config import DecodedSecret, RegistryEntry, mask_key
from kubectl_pullsecret.kubelet.keyring import GoURLError, normalize_key
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import (
    ExpiryPolicy,
    credential_expiry,
    expiry_problems,
    iso,
)
from kubectl_pullsecret.verdicts.fixes import replace_secret_command

REDACTED = "<redacted>"


def decoded_secret_problems(
    subject: str, decoded: DecodedSecret, *, blocked: str, malformed_fix: str, wrong_type_fix: str
) -> list[Problem]:
    """What is wrong with a fetched secret, as the kubelet would meet it.

    `blocked`: whose pull secrets a decoding error blocks; the fixes re-create the secret.
    """
    if decoded.error is not None:
        return [
            catalogue.secret_malformed(
                subject, decoded.data_key, decoded.error, blocked, malformed_fix
            )
        ]
    if not decoded.used:
        return [catalogue.secret_wrong_type(subject, decoded.ignored_reason or "", wrong_type_fix)]
    problems: list[Problem] = []
    for entry in decoded.entries:
        try:
            normalize_key(entry.key)
        except GoURLError as exc:
            problems.append(catalogue.key_not_a_url(subject, mask_key(entry.key), str(exc)))
        if entry.auth == "differs":
            problems.append(catalogue.auth_field_mismatch(subject, mask_key(entry.key)))
    return problems


@dataclass(frozen=True)
class EntryView:
    key: str
    registry: str  # the key as the kubelet normalizes it; empty when it ignores the key
    username: str
    email: str
    password: str  # REDACTED unless revealed
    password_length: int
    auth: str  # absent | only | agrees | differs
    expires: str = ""  # when the credential says it ends (UTC), or how long it lives


@dataclass(frozen=True)
class SecretView:
    namespace: str
    name: str
    type: str
    data_key: str | None
    entries: tuple[EntryView, ...]
    problems: tuple[Problem, ...]
    used_by: tuple[str, ...]


def view_secret(
    namespace: str,
    name: str,
    decoded: DecodedSecret,
    used_by: tuple[str, ...],
    *,
    reveal: bool = False,
    expiry: ExpiryPolicy | None = None,
) -> SecretView:
    subject = f'Secret "{name}"'
    problems = decoded_secret_problems(
        subject,
        decoded,
        blocked="the pull secrets of any Pod that lists it",
        malformed_fix=f"re-create it: {replace_secret_command(name, namespace, '...')}",
        wrong_type_fix="re-create it with type kubernetes.io/dockerconfigjson "
        "(kubectl create secret docker-registry)",
    )
    if decoded.used and decoded.error is None and not decoded.entries:
        problems.append(catalogue.secret_without_entries(subject))
    entries = []
    for entry in decoded.entries:
        try:
            registry = normalize_key(entry.key)
        except GoURLError:
            registry = ""
        trap = catalogue.key_matches_no_docker_hub_image(subject, mask_key(entry.key), registry)
        if trap is not None:
            problems.append(trap)
        renew = f"renew it: {replace_secret_command(name, namespace, registry or '...')}"
        problems += expiry_problems(
            subject, entry.key, entry.username, entry.password, expiry, renew, entry.tokens
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
                expires=_expires(entry),
            )
        )
    return SecretView(
        namespace, name, decoded.type, decoded.data_key, tuple(entries), tuple(problems), used_by
    )


def _expires(entry: RegistryEntry) -> str:
    """The earliest end the entry's credentials state, for the table and the JSON."""
    found = credential_expiry(entry.username, entry.password, entry.tokens)
    dated = [e.expires_at for e in found if e.expires_at is not None]
    if dated:
        return iso(min(dated))
    return next((f"{e.lifetime}" for e in found), "")

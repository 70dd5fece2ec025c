"""Credentials that die: the expiry a credential carries, read offline, and copies of one
account's password that drifted apart. Pure; never a credential byte in a result.

- A JWT (ACR and many registries' tokens, identity and registry tokens) carries `exp`.
- An ECR authorization token (`aws ecr get-login-password`, user AWS) is base64 of JSON with
  `expiration` (epoch seconds); tokens live 12 hours.
- A GCP access token (user `oauth2accesstoken`) carries no date: it lives one hour from issue.
- Copies of one account (registry key and username) whose passwords differ were rotated in one
  place and not the others. They are compared by a fingerprint salted per run, never by value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from kubectl_pullsecret.kubelet.docker_config import DecodedSecret, RegistryEntry, mask_key
from kubectl_pullsecret.kubelet.keyring import GoURLError, normalize_key
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.expiry import ExpiryPolicy

# Dates outside these are not believed: a token's claims are written by whoever made it.
_EARLIEST, _LATEST = 946684800, 253402300799  # 2000-01-01, 9999-12-31
_MAX_TOKEN = 64 << 10  # real tokens are a few kB; anything larger is not decoded


@dataclass(frozen=True)
class Expiry:
    """When a credential stops working, as far as it says."""

    what: str  # "JWT password", "ECR authorization token", "identitytoken (JWT)", ...
    expires_at: float | None  # epoch seconds; None when the credential cannot be dated
    lifetime: str = ""  # for an undatable one, how long such credentials live


def _b64decode(text: str, urlsafe: bool) -> bytes | None:
    if len(text) > _MAX_TOKEN:
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded.encode("ascii"))
        return base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _json_object(raw: bytes | None) -> dict[str, object] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _epoch(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if _EARLIEST <= value <= _LATEST else None


def jwt_expiry(token: str) -> float | None:
    """The `exp` of a JWT (header.payload.signature, base64url JSON), or None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    header, payload = (_json_object(_b64decode(p, urlsafe=True)) for p in parts[:2])
    if header is None or payload is None or not isinstance(header.get("alg"), str):
        return None
    return _epoch(payload.get("exp"))


def ecr_expiry(password: str) -> float | None:
    """The `expiration` of an ECR authorization token, or None."""
    document = _json_object(_b64decode(password, urlsafe=False))
    if document is None or "payload" not in document:
        return None
    return _epoch(document.get("expiration"))


def credential_expiry(
    username: str, password: str, tokens: Iterable[tuple[str, str]] = ()
) -> list[Expiry]:
    """What a credential says about its end: its password, and the tokens docker keeps beside
    it (which the kubelet ignores)."""
    found: list[Expiry] = []
    if username == "oauth2accesstoken":
        found.append(Expiry("GCP access token", None, "one hour from issue"))
    elif (when := jwt_expiry(password)) is not None:
        found.append(Expiry("password (a JWT)", when))
    elif (when := ecr_expiry(password)) is not None:
        found.append(Expiry("ECR authorization token", when))
    for name, token in tokens:
        if (when := jwt_expiry(token)) is not None:
            found.append(Expiry(f"{name} (a JWT; the kubelet does not use it)", when))
    return found


def iso(epoch: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def remaining(seconds: float) -> str:
    """`3h 20m`, `2d 4h`, `45s`: a duration people read."""
    seconds = int(max(seconds, 0))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"


# --- drift ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """Where one account's credential is kept: a secret in a namespace of a cluster (its
    kubeconfig context, in a run over several), under a key."""

    namespace: str
    secret: str
    key: str
    context: str = ""

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.secret}"


@dataclass(frozen=True)
class Divergence:
    """One account (registry and username) whose copies hold different passwords."""

    registry: str
    username: str
    versions: tuple[tuple[Copy, ...], ...]  # copies grouped by password, largest group first


def diverged(
    entries: Iterable[tuple[str, str, str, RegistryEntry]], salt: bytes | None = None
) -> list[Divergence]:
    """Accounts whose copies disagree, over (context, namespace, secret, entry): across the
    namespaces of a cluster, and across clusters. The salt lives as long as the run, in
    memory: a fingerprint is never shown, and no two runs' fingerprints can be compared."""
    salt = salt if salt is not None else secrets.token_bytes(32)
    accounts: dict[tuple[str, str], dict[bytes, list[Copy]]] = {}
    for context, namespace, secret, entry in entries:
        if not entry.username:
            continue
        try:
            registry = normalize_key(entry.key)
        except GoURLError:
            continue
        fingerprint = hmac.new(
            salt, entry.password.encode("utf-8", "surrogateescape"), hashlib.sha256
        ).digest()
        accounts.setdefault((registry, entry.username), {}).setdefault(fingerprint, []).append(
            Copy(namespace, secret, entry.key, context)
        )
    found = []
    for (registry, username), versions in sorted(accounts.items()):
        if len(versions) > 1:
            groups = sorted(
                (
                    tuple(sorted(set(copies), key=lambda c: (c.context, c.namespace, c.secret)))
                    for copies in versions.values()
                ),
                key=lambda g: (-len(g), g[0].context, g[0].namespace, g[0].secret),
            )
            found.append(Divergence(registry, username, tuple(groups)))
    return found


# --- as verdicts ------------------------------------------------------------------------------


def expiry_problems(
    subject: str,
    written_key: str,
    username: str,
    password: str,
    policy: ExpiryPolicy | None,
    fix: str,
    tokens: Iterable[tuple[str, str]] = (),
) -> list[Problem]:
    """The expiry verdicts of one credential; none without a policy (no clock to judge by)."""
    if policy is None:
        return []
    key = mask_key(written_key)
    problems = []
    for expiry in credential_expiry(username, password, tokens):
        if expiry.expires_at is None:
            problems.append(
                catalogue.credentials_short_lived(subject, key, expiry.what, expiry.lifetime)
            )
        elif expiry.expires_at <= policy.now:
            problems.append(
                catalogue.credentials_expired(
                    subject, key, username, expiry.what, iso(expiry.expires_at), fix
                )
            )
        elif expiry.expires_at <= policy.now + policy.window:
            problems.append(
                catalogue.credentials_expiring(
                    subject,
                    key,
                    username,
                    expiry.what,
                    iso(expiry.expires_at),
                    remaining(expiry.expires_at - policy.now),
                    fix,
                )
            )
    return problems


# Beyond this many clusters, the copies holding the most common password are counted, not
# named: the odd ones out are always named in full.
MAX_NAMED_CLUSTERS = 5


def _where(copies: tuple[Copy, ...], name_all: bool) -> str:
    """`shop/regcred, search/pull`; over several clusters, the clusters of each copy:
    `shop/regcred in prod-eu, prod-us`."""
    by_label: dict[str, list[str]] = {}
    for copy in copies:
        by_label.setdefault(copy.label, []).append(copy.context)
    parts = []
    for label, contexts in by_label.items():
        named = [c for c in dict.fromkeys(contexts) if c]
        if not named:
            parts.append(label)
        elif name_all or len(named) <= MAX_NAMED_CLUSTERS:
            parts.append(f"{label} in {', '.join(named)}")
        else:
            shown = ", ".join(named[:MAX_NAMED_CLUSTERS])
            parts.append(f"{label} in {shown} and {len(named) - MAX_NAMED_CLUSTERS} more clusters")
    return ", ".join(parts)


def divergence_problem(divergence: Divergence) -> Problem:
    versions = "; ".join(
        f"{_where(copies, name_all=i > 0)} ({'one' if len(copies) == 1 else len(copies)} "
        f"holding password {chr(ord('A') + i)})"
        for i, copies in enumerate(divergence.versions)
    )
    first = divergence.versions[0][0]
    context = f" --context {first.context}" if first.context else ""
    return catalogue.credentials_diverged(
        divergence.registry,
        divergence.username,
        versions,
        "find the copy the registry accepts (kubectl pullsecret show SECRET -n NS --verify, or "
        f"kubectl pullsecret check IMAGE --secret {first.secret} -n {first.namespace}{context} "
        "--verify) and write its password into the others",
    )


def problems_by_copy(
    entries: Iterable[tuple[str, str, str, RegistryEntry]],
) -> dict[tuple[str, str, str], list[Problem]]:
    """CredentialsDiverged for every (context, namespace, secret) holding a copy that differs."""
    found: dict[tuple[str, str, str], list[Problem]] = {}
    for divergence in diverged(entries):
        problem = divergence_problem(divergence)
        for copy in dict.fromkeys(c for version in divergence.versions for c in version):
            where = (copy.context, copy.namespace, copy.secret)
            if problem not in found.setdefault(where, []):
                found[where].append(problem)
    return found


# --- expiry over many secrets -----------------------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    """A credential that has ended, or ends within the warning window."""

    context: str
    namespace: str
    secret: str
    key: str  # as written, its userinfo masked
    username: str
    what: str
    expires_at: float


def expiring(
    secrets_: Iterable[tuple[str, str, str, DecodedSecret]], policy: ExpiryPolicy
) -> list[Expiring]:
    """Over (context, namespace, name, decoded): the credentials that ended or end within the
    window, the soonest first."""
    found = [
        Expiring(context, namespace, name, mask_key(e.key), e.username, x.what, x.expires_at)
        for context, namespace, name, decoded in secrets_
        for e in decoded.entries
        for x in credential_expiry(e.username, e.password, e.tokens)
        if x.expires_at is not None and x.expires_at <= policy.now + policy.window
    ]
    return sorted(found, key=lambda x: (x.expires_at, x.context, x.namespace, x.secret))

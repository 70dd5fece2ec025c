"""`show`: docker-registry Secrets decoded as the kubelet reads them, with who uses them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather import PullSecrets, gather_secret, gather_secrets
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.commands.diagnose import log_stats
from kubectl_pullsecret.commands.verify import VerifyRequest, verify
from kubectl_pullsecret.kubelet.docker_config import DecodedSecret
from kubectl_pullsecret.kubelet.image_ref import InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import Keyring
from kubectl_pullsecret.secrecy import remember
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import (
    ExpiryPolicy,
    diverged,
    divergence_problem,
)
from kubectl_pullsecret.verdicts.secret import SecretView, view_secret


@dataclass(frozen=True)
class Shown:
    views: list[SecretView]
    warnings: list[str]


def show(
    connection: KubeOptions,
    secret: str | None,
    all_namespaces: bool,
    reveal: bool,
    verify_request: VerifyRequest | None,
    expiry: ExpiryPolicy | None = None,
) -> Shown:
    """One secret (by name) or the inventory of every pull secret in scope."""
    client = KubeClient(connection)
    try:
        found: PullSecrets = (
            gather_secret(client, client.namespace, secret)
            if secret
            else gather_secrets(client, None if all_namespaces else client.namespace)
        )
    finally:
        log_stats(client)
        client.close()
    remember(found.sensitive)
    views = [
        view_secret(
            ns, name, decoded, use.users, reveal=reveal and secret is not None, expiry=expiry
        )
        for ns, name, decoded, use in found.secrets
    ]
    if secret is None:
        views = _with_divergences(views, found)
    if verify_request is not None and secret:
        _, _, decoded, use = found.secrets[0]
        views = [_verified(views[0], decoded, use.pod_images, verify_request)]
    return Shown(views, found.warnings)


def _with_divergences(views: list[SecretView], found: PullSecrets) -> list[SecretView]:
    """The inventory, with the copies of one account that hold different passwords."""
    entries = [(ns, name, e) for ns, name, decoded, _ in found.secrets for e in decoded.entries]
    extra: dict[tuple[str, str], list[Problem]] = {}
    for divergence in diverged(entries):
        problem = divergence_problem(divergence)
        for copy in {c for version in divergence.versions for c in version}:
            extra.setdefault((copy.namespace, copy.secret), []).append(problem)
    return [
        replace(v, problems=(*v.problems, *extra[(v.namespace, v.name)]))
        if (v.namespace, v.name) in extra
        else v
        for v in views
    ]


def _verified(
    view: SecretView, decoded: DecodedSecret, pod_images: tuple[str, ...], request: VerifyRequest
) -> SecretView:
    """The secret checked live against the images of the Pods that use it."""
    if decoded.error is not None or not decoded.used:
        return view
    keyring = Keyring()
    keyring.add(f"secret/{view.name}", decoded.entries)
    pairs = []
    for image in pod_images:
        try:
            ref = parse_image(image)
        except InvalidImageName:
            continue
        credentials = keyring.lookup(ref.repository)
        if credentials:
            pairs.append((ref, credentials))
    if not pairs:
        return replace(
            view, problems=(*view.problems, catalogue.nothing_to_verify(view.name, view.namespace))
        )
    verdicts = verify(request, pairs)
    found = tuple(
        replace(p, message=f"{ref.original}: {p.message}")
        for (ref, _), v in zip(pairs, verdicts, strict=True)
        for p in v.problems
    )
    return replace(view, problems=view.problems + found)

"""`show`: docker-registry Secrets decoded as the kubelet reads them, with who uses them, in one
cluster or in many."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
from kubectl_pullsecret.cluster.gather.show import PullSecrets, gather_secret, gather_secrets
from kubectl_pullsecret.commands.fleet import ClusterResult, Clusters, read_clusters
from kubectl_pullsecret.commands.verify import VerifyRequest, verify
from kubectl_pullsecret.kubelet.docker_config import DecodedSecret
from kubectl_pullsecret.kubelet.image_ref import InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.keyring import Keyring
from kubectl_pullsecret.verdicts import catalogue
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import (
    Expiring,
    ExpiryPolicy,
    expiring,
    problems_by_copy,
)
from kubectl_pullsecret.verdicts.secret import SecretView, view_secret


@dataclass(frozen=True)
class Shown:
    """One cluster's secrets, as views."""

    views: list[SecretView]
    warnings: list[str]


@dataclass(frozen=True)
class ShowRequest:
    secret: str | None  # one secret by name; None: every pull secret in scope
    all_namespaces: bool
    reveal: bool
    expiry: ExpiryPolicy | None = None


@dataclass(frozen=True)
class Showing:
    clusters: list[ClusterResult[Shown]]
    expiring: list[Expiring]  # credentials that ended or end soon, the soonest first


def show(
    clusters: Clusters, request: ShowRequest, verify_request: VerifyRequest | None = None
) -> Showing:
    """One secret (by name) or the inventory of every pull secret in scope, in each cluster.
    The copies of each account are compared across namespaces (the inventory) and across the
    clusters of a run over several."""
    found = read_clusters(clusters, lambda client: _gather(client, request))
    secrets = [
        (r.context, ns, name, decoded, use)
        for r in found
        if r.value is not None
        for ns, name, decoded, use in r.value.secrets
    ]
    copies: dict[tuple[str, str, str], list[Problem]] = {}
    if request.secret is None or clusters.fleet:
        copies = problems_by_copy(
            (context, ns, name, entry)
            for context, ns, name, decoded, _ in secrets
            for entry in decoded.entries
        )
    results = []
    for result in found:
        if result.value is None:
            results.append(ClusterResult(result.context, error=result.error))
            continue
        views = []
        for ns, name, decoded, use in result.value.secrets:
            view = view_secret(
                ns,
                name,
                decoded,
                use.users,
                reveal=request.reveal and request.secret is not None,
                expiry=request.expiry,
            )
            view = replace(
                view, problems=(*view.problems, *copies.get((result.context, ns, name), ()))
            )
            if verify_request is not None and request.secret:
                view = _verified(view, decoded, use.pod_images, verify_request)
            views.append(view)
        results.append(ClusterResult(result.context, Shown(views, result.value.warnings)))
    dated = (
        expiring([(c, ns, name, decoded) for c, ns, name, decoded, _ in secrets], request.expiry)
        if request.expiry
        else []
    )
    return Showing(results, dated)


def _gather(client: KubeClient, request: ShowRequest) -> PullSecrets:
    namespace = None if request.all_namespaces else client.namespace
    reader = ClusterReader(client, Scope(namespace))
    return gather_secret(reader, request.secret) if request.secret else gather_secrets(reader)


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

"""What `show` reads: docker-registry Secrets, decoded, and who references them."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubectl_pullsecret.cluster.client import core_path
from kubectl_pullsecret.cluster.errors import Forbidden, KubeError, NotFound
from kubectl_pullsecret.cluster.gather.batch import Key
from kubectl_pullsecret.cluster.gather.core import ClusterReader
from kubectl_pullsecret.cluster.objects import names_of, pod_facts, secret_fetch
from kubectl_pullsecret.kubelet.docker_config import DecodedSecret


@dataclass(frozen=True)
class SecretUse:
    """Who references one pull secret: `pod/x` and `serviceaccount/y`, and the Pods' images."""

    users: tuple[str, ...] = ()
    pod_images: tuple[str, ...] = ()


@dataclass
class PullSecrets:
    """Docker-registry Secrets as decoded, each with its users; passwords included (for
    --verify, --reveal and the comparison of copies only)."""

    secrets: list[tuple[str, str, DecodedSecret, SecretUse]]  # (namespace, name, decoded, use)
    warnings: list[str] = field(default_factory=list)


def _uses(reader: ClusterReader) -> dict[Key, SecretUse]:
    """Who references which pull secret in scope. One list of Pods and one of ServiceAccounts."""
    client, namespace = reader.client, reader.scope.namespace
    users: dict[Key, list[str]] = {}
    images: dict[Key, list[str]] = {}
    where = f"namespace {namespace}" if namespace else "any namespace"
    try:
        for pod in client.list_all(core_path("pods", namespace)):
            facts = pod_facts(pod)
            for name in dict.fromkeys(n for n in facts.pull_secret_names if n):
                users.setdefault((facts.namespace, name), []).append(f"pod/{facts.name}")
                images.setdefault((facts.namespace, name), []).extend(
                    c.image for c in facts.containers
                )
    except Forbidden:
        reader.warnings.append(f"cannot list pods in {where} (forbidden); 'used by' is incomplete")
    try:
        for account in client.list_all(core_path("serviceaccounts", namespace)):
            meta = account.get("metadata") or {}
            for name in dict.fromkeys(n for n in names_of(account.get("imagePullSecrets")) if n):
                users.setdefault((str(meta.get("namespace", "")), name), []).append(
                    f"serviceaccount/{meta.get('name', '')}"
                )
    except Forbidden:
        reader.warnings.append(
            f"cannot list serviceaccounts in {where} (forbidden); 'used by' is incomplete"
        )
    return {
        key: SecretUse(tuple(users.get(key, ())), tuple(dict.fromkeys(images.get(key, ()))))
        for key in users.keys() | images.keys()
    }


def gather_secret(reader: ClusterReader, name: str) -> PullSecrets:
    """`show SECRET`: the secret decoded, who uses it, and the images they pull."""
    namespace = reader.scope.namespace
    assert namespace is not None
    try:
        secret = reader.client.get(core_path("secrets", namespace, name))
    except NotFound:
        raise KubeError(f'secret "{name}" not found in namespace "{namespace}"') from None
    except Forbidden as exc:
        raise KubeError(f"{exc} (need: get secrets)") from None
    decoded = secret_fetch(name, secret).decoded
    assert decoded is not None
    use = _uses(reader).get((namespace, name), SecretUse())
    return PullSecrets([(namespace, name, decoded, use)], reader.warnings)


def gather_secrets(reader: ClusterReader) -> PullSecrets:
    """`show` without a name: every docker-registry Secret in scope, with who uses it."""
    found = [
        (ns, name, fetch.decoded)
        for (ns, name), fetch in sorted(reader.secrets.in_scope().items())
        if fetch.decoded is not None
    ]
    if not found:
        reader.check_namespace()
    uses = _uses(reader) if found else {}
    return PullSecrets(
        [(ns, name, decoded, uses.get((ns, name), SecretUse())) for ns, name, decoded in found],
        reader.warnings,
    )

"""What `check IMAGE --secret NAME` reads: those secrets, in the order given."""

from __future__ import annotations

from kubectl_pullsecret.cluster.gather.core import ClusterReader
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus


def fetch_secrets(reader: ClusterReader, names: list[str]) -> list[tuple[str, SecretFetch]]:
    """The named secrets of the reader's namespace: [(name, SecretFetch)], in the order given."""
    namespace = reader.scope.namespace
    assert namespace is not None
    found = reader.secrets.named({(namespace, n) for n in names})
    if any(f.status is SecretStatus.MISSING for f in found.values()):
        reader.check_namespace()
    return [(n, found[(namespace, n)]) for n in names]

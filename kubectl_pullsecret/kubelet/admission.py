"""ServiceAccount admission: which pull secrets reach the kubelet.

plugin/pkg/admission/serviceaccount/admission.go runs when a Pod is created, and only then: it
copies the ServiceAccount's `imagePullSecrets` into a Pod that has none, and never merges the
two lists. A Pod that exists already never changes, so the Pod's spec is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubectl_pullsecret.kubelet.pod import SecretStatus


@dataclass(frozen=True)
class ServiceAccountFacts:
    name: str
    status: SecretStatus  # found | missing | forbidden | error
    pull_secret_names: tuple[str, ...] = ()
    # Its annotations, for the workload-identity keys a credential provider may use (KEP-4412).
    annotations: tuple[tuple[str, str], ...] = ()


def admitted_pull_secrets(
    pod_pull_secrets: tuple[str, ...], account: ServiceAccountFacts | None
) -> tuple[str, ...]:
    """The list a new Pod gets: its own, or else its ServiceAccount's."""
    if pod_pull_secrets or account is None or account.status is not SecretStatus.FOUND:
        return pod_pull_secrets
    return account.pull_secret_names


def not_admitted(
    pod_pull_secrets: tuple[str, ...], account: ServiceAccountFacts | None
) -> tuple[str, ...]:
    """The ServiceAccount's pull secrets that this existing Pod lacks."""
    if account is None or account.status is not SecretStatus.FOUND:
        return ()
    return tuple(n for n in account.pull_secret_names if n and n not in pod_pull_secrets)

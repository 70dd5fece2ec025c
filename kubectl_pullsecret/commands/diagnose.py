"""`diagnose pod`: gather the troubled Pods, judge them, and ask the registries when asked."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.events import PodWarnings
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.cluster.workloads import POD, Target
from kubectl_pullsecret.secrecy import remember

if TYPE_CHECKING:
    from kubectl_pullsecret.commands.verify import VerifyRequest
    from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy
    from kubectl_pullsecret.verdicts.facts import SeenAttempt
    from kubectl_pullsecret.verdicts.pod import ContainerReport

    # Attempts `--wait` saw: by (namespace, Pod), then by (container kind, container name).
    Seen = dict[tuple[str, str], dict[tuple[str, str], SeenAttempt]]

log = logging.getLogger("kubectl_pullsecret")


@dataclass(frozen=True)
class Diagnosis:
    reports: list[ContainerReport]
    warnings: list[str]
    namespace: str  # the namespace in scope (the context's when -n is not given)


def _latent(report: ContainerReport) -> ContainerReport:
    """A workload's template seen by `diagnose pod`: its Pods run, and only a broken pull
    secret would fail them at their next pull (a warning, as for a Running Pod)."""
    from kubectl_pullsecret.verdicts.catalogue import SECRET_LEVEL, Severity

    problems = tuple(
        p.with_severity(Severity.WARNING) if p.severity is Severity.ERROR else p
        for p in report.problems
        if p.code in SECRET_LEVEL
    )
    return replace(report, problems=problems, latent=True)


def log_stats(client: KubeClient) -> None:
    log.debug("%d API requests, %d bytes read", client.stats.requests, client.stats.bytes_read)


def diagnose(
    connection: KubeOptions,
    target: Target,
    all_namespaces: bool,
    selector: str | None,
    verify: VerifyRequest | None,
    expiry: ExpiryPolicy | None = None,
    seen: Seen | None = None,
) -> Diagnosis:
    """A Pod by name: its every container. Otherwise the containers with findings."""
    client = KubeClient(connection)
    namespace = None if all_namespaces else client.namespace
    # Every diagnosis but a named Pod's reads the events: their list, the longest wait, runs
    # while the rest of the plugin is imported.
    early = None if target.kind is POD and target.name else PodWarnings(client, namespace)
    from kubectl_pullsecret.cluster.gather import gather_diagnosis
    from kubectl_pullsecret.commands.verify import verified_reports
    from kubectl_pullsecret.verdicts.pod import diagnose_pod

    try:
        gathered = gather_diagnosis(client, namespace, target, selector, early)
    finally:
        log_stats(client)
        client.close()
    remember(gathered.sensitive)
    seen = seen or {}
    reports = [
        r
        for ctx in gathered.contexts
        for r in diagnose_pod(
            replace(ctx, expiry=expiry, seen=seen.get((ctx.pod.namespace, ctx.pod.name), {}))
        )
    ]
    if target.kind is not POD or target.name is None:
        reports = [r for r in reports if r.has_findings]
    if target.kind is POD and target.name is None:
        reports = [_latent(r) if r.template else r for r in reports]
        reports = [r for r in reports if r.has_findings]
    if verify is not None:
        reports = verified_reports(verify, reports)
    return Diagnosis(reports, gathered.warnings, client.namespace)

"""`audit`: would every workload still pull on a fresh node? Every top-level owner's pod
template and every bare Pod is judged as the kubelet would pull it now, with the expiry and
the drift of the credentials it would use: drift across namespaces, and across the clusters of
a run over several."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather.audit import Audited, gather_audit
from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
from kubectl_pullsecret.commands.diagnose import Diagnosis
from kubectl_pullsecret.commands.fleet import ClusterResult, Clusters, read_clusters
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import (
    Expiring,
    ExpiryPolicy,
    expiring,
    problems_by_copy,
)
from kubectl_pullsecret.verdicts.pod import diagnose_pod


@dataclass(frozen=True)
class AuditRequest:
    all_namespaces: bool
    selector: str | None
    expiry: ExpiryPolicy


def _gather(client: KubeClient, request: AuditRequest) -> tuple[Audited, str]:
    namespace = None if request.all_namespaces else client.namespace
    reader = ClusterReader(client, Scope(namespace, request.selector))
    return gather_audit(reader), client.namespace


@dataclass(frozen=True)
class Audit:
    clusters: list[ClusterResult[Diagnosis]]
    expiring: list[Expiring]  # credentials that ended or end soon, the soonest first


def audit(clusters: Clusters, request: AuditRequest) -> Audit:
    """Each cluster's audit. The copies of every account are compared once all clusters are
    read, so each cluster's workloads are judged then."""
    gathered = read_clusters(clusters, lambda client: _gather(client, request))
    secrets = [
        (r.context, ns, name, decoded)
        for r in gathered
        if r.value is not None
        for ns, name, decoded in r.value[0].secrets
    ]
    copies: dict[tuple[str, str], dict[str, tuple[Problem, ...]]] = {}
    for (context, ns, name), problems in problems_by_copy(
        (context, ns, name, entry)
        for context, ns, name, decoded in secrets
        for entry in decoded.entries
    ).items():
        copies.setdefault((context, ns), {})[name] = tuple(problems)
    results = []
    for result in gathered:
        if result.value is None:
            results.append(ClusterResult(result.context, error=result.error))
            continue
        audited, namespace = result.value
        reports = [
            report
            for ctx in audited.contexts
            for report in diagnose_pod(
                replace(
                    ctx,
                    expiry=request.expiry,
                    divergences=copies.get((result.context, ctx.pod.namespace), {}),
                )
            )
            if report.has_findings
        ]
        results.append(
            ClusterResult(result.context, Diagnosis(reports, audited.warnings, namespace))
        )
    return Audit(results, expiring(secrets, request.expiry))

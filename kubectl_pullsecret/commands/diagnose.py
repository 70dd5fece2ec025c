"""`diagnose`: gather the troubled Pods of a cluster, judge them, and ask the registries when
asked (once for every cluster of a run)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.events import PodWarnings
from kubectl_pullsecret.cluster.workloads import POD, Target
from kubectl_pullsecret.commands.fleet import ClusterResult

if TYPE_CHECKING:
    from kubectl_pullsecret.commands.verify import VerifyRequest
    from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy
    from kubectl_pullsecret.verdicts.facts import SeenAttempt
    from kubectl_pullsecret.verdicts.pod import ContainerReport

    # Attempts `--wait` saw: by (namespace, Pod), then by (container kind, container name).
    Seen = dict[tuple[str, str], dict[tuple[str, str], SeenAttempt]]


@dataclass(frozen=True)
class Diagnosis:
    """One cluster's findings."""

    reports: list[ContainerReport]
    warnings: list[str]
    namespace: str  # the namespace in scope (the context's when -n is not given)


@dataclass(frozen=True)
class DiagnoseRequest:
    target: Target
    all_namespaces: bool
    selector: str | None
    expiry: ExpiryPolicy | None = None
    seen: Seen = field(default_factory=dict)  # what `--wait` saw of the kubelet's attempts


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


def diagnose(client: KubeClient, request: DiagnoseRequest) -> Diagnosis:
    """One cluster. A Pod by name: its every container. Otherwise the containers with findings."""
    target = request.target
    namespace = None if request.all_namespaces else client.namespace
    # Every diagnosis but a named Pod's reads the events: their list, the longest wait, runs
    # while the rest of the plugin is imported.
    early = None if target.kind is POD and target.name else PodWarnings(client, namespace)
    from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
    from kubectl_pullsecret.cluster.gather.diagnose import gather_diagnosis
    from kubectl_pullsecret.verdicts.pod import diagnose_pod

    reader = ClusterReader(client, Scope(namespace, request.selector))
    contexts, warnings = gather_diagnosis(reader, target, early)
    reports = [
        r
        for ctx in contexts
        for r in diagnose_pod(
            replace(
                ctx,
                expiry=request.expiry,
                seen=request.seen.get((ctx.pod.namespace, ctx.pod.name), {}),
            )
        )
    ]
    if target.kind is not POD or target.name is None:
        reports = [r for r in reports if r.has_findings]
    if target.kind is POD and target.name is None:
        reports = [_latent(r) if r.template else r for r in reports]
        reports = [r for r in reports if r.has_findings]
    return Diagnosis(reports, warnings, client.namespace)


def verified(
    request: VerifyRequest | None, results: list[ClusterResult[Diagnosis]]
) -> list[ClusterResult[Diagnosis]]:
    """The registries' live answers, asked once for all clusters: a credential copied into
    many clusters is checked once per repository."""
    if request is None:
        return results
    from kubectl_pullsecret.commands.verify import verified_reports

    everything = verified_reports(
        request, [r for result in results if result.value for r in result.value.reports]
    )
    out = []
    for result in results:
        if result.value is None:
            out.append(result)
            continue
        mine, everything = (
            everything[: len(result.value.reports)],
            everything[len(result.value.reports) :],
        )
        out.append(replace(result, value=replace(result.value, reports=mine)))
    return out

"""`audit`: would every workload still pull on a fresh node? Every top-level owner's pod
template and every bare Pod is judged as the kubelet would pull it now, with the expiry and
the drift of the credentials it would use."""

from __future__ import annotations

from dataclasses import replace

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather import gather_audit
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.commands.diagnose import Diagnosis, log_stats
from kubectl_pullsecret.commands.verify import VerifyRequest, verified_reports
from kubectl_pullsecret.secrecy import remember
from kubectl_pullsecret.verdicts.catalogue import Problem
from kubectl_pullsecret.verdicts.credential_health import (
    ExpiryPolicy,
    diverged,
    divergence_problem,
)
from kubectl_pullsecret.verdicts.pod import diagnose_pod


def audit(
    connection: KubeOptions,
    all_namespaces: bool,
    selector: str | None,
    verify: VerifyRequest | None,
    expiry: ExpiryPolicy,
) -> Diagnosis:
    client = KubeClient(connection)
    try:
        gathered = gather_audit(client, None if all_namespaces else client.namespace, selector)
    finally:
        log_stats(client)
        client.close()
    remember(gathered.sensitive)
    copies: dict[tuple[str, str], list[Problem]] = {}
    entries = [(ns, name, e) for ns, name, decoded in gathered.secrets for e in decoded.entries]
    for divergence in diverged(entries):
        problem = divergence_problem(divergence)
        for version in divergence.versions:
            for copy in version:
                copies.setdefault((copy.namespace, copy.secret), []).append(problem)
    reports = []
    for ctx in gathered.contexts:
        mine = {
            name: tuple(problems)
            for (ns, name), problems in copies.items()
            if ns == ctx.pod.namespace
        }
        reports += diagnose_pod(replace(ctx, expiry=expiry, divergences=mine))
    reports = [r for r in reports if r.has_findings]
    if verify is not None:
        reports = verified_reports(verify, reports)
    return Diagnosis(reports, gathered.warnings, client.namespace)

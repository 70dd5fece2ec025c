"""`check IMAGE`: the credentials the kubelet would offer, from cluster secrets and local files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather.check import fetch_secrets
from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.cluster.manifests import decode_credentials_file, sensitive_file_values
from kubectl_pullsecret.cluster.objects import key_secrets
from kubectl_pullsecret.commands.verify import VerifyRequest, blocks_every_pull, verify
from kubectl_pullsecret.errors import CommandError
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus
from kubectl_pullsecret.kubelet.versions import KubeletRules
from kubectl_pullsecret.secrecy import remember
from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy
from kubectl_pullsecret.verdicts.image import CheckReport, check_image


def check(
    connection: KubeOptions,
    image: str,
    secrets: list[str],
    files: list[Path],
    verify_request: VerifyRequest | None,
    expiry: ExpiryPolicy | None = None,
    rules: KubeletRules | None = None,
) -> CheckReport:
    """Sources in the kubelet's order: cluster secrets (--secret), then files (--file)."""
    sources: list[tuple[str, SecretFetch]] = []
    if secrets:
        with KubeClient(connection) as client:
            reader = ClusterReader(client, Scope(client.namespace))
            fetched = fetch_secrets(reader, secrets)
            rules = rules or reader.kubelets.server()
        sources.extend((f"secret/{name}", fetch) for name, fetch in fetched)
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read --file {path}: {exc.strerror}") from None
        remember(sensitive_file_values(raw))
        sources.append(
            (str(path), SecretFetch(str(path), SecretStatus.FOUND, decode_credentials_file(raw)))
        )
    for _, fetch in sources:  # local files too: passwords, and userinfo inside keys
        for entry in fetch.decoded.entries if fetch.decoded else ():
            remember([entry.password, *key_secrets(entry.key)])
    report = check_image(image, sources, expiry, rules)
    if (
        verify_request is not None
        and report.image_ref is not None
        and not blocks_every_pull(report.problems)
    ):
        (verdict,) = verify(verify_request, [(report.image_ref, report.offered)])
        report = replace(report, problems=report.problems + verdict.problems)
    return report

"""`check -f`: manifests judged before they are applied, every pod template as a new Pod would
pull. Secrets and ServiceAccounts come from the same input first, then from the cluster (unless
--offline), then from --file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions, default_namespace
from kubectl_pullsecret.cluster.manifests import (
    decode_credentials_file,
    decode_secret_manifest,
    read_manifests,
    sensitive_file_values,
)
from kubectl_pullsecret.cluster.objects import (
    key_secrets,
    pod_facts,
    sensitive_values,
    service_account_facts,
    workload_facts,
)
from kubectl_pullsecret.cluster.workloads import BY_KIND, POD, WITHOUT_POD_TEMPLATE
from kubectl_pullsecret.commands.verify import VerifyRequest, verified_reports
from kubectl_pullsecret.english import counted
from kubectl_pullsecret.errors import CommandError
from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts, admitted_pull_secrets
from kubectl_pullsecret.kubelet.docker_config import DecodedSecret
from kubectl_pullsecret.kubelet.pod import SecretFetch, SecretStatus
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for
from kubectl_pullsecret.secrecy import remember
from kubectl_pullsecret.verdicts.credential_health import ExpiryPolicy
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload
from kubectl_pullsecret.verdicts.pod import ContainerReport, diagnose_pod

log = logging.getLogger("kubectl_pullsecret")

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class PreflightRequest:
    filenames: tuple[str, ...]
    recursive: bool = False
    offline: bool = False
    credential_files: tuple[str, ...] = ()  # --file PATH (a Secret manifest) or NAME=PATH
    verify: VerifyRequest | None = None
    expiry: ExpiryPolicy | None = None
    rules: KubeletRules | None = None  # --kubelet-version; else the cluster's, else the newest


@dataclass
class Preflight:
    reports: list[ContainerReport]
    warnings: list[str] = field(default_factory=list)
    objects: int = 0


@dataclass
class _Input:
    workloads: list[Workload] = field(default_factory=list)
    secrets: dict[Key, SecretFetch] = field(default_factory=dict)
    accounts: dict[Key, ServiceAccountFacts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    objects: int = 0


def _remember_decoded(decoded: DecodedSecret | None) -> None:
    for entry in decoded.entries if decoded else ():
        remember([entry.password, *key_secrets(entry.key)])


def _read_input(request: PreflightRequest, namespace: str, stdin: IO[bytes]) -> _Input:
    found = _Input()
    for document in read_manifests(request.filenames, request.recursive, stdin):
        if document.obj is None:
            found.warnings.append(f"{document.source}: {document.warning}")
            continue
        found.objects += 1
        obj = document.obj
        kind = str(obj["kind"])
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        obj["metadata"] = metadata
        name = metadata.get("name") if isinstance(metadata.get("name"), str) else ""
        if not isinstance(metadata.get("namespace"), str) or not metadata.get("namespace"):
            metadata["namespace"] = namespace
        key = (metadata["namespace"], name)
        if kind == "Secret":
            remember(sensitive_values(obj))
            decoded = decode_secret_manifest(obj)
            _remember_decoded(decoded)
            found.secrets[key] = SecretFetch(name, SecretStatus.FOUND, decoded)
        elif kind == "ServiceAccount":
            found.accounts[key] = service_account_facts(name, obj)
        elif kind in BY_KIND:
            workload = _workload(kind, obj, document.source)
            if workload.template is None or not workload.template.containers:
                found.warnings.append(f"{document.source}: {workload.label} has no containers")
                continue
            found.workloads.append(workload)
        elif kind not in WITHOUT_POD_TEMPLATE:
            found.warnings.append(
                f"{document.source}: kind {kind} ({obj['apiVersion']}) is not one this tool "
                "reads; if it runs Pods, check the workloads it creates"
            )
    return found


def _workload(kind: str, obj: dict[str, Any], source: str) -> Workload:
    if kind == POD.kind:
        facts = pod_facts({"metadata": obj["metadata"], "spec": obj.get("spec")})
        return Workload(kind, facts.namespace, facts.name, 1, template=facts, manifest=source)
    return replace(workload_facts(BY_KIND[kind], obj), manifest=source)


def _named_files(request: PreflightRequest) -> dict[str, SecretFetch]:
    """--file PATH (a Secret manifest, by its name) and --file NAME=PATH (a docker config)."""
    found: dict[str, SecretFetch] = {}
    for spec in request.credential_files:
        name, equals, path = spec.partition("=")
        if not equals:
            name, path = "", spec
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read --file {path}: {exc.strerror}") from None
        remember(sensitive_file_values(raw))
        decoded = decode_credentials_file(raw)
        _remember_decoded(decoded)
        if not name:
            manifest = _secret_name(raw)
            if manifest is None:
                raise CommandError(
                    f"--file {path}: with -f, a docker config needs the name of the secret it "
                    f"stands for: --file NAME={path}"
                )
            name = manifest
        found[name] = SecretFetch(name, SecretStatus.FOUND, decoded)
    return found


def _secret_name(raw: bytes) -> str | None:
    import io

    for document in read_manifests(["-"], False, io.BytesIO(raw)):
        obj = document.obj or {}
        metadata = obj.get("metadata")
        if (
            obj.get("kind") == "Secret"
            and isinstance(metadata, dict)
            and isinstance(metadata.get("name"), str)
        ):
            return metadata["name"]
    return None


class _Cluster:
    """The cluster as a second source, read lazily; unreachable means offline, with a warning."""

    def __init__(self, connection: KubeOptions, offline: bool, warnings: list[str]) -> None:
        self.warnings = warnings
        self.reader: ClusterReader | None = None
        self.client: KubeClient | None = None
        if offline:
            return
        try:
            self.client = KubeClient(connection)
        except KubeError as exc:
            self._lost(exc)
            return
        self.reader = ClusterReader(self.client, Scope(self.client.namespace))

    def _lost(self, exc: Exception) -> None:
        self.warnings.append(
            f"the cluster is not read ({exc}); secrets and ServiceAccounts not in the input or "
            "--file count as missing (pass --offline to say so)"
        )
        self.reader = None

    def accounts(self, wanted: set[Key]) -> dict[Key, ServiceAccountFacts]:
        if self.reader is None or not wanted:
            return {}
        try:
            return self.reader.service_accounts(wanted)
        except KubeError as exc:
            self._lost(exc)
            return {}

    def secrets(self, wanted: set[Key]) -> dict[Key, SecretFetch]:
        if self.reader is None or not wanted:
            return {}
        try:
            found = self.reader.secrets.named(wanted)
        except KubeError as exc:
            self._lost(exc)
            return {}
        return {k: f for k, f in found.items() if f.status is not SecretStatus.MISSING}

    def elsewhere(self, name: str, namespace: str) -> tuple[tuple[str, ...], str, bool]:
        if self.reader is None:
            return (), "", False
        try:
            found, could_look = self.reader.secrets.elsewhere(name, namespace)
        except KubeError:
            return (), "", False
        return tuple(ns for ns, _ in found), (found[0][1] if found else ""), not could_look

    def server_rules(self) -> KubeletRules:
        if self.reader is None:
            return rules_for()
        try:
            return self.reader.kubelets.server()
        except KubeError:
            return rules_for()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def preflight(connection: KubeOptions, request: PreflightRequest, stdin: IO[bytes]) -> Preflight:
    namespace = default_namespace(connection)
    found = _read_input(request, namespace, stdin)
    if not found.objects:
        raise CommandError(
            "no Kubernetes objects in the input"
            + (
                f" ({counted(len(found.warnings), 'document')} skipped: {found.warnings[0]})"
                if found.warnings
                else ""
            )
        )
    files = _named_files(request)
    cluster = _Cluster(connection, request.offline, found.warnings)
    try:
        rules = request.rules or cluster.server_rules()
        reports = _judge(found, files, cluster, request.expiry, rules)
    finally:
        cluster.close()
    if request.verify is not None:
        reports = verified_reports(request.verify, reports)
    return Preflight(reports, found.warnings, found.objects)


def _judge(
    found: _Input,
    files: dict[str, SecretFetch],
    cluster: _Cluster,
    expiry: ExpiryPolicy | None,
    rules: KubeletRules,
) -> list[ContainerReport]:
    templates = [w.template for w in found.workloads if w.template is not None]
    wanted_accounts = {(t.namespace, t.service_account) for t in templates}
    accounts = dict(found.accounts)
    accounts.update(cluster.accounts(wanted_accounts - accounts.keys()))
    for key in sorted(wanted_accounts - accounts.keys()):
        if key[1] != "default":
            found.warnings.append(
                f"ServiceAccount {key[0]}/{key[1]} is neither in the input nor read from the "
                "cluster: the pull secrets it would add are not counted"
            )

    def names(workload: Workload) -> tuple[str, ...]:
        assert workload.template is not None
        account = accounts.get((workload.namespace, workload.template.service_account))
        return admitted_pull_secrets(workload.template.pull_secret_names, account)

    wanted_secrets = {(w.namespace, n) for w in found.workloads for n in names(w) if n}
    secrets = dict(found.secrets)
    secrets.update(cluster.secrets(wanted_secrets - secrets.keys()))
    reports: list[ContainerReport] = []
    for workload in found.workloads:
        assert workload.template is not None
        pod_secrets: dict[str, SecretFetch] = {}
        elsewhere: dict[str, tuple[str, ...]] = {}
        elsewhere_types: dict[str, str] = {}
        unknown = False
        for name in dict.fromkeys(n for n in names(workload) if n):
            fetch = secrets.get((workload.namespace, name)) or files.get(name)
            if fetch is None:
                where = (
                    "not in the input"
                    + (", the cluster" if cluster.reader else "")
                    + (" or --file" if files else "")
                )
                fetch = SecretFetch(name, SecretStatus.MISSING, detail=where)
                spaces, secret_type, forbidden = cluster.elsewhere(name, workload.namespace)
                if spaces:
                    elsewhere[name], elsewhere_types[name] = spaces, secret_type
                unknown |= forbidden
            pod_secrets[name] = fetch
        context = PodContext(
            workload.template,
            pod_secrets,
            service_account=accounts.get((workload.namespace, workload.template.service_account)),
            elsewhere=elsewhere,
            elsewhere_types=elsewhere_types,
            elsewhere_unknown=unknown,
            owners=OwnerChain((workload,)),
            template_of=workload,
            expiry=expiry,
            rules=rules,
        )
        reports.extend(diagnose_pod(context))
    return reports

"""The workload kinds that run Pods: their API paths, kubectl's names for them, and where each
keeps its pod template. Pure: the `TYPE NAME` and `TYPE/NAME` arguments are parsed here."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from kubectl_pullsecret.errors import CommandError


@dataclass(frozen=True)
class WorkloadKind:
    kind: str  # as in ownerReferences: Deployment
    resource: str  # deployments
    group_versions: tuple[str, ...]  # API group/version to read it from, preferred first
    names: tuple[str, ...]  # what kubectl accepts, singular first: deployment, deploy
    template_path: tuple[str, ...]  # where the pod template is: ("spec", "template")

    @property
    def singular(self) -> str:
        return self.names[0]

    def path(self, namespace: str | None, name: str | None = None, group_version: str = "") -> str:
        """The API path of this kind (its collection, or one object); the preferred version
        unless `group_version` (an ownerReference's apiVersion) says otherwise."""
        group_version = group_version or self.group_versions[0]
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        if namespace is not None:
            path += f"/namespaces/{quote(namespace, safe='')}"
        path += f"/{self.resource}"
        return path + (f"/{quote(name, safe='')}" if name is not None else "")


POD = WorkloadKind("Pod", "pods", ("v1",), ("pod", "po"), ("spec",))
DEPLOYMENT = WorkloadKind(
    "Deployment", "deployments", ("apps/v1",), ("deployment", "deploy"), ("spec", "template")
)
STATEFUL_SET = WorkloadKind(
    "StatefulSet", "statefulsets", ("apps/v1",), ("statefulset", "sts"), ("spec", "template")
)
DAEMON_SET = WorkloadKind(
    "DaemonSet", "daemonsets", ("apps/v1",), ("daemonset", "ds"), ("spec", "template")
)
REPLICA_SET = WorkloadKind(
    "ReplicaSet", "replicasets", ("apps/v1",), ("replicaset", "rs"), ("spec", "template")
)
REPLICATION_CONTROLLER = WorkloadKind(
    "ReplicationController",
    "replicationcontrollers",
    ("v1",),
    ("replicationcontroller", "rc"),
    ("spec", "template"),
)
JOB = WorkloadKind("Job", "jobs", ("batch/v1",), ("job",), ("spec", "template"))
# batch/v1 from 1.21; 1.20 serves CronJobs only as batch/v1beta1.
CRON_JOB = WorkloadKind(
    "CronJob",
    "cronjobs",
    ("batch/v1", "batch/v1beta1"),
    ("cronjob", "cj"),
    ("spec", "jobTemplate", "spec", "template"),
)

KINDS = (
    POD,
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    REPLICA_SET,
    REPLICATION_CONTROLLER,
    JOB,
    CRON_JOB,
)
BY_KIND = {k.kind: k for k in KINDS}
# The kinds that own a pod template of their own and are nobody's child in the usual chain.
TOP_LEVEL = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, CRON_JOB)


def _lookup(word: str) -> WorkloadKind | None:
    # kubectl accepts the singular, the plural, short names and `resource.group`, any case.
    word = word.lower()
    base, _, group = word.partition(".")
    for kind in KINDS:
        groups = {gv.split("/")[0] for gv in kind.group_versions if "/" in gv}
        if group and group not in groups:
            continue
        if base in (*kind.names, kind.resource):
            return kind
    return None


@dataclass(frozen=True)
class Target:
    kind: WorkloadKind
    name: str | None


def parse_target(type_or_both: str, name: str | None) -> Target:
    """`TYPE [NAME]` or `TYPE/NAME`, as kubectl takes them. Raises CommandError."""
    word, slash, rest = type_or_both.partition("/")
    if slash:
        if name is not None:
            raise CommandError(
                f"there is no need to specify a resource type as a separate argument when "
                f"passing arguments in resource/name form (e.g. 'kubectl pullsecret diagnose "
                f"{type_or_both}' instead of 'diagnose {type_or_both} {name}')"
            )
        if not rest:
            raise CommandError(f"{type_or_both!r}: a name is needed after the '/'")
        name = rest
    kind = _lookup(word)
    if kind is None:
        known = ", ".join(
            f"{k.singular} ({', '.join(k.names[1:])})" if len(k.names) > 1 else k.singular
            for k in KINDS
        )
        raise CommandError(f'unknown workload type "{word}"; use one of: {known}')
    return Target(kind, name or None)


# Built-in kinds that run no Pods of their own: read from manifests without a warning.
WITHOUT_POD_TEMPLATE = frozenset(
    {
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "CSIDriver",
        "CustomResourceDefinition",
        "Endpoints",
        "EndpointSlice",
        "HorizontalPodAutoscaler",
        "Ingress",
        "IngressClass",
        "LimitRange",
        "MutatingWebhookConfiguration",
        "Namespace",
        "NetworkPolicy",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PodSecurityPolicy",
        "PriorityClass",
        "ResourceQuota",
        "Role",
        "RoleBinding",
        "RuntimeClass",
        "Secret",
        "Service",
        "ServiceAccount",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
    }
)

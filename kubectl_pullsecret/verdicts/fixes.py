"""The fix commands: kubectl command lines with the real names filled in, shell-quoted."""

from __future__ import annotations

import json
import shlex

from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.docker_config import DOCKERCFG_TYPE
from kubectl_pullsecret.kubelet.image_ref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretStatus

DOCKER_HUB_SERVER = "https://index.docker.io/v1/"


def q(text: str) -> str:
    return shlex.quote(text)


def docker_server_for(image: ImageRef) -> str:
    """The --docker-server value whose key the kubelet matches to this image."""
    return DOCKER_HUB_SERVER if image.is_docker_hub else image.domain


def registries_of(pod: PodFacts) -> list[str]:
    """The --docker-server values of the Pod's images, in order."""
    servers: list[str] = []
    for container in pod.containers:
        try:
            server = docker_server_for(parse_image(container.image))
        except InvalidImageName:
            continue
        if server not in servers:
            servers.append(server)
    return servers


def create_secret_command(name: str, namespace: str, server: str) -> str:
    return (
        f"kubectl create secret docker-registry {q(name)} -n {q(namespace)} "
        f"--docker-server={q(server)} --docker-username=<username> --docker-password=<password>"
    )


def replace_secret_command(name: str, namespace: str, server: str, force: bool = False) -> str:
    """Re-creates an existing secret. A secret's type is immutable: changing it needs `force`
    (replace --force deletes it first); `kubectl create` would fail with AlreadyExists."""
    replace = "kubectl replace --force -f -" if force else "kubectl replace -f -"
    return create_secret_command(name, namespace, server) + f" --dry-run=client -o yaml | {replace}"


def copy_secret_command(name: str, source_ns: str, target_ns: str, secret_type: str) -> str:
    """Copies the docker config without writing it to disk or printing it."""
    if secret_type == DOCKERCFG_TYPE:
        data_key, create = ".dockercfg", "generic {n} --type=kubernetes.io/dockercfg"
    else:
        data_key, create = ".dockerconfigjson", "docker-registry {n}"
    template = "{{index .data " + json.dumps(data_key) + " | base64decode}}"
    return (
        f"kubectl get secret {q(name)} -n {q(source_ns)} -o go-template={q(template)} | "
        f"kubectl create secret {create.format(n=q(name))} -n {q(target_ns)} "
        f"--from-file={data_key}=/dev/stdin"
    )


def _workload(pod: PodFacts) -> tuple[str, str] | None:
    """The object whose pod template to change: (resource, name), or None for a bare Pod."""
    if pod.owner_kind == "ReplicaSet" and pod.template_hash:
        suffix = "-" + pod.template_hash
        if pod.owner_name.endswith(suffix):
            return "deployment", pod.owner_name[: -len(suffix)]
    if pod.owner_kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"):
        return pod.owner_kind.lower(), pod.owner_name
    return None


def add_pull_secret_to_template(pod: PodFacts, secret: str) -> str:
    workload = _workload(pod)
    if workload is None:
        return (
            f"add `imagePullSecrets: [{{name: {secret}}}]` to the pod manifest, then re-create it "
            f"(kubectl delete pod {q(pod.name)} -n {q(pod.namespace)}; kubectl apply -f <manifest>)"
        )
    if workload[0] == "job":
        return f"add imagePullSecrets [{secret}] to the Job's pod template and re-create the Job"
    path = "/spec/template/spec/imagePullSecrets"
    if pod.pull_secret_names:
        op = {"op": "add", "path": path + "/-", "value": {"name": secret}}
    else:
        op = {"op": "add", "path": path, "value": [{"name": secret}]}
    return (
        f"kubectl patch {workload[0]} {q(workload[1])} -n {q(pod.namespace)} "
        f"--type=json -p {q(json.dumps([op]))}"
    )


def add_pull_secret_hint(pod: PodFacts, secret: str, sa: ServiceAccountFacts | None) -> str:
    sa_names = list(sa.pull_secret_names) if sa and sa.status is SecretStatus.FOUND else []
    if secret not in sa_names:
        sa_names.append(secret)
    patch = json.dumps({"imagePullSecrets": [{"name": n} for n in sa_names]})
    sa_cmd = (
        f"kubectl patch serviceaccount {q(pod.service_account)} -n {q(pod.namespace)} -p {q(patch)}"
    )
    return (
        f"{add_pull_secret_to_template(pod, secret)}; or, for every new Pod of the "
        f"ServiceAccount: {sa_cmd} (existing Pods keep their list: re-create them)"
    )


def recreate_hint(pod: PodFacts) -> str:
    workload = _workload(pod)
    if workload is not None and workload[0] in ("deployment", "statefulset", "daemonset"):
        return f"kubectl rollout restart {workload[0]}/{q(workload[1])} -n {q(pod.namespace)}"
    if workload is not None:
        return f"kubectl delete pod {q(pod.name)} -n {q(pod.namespace)} (its {workload[0]} re-creates it)"
    return (
        f"re-create the Pod from its manifest without imagePullSecrets, so that admission copies "
        f"the ServiceAccount's (kubectl delete pod {q(pod.name)} -n {q(pod.namespace)})"
    )


def new_secret_name(image: ImageRef, taken: tuple[str, ...]) -> str:
    """A name for a new pull secret for this registry, not among `taken`."""
    base = (
        "dockerhub"
        if image.is_docker_hub
        else f"{image.domain.split(':')[0].replace('.', '-')}-pull"
    )
    name, suffix = base, 2
    while name in taken:
        name, suffix = f"{base}-{suffix}", suffix + 1
    return name

"""The fix commands: kubectl command lines with the real names filled in, shell-quoted."""

from __future__ import annotations

import json
import shlex

from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.docker_config import DOCKERCFG_TYPE
from kubectl_pullsecret.kubelet.image_ref import ImageRef, InvalidImageName, parse_image
from kubectl_pullsecret.kubelet.pod import PodFacts, SecretStatus
from kubectl_pullsecret.verdicts.facts import OwnerChain, Workload

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


def _template_patch(workload: Workload, secret: str) -> str:
    """A strategic merge patch: imagePullSecrets merge by name, so it works whether or not the
    template lists secrets already, and keeps the ones it lists."""
    patch: dict[str, object] = {"imagePullSecrets": [{"name": secret}]}
    for key in reversed((*workload.template_path, "spec")):
        patch = {key: patch}
    return (
        f"kubectl patch {workload.kind.lower()} {q(workload.name)} -n {q(workload.namespace)} "
        f"-p {q(json.dumps(patch, separators=(',', ':')))}"
    )


def _delete_pods(pod: PodFacts, workload: Workload) -> str:
    if workload.selector:
        return f"kubectl delete pod -n {q(pod.namespace)} -l {q(workload.selector)}"
    return f"kubectl delete pod {q(pod.name)} -n {q(pod.namespace)}"


def replacement(pod: PodFacts, workload: Workload) -> str:
    """How the Pods get the new template once it changed."""
    if workload.kind == "Deployment" or (
        workload.kind == "DaemonSet" and workload.update_strategy != "OnDelete"
    ):
        return "the template change rolls out new Pods"
    if workload.kind == "StatefulSet":
        # With OrderedReady (the default) the controller waits for every Pod to be Running and
        # Ready before it updates any: a Pod that cannot pull is never replaced by itself.
        return (
            "a StatefulSet does not replace Pods that never became Ready: then delete them, and "
            f"it re-creates them from the new template ({_delete_pods(pod, workload)})"
        )
    if workload.kind == "CronJob":
        return (
            "its next run uses the new template; the Pods of its current Jobs keep failing "
            "until those Jobs end (kubectl delete job -n "
            f"{q(pod.namespace)} JOB ends one now)"
        )
    return (
        f"a {workload.kind} does not replace its existing Pods: delete them, and it re-creates "
        f"them from the new template ({_delete_pods(pod, workload)})"
    )


def add_pull_secret_to_template(pod: PodFacts, owners: OwnerChain, secret: str) -> str:
    """Add `secret` to the imagePullSecrets of the top-level owner's pod template."""
    top = owners.top
    if top is not None and top.manifest:
        where = ".".join((*top.template_path, "spec")) if top.kind != "Pod" else "spec"
        return (
            f"add `imagePullSecrets: [{{name: {secret}}}]` to {top.label} in {top.manifest} "
            f"(under {where})"
        )
    if top is None or top.kind == "Pod":
        return (
            f"add `imagePullSecrets: [{{name: {secret}}}]` to the pod manifest, then re-create it "
            f"(kubectl delete pod {q(pod.name)} -n {q(pod.namespace)}; kubectl apply -f <manifest>): "
            "a Pod's imagePullSecrets cannot change"
        )
    if top.kind == "Job":
        return (
            f"a Job's pod template cannot change: re-create job/{top.name} with "
            f"`imagePullSecrets: [{{name: {secret}}}]` in spec.template.spec (kubectl get job "
            f"{q(top.name)} -n {q(top.namespace)} -o yaml, edit it, kubectl replace --force -f -)"
        )
    if not top.template_path:
        return (
            f"add `imagePullSecrets: [{{name: {secret}}}]` to the pod template of "
            f"{top.label}, which controls these Pods"
        )
    return f"{_template_patch(top, secret)} ({replacement(pod, top)})"


def add_pull_secret_hint(
    pod: PodFacts, owners: OwnerChain, secret: str, sa: ServiceAccountFacts | None
) -> str:
    sa_names = list(sa.pull_secret_names) if sa and sa.status is SecretStatus.FOUND else []
    if secret not in sa_names:
        sa_names.append(secret)
    patch = json.dumps({"imagePullSecrets": [{"name": n} for n in sa_names]})
    sa_cmd = (
        f"kubectl patch serviceaccount {q(pod.service_account)} -n {q(pod.namespace)} -p {q(patch)}"
    )
    recreate = recreate_hint(pod, owners)
    existing = f" (existing Pods keep their list: {recreate})" if recreate else ""
    return (
        f"{add_pull_secret_to_template(pod, owners, secret)}; or, for every new Pod of the "
        f"ServiceAccount: {sa_cmd}{existing}"
    )


def recreate_hint(pod: PodFacts, owners: OwnerChain) -> str:
    """Re-create the Pods, so that admission gives them the ServiceAccount's pull secrets;
    "" for a manifest not applied yet, whose Pods do not exist."""
    top = owners.top
    if top is not None and top.manifest:
        return ""
    if top is not None and top.kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return f"kubectl rollout restart {top.kind.lower()}/{q(top.name)} -n {q(pod.namespace)}"
    if top is not None and top.kind == "CronJob":
        return "its next run creates new Pods"
    if top is not None and top.kind != "Pod":
        return f"kubectl delete pod {q(pod.name)} -n {q(pod.namespace)} (its {top.label} re-creates it)"
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

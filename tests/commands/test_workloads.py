"""`diagnose TYPE [NAME]` against the real API server: types and names as kubectl takes them,
pod templates judged when no Pod fails, owner chains read through the API (and what happens
when they loop, dangle or are forbidden).

Nothing here plays the kubelet: these objects and owner references are what the API holds,
written by hand where no controller would write them (a loop, a dangling owner). Failing Pods
of real Deployments are in tests/node/.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support.control_plane import Cluster, ControlPlane
from tests.support.plugin import PluginRunner

Json = dict[str, Any]
PRIVATE = "private-registry.io/apps/internal-app:1.0"


def template(secrets: list[str] | None = None, image: str = PRIVATE) -> Json:
    spec: Json = {
        "containers": [{"name": "app", "image": image}],
        "automountServiceAccountToken": False,
    }
    if secrets is not None:
        spec["imagePullSecrets"] = [{"name": n} for n in secrets]
    return {"metadata": {"labels": {"app": "web"}}, "spec": spec}


def create_deployment(cluster: Cluster, ns: str, name: str, replicas: int, **kwargs: Any) -> Json:
    body = {
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": template(**kwargs),
        },
    }
    return cluster.rest.post(f"/apis/apps/v1/namespaces/{ns}/deployments", body)


def create_cron_job(cluster: Cluster, ns: str, name: str, **kwargs: Any) -> Json:
    job_template = template(**kwargs)
    job_template["spec"]["restartPolicy"] = "OnFailure"
    body = {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": job_template}}},
    }
    # 1.20 serves CronJobs as batch/v1beta1 only; batch/v1 from 1.21.
    return cluster.rest.post(f"/apis/batch/v1beta1/namespaces/{ns}/cronjobs", body)


def owner_ref(obj: Json, controller: bool = True) -> Json:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
    }


def create_replica_set(
    cluster: Cluster, ns: str, name: str, owner: Json | None = None, uid: str | None = None
) -> Json:
    metadata: Json = {"name": name, "namespace": ns}
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    body = {
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": template(),
        },
    }
    return cluster.rest.post(f"/apis/apps/v1/namespaces/{ns}/replicasets", body)


def owned_pod(cluster: Cluster, ns: str, name: str, owner: Json, labels: dict[str, str]) -> Json:
    body = {
        "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner]},
        "spec": template()["spec"],
    }
    return cluster.rest.post(f"/api/v1/namespaces/{ns}/pods", body)


def run_json(
    run_plugin: PluginRunner, *args: str, **kwargs: Any
) -> tuple[subprocess.CompletedProcess[str], Json]:
    result = run_plugin(*args, "-o", "json", **kwargs)
    assert "Traceback" not in result.stderr, result.stderr
    return result, (json.loads(result.stdout) if result.stdout.strip() else {})


@pytest.mark.parametrize(
    "words", [["deployment", "web"], ["deploy", "web"], ["deployments.apps", "web"], ["deploy/web"]]
)
def test_a_scaled_down_deployment_is_judged_by_its_template(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str, words: list[str]
) -> None:
    create_deployment(cluster, namespace, "web", 0, secrets=["regcred"])
    result, doc = run_json(run_plugin, "diagnose", *words, "-n", namespace)
    assert result.returncode == 1, result.stderr
    (item,) = doc["items"]
    assert (item["state"], item["template"], item["owners"]) == (
        "PodTemplate",
        True,
        [{"kind": "Deployment", "name": "web"}],
    )
    (problem,) = item["problems"]
    assert (problem["code"], problem["severity"]) == ("SecretNotFound", "error")
    (group,) = doc["groups"]
    assert (group["workload"], group["pods"], group["workloadPods"]) == ("deployment/web", [], 0)

    table = run_plugin("diagnose", *words, "-n", namespace)
    assert table.returncode == 1
    header, row = table.stdout.splitlines()[:2]
    assert header.split()[:2] == ["NAMESPACE", "WORKLOAD"]
    assert row.split()[1] == "deployment/web" and "no Pods" in row
    assert (
        f"{namespace}/deployment/web app: {PRIVATE} (no Pods; its pod template, judged as a new "
        "Pod would pull)"
    ) in table.stdout


def test_a_healthy_looking_deployment_without_secrets_for_a_public_image_is_fine(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    create_deployment(cluster, namespace, "web", 0, image="nginx:1.25")
    result = run_plugin("diagnose", "deploy", "web", "-n", namespace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No deployments with image pull problems" in result.stderr


def test_every_deployment_of_a_namespace(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    create_deployment(cluster, namespace, "broken", 0, secrets=["gone"])
    create_deployment(cluster, namespace, "fine", 0, image="nginx:1.25")
    result, doc = run_json(run_plugin, "diagnose", "deploy", "-n", namespace)
    assert result.returncode == 1
    assert [g["workload"] for g in doc["groups"]] == ["deployment/broken"]


def test_a_cron_job_between_runs_is_judged_by_its_job_template(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    cluster.create_docker_secret(namespace, "quay", {"quay.io": ("u", "p")})
    create_cron_job(cluster, namespace, "nightly", secrets=["quay"])
    result, doc = run_json(run_plugin, "diagnose", "cj/nightly", "-n", namespace)
    assert result.returncode == 1, result.stderr
    (item,) = doc["items"]
    (problem,) = [p for p in item["problems"] if p["severity"] != "info"]
    assert problem["code"] == "NoCredentialsForRegistry" and problem["severity"] == "warning"
    patch = '{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"imagePullSecrets":[{"name":"private-registry-io-pull"}]}}}}}}'
    assert f"kubectl patch cronjob nightly -n {namespace} -p '{patch}'" in problem["hint"]
    assert "its next run uses the new template" in problem["hint"]


def test_listing_pods_also_finds_a_workload_whose_pull_secret_is_gone(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """No Pod of it fails (a 1.20 kubelet sends no event for a missing secret while the
    image is cached), yet its next Pod on a fresh node would: a latent warning."""
    cluster.create_docker_secret(namespace, "present", {"private-registry.io": ("u", "p")})
    create_deployment(cluster, namespace, "broken", 1, secrets=["gone"])
    create_deployment(cluster, namespace, "fine", 1, secrets=["present"])
    create_deployment(cluster, namespace, "public", 1, image="nginx:1.25")
    result, doc = run_json(run_plugin, "diagnose", "pod", "-n", namespace)
    assert result.returncode == 1, result.stderr
    (item,) = doc["items"]
    assert (item["owners"], item["template"], item["latent"]) == (
        [{"kind": "Deployment", "name": "broken"}],
        True,
        True,
    )
    # Only what is wrong with the secret itself: the template's other findings are not news.
    assert [(p["code"], p["severity"]) for p in item["problems"]] == [("SecretNotFound", "warning")]
    table = run_plugin("diagnose", "pod", "-n", namespace)
    assert "PodTemplate (latent)" in table.stdout, table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["diagnose", "gadget", "x"],
            'unknown workload type "gadget"; use one of: pod (po), deployment (deploy)',
        ),
        (["diagnose", "deploy", "nothere"], 'deployment "nothere" not found in namespace'),
        (["diagnose", "sts/nothere"], 'statefulset "nothere" not found in namespace'),
        (
            ["diagnose", "deploy/web", "web"],
            "there is no need to specify a resource type as a separate argument",
        ),
        (["diagnose", "deploy/"], "a name is needed after the '/'"),
    ],
)
def test_bad_types_and_names_end_in_one_line_and_exit_2(
    run_plugin: PluginRunner, namespace: str, args: list[str], message: str
) -> None:
    result = run_plugin(*args, "-n", namespace)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_a_dangling_owner_is_a_warning_and_the_report_stands(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    gone = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-0ld",
        "uid": "0000-gone",
        "controller": True,
    }
    owned_pod(cluster, namespace, "orphan", gone, {"app": "web"})
    result, doc = run_json(run_plugin, "diagnose", "pod", "orphan", "-n", namespace)
    assert result.returncode == 0, result.stderr  # a warning: the report itself stands
    assert "warning: replicaset/web-0ld in namespace" in result.stderr
    assert "does not exist" in result.stderr
    (item,) = doc["items"]
    assert item["owners"] == [] and item["group"].startswith(f"{namespace}/pod/orphan/app/")


def test_an_owner_loop_is_a_warning_and_the_report_stands(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    first = create_replica_set(cluster, namespace, "loop-a")
    second = create_replica_set(cluster, namespace, "loop-b", owner=owner_ref(first))
    cluster.rest.merge_patch(
        f"/apis/apps/v1/namespaces/{namespace}/replicasets/loop-a",
        {"metadata": {"ownerReferences": [owner_ref(second)]}},
    )
    owned_pod(cluster, namespace, "looped", owner_ref(first), {"app": "web"})
    result, doc = run_json(run_plugin, "diagnose", "pod", "looped", "-n", namespace)
    assert result.returncode == 0, result.stderr
    assert "an owner chain loops back to replicaset/loop-a" in result.stderr
    (item,) = doc["items"]
    assert [o["name"] for o in item["owners"]] == ["loop-a", "loop-b"]


def test_a_forbidden_owner_falls_back_to_the_pod_template_hash(
    run_plugin: PluginRunner, control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    deployment = create_deployment(cluster, namespace, "web", 1)
    rs = create_replica_set(cluster, namespace, "web-5d8f7c9b4", owner=owner_ref(deployment))
    owned_pod(
        cluster,
        namespace,
        "web-5d8f7c9b4-x1",
        owner_ref(rs),
        {"app": "web", "pod-template-hash": "5d8f7c9b4"},
    )

    # As admin the chain is read through the API.
    _, doc = run_json(run_plugin, "diagnose", "pod", "web-5d8f7c9b4-x1", "-n", namespace)
    (item,) = doc["items"]
    assert item["owners"] == [
        {"kind": "ReplicaSet", "name": "web-5d8f7c9b4"},
        {"kind": "Deployment", "name": "web"},
    ]

    # "no-secrets" may read pods, events, serviceaccounts and namespaces, not replicasets.
    kubeconfig = control_plane.kubeconfig("no-secrets")
    result, doc = run_json(
        run_plugin, "diagnose", "pod", "web-5d8f7c9b4-x1", "-n", namespace, kubeconfig=kubeconfig
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"cannot read replicasets in namespace {namespace} (forbidden: get replicasets)"
        in result.stderr
    )
    assert "deployment/web is inferred from the pod-template-hash label" in result.stderr
    (item,) = doc["items"]
    assert item["owners"][-1] == {"kind": "Deployment", "name": "web"}
    assert doc["groups"][0]["workload"] == "deployment/web"

"""`audit` and the credential health of `show`, against the real API server: workloads,
secrets across namespaces, tokens with an end (made here, signed with a test key). The real
node's case (a Running Pod whose image is cached and whose secret is gone) is in tests/node/."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from tests.commands.test_workloads import (
    create_cron_job,
    create_deployment,
    create_replica_set,
    owned_pod,
    owner_ref,
    template,
)
from tests.support.control_plane import OPAQUE, Cluster
from tests.support.plugin import PluginRunner
from tests.support.tokens import ecr_token, jwt

Json = dict[str, Any]
REGISTRY = "private-registry.io"
IMAGE = f"{REGISTRY}/apps/internal-app:1.0"


def run_json(run_plugin: PluginRunner, *args: str) -> tuple[subprocess.CompletedProcess[str], Json]:
    result = run_plugin(*args, "-o", "json")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def findings(doc: Json) -> dict[str, list[tuple[str, str]]]:
    return {
        f"{i['namespace']}/{g}": [
            (p["code"], p["severity"]) for p in i["problems"] if p["severity"] != "info"
        ]
        for i in doc["items"]
        for g in [i["group"].split("/")[1] + "/" + i["group"].split("/")[2]]
    }


def test_audit_judges_every_workload_as_a_fresh_node_would_pull(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "good", {REGISTRY: ("robot", "Good-pw-51")})
    cluster.create_docker_secret(ns, "expired", {REGISTRY: ("ci", jwt(expires_in=-600))})
    cluster.create_docker_secret(ns, "quay-only", {"quay.io": ("robot", "Quay-pw-11")})
    cluster.create_docker_secret(ns, "opaque", {REGISTRY: ("robot", "Opaque-pw-3")}, type=OPAQUE)
    cluster.create_docker_secret(ns, "broken", {REGISTRY: {"auth": "not base64!"}})
    create_deployment(cluster, ns, "fine", 2, secrets=["good"])
    create_deployment(cluster, ns, "gone", 2, secrets=["missing"])
    create_deployment(cluster, ns, "stale", 1, secrets=["expired"])
    create_deployment(cluster, ns, "elsewhere", 1, secrets=["quay-only"])
    create_deployment(cluster, ns, "ignored", 1, secrets=["opaque"])
    create_deployment(cluster, ns, "malformed", 0, secrets=["broken"])
    create_cron_job(cluster, ns, "nightly", secrets=["missing"])
    deployment = create_deployment(cluster, ns, "owner", 1, secrets=["good"])
    # A ReplicaSet of a Deployment is not audited apart; one without an owner is.
    create_replica_set(cluster, ns, "owner-5d8f7c9b4", owner=owner_ref(deployment))
    cluster.rest.post(
        f"/apis/apps/v1/namespaces/{ns}/replicasets",
        {
            "metadata": {"name": "bare-rs", "namespace": ns},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": template(secrets=["missing"]),
            },
        },
    )
    cluster.create_pod(ns, "bare", containers=[("app", IMAGE)], image_pull_secrets=["missing"])

    result, doc = run_json(run_plugin, "audit", "-n", ns)
    assert result.returncode == 1
    assert doc["kind"] == "PullSecretAudit"
    assert findings(doc) == {
        f"{ns}/deployment/gone": [("SecretNotFound", "error")],
        f"{ns}/deployment/stale": [("CredentialsExpired", "error")],
        f"{ns}/deployment/elsewhere": [("NoCredentialsForRegistry", "warning")],
        # The kubelet ignores the Opaque secret: no credential is left for the registry.
        f"{ns}/deployment/ignored": [
            ("SecretWrongType", "error"),
            ("NoCredentialsForRegistry", "warning"),
        ],
        f"{ns}/deployment/malformed": [("SecretMalformed", "error")],
        f"{ns}/cronjob/nightly": [("SecretNotFound", "error")],
        f"{ns}/replicaset/bare-rs": [("SecretNotFound", "error")],
        f"{ns}/pod/bare": [("SecretNotFound", "error")],
    }
    stale = next(i for i in doc["items"] if i["group"].split("/")[2] == "stale")
    (expired,) = [p for p in stale["problems"] if p["code"] == "CredentialsExpired"]
    assert re.search(r"expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expired["message"])

    table = run_plugin("audit", "-n", ns)
    assert table.returncode == 1
    assert "deployment/fine" not in table.stdout and "deployment/gone" in table.stdout
    for secret in ("Good-pw-51", "Quay-pw-11", "Opaque-pw-3"):
        assert secret not in table.stdout + table.stderr + result.stdout


def test_expiry_window(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    cluster.create_docker_secret(
        namespace, "ecr", {REGISTRY: ("AWS", ecr_token(expires_in=2 * 3600))}
    )
    create_deployment(cluster, namespace, "web", 1, secrets=["ecr"])
    _, doc = run_json(run_plugin, "audit", "-n", namespace)
    (problem,) = [p for p in doc["items"][0]["problems"] if p["code"] == "CredentialsExpiring"]
    assert (
        "ECR authorization token" in problem["message"]
        and "ECR tokens live 12 hours" in problem["hint"]
    )
    result = run_plugin("audit", "-n", namespace, "--expiry-warning", "1h")
    assert result.returncode == 0, result.stdout
    assert "would pull on a fresh node" in result.stderr
    bad = run_plugin("audit", "-n", namespace, "--expiry-warning", "soon")
    assert bad.returncode == 2 and "invalid --expiry-warning 'soon'" in bad.stderr


def test_copies_of_one_account_that_drifted_apart(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    other = cluster.create_namespace("drift")
    cluster.create_docker_secret(namespace, "regcred", {REGISTRY: ("robot", "Rotated-pw-2")})
    cluster.create_docker_secret(
        other, "regcred", {f"https://{REGISTRY}/v1/": ("robot", "Stale-pw-1")}
    )
    create_deployment(cluster, namespace, "web", 1, secrets=["regcred"])
    create_deployment(cluster, other, "web", 1, secrets=["regcred"])

    result, doc = run_json(run_plugin, "audit", "-A")
    mine = [i for i in doc["items"] if i["namespace"] in (namespace, other)]
    assert {i["namespace"] for i in mine} == {namespace, other}
    for item in mine:
        (problem,) = [p for p in item["problems"] if p["code"] == "CredentialsDiverged"]
        assert (
            f"{namespace}/regcred" in problem["message"]
            and f"{other}/regcred" in problem["message"]
        )
    for secret in ("Rotated-pw-2", "Stale-pw-1"):
        assert secret not in result.stdout + result.stderr

    # show's inventory says it too, for both copies.
    result, doc = run_json(run_plugin, "show", "-A")
    copies = [i for i in doc["items"] if i["namespace"] in (namespace, other)]
    assert [("CredentialsDiverged" in [p["code"] for p in i["problems"]]) for i in copies] == [
        True,
        True,
    ]


def test_each_distinct_secret_is_read_once(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    cluster.create_docker_secret(namespace, "shared", {REGISTRY: ("robot", "Shared-pw-9")})
    for i in range(12):
        create_deployment(cluster, namespace, f"web-{i}", 1, secrets=["shared", "missing"])
    result = run_plugin("audit", "-n", namespace, "--debug")
    assert result.returncode == 1
    gets = re.findall(r"GET (\S+) -> \d+", result.stderr)
    secret_requests = [g for g in gets if "/secrets" in g]
    # One list per pull-secret type (which holds "shared"); for the missing name, one GET and
    # one cross-namespace look, whatever the number of workloads that name it.
    assert len([g for g in secret_requests if "fieldSelector=type" in g]) == 2
    assert len([g for g in secret_requests if "metadata.name%3Dmissing" in g]) == 1
    assert len([g for g in secret_requests if g.endswith("/secrets/missing")]) == 1
    assert not [g for g in secret_requests if g.endswith("/secrets/shared")]


def test_a_healthy_namespace(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    create_deployment(cluster, namespace, "web", 1, image="nginx:1.25")
    result = run_plugin("audit", "-n", namespace)
    assert (result.returncode, result.stdout) == (0, "")
    assert f"Every workload in namespace {namespace} would pull on a fresh node." in result.stderr


def test_bare_pods_are_found_whether_pods_are_mostly_owned_or_mostly_bare(
    run_plugin: PluginRunner, cluster: Cluster
) -> None:
    """Mostly owned: Pods are listed as metadata, then each bare one read by name. Mostly
    bare: every Pod is read once in full. Either way the same bare Pods are judged."""
    for owned, bare in ((3, 1), (1, 2)):
        ns = cluster.create_namespace("audit-bare")
        deployment = create_deployment(cluster, ns, "web", 0, secrets=["present"])
        cluster.create_docker_secret(ns, "present", {REGISTRY: ("robot", "Present-pw-4")})
        rs = create_replica_set(cluster, ns, "web-5d8f7c9b4", owner=owner_ref(deployment))
        for i in range(owned):
            owned_pod(cluster, ns, f"web-5d8f7c9b4-{i}", owner_ref(rs), {"app": "web"})
        for i in range(bare):
            cluster.create_pod(ns, f"bare-{i}", [("app", IMAGE)], image_pull_secrets=["gone"])
        result = run_plugin("audit", "-n", ns, "-o", "json", "--debug")
        assert result.returncode == 1, result.stderr
        assert findings(json.loads(result.stdout)) == {
            f"{ns}/pod/bare-{i}": [("SecretNotFound", "error")] for i in range(bare)
        }
        by_name = re.findall(rf"GET /api/v1/namespaces/{ns}/pods/(\S+) -> 200", result.stderr)
        assert by_name == ([f"bare-{i}" for i in range(bare)] if owned > bare else [])

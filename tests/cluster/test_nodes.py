"""Which kubelet each verdict assumes, on the real API server: the Pod's own node, read once per
node and several at once; the server's version when nodes cannot be read. The nodes are API
objects written here with the nodeInfo that kubelets 1.20 and 1.33 report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.support.control_plane import Cluster
from tests.support.plugin import PluginRunner

IMAGE = "private-registry.io/apps/internal-app:1.0"
RUNTIME_404 = "rpc error: code = NotFound desc = failed to pull and unpack image"
NODE_INFO = {
    "old": ("v1.20.2", "containerd://1.6.20"),
    "new": ("v1.33.1", "containerd://2.0.5"),
}


@pytest.fixture
def nodes(cluster: Cluster, namespace: str) -> Iterator[dict[str, str]]:
    """Two nodes (cluster-wide objects, named after the test's namespace), deleted afterwards."""
    names = {label: f"{namespace}-{label}" for label in NODE_INFO}
    for label, name in names.items():
        kubelet, runtime = NODE_INFO[label]
        cluster.rest.post("/api/v1/nodes", {"metadata": {"name": name}})
        info = {"kubeletVersion": kubelet, "containerRuntimeVersion": runtime}
        cluster.rest.merge_patch(f"/api/v1/nodes/{name}/status", {"status": {"nodeInfo": info}})
    yield names
    for name in names.values():
        cluster.rest.request("DELETE", f"/api/v1/nodes/{name}")


def failing_pods(cluster: Cluster, namespace: str, nodes: dict[str, str]) -> None:
    for label, node in nodes.items():
        for i in range(3):
            pod = f"{label}-{i}"
            cluster.create_pod(namespace, pod, [("app", IMAGE)], node_name=node)
            cluster.simulate_pull_failure(namespace, pod, "app", IMAGE, RUNTIME_404)


def test_each_pod_is_judged_by_its_own_nodes_kubelet(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str, nodes: dict[str, str]
) -> None:
    failing_pods(cluster, namespace, nodes)
    result = run_plugin("diagnose", "pod", "-n", namespace, "-o", "json", "--debug")
    assert result.returncode == 1, result.stderr
    assumed = {
        (i["pod"].split("-")[0], i["kubelet"]["kubeletVersion"], i["kubelet"]["runtimeVersion"])
        for i in json.loads(result.stdout)["items"]
    }
    assert assumed == {
        ("old", "v1.20.2", "1.6.20"),
        ("new", "v1.33.1", "2.0.5"),
    }
    node_reads = re.findall(r"GET /api/v1/nodes/(\S+) -> 200", result.stderr)
    assert sorted(node_reads) == sorted(nodes.values()), "one read per node, not per Pod"


def test_without_the_right_to_read_nodes_the_servers_version_is_assumed(
    run_plugin: PluginRunner,
    cluster: Cluster,
    namespace: str,
    nodes: dict[str, str],
) -> None:
    failing_pods(cluster, namespace, nodes)
    user = f"no-nodes-{namespace}"  # impersonated: may read this namespace, not nodes
    cluster.grant(
        user,
        [{"apiGroups": [""], "resources": ["*"], "verbs": ["get", "list"]}],
        namespace=namespace,
    )
    result = run_plugin("diagnose", "pod", "-n", namespace, "-o", "json", f"--as={user}")
    assert result.returncode == 1, result.stderr
    sources = {i["kubelet"]["kubeletVersionSource"] for i in json.loads(result.stdout)["items"]}
    assert sources == {"server"}
    # Said once, however many nodes could not be read.
    assert result.stderr.count("cannot read nodes (forbidden: get nodes)") == 1, result.stderr


def test_troubled_pods_on_many_nodes_read_the_nodes_in_one_list(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """Beyond a few nodes, one list of the nodes (from the watch cache) instead of a GET each."""
    names = [f"{namespace}-n{i:02d}" for i in range(12)]
    kubelets = {name: f"v1.{21 + i % 13}.0" for i, name in enumerate(names)}
    try:
        for name in names:
            cluster.rest.post("/api/v1/nodes", {"metadata": {"name": name}})
            info = {
                "kubeletVersion": kubelets[name],
                "containerRuntimeVersion": "containerd://1.7.0",
            }
            cluster.rest.merge_patch(f"/api/v1/nodes/{name}/status", {"status": {"nodeInfo": info}})
            pod = f"on-{name[-3:]}"
            cluster.create_pod(namespace, pod, [("app", IMAGE)], node_name=name)
            cluster.simulate_pull_failure(namespace, pod, "app", IMAGE, RUNTIME_404)
        result = run_plugin("diagnose", "pod", "-n", namespace, "-o", "json", "--debug")
    finally:
        for name in names:
            cluster.rest.request("DELETE", f"/api/v1/nodes/{name}")
    assert result.returncode == 1, result.stderr
    assumed = {i["pod"]: i["kubelet"]["kubeletVersion"] for i in json.loads(result.stdout)["items"]}
    assert assumed == {f"on-{name[-3:]}": kubelets[name] for name in names}
    node_reads = re.findall(r"GET (/api/v1/nodes\S*) -> 200", result.stderr)
    assert len(node_reads) == 1 and node_reads[0].startswith("/api/v1/nodes?"), node_reads

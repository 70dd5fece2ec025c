"""Issue 21 on the real nodes: pulls that fail for causes outside the credentials, made for real
on both nodes, with a pull secret that matches the registry each time. The verdict must name
the cause, never blame the credentials; and once the cause is gone, the kubelet's retry pulls.

- the registry answers 503 Service Unavailable, or 500, for the image's manifest (a front
  before the real registry: tests/support/registry_faults.py);
- a layer arrives cut short (the front answers with fewer bytes than the manifest says; when it
  instead closes the connection early, containerd 2.4 fetches the rest again and again, and the
  pull never fails);
- the image has no manifest for the node's platform (an index with an arm64 image only);
- the node's disk is full (containerd's content store is a 64 MiB tmpfs; the image's layer is
  96 MiB), then it gets room;
- the kubelet's own pull throttle (registryPullQPS 1, burst 1; several Pods at once).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.node.test_scenarios import codes, problem, run_diagnose
from tests.support.node import ALICE, APP_CONFIG, APP_MESSAGE, PUSHER, Node, app_files
from tests.support.node_config import KubeletSettings
from tests.support.node_fixtures import SUITE_SETTINGS
from tests.support.plugin import PluginRunner
from tests.support.registries import ImageFile, write_oci_layout
from tests.support.registry_faults import (
    RegistryFault,
    RegistryFront,
    write_big_layer_image,
    write_platform_index,
)

Json = dict[str, Any]
OUTCOME_TIMEOUT_S = 120.0
RECOVERY_TIMEOUT_S = 330.0  # the kubelet's pull back-off reaches 5 minutes at most
BIG_LAYER = 96 << 20  # more than the node's content store (CONTENT_STORE_SIZE, 64 MiB)
BLAMING = {"CredentialsRejected", "NoPullSecrets", "NoCredentialsForRegistry", "SecretNotFound"}


@dataclass
class Trouble:
    """One failing pull: its Pod, the verdict it must get, and how the cause goes away."""

    name: str
    namespace: str
    image: str
    code: str
    text: str  # what the runtime's error says, in part
    recover: Callable[[], None]


def layout_layers(layout: Path) -> list[str]:
    """The layer digests of an OCI layout's only image."""
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":", 1)[1]
    manifest = json.loads((layout / "blobs" / "sha256" / digest).read_text())
    return [layer["digest"] for layer in manifest["layers"]]


class Troubles:
    """Builds the failing pulls on a node, and follows their Pods."""

    def __init__(self, node: Node, folder: Path) -> None:
        self.node = node
        self.folder = folder
        self.fronts: list[RegistryFront] = []

    def namespace(self, name: str, server: str) -> str:
        ns = self.node.cluster.create_namespace(name)
        self.node.cluster.create_docker_secret(ns, "team-creds", {server: ALICE})
        return ns

    def pod(self, ns: str, image: str) -> None:
        manifest = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {
                "containers": [{"name": "app", "image": image}],
                "imagePullSecrets": [{"name": "team-creds"}],
            },
        }
        self.node.cluster.rest.post(f"/api/v1/namespaces/{ns}/pods", manifest)

    def front(self, *faults: RegistryFault) -> RegistryFront:
        front = RegistryFront(self.node.basic.registry, faults).start()
        self.fronts.append(front)
        self.node.trust_registry(front.hostport)
        return front

    def unique_image(self, repository: str, tag: str) -> tuple[str, list[str]]:
        """The app image with a layer no other image shares (containerd would not fetch a
        layer it holds already), pushed to the basic registry; its layer digests."""
        files = [*app_files(), ImageFile("unique.txt", secrets.token_bytes(16))]
        layout = write_oci_layout(self.folder / tag, tag, files=files, config=APP_CONFIG)
        self.node.basic.registry.push(layout, tag, f"{repository}:{tag}", PUSHER)
        return f"{self.node.basic.hostport}/{repository}:{tag}", layout_layers(layout)

    def waiting(self, ns: str) -> Json:
        statuses = self.node.cluster.get_pod(ns, "web").get("status", {}).get("containerStatuses")
        return dict((statuses or [{}])[0].get("state", {}).get("waiting") or {})

    def error_events(self, ns: str) -> list[str]:
        items = self.node.cluster.rest.get(f"/api/v1/namespaces/{ns}/events")["items"]
        return [
            str(e["message"])
            for e in items
            if e["reason"] == "Failed" and str(e["message"]).startswith("Failed to pull image")
        ]

    def failed_with(self, ns: str, text: str) -> bool:
        """The kubelet reported a pull failure whose error says `text`."""
        waiting = self.waiting(ns)
        if waiting.get("reason") not in ("ErrImagePull", "ImagePullBackOff"):
            return False
        return any(text in m for m in [waiting.get("message", ""), *self.error_events(ns)])

    def running(self, ns: str) -> bool:
        statuses = self.node.cluster.get_pod(ns, "web").get("status", {}).get("containerStatuses")
        return bool(statuses) and "running" in statuses[0]["state"]

    def stop(self) -> None:
        for front in self.fronts:
            front.stop()


@pytest.fixture(scope="module")
def troubles(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Troubles]:
    built = Troubles(node, tmp_path_factory.mktemp("images"))
    try:
        yield built
    finally:
        built.stop()


def diagnosed(plugin: PluginRunner, ns: str) -> Json:
    result = run_diagnose(plugin, "web", "-n", ns)
    assert result.json.returncode == 1, result.json.stdout
    (item,) = result.doc["items"]
    return item


def judge(trouble: Trouble, troubles: Troubles, plugin: PluginRunner) -> None:
    """The kubelet failed for that cause; the verdict names it alone and blames nothing;
    then the cause goes away and the kubelet's retry pulls."""
    node, ns = troubles.node, trouble.namespace
    node.wait_for(
        f"{trouble.name}: a pull failure saying {trouble.text!r}",
        lambda: troubles.failed_with(ns, trouble.text),
        OUTCOME_TIMEOUT_S,
        1.0,
    )
    item = diagnosed(plugin, ns)
    found = codes(item)
    assert found == [trouble.code], item["problems"]
    assert not BLAMING & set(found)
    said = problem(item, trouble.code)["message"]
    assert trouble.text in said, said
    assert ALICE[1] not in json.dumps(item)
    trouble.recover()
    node.wait_for(f"{trouble.name} to run", lambda: troubles.running(ns), RECOVERY_TIMEOUT_S, 1.0)
    logs = node.kubectl("logs", "web", "-n", ns)
    assert logs.stdout.strip() == APP_MESSAGE


@pytest.mark.parametrize(
    ("status", "said"), [(503, "503 Service Unavailable"), (500, "500 Internal Server Error")]
)
def test_a_registry_that_fails(
    status: int, said: str, troubles: Troubles, node: Node, node_plugin: PluginRunner
) -> None:
    front = troubles.front(RegistryFault(r"/manifests/", status=status))
    tag = node.unique_tag(f"status-{status}")
    node.push_app(node.basic, "team/app", tag)
    ns = troubles.namespace(f"registry-{status}", front.hostport)
    image = f"{front.hostport}/team/app:{tag}"
    troubles.pod(ns, image)
    judge(
        Trouble(f"registry-{status}", ns, image, "RegistryServerError", said, front.set_faults),
        troubles,
        node_plugin,
    )
    assert front.seen("/manifests/"), "the runtime never asked the front"


def test_a_layer_cut_short(troubles: Troubles, node: Node, node_plugin: PluginRunner) -> None:
    tag = node.unique_tag("cut")
    image, layers = troubles.unique_image("team/cut", tag)
    front = troubles.front(RegistryFault(f"/blobs/{layers[0]}", truncate_to=16, method="GET"))
    ns = troubles.namespace("layer-cut", front.hostport)
    fronted = image.replace(node.basic.hostport, front.hostport, 1)
    troubles.pod(ns, fronted)
    judge(
        Trouble("layer-cut", ns, fronted, "DownloadDamaged", "unexpected EOF", front.set_faults),
        troubles,
        node_plugin,
    )
    assert front.seen(f"/blobs/{layers[0]}")


def test_an_image_for_another_platform(
    troubles: Troubles, node: Node, node_plugin: PluginRunner
) -> None:
    tag = node.unique_tag("arm")
    layout = write_platform_index(troubles.folder / tag, tag, files=app_files(), config=APP_CONFIG)
    node.basic.registry.push(layout, tag, f"team/arm-only:{tag}", PUSHER, all_platforms=True)
    ns = troubles.namespace("other-platform", node.basic.hostport)
    image = node.basic.image("team/arm-only", tag)
    troubles.pod(ns, image)

    def push_this_platform() -> None:
        node.push_app(node.basic, "team/arm-only", tag)

    judge(
        Trouble(
            "other-platform",
            ns,
            image,
            "NoMatchingPlatform",
            "no match for platform",
            push_this_platform,
        ),
        troubles,
        node_plugin,
    )


def test_a_full_disk(troubles: Troubles, node: Node, node_plugin: PluginRunner) -> None:
    tag = node.unique_tag("big")
    layout = write_big_layer_image(
        troubles.folder / tag, tag, BIG_LAYER, files=app_files(), config=APP_CONFIG
    )
    node.basic.registry.push(layout, tag, f"team/big:{tag}", PUSHER)
    ns = troubles.namespace("disk-full", node.basic.hostport)
    image = node.basic.image("team/big", tag)
    troubles.pod(ns, image)
    judge(
        Trouble(
            "disk-full",
            ns,
            image,
            "NodeDiskFull",
            "no space left on device",
            lambda: node.resize_content_store("512m"),
        ),
        troubles,
        node_plugin,
    )


@pytest.fixture
def throttled(node: Node) -> Iterator[None]:
    """The kubelet allows one pull per second, with no burst, then the suite's settings."""
    node.restart_kubelet(KubeletSettings(registry_pull_qps=1, registry_burst=1))
    try:
        yield
    finally:
        node.restart_kubelet(SUITE_SETTINGS)


def test_the_kubelets_pull_throttle(
    troubles: Troubles, node: Node, node_plugin: PluginRunner, throttled: None
) -> None:
    namespaces = []
    for index in range(4):
        ns = troubles.namespace(f"throttled-{index}", node.basic.hostport)
        troubles.pod(ns, node.push_app(node.basic, "team/app", node.unique_tag(f"qps{index}")))
        namespaces.append(ns)
    # Four pulls within a second, one allowed: the others fail before any reaches the runtime.
    ns = node.wait_for(
        "a pull refused by the kubelet's throttle",
        lambda: next((n for n in namespaces if troubles.failed_with(n, "pull QPS exceeded")), None),
        OUTCOME_TIMEOUT_S,
        0.2,
    )
    item = diagnosed(node_plugin, ns)
    assert codes(item) == ["PullThrottled"], item["problems"]
    assert "pull QPS exceeded" in problem(item, "PullThrottled")["message"]
    # The throttle passes: every Pod pulls at a later retry.
    for each in namespaces:
        node.wait_for(f"{each} to run", lambda n=each: troubles.running(n), RECOVERY_TIMEOUT_S, 1.0)

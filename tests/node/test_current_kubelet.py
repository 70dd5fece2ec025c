"""What only a current kubelet shows (issue 20, 4), on the genuine current node (kubelet 1.37.2
on containerd 2.4.2), each situation checked against what the kubelet did and then diagnosed:

- KubeletEnsureSecretPulledImages (KEP-2535, beta and on by default from 1.35): Pod "first"
  pulls a private image with its secret; Pods "anonymous" (no secret), "wrong" (a wrong
  password) and "never" (no secret, pullPolicy Never) use the same image on the same node,
  and none of them may start on first's pull. Under the policy NeverVerify (a kubelet
  restart) a Pod like "anonymous" starts on it, and the plugin reports nothing.
- FailedToRetrieveImagePullSecret, which 1.37 writes only when a pull failed
  (kubernetes#138432, CHANGELOG-1.37): a Deployment that runs on its cached image with one of
  its secrets gone gets none, and is still found, through its template.
- The node's own credentials: the kubelet's exec credential provider (tests/support/
  node_config.py) hands out the basic registry's credentials for PROVIDED, wrong ones for
  PROVIDED_WRONG; Pods without a pull secret pull with them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.node.test_scenarios import (
    codes,
    command_of,
    fill,
    problem,
    run_diagnose,
)
from tests.support.node import (
    ALICE,
    APP_MESSAGE,
    PROVIDED,
    PROVIDED_WRONG,
    Node,
)
from tests.support.node_config import KubeletSettings
from tests.support.node_fixtures import CURRENT, SUITE_SETTINGS
from tests.support.plugin import PluginRunner

pytestmark = pytest.mark.parametrize("node", [CURRENT], indirect=True)

Json = dict[str, Any]
OUTCOME_TIMEOUT_S = 120.0
FIX_TIMEOUT_S = 330.0  # the kubelet's pull back-off reaches 5 minutes at most
ANONYMOUS = (
    "pull access denied, repository does not exist or may require authorization: "
    "authorization failed: no basic auth credentials"
)


@dataclass
class Place:
    """One namespace's Pods, created from manifests kept here, and what the kubelet did."""

    node: Node
    namespace: str
    manifests: dict[str, Json] = field(default_factory=dict)

    def pod(
        self,
        name: str,
        image: str,
        secrets: list[str] | None = None,
        policy: str | None = None,
    ) -> Json:
        container: Json = {"name": "app", "image": image}
        if policy:
            container["imagePullPolicy"] = policy
        spec: Json = {"containers": [container]}
        if secrets is not None:
            spec["imagePullSecrets"] = [{"name": s} for s in secrets]
        manifest = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": spec,
        }
        self.node.cluster.rest.post(f"/api/v1/namespaces/{self.namespace}/pods", manifest)
        self.manifests[name] = manifest
        return manifest

    def get(self, name: str) -> Json:
        return self.node.cluster.get_pod(self.namespace, name)

    def waiting(self, name: str) -> Json:
        statuses = self.get(name).get("status", {}).get("containerStatuses") or []
        return dict(statuses[0]["state"].get("waiting") or {}) if statuses else {}

    def running(self, name: str) -> bool:
        statuses = self.get(name).get("status", {}).get("containerStatuses") or []
        return bool(statuses) and "running" in statuses[0]["state"]

    def events(self, name: str, reason: str | None = None) -> list[str]:
        uid = self.get(name)["metadata"]["uid"]
        items = self.node.cluster.rest.get(f"/api/v1/namespaces/{self.namespace}/events")["items"]
        return [
            str(e.get("message", ""))
            for e in items
            if e["involvedObject"].get("uid") == uid and (reason is None or e["reason"] == reason)
        ]

    def wait(self, what: str, probe: Any, timeout: float = OUTCOME_TIMEOUT_S) -> Any:
        return self.node.wait_for(f"{what} in {self.namespace}", probe, timeout, 1.0)

    def wait_failing(self, name: str, reasons: tuple[str, ...]) -> Json:
        return self.wait(
            f"{name} to fail with {reasons}",
            lambda: (w := self.waiting(name)) and w.get("reason") in reasons and w,
        )

    def wait_running(self, name: str, timeout: float = OUTCOME_TIMEOUT_S) -> None:
        self.wait(f"{name} to run", lambda: self.running(name), timeout)
        logs = self.node.kubectl("logs", name, "-n", self.namespace)
        assert logs.stdout.strip() == APP_MESSAGE


def node_images(node: Node) -> set[str]:
    """The images the kubelet reports in the node's status (its names, tags and digests)."""
    status = node.cluster.rest.get(f"/api/v1/nodes/{node.name}")["status"]
    return {name for image in status.get("images") or [] for name in image.get("names") or []}


# ---------------------------------------------------------------------------------------------
# KEP-2535: a cached image needs each Pod's own credentials


@dataclass
class Cached:
    place: Place
    image: str


@pytest.fixture(scope="module")
def cached(node: Node) -> Cached:
    """first pulls the image with its secret; then the others ask for the same image."""
    place = Place(node, node.cluster.create_namespace("cached-image"))
    image = node.push_app(node.basic, "team/private", node.unique_tag("cached"))
    node.cluster.create_docker_secret(place.namespace, "team-creds", {node.basic.hostport: ALICE})
    wrong = (ALICE[0], "Wrong-pw-cached")
    node.cluster.create_docker_secret(place.namespace, "wrong-creds", {node.basic.hostport: wrong})
    place.pod("first", image, ["team-creds"])
    place.wait_running("first")
    # The kubelet reports the image in the node's status with its next update (10 s here).
    place.wait("the image in the node's status", lambda: image in node_images(node), 60)
    place.pod("anonymous", image)
    place.pod("wrong", image, ["wrong-creds"])
    place.pod("never", image, policy="Never")
    return Cached(place, image)


def test_a_cached_image_is_pulled_again_for_a_pod_without_credentials(
    cached: Cached, node: Node, node_plugin: PluginRunner
) -> None:
    place = cached.place
    waiting = place.wait_failing("anonymous", ("ErrImagePull", "ImagePullBackOff"))
    # The image sits on the node, and still the kubelet pulled: with this Pod's credentials,
    # which are none, and the registry refused.
    assert cached.image in node.images_on_node()
    pulls = place.events("anonymous", "Pulling")
    assert pulls == [f'Pulling image "{cached.image}"'], pulls
    assert waiting["message"].endswith(ANONYMOUS), waiting
    assert place.events("first", "Pulled")[0].startswith(
        f'Successfully pulled image "{cached.image}"'
    )

    named = run_diagnose(node_plugin, "anonymous", "-n", place.namespace)
    assert named.table.returncode == 1
    (item,) = named.doc["items"]
    assert codes(item) == ["CachedImageNotVerified", "NoPullSecrets"], item["problems"]
    said = problem(item, "CachedImageNotVerified")["message"]
    assert f"{cached.image} is on node {node.name}" in said
    assert "this Pod's credentials were never verified for it" in said
    assert "KubeletEnsureSecretPulledImages" in said
    # The printed fix: a secret of this Pod's own, and the Pod re-created with it.
    hint = problem(item, "NoPullSecrets")["hint"]
    created = node.shell(fill(command_of(hint)))
    assert created.returncode == 0, created.stderr
    secret = hint.split("kubectl create secret docker-registry ", 1)[1].split()[0]
    manifest = json.loads(json.dumps(place.manifests["anonymous"]))
    manifest["spec"]["imagePullSecrets"] = [{"name": secret}]
    for command in (
        f"kubectl delete pod anonymous -n {place.namespace}",
        f"kubectl apply -f - <<'EOF'\n{json.dumps(manifest)}\nEOF",
    ):
        result = node.shell(command)
        assert result.returncode == 0, result.stderr
    place.wait_running("anonymous", FIX_TIMEOUT_S)


def test_a_wrong_secret_does_not_reach_a_cached_image(
    cached: Cached, node: Node, node_plugin: PluginRunner
) -> None:
    place = cached.place
    waiting = place.wait_failing("wrong", ("ErrImagePull", "ImagePullBackOff"))
    assert waiting["message"].endswith(": 401 Unauthorized"), waiting
    named = run_diagnose(node_plugin, "wrong", "-n", place.namespace)
    (item,) = named.doc["items"]
    assert codes(item) == ["CachedImageNotVerified", "CredentialsRejected"], item["problems"]
    assert "wrong-creds" in problem(item, "CredentialsRejected")["message"]


def test_pull_policy_never_says_not_present_although_it_is(
    cached: Cached, node: Node, node_plugin: PluginRunner
) -> None:
    place = cached.place
    waiting = place.wait_failing("never", ("ErrImageNeverPull",))
    # "We don't want to reveal the presence of an image if it cannot be accessed"
    # (image_manager.go imageNotPresentOnNeverPolicyError).
    assert waiting["message"] == (
        f'Container image "{cached.image}" is not present with pull policy of Never'
    )
    assert cached.image in node.images_on_node()
    named = run_diagnose(node_plugin, "never", "-n", place.namespace)
    (item,) = named.doc["items"]
    assert codes(item)[0] == "CachedImageNotVerified", item["problems"]
    assert "not a credentials problem" not in json.dumps(item["problems"])


@pytest.fixture
def never_verify(node: Node) -> Iterator[None]:
    """The kubelet restarted with imagePullCredentialsVerificationPolicy: NeverVerify (the
    behaviour before 1.35), then with the suite's settings again."""
    node.restart_kubelet(KubeletSettings(verification_policy="NeverVerify", registry_pull_qps=0))
    try:
        yield
    finally:
        node.restart_kubelet(SUITE_SETTINGS)


def test_under_never_verify_the_cached_image_runs_and_nothing_is_reported(
    cached: Cached, node: Node, node_plugin: PluginRunner, never_verify: None
) -> None:
    place = cached.place
    place.pod("trusting", cached.image)
    place.wait_running("trusting")
    assert place.events("trusting", "Pulling") == []
    # The gate is still on; the policy lets every Pod use the image (image_manager.go).
    assert place.events("trusting", "Pulled") == [
        f'Container image "{cached.image}" already present on machine and can be accessed by '
        "the pod"
    ]
    named = run_diagnose(node_plugin, "trusting", "-n", place.namespace)
    assert named.table.returncode == 0, named.table.stdout
    (item,) = named.doc["items"]
    assert item["problems"] == [] and item["state"] == "Running"
    listed = run_diagnose(node_plugin, "-n", place.namespace)
    assert "trusting" not in {i["pod"] for i in listed.doc["items"]}


# ---------------------------------------------------------------------------------------------
# FailedToRetrieveImagePullSecret on 1.37


def test_a_missing_secret_is_reported_only_when_a_pull_fails(
    node: Node, node_plugin: PluginRunner
) -> None:
    """1.37 writes the event only for a sync whose pull failed (kubernetes#138432): a Pod that
    cannot pull gets it; a Deployment running on its image, one of its two secrets gone, gets
    none. diagnose finds both."""
    place = Place(node, node.cluster.create_namespace("missing-secret"))
    image = node.push_app(node.basic, "team/app", node.unique_tag("missing"))
    place.pod("stuck", image, ["gone"])
    node.cluster.create_docker_secret(place.namespace, "team-creds", {node.basic.hostport: ALICE})
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "steady", "namespace": place.namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "steady"}},
            "template": {
                "metadata": {"labels": {"app": "steady"}},
                "spec": {
                    "containers": [{"name": "app", "image": image}],
                    "imagePullSecrets": [{"name": "gone"}, {"name": "team-creds"}],
                },
            },
        },
    }
    node.cluster.rest.post(f"/apis/apps/v1/namespaces/{place.namespace}/deployments", deployment)
    place.wait_failing("stuck", ("ErrImagePull", "ImagePullBackOff"))
    reported = place.wait(
        "the event on the failing Pod",
        lambda: place.events("stuck", "FailedToRetrieveImagePullSecret"),
    )
    assert set(reported) == {
        "Unable to retrieve some image pull secrets (gone); attempting to pull the image may "
        "not succeed."
    }

    def steady_pod() -> str | None:
        pods = node.cluster.rest.get(
            f"/api/v1/namespaces/{place.namespace}/pods", labelSelector="app=steady"
        )["items"]
        return pods[0]["metadata"]["name"] if pods else None

    steady = place.wait("the Deployment's Pod", steady_pod)
    place.wait_running(steady)
    # Running, on syncs that pull nothing any more: no event, now or later.
    time.sleep(15)  # a sync is every 10 s here (syncFrequency): more than one has run
    assert place.events(steady, "FailedToRetrieveImagePullSecret") == []

    listed = run_diagnose(node_plugin, "-n", place.namespace)
    assert listed.json.returncode == 1
    stuck = next(i for i in listed.doc["items"] if i["pod"] == "stuck")
    assert codes(stuck) == ["SecretNotFound"]
    assert "reports FailedToRetrieveImagePullSecret" in problem(stuck, "SecretNotFound")["message"]
    latent = next(i for i in listed.doc["items"] if i["owners"] and i["template"])
    assert latent["owners"] == [{"kind": "Deployment", "name": "steady"}]
    assert [(p["code"], p["severity"]) for p in latent["problems"]] == [
        ("SecretNotFound", "warning")
    ]
    said = problem(latent, "SecretNotFound")["message"]
    assert "only when a pull fails" in said, said


# ---------------------------------------------------------------------------------------------
# Credentials from the node: the kubelet's exec credential provider


def test_a_pod_without_secrets_pulls_with_the_nodes_credentials(
    node: Node, node_plugin: PluginRunner
) -> None:
    place = Place(node, node.cluster.create_namespace("node-credentials"))
    image = node.push_app(node.basic, f"{PROVIDED}/app", node.unique_tag("provided"))
    place.pod("provided", image)
    place.wait_running("provided")
    assert place.events("provided", "Pulled")[0].startswith(f'Successfully pulled image "{image}"')
    named = run_diagnose(node_plugin, "provided", "-n", place.namespace)
    assert named.table.returncode == 0, named.table.stdout
    (item,) = named.doc["items"]
    assert item["problems"] == [] and item["state"] == "Running"


def test_node_credentials_the_registry_refuses(node: Node, node_plugin: PluginRunner) -> None:
    place = Place(node, node.cluster.create_namespace("node-credentials-wrong"))
    image = node.push_app(node.basic, f"{PROVIDED_WRONG}/app", node.unique_tag("refused"))
    place.pod("refused", image)
    waiting = place.wait_failing("refused", ("ErrImagePull", "ImagePullBackOff"))
    # containerd sent the provider's credentials: the registry's status, not "no basic auth
    # credentials".
    assert waiting["message"].endswith(
        f"unexpected status from HEAD request to https://{node.basic.hostport}/v2/"
        f"{PROVIDED_WRONG}/app/manifests/{image.rsplit(':', 1)[1]}: 401 Unauthorized"
    ), waiting
    named = run_diagnose(node_plugin, "refused", "-n", place.namespace)
    assert named.table.returncode == 1
    (item,) = named.doc["items"]
    assert codes(item) == ["CredentialsRejected"], item["problems"]
    said = problem(item, "CredentialsRejected")["message"]
    assert "the node offered credentials" in said and "the registry refused them" in said
    assert "NoPullSecrets" not in named.table.stdout
    assert "no imagePullSecrets" not in said

"""Issue 11's scenarios on the real nodes: what each one sets up, and what the kubelet did.

They run on both nodes (kubelet 1.20.2 on containerd 1.6, the current release on containerd
2); where the two kubelets do different things with the same situation, the scenario says which
does what (`Shop.release` rules below), and tests/node/test_scenarios.py checks each.

Every scenario gets its own namespace and its own image tag (an image already on the node is
never pulled again, IfNotPresent), and all of them start at once: the kubelet's pull back-off
runs on the wall clock, so scenarios set up one after another would wait minutes for retries.
`observe` then waits until the kubelet has done what each scenario expects: failed to pull
(ErrImagePull or ImagePullBackOff, with its Failed event) or run the container.

Secrets are created as `kubectl create secret docker-registry` writes them (Cluster helpers),
Pods and the Deployment from manifests kept here, so that a hint saying "re-create it from its
manifest" can be followed to the letter.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.support.control_plane import DOCKERCFG, OPAQUE, ApiError
from tests.support.node import ALICE, Node, NodeRegistry

Json = dict[str, Any]

PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")
LABEL = "pullsecret-scenario"
OUTCOME_TIMEOUT_S = 240.0
DEPLOYMENT_REPLICAS = 3
INIT_COMMAND = ["sh", "-c", "echo init done"]


@dataclass
class Scenario:
    """One situation the kubelet meets; `pods` and `events` are what it did about it."""

    name: str
    namespace: str
    image: str
    fails: bool  # the kubelet cannot pull the image (True) or the container runs (False)
    manifest: Json  # the Pod, or the Deployment, as created
    init: bool = False  # the image is the init container's
    replicas: int = 1  # the Pods it runs (a workload's replicas)
    # How the kubelet says it fails: waiting reasons, and the event that carries the error.
    waiting: tuple[str, ...] = PULL_FAILURES
    event: tuple[str, str] = ("Failed", "Failed to pull image")
    pods: list[Json] = field(default_factory=list)
    events: list[Json] = field(default_factory=list)
    observed_after_s: float | None = None
    error: str | None = None  # why the kubelet's outcome never came

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def name_of_object(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def container(self) -> str:
        return "setup" if self.init else "app"

    @property
    def status_key(self) -> str:
        return "initContainerStatuses" if self.init else "containerStatuses"

    def status(self, pod: Json) -> Json:
        """The status of this scenario's container in `pod` ({} before the kubelet wrote one)."""
        for status in pod.get("status", {}).get(self.status_key) or []:
            if status["name"] == self.container:
                return dict(status)
        return {}

    def waiting_reason(self, pod: Json) -> str:
        return str(self.status(pod).get("state", {}).get("waiting", {}).get("reason", ""))

    def events_of(self, pod: Json, reason: str | None = None) -> list[Json]:
        uid = pod["metadata"]["uid"]
        return [
            e
            for e in self.events
            if e["involvedObject"].get("uid") == uid and (reason is None or e["reason"] == reason)
        ]

    def messages(self, pod: Json, reason: str | None = None) -> list[str]:
        return [str(e.get("message", "")) for e in self.events_of(pod, reason)]

    def reached(self, pods: list[Json], events: list[Json]) -> bool:
        expected = self.replicas
        mine = [p for p in pods if p["metadata"].get("labels", {}).get(LABEL) == self.name]
        if len(mine) != expected:
            return False
        self.events = [e for e in events if e["metadata"]["namespace"] == self.namespace]
        for pod in mine:
            if self.fails:
                reason, prefix = self.event
                failed = any(m.startswith(prefix) for m in self.messages(pod, reason))
                if self.waiting_reason(pod) not in self.waiting or not failed:
                    return False
            elif "running" not in self.status(pod).get("state", {}) or not self.events_of(
                pod, "Started"
            ):
                return False
        self.pods = mine
        return True


class Shop:
    """Builds the scenarios on a node; names and credentials each fix needs."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.release = node.release
        self.scenarios: dict[str, Scenario] = {}
        self.run_id = secrets.token_hex(3)
        self.vault = ""
        self.seed_secret = f"regcred-{self.run_id}"  # unique: the copy hint names where it is
        self.wrong_password = "Wrong-pw-" + secrets.token_hex(4)
        self._late: list[Callable[[], None]] = []
        self._after_pods: list[Callable[[], None]] = []

    # -- what this node's kubelet does differently ---------------------------------------------

    @property
    def verifies_cached_images(self) -> bool:
        """KubeletEnsureSecretPulledImages (KEP-2535), beta and on by default from 1.35
        (kube_features.go): an image another Pod's secret pulled is pulled again with this
        Pod's own credentials before it may run."""
        return self.release.kubernetes.at_least(35)

    @property
    def credential_errors_as_reason(self) -> bool:
        """From 1.33 a pull secret the kubelet cannot decode fails the container before any
        pull (image_manager.go EnsureImageExists: lookupPullCredentials): the error text is the
        waiting reason, with an `Error: <text>` event and no `Failed to pull image`."""
        return self.release.kubernetes.at_least(33)

    def malformed_outcome(self) -> dict[str, Any]:
        if not self.credential_errors_as_reason:
            return {}
        error = "illegal base64 data at input byte 0"
        return {"waiting": (error,), "event": ("Failed", f"Error: {error}")}

    # -- building blocks ----------------------------------------------------------------------

    @property
    def basic(self) -> NodeRegistry:
        return self.node.basic

    @property
    def token(self) -> NodeRegistry:
        return self.node.token

    def namespace(self, name: str) -> str:
        ns = self.node.cluster.create_namespace(name)
        return ns

    def app_image(self, registry: NodeRegistry, label: str, repository: str = "team/app") -> str:
        return self.node.push_app(registry, repository, self.node.unique_tag(label))

    def docker_secret(
        self, ns: str, name: str, auths: dict[str, Any], type: str | None = None
    ) -> None:
        kwargs = {"type": type} if type else {}
        self.node.cluster.create_docker_secret(ns, name, auths, **kwargs)

    def pod(
        self,
        scenario: str,
        ns: str,
        name: str,
        image: str,
        pull_secrets: Iterable[str] | None = None,
        init_image: str | None = None,
        app_image: str | None = None,
        service_account: str | None = None,
    ) -> Json:
        spec: Json = {"containers": [{"name": "app", "image": app_image or image}]}
        if service_account is not None:
            spec["serviceAccountName"] = service_account
        if init_image is not None:
            spec["initContainers"] = [
                {"name": "setup", "image": init_image, "command": INIT_COMMAND}
            ]
        if pull_secrets is not None:
            spec["imagePullSecrets"] = [{"name": s} for s in pull_secrets]
        manifest = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {LABEL: scenario}},
            "spec": spec,
        }
        self.node.cluster.rest.post(f"/api/v1/namespaces/{ns}/pods", manifest)
        return manifest

    def add(
        self,
        name: str,
        ns: str,
        image: str,
        fails: bool,
        manifest: Json,
        init: bool = False,
        **how: Any,
    ) -> Scenario:
        scenario = Scenario(name, ns, image, fails, copy.deepcopy(manifest), init, **how)
        self.scenarios[name] = scenario
        return scenario

    # -- the scenarios ------------------------------------------------------------------------

    def build(self) -> dict[str, Scenario]:
        """Create every scenario's objects (the Pods last, so their pulls start together)."""
        node, basic, token = self.node, self.basic, self.token
        good = {basic.hostport: ALICE}
        pods: list[Callable[[], None]] = []

        def scenario(
            name: str,
            image: str,
            fails: bool,
            pod_name: str = "web",
            pull_secrets: list[str] | None = None,
            how: dict[str, Any] | None = None,
            **pod_args: Any,
        ) -> str:
            ns = self.namespace(name)

            def create() -> None:
                manifest = self.pod(name, ns, pod_name, image, pull_secrets, **pod_args)
                init = "init_image" in pod_args
                self.add(name, ns, image, fails, manifest, init=init, **(how or {}))

            pods.append(create)
            return ns

        # The seeds' case: the secret lives in another namespace.
        self.vault = self.namespace("vault")
        self.docker_secret(self.vault, self.seed_secret, good)
        scenario(
            "secret-elsewhere",
            self.app_image(basic, "elsewhere"),
            True,
            pod_name="nginx-pod",
            pull_secrets=[self.seed_secret],
        )

        # The secret covers another registry: same host, another port.
        ns = scenario(
            "other-registry", self.app_image(basic, "other"), True, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", {token.hostport: ALICE})

        ns = scenario(
            "wrong-password", self.app_image(basic, "wrong"), True, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", {basic.hostport: (ALICE[0], self.wrong_password)})

        # Fixed only once the spam filter thins its events (the last test).
        ns = scenario(
            "late-fix", self.app_image(basic, "late-fix"), True, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", {basic.hostport: (ALICE[0], self.wrong_password)})

        ns = scenario(
            "correct", self.app_image(basic, "correct"), False, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", good)

        ns = scenario("opaque", self.app_image(basic, "opaque"), True, pull_secrets=["team-creds"])
        self.docker_secret(ns, "team-creds", good, type=OPAQUE)

        # Valid JSON (the apiserver accepts it), but `auth` is not base64.
        malformed = {"auth": "%%%not-base64%%%"}
        ns = scenario(
            "malformed",
            self.app_image(basic, "malformed"),
            True,
            pull_secrets=["team-creds"],
            how=self.malformed_outcome(),
        )
        self.docker_secret(ns, "team-creds", {basic.hostport: malformed})

        # One malformed secret blocks a good one listed after it.
        ns = scenario(
            "malformed-first",
            self.app_image(basic, "blocked"),
            True,
            pull_secrets=["broken", "team-creds"],
            how=self.malformed_outcome(),
        )
        self.docker_secret(ns, "broken", {"registry.example.com": malformed})
        self.docker_secret(ns, "team-creds", good)

        missing_tag = basic.image("team/app", node.unique_tag("missing"))
        ns = scenario("missing-tag", missing_tag, True, pull_secrets=["team-creds"])
        self.docker_secret(ns, "team-creds", good)

        missing_repo = basic.image(f"team/nothere-{self.run_id}", "v1")
        ns = scenario("missing-repo", missing_repo, True, pull_secrets=["team-creds"])
        self.docker_secret(ns, "team-creds", good)

        # Docker Hub, on a node with no network.
        scenario("docker-hub", "nginx", True)

        # The Docker Hub key spelling, on a registry of our own: with its slash and without.
        ns = scenario(
            "v1-slash", self.app_image(basic, "slash"), False, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", {f"https://{basic.hostport}/v1/": ALICE})
        ns = scenario(
            "v1-no-slash", self.app_image(basic, "noslash"), True, pull_secrets=["team-creds"]
        )
        self.docker_secret(ns, "team-creds", {f"https://{basic.hostport}/v1": ALICE})

        # The legacy secret type, kubernetes.io/dockercfg, still works.
        ns = scenario("dockercfg", self.app_image(basic, "legacy"), False, pull_secrets=["legacy"])
        self.docker_secret(ns, "legacy", good, type=DOCKERCFG)

        # An image name the kubelet refuses before any pull: repositories are lowercase.
        scenario(
            "invalid-name",
            basic.image("Team/App", "v1"),
            True,
            pull_secrets=[],
            how={"waiting": ("InvalidImageName",), "event": ("InspectFailed", "Failed to apply")},
        )

        # A ServiceAccount whose pull secrets arrive after the Pod was admitted.
        ns = scenario("sa-after-pod", self.app_image(basic, "sa"), True, service_account="builder")
        self.docker_secret(ns, "team-creds", good)
        self.node.cluster.create_service_account(ns, "builder")
        self._after_pods.append(
            lambda ns=ns: self.node.cluster.patch_service_account_pull_secrets(
                ns, "builder", ["team-creds"]
            )
        )

        # Token auth: no secret at all (anonymous), and a wrong password.
        scenario("token-anonymous", self.app_image(token, "anonymous"), True)
        ns = scenario(
            "token-wrong-password",
            self.app_image(token, "wrong"),
            True,
            pull_secrets=["team-creds"],
        )
        self.docker_secret(ns, "team-creds", {token.hostport: (ALICE[0], self.wrong_password)})

        # An init container whose registry no secret covers; the app's image is on the open
        # registry, which needs none.
        init_image = self.app_image(basic, "init", repository="team/tools")
        ns = scenario(
            "init-container",
            init_image,
            True,
            pull_secrets=["team-creds"],
            init_image=init_image,
            app_image=self.app_image(node.open, "init-app"),
        )
        self.docker_secret(ns, "team-creds", {"registry.example.com": ALICE})

        # A Deployment of 3 replicas without any pull secret, and a StatefulSet.
        self.deployment(self.app_image(basic, "deployment"), pods)
        self.stateful_set(self.app_image(basic, "statefulset"), pods)

        # An image already on the node, whose secret is missing: a warm-up Pod pulls it first.
        self.already_present(pods)

        for create in pods:
            create()
        for step in self._after_pods:
            step()
        return self.scenarios

    def deployment(self, image: str, pods: list[Callable[[], None]]) -> None:
        ns = self.namespace("deployment")
        labels = {LABEL: "deployment", "app": "shop"}
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "shop", "namespace": ns},
            "spec": {
                "replicas": DEPLOYMENT_REPLICAS,
                "selector": {"matchLabels": {"app": "shop"}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "app", "image": image}]},
                },
            },
        }

        def create() -> None:
            self.node.cluster.rest.post(f"/apis/apps/v1/namespaces/{ns}/deployments", manifest)
            self.add("deployment", ns, image, True, manifest, replicas=DEPLOYMENT_REPLICAS)

        pods.append(create)

    def stateful_set(self, image: str, pods: list[Callable[[], None]]) -> None:
        """One replica (OrderedReady, the default): its Pod never becomes Ready, so the
        controller never replaces it by itself, and the printed fix must say so."""
        ns = self.namespace("statefulset")
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": ns},
            "spec": {
                "replicas": 1,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {LABEL: "statefulset", "app": "db"}},
                    "spec": {"containers": [{"name": "app", "image": image}]},
                },
            },
        }

        def create() -> None:
            self.node.cluster.rest.post(f"/apis/apps/v1/namespaces/{ns}/statefulsets", manifest)
            self.add("statefulset", ns, image, True, manifest)

        pods.append(create)

    def already_present(self, pods: list[Callable[[], None]]) -> None:
        ns = self.namespace("already-present")
        image = self.app_image(self.basic, "present")
        self.docker_secret(ns, "team-creds", {self.basic.hostport: ALICE})

        def warm_up() -> None:
            self.pod("warm-up", ns, "warm-up", image, ["team-creds"])  # labelled "warm-up"

        # From 1.35 the kubelet pulls the cached image again with this Pod's credentials, which
        # are none (its secret is gone): it fails, and the missing secret is reported.
        fails = self.verifies_cached_images

        def create() -> None:
            manifest = self.pod("already-present", ns, "web", image, ["gone"])
            self.add("already-present", ns, image, fails, manifest)

        # A Deployment on that cached image, its secret gone too: on 1.20 it runs, and no event
        # says anything is wrong until a fresh node has to pull; from 1.35 it fails at once.
        cached_ns = self.namespace("cached-deployment")
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "cache", "namespace": cached_ns},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "cache"}},
                "template": {
                    "metadata": {"labels": {LABEL: "cached-deployment", "app": "cache"}},
                    "spec": {
                        "containers": [{"name": "app", "image": image}],
                        "imagePullSecrets": [{"name": "gone"}],
                    },
                },
            },
        }

        def create_deployment() -> None:
            self.node.cluster.rest.post(
                f"/apis/apps/v1/namespaces/{cached_ns}/deployments", deployment
            )
            self.add("cached-deployment", cached_ns, image, fails, deployment)

        pods.insert(0, warm_up)
        self._late.extend((create, create_deployment))

    # -- waiting for the kubelet --------------------------------------------------------------

    def observe(self, timeout: float = OUTCOME_TIMEOUT_S) -> None:
        """Wait until each scenario reached its outcome; record what the kubelet did."""
        t0 = time.monotonic()
        while True:
            pods = self._pods()
            if self._late and self._warm_up_running(pods):
                for create in self._late:
                    create()
                self._late.clear()
                continue
            events = self._events()
            pending = [s for s in self.scenarios.values() if not s.pods]
            for scenario in pending:
                if scenario.reached(pods, events):
                    scenario.observed_after_s = time.monotonic() - t0
            if not self._late and all(s.pods for s in self.scenarios.values()):
                return
            if time.monotonic() - t0 > timeout:
                for scenario in self.scenarios.values():
                    if not scenario.pods:
                        scenario.error = (
                            f"after {timeout:.0f}s the kubelet had not "
                            f"{'failed to pull' if scenario.fails else 'run'} {scenario.image}; "
                            f"pods: {self._summary(pods, scenario.namespace)}"
                        )
                return
            self.node.check_alive()
            time.sleep(0.5)

    def _pods(self) -> list[Json]:
        return list(self.node.cluster.rest.get("/api/v1/pods", labelSelector=LABEL)["items"])

    def _events(self) -> list[Json]:
        return list(
            self.node.cluster.rest.get("/api/v1/events", fieldSelector="involvedObject.kind=Pod")[
                "items"
            ]
        )

    def _warm_up_running(self, pods: list[Json]) -> bool:
        for pod in pods:
            if pod["metadata"]["name"] == "warm-up":
                statuses = pod.get("status", {}).get("containerStatuses") or []
                return any("running" in s.get("state", {}) for s in statuses)
        return False

    @staticmethod
    def _summary(pods: list[Json], ns: str) -> list[tuple[str, Any]]:
        return [
            (
                p["metadata"]["name"],
                [s.get("state") for s in p.get("status", {}).get("containerStatuses") or []],
            )
            for p in pods
            if p["metadata"]["namespace"] == ns
        ]

    # -- after a fix --------------------------------------------------------------------------

    def pods_of(self, scenario: Scenario) -> list[Json]:
        try:
            items = self.node.cluster.rest.get(
                f"/api/v1/namespaces/{scenario.namespace}/pods", labelSelector=LABEL
            )["items"]
        except ApiError:
            return []
        return [p for p in items if p["metadata"]["name"] != "warm-up"]

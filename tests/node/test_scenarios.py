"""Issue 11 on the real nodes: each scenario pulled for real, the plugin's verdict checked against
what the kubelet and containerd did, then the closed loop: the plugin's own fix, run exactly as
printed, makes the real kubelet pull and the container run.

Every test runs on both nodes: kubelet v1.20.2 on containerd 1.6.20, and the current release
(tools/current-node.env: kubelet v1.37 on containerd 2.4). Where the two do different things, the
test says which does what.

All scenarios start at once (tests/node/scenarios.py) and the plugin diagnoses them together
with `diagnose pod -A`, as a user would. The verdict tests come first; the fix tests then apply
every fix together (the kubelet's back-off runs on the wall clock) and each waits for its own
Pods. A fix that does not make its Pod run is a bug in the fix.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest

from kubectl_pullsecret.cluster.objects import written_at
from kubectl_pullsecret.kubelet.backoff import MAX_RETRY_GAP_SECONDS
from kubectl_pullsecret.kubelet.messages import SPAM_BURST, parse_time
from tests.node.scenarios import DEPLOYMENT_REPLICAS, Json, Scenario, Shop
from tests.support.control_plane import backoff_message, pull_failure_events
from tests.support.node import ALICE, APP_MESSAGE, PASSWORD_VARIABLE, Node, NodeError
from tests.support.plugin import PluginRunner

FIX_TIMEOUT_S = 330.0  # the kubelet's pull back-off reaches 5 minutes at most
# The password goes in as the shell variable Node.env() sets: commands never print it.
PLACEHOLDERS = {"<username>": ALICE[0], "<password>": f'"${PASSWORD_VARIABLE}"'}


# ---------------------------------------------------------------------------------------------
# The shop and the plugin's view of it


@pytest.fixture(scope="module")
def shop(node: Node) -> Shop:
    built = Shop(node)
    built.build()
    built.observe()
    return built


@dataclass
class Diagnosis:
    table: subprocess.CompletedProcess[str]
    json: subprocess.CompletedProcess[str]

    @property
    def doc(self) -> Json:
        return dict(json.loads(self.json.stdout))

    def items(self, scenario: Scenario) -> list[Json]:
        return [i for i in self.doc["items"] if i["namespace"] == scenario.namespace]

    def item(self, scenario: Scenario, pod: str | None = None) -> Json:
        pod = pod or scenario.pods[0]["metadata"]["name"]
        found = [
            i
            for i in self.items(scenario)
            if i["pod"] == pod and i["container"] == scenario.container
        ]
        assert len(found) == 1, f"{scenario.name}: {pod} in {self.items(scenario)}"
        return found[0]

    def row(self, scenario: Scenario) -> dict[str, str]:
        """The table row of the scenario's workload (a bare Pod's is pod/NAME), by column."""
        workload = f"{scenario.kind.lower()}/{scenario.name_of_object}"
        header, *lines = self.table.stdout.split("\n\n", 1)[0].splitlines()
        columns = re.split(r"\s{2,}", header.strip())
        rows = [
            dict(zip(columns, re.split(r"\s{2,}", line.strip()), strict=True)) for line in lines
        ]
        found = [
            r for r in rows if (r["NAMESPACE"], r["WORKLOAD"]) == (scenario.namespace, workload)
        ]
        assert len(found) == 1, f"{scenario.name}: {workload} in:\n{self.table.stdout}"
        return found[0]


def run_diagnose(plugin: PluginRunner, *args: str) -> Diagnosis:
    with ThreadPoolExecutor(max_workers=2) as pool:
        table = pool.submit(plugin, "diagnose", "pod", *args)
        as_json = pool.submit(plugin, "diagnose", "pod", *args, "-o", "json")
        diagnosis = Diagnosis(table.result(), as_json.result())
    for result in (diagnosis.table, diagnosis.json):
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stderr
    assert diagnosis.table.returncode == diagnosis.json.returncode
    return diagnosis


@pytest.fixture(scope="module")
def everything(shop: Shop, node_plugin: PluginRunner) -> Diagnosis:
    """`kubectl pullsecret diagnose pod -A`, once, over every scenario."""
    return run_diagnose(node_plugin, "-A")


def observed(shop: Shop, name: str) -> Scenario:
    scenario = shop.scenarios.get(name)
    if scenario is None:
        pytest.fail(f"scenario {name} was never created")
    if scenario.error:
        pytest.fail(f"scenario {name}: {scenario.error}")
    return scenario


def codes(item: Json) -> list[str]:
    return [p["code"] for p in item["problems"]]


def rejections(items: list[Json]) -> list[str]:
    """The messages of every CredentialsRejected among diagnose's items."""
    return [
        p["message"] for i in items for p in i["problems"] if p["code"] == "CredentialsRejected"
    ]


def problem(item: Json, code: str) -> Json:
    found = [p for p in item["problems"] if p["code"] == code]
    assert len(found) == 1, f"{code} in {item['problems']}"
    return found[0]


def keeps_error_in_backoff(shop: Shop) -> bool:
    """From 1.32 the ImagePullBackOff message carries the previous error (kubernetes#127918);
    1.20's stops after the image."""
    return shop.release.kubernetes.at_least(32)


def anonymous_refusal(shop: Shop) -> str:
    """How containerd's error ends when it pulls from the Basic-auth registry with no
    credentials. containerd 1.6 says only the status, as it does for a wrong password;
    containerd 2 says that it had none to send (core/remotes/docker/authorizer.go)."""
    if shop.release.containerd_2:
        return (
            "pull access denied, repository does not exist or may require authorization: "
            "authorization failed: no basic auth credentials"
        )
    return "401 Unauthorized"


def pull_error(scenario: Scenario, pod: Json | None = None) -> str:
    """The kubelet's Failed event text for the pull; its waiting message agrees (which form
    each kubelet writes: test_the_simulated_kubelet_writes_what_the_real_one_wrote)."""
    pod = pod or scenario.pods[0]
    failed = [m for m in scenario.messages(pod, "Failed") if m.startswith("Failed to pull image")]
    assert len(set(failed)) == 1, scenario.events_of(pod)
    error = failed[0].removeprefix(f'Failed to pull image "{scenario.image}": ')
    waiting = scenario.status(pod)["state"]["waiting"]
    if waiting["reason"] == "ErrImagePull":
        # The waiting message is the error alone, the event prefixes it.
        assert waiting["message"] == error
    else:
        assert waiting["reason"] == "ImagePullBackOff", waiting
        assert waiting["message"] in (
            f'Back-off pulling image "{scenario.image}"',
            backoff_message(scenario.image, error),
        ), waiting
    return failed[0]


def assert_malformed_row(shop: Shop, diagnosis: Diagnosis, scenario: Scenario) -> None:
    if not shop.credential_errors_as_reason:
        return assert_error_row(diagnosis, scenario, "SecretMalformed")
    row = diagnosis.row(scenario)
    assert (row["STATE"], row["PROBLEMS"]) == (
        "illegal base64 data at input byte 0",
        "SecretMalformed",
    ), row


def assert_error_row(diagnosis: Diagnosis, scenario: Scenario, expected: str) -> None:
    row = diagnosis.row(scenario)
    assert row["STATE"] in ("ErrImagePull", "ImagePullBackOff"), row
    assert row["PROBLEMS"] == expected, row


# ---------------------------------------------------------------------------------------------
# What the kubelet did, and what the plugin says about it


def test_everything_is_diagnosed_at_once(shop: Shop, everything: Diagnosis) -> None:
    assert everything.table.returncode == 1
    failing = [s for s in shop.scenarios.values() if s.fails and not s.error]
    for scenario in failing:
        pods = {i["pod"] for i in everything.items(scenario)}
        assert pods == {p["metadata"]["name"] for p in scenario.pods}, scenario.name
    # Healthy pods are never listed by -A.
    for name in ("correct", "v1-slash"):
        assert everything.items(observed(shop, name)) == [], name


def test_secret_missing_here_present_in_another_namespace(
    shop: Shop, everything: Diagnosis
) -> None:
    s = observed(shop, "secret-elsewhere")
    pod = s.pods[0]
    # Anonymous pull: the kubelet skipped the missing secret. Kubelet 1.20 only logs that;
    # the FailedToRetrieveImagePullSecret event exists from 1.28 (kubernetes#117927), on the
    # Pod itself.
    assert pull_error(s).endswith(anonymous_refusal(shop))
    reported = s.messages(pod, "FailedToRetrieveImagePullSecret")
    if shop.release.kubernetes.at_least(28):
        assert reported and set(reported) == {
            f"Unable to retrieve some image pull secrets ({shop.seed_secret}); attempting to "
            "pull the image may not succeed."
        }, reported
        assert {
            e["involvedObject"].get("fieldPath")
            for e in s.events_of(pod, "FailedToRetrieveImagePullSecret")
        } == {None}
    else:
        assert reported == []
    item = everything.item(s)
    assert codes(item) == ["SecretNotFound"]
    assert item["secrets"] == [shop.seed_secret] and item["credentials"] == []
    p = problem(item, "SecretNotFound")
    assert f"a secret of that name exists in namespace(s): {shop.vault}" in p["message"]
    # The verdict assumes the Pod's own node, and does not claim the event 1.20 never sends.
    kubelet = item["kubelet"]
    assert (kubelet["kubeletVersionSource"], kubelet["runtime"]) == ("node", "containerd"), kubelet
    assert kubelet["kubeletVersion"] == f"v{shop.release.kubernetes}", kubelet
    assert kubelet["runtimeVersion"].startswith("2." if shop.release.containerd_2 else "1.6.")
    if shop.release.kubernetes.at_least(28):
        assert "The kubelet skips it and reports FailedToRetrieveImagePullSecret" in p["message"]
    else:
        assert "(kubelet 1.20.2 only logs it: the event exists from 1.28)" in p["message"]
        assert "FailedToRetrieveImagePullSecret" not in p["message"].split("(kubelet")[0]
    assert p["hint"].startswith(f"copy it: kubectl get secret {shop.seed_secret} -n {shop.vault} ")
    assert_error_row(everything, s, "SecretNotFound")


def test_secret_covers_another_registry(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "other-registry")
    assert pull_error(s).endswith(anonymous_refusal(shop))
    item = everything.item(s)
    assert codes(item) == ["NoCredentialsForRegistry"]
    assert item["credentials"] == []
    message = problem(item, "NoCredentialsForRegistry")["message"]
    assert f"cover: {shop.token.hostport}." in message
    assert "the ports differ (5002 in the key, 5001 in the image)" in message
    assert_error_row(everything, s, "NoCredentialsForRegistry")


def test_wrong_password(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "wrong-password")
    # containerd 1.6 says the same as for an anonymous pull: only the plugin knows a credential
    # was offered. containerd 2 answers the HEAD's status (core/remotes/docker/resolver.go).
    error = pull_error(s)
    assert error.endswith("401 Unauthorized")
    if shop.release.containerd_2:
        assert f"unexpected status from HEAD request to https://{shop.basic.hostport}/v2/" in error
    item = everything.item(s)
    assert codes(item) == ["CredentialsRejected"]
    assert item["credentials"] == [
        {"secret": "team-creds", "key": shop.basic.hostport, "username": ALICE[0]}
    ]
    assert "--secret team-creds --verify" in problem(item, "CredentialsRejected")["hint"]
    assert_error_row(everything, s, "CredentialsRejected")


def test_the_simulated_kubelet_writes_what_the_real_one_wrote(shop: Shop) -> None:
    """Other suites write a failed pull's events and status themselves
    (Cluster.simulate_pull_failure), as the current kubelet writes them: the real kubelet's,
    for the same error, are the same; 1.20's back-off message lacks the error."""
    s = observed(shop, "wrong-password")
    pod = s.pods[0]
    prefix = f'Failed to pull image "{s.image}": '
    error = pull_error(s).removeprefix(prefix)
    simulated = pull_failure_events(s.image, error, backoff=True)
    mine = [
        e
        for e in s.events_of(pod)
        if e["involvedObject"].get("fieldPath") == "spec.containers{app}"
    ]
    real = {(e["reason"], e["type"], e["message"]) for e in mine}
    # The real kubelet may not have reached its back-off yet, and never writes more.
    assert set(simulated[:2]) <= real <= set(simulated), real
    assert {(e["source"]["component"], e["source"].get("host")) for e in mine} == {
        ("kubelet", pod["spec"]["nodeName"])
    }
    waiting = s.status(pod)["state"]["waiting"]
    if waiting["reason"] == "ErrImagePull":
        assert waiting["message"] == error
    elif keeps_error_in_backoff(shop):
        assert waiting["message"] == backoff_message(s.image, error)
    else:
        # 1.20's back-off message is 1.32's without the error it keeps.
        assert backoff_message(s.image, error).startswith(waiting["message"] + ": ErrImagePull: ")


def test_correct_credentials_pull_and_run(
    shop: Shop, everything: Diagnosis, node: Node, node_plugin: PluginRunner
) -> None:
    s = observed(shop, "correct")
    pod = s.pods[0]
    pulled = s.messages(pod, "Pulled")
    assert pulled and pulled[0].startswith(f'Successfully pulled image "{s.image}" in ')
    logs = node.kubectl("logs", "web", "-n", s.namespace)
    assert logs.stdout.strip() == APP_MESSAGE
    named = run_diagnose(node_plugin, "web", "-n", s.namespace)
    assert named.table.returncode == 0
    item = named.item(s)
    assert item["problems"] == [] and item["state"] == "Running"
    assert item["credentials"] == [
        {"secret": "team-creds", "key": shop.basic.hostport, "username": ALICE[0]}
    ]
    assert (named.row(s)["STATE"], named.row(s)["PROBLEMS"]) == ("Running", "-")
    wide = node_plugin("diagnose", "pod", "web", "-n", s.namespace, "-o", "wide")
    assert wide.returncode == 0, wide.stderr
    header, row = wide.stdout.splitlines()[:2]
    columns = dict(
        zip(re.split(r"\s{2,}", header.strip()), re.split(r"\s{2,}", row.strip()), strict=True)
    )
    assert columns["CREDENTIALS"] == f"team-creds:{shop.basic.hostport}"
    assert columns["SECRETS"] == "team-creds"


def test_legacy_dockercfg_secret(shop: Shop, node_plugin: PluginRunner) -> None:
    s = observed(shop, "dockercfg")
    pulled = s.messages(s.pods[0], "Pulled")
    assert pulled and pulled[0].startswith(f'Successfully pulled image "{s.image}" in ')
    named = run_diagnose(node_plugin, "web", "-n", s.namespace)
    assert named.table.returncode == 0
    item = named.item(s)
    assert item["problems"] == []
    assert item["credentials"] == [
        {"secret": "legacy", "key": shop.basic.hostport, "username": ALICE[0]}
    ]


def test_invalid_image_name(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "invalid-name")
    pod = s.pods[0]
    # Refused before any pull: no Pulling event, reason InvalidImageName.
    assert s.messages(pod, "Pulling") == []
    waiting = s.status(pod)["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    # 1.20: "... repository name must be lowercase"; the current kubelet's distribution/reference
    # names it: "... repository name (Team/App) must be lowercase".
    assert waiting["message"].startswith(f'Failed to apply default image tag "{s.image}": ')
    assert waiting["message"].endswith("must be lowercase")
    item = everything.item(s)
    assert codes(item) == ["InvalidImageName"]
    row = everything.row(s)
    assert (row["STATE"], row["PROBLEMS"]) == ("InvalidImageName", "InvalidImageName")


def test_service_account_secret_added_after_the_pod(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "sa-after-pod")
    pod = s.pods[0]
    # Admission ran when the ServiceAccount had no pull secrets: the Pod has none.
    assert "imagePullSecrets" not in pod["spec"]
    assert pull_error(s).endswith(anonymous_refusal(shop))
    item = everything.item(s)
    assert item["serviceAccount"] == "builder" and item["secrets"] == []
    assert codes(item) == ["ServiceAccountSecretsNotApplied", "NoPullSecrets"]
    p = problem(item, "ServiceAccountSecretsNotApplied")
    assert 'ServiceAccount "builder" lists pull secrets (team-creds)' in p["message"]
    assert p["hint"].endswith(f"(kubectl delete pod web -n {s.namespace})")
    assert everything.row(s)["PROBLEMS"] == "ServiceAccountSecretsNotApplied,NoPullSecrets"


def test_opaque_secret_holding_dockerconfigjson(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "opaque")
    # The kubelet ignores the Opaque secret and pulls anonymously.
    assert pull_error(s).endswith(anonymous_refusal(shop))
    item = everything.item(s)
    assert codes(item) == ["SecretWrongType", "NoCredentialsForRegistry"]
    assert item["credentials"] == []
    assert "type Opaque" in problem(item, "SecretWrongType")["message"]
    assert everything.row(s)["PROBLEMS"] == "SecretWrongType,NoCredentialsForRegistry"


def malformed_secret_error(shop: Shop, s: Scenario) -> None:
    """The kubelet's own error for a pull secret it cannot decode: it never asks the runtime to
    pull. Kubelet 1.20 reports it as a failed pull; from 1.33 the error is the waiting reason
    itself, with `Error: <text>` and no pull at all (image_manager.go lookupPullCredentials)."""
    error = "illegal base64 data at input byte 0"
    pod = s.pods[0]
    if shop.credential_errors_as_reason:
        assert s.status(pod)["state"]["waiting"] == {"reason": error, "message": error}
        assert s.messages(pod, "Failed") == [f"Error: {error}"]
        assert s.messages(pod, "Pulling") == []
    else:
        assert pull_error(s).endswith(f": {error}")


def test_malformed_auth(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "malformed")
    malformed_secret_error(shop, s)
    item = everything.item(s)
    assert codes(item) == ["SecretMalformed"]
    assert "%%%not-base64%%%" not in everything.table.stdout + everything.json.stdout
    assert_malformed_row(shop, everything, s)


def test_malformed_secret_blocks_a_good_one(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "malformed-first")
    # team-creds is right for this registry, and still unused: one broken secret fails all.
    malformed_secret_error(shop, s)
    item = everything.item(s)
    assert item["secrets"] == ["broken", "team-creds"]
    assert codes(item) == ["SecretMalformed"]
    assert item["credentials"] == []
    assert 'Secret "broken"' in problem(item, "SecretMalformed")["message"]
    assert_malformed_row(shop, everything, s)


@pytest.mark.parametrize("name", ["missing-tag", "missing-repo"])
def test_image_that_does_not_exist(shop: Shop, everything: Diagnosis, name: str) -> None:
    s = observed(shop, name)
    error = pull_error(s)
    assert "rpc error: code = NotFound desc = " in error
    assert error.endswith(f"{s.image}: not found")
    item = everything.item(s)
    assert codes(item) == ["ImageNotFound"]
    assert "not a credentials problem" in problem(item, "ImageNotFound")["message"]
    assert_error_row(everything, s, "ImageNotFound")


def test_docker_hub_on_a_node_without_network(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "docker-hub")
    error = pull_error(s)
    assert 'Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest"' in error
    assert error.endswith("connect: network is unreachable")
    item = everything.item(s)
    assert (item["registry"], item["repository"]) == ("docker.io", "docker.io/library/nginx")
    assert codes(item) == ["RegistryUnreachable"]
    assert_error_row(everything, s, "RegistryUnreachable")


def test_v1_key_with_its_slash_works(
    shop: Shop, everything: Diagnosis, node_plugin: PluginRunner
) -> None:
    s = observed(shop, "v1-slash")
    named = run_diagnose(node_plugin, "web", "-n", s.namespace)
    assert named.table.returncode == 0
    item = named.item(s)
    assert item["problems"] == []
    assert item["credentials"][0]["key"] == shop.basic.hostport


def test_v1_key_without_its_slash_matches_nothing(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "v1-no-slash")
    assert pull_error(s).endswith(anonymous_refusal(shop))
    item = everything.item(s)
    assert codes(item) == ["NoCredentialsForRegistry"]
    message = problem(item, "NoCredentialsForRegistry")["message"]
    assert f"Near miss: key 'https://{shop.basic.hostport}/v1' in secret/team-creds" in message
    assert "path /v1" in message
    assert_error_row(everything, s, "NoCredentialsForRegistry")


def test_image_already_on_the_node_with_its_secret_missing(
    shop: Shop, node_plugin: PluginRunner
) -> None:
    s = observed(shop, "already-present")
    pod = s.pods[0]
    if shop.verifies_cached_images:
        # From 1.35 the kubelet pulls the cached image again with this Pod's credentials (none:
        # its secret is gone), and the pull fails as anonymous pulls do; 1.37 reports the
        # missing secret because the pull failed (kubernetes#138432).
        assert pull_error(s).endswith(anonymous_refusal(shop))
        assert s.messages(pod, "FailedToRetrieveImagePullSecret")
        named = run_diagnose(node_plugin, "web", "-n", s.namespace)
        assert named.table.returncode == 1
        item = named.item(s)
        assert item["state"] in ("ErrImagePull", "ImagePullBackOff") and not item["latent"]
        assert problem(item, "SecretNotFound")["severity"] == "error"
        return
    # IfNotPresent: no pull, the secret is never consulted, the container runs.
    assert s.messages(pod, "Pulled") == [f'Container image "{s.image}" already present on machine']
    assert s.messages(pod, "Pulling") == []
    named = run_diagnose(node_plugin, "web", "-n", s.namespace)
    assert named.table.returncode == 1
    item = named.item(s)
    assert (item["state"], item["latent"]) == ("Running", True)
    assert codes(item) == ["SecretNotFound"]
    p = problem(item, "SecretNotFound")
    assert p["severity"] == "warning"
    assert p["hint"].startswith(
        f"create it: kubectl create secret docker-registry gone -n {s.namespace} "
    )


def test_token_registry_anonymous(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "token-anonymous")
    # Genuine token auth: the token server gave an anonymous token without pull rights.
    assert pull_error(s).endswith(
        "pull access denied, repository does not exist or may require authorization: "
        "server message: insufficient_scope: authorization failed"
    )
    item = everything.item(s)
    assert codes(item) == ["NoPullSecrets"]
    assert_error_row(everything, s, "NoPullSecrets")


def test_token_registry_wrong_password(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "token-wrong-password")
    # containerd tried the OAuth2 password grant first, then GET; both answered 401. containerd
    # 2 names the request: "unexpected status from GET request to <realm>?scope=...: 401".
    error = pull_error(s)
    assert "failed to authorize: failed to fetch oauth token: unexpected status" in error
    assert error.endswith(": 401 Unauthorized")
    item = everything.item(s)
    assert codes(item) == ["CredentialsRejected"]
    assert item["credentials"] == [
        {"secret": "team-creds", "key": shop.token.hostport, "username": ALICE[0]}
    ]
    assert_error_row(everything, s, "CredentialsRejected")


def test_init_container(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "init-container")
    pod = s.pods[0]
    assert pull_error(s).endswith(anonymous_refusal(shop))
    # The app container waits behind the init container; it never pulled.
    app = next(st for st in pod["status"]["containerStatuses"] if st["name"] == "app")
    assert app["state"]["waiting"]["reason"] == "PodInitializing"
    items = everything.items(s)
    assert [(i["container"], i["containerType"]) for i in items] == [("setup", "initContainers")]
    assert codes(items[0]) == ["NoCredentialsForRegistry"]
    assert (
        "cover: registry.example.com." in problem(items[0], "NoCredentialsForRegistry")["message"]
    )
    assert everything.row(s)["CONTAINER"] == "setup (init)"


def test_deployment_of_three_replicas(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "deployment")
    assert len(s.pods) == DEPLOYMENT_REPLICAS
    owners = {p["metadata"]["ownerReferences"][0]["kind"] for p in s.pods}
    assert owners == {"ReplicaSet"}
    groups = set()
    for pod in s.pods:
        assert pull_error(s, pod).endswith(anonymous_refusal(shop))
        item = everything.item(s, pod["metadata"]["name"])
        assert codes(item) == ["NoPullSecrets"]
        assert [o["kind"] for o in item["owners"]] == ["ReplicaSet", "Deployment"]
        # The fix goes to the Deployment's template, not to a Pod or its ReplicaSet.
        hint = problem(item, "NoPullSecrets")["hint"]
        assert f"; then kubectl patch deployment shop -n {s.namespace} -p " in hint
        assert hint.split("; or, ")[0].endswith("(the template change rolls out new Pods)")
        groups.add(item["group"])
    # Three replicas failing for one cause: one group, one row, one block.
    (group,) = [g for g in everything.doc["groups"] if g["id"] in groups]
    assert (group["workload"], group["workloadPods"]) == ("deployment/shop", DEPLOYMENT_REPLICAS)
    assert sorted(group["pods"]) == sorted(p["metadata"]["name"] for p in s.pods)
    row = everything.row(s)
    assert (row["PODS"], row["PROBLEMS"]) == (
        f"{DEPLOYMENT_REPLICAS} of {DEPLOYMENT_REPLICAS}",
        "NoPullSecrets",
    )
    assert f"{s.namespace}/deployment/shop app: {s.image} (3 of 3 Pods)" in everything.table.stdout


def test_stateful_set(shop: Shop, everything: Diagnosis) -> None:
    s = observed(shop, "statefulset")
    (pod,) = s.pods
    assert pod["metadata"]["name"] == "db-0"
    assert pull_error(s).endswith(anonymous_refusal(shop))
    item = everything.item(s, "db-0")
    assert item["owners"] == [{"kind": "StatefulSet", "name": "db"}]
    assert codes(item) == ["NoPullSecrets"]
    hint = problem(item, "NoPullSecrets")["hint"]
    assert STATEFUL_SET_STEPS.fullmatch(then_of(hint)), hint
    row = everything.row(s)
    assert (row["PODS"], row["PROBLEMS"]) == ("1 of 1", "NoPullSecrets")


def test_a_running_deployment_whose_secret_is_gone(
    shop: Shop, everything: Diagnosis, node_plugin: PluginRunner
) -> None:
    """Issue 12 (7) and issue 15 on the node: on 1.20 the image is cached, so the kubelet never
    looked for the secret and has no event for it; a fresh node would fail to pull. From 1.35
    the kubelet checks this Pod's credentials for the cached image and fails at once."""
    s = observed(shop, "cached-deployment")
    (pod,) = s.pods
    audit = node_plugin("audit", "-A", "-o", "json")
    assert audit.returncode == 1, audit.stderr
    (audited,) = [i for i in json.loads(audit.stdout)["items"] if i["namespace"] == s.namespace]
    assert audited["owners"] == [{"kind": "Deployment", "name": "cache"}]
    assert [(p["code"], p["severity"]) for p in audited["problems"]] == [
        ("SecretNotFound", "error")
    ]
    if shop.verifies_cached_images:
        assert pull_error(s).endswith(anonymous_refusal(shop))
        assert s.messages(pod, "FailedToRetrieveImagePullSecret")
        (item,) = everything.items(s)
        assert [o["kind"] for o in item["owners"]] == ["ReplicaSet", "Deployment"]
        assert not item["latent"] and not item["template"]
        assert [(p["code"], p["severity"]) for p in item["problems"]] == [
            ("SecretNotFound", "error")
        ]
        assert everything.row(s)["STATE"] in ("ErrImagePull", "ImagePullBackOff")
        return
    assert s.messages(pod, "Pulled") == [f'Container image "{s.image}" already present on machine']
    assert s.events_of(pod, "FailedToRetrieveImagePullSecret") == []
    # diagnose pod -A finds it through its Deployment's template: a latent warning.
    (item,) = everything.items(s)
    assert (item["owners"], item["template"], item["latent"]) == (
        [{"kind": "Deployment", "name": "cache"}],
        True,
        True,
    )
    assert [(p["code"], p["severity"]) for p in item["problems"]] == [("SecretNotFound", "warning")]
    assert everything.row(s)["STATE"] == "PodTemplate (latent)"
    # audit judges it as a fresh node would pull it (above): an error.
    table = node_plugin("audit", "-n", s.namespace)
    assert table.returncode == 1 and "deployment/cache" in table.stdout, table.stdout


def pull_error_times(events: list[Json]) -> list[datetime]:
    """When each pull-error event was last seen (whole seconds)."""
    return [
        moment
        for e in events
        if str(e.get("message", "")).startswith("Failed to pull image")
        and (moment := parse_time(e["lastTimestamp"]))
    ]


def spam_tokens(events: list[Json]) -> int:
    """The spam filter's tokens the kubelet spent on these events: one per occurrence."""
    return sum(e.get("count") or 1 for e in events if e["source"].get("component") == "kubelet")


def test_the_kubelet_retries_within_the_back_off_the_verdicts_assume(
    shop: Shop, node: Node
) -> None:
    """The premises of dating a pull secret against the kubelet's failures (verdicts/pod.py
    _trial), against containerd's log of every pull it began. Events may lag the pulls (the
    real node once showed, 5 s after a pull, only the event of the pull before), so the rule
    asks of them only that a pull-error event dates a real pull; and that the kubelet's
    attempts are never further apart than its back-off allows (300 s, and the pod worker's
    requeue of at most 15 s): after that long, a changed secret has been tried."""
    single = [s for s in shop.scenarios.values() if s.fails and not s.error and s.replicas == 1]

    def retried() -> int:
        return sum(len(node.pull_attempts(s.image)) >= 2 for s in single)

    # The current kubelet gets here within seconds of the first failures: wait for retries
    # (the first back-off is 10 s).
    node.wait_for("five failing Pods retried", lambda: retried() >= 5, 180, 2)
    events = shop._events()
    checked = 0
    for scenario in single:
        (pod,) = scenario.pods
        attempts = sorted(node.pull_attempts(scenario.image))
        if len(attempts) < 2:
            continue  # the kubelet failed it before containerd (a malformed secret)
        gaps = [(b - a).total_seconds() for a, b in pairwise(attempts)]
        assert max(gaps) <= MAX_RETRY_GAP_SECONDS + 2, (scenario.name, attempts)
        mine = [e for e in events if e["involvedObject"].get("uid") == pod["metadata"]["uid"]]
        for moment in pull_error_times(mine):
            # Whole seconds, truncated; a failed pull is recorded within seconds of its start.
            assert any(
                a.replace(microsecond=0) <= moment <= a + timedelta(seconds=10) for a in attempts
            ), (scenario.name, moment, attempts)
        checked += 1
    assert checked >= 5, checked


# ---------------------------------------------------------------------------------------------
# The closed loop: the printed fix, run as printed, makes the real kubelet pull


@dataclass
class Fix:
    """What was run for one scenario's fix, and the state it met."""

    scenario: str
    hint: str
    before: list[str] = field(default_factory=list)  # waiting reasons when the fix began
    ran: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    error: str | None = None
    after: list[str] = field(default_factory=list)  # the codes diagnose gave right after it
    blamed: list[str] = field(default_factory=list)  # CredentialsRejected messages right after
    raced: list[datetime] = field(default_factory=list)  # pulls that may have read the old secret
    clocks: str = ""  # when diagnose blamed the credentials: the dates it weighed

    def check(self) -> None:
        assert self.error is None, self.error
        # (From 1.33 a secret the kubelet cannot decode makes its error the waiting reason.)
        failing = ("ErrImagePull", "ImagePullBackOff", "illegal base64 data at input byte 0")
        assert self.before and all(r in failing for r in self.before), (
            f"the pod was not failing before its fix: {self.before}"
        )
        for result in self.ran:
            assert result.returncode == 0, (
                f"the printed fix failed: {result.args}\n{result.stdout}\n{result.stderr}"
            )
        # The kubelet's last error predates the fix: it says nothing about the new credentials
        # (AwaitingRetry), unless a pull began around the fix and may have read either.
        assert self.raced or not self.blamed, (
            f"right after the fix, the new credentials were blamed: {self.blamed}\n{self.clocks}"
        )
        raced = f" (a pull raced it at {self.raced[0]:%H:%M:%S})" if self.raced else ""
        print(
            f"{self.scenario}: fix commands took {self.seconds} s; then {self.after or 'ok'}{raced}"
        )


Perform = Callable[[Fix, Scenario, str], None]  # one scenario's fix, as its hint says


def fill(command: str) -> str:
    """The printed command with its placeholders filled in; nothing else changes."""
    for placeholder, value in PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    left = re.findall(r"<[a-z-]+>", command)
    assert not left, f"unfilled placeholders {left} in: {command}"
    return command


def command_of(hint: str) -> str:
    """The shell command of a hint: after its prose ("copy it: ..."), before its alternative
    ("...; or, for every new Pod ...") and its manual step ("...; then add ...")."""
    main = hint.split("; or, ", 1)[0].split("; then ", 1)[0]
    if not main.startswith("kubectl "):
        _, sep, main = main.partition(": ")
        assert sep and main.startswith("kubectl "), f"no command in the hint: {hint}"
    return main


def then_of(hint: str) -> str:
    main = hint.split("; or, ", 1)[0]
    _, sep, then = main.partition("; then ")
    assert sep, f"no second step in the hint: {hint}"
    return then


# ServiceAccountSecretsNotApplied for a Pod without pull secrets: re-create it unchanged.
READMIT = re.compile(
    r"re-create the Pod: re-create the Pod from its manifest without imagePullSecrets, so that "
    r"admission copies the ServiceAccount's \((?P<delete>kubectl delete pod [^)]+)\)"
)

RECREATE = re.compile(
    r"add `imagePullSecrets: \[\{name: (?P<secret>[^}]+)\}\]` to the pod manifest, then "
    r"re-create it \((?P<delete>kubectl delete pod [^;]+); (?P<apply>kubectl apply -f <manifest>)\): "
    r"a Pod's imagePullSecrets cannot change"
)


# A StatefulSet's second step: patch its template, then delete its Pods, as printed.
STATEFUL_SET_STEPS = re.compile(
    r"(?P<patch>kubectl patch statefulset db -n \S+ -p '[^']+') \(a StatefulSet does not "
    r"replace Pods that never became Ready: then delete them, and it re-creates them from the "
    r"new template \((?P<delete>kubectl delete pod -n \S+ -l app=db)\)\)"
)


class Fixer:
    def __init__(
        self, node: Node, shop: Shop, diagnosis: Diagnosis, folder: Path, plugin: PluginRunner
    ) -> None:
        self.node, self.shop, self.diagnosis, self.folder = node, shop, diagnosis, folder
        self.plugin = plugin

    def clocks(self, scenario: Scenario) -> str:
        """Every date the verdict weighed, to tell a race from a wrong rule when one fails."""
        rest, ns = self.node.cluster.rest, scenario.namespace
        lines = [f"pulls of {scenario.image}: {self.node.pull_attempts(scenario.image)}"]
        for secret in rest.get(f"/api/v1/namespaces/{ns}/secrets")["items"]:
            lines.append(f"secret {secret['metadata']['name']}: written {written_at(secret)}")
        for event in rest.get(f"/api/v1/namespaces/{ns}/events")["items"]:
            lines.append(
                f"event {event['reason']} x{event.get('count')} at {event.get('lastTimestamp')}:"
                f" {str(event.get('message', ''))[:60]}"
            )
        return "\n".join(lines)

    def sh(self, fix: Fix, command: str) -> None:
        t0 = time.monotonic()
        fix.ran.append(self.node.shell(command))
        fix.seconds.append(round(time.monotonic() - t0, 1))

    def recreate_with_secret(self, fix: Fix, scenario: Scenario, then: str) -> None:
        """The manual step of a bare Pod's hint, performed exactly as it says."""
        match = RECREATE.fullmatch(then)
        assert match, f"unexpected manual step: {then}"
        manifest = json.loads(json.dumps(scenario.manifest))
        listed = manifest["spec"].setdefault("imagePullSecrets", [])
        listed.append({"name": match["secret"]})
        path = self.folder / f"{scenario.name}.json"
        path.write_text(json.dumps(manifest))
        self.sh(fix, match["delete"])
        self.sh(fix, match["apply"].replace("<manifest>", shlex.quote(str(path))))

    def readmit(self, fix: Fix, scenario: Scenario, hint: str) -> None:
        """The manual instruction, exactly: delete the Pod, create it again from its manifest."""
        match = READMIT.fullmatch(hint)
        assert match, f"unexpected hint: {hint}"
        path = self.folder / f"{scenario.name}.json"
        path.write_text(json.dumps(scenario.manifest))
        self.sh(fix, match["delete"])
        self.sh(fix, f"kubectl apply -f {shlex.quote(str(path))}")

    def apply(self, name: str, code: str, perform: Perform) -> Fix:
        scenario = observed(self.shop, name)
        fix = Fix(name, "")
        try:
            fix.hint = problem(self.diagnosis.item(scenario), code)["hint"]
            fix.before = [scenario.waiting_reason(p) for p in self.shop.pods_of(scenario)]
            started = datetime.now(timezone.utc)
            perform(fix, scenario, fix.hint)
            done = datetime.now(timezone.utc)
            # Right away, before the kubelet's next retry: what does the plugin say now? (JSON
            # only: a table run beside it may meet the Pod a retry later.)
            now = self.plugin("diagnose", "pod", "-n", scenario.namespace, "-o", "json")
            assert now.returncode in (0, 1), now.stderr
            items = json.loads(now.stdout)["items"]
            fix.after = sorted({c for item in items for c in codes(item)})
            fix.blamed = rejections(items)
            # A pull begun around the fix may have read the old secret and failed after the
            # new one was written: on the real node, the kubelet read the secrets (its Pulling
            # event) up to 2 s before containerd began the pull. Its refusal is about either.
            fix.raced = [
                a
                for a in self.node.pull_attempts(scenario.image)
                if started - timedelta(seconds=2) <= a <= done + timedelta(seconds=5)
            ]
            if fix.blamed:
                fix.clocks = self.clocks(scenario)
        except (AssertionError, NodeError, subprocess.SubprocessError) as exc:
            fix.error = f"{type(exc).__name__}: {exc}"
        return fix


@pytest.fixture(scope="module")
def fixes(
    shop: Shop,
    everything: Diagnosis,
    node: Node,
    node_plugin: PluginRunner,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Fix]:
    """Every scenario's fix, applied together."""
    fixer = Fixer(node, shop, everything, tmp_path_factory.mktemp("manifests"), node_plugin)

    def run_command(fix: Fix, scenario: Scenario, hint: str) -> None:
        fixer.sh(fix, fill(command_of(hint)))

    def create_then_recreate(fix: Fix, scenario: Scenario, hint: str) -> None:
        fixer.sh(fix, fill(command_of(hint)))
        fixer.recreate_with_secret(fix, scenario, then_of(hint))

    def create_then_patch(fix: Fix, scenario: Scenario, hint: str) -> None:
        then = then_of(hint)
        assert then.startswith("kubectl patch deployment "), hint
        # The patch, without its note on how the Pods get replaced.
        patch, note = then.rsplit(" (", 1)
        assert note == "the template change rolls out new Pods)", hint
        fixer.sh(fix, fill(command_of(hint)))
        fixer.sh(fix, fill(patch))

    def create_patch_then_delete(fix: Fix, scenario: Scenario, hint: str) -> None:
        steps = STATEFUL_SET_STEPS.fullmatch(then_of(hint))
        assert steps, hint
        fixer.sh(fix, fill(command_of(hint)))
        fixer.sh(fix, steps["patch"])
        fixer.sh(fix, steps["delete"])

    def check_then_recreate(fix: Fix, scenario: Scenario, hint: str) -> None:
        """CredentialsRejected prints a check first: run it where the kubelet runs, trusting
        the registries' CA as the user's machine would; it names the rejected credential.
        Then the printed re-creation, with the right password."""
        command = command_of(hint)
        assert command.startswith("kubectl pullsecret check "), hint
        checked = node.shell(fill(command), env={"SSL_CERT_FILE": str(node.ca_file)})
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert "CredentialsRejected" in checked.stdout
        assert f"with user '{ALICE[0]}' from secret/team-creds" in checked.stdout
        assert shop.wrong_password not in checked.stdout + checked.stderr
        then = then_of(hint)
        assert then.startswith("re-create the secret it rejects with working credentials: "), hint
        fixer.sh(fix, fill(then.partition(": ")[2]))

    def push_the_image(fix: Fix, scenario: Scenario, hint: str) -> None:
        # A manual instruction: "... or push the image". Push exactly that name.
        assert hint.endswith("or push the image"), hint
        repository, _, tag = scenario.image.removeprefix(f"{shop.basic.hostport}/").rpartition(":")
        node.push_app(shop.basic, repository, tag)

    plan: list[tuple[str, str, Perform]] = [
        ("secret-elsewhere", "SecretNotFound", run_command),
        ("other-registry", "NoCredentialsForRegistry", run_command),
        ("opaque", "SecretWrongType", run_command),
        ("malformed", "SecretMalformed", run_command),
        ("malformed-first", "SecretMalformed", run_command),
        ("missing-tag", "ImageNotFound", push_the_image),
        ("missing-repo", "ImageNotFound", push_the_image),
        ("v1-no-slash", "NoCredentialsForRegistry", run_command),
        ("token-anonymous", "NoPullSecrets", create_then_recreate),
        ("init-container", "NoCredentialsForRegistry", create_then_recreate),
        ("deployment", "NoPullSecrets", create_then_patch),
        ("statefulset", "NoPullSecrets", create_patch_then_delete),
        ("sa-after-pod", "ServiceAccountSecretsNotApplied", fixer.readmit),
        ("wrong-password", "CredentialsRejected", check_then_recreate),
        ("token-wrong-password", "CredentialsRejected", check_then_recreate),
    ]
    if shop.verifies_cached_images:
        # From 1.35 these fail at once (their cached image needs their own credentials): the
        # printed fix makes the kubelet's next retry pull it with the new secret.
        plan += [
            ("already-present", "SecretNotFound", run_command),
            ("cached-deployment", "SecretNotFound", run_command),
        ]
    ready = [
        (name, code, perform)
        for name, code, perform in plan
        # One that never reached its outcome already fails its verdict test, saying why.
        if shop.scenarios.get(name) is not None and not shop.scenarios[name].error
    ]
    # Together: a bare Pod's `kubectl delete pod` waits up to a minute for the kubelet.
    with ThreadPoolExecutor(max_workers=len(ready)) as pool:
        futures = {
            name: pool.submit(fixer.apply, name, code, perform) for name, code, perform in ready
        }
    return {name: future.result() for name, future in futures.items()}


def fixed(fixes: dict[str, Fix], name: str) -> Fix:
    if name not in fixes:
        pytest.fail(f"scenario {name} did not reach its outcome, so it could not be fixed")
    fix = fixes[name]
    fix.check()
    return fix


def wait_running(node: Node, shop: Shop, scenario: Scenario, replaced: bool = True) -> list[Json]:
    """The scenario's Pods after the fix: all running, each after a real pull. `replaced`: a
    workload's fix rolls out new Pods (False: its Pods recover at their next retry)."""

    def probe() -> list[Json] | None:
        pods = shop.pods_of(scenario)
        expected = scenario.replicas
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        if len(pods) != expected or len(live) != expected:
            return None
        if (
            replaced
            and scenario.kind != "Pod"
            and {p["metadata"]["uid"] for p in pods} & {p["metadata"]["uid"] for p in scenario.pods}
        ):
            return None  # its controller has not replaced the old Pods yet
        for pod in live:
            statuses = pod.get("status", {}).get("containerStatuses") or []
            if not statuses or not all("running" in s.get("state", {}) for s in statuses):
                return None
        return live

    pods = node.wait_for(f"{scenario.name} to run after its fix", probe, FIX_TIMEOUT_S, 1.0)
    # A real pull with the fixed credentials: the image the kubelet could not pull is on the
    # node now. (Its Pulled event may be missing: after minutes of back-off the kubelet's
    # per-Pod event filter, 25 then one per 5 minutes, drops it.)
    assert scenario.image in node.images_on_node(), node.images_on_node()
    for pod in pods:
        logs = node.kubectl("logs", pod["metadata"]["name"], "-n", scenario.namespace, "-c", "app")
        assert logs.stdout.strip() == APP_MESSAGE
    return pods


def nothing_left_to_report(node_plugin: PluginRunner, scenario: Scenario) -> None:
    after = run_diagnose(node_plugin, "-n", scenario.namespace)
    assert after.json.returncode == 0, after.table.stdout
    assert after.doc["items"] == []


FIXED = [
    "secret-elsewhere",
    "other-registry",
    "opaque",
    "malformed",
    "malformed-first",
    "missing-tag",
    "missing-repo",
    "v1-no-slash",
    "token-anonymous",
    "init-container",
    "deployment",
    "statefulset",
    "sa-after-pod",
    "wrong-password",
    "token-wrong-password",
]


@pytest.mark.parametrize("name", FIXED)
def test_the_printed_fix_makes_the_pod_run(
    name: str, fixes: dict[str, Fix], shop: Shop, node: Node, node_plugin: PluginRunner
) -> None:
    fixed(fixes, name)
    scenario = observed(shop, name)
    wait_running(node, shop, scenario)
    nothing_left_to_report(node_plugin, scenario)


def test_the_fix_for_an_image_already_on_the_node(
    shop: Shop, node: Node, node_plugin: PluginRunner, tmp_path: Path, fixes: dict[str, Fix]
) -> None:
    s = observed(shop, "already-present")
    if shop.verifies_cached_images:
        # The printed fix ran with the others; the kubelet's retry pulled with the new secret.
        fixed(fixes, s.name)
        before = len(node.pull_attempts(s.image))
        wait_running(node, shop, s)
        assert len(node.pull_attempts(s.image)) >= before
        nothing_left_to_report(node_plugin, s)
        return
    hint = problem(run_diagnose(node_plugin, "web", "-n", s.namespace).item(s), "SecretNotFound")[
        "hint"
    ]
    created = node.shell(fill(command_of(hint)))
    assert created.returncode == 0, created.stderr
    named = run_diagnose(node_plugin, "web", "-n", s.namespace)
    assert named.table.returncode == 0 and named.item(s)["problems"] == []
    # The proof: with the image gone from the node, a new Pod pulls it with that secret.
    node.ctr("images", "remove", s.image)
    assert s.image not in node.images_on_node()
    manifest = tmp_path / "web.json"
    manifest.write_text(json.dumps(s.manifest))
    for command in (f"kubectl delete pod web -n {s.namespace}", f"kubectl apply -f {manifest}"):
        result = node.shell(command)
        assert result.returncode == 0, result.stderr
    pods = wait_running(node, shop, s)
    assert pods[0]["metadata"]["uid"] != s.pods[0]["metadata"]["uid"]


def test_the_audit_fix_for_a_running_deployment(
    shop: Shop, node: Node, node_plugin: PluginRunner, fixes: dict[str, Fix]
) -> None:
    """The audit's fix, run as printed, then the proof it stands for: with the image gone from
    the node, the Deployment's next Pod pulls it with that secret. (From 1.35 the Deployment
    failed at once, and diagnose's fix ran with the others.)"""
    s = observed(shop, "cached-deployment")
    if shop.verifies_cached_images:
        fixed(fixes, s.name)
        wait_running(node, shop, s, replaced=False)
        audit = node_plugin("audit", "-n", s.namespace, "-o", "json")
        assert audit.returncode == 0 and json.loads(audit.stdout)["items"] == [], audit.stdout
        nothing_left_to_report(node_plugin, s)
        return
    audit = node_plugin("audit", "-n", s.namespace, "-o", "json")
    (item,) = json.loads(audit.stdout)["items"]
    hint = problem(item, "SecretNotFound")["hint"]
    # `create it` with a placeholder password, or `copy it` from the namespace where an earlier
    # test created its own `gone`.
    assert hint.startswith(("create it: kubectl create secret", "copy it: kubectl get secret gone"))
    assert f"kubectl create secret docker-registry gone -n {s.namespace} " in hint
    created = node.shell(fill(command_of(hint)))
    assert created.returncode == 0, created.stderr
    after = node_plugin("audit", "-n", s.namespace, "-o", "json")
    assert after.returncode == 0 and json.loads(after.stdout)["items"] == [], after.stdout
    nothing_left_to_report(node_plugin, s)

    node.ctr("images", "remove", s.image)
    assert s.image not in node.images_on_node()
    restarted = node.shell(f"kubectl rollout restart deployment/cache -n {s.namespace}")
    assert restarted.returncode == 0, restarted.stderr
    wait_running(node, shop, s)


def test_a_fix_once_the_events_miss_pulls_awaits_the_retry_and_wait_sees_it_run(
    shop: Shop, node: Node, node_plugin: PluginRunner
) -> None:
    """Issue 21 on the real node: the spam filter has thinned the Pod's events until
    containerd's log shows pulls that no event dates. The right password then arrives during
    the back-off: the refusal on record cannot be about it, so the Pod is listed as awaiting
    the kubelet's retry (exit 1, never 'no problems'), with the latest moment of that retry;
    and `--wait` follows it through that retry to Running."""
    s = observed(shop, "late-fix")
    ns = s.namespace

    def missed() -> bool:
        events = node.cluster.rest.get(f"/api/v1/namespaces/{ns}/events")["items"]
        errors = pull_error_times(events)
        attempts = node.pull_attempts(s.image)
        now = datetime.now(timezone.utc)
        return bool(errors and attempts) and (
            spam_tokens(events) >= SPAM_BURST  # the filter's burst is spent
            and attempts[-1] - max(errors) > timedelta(seconds=5)  # a pull with no event
            # and long since: the kubelet sends events at 5 per second, with a backlog at start;
            # but not so long that the next pull (back-off 160 s by then) comes before diagnose
            and timedelta(seconds=30) < now - attempts[-1] < timedelta(seconds=90)
        )

    node.wait_for("the kubelet's events to miss a pull", missed, 600, 2)
    replace = (
        f"kubectl create secret docker-registry team-creds -n {ns} "
        f"--docker-server={shop.basic.hostport} --docker-username={ALICE[0]} "
        f'--docker-password="${PASSWORD_VARIABLE}" --dry-run=client -o yaml'
        " | kubectl replace -f -"
    )
    replaced = node.shell(replace, env={PASSWORD_VARIABLE: ALICE[1]})
    assert replaced.returncode == 0, replaced.stderr
    result = node_plugin("diagnose", "pod", "-n", ns, "-o", "json")
    assert result.returncode == 1, result.stderr
    assert ALICE[1] not in result.stdout + result.stderr
    (item,) = json.loads(result.stdout)["items"]
    events = node.cluster.rest.get(f"/api/v1/namespaces/{ns}/events")["items"]
    trail = [
        (e["reason"], e.get("count"), e.get("lastTimestamp"), e["message"][:40]) for e in events
    ]
    assert codes(item) == ["AwaitingRetry"], (item["problems"], trail)
    message = problem(item, "AwaitingRetry")["message"]
    assert 'Secret "team-creds" was created or replaced at' in message, message
    assert "at the latest" in message, message

    pod = s.pods[0]["metadata"]["name"]
    waited = node_plugin("diagnose", "pod", pod, "-n", ns, "--wait=7m", "-o", "json", timeout=480)
    assert waited.returncode == 0, waited.stderr
    assert f"{ns}/{pod} app: pulled, Running" in waited.stderr, waited.stderr
    (after,) = json.loads(waited.stdout)["items"]
    assert (after["state"], after["problems"]) == ("Running", []), after

"""The hostile corpus as real objects in the test apiserver, through `show` and `diagnose pod`.

Secrets: every case the apiserver stores (it refuses invalid JSON in the two docker types with
422, so those cases appear as Opaque or as valid JSON with bad contents), each listed by its own
Pod that is in ImagePullBackOff after a 401. Pods and images: odd image references in one Pod,
a Pod without container statuses, init and ephemeral containers (created through the
ephemeralcontainers subresource of the 1.20 apiserver with its feature gate), empty
imagePullSecrets names. Events: fields missing, a pod that no longer exists, and a previous Pod
of the same name (another uid) whose events must not be used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.control_plane import ApiError, Cluster
from tests.support.plugin import PluginRunner

from .corpus import IMAGE, IMAGES, RUNTIME_401, SECRETS, SecretCase, Verdict
from .support import (
    assert_no_crash,
    assert_one_error_line,
    assert_terminal_safe,
    codes,
    describe,
    parse_output,
    printable,
    problem_text,
    run_cli,
)

pytestmark = pytest.mark.e2e

API_CASES = [c for c in SECRETS if c.api and c.name != "one-mib"]
DOCKER_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")
BIG_TIMEOUT_S = 15.0  # a 1 MiB secret is 16k entries; a sound plugin needs a few seconds


def backoff_message(image: str) -> str:
    return f'Back-off pulling image "{image}": ErrImagePull: {RUNTIME_401}'


def patch_status(cluster: Cluster, ns: str, pod: str, status: dict[str, Any]) -> None:
    cluster.rest.merge_patch(f"/api/v1/namespaces/{ns}/pods/{pod}/status", {"status": status})


def waiting(name: str, image: str, reason: str, message: str = "") -> dict[str, Any]:
    state = {"reason": reason, **({"message": message} if message else {})}
    return {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": state},
    }


def failing_pod_for(cluster: Cluster, ns: str, case: SecretCase) -> str:
    pod = f"p-{case.name}"
    cluster.create_pod(ns, pod, [("app", case.image)], image_pull_secrets=[case.name])
    patch_status(
        cluster,
        ns,
        pod,
        {
            "phase": "Pending",
            "containerStatuses": [
                waiting("app", case.image, "ImagePullBackOff", backoff_message(case.image))
            ],
        },
    )
    return pod


def create_secret(cluster: Cluster, ns: str, case: SecretCase) -> None:
    redact = [e.password for e in case.entries or () if e.password]
    cluster.rest.post(f"/api/v1/namespaces/{ns}/secrets", case.api_object(ns), redact=redact)


@pytest.fixture(scope="module")
def corpus_ns(hcluster: Cluster) -> str:
    ns = hcluster.create_namespace("corpus")
    for case in API_CASES:
        create_secret(hcluster, ns, case)
        failing_pod_for(hcluster, ns, case)
    return ns


def passwords(case: SecretCase) -> list[str]:
    return [e.password for e in case.entries or () if len(e.password) >= 4]


def check_show_item(case: SecretCase, item: dict[str, Any], where: str) -> None:
    text = problem_text(item["problems"])
    if case.verdict is Verdict.MALFORMED:
        assert "SecretMalformed" in codes(item["problems"]) and case.expect in text, where
    elif case.verdict is Verdict.IGNORED:
        assert "SecretWrongType" in codes(item["problems"]) and case.expect in text, where
    elif case.verdict is Verdict.EMPTY:
        assert item["entries"] == [] and "holds no registry entries" in text, where
    else:
        expected = case.entries or ()
        assert [(e["key"], e["username"]) for e in item["entries"]] == [
            (e.key, printable(e.username)) for e in expected
        ], where
        assert [e["passwordLength"] for e in item["entries"]] == [
            len(e.password) for e in expected
        ], where
        assert {e["password"] for e in item["entries"]} <= {"<redacted>"}, where
        if case.key_problem:
            assert case.key_problem in text, where


def test_show_lists_every_docker_type_secret_with_its_verdict(
    hrun: PluginRunner, corpus_ns: str
) -> None:
    result = run_cli(hrun, "show", "-n", corpus_ns, "-o", "json")
    assert_no_crash(result)
    items = {i["name"]: i for i in parse_output(result)["items"]}
    docker = [c for c in API_CASES if c.type in DOCKER_TYPES]
    assert set(items) == {c.name for c in docker}, describe(result)
    for case in docker:
        check_show_item(case, items[case.name], f"{case.name}:\n{describe(result)}")
    for case in API_CASES:
        for secret in passwords(case):
            assert secret not in result.stdout + result.stderr, case.name


def test_show_table_of_the_corpus(hrun: PluginRunner, corpus_ns: str) -> None:
    result = run_cli(hrun, "show", "-n", corpus_ns)
    assert_no_crash(result, codes=(1,))
    assert_terminal_safe(result.stdout)
    rows = {line.split()[1]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    for case in API_CASES:
        if case.type not in DOCKER_TYPES:
            continue
        row = rows[case.name]
        if case.verdict in (Verdict.MALFORMED, Verdict.IGNORED):
            assert case.verdict.value in row, row


@pytest.mark.parametrize(
    "case", [c for c in API_CASES if c.type not in DOCKER_TYPES], ids=lambda c: c.name
)
def test_show_names_an_opaque_secret_ignored(
    hrun: PluginRunner, corpus_ns: str, case: SecretCase
) -> None:
    result = run_cli(hrun, "show", case.name, "-n", corpus_ns, "-o", "yaml")
    assert_no_crash(result, codes=(1,))
    doc = parse_output(result, "yaml")
    check_show_item(case, doc, describe(result))
    assert doc["usedBy"] == [f"pod/p-{case.name}"], describe(result)


def test_diagnose_every_pod_of_the_corpus(hrun: PluginRunner, corpus_ns: str) -> None:
    result = run_cli(hrun, "diagnose", "pod", "-n", corpus_ns, "-o", "json")
    assert_no_crash(result, codes=(1,))
    reports = {r["pod"]: r for r in parse_output(result)["items"]}
    assert set(reports) == {f"p-{c.name}" for c in API_CASES}, describe(result)
    for case in API_CASES:
        report = reports[f"p-{case.name}"]
        text = problem_text(report["problems"])
        where = f"{case.name}: {text}"
        keys = tuple(c["key"] for c in report["credentials"])
        if case.verdict is Verdict.MALFORMED:
            assert "SecretMalformed" in codes(report["problems"]) and case.expect in text, where
            assert keys == (), where
        elif case.verdict is Verdict.IGNORED:
            assert "SecretWrongType" in codes(report["problems"]) and case.expect in text, where
        elif case.verdict is Verdict.EMPTY:
            assert "NoCredentialsForRegistry" in codes(report["problems"]), where
        else:
            assert keys == case.matches, where
            code = "CredentialsRejected" if case.matches else "NoCredentialsForRegistry"
            assert code in codes(report["problems"]), where
            for needle in (case.key_problem, case.near_miss):
                assert needle in text, where
        for secret in passwords(case):
            assert secret not in result.stdout + result.stderr, case.name


def test_diagnose_table_of_the_corpus_is_terminal_safe(hrun: PluginRunner, corpus_ns: str) -> None:
    result = run_cli(hrun, "diagnose", "pod", "-n", corpus_ns, "-o", "wide")
    assert_no_crash(result, codes=(1,))
    assert_terminal_safe(result.stdout)
    for case in API_CASES:
        assert f"p-{case.name} " in result.stdout


def test_a_one_mib_secret(hrun: PluginRunner, hcluster: Cluster) -> None:
    """The apiserver's maximum: 1 MiB of data, 16k registry entries. Decoded, matched and shown
    within a bound, every password redacted."""
    case = next(c for c in SECRETS if c.name == "one-mib")
    ns = hcluster.create_namespace("one-mib")
    create_secret(hcluster, ns, case)
    failing_pod_for(hcluster, ns, case)
    diagnosis = run_cli(hrun, "diagnose", "pod", f"p-{case.name}", "-n", ns, "-o", "json")
    assert_no_crash(diagnosis, codes=(1,))
    (report,) = parse_output(diagnosis)["items"]
    assert [c["key"] for c in report["credentials"]] == list(case.matches)
    assert "CredentialsRejected" in codes(report["problems"])
    shown = run_cli(hrun, "show", case.name, "-n", ns, "-o", "json", timeout=BIG_TIMEOUT_S)
    assert_no_crash(shown)
    doc = parse_output(shown)
    assert len(doc["entries"]) == case.n_entries
    assert {e["password"] for e in doc["entries"]} == {"<redacted>"}
    assert "pw-000001" not in shown.stdout


# --- pods, images and events -----------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_ns(hcluster: Cluster) -> Iterator[str]:
    yield hcluster.create_namespace("odd")


def test_odd_image_references_in_one_pod(
    hrun: PluginRunner, hcluster: Cluster, odd_ns: str
) -> None:
    cases = [c for c in IMAGES if c.api]
    hcluster.create_pod(odd_ns, "odd-images", [(c.name, c.image) for c in cases])
    statuses = [
        waiting(
            c.name, c.image, "InvalidImageName", f'Failed to apply default image tag "{c.image}"'
        )
        if c.repository is None
        else waiting(c.name, c.image, "ErrImagePull", RUNTIME_401)
        for c in cases
    ]
    patch_status(
        hcluster, odd_ns, "odd-images", {"phase": "Pending", "containerStatuses": statuses}
    )
    result = run_cli(hrun, "diagnose", "pod", "odd-images", "-n", odd_ns, "-o", "json")
    assert_no_crash(result, codes=(1,))
    reports = {r["container"]: r for r in parse_output(result)["items"]}
    for case in cases:
        report = reports[case.name]
        assert report["repository"] == case.repository, (case.name, report)
        assert report["image"] == case.image
        if case.repository is None:
            assert "InvalidImageName" in codes(report["problems"]), (case.name, report)
        else:
            assert "NoPullSecrets" in codes(report["problems"]), (case.name, report)
    table = run_cli(hrun, "diagnose", "pod", "odd-images", "-n", odd_ns, "-o", "wide")
    assert_no_crash(table, codes=(1,))
    assert_terminal_safe(table.stdout + table.stderr)


def test_pod_without_container_statuses(hrun: PluginRunner, hcluster: Cluster, odd_ns: str) -> None:
    hcluster.create_pod(odd_ns, "fresh", [("app", IMAGE)], image_pull_secrets=["", "regcred"])
    result = run_cli(hrun, "diagnose", "pod", "fresh", "-n", odd_ns, "-o", "json")
    assert_no_crash(result)
    (report,) = parse_output(result)["items"]
    assert report["state"] == "Pending" and report["secrets"] == ["regcred"], report
    text = problem_text(report["problems"])
    assert "empty name" in text and "SecretNotFound" in codes(report["problems"]), text
    # Nothing fails yet: what is wrong bites at the next pull, so nothing is an error now.
    assert all(p["severity"] != "error" for p in report["problems"]), text


def test_init_and_ephemeral_containers(hrun: PluginRunner, hcluster: Cluster, odd_ns: str) -> None:
    hcluster.create_pod(
        odd_ns,
        "layers",
        [("app", "nginx")],
        init_containers=[("setup", IMAGE)],
        image_pull_secrets=["missing-secret"],
    )
    hcluster.simulate_pull_failure(odd_ns, "layers", "setup", None, RUNTIME_401, init=True)
    body = {
        "apiVersion": "v1",
        "kind": "EphemeralContainers",
        "metadata": {"name": "layers", "namespace": odd_ns},
        "ephemeralContainers": [
            {
                "name": "debug",
                "image": f"{IMAGE}-debug",
                "targetContainerName": "app",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
    }
    try:
        hcluster.rest.request(
            "PUT", f"/api/v1/namespaces/{odd_ns}/pods/layers/ephemeralcontainers", body
        )
    except ApiError as exc:  # pragma: no cover - the gate is set by the hostile control plane
        pytest.fail(f"the 1.20 apiserver refused ephemeral containers despite the gate: {exc}")
    pod = hcluster.get_pod(odd_ns, "layers")
    status = pod["status"]
    status["ephemeralContainerStatuses"] = [
        waiting("debug", f"{IMAGE}-debug", "ErrImagePull", RUNTIME_401)
    ]
    patch_status(hcluster, odd_ns, "layers", status)
    result = run_cli(hrun, "diagnose", "pod", "layers", "-n", odd_ns, "-o", "json")
    assert_no_crash(result, codes=(1,))
    reports = {(r["containerType"], r["container"]): r for r in parse_output(result)["items"]}
    assert set(reports) == {
        ("initContainers", "setup"),
        ("containers", "app"),
        ("ephemeralContainers", "debug"),
    }, describe(result)
    for key in (("initContainers", "setup"), ("ephemeralContainers", "debug")):
        report = reports[key]
        assert report["state"] in ("ImagePullBackOff", "ErrImagePull"), report
        assert "SecretNotFound" in codes(report["problems"]), report
    table = run_cli(hrun, "diagnose", "pod", "layers", "-n", odd_ns)
    assert "setup (init)" in table.stdout and "debug (ephemeral)" in table.stdout, describe(table)


def test_events_with_missing_fields_and_for_pods_long_gone(
    hrun: PluginRunner, hcluster: Cluster
) -> None:
    ns = hcluster.create_namespace("events")
    events = f"/api/v1/namespaces/{ns}/events"
    # A Pod whose previous incarnation (same name, other uid) failed with "manifest unknown".
    old = hcluster.create_pod(ns, "reborn", [("app", IMAGE)], image_pull_secrets=[])
    hcluster.simulate_pull_failure(
        ns, "reborn", "app", None, "manifest unknown: manifest unknown", backoff=False
    )
    hcluster.rest.request("DELETE", f"/api/v1/namespaces/{ns}/pods/reborn")
    new = hcluster.create_pod(ns, "reborn", [("app", IMAGE)], image_pull_secrets=[])
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    patch_status(
        hcluster,
        ns,
        "reborn",
        {"phase": "Pending", "containerStatuses": [waiting("app", IMAGE, "ImagePullBackOff")]},
    )
    # Events with the bare minimum the apiserver accepts, and about a pod that never existed.
    for body in (
        {"involvedObject": {"kind": "Pod", "name": "reborn", "namespace": ns}, "reason": "Failed"},
        {
            "involvedObject": {"kind": "Pod", "name": "reborn", "namespace": ns},
            "reason": "FailedToRetrieveImagePullSecret",
        },
        {
            "involvedObject": {"kind": "Pod", "name": "ghost", "namespace": ns, "uid": "x"},
            "reason": "Failed",
            "message": f'Failed to pull image "{IMAGE}": {RUNTIME_401}',
            "type": "Warning",
        },
        {
            "involvedObject": {
                "kind": "Pod",
                "name": "reborn",
                "namespace": ns,
                "fieldPath": "spec.containers{app",
            },
            "reason": "Failed",
            "message": "Failed to pull image",
            "count": 0,
        },
    ):
        hcluster.rest.post(events, {"metadata": {"generateName": "odd-"}, **body})

    result = run_cli(hrun, "diagnose", "pod", "-n", ns, "-o", "json")
    assert_no_crash(result, codes=(1,))
    reports = parse_output(result)["items"]
    assert [r["pod"] for r in reports] == ["reborn"], describe(result)
    (report,) = reports
    # The old incarnation's "manifest unknown" must not be blamed on the new Pod.
    assert "ImageNotFound" not in codes(report["problems"]), describe(result)
    assert "NoPullSecrets" in codes(report["problems"]), describe(result)

    named = run_cli(hrun, "diagnose", "pod", "reborn", "-n", ns, "-o", "json")
    assert_no_crash(named, codes=(1,))
    assert "ImageNotFound" not in codes(parse_output(named)["items"][0]["problems"])

    ghost = run_cli(hrun, "diagnose", "pod", "ghost", "-n", ns)
    assert_one_error_line(ghost, '"ghost"', "not found")


@pytest.mark.parametrize("command", [["show", "-o", "json"], ["diagnose", "pod", "-o", "json"]])
def test_nothing_in_an_empty_namespace(
    hrun: PluginRunner, hcluster: Cluster, command: list[str]
) -> None:
    ns = hcluster.create_namespace("empty")
    result = run_cli(hrun, *command, "-n", ns)
    assert_no_crash(result, codes=(0,))
    assert json.loads(result.stdout)["items"] == []

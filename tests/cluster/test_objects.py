"""API JSON to facts (tolerant of anything), kubeconfig merging and flag parsing."""

import base64
from pathlib import Path

import pytest

from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import merge_kubeconfigs, parse_request_timeout
from kubectl_pullsecret.cluster.objects import (
    decode_secret_data,
    event_target,
    pod_event,
    pod_facts,
    secret_fetch,
    written_at,
)


@pytest.mark.parametrize(
    "pod",
    [
        {},
        {"spec": None, "status": 5},
        {"spec": {"containers": ["x", None, {"name": 3}]}},
        {"metadata": []},
    ],
)
def test_pod_facts_survive_garbage(pod: dict) -> None:
    facts = pod_facts(pod)
    assert facts.service_account == "default"


def test_pod_facts_reads_all_container_kinds() -> None:
    pod = {
        "metadata": {
            "namespace": "ns",
            "name": "p",
            "uid": "u",
            "labels": {"pod-template-hash": "h"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-h", "controller": True}],
        },
        "spec": {
            "serviceAccountName": "sa",
            "imagePullSecrets": [{"name": "a"}, {}, {"name": "b"}],
            "initContainers": [{"name": "i", "image": "busybox"}],
            "containers": [{"name": "c", "image": "nginx"}],
            "ephemeralContainers": [{"name": "e", "image": "debug"}],
        },
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "m"}}}
            ],
        },
    }
    facts = pod_facts(pod)
    assert [c.kind for c in facts.containers] == [
        "initContainers",
        "containers",
        "ephemeralContainers",
    ]
    assert facts.pull_secret_names == ("a", "", "b")
    assert (facts.owner_kind, facts.owner_name, facts.template_hash) == ("ReplicaSet", "web-h", "h")
    assert facts.statuses[0].waiting_reason == "ImagePullBackOff"


def test_events_with_missing_fields() -> None:
    event = pod_event(
        {"reason": 5, "series": {"count": 3, "lastObservedTime": "2026-01-01T00:00:00Z"}}
    )
    assert (event.reason, event.count, event.last_seen) == ("", 3, "2026-01-01T00:00:00Z")
    assert event_target({"metadata": {"namespace": "ns"}, "involvedObject": {"name": "p"}}) == (
        "ns",
        "p",
        "",
    )


def test_secret_fetch_with_invalid_base64_is_malformed() -> None:
    fetch = secret_fetch(
        "s", {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "%%%"}}
    )
    assert fetch.decoded is not None and fetch.decoded.error and "base64" in fetch.decoded.error


def test_kubeconfig_merge_first_file_wins(tmp_path: Path) -> None:
    first = {
        "current-context": "a",
        "contexts": [{"name": "a", "context": {"cluster": "c1"}}],
        "clusters": [{"name": "c1", "cluster": {"certificate-authority": "ca.crt"}}],
    }
    second = {
        "current-context": "b",
        "contexts": [
            {"name": "a", "context": {"cluster": "other"}},
            {"name": "b", "context": {"cluster": "c2"}},
        ],
        "clusters": [{"name": "c1", "cluster": {"server": "https://x"}}],
    }
    merged = merge_kubeconfigs(
        [(tmp_path / "one" / "config", first), (tmp_path / "config2", second)]
    )
    assert merged["current-context"] == "a"
    assert [c["name"] for c in merged["contexts"]] == ["a", "b"]
    assert merged["contexts"][0]["context"]["cluster"] == "c1"
    # relative paths resolve against the file that holds them
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == str(
        tmp_path / "one" / "ca.crt"
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5s", 5.0),
        ("2m", 120.0),
        ("500ms", 0.5),
        ("30", 30.0),
        ("0", None),
        ("1h", 3600.0),
        (None, None),
    ],
)
def test_request_timeout(value: str | None, seconds: float | None) -> None:
    assert parse_request_timeout(value) == seconds


@pytest.mark.parametrize("value", ["abc", "-1s", "5x", "1.5"])
def test_bad_request_timeout(value: str) -> None:
    with pytest.raises(KubeError):
        parse_request_timeout(value)


def test_decode_secret_data_reports_bad_base64() -> None:
    decoded, broken = decode_secret_data(
        {".dockerconfigjson": base64.b64encode(b"{}").decode(), "x": "%%%", "y": 5}
    )
    assert decoded == {".dockerconfigjson": b"{}"}
    assert broken == ["x", "y"]


def test_pod_facts_reads_image_volumes_and_pull_policies() -> None:
    # KEP-4639: spec.volumes[].image{reference, pullPolicy}, pulled with the Pod's secrets.
    pod = {
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "imagePullPolicy": "Never",
                    "volumeMounts": [{"name": "models"}, {"name": "cache"}, {"name": "models"}],
                },
                {"name": "side", "image": "busybox", "volumeMounts": [{"name": "models"}]},
            ],
            "initContainers": [{"name": "init", "image": "x", "volumeMounts": [5, {"name": 7}]}],
            "volumes": [
                {"name": "cache", "emptyDir": {}},
                {
                    "name": "models",
                    "image": {"reference": "quay.io/org/models:v2", "pullPolicy": "IfNotPresent"},
                },
                {"name": "tools", "image": {"reference": "r.example.com/tools"}},
                {"name": "broken", "image": "not-a-dict"},
                "garbage",
            ],
        }
    }
    facts = pod_facts(pod)
    assert facts.node_name == "node-1"
    assert [(c.name, c.pull_policy) for c in facts.containers] == [
        ("init", ""),
        ("app", "Never"),
        ("side", ""),
    ]
    assert [(v.name, v.reference, v.pull_policy, v.mounted_by) for v in facts.image_volumes] == [
        ("models", "quay.io/org/models:v2", "IfNotPresent", ("app", "side")),
        ("tools", "r.example.com/tools", "", ()),
    ]
    pulled = facts.pulled_images()
    assert [(p.kind, p.name, p.image) for p in pulled[-2:]] == [
        ("imageVolumes", "models", "quay.io/org/models:v2"),
        ("imageVolumes", "tools", "r.example.com/tools"),
    ]


def test_pod_facts_without_volumes_has_no_image_volumes() -> None:
    assert pod_facts({"spec": {"volumes": None}}).image_volumes == ()
    assert pod_facts({"spec": {"volumes": [{"image": {}}]}}).image_volumes[0].reference == ""


def test_a_secret_is_written_at_its_latest_managed_fields_time() -> None:
    """`kubectl replace` keeps creationTimestamp; managedFields record the update's time."""
    created = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}}
    assert written_at(created) == "2026-01-01T00:00:00Z"
    replaced = {
        "metadata": {
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [
                {"manager": "kubectl-create", "time": "2026-01-01T00:00:00Z"},
                {"manager": "kubectl-replace", "time": "2026-01-01T02:00:00+01:00"},
                {"manager": "kubectl-edit", "time": "2026-01-01T00:30:00Z"},
                {"manager": "hostile", "time": 12},
                "not an entry",
            ],
        }
    }
    assert written_at(replaced) == "2026-01-01T02:00:00+01:00"  # 01:00Z, the latest
    assert written_at({"metadata": {"creationTimestamp": "yesterday"}}) == ""
    assert written_at({}) == ""

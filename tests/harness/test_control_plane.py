"""Proves the real-cluster harness itself: TLS, tokens, RBAC, kubelet-like status and events."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from kubernetes import client

from tests.support.control_plane import (
    DOCKERCFG,
    OPAQUE,
    ApiError,
    Cluster,
    ControlPlane,
    ControlPlaneError,
)
from tests.support.genuine_texts import refused

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

RUNTIME_401 = refused("reg.example.com/a/b:1")


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("kubectl")
    if exe is None:
        pytest.skip("kubectl is not on PATH")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run(
        [exe, "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def core(cp: ControlPlane, user: str = "admin") -> client.CoreV1Api:
    return client.CoreV1Api(cp.api_client(user))


# ---------------------------------------------------------------------------------------------
# Access


def test_kubectl_get_ns_over_tls(
    control_plane: ControlPlane, kubeconfig: Path, namespace: str
) -> None:
    doc = json.loads(kubeconfig.read_text())
    assert doc["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    assert doc["current-context"] == "realcluster-admin"

    r = kubectl(kubeconfig, "get", "ns", "-o", "name")
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    assert "namespace/default" in names
    assert f"namespace/{namespace}" in names

    # The harness creates the default ServiceAccount that no controller manager would.
    r = kubectl(kubeconfig, "-n", namespace, "get", "sa", "default", "-o", "name")
    assert r.returncode == 0, r.stderr


def test_kubeconfig_with_namespace(
    control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    cluster.create_pod(namespace, "here", image_pull_secrets=[])
    kc = control_plane.kubeconfig("admin", namespace=namespace)
    r = kubectl(kc, "get", "pods", "-o", "name")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["pod/here"]


def test_no_secrets_user(control_plane: ControlPlane, cluster: Cluster, namespace: str) -> None:
    cluster.create_docker_secret(namespace, "regcred", {"reg.example.com": ("u", "p")})
    cluster.create_pod(namespace, "p1", image_pull_secrets=["regcred"])
    kc = control_plane.kubeconfig("no-secrets")

    r = kubectl(kc, "-n", namespace, "get", "secrets")
    assert r.returncode != 0
    assert "Forbidden" in r.stderr
    assert 'User "no-secrets" cannot list resource "secrets"' in r.stderr

    r = kubectl(kc, "-n", namespace, "get", "pods", "-o", "name")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["pod/p1"]

    api = core(control_plane, "no-secrets")
    assert [
        p.metadata.name
        for p in api.list_pod_for_all_namespaces().items
        if p.metadata.namespace == namespace
    ] == ["p1"]
    for call in (api.list_namespace, api.list_event_for_all_namespaces):
        call()
    api.read_namespaced_service_account("default", namespace)
    with pytest.raises(client.ApiException) as exc:
        api.read_namespaced_secret("regcred", namespace)
    assert exc.value.status == 403


def test_no_pods_user(control_plane: ControlPlane, cluster: Cluster, namespace: str) -> None:
    cluster.create_pod(namespace, "p1")
    kc = control_plane.kubeconfig("no-pods")
    r = kubectl(kc, "-n", namespace, "get", "pods")
    assert r.returncode != 0
    assert "Forbidden" in r.stderr
    assert 'User "no-pods" cannot list resource "pods"' in r.stderr

    rest = control_plane.rest("no-pods")
    with pytest.raises(ApiError) as exc:
        rest.get("/api/v1/pods")
    assert exc.value.status == 403
    assert exc.value.reason == "Forbidden"
    rest.get(f"/api/v1/namespaces/{namespace}/serviceaccounts")


def test_extra_user_and_namespaced_grant(control_plane_assets: Path) -> None:
    # Extra users need their own control plane (the token file is read once at start).
    with ControlPlane(control_plane_assets, users={"alice": ["dev"]}) as cp:
        c = cp.cluster()
        ns = c.create_namespace("alice")
        c.grant(
            "alice", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}], namespace=ns
        )
        rest = cp.rest("alice")
        assert rest.get(f"/api/v1/namespaces/{ns}/pods")["items"] == []
        with pytest.raises(ApiError) as exc:
            rest.get("/api/v1/namespaces/default/pods")
        assert exc.value.status == 403
        pids = [p.pid for p in cp.processes.processes]
        assert {p.name for p in cp.processes.processes} == {"etcd", "kube-apiserver"}
        dirs = [cp.workdir, cp.etcd_dir]
        c.close()
    assert cp.startup_seconds is not None and cp.startup_seconds < 30
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"pid {pid} still alive after stop()"
    for d in dirs:
        assert d is not None and not d.exists()


def test_failed_start_reports_log_and_cleans_up(control_plane_assets: Path) -> None:
    cp = ControlPlane(control_plane_assets, extra_apiserver_args=["--no-such-flag=1"])
    with pytest.raises(ControlPlaneError) as exc:
        cp.start()
    assert "kube-apiserver exited" in str(exc.value)
    assert "unknown flag: --no-such-flag" in str(exc.value)
    assert not cp.running and cp.workdir is None


# ---------------------------------------------------------------------------------------------
# Kubelet situations


def test_pull_backoff_status_round_trips(
    control_plane: ControlPlane, cluster: Cluster, kubeconfig: Path, namespace: str
) -> None:
    image = "reg.example.com/a/b:1"
    cluster.create_pod(
        namespace,
        "web",
        containers=[("app", image), ("side", "busybox:1.36")],
        image_pull_secrets=["regcred"],
    )
    cluster.set_container_running(namespace, "web", "side")
    cluster.simulate_pull_failure(namespace, "web", "app", image, RUNTIME_401)

    pod = core(control_plane).read_namespaced_pod("web", namespace)
    assert pod.status.phase == "Pending"
    by_name = {s.name: s for s in pod.status.container_statuses}
    waiting = by_name["app"].state.waiting
    assert waiting.reason == "ImagePullBackOff"
    assert waiting.message == f'Back-off pulling image "{image}": ErrImagePull: {RUNTIME_401}'
    assert by_name["app"].image == image and by_name["app"].ready is False
    assert by_name["side"].state.running is not None and by_name["side"].ready is True
    assert pod.spec.image_pull_secrets[0].name == "regcred"

    r = kubectl(kubeconfig, "-n", namespace, "get", "pod", "web", "--no-headers")
    assert r.returncode == 0, r.stderr
    assert "ImagePullBackOff" in r.stdout.split()


def test_err_image_pull_without_backoff_and_init_container(
    control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    cluster.create_pod(
        namespace,
        "p",
        containers=[("app", "busybox:1.36")],
        init_containers=[("setup", "reg.example.com/tools/setup:2")],
    )
    cluster.simulate_pull_failure(
        namespace, "p", "setup", None, "manifest unknown", backoff=False, init=True
    )
    pod = core(control_plane).read_namespaced_pod("p", namespace)
    init = pod.status.init_container_statuses[0]
    assert (init.name, init.state.waiting.reason) == ("setup", "ErrImagePull")
    assert init.state.waiting.message == "manifest unknown"
    assert pod.status.container_statuses[0].state.waiting.reason == "PodInitializing"

    events = cluster.list_events(namespace, involvedObject__name="p")
    assert {e["involvedObject"]["fieldPath"] for e in events} == {"spec.initContainers{setup}"}
    assert [e["reason"] for e in events] == ["Pulling", "Failed", "Failed"]


def test_events_and_field_selectors(
    control_plane: ControlPlane, cluster: Cluster, kubeconfig: Path, namespace: str
) -> None:
    image = "reg.example.com/a/b:1"
    cluster.create_pod(
        namespace, "web", containers=[("app", image)], image_pull_secrets=["gone-1", "gone-2"]
    )
    cluster.create_pod(namespace, "other")
    cluster.simulate_missing_pull_secrets(namespace, "web", ["gone-1", "gone-2"])
    cluster.simulate_pull_failure(namespace, "web", "app", image, RUNTIME_401)
    cluster.simulate_missing_pull_secrets(namespace, "other", ["x"])

    api = core(control_plane)
    evs = api.list_namespaced_event(namespace, field_selector="involvedObject.name=web").items
    evs.sort(key=lambda e: e.metadata.creation_timestamp)
    assert [(e.type, e.reason, e.message) for e in evs] == [
        (
            "Warning",
            "FailedToRetrieveImagePullSecret",
            "Unable to retrieve some image pull secrets (gone-1, gone-2); "
            "attempting to pull the image may not succeed.",
        ),
        ("Normal", "Pulling", f'Pulling image "{image}"'),
        ("Warning", "Failed", f'Failed to pull image "{image}": {RUNTIME_401}'),
        ("Warning", "Failed", "Error: ErrImagePull"),
        ("Normal", "BackOff", f'Back-off pulling image "{image}"'),
        ("Warning", "Failed", "Error: ImagePullBackOff"),
    ]
    pod_uid = api.read_namespaced_pod("web", namespace).metadata.uid
    for e in evs:
        ref = e.involved_object
        assert (ref.kind, ref.api_version, ref.namespace, ref.name, ref.uid) == (
            "Pod",
            "v1",
            namespace,
            "web",
            pod_uid,
        )
        assert e.source.component == "kubelet"
        assert e.reporting_component == "kubelet"
        assert e.count == 1
        assert e.first_timestamp is not None and e.last_timestamp is not None
    assert evs[0].involved_object.field_path is None
    assert {e.involved_object.field_path for e in evs[1:]} == {"spec.containers{app}"}

    missing = api.list_namespaced_event(
        namespace, field_selector="reason=FailedToRetrieveImagePullSecret"
    ).items
    assert sorted(e.involved_object.name for e in missing) == ["other", "web"]

    r = kubectl(
        kubeconfig,
        "-n",
        namespace,
        "get",
        "events",
        "-o",
        "name",
        "--field-selector",
        "involvedObject.name=web,reason=Failed",
    )
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == 3


def test_event_count_and_timestamps(cluster: Cluster, namespace: str) -> None:
    cluster.create_pod(namespace, "p")
    first = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    ev = cluster.emit_event(
        namespace,
        "p",
        "BackOff",
        'Back-off pulling image "x"',
        "Normal",
        container="app",
        count=17,
        first_timestamp=first,
    )
    assert ev["count"] == 17
    assert ev["firstTimestamp"] == "2026-01-02T03:04:05Z"
    assert ev["lastTimestamp"] > ev["firstTimestamp"]


def test_service_account_admission_copies_pull_secrets(
    control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    cluster.create_service_account(namespace, "builder", image_pull_secrets=["a", "b"])
    copied = cluster.create_pod(namespace, "copied", service_account="builder")
    assert [s["name"] for s in copied["spec"]["imagePullSecrets"]] == ["a", "b"]

    own = cluster.create_pod(namespace, "own", service_account="builder", image_pull_secrets=["c"])
    assert [s["name"] for s in own["spec"]["imagePullSecrets"]] == ["c"]  # never merged

    default = cluster.create_pod(namespace, "plain")
    assert default["spec"]["serviceAccountName"] == "default"
    assert "imagePullSecrets" not in default["spec"]

    # Later SA changes reach only new pods.
    cluster.patch_service_account_pull_secrets(namespace, "builder", ["z"])
    api = core(control_plane)
    assert [
        s.name for s in api.read_namespaced_pod("copied", namespace).spec.image_pull_secrets
    ] == ["a", "b"]
    newer = cluster.create_pod(namespace, "newer", service_account="builder")
    assert [s["name"] for s in newer["spec"]["imagePullSecrets"]] == ["z"]


def _decoded(api: client.CoreV1Api, ns: str, name: str, key: str) -> tuple[str, bytes]:
    s = api.read_namespaced_secret(name, ns)
    return s.type, base64.b64decode(s.data[key])


def test_secret_types_round_trip(
    control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    api = core(control_plane)
    pw = "s3cr3t-pw"
    auth = base64.b64encode(f"u:{pw}".encode()).decode()

    cluster.create_docker_secret(namespace, "json", {"reg.example.com": ("u", pw)})
    t, raw = _decoded(api, namespace, "json", ".dockerconfigjson")
    assert t == "kubernetes.io/dockerconfigjson"
    assert json.loads(raw) == {
        "auths": {"reg.example.com": {"username": "u", "password": pw, "auth": auth}}
    }

    cluster.create_docker_secret(
        namespace, "legacy", {"https://index.docker.io/v1/": ("u", pw)}, type=DOCKERCFG
    )
    t, raw = _decoded(api, namespace, "legacy", ".dockercfg")
    assert t == DOCKERCFG
    assert json.loads(raw) == {
        "https://index.docker.io/v1/": {"username": "u", "password": pw, "auth": auth}
    }

    cluster.create_docker_secret(namespace, "opaque", {"reg.example.com": ("u", pw)}, type=OPAQUE)
    t, raw = _decoded(api, namespace, "opaque", ".dockerconfigjson")
    assert t == "Opaque"
    assert json.loads(raw)["auths"]["reg.example.com"]["password"] == pw

    # An entry whose auth is not base64: valid JSON, so the apiserver accepts it.
    cluster.create_docker_secret(namespace, "badauth", {"reg.example.com": {"auth": "%%%"}})
    _, raw = _decoded(api, namespace, "badauth", ".dockerconfigjson")
    assert json.loads(raw) == {"auths": {"reg.example.com": {"auth": "%%%"}}}

    cluster.create_docker_secret(namespace, "raw", b"\x00not json", type=OPAQUE, data_key="x")
    assert _decoded(api, namespace, "raw", "x") == ("Opaque", b"\x00not json")


def test_invalid_docker_json_is_rejected_without_leaking(cluster: Cluster, namespace: str) -> None:
    payload = '{"auths": {"r": {"password": "hunter2-very-secret"'  # truncated JSON
    with pytest.raises(ApiError) as exc:
        cluster.create_docker_secret(namespace, "broken", payload)
    assert exc.value.status == 422
    assert "hunter2" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# run_plugin fixture (with a throw-away shim; the real plugin is tested elsewhere)


def test_run_plugin_uses_kubectl_discovery(
    run_plugin: PluginRunner, kubeconfig: Path, tmp_path: Path
) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    shim = tmp_path / "kubectl-pullsecret"
    shim.write_text(
        '#!/bin/sh\necho "args=$*"\necho "kubeconfig=$KUBECONFIG"\necho oops >&2\nexit 3\n'
    )
    shim.chmod(0o755)
    run_plugin.plugin_dir = tmp_path

    r = run_plugin("diagnose", "-n", "x y")
    assert r.returncode == 3
    assert r.stdout.splitlines() == ["args=diagnose -n x y", f"kubeconfig={kubeconfig}"]
    assert r.stderr.strip() == "oops"

    other = tmp_path / "other-kubeconfig"
    r = run_plugin("version", kubeconfig=other, env={"FOO": "1"})
    assert r.stdout.splitlines()[1] == f"kubeconfig={other}"

"""Kubeconfig handling through real files, the way kubectl (clientcmd) resolves them."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.control_plane import Cluster, ControlPlane
from tests.support.genuine_texts import refused

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

Json = dict[str, Any]
IMAGE = "reg.example.com/team/app:1"
RUNTIME_401 = refused(IMAGE)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_doc(cp: ControlPlane, user: str = "admin", **context: str) -> Json:
    """The harness's kubeconfig for `user`, as a document to edit."""
    doc: Json = json.loads(cp.kubeconfig(user).read_text())
    doc["contexts"][0]["context"].update(context)
    return doc


def broken_doc(server: str) -> Json:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "broken", "cluster": {"server": server}}],
        "users": [{"name": "broken-user", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "broken", "context": {"cluster": "broken", "user": "broken-user"}}],
        "current-context": "broken",
    }


def write(path: Path, doc: Json) -> Path:
    path.write_text(json.dumps(doc, indent=2))
    path.chmod(0o600)
    return path


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def pods_in(run: PluginRunner, *args: str, **kwargs: Any) -> tuple[list[str], list[str]]:
    """(pods in the table, pods in the JSON) of `diagnose pod ARGS`, both runs exit 1."""
    table = run("diagnose", "pod", *args, **kwargs)
    as_json = run("diagnose", "pod", *args, "-o", "json", **kwargs)
    assert table.returncode == 1, table.stderr
    assert as_json.returncode == 1, as_json.stderr
    lines = table.stdout.split("\n\n", 1)[0].splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "WORKLOAD"]
    rows = [f"{line.split()[0]}/{line.split()[1].removeprefix('pod/')}" for line in lines[1:]]
    items = [f"{i['namespace']}/{i['pod']}" for i in json.loads(as_json.stdout)["items"]]
    return rows, items


@pytest.fixture
def failing(cluster: Cluster, namespace: str) -> str:
    """A namespace with one pod that cannot pull; returns the namespace."""
    cluster.create_docker_secret(namespace, "regcred", {"reg.example.com": ("u", "pw-kc-1")})
    cluster.create_pod(
        namespace, "web", containers=[("app", IMAGE)], image_pull_secrets=["regcred"]
    )
    cluster.simulate_pull_failure(namespace, "web", "app", IMAGE, RUNTIME_401)
    return namespace


@pytest.fixture
def broken_server() -> str:
    return f"https://127.0.0.1:{closed_port()}"


def test_kubeconfig_flag_beats_env(
    run_plugin: PluginRunner,
    control_plane: ControlPlane,
    failing: str,
    broken_server: str,
    tmp_path: Path,
) -> None:
    good = write(tmp_path / "good.yaml", config_doc(control_plane))
    broken = write(tmp_path / "broken.yaml", broken_doc(broken_server))
    rows, items = pods_in(run_plugin, "-n", failing, "--kubeconfig", str(good), kubeconfig=broken)
    assert rows == items == [f"{failing}/web"]

    missing = tmp_path / "missing.yaml"
    line = one_error_line(
        run_plugin("diagnose", "pod", "--kubeconfig", str(missing), kubeconfig=good)
    )
    assert str(missing) in line


def test_kubeconfig_list_first_current_context_wins(
    run_plugin: PluginRunner,
    control_plane: ControlPlane,
    failing: str,
    broken_server: str,
    tmp_path: Path,
) -> None:
    good = write(tmp_path / "good.yaml", config_doc(control_plane))
    broken = write(tmp_path / "broken.yaml", broken_doc(broken_server))

    rows, items = pods_in(run_plugin, "-n", failing, kubeconfig=f"{good}:{broken}")
    assert rows == items == [f"{failing}/web"]

    # The same two files the other way round: the second file's context really is broken.
    line = one_error_line(
        run_plugin("diagnose", "pod", "-n", failing, kubeconfig=f"{broken}:{good}")
    )
    assert broken_server in line

    # --context picks the good context out of the merged list.
    rows, items = pods_in(
        run_plugin, "-n", failing, "--context", "realcluster-admin", kubeconfig=f"{broken}:{good}"
    )
    assert rows == items == [f"{failing}/web"]

    line = one_error_line(
        run_plugin("diagnose", "pod", "--context", "nope", kubeconfig=f"{good}:{broken}")
    )
    assert '"nope"' in line


def test_context_namespace_is_the_default(
    run_plugin: PluginRunner,
    control_plane: ControlPlane,
    cluster: Cluster,
    failing: str,
    tmp_path: Path,
) -> None:
    elsewhere = cluster.create_namespace("kc-elsewhere")
    cluster.create_pod(elsewhere, "other", containers=[("app", IMAGE)], image_pull_secrets=["x"])
    cluster.simulate_pull_failure(elsewhere, "other", "app", IMAGE, RUNTIME_401)
    kc = write(tmp_path / "ns.yaml", config_doc(control_plane, namespace=failing))

    rows, items = pods_in(run_plugin, kubeconfig=kc)
    assert rows == items == [f"{failing}/web"]
    rows, items = pods_in(run_plugin, "-n", elsewhere, kubeconfig=kc)
    assert rows == items == [f"{elsewhere}/other"]

    show = run_plugin("show", "regcred", "-o", "json", kubeconfig=kc)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["namespace"] == failing
    check = run_plugin("check", IMAGE, "--secret", "regcred", "-o", "json", kubeconfig=kc)
    assert check.returncode == 0, check.stderr
    assert [m["source"] for m in json.loads(check.stdout)["matches"]] == ["secret/regcred"]


def test_user_flag_and_relative_paths(
    run_plugin: PluginRunner,
    control_plane: ControlPlane,
    failing: str,
    tmp_path: Path,
) -> None:
    """Two users in one file; a CA path relative to the kubeconfig's own folder."""
    admin, no_pods = config_doc(control_plane, "admin"), config_doc(control_plane, "no-pods")
    folder = tmp_path / "conf"
    folder.mkdir()
    shutil.copy(control_plane.ca_file, folder / "ca.crt")
    doc = no_pods
    doc["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"
    doc["users"] += admin["users"]
    kc = write(folder / "config", doc)

    line = one_error_line(run_plugin("diagnose", "pod", "-n", failing, kubeconfig=kc))
    assert "forbidden" in line and 'User "no-pods"' in line

    rows, items = pods_in(run_plugin, "-n", failing, "--user", "realcluster-admin", kubeconfig=kc)
    assert rows == items == [f"{failing}/web"]


def test_unreachable_server_fails_fast(
    run_plugin: PluginRunner, broken_server: str, tmp_path: Path
) -> None:
    kc = write(tmp_path / "broken.yaml", broken_doc(broken_server))
    lines = []
    for args in (
        ("diagnose", "pod", "-A"),
        ("show", "-n", "x"),
        ("check", "nginx", "--secret", "s"),
    ):
        started = time.monotonic()
        r = run_plugin(*args, "--request-timeout", "5s", kubeconfig=kc)
        elapsed = time.monotonic() - started
        line = one_error_line(r)
        assert elapsed < 5.0, f"{args}: {elapsed:.1f}s"
        assert f"cannot reach the API server at {broken_server}" in line
        lines.append(line)
    for line in lines:
        # Nothing listens on the port: the connection is refused; it does not time out.
        assert "connection refused" in line, line
        assert "timed out" not in line, line


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections and never says a word (no TLS handshake)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"https://127.0.0.1:{s.getsockname()[1]}"


def test_silent_server_respects_request_timeout(
    run_plugin: PluginRunner, silent_server: str, tmp_path: Path
) -> None:
    kc = write(tmp_path / "silent.yaml", broken_doc(silent_server))
    started = time.monotonic()
    r = run_plugin(
        "diagnose", "pod", "-n", "x", "--request-timeout", "2s", kubeconfig=kc, timeout=30
    )
    elapsed = time.monotonic() - started
    line = one_error_line(r)
    assert f"cannot reach the API server at {silent_server}" in line
    assert "timed out" in line
    assert elapsed < 5.0, f"{elapsed:.1f}s for --request-timeout 2s"

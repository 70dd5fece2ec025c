"""Shell completion through kubectl's own plugin completion (kubectl >= 1.26 runs
`kubectl_complete-pullsecret`), with names read live from the test apiserver."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kubectl_pullsecret.cli.completion import DEFAULT, NO_FILE, complete

pytestmark = pytest.mark.e2e


def kubectl_complete(run_plugin, kubeconfig: Path, *words: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What `kubectl pullsecret WORDS<TAB>` offers: kubectl's __complete output minus the directive."""
    env = run_plugin.env(kubeconfig)
    kubectl = shutil.which("kubectl", path=env["PATH"])
    assert kubectl is not None
    result = subprocess.run(
        [kubectl, "__complete", "pullsecret", *words],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith(":"), result.stdout
    return [line.split("\t")[0] for line in lines[:-1]]


def test_subcommands_and_flags_offline() -> None:
    assert complete([""]) == (["audit", "check", "diagnose", "show", "version"], NO_FILE)
    assert complete(["diagnose", "d"]) == (["daemonset", "deploy", "deployment", "ds"], NO_FILE)
    assert "pod" in complete(["diagnose", ""])[0] and "cj" in complete(["diagnose", ""])[0]
    assert complete(["diagnose", "pod", "-o", ""]) == (["table", "wide", "json", "yaml"], NO_FILE)
    assert complete(["check", "nginx", "--file", ""]) == ([], DEFAULT)
    names, _ = complete(["show", "--re"])
    assert names == ["--registry-ca", "--request-timeout", "--reveal"]
    assert complete(["diagnose", "pod", "--as"]) == (["--as", "--as-group", "--as-uid"], NO_FILE)
    assert complete(["show", "--client-key", ""]) == ([], DEFAULT)
    assert complete(["-n", "x", "diagnose", "po"]) == (
        ["po", "pod"],
        NO_FILE,
    )  # flags first, as kubectl


def test_kubectl_completes_pods_secrets_and_namespaces_from_the_cluster(
    run_plugin, cluster, namespace: str, kubeconfig: Path
) -> None:  # type: ignore[no-untyped-def]
    cluster.create_pod(namespace, "web-1", containers=[("app", "nginx")])
    cluster.create_pod(namespace, "web-2", containers=[("app", "nginx")])
    cluster.create_docker_secret(namespace, "regcred", {"r.io": ("u", "p")})
    cluster.create_docker_secret(namespace, "plain", b"x", type="Opaque", data_key="x")

    assert kubectl_complete(run_plugin, kubeconfig, "diagnose", "pod", "-n", namespace, "web") == [
        "web-1",
        "web-2",
    ]
    # only docker-registry secrets are offered to show
    assert kubectl_complete(run_plugin, kubeconfig, "show", "--namespace", namespace, "") == [
        "regcred"
    ]
    assert namespace in kubectl_complete(
        run_plugin, kubeconfig, "diagnose", "pod", "-n", namespace[:6]
    )
    assert kubectl_complete(run_plugin, kubeconfig, "di") == ["diagnose"]
    for flag in ("--context", "--contexts"):
        assert kubectl_complete(run_plugin, kubeconfig, "audit", flag, "") == ["realcluster-admin"]


def test_completion_honours_every_connection_flag(  # type: ignore[no-untyped-def]
    run_plugin, cluster, namespace: str, control_plane, tmp_path: Path
) -> None:
    """Names come from the cluster the line names, as the command would reach it: here the
    kubeconfig points nowhere and the flags (before the subcommand, too) point at the cluster."""
    cluster.create_pod(namespace, "api-1", containers=[("app", "nginx")])
    nowhere = tmp_path / "kubeconfig"
    nowhere.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    flags = (
        "-s",
        control_plane.server,
        f"--token={control_plane.token()}",
        f"--certificate-authority={control_plane.ca_file}",
        "-n",
        namespace,
    )
    assert kubectl_complete(run_plugin, nowhere, "diagnose", "pod", *flags, "api") == ["api-1"]
    assert kubectl_complete(run_plugin, nowhere, *flags, "diagnose", "pod", "api") == ["api-1"]
    # A user who may not list pods is impersonated: nothing to offer.
    assert (
        kubectl_complete(run_plugin, nowhere, "diagnose", "pod", *flags, "--as=no-pods", "") == []
    )


def test_completion_stays_quiet_when_the_cluster_is_down(run_plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "kubeconfig"
    broken.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    assert kubectl_complete(run_plugin, broken, "diagnose", "pod", "") == []
    assert os.listdir(tmp_path) == ["kubeconfig"]

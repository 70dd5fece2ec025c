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


def test_completion_stays_quiet_when_the_cluster_is_down(run_plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "kubeconfig"
    broken.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    assert kubectl_complete(run_plugin, broken, "diagnose", "pod", "") == []
    assert os.listdir(tmp_path) == ["kubeconfig"]

"""`kubectl pullsecret diagnose pod` from the krew install, against the test apiserver.

The frozen program must reach the cluster exactly like the pip-installed one: this is where
the lazily imported kubernetes client, yaml and the TLS stack run in the PyInstaller build.
Uses the e2e fixtures of tests/conftest.py (real kube-apiserver; skipped loudly without it,
failing in CI), so the test is also marked e2e by that conftest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.genuine_texts import refused

if TYPE_CHECKING:
    from tests.support.control_plane import Cluster
    from tests.support.plugin import PluginRunner

pytestmark = pytest.mark.slow

IMAGE = "registry.example.com/team/app:v1"
UNAUTHORIZED = refused(IMAGE)


def test_diagnose_pod_from_the_krew_install(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str, krew_bin_dir: Path
) -> None:
    cluster.create_docker_secret(
        namespace, "regcred", {"registry.example.com": ("deploy", "pw-krew-e2e-1")}
    )
    cluster.create_docker_secret(namespace, "other", {"quay.io": ("q", "pw-krew-e2e-2")})
    cluster.create_pod(
        namespace, "web", containers=[("app", IMAGE)], image_pull_secrets=["regcred"]
    )
    cluster.create_pod(namespace, "api", containers=[("app", IMAGE)], image_pull_secrets=["other"])
    for pod in ("web", "api"):
        cluster.simulate_pull_failure(namespace, pod, "app", IMAGE, UNAUTHORIZED)

    args = ("diagnose", "pod", "-n", namespace, "-o", "json")
    from_pip = run_plugin(*args)  # tests/conftest.py default: the venv's console script
    run_plugin.plugin_dir = krew_bin_dir
    from_krew = run_plugin(*args)
    table = run_plugin("diagnose", "pod", "-n", namespace)

    for result in (from_krew, table):
        assert "Traceback" not in result.stderr, result.stderr
        assert "ModuleNotFoundError" not in result.stderr
    assert from_krew.returncode == from_pip.returncode == table.returncode == 1, from_krew.stderr
    doc = json.loads(from_krew.stdout)
    assert doc == json.loads(from_pip.stdout)
    assert doc["kind"] == "PullSecretDiagnosis"
    assert "web" in table.stdout and "api" in table.stdout
    # The secret's password never leaves the process.
    assert "pw-krew-e2e" not in from_krew.stdout + from_krew.stderr + table.stdout

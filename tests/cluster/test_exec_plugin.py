"""Exec credential plugins (the cloud providers' token helpers) work, print nothing to our
stdout, and their tokens never reach the output; the kubeconfig is never written back."""

import hashlib
import stat
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e


def test_exec_plugin_token(
    run_plugin, control_plane, cluster, namespace: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    token = control_plane.token("admin")
    helper = tmp_path / "token-helper"
    helper.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "sys.stderr.write('token-helper: refreshing\\n')\n"
        f"print(json.dumps({{'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential', 'status': {{'token': {token!r}}}}}))\n"
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    admin = yaml.safe_load(control_plane.kubeconfig("admin").read_text())
    admin["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "./token-helper",
            "interactiveMode": "Never",
        }
    }
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump(admin))
    before = hashlib.sha256(kubeconfig.read_bytes()).hexdigest()

    cluster.create_pod(namespace, "web", containers=[("app", "nginx")])
    result = run_plugin(
        "diagnose", "pod", "web", "-n", namespace, "-o", "json", kubeconfig=kubeconfig
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")  # the helper's chatter stays off stdout
    assert token not in result.stdout + result.stderr

    debug = run_plugin("diagnose", "pod", "web", "-n", namespace, "--debug", kubeconfig=kubeconfig)
    assert debug.returncode == 0 and "API requests" in debug.stderr
    assert token not in debug.stdout + debug.stderr
    # a relative exec command resolves against the kubeconfig's folder, and nothing is written back
    assert hashlib.sha256(kubeconfig.read_bytes()).hexdigest() == before

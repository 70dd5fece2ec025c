"""Exec credential plugins (the cloud providers' token helpers) work, print nothing to our
stdout, and their tokens never reach the output; the kubeconfig is never written back. They
run as client-go runs them: a client certificate as well as a token, the cluster's details
when asked, once more after a 401."""

import hashlib
import json
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


def _plugin(folder: Path, name: str, body: str) -> Path:
    helper = folder / name
    helper.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    return helper


def _kubeconfig_with_exec(control_plane, folder: Path, exec_config: dict) -> Path:  # type: ignore[no-untyped-def]
    config = yaml.safe_load(control_plane.kubeconfig("admin").read_text())
    config["users"][0]["user"] = {"exec": exec_config}
    path = folder / "config"
    path.write_text(yaml.safe_dump(config))
    return path


def test_exec_plugin_client_certificate_and_cluster_info(
    run_plugin, control_plane, cluster, namespace: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A plugin may answer with a client certificate instead of a token, and is told about the
    cluster when provideClusterInfo asks for it (client-go's KUBERNETES_EXEC_INFO)."""
    cert, key = control_plane.client_certificate("exec-admin", groups=("system:masters",))
    seen = tmp_path / "exec-info.json"
    helper = _plugin(
        tmp_path,
        "cert-helper",
        f"open({str(seen)!r}, 'w').write(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', "
        "'kind': 'ExecCredential', 'status': {"
        f"'clientCertificateData': open({str(cert)!r}).read(), "
        f"'clientKeyData': open({str(key)!r}).read()}}}}))",
    )
    kubeconfig = _kubeconfig_with_exec(
        control_plane,
        tmp_path,
        {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(helper),
            "interactiveMode": "Never",
            "provideClusterInfo": True,
        },
    )
    cluster.create_pod(namespace, "web", containers=[("app", "nginx")])
    result = run_plugin(
        "diagnose", "pod", "web", "-n", namespace, "-o", "json", kubeconfig=kubeconfig
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(seen.read_text())
    assert info["kind"] == "ExecCredential" and info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == control_plane.server
    assert info["spec"]["cluster"]["certificate-authority-data"]


def test_exec_plugin_runs_again_when_the_server_refuses_its_token(
    run_plugin, control_plane, cluster, namespace: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Its first token is stale (401): the plugin is asked once more, as client-go does."""
    runs = tmp_path / "runs"
    token = control_plane.token("admin")
    helper = _plugin(
        tmp_path,
        "stale-then-fresh",
        f"runs = open({str(runs)!r}, 'a+'); runs.write('x'); runs.seek(0); n = len(runs.read())\n"
        f"token = 'stale-token' if n == 1 else {token!r}\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
        "'kind': 'ExecCredential', 'status': {'token': token}}))",
    )
    kubeconfig = _kubeconfig_with_exec(
        control_plane,
        tmp_path,
        {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(helper)},
    )
    cluster.create_pod(namespace, "web", containers=[("app", "nginx")])
    result = run_plugin("diagnose", "pod", "web", "-n", namespace, kubeconfig=kubeconfig)
    assert result.returncode == 0, result.stderr
    assert runs.read_text() == "xx"


@pytest.mark.parametrize(
    ("exec_config", "said"),
    [
        (
            {"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "true"},
            "asks for apiVersion 'client.authentication.k8s.io/v1alpha1'",
        ),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "true",
                "interactiveMode": "Always",
            },
            "needs a terminal (interactiveMode: Always)",
        ),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "/nonexistent/corp-login",
                "interactiveMode": "Never",
                "installHint": "install corp-login from the intranet\nsecond line",
            },
            "cannot run '/nonexistent/corp-login': No such file or directory; install corp-login",
        ),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "echo",
                "args": ["not json"],
                "interactiveMode": "Never",
            },
            "printed no ExecCredential (not JSON)",
        ),
    ],
)
def test_exec_plugins_that_cannot_give_credentials_say_why(
    run_plugin, control_plane, tmp_path: Path, exec_config: dict, said: str
) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = _kubeconfig_with_exec(control_plane, tmp_path, exec_config)
    result = run_plugin("diagnose", "pod", "-n", "default", kubeconfig=kubeconfig)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith('error: the exec plugin of user "realcluster-admin"') and said in line, (
        line
    )

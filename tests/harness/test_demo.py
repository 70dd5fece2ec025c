"""tools/demo.py runs on its own, shows the three diagnoses, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tools" / "demo.py"
DEMO_TIMEOUT_S = 300.0


def demo_env() -> dict[str, str]:
    """The user's environment: the demo finds the binaries through the provisioning script
    (the session's control_plane_assets fixture has made sure they exist, or skipped)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", os.defpath)])
    env.pop("KUBECONFIG", None)
    return env


def started(stdout: str) -> tuple[int, Path]:
    """The demo's control-plane port and temporary folder, from its output."""
    port = re.search(r"^control plane: https://127\.0\.0\.1:(\d+) ", stdout, re.M)
    workdir = re.search(r"^temporary files: (\S+)$", stdout, re.M)
    assert port and workdir, stdout
    return int(port.group(1)), Path(workdir.group(1))


def port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def assert_stopped(port: int, workdir: Path) -> None:
    assert port_closed(port), f"the demo's kube-apiserver still listens on {port}"
    assert not workdir.exists(), f"{workdir} was left behind"
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert str(workdir) not in ps.stdout, "a process of the demo's control plane survived"


def table_rows(stdout: str, command: str) -> list[list[str]]:
    """The rows of the table printed right after `command` (its header line skipped)."""
    after = stdout[stdout.index(command) + len(command) :]
    lines = after.split("\n\n", 1)[0].splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "WORKLOAD"], lines[0]
    return [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]


def test_demo_shows_the_three_diagnoses(control_plane_assets: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(DEMO)],
        env=demo_env(),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"
    out = r.stdout
    assert "Traceback" not in out + r.stderr

    # It shows what it runs: real kubectl commands, then the plugin.
    for command in (
        "$ tools/provision.sh",
        "$ kubectl create secret docker-registry regcred -n vault ",
        "$ kubectl run nginx-pod -n shop --image=private-registry.io/apps/internal-app ",
        "$ kubectl create secret docker-registry dockerhub -n shop "
        "--docker-server=https://index.docker.io/v1 ",
        "$ kubectl pullsecret diagnose pod -A\n",
    ):
        assert command in out, command

    rows = table_rows(out, "$ kubectl pullsecret diagnose pod -A\n")
    by_pod = {row[1].removeprefix("pod/"): row for row in rows}
    assert sorted(by_pod) == ["frontend", "nginx-pod", "payments"]
    assert by_pod["nginx-pod"][-1] == "SecretNotFound"
    assert by_pod["payments"][-1] == "NoCredentialsForRegistry"
    assert by_pod["frontend"][-1] == "NoCredentialsForRegistry"
    for row in rows:
        assert row[0] == "shop" and row[-3] == "ImagePullBackOff" and row[-2] == "1 of 1", row

    # The three explanations.
    assert (
        'SecretNotFound: Secret "regcred" named in imagePullSecrets does not exist in namespace '
        "shop; a secret of that name exists in namespace(s): vault."
    ) in out
    assert "fix: copy it: kubectl get secret regcred -n vault " in out
    assert "its secrets (quay-creds) cover: quay.io." in out
    assert "Near miss: key 'https://index.docker.io/v1' in secret/dockerhub" in out
    assert "trailing slash" in out
    assert "(exit code 1: problems found)" in out

    port, workdir = started(out)
    assert out.rstrip().endswith("stopped; nothing left running")
    assert_stopped(port, workdir)


def test_demo_stops_everything_on_ctrl_c(control_plane_assets: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(DEMO)],
        env=demo_env(),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + DEMO_TIMEOUT_S
        while "temporary files: " not in seen:
            line = proc.stdout.readline()
            assert line, f"the demo ended early:\n{seen}"
            seen += line
            assert time.monotonic() < deadline, seen
        # The control plane is up and the shop is being built: interrupt as a terminal would.
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, f"{seen}{rest}\n{err}"
    assert "interrupted; the control plane was stopped" in err
    assert "Traceback" not in err
    port, workdir = started(seen)
    assert_stopped(port, workdir)

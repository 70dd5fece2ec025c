"""tools/demo.py runs on its own: on a real node, the shop fails to pull, the plugin says why,
its printed fixes make every Pod run, and the demo leaves nothing behind (Ctrl-C included).
The whole demo runs on both nodes (`--node 1.20`, the default, and the current release)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support.node_fixtures import LEGACY, RELEASES, node_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tools" / "demo.py"
DEMO_TIMEOUT_S = 480.0
DIAGNOSE = "$ kubectl pullsecret diagnose pod -A\n"
FIXES = "== Applying the fixes it printed\n"


@pytest.fixture(params=RELEASES)
def release(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def demo_env(release: str) -> dict[str, str]:
    """The user's environment; the demo finds the binaries through the provisioning script
    (a machine that cannot run a node fails in CI, skips elsewhere, as the node tests do)."""
    node_for(release)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", os.defpath)])
    env.pop("KUBECONFIG", None)
    return env


def workdir_of(stdout: str) -> Path:
    found = re.search(r"^temporary files: (\S+)$", stdout, re.M)
    assert found, stdout
    return Path(found.group(1))


def assert_stopped(workdir: Path) -> None:
    assert not workdir.exists(), f"{workdir} was left behind"
    ps = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True, check=True)
    alive = [line for line in ps.stdout.splitlines() if str(workdir) in line]
    assert not alive, f"processes of the demo's node survived: {alive}"
    with open("/proc/self/mountinfo") as mounts:
        assert str(workdir) not in mounts.read(), "a mount of the demo's node survived"


def table_rows(text: str) -> list[list[str]]:
    """The rows of the table at the start of `text` (its header line skipped)."""
    lines = text.split("\n\n", 1)[0].splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "WORKLOAD"], lines[0]
    return [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]


def test_demo_fails_diagnoses_fixes_and_runs(demo_env: dict[str, str], release: str) -> None:
    r = subprocess.run(
        [sys.executable, str(DEMO), "--node", release],
        env=demo_env,
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
    # The registry password stays in a shell variable; it never reaches the output.
    assert "Alice-pw-" not in out + r.stderr
    assert '--docker-password="$REGISTRY_PASSWORD"' in out

    # It shows what it runs: ordinary kubectl commands, then the plugin.
    for command in (
        "$ tools/provision.sh" if release == LEGACY else "$ tools/provision-current-node.sh",
        "$ kubectl create secret docker-registry regcred -n vault --docker-server=127.0.0.1:5001 ",
        "$ kubectl run nginx-pod -n shop --image=127.0.0.1:5001/apps/internal-app:1.0 ",
        "$ kubectl apply -n shop -f - <<'EOF'\n",
        "$ kubectl create secret docker-registry frontend-creds -n shop "
        "--docker-server=https://127.0.0.1:5001/v1 ",
        DIAGNOSE,
    ):
        assert command in out, command

    # The real kubelet failed every pull; the Deployment's two Pods are one row.
    before, after = out.split(FIXES)
    rows = table_rows(before[before.index(DIAGNOSE) + len(DIAGNOSE) :])
    by_workload = {row[1]: row for row in rows}
    assert sorted(by_workload) == ["deployment/payments", "pod/frontend", "pod/nginx-pod"], rows
    assert by_workload["pod/nginx-pod"][-1] == "SecretNotFound"
    for workload in ("pod/frontend", "deployment/payments"):
        assert by_workload[workload][-1] == "NoCredentialsForRegistry", by_workload[workload]
    assert by_workload["deployment/payments"][-2] == "2 of 2"
    for row in rows:
        assert row[0] == "shop" and row[-3] in ("ErrImagePull", "ImagePullBackOff"), row

    # The three explanations.
    assert (
        'SecretNotFound: Secret "regcred" named in imagePullSecrets does not exist in namespace '
        "shop; a secret of that name exists in namespace(s): vault."
    ) in before
    assert "the ports differ (5001 in the key, 5002 in the image)" in before
    assert "Near miss: key 'https://127.0.0.1:5001/v1' in secret/frontend-creds" in before
    assert "(exit code 1: problems found)" in before

    # The fixes it ran are the ones the plugin printed, placeholders filled in.
    printed = sorted(set(re.findall(r"^ +fix: (?:[^:]+: )?(kubectl .+)$", before, re.M)))
    assert len(printed) == 3, printed
    for fix in printed:
        filled = fix.replace("<username>", "alice").replace("<password>", '"$REGISTRY_PASSWORD"')
        assert f"$ {filled}\n" in after, filled

    # Every Pod runs, and nothing is left to report.
    final = after[after.index("$ kubectl get pods -n shop\n") :].split("\n$ ")[0]
    statuses = [line.split()[2] for line in final.splitlines()[2:] if line.strip()]
    assert statuses == ["Running"] * 4, final
    assert "No Pods with image pull problems found in any namespace." in after
    assert "(exit code 0: nothing to report)" in after

    assert out.rstrip().endswith("stopped; nothing left running")
    assert_stopped(workdir_of(out))


def test_demo_stops_everything_on_ctrl_c(demo_env: dict[str, str], release: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--node", release],
        env=demo_env,
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
        # The node is up and the shop is being built: interrupt as a terminal would.
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, f"{seen}{rest}\n{err}"
    assert "interrupted; the node was stopped" in err
    assert "Traceback" not in err
    assert_stopped(workdir_of(seen))

#!/usr/bin/env python3
"""One-command demo: a broken shop on a throw-away control plane, diagnosed by the real plugin.

    python tools/demo.py

It provisions etcd + kube-apiserver (tools/provision.sh caches them), starts
them on loopback (tests/support/control_plane.py), builds three pods that cannot pull their images with
ordinary kubectl commands, plays the kubelet's part (there is no node: its events and container
statuses are written through the API, with the kubelet's own texts), runs
`kubectl pullsecret diagnose pod -A` against a temporary KUBECONFIG, and stops everything it
started, on Ctrl-C too. Your own kubeconfig is never read or written.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVISION = ROOT / "tools" / "provision.sh"
sys.path.insert(0, str(ROOT))

from tests.support import control_plane as realcluster  # noqa: E402  (the checkout's root)

COMMAND_TIMEOUT_S = 120.0

SHOP, VAULT = "shop", "vault"
PRIVATE_IMAGE = "private-registry.io/apps/internal-app"
PAYMENTS_IMAGE = "registry.example.com/shop/payments:1.4"
FRONTEND_IMAGE = "janedoe/shop-frontend:2.0"


class DemoError(Exception):
    """The demo cannot run; the message says what to do."""


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text}")


def provision() -> Path:
    """Run the provisioning script; its last stdout line is the folder with the binaries."""
    say(f"$ {PROVISION.relative_to(ROOT)}")
    r = subprocess.run(
        ["bash", str(PROVISION)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        raise DemoError(f"{PROVISION.name} failed (exit {r.returncode}); see its messages above")
    assets = Path(lines[-1])
    say(f"  kube-apiserver and etcd in {assets}")
    return assets


def plugin_env(kubeconfig: Path) -> dict[str, str]:
    """The environment for kubectl: this interpreter's scripts first, a temporary KUBECONFIG."""
    env = dict(os.environ)
    scripts = sysconfig.get_path("scripts")
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", os.defpath)])
    env["KUBECONFIG"] = str(kubeconfig)
    env.pop("KUBERNETES_SERVICE_HOST", None)
    return env


def check_tools(env: dict[str, str]) -> None:
    if shutil.which("kubectl", path=env["PATH"]) is None:
        raise DemoError("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
    if shutil.which("kubectl-pullsecret", path=env["PATH"]) is None:
        raise DemoError(
            f"the plugin is not installed for {sys.executable}; run: "
            f"{sys.executable} -m pip install -e {ROOT}"
        )


def run(env: dict[str, str], argv: Sequence[str], note: str = "") -> int:
    """Print a command as a shell line, run it, show its output."""
    line = "$ " + shlex.join(argv)
    say(f"{line}   # {note}" if note else line)
    r = subprocess.run(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    for text in (r.stdout, r.stderr):
        if text.strip():
            say(text.rstrip("\n"))
    return r.returncode


def must(env: dict[str, str], argv: Sequence[str], note: str = "") -> None:
    code = run(env, argv, note)
    if code != 0:
        raise DemoError(f"{shlex.join(argv)} failed with exit code {code}")


def kubelet(text: str) -> None:
    say(f"# kubelet (simulated; there is no node): {text}")


def build_shop(env: dict[str, str], cluster: realcluster.Cluster) -> None:
    heading("Building a small broken shop")
    for ns in (VAULT, SHOP):
        must(env, ["kubectl", "create", "namespace", ns])
        must(
            env,
            ["kubectl", "create", "serviceaccount", "default", "-n", ns],
            "a controller manager would create it; this control plane has none",
        )

    # 1. The seeds' case: the secret lives in the wrong namespace.
    must(
        env,
        [
            "kubectl", "create", "secret", "docker-registry", "regcred", "-n", VAULT,
            "--docker-server=private-registry.io", "--docker-username=deployer",
            "--docker-password=demo-password-1",
        ],
        "created in the platform team's namespace, not the shop's",
    )  # fmt: skip
    must(
        env,
        [
            "kubectl", "run", "nginx-pod", "-n", SHOP, f"--image={PRIVATE_IMAGE}",
            "--restart=Never",
            '--overrides={"apiVersion":"v1","spec":{"imagePullSecrets":[{"name":"regcred"}]}}',
        ],
    )  # fmt: skip

    # 2. A secret for another registry.
    must(
        env,
        [
            "kubectl", "create", "secret", "docker-registry", "quay-creds", "-n", SHOP,
            "--docker-server=quay.io", "--docker-username=shop+robot",
            "--docker-password=demo-password-2",
        ],
    )  # fmt: skip
    must(
        env,
        [
            "kubectl", "run", "payments", "-n", SHOP, f"--image={PAYMENTS_IMAGE}",
            "--restart=Never",
            '--overrides={"apiVersion":"v1","spec":{"imagePullSecrets":[{"name":"quay-creds"}]}}',
        ],
    )  # fmt: skip

    # 3. The Docker Hub key without its trailing slash.
    must(
        env,
        [
            "kubectl", "create", "secret", "docker-registry", "dockerhub", "-n", SHOP,
            "--docker-server=https://index.docker.io/v1", "--docker-username=janedoe",
            "--docker-password=demo-password-3",
        ],
        "note: no trailing slash",
    )  # fmt: skip
    must(
        env,
        [
            "kubectl", "run", "frontend", "-n", SHOP, f"--image={FRONTEND_IMAGE}",
            "--restart=Never",
            '--overrides={"apiVersion":"v1","spec":{"imagePullSecrets":[{"name":"dockerhub"}]}}',
        ],
    )  # fmt: skip

    heading("The kubelet tries to pull")
    kubelet("nginx-pod: secret regcred is missing; pull access denied")
    cluster.simulate_missing_pull_secrets(SHOP, "nginx-pod", ["regcred"])
    ref = f"{PRIVATE_IMAGE}:latest"
    cluster.simulate_pull_failure(
        SHOP,
        "nginx-pod",
        "nginx-pod",
        PRIVATE_IMAGE,
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to '
        f'resolve reference "{ref}": pull access denied, repository does not exist or may '
        "require authorization: server message: insufficient_scope: authorization failed",
    )
    kubelet("payments: 401 Unauthorized from registry.example.com")
    cluster.simulate_pull_failure(
        SHOP,
        "payments",
        "payments",
        PAYMENTS_IMAGE,
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{PAYMENTS_IMAGE}": '
        f'failed to resolve reference "{PAYMENTS_IMAGE}": unexpected status from HEAD request '
        "to https://registry.example.com/v2/shop/payments/manifests/1.4: 401 Unauthorized",
    )
    kubelet("frontend: pull access denied on Docker Hub")
    hub_ref = f"docker.io/{FRONTEND_IMAGE}"
    cluster.simulate_pull_failure(
        SHOP,
        "frontend",
        "frontend",
        FRONTEND_IMAGE,
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{hub_ref}": failed '
        f'to resolve reference "{hub_ref}": pull access denied, repository does not exist or '
        "may require authorization: server message: insufficient_scope: authorization failed",
    )
    must(env, ["kubectl", "get", "pods", "-n", SHOP], "what kubectl alone tells you")


def demo() -> int:
    heading("Provisioning a control plane (cached after the first run)")
    assets = provision()
    heading("Starting etcd and kube-apiserver on 127.0.0.1")
    with realcluster.ControlPlane(assets_dir=assets) as cp:
        say(f"control plane: {cp.server} (ready in {cp.startup_seconds:.1f}s)")
        say(f"temporary files: {cp.workdir}")
        kubeconfig = cp.kubeconfig("admin")
        env = plugin_env(kubeconfig)
        say(f"$ export KUBECONFIG={kubeconfig}   # temporary; yours is untouched")
        check_tools(env)
        cluster = cp.cluster()
        try:
            build_shop(env, cluster)
        finally:
            cluster.close()

        heading("Why can't these pods pull?")
        code = run(env, ["kubectl", "pullsecret", "diagnose", "pod", "-A"])
        if code not in (0, 1):
            raise DemoError(f"kubectl pullsecret failed with exit code {code}")
        say(f"(exit code {code}: {'problems found' if code == 1 else 'nothing to report'})")
        heading("Stopping the control plane")
    say("stopped; nothing left running")
    return 0


def main() -> int:
    # Ctrl-C and SIGTERM both unwind through the `with`, which stops what was started, even
    # where SIGINT was inherited as ignored (background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return demo()
    except KeyboardInterrupt:
        print("\ninterrupted; the control plane was stopped", file=sys.stderr, flush=True)
        return 130
    except (DemoError, realcluster.AssetsNotFoundError, realcluster.ControlPlaneError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())

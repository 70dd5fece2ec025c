#!/usr/bin/env python3
"""One-command demo: a broken shop on a real node, diagnosed and fixed by the real plugin.

    python tools/demo.py [--node 1.20|1.37]

It provisions the Kubernetes binaries (tools/provision.sh, or tools/provision-current-node.sh
for the current release; both cache them) and starts a real node (tests/support/node.py):
etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd and the kubelet of
that release (1.20.2 on containerd 1.6 by default, or the current one on containerd 2), and
two private registries, all in a network namespace of their own with no route off this
machine. It builds a small broken shop with ordinary kubectl
commands; the real kubelet fails to pull; `kubectl pullsecret diagnose pod -A` says why; the
demo runs the fixes the plugin printed, and the Pods come up Running. Everything it started is
stopped at the end, on Ctrl-C too. Your own kubeconfig is never read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.control_plane import ControlPlaneError  # noqa: E402  (the checkout's root)
from tests.support.node import ALICE, PASSWORD_VARIABLE, Node, NodeError  # noqa: E402
from tests.support.node_versions import (  # noqa: E402
    NodeRelease,
    current_release,
    legacy_release,
)
from tests.support.registries import RegistryError  # noqa: E402

SHOP, VAULT = "shop", "vault"
WAIT_S = 240.0  # the kubelet's pull back-off doubles from 10 s; a fix waits for its retry
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
spec:
  replicas: 2
  selector:
    matchLabels: {{app: payments}}
  template:
    metadata:
      labels: {{app: payments}}
    spec:
      imagePullSecrets: [{{name: {secret}}}]
      containers: [{{name: payments, image: "{image}"}}]
"""


class DemoError(Exception):
    """The demo cannot run; the message says what to do."""


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text}")


def provision(script: str) -> Path:
    """Run a provisioning script; its last stdout line is the folder with the binaries."""
    say(f"$ {script}")
    r = subprocess.run(
        ["bash", str(ROOT / script)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        raise DemoError(f"{script} failed (exit {r.returncode}); see its messages above")
    assets = Path(lines[-1])
    say(f"  the Kubernetes binaries are in {assets}")
    return assets


class Shop:
    """The demo's commands, printed as shell lines and run inside the node's namespace."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.private = node.basic.hostport  # htpasswd over TLS
        self.tokens = node.token.hostport  # token auth over TLS

    def sh(
        self, command: str, note: str = "", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        say(f"$ {command}" + (f"   # {note}" if note else ""))
        # The registry password is in $REGISTRY_PASSWORD (Node.env), never in a command line.
        r = self.node.shell(command)
        for text in (r.stdout, r.stderr):
            if text.strip():
                say(text.rstrip("\n"))
        if check and r.returncode != 0:
            raise DemoError(f"{command} failed with exit code {r.returncode}")
        return r

    def push(self, registry: Any, repository: str, tag: str) -> str:
        image = self.node.push_app(registry, repository, tag)
        say(f"  (pushed {image})")
        return image

    def secret(self, name: str, ns: str, server: str, note: str = "") -> None:
        self.sh(
            f"kubectl create secret docker-registry {name} -n {ns} --docker-server={server} "
            f'--docker-username={ALICE[0]} --docker-password="${PASSWORD_VARIABLE}"',
            note,
        )

    def build(self) -> None:
        heading("Building a small broken shop")
        say(f"registries on the node: {self.private} (htpasswd), {self.tokens} (token auth)")
        internal = self.push(self.node.basic, "apps/internal-app", "1.0")
        payments = self.push(self.node.token, "shop/payments", "1.4")
        frontend = self.push(self.node.basic, "shop/frontend", "2.0")
        for ns in (VAULT, SHOP):
            self.sh(f"kubectl create namespace {ns}")
        self.wait("the namespaces' default ServiceAccounts", self.service_accounts_exist)

        # 1. The seeds' case: the secret lives in another namespace.
        self.secret("regcred", VAULT, self.private, "in the platform team's namespace")
        overrides = {"apiVersion": "v1", "spec": {"imagePullSecrets": [{"name": "regcred"}]}}
        self.sh(
            f"kubectl run nginx-pod -n {SHOP} --image={internal} --restart=Never "
            f"--overrides={shlex.quote(json.dumps(overrides))}"
        )
        # 2. A Deployment whose secret covers another registry: the same host, another port.
        self.secret("registry-creds", SHOP, self.private, f"for {self.private}, not {self.tokens}")
        self.sh(
            f"kubectl apply -n {SHOP} -f - <<'EOF'\n"
            + DEPLOYMENT.format(image=payments, secret="registry-creds")
            + "EOF"
        )
        # 3. A key in Docker Hub's old style, without its trailing slash.
        self.secret("frontend-creds", SHOP, f"https://{self.private}/v1", "note: no trailing slash")
        overrides["spec"]["imagePullSecrets"] = [{"name": "frontend-creds"}]
        self.sh(
            f"kubectl run frontend -n {SHOP} --image={frontend} --restart=Never "
            f"--overrides={shlex.quote(json.dumps(overrides))}"
        )

    def service_accounts_exist(self) -> bool:
        rest = self.node.cluster.rest
        for ns in (VAULT, SHOP):
            try:
                rest.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
            except Exception:
                return False
        return True

    def pods(self) -> list[dict[str, Any]]:
        items = self.node.cluster.rest.get(f"/api/v1/namespaces/{SHOP}/pods")["items"]
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    @staticmethod
    def waiting(pod: dict[str, Any]) -> str:
        statuses = pod.get("status", {}).get("containerStatuses") or []
        return str(statuses[0]["state"].get("waiting", {}).get("reason", "")) if statuses else ""

    def all_failing(self) -> bool:
        pods = self.pods()
        return len(pods) == 4 and all(self.waiting(p) in PULL_FAILURES for p in pods)

    def all_running(self) -> bool:
        pods = self.pods()
        return len(pods) == 4 and all(
            "running" in s.get("state", {})
            for p in pods
            for s in p.get("status", {}).get("containerStatuses") or [{}]
        )

    def wait(self, what: str, done: Callable[[], bool]) -> None:
        t0 = time.monotonic()
        self.node.wait_for(what, done, WAIT_S)
        say(f"  ({what}: {time.monotonic() - t0:.0f}s)")

    def fixes(self) -> list[str]:
        """The fix commands of `diagnose pod -A -o json`, once each, placeholders filled."""
        r = self.node.run(["kubectl", "pullsecret", "diagnose", "pod", "-A", "-o", "json"])
        if r.returncode not in (0, 1):
            raise DemoError(f"kubectl pullsecret failed with exit code {r.returncode}: {r.stderr}")
        commands: list[str] = []
        for item in json.loads(r.stdout)["items"]:
            hint = item["problems"][0]["hint"]  # the lead problem's fix
            main = hint.split("; or, ", 1)[0]  # the alternative (the ServiceAccount) is not taken
            for part in main.split("; then "):
                if not part.startswith("kubectl "):
                    part = part.partition(": ")[2]  # "copy it: kubectl ..."
                part = part.replace("<username>", ALICE[0])
                part = part.replace("<password>", f'"${PASSWORD_VARIABLE}"')
                if part.startswith("kubectl ") and part not in commands:
                    commands.append(part)
        return commands


def demo(release_name: str) -> int:
    heading("Provisioning the binaries (cached after the first run)")
    chosen = {r.name: r for r in (legacy_release(), current_release())}[release_name]
    provision(chosen.provision)
    # Found again now that the script has built them.
    release: NodeRelease = {r.name: r for r in (legacy_release(), current_release())}[release_name]
    runtime = "containerd 2" if release.containerd_2 else "containerd 1.6"
    heading(f"Starting a real node: {release} on {runtime}, in a network namespace")
    with Node(release) as node:
        say(f"node {node.name} Ready in {node.startup_seconds:.0f}s")
        say(f"temporary files: {node.workdir}")
        say(f"clients run inside the node's namespace: {' '.join(node.prefix)} kubectl ...")
        shop = Shop(node)
        shop.build()

        heading("The kubelet tries to pull")
        shop.wait("every Pod failed to pull", shop.all_failing)
        shop.sh(f"kubectl get pods -n {SHOP}", "what kubectl alone tells you")

        heading("Why can't these pods pull?")
        code = shop.sh("kubectl pullsecret diagnose pod -A", check=False).returncode
        if code not in (0, 1):
            raise DemoError(f"kubectl pullsecret failed with exit code {code}")
        say(f"(exit code {code}: {'problems found' if code == 1 else 'nothing to report'})")

        heading("Applying the fixes it printed")
        for command in shop.fixes():
            shop.sh(command)
        shop.wait("every Pod runs", shop.all_running)
        shop.sh(f"kubectl get pods -n {SHOP}")
        code = shop.sh("kubectl pullsecret diagnose pod -A", check=False).returncode
        say(f"(exit code {code}: {'problems found' if code == 1 else 'nothing to report'})")
        heading("Stopping the node")
    say("stopped; nothing left running")
    return 0


def main(argv: list[str] | None = None) -> int:
    releases = [legacy_release().name, current_release().name]
    parser = argparse.ArgumentParser(
        description="A broken shop on a real node, diagnosed and fixed."
    )
    parser.add_argument(
        "--node",
        choices=releases,
        default=releases[0],
        help=f"the node's Kubernetes release (default {releases[0]})",
    )
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM both unwind through the `with`, which stops what was started, even
    # where SIGINT was inherited as ignored (background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if os.geteuid() != 0:
        print("error: the demo's node needs root (namespaces, mounts, cgroups)", file=sys.stderr)
        return 2
    try:
        return demo(args.node)
    except KeyboardInterrupt:
        print("\ninterrupted; the node was stopped", file=sys.stderr, flush=True)
        return 130
    except (DemoError, NodeError, ControlPlaneError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's fleet example, run for real: three control planes on loopback (etcd +
kube-apiserver, tests/support/control_plane.py), a kubeconfig with a context for each and one
for a cluster that is down, and the same shop in every cluster, broken in two of them.

    KUBEBUILDER_ASSETS=... python tools/fleet_example.py

It prints each command and its real output, stops everything it started, and reads or writes
no kubeconfig of yours (KUBECONFIG points at its own, in a temporary folder).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.commands.test_workloads import (  # noqa: E402 - the harness lives in tests/
    create_deployment,
    create_replica_set,
    owner_ref,
    template,
)
from tests.support.control_plane import Cluster, ControlPlane, free_port  # noqa: E402
from tests.support.tokens import jwt  # noqa: E402

REGISTRY = "registry.corp.example"
IMAGE = f"{REGISTRY}/shop/payments:1.4"
RUNTIME_401 = (
    f'rpc error: code = Unknown desc = failed to pull and unpack image "{IMAGE}": failed to '
    f'resolve reference "{IMAGE}": failed to authorize: failed to fetch oauth token: '
    "unexpected status: 401 Unauthorized"
)
CLUSTERS = ("prod-eu", "prod-us", "staging")


def shop(cluster: Cluster, context: str) -> None:
    """The same shop everywhere. prod-us and staging lost `regcred`; staging's copy of
    `regcred-ci` still holds the password rotated away elsewhere; each cluster's CI robot has a
    token of its own, which ends in three hours in prod-eu and ended in staging."""
    cluster.rest.post("/api/v1/namespaces", {"metadata": {"name": "shop"}})
    cluster.create_service_account("shop", "default")
    password = "Old-pass-2023" if context == "staging" else "Rotated-pass-2024"
    cluster.create_docker_secret("shop", "regcred-ci", {REGISTRY: ("ci-robot", password)})
    expires = {"prod-eu": 3 * 3600, "staging": -1200}.get(context, 40 * 86400)
    token = jwt(expires_in=expires)
    cluster.create_docker_secret("shop", "ci-token", {"ghcr.io": (f"ci-{context}", token)})
    if context == "prod-eu":
        cluster.create_docker_secret("shop", "regcred", {REGISTRY: ("robot", "Shop-pass-1")})
    reports = f"{REGISTRY}/shop/reports:2.0"
    create_deployment(cluster, "shop", "reports", 1, secrets=["regcred-ci"], image=reports)
    deployment = create_deployment(cluster, "shop", "payments", 2, secrets=["regcred"], image=IMAGE)
    if context == "prod-eu":
        return
    rs = create_replica_set(cluster, "shop", "payments-7d9c5b", owner=owner_ref(deployment))
    for suffix in ("x2f4k", "q8n1z"):
        pod = f"payments-7d9c5b-{suffix}"
        cluster.rest.post(
            "/api/v1/namespaces/shop/pods",
            {
                "metadata": {
                    "name": pod,
                    "namespace": "shop",
                    "labels": {"app": "web", "pod-template-hash": "7d9c5b"},
                    "ownerReferences": [owner_ref(rs)],
                },
                "spec": template(secrets=["regcred"], image=IMAGE)["spec"],
            },
        )
        cluster.simulate_pull_failure("shop", pod, "app", IMAGE, RUNTIME_401)


def main() -> int:
    planes = [ControlPlane() for _ in CLUSTERS]
    folder = Path(tempfile.mkdtemp(prefix="fleet-example-"))
    try:
        for plane in planes:
            plane.start()  # one after the other: free ports are picked before they are bound
        config: dict = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [],
            "users": [],
            "contexts": [],
        }
        servers = [
            (name, p.server, p.ca_file, p.token("admin"))
            for name, p in zip(CLUSTERS, planes, strict=True)
        ]
        servers.append(("dev-old", f"https://127.0.0.1:{free_port()}", planes[0].ca_file, "unused"))
        for name, server, ca, token in servers:
            config["clusters"].append(
                {"name": name, "cluster": {"server": server, "certificate-authority": str(ca)}}
            )
            config["users"].append({"name": name, "user": {"token": token}})
            config["contexts"].append(
                {"name": name, "context": {"cluster": name, "user": name, "namespace": "shop"}}
            )
        config["current-context"] = "prod-eu"
        kubeconfig = folder / "config"
        kubeconfig.write_text(json.dumps(config))
        for name, plane in zip(CLUSTERS, planes, strict=True):
            cluster = plane.cluster()
            try:
                shop(cluster, name)
            finally:
                cluster.close()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        for args in (
            ["diagnose", "deployment", "--all-contexts"],
            ["audit", "--contexts", "prod-*,staging"],
        ):
            print(f"$ kubectl pullsecret {shlex.join(args)}")
            done = subprocess.run(
                ["kubectl", "pullsecret", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # as a terminal shows them, in the order written
                text=True,
                check=False,
            )
            print(done.stdout, end="")
            print(f"$ echo $?\n{done.returncode}\n")
    finally:
        for plane in planes:
            plane.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

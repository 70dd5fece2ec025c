"""The real node itself (tests/support/node.py): genuine, isolated, and gone without a trace.

Each runs on both nodes (kubelet 1.20.2 on containerd 1.6, and the current release on
containerd 2):
- The session's node is the genuine release, Ready, with the node IP on its veth.
- Nothing it runs can reach off the machine: its namespace has no route but its own.
- The kubelet's hard-coded paths and sysctls stay inside the node's mount namespace.
- A node of its own, started beside the session's, runs a Pod and then stops leaving no
  process, mount, cgroup, file or sysctl behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support import netns
from tests.support.node import (
    ALICE,
    APP_MESSAGE,
    CGROUP_PARENT,
    CGROUP_ROOT,
    HostState,
    Node,
    _processes_mentioning,
    _task_ids,
    sweep_stale_nodes,
)
from tests.support.node_fixtures import node_for
from tests.support.node_versions import read_pins

RUN_TIMEOUT_S = 120.0


def inside(node: Node, *argv: str) -> subprocess.CompletedProcess[str]:
    """A command in the node's mount and network namespaces, where the kubelet runs."""
    assert node.mounts is not None
    return subprocess.run(
        [*node.mounts.prefix, *argv], capture_output=True, text=True, timeout=30, check=False
    )


def namespace_of(pid: int, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def test_the_node_is_a_real_kubelet_on_containerd(node: Node) -> None:
    status = node.cluster.rest.get(f"/api/v1/nodes/{node.name}")["status"]
    info = status["nodeInfo"]
    release = node.release
    assert info["kubeletVersion"] == f"v{release.kubernetes}"
    runtime = info["containerRuntimeVersion"]
    if release.containerd_2:
        # Built from the module tools/current-node.env pins, stamped with its version.
        containerd = read_pins()["CONTAINERD_VERSION"]
        assert runtime == f"containerd://{containerd.removeprefix('v')}", runtime
    else:
        assert runtime.startswith("containerd://1.6."), runtime
    assert {"type": "InternalIP", "address": netns.NODE_IP} in status["addresses"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True", ready


def test_nothing_on_the_node_can_reach_off_the_machine(node: Node) -> None:
    assert node.netns is not None and node.mounts is not None
    routes = [line for line in node.netns.routes().splitlines() if line.strip()]
    # Only the namespace's own addresses: loopback, the node's /24, the pods' bridge, link-local
    # IPv6 on the veths. No default route, no route to any other address.
    assert not [r for r in routes if r.startswith("default")], routes
    main_table = [
        r for r in routes if " table " not in r and not r.startswith(("fe80", "multicast"))
    ]
    assert all(r.startswith(("192.0.2.0/24 ", "198.51.100.0/24 ")) for r in main_table), routes
    for address in ("169.254.169.254", "10.255.255.53", "1.1.1.1", netns.RESOLVER):
        route = inside(node, "ip", "route", "get", address)
        assert route.returncode != 0 and "unreachable" in route.stderr, (address, route)
    # The processes that reach out (kubelet: the EC2 metadata service; containerd: DNS) are in
    # there, not in the machine's namespace.
    node_net = namespace_of(node.mounts.pid, "net")
    assert node_net != namespace_of(os.getpid(), "net")
    for pid in node.mounts.processes():
        assert namespace_of(pid, "net") == node_net


def test_the_kubelets_writes_stay_in_the_node(node: Node) -> None:
    before = node.host_before
    assert before is not None
    # Inside, the kubelet created its hard-coded socket and rewrote its sysctls ...
    assert (
        inside(node, "test", "-S", "/var/lib/kubelet/device-plugins/kubelet.sock").returncode == 0
    )
    kernel = {
        s: inside(node, "cat", f"/proc/sys/{s}").stdout.strip() for s in netns.KUBELET_SYSCTLS
    }
    assert kernel["vm/overcommit_memory"] == "1" and kernel["kernel/panic"] == "10"
    assert kernel["kernel/panic_on_oops"] == "1"
    # ... while the machine kept its own, and none of those paths appeared on it.
    now = HostState.capture()
    assert now.sysctls == before.sysctls
    assert now.paths == before.paths


def test_a_stopped_node_leaves_nothing_behind(node: Node) -> None:
    """A second node beside the session's: start, pull and run a Pod, stop, look."""
    own = node_for(node.release.name)
    before = HostState.capture()
    try:
        own.start()
        assert own.workdir is not None and own.mounts is not None
        workdir = own.workdir
        image = own.push_app(own.basic, "team/app", own.unique_tag("lifecycle"))
        own.cluster.create_docker_secret("default", "team-creds", {own.basic.hostport: ALICE})
        overrides = {"apiVersion": "v1", "spec": {"imagePullSecrets": [{"name": "team-creds"}]}}
        own.kubectl(
            "run",
            "web",
            f"--image={image}",
            "--restart=Never",
            f"--overrides={json.dumps(overrides)}",
        )

        def running() -> bool:
            pod = own.cluster.get_pod("default", "web")
            statuses = pod.get("status", {}).get("containerStatuses") or []
            return bool(statuses) and "running" in statuses[0]["state"]

        own.wait_for("the pod to run", running, RUN_TIMEOUT_S)
        assert own.kubectl("logs", "web").stdout.strip() == APP_MESSAGE
        # While it runs, the traces exist: the checks below can fail.
        containers = _task_ids(workdir)
        assert len(containers) == 2  # the sandbox and the app
        cgroups = [p for c in containers for p in CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}/{c}")]
        assert cgroups
        processes = own.mounts.processes()
        assert len(processes) > 8
        node_mounts = inside(own, "cat", "/proc/self/mountinfo").stdout
        assert str(workdir / "containerd") in node_mounts  # containerd's overlays, in the node
    finally:
        leftovers = own.stop()
    assert leftovers == []
    assert not workdir.exists()
    assert not [p for p in processes if Path(f"/proc/{p}").exists() and _alive(p)]
    assert not [c for c in cgroups if c.exists()]
    after = HostState.capture()
    assert after.paths == before.paths
    assert after.sysctls == before.sysctls
    assert not [m for m in after.mounts - before.mounts if m.startswith(str(workdir))]
    # The session's node did not notice.
    assert node.cluster.rest.get(f"/api/v1/nodes/{node.name}")["metadata"]["name"] == node.name
    node.check_alive()


def _alive(pid: int) -> bool:
    """Not a zombie: a process that still runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


KILLED_NODE = """
import json, sys, time
from tests.support.node import ALICE, Node
from tests.support.node_fixtures import release_named
node = Node(release_named(sys.argv[1]))
node.start()
image = node.push_app(node.basic, "team/app", node.unique_tag("killed"))
node.cluster.create_docker_secret("default", "c", {node.basic.hostport: ALICE})
overrides = {"apiVersion": "v1", "spec": {"imagePullSecrets": [{"name": "c"}]}}
node.kubectl("run", "web", f"--image={image}", "--restart=Never", "--overrides=" + json.dumps(overrides))

def running():
    statuses = node.cluster.get_pod("default", "web").get("status", {}).get("containerStatuses")
    return bool(statuses) and "running" in statuses[0]["state"]

node.wait_for("the pod to run", running, 120)
print(node.workdir, flush=True)
time.sleep(600)
"""


def test_a_killed_run_is_swept_by_the_next(node: Node) -> None:
    """SIGKILL (a CI timeout) skips stop(): most processes die with the run (parent-death
    signal), and the next node's start removes the rest. The session's node is untouched."""
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_NODE, node.release.name],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line, proc.stderr.read() if proc.stderr else ""
        workdir = Path(line)
        etcd_dirs = [
            Path(owner.read_text().splitlines()[1]) for owner in workdir.glob("realcluster-*/owner")
        ]
        containers = _task_ids(workdir)
        assert etcd_dirs and all(d.exists() for d in etcd_dirs) and len(containers) == 2
    finally:
        descendants = _descendants(proc.pid)
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
    # What outlives a SIGKILL: containerd's shim and the containers, the namespace's mount.
    time.sleep(1)
    assert _processes_mentioning(str(workdir)), "nothing outlived the run: the test proves nothing"
    sweep_stale_nodes()
    assert not _processes_mentioning(str(workdir))
    assert not workdir.exists()
    assert not [d for d in etcd_dirs if d.exists()]
    assert not [c for c in containers for _ in CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}/{c}")]
    with open("/proc/self/mountinfo") as mounts:
        assert str(workdir) not in mounts.read()
    node.check_alive()
    # The run's children died with it; as orphans they became this (subreaper) process's.
    netns.reap(descendants)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found

"""A real node: a genuine kubelet and containerd, pulling for real from real registries.

A `Node` is one of the releases in tests/support/node_versions.py: kubelet 1.20.2 on
containerd 1.6 (flags), or the current release on containerd 2 (a KubeletConfiguration file,
containerd's version 3 config, and the node's own credential provider). It starts, all inside
the node's own network and mount namespaces (tests/support/netns.py):
etcd, kube-apiserver, kube-controller-manager and kube-scheduler (tests/support/control_plane.py),
three registries (tests/support/registries.py), containerd and the kubelet:

- "open": plain http, no auth, 127.0.0.1:5000. It holds the pause image (containerd's sandbox
  image), built from the cached `pause` binary (pause.c of the same Kubernetes release).
- "basic": TLS and htpasswd (Basic), 127.0.0.1:5001.
- "token": TLS and token auth, 127.0.0.1:5002; its token server is Python, in the namespace.

App images are one-layer OCI layouts holding Debian's static busybox, pushed with skopeo;
`push_app` gives each scenario its own tag, since an image already on the node is never pulled
again (IfNotPresent). Nothing is fetched from any container registry, and no packet leaves the
machine: the namespace has no route off it.

Every port is fixed: the namespace is the node's alone, so two nodes never clash, and image
names read the same on every run (127.0.0.1:5001/team/app:v1).

`stop()` leaves nothing behind: no processes, mounts, cgroups or files outside the node's
folder, and every sysctl as it was; it returns what it had to clean up by force, [] when the
stop was clean. The kubelet's hard-coded paths and sysctls live in the mount namespace
(netns.PrivateMounts); the one trace on the machine itself is the containers' cgroups
(/sys/fs/cgroup/*/k8s.io/ID), which stop() removes. A run killed before stop() is cleaned up by
the next node's start (`sweep_stale_nodes`).

Importable without pytest. `python -m tests.support.node` starts a node for humans.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from kubectl_pullsecret.kubelet.messages import parse_time
from tests.support import netns
from tests.support.control_plane import (
    NODE_CONTROLLERS,
    ApiError,
    Cluster,
    ControlPlane,
    ControlPlaneError,
)
from tests.support.node_config import (
    CNI_BIN_DIR,
    PROVIDER_NAME,
    KubeletSettings,
    NodePaths,
    cni_config,
    containerd_config,
    hosts_toml,
    kubelet_launch,
    provider_config,
    provider_script,
)
from tests.support.node_versions import NodeRelease, current_release, legacy_release, node_path
from tests.support.registries import (
    ImageFile,
    Pki,
    Registry,
    RegistryError,
    TokenAuth,
    TokenServer,
    User,
    go_architecture,
    missing_tools,
    write_oci_layout,
)
from tests.support.supervisor import ProcessDied, Supervised, Supervisor, environment_without

NODE_NAME = "realnode"
OPEN_PORT, BASIC_PORT, TOKEN_PORT = 5000, 5001, 5002
# Images under this repository prefix of the basic registry get credentials from the node's
# own credential provider (current kubelets): the right ones, or under PROVIDER_WRONG wrong ones.
PROVIDED, PROVIDED_WRONG = "provided", "provided-wrong"
BUSYBOX = Path("/bin/busybox")
# The app image's command: it says it runs, and ends at once on SIGTERM (pods delete fast).
APP_MESSAGE = "app running"
APP_COMMAND = f'echo "{APP_MESSAGE}"; trap "exit 0" TERM; sleep 3600 & wait'
READY_TIMEOUT_S = 120.0
# containerd's content store (every layer it downloads) is a tmpfs of this size, in the node's
# mount namespace: the suite's images share one small layer, and a test can fill it (a full
# disk, for real) and then grow it (Node.resize_content_store).
CONTENT_STORE_SIZE = "64m"

# Users of the basic and token registries. Passwords are distinctive, so a leak is found by a
# plain search, and random, so the plugin's redaction never hides a name in the output.
PUSHER = ("pusher", "Pusher-pw-" + secrets.token_hex(4))
ALICE = ("alice", "Alice-pw-" + secrets.token_hex(4))  # may pull everything
PASSWORD_VARIABLE = "REGISTRY_PASSWORD"  # ALICE's password, in Node.env()

T = TypeVar("T")


class NodeError(RuntimeError):
    """The node failed to start, or an expected state never came."""


# --------------------------------------------------------------------------------------------
# Prerequisites


NODE_BINARIES = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kubelet")
RUNTIME_COMMANDS = ("containerd", "containerd-shim-runc-v2", "runc", "ctr")


def missing_prerequisites(release: NodeRelease) -> list[str]:
    """What this machine lacks to run a node of this release, each with how to get it; empty
    when ready."""
    missing: list[str] = []
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        missing.append("root on Linux (the node makes namespaces, mounts and cgroups)")
    if release.assets is None:
        missing.append(f"the {release} binaries: {release.why_missing} (run {release.provision})")
    else:
        absent = [
            b for b in (*NODE_BINARIES, "pause") if not os.access(release.assets / b, os.X_OK)
        ]
        if absent:
            missing.append(f"{', '.join(absent)} in {release.assets} (run {release.provision})")
    absent = [c for c in RUNTIME_COMMANDS if release.command(c) is None]
    absent += [str(p) for p in (BUSYBOX, CNI_BIN_DIR / "bridge") if not p.exists()]
    absent += netns.required_commands() + missing_tools()
    if absent:
        missing.append(
            f"{', '.join(absent)} (run {release.provision}; tools/provision.sh installs "
            "containerd, runc, containernetworking-plugins, busybox-static, docker-registry, "
            "skopeo, apache2-utils)"
        )
    return missing


# --------------------------------------------------------------------------------------------
# What the node may leave on the machine


# Paths the kubelet, containerd and the CNI plugins would write outside the node's folder.
# They go to the mount namespace's tmpfs; these are checked to be untouched.
WATCHED_PATHS = (
    "/var/log/pods",
    "/var/log/containers",
    "/var/lib/kubelet",
    "/var/lib/cni",
    "/var/lib/containerd",
    "/run/containerd",
    "/run/netns",
    "/etc/cni",
    "/opt/cni",
)
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "k8s.io"  # containerd's cgroup parent: its namespace for the CRI


def _listing(path: str) -> tuple[str, ...] | None:
    try:
        return tuple(sorted(os.listdir(path)))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return (f"<{exc}>",)


def _host_mounts() -> frozenset[str]:
    with open("/proc/self/mountinfo") as fh:
        return frozenset(line.split()[4] for line in fh)


def _cgroup_parents() -> frozenset[Path]:
    if not CGROUP_ROOT.is_dir():
        return frozenset()
    return frozenset(p for p in CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}") if p.is_dir())


@dataclass(frozen=True)
class HostState:
    """The machine's state that a node could change, taken before start and after stop."""

    paths: Mapping[str, tuple[str, ...] | None]
    sysctls: Mapping[str, str]
    mounts: frozenset[str]
    cgroup_parents: frozenset[Path]

    @classmethod
    def capture(cls) -> HostState:
        return cls(
            paths={p: _listing(p) for p in WATCHED_PATHS},
            sysctls={
                s: Path("/proc/sys", s).read_text().strip()
                for s in netns.KUBELET_SYSCTLS
                if Path("/proc/sys", s).exists()
            },
            mounts=_host_mounts(),
            cgroup_parents=_cgroup_parents(),
        )


# --------------------------------------------------------------------------------------------
# Processes


def _cgroup_folders(group: Path) -> list[Path]:
    """The cgroup and its children, deepest first (the order rmdir needs)."""
    found = [Path(root) for root, _, _ in os.walk(group)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _kill_cgroup(cgroups: Sequence[Path], timeout: float = 5.0) -> None:
    """SIGKILL every process in these cgroups (one container, in every hierarchy) and remove
    them. They may vanish meanwhile (runc, the kubelet): that is fine."""
    deadline = time.monotonic() + timeout
    while True:
        pids: set[int] = set()
        for group in cgroups:
            for folder in _cgroup_folders(group):
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # Their shim reaps them; if the shim is gone, they are ours (netns.become_subreaper).
        netns.reap(sorted(pids), timeout=0.5)
        if not pids or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for group in cgroups:
        for folder in _cgroup_folders(group):
            for _ in range(50):  # a killed process leaves its cgroup a moment later
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def _container_cgroups(container_id: str) -> list[Path]:
    return [p for p in CGROUP_ROOT.glob(f"*/{CGROUP_PARENT}/{container_id}") if p.is_dir()]


OWNER_FILE = "owner"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _task_ids(workdir: Path) -> list[str]:
    """The containers containerd ran (its task state folders), sandboxes included."""
    tasks = workdir / "containerd" / "state" / "io.containerd.runtime.v2.task" / CGROUP_PARENT
    return sorted(p.name for p in tasks.iterdir()) if tasks.is_dir() else []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def sweep_stale_nodes() -> None:
    """Clean up after nodes whose test run was killed (SIGKILL) before stop().

    Every node process dies with the run (parent-death signal) except containerd's shims and
    the containers: they are found by the folder in their command line and by the cgroups of
    the containers in the folder's containerd state. Only folders whose owner is gone.
    """
    for workdir in Path(tempfile.gettempdir()).glob("realnode-*"):
        try:
            pid = int((workdir / OWNER_FILE).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if _pid_alive(pid):
            continue
        for container in _task_ids(workdir):
            _kill_cgroup(_container_cgroups(container))
        leftovers = _processes_mentioning(str(workdir))
        for leftover in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)
        netns.reap(leftovers)  # orphans of a killed run may have become ours
        for mount in sorted(_host_mounts(), key=len, reverse=True):
            if Path(mount).is_relative_to(workdir):
                subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        # The control plane's etcd keeps its data on /dev/shm; its owner file says where.
        for owner in workdir.glob("realcluster-*/owner"):
            lines = owner.read_text().splitlines()
            if len(lines) > 1 and Path(lines[1]).name.startswith("realcluster-etcd-"):
                shutil.rmtree(lines[1], ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
        for parent in _cgroup_parents():
            with contextlib.suppress(OSError):  # a running node's containers keep it busy
                parent.rmdir()


# --------------------------------------------------------------------------------------------
# Configuration files


APP_CONFIG = {"Env": ["PATH=/bin"], "Cmd": ["sh", "-c", APP_COMMAND]}


def app_files() -> list[ImageFile]:
    files = [ImageFile("bin/busybox", BUSYBOX.read_bytes(), 0o755)]
    files += [ImageFile(f"bin/{n}", link="busybox") for n in ("sh", "sleep", "echo", "cat", "ls")]
    return files


# --------------------------------------------------------------------------------------------
# The node


@dataclass(frozen=True)
class NodeRegistry:
    name: str
    registry: Registry
    tls: bool
    users: Mapping[str, str] = field(default_factory=dict)

    @property
    def hostport(self) -> str:
        return self.registry.hostport

    def image(self, repository: str, tag: str) -> str:
        return f"{self.hostport}/{repository}:{tag}"


class Node:
    """One node and its control plane, all in its own namespaces. Use as a context manager."""

    def __init__(
        self,
        release: NodeRelease | None = None,
        name: str = NODE_NAME,
        kubelet_settings: KubeletSettings | None = None,
    ) -> None:
        self.release = release or legacy_release()
        self.name = name
        self.kubelet_settings = kubelet_settings or KubeletSettings()
        self.workdir: Path | None = None
        self.netns: netns.NetworkNamespace | None = None
        self.mounts: netns.PrivateMounts | None = None
        self.control_plane: ControlPlane | None = None
        self.registries: dict[str, NodeRegistry] = {}
        self.pki: Pki | None = None
        self.startup_seconds: float | None = None
        self.timings: dict[str, float] = {}
        self.host_before: HostState | None = None
        self._token_server: TokenServer | None = None
        self._processes: Supervisor | None = None
        self._cluster: Cluster | None = None
        self._kubeconfig: Path | None = None
        self._app_layout: Path | None = None
        self._pushed: set[str] = set()
        self._lock = threading.Lock()
        self._leftovers: list[str] = []

    # -- properties ---------------------------------------------------------------------------

    def _dir(self) -> Path:
        if self.workdir is None:
            raise NodeError("the node is not started")
        return self.workdir

    @property
    def paths(self) -> NodePaths:
        return NodePaths(self._dir())

    @property
    def pause_image(self) -> str:
        return f"127.0.0.1:{OPEN_PORT}/pause:{self.release.pause_tag}"

    @property
    def processes(self) -> Supervisor:
        if self._processes is None:
            raise NodeError("the node is not started")
        return self._processes

    def _process(self, name: str) -> Supervised | None:
        return self._processes.get(name) if self._processes is not None else None

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig, written once: clients in parallel threads read it."""
        if self._kubeconfig is None:
            raise NodeError("the node is not started")
        return self._kubeconfig

    @property
    def cluster(self) -> Cluster:
        """Admin helpers whose REST calls run inside the namespace."""
        if self._cluster is None:
            if self.control_plane is None:
                raise NodeError("the node is not started")
            self._cluster = self.control_plane.cluster()
        return self._cluster

    @property
    def prefix(self) -> list[str]:
        """argv prefix for clients (kubectl, the plugin): the node's network namespace."""
        if self.netns is None:
            raise NodeError("the node is not started")
        return self.netns.prefix

    @property
    def ca_file(self) -> Path:
        """The CA of the registries' TLS certificates (and their token server's)."""
        if self.pki is None:
            raise NodeError("the node is not started")
        return self.pki.ca_cert

    @property
    def open(self) -> NodeRegistry:
        return self.registries["open"]

    @property
    def basic(self) -> NodeRegistry:
        return self.registries["basic"]

    @property
    def token(self) -> NodeRegistry:
        return self.registries["token"]

    # -- start --------------------------------------------------------------------------------

    def start(self) -> Node:
        if self.workdir is not None:
            raise NodeError("already started")
        t0 = time.monotonic()
        missing = missing_prerequisites(self.release)
        assets = self.release.assets
        if missing or assets is None:
            raise NodeError("cannot start a node: missing " + "; ".join(missing))
        sweep_stale_nodes()
        self.host_before = HostState.capture()
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix="realnode-"))
            (self.workdir / OWNER_FILE).write_text(f"{os.getpid()}\n")
            for sub in ("tmp", "home", "kube-cache"):
                (self.workdir / sub).mkdir()
            self._step("namespaces", lambda: self._start_namespaces(assets))
            self._step("control plane", lambda: self._start_control_plane(assets))
            self._step("registries", self._start_registries)
            self._step("images", lambda: self._push_base_images(assets))
            self._step("containerd", self._start_containerd)
            self._step("kubelet", self._start_kubelet)
            self._step("node ready", self._wait_node_ready)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _step(self, name: str, fn: Callable[[], object]) -> None:
        t0 = time.monotonic()
        fn()
        self.timings[name] = time.monotonic() - t0

    def _start_namespaces(self, assets: Path) -> None:
        workdir = self._dir()
        self.netns = netns.NetworkNamespace(workdir).create()
        self.mounts = netns.PrivateMounts(workdir, self.netns, assets / "pause").create()
        self._processes = Supervisor(
            workdir,
            prefix=self.mounts.prefix,
            env=environment_without(
                ("KUBE", "CONTAINERD"),
                PATH=self._node_path(),
                TMPDIR=str(workdir / "tmp"),
                HOME=str(workdir / "home"),
            ),
        )

    def _start_control_plane(self, assets: Path) -> None:
        assert self.mounts is not None
        self.control_plane = ControlPlane(
            assets,
            namespace=_InNode(self.mounts),
            controllers=NODE_CONTROLLERS,
            scheduler=True,
            parent_dir=self._dir(),
            extra_apiserver_args=[
                # `kubectl logs` reaches the kubelet by its InternalIP; the hostname resolves
                # nowhere in here.
                "--kubelet-preferred-address-types=InternalIP",
                # This admission plugin taints a new node not-ready, and only the node
                # lifecycle controller lifts the taint. Without either, the scheduler binds to
                # the node once it registers; with both, a heartbeat late by 40 s on a busy
                # 2-core machine would taint it again and stop the scheduler.
                "--disable-admission-plugins=TaintNodesByCondition",
            ],
        )
        self.control_plane.start()
        self._kubeconfig = self.control_plane.kubeconfig("admin")

    def _start_registries(self) -> None:
        assert self.mounts is not None
        ns = _InNode(self.mounts)
        folder = self._dir() / "registries"
        self.pki = Pki.create(_mkdir(folder / "pki"))
        users = {PUSHER[0]: PUSHER[1], ALICE[0]: ALICE[1]}
        rights = {"*": frozenset({"pull", "push"})}
        self._token_server = TokenServer(
            self.pki, {u: User(p, rights) for u, p in users.items()}, namespace=ns
        )
        self._token_server.start()
        specs = (
            ("open", Registry(folder / "open", tls=False, port=OPEN_PORT, namespace=ns), {}),
            (
                "basic",
                Registry(
                    folder / "basic",
                    pki=self.pki,
                    htpasswd_users=users,
                    port=BASIC_PORT,
                    namespace=ns,
                ),
                users,
            ),
            (
                "token",
                Registry(
                    folder / "token",
                    pki=self.pki,
                    token=TokenAuth(self._token_server.realm),
                    port=TOKEN_PORT,
                    namespace=ns,
                ),
                users,
            ),
        )
        for name, registry, registry_users in specs:
            registry.start()
            self.registries[name] = NodeRegistry(name, registry, registry.tls, registry_users)

    def _push_base_images(self, assets: Path) -> None:
        folder = self._dir() / "images"
        tag = self.release.pause_tag
        pause = write_oci_layout(
            folder / "pause",
            tag,
            files=[ImageFile("pause", (assets / "pause").read_bytes(), 0o755)],
            config={"Entrypoint": ["/pause"]},
            architecture=go_architecture(),
        )
        self.open.registry.push(pause, tag, f"pause:{tag}", None)
        self._app_layout = write_oci_layout(
            folder / "app",
            "app",
            files=app_files(),
            config=APP_CONFIG,
            architecture=go_architecture(),
        )

    @property
    def content_store(self) -> Path:
        """Where containerd keeps what it downloads (its io.containerd.content.v1.content)."""
        return self.paths.containerd / "root" / "io.containerd.content.v1.content"

    def resize_content_store(self, size: str) -> None:
        """Give containerd's content store another size (a full disk gets room, for one)."""
        assert self.mounts is not None
        netns.run(
            [*self.mounts.prefix, "mount", "-o", f"remount,size={size}", str(self.content_store)]
        )

    def trust_registry(self, hostport: str, tls: bool = True) -> None:
        """A hosts.toml for another registry, as an admin adds one (containerd reads config_path
        at each pull)."""
        hosts = _mkdir(self.paths.certs_d / hostport)
        (hosts / "hosts.toml").write_text(hosts_toml(hostport, tls, self.ca_file if tls else None))

    def _start_containerd(self) -> None:
        paths = self.paths
        netns.become_subreaper()
        assert self.mounts is not None
        netns.run(
            [
                *self.mounts.prefix,
                "sh",
                "-c",
                f'mkdir -p "{self.content_store}" && mount -t tmpfs -o '
                f'size={CONTENT_STORE_SIZE},mode=0700 node-content "{self.content_store}"',
            ]
        )
        for node_registry in self.registries.values():
            self.trust_registry(node_registry.hostport, node_registry.tls)
        _mkdir(paths.cni_conf_dir)
        (paths.cni_conf_dir / "10-realnode.conflist").write_text(cni_config(paths))
        config = paths.containerd / "config.toml"
        config.write_text(containerd_config(self.release, paths, self.pause_image))
        containerd = self.release.command("containerd")
        assert containerd is not None
        process = self.processes.start("containerd", [containerd, "--config", str(config)])
        deadline = time.monotonic() + 30
        while True:
            if not process.alive():
                raise NodeError(f"containerd exited:\n{process.tail()}")
            if self.ctr("version", check=False).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise NodeError(f"containerd does not answer:\n{process.tail()}")
            time.sleep(0.05)

    def _start_kubelet(self) -> None:
        """Start the kubelet; a current one with its own credential provider, which hands out
        the basic registry's credentials for PROVIDED (alice's) and PROVIDED_WRONG (wrong)."""
        paths = self.paths
        assert self.mounts is not None
        _mkdir(paths.kubelet)
        launch = kubelet_launch(
            self.release,
            paths,
            name=self.name,
            node_ip=netns.NODE_IP,
            kubeconfig=self.kubeconfig,
            resolv_conf=self.mounts.resolv_conf,
            pause_image=self.pause_image,
            settings=self.kubelet_settings,
        )
        if launch.config is not None:
            (paths.kubelet / "config.json").write_text(json.dumps(launch.config, indent=2))
            provider = _mkdir(paths.provider_bin_dir) / PROVIDER_NAME
            provider.write_text(provider_script())
            provider.chmod(0o755)
            prefixes = [f"{self.basic.hostport}/{p}" for p in (PROVIDED, PROVIDED_WRONG)]
            paths.provider_config.write_text(provider_config(paths, prefixes))
            self.set_provider_credentials(
                {prefixes[0]: ALICE, prefixes[1]: (ALICE[0], "Provided-wrong-pw")}
            )
        self.processes.start("kubelet", launch.argv)

    def set_provider_credentials(self, credentials: Mapping[str, tuple[str, str]]) -> None:
        """What the node's credential provider hands out from its next call, by image prefix."""
        path = self.paths.provider_credentials
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({k: list(v) for k, v in credentials.items()}))
        temporary.chmod(0o600)
        temporary.replace(path)  # the kubelet may exec the provider meanwhile

    def restart_kubelet(self, settings: KubeletSettings) -> None:
        """Stop the kubelet and start it again with these settings; its Pods keep running, as on
        a real node whose kubelet restarts. Returns once the node is Ready again."""
        if settings.verification_policy and not self.release.config_file_kubelet:
            raise NodeError(
                f"the verification policy needs a configuration file, not {self.release}"
            )
        self.processes.stop("kubelet")
        self.kubelet_settings = settings
        # Heartbeats carry whole seconds: one from this second on is the new kubelet's.
        since = datetime.now(timezone.utc).replace(microsecond=0)
        self._start_kubelet()
        self._wait_node_ready(since)

    def _wait_node_ready(self, since: datetime | None = None) -> None:
        """Until the node is Ready; `since`: by a heartbeat of a kubelet started then (the
        condition of the kubelet before a restart stays True for a while)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            kubelet = self._process("kubelet")
            if kubelet is None or not kubelet.alive():
                raise NodeError(f"the kubelet exited:\n{kubelet.tail() if kubelet else ''}")
            with contextlib.suppress(ApiError):
                node = self.cluster.rest.get(f"/api/v1/nodes/{self.name}")
                ready = [
                    c for c in node.get("status", {}).get("conditions", []) if c["type"] == "Ready"
                ]
                beat = parse_time(ready[0].get("lastHeartbeatTime") or "") if ready else None
                fresh = since is None or (beat is not None and beat >= since)
                if ready and ready[0]["status"] == "True" and fresh:
                    return
            if time.monotonic() > deadline:
                raise NodeError(
                    f"node {self.name} not Ready after {READY_TIMEOUT_S:.0f}s; kubelet log:\n"
                    f"{kubelet.tail()}"
                )
            time.sleep(0.25)

    def _node_path(self) -> str:
        """PATH for the node's processes: a current node's own containerd first (containerd
        finds its shim on it), then the machine's."""
        own = [str(self.release.assets)] if self.release.runtime_in_assets else []
        return os.pathsep.join([*own, node_path()])

    # -- using the node -----------------------------------------------------------------------

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for kubectl and the plugin: this interpreter's scripts first on
        PATH, the node's admin kubeconfig, kubectl's cache in the node's folder, and the
        registry user's password in $REGISTRY_PASSWORD (commands name it, never print it)."""
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")])
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECACHEDIR"] = str(self._dir() / "kube-cache")
        env[PASSWORD_VARIABLE] = ALICE[1]
        env.pop("KUBERNETES_SERVICE_HOST", None)
        env.update(extra or {})
        return env

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        timeout: float = 120.0,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a client command inside the node's network namespace, with env()."""
        return subprocess.run(
            [*self.prefix, *argv],
            env=self.env(env),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        kubectl = shutil.which("kubectl", path=self.env()["PATH"])
        if kubectl is None:
            raise NodeError("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
        result = self.run([kubectl, *args], input=input)
        if check and result.returncode != 0:
            raise NodeError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def shell(
        self, command: str, timeout: float = 120.0, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A shell command line, exactly as a user would type it, inside the namespace."""
        return self.run(["sh", "-c", command], timeout=timeout, env=env)

    def ctr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """containerd's own CLI, in the CRI's namespace (k8s.io)."""
        sock = self._dir() / "containerd" / "containerd.sock"
        assert self.mounts is not None
        ctr = self.release.command("ctr")
        assert ctr is not None
        result = subprocess.run(
            [*self.mounts.prefix, ctr, f"--address={sock}", "--namespace=k8s.io", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.processes.env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if check and result.returncode != 0:
            raise NodeError(f"ctr {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def images_on_node(self) -> list[str]:
        return self.ctr("images", "list", "--quiet").stdout.split()

    def push_app(self, registry: NodeRegistry, repository: str, tag: str) -> str:
        """Push the app image as REPOSITORY:TAG to the registry; returns the image name."""
        assert self._app_layout is not None
        image = registry.image(repository, tag)
        with self._lock:
            if image not in self._pushed:
                creds = PUSHER if registry.users else None
                registry.registry.push(self._app_layout, "app", f"{repository}:{tag}", creds)
                self._pushed.add(image)
        return image

    def unique_tag(self, label: str) -> str:
        """A tag no earlier scenario used: the node pulls it for real (IfNotPresent)."""
        return f"{label}-{secrets.token_hex(3)}"

    def wait_for(
        self,
        what: str,
        probe: Callable[[], T | None],
        timeout: float,
        interval: float = 0.5,
    ) -> T:
        """Poll until probe() returns something truthy; a timeout says what never came."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            if time.monotonic() > deadline:
                raise NodeError(f"timed out after {timeout:.0f}s waiting for {what}")
            self.check_alive()
            time.sleep(interval)

    def check_alive(self) -> None:
        try:
            self.processes.check()
        except ProcessDied as exc:
            raise NodeError(f"a node process died: {exc}") from None
        if self.control_plane is not None and not self.control_plane.running:
            raise NodeError(f"a control-plane process died:\n{self.control_plane.log_tails()}")

    def pull_attempts(self, image: str) -> list[datetime]:
        """When containerd began each pull of IMAGE, from its log: `PullImage "IMAGE"`."""
        containerd = self._process("containerd")
        assert containerd is not None
        needle = f'msg="PullImage \\"{image}\\""'
        lines = containerd.log.read_text(errors="replace").splitlines()
        found = [re.match(r'time="([^"]+)"', line) for line in lines if needle in line]
        return [moment for m in found if m and (moment := parse_time(m[1])) is not None]

    def kubelet_log(self, lines: int = 200) -> str:
        kubelet = self._process("kubelet")
        return kubelet.tail(lines) if kubelet else ""

    def log_tails(self, lines: int = 20) -> str:
        text = self._processes.tails(lines) if self._processes else ""
        if self.control_plane is not None:
            text += "\n" + self.control_plane.log_tails(lines)
        return text

    # -- stop ---------------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """Stop everything and remove the node's folder. Idempotent. Returns what was left on
        the machine and had to be cleaned up by force (a clean stop returns [])."""
        with self._lock:
            if self.workdir is None:
                return self._leftovers
            workdir = self.workdir
            problems: list[str] = []

            def attempt(what: str, fn: Callable[[], object]) -> None:
                try:
                    fn()
                except Exception as exc:  # keep stopping the rest, report it
                    problems.append(f"{what}: {exc!r}")

            processes = self._processes
            if processes is not None:
                attempt("stopping the kubelet", lambda: processes.stop("kubelet"))
            # The kubelet leaves its pods running; kill them by their cgroups.
            containers = _task_ids(workdir)
            for container in containers:
                attempt(
                    f"container {container}",
                    lambda c=container: _kill_cgroup(_container_cgroups(c)),
                )
            if processes is not None:
                attempt("stopping containerd", processes.stop)
            if self._cluster is not None:
                attempt("closing the REST client", self._cluster.close)
            if self.control_plane is not None:
                attempt("stopping the control plane", self.control_plane.stop)
            for node_registry in self.registries.values():
                attempt(f"stopping registry {node_registry.name}", node_registry.registry.stop)
            if self._token_server is not None:
                attempt("stopping the token server", self._token_server.stop)
            if self.mounts is not None:
                # Kills what is left in the namespace: containerd's shims, which outlive
                # containerd by design, and nothing else on a clean stop.
                for command in self.mounts.delete():
                    if not Path(command.split(" ", 1)[0]).name.startswith("containerd-shim"):
                        problems.append(f"process survived: {command}")
            # Shims that ended by themselves are this process's zombies (netns.become_subreaper).
            attempt("reaping the shims", lambda: netns.reap_exited_children("containerd-shim"))
            if self.netns is not None:
                attempt("deleting the network namespace", self.netns.delete)
            problems += self._host_differences(workdir, containers)
            shutil.rmtree(workdir, ignore_errors=True)
            if workdir.exists():
                problems.append(f"{workdir} could not be removed")
            self.workdir = None
            self._processes = None
            self._leftovers = problems
            return problems

    def _host_differences(self, workdir: Path, containers: Sequence[str]) -> list[str]:
        """What the node changed on the machine, each cleaned up now where possible."""
        problems: list[str] = []
        for pid in _processes_mentioning(str(workdir)):
            problems.append(f"process {pid} survived: {netns.cmdline(pid)}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for mount in sorted(_host_mounts(), key=len, reverse=True):
            if Path(mount).is_relative_to(workdir):
                problems.append(f"mount {mount} survived")
                subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        for container in containers:
            for group in _container_cgroups(container):
                problems.append(f"cgroup {group} survived")
                _kill_cgroup([group])
        before = self.host_before
        if before is None:
            return problems
        for parent in _cgroup_parents() - before.cgroup_parents:
            # Ours if nothing is in it; another node's containers keep it otherwise.
            with contextlib.suppress(OSError):
                parent.rmdir()
        after = HostState.capture()
        for path, listing in before.paths.items():
            if after.paths[path] != listing:
                problems.append(f"{path} changed: {listing} -> {after.paths[path]}")
        for name, value in before.sysctls.items():
            if after.sysctls.get(name) != value:
                problems.append(f"sysctl {name} changed: {value} -> {after.sysctls.get(name)}")
        return problems

    def __enter__(self) -> Node:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _InNode:
    """The node's namespaces as control_plane.Namespace and registries.Namespace: processes
    in the mount and network namespaces, Python sockets in the network namespace."""

    def __init__(self, mounts: netns.PrivateMounts) -> None:
        self._mounts = mounts

    @property
    def prefix(self) -> list[str]:
        return self._mounts.prefix

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._mounts.netns.call(fn, *args, **kwargs)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start a real node (kubelet + containerd).")
    known = {r.name: r for r in (legacy_release(), current_release())}
    parser.add_argument(
        "--release", choices=sorted(known), default="1.20", help="which node (default 1.20)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with Node(known[args.release]) as node:
            print(f"node {node.name} Ready in {node.startup_seconds:.1f}s: {node.timings}")
            print(f"registries: {', '.join(r.hostport for r in node.registries.values())}")
            print(f"\nexport KUBECONFIG={node.kubeconfig}")
            print(f"run clients inside: {' '.join(node.prefix)} kubectl get nodes")
            print("Ctrl-C to stop.", flush=True)
            while True:
                time.sleep(1)
                node.check_alive()
    except KeyboardInterrupt:
        pass
    except (NodeError, ControlPlaneError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The namespaces a real node lives in (tests/support/node.py).

- `NetworkNamespace`: `unshare --net=WORKDIR/netns` (a bind-mounted file), `lo` up and a veth
  pair carrying the node IP 192.0.2.10 (RFC 5737), with no route anywhere else. The kubelet and
  containerd reach for addresses off this machine (the EC2 metadata service, the system
  resolver); in here those fail at once with ENETUNREACH and no packet leaves the machine.
  Child processes enter it with `prefix` (`nsenter --net=...`). Python sockets the harness
  needs in it (REST calls, the token server's listener) are made by `call`, on threads that
  entered the namespace with setns(2): a socket keeps the namespace it was created in.
- `PrivateMounts`: a mount namespace, held by one process, where the paths the kubelet and
  containerd hard-code (/var/log/pods, /var/lib/kubelet/device-plugins, /var/lib/cni,
  /run/containerd, skopeo's /var/lib/containers) are fresh tmpfs, and the sysctls the kubelet
  rewrites (/proc/sys/vm/overcommit_memory, ...) are bind-mounted copies. So the node writes
  nothing outside its folder and changes no kernel setting, and everything it mounts goes away
  with the namespace. Two nodes on one machine do not see each other's files. Its
  /etc/resolv.conf names RESOLVER, so a lookup (Docker Hub's registry) fails the same way on
  every machine.

Linux and root only. Importable without pytest.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

NODE_IP = "192.0.2.10"  # RFC 5737 TEST-NET-1: never routed anywhere
# The resolver the node's processes see: RFC 5737 TEST-NET-3, to which the namespace has no
# route, so every lookup fails at once with "network is unreachable", on any machine.
RESOLVER = "203.0.113.53"
NODE_PREFIX_LENGTH = 24
VETH = "node0"
CLONE_NEWNET = 0x40000000
COMMAND_TIMEOUT_S = 30.0

# The sysctls kubelet 1.20 sets when --protect-kernel-defaults=false
# (pkg/kubelet/cm/container_manager_linux.go, setupKernelTunables).
KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
# Folders whose hard-coded children the node writes: each becomes a fresh tmpfs in the node's
# mount namespace (kubelet: /var/log/pods, /var/log/containers, /var/lib/kubelet/device-plugins;
# go-cni: /var/lib/cni; containerd: /run/containerd/s; skopeo: /var/lib/containers/cache).
PRIVATE_FOLDERS = ("/run", "/var/log", "/var/lib")

T = TypeVar("T")


class NamespaceError(RuntimeError):
    """A namespace could not be made or entered."""


def required_commands() -> list[str]:
    """The commands these namespaces need that are not on PATH."""
    return [c for c in ("unshare", "nsenter", "ip", "mount", "umount") if shutil.which(c) is None]


def run(argv: Sequence[str], timeout: float = COMMAND_TIMEOUT_S) -> str:
    """Run a setup command; a failure raises NamespaceError with its output."""
    result = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise NamespaceError(
            f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}"
        )
    return result.stdout


def enter_network_namespace(path: Path) -> None:
    """setns(2) for the calling thread only: its new sockets live in that namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise NamespaceError(f"setns({path}): {os.strerror(errno)}")
    finally:
        os.close(fd)


def set_parent_death_signal() -> None:
    """preexec_fn (Linux): SIGKILL when the spawning thread dies, so a killed test run leaves
    nothing behind. Spawn from a thread that lives as long as the child (the main thread)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def become_subreaper() -> None:
    """Orphans of this process's descendants become its children, not PID 1's. containerd's
    shims are such orphans; this VM's init reaps them only now and then, so a stopped node
    would leave zombie shims in `ps` for a while. This process reaps them itself (`reap`)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_child_subreaper = 36
    if libc.prctl(pr_set_child_subreaper, 1) != 0:
        raise NamespaceError(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")


def reap(pids: Sequence[int], timeout: float = 5.0) -> None:
    """Wait for those of these killed processes that are this process's children."""
    deadline = time.monotonic() + timeout
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not ours, or already reaped
                done = pid
            if done == pid:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.02)


def reap_exited_children(name_prefix: str) -> list[int]:
    """Reap this process's exited children whose name starts with name_prefix (shims that
    ended on their own once their containers were gone); returns their pids. Children with
    other names are left to whoever waits for them."""
    reaped = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if state == "Z" and int(ppid) == os.getpid() and name.startswith(name_prefix):
            reap([int(entry.name)])
            reaped.append(int(entry.name))
    return reaped


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "?"


def is_under(path: Path, folder: str) -> bool:
    return path.resolve().is_relative_to(folder)


class NetworkNamespace:
    """A network namespace persisted as WORKDIR/netns, with lo and the node IP only."""

    def __init__(self, workdir: Path, node_ip: str = NODE_IP) -> None:
        self.path = workdir / "netns"
        self.node_ip = node_ip
        self._executor: ThreadPoolExecutor | None = None

    @property
    def prefix(self) -> list[str]:
        """argv prefix that runs a command inside."""
        return ["nsenter", f"--net={self.path}", "--"]

    def create(self) -> NetworkNamespace:
        self.path.touch()
        run(["unshare", f"--net={self.path}", "true"])
        for argv in (
            ["ip", "link", "set", "lo", "up"],
            # A veth pair: this kernel may lack `dummy`, and the kubelet refuses a loopback IP.
            ["ip", "link", "add", VETH, "type", "veth", "peer", "name", f"{VETH}-peer"],
            ["ip", "addr", "add", f"{self.node_ip}/{NODE_PREFIX_LENGTH}", "dev", VETH],
            ["ip", "link", "set", VETH, "up"],
            ["ip", "link", "set", f"{VETH}-peer", "up"],
        ):
            run([*self.prefix, *argv])
        self._executor = ThreadPoolExecutor(
            max_workers=4,
            thread_name_prefix="netns",
            initializer=enter_network_namespace,
            initargs=(self.path,),
        )
        return self

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run fn on a thread inside the namespace and return its result (or raise its error)."""
        if self._executor is None:
            raise NamespaceError("the network namespace is not created")
        return self._executor.submit(fn, *args, **kwargs).result()

    def routes(self) -> str:
        return run([*self.prefix, "ip", "route", "show", "table", "all"])

    def delete(self) -> None:
        """Stop the helper threads and unmount the namespace file (idempotent). The namespace
        itself ends when no process is left in it."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self.path.exists():
            subprocess.run(["umount", str(self.path)], capture_output=True, timeout=30, check=False)
            self.path.unlink(missing_ok=True)


class PrivateMounts:
    """A mount namespace for the node, inside its network namespace, held by `holder`.

    `prefix` runs a command in both namespaces. The namespace, with every tmpfs and mount made
    in it (containerd's overlays, the pods' network namespaces, the kubelet's volumes), ends
    when its last process does.
    """

    def __init__(self, workdir: Path, netns: NetworkNamespace, holder: Path) -> None:
        self.workdir = workdir
        self.netns = netns
        self.holder_binary = holder  # any process that sleeps until killed (the pause binary)
        self._holder: subprocess.Popen[bytes] | None = None
        self.namespace_id = ""  # "mnt:[inode]"

    @property
    def pid(self) -> int:
        if self._holder is None:
            raise NamespaceError("the mount namespace is not created")
        return self._holder.pid

    @property
    def prefix(self) -> list[str]:
        return ["nsenter", f"--target={self.pid}", "--mount", "--net", "--"]

    def create(self) -> PrivateMounts:
        for folder in PRIVATE_FOLDERS:
            if is_under(self.workdir, folder):
                raise NamespaceError(
                    f"the node's folder {self.workdir} lies under {folder}, which the node "
                    "replaces with an empty tmpfs; set TMPDIR to a folder elsewhere"
                )
        own = os.readlink("/proc/self/ns/mnt")
        self._holder = subprocess.Popen(
            [
                *self.netns.prefix,
                *("unshare", "--mount", "--propagation", "private", "--"),
                str(self.holder_binary),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=set_parent_death_signal,
        )
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError):
                self.namespace_id = os.readlink(f"/proc/{self.pid}/ns/mnt")
                if self.namespace_id != own:
                    break
            if self._holder.poll() is not None or time.monotonic() > deadline:
                raise NamespaceError("the mount namespace's holder did not start")
            time.sleep(0.01)
        for folder in PRIVATE_FOLDERS:
            run([*self.prefix, "mount", "-t", "tmpfs", "-o", "mode=0755", "node-tmpfs", folder])
        self._private_resolver()
        # The kubelet reads and rewrites these; it gets copies, the machine keeps its values.
        sysctls = self.workdir / "sysctl"
        sysctls.mkdir(exist_ok=True)
        for name in KUBELET_SYSCTLS:
            copy = sysctls / name.replace("/", ".")
            copy.write_text(Path("/proc/sys", name).read_text())
            run([*self.prefix, "mount", "--bind", str(copy), f"/proc/sys/{name}"])
        return self

    @property
    def resolv_conf(self) -> Path:
        return self.workdir / "resolv.conf"

    def _private_resolver(self) -> None:
        self.resolv_conf.write_text(f"nameserver {RESOLVER}\n")
        target = Path(os.path.realpath("/etc/resolv.conf"))
        if any(is_under(target, folder) for folder in PRIVATE_FOLDERS):
            # A symlink into /run (systemd-resolved): its target is in our fresh tmpfs now.
            script = f'mkdir -p "{target.parent}" && cp "{self.resolv_conf}" "{target}"'
            run([*self.prefix, "sh", "-c", script])
        elif target.exists():
            run([*self.prefix, "mount", "--bind", str(self.resolv_conf), str(target)])

    def processes(self) -> list[int]:
        """Every process in this mount namespace, the holder included."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if os.readlink(entry / "ns" / "mnt") == self.namespace_id:
                    found.append(int(entry.name))
        return found

    def delete(self, timeout: float = 10.0) -> list[str]:
        """Kill every process left in the namespace, then the holder; returns the command
        lines of those that had to be killed besides the holder."""
        if self._holder is None:
            return []
        leftovers, killed = [], []
        for pid in self.processes():
            if pid == self.pid:
                continue
            leftovers.append(cmdline(pid))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        reap(killed, timeout)
        self._holder.kill()
        self._holder.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._holder = None
        return leftovers

"""The two genuine nodes the suite runs: what each is made of, and where its binaries are.

- "1.20": kubelet v1.20.2 and its control plane, built from Debian bookworm's `kubernetes`
  source package, on Debian's containerd 1.6.20 and runc 1.1.5, with etcd 3.4.23
  (tools/provision.sh).
- "1.37": the release tools/current-node.env pins (kubelet, control plane, containerd 2, runc
  and etcd 3.6), all built from the Go module proxy (tools/provision-current-node.sh).

Importable without pytest.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kubectl_pullsecret.kubelet.versions import Version, parse_version
from tests.support.control_plane import AssetsNotFoundError, find_assets

REPO = Path(__file__).resolve().parents[2]
CURRENT_NODE_PINS = REPO / "tools" / "current-node.env"
CURRENT_NODE_VARIABLE = "PULLSECRET_CURRENT_NODE_ASSETS"
RUNTIME_COMMANDS = ("containerd", "containerd-shim-runc-v2", "runc", "ctr")


def read_pins(path: Path = CURRENT_NODE_PINS) -> dict[str, str]:
    """KEY=VALUE lines of tools/current-node.env (comments and blanks skipped)."""
    pins = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            pins[key.strip()] = value.strip()
    return pins


@dataclass(frozen=True)
class NodeRelease:
    """One kind of node: its Kubernetes binaries, and the runtime it runs them on.

    `assets` holds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, etcd and
    pause, and (when `runtime_in_assets`) containerd, its shim, ctr and runc; otherwise those
    come from the machine's PATH (Debian's packages). `pause_tag` is the sandbox image's tag,
    as that release's build/pause/Makefile names it.
    """

    name: str
    kubernetes: Version
    assets: Path | None
    runtime_in_assets: bool
    pause_tag: str
    provision: str
    why_missing: str = ""

    @property
    def config_file_kubelet(self) -> bool:
        """Configured by a KubeletConfiguration file: most of 1.20's flags are gone since."""
        return self.kubernetes.at_least(24)

    @property
    def containerd_2(self) -> bool:
        return self.runtime_in_assets

    def command(self, name: str) -> str | None:
        """The path of a runtime command (containerd, runc, ...), or None when missing."""
        if self.runtime_in_assets:
            path = self.assets / name if self.assets else None
            return str(path) if path is not None and os.access(path, os.X_OK) else None
        return shutil.which(name, path=node_path())

    def __str__(self) -> str:
        return f"kubelet v{self.kubernetes}"


def node_path() -> str:
    """PATH for the node's processes: the distribution's containerd finds its shim and runc
    on it."""
    extra = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return os.pathsep.join(dict.fromkeys([*os.environ.get("PATH", "").split(os.pathsep), *extra]))


def legacy_release() -> NodeRelease:
    try:
        assets: Path | None = find_assets()
        why = ""
    except AssetsNotFoundError as exc:
        assets, why = None, str(exc)
    return NodeRelease(
        name="1.20",
        kubernetes=Version(1, 20, 2),
        assets=assets,
        runtime_in_assets=False,
        pause_tag="3.4.1",
        provision="tools/provision.sh",
        why_missing=why,
    )


def current_release() -> NodeRelease:
    pins = read_pins()
    version = parse_version(pins["KUBERNETES_VERSION"])
    assert version is not None, pins
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = Path(
        os.environ.get(CURRENT_NODE_VARIABLE) or cache / "kubectl-pullsecret" / "current-node"
    )
    found = (folder / "kubelet").exists()
    return NodeRelease(
        name=f"{version.major}.{version.minor}",
        kubernetes=version,
        assets=folder if found else None,
        runtime_in_assets=True,
        pause_tag="3.10.2",
        provision="tools/provision-current-node.sh",
        why_missing="" if found else f"no {folder}/kubelet (run tools/provision-current-node.sh)",
    )


def releases() -> list[NodeRelease]:
    """Every node the suite runs, oldest first."""
    return [legacy_release(), current_release()]

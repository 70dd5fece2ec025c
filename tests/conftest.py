"""Fixtures for the end-to-end tests against a real kube-apiserver (see tests/realcluster.py).

Everything is lazy: only tests that request `control_plane` (directly or through `cluster`,
`namespace`, `kubeconfig` or `run_plugin` without an explicit kubeconfig) start the cluster,
so unit tests run without binaries.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NoReturn

import pytest

# realcluster.py sits next to this file; make it importable whatever the import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realcluster import (
    AssetsNotFoundError,
    Cluster,
    ControlPlane,
    dns_label,
    find_assets,
)

E2E_DIR = Path(__file__).resolve().parent / "e2e"
PLUGIN = "kubectl-pullsecret"
PLUGIN_TIMEOUT_S = 60.0

# Reasons e2e tests were skipped, repeated loudly in the terminal summary.
_SKIP_REASONS: set[str] = set()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(what: str) -> NoReturn:
    """Missing prerequisites: a hard failure in CI, a loud skip elsewhere."""
    if _in_ci():
        pytest.fail(f"CI is set and the e2e prerequisites are missing: {what}", pytrace=False)
    reason = f"E2E SKIPPED: {what}"
    _SKIP_REASONS.add(reason)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Anything under tests/e2e or using the cluster is e2e, so `-m "not e2e"` is reliable.
    for item in items:
        path = Path(str(item.path)).resolve()
        fixtures = getattr(item, "fixturenames", ())
        if E2E_DIR in path.parents or {"control_plane_assets", "run_plugin"} & set(fixtures):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for reason in sorted(_SKIP_REASONS):
        terminalreporter.write_sep("!", "end-to-end tests did not run", red=True, bold=True)
        terminalreporter.write_line(reason, red=True, bold=True)


@pytest.fixture(scope="session")
def control_plane_assets() -> Path:
    """The folder with kube-apiserver and etcd (fails in CI, skips elsewhere, if absent)."""
    try:
        return find_assets()
    except AssetsNotFoundError as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def control_plane(control_plane_assets: Path) -> Iterator[ControlPlane]:
    """One etcd + kube-apiserver for the whole session, stopped at the end whatever happens."""
    # A SIGTERM (e.g. a CI timeout) would end Python without teardown; as an interrupt,
    # pytest still runs the finalizer below.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    cp = ControlPlane(assets_dir=control_plane_assets)
    try:
        cp.start()  # stops itself if startup fails
        yield cp
    finally:
        cp.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def cluster(control_plane: ControlPlane) -> Iterator[Cluster]:
    c = control_plane.cluster()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> str:
    """A fresh namespace per test (never deleted: namespaces cannot finish deleting here)."""
    return cluster.create_namespace(dns_label(request.node.name, max_len=40))


@pytest.fixture(scope="session")
def kubeconfig(control_plane: ControlPlane) -> Path:
    """The admin kubeconfig."""
    return control_plane.kubeconfig("admin")


class PluginRunner:
    """Runs `kubectl pullsecret ARGS...` through kubectl's own plugin discovery.

    `plugin_dir` (the venv's scripts folder by default) goes first on PATH; tests may point
    it elsewhere. KUBECONFIG defaults to the admin kubeconfig, resolved only when needed.
    """

    def __init__(self, default_kubeconfig: Callable[[], Path]) -> None:
        self.plugin_dir = Path(sysconfig.get_path("scripts"))
        self.timeout = PLUGIN_TIMEOUT_S
        self._default_kubeconfig = default_kubeconfig

    def env(
        self, kubeconfig: Path | str | None = None, extra: Mapping[str, str | None] | None = None
    ) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(self.plugin_dir), env.get("PATH", os.defpath)])
        env["KUBECONFIG"] = str(kubeconfig or self._default_kubeconfig())
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(
        self,
        *args: str,
        kubeconfig: Path | str | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        if not (self.plugin_dir / PLUGIN).exists():
            pytest.fail(
                f"{PLUGIN} is not installed in {self.plugin_dir}; run: "
                f"{Path(sys.executable).parent / 'pip'} install -e .",
                pytrace=False,
            )
        full_env = self.env(kubeconfig, env)
        kubectl = shutil.which("kubectl", path=full_env["PATH"])
        if kubectl is None:
            _unavailable("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
        return subprocess.run(
            [kubectl, "pullsecret", *args],
            env=full_env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout or self.timeout,
            check=False,
        )


@pytest.fixture
def run_plugin(request: pytest.FixtureRequest) -> PluginRunner:
    return PluginRunner(lambda: request.getfixturevalue("kubeconfig"))

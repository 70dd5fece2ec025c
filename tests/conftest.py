"""Fixtures for the tests against real parts: a kube-apiserver and etcd (tests/support/
control_plane.py), registries (tests/support/registries.py), and the plugin run through kubectl.

Everything is lazy: only tests that request `control_plane` (directly or through `cluster`,
`namespace`, `kubeconfig` or `run_plugin` without an explicit kubeconfig) start the cluster,
so unit tests run without binaries.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.control_plane import (
    AssetsNotFoundError,
    Cluster,
    ControlPlane,
    dns_label,
    find_assets,
)
from tests.support.plugin import SKIP_REASONS, PluginRunner, unavailable

pytest_plugins = ["tests.support.registry_fixtures", "tests.support.node_fixtures"]

# Fixtures that start real servers: a test that uses one is end-to-end (`-m "not e2e"`).
_REAL_PARTS = {"control_plane_assets", "run_plugin", "registry_tools", "node"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL_PARTS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SKIP_REASONS:
        terminalreporter.write_sep("!", "tests against real parts did not run", red=True, bold=True)
    for reason in sorted(SKIP_REASONS):
        terminalreporter.write_line(reason, red=True, bold=True)


def stop_on_sigterm() -> object:
    """A SIGTERM (e.g. a CI timeout) would end Python without teardown; as an interrupt,
    pytest still runs the finalizers. Returns the previous handler for restore_sigterm."""
    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGTERM, signal.default_int_handler)
    return None


def restore_sigterm(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def control_plane_assets() -> Path:
    """The folder with kube-apiserver and etcd (fails in CI, skips elsewhere, if absent)."""
    try:
        return find_assets()
    except AssetsNotFoundError as exc:
        unavailable(str(exc))


@pytest.fixture(scope="session")
def control_plane(control_plane_assets: Path) -> Iterator[ControlPlane]:
    """One etcd + kube-apiserver for the whole session, stopped at the end whatever happens."""
    previous = stop_on_sigterm()
    cp = ControlPlane(assets_dir=control_plane_assets)
    try:
        cp.start()  # stops itself if startup fails
        yield cp
    finally:
        cp.stop()
        restore_sigterm(previous)


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


@pytest.fixture
def run_plugin(request: pytest.FixtureRequest) -> PluginRunner:
    return PluginRunner(lambda: request.getfixturevalue("kubeconfig"))

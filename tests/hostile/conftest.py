"""Fixtures for the hostile-input suite.

The suite starts its own control plane (once per session, only when a test needs it) because
it needs what the shared one lacks: a user for each resource the plugin reads that may read
everything but that resource (token users must be known before the apiserver starts), and the
EphemeralContainers feature gate of 1.20, so that ephemeral containers can be created for real.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.control_plane import READ_VERBS, Cluster, ControlPlane, dns_label
from tests.support.plugin import PluginRunner

# The resources the plugin reads; user "no-<resource>" may read every one of them but that.
RESOURCES = ("pods", "events", "secrets", "serviceaccounts", "namespaces")
RESTRICTED_USERS = {f"no-{r}": r for r in RESOURCES}


@pytest.fixture(scope="session")
def hostile_plane(control_plane_assets: Path) -> Iterator[ControlPlane]:
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    cp = ControlPlane(
        assets_dir=control_plane_assets,
        users={user: [] for user in RESTRICTED_USERS},
        extra_apiserver_args=["--feature-gates=EphemeralContainers=true"],
    )
    try:
        cp.start()
        admin = cp.cluster()
        try:
            for user, denied in RESTRICTED_USERS.items():
                allowed = [r for r in RESOURCES if r != denied]
                admin.grant(user, [{"apiGroups": [""], "resources": allowed, "verbs": READ_VERBS}])
        finally:
            admin.close()
        yield cp
    finally:
        cp.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def hcluster(hostile_plane: ControlPlane) -> Iterator[Cluster]:
    c = hostile_plane.cluster()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def hns(hcluster: Cluster, request: pytest.FixtureRequest) -> str:
    """A fresh namespace in the hostile control plane."""
    return hcluster.create_namespace(dns_label(request.node.name, max_len=40))


@pytest.fixture
def hrun(hostile_plane: ControlPlane, run_plugin: PluginRunner) -> PluginRunner:
    """`kubectl pullsecret ...` with the hostile control plane's admin kubeconfig."""
    runner = PluginRunner(lambda: hostile_plane.kubeconfig("admin"))
    runner.plugin_dir = run_plugin.plugin_dir
    return runner

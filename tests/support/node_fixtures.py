"""Fixtures for the real node (tests/support/node.py), started once per session.

`node` is the kubelet + containerd node with its control plane and registries; `node_plugin`
runs `kubectl pullsecret ...` through kubectl's plugin discovery inside the node's network
namespace. A machine that lacks what a node needs follows support.plugin.unavailable (a
failure in CI, a loud skip elsewhere); a node that has what it needs and still fails to start,
or leaves anything behind when it stops, is a failure everywhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from tests.support.control_plane import AssetsNotFoundError, find_assets
from tests.support.node import Node, missing_prerequisites
from tests.support.plugin import PluginRunner, unavailable


def node_assets() -> Node:
    """A Node ready to start, or unavailable() naming what the machine lacks."""
    try:
        assets = find_assets()
    except AssetsNotFoundError as exc:
        unavailable(str(exc))
    missing = missing_prerequisites(assets)
    if missing:
        unavailable("a real node needs " + "; ".join(missing))
    return Node(assets_dir=assets)


@pytest.fixture(scope="session")
def node() -> Iterator[Node]:
    """One node for the whole session. Its stop must leave nothing behind."""
    started = node_assets()
    # A SIGTERM (a CI timeout) would end Python without teardown; as an interrupt, the
    # finalizer below still stops the node.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        started.start()
        yield started
    finally:
        leftovers = started.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    assert not leftovers, f"the node left traces behind: {leftovers}"


@pytest.fixture(scope="session")
def node_plugin(node: Node) -> PluginRunner:
    """`kubectl pullsecret ...` inside the node's network namespace, as its admin."""
    return PluginRunner(lambda: node.kubeconfig, prefix=node.prefix)

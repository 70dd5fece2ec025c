"""Fixtures for the real nodes (tests/support/node.py), one at a time, each once per session.

`node` is parametrized over the releases in tests/support/node_versions.py ("1.20", then the
current one): every test that uses it runs on each node, and pytest groups the tests by node,
so one node runs at a time. A module about what only a current kubelet does pins it:
`pytestmark = pytest.mark.parametrize("node", [CURRENT], indirect=True)`.

`node_plugin` runs `kubectl pullsecret ...` through kubectl's plugin discovery inside the
node's network namespace. A machine that lacks what a node needs follows
support.plugin.unavailable (a failure in CI, a loud skip elsewhere); a node that has what it
needs and still fails to start, or leaves anything behind when it stops, is a failure
everywhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from tests.support.node import Node, missing_prerequisites
from tests.support.node_config import KubeletSettings
from tests.support.node_versions import NodeRelease, current_release, legacy_release
from tests.support.plugin import PluginRunner, unavailable

# The scenarios start some twenty pulls at once; a current kubelet's are fast enough that its
# default pull throttle (registryPullQPS 5, burst 10) refuses some (`pull QPS exceeded`) and
# retries them later, which would make every scenario's first error a matter of timing. The
# suite's nodes pull unthrottled (0: no limit); the throttle has a scenario of its own.
SUITE_SETTINGS = KubeletSettings(registry_pull_qps=0)

LEGACY = legacy_release().name
CURRENT = current_release().name
RELEASES = (LEGACY, CURRENT)


def release_named(name: str) -> NodeRelease:
    return next(r for r in (legacy_release(), current_release()) if r.name == name)


def node_for(name: str) -> Node:
    """A Node of that release ready to start, or unavailable() naming what the machine lacks."""
    release = release_named(name)
    missing = missing_prerequisites(release)
    if missing:
        unavailable(f"a real node ({release}) needs " + "; ".join(missing))
    return Node(release, kubelet_settings=SUITE_SETTINGS)


@pytest.fixture(scope="session", params=RELEASES)
def node(request: pytest.FixtureRequest) -> Iterator[Node]:
    """One node per release for the whole session. Its stop must leave nothing behind."""
    started = node_for(request.param)
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

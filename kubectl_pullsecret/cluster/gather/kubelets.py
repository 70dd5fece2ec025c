"""Which kubelet each verdict assumes, read once per run: a node's (its nodeInfo), else the API
server's version (a kubelet is never newer than its API server)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient, core_path
from kubectl_pullsecret.cluster.errors import ApiStatusError, Forbidden
from kubectl_pullsecret.cluster.gather.batch import BULK_THRESHOLD, at_once, key_of
from kubectl_pullsecret.kubelet.versions import KubeletRules, rules_for


class Kubelets:
    """The kubelets of a cluster's run (`reader.kubelets`); `warn` says, once, what could not
    be read."""

    def __init__(self, client: KubeClient, warn: Callable[[str], None]) -> None:
        self.client = client
        self.warn = warn
        self._server: KubeletRules | None = None
        self._nodes: dict[str, KubeletRules] = {}
        self._images: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def server(self) -> KubeletRules:
        """Rules from the API server's version (one request), for what runs on no node yet."""
        with self._lock:  # node lookups run several at once and may all fall back here
            if self._server is None:
                try:
                    info = self.client.get("/version")
                except ApiStatusError:
                    info = {}
                self._server = rules_for(server_version=info)
        return self._server

    def read_nodes(self, nodes: Iterable[str]) -> None:
        """The rules of these nodes: a GET each, several at once, when few; one list of the
        nodes when many (a Node is a few kB, mostly its image list: a list costs more bytes
        than a few GETs, and far fewer round trips than many)."""
        wanted = sorted({n for n in nodes if n} - self._nodes.keys())
        if len(wanted) > BULK_THRESHOLD:
            try:
                listed = {
                    key_of(node)[1]: node
                    for node in self.client.iterate(core_path("nodes"), {"resourceVersion": "0"})
                    if key_of(node)[1] in wanted
                }
            except Forbidden:
                pass  # one GET each: they may be allowed, and say so when they are not
            else:
                # A node the list lacks is gone: the server's rules, as a GET's 404 would give.
                for name in wanted:
                    self._nodes[name] = self._rules_of(name, listed.get(name, {}))
                return
        at_once(self.of_node, wanted)

    def of_node(self, node: str) -> KubeletRules:
        """The rules of the kubelet and runtime a node reports (status.nodeInfo); the server's
        when the Pod is not scheduled or nodes cannot be read."""
        if not node:
            return self.server()
        if node not in self._nodes:
            try:
                found = self.client.get(core_path("nodes", name=node))
            except Forbidden:
                self.warn(
                    "cannot read nodes (forbidden: get nodes): the verdicts assume the kubelet "
                    "version of the API server"
                )
                found = {}
            except ApiStatusError:
                found = {}
            self._nodes[node] = self._rules_of(node, found)
        return self._nodes[node]

    def images(self, node: str) -> frozenset[str]:
        """The images a node reported it holds (read with its rules; empty when unknown)."""
        return self._images.get(node, frozenset())

    def _rules_of(self, name: str, node: dict[str, Any]) -> KubeletRules:
        status = node.get("status") or {}
        self._images[name] = node_image_names(status)
        info = status.get("nodeInfo") or {}
        kubelet, runtime = info.get("kubeletVersion"), info.get("containerRuntimeVersion")
        return rules_for(kubelet, runtime) if kubelet else self.server()


def node_image_names(status: dict[str, Any]) -> frozenset[str]:
    """Every name of every image in a node's `status.images` (tags and digests, as the runtime
    reports them: `127.0.0.1:5001/team/app:v1`, `docker.io/library/nginx@sha256:...`). The
    kubelet reports at most nodeStatusMaxImages (50 by default, largest first): an image not
    listed may still be there."""
    names: set[str] = set()
    for image in status.get("images") or []:
        if isinstance(image, dict):
            names.update(n for n in image.get("names") or [] if isinstance(n, str))
    return frozenset(names)

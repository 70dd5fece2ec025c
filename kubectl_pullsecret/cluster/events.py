"""The one list of events a diagnosis reads, started before the rest of the plugin loads.

Events have no watch cache: the API server scans etcd for every list, which is the longest wait
of a diagnosis. This module imports nothing heavy, so that the scan runs while the model and
the verdicts are imported.
"""

from __future__ import annotations

import threading
from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient, core_path
from kubectl_pullsecret.cluster.errors import Forbidden

# Pod Warnings that never concern a pull (kubelet, scheduler, node lifecycle), left out on the
# server. A pull's back-off is a Normal `BackOff`; a Warning `BackOff` is a crash loop.
UNRELATED_REASONS = (
    "Unhealthy",
    "BackOff",
    "FailedScheduling",
    "FailedMount",
    "FailedAttachVolume",
    "FailedCreatePodSandBox",
    "FailedKillPod",
    "FailedPreStopHook",
    "FailedPostStartHook",
    "FailedSync",
    "NetworkNotReady",
    "Evicted",
    "ProbeWarning",
    "DNSConfigForming",
    "ExceededGracePeriod",
    "NodeNotReady",
)
# The API server reads etcd `limit` keys at a time and filters them; for a selector that keeps
# few of them, big pages save round trips: 20,000 events list in 0.37 s with 5,000, 0.63 s
# with 500.
SELECTIVE_PAGE_SIZE = 5000
FORBIDDEN = (
    "cannot list events (forbidden): pods that still run despite pull failures, "
    "and FailedToRetrieveImagePullSecret warnings, are not seen"
)


def list_pod_warnings(client: KubeClient, namespace: str | None) -> list[dict[str, Any]] | None:
    """The Pods' Warnings but the unrelated ones; None when listing events is forbidden."""
    unrelated = ",".join(f"reason!={reason}" for reason in UNRELATED_REASONS)
    query = {"fieldSelector": f"involvedObject.kind=Pod,type=Warning,{unrelated}"}
    try:
        return client.list_all(core_path("events", namespace), query, page_size=SELECTIVE_PAGE_SIZE)
    except Forbidden:
        return None


class PodWarnings:
    """`list_pod_warnings`, already on its way. The thread is a daemon: an error elsewhere
    ends the command without waiting for a list nobody will read."""

    def __init__(self, client: KubeClient, namespace: str | None) -> None:
        self.namespace = namespace
        self._events: list[dict[str, Any]] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._list, args=(client,), daemon=True)
        self._thread.start()

    def _list(self, client: KubeClient) -> None:
        try:
            self._events = list_pod_warnings(client, self.namespace)
        except BaseException as exc:  # re-raised in the thread that reads the result
            self._error = exc

    def result(self) -> list[dict[str, Any]] | None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._events

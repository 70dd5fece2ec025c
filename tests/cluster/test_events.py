"""Which events `diagnose` reads, on the real API server: the pull's Warnings, with the common
Warnings that never concern a pull left out by the server's field selector."""

from __future__ import annotations

from typing import Any

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.gather.core import ClusterReader, Scope
from kubectl_pullsecret.cluster.gather.diagnose import DiagnosisReader
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from tests.support.control_plane import Cluster

IMAGE = "private-registry.io/apps/internal-app:1.0"


def test_only_pull_warnings_are_read_and_unrelated_ones_never_leave_the_server(
    cluster: Cluster, namespace: str, kubeconfig: Any
) -> None:
    cluster.create_pod(namespace, "web", [("app", IMAGE)])
    cluster.emit_event(namespace, "web", "Failed", f'Failed to pull image "{IMAGE}": denied')
    cluster.emit_event(namespace, "web", "Pulling", f'Pulling image "{IMAGE}"', type="Normal")
    unrelated = {
        "Unhealthy": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "BackOff": "Back-off restarting failed container",
        "FailedScheduling": "0/3 nodes are available: 3 Insufficient cpu.",
        "FailedMount": 'MountVolume.SetUp failed for volume "cfg"',
    }
    for reason, message in unrelated.items():
        cluster.emit_event(namespace, "web", reason, message)

    client = KubeClient(KubeOptions(kubeconfig=str(kubeconfig)))
    served: list[str] = []
    get = client.get

    def recording_get(*args: Any, **kwargs: Any) -> Any:
        page = get(*args, **kwargs)
        served.extend(item.get("reason", "") for item in page.get("items", []))
        return page

    client.get = recording_get  # type: ignore[method-assign]
    events = DiagnosisReader(ClusterReader(client, Scope(namespace))).pull_events()
    assert [(e["reason"], e["type"]) for e in events] == [("Failed", "Warning")]
    assert served == ["Failed"], "the server should have left out every unrelated Warning"

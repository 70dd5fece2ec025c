"""In-cluster configuration is the fallback when no kubeconfig exists, as in kubectl."""

from pathlib import Path
from urllib.parse import urlparse

import pytest

from kubectl_pullsecret.cluster import client as kube
from kubectl_pullsecret.cluster import kubeconfig
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions

pytestmark = pytest.mark.e2e


def test_in_cluster_fallback(
    control_plane, cluster, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(control_plane.token("admin"))
    (account / "ca.crt").write_bytes(Path(control_plane.ca_file).read_bytes())
    (account / "namespace").write_text(namespace)
    server = urlparse(control_plane.server)
    monkeypatch.setattr(kubeconfig, "SERVICE_ACCOUNT_DIR", account)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", server.hostname or "")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.delenv("KUBECONFIG", raising=False)

    cluster.create_pod(namespace, "web", containers=[("app", "nginx")])
    client = kube.KubeClient(KubeOptions())
    try:
        assert (client.context, client.namespace) == ("in-cluster", namespace)
        pod = client.get(kube.core_path("pods", namespace, "web"))
        assert pod["metadata"]["name"] == "web"
    finally:
        client.close()


def test_no_kubeconfig_and_not_in_a_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeError, match="no kubeconfig found"):
        kube.KubeClient(KubeOptions())

"""What the flags put on the wire, side by side with kubectl: a loopback server records every
request's headers, and the plugin's client and kubectl (`kubectl get --raw`) each send it
the same request with the same flags."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from tests.support.pki import ServerTls
from tests.support.plugin import unavailable

PATH = "/api/v1/namespaces/default/pods"
EMPTY_LIST = json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [], "metadata": {}})


@dataclass
class Recorder:
    url: str
    ca: Path | None
    requests: list[list[tuple[str, str]]] = field(default_factory=list)

    def last(self, prefix: str) -> list[tuple[str, str]]:
        """The last request's headers whose name starts with `prefix`, by name (Go writes them
        sorted); headers of one name keep their order."""
        found = [(k.title(), v) for k, v in self.requests[-1] if k.lower().startswith(prefix)]
        return sorted(found, key=lambda header: header[0])


def serve(tls: ServerTls | None) -> Iterator[Recorder]:
    recorder = Recorder("", tls.ca_cert if tls else None)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.requests.append(list(self.headers.items()))
            body = EMPTY_LIST.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.server_context().wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    recorder.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    # The certificate names localhost only: https://127.0.0.1 needs --tls-server-name.
    tls = ServerTls.create(tmp_path_factory.mktemp("tls"), hosts=("localhost",))
    yield from serve(tls)


@pytest.fixture(scope="module")
def http() -> Iterator[Recorder]:
    yield from serve(None)


@pytest.fixture(autouse=True)
def no_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))


def ours(server: Recorder, **flags: object) -> None:
    client = KubeClient(KubeOptions(server=server.url, **flags))  # type: ignore[arg-type]
    try:
        assert client.get(PATH)["kind"] == "PodList"
    finally:
        client.close()


def kubectls(server: Recorder, *flags: str) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl is not on PATH")
    run = subprocess.run(
        [kubectl, "get", "--raw", PATH, f"--server={server.url}", *flags],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["kind"] == "PodList"


def trusted(server: Recorder) -> dict[str, object]:
    return {"certificate_authority": str(server.ca), "tls_server_name": "localhost"}


def test_impersonation_headers_match_kubectl(https: Recorder) -> None:
    kubectls(
        https,
        f"--certificate-authority={https.ca}",
        "--tls-server-name=localhost",
        "--token=tok-1",
        "--as=jane",
        "--as-group=devs",
        "--as-group=ops",
        "--as-uid=1001",
    )
    sent_by_kubectl = https.last("impersonate-")
    ours(
        https,
        **trusted(https),
        token="tok-1",
        impersonate="jane",
        impersonate_groups=("devs", "ops"),
        impersonate_uid="1001",
    )
    assert https.last("impersonate-") == sent_by_kubectl
    assert sent_by_kubectl == [
        ("Impersonate-Group", "devs"),  # one header per group
        ("Impersonate-Group", "ops"),
        ("Impersonate-Uid", "1001"),
        ("Impersonate-User", "jane"),
    ]
    assert https.last("authorization") == [("Authorization", "Bearer tok-1")]
    # --disable-compression is only accepted: no request asks for a compressed answer.
    assert https.last("accept-encoding") in ([], [("Accept-Encoding", "identity")])


def test_basic_auth_matches_kubectl(https: Recorder) -> None:
    kubectls(
        https,
        f"--certificate-authority={https.ca}",
        "--tls-server-name=localhost",
        "--username=ann",
        "--password=s3cr3t",
    )
    sent_by_kubectl = https.last("authorization")
    ours(https, **trusted(https), username="ann", password="s3cr3t")
    assert https.last("authorization") == sent_by_kubectl
    assert sent_by_kubectl == [
        ("Authorization", "Basic " + base64.b64encode(b"ann:s3cr3t").decode())
    ]


def test_no_credentials_over_plain_http(http: Recorder) -> None:
    kubectls(http, "--token=tok-2", "--as=jane")
    sent_by_kubectl = http.requests[-1]
    ours(http, token="tok-2", impersonate="jane")
    assert (
        http.last("authorization")
        == []
        == [h for h in sent_by_kubectl if h[0].lower() == "authorization"]
    )
    assert http.last("impersonate-") == [("Impersonate-User", "jane")]  # kubectl sends it too
    assert ("Impersonate-User", "jane") in sent_by_kubectl


def test_tls_server_name_and_insecure(https: Recorder) -> None:
    with pytest.raises(KubeError, match="TLS verification failed"):
        ours(https, certificate_authority=str(https.ca))  # 127.0.0.1 is not in the certificate
    ours(https, **trusted(https))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # kubectl does not warn on every request; neither do we
        ours(https, insecure_skip_tls_verify=True)

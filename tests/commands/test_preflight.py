"""`check -f`: manifests checked before they are applied, as kubectl apply -f reads them.

Real parts: the real kube-apiserver for the cluster as a source, the real kubectl (and its
built-in kustomize) for `kustomize build`, Helm's own rendering engine (helm-python-sdk, Helm's
Go SDK behind `helm template`) for charts, real registries for --verify, and junitparser to read
the JUnit report as CI systems do.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.control_plane import Cluster
from tests.support.plugin import PluginRunner
from tests.support.registry_users import ALICE, PRIVATE, TAG, WRONG

Json = dict[str, Any]
IMAGE = "private-registry.io/apps/web:1.0"


def docker_config(server: str, user: str, password: str) -> str:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return json.dumps({"auths": {server: {"username": user, "password": password, "auth": auth}}})


def secret_yaml(
    name: str, server: str, password: str = "Manifest-pw-4d1", ns: str = "", user: str = "robot"
) -> str:
    namespace = f", namespace: {ns}" if ns else ""
    config = docker_config(server, user, password)
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}{namespace}}}\n"
        f"type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{config}'\n"
    )


def deployment_yaml(
    name: str, image: str, secrets: list[str] | None, ns: str = "", sa: str = ""
) -> str:
    namespace = f", namespace: {ns}" if ns else ""
    spec: Json = {"containers": [{"name": "app", "image": image}]}
    if secrets is not None:
        spec["imagePullSecrets"] = [{"name": n} for n in secrets]
    if sa:
        spec["serviceAccountName"] = sa
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}{namespace}}}\nspec:\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n    spec: {json.dumps(spec)}\n"
    )


def check(
    run_plugin: PluginRunner, *args: str, stdin: str | None = None, **kwargs: Any
) -> tuple[subprocess.CompletedProcess[str], Json]:
    result = run_plugin("check", *args, "-o", "json", input=stdin, **kwargs)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def verdicts(doc: Json) -> dict[tuple[str, str], list[tuple[str, str]]]:
    return {
        (i["namespace"], f"{i['owners'][-1]['kind'].lower()}/{i['owners'][-1]['name']}"): [
            (p["code"], p["severity"]) for p in i["problems"] if p["severity"] != "info"
        ]
        for i in doc["items"]
    }


def test_secrets_and_service_accounts_come_from_the_input_then_the_cluster_then_file(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    # In the cluster: a secret the input lacks, and a ServiceAccount that lists it.
    cluster.create_docker_secret(
        namespace, "from-cluster", {"private-registry.io": ("u", "Cluster-pw-77a")}
    )
    cluster.create_service_account(namespace, "builder", image_pull_secrets=["from-cluster"])
    config = tmp_path / "config.json"
    config.write_text(docker_config("private-registry.io", "robot", "File-pw-5e2"))
    manifests = "---\n".join(
        [
            secret_yaml("in-input", "private-registry.io"),
            deployment_yaml("uses-input", IMAGE, ["in-input"]),
            deployment_yaml("uses-cluster", IMAGE, ["from-cluster"]),
            deployment_yaml("uses-account", IMAGE, None, sa="builder"),
            deployment_yaml("uses-file", IMAGE, ["from-file"]),
            deployment_yaml("uses-nothing", IMAGE, ["nowhere"]),
        ]
    )
    result, doc = check(
        run_plugin, "-f", "-", "-n", namespace, "--file", f"from-file={config}", stdin=manifests
    )
    assert result.returncode == 1
    found = verdicts(doc)
    assert found == {
        (namespace, "deployment/uses-input"): [],
        (namespace, "deployment/uses-cluster"): [],
        (namespace, "deployment/uses-account"): [],
        (namespace, "deployment/uses-file"): [],
        (namespace, "deployment/uses-nothing"): [("SecretNotFound", "error")],
    }
    account = next(i for i in doc["items"] if i["owners"][-1]["name"] == "uses-account")
    # Admission copies the ServiceAccount's list into a Pod that has none.
    assert (
        account["secrets"] == ["from-cluster"]
        and account["credentials"][0]["secret"] == "from-cluster"
    )
    for secret in ("Manifest-pw-4d1", "Cluster-pw-77a", "File-pw-5e2"):
        assert secret not in result.stdout + result.stderr


def test_a_secret_in_another_namespace_is_named_with_the_copy_command(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    other = cluster.create_namespace("elsewhere")
    cluster.create_docker_secret(other, "preflight-only-here", {"private-registry.io": ("u", "p")})
    _, doc = check(
        run_plugin,
        "-f",
        "-",
        stdin=deployment_yaml("web", IMAGE, ["preflight-only-here"], ns=namespace),
    )
    (problem,) = [p for p in doc["items"][0]["problems"] if p["code"] == "SecretNotFound"]
    assert f"exists in namespace(s): {other}" in problem["message"]
    assert f"kubectl get secret preflight-only-here -n {other}" in problem["hint"]


class _Listener:
    """A TCP port that counts the connections it is offered and answers none of them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    try:
        yield server
    finally:
        server.close()


CREDENTIAL = json.dumps(
    {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": "exec-token-2f7"},
    }
)


def test_offline_sends_nothing_and_runs_no_credential_plugin(
    run_plugin: PluginRunner, tmp_path: Path, listener: _Listener
) -> None:
    marker = tmp_path / "exec-plugin-ran"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "contexts": [
                    {"name": "c", "context": {"cluster": "c", "user": "u", "namespace": "prod"}}
                ],
                "clusters": [
                    {"name": "c", "cluster": {"server": f"https://127.0.0.1:{listener.port}"}}
                ],
                "users": [
                    {
                        "name": "u",
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "sh",
                                "args": ["-c", f"touch {marker}; echo '{CREDENTIAL}'"],
                            }
                        },
                    }
                ],
            }
        )
    )
    manifest = deployment_yaml("web", IMAGE, ["regcred"])
    result, doc = check(run_plugin, "-f", "-", "--offline", stdin=manifest, kubeconfig=kubeconfig)
    assert result.returncode == 1
    # The namespace is the context's, read from the file alone.
    assert doc["items"][0]["namespace"] == "prod"
    assert (listener.accepted, marker.exists()) == (0, False)
    assert result.stderr == ""

    # Without --offline the same run tries the cluster, says it could not, and goes on.
    result, doc = check(run_plugin, "-f", "-", stdin=manifest, kubeconfig=kubeconfig, timeout=120)
    assert result.returncode == 1 and listener.accepted > 0
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: the cluster is not read (") and "--offline" in warning

    refused = run_plugin(
        "check", "-f", "-", "--offline", "--verify", input=manifest, kubeconfig=kubeconfig
    )
    assert refused.returncode == 2 and "--offline and --verify exclude each other" in refused.stderr


def test_kustomize_build_output(run_plugin: PluginRunner, tmp_path: Path) -> None:
    """`kubectl kustomize` (kustomize built into the real kubectl): its secretGenerator renames
    the secret with a hash and rewrites the template's reference, which must still match."""
    base, overlay = tmp_path / "base", tmp_path / "overlay"
    base.mkdir()
    overlay.mkdir()
    (base / "deployment.yaml").write_text(
        deployment_yaml("web", "private-registry.io/apps/web", ["regcred"])
    )
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (overlay / ".dockerconfigjson").write_text(
        docker_config("private-registry.io", "robot", "Kustomize-pw-1c9")
    )
    (overlay / "kustomization.yaml").write_text(
        textwrap.dedent(
            """\
            namespace: prod
            resources: [../base]
            images: [{name: private-registry.io/apps/web, newTag: "2.1"}]
            secretGenerator:
            - name: regcred
              type: kubernetes.io/dockerconfigjson
              files: [.dockerconfigjson]
            """
        )
    )
    kubectl = shutil.which("kubectl", path=run_plugin.env()["PATH"])
    assert kubectl is not None
    built = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True
    )
    assert "regcred-" in built.stdout  # the generated name carries the content hash
    result, doc = check(run_plugin, "-f", "-", "--offline", stdin=built.stdout)
    assert result.returncode == 0, result.stdout
    (item,) = doc["items"]
    assert item["namespace"] == "prod" and item["image"] == "private-registry.io/apps/web:2.1"
    assert item["credentials"][0]["secret"].startswith("regcred-")
    assert "Kustomize-pw-1c9" not in result.stdout


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": textwrap.dedent(
        """\
        image: {repository: private-registry.io/apps/shop, tag: "3.0"}
        registry: {server: private-registry.io, username: robot, password: Helm-pw-8b3}
        imagePullSecrets: [{name: shop-pull}]
        serviceAccount: {create: true, name: shop}
        """
    ),
    "templates/_helpers.tpl": '{{- define "shop.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end }}\n',
    "templates/secret.yaml": textwrap.dedent(
        """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: shop-pull
        type: kubernetes.io/dockerconfigjson
        data:
          .dockerconfigjson: {{ printf "{\\"auths\\":{\\"%s\\":{\\"username\\":\\"%s\\",\\"password\\":\\"%s\\"}}}" .Values.registry.server .Values.registry.username .Values.registry.password | b64enc }}
        """
    ),
    "templates/serviceaccount.yaml": textwrap.dedent(
        """\
        {{- if .Values.serviceAccount.create }}
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: {{ .Values.serviceAccount.name }}
        {{- end }}
        """
    ),
    "templates/deployment.yaml": textwrap.dedent(
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "shop.fullname" . }}
        spec:
          selector: {matchLabels: {app: shop}}
          template:
            metadata: {labels: {app: shop}}
            spec:
              serviceAccountName: {{ .Values.serviceAccount.name }}
              {{- with .Values.imagePullSecrets }}
              imagePullSecrets:
                {{- toYaml . | nindent 8 }}
              {{- end }}
              containers:
              - name: shop
                image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        """
    ),
}


def helm_template(chart_dir: Path, release: str, namespace: str, values: Json | None = None) -> str:
    """What `helm template` prints: each rendered manifest after `---` and a `# Source:` line
    (helm/helm pkg/action/action.go renderResources: "---\\n# Source: %s\\n%s\\n"), rendered by
    Helm's own engine."""
    helm = (
        pytest.importorskip("helm_python")
        if not os.environ.get("CI")
        else __import__("helm_python")
    )
    rendered = helm.Chart.load(chart_dir).render(values, name=release, namespace=namespace)
    return "".join(
        f"---\n# Source: {path}\n{content}\n"
        for path, content in sorted(rendered.items())
        if content.strip() and not path.endswith("NOTES.txt")
    )


def test_helm_template_output(run_plugin: PluginRunner, tmp_path: Path) -> None:
    chart = tmp_path / "shop"
    for path, text in CHART.items():
        (chart / path).parent.mkdir(parents=True, exist_ok=True)
        (chart / path).write_text(text)
    good = helm_template(chart, "web", "shop")
    assert "# Source: shop/templates/deployment.yaml" in good
    result, doc = check(run_plugin, "-f", "-", "--offline", stdin=good)
    assert result.returncode == 0, result.stdout
    (item,) = doc["items"]
    assert (item["namespace"], item["owners"][-1]["name"], item["serviceAccount"]) == (
        "default",
        "web-shop",
        "shop",
    )
    assert item["credentials"] == [
        {"secret": "shop-pull", "key": "private-registry.io", "username": "robot"}
    ]
    assert "Helm-pw-8b3" not in result.stdout

    # The same chart with a values typo: the template names a secret the chart does not make.
    typo = helm_template(chart, "web", "shop", {"imagePullSecrets": [{"name": "shop-pul"}]})
    result, doc = check(run_plugin, "-f", "-", "--offline", stdin=typo)
    assert result.returncode == 1
    assert verdicts(doc)[("default", "deployment/web-shop")] == [("SecretNotFound", "error")]


def test_junit_for_ci(run_plugin: PluginRunner, tmp_path: Path) -> None:
    junitparser = (
        pytest.importorskip("junitparser")
        if not os.environ.get("CI")
        else __import__("junitparser")
    )
    folder = tmp_path / "manifests"
    (folder / "apps").mkdir(parents=True)
    (folder / "secret.yaml").write_text(secret_yaml("regcred", "private-registry.io"))
    (folder / "apps" / "ok.yaml").write_text(deployment_yaml("ok", IMAGE, ["regcred"]))
    (folder / "apps" / "broken.json").write_text(
        json.dumps(
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "nightly"},
                "spec": {
                    "schedule": "0 3 * * *",
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "imagePullSecrets": [{"name": "gone"}],
                                    "containers": [
                                        {
                                            "name": "job",
                                            "image": "private-registry.io/jobs/nightly:2",
                                        }
                                    ],
                                }
                            }
                        }
                    },
                },
            }
        )
    )
    result = run_plugin("check", "-f", str(folder), "-R", "--offline", "-o", "junit")
    assert result.returncode == 1, result.stderr
    report = tmp_path / "report.xml"
    report.write_text(result.stdout)
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = {(case.classname, case.name): case for suite in suites for case in suite}
    assert set(cases) == {
        ("default/deployment/ok", f"app {IMAGE}"),
        ("default/cronjob/nightly", "job private-registry.io/jobs/nightly:2"),
    }
    assert cases[("default/deployment/ok", f"app {IMAGE}")].is_passed
    (failure,) = cases[("default/cronjob/nightly", "job private-registry.io/jobs/nightly:2")].result
    assert failure.type == "SecretNotFound" and "does not exist" in failure.message
    # Without -R the subfolder is not read: the report then has no test case at all.
    flat = run_plugin("check", "-f", str(folder), "--offline", "-o", "json")
    assert json.loads(flat.stdout)["items"] == []


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "no Kubernetes objects in the input"),
        (
            "a: [1, 2\n",
            "no Kubernetes objects in the input (1 document skipped: standard input: not YAML",
        ),
    ],
)
def test_nothing_to_check_is_an_error(run_plugin: PluginRunner, stdin: str, message: str) -> None:
    result = run_plugin("check", "-f", "-", "--offline", input=stdin)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {message}")


def test_bad_documents_are_warnings_and_the_rest_is_checked(run_plugin: PluginRunner) -> None:
    manifests = "---\n".join(
        [
            "a: [1, 2\n",
            "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: empty}\nspec: {template: {spec: {containers: []}}}\n",
            deployment_yaml("web", "nginx:1.25", None),
        ]
    )
    result, doc = check(run_plugin, "-f", "-", "--offline", stdin=manifests)
    assert result.returncode == 0
    assert [i["owners"][-1]["name"] for i in doc["items"]] == ["web"]
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith("warning: standard input (document 1): not YAML")
    assert warnings[1] == (
        "warning: standard input (document 2): kind Gadget (example.com/v1) is not one this tool "
        "reads; if it runs Pods, check the workloads it creates"
    )
    assert warnings[2] == "warning: standard input (document 3): deployment/empty has no containers"
    assert len(doc["warnings"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nginx", "-f", "-"], "give an IMAGE, or manifests with -f PATH, not both"),
        ([], "give an IMAGE, or manifests with -f PATH"),
        (["-f", "-", "--secret", "x"], "--secret goes with IMAGE"),
        (["nginx", "-o", "junit"], "-o junit, -R and --offline go with -f"),
        (
            ["-f", "/nonexistent/x.yaml", "--offline"],
            "-f /nonexistent/x.yaml: no such file or folder",
        ),
    ],
)
def test_usage_errors(run_plugin: PluginRunner, args: list[str], message: str) -> None:
    result = run_plugin("check", *args, input="")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert message in line


def test_verify_checks_the_manifests_credentials_live(
    run_plugin: PluginRunner, registries: Any, pki: Any, namespace: str
) -> None:
    registry = registries.token_tls.hostport
    image = f"{registry}/{PRIVATE}:{TAG}"
    manifests = "---\n".join(
        [
            secret_yaml("good", registry, ALICE[1], user=ALICE[0]),
            secret_yaml("wrong", registry, WRONG, user=ALICE[0]),
            deployment_yaml("good", image, ["good"]),
            deployment_yaml("wrong", image, ["wrong"]),
        ]
    )
    result, doc = check(
        run_plugin,
        "-f",
        "-",
        "-n",
        namespace,
        "--verify",
        "--registry-ca",
        str(pki.ca_cert),
        stdin=manifests,
    )
    assert result.returncode == 1
    by_name = {
        i["owners"][-1]["name"]: [(p["code"], p["severity"]) for p in i["problems"]]
        for i in doc["items"]
    }
    assert by_name["good"] == [("CredentialsValid", "info")]
    assert ("CredentialsRejected", "error") in by_name["wrong"]
    for secret in (ALICE[1], WRONG):
        assert secret not in result.stdout + result.stderr

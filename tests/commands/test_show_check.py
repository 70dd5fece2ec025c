"""`kubectl pullsecret show` and `check` end to end, against cluster secrets and local files."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.support.control_plane import DOCKERCFG, Cluster

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of a plain table: the first line is the header, cut at its column starts."""
    lines = text.split("\n\n", 1)[0].splitlines()
    if not lines:
        return []
    columns = list(re.finditer(r"\S+(?: \S+)*", lines[0]))
    starts: list[int | None] = [m.start() for m in columns] + [None]
    return [
        {m.group(): line[starts[i] : starts[i + 1]].strip() for i, m in enumerate(columns)}
        for line in lines[1:]
    ]


def table_after(text: str, header_start: str) -> list[dict[str, str]]:
    """The table whose header line starts with `header_start`."""
    at = text.index(header_start)
    return parse_table(text[at:])


def clean(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stderr + r.stdout, r.stderr


def kubectl(run: PluginRunner, *args: str) -> subprocess.CompletedProcess[str]:
    env = run.env()
    exe = shutil.which("kubectl", path=env["PATH"])
    if exe is None:
        pytest.skip("kubectl is not on PATH")
    return subprocess.run(
        [exe, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---------------------------------------------------------------------------------------------
# show SECRET


def test_show_secret(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    ns = namespace
    password = "show-Pa55word-x9"
    r = kubectl(
        run_plugin,
        "create",
        "secret",
        "docker-registry",
        "regcred",
        "--docker-server=private-registry.io",
        "--docker-username=deployer",
        f"--docker-password={password}",
        "--docker-email=ops@example.com",
        "-n",
        ns,
    )
    assert r.returncode == 0, r.stderr
    cluster.create_pod(
        ns,
        "nginx-pod",
        containers=[("app", "private-registry.io/apps/internal-app")],
        image_pull_secrets=["regcred"],
    )
    cluster.create_pod(ns, "unrelated", image_pull_secrets=["other"])
    cluster.create_service_account(ns, "builder", image_pull_secrets=["regcred"])

    table = run_plugin("show", "regcred", "-n", ns)
    clean(table)
    assert table.returncode == 0, table.stderr
    head = table.stdout.split("\n\n", 1)[0].splitlines()
    assert head == [
        f"Secret:     {ns}/regcred",
        "Type:       kubernetes.io/dockerconfigjson",
        "Data key:   .dockerconfigjson",
        "Used by:    pod/nginx-pod, serviceaccount/builder",
    ]
    rows = table_after(table.stdout, "KEY ")
    assert rows == [
        {
            "KEY": "private-registry.io",
            "KUBELET KEY": "private-registry.io",
            "USERNAME": "deployer",
            "EMAIL": "ops@example.com",
            "PASSWORD": f"<redacted> ({len(password)} chars)",
            "AUTH": "agrees",
            "EXPIRES": "-",  # an ordinary password says nothing of its end
        }
    ]
    assert "Problems:" not in table.stdout

    as_json = run_plugin("show", "regcred", "-n", ns, "-o", "json")
    clean(as_json)
    assert as_json.returncode == 0
    doc = json.loads(as_json.stdout)
    assert doc["kind"] == "PullSecret"
    assert (doc["namespace"], doc["name"]) == (ns, "regcred")
    assert (doc["type"], doc["dataKey"]) == ("kubernetes.io/dockerconfigjson", ".dockerconfigjson")
    assert doc["entries"] == [
        {
            "key": "private-registry.io",
            "registry": "private-registry.io",
            "username": "deployer",
            "email": "ops@example.com",
            "password": "<redacted>",
            "passwordLength": len(password),
            "auth": "agrees",
            "expires": None,
        }
    ]
    assert doc["problems"] == []
    assert doc["usedBy"] == ["pod/nginx-pod", "serviceaccount/builder"]
    for out in (table.stdout, as_json.stdout, table.stderr, as_json.stderr):
        assert password not in out
        assert b64(f"deployer:{password}") not in out

    as_yaml = run_plugin("show", "regcred", "-n", ns, "-o", "yaml")
    assert as_yaml.returncode == 0
    assert yaml.safe_load(as_yaml.stdout) == doc

    revealed = run_plugin("show", "regcred", "-n", ns, "--reveal", "-o", "json")
    assert revealed.returncode == 0
    assert json.loads(revealed.stdout)["entries"][0]["password"] == password


def test_show_secret_with_problems(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "trap", {"https://index.docker.io/v1": ("jane", "pw-trap-1")})
    cluster.create_docker_secret(ns, "broken", {"bad.example.com": {"auth": "%%%"}})

    trap = run_plugin("show", "trap", "-n", ns)
    clean(trap)
    assert trap.returncode == 1
    row = table_after(trap.stdout, "KEY ")[0]
    assert (row["KEY"], row["KUBELET KEY"]) == ("https://index.docker.io/v1", "index.docker.io/v1")
    assert "Problems:" in trap.stdout and "NoCredentialsForRegistry" in trap.stdout
    doc = json.loads(run_plugin("show", "trap", "-n", ns, "-o", "json").stdout)
    assert [p["code"] for p in doc["problems"]] == ["NoCredentialsForRegistry"]
    assert "trailing slash" in doc["problems"][0]["message"]
    assert doc["problems"][0]["hint"] == "write the key as https://index.docker.io/v1/"

    broken = run_plugin("show", "broken", "-n", ns, "-o", "json")
    clean(broken)
    assert broken.returncode == 1
    doc = json.loads(broken.stdout)
    assert [p["code"] for p in doc["problems"]] == ["SecretMalformed"]
    assert doc["entries"] == []

    missing = run_plugin("show", "nope", "-n", ns)
    clean(missing)
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.splitlines() == [f'error: secret "nope" not found in namespace "{ns}"']


def test_show_inventory(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    other = cluster.create_namespace("inventory-b")
    cluster.create_docker_secret(
        namespace, "alpha", {"quay.io": ("a", "pw-inv-1"), "ghcr.io": ("a", "pw-inv-2")}
    )
    cluster.create_docker_secret(
        namespace, "legacy", {"https://index.docker.io/v1/": ("l", "pw-inv-3")}, type=DOCKERCFG
    )
    cluster.create_docker_secret(other, "beta", {"registry.local:5000": ("b", "pw-inv-4")})
    cluster.rest.post(
        f"/api/v1/namespaces/{namespace}/secrets",
        {"metadata": {"name": "not-a-pull-secret"}, "type": "Opaque", "data": {"x": b64("y")}},
    )

    table = run_plugin("show", "-A")
    clean(table)
    assert table.returncode in (0, 1), table.stderr
    rows = [r for r in parse_table(table.stdout) if r["NAMESPACE"] in (namespace, other)]
    # Sorted by namespace, then name.
    assert rows == sorted(
        [
            {
                "NAMESPACE": namespace,
                "NAME": "alpha",
                "TYPE": "kubernetes.io/dockerconfigjson",
                "REGISTRIES": "quay.io,ghcr.io",
                "USED-BY": "0",
                "PROBLEMS": "-",
            },
            {
                "NAMESPACE": namespace,
                "NAME": "legacy",
                "TYPE": "kubernetes.io/dockercfg",
                "REGISTRIES": "index.docker.io",
                "USED-BY": "0",
                "PROBLEMS": "-",
            },
            {
                "NAMESPACE": other,
                "NAME": "beta",
                "TYPE": "kubernetes.io/dockerconfigjson",
                "REGISTRIES": "registry.local:5000",
                "USED-BY": "0",
                "PROBLEMS": "-",
            },
        ],
        key=lambda r: (r["NAMESPACE"], r["NAME"]),
    )

    as_json = run_plugin("show", "-A", "-o", "json")
    doc = json.loads(as_json.stdout)
    # Other tests' secrets are in scope too: exit 1 exactly when some secret has a problem.
    broken = any(p["severity"] != "info" for i in doc["items"] for p in i["problems"])
    assert as_json.returncode == table.returncode == (1 if broken else 0)
    assert doc["kind"] == "PullSecretList"
    mine = [
        (i["namespace"], i["name"], i["type"])
        for i in doc["items"]
        if i["namespace"] in (namespace, other)
    ]
    assert mine == sorted(
        [
            (namespace, "alpha", "kubernetes.io/dockerconfigjson"),
            (namespace, "legacy", "kubernetes.io/dockercfg"),
            (other, "beta", "kubernetes.io/dockerconfigjson"),
        ]
    )
    for item in doc["items"]:
        for entry in item["entries"]:
            assert entry["password"] == "<redacted>"

    # Without -A: the namespace only.
    scoped = run_plugin("show", "-n", other, "-o", "json")
    assert [(i["namespace"], i["name"]) for i in json.loads(scoped.stdout)["items"]] == [
        (other, "beta")
    ]
    headless = run_plugin("show", "-n", other, "--no-headers")
    assert headless.stdout.split() == [
        other,
        "beta",
        "kubernetes.io/dockerconfigjson",
        "registry.local:5000",
        "0",
        "-",
    ]


def test_show_inventory_used_by_matches_show(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """The inventory's items have the PullSecret shape: their usedBy must be as true as
    `show SECRET`'s (a script pruning secrets with an empty usedBy would delete live ones)."""
    ns = namespace
    cluster.create_docker_secret(ns, "in-use", {"reg.example.com": ("u", "pw-used-1")})
    cluster.create_docker_secret(ns, "unused", {"reg.example.com": ("v", "pw-used-2")})
    cluster.create_pod(ns, "web", image_pull_secrets=["in-use"])
    cluster.create_service_account(ns, "builder", image_pull_secrets=["in-use"])

    single = json.loads(run_plugin("show", "in-use", "-n", ns, "-o", "json").stdout)
    assert single["usedBy"] == ["pod/web", "serviceaccount/builder"]
    listed = run_plugin("show", "-n", ns, "-o", "json")
    clean(listed)
    assert listed.returncode == 0, listed.stderr
    used_by = {i["name"]: i["usedBy"] for i in json.loads(listed.stdout)["items"]}
    assert used_by == {"in-use": ["pod/web", "serviceaccount/builder"], "unused": []}


# ---------------------------------------------------------------------------------------------
# check IMAGE --secret ...


def test_check_secret_order(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "a", {"reg.example.com": ("user-a", "pw-chk-a")})
    cluster.create_docker_secret(ns, "b", {"reg.example.com": ("user-b", "pw-chk-b")})
    image = "reg.example.com/team/app:1"

    for order in (("a", "b"), ("b", "a")):
        args = [arg for name in order for arg in ("--secret", name)]
        table = run_plugin("check", image, *args, "-n", ns)
        clean(table)
        assert table.returncode == 0, table.stderr
        assert table.stdout.startswith(
            f"Image:       {image}\nRepository:  reg.example.com/team/app\nRegistry:    reg.example.com\n"
        )
        rows = table_after(table.stdout, "#")
        assert [(r["#"], r["SOURCE"], r["KEY"], r["USERNAME"]) for r in rows] == [
            (str(i), f"secret/{n}", "reg.example.com", f"user-{n}") for i, n in enumerate(order, 1)
        ]
        doc = json.loads(run_plugin("check", image, *args, "-n", ns, "-o", "json").stdout)
        assert doc["kind"] == "PullSecretCheck"
        assert (doc["image"], doc["repository"], doc["registry"]) == (
            image,
            "reg.example.com/team/app",
            "reg.example.com",
        )
        assert doc["matches"] == [
            {"source": f"secret/{n}", "key": "reg.example.com", "username": f"user-{n}"}
            for n in order
        ]
        assert doc["problems"] == []


def test_check_more_specific_key_comes_first(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """The kubelet's index is sorted in reverse lexical order, whatever the secret order."""
    ns = namespace
    cluster.create_docker_secret(ns, "broad", {"reg.example.com": ("broad", "pw-spec-1")})
    cluster.create_docker_secret(ns, "team", {"reg.example.com/team": ("team", "pw-spec-2")})
    doc = json.loads(
        run_plugin(
            "check",
            "reg.example.com/team/app:1",
            "--secret",
            "broad",
            "--secret",
            "team",
            "-n",
            ns,
            "-o",
            "json",
        ).stdout
    )
    assert [(m["source"], m["key"]) for m in doc["matches"]] == [
        ("secret/team", "reg.example.com/team"),
        ("secret/broad", "reg.example.com"),
    ]
    # A plain string prefix: team matches teamfoo too (TestUrlsMatch).
    doc = json.loads(
        run_plugin(
            "check",
            "reg.example.com/teamfoo/app:1",
            "--secret",
            "broad",
            "--secret",
            "team",
            "-n",
            ns,
            "-o",
            "json",
        ).stdout
    )
    assert [m["source"] for m in doc["matches"]] == ["secret/team", "secret/broad"]


def test_check_missing_and_unmatched(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "quay", {"quay.io": ("q", "pw-um-1")})
    table = run_plugin(
        "check", "ghcr.io/org/app:1", "--secret", "quay", "--secret", "nope", "-n", ns
    )
    clean(table)
    assert table.returncode == 1
    assert "No credential matches" in table.stdout
    assert "SecretNotFound" in table.stdout and "NoCredentialsForRegistry" in table.stdout
    doc = json.loads(
        run_plugin(
            "check",
            "ghcr.io/org/app:1",
            "--secret",
            "quay",
            "--secret",
            "nope",
            "-n",
            ns,
            "-o",
            "json",
        ).stdout
    )
    assert doc["matches"] == []
    assert [p["code"] for p in doc["problems"]] == ["SecretNotFound", "NoCredentialsForRegistry"]
    assert "secret/nope" in doc["problems"][0]["message"]
    assert "quay.io" in doc["problems"][1]["message"]


# ---------------------------------------------------------------------------------------------
# check --file: no cluster at all


def write_files(folder: Path) -> dict[str, Path]:
    config = folder / "config.json"
    config.write_text(
        json.dumps({"auths": {"reg.example.com": {"auth": b64("cfg-user:cfg-Pass-1")}}})
    )
    dockercfg = folder / ".dockercfg"
    dockercfg.write_text(
        json.dumps(
            {
                "https://index.docker.io/v1/": {
                    "auth": b64("hub-user:hub-Pass-1"),
                    "email": "h@example.com",
                }
            }
        )
    )
    payload = json.dumps(
        {
            "auths": {
                "reg.example.com": {
                    "username": "yaml-user",
                    "password": "yaml-Pass-1",
                    "auth": b64("yaml-user:yaml-Pass-1"),
                }
            }
        }
    )
    manifest = folder / "secret.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: shop\n"
        f"type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {b64(payload)}\n"
    )
    return {"config": config, "dockercfg": dockercfg, "manifest": manifest}


def test_check_files_without_a_cluster(run_plugin: PluginRunner, tmp_path: Path) -> None:
    files = write_files(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    no_cluster = {"HOME": str(home), "KUBERNETES_SERVICE_HOST": None}
    missing_kubeconfig = tmp_path / "does-not-exist" / "kubeconfig"
    paths = [str(files["config"]), str(files["manifest"]), str(files["dockercfg"])]
    args = [arg for p in paths for arg in ("--file", p)]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        r = run_plugin("check", *extra, kubeconfig=missing_kubeconfig, env=no_cluster)
        clean(r)
        return r

    private = run("reg.example.com/team/app:1", *args)
    assert private.returncode == 0, private.stderr
    rows = table_after(private.stdout, "#")
    assert [(r["SOURCE"], r["KEY"], r["USERNAME"]) for r in rows] == [
        (paths[0], "reg.example.com", "cfg-user"),
        (paths[1], "reg.example.com", "yaml-user"),
    ]
    doc = json.loads(run("reg.example.com/team/app:1", *args, "-o", "json").stdout)
    assert doc["matches"] == [
        {"source": paths[0], "key": "reg.example.com", "username": "cfg-user"},
        {"source": paths[1], "key": "reg.example.com", "username": "yaml-user"},
    ]

    hub = run("nginx", *args, "-o", "yaml")
    assert hub.returncode == 0
    doc = yaml.safe_load(hub.stdout)
    assert (doc["kind"], doc["repository"]) == ("PullSecretCheck", "docker.io/library/nginx")
    assert doc["matches"] == [
        {"source": paths[2], "key": "index.docker.io", "username": "hub-user"}
    ]

    none = run("quay.io/x/y:1", *args)
    assert none.returncode == 1
    assert "NoCredentialsForRegistry" in none.stdout
    for r in (private, hub, none):
        for secret in ("cfg-Pass-1", "hub-Pass-1", "yaml-Pass-1"):
            assert secret not in r.stdout + r.stderr

    gone = run("nginx", "--file", str(tmp_path / "nope.json"))
    assert gone.returncode == 2
    assert gone.stderr.splitlines() == [
        f"error: cannot read --file {tmp_path / 'nope.json'}: No such file or directory"
    ]


def test_check_an_empty_reference_names_the_kubelets_rule(
    run_plugin: PluginRunner, tmp_path: Path
) -> None:
    """`check ''` is no usage error: an empty reference is an answer, InvalidImageName, and it
    says what the API server and the kubelet (applyDefaultImageTag) make of it."""
    files = write_files(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "KUBERNETES_SERVICE_HOST": None}
    missing_kubeconfig = tmp_path / "none" / "kubeconfig"
    table = run_plugin(
        "check", "", "--file", str(files["config"]), kubeconfig=missing_kubeconfig, env=env
    )
    clean(table)
    assert table.returncode == 1, table.stderr
    assert "InvalidImageName: an empty reference is no image name" in table.stdout
    assert 'couldn\'t parse image name "": invalid reference format' in table.stdout
    assert "applyDefaultImageTag" in table.stdout and "usage" not in table.stderr.lower()
    as_json = run_plugin("check", "", "-o", "json", kubeconfig=missing_kubeconfig, env=env)
    doc = json.loads(as_json.stdout)
    assert (doc["image"], doc["repository"], doc["matches"]) == ("", None, [])
    assert [p["code"] for p in doc["problems"]] == ["InvalidImageName"]

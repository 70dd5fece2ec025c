"""No leak, proven: one test runs every command, every output format, --debug and every error
path it can trigger over a namespace whose secrets hold unique marker passwords and auth
values, and finds none of them, no bearer token of any kubeconfig and no encoded docker config
in any stdout or stderr. `show SECRET --reveal` is the one way to see a password, and it shows
only that secret's.

Every run gets HOME, TMPDIR and a working directory that are empty folders of their own, and
they must still be empty afterwards; every kubeconfig and local config must be unchanged to the
byte: the plugin writes nothing anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.control_plane import DOCKERCFG, OPAQUE, Cluster, ControlPlane
from tests.support.plugin import PluginRunner

from .corpus import IMAGE, REGISTRY, RUNTIME_401, auth, b64
from .faultproxy import Fault, FaultProxy, make_ca_and_cert
from .support import describe, run_cli, write_kubeconfig

pytestmark = pytest.mark.e2e

TAG = secrets.token_hex(4)


def pw(n: int) -> str:
    """A marker password: unique to this run and to its number."""
    return f"Lk{TAG}q{n:02d}Zpw"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Material:
    """Everything that must never be printed, and where it came from (for failure messages)."""

    items: dict[str, str] = field(default_factory=dict)  # value -> description

    def add(self, what: str, *values: str) -> None:
        for value in values:
            assert len(value) >= 8, value
            self.items[value] = what

    def found_in(self, text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
        return [
            f"{what}: {v!r}" for v, what in self.items.items() if v in text and v not in allowed
        ]


@dataclass(frozen=True)
class Run:
    name: str
    args: tuple[str, ...]
    kubeconfig: Path
    reveals: frozenset[str] = frozenset()  # passwords this run must show (show --reveal)


def docker_secret(
    cluster: Cluster,
    material: Material,
    ns: str,
    name: str,
    auths: dict[str, Any],
    type: str = "kubernetes.io/dockerconfigjson",
) -> None:
    """Create the secret and record its passwords, auth values and encoded forms."""
    for key, value in auths.items():
        if isinstance(value, tuple):
            material.add(f"{name}: password under {key!r}", value[1])
            material.add(f"{name}: auth value under {key!r}", auth(*value))
        else:
            for field_name in ("password", "auth"):
                if isinstance(value.get(field_name), str):
                    material.add(f"{name}: {field_name} under {key!r}", value[field_name])
    created = cluster.create_docker_secret(ns, name, auths, type=type)
    key = ".dockercfg" if type == DOCKERCFG else ".dockerconfigjson"
    encoded = created["data"][key]
    material.add(f"{name}: the encoded {key}", encoded)
    material.add(f"{name}: the {key} document", base64.b64decode(encoded).decode())


@dataclass
class Setup:
    ns: str
    material: Material
    admin: Path
    configs: Path
    files: dict[str, Path]
    runs: list[Run]
    proxy: FaultProxy


@pytest.fixture(scope="module")
def setup(
    hostile_plane: ControlPlane, hcluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    material = Material()
    ns = hcluster.create_namespace("leak")
    s = docker_secret
    s(hcluster, material, ns, "s-json", {REGISTRY: ("robot", pw(1))})
    s(
        hcluster,
        material,
        ns,
        "s-differs",
        {REGISTRY: {"username": "written", "password": pw(2), "auth": auth("robot", pw(3))}},
    )
    material.add("s-differs: password inside auth", pw(3))
    s(hcluster, material, ns, "s-cfg", {"other.example.com": ("legacy", pw(4))}, type=DOCKERCFG)
    s(hcluster, material, ns, "s-hub", {"https://index.docker.io/v1/": ("hubuser", pw(5))})
    s(
        hcluster,
        material,
        ns,
        "s-malformed",
        {REGISTRY: {"username": "x", "password": pw(6), "auth": f"{pw(7)}!!not-base64"}},
    )
    s(hcluster, material, ns, "s-opaque", {REGISTRY: ("robot", pw(8))}, type=OPAQUE)
    # A key with userinfo: the kubelet drops it, but it is a password all the same.
    s(
        hcluster,
        material,
        ns,
        "s-userinfo",
        {f"https://robot:{pw(9)}@{REGISTRY}": ("robot", pw(10))},
    )
    material.add("s-userinfo: password inside the key", pw(9))
    s(hcluster, material, ns, "s-nocolon", {REGISTRY: {"auth": b64(f"robot{pw(11)}")}})

    def failing(pod: str, image: str, pull_secrets: list[str]) -> None:
        hcluster.create_pod(ns, pod, [("app", image)], image_pull_secrets=pull_secrets)
        message = f'Back-off pulling image "{image}": ErrImagePull: {RUNTIME_401}'
        hcluster.set_container_waiting(ns, pod, "app", "ImagePullBackOff", message)

    failing("p-main", IMAGE, ["s-json", "s-differs", "s-userinfo"])
    failing("p-cfg", "other.example.com/team/app", ["s-cfg"])
    failing("p-hub", "nginx", ["s-hub"])
    failing("p-malformed", IMAGE, ["s-malformed", "s-json"])
    failing("p-opaque", IMAGE, ["s-opaque"])
    failing("p-missing", IMAGE, ["nope", "s-nocolon"])
    failing("p-wrongkey", "third.example.com/x", ["s-json", "s-userinfo"])
    # A registry error page that echoes what it was sent, as some do.
    hcluster.emit_event(
        ns,
        "p-main",
        "Failed",
        f'Failed to pull image "{IMAGE}": 401 Unauthorized: password={pw(1)} '
        f"Authorization: Basic {auth('robot', pw(1))} https://robot:{pw(1)}@{REGISTRY}/v2/",
        container="app",
    )
    hcluster.patch_service_account_pull_secrets(ns, "default", ["s-json", "s-userinfo"])

    configs = tmp_path_factory.mktemp("leak-configs")
    tokens = hostile_plane.tokens
    for user, token in tokens.items():
        material.add(f"the bearer token of {user}", token)
    bad_token = f"bad{TAG}tokenvalue0123456789"
    material.add("an invalid bearer token", bad_token)

    def kubeconfig(name: str, **kwargs: Any) -> Path:
        kwargs.setdefault("namespace", ns)
        return write_kubeconfig(configs / name, **kwargs)

    server, ca = hostile_plane.server, hostile_plane.ca_file
    admin = kubeconfig("admin", server=server, token=tokens["admin"], ca_file=ca)
    no_secrets = kubeconfig("no-secrets", server=server, token=tokens["no-secrets"], ca_file=ca)
    no_pods = kubeconfig("no-pods", server=server, token=tokens["no-pods"], ca_file=ca)
    invalid = kubeconfig("invalid", server=server, token=bad_token, ca_file=ca)
    other_ca, _, _ = make_ca_and_cert(configs, cn="not-the-cluster")
    wrong_ca = kubeconfig("wrong-ca", server=server, token=tokens["admin"], ca_file=other_ca)
    down = kubeconfig(
        "down", server=f"https://127.0.0.1:{closed_port()}", token=tokens["admin"], ca_file=ca
    )

    proxy = FaultProxy(server, ca, page_limit=2)
    proxy.start()
    proxy.add(
        Fault(
            r"/secrets/s-json$",
            status=422,
            message=f'invalid: {{"auth": "{auth("robot", pw(1))}", "password": "{pw(1)}"}} '
            f"Authorization: Bearer {tokens['admin']}",
        )
    )
    proxy.add(Fault(r"/events$", status=500, message="etcd is down"))
    proxy.add(Fault(r"/pods$", cut_after=40, times=1))
    via_proxy = kubeconfig("proxy", server=proxy.url, token=tokens["admin"], ca_file=proxy.ca_file)

    # Local files for check --file.
    local = tmp_path_factory.mktemp("leak-files")
    port = closed_port()
    docs = {
        "config.json": json.dumps(
            {
                "auths": {
                    REGISTRY: {"auth": auth("local", pw(12))},
                    "https://index.docker.io/v1/": {"username": "u", "password": pw(13)},
                    f"127.0.0.1:{port}": {"auth": auth("verify", pw(17))},
                }
            }
        ),
        "manifest.yaml": yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/dockerconfigjson",
                "stringData": {
                    ".dockerconfigjson": json.dumps(
                        {"auths": {REGISTRY: {"username": "m", "password": pw(14)}}}
                    )
                },
            }
        ),
        "manifest-data.json": json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/dockerconfigjson",
                "data": {
                    ".dockerconfigjson": b64(
                        json.dumps({"auths": {REGISTRY: {"auth": auth("d", pw(15))}}})
                    )
                },
            }
        ),
        "dockercfg": json.dumps({"other.example.com": {"auth": auth("c", pw(16))}}),
    }
    files = {}
    for name, text in docs.items():
        files[name] = local / name
        files[name].write_text(text)
    for n in (12, 13, 14, 15, 16, 17):
        material.add(f"local file password {n}", pw(n))
    for user, n in (("local", 12), ("d", 15), ("c", 16), ("verify", 17)):
        material.add(f"local file auth value {n}", auth(user, pw(n)))
    material.add(
        "the encoded manifest-data config",
        json.loads(docs["manifest-data.json"])["data"][".dockerconfigjson"],
    )

    f = [
        a
        for name in ("config.json", "manifest.yaml", "manifest-data.json", "dockercfg")
        for a in ("--file", str(files[name]))
    ]
    R = Run
    runs = [
        # diagnose, every format
        R("diagnose", ("diagnose", "pod"), admin),
        R("diagnose-wide", ("diagnose", "pod", "-o", "wide"), admin),
        R("diagnose-json", ("diagnose", "pod", "-o", "json"), admin),
        R("diagnose-yaml", ("diagnose", "pod", "-o", "yaml"), admin),
        R("diagnose-no-headers", ("diagnose", "pod", "--no-headers"), admin),
        R("diagnose-debug", ("diagnose", "pod", "--debug"), admin),
        R("diagnose-name", ("diagnose", "pod", "p-main", "-o", "yaml", "--debug"), admin),
        R("diagnose-A", ("diagnose", "pod", "-A", "-o", "json"), admin),
        R("diagnose-wrongkey", ("diagnose", "pod", "p-wrongkey", "-o", "wide"), admin),
        # show, every format, every secret
        R("show", ("show",), admin),
        R("show-json-debug", ("show", "-o", "json", "--debug"), admin),
        R("show-list-reveal", ("show", "--reveal", "-o", "json"), admin),
        R("show-s-json", ("show", "s-json"), admin),
        R("show-s-differs", ("show", "s-differs", "-o", "yaml"), admin),
        R("show-s-cfg", ("show", "s-cfg", "-o", "json"), admin),
        R("show-s-hub", ("show", "s-hub", "--debug"), admin),
        R("show-s-malformed", ("show", "s-malformed", "-o", "json", "--debug"), admin),
        R("show-s-opaque", ("show", "s-opaque"), admin),
        R("show-s-userinfo", ("show", "s-userinfo", "-o", "json"), admin),
        R("show-s-nocolon", ("show", "s-nocolon", "--debug"), admin),
        R("reveal", ("show", "s-json", "--reveal"), admin, frozenset({pw(1)})),
        R("reveal-json", ("show", "s-json", "--reveal", "-o", "json"), admin, frozenset({pw(1)})),
        # check, from the cluster and from files
        R(
            "check-json-debug",
            (
                "check",
                IMAGE,
                "--secret",
                "s-json",
                "--secret",
                "s-differs",
                "-o",
                "json",
                "--debug",
            ),
            admin,
        ),
        R("check-malformed", ("check", IMAGE, "--secret", "s-malformed", "-o", "yaml"), admin),
        R(
            "check-near-miss",
            ("check", "third.example.com/x", "--secret", "s-userinfo", "--secret", "s-cfg"),
            admin,
        ),
        R("check-files", ("check", "nginx", *f, "-o", "json"), admin),
        R("check-files-debug", ("check", IMAGE, *f, "--debug"), admin),
        R(
            "check-verify",
            (
                "check",
                f"127.0.0.1:{port}/team/app",
                "--file",
                str(files["config.json"]),
                "--verify",
                "--insecure-registry",
                f"127.0.0.1:{port}",
                "--request-timeout",
                "2s",
                "--debug",
            ),
            admin,
        ),
        R("version", ("version",), admin),
        R("help", ("--help",), admin),
        # error paths
        R("401", ("diagnose", "pod", "--debug"), invalid),
        R("403-secrets-diagnose", ("diagnose", "pod", "p-main", "--debug"), no_secrets),
        R("403-secrets-show", ("show", "s-json", "--debug"), no_secrets),
        R("403-pods-show", ("show", "s-json", "--debug", "-o", "yaml"), no_pods),
        R("wrong-ca", ("show", "s-json", "--debug"), wrong_ca),
        R("down", ("diagnose", "pod", "--debug", "--request-timeout", "1s"), down),
        R("not-found", ("show", "nope", "--debug"), admin),
        R("usage", ("show", "--bogus"), admin),
        R("bad-timeout", ("show", "--request-timeout", "soon"), admin),
        R("status-echo", ("show", "s-json", "--debug"), via_proxy),
        R(
            "events-500",
            ("diagnose", "pod", "p-main", "--debug", "--request-timeout", "1s"),
            via_proxy,
        ),
        R("cut-list", ("diagnose", "pod", "-o", "json", "--debug"), via_proxy),
    ]
    try:
        yield Setup(ns, material, admin, configs, files, runs, proxy)
    finally:
        proxy.stop()


def digest_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_no_secret_material_reaches_any_stream_or_disk(
    setup: Setup, hrun: PluginRunner, tmp_path: Path
) -> None:
    home, tmp, cwd = tmp_path / "home", tmp_path / "tmp", tmp_path / "cwd"
    for folder in (home, tmp, cwd):
        folder.mkdir()
    env = {
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "XDG_CACHE_HOME": None,
        "XDG_CONFIG_HOME": None,
        "XDG_DATA_HOME": None,
        "XDG_STATE_HOME": None,
    }
    before = {
        "configs": digest_tree(setup.configs),
        "files": digest_tree(setup.files["config.json"].parent),
    }

    def one(run: Run) -> tuple[Run, Any]:
        return run, run_cli(
            hrun, *run.args, kubeconfig=run.kubeconfig, env=env, cwd=cwd, timeout=60
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, setup.runs))

    leaks: list[str] = []
    for run, result in results:
        text = result.stdout + result.stderr
        if "Traceback" in text and "--debug" not in run.args:
            leaks.append(f"{run.name}: a traceback without --debug\n{describe(result)}")
        for found in setup.material.found_in(text, run.reveals):
            leaks.append(f"{run.name} ({' '.join(run.args)[:80]}): {found}")
        for password in run.reveals:
            if password not in result.stdout:
                leaks.append(f"{run.name}: --reveal did not show the password\n{describe(result)}")
    # Sanity: the runs did what they were meant to (a leak test that only sees errors is void).
    by_name = {run.name: result for run, result in results}
    assert "p-main" in by_name["diagnose-json"].stdout, describe(by_name["diagnose-json"])
    assert "s-userinfo" in by_name["show-json-debug"].stdout, describe(by_name["show-json-debug"])
    assert "GET /api/v1" in by_name["show-json-debug"].stderr, describe(by_name["show-json-debug"])
    assert "401" in by_name["401"].stderr and by_name["wrong-ca"].returncode == 2
    assert "index.docker.io" in by_name["check-files"].stdout, describe(by_name["check-files"])
    assert by_name["status-echo"].returncode == 2, describe(by_name["status-echo"])
    assert not leaks, "secret material in the output:\n" + "\n".join(leaks)

    written = [str(p) for folder in (home, tmp, cwd) for p in folder.rglob("*")]
    assert not written, f"the plugin wrote files: {written}"
    assert digest_tree(setup.configs) == before["configs"], "a kubeconfig changed"
    assert digest_tree(setup.files["config.json"].parent) == before["files"], (
        "a local config changed"
    )

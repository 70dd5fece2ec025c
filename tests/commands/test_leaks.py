"""No secret material ever reaches stdout or stderr, whatever the command, format or flag.

The cluster's secrets hold unique marker passwords; every command runs in every output format
(and under --debug, and as a user who may not read secrets), and the outputs are searched for
the markers, the `auth` values, and the docker configs both raw and base64-encoded. Only
`show --reveal` may print a password.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.control_plane import DOCKERCFG, OPAQUE, Cluster, ControlPlane

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

IMAGE = "reg.example.com/team/app:1"


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@dataclass
class Leaky:
    ns: str
    kubeconfig_no_secrets: Path
    files: list[Path]
    markers: dict[str, str]  # secret name -> its marker password
    forbidden: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def leaky(
    control_plane: ControlPlane, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Leaky]:
    ns = cluster.create_namespace("leaks")
    tag = secrets.token_hex(4)
    mark = {
        name: f"MRK{tag}{name.replace('-', '')}"
        for name in ("json", "cfg", "trap", "opaque", "nocolon", "differs", "token", "file")
    }
    forbidden: set[str] = set(mark.values())

    def remember_auth(user: str, password: str) -> str:
        auth = b64(f"{user}:{password}")
        forbidden.update({auth, b64(password)})
        return auth

    cluster.create_docker_secret(
        ns,
        "s-json",
        {
            "reg.example.com": ("alice", mark["json"]),
            "reg2.example.com": {
                "username": "tok",
                "password": mark["token"] + "pw",
                "auth": remember_auth("tok", mark["token"] + "pw"),
                "identitytoken": mark["token"],
            },
        },
    )
    remember_auth("alice", mark["json"])
    cluster.create_docker_secret(
        ns, "s-cfg", {"https://index.docker.io/v1/": ("bob", mark["cfg"])}, type=DOCKERCFG
    )
    remember_auth("bob", mark["cfg"])
    cluster.create_docker_secret(
        ns, "s-trap", {"https://index.docker.io/v1": ("bob", mark["trap"])}
    )
    remember_auth("bob", mark["trap"])
    cluster.create_docker_secret(
        ns, "s-opaque", {"reg.example.com": ("o", mark["opaque"])}, type=OPAQUE
    )
    remember_auth("o", mark["opaque"])
    # auth decodes, but to text without a colon: the kubelet fails the Pod's whole lookup.
    nocolon = b64("carol" + mark["nocolon"])
    forbidden.add(nocolon)
    cluster.create_docker_secret(ns, "s-nocolon", {"bad.example.com": {"auth": nocolon}})
    # auth wins over the username/password written beside it; both passwords are secret.
    cluster.create_docker_secret(
        ns,
        "s-differs",
        {
            "diff.example.com": {
                "username": "dave",
                "password": mark["differs"] + "field",
                "auth": remember_auth("dave", mark["differs"]),
            }
        },
    )
    forbidden.add(mark["differs"] + "field")

    for name in ("s-json", "s-cfg", "s-trap", "s-opaque", "s-nocolon", "s-differs"):
        obj = cluster.rest.get(f"/api/v1/namespaces/{ns}/secrets/{name}")
        for value in obj["data"].values():
            forbidden.add(value)  # the docker config, base64
            forbidden.add(base64.b64decode(value).decode())  # and raw

    def failing(pod: str, containers: list[tuple[str, str]], pull_secrets: list[str]) -> None:
        cluster.create_pod(ns, pod, containers=containers, image_pull_secrets=pull_secrets)
        for name, image in containers:
            host = image.split("/")[0] if "." in image.split("/")[0] else "registry-1.docker.io"
            # A hostile (or careless) runtime message carrying a password in a URL.
            error = (
                f'failed to pull and unpack image "{image}": failed to resolve image: '
                "unexpected status from HEAD request to "
                f"https://alice:{mark['json']}@{host}/v2/x/manifests/1: 401 Unauthorized"
            )
            cluster.simulate_pull_failure(ns, pod, name, image, error)

    failing("p-ok", [("app", IMAGE), ("hub", "nginx")], ["s-json", "s-cfg"])
    failing("p-trap", [("app", "janedoe/app:1")], ["s-trap"])
    failing("p-bad", [("app", "bad.example.com/a:1"), ("other", IMAGE)], ["s-json", "s-nocolon"])
    failing("p-opaque", [("app", IMAGE)], ["s-opaque"])
    failing("p-diff", [("app", "diff.example.com/a:1")], ["s-differs"])
    cluster.create_pod(
        ns, "p-running", containers=[("app", IMAGE)], image_pull_secrets=["s-json", "gone"]
    )
    cluster.set_container_running(ns, "p-running", "app")
    cluster.simulate_missing_pull_secrets(ns, "p-running", ["gone"])

    folder = tmp_path_factory.mktemp("leak-files")
    file_auth = remember_auth("filer", mark["file"])
    config = folder / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "reg.example.com": {"auth": file_auth, "identitytoken": mark["file"] + "id"}
                },
                "credHelpers": {},
            }
        )
    )
    dockercfg = folder / "dockercfg"
    dockercfg.write_text(json.dumps({"https://index.docker.io/v1/": {"auth": file_auth}}))
    payload = json.dumps(
        {
            "auths": {
                "reg.example.com": {
                    "username": "filer",
                    "password": mark["file"],
                    "auth": file_auth,
                }
            }
        }
    )
    manifest = folder / "secret.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {b64(payload)}\n"
    )
    forbidden.update({mark["file"] + "id", b64(payload), payload})

    yield Leaky(
        ns=ns,
        kubeconfig_no_secrets=control_plane.kubeconfig("no-secrets"),
        files=[config, dockercfg, manifest],
        markers=mark,
        forbidden=forbidden,
    )


def commands(leaky: Leaky) -> list[tuple[tuple[str, ...], set[int], bool]]:
    """(args, allowed exit codes, run as the no-secrets user): every command in every format."""
    ns = leaky.ns
    out: list[tuple[tuple[str, ...], set[int], bool]] = []
    diagnose_formats = [
        (),
        ("-o", "wide"),
        ("-o", "json"),
        ("-o", "yaml"),
        ("--no-headers",),
        ("--debug",),
        ("-o", "yaml", "--debug"),
    ]
    for scope in (("-n", ns), ("p-running", "-n", ns)):
        for fmt in diagnose_formats:
            out.append((("diagnose", "pod", *scope, *fmt), {1}, False))
    out.append((("diagnose", "pod", "-A", "-o", "wide"), {1}, False))
    for fmt in [("--debug",), ("-o", "json")]:
        out.append((("diagnose", "pod", "-n", ns, *fmt), {1}, True))

    full = [(), ("-o", "json"), ("-o", "yaml"), ("--debug",)]
    for name in ("s-json", "s-differs", "s-nocolon"):
        for fmt in full:
            out.append((("show", name, "-n", ns, *fmt), {0, 1}, False))
    for name in ("s-cfg", "s-trap", "s-opaque"):
        for fmt in [(), ("-o", "json")]:
            out.append((("show", name, "-n", ns, *fmt), {0, 1}, False))
    for fmt in [*full, ("--no-headers",)]:
        out.append((("show", "-n", ns, *fmt), {1}, False))
    out.append((("show", "-A", "-o", "yaml"), {1}, False))

    secret_args = [a for s in ("s-json", "s-cfg", "s-trap", "s-differs") for a in ("--secret", s)]
    file_args = [a for f in leaky.files for a in ("--file", str(f))]
    for image in (IMAGE, "nginx"):
        for fmt in full:
            out.append((("check", image, *secret_args, "-n", ns, *fmt), {0, 1}, False))
    for fmt in full:
        out.append((("check", IMAGE, *file_args, *fmt), {0}, False))
    out.append((("check", "nginx", *file_args, "-o", "yaml"), {0}, False))
    out.append((("check", IMAGE, "--secret", "s-nocolon", "-n", ns, "--debug"), {1}, False))

    # Error paths, where a traceback (--debug) could carry local variables.
    out.append((("show", "nope", "-n", ns, "--debug"), {2}, False))
    out.append((("show", "s-json", "-n", ns, "--debug"), {2}, True))
    out.append((("diagnose", "pod", "nope", "-n", ns, "--debug"), {2}, False))
    return out


def test_no_secret_material_in_any_output(run_plugin: PluginRunner, leaky: Leaky) -> None:
    cmds = commands(leaky)
    # Resolved here: the runner's lazy fixture lookup must not happen in worker threads.
    admin = run_plugin.env()["KUBECONFIG"]

    def run(cmd: tuple[tuple[str, ...], set[int], bool]) -> subprocess.CompletedProcess[str]:
        args, _, restricted = cmd
        return run_plugin(*args, kubeconfig=leaky.kubeconfig_no_secrets if restricted else admin)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, cmds))

    leaks: list[str] = []
    unexpected: list[str] = []
    for (args, codes, restricted), r in zip(cmds, results, strict=True):
        who = " (as no-secrets)" if restricted else ""
        # --debug prints tracebacks by design (redacted); nothing else may.
        traceback = "Traceback" in r.stderr and "--debug" not in args
        if r.returncode not in codes or traceback or "Traceback" in r.stdout:
            unexpected.append(f"{' '.join(args)}{who}: exit {r.returncode}: {r.stderr[-300:]}")
        for stream, text in (("stdout", r.stdout), ("stderr", r.stderr)):
            found = sorted(s for s in leaky.forbidden if s in text)
            if found:
                leaks.append(f"{' '.join(args)}{who}: {stream} contains {found}")
    assert not leaks, "\n".join(leaks)
    assert not unexpected, "\n".join(unexpected)
    # The scan saw real reports, not just errors.
    assert sum(r.returncode == 1 for r in results) > len(results) // 3


def test_reveal_is_the_only_way(run_plugin: PluginRunner, leaky: Leaky) -> None:
    ns, mark = leaky.ns, leaky.markers
    table = run_plugin("show", "s-json", "-n", ns, "--reveal")
    assert table.returncode == 0, table.stderr
    assert mark["json"] in table.stdout
    assert mark["json"] not in table.stderr
    doc = json.loads(run_plugin("show", "s-json", "-n", ns, "--reveal", "-o", "json").stdout)
    passwords = {e["key"]: e["password"] for e in doc["entries"]}
    assert passwords["reg.example.com"] == mark["json"]
    assert passwords["reg2.example.com"] == mark["token"] + "pw"

    # auth wins: the revealed password is the one inside auth, not the written field.
    doc = json.loads(run_plugin("show", "s-differs", "-n", ns, "--reveal", "-o", "json").stdout)
    assert doc["entries"][0]["password"] == mark["differs"]
    assert doc["entries"][0]["auth"] == "differs"

    # --reveal reveals the password only, never the raw config or the auth value.
    assert b64(f"alice:{mark['json']}") not in table.stdout
    assert not any(s in table.stdout for s in leaky.forbidden if s.startswith("ey"))

"""tests/support/registry_faults.py against a real registry (CNCF distribution) and skopeo,
whose go.podman.io/image is CRI-O's pull code: the front fails as asked, forwards the rest
untouched, and the images fail as a node would meet them. skopeo's own error texts are then
read by the classifier, as CRI-O would pass them to the kubelet."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_pullsecret.kubelet.messages import PullError, classify_pull_error
from tests.support.registries import Pki, Registry, go_architecture, write_oci_layout
from tests.support.registry_faults import (
    RegistryFault,
    RegistryFront,
    other_architecture,
    write_big_layer_image,
    write_platform_index,
)

pytestmark = pytest.mark.e2e

USER = ("fault-user", "fault-Pass-1")


@pytest.fixture
def registry(registry_tools: None, pki: Pki, tmp_path: Path) -> Iterator[Registry]:
    with Registry(tmp_path / "registry", pki=pki, htpasswd_users=dict([USER])) as started:
        started.push(write_oci_layout(tmp_path / "layout", "v1"), "v1", "team/app:v1", USER)
        yield started


def skopeo(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """skopeo with its own home (no user auth file, no registries.conf mirrors)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(workdir), XDG_RUNTIME_DIR=str(workdir), TMPDIR=str(workdir))
    env["REGISTRY_AUTH_FILE"] = str(workdir / "auth.json")
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args], capture_output=True, text=True, env=env, timeout=120
    )


def pull(
    workdir: Path, hostport: str, reference: str = "team/app:v1"
) -> subprocess.CompletedProcess[str]:
    return skopeo(
        workdir,
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        f"{USER[0]}:{USER[1]}",
        f"docker://{hostport}/{reference}",
        f"dir:{workdir / 'out'}",
    )


def test_the_front_forwards_untouched(registry: Registry, tmp_path: Path) -> None:
    with RegistryFront(registry) as front:
        result = pull(tmp_path / "skopeo", front.hostport)
        assert result.returncode == 0, result.stderr
        assert front.seen(r"/manifests/v1$") and front.seen(r"/blobs/sha256:")
        assert all(r.fault == "" for r in front.seen())
    assert (tmp_path / "skopeo" / "out" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (RegistryFault(r"/manifests/", status=503), PullError.REGISTRY_ERROR),
        (RegistryFault(r"/manifests/", status=500), PullError.REGISTRY_ERROR),
        (RegistryFault(r"/blobs/", status=502, method="GET"), PullError.REGISTRY_ERROR),
        (RegistryFault(r"/blobs/", cut_after=16, method="GET"), PullError.DAMAGED),
        (RegistryFault(r"/blobs/", truncate_to=16, method="GET"), PullError.DAMAGED),
    ],
    ids=["manifest-503", "manifest-500", "blob-502", "blob-cut", "blob-truncated"],
)
def test_each_fault_reads_as_its_cause(
    registry: Registry, tmp_path: Path, fault: RegistryFault, expected: PullError
) -> None:
    with RegistryFront(registry, [fault]) as front:
        result = pull(tmp_path / "skopeo", front.hostport)
        assert result.returncode != 0, result.stdout
        assert fault.hits >= 1 and any(r.fault for r in front.seen())
    assert classify_pull_error(result.stderr) is expected, result.stderr


def test_faults_can_change_while_it_runs(registry: Registry, tmp_path: Path) -> None:
    """The lead's node test serves a fault, then lifts it to let the retry pull."""
    with RegistryFront(registry, [RegistryFault(r"/manifests/", status=503)]) as front:
        assert pull(tmp_path / "one", front.hostport).returncode != 0
        front.set_faults()
        assert pull(tmp_path / "two", front.hostport).returncode == 0


def test_an_index_for_another_platform_has_no_manifest_for_this_one(
    registry: Registry, tmp_path: Path
) -> None:
    other = other_architecture()
    assert other != go_architecture()
    layout = write_platform_index(tmp_path / "index", "v1")
    registry.push(layout, "v1", "team/elsewhere:v1", USER, all_platforms=True)
    raw = skopeo(
        tmp_path / "inspect",
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        f"{USER[0]}:{USER[1]}",
        f"docker://{registry.hostport}/team/elsewhere:v1",
    )
    assert raw.returncode == 0, raw.stderr
    index = json.loads(raw.stdout)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"]["architecture"] for m in index["manifests"]] == [other]
    result = pull(tmp_path / "skopeo", registry.hostport, "team/elsewhere:v1")
    assert result.returncode != 0
    assert classify_pull_error(result.stderr) is PullError.NO_PLATFORM, result.stderr


def test_a_big_layer_is_big_on_the_wire_and_the_same_every_time(
    registry: Registry, tmp_path: Path
) -> None:
    size = 4 << 20
    first = write_big_layer_image(tmp_path / "big", "v1", size)
    again = write_big_layer_image(tmp_path / "again", "v1", size)
    assert (first / "index.json").read_text() == (again / "index.json").read_text()
    registry.push(first, "v1", "team/big:v1", USER)
    raw = skopeo(
        tmp_path / "inspect",
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        f"{USER[0]}:{USER[1]}",
        f"docker://{registry.hostport}/team/big:v1",
    )
    assert raw.returncode == 0, raw.stderr
    (layer,) = json.loads(raw.stdout)["layers"]
    assert layer["size"] >= size  # gzip cannot shrink it: it takes that much room on a node
    assert pull(tmp_path / "skopeo", registry.hostport, "team/big:v1").returncode == 0

"""A mask that never points at the password (issue 16).

The secrets' passwords here are also ordinary words of the output: the namespace's name, a
fragment of a Pod's name, a label of a registry host, a fragment of a host label, a username.
Masking them wherever they appear would tell the reader the password (`private-<redacted>.io`).
Every public field must be printed as it is, the only mask is the password column of `show`,
and no credential material (auth values, encoded configs) reaches any output.
"""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.control_plane import Cluster
from tests.support.genuine_texts import refused

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

MASK = "<redacted>"
POD = "c-wrong-password"
APP = "private-registry.io/apps/internal-app:1"
TOOL = "cache.internal.example.com/team/tool:2"


def runtime_401(image: str) -> str:
    return refused(image)


@dataclass
class Masked:
    ns: str
    secrets: dict[str, tuple[str, str, str]]  # name -> (key, username, password)
    material: list[str]  # credential material that must never be printed


@pytest.fixture(scope="module")
def masked(cluster: Cluster) -> Masked:
    ns = cluster.create_namespace("mask")
    secrets = {
        "s-namespace": ("private-registry.io", "alice", ns),
        "s-pod": ("private-registry.io", "bob", "wrong-password"),
        "s-host": ("private-registry.io", "carol", "registry"),
        "s-label": ("cache.internal.example.com", "dave", "internal"),
        "s-user": ("cache.internal.example.com", "robot-user", "robot-user"),
    }
    material: list[str] = []
    for name, (key, user, password) in secrets.items():
        created = cluster.create_docker_secret(ns, name, {key: (user, password)})
        encoded = created["data"][".dockerconfigjson"]
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        material += [encoded, base64.b64decode(encoded).decode(), auth]
    cluster.create_pod(
        ns, POD, containers=[("app", APP), ("tool", TOOL)], image_pull_secrets=list(secrets)
    )
    for container, image in (("app", APP), ("tool", TOOL)):
        cluster.simulate_pull_failure(ns, POD, container, image, runtime_401(image))
    return Masked(ns, secrets, material)


def run(plugin: PluginRunner, *args: str, codes: tuple[int, ...] = (1,)) -> str:
    result: subprocess.CompletedProcess[str] = plugin(*args)
    assert result.returncode in codes, result.stderr
    assert "Traceback" not in result.stderr and MASK not in result.stderr, result.stderr
    return result.stdout


def no_material(text: str, masked: Masked) -> None:
    leaked = [value for value in masked.material if value in text]
    assert not leaked, leaked


def test_diagnose_prints_public_fields_as_they_are(
    run_plugin: PluginRunner, masked: Masked
) -> None:
    ns = masked.ns
    outputs = [run(run_plugin, "diagnose", "pod", "-n", ns, *fmt) for fmt in ((), ("-o", "wide"))]
    document = json.loads(run(run_plugin, "diagnose", "pod", "-n", ns, "-o", "json"))
    for text in [*outputs, json.dumps(document)]:
        assert MASK not in text  # the runtime's quoted message included: it quotes the image
        no_material(text, masked)
    table = outputs[0]
    for public in (ns, POD, APP, TOOL, "private-registry.io", "cache.internal.example.com"):
        assert public in table
    assert "user robot-user" in outputs[0]  # the credentials line names each username

    items = {item["container"]: item for item in document["items"]}
    assert {i["namespace"] for i in items.values()} == {ns}
    assert {i["pod"] for i in items.values()} == {POD}
    assert (items["app"]["image"], items["app"]["registry"]) == (APP, "private-registry.io")
    assert items["app"]["repository"] == "private-registry.io/apps/internal-app"
    assert items["tool"]["registry"] == "cache.internal.example.com"
    assert items["app"]["secrets"] == list(masked.secrets)
    expected = {
        (name, key, user)
        for name, (key, user, _) in masked.secrets.items()
        if key == "private-registry.io"
    }
    assert {(c["secret"], c["key"], c["username"]) for c in items["app"]["credentials"]} == (
        expected
    )
    quoted = " ".join(p["message"] for p in items["app"]["problems"])
    assert f'"{APP}"' in quoted and "https://private-registry.io/v2/apps/internal-app" in quoted


def test_show_masks_the_password_column_only(run_plugin: PluginRunner, masked: Masked) -> None:
    ns = masked.ns
    inventory = json.loads(run(run_plugin, "show", "-n", ns, "-o", "json", codes=(0, 1)))
    entries: list[dict[str, Any]] = [e for item in inventory["items"] for e in item["entries"]]
    assert len(entries) == len(masked.secrets)
    assert all(e["password"] == MASK for e in entries)
    assert json.dumps(inventory).count(MASK) == len(entries)  # nowhere else
    by_name = {item["name"]: item for item in inventory["items"]}
    for name, (key, user, password) in masked.secrets.items():
        (entry,) = by_name[name]["entries"]
        assert (entry["key"], entry["registry"], entry["username"]) == (key, key, user)
        assert entry["passwordLength"] == len(password)
        assert by_name[name]["namespace"] == ns
        assert by_name[name]["usedBy"] == [f"pod/{POD}"]

    listing = run(run_plugin, "show", "-n", ns, codes=(0, 1))
    assert MASK not in listing and ns in listing and "cache.internal.example.com" in listing

    table = run(run_plugin, "show", "s-user", "-n", ns, codes=(0, 1))
    assert table.count(MASK) == 1
    row = next(line for line in table.splitlines() if line.startswith("cache."))
    assert row.split()[:3] == [
        "cache.internal.example.com",
        "cache.internal.example.com",
        "robot-user",
    ]
    assert f"{MASK} (10 chars)" in row
    for text in (json.dumps(inventory), listing, table):
        no_material(text, masked)


def test_check_prints_keys_and_usernames_as_they_are(
    run_plugin: PluginRunner, masked: Masked
) -> None:
    secrets = [arg for name in masked.secrets for arg in ("--secret", name)]
    document = json.loads(
        run(run_plugin, "check", TOOL, *secrets, "-n", masked.ns, "-o", "json", codes=(0, 1))
    )
    assert [(m["key"], m["username"]) for m in document["matches"]] == [
        ("cache.internal.example.com", "dave"),
        ("cache.internal.example.com", "robot-user"),
    ]
    assert document["registry"] == "cache.internal.example.com"
    table = run(run_plugin, "check", TOOL, *secrets, "-n", masked.ns, codes=(0, 1))
    for text in (json.dumps(document), table):
        assert MASK not in text
        no_material(text, masked)

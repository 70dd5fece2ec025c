"""Many clusters at once (issue 22), against three real control planes read together, and
contexts that fail: a server that refuses connections, a token RBAC forbids everything, exec
plugins whose token expired or that cannot log in, and a cluster behind the fault proxy with
300 ms of latency on every request that stalls when told to. The plugin runs through kubectl,
as users run it.

  east   -> the session's control plane, through a recording proxy (100 ms latency), token
  west   -> a second control plane, directly, with a client certificate
  north  -> a third control plane, through a recording proxy (100 ms latency), reached
            through an HTTP CONNECT proxy (the cluster's `proxy-url`), token
  slow   -> the third control plane through the fault proxy: 300 ms on every request
  refused, forbidden, expired, logged-out -> the contexts that fail
"""

from __future__ import annotations

import json
import os
import pty
import re
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.commands.test_workloads import create_deployment, create_replica_set, owner_ref, template
from tests.hostile.faultproxy import Fault, FaultProxy
from tests.support.control_plane import Cluster, ControlPlane, free_port
from tests.support.plugin import PluginRunner
from tests.support.tokens import jwt
from tests.support.tunnel import ConnectProxy

pytestmark = pytest.mark.e2e

Json = dict[str, Any]
REGISTRY = "private-registry.io"
IMAGE = f"{REGISTRY}/shop/payments:1.4"
RUNTIME_401 = (
    f'rpc error: code = Unknown desc = failed to pull and unpack image "{IMAGE}": failed to '
    f'resolve reference "{IMAGE}": failed to authorize: failed to fetch anonymous token: '
    "unexpected status: 401 Unauthorized"
)
HEALTHY = ("east", "west", "north")
LATENCY = 0.1  # on every request to east and north
SLOW_LATENCY = 0.3


@dataclass
class Fleet:
    planes: dict[str, ControlPlane]  # east, west, north
    clusters: dict[str, Cluster]
    recorders: dict[str, FaultProxy]  # east, north: every request they forward
    slow: FaultProxy
    tunnel: ConnectProxy
    kubeconfig: Path
    folder: Path

    def namespace(self, prefix: str) -> str:
        """The same fresh namespace in the three clusters."""
        name = f"{prefix}-{secrets.token_hex(3)}"
        for cluster in self.clusters.values():
            cluster.rest.post("/api/v1/namespaces", {"metadata": {"name": name}})
            cluster.create_service_account(name, "default")
        return name


def _exec_user(folder: Path, name: str, body: str) -> Json:
    helper = folder / name
    helper.write_text(f"#!{sys.executable}\nimport json, sys\n{body}\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": str(helper),
            "interactiveMode": "Never",
        }
    }


def _credential(token: str) -> str:
    status = {"token": token, "expirationTimestamp": "2020-01-01T00:00:00Z"}
    document = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": status,
    }
    return f"print(json.dumps({document!r}))"


@pytest.fixture(scope="module")
def fleet(
    control_plane: ControlPlane,
    control_plane_assets: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Fleet]:
    folder = tmp_path_factory.mktemp("fleet")
    west = ControlPlane(assets_dir=control_plane_assets, users={"nobody": []})
    north = ControlPlane(assets_dir=control_plane_assets)
    started: list[Any] = []  # stopped in reverse order, whatever happens

    def start(part: Any) -> Any:
        started.append(part.start())
        return part

    def proxy(plane: ControlPlane, latency: float) -> FaultProxy:
        proxy = start(FaultProxy(plane.server, plane.ca_file))
        proxy.add(Fault("", delay=latency, name="latency"))
        return proxy

    try:
        planes = {"east": control_plane, "west": start(west), "north": start(north)}
        recorders = {name: proxy(planes[name], LATENCY) for name in ("east", "north")}
        slow = proxy(north, SLOW_LATENCY)
        tunnel = start(ConnectProxy())
        cert, key = west.client_certificate("admin", groups=("system:masters",))

        def cluster(server: str, ca: Path | None, **extra: Any) -> Json:
            return {"server": server, "certificate-authority": str(ca), **extra}

        clusters = {
            "east": cluster(recorders["east"].url, recorders["east"].ca_file),
            "west": cluster(west.server, west.ca_file),
            "north": cluster(
                recorders["north"].url, recorders["north"].ca_file, **{"proxy-url": tunnel.url}
            ),
            "slow": cluster(slow.url, slow.ca_file),
            # A loopback port nobody listens on: the connection is refused.
            "refused": cluster(f"https://127.0.0.1:{free_port()}", control_plane.ca_file),
        }
        users = {
            "east": {"token": control_plane.token("admin")},
            "west": {"client-certificate": str(cert), "client-key": str(key)},
            "north": {"token": north.token("admin")},
            "refused": {"token": "never-sent-anywhere"},
            "forbidden": {"token": west.token("nobody")},
            "expired": _exec_user(
                folder, "stale-token", _credential("expired-" + secrets.token_hex(8))
            ),
            "logged-out": _exec_user(
                folder,
                "no-login",
                "sys.stderr.write('error: the SSO session has expired; run: corp login\\n'); sys.exit(1)",
            ),
        }
        contexts = {
            "east": ("east", "east"),
            "west": ("west", "west"),
            "north": ("north", "north"),
            "slow": ("slow", "north"),
            "refused": ("refused", "refused"),
            "forbidden": ("west", "forbidden"),
            "expired": ("west", "expired"),
            "logged-out": ("east", "logged-out"),
        }
        kubeconfig = folder / "config"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
                    "users": [{"name": n, "user": u} for n, u in users.items()],
                    "contexts": [
                        {"name": n, "context": {"cluster": c, "user": u}}
                        for n, (c, u) in contexts.items()
                    ],
                    "current-context": "east",
                }
            )
        )
        kubeconfig.chmod(0o600)
        yield Fleet(
            planes,
            {name: plane.cluster() for name, plane in planes.items()},
            recorders,
            slow,
            tunnel,
            kubeconfig,
            folder,
        )
    finally:
        for part in reversed(started):
            part.stop()


def failing_deployment(cluster: Cluster, ns: str, name: str, secret: str) -> str:
    """A Deployment whose one Pod cannot pull: its pull secret is missing."""
    deployment = create_deployment(cluster, ns, name, 1, secrets=[secret], image=IMAGE)
    rs = create_replica_set(cluster, ns, f"{name}-5d8f7c9b4", owner=owner_ref(deployment))
    pod = f"{name}-5d8f7c9b4-{secrets.token_hex(2)}"
    cluster.rest.post(
        f"/api/v1/namespaces/{ns}/pods",
        {
            "metadata": {
                "name": pod,
                "namespace": ns,
                "labels": {"app": "web", "pod-template-hash": "5d8f7c9b4"},
                "ownerReferences": [owner_ref(rs)],
            },
            "spec": template(secrets=[secret], image=IMAGE)["spec"],
        },
    )
    cluster.simulate_pull_failure(ns, pod, "app", IMAGE, RUNTIME_401)
    return pod


def run(run_plugin: PluginRunner, fleet: Fleet, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_plugin(*args, kubeconfig=fleet.kubeconfig)
    assert "Traceback" not in result.stderr, result.stderr
    return result


# --- one report ---------------------------------------------------------------------------------


def test_one_report_groups_a_cause_across_clusters(run_plugin: PluginRunner, fleet: Fleet) -> None:
    ns = fleet.namespace("shop")
    pods = {
        c: failing_deployment(fleet.clusters[c], ns, "payments", "regcred")
        for c in ("east", "west")
    }
    fleet.clusters["north"].create_pod(
        ns, "frontend", [("app", IMAGE)], image_pull_secrets=["gone"]
    )
    fleet.clusters["north"].simulate_pull_failure(ns, "frontend", "app", IMAGE, RUNTIME_401)

    three = ["diagnose", "pod", "-n", ns, "--contexts", "east,west,north"]
    result = run(run_plugin, fleet, *three, "-o", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert sorted((i["context"], i["pod"]) for i in doc["items"]) == sorted(
        [("east", pods["east"]), ("west", pods["west"]), ("north", "frontend")]
    )
    groups = {g["workload"]: g for g in doc["groups"]}
    assert groups["deployment/payments"]["contexts"] == ["east", "west"]
    assert groups["deployment/payments"]["workloadPods"] == 2  # one replica in each cluster
    assert groups["pod/frontend"]["contexts"] == ["north"]
    assert doc["clusters"] == [{"context": c, "error": None} for c in ("east", "north", "west")]

    table = run(run_plugin, fleet, *three)
    assert table.returncode == 1
    header, *rows = table.stdout.split("\n\n")[0].splitlines()
    assert header.split()[:3] == ["CONTEXT", "NAMESPACE", "WORKLOAD"]
    (payments,) = [r for r in rows if "deployment/payments" in r]
    assert payments.startswith("2 of 3 clusters") and "2 of 2" in payments
    (frontend,) = [r for r in rows if "pod/frontend" in r]
    assert frontend.split()[0] == "north"
    assert f"{ns}/deployment/payments app: {IMAGE} (2 of 2 Pods) in 2 of 3 clusters" in table.stdout
    assert f"{ns}/pod/frontend app: {IMAGE} in context north" in table.stdout

    wide = run(run_plugin, fleet, *three, "-o", "wide")
    (payments,) = [
        r for r in wide.stdout.splitlines() if "deployment/payments" in r and "SecretNotFound" in r
    ]
    assert payments.split()[0] == "east,west"
    assert "in 2 of 3 clusters: east, west" in wide.stdout


def test_contexts_are_chosen_by_glob_and_exclusion(run_plugin: PluginRunner, fleet: Fleet) -> None:
    ns = fleet.namespace("choose")
    result = run(
        run_plugin,
        fleet,
        "audit",
        "-n",
        ns,
        "--contexts",
        "*st,n*,!we*",
        "--contexts",
        "nomatch-*",
        "-o",
        "json",
    )
    assert result.returncode == 0, result.stderr
    # east and west end in "st", north starts with "n"; west is left out.
    assert [c["context"] for c in json.loads(result.stdout)["clusters"]] == ["east", "north"]
    assert "warning: --contexts: no context matches 'nomatch-*'" in result.stderr

    nothing = run(run_plugin, fleet, "audit", "--contexts", "prod-*")
    assert nothing.returncode == 2
    assert (
        "no context of the kubeconfig is chosen by 'prod-*'; it has 8 contexts: east,"
        in nothing.stderr
    )
    both = run(run_plugin, fleet, "audit", "--context", "east", "--all-contexts")
    assert both.returncode == 2 and "--context names one context" in both.stderr


# --- clusters fail alone ------------------------------------------------------------------------


def test_clusters_fail_alone_each_in_one_line(run_plugin: PluginRunner, fleet: Fleet) -> None:
    ns = fleet.namespace("alone")
    failing_deployment(fleet.clusters["east"], ns, "payments", "regcred")
    started = time.monotonic()
    result = run(
        run_plugin,
        fleet,
        "diagnose",
        "pod",
        "-n",
        ns,
        "--all-contexts",
        "-o",
        "json",
        "--request-timeout",
        "20s",
    )
    took = time.monotonic() - started
    assert result.returncode == 2, result.stderr  # the worst over all clusters
    doc = json.loads(result.stdout)
    assert [i["context"] for i in doc["items"]] == ["east"]
    errors = {c["context"]: c["error"] for c in doc["clusters"] if c["error"]}
    assert set(errors) == {"refused", "forbidden", "expired", "logged-out"}
    assert "connection refused" in errors["refused"]
    assert 'pods is forbidden: User "nobody" cannot list resource "pods"' in errors["forbidden"]
    assert (
        'rejected the credentials of user "expired" (context "expired"): 401' in errors["expired"]
    )
    assert errors["logged-out"].startswith(
        'the exec plugin of user "logged-out" (context "logged-out") failed: exit status 1: '
        "error: the SSO session has expired; run: corp login; log in again"
    )
    lines = result.stderr.splitlines()
    for context in errors:
        mine = [line for line in lines if line.startswith(f'error: context "{context}": ')]
        assert len(mine) == 1, result.stderr
    assert took < 20, "a failing cluster held the run"


def test_a_stalled_cluster_is_cut_at_request_timeout(
    run_plugin: PluginRunner, fleet: Fleet
) -> None:
    ns = fleet.namespace("stall")
    failing_deployment(fleet.clusters["north"], ns, "payments", "regcred")
    fleet.slow.clear()
    stall = fleet.slow.add(Fault(r"/pods$", hang_after=0, delay=SLOW_LATENCY, name="stall"))
    fleet.slow.add(Fault("", delay=SLOW_LATENCY, name="latency"))
    try:
        started = time.monotonic()
        result = run(
            run_plugin,
            fleet,
            "diagnose",
            "pod",
            "-n",
            ns,
            "--contexts",
            "north,slow,east",
            "--request-timeout",
            "3s",
        )
        took = time.monotonic() - started
    finally:
        fleet.slow.clear()
        fleet.slow.add(Fault("", delay=SLOW_LATENCY, name="latency"))
    assert result.returncode == 2, result.stderr
    assert re.search(
        r'error: context "slow": cannot reach the API server at \S+: timed out waiting for an answer',
        result.stderr,
    )
    assert "deployment/payments" in result.stdout and "north" in result.stdout
    assert stall.hits == 1, "the stall was never met"
    # The proxy holds the answer for 60 s; the run ends once --request-timeout is spent.
    assert took < 20, f"the stall held the run for {took:.1f} s"


def test_the_latency_of_one_cluster_is_not_added_to_the_others(
    run_plugin: PluginRunner, fleet: Fleet
) -> None:
    """Clusters are read at once, at most --parallel at a time: with one at a time, the
    recorded requests of east and north never overlap in time; with two, they do."""
    ns = fleet.namespace("parallel")

    def spans(parallel: str) -> list[tuple[float, float]]:
        for recorder in fleet.recorders.values():
            recorder.clear()
            recorder.add(Fault("", delay=LATENCY, name="latency"))
        result = run(
            run_plugin, fleet, "audit", "-n", ns, "--contexts", "east,north", "--parallel", parallel
        )
        assert result.returncode == 0, result.stderr
        times = [[s.at for s in r.requests()] for r in fleet.recorders.values()]
        assert all(times)
        return sorted((min(t), max(t)) for t in times)

    first, second = spans("1")
    assert first[1] < second[0], (
        "with --parallel 1 the second cluster started before the first ended"
    )
    first, second = spans("2")
    assert second[0] < first[1], "with --parallel 2 the clusters were read one after the other"
    bad = run(run_plugin, fleet, "audit", "--all-contexts", "--parallel", "0")
    assert bad.returncode == 2 and "invalid --parallel 0" in bad.stderr


# --- progress on a terminal only ----------------------------------------------------------------


def _run_on_terminals(
    run_plugin: PluginRunner, fleet: Fleet, args: list[str], tty_out: bool, tty_err: bool
) -> tuple[bytes, bytes, int]:
    env = run_plugin.env(fleet.kubeconfig)
    kubectl = subprocess.run(
        ["sh", "-c", "command -v kubectl"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    ends = []
    for tty in (tty_out, tty_err):
        if tty:
            master, slave = pty.openpty()
            ends.append((master, slave))
        else:
            read, write = os.pipe()
            ends.append((read, write))
    process = subprocess.Popen(
        [kubectl, "pullsecret", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=ends[0][1],
        stderr=ends[1][1],
    )
    for _, write in ends:
        os.close(write)
    outputs = []
    for read, _ in ends:
        chunks = []
        while True:
            try:
                chunk = os.read(read, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(read)
        outputs.append(b"".join(chunks))
    return outputs[0], outputs[1], process.wait(timeout=60)


def test_progress_goes_to_a_terminal_and_nowhere_else(
    run_plugin: PluginRunner, fleet: Fleet
) -> None:
    ns = fleet.namespace("progress")
    args = ["audit", "-n", ns, "--contexts", "east,north,slow", "-o", "json"]
    out, err, code = _run_on_terminals(run_plugin, fleet, args, tty_out=True, tty_err=True)
    assert code == 0, err
    assert re.search(rb"\r\x1b\[K\d/3 clusters done, waiting for \w+ \(\d+\.\d s\)", err), err
    assert err.endswith(b"\r\x1b[K"), "the progress line is erased at the end"
    assert json.loads(out.replace(b"\r\n", b"\n"))["kind"] == "PullSecretAudit"
    assert b"clusters done" not in out
    for tty_out, tty_err in ((False, True), (True, False), (False, False)):
        out, err, code = _run_on_terminals(run_plugin, fleet, args, tty_out, tty_err)
        assert code == 0 and err == b"", (tty_out, tty_err, err)
        assert json.loads(out.replace(b"\r\n", b"\n"))["kind"] == "PullSecretAudit"


# --- kubeconfig semantics per context -----------------------------------------------------------


def test_each_context_keeps_its_namespace_user_proxy_and_tls(
    run_plugin: PluginRunner, fleet: Fleet
) -> None:
    """Without -n each context reads its own namespace; west authenticates with a client
    certificate, north goes through its proxy-url (and only north), every cluster is checked
    against its own CA, and an exec plugin's token is used for its context only."""
    config = yaml.safe_load(fleet.kubeconfig.read_text())
    spaces = {c: fleet.namespace(f"own-{c}") for c in HEALTHY}
    for context in config["contexts"]:
        if context["name"] in spaces:
            context["context"]["namespace"] = spaces[context["name"]]
    token = fleet.planes["east"].token("admin")
    config["users"].append(
        {
            "name": "sso",
            "user": _exec_user(
                fleet.folder, "sso", _credential(token).replace("2020-01-01", "2999-01-01")
            ),
        }
    )
    config["contexts"].append(
        {
            "name": "east-sso",
            "context": {"cluster": "east", "user": "sso", "namespace": spaces["east"]},
        }
    )
    own = fleet.folder / "own-namespaces"
    own.write_text(yaml.safe_dump(config))
    for context, ns in spaces.items():
        fleet.clusters[context].create_pod(
            ns, f"only-in-{context}", [("app", IMAGE)], image_pull_secrets=["gone"]
        )
        fleet.clusters[context].simulate_pull_failure(
            ns, f"only-in-{context}", "app", IMAGE, RUNTIME_401
        )
    before = fleet.tunnel.tunnels
    result = run_plugin(
        "diagnose", "pod", "--contexts", "east*,west,north", "-o", "json", kubeconfig=own
    )
    assert result.returncode == 1, result.stderr
    found = sorted(
        (i["context"], i["namespace"], i["pod"]) for i in json.loads(result.stdout)["items"]
    )
    assert found == sorted(
        [(c, spaces[c], f"only-in-{c}") for c in HEALTHY]
        + [("east-sso", spaces["east"], "only-in-east")]
    )
    tunnelled = fleet.tunnel.tunnels - before
    north = fleet.recorders["north"].url.removeprefix("https://")
    assert set(tunnelled) == {north}, "only north's cluster names the proxy"
    assert token not in result.stdout + result.stderr


# --- drift and expiry between clusters ----------------------------------------------------------


def test_copies_that_drifted_between_clusters_are_named_never_shown(
    run_plugin: PluginRunner, fleet: Fleet
) -> None:
    ns = fleet.namespace("drift")
    passwords = {"east": "Rotated-pw-2", "west": "Rotated-pw-2", "north": "Stale-pw-1"}
    tokens = {
        "east": jwt(expires_in=2 * 3600),
        "west": jwt(expires_in=-600),
        "north": jwt(expires_in=30 * 86400),
    }
    for context, cluster in fleet.clusters.items():
        cluster.create_docker_secret(ns, "regcred", {REGISTRY: ("robot", passwords[context])})
        cluster.create_docker_secret(ns, "ci-token", {"ghcr.io": ("ci", tokens[context])})
        create_deployment(cluster, ns, "web", 1, secrets=["regcred"], image=IMAGE)
    values = [*passwords.values(), *tokens.values()]

    shown = run(
        run_plugin,
        fleet,
        "show",
        "-n",
        ns,
        "--contexts",
        "east,west,north",
        "-o",
        "json",
        "--debug",
    )
    assert shown.returncode == 1, shown.stderr
    doc = json.loads(shown.stdout)
    copies = {i["context"]: i for i in doc["items"] if i["name"] == "regcred"}
    assert set(copies) == set(HEALTHY)
    for item in copies.values():
        (problem,) = [p for p in item["problems"] if p["code"] == "CredentialsDiverged"]
        assert (
            f"{ns}/regcred in east, west (2 holding password A); {ns}/regcred in north (one holding password B)"
            in problem["message"]
        )
    assert [(x["context"], x["secret"], x["expired"]) for x in doc["expiring"]] == [
        ("west", "ci-token", True),
        ("east", "ci-token", False),
    ]
    table = run(run_plugin, fleet, "show", "-n", ns, "--contexts", "east,west,north")
    assert table.stdout.splitlines()[0].split()[:2] == ["CONTEXT", "NAMESPACE"]
    block = table.stdout.split("2 credentials expired or expiring, the soonest first:\n")[1]
    assert [line.split()[0] for line in block.splitlines()[1:]] == ["west", "east"]
    assert "expired 10m" in block and "in 1h 59m" in block

    one = run(
        run_plugin,
        fleet,
        "show",
        "regcred",
        "-n",
        ns,
        "--contexts",
        "east,west,north",
        "-o",
        "json",
    )
    items = json.loads(one.stdout)["items"]
    assert [i["context"] for i in items] == ["east", "north", "west"]
    assert all("CredentialsDiverged" in [p["code"] for p in i["problems"]] for i in items)

    audited = run(
        run_plugin, fleet, "audit", "-n", ns, "--contexts", "east,west,north", "-o", "json"
    )
    assert audited.returncode == 1, audited.stderr
    adoc = json.loads(audited.stdout)
    diverged = {
        i["context"]
        for i in adoc["items"]
        if "CredentialsDiverged" in [p["code"] for p in i["problems"]]
    }
    assert diverged == set(HEALTHY)
    assert [x["context"] for x in adoc["expiring"]] == ["west", "east"]
    for output in (shown, table, one, audited):
        for value in values:
            assert value not in output.stdout + output.stderr


# --- what a cluster costs -----------------------------------------------------------------------


def test_a_healthy_cluster_costs_a_dozen_requests(run_plugin: PluginRunner, fleet: Fleet) -> None:
    ns = fleet.namespace("healthy")
    for cluster in fleet.clusters.values():
        cluster.create_docker_secret(ns, "regcred", {REGISTRY: ("robot", "Same-pw-7")})
        for i in range(12):
            create_deployment(cluster, ns, f"svc-{i}", 2, secrets=["regcred"], image=IMAGE)
            cluster.create_pod(ns, f"svc-{i}-pod", [("app", IMAGE)], image_pull_secrets=["regcred"])
    result = run(
        run_plugin, fleet, "diagnose", "pod", "-n", ns, "--contexts", "east,west,north", "--debug"
    )
    assert result.returncode == 0, result.stderr
    for context in HEALTHY:
        (count,) = re.findall(rf'context "{context}": (\d+) API requests', result.stderr)
        gets = re.findall(rf'context "{context}": GET ', result.stderr)
        assert int(count) == len(gets) <= 12, result.stderr
    assert "No Pods with image pull problems found in namespace" in result.stderr
    assert f"namespace {ns}, in 3 clusters." in result.stderr

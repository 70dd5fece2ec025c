"""`kubectl pullsecret diagnose pod` end to end against kubelets this machine cannot run.

The real plugin, through kubectl's plugin discovery, against a real kube-apiserver whose pods
carry statuses and events written by the test. Everything a kubelet v1.20.2 with containerd
1.6.20 does is tested for real in tests/node/ (the real node): only what such a node cannot
produce stays here, each case naming the kubelet or runtime version and the source of its text:

- the FailedToRetrieveImagePullSecret event (kubelet 1.28+, kubernetes#117927);
- the back-off message that keeps the pull error (kubelet 1.32+);
- runtime texts of other runtimes and versions (containerd 1.7+, dockerd), and of registries
  out of reach here (Docker Hub), with their sources in /work/shared/docs/modern-kubelet.md
  section 2.2 and kubelet-pull-semantics.md.

Every case checks the exit code, the table a person reads and the JSON a script reads. The
expected verdicts follow /work/shared/docs/kubelet-pull-semantics.md, not the plugin's code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.control_plane import Cluster, ControlPlane
from tests.support.genuine_texts import (
    anonymous_denied,
    anonymous_refused,
    full_ref,
    refused,
    split_ref,
)
from tests.support.plugin import unavailable

if TYPE_CHECKING:
    from conftest import PluginRunner

pytestmark = pytest.mark.e2e

Json = dict[str, Any]

SEED_IMAGE = "private-registry.io/apps/internal-app"


# ---------------------------------------------------------------------------------------------
# The container runtime's error texts, as the kubelet relays them in `Failed to pull image
# "<img>": <runtime error>` and in the 1.32+ back-off waiting message. Sources: modern-kubelet.md
# section 2.2 (containerd 1.7 v1.7.34 remotes/docker, with users' pastes), each naming its
# version, for what neither real node produces; the rest are the genuine 1.37.2 node's.


# The texts of the genuine current node (tests/support/genuine_texts.py): a refusal of the
# credentials sent, an anonymous pull refused by a Basic and by a token registry.
unauthorized = refused
denied = anonymous_denied
_split = split_ref


def manifest_unknown(image: str) -> str:
    """dockerd through dockershim (kubelet <= 1.23): the daemon's own wording."""
    ref = full_ref(image)
    return (
        f"Error response from daemon: manifest for {ref} not found: manifest unknown: "
        "manifest unknown"
    )


def no_such_host(image: str) -> str:
    """containerd with a DNS server that answers NXDOMAIN (modern-kubelet.md 2.2, DNS row); the
    real node has no resolver and gets `connect: network is unreachable` instead."""
    ref = full_ref(image)
    host, path, tag = _split(ref)
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to '
        f'resolve reference "{ref}": failed to do request: Head '
        f'"https://{host}/v2/{path}/manifests/{tag}": dial tcp: lookup {host} on '
        "10.96.0.10:53: no such host"
    )


def rate_limited(image: str) -> str:
    """Docker Hub's 429 through containerd 1.6/1.7 (fetcher.go:284-286; kata-containers#10109)."""
    ref = full_ref(image)
    _, path, _ = _split(ref)
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to '
        "copy: httpReadSeeker: failed open: unexpected status code "
        f"https://registry-1.docker.io/v2/{path}/manifests/sha256:"
        "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31: 429 Too Many "
        "Requests - Server message: toomanyrequests: You have reached your pull rate limit. You "
        "may increase the limit by authenticating and upgrading: "
        "https://www.docker.com/increase-rate-limit"
    )


# ---------------------------------------------------------------------------------------------
# Running the plugin and reading its two outputs


@dataclass
class Diagnosis:
    """One `diagnose pod` invocation, run twice: as a table and as JSON."""

    table: subprocess.CompletedProcess[str]
    json: subprocess.CompletedProcess[str]
    doc: Json

    @property
    def rc(self) -> int:
        return self.table.returncode

    @property
    def rows(self) -> list[dict[str, str]]:
        return parse_table(self.table.stdout)

    def item(self, ns: str, pod: str, container: str) -> Json:
        found = [
            i
            for i in self.doc["items"]
            if (i["namespace"], i["pod"], i["container"]) == (ns, pod, container)
        ]
        assert len(found) == 1, f"{ns}/{pod} {container} in {self.doc}"
        return found[0]

    def items_in(self, *namespaces: str) -> list[Json]:
        return [i for i in self.doc["items"] if i["namespace"] in namespaces]

    def row(self, ns: str, pod: str, container: str) -> dict[str, str]:
        found = [
            r
            for r in self.rows
            if (r["NAMESPACE"], r["WORKLOAD"]) == (ns, f"pod/{pod}")
            and r["CONTAINER"] in (container, f"{container} (init)")
        ]
        assert len(found) == 1, f"{ns}/{pod} {container} in:\n{self.table.stdout}"
        return found[0]

    def rows_in(self, *namespaces: str) -> list[dict[str, str]]:
        return [r for r in self.rows if r["NAMESPACE"] in namespaces]

    def details(self, ns: str, pod: str, container: str) -> str:
        """The detail block under the table for one container."""
        head = f"{ns}/pod/{pod} {container}: "
        blocks = self.table.stdout.split("\n\n")
        found = [b for b in blocks if b.startswith(head)]
        assert len(found) == 1, f"no details for {head!r} in:\n{self.table.stdout}"
        return found[0]


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of the plain table at the top of the output, cut at the header's column starts."""
    lines = text.split("\n\n", 1)[0].splitlines()
    if not lines:
        return []
    columns = list(re.finditer(r"\S+(?: \S+)*", lines[0]))
    starts = [m.start() for m in columns] + [None]
    return [
        {
            m.group(): line[starts[i] : starts[i + 1]].strip()
            for i, m in enumerate(columns)
            if starts[i] is not None
        }
        for line in lines[1:]
    ]


def pod_of(row: dict[str, str]) -> str:
    """The Pod of a table row about a Pod without an owner (WORKLOAD pod/NAME)."""
    assert row["WORKLOAD"].startswith("pod/"), row
    return row["WORKLOAD"].removeprefix("pod/")


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def diagnose(run: PluginRunner, *args: str, kubeconfig: Path | str | None = None) -> Diagnosis:
    # Resolved here: the runner's lazy fixture lookup must not happen in worker threads.
    kubeconfig = kubeconfig or run.env()["KUBECONFIG"]
    # Two processes at once: the plugin's start-up (imports) dominates each run.
    with ThreadPoolExecutor(max_workers=2) as pool:
        table_run = pool.submit(run, "diagnose", "pod", *args, kubeconfig=kubeconfig)
        json_run = pool.submit(run, "diagnose", "pod", *args, "-o", "json", kubeconfig=kubeconfig)
        table, as_json = table_run.result(), json_run.result()
    for r in (table, as_json):
        no_traceback(r)
        assert r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr}"
    assert table.returncode == as_json.returncode, (table.stderr, as_json.stderr)
    doc = json.loads(as_json.stdout) if as_json.stdout.strip() else {}
    if doc:
        assert doc["kind"] == "PullSecretDiagnosis"
    return Diagnosis(table, as_json, doc)


def codes(item: Json) -> list[str]:
    return [p["code"] for p in item["problems"]]


def problem(item: Json, code: str) -> Json:
    found = [p for p in item["problems"] if p["code"] == code]
    assert len(found) == 1, f"{code} in {item['problems']}"
    return found[0]


def creds(item: Json) -> list[tuple[str, str, str]]:
    return [(c["secret"], c["key"], c["username"]) for c in item["credentials"]]


def kubectl(run: PluginRunner, *args: str) -> subprocess.CompletedProcess[str]:
    """Real kubectl with the admin kubeconfig (the same environment the plugin gets)."""
    env = run.env()
    exe = shutil.which("kubectl", path=env["PATH"])
    if exe is None:
        unavailable("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
    return subprocess.run(
        [exe, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def failing_pod(
    cluster: Cluster,
    ns: str,
    name: str,
    image: str,
    secrets: list[str] | None,
    error: str,
    container: str = "app",
    **kwargs: Any,
) -> None:
    cluster.create_pod(
        ns, name, containers=[(container, image)], image_pull_secrets=secrets, **kwargs
    )
    cluster.simulate_pull_failure(ns, name, container, image, error)


# ---------------------------------------------------------------------------------------------
# The seeds' case once fixed, on a kubelet that reports missing secrets (1.28+)


def test_seed_fixed_with_kubectl_create_secret(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """Kubelet 1.28+ emits FailedToRetrieveImagePullSecret (kubernetes#117927): the secret
    created since then is the one the next retry uses, so its credentials are not blamed for
    the last 401. (The real 1.20 node emits no such event: tests/node, secret-elsewhere.)"""
    ns = namespace
    cluster.create_pod(
        ns, "nginx-pod", containers=[("app", SEED_IMAGE)], image_pull_secrets=["regcred"]
    )
    cluster.simulate_missing_pull_secrets(ns, "nginx-pod", ["regcred"])
    cluster.simulate_pull_failure(ns, "nginx-pod", "app", SEED_IMAGE, denied(SEED_IMAGE))
    assert codes(diagnose(run_plugin, "-n", ns).item(ns, "nginx-pod", "app")) == ["SecretNotFound"]

    r = kubectl(
        run_plugin,
        "create",
        "secret",
        "docker-registry",
        "regcred",
        "--docker-server=private-registry.io",
        "--docker-username=ci-puller",
        "--docker-password=pw-for-seed-fix",
        "-n",
        ns,
    )
    assert r.returncode == 0, r.stderr

    d = diagnose(run_plugin, "nginx-pod", "-n", ns)
    item = d.item(ns, "nginx-pod", "app")
    assert item["credentials"][0] == {
        "secret": "regcred",
        "key": "private-registry.io",
        "username": "ci-puller",
    }
    assert "SecretNotFound" not in codes(item)
    assert "SecretNotFound" not in d.row(ns, "nginx-pod", "app")["PROBLEMS"]
    assert (
        "credentials, in the kubelet's order: regcred (key private-registry.io, user ci-puller)"
        in d.details(ns, "nginx-pod", "app")
    )

    # The kubelet's next attempt pulls: the pod runs, and nothing is left to report.
    cluster.set_container_running(ns, "nginx-pod", "app")
    d = diagnose(run_plugin, "nginx-pod", "-n", ns)
    assert d.rc == 0
    assert d.row(ns, "nginx-pod", "app")["PROBLEMS"] == "-"
    assert d.item(ns, "nginx-pod", "app")["problems"] == []
    d = diagnose(run_plugin, "-n", ns)
    assert d.rc == 0
    assert d.table.stdout == "" and d.doc["items"] == []


# ---------------------------------------------------------------------------------------------
# Docker Hub key spellings (semantics sections 4 and 5): Docker Hub is out of reach here, so its
# containerd text is written (`denied`); the same spellings on a registry of our own are pulled
# for real in tests/node (v1-slash, v1-no-slash).

HUB_IMAGES = ("nginx", "janedoe/app")


@pytest.mark.parametrize(
    ("key", "normalized", "near_miss"),
    [
        # Rewritten to index.docker.io: the Docker Hub fallback uses it.
        ("https://index.docker.io/v1/", "index.docker.io", None),
        ("index.docker.io", "index.docker.io", None),
        # Matches docker.io/... directly.
        ("docker.io", "docker.io", None),
        # The trap: no trailing slash leaves the path /v1, which no repository has.
        ("https://index.docker.io/v1", None, "trailing slash"),
        # Docker Hub's API host is never matched to images.
        ("registry-1.docker.io", None, "API host"),
    ],
)
def test_docker_hub_key_spellings(
    run_plugin: PluginRunner,
    cluster: Cluster,
    namespace: str,
    key: str,
    normalized: str | None,
    near_miss: str | None,
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "hub", {key: ("janedoe", "hub-password-1")})
    containers = [("official", HUB_IMAGES[0]), ("user", HUB_IMAGES[1])]
    cluster.create_pod(ns, "web", containers=containers, image_pull_secrets=["hub"])
    for container, image in containers:
        cluster.simulate_pull_failure(ns, "web", container, image, denied(image))

    d = diagnose(run_plugin, "-n", ns)
    assert d.rc == 1
    for container, image in containers:
        item = d.item(ns, "web", container)
        row = d.row(ns, "web", container)
        assert (row["IMAGE"], row["REGISTRY"]) == (image, "docker.io")
        assert item["registry"] == "docker.io"
        assert item["repository"] == (
            "docker.io/library/nginx" if image == "nginx" else "docker.io/janedoe/app"
        )
        assert item["secrets"] == ["hub"]
        details = d.details(ns, "web", container)
        if normalized is not None:
            assert creds(item) == [("hub", normalized, "janedoe")], key
            # Credentials were offered and refused: not a missing-credentials verdict.
            assert codes(item) == ["CredentialsRejected"]
            assert row["PROBLEMS"] == "CredentialsRejected"
            assert f"hub (key {normalized}, user janedoe)" in details
            assert "never retries anonymously" in problem(item, "CredentialsRejected")["message"]
        else:
            assert item["credentials"] == [], key
            assert codes(item) == ["NoCredentialsForRegistry"]
            assert row["PROBLEMS"] == "NoCredentialsForRegistry"
            p = problem(item, "NoCredentialsForRegistry")
            assert f"Near miss: key {key!r} in secret/hub" in p["message"]
            assert near_miss is not None and near_miss in p["message"]
            assert "https://index.docker.io/v1/" in p["hint"]
            assert "Near miss" in details


# ---------------------------------------------------------------------------------------------
# Keys that do not match: wildcards need registry host names, which the real node lacks


def test_wildcard_key_matches_one_label(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "wild", {"*.example.com": ("w", "pw-wild-1")})
    containers = [
        ("one", "a.example.com/team/app:1"),
        ("two", "a.b.example.com/team/app:1"),
        ("bare", "example.com/team/app:1"),
    ]
    cluster.create_pod(ns, "web", containers=containers, image_pull_secrets=["wild"])
    for name, image in containers:
        # Only "one" has a matching credential; the others pull anonymously.
        error = unauthorized(image) if name == "one" else anonymous_refused(image)
        cluster.simulate_pull_failure(ns, "web", name, image, error)

    d = diagnose(run_plugin, "-n", ns)
    assert d.rc == 1
    one = d.item(ns, "web", "one")
    assert creds(one) == [("wild", "*.example.com", "w")]
    assert codes(one) == ["CredentialsRejected"]
    assert d.row(ns, "web", "one")["PROBLEMS"] == "CredentialsRejected"
    for name in ("two", "bare"):
        item = d.item(ns, "web", name)
        assert item["credentials"] == [], name
        assert codes(item) == ["NoCredentialsForRegistry"], name
        assert d.row(ns, "web", name)["PROBLEMS"] == "NoCredentialsForRegistry"
        assert "cover: *.example.com" in problem(item, "NoCredentialsForRegistry")["message"]
    assert (
        "wildcard matches exactly one host label"
        in problem(d.item(ns, "web", "two"), "NoCredentialsForRegistry")["message"]
    )


# ---------------------------------------------------------------------------------------------
# Failures that are not about credentials, in texts the real node cannot produce (its own:
# `not found` and `network is unreachable`, in tests/node)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (manifest_unknown, "ImageNotFound"),
        (no_such_host, "RegistryUnreachable"),
        (rate_limited, "RateLimited"),
    ],
    ids=["manifest-unknown", "no-such-host", "rate-limited"],
)
def test_failures_that_are_not_credentials(
    run_plugin: PluginRunner,
    cluster: Cluster,
    namespace: str,
    error: Callable[[str], str],
    code: str,
) -> None:
    ns = namespace
    cluster.create_docker_secret(ns, "regcred", {"reg.example.com": ("u", "pw-nc-1")})
    cluster.create_docker_secret(ns, "hub", {"https://index.docker.io/v1/": ("h", "pw-nc-2")})
    # Rate limits come from Docker Hub; the other failures from a private registry.
    if code == "RateLimited":
        covered, uncovered = "nginx:1.25", "janedoe/app:1"
        secrets, expected = ["hub"], [("hub", "index.docker.io", "h")]
    else:
        covered, uncovered = "reg.example.com/team/app:1", "elsewhere.example.org/team/app:1"
        secrets, expected = ["regcred"], [("regcred", "reg.example.com", "u")]
    # With matching credentials and without any: neither is a credentials problem.
    failing_pod(cluster, ns, "matched", covered, secrets, error(covered))
    failing_pod(cluster, ns, "unmatched", uncovered, ["regcred"], error(uncovered))

    d = diagnose(run_plugin, "-n", ns)
    assert d.rc == 1
    for pod in ("matched", "unmatched"):
        item = d.item(ns, pod, "app")
        assert codes(item) == [code], pod
        assert d.row(ns, pod, "app")["PROBLEMS"] == code
        p = problem(item, code)
        assert p["severity"] == "error"
        assert "not a credentials problem" in p["message"]
        assert f"{code}: {p['message']}" in d.details(ns, pod, "app")
    assert creds(d.item(ns, "matched", "app")) == expected
    assert d.item(ns, "unmatched", "app")["credentials"] == []


# ---------------------------------------------------------------------------------------------
# Running pods and selectors: what a kubelet 1.28+ reports of a Running pod's missing secrets
# (FailedToRetrieveImagePullSecret, kubernetes#117927) and a 1.32+ back-off message


def test_running_pod_with_latent_missing_secret(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    image = "reg.example.com/team/app:1"
    cluster.create_pod(ns, "web", containers=[("app", image)], image_pull_secrets=["gone-latent"])
    cluster.set_container_running(ns, "web", "app")
    cluster.simulate_missing_pull_secrets(ns, "web", ["gone-latent"], count=12)

    d = diagnose(run_plugin, "-A")
    assert d.rc == 1
    assert d.row(ns, "web", "app")["STATE"] == "Running (latent)"
    assert d.row(ns, "web", "app")["PROBLEMS"] == "SecretNotFound"
    item = d.item(ns, "web", "app")
    assert item["latent"] is True
    assert (item["state"], item["podPhase"]) == ("Running", "Running")
    p = problem(item, "SecretNotFound")
    assert p["severity"] == "warning"
    assert '"gone-latent"' in p["message"]


def test_running_pod_with_restarted_container_in_backoff(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    main, side = "reg.example.com/team/app:1", "reg.example.com/team/sidecar:2"
    cluster.create_docker_secret(ns, "regcred", {"reg.example.com": ("u", "pw-rs-1")})
    cluster.create_pod(
        ns, "web", containers=[("app", main), ("sidecar", side)], image_pull_secrets=["regcred"]
    )
    cluster.set_container_running(ns, "web", "app")
    cluster.set_container_running(ns, "web", "sidecar")
    # The sidecar crashed, and pulling its image again (imagePullPolicy: Always) now fails.
    cluster.simulate_pull_failure(ns, "web", "sidecar", side, unauthorized(side))
    cluster.set_container_waiting(
        ns,
        "web",
        "sidecar",
        "ImagePullBackOff",
        f'Back-off pulling image "{side}": ErrImagePull: {unauthorized(side)}',
        restart_count=3,
        phase="Running",
    )
    assert cluster.get_pod(ns, "web")["status"]["phase"] == "Running"

    d = diagnose(run_plugin, "-n", ns)
    assert d.rc == 1
    assert [(pod_of(r), r["CONTAINER"]) for r in d.rows] == [("web", "sidecar")]
    row = d.row(ns, "web", "sidecar")
    assert (row["STATE"], row["PROBLEMS"]) == ("ImagePullBackOff", "CredentialsRejected")
    item = d.item(ns, "web", "sidecar")
    assert (item["podPhase"], item["state"], item["latent"]) == (
        "Running",
        "ImagePullBackOff",
        False,
    )
    assert creds(item) == [("regcred", "reg.example.com", "u")]
    assert codes(item) == ["CredentialsRejected"]


def test_label_selector(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    ns = namespace
    image = "reg.example.com/team/app:1"
    for pod, app in (("web-1", "web"), ("web-2", "web"), ("db-1", "db")):
        cluster.create_pod(
            ns,
            pod,
            containers=[("app", image)],
            image_pull_secrets=["missing"],
            labels={"app": app},
        )
        cluster.simulate_pull_failure(ns, pod, "app", image, unauthorized(image))
    # A Running pod found only through its events must honour the selector too.
    for pod, app in (("web-run", "web"), ("db-run", "db")):
        cluster.create_pod(
            ns, pod, containers=[("app", image)], image_pull_secrets=["gone"], labels={"app": app}
        )
        cluster.set_container_running(ns, pod, "app")
        cluster.simulate_missing_pull_secrets(ns, pod, ["gone"])

    d = diagnose(run_plugin, "-n", ns, "-l", "app=web")
    assert d.rc == 1
    assert sorted(pod_of(r) for r in d.rows) == ["web-1", "web-2", "web-run"]
    assert sorted(i["pod"] for i in d.doc["items"]) == ["web-1", "web-2", "web-run"]

    d = diagnose(run_plugin, "-A", "-l", "app=db")
    assert sorted(pod_of(r) for r in d.rows_in(ns)) == ["db-1", "db-run"]
    assert sorted(i["pod"] for i in d.items_in(ns)) == ["db-1", "db-run"]

    d = diagnose(run_plugin, "-n", ns, "-l", "app=none")
    assert d.rc == 0 and d.rows == [] and d.doc["items"] == []


# ---------------------------------------------------------------------------------------------
# RBAC, with a kubelet 1.28+ that reported the secret missing


def test_user_without_secret_access_still_gets_a_report(
    run_plugin: PluginRunner, control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    image = "reg.example.com/team/app:1"
    cluster.create_docker_secret(ns, "regcred", {"reg.example.com": ("u", "pw-rbac-1")})
    failing_pod(cluster, ns, "web", image, ["regcred"], unauthorized(image))
    cluster.create_pod(ns, "lost", containers=[("app", image)], image_pull_secrets=["gone"])
    cluster.simulate_missing_pull_secrets(ns, "lost", ["gone"])
    cluster.simulate_pull_failure(ns, "lost", "app", image, unauthorized(image))

    d = diagnose(run_plugin, "-n", ns, kubeconfig=control_plane.kubeconfig("no-secrets"))
    assert d.rc == 1
    assert d.row(ns, "web", "app")["PROBLEMS"] == "SecretUnreadable"
    assert d.row(ns, "lost", "app")["PROBLEMS"] == "SecretUnreadable"
    web = d.item(ns, "web", "app")
    assert codes(web) == ["SecretUnreadable"]
    assert web["credentials"] == []
    p = problem(web, "SecretUnreadable")
    assert 'Secret "regcred"' in p["message"] and "cannot be read" in p["message"]
    assert f"kubectl auth can-i get secrets -n {ns}" in p["hint"]
    # What the kubelet said still counts: it reported "gone" missing.
    lost = problem(d.item(ns, "lost", "app"), "SecretUnreadable")
    assert "The kubelet reported it missing" in lost["message"]


def test_user_without_pod_access_fails_cleanly(
    run_plugin: PluginRunner, control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    ns = namespace
    failing_pod(cluster, namespace, "web", SEED_IMAGE, ["regcred"], denied(SEED_IMAGE))
    kc = control_plane.kubeconfig("no-pods")
    for args in (("-n", ns), ("-A",), ("web", "-n", ns), ("-n", ns, "-o", "json")):
        r = run_plugin("diagnose", "pod", *args, kubeconfig=kc)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith("error: ")
        assert "forbidden" in lines[0]
        assert 'User "no-pods"' in lines[0] and '"pods"' in lines[0]
        no_traceback(r)

"""Failing APIs, end to end: every failure gives one clear `error:` line on stderr and exit 2,
or a partial report that says what it could not see, within --request-timeout.

Real failures come from the real apiserver (RBAC users that may read everything but one
resource, tokens it rejects, namespaces that do not exist) or from the network (nothing
listening, the wrong CA). What the apiserver cannot do on demand (429, 5xx, 410 on a continue
token, a body that stops half-way, a dropped connection) comes from tests/hostile/faultproxy.py.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kubectl_pullsecret.cluster.client import MAX_ATTEMPTS, MAX_LIST_RESTARTS
from tests.support.control_plane import Cluster, ControlPlane
from tests.support.plugin import PluginRunner

from .corpus import IMAGE, REGISTRY, RUNTIME_401, auth
from .faultproxy import Fault, FaultProxy, make_ca_and_cert, with_continue
from .support import (
    assert_no_crash,
    assert_one_error_line,
    codes,
    describe,
    parse_output,
    problem_text,
    run_cli,
    write_kubeconfig,
)

pytestmark = pytest.mark.e2e

TIMEOUT = "2s"
TIMEOUT_S = 2.0
SLACK_S = 8.0  # kubectl + Python start-up on a busy 2-core machine
PASSWORD = "faults-marker-pw-7d1e"
N_PODS = 5
PAGE = 2  # the proxy rewrites limit=500 to this: five pods span three pages


@dataclass(frozen=True)
class World:
    ns: str
    server: str
    ca_file: Path
    tokens: dict[str, str]
    folder: Path

    def kubeconfig(self, name: str, **kwargs: Any) -> Path:
        kwargs.setdefault("namespace", self.ns)
        return write_kubeconfig(self.folder / f"{name}.yaml", **kwargs)

    def user(self, user: str) -> Path:
        return self.kubeconfig(
            f"user-{user}", server=self.server, token=self.tokens[user], ca_file=self.ca_file
        )


@pytest.fixture(scope="module")
def world(
    hostile_plane: ControlPlane, hcluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> World:
    """A namespace with pull secret `regcred`, N_PODS pods p0..p4 in ImagePullBackOff that list
    it, and `late-sa`, created before its ServiceAccount `builder` gained a pull secret."""
    ns = hcluster.create_namespace("faults")
    hcluster.create_docker_secret(ns, "regcred", {REGISTRY: ("robot", PASSWORD)})
    message = f'Back-off pulling image "{IMAGE}": ErrImagePull: {RUNTIME_401}'
    for i in range(N_PODS):
        hcluster.create_pod(ns, f"p{i}", [("app", IMAGE)], image_pull_secrets=["regcred"])
        hcluster.set_container_waiting(ns, f"p{i}", "app", "ImagePullBackOff", message)
    hcluster.simulate_pull_failure(ns, "p0", "app", None, RUNTIME_401)
    hcluster.create_service_account(ns, "builder")
    hcluster.create_pod(ns, "late-sa", [("app", IMAGE)], service_account="builder")
    hcluster.patch_service_account_pull_secrets(ns, "builder", ["regcred"])
    hcluster.set_container_waiting(ns, "late-sa", "app", "ImagePullBackOff", message)
    return World(
        ns,
        hostile_plane.server,
        hostile_plane.ca_file,
        dict(hostile_plane.tokens),
        tmp_path_factory.mktemp("fault-kubeconfigs"),
    )


Completed = subprocess.CompletedProcess[str]


def timed(runner: PluginRunner, *args: str, kubeconfig: Path) -> tuple[float, Completed]:
    started = time.monotonic()
    result = run_cli(runner, *args, kubeconfig=kubeconfig)
    return time.monotonic() - started, result


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Lists (diagnose), and check's secret fetch, which turns per-secret API answers into problems
# but must still fail cleanly when there is no answer at all.
COMMANDS = {
    "diagnose": ["diagnose", "pod"],
    "check": ["check", IMAGE, "--secret", "regcred"],
}


def run_all(
    runner: PluginRunner, kubeconfig: Path, extra: tuple[str, ...] = ()
) -> dict[str, tuple[float, Completed]]:
    """Every command against one kubeconfig, two at a time."""

    def one(args: list[str]) -> tuple[float, Completed]:
        return timed(runner, *args, *extra, kubeconfig=kubeconfig)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(COMMANDS, pool.map(one, COMMANDS.values()), strict=True))


# --- nothing to talk to -----------------------------------------------------------------------


def test_server_down_refuses_connections(hrun: PluginRunner, world: World) -> None:
    kubeconfig = world.kubeconfig(
        "down",
        server=f"https://127.0.0.1:{closed_port()}",
        token=world.tokens["admin"],
        ca_file=world.ca_file,
    )
    for name, (elapsed, result) in run_all(
        hrun, kubeconfig, ("--request-timeout", TIMEOUT)
    ).items():
        line = assert_one_error_line(result, "cannot reach the API server", "127.0.0.1")
        assert "connection refused" in line, f"{name}: {line}"
        assert elapsed < TIMEOUT_S + SLACK_S, f"{name} took {elapsed:.1f} s"


def test_tls_with_the_wrong_ca(hrun: PluginRunner, world: World, tmp_path: Path) -> None:
    other_ca, _, _ = make_ca_and_cert(tmp_path, cn="someone-else")
    kubeconfig = world.kubeconfig(
        "wrong-ca", server=world.server, token=world.tokens["admin"], ca_file=other_ca
    )
    for name, (elapsed, result) in run_all(
        hrun, kubeconfig, ("--request-timeout", TIMEOUT)
    ).items():
        assert_one_error_line(result, "TLS verification failed")
        assert elapsed < TIMEOUT_S + SLACK_S, f"{name} took {elapsed:.1f} s"
        assert world.tokens["admin"] not in result.stderr


def test_https_to_a_plain_http_server(hrun: PluginRunner, world: World) -> None:
    with FaultProxy(world.server, world.ca_file, tls=False) as proxy:
        kubeconfig = world.kubeconfig(
            "plain",
            server=proxy.url.replace("http://", "https://"),
            token=world.tokens["admin"],
            ca_file=world.ca_file,
        )
        _elapsed, result = timed(hrun, "diagnose", "pod", kubeconfig=kubeconfig)
    assert_one_error_line(result, "TLS")


# --- credentials and kubeconfigs ----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def service_account_token(cp: ControlPlane, cluster: Cluster, ns: str, expires_in: int) -> str:
    """A bound ServiceAccount token for `default` in `ns`, signed with the control plane's own
    key, expiring `expires_in` seconds from now (negative: already expired)."""
    assert cp.pki is not None
    uid = cluster.rest.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")["metadata"]["uid"]
    now = int(time.time())
    claims = {
        "iss": cp.server,
        "aud": [cp.server],
        "sub": f"system:serviceaccount:{ns}:default",
        "iat": now - 7200,
        "nbf": now - 7200,
        "exp": now + expires_in,
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": "default", "uid": uid}},
    }
    signing_input = (
        _b64url(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
        + "."
        + _b64url(json.dumps(claims).encode())
    )
    key = serialization.load_pem_private_key(cp.pki.sa_key.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def test_expired_token_is_401(
    hrun: PluginRunner, world: World, hostile_plane: ControlPlane, hcluster: Cluster
) -> None:
    fresh = service_account_token(hostile_plane, hcluster, world.ns, 3600)
    expired = service_account_token(hostile_plane, hcluster, world.ns, -60)
    # The same token, unexpired, is accepted: the 401 below is the expiry and nothing else.
    ok = run_cli(
        hrun,
        "diagnose",
        "pod",
        kubeconfig=world.kubeconfig(
            "fresh", server=world.server, token=fresh, ca_file=world.ca_file
        ),
    )
    assert "401" not in ok.stderr, describe(ok)
    kubeconfig = world.kubeconfig(
        "expired", server=world.server, token=expired, ca_file=world.ca_file
    )
    for args in (["diagnose", "pod"], ["show", "regcred", "--debug"]):
        result = run_cli(hrun, *args, kubeconfig=kubeconfig)
        if "--debug" in args:
            assert result.returncode == 2 and "401 Unauthorized" in result.stderr, describe(result)
        else:
            assert_one_error_line(result, "401 Unauthorized", "hostile-user", "log in again")
        assert expired not in result.stdout + result.stderr
        assert expired.split(".")[2] not in result.stdout + result.stderr


def test_invalid_token_is_401(hrun: PluginRunner, world: World) -> None:
    token = "not-a-valid-token-" + "9f" * 16
    kubeconfig = world.kubeconfig(
        "bad-token", server=world.server, token=token, ca_file=world.ca_file
    )
    for name, (_, result) in run_all(hrun, kubeconfig, ("--debug",)).items():
        assert result.returncode == 2, f"{name}: {describe(result)}"
        assert "401 Unauthorized" in result.stderr, name
        assert token not in result.stdout + result.stderr, name


def test_context_names_a_missing_cluster(hrun: PluginRunner, world: World) -> None:
    kubeconfig = world.kubeconfig(
        "dangling",
        server=world.server,
        token=world.tokens["admin"],
        ca_file=world.ca_file,
        extra_contexts=[
            {"name": "dangling", "context": {"cluster": "gone", "user": "hostile-user"}}
        ],
    )
    result = run_cli(hrun, "diagnose", "pod", "--context", "dangling", kubeconfig=kubeconfig)
    assert_one_error_line(result, 'cluster "gone"', '"dangling"', "not found")
    result = run_cli(hrun, "show", "--context", "nope", kubeconfig=kubeconfig)
    assert_one_error_line(result, 'context "nope"', "not found")
    result = run_cli(hrun, "show", "--user", "nobody", kubeconfig=kubeconfig)
    assert_one_error_line(result, 'user "nobody"', "not found")


def test_broken_kubeconfigs(hrun: PluginRunner, world: World, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00\xff: [unclosed\n\tkey: {")
    no_context = tmp_path / "no-context"
    no_context.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": []}))
    bad_date = tmp_path / "bad-date"
    bad_date.write_text("apiVersion: v1\nkind: Config\ncurrent-context: 2024-13-45\n")
    not_a_map = tmp_path / "list"
    not_a_map.write_text("- a\n- b\n")
    cases = {
        garbage: "cannot read kubeconfig",
        no_context: "no current-context",
        bad_date: "cannot read kubeconfig",
        not_a_map: "not a mapping",
        tmp_path / "absent": "no such file",
    }
    for path, needle in cases.items():
        result = run_cli(hrun, "show", "--kubeconfig", str(path), kubeconfig=world.user("admin"))
        assert_one_error_line(result, needle)


def test_invalid_request_timeout(hrun: PluginRunner, world: World) -> None:
    result = run_cli(hrun, "show", "--request-timeout", "soon", kubeconfig=world.user("admin"))
    assert_one_error_line(result, "--request-timeout", "30s")


@pytest.mark.parametrize(
    ("command", "needles"),
    [
        (["diagnose", "pod"], ['namespace "no-such-namespace"', "not found"]),
        (["diagnose", "pod", "p0"], ['"no-such-namespace"', "not found"]),
        (["show"], ['namespace "no-such-namespace"', "not found"]),
        (["show", "regcred"], ['"no-such-namespace"', "not found"]),
    ],
    ids=["diagnose", "diagnose-name", "show", "show-name"],
)
def test_a_namespace_that_does_not_exist(
    hrun: PluginRunner, world: World, command: list[str], needles: list[str]
) -> None:
    result = run_cli(hrun, *command, "-n", "no-such-namespace", kubeconfig=world.user("admin"))
    assert_one_error_line(result, *needles)


def test_check_in_a_namespace_that_does_not_exist(hrun: PluginRunner, world: World) -> None:
    result = run_cli(
        hrun,
        "check",
        IMAGE,
        "--secret",
        "regcred",
        "-n",
        "no-such-namespace",
        "-o",
        "json",
        kubeconfig=world.user("admin"),
    )
    assert_no_crash(result, codes=(1, 2))
    text = result.stderr + result.stdout
    assert "no-such-namespace" in text, describe(result)


# --- RBAC: everything but one resource ------------------------------------------------------------


@dataclass(frozen=True)
class Denied:
    user: str
    args: tuple[str, ...]
    fatal: tuple[str, ...] = ()  # exit 2 with one error line holding these
    says: tuple[str, ...] = ()  # a partial report whose stdout+stderr holds these
    code: str = ""  # a Problem code the partial report must carry


DENIED = [
    # Controls: what admin sees, so that each restricted run below has something to miss.
    Denied("admin", ("diagnose", "pod", "late-sa"), code="ServiceAccountSecretsNotApplied"),
    Denied("admin", ("show", "regcred"), says=("pod/p0", "serviceaccount/builder")),
    # Each user may read everything but one resource.
    Denied("no-pods", ("diagnose", "pod"), fatal=("forbidden", "list pods")),
    Denied("no-pods", ("diagnose", "pod", "p0"), fatal=("forbidden", "get pods")),
    Denied("no-pods", ("show", "regcred"), says=("cannot list pods", "forbidden")),
    Denied(
        "no-events",
        ("diagnose", "pod"),
        says=("cannot list events", "forbidden"),
        code="CredentialsRejected",
    ),
    Denied(
        "no-secrets", ("diagnose", "pod", "p0"), says=("RBAC forbids",), code="SecretUnreadable"
    ),
    Denied("no-secrets", ("show",), fatal=("forbidden", "list secrets")),
    Denied("no-secrets", ("show", "regcred"), fatal=("forbidden", "get secrets")),
    Denied(
        "no-secrets",
        ("check", IMAGE, "--secret", "regcred"),
        says=("cannot be read",),
        code="SecretUnreadable",
    ),
    Denied(
        "no-serviceaccounts", ("show", "regcred"), says=("cannot list serviceaccounts", "forbidden")
    ),
    # The admin control finds ServiceAccountSecretsNotApplied here; without the ServiceAccount
    # the report must at least say that it could not look.
    Denied(
        "no-serviceaccounts", ("diagnose", "pod", "late-sa"), says=("serviceaccount", "forbidden")
    ),
    Denied("no-namespaces", ("diagnose", "pod"), code="CredentialsRejected"),
    # An empty answer from a namespace whose existence could not be checked must say so.
    Denied(
        "no-namespaces",
        ("diagnose", "pod", "-n", "no-such-namespace"),
        says=("no-such-namespace", "forbidden"),
    ),
]


@pytest.fixture(scope="module")
def denied_results(hostile_plane: ControlPlane, world: World) -> dict[int, Completed]:
    runner = PluginRunner(lambda: world.user("admin"))

    def one(i: int) -> Completed:
        case = DENIED[i]
        return run_cli(runner, *case.args, "-o", "json", kubeconfig=world.user(case.user))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(range(len(DENIED)), pool.map(one, range(len(DENIED))), strict=True))


@pytest.mark.parametrize(
    "index", range(len(DENIED)), ids=[f"{d.user}:{'-'.join(d.args[:3])}" for d in DENIED]
)
def test_forbidden_resource(index: int, denied_results: dict[int, Completed]) -> None:
    case = DENIED[index]
    result = denied_results[index]
    if case.fatal:
        assert_one_error_line(result, *case.fatal)
        return
    assert_no_crash(result, codes=(0, 1))
    text = (result.stdout + result.stderr).lower()
    for needle in case.says:
        assert needle.lower() in text, f"{needle!r} missing:\n{describe(result)}"
    if case.code:
        doc = parse_output(result)
        problems = [p for item in doc.get("items", [doc]) for p in item.get("problems", [])]
        assert case.code in codes(problems), describe(result)


# --- injected faults --------------------------------------------------------------------------------


@pytest.fixture
def proxy(world: World) -> Iterator[FaultProxy]:
    with FaultProxy(
        world.server, world.ca_file, page_limit=PAGE, watch_cache=False, hang_limit=30.0
    ) as p:
        yield p


@pytest.fixture
def via_proxy(world: World, proxy: FaultProxy) -> Path:
    return world.kubeconfig(
        "proxy", server=proxy.url, token=world.tokens["admin"], ca_file=proxy.ca_file
    )


def pods_reported(result: Completed) -> set[str]:
    return {r["pod"] for r in parse_output(result)["items"]}


ALL_FAILING = {f"p{i}" for i in range(N_PODS)} | {"late-sa"}


def test_pagination_through_the_proxy_sees_every_pod(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    """The baseline for the faults below: with pages of two, every failing pod is reported."""
    result = run_cli(hrun, "diagnose", "pod", "-o", "json", kubeconfig=via_proxy)
    assert_no_crash(result, codes=(1,))
    assert pods_reported(result) == ALL_FAILING
    pages = proxy.requests(r"/pods$")
    assert len(pages) >= 3 and sum("continue" in s.query for s in pages) >= 2


def test_429_and_503_are_retried_with_backoff(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(
        Fault(
            r"/pods$", status=429, reason="TooManyRequests", headers={"Retry-After": "1"}, times=1
        )
    )
    proxy.add(Fault(r"/pods$", status=503, reason="ServiceUnavailable", times=1))
    result = run_cli(hrun, "diagnose", "pod", "-o", "json", kubeconfig=via_proxy)
    assert_no_crash(result, codes=(1,))
    assert pods_reported(result) == ALL_FAILING
    first = proxy.requests(r"/pods$")[:3]
    assert [s.fault for s in first[:2]] == ["fault-0", "fault-1"]
    assert first[1].at - first[0].at >= 0.9, "Retry-After: 1 was not honoured"
    assert first[2].at - first[1].at >= 0.15, "no back-off after 503"


def test_persistent_5xx_gives_up_after_a_bound(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(
        Fault(r"/pods$", status=500, reason="InternalError", message="etcdserver: leader changed")
    )
    _elapsed, result = timed(hrun, "diagnose", "pod", kubeconfig=via_proxy)
    assert_one_error_line(result, "500", "leader changed")
    hits = proxy.requests(r"/pods$")
    assert len(hits) == MAX_ATTEMPTS
    # Exponential back-off between attempts: at least 0.2 s, 0.4 s, 0.8 s (kube.get's delays).
    gaps = [b.at - a.at for a, b in itertools.pairwise(hits)]
    floors = [0.2 * 2**i for i in range(len(gaps))]
    assert all(gap >= 0.9 * floor for gap, floor in zip(gaps, floors, strict=True)), gaps


def test_5xx_retries_stop_at_the_request_timeout(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/pods$", status=503, headers={"Retry-After": "5"}))
    elapsed, result = timed(
        hrun, "diagnose", "pod", "--request-timeout", "1s", kubeconfig=via_proxy
    )
    assert_one_error_line(result, "503")
    assert elapsed < 1.0 + SLACK_S
    assert len(proxy.requests(r"/pods$")) < MAX_ATTEMPTS


def test_410_on_a_continue_token_restarts_the_list(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(
        Fault(
            r"/pods$",
            status=410,
            reason="Expired",
            message="The provided continue parameter is too old to display a consistent list result.",
            when=with_continue,
            times=1,
        )
    )
    result = run_cli(hrun, "diagnose", "pod", "-o", "json", kubeconfig=via_proxy)
    assert_no_crash(result, codes=(1,))
    assert pods_reported(result) == ALL_FAILING
    pods = proxy.requests(r"/pods$")
    expired_at = next(i for i, s in enumerate(pods) if s.fault)
    assert "continue" not in pods[expired_at + 1].query, "the list did not restart from the top"


def test_410_forever_gives_up(hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path) -> None:
    proxy.add(
        Fault(
            r"/pods$",
            status=410,
            reason="Expired",
            message="The provided continue parameter is too old to display a consistent list result.",
            when=with_continue,
        )
    )
    result = run_cli(hrun, "diagnose", "pod", kubeconfig=via_proxy)
    assert_one_error_line(result, "continue parameter is too old")
    starts = [s for s in proxy.requests(r"/pods$") if "continue" not in s.query]
    assert len(starts) == MAX_LIST_RESTARTS + 1


def test_server_stops_answering_in_the_middle_of_a_list(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    """Page one arrives; page two sends its headers and 100 bytes, then nothing."""
    proxy.add(Fault(r"/pods$", hang_after=100, when=with_continue))
    elapsed, result = timed(
        hrun, "diagnose", "pod", "--request-timeout", TIMEOUT, kubeconfig=via_proxy
    )
    assert_one_error_line(result, "timed out")
    assert elapsed < TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s"


def test_server_stops_answering_a_single_object(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/secrets/regcred$", hang_after=10))
    elapsed, result = timed(
        hrun, "show", "regcred", "--request-timeout", TIMEOUT, kubeconfig=via_proxy
    )
    assert_one_error_line(result, "timed out")
    assert elapsed < TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s"
    assert PASSWORD not in result.stdout + result.stderr


def test_slow_headers_hit_the_request_timeout(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/pods/p0$", delay=20.0))
    elapsed, result = timed(
        hrun, "diagnose", "pod", "p0", "--request-timeout", TIMEOUT, kubeconfig=via_proxy
    )
    assert_one_error_line(result, "timed out")
    assert elapsed < TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s"


def test_a_body_that_trickles_is_cut_at_the_request_timeout(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    """Each byte comes before the socket's timeout, so only a bound on the whole request, as
    kubectl's --request-timeout is, ends it."""
    proxy.add(Fault(r"/pods/p0$", trickle=0.2))
    started = time.monotonic()
    result = run_cli(
        hrun, "diagnose", "pod", "p0", "--request-timeout", TIMEOUT, kubeconfig=via_proxy
    )
    assert_one_error_line(result, "did not arrive within --request-timeout")
    assert time.monotonic() - started < TIMEOUT_S + SLACK_S


def test_connection_cut_mid_body_is_retried_then_reported(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/pods$", cut_after=50))
    _elapsed, result = timed(hrun, "diagnose", "pod", kubeconfig=via_proxy)
    assert_one_error_line(result, "connection broke off")
    assert len(proxy.requests(r"/pods$")) == MAX_ATTEMPTS


def test_dropped_connections_heal_on_retry(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/pods$", close=True, times=2))
    result = run_cli(hrun, "diagnose", "pod", "-o", "json", kubeconfig=via_proxy)
    assert_no_crash(result, codes=(1,))
    assert pods_reported(result) == ALL_FAILING


def test_secret_fetch_failing_is_a_partial_report(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    proxy.add(Fault(r"/secrets/regcred$", status=500, message="etcd is down"))
    result = run_cli(
        hrun, "diagnose", "pod", "p0", "-o", "json", "--request-timeout", "1s", kubeconfig=via_proxy
    )
    assert_no_crash(result, codes=(1,))
    (report,) = parse_output(result)["items"]
    assert "SecretUnreadable" in codes(report["problems"]), problem_text(report["problems"])
    assert "etcd is down" in problem_text(report["problems"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [(b"<html>502 Bad Gateway</html>", "invalid JSON"), (b"[1, 2]", "unexpected document")],
    ids=["not-json", "not-an-object"],
)
def test_a_200_that_is_not_a_kubernetes_answer(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path, body: bytes, needle: str
) -> None:
    proxy.add(Fault(r"/pods/p0$", status=200, body=body))
    result = run_cli(hrun, "diagnose", "pod", "p0", kubeconfig=via_proxy)
    assert_one_error_line(result, needle)


def test_an_error_status_echoing_secret_material_is_scrubbed(
    hrun: PluginRunner, proxy: FaultProxy, via_proxy: Path
) -> None:
    """A Status message is written by whoever runs the server; credentials in it are masked."""
    leaked = auth("robot", PASSWORD)
    proxy.add(
        Fault(
            r"/secrets/regcred$",
            status=422,
            message=f'bad data: {{"auth": "{leaked}"}} \x1b[31mAuthorization: Bearer {leaked}',
        )
    )
    result = run_cli(hrun, "show", "regcred", kubeconfig=via_proxy)
    line = assert_one_error_line(result)
    assert leaked not in line and "\x1b" not in line, line

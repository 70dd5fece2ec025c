"""`diagnose ... --wait`: follow the failing Pods through the kubelet's next attempt.

The first tests are pure (commands/follow.py's reading of container states); the others run the
real plugin against a real kube-apiserver while the test, as the kubelet would, writes the
attempt's result: a container that runs, or a new failure. The real node proves the same on a
real kubelet (tests/node, the lead's).
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from kubectl_pullsecret.commands.follow import followed_from
from kubectl_pullsecret.kubelet.backoff import RetryOutlook
from kubectl_pullsecret.kubelet.pod import ContainerStatus
from kubectl_pullsecret.verdicts.catalogue import Code, Problem, Severity
from kubectl_pullsecret.verdicts.pod import ContainerReport
from tests.support.control_plane import Cluster
from tests.support.genuine_texts import refused

if TYPE_CHECKING:
    from conftest import PluginRunner

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
REFUSED = "failed to resolve reference: 401 Unauthorized"


def report(
    state: str, retry: RetryOutlook | None = None, awaiting: bool = False
) -> ContainerReport:
    problems = (Problem(Code.AWAITING_RETRY, Severity.WARNING, "m"),) if awaiting else ()
    return ContainerReport(
        "ns", "web", "app", "containers", "r.io/a:1", "r.io/a", "r.io", state, "Pending",
        False, (), problems, (), "default", retry=retry,
    )  # fmt: skip


def waiting(reason: str, message: str = "") -> ContainerStatus:
    return ContainerStatus("app", waiting_reason=reason, waiting_message=message)


def test_from_a_back_off_the_next_error_is_the_attempt() -> None:
    (f,) = followed_from([report("ImagePullBackOff")])
    assert not f.observe(waiting("ImagePullBackOff", 'Back-off pulling image "a"'), T0)
    assert f.observe(waiting("ErrImagePull", REFUSED), T0) and f.outcome == "ErrImagePull"
    assert f.seen is not None and f.seen.message == REFUSED


def test_from_a_fresh_error_the_back_off_comes_first() -> None:
    """ErrImagePull turns to ImagePullBackOff at the next sync without any pull: only a change
    after that, or a different error, is an attempt."""
    (f,) = followed_from([report("ErrImagePull")])
    assert not f.observe(waiting("ErrImagePull", REFUSED), T0)  # the state diagnosed
    assert not f.observe(waiting("ErrImagePull", REFUSED), T0)
    assert not f.observe(waiting("ImagePullBackOff", 'Back-off pulling image "a"'), T0)
    assert f.observe(waiting("ErrImagePull", REFUSED), T0)
    (g,) = followed_from([report("ErrImagePull")])
    g.observe(waiting("ErrImagePull", REFUSED), T0)
    assert g.observe(waiting("ErrImagePull", "manifest unknown"), T0)  # a new error


def test_running_or_gone_ends_the_follow() -> None:
    (f,) = followed_from([report("ImagePullBackOff")])
    assert not f.observe(waiting("ContainerCreating"), T0)
    assert f.observe(ContainerStatus("app", running=True), T0) and f.outcome == "Running"
    (g,) = followed_from([report("ImagePullBackOff")])
    assert g.observe(None, T0) and g.outcome == "deleted"


def test_an_attempt_that_may_have_read_the_old_secret_is_not_the_one_judged() -> None:
    """The secret changed at T0+5 s; the back-off on record ends at T0+10 s (one failure):
    the attempt seen may have begun before the change reached the kubelet. The next one begins
    a back-off after it: that one judges the new secret."""
    early = RetryOutlook(T0, 1, False, T0 + timedelta(seconds=9))
    (f,) = followed_from([report("ImagePullBackOff", early, awaiting=True)])
    seen_at = T0 + timedelta(seconds=20)
    assert not f.observe(waiting("ErrImagePull", REFUSED), seen_at)
    assert not f.observe(waiting("ImagePullBackOff"), seen_at + timedelta(seconds=5))
    assert f.observe(waiting("ErrImagePull", REFUSED), seen_at + timedelta(seconds=40))
    assert f.seen is not None and f.seen.began_after == seen_at + timedelta(seconds=10)
    # Changed well before the back-off's end: the first attempt judges it.
    late = RetryOutlook(T0, 3, False, T0 + timedelta(seconds=5))  # back-off 40 s
    (g,) = followed_from([report("ImagePullBackOff", late, awaiting=True)])
    assert g.observe(waiting("ErrImagePull", REFUSED), T0 + timedelta(seconds=50))
    assert g.seen is not None and g.seen.began_after == T0 + timedelta(seconds=40)


def test_a_bare_wait_lasts_the_kubelets_longest_back_off_and_a_margin() -> None:
    from kubectl_pullsecret.cli.app import DEFAULT_WAIT
    from kubectl_pullsecret.cli.flags import parse_duration
    from kubectl_pullsecret.commands.follow import DEFAULT_WAIT_SECONDS
    from kubectl_pullsecret.kubelet.backoff import MAX_RETRY_GAP_SECONDS

    assert parse_duration(DEFAULT_WAIT, "--wait") == DEFAULT_WAIT_SECONDS
    assert MAX_RETRY_GAP_SECONDS + 30 <= DEFAULT_WAIT_SECONDS <= 2 * MAX_RETRY_GAP_SECONDS


def test_only_failures_an_attempt_can_change_are_followed() -> None:
    reports = [report(s) for s in ("InvalidImageName", "ErrImageNeverPull", "Running")]
    assert followed_from(reports) == []
    assert [f.reason for f in followed_from([report("RegistryUnavailable")])] == [
        "RegistryUnavailable"
    ]


# ---------------------------------------------------------------------------------------------
# End to end: the plugin waits while the test writes what the kubelet writes.

IMAGE = "registry.example.com/team/app:v1"
REFUSAL = refused(IMAGE)


def fixed_after_a_refusal(cluster: Cluster, ns: str) -> None:
    """A Pod refused with secret `regcred`, whose secret is then replaced (kubelet 1.20: the
    back-off message keeps no error)."""
    cluster.create_docker_secret(ns, "regcred", {"registry.example.com": ("ci", "wrong-pw-1")})
    cluster.create_pod(ns, "web", containers=(("app", IMAGE),), image_pull_secrets=["regcred"])
    cluster.simulate_pull_failure(ns, "web", "app", IMAGE, REFUSAL, backoff=False)
    cluster.set_container_waiting(
        ns, "web", "app", "ImagePullBackOff", f'Back-off pulling image "{IMAGE}"'
    )
    time.sleep(1.1)  # the replacement is dated a second later than the refusal
    config = {"auths": {"registry.example.com": {"username": "ci", "password": "right-pw-2"}}}
    payload = base64.b64encode(json.dumps(config).encode()).decode()
    # As the printed fix does it (kubectl replace): a manager of its own, whose managedFields
    # entry dates the change (kube-apiserver 1.20 keeps the first time of a manager that
    # writes again).
    cluster.rest.request(
        "PATCH",
        f"/api/v1/namespaces/{ns}/secrets/regcred",
        {"data": {".dockerconfigjson": payload}},
        query={"fieldManager": "kubectl-replace"},
        content_type="application/merge-patch+json",
    )


def start(run_plugin: PluginRunner, *args: str) -> subprocess.Popen[bytes]:
    env = run_plugin.env()
    kubectl = shutil.which("kubectl", path=env["PATH"])
    assert kubectl is not None
    return subprocess.Popen(
        [kubectl, "pullsecret", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_line(process: subprocess.Popen[bytes], text: str, seconds: float = 30) -> bytes:
    """stderr lines until one contains `text` (the plugin says it is waiting), read from the
    pipe unbuffered so that nothing waits in a buffer that select does not see."""
    assert process.stderr is not None
    fd = process.stderr.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    read = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and text.encode() not in read:
        if selector.select(timeout=deadline - time.monotonic()):
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            read += chunk
    if text.encode() not in read:
        process.kill()
        pytest.fail(f"no line with {text!r} on stderr: {read.decode().splitlines()}")
    return read


def finish(process: subprocess.Popen[bytes], before: bytes) -> tuple[int, str, list[str]]:
    """Exit code, stdout and every stderr line, those read before included."""
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout.decode(), (before + stderr).decode().splitlines()


@pytest.mark.e2e
def test_wait_follows_a_fixed_pod_until_it_runs(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    fixed_after_a_refusal(cluster, namespace)
    now = run_plugin("diagnose", "pod", "web", "-n", namespace, "-o", "json")
    (item,) = json.loads(now.stdout)["items"]
    assert [p["code"] for p in item["problems"]] == ["AwaitingRetry"], item["problems"]
    assert now.returncode == 1  # still failing: listed, non-zero

    process = start(
        run_plugin, "diagnose", "pod", "web", "-n", namespace, "--wait=60s", "-o", "json", "--debug"
    )
    before = wait_for_line(process, "web app: ImagePullBackOff")
    cluster.set_container_running(namespace, "web", "app")  # the kubelet's retry pulled it
    code, stdout, stderr = finish(process, before)
    assert code == 0, stderr
    assert f"{namespace}/web app: pulled, Running" in stderr
    (item,) = json.loads(stdout)["items"]
    assert (item["state"], item["problems"]) == ("Running", [])
    # Watched, not polled: a list and a watch per namespace, whatever the wait.
    (requests,) = [line for line in stderr if "API requests while following" in line]
    assert int(requests.split(":")[-1].split()[0]) <= 3, requests


@pytest.mark.e2e
def test_wait_gives_the_new_cause_when_the_retry_fails(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """The replaced secret is wrong too: the retry's refusal (only in the container's status so
    far: events lag) is the verdict, and it is about the new secret."""
    fixed_after_a_refusal(cluster, namespace)
    process = start(run_plugin, "diagnose", "pod", "web", "-n", namespace, "--wait=60s")
    before = wait_for_line(process, "web app: ImagePullBackOff")
    cluster.set_container_waiting(namespace, "web", "app", "ErrImagePull", REFUSAL)
    code, stdout, stderr = finish(process, before)
    assert code == 1, stderr
    assert f"{namespace}/web app: the kubelet tried again: ErrImagePull" in stderr
    assert "CredentialsRejected" in stdout and "AwaitingRetry" not in stdout, stdout


@pytest.mark.e2e
def test_wait_is_bounded(run_plugin: PluginRunner, cluster: Cluster, namespace: str) -> None:
    fixed_after_a_refusal(cluster, namespace)
    started = time.monotonic()
    result = run_plugin("diagnose", "pod", "-n", namespace, "--wait=2s")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"warning: {namespace}/web app: no new attempt of the kubelet within 2 s" in (
        result.stderr
    )
    assert "AwaitingRetry" in result.stdout


@pytest.mark.e2e
def test_ctrl_c_ends_the_wait_with_one_line(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    fixed_after_a_refusal(cluster, namespace)
    process = start(run_plugin, "diagnose", "pod", "-n", namespace, "--wait")
    before = wait_for_line(process, "waiting up to 6m0s")
    process.send_signal(signal.SIGINT)
    code, stdout, stderr = finish(process, before)
    assert code == 130
    assert stdout == ""
    assert stderr[0].startswith("waiting up to 6m0s") and stderr[-1] == "interrupted", stderr
    assert all(line.startswith(f"{namespace}/web app:") for line in stderr[1:-1]), stderr


@pytest.mark.e2e
def test_a_bare_wait_does_not_take_the_next_word(
    run_plugin: PluginRunner, cluster: Cluster, namespace: str
) -> None:
    """`--wait pod` reads `pod` as the TYPE; with nothing failing there is nothing to wait for;
    a bad duration is one clear line."""
    cluster.create_pod(namespace, "web", containers=(("app", IMAGE),))
    cluster.set_container_running(namespace, "web", "app")
    result = run_plugin("diagnose", "--wait", "pod", "web", "-n", namespace)
    assert result.returncode == 0, result.stderr
    assert "Running" in result.stdout and "waiting up to" not in result.stderr
    bad = run_plugin("diagnose", "--wait=soon", "pod", "-n", namespace)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: invalid --wait 'soon': use a duration like 24h, 3d or 90m"
    ]

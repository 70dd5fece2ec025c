"""--verify end to end: Pods and secrets in the real test apiserver, real registries, and the
real `kubectl pullsecret` found through kubectl's plugin discovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.registries import closed_port
from tests.support.registry_users import ALICE, BOB, PRIVATE, PUBLIC, TAG, WRONG

pytestmark = pytest.mark.e2e

SECRETS = (ALICE[1], BOB[1], WRONG)


def diagnose(
    run_plugin: Any, ns: str, pod: str, ca: Path, *extra: str
) -> tuple[int, list[dict[str, str]], str]:
    result = run_plugin(
        "diagnose", "pod", pod, "-n", ns, "--verify", "--registry-ca", str(ca), "-o", "json", *extra
    )
    assert result.returncode in (0, 1), result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    (item,) = json.loads(result.stdout)["items"]
    return result.returncode, item["problems"], result.stdout


def codes(problems: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(p["code"], p["severity"]) for p in problems]


@pytest.fixture
def ca(pki: Any) -> Path:
    return Path(pki.ca_cert)


def test_correct_wrong_and_unauthorized_credentials(
    run_plugin, cluster, namespace, registries, ca
) -> None:  # type: ignore[no-untyped-def]
    registry = registries.token_tls.hostport
    image = f"{registry}/{PRIVATE}:{TAG}"
    for name, (user, password) in {
        "good": ALICE,
        "wrong": (ALICE[0], WRONG),
        "norights": BOB,
    }.items():
        cluster.create_docker_secret(namespace, name, {registry: (user, password)})
        cluster.create_pod(
            namespace, f"pod-{name}", containers=[("app", image)], image_pull_secrets=[name]
        )

    code, problems, _ = diagnose(run_plugin, namespace, "pod-good", ca)
    assert code == 0 and codes(problems) == [("CredentialsValid", "info")]
    assert "alice" in problems[0]["message"]

    code, problems, _ = diagnose(run_plugin, namespace, "pod-wrong", ca)
    assert code == 1 and ("CredentialsRejected", "error") in codes(problems)

    code, problems, _ = diagnose(run_plugin, namespace, "pod-norights", ca)
    assert code == 1 and ("AccessDenied", "error") in codes(problems)


def test_missing_tag_and_server_down(run_plugin, cluster, namespace, registries, ca) -> None:  # type: ignore[no-untyped-def]
    registry = registries.token_tls.hostport
    down = f"127.0.0.1:{closed_port()}"
    cluster.create_docker_secret(namespace, "regcred", {registry: ALICE, down: ALICE})
    cluster.create_pod(
        namespace,
        "missing",
        containers=[("app", f"{registry}/{PRIVATE}:nope")],
        image_pull_secrets=["regcred"],
    )
    cluster.create_pod(
        namespace,
        "down",
        containers=[("app", f"{down}/{PRIVATE}:{TAG}")],
        image_pull_secrets=["regcred"],
    )

    code, problems, _ = diagnose(run_plugin, namespace, "missing", ca)
    assert code == 1 and ("ImageNotFound", "error") in codes(problems)

    _, problems, _ = diagnose(run_plugin, namespace, "down", ca)
    (problem,) = [p for p in problems if p["code"] == "RegistryUnreachable"]
    assert "refused" in problem["message"]


def test_only_the_second_credential_works(run_plugin, cluster, namespace, registries, ca) -> None:  # type: ignore[no-untyped-def]
    registry = registries.token_tls.hostport
    cluster.create_docker_secret(namespace, "first", {registry: (ALICE[0], WRONG)})
    cluster.create_docker_secret(namespace, "second", {registry: ALICE})
    cluster.create_pod(
        namespace,
        "web",
        containers=[("app", f"{registry}/{PRIVATE}:{TAG}")],
        image_pull_secrets=["first", "second"],
    )
    _, problems, out = diagnose(run_plugin, namespace, "web", ca)
    assert codes(problems) == [("CredentialsRejected", "warning"), ("CredentialsValid", "info")]
    assert "secret/second" in problems[1]["message"]
    assert [c["secret"] for c in json.loads(out)["items"][0]["credentials"]] == ["first", "second"]


def test_anonymous_public_image_and_a_wrong_credential_breaking_it(
    run_plugin, cluster, namespace, registries, ca
) -> None:  # type: ignore[no-untyped-def]
    registry = registries.token_tls.hostport
    image = f"{registry}/{PUBLIC}:{TAG}"
    cluster.create_pod(namespace, "anon", containers=[("app", image)])
    code, problems, _ = diagnose(run_plugin, namespace, "anon", ca)
    assert code == 0 and ("AnonymousPullAllowed", "info") in codes(problems)

    cluster.create_docker_secret(namespace, "wrong", {registry: (ALICE[0], WRONG)})
    cluster.create_pod(
        namespace, "broken", containers=[("app", image)], image_pull_secrets=["wrong"]
    )
    code, problems, _ = diagnose(run_plugin, namespace, "broken", ca)
    assert code == 1
    assert any("anonymous" in p["message"].lower() for p in problems if p["severity"] == "error")


def test_plain_http_registry_needs_insecure_registry(
    run_plugin, cluster, namespace, registries, ca
) -> None:  # type: ignore[no-untyped-def]
    registry = registries.basic_http.hostport
    cluster.create_docker_secret(namespace, "regcred", {registry: ALICE})
    cluster.create_pod(
        namespace,
        "web",
        containers=[("app", f"{registry}/{PRIVATE}:{TAG}")],
        image_pull_secrets=["regcred"],
    )
    _, problems, _ = diagnose(run_plugin, namespace, "web", ca)
    assert "--insecure-registry" in json.dumps(problems)
    code, problems, _ = diagnose(run_plugin, namespace, "web", ca, "--insecure-registry", registry)
    assert code == 0 and codes(problems) == [("CredentialsValid", "info")]


def test_check_and_show_verify(
    run_plugin, cluster, namespace, registries, ca, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    registry = registries.basic_tls.hostport
    image = f"{registry}/{PRIVATE}:{TAG}"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {registry: {"username": ALICE[0], "password": WRONG}}}))
    result = run_plugin(
        "check", image, "--file", str(config), "--verify", "--registry-ca", str(ca), "-o", "json"
    )
    assert result.returncode == 1 and WRONG not in result.stdout + result.stderr
    assert "CredentialsRejected" in [p["code"] for p in json.loads(result.stdout)["problems"]]

    cluster.create_docker_secret(namespace, "regcred", {registry: ALICE})
    cluster.create_pod(
        namespace, "web", containers=[("app", image)], image_pull_secrets=["regcred"]
    )
    result = run_plugin(
        "show", "regcred", "-n", namespace, "--verify", "--registry-ca", str(ca), "-o", "json"
    )
    assert result.returncode == 0, result.stderr
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["code"] == "CredentialsValid" and problem["message"].startswith(image)
    assert ALICE[1] not in result.stdout + result.stderr


def test_verify_is_bounded_by_request_timeout(run_plugin, cluster, namespace, ca) -> None:  # type: ignore[no-untyped-def]
    import socket
    import time

    # A registry that accepts connections and never answers.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        registry = f"127.0.0.1:{server.getsockname()[1]}"
        cluster.create_docker_secret(namespace, "regcred", {registry: ALICE})
        cluster.create_pod(
            namespace,
            "web",
            containers=[("app", f"{registry}/{PRIVATE}:{TAG}")],
            image_pull_secrets=["regcred"],
        )
        started = time.monotonic()
        result = run_plugin(
            "diagnose",
            "pod",
            "web",
            "-n",
            namespace,
            "--verify",
            "--request-timeout",
            "3s",
            "-o",
            "json",
        )
        elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed  # 3 s budget plus the process start-up
    assert "RegistryUnreachable" in result.stdout

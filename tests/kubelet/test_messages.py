"""Reading the kubelet's messages (pkg/kubelet/images, kubelet_pods.go)."""

import pytest

from kubectl_pullsecret.kubelet.messages import (
    PullError,
    classify_pull_error,
    container_of,
    parse_missing_pull_secrets,
    runtime_error_of,
)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (
            "pull access denied for janedoe/app, repository does not exist or may require 'docker login'",
            PullError.AUTH,
        ),
        (
            "failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized",
            PullError.AUTH,
        ),
        ("authorization failed: no basic auth credentials", PullError.AUTH),
        ("unauthorized: authentication required", PullError.AUTH),
        ("insufficient_scope: authorization failed", PullError.AUTH),
        ("denied: requested access to the resource is denied", PullError.AUTH),
        (
            'failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found',
            PullError.NOT_FOUND,
        ),
        ("manifest unknown: manifest unknown", PullError.NOT_FOUND),
        ("toomanyrequests: You have reached your pull rate limit.", PullError.RATE_LIMITED),
        (
            "dial tcp: lookup private-registry.io on 10.96.0.10:53: no such host",
            PullError.UNREACHABLE,
        ),
        ("dial tcp 10.0.0.1:443: i/o timeout", PullError.UNREACHABLE),
        ("dial tcp 127.0.0.1:5000: connect: connection refused", PullError.UNREACHABLE),
        ("x509: certificate signed by unknown authority", PullError.UNREACHABLE),
        ("something else entirely", PullError.UNKNOWN),
    ],
)
def test_classification(message: str, kind: PullError) -> None:
    assert classify_pull_error(message) is kind


def test_missing_pull_secret_names() -> None:
    message = "Unable to retrieve some image pull secrets (regcred, other); attempting to pull the image may not succeed."
    assert parse_missing_pull_secrets(message) == ["regcred", "other"]
    assert parse_missing_pull_secrets("garbage") == []


def test_runtime_error_from_both_formats() -> None:
    assert (
        runtime_error_of('Failed to pull image "nginx": rpc error: not found')
        == "rpc error: not found"
    )
    assert (
        runtime_error_of('Back-off pulling image "nginx": ErrImagePull: 401 Unauthorized')
        == "401 Unauthorized"
    )
    assert runtime_error_of('Back-off pulling image "nginx"') is None
    assert runtime_error_of("Error: ImagePullBackOff") is None


def test_container_of_field_paths() -> None:
    assert container_of("spec.initContainers{setup}").kind == "initContainers"  # type: ignore[union-attr]
    assert container_of("spec.containers{app}").name == "app"  # type: ignore[union-attr]
    assert container_of("") is None and container_of("spec.containers") is None

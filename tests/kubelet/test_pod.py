"""The Pod as the kubelet reads it: image volumes pulled like containers, pull policy defaults."""

from __future__ import annotations

import pytest

from kubectl_pullsecret.kubelet.pod import (
    IMAGE_VOLUME_KIND,
    ContainerSpec,
    ImageVolumeSpec,
    PodFacts,
    effective_pull_policy,
)


@pytest.mark.parametrize(
    ("image", "declared", "policy"),
    [
        # SetDefaults_Container: Always for tag "latest" (also implied when neither tag nor
        # digest is given: parsers.ParseImageName defaults the tag), else IfNotPresent.
        ("nginx", "", "Always"),
        ("nginx:latest", "", "Always"),
        ("nginx:1.27", "", "IfNotPresent"),
        ("localhost:5000/app", "", "Always"),
        ("localhost:5000/app:v1", "", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "", "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "", "Always"),
        ("nginx:1.27", "Never", "Never"),
        ("nginx", "IfNotPresent", "IfNotPresent"),
        ("nginx:1.27", "Sometimes", "IfNotPresent"),  # not a policy: the default applies
    ],
)
def test_effective_pull_policy(image: str, declared: str, policy: str) -> None:
    assert effective_pull_policy(image, declared) == policy


def test_image_volumes_are_pulled_images() -> None:
    volume = ImageVolumeSpec("models", "quay.io/org/models:v2", "Always", ("app",))
    pod = PodFacts("ns", "p", containers=(ContainerSpec("app", "nginx"),), image_volumes=(volume,))
    assert pod.pulled_images() == (
        ContainerSpec("app", "nginx"),
        ContainerSpec("models", "quay.io/org/models:v2", IMAGE_VOLUME_KIND, "Always"),
    )

"""KEP-2535: a cached image re-checked against the Pod's credentials (image_cache.py)."""

from __future__ import annotations

import pytest

from kubectl_pullsecret.kubelet.image_cache import CacheEffect, cached_image_check
from kubectl_pullsecret.kubelet.versions import Gate, rules_for


@pytest.mark.parametrize(
    ("kubelet", "policy", "reason", "effect", "gate"),
    [
        # Before 1.33 the gate does not exist: a cached image serves any Pod (real-node.md k).
        ("v1.32.4", "Never", "ErrImageNeverPull", CacheEffect.NONE, Gate.ABSENT),
        ("v1.20.2", "IfNotPresent", "", CacheEffect.NONE, Gate.ABSENT),
        # 1.35+: on by default (kube_features {1.35 Beta true}); imageNotPresentOnNeverPolicyError
        # says "not present" although the image is there.
        (
            "v1.35.0",
            "Never",
            "ErrImageNeverPull",
            CacheEffect.NEVER_PULL_NOT_VERIFIED,
            Gate.ON,
        ),
        # IfNotPresent pulls again with this Pod's credentials (MustAttemptImagePull).
        (
            "v1.35.0",
            "IfNotPresent",
            "ErrImagePull",
            CacheEffect.REPULL_WITH_POD_CREDENTIALS,
            Gate.ON,
        ),
        ("v1.33.2", "IfNotPresent", "", CacheEffect.REPULL_WITH_POD_CREDENTIALS, Gate.OFF),
        # Always pulls anyway; a running Never container was allowed to use the image.
        ("v1.35.0", "Always", "ErrImagePull", CacheEffect.NONE, Gate.ON),
        ("v1.35.0", "Never", "", CacheEffect.NONE, Gate.ON),
    ],
)
def test_cached_image_check(
    kubelet: str, policy: str, reason: str, effect: CacheEffect, gate: Gate
) -> None:
    check = cached_image_check(rules_for(kubelet), policy, reason)
    assert (check.effect, check.gate) == (effect, gate)
    assert check.credentials_matter is (effect is not CacheEffect.NONE)

"""What an image already on the node means for a Pod's credentials (KEP-2535).

Before KubeletEnsureSecretPulledImages, an image on the node is used by any Pod with
IfNotPresent or Never, whatever its credentials: a missing or wrong secret goes unnoticed until
the image has to be pulled again (seen on a genuine 1.20.2 node: real-node.md, case k).

With the gate (alpha 1.33 off, beta 1.35 on by default; kube_features.go), image_manager.go
asks the pull manager whether this Pod may use the cached image (MustAttemptImagePull): it may
when the image was pulled with no credentials or the node's, with the same credential (matched
by hash, from any secret or namespace), with the same secret (namespace/name/UID), or by the
same ServiceAccount (KEP-4412). Otherwise:

- IfNotPresent: the kubelet pulls again with this Pod's credentials, so a Pod without working
  ones fails with an ordinary ErrImagePull / ImagePullBackOff and the registry's 401/403 text,
  although another Pod on the node runs the same image.
- Never: it fails with ErrImageNeverPull and `Container image "<img>" is not present with pull
  policy of Never` although the image is present ("We don't want to reveal the presence of an
  image if it cannot be accessed", imageNotPresentOnNeverPolicyError).

The node's `imagePullCredentialsVerificationPolicy` decides which images are checked: the
default NeverVerifyPreloadedImages exempts images this kubelet did not pull itself;
NeverVerify turns the check off. A client cannot read it, so these are possibilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kubectl_pullsecret.kubelet.image_ref import ImageRef
from kubectl_pullsecret.kubelet.pod import PULL_IF_NOT_PRESENT, PULL_NEVER
from kubectl_pullsecret.kubelet.versions import Gate, KubeletRules


class CacheEffect(str, Enum):
    """How KEP-2535 can bear on a container's pull."""

    NONE = "none"  # Always policy, or no such check on this kubelet
    # IfNotPresent: a cached image is pulled again with this Pod's credentials; a failure is the
    # registry's verdict on them, a credentials problem.
    REPULL_WITH_POD_CREDENTIALS = "repull-with-pod-credentials"
    # Never + ErrImageNeverPull: "not present" may mean present but not verified for this Pod.
    NEVER_PULL_NOT_VERIFIED = "never-pull-not-verified"


@dataclass(frozen=True)
class CacheCheck:
    effect: CacheEffect
    gate: Gate  # the KEP-2535 gate on this kubelet: OFF means only if an admin enabled it

    @property
    def credentials_matter(self) -> bool:
        """The outcome depends on this Pod's credentials: never "not a credentials problem"."""
        return self.effect is not CacheEffect.NONE


def cached_image_check(
    rules: KubeletRules, pull_policy: str, waiting_reason: str = ""
) -> CacheCheck:
    """Whether a cached image is re-checked against this Pod's credentials.

    `pull_policy` is the effective one (pod.effective_pull_policy); `waiting_reason` the
    container's, if it waits. For Never, only ErrImageNeverPull is affected: a Never container
    that runs was allowed to use the image.
    """
    gate = rules.ensure_secret_pulled_images
    if not gate.possible:
        return CacheCheck(CacheEffect.NONE, gate)
    if pull_policy == PULL_NEVER and waiting_reason == "ErrImageNeverPull":
        return CacheCheck(CacheEffect.NEVER_PULL_NOT_VERIFIED, gate)
    if pull_policy == PULL_IF_NOT_PRESENT:
        return CacheCheck(CacheEffect.REPULL_WITH_POD_CREDENTIALS, gate)
    return CacheCheck(CacheEffect.NONE, gate)


def on_node(image: ImageRef, node_images: frozenset[str]) -> bool:
    """Whether the node's status lists this image (by tag or digest, as the runtime names it:
    `docker.io/library/nginx:latest`). The kubelet lists at most nodeStatusMaxImages (50):
    False only means "not listed"."""
    wanted = {f"{image.repository}:{image.tag or 'latest'}"} if not image.digest else set()
    if image.digest:
        wanted.add(f"{image.repository}@{image.digest}")
    return bool(wanted & node_images)

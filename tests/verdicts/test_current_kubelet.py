"""What a current kubelet (1.35 to 1.37) does differently, as pure verdicts. Each text is what
the genuine kubelet 1.37.2 on containerd 2.4.2 wrote (tests/node/test_current_kubelet.py), and
each rule's source is named where the rule lives."""

from __future__ import annotations

from kubectl_pullsecret.cluster.gather.kubelets import node_image_names
from kubectl_pullsecret.kubelet.image_cache import on_node
from kubectl_pullsecret.kubelet.image_ref import parse_image
from kubectl_pullsecret.kubelet.messages import credentials_sent, pull_attempts
from kubectl_pullsecret.kubelet.pod import (
    ContainerSpec,
    ContainerStatus,
    PodFacts,
    SecretFetch,
    SecretStatus,
)
from kubectl_pullsecret.kubelet.versions import rules_for
from kubectl_pullsecret.verdicts.catalogue import Code, Severity
from kubectl_pullsecret.verdicts.facts import PodContext, Workload
from kubectl_pullsecret.verdicts.pod import diagnose_pod
from tests.verdicts.test_pod import creds, secret

IMAGE = "127.0.0.1:5001/team/private:cached-93abff"
# containerd 2.4.2 (transfer service), kubelet 1.37.2: the waiting message in back-off.
ANONYMOUS = (
    'failed to pull and unpack image "127.0.0.1:5001/team/private:cached-93abff": failed to '
    "resolve image: pull access denied, repository does not exist or may require authorization: "
    "authorization failed: no basic auth credentials"
)
REFUSED = (
    'failed to pull and unpack image "127.0.0.1:5001/provided-wrong/app:refused-1a2b3c": failed '
    "to resolve image: unexpected status from HEAD request to "
    "https://127.0.0.1:5001/v2/provided-wrong/app/manifests/refused-1a2b3c: 401 Unauthorized"
)
# containerd 1.6.20 says this for an anonymous pull and a wrong password alike (real-node.md).
CONTAINERD_16 = (
    'failed to pull and unpack image "127.0.0.1:5001/team/app:a": failed to resolve reference '
    '"127.0.0.1:5001/team/app:a": pulling from host 127.0.0.1:5001 failed with status code '
    "[manifests a]: 401 Unauthorized"
)
KUBELET_137 = rules_for("v1.37.2", "containerd://2.4.2")
KUBELET_120 = rules_for("v1.20.2", "containerd://1.6.20")


def backoff(image: str, error: str) -> str:
    return f'Back-off pulling image "{image}": ErrImagePull: {error}'


def pod(
    image: str = IMAGE,
    secrets: tuple[str, ...] = (),
    reason: str = "ImagePullBackOff",
    message: str = "",
    policy: str | None = None,
) -> PodFacts:
    return PodFacts(
        namespace="cached",
        name="anonymous",
        phase="Pending",
        node_name="realnode",
        pull_secret_names=secrets,
        containers=(ContainerSpec("app", image, "containers", policy or ""),),
        statuses=(
            ContainerStatus("app", "containers", waiting_reason=reason, waiting_message=message),
        ),
    )


def codes(ctx: PodContext) -> list[str]:
    (report,) = diagnose_pod(ctx)
    return [p.code.value for p in report.problems]


def test_a_nodes_images_are_every_name_it_reports() -> None:
    status = {
        "images": [
            {"names": [f"{IMAGE}", "127.0.0.1:5001/team/private@sha256:" + "a" * 64]},
            {"names": ["docker.io/library/nginx:latest"], "sizeBytes": 1},
            {"names": None},
            "hostile",
        ]
    }
    names = node_image_names(status)
    assert IMAGE in names and "docker.io/library/nginx:latest" in names
    assert on_node(parse_image("nginx"), names)
    assert on_node(parse_image(IMAGE), names)
    assert not on_node(parse_image("127.0.0.1:5001/team/private:other"), names)
    assert node_image_names({}) == frozenset()


def test_the_runtime_text_tells_whether_credentials_were_sent() -> None:
    assert credentials_sent(pull_attempts(REFUSED))
    assert not credentials_sent(pull_attempts(ANONYMOUS))
    assert not credentials_sent(pull_attempts(CONTAINERD_16))  # 1.6 cannot tell
    token = (
        "failed to authorize: failed to fetch oauth token: unexpected status from GET request to "
        "https://127.0.0.1:46383/token?scope=repository%3Ateam%2Fapp%3Apull&service=test: "
        "401 Unauthorized"
    )
    assert credentials_sent(pull_attempts(token))
    anonymous_token = "failed to authorize: failed to fetch anonymous token: unexpected status: 401"
    assert not credentials_sent(pull_attempts(anonymous_token))


def test_a_cached_image_that_needs_this_pods_credentials() -> None:
    ctx = PodContext(
        pod(message=backoff(IMAGE, ANONYMOUS)),
        {},
        rules=KUBELET_137,
        node_images=frozenset({IMAGE}),
    )
    (report,) = diagnose_pod(ctx)
    cached, missing = report.problems
    assert (cached.code, cached.severity) == (Code.CACHED_IMAGE_NOT_VERIFIED, Severity.WARNING)
    assert f"{IMAGE} is on node realnode" in cached.message
    assert "this Pod's credentials were never verified for it" in cached.message
    assert "it has none for 127.0.0.1:5001" in cached.message
    assert missing.code is Code.NO_PULL_SECRETS
    # Not on the node's list, an older kubelet, or policy Always: no such finding.
    assert codes(replace_images(ctx, frozenset())) == ["NoPullSecrets"]
    older = PodContext(ctx.pod, {}, rules=rules_for("v1.34.0"), node_images=ctx.node_images)
    assert codes(older) == ["NoPullSecrets"]
    always = PodContext(
        pod(message=backoff(IMAGE, ANONYMOUS), policy="Always"),
        {},
        rules=KUBELET_137,
        node_images=ctx.node_images,
    )
    assert codes(always) == ["NoPullSecrets"]


def replace_images(ctx: PodContext, images: frozenset[str]) -> PodContext:
    return PodContext(ctx.pod, ctx.secrets, rules=ctx.rules, node_images=images)


def test_pull_policy_never_on_a_cached_image_is_a_credentials_problem() -> None:
    message = f'Container image "{IMAGE}" is not present with pull policy of Never'
    ctx = PodContext(
        pod(reason="ErrImageNeverPull", message=message, policy="Never"),
        {},
        rules=KUBELET_137,
        node_images=frozenset({IMAGE}),
    )
    (report,) = diagnose_pod(ctx)
    (problem,) = report.problems
    assert (problem.code, problem.severity) == (Code.CACHED_IMAGE_NOT_VERIFIED, Severity.ERROR)
    assert "not a missing image: a credentials problem" in problem.message.lower()
    # Without the image in the node's status: the kubelet's word, with its caveat.
    assert codes(replace_images(ctx, frozenset())) == ["ImageNotFound"]


def test_credentials_the_node_offered_are_not_a_missing_secret() -> None:
    image = "127.0.0.1:5001/provided-wrong/app:refused-1a2b3c"
    ctx = PodContext(pod(image, message=backoff(image, REFUSED)), {}, rules=KUBELET_137)
    (report,) = diagnose_pod(ctx)
    (problem,) = report.problems
    assert problem.code is Code.CREDENTIALS_REJECTED
    assert "the node offered credentials" in problem.message
    assert "no imagePullSecrets" not in problem.message
    assert "kubectl create secret docker-registry" in problem.hint
    # containerd 1.6's text cannot tell: the Pod lacks a secret, "or node credentials".
    old = PodContext(pod(image, message=backoff(image, CONTAINERD_16)), {}, rules=KUBELET_120)
    assert codes(old) == ["NoPullSecrets"]
    # A secret that does not cover the registry, and the node's were refused: the same.
    other = PodContext(
        pod(image, secrets=("team",), message=backoff(image, REFUSED)),
        {"team": secret({"registry.example.com": creds()})},
        rules=KUBELET_137,
    )
    assert codes(other) == ["CredentialsRejected"]


def test_a_missing_secret_is_reported_on_failed_pulls_only_from_1_37() -> None:
    image = "127.0.0.1:5001/team/app:v1"
    template = Workload("Deployment", "cached", "steady")
    facts = PodFacts(
        namespace="cached",
        name="steady",
        phase="",
        pull_secret_names=("gone",),
        containers=(ContainerSpec("app", image, "containers"),),
    )
    missing = {"gone": SecretFetch("gone", SecretStatus.MISSING)}

    def said(version: str) -> str:
        ctx = PodContext(facts, missing, template_of=template, rules=rules_for(version))
        (report,) = diagnose_pod(ctx)
        return next(p.message for p in report.problems if p.code is Code.SECRET_NOT_FOUND)

    assert said("v1.36.1").endswith(
        "The kubelet skips it and reports FailedToRetrieveImagePullSecret."
    )
    assert "only when a pull fails" in said("v1.37.2")
    assert "only logs it" in said("v1.20.2")

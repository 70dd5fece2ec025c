"""The diagnosis rules, on plain data: no cluster needed."""

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kubectl_pullsecret.kubelet.admission import ServiceAccountFacts
from kubectl_pullsecret.kubelet.credential_providers import provider_for as node_provider_for
from kubectl_pullsecret.kubelet.docker_config import decode_secret
from kubectl_pullsecret.kubelet.messages import PodEvent
from kubectl_pullsecret.kubelet.pod import (
    ContainerSpec,
    ContainerStatus,
    PodFacts,
    SecretFetch,
    SecretStatus,
)
from kubectl_pullsecret.verdicts.catalogue import Code, Severity
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload
from kubectl_pullsecret.verdicts.fixes import copy_secret_command
from kubectl_pullsecret.verdicts.pod import diagnose_pod

BACKOFF = "ImagePullBackOff"


def secret(
    auths: dict[str, object], secret_type: str = "kubernetes.io/dockerconfigjson"
) -> SecretFetch:
    key = ".dockercfg" if secret_type == "kubernetes.io/dockercfg" else ".dockerconfigjson"
    payload = auths if key == ".dockercfg" else {"auths": auths}
    return SecretFetch(
        "x", SecretStatus.FOUND, decode_secret(secret_type, {key: json.dumps(payload).encode()})
    )


def creds(user: str = "u", password: str = "p") -> dict[str, str]:
    return {"username": user, "password": password}


def pod(
    image: str = "private-registry.io/apps/internal-app",
    secrets: tuple[str, ...] = ("regcred",),
    state: str = BACKOFF,
    message: str = "",
    phase: str = "Pending",
    kind: str = "containers",
    **extra: object,
) -> PodFacts:
    status = (
        ContainerStatus("app", kind, waiting_reason=state, waiting_message=message)
        if state != "Running"
        else ContainerStatus("app", kind, running=True)
    )
    return PodFacts(
        namespace="shop",
        name="nginx-pod",
        phase=phase,
        pull_secret_names=secrets,
        containers=(ContainerSpec("app", image, kind),),
        statuses=(status,),
        **extra,  # type: ignore[arg-type]
    )


def failed(error: str) -> str:
    return f'Back-off pulling image "x": ErrImagePull: {error}'


def codes(report: object) -> list[str]:
    return [p.code.value for p in report.problems]  # type: ignore[attr-defined]


def only(ctx: PodContext):  # type: ignore[no-untyped-def]
    (report,) = diagnose_pod(ctx)
    return report


def test_missing_secret_found_elsewhere_gives_a_copy_command() -> None:
    ctx = PodContext(
        pod(),
        {"regcred": SecretFetch("regcred", SecretStatus.MISSING)},
        elsewhere={"regcred": ("staging",)},
        elsewhere_types={"regcred": "kubernetes.io/dockerconfigjson"},
    )
    report = only(ctx)
    (problem,) = [p for p in report.problems if p.code is Code.SECRET_NOT_FOUND]
    assert problem.severity is Severity.ERROR and "staging" in problem.message
    assert problem.hint.startswith("copy it: kubectl get secret regcred -n staging")
    assert (
        "kubectl create secret docker-registry regcred -n shop --from-file=.dockerconfigjson=/dev/stdin"
        in problem.hint
    )


def test_missing_secret_nowhere_gives_a_create_command_for_the_registry() -> None:
    report = only(PodContext(pod(), {"regcred": SecretFetch("regcred", SecretStatus.MISSING)}))
    (problem,) = report.problems
    assert (
        "kubectl create secret docker-registry regcred -n shop --docker-server=private-registry.io"
        in problem.hint
    )


def test_copy_command_for_legacy_type() -> None:
    command = copy_secret_command("old", "a", "b", "kubernetes.io/dockercfg")
    assert "--type=kubernetes.io/dockercfg" in command and ".dockercfg=/dev/stdin" in command


def test_matching_credentials_are_listed_in_kubelet_order() -> None:
    ctx = PodContext(
        pod(secrets=("a", "b"), state="Running", phase="Running"),
        {
            "a": secret({"private-registry.io": creds("first")}),
            "b": secret({"https://private-registry.io/v1/": creds("second")}),
        },
    )
    report = only(ctx)
    assert [(c.secret, c.username) for c in report.credentials] == [("a", "first"), ("b", "second")]
    assert report.problems == ()


def test_one_malformed_secret_blocks_every_credential() -> None:
    bad = SecretFetch(
        "bad",
        SecretStatus.FOUND,
        decode_secret(
            "kubernetes.io/dockerconfigjson",
            {".dockerconfigjson": b'{"auths": {"x.io": {"auth": "!!"}}}'},
        ),
    )
    ctx = PodContext(
        pod(secrets=("good", "bad")), {"good": secret({"private-registry.io": creds()}), "bad": bad}
    )
    report = only(ctx)
    assert report.credentials == ()
    (problem,) = [p for p in report.problems if p.code is Code.SECRET_MALFORMED]
    assert (
        "ALL of this Pod's pull secrets" in problem.message and problem.severity is Severity.ERROR
    )


def test_opaque_secret_is_ignored_with_wrong_type() -> None:
    opaque = SecretFetch(
        "o", SecretStatus.FOUND, decode_secret("Opaque", {".dockerconfigjson": b"{}"})
    )
    report = only(PodContext(pod(secrets=("o",)), {"o": opaque}))
    assert Code.SECRET_WRONG_TYPE.value in codes(report)
    assert report.credentials == ()


def test_docker_hub_trap_is_a_near_miss() -> None:
    ctx = PodContext(
        pod(
            image="nginx",
            message=failed(
                "pull access denied, repository does not exist or may require authorization"
            ),
        ),
        {"regcred": secret({"https://index.docker.io/v1": creds()})},
    )
    (problem,) = [p for p in only(ctx).problems if p.code is Code.NO_CREDENTIALS_FOR_REGISTRY]
    assert "trailing slash" in problem.message
    assert "index.docker.io/v1" in problem.message
    assert "--docker-server=https://index.docker.io/v1/" in problem.hint


def test_registry_not_covered_lists_what_is_covered() -> None:
    ctx = PodContext(
        pod(message=failed("401 Unauthorized")), {"regcred": secret({"quay.io": creds()})}
    )
    (problem,) = only(ctx).problems
    assert problem.code is Code.NO_CREDENTIALS_FOR_REGISTRY and "cover: quay.io" in problem.message


def test_no_pull_secrets_at_all() -> None:
    report = only(PodContext(pod(secrets=(), message=failed("401 Unauthorized")), {}))
    assert codes(report) == [Code.NO_PULL_SECRETS.value]


def test_service_account_gained_secrets_after_pod_creation() -> None:
    sa = ServiceAccountFacts("default", SecretStatus.FOUND, ("regcred",))
    report = only(
        PodContext(pod(secrets=(), message=failed("401 Unauthorized")), {}, service_account=sa)
    )
    assert Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED.value in codes(report)
    (problem,) = [p for p in report.problems if p.code is Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED]
    assert problem.severity is Severity.ERROR and "only when a Pod is created" in problem.message


def test_service_account_list_differing_from_pod_list_is_a_hint_not_the_cause() -> None:
    sa = ServiceAccountFacts("default", SecretStatus.FOUND, ("other",))
    ctx = PodContext(
        pod(state="Running", phase="Running"),
        {"regcred": secret({"private-registry.io": creds()})},
        service_account=sa,
    )
    (problem,) = only(ctx).problems
    assert (
        problem.code is Code.SERVICE_ACCOUNT_SECRETS_NOT_APPLIED
        and problem.severity is Severity.WARNING
    )
    assert "never merges" in problem.message


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ('failed to resolve reference "r.io/a:v1": r.io/a:v1: not found', Code.IMAGE_NOT_FOUND),
        ("manifest unknown: manifest unknown", Code.IMAGE_NOT_FOUND),
        ("dial tcp: lookup r.io on 10.96.0.10:53: no such host", Code.REGISTRY_UNREACHABLE),
        ("x509: certificate signed by unknown authority", Code.REGISTRY_UNREACHABLE),
        ("toomanyrequests: You have reached your pull rate limit.", Code.RATE_LIMITED),
    ],
)
def test_non_credential_failures_are_said_to_be_so(error: str, code: Code) -> None:
    ctx = PodContext(pod(message=failed(error)), {"regcred": secret({"quay.io": creds()})})
    (problem,) = only(ctx).problems
    assert problem.code is code and "not a credentials problem" in problem.message


def test_rejected_credentials() -> None:
    ctx = PodContext(
        pod(message=failed("unexpected status: 401 Unauthorized")),
        {"regcred": secret({"private-registry.io": creds("bob")})},
    )
    (problem,) = only(ctx).problems
    assert problem.code is Code.CREDENTIALS_REJECTED and "bob" in problem.message
    assert "--secret regcred --verify" in problem.hint


def test_wrong_docker_hub_credential_breaks_public_images() -> None:
    ctx = PodContext(
        pod(image="nginx", message=failed("401 Unauthorized")),
        {"regcred": secret({"docker.io": creds()})},
    )
    (problem,) = only(ctx).problems
    assert "breaks even public images" in problem.message


def test_runtime_error_comes_from_events_when_the_status_has_none() -> None:
    event = PodEvent(
        "Failed",
        'Failed to pull image "x": rpc error: manifest unknown',
        "Warning",
        "spec.containers{app}",
        1,
        "2026-01-01T00:00:00Z",
    )
    ctx = PodContext(
        pod(state="ErrImagePull"),
        {"regcred": secret({"private-registry.io": creds()})},
        events=(event,),
    )
    assert codes(only(ctx)) == [Code.IMAGE_NOT_FOUND.value]


def test_latent_problems_on_a_running_pod_are_warnings() -> None:
    event = PodEvent(
        "FailedToRetrieveImagePullSecret",
        "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
        "Warning",
        "",
        3,
        "t",
    )
    ctx = PodContext(
        pod(state="Running", phase="Running"),
        {"regcred": SecretFetch("regcred", SecretStatus.MISSING)},
        events=(event,),
    )
    report = only(ctx)
    assert report.latent and report.has_findings
    assert [(p.code, p.severity) for p in report.problems] == [
        (Code.SECRET_NOT_FOUND, Severity.WARNING)
    ]


def test_unreadable_secret_mentions_the_kubelet_event() -> None:
    event = PodEvent(
        "FailedToRetrieveImagePullSecret",
        "Unable to retrieve some image pull secrets (regcred); attempting",
        "Warning",
        "",
        1,
        "t",
    )
    ctx = PodContext(
        pod(),
        {"regcred": SecretFetch("regcred", SecretStatus.FORBIDDEN, detail="RBAC forbids")},
        events=(event,),
    )
    (problem,) = only(ctx).problems
    assert problem.code is Code.SECRET_UNREADABLE and "reported it missing" in problem.message
    assert "get secrets" in problem.hint


def test_empty_names_are_skipped_and_duplicates_counted_once() -> None:
    ctx = PodContext(
        pod(secrets=("", "regcred", "regcred"), state="Running", phase="Running"),
        {"regcred": secret({"private-registry.io": creds()})},
    )
    report = only(ctx)
    assert report.secrets == ("regcred",)
    assert [p.severity for p in report.problems] == [Severity.INFO]


def test_init_container_failures_are_reported() -> None:
    report = only(
        PodContext(pod(kind="initContainers", secrets=(), message=failed("401 Unauthorized")), {})
    )
    assert report.kind == "initContainers" and codes(report) == [Code.NO_PULL_SECRETS.value]


def test_invalid_image_name() -> None:
    report = only(
        PodContext(pod(image="Private/App", state="InvalidImageName"), {"regcred": secret({})})
    )
    assert Code.INVALID_IMAGE_NAME.value in codes(report)


def test_auth_field_mismatch() -> None:
    auth = base64.b64encode(b"real:pw").decode()
    ctx = PodContext(
        pod(state="Running", phase="Running"),
        {
            "regcred": secret(
                {"private-registry.io": {"username": "x", "password": "y", "auth": auth}}
            )
        },
    )
    report = only(ctx)
    assert (
        Code.AUTH_FIELD_MISMATCH.value in codes(report) and report.credentials[0].username == "real"
    )


@pytest.mark.parametrize(
    ("domain", "provider"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "Amazon ECR"),
        ("gcr.io", "Google Container Registry"),
        ("eu.gcr.io", "Google Container Registry"),
        ("europe-docker.pkg.dev", "Google Artifact Registry"),
        ("myreg.azurecr.io", "Azure Container Registry"),
        ("quay.io", None),
        ("notgcr.io", None),
    ],
)
def test_node_credential_providers(domain: str, provider: str | None) -> None:
    assert node_provider_for(domain) == provider


def test_node_credentials_possible_for_ecr() -> None:
    report = only(
        PodContext(
            pod(
                image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
                secrets=(),
                message=failed("no basic auth credentials"),
            ),
            {},
        )
    )
    assert Code.NODE_CREDENTIALS_POSSIBLE.value in codes(report)


def owned_by(*owners: Workload) -> OwnerChain:
    return OwnerChain(owners)


DEPLOYMENT_WEB = Workload(
    "Deployment",
    "shop",
    "web",
    replicas=3,
    update_strategy="RollingUpdate",
    selector="app=web",
    template_path=("spec", "template"),
)
REPLICA_SET_WEB = Workload(
    "ReplicaSet", "shop", "web-5d8f7c9b4", template_path=("spec", "template")
)


def test_deployment_pod_gets_a_patch_of_its_deployment() -> None:
    facts = pod(secrets=(), message=failed("401 Unauthorized"), owner_kind="ReplicaSet")
    (problem,) = only(
        PodContext(facts, {}, owners=owned_by(REPLICA_SET_WEB, DEPLOYMENT_WEB))
    ).problems
    patch = '{"spec":{"template":{"spec":{"imagePullSecrets":[{"name":"regcred"}]}}}}'
    # A strategic merge patch: it works whether or not the template lists secrets already.
    assert f"kubectl patch deployment web -n shop -p '{patch}'" in problem.hint
    assert "rolls out new Pods" in problem.hint
    assert "kubectl rollout restart deployment/web -n shop" in problem.hint


@pytest.mark.parametrize(
    ("top", "patched", "replaced"),
    [
        (
            Workload(
                "StatefulSet", "shop", "db", selector="app=db", template_path=("spec", "template")
            ),
            'kubectl patch statefulset db -n shop -p \'{"spec":{"template":',
            "kubectl delete pod -n shop -l app=db",
        ),
        (
            Workload(
                "CronJob",
                "shop",
                "nightly",
                template_path=("spec", "jobTemplate", "spec", "template"),
            ),
            'kubectl patch cronjob nightly -n shop -p \'{"spec":{"jobTemplate":{"spec":{"template":',
            "its next run uses the new template",
        ),
        (
            Workload(
                "DaemonSet",
                "shop",
                "agent",
                update_strategy="OnDelete",
                selector="app=agent",
                template_path=("spec", "template"),
            ),
            "kubectl patch daemonset agent -n shop",
            "kubectl delete pod -n shop -l app=agent",
        ),
    ],
)
def test_fixes_patch_the_top_level_owner_and_say_how_pods_are_replaced(
    top: Workload, patched: str, replaced: str
) -> None:
    facts = pod(secrets=(), message=failed("401 Unauthorized"))
    (problem,) = only(PodContext(facts, {}, owners=owned_by(top))).problems
    assert patched in problem.hint and replaced in problem.hint


def test_a_job_is_re_created_and_a_bare_pod_too() -> None:
    job = Workload("Job", "shop", "once", template_path=("spec", "template"))
    refused = failed("401 Unauthorized")
    (problem,) = only(
        PodContext(pod(secrets=(), message=refused), {}, owners=owned_by(job))
    ).problems
    assert "a Job's pod template cannot change" in problem.hint
    (problem,) = only(PodContext(pod(secrets=(), message=refused), {})).problems
    assert "a Pod's imagePullSecrets cannot change" in problem.hint


def test_a_template_is_judged_as_a_new_pod_would_pull() -> None:
    template = PodFacts("shop", "web", containers=(ContainerSpec("app", "private-registry.io/a"),))
    ctx = PodContext(
        template,
        {"regcred": SecretFetch("regcred", SecretStatus.MISSING)},
        service_account=ServiceAccountFacts("default", SecretStatus.FOUND, ("regcred",)),
        owners=owned_by(DEPLOYMENT_WEB),
        template_of=DEPLOYMENT_WEB,
    )
    report = only(ctx)
    assert report.template and report.state == "PodTemplate"
    # Admission gives new Pods the ServiceAccount's list: its missing secret is an error.
    assert report.secrets == ("regcred",)
    assert [(p.code, p.severity) for p in report.problems] == [
        (Code.SECRET_NOT_FOUND, Severity.ERROR)
    ]


def test_a_template_without_secrets_for_a_public_registry_is_no_finding() -> None:
    template = PodFacts("shop", "web", containers=(ContainerSpec("app", "nginx"),))
    report = only(
        PodContext(template, {}, owners=owned_by(DEPLOYMENT_WEB), template_of=DEPLOYMENT_WEB)
    )
    assert [p.code for p in report.problems] == [Code.NO_PULL_SECRETS]
    assert not report.has_findings


def test_a_failure_from_before_the_secret_existed_is_not_blamed_on_it() -> None:
    event = PodEvent(
        "FailedToRetrieveImagePullSecret",
        "Unable to retrieve some image pull secrets (regcred); attempting",
        "Warning",
        "",
        1,
        "t",
    )
    ctx = PodContext(
        pod(message=failed("401 Unauthorized")),
        {"regcred": secret({"private-registry.io": creds()})},
        events=(event,),
    )
    report = only(ctx)
    # The kubelet reported it missing at its last sync: its 401 is the anonymous pull's.
    assert codes(report) == [Code.AWAITING_RETRY.value] and report.credentials


def test_near_miss_hint_recreates_the_secret_that_holds_the_wrong_key() -> None:
    ctx = PodContext(
        pod(image="nginx", secrets=("dockerhub",), message=failed("401 Unauthorized")),
        {"dockerhub": secret({"https://index.docker.io/v1": creds()})},
    )
    (problem,) = only(ctx).problems
    assert problem.hint.startswith(
        "re-create secret/dockerhub with the key the kubelet matches: kubectl create secret docker-registry dockerhub"
    )
    assert "--docker-server=https://index.docker.io/v1/" in problem.hint and problem.hint.endswith(
        "--dry-run=client -o yaml | kubectl replace -f -"
    )


def test_a_new_secret_name_never_collides_with_the_pods_list() -> None:
    ctx = PodContext(
        pod(image="nginx", secrets=("dockerhub",), message=failed("401 Unauthorized")),
        {"dockerhub": secret({"quay.io": creds()})},
    )
    (problem,) = only(ctx).problems
    assert "create secret docker-registry dockerhub-2 " in problem.hint


UNAUTHORIZED = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "private-registry.io/apps/'
    'internal-app:latest": failed to resolve reference "private-registry.io/apps/internal-app:'
    'latest": unexpected status code [manifests latest]: 401 Unauthorized'
)  # containerd 1.6.20 under kubelet 1.20.2, on tests/node's real node


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the kubelet's newest 401 on record


@pytest.mark.parametrize(
    ("written", "count", "seconds_later", "status", "code"),
    [
        # Written since the last attempt on record: not tried yet, whatever the events' count.
        ("2026-01-01T00:01:00Z", 1, 90, UNAUTHORIZED, Code.AWAITING_RETRY),
        ("2026-01-01T00:00:00.500000Z", 2, 30, UNAUTHORIZED, Code.AWAITING_RETRY),
        ("2026-01-01T00:01:00Z", 25, 90, UNAUTHORIZED, Code.AWAITING_RETRY),
        # Within a few seconds after the refusal: the kubelet may have read it as it was.
        ("2025-12-31T23:59:58Z", 1, 30, UNAUTHORIZED, Code.AWAITING_RETRY),
        # Written before it: the kubelet offered it, and it was refused.
        ("2025-12-31T23:59:00Z", 1, 30, UNAUTHORIZED, Code.CREDENTIALS_REJECTED),
        ("2025-12-31T23:59:00Z", 25, 30, UNAUTHORIZED, Code.CREDENTIALS_REJECTED),
        ("", 1, 30, UNAUTHORIZED, Code.CREDENTIALS_REJECTED),  # no date: nothing changed
        # Long enough after the change that the kubelet has retried (its attempts are at most
        # 315 s apart): the status, rewritten at each attempt, is the new secret's failure.
        ("2026-01-01T00:01:00Z", 25, 60 + 400, UNAUTHORIZED, Code.CREDENTIALS_REJECTED),
        # ... unless the status keeps no error (a bare back-off before 1.32) and the spam
        # filter hides the retry: the cause since the change is unknown.
        ("2026-01-01T00:01:00Z", 25, 60 + 400, "", Code.PULL_FAILED_UNRECOGNIZED),
    ],
)
def test_a_secret_written_after_the_last_attempt_is_not_blamed_for_its_401(
    written: str, count: int, seconds_later: int, status: str, code: Code
) -> None:
    """Kubelets before 1.28 send no FailedToRetrieveImagePullSecret: a secret created (or
    replaced) after the last failed pull is known from its metadata only (the real node showed
    CredentialsRejected for up to 5 minutes after the right fix, before this rule). Events only
    ever prove that a failure came after a change (they lag the pulls: the real node's newest
    pull error, read 5 s after a pull, was the one before it)."""
    event = PodEvent(
        "Failed",
        f'Failed to pull image "private-registry.io/apps/internal-app": {UNAUTHORIZED}',
        "Warning",
        "spec.containers{app}",
        count,
        "2026-01-01T00:00:00Z",
    )
    fetch = replace(secret({"private-registry.io": creds()}), written=written)
    state, message = ("ErrImagePull", status) if status else (BACKOFF, 'Back-off pulling image "x"')
    ctx = PodContext(
        pod(state=state, message=message),
        {"regcred": fetch},
        events=(event,),
        now=T0 + timedelta(seconds=seconds_later),
    )
    report = only(ctx)
    assert codes(report) == [code.value], report.problems
    assert [c.secret for c in report.credentials] == ["regcred"]
    blamed = code is Code.CREDENTIALS_REJECTED
    assert blamed is any(
        p.severity is Severity.ERROR and "refused" in p.message for p in report.problems
    )


def test_a_refusal_dated_after_the_change_blames_the_new_secret() -> None:
    event = PodEvent(
        "Failed",
        f'Failed to pull image "private-registry.io/apps/internal-app": {UNAUTHORIZED}',
        "Warning",
        "spec.containers{app}",
        3,
        "2026-01-01T00:02:00Z",
    )
    fetch = replace(secret({"private-registry.io": creds()}), written="2026-01-01T00:01:00Z")
    ctx = PodContext(
        pod(message='Back-off pulling image "x"'),
        {"regcred": fetch},
        events=(event,),
        now=T0 + timedelta(seconds=150),
    )
    assert codes(only(ctx)) == [Code.CREDENTIALS_REJECTED.value]


def test_awaiting_retry_says_when_the_kubelet_tries_again_at_the_latest() -> None:
    """Three failures on record: the back-off after the third is 40 s, so the next attempt
    comes at most 40 s + 15 s (the pod worker's requeue) + 1 s (whole seconds) after it."""
    event = PodEvent(
        "Failed",
        f'Failed to pull image "private-registry.io/apps/internal-app": {UNAUTHORIZED}',
        "Warning",
        "spec.containers{app}",
        3,
        "2026-01-01T00:00:00Z",
    )
    fetch = replace(secret({"private-registry.io": creds("fixed")}), written="2026-01-01T00:00:20Z")
    ctx = PodContext(
        pod(message='Back-off pulling image "x"'),
        {"regcred": fetch},
        events=(event,),
        now=T0 + timedelta(seconds=30),
    )
    report = only(ctx)
    (problem,) = report.problems
    assert problem.code is Code.AWAITING_RETRY and problem.severity is Severity.WARNING
    assert 'Secret "regcred" was created or replaced at 00:00:20 UTC' in problem.message
    assert "retry by 00:00:56 UTC at the latest (in about 26 s)" in problem.message
    assert "diagnose pod nginx-pod -n shop --wait" in problem.hint
    assert report.retry is not None and report.retry.failures == 3
    # Long past that moment with nothing on record: it says the retry is due, not pending.
    late = only(replace(ctx, now=T0 + timedelta(seconds=120)))
    assert "was due by 00:00:56 UTC at the latest (64 s ago)" in late.problems[0].message


def test_a_new_secret_is_judged_offline_before_the_retry() -> None:
    """Replaced with a key for another registry: the next retry will pull anonymously, and that
    is the verdict now, not a wait."""
    event = PodEvent(
        "Failed",
        f'Failed to pull image "private-registry.io/apps/internal-app": {UNAUTHORIZED}',
        "Warning",
        "spec.containers{app}",
        1,
        "2026-01-01T00:00:00Z",
    )
    fetch = replace(secret({"quay.io": creds()}), written="2026-01-01T00:00:30Z")
    ctx = PodContext(
        pod(message='Back-off pulling image "x"'),
        {"regcred": fetch},
        events=(event,),
        now=T0 + timedelta(seconds=40),
    )
    assert codes(only(ctx)) == [Code.NO_CREDENTIALS_FOR_REGISTRY.value]


REFUSED = (
    'failed to pull and unpack image "private-registry.io/apps/internal-app:latest": failed to '
    'resolve reference "private-registry.io/apps/internal-app:latest": pulling from host '
    "private-registry.io failed with status code [manifests latest]: 401 Unauthorized"
)
HIDDEN = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "private-registry.io/apps/'
    'internal-app:latest": failed to resolve reference "private-registry.io/apps/internal-app:'
    'latest": private-registry.io/apps/internal-app:latest: not found'
)


def test_a_refusal_beside_an_anonymous_not_found_is_the_refusal() -> None:
    """An entry with no username and password makes an anonymous attempt; a registry that
    hides private repositories answers it `not found`. Joined to a refused credential
    (utilerrors.NewAggregate), the aggregate holds a refusal, not a missing image."""
    ctx = PodContext(
        pod(state="ErrImagePull", message=f"[{REFUSED}, {HIDDEN}]", secrets=("a", "b")),
        {
            "a": secret({"private-registry.io": creds("bob")}),
            "b": secret({"private-registry.io": {}}),
        },
    )
    report = only(ctx)
    (problem,) = report.problems
    assert problem.code is Code.CREDENTIALS_REJECTED
    assert "secret/a (key private-registry.io, user bob): auth" in problem.message
    assert "user <empty>): not-found" in problem.message
    # Both credentialed, the second one accepted: the image is what is missing.
    ctx = replace(
        ctx, secrets={"a": ctx.secrets["a"], "b": secret({"private-registry.io": creds()})}
    )
    assert codes(only(ctx)) == [Code.IMAGE_NOT_FOUND.value]


def test_an_aggregate_cut_short_still_yields_its_refusal() -> None:
    for cut in (f"[{REFUSED}, {REFUSED[:70]}", f"[{REFUSED[:-8]}"):
        ctx = PodContext(
            pod(state="ErrImagePull", message=cut, secrets=("a", "b")),
            {
                "a": secret({"private-registry.io": creds("one")}),
                "b": secret({"private-registry.io": creds("two")}),
            },
        )
        assert codes(only(ctx)) == [Code.CREDENTIALS_REJECTED.value], cut


def test_an_unrecognised_text_is_no_verdict_on_the_credentials() -> None:
    text = "failed to pull and unpack image: something no rule knows: password=hunter2-xyz"
    ctx = PodContext(
        pod(state="ErrImagePull", message=text),
        {"regcred": secret({"private-registry.io": creds("bob")})},
    )
    (problem,) = only(ctx).problems
    assert (problem.code, problem.severity) == (Code.PULL_FAILED_UNRECOGNIZED, Severity.ERROR)
    assert "names no cause this tool recognises: failed to pull and unpack image" in problem.message
    assert "hunter2-xyz" not in problem.message  # hostile text is scrubbed before it is quoted
    assert "nothing shows they are at fault" in problem.message
    assert "--secret regcred --verify" in problem.hint


def test_an_inspect_error_is_no_pull_and_no_credentials() -> None:
    message = (
        'Failed to inspect image "private-registry.io/apps/internal-app": rpc error: code = '
        "Unknown desc = Error response from daemon: readlink /var/lib/docker/overlay2/l: "
        "invalid argument"
    )
    ctx = PodContext(
        pod(state="ImageInspectError", message=message),
        {"regcred": secret({"private-registry.io": creds()})},
    )
    (problem,) = only(ctx).problems
    assert problem.code is Code.IMAGE_INSPECT_FAILED and "readlink" in problem.message


def test_an_unparsable_image_gets_no_verdict_on_keys_beside_its_name() -> None:
    """A key that is no URL (a NoCredentialsForRegistry warning about the secret's key), but an
    image name that does not parse has no registry to match keys against."""
    ctx = PodContext(
        pod(image="Private/App", state="InvalidImageName"),
        {"regcred": secret({"https://%zz": creds()})},
    )
    assert codes(only(ctx)) == [Code.INVALID_IMAGE_NAME.value]
    fine = replace(ctx, pod=pod(image="nginx", state="Running", phase="Running"))
    assert Code.NO_CREDENTIALS_FOR_REGISTRY.value in codes(only(fine))

"""Workload kinds, `TYPE NAME` parsing and workload objects to facts: pure, no cluster."""

import pytest

from kubectl_pullsecret.cluster.objects import label_selector, workload_facts
from kubectl_pullsecret.cluster.workloads import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    POD,
    STATEFUL_SET,
    parse_target,
)
from kubectl_pullsecret.errors import CommandError


@pytest.mark.parametrize(
    ("words", "kind", "name"),
    [
        (("po", None), POD, None),
        (("pods", "web-1"), POD, "web-1"),
        (("Deployment/web", None), DEPLOYMENT, "web"),
        (("deployments.apps", "web"), DEPLOYMENT, "web"),
        (("sts", "db"), STATEFUL_SET, "db"),
        (("ds", None), DAEMON_SET, None),
        (("jobs.batch/once", None), JOB, "once"),
        (("cj", "nightly"), CRON_JOB, "nightly"),
    ],
)
def test_types_and_names_as_kubectl_takes_them(
    words: tuple[str, str | None], kind: object, name: str | None
) -> None:
    target = parse_target(*words)
    assert (target.kind, target.name) == (kind, name)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("gadget", None), 'unknown workload type "gadget"'),
        (("deployment.batch", "x"), 'unknown workload type "deployment.batch"'),
        (("deploy/web", "web"), "no need to specify a resource type"),
        (("deploy/", None), "a name is needed"),
    ],
)
def test_bad_types_are_refused(words: tuple[str, str | None], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_target(*words)


def test_api_paths_follow_the_owner_reference_version() -> None:
    assert DEPLOYMENT.path("shop", "web") == "/apis/apps/v1/namespaces/shop/deployments/web"
    assert CRON_JOB.path(None) == "/apis/batch/v1/cronjobs"
    assert (
        CRON_JOB.path("a b", "x", "batch/v1beta1")
        == "/apis/batch/v1beta1/namespaces/a%20b/cronjobs/x"
    )
    assert POD.path("shop") == "/api/v1/namespaces/shop/pods"


def test_label_selectors() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["x"]},
            {"key": "team", "operator": "Exists"},
            {"key": "odd", "operator": "Bogus"},
        ],
    }
    assert label_selector(selector) == "app=web,tier in (a,b),!canary,zone notin (x),team"
    assert label_selector(None) == "" and label_selector({"matchLabels": []}) == ""


def test_workload_facts_read_size_strategy_and_template() -> None:
    deployment = {
        "metadata": {"namespace": "shop", "name": "web"},
        "spec": {
            "replicas": 3,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "spec": {
                    "serviceAccountName": "builder",
                    "imagePullSecrets": [{"name": "regcred"}],
                    "containers": [{"name": "app", "image": "r.io/a"}],
                }
            },
        },
        "status": {"replicas": 4},
    }
    facts = workload_facts(DEPLOYMENT, deployment)
    assert (facts.kind, facts.replicas, facts.update_strategy, facts.selector) == (
        "Deployment",
        4,
        "Recreate",
        "app=web",
    )
    assert facts.template is not None
    assert facts.template.pull_secret_names == ("regcred",)
    assert facts.template.service_account == "builder"
    assert [c.image for c in facts.template.containers] == ["r.io/a"]

    cron = {
        "metadata": {"namespace": "shop", "name": "nightly"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
            }
        },
    }
    facts = workload_facts(CRON_JOB, cron)
    assert facts.replicas is None and facts.template is not None
    assert facts.template.containers[0].image == "i"
    assert workload_facts(STATEFUL_SET, {"spec": {}}).update_strategy == "RollingUpdate"
    assert workload_facts(DAEMON_SET, {"status": {"desiredNumberScheduled": 5}}).replicas == 5
    # Garbage does not break it.
    assert workload_facts(DEPLOYMENT, {"spec": "x", "status": []}).replicas == 1

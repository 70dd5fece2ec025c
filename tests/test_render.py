"""Rendering: what reaches the terminal, and what scripts read."""

from __future__ import annotations

from kubectl_pullsecret.english import counted, share
from kubectl_pullsecret.render import diagnose_document, diagnose_table, terminal_safe
from kubectl_pullsecret.verdicts.catalogue import Code, Problem, Severity
from kubectl_pullsecret.verdicts.facts import OwnerChain, Workload
from kubectl_pullsecret.verdicts.pod import ContainerReport


def test_terminal_safe_neutralizes_escapes_and_bidi() -> None:
    assert terminal_safe("a\x1b[2Jb\u202ec\x00") == "a?[2Jb?c?"
    assert terminal_safe("\udcff") == "\ufffd"


# --- counts and runs over several clusters -------------------------------------------------------


def test_counts_read_as_english() -> None:
    assert [counted(n, "Pod") for n in (0, 1, 2)] == ["0 Pods", "1 Pod", "2 Pods"]
    assert share(1, 1, "Pod") == "1 of 1 Pod" and share(3, 40, "Pod") == "3 of 40 Pods"
    assert share(37, 200, "cluster") == "37 of 200 clusters"


def _report(pod: str, replicas: int = 2, template: bool = False) -> ContainerReport:
    owner = Workload("Deployment", "shop", "payments", replicas)
    return ContainerReport(
        namespace="shop",
        pod=pod,
        container="app",
        kind="containers",
        image="r.io/shop/payments:1.4",
        repository="r.io/shop/payments",
        registry="r.io",
        state="PodTemplate" if template else "ImagePullBackOff",
        pod_phase="Pending",
        latent=False,
        credentials=(),
        problems=(Problem(Code.SECRET_NOT_FOUND, Severity.ERROR, "gone", "create it"),),
        secrets=("regcred",),
        service_account="default",
        owners=OwnerChain((owner,)),
        template=template,
    )


def test_one_template_pod_is_one_pod() -> None:
    text = diagnose_table([_report("payments", replicas=1, template=True)], False, False)
    assert " 1 Pod " in text.splitlines()[1] + " " and "(1 Pod; its pod template" in text
    assert "1 Pods" not in text


def test_a_cause_in_several_clusters_is_one_row_and_one_block() -> None:
    reports = [_report("payments-a"), _report("payments-b"), _report("payments-c")]
    origins = ["prod-eu", "prod-eu", "prod-us"]
    clusters = [("prod-eu", ""), ("prod-us", ""), ("stage", ""), ("dev", "connection refused")]
    text = diagnose_table(reports, False, False, origins, clusters)
    header, row = text.splitlines()[:2]
    assert header.split()[:2] == ["CONTEXT", "NAMESPACE"]
    assert row.startswith("2 of 4 clusters") and "3 of 4" in row  # Pods: 2 replicas in each
    assert (
        "shop/deployment/payments app: r.io/shop/payments:1.4 (3 of 4 Pods) in 2 of 4 clusters\n"
        in text
    )
    wide = diagnose_table(reports, True, False, origins, clusters)
    assert wide.splitlines()[1].startswith("prod-eu,prod-us")
    assert "in 2 of 4 clusters: prod-eu, prod-us" in wide
    document = diagnose_document(reports, origins, clusters)
    assert [i["context"] for i in document["items"]] == origins
    (group,) = document["groups"]
    assert group["contexts"] == ["prod-eu", "prod-us"] and group["workloadPods"] == 4
    assert document["clusters"][-1] == {"context": "dev", "error": "connection refused"}
    # A single cluster's run has neither column nor fields.
    single = diagnose_document(reports)
    assert "clusters" not in single and "context" not in single["items"][0]
    assert "contexts" not in single["groups"][0]

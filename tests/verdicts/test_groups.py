"""Grouping findings by top-level owner, container and verdict: pure."""

from kubectl_pullsecret.kubelet.pod import ContainerSpec, ContainerStatus, PodFacts
from kubectl_pullsecret.verdicts.facts import OwnerChain, PodContext, Workload
from kubectl_pullsecret.verdicts.groups import group_reports
from kubectl_pullsecret.verdicts.pod import diagnose_pod

WEB = Workload("Deployment", "shop", "web", replicas=40, template_path=("spec", "template"))
NO_OWNER = OwnerChain()


def failing(
    name: str, image: str = "private-registry.io/a:1", owners: OwnerChain = NO_OWNER
) -> PodContext:
    pod = PodFacts(
        "shop",
        name,
        phase="Pending",
        containers=(ContainerSpec("app", image),),
        statuses=(
            ContainerStatus(
                "app",
                waiting_reason="ImagePullBackOff",
                waiting_message=f'Back-off pulling image "{image}": ErrImagePull: 401 Unauthorized',
            ),
        ),
    )
    return PodContext(pod, {}, owners=owners)


def test_a_workload_s_pods_that_fail_alike_are_one_group() -> None:
    reports = [
        r for i in range(3) for r in diagnose_pod(failing(f"web-{i}", owners=OwnerChain((WEB,))))
    ]
    reports += diagnose_pod(failing("bare-1"))
    reports += diagnose_pod(failing("bare-2"))
    groups = group_reports(reports)
    assert [(g.first.workload, g.pods, g.share) for g in groups] == [
        ("deployment/web", ("web-0", "web-1", "web-2"), "3 of 40"),
        ("pod/bare-1", ("bare-1",), "1 of 1"),
        ("pod/bare-2", ("bare-2",), "1 of 1"),
    ]
    assert groups[0].id == "shop/deployment/web/app/NoPullSecrets"


def test_different_verdicts_are_different_groups() -> None:
    reports = diagnose_pod(failing("web-0", owners=OwnerChain((WEB,))))
    reports += diagnose_pod(failing("web-1", image="Not/Valid", owners=OwnerChain((WEB,))))
    assert [g.id.rsplit("/", 1)[1] for g in group_reports(reports)] == [
        "NoPullSecrets",
        "InvalidImageName",
    ]

"""Findings grouped the way people deploy: one group per top-level owner, container and
verdict, so that 40 replicas with one cause read as one finding about 40 Pods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubectl_pullsecret.verdicts.catalogue import Severity
from kubectl_pullsecret.verdicts.pod import ContainerReport


@dataclass(frozen=True)
class Group:
    id: str  # namespace/workload/container/codes, stable across runs
    reports: tuple[ContainerReport, ...]  # one per Pod, in Pod order

    @property
    def first(self) -> ContainerReport:
        """The group's representative: its verdicts and fixes hold for every member."""
        return self.reports[0]

    @property
    def pods(self) -> tuple[str, ...]:
        return tuple(r.pod for r in self.reports if not r.template)

    @property
    def total(self) -> int | None:
        """How many Pods the workload runs (None when not known; 1 for a bare Pod)."""
        top = self.first.owners.top
        return 1 if top is None else top.replicas

    @property
    def share(self) -> str:
        """`3 of 40` failing Pods; for a judged template, how many Pods run from it."""
        total = self.total
        if self.first.template:
            return "-" if total is None else "no Pods" if total == 0 else f"{total} Pods"
        if total is None:
            return f"{len(self.pods)}"
        return f"{len(self.pods)} of {max(total, len(self.pods))}"


def codes(report: ContainerReport) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(p.code.value for p in report.problems if p.severity is not Severity.INFO)
    )


def group_id(report: ContainerReport) -> str:
    container = (
        report.container if report.kind == "containers" else f"{report.kind}:{report.container}"
    )
    return "/".join((report.namespace, report.workload, container, ",".join(codes(report)) or "-"))


def group_reports(reports: Sequence[ContainerReport]) -> list[Group]:
    """Groups in first-seen order; a Pod without an owner stands alone."""
    grouped: dict[str, list[ContainerReport]] = {}
    for report in reports:
        grouped.setdefault(group_id(report), []).append(report)
    return [Group(key, tuple(members)) for key, members in grouped.items()]

"""Findings grouped the way people deploy: one group per top-level owner, container and
verdict, so that 40 replicas with one cause read as one finding about 40 Pods, and 200
clusters with one cause as one finding in 200 clusters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubectl_pullsecret.english import counted, share
from kubectl_pullsecret.verdicts.catalogue import Severity
from kubectl_pullsecret.verdicts.pod import ContainerReport


@dataclass(frozen=True)
class Group:
    id: str  # namespace/workload/container/codes, stable across runs and clusters
    reports: tuple[ContainerReport, ...]  # one per Pod, in Pod order
    # The kubeconfig context of each report, in a run over several clusters ("" otherwise).
    origins: tuple[str, ...] = ()

    @property
    def first(self) -> ContainerReport:
        """The group's representative: its verdicts and fixes hold for every member."""
        return self.reports[0]

    @property
    def pods(self) -> tuple[str, ...]:
        return tuple(r.pod for r in self.reports if not r.template)

    @property
    def contexts(self) -> tuple[str, ...]:
        """The contexts whose clusters hold the group, in order (none in a single run)."""
        return tuple(c for c in dict.fromkeys(self.origins) if c)

    @property
    def total(self) -> int | None:
        """How many Pods the workload runs, summed over its clusters (None when not known;
        1 for a bare Pod)."""
        replicas: dict[str, int | None] = {}
        for origin, report in zip(
            self.origins or ("",) * len(self.reports), self.reports, strict=True
        ):
            top = report.owners.top
            replicas.setdefault(origin, 1 if top is None else top.replicas)
        known = [r for r in replicas.values() if r is not None]
        return sum(known) if len(known) == len(replicas) else None

    @property
    def share(self) -> str:
        """`3 of 40` failing Pods; for a judged template, how many Pods run from it."""
        total = self.total
        if self.first.template:
            return "-" if total is None else "no Pods" if total == 0 else counted(total, "Pod")
        if total is None:
            return f"{len(self.pods)}"
        return f"{len(self.pods)} of {max(total, len(self.pods))}"

    @property
    def share_in_words(self) -> str:
        """The failing Pods' share as prose: `3 of 40 Pods`, `1 of 1 Pod`."""
        total = self.total
        if total is None:
            return counted(len(self.pods), "Pod")
        return share(len(self.pods), max(total, len(self.pods)), "Pod")


def codes(report: ContainerReport) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(p.code.value for p in report.problems if p.severity is not Severity.INFO)
    )


def group_id(report: ContainerReport) -> str:
    container = (
        report.container if report.kind == "containers" else f"{report.kind}:{report.container}"
    )
    return "/".join((report.namespace, report.workload, container, ",".join(codes(report)) or "-"))


def group_reports(reports: Sequence[ContainerReport], origins: Sequence[str] = ()) -> list[Group]:
    """Groups in first-seen order; a Pod without an owner stands alone. `origins`: each
    report's context, in a run over several clusters; a group then spans clusters."""
    grouped: dict[str, list[int]] = {}
    for index, report in enumerate(reports):
        grouped.setdefault(group_id(report), []).append(index)
    return [
        Group(
            key,
            tuple(reports[i] for i in members),
            tuple(origins[i] for i in members) if origins else (),
        )
        for key, members in grouped.items()
    ]

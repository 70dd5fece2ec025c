"""--verify for every command: the registry's live answer added to the verdicts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kubectl_pullsecret.kubelet.image_ref import ImageRef
from kubectl_pullsecret.kubelet.keyring import Credential
from kubectl_pullsecret.verdicts.catalogue import Code, Problem
from kubectl_pullsecret.verdicts.pod import ContainerReport

if TYPE_CHECKING:  # the registry's HTTP machinery loads only when --verify asks for it
    from kubectl_pullsecret.registry.check import PullVerdict, VerifyOptions


@dataclass(frozen=True)
class VerifyRequest:
    """What the user asked of --verify."""

    insecure_registries: tuple[str, ...] = ()
    ca_file: str | None = None
    timeout: float | None = None  # seconds for the whole check (--request-timeout)

    def options(self) -> VerifyOptions:
        from kubectl_pullsecret.registry.check import VerifyOptions

        return VerifyOptions(
            insecure_registries=frozenset(self.insecure_registries),
            ca_file=self.ca_file,
            deadline=time.monotonic() + self.timeout if self.timeout else None,
        )


def verify(
    request: VerifyRequest, pairs: Sequence[tuple[ImageRef, Sequence[Credential]]]
) -> list[PullVerdict]:
    """Live checks for (image, credentials in the kubelet's order), bounded by the timeout."""
    from kubectl_pullsecret.registry.check import verify_pulls

    return verify_pulls(pairs, request.options())


def blocks_every_pull(problems: Sequence[Problem]) -> bool:
    """A Pod whose secrets fail to decode pulls nothing: the kubelet stops before the registry."""
    return any(p.code is Code.SECRET_MALFORMED for p in problems)


def verified_reports(
    request: VerifyRequest, reports: list[ContainerReport]
) -> list[ContainerReport]:
    """Reports with the registry's live answer added."""
    targets = [r for r in reports if r.image_ref is not None and not blocks_every_pull(r.problems)]
    verdicts = verify(request, [(r.image_ref, r.offered) for r in targets if r.image_ref])
    by_report = {id(r): v for r, v in zip(targets, verdicts, strict=True)}
    return [
        replace(r, problems=r.problems + by_report[id(r)].problems) if id(r) in by_report else r
        for r in reports
    ]

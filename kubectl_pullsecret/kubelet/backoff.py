"""When the kubelet pulls again: its image back-off, and what a changed pull secret is waiting for.

pkg/kubelet/kubelet.go builds the image back-off as flowcontrol.NewBackOff(10 s, 300 s) (named
imageBackOffPeriod/MaxImageBackOff since 1.31, backOffPeriod/MaxContainerBackOff before; the
same values from 1.20 to 1.37). images/image_manager.go calls backOff.Next after each failed
pull: the first failure waits 10 s, each further one twice as long, 300 s at most (an entry
idle for twice the maximum starts again at 10 s). While the back-off runs, each sync of the Pod
fails with ImagePullBackOff and the pod worker requeues it after backOffPeriod (10 s) jittered
by half (pod_workers.go workerBackOffPeriodJitterFactor 0.5): the kubelet notices the end of a
back-off at most 15 s late. Events carry whole seconds, truncated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

INITIAL_BACKOFF_SECONDS = 10
MAX_PULL_BACKOFF_SECONDS = 300
WORKER_REQUEUE_MAX_SECONDS = 15  # backOffPeriod 10 s, jittered by up to half
# The longest a failing Pod goes between two pull attempts, whatever the events show.
MAX_RETRY_GAP_SECONDS = MAX_PULL_BACKOFF_SECONDS + WORKER_REQUEUE_MAX_SECONDS
# The kubelet reads a Pod's pull secrets a moment before the runtime begins the pull (the real
# node: up to 2 s), and events and object metadata carry whole seconds: a failure dated within
# this of a secret's change may have used the secret as it was before.
RACE_SECONDS = 3


def backoff_after(failures: int) -> int:
    """Seconds the kubelet waits after its `failures`-th failed pull in a row (1 -> 10 s)."""
    if failures < 1:
        return 0
    return min(INITIAL_BACKOFF_SECONDS * 2 ** min(failures - 1, 10), MAX_PULL_BACKOFF_SECONDS)


@dataclass(frozen=True)
class RetryOutlook:
    """What the record says about the kubelet's next attempt for one container.

    `last_failure`: the newest failed pull on record (None when no event dates one);
    `failures`: how many the events count (a lower bound once the spam filter thins them,
    then `saturated`: the back-off is taken at its maximum); `changed`: the newest write of a
    pull secret the kubelet offers now.
    """

    last_failure: datetime | None
    failures: int
    saturated: bool
    changed: datetime | None

    @property
    def next_attempt_after(self) -> datetime | None:
        """The earliest the next attempt can begin: the newest failure plus its back-off. Later
        failures the events have not shown yet only push it further."""
        if self.last_failure is None:
            return None
        return self.last_failure + timedelta(seconds=self._backoff(0))

    def _backoff(self, later: int) -> int:
        if self.saturated:
            return MAX_PULL_BACKOFF_SECONDS
        return backoff_after(max(self.failures, 1) + later)

    def due_by(self, since: datetime) -> datetime:
        """The latest moment the first attempt after `since` begins, if the kubelet runs.

        From the newest failure on record, each attempt comes at most its back-off plus the
        worker's requeue (and a second of truncation) after the one before; the first deadline
        past `since` bounds it. Whatever the events missed, attempts are never further apart
        than MAX_RETRY_GAP_SECONDS, which bounds it too.
        """
        bound = since + timedelta(seconds=MAX_RETRY_GAP_SECONDS + 1)
        if self.last_failure is None or since - self.last_failure > timedelta(days=1):
            return bound
        deadline, later = self.last_failure, 0
        while deadline < since and deadline < bound:
            deadline += timedelta(seconds=self._backoff(later) + WORKER_REQUEUE_MAX_SECONDS + 1)
            later += 1
        return min(deadline, bound) if deadline >= since else bound

"""Where a command runs: the one cluster of the kubeconfig, or many contexts at once.

Each cluster's run is one thread's: it resolves its context (exec plugins included), opens its
client, gathers and judges, and nothing it holds is shared with another cluster's run. A
cluster that cannot be read fails alone, as one line naming its context and the reason; the
others still report. At most `parallel` clusters are read at once.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TextIO, TypeVar

from kubectl_pullsecret.cluster.client import KubeClient
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions
from kubectl_pullsecret.errors import CommandError

log = logging.getLogger("kubectl_pullsecret")

T = TypeVar("T")
DEFAULT_PARALLEL = 8
PROGRESS_INTERVAL = 0.2  # seconds between redraws of the progress line


@dataclass(frozen=True)
class Clusters:
    """The clusters a command reads: `contexts` of the kubeconfig, or, when there are none,
    the one cluster `connection` names."""

    connection: KubeOptions
    contexts: tuple[str, ...] = ()
    parallel: int = DEFAULT_PARALLEL
    progress: TextIO | None = None  # where progress goes (a terminal), or nowhere

    @property
    def fleet(self) -> bool:
        return bool(self.contexts)


@dataclass(frozen=True)
class ClusterResult(Generic[T]):
    """What one cluster gave: a value, or the one line saying why it could not."""

    context: str  # "" for the one cluster of a single run
    value: T | None = None
    error: str = ""


def read_clusters(clusters: Clusters, work: Callable[[KubeClient], T]) -> list[ClusterResult[T]]:
    """`work` on each cluster, results in the order of the contexts. A single cluster's error
    is the command's error, as ever; in a run over several, it is that cluster's result."""
    if not clusters.fleet:
        with KubeClient(clusters.connection) as client:
            return [ClusterResult("", work(client))]
    runs = [
        _Run(name, replace(clusters.connection, context=name), work) for name in clusters.contexts
    ]
    slots = threading.BoundedSemaphore(max(1, clusters.parallel))
    done = threading.Condition()
    progress = _Progress(clusters.progress, len(runs))
    for run in runs:
        while not slots.acquire(timeout=PROGRESS_INTERVAL):
            progress.show(runs)
        run.start(slots, done)
    with done:
        while not all(run.finished for run in runs):
            progress.show(runs)
            done.wait(PROGRESS_INTERVAL)
    progress.clear()
    return [run.result for run in runs]


class _Run(Generic[T]):
    """One cluster's run, on a thread of its own (a daemon: Ctrl-C ends the command without
    waiting for a cluster; each request of it is bounded by --request-timeout)."""

    def __init__(self, name: str, options: KubeOptions, work: Callable[[KubeClient], T]) -> None:
        self.name = name
        self.options = options
        self.work = work
        self.started: float | None = None
        self.finished = False
        self.result: ClusterResult[T] = ClusterResult(name)

    def start(self, slots: threading.BoundedSemaphore, done: threading.Condition) -> None:
        self.started = time.monotonic()
        threading.Thread(
            target=self._run, args=(slots, done), name=f"cluster {self.name}", daemon=True
        ).start()

    def _run(self, slots: threading.BoundedSemaphore, done: threading.Condition) -> None:
        result: ClusterResult[T] = ClusterResult(self.name, error="the run was interrupted")
        try:
            with KubeClient(self.options, label=self.name) as client:
                result = ClusterResult(self.name, self.work(client))
        except CommandError as exc:
            result = ClusterResult(self.name, error=str(exc))
        except Exception as exc:  # one cluster's surprise must not end the others' run
            log.debug("context %r failed", self.name, exc_info=True)
            result = ClusterResult(
                self.name, error=f"unexpected {type(exc).__name__}; re-run with --debug for details"
            )
        finally:
            slots.release()
            with done:
                self.result, self.finished = result, True
                done.notify_all()


class _Progress:
    """`12/20 clusters done, waiting for prod-eu (4.2 s)` on one line of a terminal, redrawn in
    place, and erased before anything else is written."""

    def __init__(self, stream: TextIO | None, total: int) -> None:
        self.stream = stream
        self.total = total
        self.drawn = False

    def show(self, runs: Sequence[_Run[T]]) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        running = [r for r in runs if r.started is not None and not r.finished]
        done = sum(r.finished for r in runs)
        line = f"{done}/{self.total} clusters done"
        if running:
            slowest = min(running, key=lambda r: r.started or now)
            name = "".join(c if c.isprintable() else "?" for c in slowest.name)
            line += f", waiting for {name} ({now - (slowest.started or now):.1f} s)"
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.stream is not None and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def terminal_progress() -> TextIO | None:
    """stderr when both stdout and stderr are terminals; otherwise no progress at all."""
    return sys.stderr if sys.stdout.isatty() and sys.stderr.isatty() else None

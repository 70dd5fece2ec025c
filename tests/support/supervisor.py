"""One supervisor for every process the real parts run: etcd, the API server and its
controllers (control_plane.py), the registries (registries.py), containerd and the kubelet
(node.py).

A `Supervisor` starts processes (each in its own session, its output in its own log, killed by
the kernel if the test run dies: the parent-death signal), tells which of them died and how
(`check`), and stops them newest first, SIGTERM then SIGKILL, reaping each. Processes still
running when the interpreter exits are stopped too. Importable without pytest.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.netns import set_parent_death_signal

STOP_TIMEOUT_S = 15.0


class ProcessDied(RuntimeError):
    """A supervised process ended while it should run."""


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text[-lines:])


@dataclass
class Supervised:
    """One process: its name, its Popen, and the log that holds its stdout and stderr."""

    name: str
    popen: subprocess.Popen[bytes] = field(repr=False)
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        return tail(self.log, lines)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, then SIGKILL after `timeout`; returns once it is reaped."""
        _LIVE.pop(self.popen.pid, None)
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(timeout=timeout)


# Safety net: processes still running when the interpreter exits (a run interrupted between a
# fixture's setup and its teardown) are stopped by their pid.
_LIVE: dict[int, Supervised] = {}


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_LIVE.values()):
        process.stop(timeout=5)


class Supervisor:
    """Starts, watches and stops a group of processes whose logs go to `log_dir`.

    `prefix` goes before every argv (a namespace's nsenter), `env` replaces the environment
    (None: inherit). A name is unique within the group: starting it again replaces the entry
    of a process that has ended.
    """

    def __init__(
        self,
        log_dir: Path,
        prefix: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.log_dir = log_dir
        self.prefix = list(prefix)
        self.env = dict(env) if env is not None else None
        self._processes: dict[str, Supervised] = {}
        self._lock = threading.Lock()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        log: Path | None = None,
    ) -> Supervised:
        """Start NAME: its own session (a terminal's Ctrl-C reaches only the test run, which
        stops everything in order), and SIGKILL should the spawning thread die. Spawn from a
        thread that lives as long as the process (the main thread)."""
        log = log or self.log_dir / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            running = self._processes.get(name)
            if running is not None and running.alive():
                raise RuntimeError(f"{name} is already running (pid {running.pid})")
            with log.open("ab") as out:
                popen = subprocess.Popen(
                    [*self.prefix, *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=cwd,
                    start_new_session=True,
                    preexec_fn=set_parent_death_signal
                    if sys.platform.startswith("linux")
                    else None,
                )
            process = Supervised(name, popen, log)
            self._processes[name] = process
            _LIVE[popen.pid] = process
            return process

    def get(self, name: str) -> Supervised | None:
        return self._processes.get(name)

    @property
    def processes(self) -> list[Supervised]:
        return list(self._processes.values())

    def dead(self) -> list[Supervised]:
        return [p for p in self._processes.values() if not p.alive()]

    def check(self, lines: int = 30) -> None:
        """Raise ProcessDied naming every process that ended, with its exit code and log."""
        dead = self.dead()
        if dead:
            raise ProcessDied(
                "\n".join(
                    f"{p.name} exited with code {p.popen.returncode}; {p.log}:\n{p.tail(lines)}"
                    for p in dead
                )
            )

    def stop(self, *names: str, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop these processes (default: all), newest first: clients before their servers."""
        with self._lock:
            chosen = [n for n in reversed(self._processes) if not names or n in names]
            for name in chosen:
                self._processes.pop(name).stop(timeout)

    def tails(self, lines: int = 20) -> str:
        """The last lines of every process's log, for failure messages."""
        return "\n".join(
            f"--- {p.name} ({p.log}):\n{p.tail(lines)}" for p in self._processes.values()
        )


def environment_without(prefixes: Sequence[str], **overrides: str) -> dict[str, str]:
    """This process's environment without the variables starting with `prefixes`, plus
    `overrides`: what a node's processes see."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(prefixes))}
    env.update(overrides)
    return env

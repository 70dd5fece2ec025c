"""Running the plugin as users do, and the rule for missing prerequisites.

`PluginRunner` runs `kubectl pullsecret ARGS...` through kubectl's own plugin discovery.
`unavailable` is the one rule for a missing real part (binaries, tools): a hard failure when CI
is set, a loud skip elsewhere, repeated in the terminal summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

PLUGIN = "kubectl-pullsecret"
PLUGIN_TIMEOUT_S = 60.0

# Reasons real-part tests were skipped, repeated loudly in the terminal summary.
SKIP_REASONS: set[str] = set()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(what: str) -> NoReturn:
    """Missing prerequisites: a hard failure in CI, a loud skip elsewhere."""
    if in_ci():
        pytest.fail(f"CI is set and a test prerequisite is missing: {what}", pytrace=False)
    reason = f"SKIPPED, a real part is missing: {what}"
    SKIP_REASONS.add(reason)
    pytest.skip(reason)


class PluginRunner:
    """Runs `kubectl pullsecret ARGS...` through kubectl's own plugin discovery.

    `plugin_dir` (the venv's scripts folder by default) goes first on PATH; tests may point
    it elsewhere. KUBECONFIG defaults to the admin kubeconfig, resolved only when needed.
    `prefix` runs the command inside something, e.g. `nsenter --net=...` for the node.
    """

    def __init__(self, default_kubeconfig: Callable[[], Path], prefix: Sequence[str] = ()) -> None:
        self.plugin_dir = Path(sysconfig.get_path("scripts"))
        self.timeout = PLUGIN_TIMEOUT_S
        self.prefix = list(prefix)
        self._default_kubeconfig = default_kubeconfig

    def env(
        self, kubeconfig: Path | str | None = None, extra: Mapping[str, str | None] | None = None
    ) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(self.plugin_dir), env.get("PATH", os.defpath)])
        env["KUBECONFIG"] = str(kubeconfig or self._default_kubeconfig())
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(
        self,
        *args: str,
        kubeconfig: Path | str | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        if not (self.plugin_dir / PLUGIN).exists():
            pytest.fail(
                f"{PLUGIN} is not installed in {self.plugin_dir}; run: "
                f"{Path(sys.executable).parent / 'pip'} install -e .",
                pytrace=False,
            )
        full_env = self.env(kubeconfig, env)
        kubectl = shutil.which("kubectl", path=full_env["PATH"])
        if kubectl is None:
            unavailable("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
        return subprocess.run(
            [*self.prefix, kubectl, "pullsecret", *args],
            env=full_env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout or self.timeout,
            check=False,
        )

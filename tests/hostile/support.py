"""Assertions and small builders shared by the hostile-input tests."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

# Anything that looks like Python leaking its guts onto the user's terminal.
_CRASH = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)
# C0/C1 controls except newline; a report must never repaint the terminal.
_RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """How a decoded string (maybe with surrogate escapes from invalid UTF-8) is printed."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout ---\n{result.stdout[-3000:]}\n"
        f"--- stderr ---\n{result.stderr[-3000:]}"
    )


def assert_no_crash(
    result: subprocess.CompletedProcess[str], codes: Iterable[int] = (0, 1)
) -> None:
    """A deliberate exit code, no traceback, no 'unexpected' catch-all error."""
    assert not _CRASH.search(result.stderr + result.stdout), describe(result)
    assert "error: unexpected" not in result.stderr, describe(result)
    assert result.returncode in tuple(codes), describe(result)


def assert_one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2 with exactly one stderr line, `error: ...`, holding every needle."""
    assert result.returncode == 2, describe(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, describe(result)
    line = lines[0]
    assert line.startswith("error: "), describe(result)
    for needle in needles:
        assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    assert not _CRASH.search(result.stdout), describe(result)
    return line


def assert_terminal_safe(text: str) -> None:
    match = _RAW_CONTROL.search(text)
    assert match is None, f"raw control character {match.group()!r} in output: {text[:500]!r}"


def parse_output(result: subprocess.CompletedProcess[str], fmt: str = "json") -> Any:
    assert result.stdout, describe(result)
    if fmt == "yaml":
        return yaml.safe_load(result.stdout)
    try:
        return json.loads(result.stdout)
    except ValueError as exc:  # pragma: no cover - shown on failure
        raise AssertionError(f"stdout is not JSON ({exc}):\n{describe(result)}") from None


def codes(problems: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(p["code"]) for p in problems]


def problem_text(problems: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{p['code']}: {p['message']} | {p.get('hint', '')}" for p in problems)


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    token: str | None = None,
    ca_file: Path | str | None = None,
    insecure: bool = False,
    context: str = "hostile",
    cluster_name: str = "hostile-cluster",
    user_name: str = "hostile-user",
    namespace: str | None = None,
    extra_contexts: Iterable[dict[str, Any]] = (),
) -> Path:
    """A kubeconfig as users write them (YAML)."""
    cluster: dict[str, Any] = {"server": server}
    if ca_file is not None:
        cluster["certificate-authority"] = str(ca_file)
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    user: dict[str, Any] = {"token": token} if token else {}
    ctx: dict[str, Any] = {"cluster": cluster_name, "user": user_name}
    if namespace:
        ctx["namespace"] = namespace
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [{"name": user_name, "user": user}],
        "contexts": [{"name": context, "context": ctx}, *extra_contexts],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    path.chmod(0o600)
    return path


def run_cli(
    runner: Any,
    *args: str,
    kubeconfig: Path | str | None = None,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
    memory_limit: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """`kubectl pullsecret ARGS...` like the harness's PluginRunner, plus a working directory and
    an address-space limit (for inputs built to exhaust memory). A run that outlives `timeout`
    fails the test with what it printed so far instead of erroring out."""
    import shutil

    from tests.support.plugin import PLUGIN, unavailable

    if not (runner.plugin_dir / PLUGIN).exists():
        pytest.fail(f"{PLUGIN} is not installed in {runner.plugin_dir}; pip install -e .")
    full_env = runner.env(kubeconfig, env)
    kubectl = shutil.which("kubectl", path=full_env["PATH"])
    if kubectl is None:
        unavailable("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")

    def limit() -> None:
        if memory_limit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    try:
        return subprocess.run(
            [kubectl, "pullsecret", *args],
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=limit if memory_limit is not None else None,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"")[-2000:]
        err = (exc.stderr or b"")[-2000:]
        raise AssertionError(
            f"`kubectl pullsecret {' '.join(args)[:200]}` did not finish within {timeout:.0f} s\n"
            f"--- stdout ---\n{out!r}\n--- stderr ---\n{err!r}"
        ) from None

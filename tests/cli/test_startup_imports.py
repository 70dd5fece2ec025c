"""`--help` and `version` must not pay for the heavy modules only the commands need.

Each case runs a fresh interpreter with `-X importtime` and reads which modules it imported.
There is no timing assertion: the cost of start-up is kept down by keeping heavy imports off
the start-up path, and that is what these tests pin down. When one fails, the message names
the chain of imports that pulled the module in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Modules that only a command talking to the cluster or rendering a report may import.
HEAVY = (
    "kubernetes",
    "yaml",
    "tabulate",
    "urllib3",
    "rich",
    "kubectl_pullsecret.cluster.client",
    "kubectl_pullsecret.cluster.gather",
    "kubectl_pullsecret.registry",
    "kubectl_pullsecret.commands",
)

CASES = {
    "import kubectl_pullsecret.cli": ["-c", "import kubectl_pullsecret.cli"],
    "kubectl-pullsecret --help": ["-m", "kubectl_pullsecret", "--help"],
    "kubectl-pullsecret version": ["-m", "kubectl_pullsecret", "version"],
    "kubectl-pullsecret diagnose pod --help": [
        "-m",
        "kubectl_pullsecret",
        "diagnose",
        "pod",
        "--help",
    ],
}


def imported_modules(args: list[str], **extra: str) -> list[tuple[int, str]]:
    """(depth, module) in the order `-X importtime` reports them (children before parents)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["COLUMNS"] = "100"
    env.update(extra)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), (
        f"{args} failed ({result.returncode}):\n{result.stderr[-2000:]}"
    )
    modules = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("| imported package"):
            continue
        name_field = line.split("|", 2)[2]
        stripped = name_field.lstrip()
        depth = (len(name_field) - len(stripped)) // 2
        modules.append((depth, stripped.strip()))
    assert modules, f"no -X importtime output for {args}:\n{result.stderr[-2000:]}"
    return modules


def _is_heavy(module: str) -> bool:
    return any(module == h or module.startswith(h + ".") for h in HEAVY)


def _chain(modules: list[tuple[int, str]], index: int) -> str:
    """The import chain that led to modules[index]: its parents come later, one level up."""
    depth, name = modules[index]
    chain = [name]
    for parent_depth, parent in modules[index + 1 :]:
        if parent_depth < depth:
            chain.append(parent)
            depth = parent_depth
    return " <- ".join(chain)


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_heavy_import_on_the_start_up_path(case: str) -> None:
    modules = imported_modules(CASES[case])
    names = {name for _, name in modules}
    assert "kubectl_pullsecret.cli" in names, "the probe did not import the CLI at all"
    offenders = [_chain(modules, i) for i, (_, name) in enumerate(modules) if _is_heavy(name)]
    # Report each heavy top-level package once, by the first chain that pulled it in.
    first: dict[str, str] = {}
    for chain in offenders:
        first.setdefault(chain.split(" <- ")[0].split(".")[0], chain)
    assert not first, f"`{case}` imports heavy modules on the start-up path:\n  " + "\n  ".join(
        first.values()
    )


def test_the_probe_sees_heavy_imports() -> None:
    """The parser must notice a heavy import, or the test above proves nothing."""
    modules = imported_modules(
        ["-c", "import kubectl_pullsecret.cli, kubectl_pullsecret.cluster.client, yaml"]
    )
    heavy = {name for _, name in modules if _is_heavy(name)}
    assert {"kubectl_pullsecret.cluster.client", "yaml"} <= heavy


@pytest.mark.e2e
def test_a_cluster_run_does_not_import_the_kubernetes_client(kubeconfig: Path) -> None:
    """Tokens, client certificates, CAs and exec plugins need urllib3 and the standard library
    only; importing the kubernetes client would cost a third of a second on every run, paid
    once per cluster of a fleet's shell loop (auth providers still load it)."""
    modules = imported_modules(
        ["-m", "kubectl_pullsecret", "diagnose", "pod", "-A", "-o", "json"],
        KUBECONFIG=str(kubeconfig),
    )
    names = {name for _, name in modules}
    assert "kubectl_pullsecret.cluster.transport" in names, "the run did not reach the cluster"
    assert not {n for n in names if n == "kubernetes" or n.startswith("kubernetes.")}

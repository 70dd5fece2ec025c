#!/usr/bin/env python3
"""Start-up time of the installed program: the PyInstaller build vs a pip install.

    python benchmarks/startup.py --frozen dist/pyinstaller/kubectl-pullsecret/kubectl-pullsecret \\
        --pip ~/.local/bin/kubectl-pullsecret [--runs 15] [--via-kubectl] [--drop-caches]
    python benchmarks/startup.py --install-pip     # pip-installs this checkout into a temp venv

Every run is a new process (what a user's shell does). The first run of each row is shown on
its own ("first"): it pays for reading the files from disk unless they are cached already;
--drop-caches (root, Linux) empties the page cache before it, for a truly cold first run. The
other runs give median/min/max. Nothing here asserts a time; it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FROZEN = REPO_ROOT / "dist" / "pyinstaller" / "kubectl-pullsecret" / "kubectl-pullsecret"


def _drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _time(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    # `check` exits non-zero when it finds problems; only a crash is a benchmark error.
    if result.returncode not in (0, 1, 2, 3) or b"Traceback" in result.stderr:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def _install_pip(target: Path) -> Path:
    """A fresh venv with this checkout pip-installed (dependencies come from PyPI)."""
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    source = target / "src"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", ".*cache", ".venv"),
    )
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        check=True,
    )
    return python.parent / ("kubectl-pullsecret.exe" if os.name == "nt" else "kubectl-pullsecret")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frozen", type=Path, default=DEFAULT_FROZEN)
    parser.add_argument("--pip", type=Path, help="a pip/pipx-installed kubectl-pullsecret script")
    parser.add_argument("--install-pip", action="store_true", help="pip-install into a temp venv")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--via-kubectl", action="store_true", help="also time `kubectl pullsecret`")
    parser.add_argument("--drop-caches", action="store_true", help="cold first run (root, Linux)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON as well")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kps-startup-") as tmp_name:
        tmp = Path(tmp_name)
        targets: dict[str, Path] = {}
        if args.frozen.is_file():
            targets["pyinstaller"] = args.frozen.resolve()
        else:
            print(f"no frozen program at {args.frozen} (run tools/release.py)", file=sys.stderr)
        pip_script = _install_pip(tmp / "venv") if args.install_pip else args.pip
        if pip_script is not None:
            targets["pip"] = pip_script
        if not targets:
            return 1

        config = tmp / "config.json"
        config.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}))
        commands = {
            "--help": ["--help"],
            "version": ["version"],
            "check --file": ["check", "nginx", "--file", str(config)],
        }
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)

        rows = []
        for label, target in targets.items():
            launchers = {label: [str(target)]}
            if args.via_kubectl:
                kubectl = shutil.which("kubectl")
                if kubectl is None:
                    raise SystemExit("--via-kubectl: kubectl is not on PATH")
                link_dir = tmp / f"path-{label}"
                link_dir.mkdir()
                (link_dir / "kubectl-pullsecret").symlink_to(target)
                launchers[f"{label} via kubectl"] = [kubectl, "pullsecret"]
                kube_env = {
                    **env,
                    "PATH": os.pathsep.join([str(link_dir), str(Path(kubectl).parent)]),
                }
            for name, launcher in launchers.items():
                run_env = kube_env if "via kubectl" in name else env
                for command, cmd_args in commands.items():
                    dropped = args.drop_caches and _drop_caches()
                    first = _time([*launcher, *cmd_args], run_env)
                    times = [_time([*launcher, *cmd_args], run_env) for _ in range(args.runs)]
                    rows.append(
                        {
                            "program": name,
                            "command": command,
                            "first_ms": round(first * 1000, 1),
                            "cold": dropped,
                            "median_ms": round(statistics.median(times) * 1000, 1),
                            "min_ms": round(min(times) * 1000, 1),
                            "max_ms": round(max(times) * 1000, 1),
                            "runs": args.runs,
                        }
                    )

    header = ("program", "command", "first", "median", "min", "max")
    table = [header] + [
        (
            r["program"],
            r["command"],
            f"{r['first_ms']:.0f} ms{' (cold)' if r['cold'] else ''}",
            f"{r['median_ms']:.0f} ms",
            f"{r['min_ms']:.0f} ms",
            f"{r['max_ms']:.0f} ms",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\nmedian/min/max over {args.runs} runs after the first; {sys.platform}, {os.cpu_count()} CPUs"
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

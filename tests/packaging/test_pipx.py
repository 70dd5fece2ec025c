"""`pipx install .` puts kubectl-pullsecret on PATH, where kubectl finds it as a plugin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from krew_install import plugin_env
from release_fixtures import run_from_source, source_root

pytestmark = [pytest.mark.slow, pytest.mark.network]

# Build leftovers and local state that must not be copied into the throw-away source tree.
_IGNORE = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
    ".hypothesis", ".venv", "venv", "tests",
)  # fmt: skip


@pytest.fixture(scope="session")
def pipx_bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipx")
    # A copy, because building a wheel in place writes build/ and *.egg-info into the checkout
    # that other people are working in.
    source = root / "src"
    shutil.copytree(source_root(), source, ignore=_IGNORE)
    env = {
        **os.environ,
        "PIPX_HOME": str(root / "home"),
        "PIPX_BIN_DIR": str(root / "bin"),
        "PIPX_MAN_DIR": str(root / "man"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (
        "pipx install failed (it needs PyPI, or PIP_INDEX_URL / PIP_FIND_LINKS pointing at a "
        f"mirror, for the dependencies):\n{result.stdout}\n{result.stderr}"
    )
    return root / "bin"


def test_pipx_puts_the_plugin_on_path(pipx_bin_dir: Path) -> None:
    script = pipx_bin_dir / "kubectl-pullsecret"
    assert script.exists() and os.access(script, os.X_OK)
    listed = subprocess.run(
        ["kubectl", "plugin", "list"],
        capture_output=True,
        text=True,
        env=plugin_env(pipx_bin_dir),
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert str(script) in listed.stdout.splitlines()


def test_kubectl_pullsecret_version_from_pipx(pipx_bin_dir: Path) -> None:
    result = subprocess.run(
        ["kubectl", "pullsecret", "version"],
        capture_output=True,
        text=True,
        env=plugin_env(pipx_bin_dir),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == run_from_source("version").stdout

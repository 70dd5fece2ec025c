"""The PyInstaller program: self-contained, complete, and behaving like the source tree."""

from __future__ import annotations

import pkgutil
import subprocess
from pathlib import Path

import pytest
from release_fixtures import run_from_source, source_root

pytestmark = pytest.mark.slow


def _run(
    exe: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _bundled_modules(exe: Path) -> set[str]:
    """Module names in the PYZ archive embedded in the frozen executable."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(str(exe))
    pyz = reader.open_embedded_archive("PYZ.pyz")
    return set(pyz.toc)


def test_lazily_imported_modules_are_bundled(frozen_exe: Path) -> None:
    bundled = _bundled_modules(frozen_exe)
    package = source_root() / "kubectl_pullsecret"
    own = {f"kubectl_pullsecret.{m.name}" for m in pkgutil.iter_modules([str(package)])}
    assert own, "no modules found in the source tree"
    expected = {
        "kubectl_pullsecret",
        *own,
        "kubernetes.client",
        "kubernetes.config.kube_config",
        "kubernetes.config.incluster_config",
        "yaml",
        "tabulate",
        "typer",
    }
    import rich._unicode_data

    expected |= {
        f"rich._unicode_data.{m.name}" for m in pkgutil.iter_modules(rich._unicode_data.__path__)
    }
    assert sorted(expected - bundled) == []
    # Test-only packages stay out (tools/release.py EXCLUDED_MODULES).
    assert not {"hypothesis", "pytest", "_pytest", "PIL", "IPython"} & bundled


def test_help_and_version_match_the_source_tree(frozen_exe: Path) -> None:
    # `__complete` is kubectl's plugin-completion protocol, handled by a lazily imported module.
    for args in (["--help"], ["version"], ["__complete", "di"]):
        frozen, source = _run(frozen_exe, *args), run_from_source(*args)
        assert frozen.returncode == source.returncode == 0, frozen.stderr
        assert frozen.stdout == source.stdout
    from release_fixtures import load_release

    version = load_release().source_version(source_root())
    assert version in _run(frozen_exe, "version").stdout


def test_check_with_a_docker_config_matches_the_source_tree(
    frozen_exe: Path, docker_config: Path
) -> None:
    """A real command, not just --help: parses the config, matches the image, prints a table."""
    args = ["check", "nginx", "--file", str(docker_config)]
    frozen, source = _run(frozen_exe, *args), run_from_source(*args)
    assert "Traceback" not in frozen.stderr, frozen.stderr
    assert "ModuleNotFoundError" not in frozen.stderr
    assert (frozen.returncode, frozen.stdout, frozen.stderr) == (
        source.returncode,
        source.stdout,
        source.stderr,
    )


def test_independent_of_the_host_python(frozen_exe: Path, docker_config: Path) -> None:
    """No interpreter, site-packages or PYTHON* settings of the host are used."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(docker_config.parent),
        "PYTHONHOME": "/nonexistent",
        "PYTHONPATH": "/nonexistent",
        "PYTHONSAFEPATH": "1",
    }
    result = _run(frozen_exe, "check", "nginx", "--file", str(docker_config), env=env)
    assert "Traceback" not in result.stderr, result.stderr
    assert (
        result.returncode
        == run_from_source("check", "nginx", "--file", str(docker_config)).returncode
    )

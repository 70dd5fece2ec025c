"""Packaging tests: the krew archive, the krew manifest and template, pipx.

Markers (registered here so they work before pyproject.toml lists them):
- packaging: every test in this directory.
- slow: needs the PyInstaller build (about a minute, once per session) or a pipx install.
- network: installs dependencies from PyPI.
All of them run by default; deselect with e.g. `-m "not slow"` for a quick loop.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Re-exported fixtures; see release_fixtures.py for the environment variables they honour.
from release_fixtures import (  # noqa: F401
    docker_config,
    frozen_exe,
    frozen_program_dir,
    krew_bin_dir,
    krew_root,
    release,
    release_archive,
    release_epoch,
    release_manifest,
    release_tag,
)

MARKERS = {
    "packaging": "krew archive / manifest / pipx packaging tests (tests/packaging)",
    "slow": "builds the PyInstaller program or installs with pipx; runs by default",
    "network": "needs PyPI to install dependencies; runs by default",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items; mark only the ones in this directory.
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.packaging)

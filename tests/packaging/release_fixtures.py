"""Session fixtures that build the release artifact once and install it like krew.

tests/packaging/conftest.py re-exports these. The e2e suite can run its commands through the
krew install instead of the pip one with, in its conftest.py or test module:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packaging"))
    from release_fixtures import krew_bin_dir  # noqa: F401  (plus the fixtures it needs)

    def test_diagnose_from_krew(run_plugin, krew_bin_dir, namespace):
        run_plugin.plugin_dir = krew_bin_dir        # tests/conftest.py PluginRunner
        result = run_plugin("diagnose", "pod", "web", "-n", namespace)

Import it under this top-level name everywhere: the expensive steps are memoised in this
module, so a second import site does not build again even though pytest keeps a separate
fixture definition per conftest.

Environment:
- KUBECTL_PULLSECRET_PREBUILT_DIST: a --dist directory written by `tools/release.py` (it holds
  pyinstaller/kubectl-pullsecret/); the PyInstaller build (about a minute) is then skipped.
- KUBECTL_PULLSECRET_SOURCE_ROOT: build and compare against another checkout (default: this
  repository).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

# The sibling helper modules are imported by their top-level names, whichever way this file
# was reached (tests/ is a package, tests/packaging is not).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from krew_install import install_like_krew

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
PREBUILT_ENV = "KUBECTL_PULLSECRET_PREBUILT_DIST"
SOURCE_ROOT_ENV = "KUBECTL_PULLSECRET_SOURCE_ROOT"


def source_root() -> Path:
    return Path(os.environ.get(SOURCE_ROOT_ENV) or REPO_ROOT).resolve()


_MEMO: dict[str, Any] = {}


def _memo(key: str, make: Callable[[], T]) -> T:
    """Once per process, whichever fixture definition asks first."""
    if key not in _MEMO:
        _MEMO[key] = make()
    return _MEMO[key]


@cache
def load_release() -> ModuleType:
    """tools/release.py as a module (tools/ is not a package)."""
    path = REPO_ROOT / "tools" / "release.py"
    spec = importlib.util.spec_from_file_location("kps_release", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass(frozen=True)
class BuiltArchive:
    path: Path
    sha256: str
    tag: str
    os: str
    arch: str
    epoch: int


@pytest.fixture(scope="session")
def release() -> ModuleType:
    return load_release()


@pytest.fixture(scope="session")
def release_tag(release: ModuleType) -> str:
    return release.parse_tag(release.source_version(source_root()))


@pytest.fixture(scope="session")
def release_epoch(release: ModuleType) -> int:
    return release.source_date_epoch(source_root())


@pytest.fixture(scope="session")
def frozen_program_dir(
    release: ModuleType, release_epoch: int, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The PyInstaller one-folder output, built once per session (or taken prebuilt)."""
    prebuilt = os.environ.get(PREBUILT_ENV)
    if prebuilt:
        program_dir = Path(prebuilt) / "pyinstaller" / release.PROGRAM
        if not program_dir.is_dir():
            pytest.fail(f"{PREBUILT_ENV}={prebuilt} has no pyinstaller/{release.PROGRAM}/")
        return program_dir.resolve()
    root = tmp_path_factory.mktemp("pyinstaller")
    return release.build_program(source_root(), root / "work", root / "dist", epoch=release_epoch)


@pytest.fixture(scope="session")
def frozen_exe(release: ModuleType, frozen_program_dir: Path) -> Path:
    os_name, _ = release.host_platform()
    return frozen_program_dir / Path(release.bin_path(os_name)).name


@pytest.fixture(scope="session")
def release_archive(
    release: ModuleType,
    release_tag: str,
    release_epoch: int,
    frozen_program_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> BuiltArchive:
    os_name, arch = release.host_platform()

    def build() -> BuiltArchive:
        out = tmp_path_factory.mktemp("archive") / release.asset_name(release_tag, os_name, arch)
        release.make_archive(
            frozen_program_dir, source_root() / "LICENSE", out, epoch=release_epoch, os_name=os_name
        )
        return BuiltArchive(
            out, release.sha256_file(out), release_tag, os_name, arch, release_epoch
        )

    return _memo("archive", build)


@pytest.fixture(scope="session")
def release_manifest(release: ModuleType, release_archive: BuiltArchive) -> str:
    """The committed krew-manifest.yaml with this host's entry set to the built archive,
    exactly as `tools/release.py VERSION` would rewrite it."""
    text = (REPO_ROOT / "krew-manifest.yaml").read_text(encoding="utf-8")
    return release.update_manifest_text(
        text, release_archive.tag, release_archive.os, release_archive.arch, release_archive.sha256
    )


@pytest.fixture(scope="session")
def krew_root(
    release_archive: BuiltArchive, release_manifest: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A KREW_ROOT with the plugin installed from the release archive."""

    def install() -> Path:
        root = tmp_path_factory.mktemp("krew-root")
        platform = (release_archive.os, release_archive.arch)
        install_like_krew(release_archive.path, release_manifest, platform, root)
        return root

    return _memo("krew_root", install)


@pytest.fixture(scope="session")
def krew_bin_dir(krew_root: Path) -> Path:
    """KREW_ROOT/bin holding the kubectl-pullsecret symlink; see krew_install.plugin_env."""
    return krew_root / "bin"


@pytest.fixture(scope="session")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A docker config.json with (fake) Docker Hub credentials, for `check --file`."""
    import base64
    import json

    auth = base64.b64encode(b"robot:not-a-real-password").decode()
    path = tmp_path_factory.mktemp("docker") / "config.json"
    path.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))
    return path


def run_from_source(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The same command through the source tree's interpreter (`python -m kubectl_pullsecret`)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source_root()), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "kubectl_pullsecret", *args],
        capture_output=True,
        text=True,
        env=env,
        # Not the caller's directory: `python -m` puts the working directory first on sys.path.
        cwd=cwd or source_root(),
        timeout=120,
        check=False,
    )

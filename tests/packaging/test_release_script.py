"""tools/release.py: versions, asset names, manifest rewriting, and the command line."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from krew_validation import decode_plugin, matching_platform, validate_manifest
from release_fixtures import REPO_ROOT, BuiltArchive, source_root

MANIFEST_TEXT = (REPO_ROOT / "krew-manifest.yaml").read_text(encoding="utf-8")
SHA = "ab" * 32


@pytest.mark.parametrize(
    ("given", "tag"),
    [("0.1.0", "v0.1.0"), ("v0.1.0", "v0.1.0"), ("v1.2.3-rc.1+b.7", "v1.2.3-rc.1+b.7")],
)
def test_parse_tag(release: ModuleType, given: str, tag: str) -> None:
    assert release.parse_tag(given) == tag


@pytest.mark.parametrize("bad", ["1.2", "v1.2.3.4", "v01.2.3", "v1.2.3-01", "latest", "v1.2.3 "])
def test_parse_tag_rejects(release: ModuleType, bad: str) -> None:
    with pytest.raises(release.ReleaseError):
        release.parse_tag(bad)


def test_asset_names(release: ModuleType) -> None:
    assert release.asset_name("v0.1.0", "linux", "amd64") == (
        "kubectl-pullsecret_v0.1.0_linux_amd64.tar.gz"
    )
    assert release.asset_name("v0.1.0", "windows", "amd64").endswith("_windows_amd64.zip")
    assert release.asset_uri("v0.1.0", "darwin", "arm64") == (
        "https://github.com/kubectl-pullsecret/kubectl-pullsecret/releases/download/v0.1.0/"
        "kubectl-pullsecret_v0.1.0_darwin_arm64.tar.gz"
    )
    assert release.bin_path("windows") == "kubectl-pullsecret/kubectl-pullsecret.exe"
    path = Path(release.asset_name("v1.0.0-rc.1", "darwin", "amd64"))
    assert release.parse_asset_name(path) == ("v1.0.0-rc.1", "darwin", "amd64")
    with pytest.raises(release.ReleaseError):
        release.parse_asset_name(Path("kubectl-pullsecret_v1.0.0_windows_amd64.tar.gz"))


def test_manifest_update_touches_only_version_uri_and_sha(release: ModuleType) -> None:
    updated = release.update_manifest_text(MANIFEST_TEXT, "v0.2.0", "darwin", "arm64", SHA)
    changed = [
        line
        for line in difflib.ndiff(MANIFEST_TEXT.splitlines(), updated.splitlines())
        if line.startswith(("+ ", "- "))
    ]
    uri = release.asset_uri("v0.2.0", "darwin", "arm64")
    assert [line for line in changed if line.startswith("+ ")] == [
        "+   version: v0.2.0",
        f"+     uri: {uri}",
        f'+     sha256: "{SHA}"',
    ]
    plugin = decode_plugin(updated)
    entry = matching_platform(plugin, "darwin", "arm64")
    assert entry is not None and (entry.uri, entry.sha256) == (uri, SHA)
    # Other platforms keep their values until their own runner records them.
    other = matching_platform(plugin, "linux", "amd64")
    assert other is not None and other.uri.endswith("v0.1.0_linux_amd64.tar.gz")
    validate_manifest(updated, "pullsecret.yaml")
    # Idempotent.
    assert release.update_manifest_text(updated, "v0.2.0", "darwin", "arm64", SHA) == updated


def test_manifest_update_refuses_unknown_or_ambiguous_platforms(release: ModuleType) -> None:
    with pytest.raises(release.ReleaseError, match="0 platform entries for linux/ppc64le"):
        release.update_manifest_text(MANIFEST_TEXT, "v0.1.0", "linux", "ppc64le", SHA)
    start = MANIFEST_TEXT.index("  - selector:")
    end = MANIFEST_TEXT.index("  - selector:", start + 1)
    doubled = MANIFEST_TEXT[:end] + MANIFEST_TEXT[start:end] + MANIFEST_TEXT[end:]
    with pytest.raises(release.ReleaseError, match="2 platform entries for linux/amd64"):
        release.update_manifest_text(doubled, "v0.1.0", "linux", "amd64", SHA)
    with pytest.raises(release.ReleaseError, match="not a lowercase sha256"):
        release.update_manifest_text(MANIFEST_TEXT, "v0.1.0", "linux", "amd64", SHA.upper())


def test_from_archives_records_every_platform(release: ModuleType, tmp_path: Path) -> None:
    """The final CI job's use: hash the downloaded assets of all runners into one manifest."""
    manifest = tmp_path / "krew-manifest.yaml"
    manifest.write_text(MANIFEST_TEXT, encoding="utf-8")
    archives = []
    for os_name, arch in release.PLATFORMS:
        path = tmp_path / release.asset_name("v0.1.0", os_name, arch)
        path.write_bytes(f"{os_name}/{arch}".encode())
        archives.append(path)
    assert (
        release.main(
            ["v0.1.0", "--manifest", str(manifest), "--from-archives", *map(str, archives)]
        )
        == 0
    )
    plugin, _ = validate_manifest(manifest.read_text(encoding="utf-8"), "pullsecret.yaml")
    for path in archives:
        _, os_name, arch = release.parse_asset_name(path)
        entry = matching_platform(plugin, os_name, arch)
        assert entry is not None and entry.sha256 == release.sha256_file(path)
    # An archive of another release is refused.
    assert (
        release.main(["v0.2.0", "--manifest", str(manifest), "--from-archives", str(archives[0])])
        == 1
    )


def test_version_must_match_the_package(
    release: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refused before anything is built: --program-dir points nowhere on purpose.
    code = release.main(
        ["v99.0.0", "--program-dir", str(tmp_path / "none"), "--dist", str(tmp_path)]
    )
    assert code == 1
    assert "does not match kubectl_pullsecret.__version__" in capsys.readouterr().err


@pytest.mark.slow
def test_release_command_line_end_to_end(
    release: ModuleType,
    release_archive: BuiltArchive,
    frozen_program_dir: Path,
    tmp_path: Path,
) -> None:
    """`tools/release.py VERSION --program-dir ...` as a CI runner calls it (minus PyInstaller,
    which the session fixture already ran through the same build_program())."""
    manifest = tmp_path / "krew-manifest.yaml"
    shutil.copy(REPO_ROOT / "krew-manifest.yaml", manifest)
    dist = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "release.py"),
            release_archive.tag,
            "--program-dir",
            str(frozen_program_dir),
            "--dist",
            str(dist),
            "--manifest",
            str(manifest),
            "--source-root",
            str(source_root()),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(release_archive.epoch)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    archive = dist / release_archive.path.name
    # Same bytes as the fixture's archive: a second, independent run reproduces the hash.
    assert release.sha256_file(archive) == release_archive.sha256
    assert (dist / f"{archive.name}.sha256").read_text() == (
        f"{release_archive.sha256}  {archive.name}\n"
    )
    plugin, _ = validate_manifest(manifest.read_text(encoding="utf-8"), "pullsecret.yaml")
    entry = matching_platform(plugin, release_archive.os, release_archive.arch)
    assert entry is not None and entry.sha256 == release_archive.sha256

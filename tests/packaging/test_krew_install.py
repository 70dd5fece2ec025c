"""Install the release archive the way krew does, then use it through kubectl."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
from krew_install import KrewInstallError, install_like_krew, plugin_env, run_plugin
from release_fixtures import BuiltArchive, load_release, run_from_source


def _kubectl_minor() -> int:
    out = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    minor = json.loads(out)["clientVersion"]["minor"]
    return int(re.sub(r"\D.*", "", minor))  # GKE-style kubectl says "32+"


# --- slow: the real archive ----------------------------------------------------------------


@pytest.mark.slow
def test_installed_layout(krew_root: Path, release_archive: BuiltArchive) -> None:
    store = krew_root / "store" / "pullsecret" / release_archive.tag
    assert (store / "LICENSE").is_file()
    exe = store / "kubectl-pullsecret" / "kubectl-pullsecret"
    assert exe.is_file() and os.access(exe, os.X_OK)
    link = krew_root / "bin" / "kubectl-pullsecret"
    assert link.is_symlink() and Path(os.readlink(link)) == exe.resolve()
    receipt = json.loads((krew_root / "receipts" / "pullsecret.yaml").read_text())
    assert receipt["status"]["source"]["name"] == "default"
    assert receipt["spec"]["version"] == release_archive.tag


@pytest.mark.slow
def test_kubectl_plugin_list_finds_it(krew_bin_dir: Path) -> None:
    result = subprocess.run(
        ["kubectl", "plugin", "list"],
        capture_output=True,
        text=True,
        env=plugin_env(krew_bin_dir),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert str(krew_bin_dir / "kubectl-pullsecret") in result.stdout.splitlines()


@pytest.mark.slow
def test_kubectl_pullsecret_version(krew_bin_dir: Path, release_archive: BuiltArchive) -> None:
    result = run_plugin(krew_bin_dir, "version")
    assert result.returncode == 0, result.stderr
    assert release_archive.tag.removeprefix("v") in result.stdout
    assert result.stdout == run_from_source("version").stdout


@pytest.mark.slow
def test_kubectl_pullsecret_check(krew_bin_dir: Path, docker_config: Path) -> None:
    args = ["check", "nginx", "--file", str(docker_config)]
    via_kubectl, source = run_plugin(krew_bin_dir, *args), run_from_source(*args)
    assert "Traceback" not in via_kubectl.stderr, via_kubectl.stderr
    assert (via_kubectl.returncode, via_kubectl.stdout) == (source.returncode, source.stdout)


@pytest.mark.slow
def test_kubectl_completion_through_the_documented_wrapper(
    krew_bin_dir: Path, tmp_path: Path
) -> None:
    """krew links one executable, so completion needs the wrapper docs/releasing.md gives."""
    if _kubectl_minor() < 26:
        pytest.skip("kubectl runs plugin completion (kubectl_complete-*) from 1.26 on")
    wrapper = tmp_path / "kubectl_complete-pullsecret"
    wrapper.write_text('#!/bin/sh\nexec kubectl-pullsecret __complete "$@"\n')
    wrapper.chmod(0o755)
    env = plugin_env(krew_bin_dir)
    env["PATH"] = os.pathsep.join([str(tmp_path), env["PATH"]])
    result = subprocess.run(
        ["kubectl", "__complete", "pullsecret", "di"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "diagnose" in result.stdout.splitlines()


@pytest.mark.slow
def test_second_install_and_wrong_checksum_are_refused(
    krew_root: Path, release_archive: BuiltArchive, release_manifest: str, tmp_path: Path
) -> None:
    platform = (release_archive.os, release_archive.arch)
    with pytest.raises(KrewInstallError, match="already installed"):
        install_like_krew(release_archive.path, release_manifest, platform, krew_root)
    tampered = release_manifest.replace(release_archive.sha256, "0" * 64)
    with pytest.raises(KrewInstallError, match="checksum does not match"):
        install_like_krew(release_archive.path, tampered, platform, tmp_path)


# --- fast: krew's refusals on hand-made archives ----------------------------------------------

MANIFEST = """\
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: demo
spec:
  version: v1.0.0
  shortDescription: Demo
  platforms:
  - selector:
      matchLabels:
        os: linux
        arch: amd64
    uri: https://example.com/demo.tar.gz
    sha256: "{sha}"
    bin: {bin}
{files}"""
DEFAULT_FILES = """\
    files:
    - from: demo
      to: .
    - from: LICENSE
      to: .
"""


def _tar(members: list[tuple[str, bytes | None, int, bytes]]) -> bytes:
    """(name, data or None for a dir, mode, typeflag) -> tar.gz bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data, mode, kind in members:
            info = tarfile.TarInfo(name)
            info.mode, info.type = mode, kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "demo"
            if data is None or kind != tarfile.REGTYPE:
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


GOOD = [
    ("LICENSE", b"license", 0o644, tarfile.REGTYPE),
    ("demo", None, 0o755, tarfile.DIRTYPE),
    ("demo/demo", b"#!/bin/sh\necho demo\n", 0o755, tarfile.REGTYPE),
]


def _install(
    tmp_path: Path,
    members: list[tuple[str, bytes | None, int, bytes]],
    *,
    bin_: str = "demo/demo",
    files: str = DEFAULT_FILES,
) -> Path:
    archive = tmp_path / "demo.tar.gz"
    archive.write_bytes(_tar(members))
    sha = load_release().sha256_file(archive)
    manifest = MANIFEST.format(sha=sha, bin=bin_, files=files)
    return install_like_krew(archive, manifest, ("linux", "amd64"), tmp_path / "root")


def test_hand_made_archive_installs(tmp_path: Path) -> None:
    bin_dir = _install(tmp_path, GOOD)
    out = subprocess.run([bin_dir / "kubectl-demo"], capture_output=True, text=True, check=True)
    assert out.stdout == "demo\n"


@pytest.mark.parametrize(
    ("members", "kwargs", "message"),
    [
        ([*GOOD, ("demo/link", None, 0o777, tarfile.SYMTYPE)], {}, "unable to handle file type"),
        ([*GOOD, ("demo/../../evil", b"x", 0o644, tarfile.REGTYPE)], {}, "suspicious entry"),
        ([*GOOD, ("demo/a..b", b"x", 0o644, tarfile.REGTYPE)], {}, "suspicious entry"),
        ([*GOOD, ("/abs", b"x", 0o644, tarfile.REGTYPE)], {}, "absolute entry"),
        (GOOD, {"bin_": "demo/missing"}, "cannot be found in extracted archive"),
        (GOOD, {"bin_": "../../demo"}, "does not extend the sub-fullPath"),
        (GOOD, {"files": "    files:\n    - from: nothing*\n      to: .\n"}, "matched the glob"),
        (GOOD, {"files": "    files:\n    - from: demo\n      to: ./x/\n"}, "path is not clean"),
        (GOOD[1:], {"files": "    files:\n    - from: demo\n      to: .\n"}, "LICENSE"),
    ],
    ids=["symlink", "dotdot", "dotdot-in-name", "absolute", "no-bin", "bin-escapes", "glob",
         "unclean-to", "no-license"],
)  # fmt: skip
def test_krew_refusals(
    tmp_path: Path,
    members: list[tuple[str, bytes | None, int, bytes]],
    kwargs: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(KrewInstallError, match=re.escape(message)):
        _install(tmp_path, members, **kwargs)


def test_default_files_and_globs(tmp_path: Path) -> None:
    # No `files`: krew moves "*" to "." (applyDefaults); globs also match dotfiles, like Go's.
    members = [*GOOD, ("demo/.hidden", b"h", 0o644, tarfile.REGTYPE)]
    bin_dir = _install(tmp_path, members, files="")
    store = tmp_path / "root" / "store" / "demo" / "v1.0.0"
    assert (store / "demo" / ".hidden").is_file() and (store / "LICENSE").is_file()
    assert (bin_dir / "kubectl-demo").resolve() == (store / "demo" / "demo").resolve()
    glob_files = "    files:\n    - from: demo/*\n      to: bin\n    - from: LICENSE\n      to: .\n"
    other = tmp_path / "other"
    other.mkdir()
    _install(other, members, bin_="bin/demo", files=glob_files)
    assert (other / "root" / "store" / "demo" / "v1.0.0" / "bin" / ".hidden").is_file()


def test_manifest_is_validated_before_installing(tmp_path: Path) -> None:
    from krew_validation import ManifestError

    archive = tmp_path / "demo.tar.gz"
    archive.write_bytes(_tar(GOOD))
    manifest = MANIFEST.format(sha="0" * 64, bin="demo/demo", files=DEFAULT_FILES)
    with pytest.raises(ManifestError, match="not starting with 'v'"):
        install_like_krew(
            archive, manifest.replace("v1.0.0", "1.0.0"), ("linux", "amd64"), tmp_path
        )
    with pytest.raises(KrewInstallError, match="does not offer installation for this platform"):
        install_like_krew(archive, manifest, ("darwin", "arm64"), tmp_path)

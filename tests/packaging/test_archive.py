"""The release archive: krew-compatible members and byte-for-byte reproducible."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import struct
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from krew_install import download_and_extract
from release_fixtures import BuiltArchive, load_release, source_root

EPOCH = 1_700_000_000


def _fake_program(root: Path, exe_name: str = "kubectl-pullsecret") -> Path:
    """A stand-in for PyInstaller's output, with the symlinks PyInstaller 6 may create."""
    program = root / "kubectl-pullsecret"
    internal = program / "_internal"
    (internal / "pkg" / "sub").mkdir(parents=True)
    (program / exe_name).write_bytes(b"#!/bin/sh\necho frozen\n")
    (program / exe_name).chmod(0o755)
    (internal / "libpython.so.1.0").write_bytes(b"\x7fELF fake")
    (internal / "pkg" / "sub" / "data.txt").write_text("data")
    (internal / "libpython.so").symlink_to("libpython.so.1.0")
    (internal / "pkg-link").symlink_to("pkg", target_is_directory=True)
    return program


@pytest.fixture
def license_file(tmp_path: Path) -> Path:
    path = tmp_path / "LICENSE"
    path.write_text("Apache License 2.0\n")
    return path


def _members(archive: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.getmembers()


def _assert_krew_safe(members: list[tarfile.TarInfo], epoch: int) -> None:
    for m in members:
        assert m.type in (tarfile.REGTYPE, tarfile.DIRTYPE), f"{m.name} is not a file or dir"
        assert ".." not in m.name and not m.name.startswith(("/", "\\")), m.name
        assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", ""), m.name
        assert m.mtime == epoch, m.name
        assert m.mode in (0o755, 0o644), f"{m.name}: {oct(m.mode)}"
        assert not m.pax_headers, f"{m.name} carries PAX records {m.pax_headers}"
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: n.split("/")), "entries are not sorted"


def _assert_gzip_header(archive: Path, epoch: int) -> None:
    header = archive.read_bytes()[:10]
    magic, method, flags, mtime = struct.unpack("<2sBBI", header[:8])
    assert (magic, method) == (b"\x1f\x8b", 8)
    assert flags == 0, "gzip header carries a file name or comment"
    assert mtime == epoch


# --- fast: synthetic program folders ----------------------------------------------------------


def test_symlinks_become_regular_members(tmp_path: Path, license_file: Path) -> None:
    release = load_release()
    program = _fake_program(tmp_path / "build")
    out = tmp_path / "out.tar.gz"
    release.make_archive(program, license_file, out, epoch=EPOCH, os_name="linux")
    members = {m.name: m for m in _members(out)}
    _assert_krew_safe(list(members.values()), EPOCH)
    _assert_gzip_header(out, EPOCH)
    assert list(members)[:3] == ["LICENSE", "kubectl-pullsecret", "kubectl-pullsecret/_internal"]
    assert members["kubectl-pullsecret/kubectl-pullsecret"].mode == 0o755
    assert members["LICENSE"].mode == 0o644
    with tarfile.open(out, "r:gz") as tar:
        link = tar.extractfile("kubectl-pullsecret/_internal/libpython.so")
        assert link is not None and link.read() == b"\x7fELF fake"
        copied = tar.extractfile("kubectl-pullsecret/_internal/pkg-link/sub/data.txt")
        assert copied is not None and copied.read() == b"data"
    assert members["kubectl-pullsecret/_internal/pkg-link"].isdir()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda i: (i / "escape").symlink_to("/etc/hostname"), "points outside the program folder"),
        (lambda i: (i / "dangling").symlink_to("missing"), "dangling symlink"),
        (lambda i: (i / "loop").symlink_to(".", target_is_directory=True), "symlink loop"),
        (lambda i: (i / "a..b").write_text(""), "would be refused by krew"),
        (lambda i: os.mkfifo(i / "fifo"), "neither a regular file nor a directory"),
    ],
    ids=["outside", "dangling", "loop", "dotdot", "fifo"],
)
def test_archives_krew_would_refuse_are_not_written(
    tmp_path: Path, license_file: Path, make: object, message: str
) -> None:
    release = load_release()
    program = _fake_program(tmp_path / "build")
    make(program / "_internal")  # type: ignore[operator]
    with pytest.raises(release.ReleaseError, match=message):
        release.make_archive(
            program, license_file, tmp_path / "x.tar.gz", epoch=EPOCH, os_name="linux"
        )


def test_archive_ignores_mtimes_and_umask(tmp_path: Path, license_file: Path) -> None:
    release = load_release()
    first = _fake_program(tmp_path / "one")
    second = tmp_path / "two" / "kubectl-pullsecret"
    shutil.copytree(first, second, symlinks=True)
    # Another checkout: other times, a stricter umask, a group-writable file.
    for path in second.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (EPOCH + 12345, EPOCH + 12345))
            path.chmod(0o700 if path.is_dir() or os.access(path, os.X_OK) else 0o660)
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    release.make_archive(first, license_file, a, epoch=EPOCH, os_name="linux")
    release.make_archive(second, license_file, b, epoch=EPOCH, os_name="linux")
    assert release.sha256_file(a) == release.sha256_file(b)
    c = tmp_path / "c.tar.gz"
    release.make_archive(first, license_file, c, epoch=EPOCH + 1, os_name="linux")
    assert release.sha256_file(c) != release.sha256_file(a), "SOURCE_DATE_EPOCH is not used"


def test_windows_zip(tmp_path: Path, license_file: Path) -> None:
    release = load_release()
    program = _fake_program(tmp_path / "build", exe_name="kubectl-pullsecret.exe")
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    release.make_archive(program, license_file, a, epoch=EPOCH, os_name="windows")
    release.make_archive(program, license_file, b, epoch=EPOCH, os_name="windows")
    assert release.sha256_file(a) == release.sha256_file(b)
    with zipfile.ZipFile(a) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert "kubectl-pullsecret/_internal/libpython.so" in infos  # dereferenced
    for info in infos.values():
        assert info.create_system == 3
        assert ".." not in info.filename and not info.filename.startswith("/")
        kind = stat.S_IFMT(info.external_attr >> 16)
        assert kind == (stat.S_IFDIR if info.is_dir() else stat.S_IFREG), info.filename
    exe = infos["kubectl-pullsecret/kubectl-pullsecret.exe"]
    assert (exe.external_attr >> 16) & 0o777 == 0o755
    # krew's zip extraction keeps the mode.
    extracted = tmp_path / "x"
    extracted.mkdir()
    download_and_extract(extracted, a, release.sha256_file(a))
    assert os.access(extracted / "kubectl-pullsecret" / "kubectl-pullsecret.exe", os.X_OK)


def test_make_archive_wants_the_platform_executable(tmp_path: Path, license_file: Path) -> None:
    release = load_release()
    program = _fake_program(tmp_path / "build")
    with pytest.raises(release.ReleaseError, match=r"kubectl-pullsecret\.exe is missing"):
        release.make_archive(
            program, license_file, tmp_path / "x.zip", epoch=EPOCH, os_name="windows"
        )


# --- slow: the real PyInstaller build --------------------------------------------------------


@pytest.mark.slow
def test_release_archive_members(release_archive: BuiltArchive, release: ModuleType) -> None:
    members = _members(release_archive.path)
    _assert_krew_safe(members, release_archive.epoch)
    _assert_gzip_header(release_archive.path, release_archive.epoch)
    top = {m.name.split("/")[0] for m in members}
    assert top == {"LICENSE", "kubectl-pullsecret"}
    by_name = {m.name: m for m in members}
    exe = by_name[release.bin_path(release_archive.os)]
    assert exe.isreg() and exe.mode == 0o755
    assert by_name["kubectl-pullsecret/_internal"].isdir()
    with tarfile.open(release_archive.path, "r:gz") as tar:
        license_member = tar.extractfile("LICENSE")
        assert license_member is not None
        assert license_member.read() == (source_root() / "LICENSE").read_bytes()


@pytest.mark.slow
def test_release_archive_is_reproducible(
    release_archive: BuiltArchive,
    release: ModuleType,
    frozen_program_dir: Path,
    tmp_path: Path,
) -> None:
    # Same PyInstaller output archived again.
    again = tmp_path / "again" / release_archive.path.name
    release.make_archive(
        frozen_program_dir, source_root() / "LICENSE", again,
        epoch=release_archive.epoch, os_name=release_archive.os,
    )  # fmt: skip
    assert release.sha256_file(again) == release_archive.sha256
    # Round trip: what users unpack archives back to the very same bytes.
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    with tarfile.open(release_archive.path, "r:gz") as tar:
        tar.extractall(unpacked, filter="tar")
    round_trip = tmp_path / "round-trip" / release_archive.path.name
    release.make_archive(
        unpacked / "kubectl-pullsecret", unpacked / "LICENSE", round_trip,
        epoch=release_archive.epoch, os_name=release_archive.os,
    )  # fmt: skip
    assert release.sha256_file(round_trip) == release_archive.sha256
    # And the gzip stream decompresses to a tar that matches the member list (no trailing junk).
    with gzip.open(release_archive.path) as gz:
        assert len(gz.read()) % 512 == 0


@pytest.mark.slow
def test_pyinstaller_output_is_reproducible(
    release: ModuleType,
    release_epoch: int,
    frozen_program_dir: Path,
    tmp_path: Path,
) -> None:
    """A second PyInstaller run gives byte-identical files (PYTHONHASHSEED=0 and
    SOURCE_DATE_EPOCH are set by build_program; without the latter base_library.zip differs)."""
    if os.environ.get("KUBECTL_PULLSECRET_PREBUILT_DIST"):
        pytest.skip("prebuilt dist in use: the point is not to build again")
    second = release.build_program(
        source_root(), tmp_path / "work", tmp_path / "dist", epoch=release_epoch
    )

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()
        }

    first_files, second_files = files(frozen_program_dir), files(second)
    assert first_files.keys() == second_files.keys()
    differing = [name for name in first_files if first_files[name] != second_files[name]]
    assert differing == []

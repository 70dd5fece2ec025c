"""Install a plugin archive the way `kubectl krew install --manifest M --archive A` does.

A Python port of krew's install path, so the tests install the real release archive exactly
as users will get it, without krew itself (not installable here):
- internal/installation/install.go: Install (receipt check, GetMatchingPlatform), install
  (staging dir, downloadAndExtract, applyDefaults, moveToInstallDir, bin must stay inside the
  install dir, createOrUpdateLink), pluginNameToBin.
- internal/download/downloader.go + verifier.go: sha256 over the whole archive, MIME sniffing
  (application/zip or application/x-gzip only), extractTARGZ / extractZIP with suspiciousPath
  and "regular files and directories only".
- internal/installation/move.go: findMoveTargets / getDirectMove / Glob moves, isMoveAllowed,
  renameOrCopy; internal/pathutil IsSubPath.
- internal/environment: KREW_ROOT/{bin,store/<plugin>/<version>,receipts/<plugin>.yaml}.
- cmd/validate-krew-manifest: the LICENSE-like file must be among the installed files.

Reusable by the e2e suite (e.g. to run `kubectl pullsecret diagnose pod` from a krew install
against the test apiserver):

    sys.path.insert(0, str(REPO / "tests" / "packaging"))
    from krew_install import install_like_krew, run_plugin
    bin_dir = install_like_krew(archive, manifest_path, ("linux", "amd64"), krew_root)
    result = run_plugin(bin_dir, "diagnose", "pod", name, env={"KUBECONFIG": kubeconfig})
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import yaml
from krew_validation import (
    FileOperation,
    ManifestError,
    Platform,
    Plugin,
    decode_plugin,
    matching_platform,
    validate_plugin,
)

LICENSE_FILES = {
    "license",
    "license.txt",
    "license.md",
    "licenses",
    "licenses.txt",
    "licenses.md",
    "copying",
    "copying.txt",
}


class KrewInstallError(RuntimeError):
    """krew would fail this installation; the message follows krew's wording."""


def plugin_name_to_bin(name: str, is_windows: bool) -> str:
    """pluginNameToBin: dashes become underscores, "kubectl-" prefix, ".exe" on Windows."""
    out = "kubectl-" + name.replace("-", "_")
    return out + ".exe" if is_windows else out


def _is_sub_path(base: Path | str, sub: Path | str) -> bool:
    """pathutil.IsSubPath: filepath.Rel must not start with ".." (string prefix, as in Go)."""
    rel = os.path.relpath(sub, base)
    return not rel.startswith("..")


def _suspicious_path(name: str) -> None:
    if ".." in name:
        raise KrewInstallError(f"refusing to unpack archive with suspicious entry {name!r}")
    if name.startswith(("/", "\\")):
        raise KrewInstallError(f"refusing to unpack archive with absolute entry {name!r}")


def _detect_mime(data: bytes) -> str:
    """The part of Go's http.DetectContentType that decides krew's extractor."""
    if data.startswith(b"\x1f\x8b\x08"):
        return "application/x-gzip"
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    return "application/octet-stream"


def _extract_tar_gz(target: Path, archive: Path) -> None:
    # tarfile folds PAX/GNU long-name records into the next header, as Go's archive/tar does.
    with tarfile.open(archive, mode="r:gz") as tar:
        for member in tar:
            if member.name == "pax_global_header":
                continue
            _suspicious_path(member.name)
            path = target / member.name
            if member.isdir():
                path.mkdir(mode=member.mode & 0o7777, parents=True, exist_ok=True)
            elif member.type in (tarfile.REGTYPE, tarfile.AREGTYPE):
                path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                # os.OpenFile(path, O_CREATE|O_WRONLY, hdr.Mode): umask applies, as in Go.
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, member.mode & 0o7777)
                src = tar.extractfile(member)
                assert src is not None
                with os.fdopen(fd, "wb") as dst, src:
                    shutil.copyfileobj(src, dst)
            else:
                raise KrewInstallError(
                    f"unable to handle file type {member.type!r} for {member.name!r} in tar"
                )


def _extract_zip(target: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            _suspicious_path(info.filename)
            path = target / info.filename
            # Go's FileHeader.Mode(): unix bits when created on Unix, else MS-DOS attributes.
            if info.create_system == 3:
                mode = (info.external_attr >> 16) & 0o777
            else:
                mode = 0o555 if info.external_attr & 0x01 else 0o777
                mode = mode if info.is_dir() else mode & 0o666
            if info.is_dir():
                path.mkdir(mode=mode, parents=True, exist_ok=True)
                continue
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as dst, zf.open(info) as src:
                shutil.copyfileobj(src, dst)


def download_and_extract(extract_dir: Path, archive: Path, sha256: str) -> None:
    """downloadAndExtract with a FileFetcher (krew's --archive override)."""
    data = archive.read_bytes()
    try:
        wanted = bytes.fromhex(sha256)
    except ValueError:
        wanted = b""  # hex.DecodeString's error is ignored by NewSha256Verifier
    got = hashlib.sha256(data).digest()
    if wanted != got:
        raise KrewInstallError(f"checksum does not match, want: {wanted.hex()}, got {got.hex()}")
    mime = _detect_mime(data[:512])
    if mime == "application/x-gzip":
        _extract_tar_gz(extract_dir, archive)
    elif mime == "application/zip":
        _extract_zip(extract_dir, archive)
    else:
        raise KrewInstallError(
            f"mime type {mime!r} for archive file is not a supported archive format"
        )


# Go's path/filepath.Match, enough for krew's `files[].from` globs ("*" and "?" never match
# "/", "[...]" classes with "^" negation, "\\" escapes).
def _go_match(pattern: str, name: str) -> bool:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= len(pattern):
                raise KrewInstallError("syntax error in pattern")
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise KrewInstallError("syntax error in pattern")
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name, flags=re.DOTALL) is not None


def _has_meta(path: str) -> bool:
    return any(c in path for c in "*?[\\")


def _go_glob(pattern: str) -> list[str]:
    """filepath.Glob: per-directory sorted matches, hidden files included, I/O errors ignored."""
    if not _has_meta(pattern):
        return [pattern] if os.path.lexists(pattern) else []
    directory, file_pattern = os.path.split(pattern)
    directory = directory or "."
    dirs = _go_glob(directory) if _has_meta(directory) else [directory]
    matches = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        matches += [os.path.join(d, n) for n in names if _go_match(file_pattern, n)]
    return matches


def _rename_or_copy(src: Path, dst: Path) -> None:
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: krew falls back to copying the tree
            raise
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=False)
        else:
            shutil.copy2(src, dst)


def _move_targets(from_dir: Path, to_dir: Path, op: FileOperation) -> list[tuple[Path, Path]]:
    """findMoveTargets: a direct move when `from` names an existing path, else a Glob move."""
    if op.to != os.path.normpath(op.to):
        raise KrewInstallError(
            f"the provided path is not clean, {op.to!r} should be {os.path.normpath(op.to)!r}"
        )
    from_abs, to_abs = from_dir.resolve(), to_dir.resolve()
    direct = Path(os.path.normpath(from_abs / op.from_))
    if direct.exists():
        to = direct.name if os.path.normpath(op.to) == "." else op.to
        target = Path(os.path.abspath(to_abs / to))
        if not (_is_sub_path(from_abs, direct) and _is_sub_path(to_abs, target)):
            raise KrewInstallError(f"can't move, move target {direct} -> {target} is out of bounds")
        return [(direct, target)]
    new_dir = Path(os.path.abspath(to_abs / op.to))
    matches = _go_glob(str(from_abs / op.from_))
    if not matches:
        raise KrewInstallError(
            f"no files in the plugin archive matched the glob pattern={op.from_}"
        )
    moves = []
    for match in matches:
        source, target = Path(match), new_dir / Path(match).name
        if not (_is_sub_path(from_abs, source) and _is_sub_path(to_abs, target)):
            raise KrewInstallError(f"can't move, move target {source} -> {target} is not a subpath")
        moves.append((source, target))
    return moves


def move_to_install_dir(src_dir: Path, install_dir: Path, files: list[FileOperation]) -> None:
    install_dir.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="krew-temp-move"))
    try:
        tmp.chmod(0o755)  # mkdtemp gives 0700, and this directory becomes the install dir
        for op in files:
            for source, target in _move_targets(src_dir, tmp, op):
                target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                _rename_or_copy(source, target)
        _rename_or_copy(tmp, install_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _create_or_update_link(bin_dir: Path, binary: Path, plugin: str, is_windows: bool) -> Path:
    dst = bin_dir / plugin_name_to_bin(plugin, is_windows)
    if dst.is_symlink():
        dst.unlink()
    elif dst.exists():
        raise KrewInstallError(f"file {str(dst)!r} is not a symlink")
    if not binary.exists():
        raise KrewInstallError(
            f"can't create symbolic link, source binary ({str(binary)!r}) cannot be found in "
            "extracted archive"
        )
    # symlink_unix.go: link to the fully resolved binary.
    dst.symlink_to(os.path.realpath(binary))
    return dst


def _installed_license(install_root: Path) -> bool:
    return any(
        name.lower() in LICENSE_FILES for _, _, names in os.walk(install_root) for name in names
    )


def install_like_krew(
    archive: Path,
    manifest: Path | str,
    platform: tuple[str, str],
    krew_root: Path,
    *,
    index_name: str = "default",
) -> Path:
    """Install `archive` per the manifest's entry for `platform` under `krew_root`.

    Returns KREW_ROOT/bin, the directory krew asks users to put on PATH. `manifest` is a path
    or the manifest text. Raises ManifestError / KrewInstallError where krew would fail.
    """
    text = manifest if isinstance(manifest, str) else manifest.read_text(encoding="utf-8")
    plugin: Plugin = decode_plugin(text)
    validate_plugin(plugin.name, plugin)  # indexscanner.ReadPluginFromFile

    krew_root = krew_root.resolve()
    bin_dir = krew_root / "bin"
    receipt = krew_root / "receipts" / f"{plugin.name}.yaml"
    if receipt.exists():
        raise KrewInstallError("can't install, the newest version is already installed")
    os_name, arch = platform
    candidate: Platform | None = matching_platform(plugin, os_name, arch)
    if candidate is None:
        raise KrewInstallError(
            f"plugin {plugin.name!r} does not offer installation for this platform"
        )

    install_dir = krew_root / "store" / plugin.name / plugin.spec.version
    with tempfile.TemporaryDirectory(prefix="krew-downloads") as staging_name:
        staging = Path(staging_name)
        download_and_extract(staging, archive, candidate.sha256)
        files = candidate.files if candidate.files is not None else [FileOperation("*", ".")]
        move_to_install_dir(staging, install_dir, files)

    full_path = install_dir / Path(*candidate.bin.split("/"))
    if not _is_sub_path(install_dir, os.path.abspath(full_path)):
        raise KrewInstallError(
            f"the fullPath {full_path} does not extend the sub-fullPath {install_dir}"
        )
    bin_dir.mkdir(parents=True, exist_ok=True)
    _create_or_update_link(bin_dir, full_path, plugin.name, os_name == "windows")

    if not _installed_license(krew_root / "store"):
        raise KrewInstallError(
            "LICENSE (or alike) file is not extracted from the archive as part of installation"
        )

    # receipt.Store: the manifest plus where it came from. JSON is valid YAML.
    receipt.parent.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load(text)
    doc.setdefault("metadata", {})["creationTimestamp"] = datetime.datetime.now(
        datetime.timezone.utc
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc["status"] = {"source": {"name": index_name}}
    receipt.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return bin_dir


def plugin_env(bin_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment where `kubectl` finds the krew-installed plugin before anything else.

    PATH is the krew bin dir plus the directory of the real kubectl only, so a pip-installed
    kubectl-pullsecret elsewhere on PATH cannot be picked up by mistake (nor make
    `kubectl plugin list` warn about a shadowed plugin).
    """
    env = dict(os.environ if base is None else base)
    kubectl = shutil.which("kubectl", path=env.get("PATH"))
    if kubectl is None:
        raise KrewInstallError("kubectl is not on PATH")
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(kubectl).parent)])
    return env


def run_plugin(
    bin_dir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`kubectl pullsecret ARGS...` with the krew-installed plugin; `env` adds to os.environ
    (e.g. KUBECONFIG for the e2e apiserver)."""
    return subprocess.run(
        ["kubectl", "pullsecret", *args],
        capture_output=True,
        text=True,
        env=plugin_env(bin_dir, {**os.environ, **(env or {})}),
        timeout=timeout,
        check=False,
    )


__all__ = [
    "KrewInstallError",
    "ManifestError",
    "install_like_krew",
    "plugin_env",
    "plugin_name_to_bin",
    "run_plugin",
]

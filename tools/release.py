#!/usr/bin/env python3
"""Build the krew archive of kubectl-pullsecret for this platform and record it in the manifest.

    tools/release.py v0.1.0                  # PyInstaller build, archive, sha256, manifest entry
    tools/release.py v0.1.0 --program-dir D  # archive an existing PyInstaller output folder
    tools/release.py v0.1.0 --from-archives dist/*.tar.gz dist/*.zip   # manifest only

Outputs in --dist (default dist/): kubectl-pullsecret_vX.Y.Z_<os>_<arch>.tar.gz (.zip on
Windows), the same name + ".sha256" in sha256sum format, and pyinstaller/kubectl-pullsecret/.

The archive is what krew installs, so it follows krew's extraction rules
(internal/download/downloader.go): regular files and directories only (PyInstaller's symlinks
are dereferenced), no entry containing ".." or starting with "/" or "\\". It is reproducible:
entries sorted, mtimes from SOURCE_DATE_EPOCH (or the last commit's time), owner 0/0 without
names, modes normalised to 0755/0644, and a gzip header without file name or time.

Only the standard library is used here (plus PyInstaller when building), so this runs on a
bare CI runner before any test dependency is installed. See docs/releasing.md.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import gzip
import hashlib
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYINSTALLER_DIR = REPO_ROOT / "tools" / "pyinstaller"

PROGRAM = "kubectl-pullsecret"
PLUGIN = "pullsecret"
RELEASE_URL = "https://github.com/kubectl-pullsecret/kubectl-pullsecret/releases/download"

# (os, arch) in krew's vocabulary (Go's GOOS/GOARCH), each built on a native runner.
PLATFORMS: tuple[tuple[str, str], ...] = (
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
)

# Packages that may sit in a developer venv but that the program never uses: PyInstaller would
# follow optional imports into them (rich -> IPython, pygments' image formatter -> PIL,
# hypothesis -> numpy) and bundle tens of MB. A release build runs in a clean venv where they
# are absent anyway; excluding them keeps local and CI bundles alike. None is a dependency.
EXCLUDED_MODULES = (
    "hypothesis",
    "pytest",
    "_pytest",
    "numpy",
    "IPython",
    "ipywidgets",
    "PIL",
    "tkinter",
)

# The earliest time a zip entry can carry (MS-DOS dates start in 1980).
_ZIP_EPOCH = 315532800

# krew's semver (k8s.io/apimachinery/pkg/util/version.ParseSemantic behind a required "v").
_SEMVER = re.compile(
    r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_ASSET = re.compile(
    rf"{re.escape(PROGRAM)}_(?P<tag>v[^_]+)_(?P<os>[a-z0-9]+)_(?P<arch>[a-z0-9]+)"
    r"\.(?P<ext>tar\.gz|zip)"
)


class ReleaseError(Exception):
    """A release step cannot go on; the message says what to fix."""


# --- versions and platforms ----------------------------------------------------------------


def parse_tag(version: str) -> str:
    """The release tag for VERSION: "v"-prefixed semver, as krew requires for spec.version."""
    tag = version if version.startswith("v") else f"v{version}"
    match = _SEMVER.fullmatch(tag)
    if not match:
        raise ReleaseError(f"{version!r} is not a semantic version like v1.2.3")
    prerelease = match.group(4) or ""
    for part in prerelease.split("."):
        # ParseSemantic rejects numeric pre-release parts with leading zeros.
        if part.isdigit() and part != "0" and part.startswith("0"):
            raise ReleaseError(f"{version!r}: pre-release part {part!r} has a leading zero")
    return tag


def source_version(source_root: Path) -> str:
    """kubectl_pullsecret.__version__, read without importing the package."""
    init = source_root / "kubectl_pullsecret" / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"), str(init))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ReleaseError(f"no __version__ = '...' in {init}")


def host_platform() -> tuple[str, str]:
    """This machine as krew sees it (runtime.GOOS, runtime.GOARCH)."""
    system = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if system is None or arch is None:
        raise ReleaseError(f"unsupported build host {sys.platform}/{machine}")
    return system, arch


def asset_name(tag: str, os_name: str, arch: str) -> str:
    ext = "zip" if os_name == "windows" else "tar.gz"
    return f"{PROGRAM}_{tag}_{os_name}_{arch}.{ext}"


def asset_uri(tag: str, os_name: str, arch: str) -> str:
    return f"{RELEASE_URL}/{tag}/{asset_name(tag, os_name, arch)}"


def bin_path(os_name: str) -> str:
    """The manifest's `bin`: the executable inside the program folder, relative to the install."""
    return f"{PROGRAM}/{PROGRAM}.exe" if os_name == "windows" else f"{PROGRAM}/{PROGRAM}"


def source_date_epoch(source_root: Path) -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time, so rebuilds of a commit agree."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        if not env.isdigit():
            raise ReleaseError(f"SOURCE_DATE_EPOCH={env!r} is not a number of seconds")
        return int(env)
    try:
        out = subprocess.run(
            ["git", "-C", str(source_root), "log", "-1", "--format=%ct"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        # Not a git checkout (an sdist, a copy): a fixed date still gives identical rebuilds.
        return _ZIP_EPOCH


# --- PyInstaller ---------------------------------------------------------------------------


def build_program(
    source_root: Path,
    work_dir: Path,
    dist_dir: Path,
    *,
    epoch: int,
    codesign_identity: str | None = None,
) -> Path:
    """Run PyInstaller (one-folder mode) and return the program folder it wrote."""
    work_dir.mkdir(parents=True, exist_ok=True)
    dist_dir.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--onedir",  # no unpacking to a temp dir on every run: fast start, nothing left behind
        "--console",
        "--name",
        PROGRAM,
        "--distpath",
        str(dist_dir),
        "--workpath",
        str(work_dir),
        # The generated .spec goes to the work dir, never into the repository.
        "--specpath",
        str(work_dir),
        "--paths",
        str(source_root),
        "--additional-hooks-dir",
        str(PYINSTALLER_DIR / "hooks"),
        # UPX-packed libraries trip virus scanners and macOS signing, and are not reproducible.
        "--noupx",
        "--log-level",
        "WARN",
    ]
    for module in EXCLUDED_MODULES:
        args += ["--exclude-module", module]
    if codesign_identity:
        args += ["--codesign-identity", codesign_identity]
    args.append(str(PYINSTALLER_DIR / "entry.py"))
    env = dict(os.environ)
    # A fixed hash seed makes the marshalled bytecode (set/frozenset order) identical between
    # builds; with it PyInstaller's output is byte-for-byte reproducible on the same host.
    env["PYTHONHASHSEED"] = "0"
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    result = subprocess.run(args, env=env, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"PyInstaller failed with exit code {result.returncode}")
    program_dir = dist_dir / PROGRAM
    if not program_dir.is_dir():
        raise ReleaseError(f"PyInstaller did not produce {program_dir}")
    return program_dir


def required_glibc(program_dir: Path) -> tuple[int, int] | None:
    """The newest GLIBC_x.y symbol version any bundled ELF file asks for (None: no ELF).

    The names of the versions an ELF file needs sit in its .dynstr as "GLIBC_2.28" etc.;
    scanning for them is what `objdump -T | grep GLIBC_` amounts to, without binutils.
    """
    newest: tuple[int, int] | None = None
    for path in program_dir.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
            data = f.read()
        for major, minor in re.findall(rb"GLIBC_(\d+)\.(\d+)", data):
            version = (int(major), int(minor))
            newest = version if newest is None or version > newest else newest
    return newest


# --- archives ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Entry:
    """One archive member: a directory, or a regular file copied from `source`."""

    name: str  # "/"-separated, relative, no trailing slash
    is_dir: bool
    source: Path | None
    mode: int  # permission bits only


def _check_name(name: str) -> None:
    # krew's suspiciousPath() refuses any entry containing ".." anywhere (not only as a path
    # component) and absolute ones; backslashes would turn into separators on Windows.
    if ".." in name or name.startswith(("/", "\\")) or "\\" in name or not name:
        raise ReleaseError(f"archive entry {name!r} would be refused by krew")


def _mode_for(path: Path, is_dir: bool) -> int:
    if is_dir:
        return 0o755
    # Keep "executable or not" and nothing else: umask and checkout differences must not
    # change the archive bytes. os.stat() follows symlinks, so a link gets its target's mode.
    return 0o755 if os.stat(path).st_mode & 0o111 else 0o644


def _walk(directory: Path, name: str, root_real: Path, active: tuple[Path, ...]) -> Iterable[Entry]:
    """Entries under `directory` (archived as `name`), symlinks replaced by what they point to."""
    for child in sorted(directory.iterdir(), key=lambda p: p.name):
        child_name = f"{name}/{child.name}"
        _check_name(child_name)
        if child.is_symlink():
            target = child.resolve(strict=False)
            if not target.exists():
                raise ReleaseError(f"{child} is a dangling symlink")
            if target != root_real and root_real not in target.parents:
                # Dereferencing would copy host files into the release.
                raise ReleaseError(f"{child} points outside the program folder: {target}")
        if child.is_dir():  # follows symlinks: a linked directory is archived as a copy
            real = child.resolve()
            if real in active:
                raise ReleaseError(f"symlink loop at {child}")
            yield Entry(child_name, True, None, 0o755)
            yield from _walk(child, child_name, root_real, (*active, real))
        elif child.is_file():
            yield Entry(child_name, False, child, _mode_for(child, False))
        else:
            raise ReleaseError(f"{child} is neither a regular file nor a directory")


def archive_entries(program_dir: Path, license_file: Path) -> list[Entry]:
    """The archive's members: LICENSE and the program folder, in a fixed, sorted order."""
    if not license_file.is_file():
        raise ReleaseError(f"missing {license_file}")
    root_real = program_dir.resolve()
    entries = [
        Entry("LICENSE", False, license_file, _mode_for(license_file, False)),
        Entry(PROGRAM, True, None, 0o755),
        *_walk(program_dir, PROGRAM, root_real, (root_real,)),
    ]
    # Component-wise order: a directory right before its contents, siblings by name.
    return sorted(entries, key=lambda e: e.name.split("/"))


def write_tar_gz(entries: Sequence[Entry], out: Path, epoch: int) -> None:
    # filename="" keeps the archive's own name out of the gzip header; mtime fixes its time.
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mtime = epoch
            info.mode = entry.mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if entry.is_dir:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                assert entry.source is not None
                info.type = tarfile.REGTYPE
                info.size = entry.source.stat().st_size
                with entry.source.open("rb") as src:
                    tar.addfile(info, src)


def write_zip(entries: Sequence[Entry], out: Path, epoch: int) -> None:
    date_time = time.gmtime(max(epoch, _ZIP_EPOCH))[:6]
    with zipfile.ZipFile(out, "w") as zf:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name + ("/" if entry.is_dir else ""), date_time)
            # Unix "creator" so the mode bits in external_attr are what readers use (Go's
            # archive/zip included); 0x10 is the MS-DOS directory flag.
            info.create_system = 3
            if entry.is_dir:
                info.external_attr = ((stat.S_IFDIR | entry.mode) << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                assert entry.source is not None
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, entry.source.read_bytes(), compresslevel=6)


def make_archive(
    program_dir: Path, license_file: Path, out: Path, *, epoch: int, os_name: str
) -> Path:
    """Write the release archive (zip for Windows, tar.gz elsewhere) and return its path."""
    exe = program_dir / Path(bin_path(os_name)).name
    if not exe.is_file():
        raise ReleaseError(f"{exe} is missing: is {program_dir} a {os_name} build?")
    entries = archive_entries(program_dir, license_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if os_name == "windows":
        write_zip(entries, tmp, epoch)
    else:
        write_tar_gz(entries, tmp, epoch)
    tmp.replace(out)
    return out


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- manifest ------------------------------------------------------------------------------

_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z0-9_]+):(?P<rest>.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _scalar(rest: str) -> str:
    value = rest.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def update_manifest_text(text: str, tag: str, os_name: str, arch: str, sha256: str) -> str:
    """Set spec.version and the uri/sha256 of the (os, arch) platform, keeping everything else.

    Line-based on purpose: this script must run with the standard library only, and a
    round-trip through a YAML library would reflow the hand-written description. The
    manifest's layout is the one committed in krew-manifest.yaml (selector.matchLabels with
    os and arch, then uri and sha256 keys of the same platform item).
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ReleaseError(f"not a lowercase sha256: {sha256!r}")
    lines = text.splitlines(keepends=True)

    spec = [i for i, line in enumerate(lines) if re.match(r"^spec:\s*$", line)]
    if len(spec) != 1:
        raise ReleaseError("manifest needs exactly one top-level `spec:`")
    spec_end = next(
        (i for i in range(spec[0] + 1, len(lines)) if lines[i].strip() and _indent(lines[i]) == 0),
        len(lines),
    )
    spec_indent = min(_indent(lines[i]) for i in range(spec[0] + 1, spec_end) if lines[i].strip())

    def spec_key(key: str) -> int:
        found = [
            i
            for i in range(spec[0] + 1, spec_end)
            if _indent(lines[i]) == spec_indent and lines[i].lstrip().startswith(f"{key}:")
        ]
        if len(found) != 1:
            raise ReleaseError(f"manifest needs exactly one spec.{key}")
        return found[0]

    version_line = spec_key("version")
    lines[version_line] = f"{' ' * spec_indent}version: {tag}\n"

    platforms_line = spec_key("platforms")
    body = [i for i in range(platforms_line + 1, spec_end) if lines[i].strip()]
    if not body or not lines[body[0]].lstrip().startswith("- "):
        raise ReleaseError("spec.platforms is not a block list")
    item_indent = _indent(lines[body[0]])
    items: list[list[int]] = []
    for i in body:
        line = lines[i]
        if line.lstrip().startswith("#"):
            continue
        if _indent(line) < item_indent or (
            _indent(line) == item_indent and not line.lstrip().startswith("- ")
        ):
            break
        if _indent(line) == item_indent:
            items.append([])
        items[-1].append(i)

    uri = asset_uri(tag, os_name, arch)
    matched = []
    for item in items:
        labels: dict[str, str] = {}
        keys: dict[str, list[int]] = {}
        for i in item:
            m = _KEY_LINE.match(lines[i])
            if not m:
                continue
            keys.setdefault(m["key"], []).append(i)
            if m["key"] in ("os", "arch"):
                labels[m["key"]] = _scalar(m["rest"])
        if labels != {"os": os_name, "arch": arch}:
            continue
        matched.append(item)
        # The hash is quoted: an all-digit value would otherwise load as a YAML integer, which
        # krew's decoder (YAML -> JSON -> Go string field) rejects.
        for key, value in (("uri", uri), ("sha256", f'"{sha256}"')):
            where = keys.get(key, [])
            if len(where) != 1:
                raise ReleaseError(f"platform {os_name}/{arch} needs exactly one `{key}:` line")
            m = _KEY_LINE.match(lines[where[0]])
            assert m is not None
            lines[where[0]] = f"{m['indent']}{m['dash'] or ''}{key}: {value}\n"
    if len(matched) != 1:
        raise ReleaseError(
            f"krew-manifest.yaml has {len(matched)} platform entries for {os_name}/{arch}; "
            "add exactly one (selector.matchLabels os/arch, uri, sha256, bin, files)"
        )
    return "".join(lines)


def record_in_manifest(manifest: Path, tag: str, os_name: str, arch: str, sha256: str) -> None:
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(update_manifest_text(text, tag, os_name, arch, sha256), encoding="utf-8")


def parse_asset_name(path: Path) -> tuple[str, str, str]:
    """(tag, os, arch) from an archive name written by this script."""
    m = _ASSET.fullmatch(path.name)
    if not m:
        raise ReleaseError(f"{path.name} is not named like {asset_name('vX.Y.Z', 'os', 'arch')}")
    if (m["os"] == "windows") != (m["ext"] == "zip"):
        raise ReleaseError(f"{path.name}: Windows archives are .zip, the others .tar.gz")
    return m["tag"], m["os"], m["arch"]


# --- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build this platform's krew archive and record it in krew-manifest.yaml."
    )
    parser.add_argument("version", help="release version, e.g. v0.1.0 (the git tag)")
    parser.add_argument("--dist", type=Path, default=REPO_ROOT / "dist")
    parser.add_argument("--build-dir", type=Path, default=REPO_ROOT / "build" / "pyinstaller")
    parser.add_argument("--source-root", type=Path, default=REPO_ROOT)
    parser.add_argument("--manifest", type=Path, default=REPO_ROOT / "krew-manifest.yaml")
    parser.add_argument("--no-manifest", action="store_true", help="do not touch the manifest")
    parser.add_argument(
        "--program-dir", type=Path, help="archive this PyInstaller output instead of building"
    )
    parser.add_argument(
        "--from-archives",
        type=Path,
        nargs="+",
        metavar="ARCHIVE",
        help="build nothing: record these release archives (any platform) in the manifest",
    )
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="release even if VERSION differs from kubectl_pullsecret.__version__",
    )
    parser.add_argument("--codesign-identity", help="macOS: identity for PyInstaller to sign with")
    parser.add_argument(
        "--max-glibc",
        metavar="X.Y",
        help="Linux: fail if the bundle needs a newer glibc (guards the build host choice)",
    )
    args = parser.parse_args(argv)

    try:
        tag = parse_tag(args.version)
        if args.from_archives:
            for archive in args.from_archives:
                archive_tag, os_name, arch = parse_asset_name(archive)
                if archive_tag != tag:
                    raise ReleaseError(f"{archive.name} is not a {tag} archive")
                digest = sha256_file(archive)
                record_in_manifest(args.manifest, tag, os_name, arch, digest)
                print(f"{args.manifest}: {os_name}/{arch} {digest}")
            return 0

        source_root = args.source_root.resolve()
        version = source_version(source_root)
        if f"v{version}" != tag and not args.allow_version_mismatch:
            raise ReleaseError(
                f"{tag} does not match kubectl_pullsecret.__version__ = {version!r}; "
                "bump the version first (or pass --allow-version-mismatch)"
            )
        os_name, arch = host_platform()
        if (os_name, arch) not in PLATFORMS:
            raise ReleaseError(f"{os_name}/{arch} is not a release platform")
        epoch = source_date_epoch(source_root)
        dist = args.dist.resolve()

        if args.program_dir:
            program_dir = args.program_dir.resolve()
        else:
            # A stale folder from an earlier build must not leak files into this archive.
            shutil.rmtree(dist / "pyinstaller" / PROGRAM, ignore_errors=True)
            program_dir = build_program(
                source_root,
                args.build_dir.resolve(),
                dist / "pyinstaller",
                epoch=epoch,
                codesign_identity=args.codesign_identity,
            )

        if os_name == "linux":
            glibc = required_glibc(program_dir)
            shown = "unknown" if glibc is None else f"{glibc[0]}.{glibc[1]}"
            print(f"{program_dir}: needs glibc >= {shown}")
            if args.max_glibc:
                limit = tuple(int(x) for x in args.max_glibc.split("."))
                if glibc is None or glibc > limit:
                    raise ReleaseError(
                        f"the build needs glibc {shown}, newer than --max-glibc "
                        f"{args.max_glibc}: build on an older distribution (docs/releasing.md)"
                    )

        archive = make_archive(
            program_dir,
            source_root / "LICENSE",
            dist / asset_name(tag, os_name, arch),
            epoch=epoch,
            os_name=os_name,
        )
        digest = sha256_file(archive)
        archive.with_name(archive.name + ".sha256").write_text(
            f"{digest}  {archive.name}\n", encoding="utf-8"
        )
        print(f"{archive}\nsha256 {digest}")
        if not args.no_manifest:
            record_in_manifest(args.manifest, tag, os_name, arch, digest)
            print(f"{args.manifest}: {os_name}/{arch} -> {asset_uri(tag, os_name, arch)}")
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

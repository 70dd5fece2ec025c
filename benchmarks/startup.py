#!/usr/bin/env python3
"""Start-up time of the installed program: the PyInstaller build vs a pip install.

    python benchmarks/startup.py --frozen dist/pyinstaller/kubectl-pullsecret/kubectl-pullsecret \\
        --pip ~/.local/bin/kubectl-pullsecret [--runs 15] [--via-kubectl] [--drop-caches]
    python benchmarks/startup.py --install-pip     # pip-installs this checkout into a temp venv
    python benchmarks/startup.py --install-pip --cluster [--healthy 36] [--json FILE]

Every run is a new process (what a user's shell does). The first run of each row is shown on
its own ("first"): it pays for reading the files from disk unless they are cached already;
--drop-caches (root, Linux) empties the page cache before it, for a truly cold first run. The
other runs give median/min/max. Nothing here asserts a time; it prints a table.

The programs are interleaved: each command's first runs go one program after the other, then
round i runs every program once (order reversed on odd rounds), so a load change on a busy
machine hits all programs alike instead of whichever happened to run during it.

--cluster also starts a real control plane (etcd + kube-apiserver on loopback, from
tests/support/control_plane.py; binaries from tools/provision.sh), seeds a small broken
shop (six pods that cannot pull, --healthy running ones) and times a full
`diagnose pod -A -o json` against it. Every run must exit 1 (problems found) with the same
JSON document from every program, or the benchmark fails. The control plane is always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FROZEN = REPO_ROOT / "dist" / "pyinstaller" / "kubectl-pullsecret" / "kubectl-pullsecret"
RUN_TIMEOUT_S = 120.0
DIAGNOSE = "diagnose pod -A -o json"

if TYPE_CHECKING:
    from tests.support.control_plane import Cluster


@dataclass(frozen=True)
class Launcher:
    """One way of starting the plugin: a name for the table, the argv prefix, its PATH."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]


@dataclass(frozen=True)
class Result:
    seconds: float
    returncode: int
    stdout: bytes


# An output check: (launcher name, result) -> None, raising SystemExit on a wrong answer.
Check = Callable[[str, Result], None]


def _drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _run(argv: Sequence[str], env: dict[str, str], keep_stdout: bool = False) -> Result:
    start = time.perf_counter()
    result = subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    elapsed = time.perf_counter() - start
    # `check`/`diagnose` exit non-zero when they find problems; only a crash is an error.
    if result.returncode not in (0, 1, 2, 3) or b"Traceback" in result.stderr:
        raise SystemExit(
            f"{' '.join(argv)} failed (exit {result.returncode}):\n"
            f"{result.stderr.decode(errors='replace')}"
        )
    return Result(elapsed, result.returncode, result.stdout or b"")


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


def _launchers(
    targets: dict[str, Path], via_kubectl: bool, env: dict[str, str], tmp: Path
) -> list[Launcher]:
    launchers = [Launcher(label, (str(target),), env) for label, target in targets.items()]
    if not via_kubectl:
        return launchers
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("--via-kubectl: kubectl is not on PATH")
    for label, target in targets.items():
        link_dir = tmp / f"path-{label}"
        link_dir.mkdir()
        (link_dir / "kubectl-pullsecret").symlink_to(target)
        kube_env = {**env, "PATH": os.pathsep.join([str(link_dir), str(Path(kubectl).parent)])}
        launchers.append(Launcher(f"{label} via kubectl", (kubectl, "pullsecret"), kube_env))
    return launchers


def _bench(
    launchers: Sequence[Launcher],
    command: str,
    cmd_args: Sequence[str],
    runs: int,
    drop_caches: bool,
    extra_env: dict[str, str] | None = None,
    check: Check | None = None,
) -> list[dict[str, Any]]:
    """One row per launcher for one command, the launchers' runs interleaved."""

    def once(launcher: Launcher) -> float:
        result = _run(
            [*launcher.argv, *cmd_args], {**launcher.env, **(extra_env or {})}, check is not None
        )
        if check is not None:
            check(launcher.name, result)
        return result.seconds

    first: dict[str, float] = {}
    cold: dict[str, bool] = {}
    for launcher in launchers:
        cold[launcher.name] = drop_caches and _drop_caches()
        first[launcher.name] = once(launcher)
    times: dict[str, list[float]] = {launcher.name: [] for launcher in launchers}
    for i in range(runs):
        for launcher in launchers if i % 2 == 0 else reversed(launchers):
            times[launcher.name].append(once(launcher))
    return [
        {
            "program": launcher.name,
            "command": command,
            "first_ms": round(first[launcher.name] * 1000, 1),
            "cold": cold[launcher.name],
            "median_ms": round(statistics.median(times[launcher.name]) * 1000, 1),
            "min_ms": round(min(times[launcher.name]) * 1000, 1),
            "max_ms": round(max(times[launcher.name]) * 1000, 1),
            "runs": runs,
        }
        for launcher in launchers
    ]


# --- --cluster ---------------------------------------------------------------------------------

# Pods that cannot pull, each broken in its own way (seed_shop).
FAILING = 6
REGISTRY = "registry.example.com"
DENIED = (
    "pull access denied, repository does not exist or may require authorization: "
    "server message: insufficient_scope: authorization failed"
)


def _pull_error(image: str, reason: str) -> str:
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{image}": '
        f'failed to resolve reference "{image}": {reason}'
    )


def _unauthorized(image: str) -> str:
    path = image.removeprefix(f"{REGISTRY}/")
    repo, _, tag = path.rpartition(":")
    url = f"https://{REGISTRY}/v2/{repo}/manifests/{tag}"
    return _pull_error(image, f"unexpected status from HEAD request to {url}: 401 Unauthorized")


def seed_shop(cluster: Cluster, healthy: int) -> dict[str, int]:
    """A shop with FAILING pods that cannot pull and `healthy` running ones in 3 namespaces.

    Returns {"namespaces": ..., "pods": ..., "failing": ..., "healthy": ...}.
    """
    vault = cluster.create_namespace("vault")
    shop = cluster.create_namespace("shop")
    cluster.create_docker_secret(vault, "regcred", {"private-registry.io": ("deployer", "pw-1")})
    cluster.create_docker_secret(shop, "quay-creds", {"quay.io": ("shop+robot", "pw-2")})
    cluster.create_docker_secret(
        shop, "dockerhub", {"https://index.docker.io/v1": ("janedoe", "pw-3")}
    )
    cluster.create_docker_secret(shop, "broken", {REGISTRY: {"auth": "not base64!"}})
    cluster.create_docker_secret(shop, "shop-registry", {REGISTRY: ("shop", "expired-pw")})
    cluster.create_docker_secret(shop, "shop-pull", {REGISTRY: ("shop", "pw-4")})

    # 1. The secret lives in another namespace.
    image = "private-registry.io/apps/internal-app:latest"
    cluster.create_pod(shop, "inventory", [("app", image)], image_pull_secrets=["regcred"])
    cluster.simulate_missing_pull_secrets(shop, "inventory", ["regcred"])
    cluster.simulate_pull_failure(shop, "inventory", "app", image, _pull_error(image, DENIED))
    # 2. A secret for another registry.
    image = f"{REGISTRY}/shop/payments:1.4"
    cluster.create_pod(shop, "payments", [("app", image)], image_pull_secrets=["quay-creds"])
    cluster.simulate_pull_failure(shop, "payments", "app", image, _unauthorized(image))
    # 3. The Docker Hub key without its trailing slash.
    image = "janedoe/shop-frontend:2.0"
    cluster.create_pod(shop, "frontend", [("app", image)], image_pull_secrets=["dockerhub"])
    hub = f"docker.io/{image}"
    cluster.simulate_pull_failure(shop, "frontend", "app", image, _pull_error(hub, DENIED))
    # 4. No pull secret at all for a private registry.
    image = f"{REGISTRY}/shop/reports:3.1"
    cluster.create_pod(shop, "reports", [("app", image)])
    cluster.simulate_pull_failure(shop, "reports", "app", image, _unauthorized(image))
    # 5. An init container whose secret cannot be decoded.
    image = f"{REGISTRY}/shop/migrate:2.0"
    cluster.create_pod(
        shop,
        "checkout",
        [("app", "nginx:1.27")],
        init_containers=[("migrate", image)],
        image_pull_secrets=["broken"],
    )
    cluster.simulate_pull_failure(
        shop, "checkout", "migrate", image, _unauthorized(image), init=True
    )
    # 6. The registry refuses the offered credentials.
    image = f"{REGISTRY}/shop/billing:5.0"
    cluster.create_pod(shop, "billing", [("app", image)], image_pull_secrets=["shop-registry"])
    cluster.simulate_pull_failure(shop, "billing", "app", image, _unauthorized(image))

    # Healthy pods: private images with a matching secret (on the pod or through the
    # ServiceAccount) and public images without one, all running.
    namespaces = [shop, cluster.create_namespace("catalog"), cluster.create_namespace("search")]
    for ns in namespaces[1:]:
        cluster.create_docker_secret(ns, "shop-registry", {REGISTRY: ("shop", "pw-4")})
        cluster.patch_service_account_pull_secrets(ns, "default", ["shop-registry"])
    for i in range(healthy):
        ns = namespaces[i % len(namespaces)]
        name = f"svc-{i:02d}"
        if i % 3 == 0:
            cluster.create_pod(ns, name, [("app", f"nginx:1.{20 + i % 8}")])
        elif ns == shop:
            image = f"{REGISTRY}/shop/{name}:1.0"
            cluster.create_pod(ns, name, [("app", image)], image_pull_secrets=["shop-pull"])
        else:
            cluster.create_pod(ns, name, [("app", f"{REGISTRY}/shop/{name}:1.0")])
        cluster.set_container_running(ns, name, "app")
    return {
        "namespaces": len(namespaces) + 1,
        "pods": FAILING + healthy,
        "failing": FAILING,
        "healthy": healthy,
    }


def _same_json(reference: dict[str, bytes]) -> Check:
    """Every run exits 1 and prints the same JSON document as the first run of any program."""

    def check(name: str, result: Result) -> None:
        if result.returncode != 1:
            raise SystemExit(f"{name}: `{DIAGNOSE}` exited {result.returncode}, expected 1")
        try:
            doc = json.loads(result.stdout)
        except ValueError as exc:
            raise SystemExit(f"{name}: `{DIAGNOSE}` printed no JSON: {exc}") from None
        canonical = json.dumps(doc, sort_keys=True).encode()
        if not reference:
            reference[name] = canonical
        elif canonical != next(iter(reference.values())):
            first = next(iter(reference))
            raise SystemExit(f"`{DIAGNOSE}`: {name} printed other JSON than {first}")

    return check


def _cluster_rows(
    launchers: Sequence[Launcher], runs: int, drop_caches: bool, healthy: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support import control_plane as realcluster

    with realcluster.ControlPlane() as cp:
        cluster = cp.cluster()
        try:
            shop = seed_shop(cluster, healthy)
        finally:
            cluster.close()
        reference: dict[str, bytes] = {}
        extra_env = {"KUBECONFIG": str(cp.kubeconfig())}
        rows = _bench(
            launchers,
            DIAGNOSE,
            DIAGNOSE.split(),
            runs,
            drop_caches,
            extra_env,
            _same_json(reference),
        )
        findings = len(json.loads(next(iter(reference.values())))["items"])
        info = {
            **shop,
            "findings": findings,
            "control_plane_start_s": round(cp.startup_seconds or 0.0, 1),
            "kubernetes": realcluster.K8S_VERSION,
        }
    return rows, info


# --- main --------------------------------------------------------------------------------------


def _table(rows: Sequence[dict[str, Any]]) -> list[str]:
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
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frozen", type=Path, default=DEFAULT_FROZEN)
    parser.add_argument("--pip", type=Path, help="a pip/pipx-installed kubectl-pullsecret script")
    parser.add_argument("--install-pip", action="store_true", help="pip-install into a temp venv")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--via-kubectl", action="store_true", help="also time `kubectl pullsecret`")
    parser.add_argument("--drop-caches", action="store_true", help="cold first run (root, Linux)")
    parser.add_argument(
        "--cluster", action="store_true", help=f"also time `{DIAGNOSE}` on a real control plane"
    )
    parser.add_argument("--healthy", type=int, default=36, help="--cluster: running pods to seed")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write the rows as JSON, to stdout or FILE",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.healthy < 0:
        parser.error("--runs must be at least 1 and --healthy not negative")

    info: dict[str, Any] = {}
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
        # Never the user's cluster: --cluster passes its own KUBECONFIG.
        env.pop("KUBECONFIG", None)
        env.pop("KUBERNETES_SERVICE_HOST", None)
        launchers = _launchers(targets, args.via_kubectl, env, tmp)

        rows: list[dict[str, Any]] = []
        for command, cmd_args in commands.items():
            rows += _bench(launchers, command, cmd_args, args.runs, args.drop_caches)
        if args.cluster:
            cluster_rows, info = _cluster_rows(launchers, args.runs, args.drop_caches, args.healthy)
            rows += cluster_rows

    for line in _table(rows):
        print(line)
    print(
        f"\nmedian/min/max over {args.runs} runs after the first, programs interleaved; "
        f"{sys.platform}, {os.cpu_count()} CPUs"
    )
    if info:
        print(
            f"{DIAGNOSE}: kube-apiserver {info['kubernetes']} on loopback (started in "
            f"{info['control_plane_start_s']} s), {info['pods']} pods in {info['namespaces']} "
            f"namespaces ({info['failing']} failing, {info['healthy']} running), "
            f"{info['findings']} containers reported, same JSON from every program, exit 1"
        )
    if args.json:
        meta = {"runs": args.runs, "platform": sys.platform, "cpus": os.cpu_count()}
        doc = json.dumps({**meta, "rows": rows, "cluster": info or None}, indent=2)
        if args.json == "-":
            print(doc)
        else:
            Path(args.json).write_text(doc + "\n")
    return 0


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C, so the control plane and the temp venv are always removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

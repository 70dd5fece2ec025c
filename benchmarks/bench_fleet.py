#!/usr/bin/env python3
"""Benchmark: a fleet run costs the slowest cluster, not the sum of all of them (issue 22).

    python benchmarks/bench_fleet.py --clusters 3 --contexts 20 --pods 1000 --latency 0.1

What it does:

1. Starts `--clusters` real control planes (etcd + kube-apiserver, tests/support/control_plane.py)
   at once, and fills each as benchmarks/bench_scale.py does: namespaces with a pull secret, a
   Deployment naming it in each, healthy Running Pods, and `--troubled` Pods that cannot pull
   (the six kinds of bench_scale), a different set in each cluster.
2. Puts `--contexts` contexts over them, each through a proxy of its own (the fault proxy of
   tests/hostile) that adds `--latency` to every request and twice that to every new
   connection (its TCP and TLS round trips): clusters far from the machine that reads them.
3. Measures, interleaved, one warm-up round then `--rounds` rounds, each command's wall time:
   - the fleet run: `kubectl pullsecret diagnose pod -A --all-contexts -o json`;
   - the same, one context at a time (`--context NAME`), one process each: their sum;
   - a shell loop over the contexts: `kubectl --context NAME get pods -A -o json`.
   Every plugin run must exit 1 and report exactly the troubled Pods of each context's cluster,
   and every kubectl run must exit 0; otherwise the benchmark exits 1.

Writes benchmarks/results/fleet.json. Exit codes: 0 measured, 1 a wrong result, 2 could not run.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_scale  # noqa: E402 - a sibling script: its seeding and measuring

from tests.hostile.faultproxy import Fault, FaultProxy  # noqa: E402
from tests.support.control_plane import ControlPlane  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PARALLEL_DEFAULT = 8


def _start(planes: list[ControlPlane]) -> None:
    """One after the other: free ports are picked before they are bound, and two control
    planes starting at once may pick the same one."""
    for plane in planes:
        plane.start()


def _fill(plane: ControlPlane, args: argparse.Namespace) -> bench_scale.Seeder:
    seeder = bench_scale.Seeder(plane, args.threads, healthy_events=True)
    seeder.base(args.namespaces)
    seeder.healthy_workloads()
    seeder.troubled_pods(args.troubled)
    seeder.healthy_pods(args.pods - args.troubled)
    return seeder


def _kubeconfig(path: Path, contexts: dict[str, tuple[FaultProxy, ControlPlane]]) -> Path:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": p.url, "certificate-authority": str(p.ca_file)}}
            for name, (p, _) in contexts.items()
        ],
        "users": [
            {"name": name, "user": {"token": cp.token("admin")}}
            for name, (_, cp) in contexts.items()
        ],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": name}} for name in contexts
        ],
        "current-context": next(iter(contexts)),
    }
    path.write_text(json.dumps(document, indent=2))
    path.chmod(0o600)
    return path


def _found(output: Path) -> set[tuple[str, str, str]]:
    document = json.loads(output.read_text())
    return {(i.get("context", ""), i["namespace"], i["pod"]) for i in document["items"]}


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, kubeconfig: Path) -> None:
        self.args = args
        self.work = work
        scripts = Path(sys.executable).parent
        plugin = scripts / "kubectl-pullsecret"
        self.plugin = (
            [str(plugin)] if plugin.exists() else [sys.executable, "-m", "kubectl_pullsecret"]
        )
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            raise SystemExit("kubectl is not on PATH (Debian: apt-get install kubernetes-client)")
        self.kubectl = kubectl
        self.env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        self.env["KUBECONFIG"] = str(kubeconfig)
        self.env["PATH"] = os.pathsep.join([str(scripts), self.env.get("PATH", os.defpath)])

    def fleet(self, expected: set[tuple[str, str, str]]) -> float:
        out = self.work / "fleet.json"
        argv = [*self.plugin, "diagnose", "pod", "-A", "--all-contexts", "-o", "json"]
        if self.args.parallel != PARALLEL_DEFAULT:
            argv += ["--parallel", str(self.args.parallel)]
        run = bench_scale.run_measured(argv, self.env, out)
        if run.returncode != 1:
            raise bench_scale.WrongResult(
                f"the fleet run exited {run.returncode}:\n{run.stderr[-3000:]}"
            )
        found = _found(out)
        if found != expected:
            missed, extra = sorted(expected - found), sorted(found - expected)
            raise bench_scale.WrongResult(
                f"the fleet run missed {missed[:5]}, wrongly reported {extra[:5]}"
            )
        return run.seconds

    def single(self, context: str, expected: set[tuple[str, str, str]]) -> float:
        out = self.work / "single.json"
        run = bench_scale.run_measured(
            [*self.plugin, "diagnose", "pod", "-A", "--context", context, "-o", "json"],
            self.env,
            out,
        )
        if run.returncode != 1:
            raise bench_scale.WrongResult(
                f"--context {context} exited {run.returncode}:\n{run.stderr[-3000:]}"
            )
        found = {(context, ns, pod) for _, ns, pod in _found(out)}
        if found != {e for e in expected if e[0] == context}:
            raise bench_scale.WrongResult(
                f"--context {context} did not report its cluster's troubled Pods"
            )
        return run.seconds

    def shell_loop(self, contexts: list[str]) -> float:
        loop = (
            'for c in "$@"; do "$KUBECTL" --context "$c" --cache-dir "$CACHE" get pods -A -o json'
            " > /dev/null || exit 1; done"
        )
        env = {**self.env, "KUBECTL": self.kubectl, "CACHE": str(self.work / "kube-cache")}
        run = bench_scale.run_measured(
            ["sh", "-c", loop, "loop", *contexts], env, self.work / "loop.out"
        )
        if run.returncode != 0:
            raise bench_scale.WrongResult(
                f"the kubectl loop exited {run.returncode}:\n{run.stderr[-3000:]}"
            )
        return run.seconds


def run(args: argparse.Namespace) -> int:
    def log(message: str) -> None:
        print(message, flush=True)

    started = dt.datetime.now(dt.timezone.utc)
    # Measured as `pip install` leaves the package: compiled once, not on every start.
    compileall.compile_dir(str(ROOT / "kubectl_pullsecret"), quiet=1)
    assets = bench_scale._assets(log)
    planes = [ControlPlane(assets_dir=assets) for _ in range(args.clusters)]
    proxies: list[FaultProxy] = []
    seeders: list[bench_scale.Seeder] = []
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    try:
        t0 = time.monotonic()
        _start(planes)
        log(f"{args.clusters} control planes ready in {time.monotonic() - t0:.1f}s")
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.clusters) as pool:
            seeders = list(pool.map(lambda cp: _fill(cp, args), planes))
        log(
            f"filled each with {args.pods} pods ({args.troubled} troubled) in {time.monotonic() - t0:.1f}s"
        )
        contexts: dict[str, tuple[FaultProxy, ControlPlane]] = {}
        expected: set[tuple[str, str, str]] = set()
        for index in range(args.contexts):
            cp, seeder = planes[index % args.clusters], seeders[index % args.clusters]
            proxy = FaultProxy(cp.server, cp.ca_file, connect_delay=2 * args.latency).start()
            proxy.add(Fault("", delay=args.latency, name="latency"))
            proxies.append(proxy)
            name = f"cluster-{index:02d}"
            contexts[name] = (proxy, cp)
            expected |= {(name, p.namespace, p.name) for p in seeder.troubled}
        bench = Bench(args, work, _kubeconfig(work / "kubeconfig", contexts))
        names = list(contexts)
        fleet, singles, loops = [], [], []
        for r in range(args.warmup + args.rounds):
            order = ["fleet", "singles", "loop"] if r % 2 == 0 else ["loop", "singles", "fleet"]
            times: dict[str, float] = {}
            for which in order:
                if which == "fleet":
                    times[which] = bench.fleet(expected)
                elif which == "singles":
                    times[which] = sum(bench.single(name, expected) for name in names)
                else:
                    times[which] = bench.shell_loop(names)
            label = "warm-up" if r < args.warmup else f"round {r - args.warmup + 1}/{args.rounds}"
            log(
                f"  {label}: fleet {times['fleet']:.2f}s | sum of single runs "
                f"{times['singles']:.2f}s | kubectl get pods -A loop {times['loop']:.2f}s"
            )
            if r >= args.warmup:
                fleet.append(times["fleet"])
                singles.append(times["singles"])
                loops.append(times["loop"])
    except bench_scale.WrongResult as exc:
        print(f"WRONG RESULT: {exc}", file=sys.stderr)
        return 1
    finally:
        for proxy in proxies:
            proxy.stop()
        for seeder in seeders:
            seeder.close()
        for cp in planes:
            cp.stop()
        shutil.rmtree(work, ignore_errors=True)

    fleet_median, singles_median, loop_median = (
        statistics.median(v) for v in (fleet, singles, loops)
    )
    result = {
        "schema": "kubectl-pullsecret/bench-fleet/v1",
        "command": "python benchmarks/bench_fleet.py " + " ".join(sys.argv[1:]),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "config": {
            "clusters": args.clusters,
            "contexts": args.contexts,
            "pods_per_cluster": args.pods,
            "troubled_per_cluster": args.troubled,
            "namespaces_per_cluster": args.namespaces,
            "latency_s_per_request": args.latency,
            "latency_s_per_connection": 2 * args.latency,
            "parallel": args.parallel,
            "rounds": args.rounds,
            "warmup_rounds": args.warmup,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "kubectl": bench_scale._version_of(
                [shutil.which("kubectl") or "kubectl", "version", "--client"], dict(os.environ)
            ),
            "load_average_at_end": list(os.getloadavg()),
            "plugin_git": bench_scale._git_state(),
        },
        "fleet": {
            "command": "kubectl pullsecret diagnose pod -A --all-contexts -o json",
            "seconds": fleet,
            "seconds_summary": bench_scale._summary(fleet),
        },
        "sum_of_single_runs": {
            "command": "kubectl pullsecret diagnose pod -A --context NAME -o json, once per context",
            "seconds": singles,
            "seconds_summary": bench_scale._summary(singles),
        },
        "kubectl_loop": {
            "command": "for c in CONTEXTS; do kubectl --context $c get pods -A -o json; done",
            "seconds": loops,
            "seconds_summary": bench_scale._summary(loops),
        },
        "fleet_vs_sum_of_single_runs": fleet_median / singles_median,
        "fleet_vs_kubectl_loop": fleet_median / loop_median,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fleet.json").write_text(json.dumps(result, indent=2) + "\n")
    log("")
    log(
        f"| {args.contexts} contexts over {args.clusters} clusters, {args.pods} pods each, {args.latency * 1000:.0f} ms per request | median s |"
    )
    log("|---|---|")
    log(f"| fleet run, `diagnose pod -A --all-contexts` | {fleet_median:.2f} |")
    log(f"| sum of the {args.contexts} single-context runs | {singles_median:.2f} |")
    log(f"| shell loop of `kubectl get pods -A -o json` | {loop_median:.2f} |")
    log(
        f"\nfleet / sum of single runs: {result['fleet_vs_sum_of_single_runs']:.2f}; "
        f"fleet / kubectl loop: {result['fleet_vs_kubectl_loop']:.2f}"
    )
    log(f"wrote {out / 'fleet.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=3, help="real control planes")
    parser.add_argument("--contexts", type=int, default=20, help="contexts over them")
    parser.add_argument("--pods", type=int, default=1000, help="pods per cluster")
    parser.add_argument("--troubled", type=int, default=30, help="troubled pods per cluster")
    parser.add_argument("--namespaces", type=int, default=20, help="namespaces per cluster")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--parallel", type=int, default=PARALLEL_DEFAULT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8, help="fill threads per cluster")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.clusters < 1 or args.contexts < args.clusters or args.rounds < 1:
        parser.error("--clusters >= 1, --contexts >= --clusters and --rounds >= 1")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

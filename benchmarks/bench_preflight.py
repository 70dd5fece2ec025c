#!/usr/bin/env python3
"""Benchmark: `check -f` on 1,000 workloads, offline, must take under 2 s (issue 14).

    python benchmarks/bench_preflight.py [--workloads 1000] [--rounds 7]

Writes a folder of manifests like a real repository's: per team a namespace's Secret and
ServiceAccount, and Deployments, StatefulSets, DaemonSets and CronJobs with init containers,
some with a missing or wrong secret; then runs `kubectl-pullsecret check -f DIR -R --offline -o
json` (the console script, a fresh process each round, after one warm-up) and checks every run's
answer: one item per container, and exactly the seeded findings. Prints the median and writes
benchmarks/results/preflight.json. Exit 1 on a wrong answer, 0 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 2.0
KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")


def _secret(ns: str) -> dict[str, object]:
    auth = base64.b64encode(b"robot:bench-pw").decode()
    config = {
        "auths": {
            "registry.example.com": {"username": "robot", "password": "bench-pw", "auth": auth}
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": ns},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def _workload(index: int, ns: str) -> tuple[dict[str, object], bool]:
    kind = KINDS[index % len(KINDS)]
    broken = index % 10 == 0  # every tenth names a secret that exists nowhere
    spec = {
        "serviceAccountName": "app",
        "imagePullSecrets": [{"name": "gone" if broken else "regcred"}],
        "initContainers": [
            {"name": "migrate", "image": f"registry.example.com/team/migrate:{index}"}
        ],
        "containers": [
            {"name": "app", "image": f"registry.example.com/team/app-{index}:1.{index % 9}"},
            {"name": "proxy", "image": "nginx:1.25"},
        ],
    }
    template = {"metadata": {"labels": {"app": f"app-{index}"}}, "spec": spec}
    body: dict[str, object] = {
        "selector": {"matchLabels": {"app": f"app-{index}"}},
        "template": template,
    }
    api = "apps/v1"
    if kind == "CronJob":
        spec["restartPolicy"] = "OnFailure"
        body = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}
        api = "batch/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": f"app-{index}", "namespace": ns},
        "spec": body,
    }, broken


def write_repository(folder: Path, workloads: int) -> int:
    """The manifests, one file per team; returns how many workloads are broken."""
    import yaml

    broken = 0
    per_team = 50
    for team in range((workloads + per_team - 1) // per_team):
        ns = f"team-{team:02d}"
        docs: list[dict[str, object]] = [
            _secret(ns),
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "app", "namespace": ns},
            },
        ]
        for index in range(team * per_team, min(workloads, (team + 1) * per_team)):
            doc, is_broken = _workload(index, ns)
            docs.append(doc)
            broken += is_broken
        sub = folder / ns
        sub.mkdir(parents=True)
        (sub / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return broken


def run_once(plugin: str, folder: Path, workloads: int, broken: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [plugin, "check", "-f", str(folder), "-R", "--offline", "-o", "json"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 1:
        raise SystemExit(
            f"WRONG RESULT: exit {result.returncode}, expected 1: {result.stderr[-2000:]}"
        )
    items = json.loads(result.stdout)["items"]
    found = {
        i["owners"][-1]["name"]
        for i in items
        if any(p["code"] == "SecretNotFound" for p in i["problems"])
    }
    if len(items) != workloads * 3 or len(found) != broken:
        raise SystemExit(
            f"WRONG RESULT: {len(items)} items (expected {workloads * 3}), {len(found)} broken "
            f"workloads found (seeded {broken})"
        )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    plugin = str(Path(sysconfig.get_path("scripts")) / "kubectl-pullsecret")
    folder = Path(tempfile.mkdtemp(prefix="bench-preflight-"))
    try:
        broken = write_repository(folder / "repo", args.workloads)
        size = sum(p.stat().st_size for p in (folder / "repo").rglob("*.yaml"))
        run_once(plugin, folder / "repo", args.workloads, broken)  # warm-up
        times = [
            run_once(plugin, folder / "repo", args.workloads, broken) for _ in range(args.rounds)
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    median = statistics.median(times)
    result = {
        "command": f"kubectl-pullsecret check -f DIR -R --offline -o json ({args.workloads} workloads)",
        "workloads": args.workloads,
        "containers": args.workloads * 3,
        "manifest_bytes": size,
        "seconds": [round(t, 3) for t in times],
        "median_seconds": round(median, 3),
        "target_seconds": TARGET_SECONDS,
        "met": median < TARGET_SECONDS,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "preflight.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.workloads} workloads ({args.workloads * 3} containers, {size / 1e6:.1f} MB of "
        f"manifests): median {median:.2f} s over {args.rounds} runs "
        f"({'met' if result['met'] else 'NOT MET'}: < {TARGET_SECONDS} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

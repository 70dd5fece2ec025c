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
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 2.0
FORMS = ("junit", "json")  # what CI reads, and the largest output
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


def _check_answer(output: str, form: str, workloads: int, broken: int) -> None:
    """Every container has its item or test case; exactly the seeded workloads fail."""
    if form == "json":
        items = json.loads(output)["items"]
        cases = len(items)
        failing = {
            i["owners"][-1]["name"]
            for i in items
            if any(p["code"] == "SecretNotFound" for p in i["problems"])
        }
    else:  # junit: a test case per container, a failure per container of a broken workload
        root = ElementTree.fromstring(output)
        testcases = root.iter("testcase")
        cases, failing = 0, set()
        for case in testcases:
            cases += 1
            failure = case.find("failure")
            if failure is not None and failure.get("type") == "SecretNotFound":
                failing.add(case.get("classname"))
    if cases != workloads * 3 or len(failing) != broken:
        raise SystemExit(
            f"WRONG RESULT ({form}): {cases} containers (expected {workloads * 3}), "
            f"{len(failing)} broken workloads found (seeded {broken})"
        )


def run_once(
    plugin: str, folder: Path, workloads: int, broken: int, form: str
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): the CPU shows what a busy machine hides."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [plugin, "check", "-f", str(folder), "-R", "--offline", "-o", form],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        check=False,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 1:
        raise SystemExit(
            f"WRONG RESULT: exit {result.returncode}, expected 1: {result.stderr[-2000:]}"
        )
    _check_answer(result.stdout, form, workloads, broken)
    return seconds, cpu


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
        results = {}
        for form in FORMS:
            run_once(plugin, folder / "repo", args.workloads, broken, form)  # warm-up
            results[form] = [
                run_once(plugin, folder / "repo", args.workloads, broken, form)
                for _ in range(args.rounds)
            ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result: dict[str, object] = {
        "command": f"kubectl-pullsecret check -f DIR -R --offline -o FORM ({args.workloads} workloads)",
        "workloads": args.workloads,
        "containers": args.workloads * 3,
        "manifest_bytes": size,
        "target_seconds": TARGET_SECONDS,
        "load_average": list(os.getloadavg()),
    }
    for form, runs in results.items():
        median = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        result[form] = {
            "seconds": [round(wall, 3) for wall, _ in runs],
            "median_seconds": round(median, 3),
            "median_cpu_seconds": round(cpu, 3),
            "met": median < TARGET_SECONDS,
        }
        print(
            f"-o {form}: {args.workloads} workloads ({args.workloads * 3} containers, "
            f"{size / 1e6:.1f} MB of manifests): median {median:.2f} s ({cpu:.2f} s CPU) over "
            f"{args.rounds} runs ({'met' if median < TARGET_SECONDS else 'NOT MET'}: < "
            f"{TARGET_SECONDS} s)"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "preflight.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

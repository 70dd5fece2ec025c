"""The hostile corpus as local files through `kubectl pullsecret check --file` (no cluster).

Every case runs as its own `check IMAGE --file CASE -o json`; the runs go two at a time from a
module fixture, and each case's test reads its own result. One more run feeds every file to a
single table-format `check`, as a user pointing it at a folder of configs would.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import PluginRunner

from .corpus import SECRETS, SecretCase, Verdict
from .support import (
    assert_no_crash,
    assert_terminal_safe,
    codes,
    describe,
    parse_output,
    problem_text,
    run_cli,
)

BOMB_TIMEOUT_S = 15.0
BOMB_MEMORY = 2 << 30
Results = dict[str, "subprocess.CompletedProcess[str] | AssertionError"]


def _write(folder: Path, case: SecretCase) -> Path:
    path = folder / case.filename
    path.write_bytes(case.file_bytes())
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus-files")
    return {case.name: _write(folder, case) for case in SECRETS}


@pytest.fixture(scope="module")
def results(files: dict[str, Path], offline: PluginRunner) -> Results:
    runner = offline

    def run(case: SecretCase) -> subprocess.CompletedProcess[str] | AssertionError:
        try:
            return run_cli(
                runner,
                "check",
                case.image,
                "--file",
                str(files[case.name]),
                "-o",
                "json",
                timeout=BOMB_TIMEOUT_S if case.bomb else 60.0,
                memory_limit=BOMB_MEMORY if case.bomb else None,
            )
        except AssertionError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((c.name for c in SECRETS), pool.map(run, SECRETS), strict=True))


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> PluginRunner:
    """The harness's runner with a KUBECONFIG that names no file: no cluster is needed."""
    missing = tmp_path_factory.mktemp("no-kubeconfig") / "absent"
    return PluginRunner(lambda: missing)


@pytest.mark.e2e
@pytest.mark.parametrize("case", SECRETS, ids=lambda c: c.name)
def test_check_file(case: SecretCase, results: Results) -> None:
    result = results[case.name]
    if isinstance(result, AssertionError):
        raise result
    assert_no_crash(result)
    doc = parse_output(result)
    problems = doc["problems"]
    text = problem_text(problems)
    keys = tuple(m["key"] for m in doc["matches"])
    if case.verdict is Verdict.MALFORMED:
        assert "SecretMalformed" in codes(problems) and case.expect in text, describe(result)
        assert keys == ()
    elif case.verdict is Verdict.IGNORED:
        assert "SecretWrongType" in codes(problems) and case.expect in text, describe(result)
        assert keys == ()
    else:
        assert keys == case.matches, describe(result)
        if not case.matches:
            assert "NoCredentialsForRegistry" in codes(problems), describe(result)
        if case.near_miss:
            assert case.near_miss in text, describe(result)
    blocking = [p for p in problems if p["severity"] != "info"]
    assert result.returncode == (1 if blocking else 0), describe(result)
    for entry in case.entries or ():
        if len(entry.password) >= 4:
            assert entry.password not in result.stdout + result.stderr


@pytest.mark.e2e
def test_every_file_at_once_in_a_table(files: dict[str, Path], offline: PluginRunner) -> None:
    """One `check` over every (non-bomb) file, table output: each file that the kubelet would
    refuse or ignore is named with its verdict; nothing raw reaches the terminal."""
    cases = [c for c in SECRETS if not c.bomb]
    args = [a for c in cases for a in ("--file", str(files[c.name]))]
    result = run_cli(offline, "check", "registry.example.com/team/app:v1", *args)
    assert_no_crash(result, codes=(1,))
    assert_terminal_safe(result.stdout)
    lines = result.stdout.splitlines()
    for case in cases:
        if case.verdict in (Verdict.MALFORMED, Verdict.IGNORED):
            label = str(files[case.name])
            mine = [line for line in lines if label + " " in line]
            assert any(case.verdict.value in line for line in mine), (case.name, mine)
        for entry in case.entries or ():
            if len(entry.password) >= 4:
                assert entry.password not in result.stdout + result.stderr, case.name

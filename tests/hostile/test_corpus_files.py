"""The hostile corpus as local files through `kubectl pullsecret check --file` (no cluster).

Files the kubelet would refuse or ignore each get a problem of their own, named by the file, so
they share one `check -o json` run; every file that decodes (whose matches depend on what else
is offered) and every file built to exhaust the decoder runs alone. The runs go two at a time
from a module fixture; each case's test reads its own result. One more run feeds every file to
a single table-format `check`, as a user pointing it at a folder of configs would.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.plugin import PluginRunner

from .corpus import IMAGE, SECRETS, SecretCase, Verdict
from .support import (
    assert_no_crash,
    assert_terminal_safe,
    codes,
    describe,
    parse_output,
    problem_text,
    run_cli,
)

pytestmark = pytest.mark.e2e

BOMB_TIMEOUT_S = 15.0
BOMB_MEMORY = 2 << 30

# Refused or ignored files: one problem each, named by the file, whatever else is offered.
GROUPED = [
    c
    for c in SECRETS
    if c.verdict in (Verdict.MALFORMED, Verdict.IGNORED) and not c.bomb and c.image == IMAGE
]
ALONE = [c for c in SECRETS if c not in GROUPED]


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> PluginRunner:
    """The harness's runner with a KUBECONFIG that names no file: no cluster is needed."""
    missing = tmp_path_factory.mktemp("no-kubeconfig") / "absent"
    return PluginRunner(lambda: missing)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus-files")
    paths = {}
    for case in SECRETS:
        paths[case.name] = folder / case.filename
        paths[case.name].write_bytes(case.file_bytes())
    return paths


@pytest.fixture(scope="module")
def results(files: dict[str, Path], offline: PluginRunner) -> dict[str, Any]:
    """name -> result; "*grouped*" -> the one run over every GROUPED file."""

    def run(job: tuple[str, list[SecretCase]]) -> Any:
        _, cases = job
        bomb = any(c.bomb for c in cases)
        args = [a for c in cases for a in ("--file", str(files[c.name]))]
        try:
            return run_cli(
                offline,
                "check",
                cases[0].image,
                *args,
                "-o",
                "json",
                timeout=BOMB_TIMEOUT_S if bomb else 60.0,
                memory_limit=BOMB_MEMORY if bomb else None,
            )
        except AssertionError as exc:
            return exc

    jobs = [("*grouped*", GROUPED)] + [(c.name, [c]) for c in ALONE]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((name for name, _ in jobs), pool.map(run, jobs), strict=True))


def _problems_of(result: Any, label: str) -> list[dict[str, Any]]:
    return [p for p in parse_output(result)["problems"] if p["message"].startswith(label + " ")]


@pytest.mark.parametrize("case", GROUPED, ids=lambda c: c.name)
def test_refused_or_ignored_file(
    case: SecretCase, results: dict[str, Any], files: dict[str, Path]
) -> None:
    result = results["*grouped*"]
    if isinstance(result, AssertionError):
        raise result
    assert_no_crash(result, codes=(1,))
    mine = _problems_of(result, str(files[case.name]))
    text = problem_text(mine)
    assert case.verdict.value in codes(mine) and case.expect in text, (case.name, text)
    assert parse_output(result)["matches"] == []


@pytest.mark.parametrize("case", ALONE, ids=lambda c: c.name)
def test_check_file(case: SecretCase, results: dict[str, Any]) -> None:
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


def test_every_file_at_once_in_a_table(files: dict[str, Path], offline: PluginRunner) -> None:
    """One `check` over every (non-bomb) file, table output: each file that the kubelet would
    refuse or ignore is named with its verdict; nothing raw reaches the terminal."""
    cases = [c for c in SECRETS if not c.bomb]
    args = [a for c in cases for a in ("--file", str(files[c.name]))]
    result = run_cli(offline, "check", IMAGE, *args)
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

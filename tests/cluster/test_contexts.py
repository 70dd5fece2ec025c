"""Which contexts a run over several clusters reads: globs on the names, `!PATTERN` leaves
some out, and the kubeconfig found and merged as kubectl finds and merges it. No cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubectl_pullsecret.cluster.contexts import context_names, select_contexts, split_patterns
from kubectl_pullsecret.cluster.errors import KubeError
from kubectl_pullsecret.cluster.kubeconfig import KubeOptions

NAMES = ["dev", "prod-eu", "prod-legacy", "prod-us", "stage-eu"]


@pytest.mark.parametrize(
    ("patterns", "chosen"),
    [
        (["*"], NAMES),
        (["prod-*"], ["prod-eu", "prod-legacy", "prod-us"]),
        (["prod-*", "!prod-legacy"], ["prod-eu", "prod-us"]),
        (["!prod-*"], ["dev", "stage-eu"]),  # exclusions alone start from every context
        (["*-eu", "dev"], ["dev", "prod-eu", "stage-eu"]),  # in the kubeconfig's order
        (["prod-?s"], ["prod-us"]),
        (["[ds]*"], ["dev", "stage-eu"]),
        (["PROD-*"], []),  # names are case-sensitive, as kubectl's
    ],
)
def test_globs_choose_and_exclamation_marks_leave_out(
    patterns: list[str], chosen: list[str]
) -> None:
    assert select_contexts(NAMES, patterns)[0] == chosen


def test_a_pattern_that_matches_nothing_is_reported() -> None:
    assert select_contexts(NAMES, ["prod-*", "prd-*", "!qa"]) == (
        ["prod-eu", "prod-legacy", "prod-us"],
        ["prd-*", "!qa"],
    )


def test_patterns_split_on_commas_and_repeat() -> None:
    assert split_patterns(["prod-*, !prod-legacy", "dev,,"]) == ["prod-*", "!prod-legacy", "dev"]


def _config(path: Path, contexts: list[str], current: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [],
                "users": [],
                "contexts": [{"name": n, "context": {"cluster": n}} for n in contexts],
                "current-context": current,
            }
        )
    )
    return path


def test_contexts_come_from_every_file_of_kubeconfig_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _config(tmp_path / "a", ["prod-us", "dev"], "dev")
    second = _config(tmp_path / "b", ["dev", "prod-eu"], "prod-eu")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    assert context_names(KubeOptions()) == ["dev", "prod-eu", "prod-us"]
    # --kubeconfig means that file only.
    assert context_names(KubeOptions(kubeconfig=str(second))) == ["dev", "prod-eu"]


def test_without_a_kubeconfig_there_are_no_contexts_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(KubeError, match="a run over several clusters reads their contexts"):
        context_names(KubeOptions())

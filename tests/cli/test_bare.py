"""`kubectl pullsecret` alone prints the help and exits 0, as kubectl does; so does a command
group without its subcommand (`kubectl pullsecret diagnose`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PluginRunner


@pytest.mark.parametrize(
    ("words", "shown"),
    [((), ("diagnose", "audit", "show", "check", "version")), (("diagnose",), ("TYPE[/NAME]",))],
)
def test_without_a_subcommand_the_help(
    run_plugin: PluginRunner, tmp_path: Path, words: tuple[str, ...], shown: tuple[str, ...]
) -> None:
    result = run_plugin(*words, kubeconfig=tmp_path / "unused")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: kubectl pullsecret {' '.join(words)}".rstrip())
    assert all(f"  {command} " in result.stdout for command in shown), result.stdout
    assert result.stderr == ""

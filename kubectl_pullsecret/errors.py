"""The one error a command ends with when it cannot do its job (exit code 2)."""

from __future__ import annotations


class CommandError(Exception):
    """The command cannot do its job. The message is one line, safe to print."""

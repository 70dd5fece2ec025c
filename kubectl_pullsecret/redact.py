"""The last line of defence: secret material seen in this run never reaches a stream.

Every Secret value fetched or decoded is remembered here; all output (the report, errors, logs,
tracebacks under --debug) passes through redact() on its way out. The report itself never
contains passwords unless `--reveal` asks for them, in which case the CLI skips this filter for
the report only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "<redacted>"
MIN_LENGTH = 4  # shorter values would mangle ordinary text; they are never printed anyway

_values: set[str] = set()


def remember(values: Iterable[str]) -> None:
    _values.update(v for v in values if len(v) >= MIN_LENGTH and v != MASK)


def redact(text: str) -> str:
    for value in sorted(_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

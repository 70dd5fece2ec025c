"""What may be shown: no credential reaches a stream unless `--reveal` asks for it.

Two defences. `scrub` makes hostile free text (events, API errors) safe to quote: anything that
looks like a credential masked, control characters dropped, length bounded. `redact` is the last
line: every Secret value fetched or decoded is remembered, and all output (the report, errors,
logs, tracebacks under --debug) passes through it on its way out. The report itself never
contains passwords unless `--reveal` asks for them, in which case the CLI skips this filter for
the report only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "<redacted>"
MAX_MESSAGE_LENGTH = 400
MIN_LENGTH = 4  # shorter values would mangle ordinary text; they are never printed anyway

_values: set[str] = set()
# Values by their first MIN_LENGTH characters, then by length: a text position costs one set
# lookup per distinct length, however many values share a prefix (base64 of "user..." do).
_index: dict[str, list[tuple[int, frozenset[str]]]] = {}
_indexed: tuple[int, int] = (0, 0)  # (id, size) of the set the index was built from


def remember(values: Iterable[str]) -> None:
    _values.update(v for v in values if len(v) >= MIN_LENGTH and v != MASK)


def _lookup_index() -> dict[str, list[tuple[int, frozenset[str]]]]:
    global _index, _indexed
    if _indexed != (id(_values), len(_values)):
        grouped: dict[str, dict[int, set[str]]] = {}
        for value in _values:
            grouped.setdefault(value[:MIN_LENGTH], {}).setdefault(len(value), set()).add(value)
        _index = {
            prefix: sorted(
                ((n, frozenset(v)) for n, v in by_length.items()), reverse=True, key=lambda x: x[0]
            )
            for prefix, by_length in grouped.items()
        }
        _indexed = (id(_values), len(_values))
    return _index


def redact(text: str) -> str:
    """Mask every remembered value in one left-to-right pass, longest match first."""
    if not _values or len(text) < MIN_LENGTH:
        return text
    index = _lookup_index()
    pieces: list[str] = []
    start = position = 0
    end = len(text) - MIN_LENGTH
    while position <= end:
        length = 0
        for candidate_length, values in index.get(text[position : position + MIN_LENGTH], ()):
            if text[position : position + candidate_length] in values:
                length = candidate_length
                break
        if not length:
            position += 1
            continue
        pieces += (text[start:position], MASK)
        position = start = position + length
    pieces.append(text[start:])
    return "".join(pieces)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_SCRUBBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # userinfo in URLs: scheme://user:password@host
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@"), r"\1<redacted>@"),
    (re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 <redacted>"),
    (
        re.compile(
            r'(?i)("?(?:password|auth|token|access_token|identitytoken)"?\s*[:=]\s*)"?[^\s",}]+'
        ),
        r"\1<redacted>",
    ),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Hostile text made safe to show: credentials masked, control characters dropped, bounded."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    text = _CONTROL.sub("", text.replace("\n", " ").replace("\t", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"

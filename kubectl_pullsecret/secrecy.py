"""What may be shown: no credential reaches a stream unless `--reveal` asks for it.

Three rules, and no mask that could point at a password.

- By construction, reports carry no credential material: a password is `<redacted>` unless
  `--reveal`, the userinfo of a registry key is masked wherever the key is shown, decoding
  errors name positions and keys, never values. Public fields (names, namespaces, images,
  registries, keys, usernames) are printed as they are: a mask of a remembered value inside
  them would tell the reader the password (`private-<redacted>.io`).
- `scrub` makes hostile free text safe to quote in a report (event and runtime messages, API
  errors): remembered values and whatever looks like a credential masked, except inside the
  public values the text quotes (the image), control characters dropped, length bounded.
- `redact` filters the free text of the other streams: errors, warnings, logs and --debug
  tracebacks. Every Secret value that enters the process is remembered: the API client
  remembers each Secret as it arrives, the commands the values of local files.
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


def redact(text: str, public: Iterable[str] = ()) -> str:
    """Mask every remembered value in one left-to-right pass, longest match first.

    Occurrences inside an occurrence of a `public` string (an image, a host name the report
    shows anyway) stay: masking them would tell the reader the password.
    """
    if not _values or len(text) < MIN_LENGTH:
        return text
    index = _lookup_index()
    shown = _occurrences(text, public)
    pieces: list[str] = []
    start = position = 0
    end = len(text) - MIN_LENGTH
    while position <= end:
        length = 0
        for candidate_length, values in index.get(text[position : position + MIN_LENGTH], ()):
            if text[position : position + candidate_length] in values:
                length = candidate_length
                break
        if not length or any(a <= position and position + length <= b for a, b in shown):
            position += 1
            continue
        pieces += (text[start:position], MASK)
        position = start = position + length
    pieces.append(text[start:])
    return "".join(pieces)


def _occurrences(text: str, public: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for value in {p for p in public if len(p) >= MIN_LENGTH}:
        found = text.find(value)
        while found >= 0:
            spans.append((found, found + len(value)))
            found = text.find(value, found + 1)
    return spans


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_KEYS = "(?:password|auth|token|access_token|identitytoken)"
_SCRUBBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # userinfo in URLs: scheme://user:password@host
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@"), r"\1<redacted>@"),
    (re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 <redacted>"),
    # `"token": ...` (JSON) and `token=...`: whatever the value. The key stands alone: the
    # `token` of containerd's `invalid_token: authorization failed` is not one.
    (
        re.compile(rf'(?i)((?<![\w-])"{_KEYS}"\s*:\s*|(?<![\w-]){_KEYS}\s*=\s*)"?[^\s",}}&]+"?'),
        r"\1<redacted>",
    ),
    # `token: ...` in prose only when the value looks like a credential (a digit, or long):
    # containerd's `failed to fetch oauth token: unexpected status` stays readable.
    (
        re.compile(rf'(?i)((?<![\w-]){_KEYS}\s*:\s*)"?(?=[^\s",}}]*\d|[^\s",}}]{{24}})[^\s",}}]+'),
        r"\1<redacted>",
    ),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str, limit: int = MAX_MESSAGE_LENGTH, public: Iterable[str] = ()) -> str:
    """Hostile text made safe to show: credentials masked, control characters dropped, bounded.

    `public`: what the report shows anyway (the image the text quotes), never masked.
    """
    text = redact(text, public)
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    text = _CONTROL.sub("", text.replace("\n", " ").replace("\t", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"

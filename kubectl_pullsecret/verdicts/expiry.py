"""When credential expiry is judged: a module of its own, so that the CLI builds the policy
without importing the judges before its first request goes out."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EXPIRY_WARNING = 24 * 3600.0


@dataclass(frozen=True)
class ExpiryPolicy:
    """The time to judge expiry at, and how soon an expiry is worth a warning."""

    now: float
    window: float = DEFAULT_EXPIRY_WARNING

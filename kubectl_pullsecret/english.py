"""Counts that read as English: `1 Pod`, `2 Pods`, `3 of 40 Pods`. Pure."""

from __future__ import annotations


def noun(count: int, singular: str, plural: str = "") -> str:
    """The noun as it agrees with `count`: singular for one, plural otherwise (`0 Pods`)."""
    return singular if count == 1 else plural or f"{singular}s"


def counted(count: int, singular: str, plural: str = "") -> str:
    """`1 Pod`, `2 Pods`, `0 Pods`."""
    return f"{count} {noun(count, singular, plural)}"


def share(part: int, whole: int, singular: str, plural: str = "") -> str:
    """`3 of 40 Pods`, `1 of 1 Pod`: the noun agrees with the whole."""
    return f"{part} of {counted(whole, singular, plural)}"

"""Many reads at once: the round trips of independent requests overlap instead of adding up,
which is most of a distant cluster's cost. Used by every part of one cluster's reader."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

# Above this many distinct objects, one list per type beats one GET per object.
BULK_THRESHOLD = 8
# Requests at once for per-object lookups (the client's connection pool holds 10).
MAX_IN_FLIGHT = 8

Key = tuple[str, str]  # (namespace, name)
K = TypeVar("K")
V = TypeVar("V")
A = TypeVar("A")
B = TypeVar("B")


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Two independent reads at once. The API server scans etcd for every event list (events
    have no watch cache), so their wall times overlap instead of adding up."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        later = pool.submit(second)
        return first(), later.result()


def at_once(fetch: Callable[[K], V], keys: Sequence[K]) -> list[V]:
    """One small request per key, several in flight: their round trips overlap instead of
    adding up. Results come in the order of `keys`."""
    if len(keys) < 2:
        return [fetch(key) for key in keys]
    with ThreadPoolExecutor(max_workers=min(len(keys), MAX_IN_FLIGHT)) as pool:
        return list(pool.map(fetch, keys))


def key_of(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))

"""Histories kept per key (CPU, NUMA node, interface): one sample per key per tick, gaps included."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def record(
    histories: dict[K, deque[float | None]], samples: Iterable[tuple[K, float | None]], maxlen: int
) -> list[K]:
    """Append each ``(key, value)`` to its key's history (a new key gets one of ``maxlen`` samples), and
    a gap (``None``) to every key missing from ``samples``, so all histories stay in step with time.
    Returns the missing keys."""
    seen = set()
    for key, value in samples:
        seen.add(key)
        history = histories.get(key)
        if history is None:
            history = histories[key] = deque(maxlen=maxlen)
        history.append(value)
    missing = [key for key in histories if key not in seen]
    for key in missing:
        histories[key].append(None)
    return missing

"""Per-key histories: every key gets one sample per tick, a gap where it was missing."""

from __future__ import annotations

from collections import deque

from perftop.widgets.series import record


def test_keys_stay_in_step_and_new_keys_start_bounded() -> None:
    histories: dict[str, deque[float | None]] = {}
    assert record(histories, [("a", 1.0), ("b", 2.0)], maxlen=3) == []
    assert record(histories, [("b", 3.0), ("c", None)], maxlen=3) == ["a"]
    assert {key: list(h) for key, h in histories.items()} == {"a": [1.0, None], "b": [2.0, 3.0], "c": [None]}
    for _ in range(5):
        record(histories, [], maxlen=3)
    assert all(list(h) == [None] * 3 for h in histories.values())  # each keeps only maxlen samples
    assert all(h.maxlen == 3 for h in histories.values())

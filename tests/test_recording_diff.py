"""The deltas of keyed lists (the process list above all): the same changes whatever path diff takes."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from perftop.probes.sampler import Sampler
from perftop.tui.json_lines import snapshot_to_dict
from perftop.tui.recording import SnapshotEncoder, diff, patch
from testbed.fixture_tree import SteppingClock, make_tree


def _rows(*pids: Any) -> list[dict[str, Any]]:
    return [{"pid": pid, "comm": f"p{pid}", "cpu_percent": 0.0} for pid in pids]


def test_same_order_holds_only_the_changed_entries_and_no_order() -> None:
    old = _rows(1, 2, 3, 4, 5)
    new = [dict(e) for e in old]
    new[3] = new[3] | {"cpu_percent": 12.5}
    assert diff(old, new) == ["L", "pid", None, [[4, ["D", {"cpu_percent": ["=", 12.5]}]]], []]
    assert patch(old, diff(old, new)) == new


def test_entries_that_are_the_same_objects_are_skipped_and_nothing_changed_is_none() -> None:
    old = _rows(1, 2, 3, 4, 5)
    assert diff(old, list(old)) is None
    assert diff(old, copy.deepcopy(old)) is None


def test_added_removed_and_reordered_entries_carry_the_new_order() -> None:
    old = _rows(1, 2, 3, 4, 5)
    new = [old[4], old[0] | {"comm": "renamed"}, *_rows(9), old[2], old[3]]
    change = diff(old, new)
    assert change == ["L", "pid", [5, 1, 9, 3, 4], [[1, ["D", {"comm": ["=", "renamed"]}]]], _rows(9)]
    assert patch(old, change) == new


def test_names_that_are_lists_still_key_the_entries() -> None:
    old = [{"key": [i, "x"], "value": i} for i in range(5)]
    new = [dict(e) for e in reversed(old)]
    new[0]["value"] = 40
    change = diff(old, new)
    assert change is not None and change[0] == "L" and change[1] == "key"
    assert change[3] == [[[4, "x"], ["D", {"value": ["=", 40]}]]]
    assert patch(old, change) == new


def test_duplicate_names_or_entries_without_the_key_replace_the_list_whole() -> None:
    old = _rows(1, 2, 3, 4, 5)
    duplicated = [*old[:4], old[0] | {"cpu_percent": 1.0}]
    assert diff(old, duplicated) == ["=", duplicated]
    mixed = [*old[:4], {"comm": "no pid"}]
    assert diff(old, mixed) == ["=", mixed]
    not_objects = [*old[:4], 7]
    assert diff(old, not_objects) == ["=", not_objects]
    # An old list holding the same name twice cannot be patched by name.
    twice = [*old[:4], old[0]]
    assert diff(twice, _rows(1, 2, 3, 4, 6)) == ["=", _rows(1, 2, 3, 4, 6)]


def test_a_process_list_of_thousands_round_trips_through_every_path() -> None:
    old = _rows(*range(1, 3001))
    same = list(old)
    same[1500] = same[1500] | {"cpu_percent": 3.0}
    forked = [*same[:2000], *_rows(5000), *same[2000:2999]]  # one new, one gone, order changed
    for new in (same, forked):
        assert patch(old, diff(old, new)) == new


def test_ended_and_begun_processes_name_only_the_removed_and_where_the_added_go() -> None:
    old = _rows(*range(1, 2001))
    new = [*_rows(0), *old[:999], *_rows(5000), *old[1000:1999], *_rows(3000, 3001)]
    new[5] = new[5] | {"cpu_percent": 9.0}
    change = diff(old, new)
    assert change[2] == {"-": [1000, 2000], "+": [0, 1000, 2000, 2001]}
    assert change[3] == [[5, ["D", {"cpu_percent": ["=", 9.0]}]]]
    assert change[4] == _rows(0, 5000, 3000, 3001)
    assert patch(old, change) == new
    only_ended = old[:500] + old[501:]
    assert diff(old, only_ended)[2] == {"-": [501], "+": []}
    assert patch(old, diff(old, only_ended)) == only_ended


def test_when_most_entries_changed_places_or_names_the_whole_order_is_shorter() -> None:
    old = _rows(*range(1, 11))
    replaced = _rows(*range(1, 4), *range(20, 27))  # 7 gone, 7 new: 14 names against an order of 10
    change = diff(old, replaced)
    assert change[2] == list(range(1, 4)) + list(range(20, 27))
    assert patch(old, change) == replaced


def test_a_change_whose_added_entries_and_positions_disagree_is_refused() -> None:
    old = _rows(1, 2, 3, 4, 5)
    bad = ["L", "pid", {"-": [], "+": [0, 1]}, [], _rows(9)]
    try:
        patch(old, bad)
    except ValueError:
        pass
    else:
        raise AssertionError("a change of another shape was applied")


def test_the_encoder_gives_what_the_json_contract_gives_sample_after_sample(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    sampler = Sampler(make_tree(tree, cpus=4, processes=14, tick=0), clock=SteppingClock())
    sampler.sample()
    encoder = SnapshotEncoder()
    for tick in range(1, 4):  # idle processes keep their row objects; one comes and goes
        make_tree(tree, cpus=4, processes=14 + tick % 2, tick=tick)
        snapshot = sampler.sample()
        assert encoder.data(snapshot, None) == snapshot_to_dict(snapshot)
    odd = dataclasses.replace(snapshot.processes[0], cpu_percent=float("nan"), mem_percent=float("inf"))
    odd_snapshot = dataclasses.replace(snapshot, processes=(odd, *snapshot.processes[1:]))
    tunables = [{"key": "vm.swappiness", "path": "/proc/sys/vm/swappiness", "value": 60}]
    data = encoder.data(odd_snapshot, tunables)
    assert data == snapshot_to_dict(odd_snapshot) | {"tunables": tunables}
    assert data["processes"][0]["cpu_percent"] is None and data["processes"][0]["mem_percent"] is None


def test_objects_with_the_same_keys_hold_the_values_that_changed_or_changed_type() -> None:
    old = {"a": 0, "b": 1, "c": [1, 2], "d": {"x": 1.5, "y": None}, "e": "w"}
    assert diff(old, copy.deepcopy(old)) is None
    new = {"a": 0.0, "b": True, "c": [1, 2, 3], "d": {"x": 1.5, "y": 2}, "e": "w"}
    change = diff(old, new)
    assert change == [
        "D",
        {"a": ["=", 0.0], "b": ["=", True], "c": ["=", [1, 2, 3]], "d": ["D", {"y": ["=", 2]}]},
    ]
    assert patch(old, change) == new and type(patch(old, change)["a"]) is float
    # The same keys in another order, or another key: the general path, the same kind of change.
    reordered = {"b": 1, "a": 5, "c": [1, 2], "d": old["d"], "e": "w"}
    assert diff(old, reordered) == ["D", {"a": ["=", 5]}]
    assert diff(old, {**old, "f": 1}) == ["D", {"f": ["=", 1]}]

"""CPU list and mask syntax, as the kernel and taskset write them."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.cpulist import format_cpu_list, format_cpu_mask, parse_cpu_list, parse_cpu_mask

cpu_sets = st.frozensets(st.integers(min_value=0, max_value=1023), max_size=64)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("0", {0}),
        ("0-3,8", {0, 1, 2, 3, 8}),
        (" 0-1 \n", {0, 1}),
        ("0-7:2", {0, 2, 4, 6}),
        ("", set()),
        ("5,5,4-5", {4, 5}),
    ],
)
def test_parse_cpu_list(text: str, cpus: set[int]) -> None:
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize(
    "text",
    [
        "0-",
        "-1",
        "a",
        "1,,2",
        "3-1",
        "0x5",
        "1-2:0",
        "1:x",
        "0-4000000000",
        # Only ASCII digits: Arabic-Indic three, a superscript two, fullwidth digits, a stride in Devanagari.
        "\u0663",
        "0-\u0663",
        "\u00b2",
        "\uff10-\uff11",
        "0-3:\u0968",
    ],
)
def test_parse_cpu_list_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="CPU list"):
        parse_cpu_list(text)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("0x5", {0, 2}), ("5", {0, 2}), ("ff", set(range(8))), ("1,00000000", {32}), ("0x0", set())],
)
def test_parse_cpu_mask(text: str, cpus: set[int]) -> None:
    assert parse_cpu_mask(text) == cpus


@pytest.mark.parametrize("text", ["", "0x", "0xg", "zz", "0x1" + "0" * 20000])
def test_parse_cpu_mask_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="mask"):
        parse_cpu_mask(text)


def test_format_examples() -> None:
    assert format_cpu_list({8, 0, 1, 2, 3}) == "0-3,8"
    assert format_cpu_list(set()) == ""
    assert format_cpu_list({1, 3}) == "1,3"
    assert format_cpu_mask({0, 2}) == "0x5"


@given(cpu_sets)
def test_list_round_trip(cpus: frozenset[int]) -> None:
    assert parse_cpu_list(format_cpu_list(cpus)) == cpus


@given(cpu_sets)
def test_mask_round_trip(cpus: frozenset[int]) -> None:
    assert parse_cpu_mask(format_cpu_mask(cpus)) == cpus
    assert parse_cpu_mask(format_cpu_mask(cpus).removeprefix("0x")) == cpus


@given(cpu_sets)
def test_list_is_canonical(cpus: frozenset[int]) -> None:
    text = format_cpu_list(cpus)
    assert format_cpu_list(parse_cpu_list(text)) == text
    # Collapsed ranges: consecutive items never touch (``3,4`` would have been ``3-4``).
    bounds = [tuple(map(int, part.split("-"))) for part in text.split(",") if part]
    for before, after in pairwise(bounds):
        assert after[0] > before[-1] + 1

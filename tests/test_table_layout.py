"""The process table's layout: columns and widths for a width, and the two sideways scrolls, on plain
numbers (no Textual)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.widgets.process_columns import (
    COLUMN_BY_KEY,
    COMMAND_MIN_WIDTH,
    OPTIONAL_KEYS,
    SEPARATOR_WIDTH,
    table_columns,
    visible_columns,
)
from perftop.widgets.table_layout import (
    COMMAND_SCROLL_STEP,
    FROZEN,
    Layout,
    TableLayout,
    command_row_x,
    marker_width,
    scrolled_row,
)

NONE: frozenset[str] = frozenset()
#: Cells of every default column side by side, COMMAND at its minimum.
FULL_WIDTH = sum(c.width for c in table_columns()) + SEPARATOR_WIDTH * (len(table_columns()) - 1)

widths = st.integers(min_value=1, max_value=300)
shown_sets = st.sets(st.sampled_from(OPTIONAL_KEYS)).map(frozenset)


def layout_at(width: int, offset: int = 0, marker: bool = False, shown: frozenset[str] = NONE) -> Layout:
    """The layout a fresh table draws at ``width`` once scrolled to ``offset``."""
    table = TableLayout()
    table.at(width, marker, shown)  # which case the width is in: the offset then means that case's
    table.set_h_offset(offset)
    return table.at(width, marker, shown)


def keys(layout: Layout) -> list[str]:
    return [span.column.key for span in layout.spans]


@pytest.mark.live
def test_the_modules_are_plain_python() -> None:
    code = (
        "import sys, perftop.widgets.table_layout, perftop.widgets.table_view;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_wide_line_holds_every_column_with_command_taking_the_rest() -> None:
    layout = layout_at(200)
    assert keys(layout) == [c.key for c in table_columns()]
    assert not layout.dropped and not layout.shifted and layout.cell_length == 200
    x = 0
    for span in layout.spans[:-1]:
        assert (span.x, span.width) == (x, span.column.width)
        x += span.width + SEPARATOR_WIDTH
    command = layout.spans[-1]
    assert command.column.key == "command" and (command.x, command.x + command.width) == (x, 200)
    assert layout.gaps == ("",) + (" " * SEPARATOR_WIDTH,) * (len(layout.spans) - 1)
    assert layout.tail == ""


def test_at_eighty_cells_the_narrow_columns_are_those_of_the_drop_order() -> None:
    layout = layout_at(80)
    assert layout.dropped and keys(layout) == [c.key for c in visible_columns(80)]
    assert layout.spans[-1].width >= COMMAND_MIN_WIDTH


def test_the_tag_marker_takes_the_first_cells() -> None:
    layout = layout_at(200, marker=True)
    assert layout.spans[0].x == marker_width(True) == 1 + SEPARATOR_WIDTH
    assert layout.gaps[0] == ""  # the marker and its separator are drawn by the table itself
    assert marker_width(False) == 0


def test_below_the_always_staying_columns_the_line_runs_past_the_width() -> None:
    layout = layout_at(20)
    assert layout.cell_length > 20
    assert keys(layout) == [c.key for c in table_columns() if c.drop_order is None]
    assert layout.spans[-1].width == 0  # COMMAND gets nothing


@given(width=widths, marker=st.booleans(), shown=shown_sets, offset=st.integers(0, 400))
def test_spans_are_in_order_apart_and_inside_the_line(
    width: int, marker: bool, shown: frozenset[str], offset: int
) -> None:
    layout = layout_at(width, offset, marker, shown)
    assert layout.spans[0].column is FROZEN
    order = [c.key for c in table_columns(shown)]
    assert keys(layout) == sorted(keys(layout), key=order.index)  # a subsequence, left to right
    x = marker_width(marker)
    for gap, span in zip(layout.gaps, layout.spans, strict=True):
        assert span.x == x + len(gap)
        x = span.x + span.width
    assert x + len(layout.tail) == layout.cell_length >= width
    assert layout.shifted == (layout.dropped and layout.h_offset > 0)


def test_the_full_width_row_places_each_column_right_of_pid() -> None:
    scrolled = scrolled_row(table_columns())
    assert [c.key for c, _ in scrolled] == [c.key for c in table_columns() if c is not FROZEN]
    assert scrolled[0][1] == 0
    for (column, x), (_, next_x) in itertools.pairwise(scrolled):
        assert next_x == x + column.width + SEPARATOR_WIDTH
    assert command_row_x(scrolled) == scrolled[-1][1]


def test_each_right_step_brings_the_next_column_next_to_pid_then_moves_through_the_command() -> None:
    longest = 100
    table = TableLayout()
    layout = table.at(80, False, NONE)
    start = marker_width(False) + FROZEN.width + SEPARATOR_WIDTH
    seen: list[int] = []
    while True:
        target = layout.sideways(1, longest)
        if target == layout.h_offset:
            break
        seen.append(target)
        table.set_h_offset(target)
        layout = table.at(80, False, NONE)
        assert layout.shifted and layout.spans[0].column is FROZEN
        for span in layout.spans[1:]:
            assert span.x >= start and span.x + span.width <= 80  # never cut at either edge
    scrolled = scrolled_row(table_columns())
    command_x = command_row_x(scrolled)
    limit = layout.h_limit(longest)
    command_steps = range(command_x + COMMAND_SCROLL_STEP, limit, COMMAND_SCROLL_STEP)
    assert seen == [*(x for _, x in scrolled[1:]), *command_steps, limit]
    assert keys(layout) == ["pid", "command"]
    assert layout.command_skip == limit - command_x
    # The command's end is at the right edge.
    assert layout.spans[1].x + longest - layout.command_skip == 80
    # Left walks back the same stops to the narrow layout, and no further.
    back = []
    while layout.h_offset:
        table.set_h_offset(layout.sideways(-1, longest))
        layout = table.at(80, False, NONE)
        back.append(layout.h_offset)
    assert back == [*reversed(seen[:-1]), 0]
    assert layout.sideways(-1, longest) == 0 and not layout.shifted
    assert keys(layout) == [c.key for c in visible_columns(80)]


def test_a_short_command_still_scrolls_to_command_next_to_pid() -> None:
    layout = layout_at(80)
    limit = layout.h_limit(0)
    view = 80 - (FROZEN.width + SEPARATOR_WIDTH)
    assert limit == command_row_x(layout.scrolled) + COMMAND_MIN_WIDTH - view
    assert layout.h_stops(0)[-1] == limit


def test_a_column_cut_at_the_right_edge_is_left_out() -> None:
    scrolled = scrolled_row(table_columns())
    offset = scrolled[3][1]  # USER, POL, RTPRIO scrolled out
    layout = layout_at(80, offset)
    start = FROZEN.width + SEPARATOR_WIDTH
    edges = [(c, start + x - offset) for c, x in scrolled if not c.flexible]
    cut = [c for c, left in edges if left < 80 < left + c.width]
    assert cut and cut[0].key not in keys(layout)
    last = layout.spans[-1]
    assert last.x + last.width + len(layout.tail) == 80  # its cells are drawn blank
    assert start + dict((c.key, x) for c, x in scrolled)[cut[0].key] - offset >= last.x + last.width


def test_when_every_column_fits_the_offset_scrolls_the_command_text() -> None:
    layout = layout_at(200, 16)
    assert not layout.dropped and layout.command_skip == 16 and layout.h_offset == 16
    assert keys(layout) == [c.key for c in table_columns()]
    command = layout.spans[-1]
    assert layout.h_limit(command.width + 30) == 30
    assert layout.h_limit(command.width - 5) == 0
    assert layout.sideways(1, 0) == 16 + COMMAND_SCROLL_STEP  # the table clamps it to the limit
    assert layout.sideways(-1, 0) == 16 - COMMAND_SCROLL_STEP


def test_column_at() -> None:
    layout = layout_at(200)
    for span in layout.spans:
        assert layout.column_at(span.x) == layout.column_at(span.x + span.width - 1) == span.column.key
    pid = layout.spans[0]
    assert layout.column_at(pid.x + pid.width) is None  # the separator
    assert layout_at(200, marker=True).column_at(0) is None  # the marker


def test_the_offset_goes_back_to_zero_when_the_width_switches_case() -> None:
    table = TableLayout()
    table.at(80, False, NONE)
    table.set_h_offset(30)
    assert table.at(90, False, NONE).h_offset == 30  # still too narrow: the offset stays
    assert table.at(FULL_WIDTH + 20, False, NONE).h_offset == 0
    table.set_h_offset(16)
    assert table.at(FULL_WIDTH + 40, False, NONE).h_offset == 16  # the other case stays too
    assert table.at(80, False, NONE).h_offset == 0


def test_the_layout_is_kept_until_something_it_depends_on_changes() -> None:
    table = TableLayout()
    layout = table.at(120, False, NONE)
    assert table.at(120, False, NONE) is layout
    assert table.at(120, True, NONE) != layout
    with_io = table.at(120, True, frozenset({"io_read"}))
    assert "io_read" in keys(with_io) and "io_read" in [c.key for c, _ in with_io.scrolled]
    assert table.set_h_offset(8) and not table.set_h_offset(8)
    assert table.at(120, True, frozenset({"io_read"})).h_offset == 8
    table.reset_offset()
    assert table.h_offset == 0


@pytest.mark.parametrize("key", OPTIONAL_KEYS)
def test_an_optional_column_takes_its_place_in_the_full_width_row(key: str) -> None:
    scrolled = scrolled_row(table_columns(frozenset({key})))
    placed = [c.key for c, _ in scrolled]
    assert key in placed and placed.index(key) < placed.index("command")
    assert COLUMN_BY_KEY[key].optional

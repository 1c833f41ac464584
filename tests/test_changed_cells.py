"""Changed-cell repaints: which cells differ between two lines, and the bytes a partial update writes."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import MONOKAI
from textual._compositor import ChopsUpdate, Compositor
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.filter import ANSIToTruecolor
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from perftop.widgets import textual_fence
from perftop.widgets.cell_widths import ONE_CELL_RANGES
from perftop.widgets.changed_cells import (
    JOIN_GAP,
    ChangedCells,
    TruecolorWhereNeeded,
    _cells,
    changed_spans,
)

RED = Style(color="red")
BLUE = Style(color="blue", bold=True)


def strip(*pieces: tuple[str, Style | None]) -> Strip:
    return Strip([Segment(text, style) for text, style in pieces])


def test_equal_lines_have_no_span() -> None:
    assert changed_spans(strip(("abc", RED)), strip(("abc", RED))) == []
    # Split differently into segments, the same cells: still nothing to repaint.
    assert changed_spans(strip(("abc", RED)), strip(("a", RED), ("bc", RED))) == []


def test_a_changed_character_is_its_own_span() -> None:
    assert changed_spans(strip(("  0.0  1.2", RED)), strip(("  0.0  1.3", RED))) == [(9, 10)]


def test_a_changed_style_alone_is_a_change() -> None:
    assert changed_spans(strip(("ab", RED), ("cd", RED)), strip(("ab", RED), ("cd", BLUE))) == [(2, 4)]


def test_nearby_changes_join_and_distant_ones_do_not() -> None:
    old = "x" * 60
    near = "y" + "x" * (JOIN_GAP - 1) + "y" + "x" * (60 - JOIN_GAP - 1)
    assert changed_spans(strip((old, RED)), strip((near, RED))) == [(0, JOIN_GAP + 1)]
    far = "y" + "x" * 40 + "y" + "x" * 18
    assert changed_spans(strip((old, RED)), strip((far, RED))) == [(0, 1), (41, 42)]


def test_spans_never_cut_a_wide_character() -> None:
    # 日 and 本 take two cells each: a change to either covers both of its cells.
    assert changed_spans(strip(("a日b", RED)), strip(("a本b", RED))) == [(1, 3)]
    assert changed_spans(strip(("a日b", RED)), strip(("a日c", RED))) == [(3, 4)]
    # A wide character replacing two narrow ones, shifted by one cell.
    assert changed_spans(strip(("abcd", RED)), strip(("a日d", RED))) == [(1, 3)]
    assert changed_spans(strip(("ab日", RED)), strip(("abcd", RED))) == [(2, 4)]


def test_lines_of_different_lengths_differ_everywhere() -> None:
    assert changed_spans(strip(("abc", RED)), strip(("abcde", RED))) == [(0, 5)]


texts = st.text(alphabet="ab日 ", min_size=0, max_size=12)
styles = st.sampled_from([RED, BLUE, None])
lines = st.lists(st.tuples(texts, styles), min_size=1, max_size=4).map(lambda pieces: strip(*pieces))


@given(old=lines, new=lines)
def test_outside_the_spans_every_cell_is_unchanged(old: Strip, new: Strip) -> None:
    spans = changed_spans(old, new)
    a, b = _cells(old), _cells(new)
    if len(a) != len(b):
        assert spans == [(0, max(len(a), len(b)))]
        return
    inside = {x for start, end in spans for x in range(start, end)}
    assert all(a[x] == b[x] for x in range(len(a)) if x not in inside)
    for start, end in spans:
        assert 0 <= start < end <= len(a)
        # A span starts on a character and ends before the next one, in both lines.
        assert a[start][0] != "" and b[start][0] != ""
        assert end == len(a) or (a[end][0] != "" and b[end][0] != "")


# One-cell characters, ASCII or not; some share bytes of their encodings ("a" U+0061, "⡡" U+2861,
# "á" U+00E1), which the fast path must not take for equal characters.
ascii_texts = st.text(alphabet="ab ⡡⣀⣁á▲«", min_size=0, max_size=30)
ascii_lines = st.lists(st.tuples(ascii_texts, styles), min_size=1, max_size=5).map(
    lambda pieces: strip(*pieces)
)


def test_the_fast_path_characters_are_one_cell_each() -> None:
    chars = [chr(c) for c in range(0x20, 0x3000) if re.fullmatch(ONE_CELL_RANGES, chr(c))]
    assert len(chars) > 800  # braille alone is 256
    assert all(get_character_cell_size(char) == 1 for char in chars)


@given(old=ascii_lines, new=ascii_lines, join_gap=st.integers(1, 10))
def test_one_cell_characters_take_a_faster_path_to_the_same_spans(
    old: Strip, new: Strip, join_gap: int
) -> None:
    spans = changed_spans(old, new, join_gap)
    a, b = _cells(old), _cells(new)
    if len(a) != len(b):
        assert spans == [(0, max(len(a), len(b)))]
        return
    changed = [x for x in range(len(a)) if a[x] != b[x]]
    # Exactly the changed cells, runs fewer than join_gap equal cells apart joined into one span.
    expected: list[tuple[int, int]] = []
    for x in changed:
        if expected and x - expected[-1][1] < join_gap:
            expected[-1] = (expected[-1][0], x + 1)
        else:
            expected.append((x, x + 1))
    assert spans == expected


def test_a_line_blanked_by_a_scroll_is_drawn_whole() -> None:
    assert changed_spans(Strip([]), strip(("abc", RED), ("de", BLUE))) == [(0, 5)]
    assert changed_spans(strip(("abc", RED)), Strip([])) == [(0, 3)]


CONSOLE = Console(file=io.StringIO(), color_system="256", force_terminal=True)
#: The SGR parameters of RED and BLUE in 256 colours.
SGR_RED = Strip.render_ansi(RED, CONSOLE._color_system)
SGR_BLUE = Strip.render_ansi(BLUE, CONSOLE._color_system)


def render_ours(update: ChopsUpdate) -> str:
    """What perftop's renderer writes for ``update`` (Textual's is left in place afterwards)."""
    textual_fence.install()
    try:
        return update.render_segments(CONSOLE)
    finally:
        textual_fence.uninstall()


@pytest.fixture
def fenced() -> Iterator[None]:
    """The fence installed (as a PerftopApp installs it), for an App of the test's own."""
    assert textual_fence.install()
    yield


def test_a_partial_update_writes_only_its_spans_and_each_style_once() -> None:
    line = Strip([Segment("PID 42 ", RED), Segment("CPU 1.5 ", RED), Segment("sleep", BLUE)])
    # One widget covering cells 0-19 of screen line 3; "1.5", "PID" and "sleep" changed.
    chops = [{} for _ in range(3)] + [{0: line}]
    update = ChopsUpdate(chops, [(3, 11, 14), (3, 0, 3), (3, 15, 20)], [[] for _ in range(3)] + [[20]])
    # Cursor moves are 1-based; red is stated once for its two spans; one reset at the end.
    assert render_ours(update) == (
        f"\x1b[4;12H\x1b[0;{SGR_RED}m1.5\x1b[4;1HPID\x1b[4;16H\x1b[0;{SGR_BLUE}msleep\x1b[0m"
    )
    # Textual's own renderer writes every span from the widget's left edge.
    assert update.render_segments(CONSOLE).count("\x1b[4;1H") == 3


def test_a_partial_update_never_writes_half_a_wide_character() -> None:
    # Cells: "ab" 0-1, "日" 2-3, "本" 4-5, "cd" 6-7, then braille 8-9 in another style.
    line = Strip([Segment("ab日本cd", RED), Segment("⣀⣤", BLUE)])
    chops = [{0: line}]
    # A span from the right half of 日 to the first braille cell; another inside the braille.
    update = ChopsUpdate(chops, [(0, 3, 9), (0, 9, 10)], [[10]])
    assert render_ours(update) == f"\x1b[1;3H\x1b[0;{SGR_RED}m日本cd\x1b[0;{SGR_BLUE}m⣀\x1b[1;10H⣤\x1b[0m"


def test_install_is_undone_by_uninstall() -> None:
    textual_fence.uninstall()  # Textual's own, whether or not an App installed the fence already
    original = ChopsUpdate.render_segments, Compositor.render_partial_update
    assert textual_fence.install()
    assert ChopsUpdate.render_segments is not original[0]
    assert Compositor.render_partial_update is not original[1]
    textual_fence.uninstall()
    assert (ChopsUpdate.render_segments, Compositor.render_partial_update) == original


class Lines(ChangedCells, Widget):
    """A line widget drawing ``texts``, styled by its CSS (as perftop's line widgets are)."""

    def __init__(self, texts: list[str], **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.texts = texts

    def paint_line(self, y: int) -> Strip:
        text = self.texts[y] if y < len(self.texts) else ""
        style = Style(color="red", bold=True) if y % 2 else Style(color="white")
        return Strip([Segment(text, style)]).adjust_cell_length(self.size.width, style)


class LinesApp(App[None]):
    CSS = """
    Screen { background: #202040; }
    #outer { padding: 1 2; background: #304050 60%; height: auto; }
    #left { width: 1fr; height: 6; padding-left: 1; }
    #right { width: 1fr; height: 6; padding: 0 3 0 2; background: red 30%; }
    #boxed { height: 5; border: round green; }
    #tinted { height: 3; tint: blue 40%; }
    #faded { height: 3; opacity: 0.5; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="outer"):
            with Horizontal():
                yield Lines([f"left {i} ............" for i in range(6)], id="left")
                yield Lines([f"right {i} ~~~~~~~~~~~~" for i in range(6)], id="right")
            yield Lines([f"boxed {i}" for i in range(3)], id="boxed")
            yield Lines([f"tinted {i}" for i in range(3)], id="tinted")
            yield Lines([f"faded {i}" for i in range(3)], id="faded")


async def test_plain_widgets_style_their_lines_as_textual_does(fenced: None) -> None:
    """The short way of styling lines gives the cells Textual's general path gives, padding and a
    translucent background over a parent's included; borders, tint and opacity take Textual's way."""
    async with LinesApp().run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        for widget in pilot.app.query(Lines):
            region = widget.size.region
            ours = widget.render_lines(region)
            textual = StylesCache().render_widget(widget, region)
            assert [_cells(line) for line in ours] == [_cells(line) for line in textual], widget.id
        plain = {w.id: w._styles_cache.plain for w in pilot.app.query(Lines)}
        assert plain == {"left": True, "right": True, "boxed": False, "tinted": False, "faded": True}


async def test_styles_changed_on_the_widget_or_an_ancestor_restyle_its_lines(fenced: None) -> None:
    """Whether a widget is plain and its background colours are kept between repaints: a background,
    padding or border set later on the widget or on an ancestor (inline, or by a class the CSS styles)
    shows on its next repaint, as Textual's general path draws it."""
    async with LinesApp().run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        app = pilot.app
        left = app.query_one("#left", Lines)
        changes = [
            lambda: setattr(app.query_one("#outer").styles, "background", "green"),
            lambda: setattr(app.screen.styles, "background", "#102030"),
            lambda: setattr(left.styles, "background", "blue 50%"),
            lambda: setattr(left.styles, "border", ("round", "yellow")),
            lambda: setattr(left.styles, "border", None),
            lambda: app.query_one("#outer").add_class("ruled"),
        ]
        app.stylesheet.add_source(".ruled { background: magenta 40%; }", read_from=("test", "ruled"))
        app.stylesheet.reparse()
        for change in changes:
            change()
            await pilot.pause()
            region = left.size.region
            ours = left.render_lines(region)
            textual = StylesCache().render_widget(left, region)
            assert [_cells(line) for line in ours] == [_cells(line) for line in textual]
            # Textual's path above asks the widget for its (kept) colours: check them against Textual's.
            assert left.background_colors == DOMNode.background_colors.fget(left)
        assert left._styles_cache.plain


async def test_a_partial_update_renders_what_textuals_would_on_its_spans() -> None:
    """Rendering only the lines a dirty span crosses gives, on every span, the pieces Textual's
    bounding-box render gives: the front widget's, not its container's."""
    async with LinesApp().run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        app = pilot.app
        left, right, boxed = (app.query_one(f"#{name}", Lines) for name in ("left", "right", "boxed"))
        left.texts[1] = "left 1 changed"
        right.texts[4] = "right 4 changed too"
        boxed.texts[2] = "boxed 2 changed"
        for widget in (left, right, boxed):
            widget.refresh_changed()
        compositor = app.screen._compositor
        compositor.update_widgets({left, right, boxed})
        dirty = set(compositor._dirty_regions)
        assert dirty
        textual_fence.uninstall()
        textual = compositor.render_partial_update()
        compositor._dirty_regions.update(dirty)
        textual_fence.install()
        ours = compositor.render_partial_update()
        assert ours is not None and textual is not None
        assert ours.spans == textual.spans
        for y, x1, x2 in ours.spans:
            for (cut, piece), end in zip(ours.chops[y].items(), ours.chop_ends[y], strict=False):
                if cut < x2 and end > x1:
                    assert piece is not None
                    assert _cells(piece) == _cells(textual.chops[y][cut]), (y, cut)


class KnownLines(Lines):
    """Lines that say which of them may have changed (``stale``)."""

    def __init__(self, texts: list[str], **kwargs: str) -> None:
        super().__init__(texts, **kwargs)
        self.stale: list[int] = []

    def stale_lines(self, painted: Mapping[int, Strip]) -> list[int]:
        return [y for y in self.stale if y in painted]


class KnownLinesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KnownLines([f"line {i} ............" for i in range(6)])


async def test_only_the_lines_a_widget_names_stale_are_looked_at() -> None:
    """A line ``stale_lines`` does not name keeps what was painted, changed or not, until it is named."""
    async with KnownLinesApp().run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = pilot.app.query_one(KnownLines)
        painted: list[Region] = []
        # Recorded, then painted Textual's way.
        widget.paint_changes = lambda _widget, regions: painted.extend(regions) or False
        for y in (1, 2, 4):
            widget.texts[y] = f"LINE {y} ............"
        widget.stale = [1, 4]
        widget.refresh_changed()
        assert painted == [Region(0, 1, 4, 1), Region(0, 4, 4, 1)]
        await pilot.pause()
        painted.clear()
        widget.stale = [0, 1, 2, 3, 4, 5]
        widget.refresh_changed()
        assert painted == [Region(0, 2, 4, 1)]  # line 2 was left as painted


# -- the truecolor filter, only where it changes a line -----------------------------------------------------

_COLORS = st.sampled_from([None, "red", "bright_blue", "default", "color(200)", "#102030", "rgb(9,200,9)"])
_FILTER_STYLES = st.one_of(
    st.none(),
    st.builds(
        lambda color, bgcolor, dim, bold: Style(color=color, bgcolor=bgcolor, dim=dim, bold=bold),
        _COLORS,
        _COLORS,
        st.booleans(),
        st.booleans(),
    ),
)
_LINES = st.lists(st.tuples(st.sampled_from(["a", "bc", " ", "é"]), _FILTER_STYLES), max_size=12)


@given(_LINES, st.sampled_from([Color(0, 0, 0), Color(30, 40, 200)]))
def test_the_truecolor_filter_where_needed_gives_textuals_result(pieces, background: Color) -> None:
    """Any line comes out as Textual's ANSI-to-truecolor filter makes it; one it would not change (truecolor
    or no colors, no dim colored text) is handed back as it is, without a new segment."""
    inner = ANSIToTruecolor(MONOKAI)
    ours = TruecolorWhereNeeded(inner)
    segments = [Segment(text, style) for text, style in pieces]
    filtered = ours.apply(segments, background)
    assert filtered == inner.apply(segments, background)
    untouched = all(
        style is None
        or (
            (style.color is None or style.color.triplet is not None)
            and (style.bgcolor is None or style.bgcolor.triplet is not None)
            and not (style.dim and style.color is not None)
        )
        for _text, style in pieces
    )
    assert (filtered is segments) == untouched
    # Asked again, from what it keeps of the styles: the same.
    assert ours.apply(segments, background) == filtered


def test_the_truecolor_filter_where_needed_converts_what_textuals_converts() -> None:
    """The cases one by one: an ANSI, default or 256-colour colour, or dim coloured text, is converted; a
    truecolor line is not; control segments go to Textual's filter."""
    inner = ANSIToTruecolor(MONOKAI)
    ours = TruecolorWhereNeeded(inner)
    black = Color(0, 0, 0)
    for style in (
        Style(color="red"),
        Style(bgcolor="default"),
        Style(color="color(200)"),
        Style(color="#ffffff", dim=True),
    ):
        line = [Segment("x", Style(color="#123456")), Segment("y", style)]
        assert ours.apply(line, black) == inner.apply(line, black) != line, style
    line = [
        Segment("x", Style(color="#123456", bgcolor="#000000", bold=True)),
        Segment("y"),
        Segment("z", Style(dim=True)),
    ]
    assert ours.apply(line, black) is line
    controlled = [Segment("x", Style(color="#123456"), [(1,)])]  # type: ignore[list-item]
    assert ours.apply(controlled, black) == inner.apply(controlled, black)


async def test_line_widgets_filter_through_the_apps_truecolor_filter_where_needed() -> None:
    """A line widget's filters are the App's, its ANSI-to-truecolor one wrapped (the same wrapper from one
    repaint to the next, so filtered lines stay cached), and a new one of the App's (a new terminal theme)
    wrapped in turn; with ANSI colours on, the App's filter is off and nothing wraps it."""
    async with LinesApp().run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        app = pilot.app
        widget = app.query_one("#left", Lines)

        def wrapped() -> TruecolorWhereNeeded:
            (ours,) = [f for f in widget.get_line_filters() if isinstance(f, TruecolorWhereNeeded)]
            (apps,) = [f for f in app.get_line_filters() if isinstance(f, ANSIToTruecolor)]
            assert ours.inner is apps
            assert not any(isinstance(f, ANSIToTruecolor) for f in widget.get_line_filters())
            return ours

        first = wrapped()
        assert wrapped() is first
        app._refresh_truecolor_filter(MONOKAI)
        assert wrapped() is not first
        app.ansi_color = True
        assert not any(
            isinstance(f, (ANSIToTruecolor, TruecolorWhereNeeded)) for f in widget.get_line_filters()
        )

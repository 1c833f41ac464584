"""Every use perftop makes of Textual's private names (and Rich's), in one module that installs all of
them or none.

perftop goes past Textual's public API in four places, all for the cost of drawing:

- **The renderer.** Textual (8.x) writes every changed span from the left edge of the widget under it
  ("TODO: crop to x extents" in ``ChopsUpdate``), restating the style around every segment, and renders
  every line of every widget inside the bounding box of the dirty regions. ``ChopsUpdate.render_segments``
  is replaced by one that crops each piece to its span and writes a style only where it changes, and
  ``Compositor.render_partial_update`` by one that asks each widget only for its lines a dirty span
  crosses. A line widget may hand over scrolls of its lines (``take_scrolls``): where its lines are whole
  screen lines that nothing covers the update starts with them (a scroll region, insert or delete lines);
  anywhere else those lines are redrawn.
- **The painter** (:class:`ChangedCellsPainter`): the cells line widgets found changed are marked dirty
  and painted in one compositor pass, without Textual's four messages and a timer per widget.
- **Plain lines** (:func:`plain_line_cache` and the functions after it): a line widget with no border,
  tint or top padding has its lines styled the short way in Textual's line cache, which also moves its
  cached lines when the lines scroll.
- **Quiet input** (:func:`input_parser`): Textual's key parser, for an input thread that sleeps until a
  key comes (``perftop.tui.input_driver``).

:func:`install` first checks what all of them rely on in this Textual (names, signatures, attributes and
a few cheap behaviours) and installs them all or none: with none, perftop runs on Textual's own rendering
and input, slower and still correct. ``perftop --version`` says which (:func:`describe`).

:class:`KeysInOrder` is here too, as the one place perftop works around Textual's own behaviour; it needs
only Textual's public API and is on either way.
"""

from __future__ import annotations

import asyncio
import inspect
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import App
from textual.color import Color
from textual.css.styles import RenderStyles
from textual.driver import Driver
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual.widget import Widget

from perftop.widgets.cell_widths import one_cell_each
from perftop.widgets.safe_text import printable

try:
    from textual._compositor import ChopsUpdate, Compositor
    from textual._styles_cache import StylesCache
    from textual._xterm_parser import XTermParser
except ImportError:  # a Textual that moved them: the first check fails, nothing is installed
    ChopsUpdate = Compositor = StylesCache = XTermParser = object  # type: ignore[misc,assignment]
    _PRIVATE_MODULES = False
else:
    _PRIVATE_MODULES = True

#: Textual's own methods that the renderer replaces (None where this Textual has none: a check fails).
_TEXTUALS = (
    getattr(ChopsUpdate, "render_segments", None),
    getattr(Compositor, "render_partial_update", None),
)

#: ``(top, bottom, shift)`` in screen lines, as ``perftop.widgets.changed_cells.Scroll``.
_Scroll = tuple[int, int, int]


# -- the checks -------------------------------------------------------------------------------------------


def _params(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def _set_in_init(cls: type, *names: str) -> bool:
    """True when ``cls.__init__`` names each of ``names``: instance attributes, checked without an
    instance (making a Widget or an App for it costs more than every other check)."""
    code_names = cls.__init__.__code__.co_names
    return all(name in code_names for name in names)


def _is_property(cls: type, name: str) -> bool:
    return isinstance(inspect.getattr_static(cls, name, None), property)


def _chops_update() -> bool:
    update = ChopsUpdate([{}], [(0, 0, 0)], [[]])
    return (
        "_ansi" in Style.__slots__
        and _params(ChopsUpdate.__init__) == ["self", "chops", "spans", "chop_ends"]
        and _params(ChopsUpdate.render_segments) == ["self", "console"]
        and (update.chops, update.spans, update.chop_ends) == ([{}], [(0, 0, 0)], [[]])
    )


def _compositor() -> bool:
    compositor = Compositor()
    return (
        _params(Compositor.render_partial_update) == ["self"]
        and _params(Compositor.update_widgets) == ["self", "widgets"]
        and isinstance(compositor._dirty_regions, set)
        and isinstance(compositor.size, Size)
        and list(Compositor._regions_to_spans([Region(1, 0, 2, 2)])) == [(0, 1, 3), (1, 1, 3)]
        and _is_property(Compositor, "cuts")
        and _is_property(Compositor, "visible_widgets")
    )


#: The leading parameters of ``StylesCache.render`` and ``render_line``, as perftop passes them.
_RENDER = ["self", "styles", "size", "base_background", "background", "render_content_line", "filters"]
_RENDER += ["border_title", "border_subtitle", "content_size", "padding", "crop"]
_RENDER_LINE = ["self", "styles", "y", "size", "content_size", "padding", "base_background", "background"]
_RENDER_LINE += ["render_content_line", "border_title", "border_subtitle", "opacity"]


def _styles_cache() -> bool:
    return (
        _params(StylesCache.render)[: len(_RENDER)] == _RENDER
        and _params(StylesCache.render_line)[: len(_RENDER_LINE)] == _RENDER_LINE
        and isinstance(StylesCache()._cache, dict)
        and _set_in_init(Widget, "_styles_cache")
        and _is_property(RenderStyles, "_cache_key")
    )


def _painting() -> bool:
    return (
        _params(Widget._set_dirty) == ["self", "regions"]
        and _set_in_init(Widget, "_layout_required", "_scroll_required", "_repaint_required")
        and _set_in_init(Screen, "_compositor", "_dirty_widgets")
        and _params(Screen._compositor_refresh) == ["self"]
        and _set_in_init(App, "_batch_count")
    )


def _input() -> bool:
    from textual.drivers.linux_driver import LinuxDriver  # ImportError on other platforms: no quiet input

    parser = XTermParser(False)
    keys = [event.key for event in parser.feed("a") if isinstance(event, events.Key)]
    methods = ("run_input_thread", "disable_input", "suspend_application_mode", "resume_application_mode")
    return (
        keys == ["a"]
        and list(parser.tick()) == []
        and _set_in_init(Driver, "_debug")
        # What the quiet driver (perftop.tui.input_driver) overrides and uses of Textual's Linux driver.
        and all(callable(getattr(LinuxDriver, name, None)) for name in methods)
        and _set_in_init(LinuxDriver, "fileno", "exit_event")
        and "run_input_thread" in LinuxDriver._run_input_thread.__code__.co_names
    )


#: What the fence relies on, each with the check that this Textual has it (a check that raises fails).
CHECKS: tuple[tuple[str, Callable[[], bool]], ...] = (
    ("textual._compositor, _styles_cache and _xterm_parser", lambda: _PRIVATE_MODULES),
    ("ChopsUpdate(chops, spans, chop_ends), its render_segments(console), Rich's Style._ansi", _chops_update),
    ("Compositor's render_partial_update, _dirty_regions, _regions_to_spans, cuts", _compositor),
    ("StylesCache.render and render_line, Widget._styles_cache, styles._cache_key", _styles_cache),
    ("Widget._set_dirty, Screen._compositor and _dirty_widgets, App._batch_count", _painting),
    ("XTermParser(debug).feed and tick, Driver._debug, the Linux driver's input thread", _input),
)


def refusal() -> str | None:
    """What this Textual lacks that the fence relies on, or ``None`` when every check passes."""
    for what, check in CHECKS:
        try:
            if check():
                continue
        except Exception:  # a name, signature or behaviour this Textual does not have
            pass
        return f"this Textual differs in {what}"
    return None


def install() -> bool:
    """Check this Textual and install every patch, or none: ``True`` when installed (now or before)."""
    if installed():
        return True
    if refusal() is not None:
        return False
    ChopsUpdate.render_segments = _render_cropped_segments  # type: ignore[method-assign]
    Compositor.render_partial_update = _render_dirty_lines  # type: ignore[method-assign]
    return True


def installed() -> bool:
    """True while the fence's patches are in place."""
    return getattr(ChopsUpdate, "render_segments", None) is _render_cropped_segments


def uninstall() -> None:
    """Back to Textual's own rendering (tests)."""
    if installed():
        ChopsUpdate.render_segments, Compositor.render_partial_update = _TEXTUALS  # type: ignore[method-assign]


def describe() -> str:
    """One line for ``perftop --version``: this Textual, and which rendering and input perftop uses on it."""
    from importlib.metadata import version

    textual = f"Textual {version('textual')}"
    problem = refusal()
    if problem is None:
        return f"{textual}: perftop's renderer and quiet input (its checks of Textual's internals pass)"
    return f"{textual}: Textual's own rendering and input, as {problem}"


# -- the renderer -----------------------------------------------------------------------------------------

#: The terminal's style is not known at the start of an update.
_UNKNOWN = object()


class ScrollingUpdate(ChopsUpdate):  # type: ignore[misc,valid-type]
    """A partial update whose changed cells assume lines of the screen scrolled first."""

    def __init__(
        self,
        chops: list[dict[int, Strip | None]],
        spans: list[tuple[int, int, int]],
        chop_ends: list[list[int]],
        scrolls: list[_Scroll],
    ) -> None:
        super().__init__(chops, spans, chop_ends)
        #: In screen lines, in order.
        self.scrolls = scrolls


def _scroll_sequence(scrolls: list[_Scroll]) -> str:
    """Each scroll as a scroll region, the cursor on its top line, lines inserted (the lines move down)
    or deleted (up); then the whole screen as the region again. The blank lines take the default
    background, and are drawn whole by the update."""
    parts = ["\x1b[0m"]
    for top, bottom, shift in scrolls:
        parts.append(
            f"\x1b[{top + 1};{bottom + 1}r\x1b[{top + 1};1H\x1b[{abs(shift)}{'L' if shift > 0 else 'M'}"
        )
    parts.append("\x1b[r")
    return "".join(parts)


def _render_cropped_segments(self: Any, console: Console) -> str:
    """Like Textual's ``ChopsUpdate.render_segments``, but each piece starts at its span's first cell, not
    at its widget's edge, and a style is written only where it changes (Textual restates it, and resets,
    around every segment)."""
    color_system = COLOR_SYSTEMS.get(console.color_system or "", ColorSystem.TRUECOLOR)
    sequences: list[str] = []
    append = sequences.append
    if isinstance(self, ScrollingUpdate) and self.scrolls:
        append(_scroll_sequence(self.scrolls))
    chops = self.chops
    chop_ends = self.chop_ends
    current: object = _UNKNOWN
    # A line crossed by several spans is measured once.
    measured: dict[int, _Measured] = {}
    for y, x1, x2 in self.spans:
        line = chops[y]
        for end, (x, strip) in zip(chop_ends[y], line.items(), strict=False):
            if strip is None:
                continue
            start, stop = max(x, x1), min(end, x2)
            if start >= stop:
                continue
            pieces = measured.get(id(strip))
            if pieces is None:
                pieces = measured[id(strip)] = _measure(strip)
            if start > x and _inside_wide_character(pieces, start - x):
                start -= 1  # writing the right half of a wide character would blank its left half
            append(f"\x1b[{y + 1};{start + 1}H")  # Control.move_to's sequence, without its objects
            for text, style in _cropped(pieces, start - x, stop - x):
                if style is not None and style.link:
                    # Hyperlinks keep Textual's own rendering, which states its style without a reset
                    # before and resets after: start it from a clean state.
                    if current is not None:
                        append("\x1b[0m")
                    append(Strip.render_style(style, text, color_system))
                    current = None
                    continue
                if style is not current and style != current:
                    # The codes Rich keeps on the style, as Textual's own rendering takes them.
                    ansi = "" if style is None else style._ansi or Strip.render_ansi(style, color_system)
                    append(f"\x1b[0;{ansi}m" if ansi else "\x1b[0m")
                    current = style
                append(text)
    if current is not None:
        append("\x1b[0m")
    return "".join(sequences)


def _render_dirty_lines(self: Any) -> Any:
    """Like Textual's ``Compositor.render_partial_update``, but a widget renders only its lines where a
    dirty span meets one of its cuts that no widget in front of it filled, not every line it has inside
    the dirty regions' bounding box.

    Which widget's piece lands in each cut is decided as Textual does: front to back, the first wins.
    The containers behind the widgets are rarely asked for anything."""
    regions = self._dirty_regions.copy()
    self._dirty_regions.clear()
    if not regions:
        return None
    scrolls = take_scrolls(self, regions)
    spans = list(self._regions_to_spans(regions))
    cuts = self.cuts
    # Per dirty line, the cuts (as start -> end) that a dirty span meets and no widget has filled yet.
    wanted: dict[int, dict[int, int]] = {}
    for y, x1, x2 in spans:
        line_cuts = cuts[y]
        line_wanted = wanted.setdefault(y, {})
        for start, end in pairwise(line_cuts):
            if start < x2 and end > x1:
                line_wanted[start] = end
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(line_cuts[:-1]) for line_cuts in cuts]
    for widget, (region, clip) in self.visible_widgets.items():
        if not wanted:
            break
        x, top, width, height = region.intersection(clip)
        if not width or not height:
            continue
        right = x + width
        lines = [
            y
            for y in range(top, top + height)
            if (line_wanted := wanted.get(y)) and any(x <= cut < right for cut in line_wanted)
        ]
        if not lines:
            continue
        # One call from the first to the last line wanted: the lines between come from the widget's
        # line cache, cheaper than a call per run of lines.
        first = lines[0]
        strips = widget.render_lines(Region(x - region.x, first - region.y, width, lines[-1] - first + 1))
        for y in lines:
            strip = strips[y - first]
            chops_line = chops[y]
            line_wanted = wanted[y]
            line_cuts = [cut for cut in cuts[y] if x <= cut <= right]
            pieces = strip.divide([cut - x for cut in line_cuts[1:]]) if len(line_cuts) > 2 else [strip]
            for cut, piece in zip(line_cuts, pieces, strict=False):
                if chops_line.get(cut) is None:
                    chops_line[cut] = piece
                    line_wanted.pop(cut, None)
            if not line_wanted:
                del wanted[y]
    chop_ends = [line_cuts[1:] for line_cuts in cuts]
    if scrolls:
        return ScrollingUpdate(chops, spans, chop_ends, scrolls)
    return ChopsUpdate(chops, spans, chop_ends)


def take_scrolls(compositor: Any, regions: set[Region]) -> list[_Scroll]:
    """The visible widgets' scrolls, in screen lines, where they can be sent; the lines of the others
    added to ``regions``, to be drawn whole.

    A widget's scrolls are sent all or none: each was planned on the lines the ones before it left."""
    screen_scrolls: list[_Scroll] = []
    width = compositor.size.width
    in_front: list[Region] = []
    for widget, (region, clip) in compositor.visible_widgets.items():
        take = getattr(widget, "take_scrolls", None)
        scrolls = take() if take is not None else None
        if scrolls:
            shown = region.intersection(clip)
            y = region.y
            bands = [Region(0, y + top, width, bottom - top + 1) for top, bottom, _ in scrolls]
            if shown.width == width and all(
                shown.y <= band.y
                and band.bottom <= shown.bottom
                and not any(band.overlaps(front) for front in in_front)
                for band in bands
            ):
                screen_scrolls.extend((y + top, y + bottom, shift) for top, bottom, shift in scrolls)
            else:
                regions.update(band.intersection(shown) for band in bands)
        in_front.append(region.intersection(clip))
    return screen_scrolls


#: A strip's pieces of text: their first cells, and ``(text, style, one cell per character)`` of each.
_Measured = tuple[list[int], list[tuple[str, "Style | None", bool]]]


def _measure(strip: Strip) -> _Measured:
    starts: list[int] = []
    pieces: list[tuple[str, Style | None, bool]] = []
    x = 0
    for text, style, control in strip:
        if control:
            continue
        one_cell = one_cell_each(text)
        starts.append(x)
        pieces.append((text, style, one_cell))
        x += len(text) if one_cell else cell_len(text)
    starts.append(x)
    return starts, pieces


def _cropped(measured: _Measured, start: int, stop: int) -> Iterator[tuple[str, Style | None]]:
    """The text and style of the cells ``start`` to ``stop`` of a measured strip, without building
    strips (``Strip.crop`` was a large part of this renderer's cost)."""
    starts, pieces = measured
    for index in range(max(0, bisect_right(starts, start) - 1), len(pieces)):
        x, end = starts[index], starts[index + 1]
        if x >= stop:
            return
        if end <= start:
            continue
        text, style, one_cell = pieces[index]
        if start <= x and end <= stop:
            yield text, style
        elif one_cell:
            yield text[max(0, start - x) : stop - x], style
        else:  # a wide character may straddle an edge: Textual's crop knows what to do
            for segment in Strip([Segment(text, style)]).crop(max(0, start - x), stop - x):
                yield segment.text, segment.style


def _inside_wide_character(measured: _Measured, cell: int) -> bool:
    """True when ``cell`` is the second cell of a wide character of a measured strip."""
    starts, pieces = measured
    index = bisect_right(starts, cell) - 1
    if not 0 <= index < len(pieces):
        return False
    text, _style, one_cell = pieces[index]
    if one_cell:
        return False
    x = starts[index]
    for char in text:
        width = cell_len(char)
        if x < cell < x + width:
            return True
        x += width
        if x >= cell:
            return False
    return False


# -- the painter ------------------------------------------------------------------------------------------


class ChangedCellsPainter:
    """Paints the cells that line widgets found changed, all in one compositor pass right after the
    code that found them (the sample being shown) returns to the event loop.

    Textual's ``refresh`` prompts the widget, whose idle handler sends the screen an update, whose idle
    handler resumes a timer, whose tick renders: four messages and a timer for each widget at each sample.
    Where that path is needed (the widget not on the screen on top, a batch, a layout or scroll pending) the
    painter declines or has the widget refreshed Textual's way.
    """

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._widgets: set[Widget] = set()
        self._scheduled = False

    def __call__(self, widget: Widget, regions: list[Region]) -> bool:
        """Mark ``regions`` of ``widget`` dirty and paint them soon; False (nothing done) if it cannot."""
        app: Any = self._app
        if not app.screen_stack or widget.screen is not app.screen or app._batch_count:
            return False
        widget._set_dirty(*regions)
        self._widgets.add(widget)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._paint)
        return True

    def _paint(self) -> None:
        self._scheduled = False
        widgets, self._widgets = self._widgets, set()
        app: Any = self._app
        shown: set[Widget] = set()
        screen = app.screen if app.screen_stack else None
        if screen is not None and not (
            app._batch_count or screen._layout_required or screen._scroll_required or screen._repaint_required
        ):
            visible = screen._compositor.visible_widgets
            shown = {widget for widget in widgets if widget in visible and widget.screen is screen}
        if shown:
            screen._dirty_widgets.update(shown)
            screen._compositor.update_widgets(screen._dirty_widgets)
            screen._compositor_refresh()
        for widget in widgets - shown:
            widget.refresh()  # Textual's way, the whole widget: rare (a batch or a layout came between)


# -- plain lines ------------------------------------------------------------------------------------------


class PlainLines(StylesCache):  # type: ignore[misc,valid-type]
    """Textual's line cache, styling each line the short way while ``plain`` is set by the widget (no
    border, outline, tint, text opacity, hatch, or top/bottom padding), else Textual's way."""

    plain = False

    def render_line(
        self,
        styles: Any,
        y: int,
        size: Size,
        content_size: Size,
        padding: Any,
        base_background: Color,
        background: Color,
        render_content_line: Any,
        border_title: Any,
        border_subtitle: Any,
        opacity: float,
        *rest: Any,
    ) -> Strip:
        if not self.plain or opacity != 1.0 or border_title is not None or border_subtitle is not None:
            return super().render_line(
                styles,
                y,
                size,
                content_size,
                padding,
                base_background,
                background,
                render_content_line,
                border_title,
                border_subtitle,
                opacity,
                *rest,
            )
        # What Textual's path gives a plain widget: the content line filled to the content width and
        # padded left and right, with the background over the one beneath.
        inner = _inner_style(base_background, background)
        line = render_content_line(y).adjust_cell_length(content_size.width, inner)
        _top, right, _bottom, left = padding
        if left or right:
            pad = [Segment(" " * left, inner)] if left else []
            line = Strip([*pad, *line, *([Segment(" " * right, inner)] if right else [])], size.width)
        return line


@lru_cache(maxsize=64)
def _inner_style(base_background: Color, background: Color) -> Style:
    return TextualStyle(background=base_background + background).rich_style


def plain_line_cache(widget: Widget, plain: bool) -> PlainLines | None:
    """``widget``'s line cache, made a :class:`PlainLines` styling its lines the short way while ``plain``;
    ``None`` (Textual's own cache, untouched) when the fence is not installed."""
    if not installed():
        return None
    cache: Any = widget._styles_cache
    if not isinstance(cache, PlainLines):
        cache = widget._styles_cache = PlainLines()
    cache.plain = plain
    return cache


def render_plain_lines(
    widget: Any,
    cache: PlainLines,
    crop: Region,
    content: Size,
    padding: Spacing,
    background_colors: tuple[Color, Color],
) -> list[Strip]:
    """What Textual's ``render_lines`` gives a plain, opaque widget, from what its line cache needs known
    already (Textual looks up the widget's place on screen twice and walks its ancestors twice for it, at
    every repaint)."""
    base_background, background = background_colors
    return cache.render(
        widget.styles,
        Size(content.width + padding.left + padding.right, content.height),
        base_background,
        background,
        widget.render_line,
        widget.get_line_filters(),
        None,
        None,
        content_size=content,
        padding=padding,
        crop=crop,
    )


def has_plain_lines(widget: Widget) -> bool:
    """True when ``widget``'s lines are styled the short way: each is its content line, so a scroll of the
    content moves the screen lines as they are."""
    cache = getattr(widget, "_styles_cache", None)
    return isinstance(cache, PlainLines) and cache.plain


def move_cached_lines(widget: Widget, sources: Sequence[int | None]) -> None:
    """Move ``widget``'s cached lines as its lines moved on the terminal: line y now shows what line
    ``sources[y]`` showed (``None``: a blank line, dropped). A plain line is the same wherever it is, so
    lines that only moved are not rendered again."""
    cache: dict[int, Strip] = widget._styles_cache._cache
    lines = [None if source is None else cache.get(source) for source in sources]
    for y, strip in enumerate(lines):
        if strip is None:
            cache.pop(y, None)
        else:
            cache[y] = strip


def styles_key(widget: Widget) -> tuple[int, ...] | None:
    """A key that changes whenever a style of ``widget`` or of an ancestor changes (Textual counts their
    updates); ``None`` when the fence is not installed."""
    if not installed():
        return None
    return tuple(node.styles._cache_key for node in widget.ancestors_with_self)


# -- quiet input ------------------------------------------------------------------------------------------


def input_parser(driver: Driver) -> Any:
    """Textual's parser of terminal input into key, mouse and paste events, as ``driver`` would make it:
    ``feed(text)`` and ``tick()`` (for a lone Escape) give its events. Only while the fence is installed."""
    assert installed(), "the quiet input thread runs only with the fence installed"
    return XTermParser(driver._debug)


# -- keys in arrival order --------------------------------------------------------------------------------


class KeysInOrder:
    """App mixin: keys (and pastes) that arrive together are handled one after another, each by whatever
    has the focus once the key before it is done.

    Textual hands each key to the focused widget as it arrives; a key the widget does not take itself
    bubbles back up to the App, whose bindings (an Input's backspace, ctrl+u, Enter among them) run then,
    after the keys behind it were handed out already: ``b``, ``a``, backspace, ``c`` left ``ba``, and a
    ``q`` after the Enter that closes a box went into the box. Here a key is handed out only when the one
    before it is done: a marker sent right behind it to the same widget has come back up to the App, and
    again until one such round trip passes with nothing else reaching the App (what the key set off: a
    box submitted, a focus moved). At most ``MAX_ROUNDS`` round trips, each given ``ROUND_SECONDS``, so a
    marker that gets lost (its widget removed) never holds the keyboard.

    The App may hold the keys back for a while (:meth:`keys_held`: a dialog asked for and not on screen
    yet) and hand them out again with :meth:`release_keys`. Pasted text comes in without its control
    characters (each one a ``?``, line breaks kept), as typed text does: Textual's text boxes keep what a
    paste holds, and would show it to the terminal as it is.
    """

    #: Round trips of the marker a key waits for, at most.
    MAX_ROUNDS = 8
    #: Seconds a marker has to come back before the next key is handed out anyway.
    ROUND_SECONDS = 1.0

    class Done(Message):
        """The marker: back at the App, what was posted before it along its way has been handled."""

        def __init__(self, token: int) -> None:
            super().__init__()
            self.token = token

    #: The round trip of the marker under way (0: none, no key in flight), its token, and how many other
    #: messages reached the App since it was sent.
    _keys_round = 0
    _keys_token = 0
    _keys_posted = 0
    _keys_timeout: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._keys_waiting: deque[events.Event] = deque()
        super().__init__(*args, **kwargs)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            if isinstance(event, events.Paste):
                event = events.Paste("\n".join(printable(line) for line in event.text.splitlines()))
            self._keys_waiting.append(event)
            if not self._keys_round and not self.keys_held():
                await self._hand_out_key()
            return
        await super().on_event(event)  # type: ignore[misc]

    def keys_held(self) -> bool:
        """Whether the keys that arrive wait, in order, until :meth:`release_keys` (the App's to say)."""
        return False

    def release_keys(self) -> None:
        """Hand out the keys that waited while :meth:`keys_held`, once it no longer holds (by a marker to
        the App, so that a key arriving meanwhile queues behind them)."""
        if self._keys_round or not self._keys_waiting:
            return
        self._keys_round = self.MAX_ROUNDS  # the marker below ends the round, whatever else comes
        self._keys_token += 1
        self.post_message(KeysInOrder.Done(self._keys_token))

    def post_message(self, message: Message) -> bool:
        if not isinstance(message, KeysInOrder.Done):
            self._keys_posted += 1
        return super().post_message(message)  # type: ignore[misc]

    async def _hand_out_key(self) -> None:
        """Textual's handling of the next waiting key (priority bindings, then the focused widget), and
        the marker after it."""
        await super().on_event(self._keys_waiting.popleft())  # type: ignore[misc]
        self._keys_round = 0
        self._send_marker()

    def _send_marker(self) -> None:
        app: Any = self
        self._keys_round += 1
        self._keys_token += 1
        self._keys_posted = 0
        target = (app.focused or app.screen) if app.screen_stack else app
        if not target.post_message(KeysInOrder.Done(self._keys_token)):
            app.post_message(KeysInOrder.Done(self._keys_token))  # the widget is closing: to the App
        self._keys_timeout = asyncio.get_running_loop().call_later(
            self.ROUND_SECONDS, self._marker_late, self._keys_token
        )

    def _marker_late(self, token: int) -> None:
        # Posted to the App, it comes after whatever the App has queued already.
        self.post_message(KeysInOrder.Done(token))

    async def on_keys_in_order_done(self, message: KeysInOrder.Done) -> None:
        message.stop()
        if message.token != self._keys_token or not self._keys_round:
            return  # a marker that came back after its round timed out, or its copy
        if self._keys_timeout is not None:
            self._keys_timeout.cancel()
            self._keys_timeout = None
        if self._keys_posted and self._keys_round < self.MAX_ROUNDS:
            self._send_marker()
            return
        self._keys_round = 0
        if self._keys_waiting and not self.keys_held():
            await self._hand_out_key()

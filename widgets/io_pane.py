"""The IO pane: a row per block device with the columns of ``iostat -x``, its IO scheduler and media, and
a history of read+write throughput and %util for the device under the cursor.

The table is a :class:`~textual.widgets.DataTable` (a machine has few block devices) updated by diff: rows
of vanished devices are removed, new ones added, and only cells whose text changed are rewritten. Cell
texts come from pure functions (:func:`device_cells`) so the layout is testable
without a terminal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from perftop.probes.snapshot import DiskStats
from perftop.widgets.formatting import UNKNOWN, format_bytes_per_s, format_figure
from perftop.widgets.line_pane import Line
from perftop.widgets.load_history import braille_graph
from perftop.widgets.marks import marked_cells, with_marks
from perftop.widgets.safe_text import printable
from perftop.widgets.summary import Piece

if TYPE_CHECKING:
    # Imported where the table is built, as importing it adds to the start: the pane is mounted on first
    # show, the first frame needs no DataTable.
    from textual.widgets import DataTable

#: Samples kept per device: five minutes at the default one-second interval.
DEFAULT_MAXLEN = 300

#: %util from here up is drawn in the warning colour (the device was busy nearly all the interval).
WARN_UTIL_PERCENT = 90.0


# ---------------------------------------------------------------------------------------------------------
# Formatting (pure)
# ---------------------------------------------------------------------------------------------------------


def media_text(rotational: bool | None) -> str:
    """``HDD`` for a rotational device, ``SSD`` otherwise, ``-`` when the queue did not say."""
    if rotational is None:
        return UNKNOWN
    return "HDD" if rotational else "SSD"


def _kb(value: float | None) -> float | None:
    # iostat's kB are 1024 bytes (two 512-byte sectors).
    return None if value is None else value / 1024


@dataclass(frozen=True, slots=True)
class IoColumn:
    """One column of the device table: its key, title, width in cells (``None``: as wide as its
    content), how a device's figure is read, and the group it scrolls sideways with (0: the fixed
    Device column)."""

    key: str
    title: str
    cells: int | None
    value: Callable[[DiskStats], float | None] | None = None
    right: bool = True
    group: int = 0


#: The columns of ``iostat -x``, the figures a tuner reads first leading (how busy the device is, how long
#: a request waits, how deep the queue is, how many requests), then throughput and merges, then the queue
#: settings. ← and → scroll by a whole group.
COLUMNS: tuple[IoColumn, ...] = (
    IoColumn("device", "Device", None, right=False),
    IoColumn("util", "%util", 6, lambda d: d.util_percent, group=1),
    IoColumn("r_await", "r_await", 7, lambda d: d.r_await_ms, group=1),
    IoColumn("w_await", "w_await", 7, lambda d: d.w_await_ms, group=1),
    IoColumn("aqu_sz", "aqu-sz", 6, lambda d: d.aqu_sz, group=1),
    IoColumn("r_per_s", "r/s", 7, lambda d: d.r_per_s, group=1),
    IoColumn("w_per_s", "w/s", 7, lambda d: d.w_per_s, group=1),
    IoColumn("rkb_per_s", "rkB/s", 9, lambda d: _kb(d.read_bytes_per_s), group=2),
    IoColumn("wkb_per_s", "wkB/s", 9, lambda d: _kb(d.written_bytes_per_s), group=2),
    IoColumn("rrqm_per_s", "rrqm/s", 7, lambda d: d.rrqm_per_s, group=2),
    IoColumn("wrqm_per_s", "wrqm/s", 7, lambda d: d.wrqm_per_s, group=2),
    IoColumn("scheduler", "Scheduler", None, right=False, group=3),
    IoColumn("media", "Type", 4, right=False, group=3),
)


#: The key of the blank column after the last, which makes room for the last group to scroll to the left.
PAD_KEY = "pad"


def group_stops(columns: Iterable[tuple[int, int]], view: int) -> tuple[list[int], int]:
    """Where sideways scrolling stops, given each scrolling column's ``(group, width)`` in table order and
    the cells they are seen in: at the start of each group, up to the first from which every column left
    fits. Also returns the blank cells the table needs after its last column for that start to be
    reached (0 when everything fits at once)."""
    starts: list[int] = []
    x = 0
    group = None
    for column_group, width in columns:
        if column_group != group:
            starts.append(x)
            group = column_group
        x += width
    stops: list[int] = []
    for start in starts:
        stops.append(start)
        if x - start <= view:
            break
    return stops, (max(0, view - (x - stops[-1])) if len(stops) > 1 else 0)


def group_scroll(stops: Sequence[int], x: int, step: int) -> int:
    """The stop one group right of ``x`` (``step`` 1), or left of it (-1); the last or the first stop when
    there is none further."""
    if step > 0:
        return next((stop for stop in stops if stop > x), stops[-1])
    return max((stop for stop in stops if stop < x), default=0)


def device_cells(disk: DiskStats) -> tuple[Piece, ...]:
    """The ``(text, role)`` of each :data:`COLUMNS` cell of one device. Roles: ``""`` plain, ``dim`` for
    unknown values, ``warn`` for a %util from :data:`WARN_UTIL_PERCENT` up."""
    cells: list[Piece] = [(printable(disk.name), "")]
    for column in COLUMNS[1:-2]:
        assert column.value is not None and column.cells is not None
        value = column.value(disk)
        text = format_figure(value, column.cells)
        role = "dim" if value is None else ""
        if column.key == "util" and value is not None and value >= WARN_UTIL_PERCENT:
            role = "warn"
        cells.append((text, role))
    scheduler = UNKNOWN if disk.scheduler is None else printable(disk.scheduler)
    cells.append((scheduler, "dim" if disk.scheduler is None else ""))
    media = media_text(disk.rotational)
    cells.append((media, "dim" if disk.rotational is None else ""))
    return tuple(cells)


def shown_devices(disks: Iterable[DiskStats], show_all: bool) -> list[DiskStats]:
    """The devices the table lists, in the kernel's order: all of them, or those not hidden by default."""
    return [d for d in disks if show_all or not d.hidden_by_default]


def caption_text(disks: Sequence[DiskStats] | None, show_all: bool) -> str:
    """The line under the table saying what is shown and what is hidden."""
    if disks is None:
        return "waiting for the first disk sample"
    if not disks:
        return "no block devices"
    hidden = sum(1 for d in disks if d.hidden_by_default)
    if show_all:
        extra = f" ({hidden} partitions or idle virtual devices among them)" if hidden else ""
        return f"all {len(disks)} devices shown{extra}"
    if not hidden:
        return f"{len(disks)} devices"
    return f"{len(disks) - hidden} of {len(disks)} devices; {hidden} hidden (partitions, idle loop/ram/zram)"


def throughput(disk: DiskStats) -> float | None:
    """Read plus written bytes per second, ``None`` when either is unknown."""
    if disk.read_bytes_per_s is None or disk.written_bytes_per_s is None:
        return None
    return disk.read_bytes_per_s + disk.written_bytes_per_s


def _known(samples: Iterable[float | None]) -> list[float]:
    return [v for v in samples if v is not None]


def history_lines(
    device: str | None,
    throughputs: Sequence[float | None],
    utils: Sequence[float | None],
    width: int,
    height: int,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """The two graphs of a device, ``height`` lines in all: a caption and a braille graph of read+write
    bytes/s (scaled to its peak over the drawn window, printed in the caption), then a caption and a graph
    of %util on a fixed 0-100 scale. Newest samples at the right, two per cell. ``marks``: the samples
    during which a tuning action was applied, a marker atop each graph."""
    if height <= 0 or width <= 0:
        return []
    if device is None:
        return [(("no device selected", "dim"),)] + [()] * (height - 1)
    graph_rows = max(0, height - 2)
    rows_throughput = (graph_rows + 1) // 2
    rows_util = graph_rows - rows_throughput
    window = 2 * width
    marked = marked_cells(marks, width, 2)

    def graph(rows: list[str], role: str) -> list[Line]:
        return [
            tuple(with_marks([(row, role)], marked if y == 0 else frozenset())) for y, row in enumerate(rows)
        ]

    shown = list(throughputs)[-window:]
    known = _known(shown)
    peak = max(known, default=0.0)
    newest = throughputs[-1] if throughputs else None
    lines: list[Line] = [
        (
            (f"{device} read+write ", "title"),
            (format_bytes_per_s(newest), "value"),
            ("  peak ", "title"),
            (format_bytes_per_s(peak if known else None), "value"),
        )
    ]
    scaled = [None if v is None else (v / peak * 100.0 if peak > 0 else 0.0) for v in shown]
    lines += graph(braille_graph(scaled, width, rows_throughput), "throughput")

    if height >= 2:
        util_window = list(utils)[-window:]
        util_known = _known(util_window)
        util_now = utils[-1] if utils else None
        avg = sum(util_known) / len(util_known) if util_known else None
        lines.append(
            (
                (f"{device} %util ", "title"),
                (format_figure(util_now, 6), "value"),
                ("  avg ", "title"),
                (format_figure(avg, 6), "value"),
                ("  max ", "title"),
                (format_figure(max(util_known, default=None) if util_known else None, 6), "value"),
            )
        )
        lines += graph(braille_graph(util_window, width, rows_util), "util")
    return lines[:height]


# ---------------------------------------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------------------------------------


class DeviceHistory(Widget):
    """Throughput and %util graphs of one device, drawn from the histories the :class:`IoPane` keeps.

    | Class | Description |
    | :- | :- |
    | `device-history--title` | Captions. |
    | `device-history--value` | Figures in the captions. |
    | `device-history--dim` | The "no device" note. |
    | `device-history--throughput` | The read+write graph. |
    | `device-history--util` | The %util graph. |
    | `device-history--mark` | A tuning action's marker (``▼``) atop the graphs. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "device-history--title",
        "device-history--value",
        "device-history--dim",
        "device-history--throughput",
        "device-history--util",
        "device-history--mark",
    }

    DEFAULT_CSS = """
    DeviceHistory {
        height: 1fr;
        min-height: 4;
        & > .device-history--title { color: $text-muted; }
        & > .device-history--value { color: $foreground; text-style: bold; }
        & > .device-history--dim { color: $text-muted; }
        & > .device-history--throughput { color: $perftop-cyan; }
        & > .device-history--util { color: $perftop-yellow; }
        & > .device-history--mark { color: $perftop-magenta; text-style: bold; }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._device: str | None = None
        self._throughputs: Sequence[float | None] = ()
        self._utils: Sequence[float | None] = ()
        self._marks: Sequence[bool] = ()
        # Bumped on every change, to key the cache: a repaint draws every line from one layout.
        self._version = 0
        self._cache: tuple[tuple[int, int, int], list[Line]] | None = None

    @property
    def device(self) -> str | None:
        """The device drawn, ``None`` for none."""
        return self._device

    def show_device(
        self,
        device: str | None,
        throughputs: Sequence[float | None],
        utils: Sequence[float | None],
        marks: Sequence[bool] = (),
    ) -> None:
        """Draw these histories (oldest first; the sequences are read at paint time, not copied), with a
        marker where ``marks`` (aligned with the newest samples) says a tuning action was applied."""
        self._device, self._throughputs, self._utils, self._marks = device, throughputs, utils, marks
        self._version += 1
        self.refresh()

    def lines(self) -> list[Line]:
        """The lines at the current size."""
        width, height = self.size
        key = (self._version, width, height)
        if self._cache is None or self._cache[0] != key:
            self._cache = (
                key,
                history_lines(self._device, self._throughputs, self._utils, width, height, self._marks),
            )
        return self._cache[1]

    @property
    def text(self) -> str:
        """What the widget shows, as plain text."""
        return "\n".join("".join(t for t, _ in line) for line in self.lines())

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        lines = self.lines()
        if not 0 <= y < len(lines):
            return Strip.blank(width, base)
        segments = [
            Segment(text, self.get_component_rich_style(f"device-history--{role}") if text.strip() else base)
            for text, role in lines[y]
        ]
        return Strip(segments).crop(0, width).adjust_cell_length(width, base)


class IoPane(Widget):
    """Block devices as ``iostat -x`` shows them, with a throughput and %util history of the device under
    the cursor.

    `update_snapshot` records every device's history on every tick, shown or not (hidden rows too), and
    updates the table only while the pane is on screen. Partitions and loop/ram/zram devices that never did
    IO are left out until `show_all(True)`.

    | Class | Description |
    | :- | :- |
    | `io-pane--dim` | Unknown figures (``-``) and the caption under the table. |
    | `io-pane--warn` | %util from `WARN_UTIL_PERCENT` up. |

    The default colours map to distinct ANSI colours, so a 16-colour terminal keeps them apart.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"io-pane--dim", "io-pane--warn"}

    # Before the table's own ← →, which scroll a cell at a time.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "scroll_group(1)", "next columns", show=False, priority=True),
        Binding("left", "scroll_group(-1)", "previous columns", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    IoPane {
        height: 1fr;
        width: 1fr;
        layout: vertical;
        & > DataTable { height: auto; max-height: 60%; }
        & > #io-caption { height: 1; color: $text-muted; }
        & > .io-pane--dim { color: $text-muted; }
        & > .io-pane--warn { color: $perftop-warning; text-style: bold; }
    }
    """

    def __init__(
        self,
        maxlen: int = DEFAULT_MAXLEN,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._maxlen = maxlen
        self._disks: tuple[DiskStats, ...] | None = None
        self._show_all = False
        self._throughputs: dict[str, deque[float | None]] = {}
        #: Beside the histories: whether a tuning action was applied during each sample.
        self._marks: deque[bool] = deque(maxlen=maxlen)
        self._utils: dict[str, deque[float | None]] = {}
        # The cells each table row holds, to rewrite only those that changed.
        self._rows: dict[str, tuple[Piece, ...]] = {}
        # Set when data arrived while off screen, so the next Show brings the table up to date.
        self._stale = False

    def compose(self) -> ComposeResult:
        from textual.widgets import DataTable

        table: DataTable[Text] = DataTable(cursor_type="row", fixed_columns=1, id="io-devices")
        for column in COLUMNS:
            justify = "right" if column.right else "left"
            table.add_column(Text(column.title, justify=justify), width=column.cells, key=column.key)
        table.add_column(Text(""), width=0, key=PAD_KEY)
        yield table
        yield Static(Text(caption_text(None, False)), id="io-caption")
        yield DeviceHistory(id="io-history")

    @property
    def table(self) -> DataTable[Text]:
        """The device table (focus it to move the cursor)."""
        from textual.widgets import DataTable

        return self.query_one("#io-devices", DataTable)

    def focus(self, scroll_visible: bool = True) -> IoPane:
        """Focus the device table (the pane itself takes no focus)."""
        self.table.focus(scroll_visible)
        return self

    @property
    def maxlen(self) -> int:
        """Samples kept per device."""
        return self._maxlen

    @property
    def showing_all(self) -> bool:
        """True while partitions and idle virtual devices are listed."""
        return self._show_all

    @property
    def selected_device(self) -> str | None:
        """The device under the table's cursor, ``None`` when the table is empty."""
        table = self.table
        if table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), table.row_count - 1)
        return table.ordered_rows[row].key.value

    def throughput_history(self, device: str) -> tuple[float | None, ...]:
        """Read+write bytes/s of one device, oldest first; empty for a device never seen."""
        return tuple(self._throughputs.get(device, ()))

    def util_history(self, device: str) -> tuple[float | None, ...]:
        """%util of one device, oldest first; empty for a device never seen."""
        return tuple(self._utils.get(device, ()))

    def clear_history(self) -> None:
        """Forget the devices' histories (a replay's jump)."""
        self._throughputs.clear()
        self._utils.clear()
        self._marks.clear()
        self._changed()

    @property
    def marks(self) -> tuple[bool, ...]:
        """Whether a tuning action was applied during each sample, oldest first."""
        return tuple(self._marks)

    def update_snapshot(self, disks: tuple[DiskStats, ...], marked: bool = False) -> None:
        """Record one sample (call on every tick, shown or not), ``marked`` when a tuning action was
        applied during it; update the table only while on screen."""
        self._marks.append(marked)
        seen: set[str] = set()
        for disk in disks:
            seen.add(disk.name)
            if disk.name not in self._throughputs:
                self._throughputs[disk.name] = deque(maxlen=self._maxlen)
                self._utils[disk.name] = deque(maxlen=self._maxlen)
            self._throughputs[disk.name].append(throughput(disk))
            self._utils[disk.name].append(disk.util_percent)
        for name in list(self._throughputs):
            if name in seen:
                continue
            # A device missing from this sample keeps its place in time with a gap; once its whole
            # history is gaps it is forgotten (loop devices come and go).
            self._throughputs[name].append(None)
            self._utils[name].append(None)
            if not any(v is not None for v in self._throughputs[name]) and not any(
                v is not None for v in self._utils[name]
            ):
                del self._throughputs[name], self._utils[name]
        self._disks = disks
        self._changed()

    def show_all(self, show: bool) -> None:
        """List partitions and idle loop/ram/zram devices too (``True``), or hide them again."""
        if show == self._show_all:
            return
        self._show_all = show
        self._changed()

    def _changed(self) -> None:
        if self.is_on_screen:
            self._sync()
        else:
            self._stale = True

    def on_show(self) -> None:
        """Bring the table up to date with what arrived while the pane was hidden."""
        if self._stale:
            self._sync()

    def on_mount(self) -> None:
        # Samples may arrive before the first paint; apply them once the table exists.
        if self._disks is not None:
            self._sync()

    def action_scroll_group(self, step: int) -> None:
        """Scroll the table sideways by a group of columns (``step`` 1: right, -1: left)."""
        table = self.table
        widths = ((c.group, table.columns[c.key].get_render_width(table)) for c in COLUMNS[1:])
        view = table.scrollable_content_region.width - table.columns["device"].get_render_width(table)
        stops, room = group_stops(widths, view)
        # The blank last column makes the room for the last stop to be scrolled to; it is set here, where
        # it is needed, and changed only when the rows or the size changed what it must be.
        width = max(0, room - 2 * table.cell_padding)
        resized = table.columns[PAD_KEY].width != width
        if resized:
            table.remove_column(PAD_KEY)
            table.add_column(Text(""), width=width, key=PAD_KEY, default=Text(""))

        def scroll() -> None:
            table.scroll_to(x=group_scroll(stops, round(table.scroll_x), step), animate=False)

        if resized:
            table.call_after_refresh(scroll)  # once the table has measured its new width
        else:
            scroll()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_selected()

    def _cell(self, piece: Piece, column: IoColumn) -> Text:
        text, role = piece
        style = self.get_component_rich_style(f"io-pane--{role}") if role else ""
        return Text(text, style=style, justify="right" if column.right else "left", no_wrap=True)

    def _sync(self) -> None:
        """Make the table match the latest sample: drop, add and rewrite only what changed."""
        self._stale = False
        table = self.table
        disks = shown_devices(self._disks or (), self._show_all)
        wanted = {d.name for d in disks}
        selected = self.selected_device
        with self.app.batch_update():
            for name in [n for n in self._rows if n not in wanted]:
                table.remove_row(name)
                del self._rows[name]
            for disk in disks:
                cells = device_cells(disk)
                old = self._rows.get(disk.name)
                if old is None:
                    row = (self._cell(cell, column) for cell, column in zip(cells, COLUMNS, strict=True))
                    table.add_row(*row, Text(""), key=disk.name)
                else:
                    for column, new, before in zip(COLUMNS, cells, old, strict=True):
                        if new != before:
                            table.update_cell(disk.name, column.key, self._cell(new, column))
                self._rows[disk.name] = cells
            order = {d.name: i for i, d in enumerate(disks)}
            if [row.key.value for row in table.ordered_rows] != list(order):
                # New devices were appended; put them in the kernel's order.
                table.sort("device", key=lambda cell: order[cell.plain])
            if selected is not None and selected in self._rows:
                index = table.get_row_index(selected)
                if index != table.cursor_row:
                    table.move_cursor(row=index, animate=False)
            self.query_one("#io-caption", Static).update(Text(caption_text(self._disks, self._show_all)))
        self._show_selected()

    def _show_selected(self) -> None:
        device = self.selected_device
        graph = self.query_one("#io-history", DeviceHistory)
        throughputs, utils = self._throughputs.get(device or "", ()), self._utils.get(device or "", ())
        graph.show_device(device, throughputs, utils, self._marks)

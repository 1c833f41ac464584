"""The memory pane: where memory goes (``free`` plus slab, dirty and writeback), swap, huge pages and THP,
paging per second grouped as ``sar -B`` and ``sar -W`` show it, and histories of memory pressure (PSI),
major faults, reclaim scanning and swapping.

Every line is built by pure functions as ``(text, role)`` pieces, so the layout is testable without a
terminal; :class:`MemoryPane` keeps the histories on every sample and draws only while shown. Wide panes
put the memory and paging blocks side by side.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import floor
from typing import ClassVar

from perftop.probes.snapshot import MemorySnapshot, Pressure, Snapshot
from perftop.widgets.formatting import (
    SPARK_ZERO,
    UNKNOWN,
    format_bytes,
    format_bytes_per_s,
    format_count,
    format_share,
    sparkline,
)
from perftop.widgets.line_pane import Line, LinePane, fit, merge
from perftop.widgets.load_history import braille_graph
from perftop.widgets.marks import marked_cells, with_marks
from perftop.widgets.summary import Piece, plain

#: Samples kept per history: five minutes at the default one-second interval.
DEFAULT_MAXLEN = 300

#: Roles a piece may have; each is the component class ``memory-pane--<role>``. ``""`` is the base style.
ROLES: tuple[str, ...] = (
    "title",
    "label",
    "value",
    "dim",
    "warn",
    "spark",
    "bracket",
    "mem-used",
    "mem-buffers",
    "mem-cache",
    "swap-used",
    "shadow",
    "mark",
)

#: Memory PSI ``some`` avg10 from here up, and ``full`` avg10 from here up, are drawn as warnings: tasks
#: lose that share of their time waiting for memory.
WARN_PSI_SOME = 10.0
WARN_PSI_FULL = 1.0

#: Cells of a caption at the start of a line, of a figure, and of the memory bar at its narrowest.
LABEL_CELLS = 11
VALUE_CELLS = 7
MIN_BAR_CELLS = 12
MAX_BAR_CELLS = 40
#: Below this width the pane stacks its blocks; from it up, memory and paging stand side by side.
SIDE_BY_SIDE_CELLS = 150
#: Columns between two blocks side by side.
GAP_CELLS = 3
#: Cells of a history's caption, and of its figures (now, peak) after the sparkline.
HISTORY_LABEL_CELLS = 16
HISTORY_FIGURE_CELLS = 20
MIN_SPARK_CELLS = 10
#: Most lines a history takes (its caption and graph) however tall the pane.
MAX_HISTORY_ROWS = 12


# ---------------------------------------------------------------------------------------------------------
# Pieces (pure)
# ---------------------------------------------------------------------------------------------------------


def _label(text: str, cells: int = LABEL_CELLS) -> Piece:
    return (fit(" " + text, cells), "label")


def _bytes(value: int | None) -> Piece:
    text = format_bytes(value)
    return (text, "dim" if text == UNKNOWN else "value")


def _rate(value: float | None, warn: bool = False) -> Piece:
    text = format_count(value)
    if text == UNKNOWN:
        return (text, "dim")
    return (text, "warn" if warn and value else "value")


def _kib_rate(value: float | None) -> Piece:
    # pgpgin and pgpgout count KiB.
    text = format_bytes_per_s(None if value is None else value * 1024)
    return (text, "dim" if text == UNKNOWN else "value")


def _count(value: int | None) -> Piece:
    return (UNKNOWN, "dim") if value is None else (str(value), "value")


def _text(value: str | None) -> Piece:
    # A settings file's word (madvise): letters and brackets from the kernel, shown as plain text.
    return (UNKNOWN, "dim") if not value else (value, "value")


def _percent_of(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return part / whole * 100.0


def usage_bar(memory: MemorySnapshot, cells: int) -> list[Piece]:
    """``[|||||||||    ]`` in ``cells`` cells: used memory, then buffers, then page cache, of the total, as
    htop's Mem meter draws them (each in its own colour; without colour the bar reads by its fill)."""
    inner = max(0, cells - 2)
    total = memory.total_bytes
    parts = (
        (memory.used_bytes, "mem-used"),
        (memory.buffers_bytes, "mem-buffers"),
        (memory.cached_bytes, "mem-cache"),
    )
    pieces: list[Piece] = [("[", "bracket")]
    drawn = 0
    if total is not None and total > 0:
        running = 0
        for value, role in parts:
            if value is None:
                continue
            running += value
            # Each part ends where the running total falls, so rounding never adds up past the bar.
            end = max(drawn, min(inner, floor(running / total * inner + 0.5)))
            pieces.append(("|" * (end - drawn), role))
            drawn = end
    pieces += [(" " * (inner - drawn), "shadow"), ("]", "bracket")]
    return merge(pieces)


def swap_bar(memory: MemorySnapshot, cells: int) -> list[Piece]:
    """``[||     ]`` of swap in use, in ``cells`` cells."""
    inner = max(0, cells - 2)
    share = _percent_of(memory.swap_used_bytes, memory.swap_total_bytes)
    filled = 0 if share is None else max(0, min(inner, floor(share / 100.0 * inner + 0.5)))
    if share and not filled and inner:
        filled = 1  # a little swap in use still shows
    return merge(
        [("[", "bracket"), ("|" * filled, "swap-used"), (" " * (inner - filled), "shadow"), ("]", "bracket")]
    )


# ---------------------------------------------------------------------------------------------------------
# Blocks (pure)
# ---------------------------------------------------------------------------------------------------------


def _pairs(*pairs: tuple[str, Piece]) -> list[Piece]:
    """``caption value`` pairs after a line's label, two spaces apart."""
    out: list[Piece] = []
    for caption, value in pairs:
        out += [("  ", ""), (caption + " ", "label"), value]
    return out


def _lead(label: str, text: str) -> list[Piece]:
    """A line's caption and its main figure, right-aligned under the others."""
    return [_label(label), (fit(text, VALUE_CELLS - 1, True), "dim" if text == UNKNOWN else "value")]


def _line(*parts: Piece | list[Piece]) -> Line:
    pieces: list[Piece] = []
    for part in parts:
        pieces.extend(part if isinstance(part, list) else [part])
    return tuple(merge(pieces))


def memory_lines(memory: MemorySnapshot, width: int) -> list[Line]:
    """Where memory goes: ``free``'s figures with a bar, the kernel's parts (slab, dirty, writeback, anon,
    mapped, page tables, commit), swap, huge pages and THP."""
    m = memory
    # The bar takes what the used line leaves: its share, then available and free (about 32 cells).
    bar_cells = max(MIN_BAR_CELLS, min(MAX_BAR_CELLS, width - LABEL_CELLS - VALUE_CELLS - 40))
    used_share = _percent_of(m.used_bytes, m.total_bytes)
    swap_share = _percent_of(m.swap_used_bytes, m.swap_total_bytes)
    if m.swap_total_bytes == 0:
        swap: list[Piece] = [("  no swap", "dim")]
    else:
        swap = [
            (" ", ""),
            *swap_bar(m, MIN_BAR_CELLS),
            (" ", ""),
            (format_share(swap_share), "dim" if swap_share is None else "value"),
            *_pairs(("of", _bytes(m.swap_total_bytes)), ("cached", _bytes(m.swap_cached_bytes))),
        ]
    slab = _sum(m.slab_reclaimable_bytes, m.slab_unreclaimable_bytes)
    return [
        (("MEMORY total ", "title"), (format_bytes(m.total_bytes), "title")),
        _line(
            _lead("used", format_bytes(m.used_bytes)),
            (" ", ""),
            usage_bar(m, bar_cells),
            (" ", ""),
            (fit(format_share(used_share), 5, True), "dim" if used_share is None else "value"),
            _pairs(("available", _bytes(m.available_bytes)), ("free", _bytes(m.free_bytes))),
        ),
        _line(
            _lead("buff/cache", format_bytes(_sum(m.buffers_bytes, m.cached_bytes))),
            _pairs(("buffers", _bytes(m.buffers_bytes)), ("cache+slab", _bytes(m.cached_bytes))),
        ),
        _line(
            _lead("slab", format_bytes(slab)),
            _pairs(
                ("reclaimable", _bytes(m.slab_reclaimable_bytes)),
                ("unreclaimable", _bytes(m.slab_unreclaimable_bytes)),
            ),
        ),
        _line(
            _lead("dirty", format_bytes(m.dirty_bytes)),
            _pairs(("writeback", _bytes(m.writeback_bytes)), ("shared", _bytes(m.shared_bytes))),
        ),
        _line(
            _lead("anon", format_bytes(m.anon_bytes)),
            _pairs(
                ("mapped", _bytes(m.mapped_bytes)),
                ("page tables", _bytes(m.page_tables_bytes)),
                ("stacks", _bytes(m.kernel_stack_bytes)),
            ),
        ),
        _line(
            _lead("committed", format_bytes(m.committed_as_bytes)),
            _pairs(("limit", _bytes(m.commit_limit_bytes))),
        ),
        _line(_lead("swap used", format_bytes(m.swap_used_bytes)), swap),
        _line(
            _lead("huge pages", UNKNOWN if m.hugepages_total is None else str(m.hugepages_total)),
            _pairs(
                ("free", _count(m.hugepages_free)),
                ("rsvd", _count(m.hugepages_rsvd)),
                ("surp", _count(m.hugepages_surp)),
                ("size", _bytes(m.hugepage_size_bytes)),
            ),
        ),
        _line(
            _label("THP"),
            _pairs(
                ("enabled", _text(m.thp_enabled)),
                ("defrag", _text(m.thp_defrag)),
                ("in use", _bytes(m.anon_huge_pages_bytes)),
            )[1:],
        ),
    ]


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def paging_lines(memory: MemorySnapshot) -> list[Line]:
    """The paging rates, per second, grouped: faults, paging and swapping, reclaim (kswapd against direct
    reclaim, which stalls the allocating task), stalls and OOM kills, THP."""
    m = memory
    vmeff = (format_share(m.vmeff_percent), "dim" if m.vmeff_percent is None else "value")
    rows: list[tuple[str, list[Piece]]] = [
        (
            "faults",
            _pairs(("all", _rate(m.pgfault_per_s)), ("major", _rate(m.pgmajfault_per_s)))
            + _pairs(("freed", _rate(m.pgfree_per_s))),
        ),
        (
            "paged",
            _pairs(("in", _kib_rate(m.pgpgin_per_s)), ("out", _kib_rate(m.pgpgout_per_s)))
            + _pairs(("swapped in", _rate(m.pswpin_per_s)), ("out", _rate(m.pswpout_per_s))),
        ),
        (
            "scanned",
            _pairs(
                ("kswapd", _rate(m.pgscan_kswapd_per_s)), ("direct", _rate(m.pgscan_direct_per_s, warn=True))
            ),
        ),
        (
            "stolen",
            _pairs(
                ("kswapd", _rate(m.pgsteal_kswapd_per_s)),
                ("direct", _rate(m.pgsteal_direct_per_s, warn=True)),
                ("vmeff", vmeff),
            ),
        ),
        (
            "stalls",
            _pairs(
                ("alloc", _rate(m.allocstall_per_s, warn=True)),
                ("compact", _rate(m.compact_stall_per_s, warn=True)),
            )
            + _pairs(("OOM kills", _rate(m.oom_kill_per_s, warn=True)), ("since boot", _count(m.oom_kill))),
        ),
        (
            "THP",
            _pairs(
                ("faults", _rate(m.thp_fault_alloc_per_s)), ("fallback", _rate(m.thp_fault_fallback_per_s))
            )
            + _pairs(
                ("collapses", _rate(m.thp_collapse_alloc_per_s)),
                ("failed", _rate(m.thp_collapse_alloc_failed_per_s)),
            ),
        ),
    ]
    lines: list[Line] = [(("PAGING per second (sar -B, sar -W); swapping in pages", "title"),)]
    lines += [tuple(merge([_label(label), *pieces])) for label, pieces in rows]
    return lines


@dataclass(frozen=True, slots=True)
class History:
    """One history the pane draws: its caption, how a sample is taken, how its figures are written, and
    whether a figure is a warning."""

    key: str
    caption: str
    sample: Callable[[Snapshot], float | None]
    text: Callable[[float | None], str]
    warn: Callable[[float], bool] = lambda value: False
    #: The least top of the sparkline's scale (a flat line of small values stays low).
    floor: float = 0.0


def _pressure(snapshot: Snapshot) -> Pressure | None:
    pressure = snapshot.cpu.pressure
    return None if pressure is None else pressure.get("memory")


def _some(snapshot: Snapshot) -> float | None:
    entry = _pressure(snapshot)
    return None if entry is None else entry.some_avg10


def _full(snapshot: Snapshot) -> float | None:
    entry = _pressure(snapshot)
    return None if entry is None else entry.full_avg10


def _psi_text(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.2f}%"


#: The histories, in drawing order. Each reads what every sample holds (memory PSI comes with the CPU
#: figures; the vmstat counters behind the others are read while the pane is hidden too).
HISTORIES: tuple[History, ...] = (
    History("psi_some", "PSI some avg10", _some, _psi_text, lambda v: v >= WARN_PSI_SOME, floor=1.0),
    History("psi_full", "PSI full avg10", _full, _psi_text, lambda v: v >= WARN_PSI_FULL, floor=1.0),
    History("majflt", "major faults/s", lambda s: s.memory.pgmajfault_per_s, format_count),
    History("pgscan", "scanned pages/s", lambda s: s.memory.pgscan_per_s, format_count),
    History("pswp", "swap in+out/s", lambda s: s.memory.pswp_per_s, format_count),
)


def history_block(
    history: History, samples: Sequence[float | None], width: int, rows: int, marks: Sequence[bool] = ()
) -> list[Line]:
    """One history on its own scale (its peak over what is drawn, printed with the newest figure): a
    sparkline after its caption when ``rows`` is below 3 or ``width`` is small, else a caption line and a
    braille graph ``rows - 1`` lines high across ``width``, two samples a cell. ``marks``: the samples
    during which a tuning action was applied, drawn as markers (atop a graph, in a sparkline)."""
    tall = rows >= 3 and width - 2 >= MIN_SPARK_CELLS
    cells = width - 2 if tall else width - HISTORY_LABEL_CELLS - HISTORY_FIGURE_CELLS - 2
    if cells < MIN_SPARK_CELLS:
        cells = 0
    drawn = cells * (2 if tall else 1)
    shown = list(samples)[-drawn:] if drawn else []
    peak = max((v for v in shown if v is not None), default=None)
    newest = samples[-1] if samples else None
    scale = max(history.floor, peak or 0.0)
    now_text = history.text(newest)
    warn = newest is not None and history.warn(newest)
    now: Piece = (fit(now_text, 8, True), "dim" if now_text == UNKNOWN else "warn" if warn else "value")
    peak_text = "peak " + (history.text(peak) if peak is not None else UNKNOWN)
    caption = _label(history.caption, HISTORY_LABEL_CELLS)
    if tall:
        lines: list[Line] = [tuple(merge([caption, now, ("  " + peak_text, "dim")]))]
        scaled = [None if v is None else (v / scale * 100.0 if scale > 0 else 0.0) for v in shown]
        graph = braille_graph(scaled, cells, rows - 1)
        marked = marked_cells(marks, cells, 2)
        return lines + [
            (("  ", ""), *with_marks([(row, "spark")], marked if y == 0 else frozenset()))
            for y, row in enumerate(graph)
        ]
    pieces: list[Piece] = [caption]
    if cells:
        spark = with_marks(_spark_pieces(samples, cells, scale), marked_cells(marks, cells))
        pieces += [(" ", ""), *spark, (" ", "")]
    pieces += [now, (fit(peak_text, HISTORY_FIGURE_CELLS - 8, True), "dim")]
    return [tuple(merge(pieces))]


def history_lines(
    histories: Mapping[str, Sequence[float | None]],
    width: int,
    interval: float | None,
    rows: int = 1,
    columns: int = 1,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """Every :data:`HISTORIES` entry (see :func:`history_block`), each ``rows`` lines high, in ``columns``
    side by side, under a title saying how long a span they show."""
    cells = (width - GAP_CELLS * (columns - 1)) // columns
    blocks = [history_block(h, histories.get(h.key, ()), cells, rows, marks) for h in HISTORIES]
    tall = len(blocks[0]) > 1
    drawn = (cells - 2) * 2 if tall else cells - HISTORY_LABEL_CELLS - HISTORY_FIGURE_CELLS - 2
    span = "" if interval is None or drawn < MIN_SPARK_CELLS else f" last {format_seconds(drawn * interval)}"
    lines: list[Line] = [(("HISTORY", "title"), (span, "title"), ("  memory pressure and paging", "title"))]
    for first in range(0, len(blocks), columns):
        row = blocks[first]
        for block in blocks[first + 1 : first + columns]:
            row = side_by_side(row, block, cells)
        lines += row
    return lines


def format_seconds(seconds: float) -> str:
    """A span of history in words: ``45 s``, ``5 min``, ``2.5 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _spark_pieces(samples: Sequence[float | None], cells: int, scale: float) -> list[Piece]:
    return merge(
        (char, "dim" if char == SPARK_ZERO else "spark") for char in sparkline(samples, cells, scale)
    )


def side_by_side(left: Sequence[Line], right: Sequence[Line], left_cells: int) -> list[Line]:
    """Two blocks as one: each line of ``left`` padded to ``left_cells``, then the line of ``right``."""
    out: list[Line] = []
    for index in range(max(len(left), len(right))):
        first = left[index] if index < len(left) else ()
        second = right[index] if index < len(right) else ()
        pad = max(0, left_cells - len(plain(first)))
        out.append(tuple(merge([*first, (" " * (pad + GAP_CELLS), ""), *second])))
    return out


def pane_lines(
    snapshot: Snapshot | None,
    histories: Mapping[str, Sequence[float | None]],
    width: int,
    height: int = 0,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """Every line of the pane at ``width`` by ``height`` cells: the histories take the height the blocks
    leave (graphs of several lines when each gets three or more, else sparklines)."""
    if snapshot is None:
        return [(("waiting for the first memory sample", "dim"),)]
    memory = snapshot.memory
    columns = 2 if width >= SIDE_BY_SIDE_CELLS else 1
    if columns == 2:
        left_cells = (width - GAP_CELLS) // 2
        body = side_by_side(memory_lines(memory, left_cells), paging_lines(memory), left_cells)
    else:
        body = memory_lines(memory, width) + paging_lines(memory)
    rows = max(1, min(MAX_HISTORY_ROWS, (height - len(body) - 1) // -(-len(HISTORIES) // columns)))
    return body + history_lines(histories, width, snapshot.interval, rows, columns, marks)


# ---------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------


class MemoryPane(LinePane):
    """Memory and paging: ``free``'s figures and the kernel's parts, swap, huge pages, THP, the paging rates
    of ``sar -B`` and ``sar -W``, and histories of memory PSI, major faults, scanning and swapping.

    `update_snapshot` records the histories on every tick, shown or not; the pane computes and draws its
    lines only while on screen. Each sparkline has its own scale, its peak printed after it; a zero sample
    is a dim ``·`` and an unknown one a blank.

    | Class | Description |
    | :- | :- |
    | `memory-pane--title` | Section captions. |
    | `memory-pane--label` | Captions inside lines. |
    | `memory-pane--value` | Figures. |
    | `memory-pane--dim` | Unknown values, units, peaks, zero sparkline samples. |
    | `memory-pane--warn` | Direct reclaim, stalls, OOM kills, high memory pressure. |
    | `memory-pane--spark` | Sparkline cells. |
    | `memory-pane--bracket` | The ``[`` and ``]`` of bars. |
    | `memory-pane--mem-used` | Used memory in the bar. |
    | `memory-pane--mem-buffers` | Buffers in the bar. |
    | `memory-pane--mem-cache` | Page cache and reclaimable slab in the bar. |
    | `memory-pane--swap-used` | Swap in use in its bar. |
    | `memory-pane--shadow` | The empty part of bars. |
    | `memory-pane--mark` | A tuning action's marker (``▼``) in the histories. |
    """

    ROLE_PREFIX = "memory-pane"
    ROLES = ROLES
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"memory-pane--{role}" for role in ROLES}

    DEFAULT_CSS = """
    MemoryPane {
        height: 1fr;
        width: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .memory-pane--title { background: $panel; color: $foreground; text-style: bold; }
        & > .memory-pane--label { color: $perftop-cyan; }
        & > .memory-pane--value { color: $foreground; }
        & > .memory-pane--dim { color: $text-muted; }
        & > .memory-pane--warn { color: $perftop-warning; text-style: bold; }
        & > .memory-pane--spark { color: $perftop-yellow; }
        & > .memory-pane--bracket { color: $foreground; text-style: bold; }
        & > .memory-pane--mem-used { color: $perftop-green; }
        & > .memory-pane--mem-buffers { color: $perftop-blue; }
        & > .memory-pane--mem-cache { color: $perftop-yellow; }
        & > .memory-pane--swap-used { color: $perftop-warning; }
        & > .memory-pane--shadow { color: $text-muted; }
        & > .memory-pane--mark { color: $perftop-magenta; text-style: bold; }
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
        self._snapshot: Snapshot | None = None
        self._histories: dict[str, deque[float | None]] = {h.key: deque(maxlen=maxlen) for h in HISTORIES}
        #: Beside the histories: whether a tuning action was applied during each sample.
        self._marks: deque[bool] = deque(maxlen=maxlen)
        #: The lines of the last size drawn, with that size.
        self._sized: tuple[tuple[int, int], list[Line]] | None = None

    @property
    def maxlen(self) -> int:
        """Samples kept per history."""
        return self._maxlen

    def history(self, key: str) -> tuple[float | None, ...]:
        """One history (a :data:`HISTORIES` key), oldest first."""
        return tuple(self._histories[key])

    def clear_history(self) -> None:
        """Forget the histories (a replay's jump)."""
        for history in self._histories.values():
            history.clear()
        self._marks.clear()
        self.changed()

    @property
    def marks(self) -> tuple[bool, ...]:
        """Whether a tuning action was applied during each sample, oldest first."""
        return tuple(self._marks)

    def record(self, snapshot: Snapshot, marked: bool = False) -> None:
        """Record one sample (call on every tick, shown or not), ``marked`` when a tuning action was
        applied during it; redraw only while on screen."""
        self._marks.append(marked)
        for history in HISTORIES:
            self._histories[history.key].append(history.sample(snapshot))
        self._snapshot = snapshot
        self.changed()

    def lines_for(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells and the pane's height (cached until the data or the size
        change): the histories grow into the height the pane has."""
        height = self.scrollable_size.height
        if self._sized is None or self._sized[0] != (width, height) or self._lines is None:
            self._sized = (
                (width, height),
                pane_lines(self._snapshot, self._histories, width, height, self._marks),
            )
            self._lines = (width, self._sized[1])
        return self._sized[1]

    def build_lines(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells and the pane's height."""
        return self.lines_for(width)

"""The NUMA pane: per-node memory and allocation counters with a miss-rate history, the distance matrix,
the ``numa_balancing`` state, and where the selected process's memory lives (the ``numastat -p`` view).

Everything is drawn as lines of ``(text, role)`` pieces built by pure functions, so the layout is
testable without a terminal; :class:`NumaPane` only keeps the history and paints the lines it is
scrolled to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from math import floor
from typing import ClassVar

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.snapshot import NumaNode, NumaSnapshot, ProcessNuma
from perftop.widgets.formatting import (
    SPARK_ZERO,
    UNKNOWN,
    format_bytes,
    format_count,
    format_ratio,
    format_share,
    sparkline,
)
from perftop.widgets.line_pane import Line, LinePane, figure, fit, merge
from perftop.widgets.marks import marked_cells, with_marks
from perftop.widgets.safe_text import printable
from perftop.widgets.series import record
from perftop.widgets.summary import Piece

#: Miss-rate samples kept per node: two minutes at the default one-second interval.
DEFAULT_MAXLEN = 120

#: ``/proc/sys/kernel/numa_balancing`` values (a bit mask since Linux 6.0).
BALANCING_MODES: dict[int, str] = {0: "off", 1: "normal", 2: "memory tiering", 3: "normal + memory tiering"}

#: Miss ratios from here up are drawn in the warning colour. Local allocation is the kernel's default
#: policy, so on an unpinned workload a few percent of misses already means some node ran short of free pages.
WARN_MISS_RATIO = 0.05

#: Cell widths of the node table.
RATE_CELLS = 9
RATIO_CELLS = 6
BAR_CELLS = 22
MIN_SPARK_CELLS = 8
MAX_CPUS_CELLS = 15
#: Widest share bar in the process block.
MAX_SHARE_CELLS = 30

#: ``(field of NumaNode, column title)`` of the per-second counters, in the kernel's order.
RATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("numa_hit_per_s", "HIT/S"),
    ("numa_miss_per_s", "MISS/S"),
    ("numa_foreign_per_s", "FOREIGN/S"),
    ("interleave_hit_per_s", "INTLV/S"),
    ("local_node_per_s", "LOCAL/S"),
    ("other_node_per_s", "OTHER/S"),
)

#: Roles a piece may have; each is the component class ``numa-pane--<role>``. ``""`` is the base style.
ROLES: tuple[str, ...] = (
    "title",
    "label",
    "value",
    "dim",
    "bracket",
    "mem-used",
    "mem-cache",
    "shadow",
    "spark",
    "warn",
    "mark",
)


# ---------------------------------------------------------------------------------------------------------
# Formatting (pure)
# ---------------------------------------------------------------------------------------------------------


def balancing_text(value: int | None) -> str:
    """The ``numa_balancing`` state in words, with the sysctl value: ``normal (1)``; ``-`` when unknown."""
    if value is None:
        return UNKNOWN
    mode = BALANCING_MODES.get(value)
    return f"{mode} ({value})" if mode is not None else f"unknown mode ({value})"


def cpus_text(cpus: tuple[int, ...] | None) -> str:
    """A node's CPUs in list form; ``none`` for a node without CPUs, ``-`` when unknown."""
    if cpus is None:
        return UNKNOWN
    return format_cpu_list(cpus) if cpus else "none"


def remote_percent(placement: ProcessNuma | None, cpu_node: int | None) -> float | None:
    """Percent of a process's resident bytes on nodes other than ``cpu_node``, the node it runs on.

    ``None`` when the placement or the node is unknown, or the process has no resident pages.
    """
    return None if placement is None else placement.remote_percent(cpu_node)


def shared_scale(histories: Iterable[Sequence[float | None]], cells: int) -> float:
    """The largest sample in the last ``cells`` of every history: one scale, so heights compare across
    nodes (the question the graph answers is *which* node misses). ``0`` when nothing was missed."""
    if cells <= 0:
        return 0.0
    return max((v for h in histories for v in list(h)[-cells:] if v is not None), default=0.0)


def memory_bar(used: int | None, cache: int | None, total: int | None, cells: int) -> list[Piece]:
    """``[|||||    3.2G/15.6G]`` in ``cells`` cells: ``used`` of ``total`` as ``|``, the page ``cache`` it
    includes drawn apart at its end, the figures right-aligned over it (taking the colour of the part
    beneath, as htop does). Figures that do not fit are left out."""
    inner = max(0, cells - 2)
    text = f"{format_bytes(used)}/{format_bytes(total)}"
    filled = cached = 0
    if used is not None and total is not None and total > 0:
        filled = max(0, min(inner, floor(used / total * inner + 0.5)))
        if cache is not None:
            cached = max(0, min(filled, floor(min(cache, used) / total * inner + 0.5)))
    if len(text) > inner:
        text = ""
    start = inner - len(text)
    pieces: list[Piece] = [("[", "bracket")]
    for i in range(inner):
        char = text[i - start] if i >= start else ("|" if i < filled else " ")
        role = "shadow" if i >= filled else "mem-cache" if i >= filled - cached else "mem-used"
        pieces.append((char, role))
    pieces.append(("]", "bracket"))
    return merge(pieces)


def _ratio_piece(ratio: float | None) -> Piece:
    warn = ratio is not None and ratio >= WARN_MISS_RATIO
    return figure(format_ratio(ratio), RATIO_CELLS, "warn" if warn else "value")


# ---------------------------------------------------------------------------------------------------------
# Sections (pure)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessView:
    """The process whose placement the pane shows; ``pid`` is ``None`` when none is selected."""

    pid: int | None = None
    comm: str | None = None
    placement: ProcessNuma | None = None
    cpu_node: int | None = None
    #: What the pane says when ``placement`` is None (a replay: not recorded).
    missing: str = "memory placement not readable"


def node_lines(
    nodes: Sequence[NumaNode],
    histories: Mapping[int, Sequence[float | None]],
    width: int,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """The node table: one line per node when ``width`` holds every column, else two tables (memory,
    miss ratios and history; then the per-second counters), each with a line per node. ``marks``: the
    samples during which a tuning action was applied (see :mod:`perftop.widgets.marks`), aligned with the
    newest samples."""
    if not nodes:
        return [(("no NUMA nodes reported", "dim"),)]
    node_cells = max(4, *(len(str(n.node)) for n in nodes))
    cpu_cells = min(MAX_CPUS_CELLS, max(4, *(len(cpus_text(n.cpus)) for n in nodes)))
    fixed = node_cells + 1 + cpu_cells + 1 + BAR_CELLS + 2 * (1 + RATIO_CELLS) + 1
    rates = len(RATE_COLUMNS) * (RATE_CELLS + 1)
    wide = width >= fixed + rates + MIN_SPARK_CELLS
    spark_cells = width - fixed - (rates if wide else 0)
    if spark_cells < MIN_SPARK_CELLS:
        spark_cells = 0
    scale = shared_scale((histories.get(n.node, ()) for n in nodes), spark_cells)
    marked = marked_cells(marks, spark_cells)

    header = [
        fit("NODE", node_cells, True),
        fit("CPUS", cpu_cells, False),
        fit("MEM used+cache/total", BAR_CELLS, False),
    ]
    if wide:
        header += [fit(title, RATE_CELLS, True) for _, title in RATE_COLUMNS]
    header += [fit("MISS%", RATIO_CELLS, True), fit("BOOT%", RATIO_CELLS, True)]
    if spark_cells:
        header.append(fit(f"MISS/S HISTORY 0-{format_count(scale)}", spark_cells, False))
    lines: list[Line] = [((" ".join(header), "title"),)]
    for node in nodes:
        pieces: list[Piece] = [
            (fit(str(node.node), node_cells, True), "label"),
            (" ", ""),
            (fit(cpus_text(node.cpus), cpu_cells, False), "dim" if node.cpus is None else "value"),
            (" ", ""),
            *memory_bar(node.mem_used_bytes, node.file_pages_bytes, node.mem_total_bytes, BAR_CELLS),
        ]
        if wide:
            for field, _ in RATE_COLUMNS:
                pieces += [(" ", ""), figure(format_count(getattr(node, field)), RATE_CELLS)]
        pieces += [
            (" ", ""),
            _ratio_piece(node.miss_ratio),
            (" ", ""),
            _ratio_piece(node.miss_ratio_since_boot),
        ]
        if spark_cells:
            spark = _spark_pieces(histories.get(node.node, ()), spark_cells, scale)
            pieces += [(" ", ""), *with_marks(spark, marked)]
        lines.append(tuple(merge(pieces)))
    lines.append((("MISS% miss/(hit+miss) last interval, BOOT% since boot; rates in pages/s", "dim"),))
    # The kernel's MemUsed of a node is MemTotal - MemFree: unlike free(1)'s used, it holds the page cache.
    lines.append((("MEM the node's MemUsed: page cache included (the overview's Mem leaves it out)", "dim"),))
    if wide:
        return lines

    lines.append(())
    titles = [fit("NODE", node_cells, True)] + [fit(title, RATE_CELLS, True) for _, title in RATE_COLUMNS]
    lines.append(((" ".join(titles), "title"),))
    for node in nodes:
        pieces = [(fit(str(node.node), node_cells, True), "label")]
        for field, _ in RATE_COLUMNS:
            pieces += [(" ", ""), figure(format_count(getattr(node, field)), RATE_CELLS)]
        lines.append(tuple(merge(pieces)))
    return lines


def _spark_pieces(samples: Sequence[float | None], cells: int, scale: float) -> list[Piece]:
    return merge(
        (char, "dim" if char == SPARK_ZERO else "spark") for char in sparkline(samples, cells, scale)
    )


def distance_lines(numa: NumaSnapshot) -> list[Line]:
    """The distance matrix, a row per node (``from``) and a column per node (``to``); a node without a
    readable ``distance`` file prints ``-`` across its row. The diagonal (a node to itself) is dimmed."""
    if numa.distances is None:
        return [(("DISTANCE", "title"), ("  -", "dim"), ("  no node has a readable distance file", "dim"))]
    columns = max((len(row) for row in numa.distances if row is not None), default=0)
    numbers = [n.node for n in numa.nodes]
    # Columns are the online nodes in order; if the files disagree with the node list, number by index.
    to_nodes = numbers if columns == len(numbers) else list(range(columns))
    widest = max((len(str(v)) for row in numa.distances if row is not None for v in row), default=1)
    cells = max(3, widest, *(len(str(n)) for n in to_nodes)) + 1
    label_cells = max(len("DISTANCE"), *(len(f"node {n}") for n in numbers))
    header = fit("DISTANCE", label_cells, False) + "".join(fit(str(n), cells, True) for n in to_nodes)
    lines: list[Line] = [((header, "title"),)]
    for node, row in zip(numa.nodes, numa.distances, strict=False):
        pieces: list[Piece] = [(fit(f"node {node.node}", label_cells, False), "label")]
        if row is None:
            pieces += [(fit(UNKNOWN, cells, True), "dim") for _ in to_nodes]
        else:
            for column, value in enumerate(row):
                own = column < len(to_nodes) and to_nodes[column] == node.node
                pieces.append((fit(str(value), cells, True), "dim" if own else "value"))
        lines.append(tuple(merge(pieces)))
    return lines


def balancing_line(value: int | None) -> Line:
    """``NUMA balancing  normal (1)``."""
    return (("NUMA balancing  ", "label"), (balancing_text(value), "dim" if value is None else "value"))


def process_lines(view: ProcessView, nodes: Sequence[NumaNode], width: int) -> list[Line]:
    """The ``numastat -p`` view: where the process runs, the nodes it may allocate from, its remote
    share, and its resident bytes on each node with a share bar."""
    if view.pid is None:
        return [(("PROCESS", "title"),), (("  no process selected", "dim"),)]
    # The name goes out as plain text in a piece, never through markup, with control characters masked.
    comm = UNKNOWN if view.comm is None else printable(view.comm)
    lines: list[Line] = [(("PROCESS ", "title"), (f"{view.pid} {comm}", "title"))]
    placement = view.placement
    node_text = UNKNOWN if view.cpu_node is None else str(view.cpu_node)
    where: list[Piece] = [
        ("  runs on node ", "label"),
        (node_text, "dim" if view.cpu_node is None else "value"),
    ]
    if placement is None:
        lines.append(tuple(merge([*where, (f"   {view.missing}", "dim")])))
        return lines
    allowed = UNKNOWN if placement.mems_allowed is None else format_cpu_list(placement.mems_allowed)
    remote = remote_percent(placement, view.cpu_node)
    where += [
        ("   mems allowed ", "label"),
        (allowed, "dim" if allowed == UNKNOWN else "value"),
        ("   remote ", "label"),
        (format_share(remote), "dim" if remote is None else "value"),
        ("   resident ", "label"),
        (format_bytes(placement.total_bytes), "value"),
    ]
    lines.append(tuple(merge(where)))
    shown = sorted({n.node for n in nodes} | set(placement.node_bytes))
    node_cells = max(4, *(len(str(n)) for n in shown)) if shown else 4
    lines.append(((f"  {fit('NODE', node_cells, True)}  {'BYTES':>6}  {'SHARE':>6}", "title"),))
    bar_cells = max(0, min(MAX_SHARE_CELLS, width - (2 + node_cells + 2 + 6 + 2 + 6 + 2 + len(" local"))))
    for node in shown:
        size = placement.node_bytes.get(node, 0)
        share = size / placement.total_bytes * 100.0 if placement.total_bytes > 0 else None
        pieces: list[Piece] = [
            ("  ", ""),
            (fit(str(node), node_cells, True), "label"),
            ("  ", ""),
            (f"{format_bytes(size):>6}", "value"),
            ("  ", ""),
            figure(format_share(share), 6),
        ]
        if bar_cells:
            filled = 0 if share is None else floor(share / 100.0 * bar_cells + 0.5)
            if share:
                filled = max(1, filled)
            pieces += [("  ", ""), ("|" * filled, "mem-used")]
        if node == view.cpu_node:
            pieces.append((" local", "dim"))
        lines.append(tuple(merge(pieces)))
    return lines


def pane_lines(
    numa: NumaSnapshot | None,
    histories: Mapping[int, Sequence[float | None]],
    view: ProcessView,
    width: int,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """Every line of the pane at ``width`` cells, sections separated by a blank line."""
    if numa is None:
        sections: list[list[Line]] = [[(("waiting for the first NUMA sample", "dim"),)]]
        nodes: Sequence[NumaNode] = ()
    else:
        nodes = numa.nodes
        sections = [
            node_lines(nodes, histories, width, marks),
            distance_lines(numa),
            [balancing_line(numa.numa_balancing)],
        ]
    sections.append(process_lines(view, nodes, width))
    lines: list[Line] = []
    for section in sections:
        if lines:
            lines.append(())
        lines.extend(section)
    return lines


# ---------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------


class NumaPane(LinePane):
    """Per-node NUMA memory and allocation counters, the distance matrix, and a process's placement.

    `update_snapshot` records each node's miss rate in a ring buffer on every tick, shown or not; the
    pane computes and draws its lines only while it is on screen. The miss-rate sparklines share one
    scale across nodes (its top is printed in the column title), so heights compare between nodes; a
    zero sample is a dim ``·`` and an unknown one a blank. Content taller than the pane scrolls.

    | Class | Description |
    | :- | :- |
    | `numa-pane--title` | Table headers and section captions. |
    | `numa-pane--label` | Node numbers and captions inside lines. |
    | `numa-pane--value` | Figures. |
    | `numa-pane--dim` | Unknown values, the diagonal of the distances, notes, zero sparkline samples. |
    | `numa-pane--bracket` | The ``[`` and ``]`` of memory bars. |
    | `numa-pane--mem-used` | The used part of memory bars and the process share bars. |
    | `numa-pane--mem-cache` | The page cache part of memory bars (the end of their used part). |
    | `numa-pane--shadow` | The empty part of memory bars and the figures over it. |
    | `numa-pane--spark` | Miss-rate sparkline cells. |
    | `numa-pane--warn` | Miss ratios from `WARN_MISS_RATIO` up. |
    | `numa-pane--mark` | A tuning action's marker (``▼``) in the miss-rate history. |

    The default colours map to distinct ANSI colours, so a 16-colour terminal keeps them apart; without
    colour, bars still read by their ``|`` fill and sparklines by their block heights.
    """

    ROLE_PREFIX = "numa-pane"
    ROLES = ROLES
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"numa-pane--{role}" for role in ROLES}

    DEFAULT_CSS = """
    NumaPane {
        height: 1fr;
        width: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .numa-pane--title { background: $panel; color: $foreground; text-style: bold; }
        & > .numa-pane--label { color: $perftop-cyan; }
        & > .numa-pane--value { color: $foreground; }
        & > .numa-pane--dim { color: $text-muted; }
        & > .numa-pane--bracket { color: $foreground; text-style: bold; }
        & > .numa-pane--mem-used { color: $perftop-green; }
        & > .numa-pane--mem-cache { color: $perftop-yellow; }
        & > .numa-pane--shadow { color: $text-muted; }
        & > .numa-pane--spark { color: $perftop-yellow; }
        & > .numa-pane--warn { color: $perftop-warning; text-style: bold; }
        & > .numa-pane--mark { color: $perftop-magenta; text-style: bold; }
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
        self._numa: NumaSnapshot | None = None
        self._histories: dict[int, deque[float | None]] = {}
        #: Beside the histories: whether a tuning action was applied during each sample.
        self._marks: deque[bool] = deque(maxlen=maxlen)
        self._view = ProcessView()

    @property
    def maxlen(self) -> int:
        """Miss-rate samples kept per node."""
        return self._maxlen

    def history(self, node: int) -> tuple[float | None, ...]:
        """Miss rates (pages/s) of one node, oldest first; empty for a node never seen."""
        return tuple(self._histories.get(node, ()))

    def clear_history(self) -> None:
        """Forget the miss-rate histories (a replay's jump)."""
        self._histories.clear()
        self._marks.clear()
        self.changed()

    @property
    def marks(self) -> tuple[bool, ...]:
        """Whether a tuning action was applied during each sample, oldest first."""
        return tuple(self._marks)

    def update_snapshot(self, numa: NumaSnapshot, marked: bool = False) -> None:
        """Record one sample (call on every tick, shown or not), ``marked`` when a tuning action was
        applied during it; redraw only while on screen."""
        self._marks.append(marked)
        # A node missing from this sample (hot-removed) keeps its place in time with a gap.
        record(self._histories, ((node.node, node.numa_miss_per_s) for node in numa.nodes), self._maxlen)
        self._numa = numa
        self.changed()

    def show_process(
        self,
        pid: int | None,
        comm: str | None,
        placement: ProcessNuma | None,
        cpu_node: int | None,
        missing: str | None = None,
    ) -> None:
        """Show where a process's memory lives; ``pid=None`` for no selection, ``placement=None`` when its
        ``numa_maps`` could not be read (``missing``: what to say then). ``cpu_node`` is the node of the CPU
        it last ran on."""
        view = ProcessView(pid, comm, placement, cpu_node)
        self._view = view if missing is None else replace(view, missing=missing)
        self.changed()

    def build_lines(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells."""
        return pane_lines(self._numa, self._histories, self._view, width, self._marks)

"""The interrupts pane: ``/proc/interrupts`` as a heat table of rates per IRQ and CPU, busiest first, with
each IRQ's name and affinity, and ``/proc/softirqs`` rates per CPU below.

Many CPUs are summed in groups of consecutive CPUs (a column each), as many to a column as it takes for
the columns to fit the pane, so 2 and 256 CPUs both read at a glance; ``G`` makes the groups smaller (down
to one CPU a column) and ``g`` larger, and ← → scroll the columns sideways when they do not all fit. Each
cell's colour says how busy it is against the busiest cell of the table; its figure says the rate, so the
table reads without colour too. The selected IRQ row (↑ ↓) is the one ``a`` changes the affinity of.
Every line is built by pure functions as ``(text, role)`` pieces, so the layout is testable without a
terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.snapshot import InterruptsSnapshot, IrqStats, SoftirqStats
from perftop.widgets.formatting import SPARK_ZERO, UNKNOWN, format_count
from perftop.widgets.line_pane import Line, LinePane, fit
from perftop.widgets.safe_text import printable
from perftop.widgets.summary import Piece

#: Roles a piece may have; each is the component class ``interrupts-pane--<role>``.
ROLES: tuple[str, ...] = ("title", "label", "value", "dim", "cursor", "heat1", "heat2", "heat3", "heat4")

IRQ_CELLS = 5
#: The name column's width, and the most it grows to with the room the CPU columns leave.
NAME_CELLS = 16
WIDE_NAME_CELLS = 32
AFFINITY_CELLS = 7
TOTAL_CELLS = 7
#: A CPU column: a figure or a title (``CPU255``, ``192-255``) and the space before it.
CPU_CELLS = 8
#: The left part of a row, before the CPU columns: IRQ, name, SMP and EFF affinity, total rate.
FIXED_CELLS = IRQ_CELLS + 1 + NAME_CELLS + 1 + AFFINITY_CELLS + 1 + AFFINITY_CELLS + 1 + TOTAL_CELLS
#: Lines above the IRQ rows: the summary and the column titles.
HEAD_LINES = 2


# ---------------------------------------------------------------------------------------------------------
# Formatting (pure)
# ---------------------------------------------------------------------------------------------------------


def cpu_groups(cpus: Sequence[int], size: int) -> list[tuple[int, ...]]:
    """``cpus`` in runs of ``size`` (the last may be shorter), in their order."""
    size = max(1, size)
    return [tuple(cpus[i : i + size]) for i in range(0, len(cpus), size)]


def auto_group_size(cpus: int, cells: int) -> int:
    """The smallest power of two of CPUs a column for which every column fits in ``cells``."""
    columns = max(1, cells // CPU_CELLS)
    size = 1
    while -(-cpus // size) > columns:
        size *= 2
    return size


def group_label(group: Sequence[int]) -> str:
    """A column's title: ``CPU3`` for one CPU, ``0-7`` for a run."""
    if len(group) == 1:
        return f"CPU{group[0]}"
    return format_cpu_list(group)


def group_rates(
    rates: Sequence[float | None], cpus: Sequence[int], groups: Sequence[Sequence[int]]
) -> list[float | None]:
    """The rate of each group: the sum of its CPUs' rates (``None`` when one is unknown or absent)."""
    if groups and groups[0] and groups[0][0] in cpus:
        # Groups made by cpu_groups are runs of ``cpus`` in its order: sum slices of the rates, which
        # for a table of 256 CPUs costs a tenth of a look-up per CPU.
        out: list[float | None] = []
        pos = cpus.index(groups[0][0])
        for group in groups:
            end = pos + len(group)
            if end > len(cpus) or end > len(rates) or cpus[pos] != group[0] or cpus[end - 1] != group[-1]:
                break
            chunk = rates[pos:end]
            out.append(None if None in chunk else sum(chunk))  # type: ignore[arg-type]
            pos = end
        else:
            return out
    by_cpu = dict(zip(cpus, rates, strict=False))
    out = []
    for group in groups:
        values = [by_cpu.get(cpu) for cpu in group]
        out.append(None if any(v is None for v in values) else sum(v for v in values if v is not None))
    return out


def heat_role(value: float | None, peak: float) -> str:
    """How hot a cell is against ``peak`` (the busiest cell), by decades: ``heat4`` from half the peak,
    ``heat3`` from a tenth, ``heat2`` from a hundredth, ``heat1`` above 0; ``dim`` for 0 or unknown."""
    if value is None or value <= 0 or peak <= 0:
        return "dim"
    share = value / peak
    if share >= 0.5:
        return "heat4"
    if share >= 0.1:
        return "heat3"
    if share >= 0.01:
        return "heat2"
    return "heat1"


def rate_cell(value: float | None, cells: int) -> str:
    """A rate in ``cells``: ``-`` unknown, ``·`` zero, else the figure (``k``/``M`` when big)."""
    if value is None:
        return fit(UNKNOWN, cells, True)
    if value <= 0:
        return fit(SPARK_ZERO, cells, True)
    return fit(format_count(value), cells, True)


def affinity_text(cpus: Sequence[int] | None) -> str:
    """An affinity list as the kernel writes it (``0-3,8``), ``-`` when not known."""
    return UNKNOWN if cpus is None else format_cpu_list(cpus)


@dataclass(frozen=True, slots=True)
class View:
    """What the table shows: CPUs a column (0: as many as it takes to fit), the first column shown, and
    the selected IRQ."""

    group_size: int = 0
    first_column: int = 0
    selected: str | None = None


def columns_for(cpus: Sequence[int], view: View, width: int) -> tuple[list[tuple[int, ...]], int, int]:
    """The CPU groups, the first shown and how many fit at ``width``."""
    room = max(CPU_CELLS, width - FIXED_CELLS)
    size = view.group_size or auto_group_size(len(cpus), room)
    groups = cpu_groups(cpus, size)
    fits = max(1, room // CPU_CELLS)
    first = max(0, min(view.first_column, len(groups) - fits))
    return groups, first, fits


def name_cells(columns: int, width: int) -> int:
    """The name column's width: :data:`NAME_CELLS`, and what the ``columns`` CPU columns leave of
    ``width``, up to :data:`WIDE_NAME_CELLS`."""
    spare = width - FIXED_CELLS - columns * CPU_CELLS
    return NAME_CELLS + max(0, min(spare, WIDE_NAME_CELLS - NAME_CELLS))


def _cpu_pieces(values: Sequence[float | None] | None, peak: float, cursor: bool) -> list[Piece]:
    """The cells of a row's CPU groups (``values``: their rates; ``None``: no per-CPU counts)."""
    if values is None:
        return []
    pieces: list[Piece] = []
    for value in values:
        pieces.append((" ", "cursor" if cursor else ""))
        pieces.append((rate_cell(value, CPU_CELLS - 1), "cursor" if cursor else heat_role(value, peak)))
    return pieces


def irq_line(
    irq: IrqStats,
    values: Sequence[float | None] | None,
    peak: float,
    cursor: bool,
    name_width: int = NAME_CELLS,
) -> Line:
    """One IRQ's row: number, name, affinity lists, total rate and its rate per CPU group (``values``,
    :func:`group_rates` of its rates)."""
    role = "cursor" if cursor else ""
    effective = irq.effective_affinity_list
    pieces: list[Piece] = [
        (fit(printable(irq.irq), IRQ_CELLS, True) + " ", role or "label"),
        (fit(printable(irq.name), name_width) + " ", role),
        (fit(affinity_text(irq.smp_affinity_list), AFFINITY_CELLS) + " ", role or "value"),
        (fit(affinity_text(effective), AFFINITY_CELLS) + " ", role or "value"),
        (rate_cell(irq.total_per_s, TOTAL_CELLS), role or ("dim" if not irq.total_per_s else "value")),
    ]
    pieces += _cpu_pieces(values, peak, cursor)
    return tuple(pieces)


def _titles(first: str, groups: Sequence[tuple[int, ...]]) -> Line:
    text = first + "".join(" " + fit(group_label(g), CPU_CELLS - 1, True) for g in groups)
    return ((text, "title"),)


def _grouped(
    rows: Sequence[Sequence[float | None] | None], cpus: Sequence[int], groups: Sequence[tuple[int, ...]]
) -> tuple[list[list[float | None] | None], float]:
    """Each row's :func:`group_rates` (``None`` for a row without per-CPU rates) and the busiest cell."""
    values = [None if rates is None else group_rates(rates, cpus, groups) for rates in rows]
    peak = max((v for row in values if row is not None for v in row if v is not None), default=0.0)
    return values, peak


def softirq_lines(
    softirqs: Sequence[SoftirqStats], cpus: Sequence[int], view: View, width: int
) -> list[Line]:
    """``/proc/softirqs`` rates per CPU group, under a title row, in the kernel's order."""
    groups, first, fits = columns_for(cpus, view, width)
    shown = groups[first : first + fits]
    values, peak = _grouped([s.counts_per_s for s in softirqs], cpus, shown)
    label_cells = FIXED_CELLS - TOTAL_CELLS - 1 + name_cells(len(shown), width) - NAME_CELLS
    lines: list[Line] = [
        _titles(fit("SOFTIRQ /s", label_cells) + " " + fit("TOTAL/s", TOTAL_CELLS, True), shown)
    ]
    for s, grouped in zip(softirqs, values, strict=True):
        pieces: list[Piece] = [
            (fit(printable(s.name), label_cells) + " ", "label"),
            (rate_cell(s.total_per_s, TOTAL_CELLS), "value" if s.total_per_s else "dim"),
        ]
        pieces += _cpu_pieces(grouped, peak, False)
        lines.append(tuple(pieces))
    return lines


def summary_line(interrupts: InterruptsSnapshot, view: View, width: int) -> Line:
    """The first line: how many IRQs, the total rate, and how the CPUs are grouped and scrolled."""
    irqs = interrupts.irqs or ()
    cpus = interrupts.cpus or ()
    known = [i.total_per_s for i in irqs if i.total_per_s is not None]
    total = sum(known) if known and len(known) == len(irqs) else None
    groups, first, fits = columns_for(cpus, view, width)
    size = max((len(g) for g in groups), default=1)
    pieces: list[Piece] = [
        ("INTERRUPTS ", "title"),
        (f"{len(irqs)} sources ", "value"),
        (f"{format_count(total)}/s ", "value"),
        (f"on {len(cpus)} CPUs, ", "label"),
        (f"{size} a column" if size > 1 else "one a column", "label"),
    ]
    if len(groups) > fits:
        last = min(len(groups), first + fits)
        pieces.append((f"; columns {first + 1}-{last} of {len(groups)} ← →", "dim"))
    return tuple(pieces)


def selected_irq(irqs: Sequence[IrqStats], view: View) -> IrqStats | None:
    """The IRQ the view selects; until one is chosen, the first (the busiest)."""
    if view.selected is None:
        return irqs[0] if irqs else None
    return next((i for i in irqs if i.irq == view.selected), None)


def pane_lines(interrupts: InterruptsSnapshot | None, view: View, width: int) -> list[Line]:
    """Every line of the pane at ``width`` cells: the summary, the IRQ table, then the softirqs."""
    if interrupts is None:
        return [(("waiting for the first sample of /proc/interrupts", "dim"),)]
    cpus = interrupts.cpus or ()
    lines: list[Line] = [summary_line(interrupts, view, width)]
    groups, first, fits = columns_for(cpus, view, width)
    shown = groups[first : first + fits]
    name_width = name_cells(len(shown), width)
    head = (
        fit("IRQ", IRQ_CELLS, True)
        + " "
        + fit("NAME", name_width)
        + " "
        + fit("SMP", AFFINITY_CELLS)
        + " "
        + fit("EFF", AFFINITY_CELLS)
        + " "
        + fit("TOTAL/s", TOTAL_CELLS, True)
    )
    lines.append(_titles(head, shown))
    irqs = interrupts.irqs
    if irqs is None:
        lines.append((("/proc/interrupts not readable", "dim"),))
    else:
        values, peak = _grouped([i.counts_per_s for i in irqs], cpus, shown)
        selected = selected_irq(irqs, view)
        for irq, grouped in zip(irqs, values, strict=True):
            lines.append(irq_line(irq, grouped, peak, irq is selected, name_width))
    lines.append(())
    if interrupts.softirqs is None or interrupts.softirq_cpus is None:
        lines.append((("/proc/softirqs not readable", "dim"),))
    else:
        lines += softirq_lines(interrupts.softirqs, interrupts.softirq_cpus, view, width)
    return lines


# ---------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------


class InterruptsPane(LinePane):
    """IRQ and softirq rates per CPU as a heat table, each IRQ's name and affinity.

    `update_snapshot` keeps the latest ``interrupts`` section (the App samples it only while the pane is
    shown); the pane computes and draws its lines only while on screen. ↑ ↓ PgUp PgDn Home End select an
    IRQ (kept across refreshes as rows change places), ← → scroll the CPU columns.

    | Class | Description |
    | :- | :- |
    | `interrupts-pane--title` | The column titles. |
    | `interrupts-pane--label` | IRQ numbers, softirq names, captions. |
    | `interrupts-pane--value` | Figures. |
    | `interrupts-pane--dim` | Zero and unknown rates, notes. |
    | `interrupts-pane--cursor` | The selected IRQ's row. |
    | `interrupts-pane--heat1` ... `4` | Cells above 0, from a hundredth, a tenth, half the busiest. |
    """

    ROLE_PREFIX = "interrupts-pane"
    ROLES = ROLES
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"interrupts-pane--{role}" for role in ROLES}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "previous IRQ", show=False),
        Binding("down", "move(1)", "next IRQ", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "move(-100000)", "first IRQ", show=False),
        Binding("end", "move(100000)", "last IRQ", show=False),
        Binding("left", "scroll_columns(-1)", "CPU columns to the left", show=False),
        Binding("right", "scroll_columns(1)", "CPU columns to the right", show=False),
    ]

    DEFAULT_CSS = """
    InterruptsPane {
        height: 1fr;
        width: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .interrupts-pane--title { background: $panel; color: $foreground; text-style: bold; }
        & > .interrupts-pane--label { color: $perftop-cyan; }
        & > .interrupts-pane--value { color: $foreground; }
        & > .interrupts-pane--dim { color: $text-muted; }
        & > .interrupts-pane--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .interrupts-pane--heat1 { color: $perftop-blue; }
        & > .interrupts-pane--heat2 { color: $perftop-green; }
        & > .interrupts-pane--heat3 { color: $perftop-yellow; text-style: bold; }
        & > .interrupts-pane--heat4 { color: $perftop-warning; text-style: bold reverse; }
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._interrupts: InterruptsSnapshot | None = None
        self._view = View()
        #: Each NUMA node's CPUs, of the last sample (the affinity dialog groups its CPUs by node).
        self.nodes: tuple[tuple[int, tuple[int, ...]], ...] = ()

    @property
    def view(self) -> View:
        """What the table shows now."""
        return self._view

    @property
    def interrupts(self) -> InterruptsSnapshot | None:
        """The section shown (the latest sample's)."""
        return self._interrupts

    def update_snapshot(
        self, interrupts: InterruptsSnapshot | None, nodes: tuple[tuple[int, tuple[int, ...]], ...] = ()
    ) -> None:
        """Keep one sample (a sample without the section, taken while the pane was hidden, changes
        nothing); redraw only while on screen."""
        self.nodes = nodes
        if interrupts is None:
            return
        self._interrupts = interrupts
        self.changed()

    def selected_irq(self) -> IrqStats | None:
        """The selected IRQ's row (until one is chosen, the busiest), ``None`` when none."""
        irqs = self._interrupts.irqs if self._interrupts is not None else None
        return selected_irq(irqs or (), self._view)

    def line_index(self, y: int) -> int:
        # The summary and the column titles stay at the top; the rows scroll under them.
        return y if y < HEAD_LINES else self.scroll_offset.y + y

    def build_lines(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells."""
        return pane_lines(self._interrupts, self._view, width)

    def _set_view(self, view: View) -> None:
        self._view = view
        self.changed()

    def action_move(self, step: int) -> None:
        """Select the IRQ ``step`` rows down (up when negative), and keep it in view."""
        irqs = self._interrupts.irqs if self._interrupts is not None else None
        if not irqs:
            return
        keys = [i.irq for i in irqs]
        current = selected_irq(irqs, self._view)
        index = keys.index(current.irq) if current is not None else 0
        index = max(0, min(len(keys) - 1, index + step))
        self._set_view(View(self._view.group_size, self._view.first_column, keys[index]))
        # The row is drawn on pane row HEAD_LINES + index - scroll_y (under the titles that stay put).
        top = self.scroll_offset.y
        height = max(1, self.scrollable_size.height - HEAD_LINES)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_page(self, step: int) -> None:
        """Select the IRQ a screen down or up."""
        self.action_move(step * max(1, self.scrollable_size.height - HEAD_LINES))

    def action_scroll_columns(self, step: int) -> None:
        """Scroll the CPU columns by half the columns in view (``step`` 1: right, -1: left)."""
        cpus = self._interrupts.cpus if self._interrupts is not None else None
        groups, first, fits = columns_for(cpus or (), self._view, self.scrollable_size.width)
        first = max(0, min(len(groups) - fits, first + step * max(1, fits // 2)))
        self._set_view(View(self._view.group_size, first, self._view.selected))

    def group(self, step: int) -> str:
        """Sum twice as many CPUs a column (``step`` 1) or half as many (-1, down to one); returns how
        they are grouped now."""
        cpus = self._interrupts.cpus if self._interrupts is not None else None
        groups, _, _ = columns_for(cpus or (), self._view, self.scrollable_size.width)
        size = max((len(g) for g in groups), default=1)
        size = max(1, min(size * 2, len(cpus or ())) if step > 0 else size // 2)
        self._set_view(View(size, 0, self._view.selected))
        return "One CPU a column." if size == 1 else f"{size} CPUs a column."

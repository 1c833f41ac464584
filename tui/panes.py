"""The pane registry: every pane the digit keys show, and what each needs.

A pane is one widget module plus one :class:`Pane` entry in :data:`PANES` naming its key (the digit
``number``), title, detail line (its help), widget class, how each sample reaches the widget, what it needs
sampled while shown, and what it reads for the selected process while shown. The App iterates the
registry: it makes every pane's widget at start (each records every sample from the first, shown or not,
so histories have no gaps; only drawing stops), composes the first pane and mounts each other one on its
first show. The key table (:mod:`perftop.tui.bindings`) takes the digit keys, each pane's own keys and their
help from here.

Layers: the App and the key table build on this module; it builds on the widgets and, on a pane's first
show, on the costly reads of :mod:`perftop.tui.pane_details`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.widget import Widget

from perftop.probes.fs import FS
from perftop.probes.snapshot import Snapshot
from perftop.widgets.cpu_pane import CpuPane
from perftop.widgets.interrupts_pane import InterruptsPane
from perftop.widgets.io_pane import IoPane
from perftop.widgets.memory_pane import MemoryPane
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.overview_pane import OverviewPane
from perftop.widgets.sockets_pane import SocketsPane
from perftop.widgets.tunables_pane import TunablesPane

if TYPE_CHECKING:
    from perftop.probes.tunables import TunableValue
    from perftop.tui.pane_details import Placement, SocketViews
    from perftop.tui.tuning_flows import TuningFlows

W = TypeVar("W", bound=Widget)
D = TypeVar("D")

#: Seconds between socket-owner scans while the sockets pane is shown (each walks every /proc/PID/fd).
SOCKET_SCAN_SECONDS = 5.0
#: Seconds between two reads of the tunables while their pane is shown (they change only when written).
TUNABLES_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Sampled:
    """Something ``Sampler.sample`` reads only when asked: ``argument`` is its keyword, ``present`` tells a
    snapshot sampled with it."""

    argument: str
    present: Callable[[Snapshot], bool]


#: The socket tables and their TCP state counts (``Sampler.sample(sockets=True)``).
SOCKET_TABLES = Sampled("sockets", lambda snapshot: snapshot.net.tcp_states is not None)
#: All of ``/proc/meminfo`` and ``/proc/vmstat``, and the THP settings (``Sampler.sample(memory=True)``);
#: without it only the figures of the header and of the memory pane's histories are read.
MEMORY_DETAILS = Sampled("memory", lambda snapshot: snapshot.memory.dirty_bytes is not None)

#: ``/proc/interrupts``, ``/proc/softirqs`` and the IRQs' affinity (``Sampler.sample(interrupts=True)``).
INTERRUPT_TABLES = Sampled("interrupts", lambda snapshot: snapshot.interrupts is not None)

#: A change of the machine's settings a pane key starts: run with the App's tuning flows, in a worker, as
#: :meth:`~perftop.tui.tuning_ui.TuningActions.start_system` runs it (refused when perftop is read-only).
SettingFlow = Callable[["TuningFlows"], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Details(Generic[W, D]):
    """What a pane reads for the process selected in the table while it is shown, after each sample and
    when it is shown: ``read(fs, snapshot, pid)`` runs in a thread (``pid`` ``None``: no selection), then
    ``show(widget, result)`` on the event loop. ``every``: seconds between two reads for the same process."""

    read: Callable[[FS, Snapshot, int | None], D]
    show: Callable[[W, D], None]
    every: float = 0.0


@dataclass(frozen=True, slots=True)
class PaneKey(Generic[W]):
    """A key of a pane's own (Textual key names, how help writes them, the help): it acts on the pane's
    widget whatever pane is shown, or with ``shown_only`` only while the pane is shown (elsewhere the key
    is the App's own, if it has one: the interrupts pane's ``a`` is the process table's ``a`` elsewhere).
    ``run`` returns a notice to show, a :data:`SettingFlow` to start, or ``None``."""

    keys: str
    shown: str
    help: str
    run: Callable[[W], str | SettingFlow | None]
    shown_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Pane(Generic[W]):
    """One pane: the digit key that shows it, its title and detail line, its widget class (made with
    ``id=ident``), and

    - ``record(widget, snapshot, marked)``: every sample, shown or hidden, frozen or not (keep histories);
      ``marked`` when a tuning action was applied during the sample (a marker on the histories);
    - ``show(widget, snapshot)``: every sample while not frozen, and on unfreezing (draw);
    - ``freeze(widget, frozen)``: the display was frozen or unfrozen (``Z``);
    - ``sampled``: what the sampler must read while the pane is shown;
    - ``details``: what the pane reads for the selected process while it is shown;
    - ``keys``: keys of its own.
    """

    number: int
    title: str
    detail: str
    widget: type[W]
    record: Callable[[W, Snapshot, bool], None]
    show: Callable[[W, Snapshot], None] | None = None
    freeze: Callable[[W, bool], None] | None = None
    sampled: tuple[Sampled, ...] = ()
    details: Details[W, Any] | None = None
    keys: tuple[PaneKey[W], ...] = ()

    @property
    def ident(self) -> str:
        """The widget's id, e.g. ``pane-numa``."""
        return "pane-" + "-".join(self.title.lower().split())

    @property
    def help(self) -> str:
        """The help line of the pane's key."""
        return f"{self.title} pane: {self.detail}"


# The costly reads are imported on the first show of a pane that needs them: defining their dataclasses
# would add to the start, and the first frame needs none of them.


def _read_placement(fs: FS, snapshot: Snapshot, pid: int | None) -> Placement:
    from perftop.tui.pane_details import read_placement

    return read_placement(fs, snapshot, pid)


def _show_placement(pane: NumaPane, shown: Placement) -> None:
    pane.show_process(shown.pid, shown.comm, shown.placement, shown.cpu_node)


def _read_socket_views(fs: FS, snapshot: Snapshot, pid: int | None) -> SocketViews:
    from perftop.tui.pane_details import read_socket_views

    return read_socket_views(fs, snapshot, pid)


def _show_socket_views(pane: SocketsPane, views: SocketViews) -> None:
    pane.show_listening(views.listening)
    pane.show_connections(views.pid, views.comm, views.connections)


def _read_tunables(fs: FS, snapshot: Snapshot, pid: int | None) -> tuple[TunableValue, ...]:
    from perftop.probes.tunable_files import read_tunables

    return read_tunables(fs)


def _edit_device(pane: IoPane) -> str | SettingFlow:
    device = pane.selected_device
    if device is None:
        return "No block device to change."
    return lambda flows: _discard(flows.edit_device(device))


async def _discard(flow: Awaitable[object]) -> None:
    await flow


def _toggle_all_devices(pane: IoPane) -> str:
    pane.show_all(not pane.showing_all)
    return "All block devices shown." if pane.showing_all else "Partitions and idle devices hidden."


def _irq_affinity(pane: InterruptsPane) -> str | SettingFlow:
    irq = pane.selected_irq()
    if irq is None:
        return "No IRQ selected."
    nodes = pane.nodes
    return lambda flows: flows.irq_affinity(irq.irq, irq.name, nodes)


#: Every pane, in the order of their keys (btop's digits); the first is shown at start.
PANES: tuple[Pane[Any], ...] = (
    Pane(
        number=1,
        title="overview",
        detail="CPUs and processes",
        widget=OverviewPane,
        record=OverviewPane.record,
        show=OverviewPane.show,
        freeze=OverviewPane.freeze,
    ),
    Pane(
        number=2,
        title="CPU",
        detail="per-CPU history, pressure, scheduler counters",
        widget=CpuPane,
        record=CpuPane.record,
        show=CpuPane.show,
        freeze=CpuPane.freeze,
    ),
    Pane(
        number=3,
        title="NUMA",
        detail="per-node hits/misses, distances, the selected process's placement",
        widget=NumaPane,
        record=lambda pane, snapshot, marked: pane.update_snapshot(snapshot.numa, marked),
        details=Details(_read_placement, _show_placement),
    ),
    Pane(
        number=4,
        title="IO",
        detail="iostat -x per block device, history of the selected one",
        widget=IoPane,
        record=lambda pane, snapshot, marked: pane.update_snapshot(snapshot.disks, marked),
        keys=(
            PaneKey("A", "A", "show/hide partitions and idle loop/ram/zram devices", _toggle_all_devices),
            PaneKey(
                "e",
                "e",
                "change the selected device's scheduler, read_ahead_kb or nr_requests",
                _edit_device,
                shown_only=True,
            ),
        ),
    ),
    Pane(
        number=5,
        title="sockets",
        detail="ss -s summary, TCP states, interfaces, listening sockets",
        widget=SocketsPane,
        record=lambda pane, snapshot, marked: pane.update_snapshot(snapshot.net, marked),
        sampled=(SOCKET_TABLES,),
        details=Details(_read_socket_views, _show_socket_views, every=SOCKET_SCAN_SECONDS),
    ),
    Pane(
        number=6,
        title="memory",
        detail="free, slab, dirty, swap, huge pages, THP; sar -B/-W paging rates; memory PSI history",
        widget=MemoryPane,
        record=MemoryPane.record,
        sampled=(MEMORY_DETAILS,),
    ),
    Pane(
        number=7,
        title="interrupts",
        detail="IRQ and softirq rates per CPU (heat table), IRQ affinity",
        widget=InterruptsPane,
        # Nothing to keep while hidden (no history): the files are read only while it is shown.
        record=lambda pane, snapshot, marked: None,
        show=lambda pane, snapshot: pane.update_snapshot(
            snapshot.interrupts, tuple((n.node, n.cpus or ()) for n in snapshot.numa.nodes)
        ),
        sampled=(INTERRUPT_TABLES,),
        keys=(
            PaneKey(
                "a",
                "a",
                "the selected IRQ's CPU affinity (smp_affinity_list)",
                _irq_affinity,
                shown_only=True,
            ),
            PaneKey("g", "g", "sum twice as many CPUs a column", lambda p: p.group(1), shown_only=True),
            PaneKey("G", "G", "sum half as many CPUs a column", lambda p: p.group(-1), shown_only=True),
        ),
    ),
    Pane(
        number=8,
        title="tunables",
        detail="vm, kernel, network, THP and block queue settings; Enter changes one",
        widget=TunablesPane,
        record=lambda pane, snapshot, marked: None,
        details=Details(_read_tunables, TunablesPane.show_tunables, every=TUNABLES_SECONDS),
    ),
)

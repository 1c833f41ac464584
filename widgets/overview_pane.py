"""The overview pane: htop's screen, the CPU meters beside the summary, the load history, the processes."""

from __future__ import annotations

from textual.containers import Horizontal, Vertical

from perftop.probes.snapshot import Snapshot
from perftop.widgets.cpu_meters import CpuMeters
from perftop.widgets.load_history import LoadHistory
from perftop.widgets.process_table import ProcessTable
from perftop.widgets.summary import SummaryLine

#: Rows of the screen that are neither the header nor the process table: the history graph (``#history``
#: in perftop.tcss) and the App's status line. The meters leave the table half the screen.
OTHER_ROWS = 4 + 1


class OverviewPane(Vertical):
    """The CPU and memory meters beside the summary line, a history of total CPU load, and the process
    table. The App acts on this pane's table (search, filter, tags, tuning keys) whatever pane is shown.

    `record` keeps the history on every sample, shown or not, frozen or not; `show` draws a sample.
    """

    def __init__(self, *, id: str | None = None) -> None:
        self.meters = CpuMeters(id="meters", reserved_rows=OTHER_ROWS)
        self.summary = SummaryLine(id="summary")
        self.history = LoadHistory(id="history")
        self.table = ProcessTable(id="processes")
        super().__init__(Horizontal(self.meters, self.summary, id="header"), self.history, self.table, id=id)

    def record(self, snapshot: Snapshot, marked: bool = False) -> None:
        """Keep ``snapshot`` in the history (call on every sample), ``marked`` when a tuning action was
        applied during it."""
        if snapshot.interval is not None:
            self.history.push(snapshot.cpu, marked)

    def show(self, snapshot: Snapshot) -> None:
        """Draw ``snapshot`` (not while frozen)."""
        self.meters.update_snapshot(snapshot.cpu, snapshot.memory)
        self.summary.update_snapshot(snapshot)
        self.table.set_processes(snapshot.processes, snapshot.thread_rows)

    def clear_history(self) -> None:
        """Forget the history (a replay's jump)."""
        self.history.clear_history()

    def freeze(self, frozen: bool) -> None:
        """Keep the history graph as it is while ``frozen`` (samples are still recorded)."""
        self.history.frozen = frozen

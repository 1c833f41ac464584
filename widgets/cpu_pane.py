"""The CPU pane: the summary line above a load history per CPU."""

from __future__ import annotations

from textual.containers import Vertical

from perftop.probes.snapshot import Snapshot
from perftop.widgets.load_history import LoadHistory
from perftop.widgets.summary import SummaryLine


class CpuPane(Vertical):
    """The summary line (tasks, load, scheduler counters, pressure) above each CPU's load history.

    `record` keeps the histories on every sample, shown or not, frozen or not; `show` draws a sample.
    """

    def __init__(self, *, id: str | None = None) -> None:
        self.summary = SummaryLine(id="cpu-summary")
        self.history = LoadHistory(id="cpu-history", per_cpu=True)
        super().__init__(self.summary, self.history, id=id)

    def record(self, snapshot: Snapshot, marked: bool = False) -> None:
        """Keep ``snapshot`` in the histories (call on every sample), ``marked`` when a tuning action was
        applied during it."""
        if snapshot.interval is not None:
            self.history.push(snapshot.cpu, marked)

    def show(self, snapshot: Snapshot) -> None:
        """Draw ``snapshot`` (not while frozen)."""
        self.summary.update_snapshot(snapshot)

    def clear_history(self) -> None:
        """Forget the history (a replay's jump)."""
        self.history.clear_history()

    def freeze(self, frozen: bool) -> None:
        """Keep the history graphs as they are while ``frozen`` (samples are still recorded)."""
        self.history.frozen = frozen

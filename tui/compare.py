"""Before and after a tuning action: the mean of each figure over a window before it and one after it.

:func:`compare` reads the samples around an :class:`~perftop.tui.action_records.ActionRecord` from a
:class:`SampleSource`: live, the App's :class:`RecentSamples` (a bounded ring of its recent snapshots); in
replay, a source backed by the recording. For the action's target process (or thread): CPU%, run delay,
voluntary and involuntary switches, last-CPU changes, NUMA remote share and IO rates; for the machine: CPU
time by state, context switches, NUMA misses, disk %util and TCP retransmits. A system action (a
:class:`~perftop.tui.system_tuning.Setting`) has the machine's rows only.

Plain Python, no Textual. Layers: the App and the comparison screen build on this module; it builds on the
snapshot types and the action records (imported when first needed: the App keeps its
:class:`RecentSamples` from the first frame, which loads none of tuning).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from perftop.probes.snapshot import ProcessInfo, Snapshot
    from perftop.tui.action_records import ActionRecord, Subject

#: The window before and after an action, by default, and the range the comparison screen allows.
DEFAULT_WINDOW_S = 30.0
MIN_WINDOW_S = 10.0
MAX_WINDOW_S = 600.0
#: The windows the comparison screen steps through.
WINDOW_STEPS_S: tuple[float, ...] = (10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
#: Seconds of samples :class:`RecentSamples` keeps, and at most this many (a short refresh interval).
RECENT_SPAN_S = MAX_WINDOW_S
RECENT_MAX_SAMPLES = 1200
#: Seconds of those kept whole: a whole sample costs about 48 KiB with 2000 idle processes
#: (bench/recent_samples.py), 28 MiB for 600. Older ones keep only the processes the comparison may need.
RECENT_WHOLE_S = 120.0
#: A window with fewer samples than this (or under half the samples its length should hold) is noted.
MIN_SAMPLES = 3


class SampleSource(Protocol):
    """Where the comparison reads samples from: live, the App's recent ones; in replay, a recording."""

    def between(self, start: float, end: float) -> Sequence[Snapshot]:
        """The snapshots whose ``time`` is in ``[start, end]``, oldest first."""
        ...


class RecentSamples:
    """The App's snapshots of the last ``span_s`` seconds, oldest first (a :class:`SampleSource`).

    It holds references only: a sample's processes that did not change keep the same
    :class:`~perftop.probes.snapshot.ProcessInfo` objects from one sample to the next (the sampler reuses
    them), so each sample costs its tuple of processes and the rows that changed. Samples older than
    ``whole_s`` keep only the processes (and their threads) named by the ``keep`` of the :meth:`add` that
    aged them: the targets of recent actions and the selected process.
    """

    def __init__(
        self,
        span_s: float = RECENT_SPAN_S,
        max_samples: int = RECENT_MAX_SAMPLES,
        whole_s: float = RECENT_WHOLE_S,
    ) -> None:
        self.span_s = span_s
        self.whole_s = whole_s
        self._samples: deque[Snapshot] = deque(maxlen=max_samples)
        #: How many of the oldest samples are kept slim.
        self._slim = 0

    def __len__(self) -> int:
        return len(self._samples)

    def add(self, snapshot: Snapshot, keep: Collection[int] = ()) -> None:
        """Keep ``snapshot`` (a sample with rates), forget those older than ``span_s`` before it, and keep
        of those older than ``whole_s`` only the processes in ``keep`` (PIDs)."""
        if snapshot.interval is None:
            return  # the baseline sample has no rates: nothing to average
        samples = self._samples
        if samples and snapshot.time <= samples[-1].time:
            return  # the same sample again (a re-read), or one out of order
        if len(samples) == samples.maxlen and self._slim:
            self._slim -= 1  # the append below drops the oldest
        samples.append(snapshot)
        oldest = snapshot.time - self.span_s
        while samples and samples[0].time < oldest:
            samples.popleft()
            self._slim = max(0, self._slim - 1)
        whole_from = snapshot.time - self.whole_s
        while self._slim < len(samples) and samples[self._slim].time < whole_from:
            samples[self._slim] = _slim(samples[self._slim], keep)
            self._slim += 1

    def between(self, start: float, end: float) -> Sequence[Snapshot]:
        """The snapshots whose ``time`` is in ``[start, end]``, oldest first."""
        return [s for s in self._samples if start <= s.time <= end]


def _slim(snapshot: Snapshot, keep: Collection[int]) -> Snapshot:
    """``snapshot`` with only the processes of ``keep`` and their threads (and the threads of ``keep``)."""
    return replace(
        snapshot,
        processes=tuple(p for p in snapshot.processes if p.pid in keep),
        thread_rows=tuple(t for t in snapshot.thread_rows if t.tgid in keep or t.pid in keep),
    )


def applied_between(records: Sequence[ActionRecord], start: float | None, end: float) -> bool:
    """True when one of ``records`` (oldest first) was applied (its command is not ``-``) at a time in
    ``(start, end]`` (``start`` ``None``: any time up to ``end``): the sample taken at ``end`` after one at
    ``start`` carries its marker."""
    for record in reversed(records):
        if start is not None and record.time <= start:
            break
        if record.time <= end and record.command != "-":
            return True
    return False


def recent_targets(records: Sequence[ActionRecord], since: float) -> set[int]:
    """The PIDs of the processes (not threads: schedstat is read per process) of the actions applied
    since ``since``."""
    pids: set[int] = set()
    if not records:
        return pids
    from perftop.tui.action_records import Subject

    for record in reversed(records):
        if record.time < since:
            break
        subject = record.subject
        if isinstance(subject, Subject) and subject.target.tgid is None and record.command != "-":
            pids.add(subject.target.pid)
    return pids


@dataclass(frozen=True, slots=True)
class Row:
    """One figure before and after: ``group`` is ``process`` or ``machine``; the means are ``None`` where no
    sample of the window had the figure; ``change_percent`` is ``None`` when before is 0 or unknown."""

    group: str
    metric: str
    before: float | None
    after: float | None

    @property
    def change_percent(self) -> float | None:
        """How much ``after`` differs from ``before``, in percent of ``before``."""
        before, after = self.before, self.after
        if before is None or after is None or before == 0:
            return None
        return (after - before) / abs(before) * 100.0


@dataclass(frozen=True, slots=True)
class Comparison:
    """The figures of an action's windows: ``before`` the samples in ``[time - window_s, time)``, ``after``
    those in ``(time, time + window_s]``; ``notes`` say what makes a figure unreliable."""

    action: ActionRecord
    window_s: float
    before_samples: int
    after_samples: int
    rows: tuple[Row, ...]
    notes: tuple[str, ...]


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _find(snapshot: Snapshot, subject: Subject) -> ProcessInfo | None:
    """The target's row in ``snapshot`` (a thread's among the thread rows), ``None`` when absent."""
    target = subject.target
    rows: Iterable[ProcessInfo] = snapshot.processes if target.tgid is None else snapshot.thread_rows
    for p in rows:
        if p.pid == target.pid and p.start_time == target.start_time:
            return p
    return None


def _cpu_changes_per_s(rows: Sequence[tuple[float, ProcessInfo | None]]) -> float | None:
    """Changes of the last CPU between consecutive samples (both with the target and its CPU known), per
    second of those intervals."""
    changes, seconds = 0, 0.0
    for (t0, a), (t1, b) in pairwise(rows):
        if a is None or b is None or a.processor is None or b.processor is None or t1 <= t0:
            continue
        changes += a.processor != b.processor
        seconds += t1 - t0
    return changes / seconds if seconds > 0 else None


#: The target's figures: name and how to read it from its row.
PROCESS_METRICS: tuple[tuple[str, Callable[[ProcessInfo], float | None]], ...] = (
    ("CPU %", lambda p: p.cpu_percent),
    ("run delay ms/s", lambda p: p.run_delay_ms_per_s),
    ("voluntary switches/s", lambda p: p.voluntary_ctxt_switches_per_s),
    ("involuntary switches/s", lambda p: p.nonvoluntary_ctxt_switches_per_s),
    ("NUMA remote %", lambda p: p.remote_percent),
    ("IO read bytes/s", lambda p: p.io_read_bytes_per_s),
    ("IO write bytes/s", lambda p: p.io_write_bytes_per_s),
)

#: The CPU states of ``cpu.total``, as the machine's rows name them.
CPU_STATES: tuple[str, ...] = ("user", "system", "iowait", "irq", "softirq", "steal", "idle")


def _numa_misses(snapshot: Snapshot) -> float | None:
    rates = [n.numa_miss_per_s for n in snapshot.numa.nodes]
    return None if not rates or None in rates else sum(r for r in rates if r is not None)


def _busiest_disk(snapshot: Snapshot) -> float | None:
    utils = (d.util_percent for d in snapshot.disks if d.util_percent is not None and not d.is_partition)
    return max(utils, default=None)


def _cpu_state(state: str) -> Callable[[Snapshot], float | None]:
    def read(snapshot: Snapshot) -> float | None:
        total = snapshot.cpu.total
        value: float | None = None if total is None else getattr(total, state)
        return value

    return read


def _disk_util(name: str) -> Callable[[Snapshot], float | None]:
    def read(snapshot: Snapshot) -> float | None:
        return next((d.util_percent for d in snapshot.disks if d.name == name), None)

    return read


def machine_metrics(samples: Sequence[Snapshot]) -> list[tuple[str, Callable[[Snapshot], float | None]]]:
    """The machine's figures: CPU by state, switches, NUMA misses, the busiest disk's %util and each
    disk's (the whole disks of ``samples``), TCP retransmits."""
    metrics: list[tuple[str, Callable[[Snapshot], float | None]]] = [
        (f"CPU {state} %", _cpu_state(state)) for state in CPU_STATES
    ]
    metrics += [
        ("context switches/s", lambda s: s.cpu.context_switches_per_s),
        ("NUMA misses/s", _numa_misses),
        ("disk %util (busiest)", _busiest_disk),
    ]
    # Whole disks: a partition's %util is its share of its disk's busy time, said by the disk's row.
    names = sorted({d.name for s in samples for d in s.disks if not d.is_partition})
    metrics += [(f"disk {name} %util", _disk_util(name)) for name in names]
    metrics.append(("TCP retransmits/s", lambda s: s.net.tcp_retrans_segs_per_s))
    return metrics


def _expected(samples: Sequence[Snapshot], window_s: float) -> float | None:
    """How many samples a window of ``window_s`` should hold at the samples' interval."""
    intervals = sorted(s.interval for s in samples if s.interval)
    if not intervals:
        return None
    return window_s / intervals[len(intervals) // 2]


def compare(
    source: SampleSource,
    action: ActionRecord,
    window_s: float = DEFAULT_WINDOW_S,
    found: dict[float, ProcessInfo | None] | None = None,
) -> Comparison:
    """The means over ``window_s`` seconds before ``action`` and after it, from ``source``'s samples.
    ``found``: the target's row in each sample by its ``time``, kept by a caller that compares the same
    action again as samples arrive (finding it is a scan of every process of every sample)."""
    from perftop.tui.action_records import Subject

    t = action.time
    around = source.between(t - window_s, t + window_s)
    before = [s for s in around if s.time < t]
    after = [s for s in around if s.time > t]
    notes: list[str] = []
    expected = _expected(around, window_s)
    for name, samples in (("before", before), ("after", after)):
        count = len(samples)
        if count < MIN_SAMPLES or (expected is not None and count < expected / 2):
            should = f" of ~{expected:.0f}" if expected is not None else ""
            still = " (the window may still be filling)" if name == "after" else ""
            notes.append(f"{name}: {count}{should} samples in {window_s:g} s, too few to mean much{still}")

    rows: list[Row] = []
    subject = action.subject
    if isinstance(subject, Subject):
        rows_of = {} if found is None else found
        for s in around:
            if s.time not in rows_of:
                rows_of[s.time] = _find(s, subject)
        if found is not None and len(found) > 2 * len(around):
            # Forget the samples a narrower window or the ring's end left out.
            kept = {s.time for s in around}
            for when in [w for w in found if w not in kept]:
                del found[when]
        found_before = [(s.time, rows_of[s.time]) for s in before]
        found_after = [(s.time, rows_of[s.time]) for s in after]
        for name, found in (("before", found_before), ("after", found_after)):
            if found and all(p is None for _, p in found):
                where = " (thread rows are read while threads are shown: H)" if subject.target.tgid else ""
                notes.append(f"{name}: {subject.label} is absent from the samples{where}")
        for metric, read in PROCESS_METRICS:
            rows.append(
                Row(
                    "process",
                    metric,
                    _mean(read(p) for _, p in found_before if p is not None),
                    _mean(read(p) for _, p in found_after if p is not None),
                )
            )
        rows.insert(
            4,
            Row(
                "process",
                "last-CPU changes/s",
                _cpu_changes_per_s(found_before),
                _cpu_changes_per_s(found_after),
            ),
        )
    for metric, reader in machine_metrics(around):
        row = Row("machine", metric, _mean(map(reader, before)), _mean(map(reader, after)))
        if metric.startswith("disk ") and metric.endswith(" %util") and not (row.before or row.after):
            continue  # an idle disk of its own: the busiest's row says it already
        rows.append(row)
    return Comparison(action, window_s, len(before), len(after), tuple(rows), tuple(notes))

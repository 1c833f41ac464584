"""CPU and system counters: ``/proc/stat``, ``/proc/loadavg``, ``/proc/uptime`` and ``/proc/pressure/*``.

Parsers are pure (``text -> data``); readers take an :class:`~perftop.probes.fs.FS` and return ``None`` for a
missing file. :func:`cpu_snapshot` turns two ``/proc/stat`` samples into percentages and rates the way
sysstat's ``mpstat`` and ``sar`` do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast

from perftop.probes.fs import FS, TextReader, read_parsed, read_text
from perftop.probes.kernel_numbers import all_u64, average, u64
from perftop.probes.rates import rate
from perftop.probes.snapshot import CPU_STATES, TOTAL_CPU, CpuSeconds, CpuSnapshot, CpuUsage, Pressure

#: The files under ``/proc/pressure/`` that perftop reads.
PRESSURE_RESOURCES: tuple[str, ...] = ("cpu", "io", "memory")

# The single-number lines of /proc/stat that perftop keeps.
_SCALAR_KEYS = frozenset({"ctxt", "intr", "processes", "procs_running", "procs_blocked", "btime"})

# Linux 2.4 wrote 4 states per cpu line; anything shorter is a cut line, not an old kernel.
_MIN_STATE_COLUMNS = 4


@dataclass(frozen=True, slots=True)
class CpuTicks:
    """The states of one ``/proc/stat`` cpu line, in clock ticks since boot.

    Older kernels write fewer columns (4 before 2.6, 7 before 2.6.11): the missing states are 0. The
    guest columns are left out because the kernel already counts them in ``user`` and ``nice``.
    """

    user: int = 0
    nice: int = 0
    system: int = 0
    idle: int = 0
    iowait: int = 0
    irq: int = 0
    softirq: int = 0
    steal: int = 0

    def values(self) -> tuple[int, ...]:
        """The states in :data:`~perftop.probes.snapshot.CPU_STATES` order."""
        return (self.user, self.nice, self.system, self.idle, self.iowait, self.irq, self.softirq, self.steal)


@dataclass(frozen=True, slots=True)
class StatCounters:
    """The counters of one ``/proc/stat`` read. ``cpus`` holds only CPUs with a line, i.e. online ones."""

    total: CpuTicks | None
    cpus: dict[int, CpuTicks]
    context_switches: int | None
    interrupts: int | None
    forks: int | None
    procs_running: int | None
    procs_blocked: int | None
    boot_time: int | None


def _empty_stat() -> StatCounters:
    """A sample that has nothing: no baseline yet, or an unreadable ``/proc/stat``."""
    return StatCounters(None, {}, None, None, None, None, None, None)


def _parse_ticks(columns: list[str]) -> CpuTicks | None:
    """Ticks from the numeric columns of a cpu line, or ``None`` when the line is cut or garbled."""
    if len(columns) < _MIN_STATE_COLUMNS:
        return None
    try:
        values = [int(c) for c in columns[: len(CPU_STATES)]]
    except ValueError:
        return None
    if not all_u64(values):
        return None
    return CpuTicks(*values)


def _parse_int(columns: list[str]) -> int | None:
    """The first column as an int, or ``None`` when absent or not a counter."""
    if not columns:
        return None
    try:
        return u64(int(columns[0]))
    except ValueError:
        return None


def parse_stat(text: str) -> StatCounters:
    """Parse ``/proc/stat``. Cut or garbled lines are skipped, and their values left ``None``/absent."""
    total: CpuTicks | None = None
    cpus: dict[int, CpuTicks] = {}
    scalars: dict[str, int | None] = {}
    for line in text.splitlines():
        # The key alone first: the ``intr`` and ``softirq`` lines hold hundreds of counts not used here.
        key, *rest = line.split(None, 1) or [""]
        if key == "cpu":
            if total is None:
                total = _parse_ticks(rest[0].split() if rest else [])
        elif key.startswith("cpu") and key[3:].isascii() and key[3:].isdigit():
            ticks = _parse_ticks(rest[0].split() if rest else [])
            cpu = int(key[3:])
            if ticks is not None and cpu not in cpus:
                cpus[cpu] = ticks
        elif key in _SCALAR_KEYS and scalars.get(key) is None:
            # ``intr`` is the total followed by one count per IRQ: the total is enough here.
            scalars[key] = _parse_int(rest[0].split(None, 1) if rest else [])
    return StatCounters(
        total=total,
        cpus=dict(sorted(cpus.items())),
        context_switches=scalars.get("ctxt"),
        interrupts=scalars.get("intr"),
        forks=scalars.get("processes"),
        procs_running=scalars.get("procs_running"),
        procs_blocked=scalars.get("procs_blocked"),
        boot_time=scalars.get("btime"),
    )


def parse_loadavg(text: str) -> tuple[float, float, float] | None:
    """The 1, 5 and 15 minute load averages of ``/proc/loadavg``, or ``None`` when garbled."""
    columns = text.split()
    if len(columns) < 3:
        return None
    try:
        one, five, fifteen = (average(float(c)) for c in columns[:3])
    except ValueError:
        return None
    if one is None or five is None or fifteen is None:
        return None
    return (one, five, fifteen)


def _parse_pressure_line(columns: list[str]) -> tuple[float | None, int | None]:
    """``avg10`` and ``total`` from the ``key=value`` columns of one pressure line."""
    pairs: dict[str, str] = {}
    for column in columns:
        name, _, value = column.partition("=")
        pairs[name] = value
    try:
        avg10 = average(float(pairs["avg10"])) if "avg10" in pairs else None
    except ValueError:
        avg10 = None
    try:
        total = u64(int(pairs["total"])) if "total" in pairs else None
    except ValueError:
        total = None
    return avg10, total


def parse_pressure(text: str) -> Pressure:
    """Parse one ``/proc/pressure/*`` file. A missing ``full`` line (cpu, before 5.13) gives ``None``."""
    lines: dict[str, tuple[float | None, int | None]] = {}
    for line in text.splitlines():
        kind, *columns = line.split() or [""]
        if kind in ("some", "full") and kind not in lines:
            lines[kind] = _parse_pressure_line(columns)
    some_avg10, some_total = lines.get("some", (None, None))
    full_avg10, full_total = lines.get("full", (None, None))
    return Pressure(
        some_avg10=some_avg10, some_total_us=some_total, full_avg10=full_avg10, full_total_us=full_total
    )


_NO_PRESSURE = Pressure(None, None, None, None)


def parse_uptime(text: str) -> float | None:
    """Seconds since boot, the first field of ``/proc/uptime``, or ``None`` when garbled."""
    columns = text.split()
    if not columns:
        return None
    try:
        return average(float(columns[0]))
    except ValueError:
        return None


def _seconds(ticks: CpuTicks, user_hz: int) -> CpuSeconds:
    return CpuSeconds(*(v / user_hz for v in ticks.values()))


#: Percent per state of one CPU, in CPU_STATES order (CpuUsage's fields), and none of them known.
_Percent = float | None
_Percents = tuple[_Percent, _Percent, _Percent, _Percent, _Percent, _Percent, _Percent, _Percent]
_NO_PERCENTS: _Percents = (None, None, None, None, None, None, None, None)
_IOWAIT = CPU_STATES.index("iowait")


def _percents(prev: CpuTicks, cur: CpuTicks) -> tuple[float | None, ...]:
    """Percent per state over the interval between two samples of one CPU, as mpstat computes it; ``None``
    for every state when the CPU's counters went backwards as a whole (a reset, or another tree read in
    place of the last one), as no figure of that interval can be told."""
    deltas = [c - p for p, c in zip(prev.values(), cur.values(), strict=True)]
    if min(deltas) < 0:
        if sum(deltas) < 0 and min(deltas[:_IOWAIT] + deltas[_IOWAIT + 1 :]) < 0:
            return _NO_PERCENTS
        # Else that state counts 0 for the interval. iowait goes backwards on tickless kernels: an idle
        # period counts as iowait while a task waits for IO and as idle once none does (or the other way
        # round, and idle falls), which leaves the sum growing.
        deltas = [max(0, d) for d in deltas]
    elapsed_ticks = sum(deltas)
    if elapsed_ticks == 0:
        # No tick at all (a tickless or isolated CPU): the CPU was idle the whole interval.
        return tuple(100.0 if name == "idle" else 0.0 for name in CPU_STATES)
    return tuple(d / elapsed_ticks * 100.0 for d in deltas)


def _usage(cpu: int, prev: CpuTicks | None, cur: CpuTicks | None, user_hz: int) -> CpuUsage:
    """One CPU's usage; ``cur`` None means offline, ``prev`` None means no baseline yet."""
    if cur is None:
        return CpuUsage(cpu, False, *_NO_PERCENTS, seconds=None)
    # _percents gives one per state of CPU_STATES, as CpuUsage's fields take them.
    percents = _NO_PERCENTS if prev is None else cast(_Percents, _percents(prev, cur))
    return CpuUsage(cpu, True, *percents, seconds=_seconds(cur, user_hz))


def cpu_snapshot(
    prev: StatCounters | None,
    cur: StatCounters | None,
    elapsed: float | None,
    user_hz: int,
    loadavg: tuple[float, float, float] | None,
    pressure: dict[str, Pressure] | None,
) -> CpuSnapshot:
    """The ``cpu`` section from two ``/proc/stat`` samples taken ``elapsed`` seconds apart.

    ``prev`` is ``None`` for the first sample: percentages and rates are then ``None`` and only the
    cumulative ``seconds`` are known. A CPU only in ``prev`` went offline (``online=False``, all ``None``);
    a CPU only in ``cur`` came online and has no baseline yet (``None`` percentages). ``cur`` is ``None``
    when ``/proc/stat`` could not be read: no CPUs and no counters, loadavg and pressure still shown.
    """
    if cur is None:
        # An unreadable read says nothing about the CPUs: do not report the previous ones as offline.
        prev = cur = _empty_stat()
    elif prev is None:
        # An empty baseline: every CPU then lacks a previous sample and every rate a previous count.
        prev = _empty_stat()
    per_cpu = tuple(
        _usage(cpu, prev.cpus.get(cpu), cur.cpus.get(cpu), user_hz)
        for cpu in sorted(prev.cpus.keys() | cur.cpus.keys())
    )
    total = None
    if cur.total is not None:
        total = _usage(TOTAL_CPU, prev.total, cur.total, user_hz)
    return CpuSnapshot(
        per_cpu=per_cpu,
        total=total,
        context_switches=cur.context_switches,
        context_switches_per_s=rate(prev.context_switches, cur.context_switches, elapsed),
        interrupts=cur.interrupts,
        interrupts_per_s=rate(prev.interrupts, cur.interrupts, elapsed),
        forks=cur.forks,
        forks_per_s=rate(prev.forks, cur.forks, elapsed),
        procs_running=cur.procs_running,
        procs_blocked=cur.procs_blocked,
        loadavg=loadavg,
        pressure=pressure,
    )


def read_stat(fs: FS, read: TextReader = read_text) -> StatCounters | None:
    """``/proc/stat`` parsed, or ``None`` when it cannot be read. ``read`` reads a file (see
    :data:`~perftop.probes.fs.TextReader`), as in every reader here."""
    return read_parsed(read, fs.proc("stat"), parse_stat)


def read_loadavg(fs: FS, read: TextReader = read_text) -> tuple[float, float, float] | None:
    """``/proc/loadavg`` parsed, or ``None`` when it cannot be read or parsed."""
    return read_parsed(read, fs.proc("loadavg"), parse_loadavg)


def read_uptime(fs: FS, read: TextReader = read_text) -> float | None:
    """Seconds since boot from ``/proc/uptime``, or ``None`` when it cannot be read or parsed."""
    return read_parsed(read, fs.proc("uptime"), parse_uptime)


def read_pressure(fs: FS, read: TextReader = read_text) -> dict[str, Pressure] | None:
    """The ``/proc/pressure`` files present, by resource; ``None`` when PSI is absent or nothing parses."""
    found: dict[str, Pressure] = {}
    for resource in PRESSURE_RESOURCES:
        pressure = read_parsed(read, fs.proc("pressure", resource), parse_pressure)
        if pressure is not None and pressure != _NO_PRESSURE:
            found[resource] = pressure
    return found or None


def user_hz() -> int:
    """Clock ticks per second of ``/proc/stat`` and ``/proc/PID/stat`` (``USER_HZ``, nearly always 100)."""
    return os.sysconf("SC_CLK_TCK")

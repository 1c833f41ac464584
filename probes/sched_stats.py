"""What the scheduler says of one task: ``/proc/PID/schedstat`` and ``/proc/PID/sched``.

``schedstat`` holds three numbers (kernels with ``CONFIG_SCHED_INFO``): nanoseconds on a CPU, nanoseconds
waiting on a run queue (atop's RDELAY, the "run delay"), and timeslices run. ``sched`` is a debugging file of
``key : value`` lines whose keys vary by kernel (``se.statistics.wait_sum`` before 5.13, ``stats.wait_sum``
since; the wait figures only where schedstats are on: ``kernel.sched_schedstats`` or
``CONFIG_SCHEDSTATS``). Pure parsers: the readers are elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perftop.probes.kernel_numbers import U64_MAX, is_decimal


@dataclass(frozen=True, slots=True)
class SchedStat:
    """``/proc/PID/schedstat``: time on a CPU and waiting for one (nanoseconds), timeslices run."""

    cpu_time_ns: int
    run_delay_ns: int
    timeslices: int


def parse_schedstat(text: str) -> SchedStat | None:
    """``/proc/PID/schedstat`` text, or ``None`` when it is not three unsigned 64-bit numbers."""
    fields = text.split()
    if len(fields) != 3 or not all(is_decimal(f) for f in fields):
        return None
    numbers = [int(f) for f in fields]
    if any(n > U64_MAX for n in numbers):
        return None
    return SchedStat(*numbers)


#: ``key : number`` lines of ``/proc/PID/sched``; the number may be negative or have a fraction.
_LINE = re.compile(r"^([A-Za-z_][\w.>-]*)\s*:\s*(-?[0-9]{1,20}(?:\.[0-9]{1,9})?)\s*$", re.MULTILINE)

#: Keys renamed across kernels: the name perftop uses -> the names kernels write, newest first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "wait_sum": ("stats.wait_sum", "se.statistics.wait_sum", "se.wait_sum"),
    "wait_max": ("stats.wait_max", "se.statistics.wait_max", "se.wait_max"),
    "wait_count": ("stats.wait_count", "se.statistics.wait_count", "se.wait_count"),
    "sum_sleep_runtime": ("stats.sum_sleep_runtime", "se.statistics.sum_sleep_runtime"),
    "nr_wakeups": ("stats.nr_wakeups", "se.statistics.nr_wakeups"),
    "nr_wakeups_migrate": ("stats.nr_wakeups_migrate", "se.statistics.nr_wakeups_migrate"),
}


@dataclass(frozen=True, slots=True)
class SchedDebug:
    """The figures of ``/proc/PID/sched`` perftop shows; ``None`` where this kernel does not write them
    (the ``wait_*`` ones need schedstats on). Times are milliseconds, as the file writes them."""

    nr_switches: int | None
    nr_voluntary_switches: int | None
    nr_involuntary_switches: int | None
    nr_migrations: int | None
    sum_exec_runtime_ms: float | None
    wait_sum_ms: float | None
    wait_max_ms: float | None
    wait_count: int | None

    @property
    def schedstats_on(self) -> bool:
        """True when the kernel keeps the wait figures for this task."""
        return self.wait_sum_ms is not None


def parse_sched(text: str) -> SchedDebug | None:
    """``/proc/PID/sched`` text, or ``None`` when it holds none of the figures."""
    values: dict[str, str] = dict(_LINE.findall(text))

    def raw(key: str) -> str | None:
        for name in _ALIASES.get(key, (key,)):
            if name in values:
                return values[name]
        return None

    def count(key: str) -> int | None:
        value = raw(key)
        return int(value) if value is not None and is_decimal(value) and int(value) <= U64_MAX else None

    def millis(key: str) -> float | None:
        value = raw(key)
        return None if value is None or value.startswith("-") else float(value)

    parsed = SchedDebug(
        nr_switches=count("nr_switches"),
        nr_voluntary_switches=count("nr_voluntary_switches"),
        nr_involuntary_switches=count("nr_involuntary_switches"),
        nr_migrations=count("se.nr_migrations"),
        sum_exec_runtime_ms=millis("se.sum_exec_runtime"),
        wait_sum_ms=millis("wait_sum"),
        wait_max_ms=millis("wait_max"),
        wait_count=count("wait_count"),
    )
    if all(getattr(parsed, f) is None for f in parsed.__slots__):
        return None
    return parsed


def run_delay_ms_per_s(before: SchedStat, after: SchedStat, seconds: float) -> float | None:
    """Milliseconds spent waiting on a run queue per second of ``seconds`` between two readings; ``None``
    when the interval is not positive or the counter went backwards (another task took the PID)."""
    if seconds <= 0 or after.run_delay_ns < before.run_delay_ns:
        return None
    return (after.run_delay_ns - before.run_delay_ns) / 1e6 / seconds

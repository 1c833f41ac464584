"""``/proc/interrupts``, ``/proc/softirqs`` and each IRQ's affinity under ``/proc/irq``.

``/proc/interrupts`` has a header naming the online CPUs (``CPU0 CPU1 ...``; an offline CPU has no column),
then a row per IRQ: ``24:`` and one count per CPU, then the chip, the hardware IRQ and its trigger, and the
names of the handlers (``IO-APIC   2-edge      timer``). Architecture rows (``NMI``, ``LOC``, ``RES``, ...)
have a description instead, and a few (``ERR``, ``MIS`` on x86) a single count and nothing else.
``/proc/softirqs`` has a header of every possible CPU and a row per softirq type (``NET_RX``, ``TIMER``).
The per-CPU counts of ``/proc/interrupts`` are 32-bit and wrap: a count that went backwards gives a
``None`` rate.

Pure parsers (``text -> dataclass``) and readers on :class:`~perftop.probes.fs.FS`. On a machine with
many CPUs ``/proc/interrupts`` is large (256 CPUs: about 11 characters per CPU and IRQ); the reader parses
it only when its bytes changed, and then only the lines that changed (an idle IRQ's line gives its last
row again).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import sub, truediv

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS, TextReader, read_parsed, read_text
from perftop.probes.kernel_numbers import U64_MAX, is_decimal
from perftop.probes.rates import rate
from perftop.probes.snapshot import InterruptsSnapshot, IrqStats, SoftirqStats

#: Architecture rows of ``/proc/interrupts`` that ``/proc/stat``'s ``intr`` total leaves out: on x86 a TLB
#: shootdown is a function call interrupt already counted in ``CAL``, and a misrouted interrupt (``MIS``)
#: is counted under its own IRQ.
NOT_IN_STAT_TOTAL: frozenset[str] = frozenset({"TLB", "MIS"})

_CPU_NAME = re.compile(r"CPU([0-9]+)")
# After the counts: the chip, the hardware IRQ with its trigger (x86 ``2-edge``; ARM ``27 Level``), then
# two spaces and the handlers' names (``i8042, serio``), none for an IRQ without a handler.
_DESCRIPTION = re.compile(r"(\S+)\s+[0-9]+(?:-\S+)?(?:\s+(?:Level|Edge)(?:-\S+)?)?(?:\s{2,}(.*))?")


@dataclass(frozen=True, slots=True)
class IrqCounters:
    """One row of ``/proc/interrupts``: ``irq`` as the file names it (``24``, ``LOC``); ``counts`` one per
    CPU of the header, or ``None`` for a row of a single machine-wide count (``ERR``, ``MIS``), whose
    count is ``total``. ``name`` is the handlers' names (``virtio1-req.0``; ``""`` for an IRQ without a
    handler) or an architecture row's description; ``chip`` the interrupt chip (``None`` for an
    architecture row)."""

    irq: str
    counts: tuple[int, ...] | None
    total: int
    name: str
    chip: str | None

    @property
    def numbered(self) -> bool:
        """True for an IRQ with a number (and a ``/proc/irq/N`` directory), False for an architecture row."""
        return is_decimal(self.irq)


@dataclass(frozen=True, slots=True)
class InterruptCounters:
    """``/proc/interrupts`` parsed: the CPUs of its columns and its rows in the file's order."""

    cpus: tuple[int, ...]
    rows: tuple[IrqCounters, ...]

    @property
    def stat_total(self) -> int:
        """What ``/proc/stat``'s ``intr`` total counts of these rows: all but :data:`NOT_IN_STAT_TOTAL`."""
        return sum(r.total for r in self.rows if r.irq not in NOT_IN_STAT_TOTAL)


@dataclass(frozen=True, slots=True)
class SoftirqCounters:
    """``/proc/softirqs`` parsed: the CPUs of its columns, and each type's counts by name in file order."""

    cpus: tuple[int, ...]
    rows: dict[str, tuple[int, ...]]


def _header_cpus(line: str) -> tuple[int, ...] | None:
    cpus = []
    for word in line.split():
        match = _CPU_NAME.fullmatch(word)
        if match is None:
            return None
        cpus.append(int(match.group(1)))
    if not cpus or len(set(cpus)) != len(cpus):
        return None
    return tuple(cpus)


def _counts(words: list[str], most: int) -> list[int]:
    """The leading decimal words (at most ``most``) as numbers; stops at the first other word."""
    head = words[:most]
    joined = "".join(head)
    # The common case in one check over the whole row: every word ASCII digits, none above a u64.
    if joined.isascii() and joined.isdigit() and len(joined) <= 20 * len(head):
        numbers = list(map(int, head))
        if not numbers or max(numbers) <= U64_MAX:
            return numbers
    counts: list[int] = []
    for word in head:
        if not is_decimal(word) or len(word) > 20:
            break
        value = int(word)
        if value > U64_MAX:
            break
        counts.append(value)
    return counts


def _irq_line(line: str, ncpus: int) -> IrqCounters | None:
    """One row, or ``None`` for a line cut short or garbled."""
    label, colon, rest = line.partition(":")
    irq = label.strip()
    if not colon or not irq or " " in irq:
        return None
    words = rest.split(None, ncpus)
    counts = _counts(words, ncpus)
    described = len(words) > len(counts)
    # With every count read, the last word is the rest of the line (split at most ncpus times).
    description = words[len(counts)].strip() if described else ""
    if len(counts) == ncpus:
        per_cpu: tuple[int, ...] | None = tuple(counts)
    elif len(counts) == 1 and not described:
        per_cpu = None  # ERR, MIS: one count for the machine
    else:
        return None  # a line cut short (fewer counts than CPUs) or a garbled count
    total = sum(counts)
    if is_decimal(irq):
        match = _DESCRIPTION.fullmatch(description)
        if match is None:
            # A layout of another architecture: the chip first, the rest as the name.
            chip, _, name = description.partition(" ")
            return IrqCounters(irq, per_cpu, total, name.strip(), chip or None)
        return IrqCounters(irq, per_cpu, total, (match.group(2) or "").strip(), match.group(1))
    return IrqCounters(irq, per_cpu, total, description, None)


@dataclass(slots=True)
class IrqLines:
    """A caller's memo of :func:`parse_interrupts` between calls: the CPUs of the last header, and each
    line of the last text with the row it gave."""

    cpus: tuple[int, ...] = ()
    rows: dict[str, IrqCounters] = field(default_factory=dict)


def parse_interrupts(text: str, lines: IrqLines | None = None) -> InterruptCounters | None:
    """Parse ``/proc/interrupts``; ``None`` when its header is missing or garbled. Lines cut short or
    garbled are skipped; an IRQ seen twice keeps its first line.

    ``lines``: the caller's memo (empty at first), refilled with this text's lines and their rows: a line
    found there unchanged gives that row again without being parsed (an idle IRQ's line). The result
    equals the one without it.
    """
    header, _, body = text.partition("\n")
    cpus = _header_cpus(header)
    if cpus is None:
        return None
    ncpus = len(cpus)
    memo = None
    if lines is not None:
        # Lines of another set of CPUs mean something else.
        memo = lines.rows if lines.cpus == cpus else {}
    rows: dict[str, IrqCounters] = {}
    seen: dict[str, IrqCounters] = {}
    for line in body.splitlines():
        if not line.strip():
            continue
        row = memo.get(line) if memo is not None else None
        if row is None:
            row = _irq_line(line, ncpus)
            if row is None:
                continue
        seen[line] = row
        if row.irq not in rows:
            rows[row.irq] = row
    if lines is not None:
        lines.cpus, lines.rows = cpus, seen
    return InterruptCounters(cpus, tuple(rows.values()))


def parse_softirqs(text: str) -> SoftirqCounters | None:
    """Parse ``/proc/softirqs``; ``None`` when its header is missing or garbled. Rows cut short or garbled
    are skipped."""
    header, _, body = text.partition("\n")
    cpus = _header_cpus(header)
    if cpus is None:
        return None
    rows: dict[str, tuple[int, ...]] = {}
    for line in body.splitlines():
        label, colon, rest = line.partition(":")
        name = label.strip()
        if not colon or not name or " " in name or name in rows:
            continue
        words = rest.split()
        counts = _counts(words, len(cpus))
        if len(counts) == len(cpus) == len(words):
            rows[name] = tuple(counts)
    return SoftirqCounters(cpus, rows)


# ---------------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------------


def read_interrupts(
    fs: FS, read: TextReader = read_text, lines: IrqLines | None = None
) -> InterruptCounters | None:
    """``/proc/interrupts`` parsed, or ``None`` when it cannot be read (``lines``: see
    :func:`parse_interrupts`)."""
    return read_parsed(read, fs.proc("interrupts"), parse_interrupts, lines)


def read_softirqs(fs: FS, read: TextReader = read_text) -> SoftirqCounters | None:
    """``/proc/softirqs`` parsed, or ``None`` when it cannot be read."""
    return read_parsed(read, fs.proc("softirqs"), parse_softirqs)


def _cpu_list_file(path: str) -> tuple[int, ...] | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        return tuple(sorted(parse_cpu_list(text)))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class IrqAffinity:
    """An IRQ's ``smp_affinity_list`` (the CPUs it may be sent to) and ``effective_affinity_list`` (those
    the kernel sends it to); ``None`` where the file is missing or unreadable."""

    smp_affinity_list: tuple[int, ...] | None
    effective_affinity_list: tuple[int, ...] | None


def read_irq_affinity(fs: FS, irq: str) -> IrqAffinity:
    """The affinity files of ``/proc/irq/IRQ`` (both ``None`` for an IRQ without a directory)."""
    if not is_decimal(irq):
        return IrqAffinity(None, None)
    return IrqAffinity(
        _cpu_list_file(fs.proc("irq", irq, "smp_affinity_list")),
        _cpu_list_file(fs.proc("irq", irq, "effective_affinity_list")),
    )


def read_affinities(fs: FS, counters: InterruptCounters | None) -> dict[str, IrqAffinity]:
    """The affinity of every numbered IRQ of ``counters`` that has a ``/proc/irq`` directory."""
    if counters is None:
        return {}
    try:
        present = set(os.listdir(fs.proc("irq")))
    except OSError:
        return {}
    return {r.irq: read_irq_affinity(fs, r.irq) for r in counters.rows if r.numbered and r.irq in present}


# ---------------------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------------------


def _rates(
    prev: tuple[int, ...] | None,
    prev_cpus: tuple[int, ...] | None,
    cur: tuple[int, ...],
    cpus: tuple[int, ...],
    elapsed: float | None,
) -> tuple[float | None, ...]:
    """The rate of each count of ``cur`` (CPUs ``cpus``) since ``prev`` (CPUs ``prev_cpus``), as
    :func:`~perftop.probes.rates.rate` gives it, by CPU number."""
    if prev is None or prev_cpus is None or elapsed is None or elapsed <= 0:
        return (None,) * len(cur)
    if prev is cur:
        return (0.0,) * len(cur)  # an idle line: the memo gave the last row again
    if prev_cpus != cpus:
        before = dict(zip(prev_cpus, prev, strict=True))
        return tuple(rate(before.get(cpu), count, elapsed) for cpu, count in zip(cpus, cur, strict=True))
    # The same CPUs (the usual case): every pair at once, for tables of 256 CPUs and hundreds of IRQs.
    deltas = list(map(sub, cur, prev))
    if min(deltas, default=0) >= 0:
        return tuple(map(truediv, deltas, repeat(elapsed)))
    return tuple(None if d < 0 else d / elapsed for d in deltas)


def _total_rate(rates: tuple[float | None, ...]) -> float | None:
    if None in rates:
        return None
    return sum(rates)  # type: ignore[arg-type]  # no None, checked above


def irq_stats(
    prev: InterruptCounters | None,
    cur: InterruptCounters,
    elapsed: float | None,
    affinities: Mapping[str, IrqAffinity] | None = None,
) -> tuple[IrqStats, ...]:
    """Each IRQ's counts and its rates since ``prev`` (per CPU, by CPU number: a CPU absent from
    ``prev`` has ``None``), busiest first (by total rate, unknown last; then in the file's order). An IRQ
    whose name changed since ``prev`` (its number now another device's) has ``None`` rates."""
    before = {r.irq: r for r in prev.rows} if prev is not None else {}
    out: list[IrqStats] = []
    for row in cur.rows:
        old = before.get(row.irq)
        if old is not None and old.name != row.name:
            old = None
        affinity = (affinities or {}).get(row.irq)
        if row.counts is None:
            rates = None
            one_count = old is not None and old.counts is None
            total_rate = rate(old.total, row.total, elapsed) if old is not None and one_count else None
        else:
            old_counts = old.counts if old is not None else None
            rates = _rates(old_counts, None if prev is None else prev.cpus, row.counts, cur.cpus, elapsed)
            total_rate = _total_rate(rates)
        out.append(
            IrqStats(
                irq=row.irq,
                name=row.name,
                chip=row.chip,
                counts=row.counts,
                counts_per_s=rates,
                total=row.total,
                total_per_s=total_rate,
                smp_affinity_list=None if affinity is None else affinity.smp_affinity_list,
                effective_affinity_list=None if affinity is None else affinity.effective_affinity_list,
            )
        )
    order = {id(s): i for i, s in enumerate(out)}
    out.sort(key=lambda s: (s.total_per_s is None, -(s.total_per_s or 0.0), order[id(s)]))
    return tuple(out)


def softirq_stats(
    prev: SoftirqCounters | None, cur: SoftirqCounters, elapsed: float | None
) -> tuple[SoftirqStats, ...]:
    """Each softirq type's counts and rates since ``prev``, in the file's order."""
    out: list[SoftirqStats] = []
    for name, counts in cur.rows.items():
        old = prev.rows.get(name) if prev is not None else None
        rates = _rates(old, None if prev is None else prev.cpus, counts, cur.cpus, elapsed)
        out.append(SoftirqStats(name, counts, rates, sum(counts), _total_rate(rates)))
    return tuple(out)


def interrupts_snapshot(
    prev: tuple[InterruptCounters | None, SoftirqCounters | None] | None,
    cur: tuple[InterruptCounters | None, SoftirqCounters | None],
    elapsed: float | None,
    affinities: Mapping[str, IrqAffinity] | None = None,
) -> InterruptsSnapshot:
    """The ``interrupts`` section from two readings of both files (``prev`` ``None``: no rates)."""
    irqs, softirqs = cur
    prev_irqs, prev_soft = prev if prev is not None else (None, None)
    return InterruptsSnapshot(
        cpus=None if irqs is None else irqs.cpus,
        irqs=None if irqs is None else irq_stats(prev_irqs, irqs, elapsed, affinities),
        softirq_cpus=None if softirqs is None else softirqs.cpus,
        softirqs=None if softirqs is None else softirq_stats(prev_soft, softirqs, elapsed),
    )

"""The columns of the process table: titles, widths, formatters, sort keys, and htop's filter.

Pure Python (no Textual), so the formatting, sorting and filtering rules are tested on plain data and
reused by ``--json``-side tools if they want the same text.

Columns, left to right: PID, USER, POL (scheduling class as ``ps -o cls``), RTPRIO, PRI, NI, CPU%, MEM%,
RSS, CPU (last processor), NODE (its NUMA node), REMOTE%, AFFINITY, VCSW/s, NVCSW/s, IO_R/s, IO_W/s,
OOM_SCORE, OOM_ADJ, CGROUP, CONTAINER, RUN-DELAY/s, THROTTLED%, S, TIME+, COMMAND. COMMAND is flexible: it
takes the width the others leave, and never less than ``COMMAND_MIN_WIDTH`` while some column can still drop.

REMOTE%, IO_R/s, IO_W/s, OOM_SCORE, OOM_ADJ, CGROUP, CONTAINER, RUN-DELAY/s and THROTTLED% are optional
(``Column.optional``): hidden until the user shows them (F2), because each costs a read per process that the
other columns do not need: ``numa_maps`` for REMOTE% (``Column.needs_numa``: read only for the rows on
screen, at most every few seconds, so sorting by it orders only the rows that have a value),
``/proc/PID/io`` for the IO rates (read with ``status``), ``oom_score`` and ``oom_score_adj`` for the OOM
columns (``Column.needs_oom``: for the rows on screen, and for every process while the table is sorted by
one), ``/proc/PID/cgroup`` for CGROUP and CONTAINER (rows on screen, kept a few seconds), ``schedstat`` for
RUN-DELAY/s and the group's ``cpu.stat`` for THROTTLED% (rows on screen, each group once).

When the table is too narrow, columns drop in this order (``DROP_ORDER``)::

    NVCSW/s, VCSW/s, AFFINITY, NODE, TIME+, RTPRIO, CPU, RSS, S, MEM%, USER, REMOTE%, IO_W/s, IO_R/s,
    OOM_ADJ, OOM_SCORE, CGROUP, CONTAINER, RUN-DELAY/s, THROTTLED%

PID, POL, PRI, NI, CPU% and COMMAND always stay: they identify the process and show what tuning acts on.
The status-file columns (context-switch rates, AFFINITY) go first because they are read only for rows on
screen anyway; NODE next, since on most machines it is the same for every row and the NUMA pane maps
CPUs to nodes; RTPRIO goes after TIME+ because POL and PRI still show that a process is real-time
(PRI is ``-1 - rtprio`` for FIFO/RR) when RTPRIO is gone. The optional columns go last: the user asked
for them. At 80 terminal columns the table keeps PID USER POL RTPRIO PRI NI CPU% MEM% RSS CPU S COMMAND.

Unknown values show ``-``. Text from the process (command line, comm, user) has control and
bidi/zero-width characters replaced by ``?`` so a hostile name cannot move the terminal cursor or
reorder the line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Literal

from rich.cells import cell_len, set_cell_size

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.snapshot import POLICY_CLASS, ProcessInfo
from perftop.widgets.formatting import (
    UNKNOWN,
    format_byte_rate,
    format_bytes,
    format_percent,
    format_rate,
    format_time,
)
from perftop.widgets.safe_text import printable

Align = Literal["left", "right"]

#: Cells COMMAND keeps before the table gives up on dropping more columns.
COMMAND_MIN_WIDTH = 12

#: Cells between two columns.
SEPARATOR_WIDTH = 1

_RT_POLICIES = frozenset({"SCHED_FIFO", "SCHED_RR"})

#: Scheduling strength, strongest first, so an ascending POL sort lists what preempts what.
_POLICY_RANK: Mapping[str, int] = MappingProxyType(
    {
        "SCHED_DEADLINE": 0,
        "SCHED_FIFO": 1,
        "SCHED_RR": 2,
        "SCHED_OTHER": 3,
        "SCHED_BATCH": 4,
        "SCHED_IDLE": 5,
    }
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the process table.

    ``value`` is the sort key (``None`` sorts last in either direction); ``text`` is the cell text,
    before fitting to ``width``. ``needs_status`` marks values that come from ``/proc/PID/status`` or
    ``/proc/PID/io`` (read together), ``needs_numa`` values that come from ``/proc/PID/numa_maps``,
    ``needs_oom`` values from ``/proc/PID/oom_score`` and ``oom_score_adj``.
    ``optional`` columns are hidden until shown; their ``help`` says what they show and ``source`` what
    perftop reads for them (F2 lists both). ``drop_order`` is the position in ``DROP_ORDER`` (``None``:
    the column always stays).
    ``descending`` is the direction a sort by this column starts in (numeric load figures go high first,
    as htop does). For the flexible COMMAND column, ``width`` is its minimum.
    ``reads``: the ``ProcessInfo`` fields ``text`` is made of, so that processes equal in them have the
    same text (the table builds again only the cells whose fields changed); ``inputs(p)`` gets them.
    """

    key: str
    title: str
    width: int
    align: Align
    value: Callable[[ProcessInfo], Any]
    text: Callable[[ProcessInfo], str]
    needs_status: bool = False
    drop_order: int | None = None
    descending: bool = False
    flexible: bool = False
    aliases: tuple[str, ...] = ()
    needs_numa: bool = False
    needs_oom: bool = False
    optional: bool = False
    reads: tuple[str, ...] = ()
    help: str = ""
    source: str = ""
    inputs: Callable[[ProcessInfo], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.reads:
            raise ValueError(f"column {self.key}: reads names no field")
        if self.optional and not (self.help and self.source):
            raise ValueError(f"column {self.key}: an optional column needs help and source")
        object.__setattr__(self, "inputs", attrgetter(*self.reads))


def fit(text: str, width: int, align: Align) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells; a cut value ends in ``+`` as ``ps`` marks it."""
    if text.isascii():
        length = len(text)
        if length <= width:  # the common case, one C call
            return text.rjust(width) if align == "right" else text.ljust(width)
    else:
        length = cell_len(text)
    if length > width:
        text = set_cell_size(text, width - 1) + "+" if width > 1 else set_cell_size(text, width)
        length = width
    pad = " " * (width - length)
    return pad + text if align == "right" else text + pad


def command_text(p: ProcessInfo) -> str:
    """The command line, or ``[comm]`` for a kernel thread or a process without one (zombie, unreadable)."""
    if p.kernel_thread or not p.cmdline:
        return f"[{printable(p.comm)}]"
    return printable(p.cmdline)


def user_text(p: ProcessInfo) -> str:
    """The user name, the numeric UID when the name is unknown (as ``ps`` does), else ``-``."""
    if p.user is not None:
        return printable(p.user)
    return str(p.uid) if p.uid is not None else UNKNOWN


def policy_text(p: ProcessInfo) -> str:
    """The scheduling class as ``ps -o cls`` shows it (``TS``, ``FF``, ``RR``, ``B``, ``IDL``, ``DLN``)."""
    if p.policy is None:
        return UNKNOWN
    return POLICY_CLASS.get(p.policy, "?")


def rtprio_text(p: ProcessInfo) -> str:
    """The real-time priority for FIFO/RR, ``-`` otherwise, as ``ps -o rtprio`` shows it."""
    if p.policy not in _RT_POLICIES or p.rtprio is None:
        return UNKNOWN
    return str(p.rtprio)


def priority_text(p: ProcessInfo) -> str:
    """The stat priority field as top's PR shows it: ``RT`` for -100 (RT priority 99)."""
    if p.priority is None:
        return UNKNOWN
    return "RT" if p.priority == -100 else str(p.priority)


def is_realtime(p: ProcessInfo) -> bool:
    """True for SCHED_FIFO, SCHED_RR and SCHED_DEADLINE: policies that preempt every normal task."""
    return p.policy in _RT_POLICIES or p.policy == "SCHED_DEADLINE"


def _optional_float(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.1f}"


def _optional_int(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def cgroup_text(path: str | None) -> str:
    """The last component of a cgroup path (``/`` for the root), as the CGROUP column shows it."""
    if path is None:
        return UNKNOWN
    return printable(path.rstrip("/").rsplit("/", 1)[-1] or "/")


def _affinity_value(p: ProcessInfo) -> tuple[int, tuple[int, ...]] | None:
    # Fewest CPUs first when ascending: pinned processes are the ones worth looking at.
    return None if p.affinity is None else (len(p.affinity), p.affinity)


def _affinity_text(p: ProcessInfo) -> str:
    return format_cpu_list(p.affinity) if p.affinity else UNKNOWN


def _policy_value(p: ProcessInfo) -> int | None:
    return None if p.policy is None else _POLICY_RANK.get(p.policy, len(_POLICY_RANK))


def _user_value(p: ProcessInfo) -> str | None:
    if p.user is not None:
        return p.user
    return None if p.uid is None else str(p.uid)


COLUMNS: tuple[Column, ...] = (
    Column(
        "pid", "PID", 7, "right", attrgetter("pid"), lambda p: str(p.pid), aliases=("tgid",), reads=("pid",)
    ),
    Column(
        "user",
        "USER",
        9,
        "left",
        _user_value,
        user_text,
        drop_order=10,
        aliases=("uid", "owner"),
        reads=("user", "uid"),
    ),
    Column(
        "policy",
        "POL",
        3,
        "left",
        _policy_value,
        policy_text,
        aliases=("cls", "class", "sched"),
        reads=("policy",),
    ),
    Column(
        "rtprio",
        "RTPRIO",
        6,
        "right",
        attrgetter("rtprio"),
        rtprio_text,
        drop_order=5,
        descending=True,
        aliases=("rt_priority",),
        reads=("policy", "rtprio"),
    ),
    Column(
        "priority",
        "PRI",
        4,
        "right",
        attrgetter("priority"),
        priority_text,
        aliases=("pr", "prio"),
        reads=("priority",),
    ),
    Column("nice", "NI", 3, "right", attrgetter("nice"), lambda p: _optional_int(p.nice), reads=("nice",)),
    Column(
        "cpu",
        "CPU%",
        5,
        "right",
        attrgetter("cpu_percent"),
        lambda p: format_percent(p.cpu_percent),
        descending=True,
        aliases=("cpu_percent", "pcpu"),
        reads=("cpu_percent",),
    ),
    Column(
        "mem",
        "MEM%",
        5,
        "right",
        attrgetter("mem_percent"),
        lambda p: format_percent(p.mem_percent),
        drop_order=9,
        descending=True,
        aliases=("mem_percent", "pmem", "memory"),
        reads=("mem_percent",),
    ),
    Column(
        "rss",
        "RSS",
        6,
        "right",
        attrgetter("rss_bytes"),
        lambda p: format_bytes(p.rss_bytes),
        drop_order=7,
        descending=True,
        aliases=("rss_bytes", "res"),
        reads=("rss_bytes",),
    ),
    Column(
        "processor",
        "CPU",
        3,
        "right",
        attrgetter("processor"),
        lambda p: _optional_int(p.processor),
        drop_order=6,
        aliases=("psr", "last_cpu"),
        reads=("processor",),
    ),
    Column(
        "node",
        "NODE",
        4,
        "right",
        attrgetter("node"),
        lambda p: _optional_int(p.node),
        drop_order=3,
        aliases=("numa_node",),
        reads=("node",),
    ),
    Column(
        "remote",
        "REMOTE%",
        8,
        "right",
        attrgetter("remote_percent"),
        lambda p: format_percent(p.remote_percent),
        drop_order=11,
        descending=True,
        aliases=("remote_percent",),
        needs_numa=True,
        optional=True,
        reads=("remote_percent",),
        help="resident memory on nodes other than NODE",
        source="numa_maps of the rows on screen",
    ),
    Column(
        "affinity",
        "AFFINITY",
        10,
        "left",
        _affinity_value,
        _affinity_text,
        needs_status=True,
        drop_order=2,
        aliases=("cpus_allowed", "cpus_allowed_list"),
        reads=("affinity",),
    ),
    Column(
        "vcsw",
        "VCSW/s",
        7,
        "right",
        attrgetter("voluntary_ctxt_switches_per_s"),
        lambda p: format_rate(p.voluntary_ctxt_switches_per_s),
        needs_status=True,
        drop_order=1,
        descending=True,
        aliases=("voluntary_ctxt_switches_per_s", "voluntary_ctxt_switches"),
        reads=("voluntary_ctxt_switches_per_s",),
    ),
    Column(
        "nvcsw",
        "NVCSW/s",
        8,
        "right",
        attrgetter("nonvoluntary_ctxt_switches_per_s"),
        lambda p: format_rate(p.nonvoluntary_ctxt_switches_per_s),
        needs_status=True,
        drop_order=0,
        descending=True,
        aliases=("nonvoluntary_ctxt_switches_per_s", "nonvoluntary_ctxt_switches"),
        reads=("nonvoluntary_ctxt_switches_per_s",),
    ),
    Column(
        "io_read",
        "IO_R/s",
        7,
        "right",
        attrgetter("io_read_bytes_per_s"),
        lambda p: format_byte_rate(p.io_read_bytes_per_s),
        needs_status=True,
        drop_order=13,
        descending=True,
        aliases=("io_read_bytes_per_s", "io_r", "read_bytes"),
        optional=True,
        reads=("io_read_bytes_per_s",),
        help="bytes per second read from storage, children it reaped included",
        source="/proc/PID/io read_bytes",
    ),
    Column(
        "io_write",
        "IO_W/s",
        7,
        "right",
        attrgetter("io_write_bytes_per_s"),
        lambda p: format_byte_rate(p.io_write_bytes_per_s),
        needs_status=True,
        drop_order=12,
        descending=True,
        aliases=("io_write_bytes_per_s", "io_w", "write_bytes"),
        optional=True,
        reads=("io_write_bytes_per_s",),
        help="bytes per second written to storage, children it reaped included",
        source="/proc/PID/io write_bytes",
    ),
    Column(
        "oom_score",
        "OOM_SCORE",
        9,
        "right",
        attrgetter("oom_score"),
        lambda p: _optional_int(p.oom_score),
        drop_order=15,
        descending=True,
        aliases=("oom", "badness"),
        needs_oom=True,
        optional=True,
        reads=("oom_score",),
        help="the kernel's OOM badness, 0-2000: the highest is killed first when memory runs out",
        source="/proc/PID/oom_score of the rows on screen",
    ),
    Column(
        "oom_adj",
        "OOM_ADJ",
        7,
        "right",
        attrgetter("oom_score_adj"),
        lambda p: _optional_int(p.oom_score_adj),
        drop_order=14,
        descending=True,
        aliases=("oom_score_adj",),
        needs_oom=True,
        optional=True,
        reads=("oom_score_adj",),
        help="oom_score_adj, -1000 (never killed) to 1000, as the o key sets it",
        source="/proc/PID/oom_score_adj of the rows on screen",
    ),
    Column(
        "cgroup",
        "CGROUP",
        16,
        "left",
        attrgetter("cgroup"),
        lambda p: cgroup_text(p.cgroup),
        drop_order=16,
        aliases=("cgroup_path",),
        optional=True,
        reads=("cgroup",),
        help="last component of the process's cgroup path (F4 matches the whole path)",
        source="/proc/PID/cgroup of the rows on screen",
    ),
    Column(
        "container",
        "CONTAINER",
        19,
        "left",
        attrgetter("container"),
        lambda p: printable(p.container) if p.container else UNKNOWN,
        drop_order=17,
        aliases=("pod", "unit"),
        optional=True,
        reads=("container",),
        help="Docker, containerd/Kubernetes, CRI-O, Podman or LXC container (short ID), or systemd unit",
        source="/proc/PID/cgroup of the rows on screen",
    ),
    Column(
        "run_delay",
        "RUN-DELAY/s",
        11,
        "right",
        attrgetter("run_delay_ms_per_s"),
        lambda p: _optional_float(p.run_delay_ms_per_s),
        drop_order=18,
        descending=True,
        aliases=("run_delay_ms_per_s", "rdelay"),
        optional=True,
        reads=("run_delay_ms_per_s",),
        help="milliseconds a second spent waiting for a CPU on a run queue (atop's RDELAY)",
        source="/proc/PID/schedstat of the rows on screen",
    ),
    Column(
        "throttled",
        "THROTTLED%",
        10,
        "right",
        attrgetter("throttled_percent"),
        lambda p: _optional_float(p.throttled_percent),
        drop_order=19,
        descending=True,
        aliases=("throttled_percent", "throttle"),
        optional=True,
        reads=("throttled_percent",),
        help="share of its cgroup's CPU quota periods that were throttled (nr_throttled / nr_periods)",
        source="cpu.stat of the rows' cgroups, each once a refresh",
    ),
    Column(
        "state",
        "S",
        1,
        "left",
        lambda p: p.state or None,
        lambda p: printable(p.state) or UNKNOWN,
        drop_order=8,
        aliases=("stat",),
        reads=("state",),
    ),
    Column(
        "time",
        "TIME+",
        9,
        "right",
        attrgetter("cpu_time_seconds"),
        lambda p: format_time(p.cpu_time_seconds),
        drop_order=4,
        descending=True,
        aliases=("cpu_time_seconds", "cputime"),
        reads=("cpu_time_seconds",),
    ),
    Column(
        "command",
        "COMMAND",
        COMMAND_MIN_WIDTH,
        "left",
        command_text,
        command_text,
        flexible=True,
        aliases=("cmd", "cmdline", "comm", "name", "args"),
        reads=("kernel_thread", "cmdline", "comm"),
    ),
)

#: Column key -> column.
COLUMN_BY_KEY: Mapping[str, Column] = MappingProxyType({c.key: c for c in COLUMNS})

#: Keys of the optional columns, hidden until shown, in display order.
OPTIONAL_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.optional)

#: Keys of the columns that give way at narrow widths, first dropped first. The others always stay.
DROP_ORDER: tuple[str, ...] = tuple(
    c.key for c in sorted((c for c in COLUMNS if c.drop_order is not None), key=lambda c: c.drop_order or 0)
)


#: The columns whose values come from ``/proc/PID/io``.
IO_KEYS: frozenset[str] = frozenset({"io_read", "io_write"})

#: The columns whose values come from ``/proc/PID/oom_score`` and ``oom_score_adj``.
OOM_KEYS: frozenset[str] = frozenset(c.key for c in COLUMNS if c.needs_oom)

#: The columns whose values come from ``/proc/PID/cgroup``.
CGROUP_KEYS: frozenset[str] = frozenset({"cgroup", "container"})

#: The columns read for the rows on screen only: ``schedstat`` (RUN-DELAY/s) and the group's ``cpu.stat``
#: (THROTTLED%); sorting by one orders only the rows that have a value.
SCHED_KEYS: frozenset[str] = frozenset({"run_delay", "throttled"})


def find_column(name: str) -> Column | None:
    """The column a user-typed name means, case-insensitively: its key, then its title, then an alias.

    ``cpu`` is CPU% (the key wins over the title of the CPU column, whose key is ``processor``), so
    ``--sort cpu`` means what htop users expect.
    """
    wanted = name.strip().casefold()
    if wanted in COLUMN_BY_KEY:
        return COLUMN_BY_KEY[wanted]
    for column in COLUMNS:
        if column.title.casefold() == wanted:
            return column
    for column in COLUMNS:
        if wanted in column.aliases:
            return column
    return None


def resolve_column(name: str) -> Column:
    """Like ``find_column`` but raises ``ValueError`` listing the valid keys for an unknown name."""
    column = find_column(name)
    if column is None:
        raise ValueError(f"unknown column {name!r}; use one of: {', '.join(COLUMN_BY_KEY)}")
    return column


def _required_width(columns: Iterable[Column]) -> int:
    widths = [c.width for c in columns]
    return sum(widths) + SEPARATOR_WIDTH * max(0, len(widths) - 1)


def table_columns(shown_optional: Collection[str] = ()) -> list[Column]:
    """The table's columns at any width, left to right: every column but the optional ones not in
    ``shown_optional`` (keys)."""
    return [c for c in COLUMNS if not c.optional or c.key in shown_optional]


def visible_columns(width: int, shown_optional: Collection[str] = ()) -> list[Column]:
    """The columns of ``table_columns(shown_optional)`` that fit in ``width`` cells, dropping in
    ``DROP_ORDER`` until COMMAND keeps at least ``COMMAND_MIN_WIDTH`` cells. Below the width of the
    always-stay columns, those are returned anyway."""
    columns = table_columns(shown_optional)
    for key in DROP_ORDER:
        if _required_width(columns) <= width:
            break
        columns = [c for c in columns if c.key != key]
    return columns


_by_pid = attrgetter("pid")


def sort_processes(procs: Iterable[ProcessInfo], key: str, reverse: bool = False) -> list[ProcessInfo]:
    """Processes ordered by a column (key or name), stable, ties by ascending PID, unknown values last."""
    column = resolve_column(key)
    # Loops in C (map, sorted) rather than in Python: this runs over every process on every refresh.
    by_pid = sorted(procs, key=_by_pid)
    values = list(map(column.value, by_pid))
    if None in values:
        known = [i for i, value in enumerate(values) if value is not None]
        unknown = [p for p, value in zip(by_pid, values, strict=True) if value is None]
    else:
        known, unknown = list(range(len(values))), []
    # list.sort stays stable with reverse=True, so equal values keep the ascending PID order.
    known.sort(key=values.__getitem__, reverse=reverse)
    return [*map(by_pid.__getitem__, known), *unknown]


def _matches_folded(p: ProcessInfo, needle: str) -> bool:
    return (
        needle in p.comm.casefold()
        or (p.cmdline is not None and needle in p.cmdline.casefold())
        or (p.user is not None and needle in p.user.casefold())
        or (p.cgroup is not None and needle in p.cgroup.casefold())
    )


def matches(p: ProcessInfo, text: str) -> bool:
    """htop's filter and search: ``text`` is a case-insensitive substring of the command line, comm,
    user or cgroup path (where read). Empty text matches every process."""
    needle = text.casefold()
    return not needle or _matches_folded(p, needle)


def filter_processes(
    procs: Iterable[ProcessInfo],
    text: str = "",
    user: str | None = None,
    pids: frozenset[int] | None = None,
    hide_kernel: bool = False,
) -> list[ProcessInfo]:
    """The processes passing every filter given: ``matches(text)``, owned by ``user`` (exact name),
    PID in ``pids``, and not a kernel thread when ``hide_kernel``. ``None``/empty means no filter."""
    needle = text.casefold()
    if not (needle or user is not None or pids is not None or hide_kernel):
        return list(procs)
    return [
        p
        for p in procs
        if (not hide_kernel or not p.kernel_thread)
        and (user is None or p.user == user)
        and (pids is None or p.pid in pids)
        and (not needle or _matches_folded(p, needle))
    ]

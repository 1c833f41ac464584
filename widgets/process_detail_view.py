"""The body of the process detail screen: one process in sections (scheduler, status, limits, OOM, IO,
NUMA, files, cgroup, command line and environment), drawn from a :class:`DetailReading`.

Every text from the process or the kernel goes into ``rich.text.Text``, never parsed as markup: the name,
the command line and the environment spelled out by :func:`~perftop.widgets.safe_text.escaped` (a control
character shows as ``\\e``), paths and figures through :func:`~perftop.widgets.safe_text.printable`.
Figures the kernel does not give show ``-``; files absent on this kernel or controller say ``absent``.
"""

from __future__ import annotations

import resource
from collections.abc import Iterable

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.detail_data import UNLIMITED, CgroupStats, DetailReading, Limit, ProcessDetail
from perftop.probes.snapshot import POLICY_CLASS
from perftop.widgets.formatting import UNKNOWN, format_bytes, sparkline
from perftop.widgets.safe_text import escaped, printable

#: Width from which the sections stand in two columns.
TWO_COLUMNS_WIDTH = 150
#: Cells of the run-delay sparkline.
SPARK_CELLS = 30
#: The lines of the environment shown (a process may have thousands).
ENVIRON_LINES = 200

Section = tuple[str, Text]


def _n(value: float | int | None, fmt: str = "{}") -> str:
    return UNKNOWN if value is None else fmt.format(value)


def _rows(pairs: Iterable[tuple[str, str | Text]]) -> Text:
    """``label  value`` lines with the labels in one column (values are printable already)."""
    items = list(pairs)
    width = max((len(label) for label, _ in items), default=0)
    text = Text()
    for i, (label, value) in enumerate(items):
        if i:
            text.append("\n")
        text.append(f"{label:<{width}}  ", style="dim")
        text.append(value)
    return text


def _bytes_limit(value: int | None) -> str:
    if value is None:
        return "absent"
    return "max" if value == UNLIMITED else format_bytes(value)


def _limit(value: int | None) -> str:
    if value is None:
        return UNKNOWN
    return "unlimited" if value == resource.RLIM_INFINITY else str(value)


def _file(stats: CgroupStats, name: str) -> str:
    """The file a figure came from, by its last component (the full path is in the cgroup line)."""
    path = stats.files.get(name)
    return "" if path is None else f" ({path.rsplit('/', 1)[-1]})"


def scheduler_section(reading: DetailReading) -> Section:
    """schedstat and sched: time on CPU, run delay (rate and history), switches, migrations, waits."""
    detail = reading.detail
    assert detail is not None
    stat, sched = detail.schedstat, detail.sched
    scale = max((v for v in reading.run_delay_history if v is not None), default=0.0) or 1.0
    rows: list[tuple[str, str | Text]] = [
        ("on CPU", UNKNOWN if stat is None else f"{stat.cpu_time_ns / 1e9:.3f} s"),
        ("waiting to run", UNKNOWN if stat is None else f"{stat.run_delay_ns / 1e9:.3f} s"),
        ("timeslices", _n(None if stat is None else stat.timeslices)),
        ("run delay", f"{_n(reading.run_delay_ms_per_s, '{:.1f}')} ms/s"),
        ("history", Text(sparkline(reading.run_delay_history, SPARK_CELLS, scale), style="cyan")),
    ]
    if sched is not None:
        rows += [
            ("switches", _n(sched.nr_switches)),
            ("  voluntary", _n(sched.nr_voluntary_switches)),
            ("  involuntary", _n(sched.nr_involuntary_switches)),
            ("migrations", _n(sched.nr_migrations)),
            ("sum_exec_runtime", f"{_n(sched.sum_exec_runtime_ms, '{:.1f}')} ms"),
        ]
        if sched.schedstats_on:
            rows += [
                ("wait_sum", f"{_n(sched.wait_sum_ms, '{:.1f}')} ms"),
                ("wait_max", f"{_n(sched.wait_max_ms, '{:.3f}')} ms"),
            ]
        elif detail.schedstats_enabled is False:
            rows.append(("wait_sum/max", "schedstats off: sysctl kernel.sched_schedstats=1 turns them on"))
        else:
            rows.append(("wait_sum/max", "not kept by this kernel (needs CONFIG_SCHEDSTATS)"))
    else:
        rows.append(("sched", "unreadable (needs CONFIG_SCHED_DEBUG, or root for another user's)"))
    return "Scheduler", _rows(rows)


def status_section(detail: ProcessDetail) -> Section:
    """``status``: state, threads, affinity, memory nodes, switches, seccomp, NoNewPrivs, capabilities."""
    status = detail.status
    if status is None:
        return "Status", Text("unreadable")
    caps = status.capabilities
    if caps is None:
        caps_text = UNKNOWN
    elif not caps:
        caps_text = "none"
    else:
        caps_text = " ".join(c.removeprefix("cap_") for c in caps)
    rows: list[tuple[str, str | Text]] = [
        ("state", printable(status.state or UNKNOWN)),
        ("threads", _n(status.threads)),
        ("Cpus_allowed_list", printable(status.cpus_allowed_list or UNKNOWN)),
        ("Mems_allowed_list", printable(status.mems_allowed_list or UNKNOWN)),
        (
            "switches vol/invol",
            f"{_n(status.voluntary_ctxt_switches)} / {_n(status.nonvoluntary_ctxt_switches)}",
        ),
        ("seccomp", printable(status.seccomp or UNKNOWN)),
        ("NoNewPrivs", UNKNOWN if status.no_new_privs is None else str(int(status.no_new_privs))),
        ("capabilities", Text(printable(caps_text), overflow="fold")),
    ]
    return "Status", _rows(rows)


def limits_section(detail: ProcessDetail) -> Section:
    """The rlimits that govern tuning, soft and hard."""
    limits = detail.limits
    if limits is None:
        return "Limits (soft / hard)", Text("unreadable")
    rows: list[tuple[str, str | Text]] = []
    for name in ("NICE", "RTPRIO", "RTTIME", "MEMLOCK", "NOFILE"):
        limit: Limit | None = limits.get(name)
        if limit is None:
            rows.append((f"RLIMIT_{name}", "absent"))
        else:
            unit = f" {printable(limit.unit)}" if limit.unit else ""
            rows.append((f"RLIMIT_{name}", f"{_limit(limit.soft)} / {_limit(limit.hard)}{unit}"))
    return "Limits (soft / hard)", _rows(rows)


def memory_io_section(reading: DetailReading) -> Section:
    """OOM score, IO counters and class, open descriptors."""
    detail = reading.detail
    assert detail is not None
    io = detail.io or {}
    fds = detail.descriptors
    rows: list[tuple[str, str | Text]] = [
        ("oom_score", _n(detail.oom_score)),
        ("oom_score_adj", _n(detail.oom_score_adj)),
        ("ionice", printable(reading.ionice or UNKNOWN)),
    ]
    if detail.io is None:
        rows.append(("io", "unreadable"))
    else:
        rows += [
            ("read/written", f"{format_bytes(io.get('read_bytes'))} / {format_bytes(io.get('write_bytes'))}"),
            ("rchar/wchar", f"{format_bytes(io.get('rchar'))} / {format_bytes(io.get('wchar'))}"),
            ("syscr/syscw", f"{_n(io.get('syscr'))} / {_n(io.get('syscw'))}"),
        ]
    if fds is None:
        rows.append(("open files", "unreadable"))
    else:
        more = "+" if fds.more else ""
        rows.append(("open files", f"{fds.open}{more}, {fds.sockets} sockets"))
    return "OOM, IO and files", _rows(rows)


def numa_section(detail: ProcessDetail) -> Section:
    """Resident memory per NUMA node (``numa_maps``)."""
    numa = detail.numa
    if numa is None:
        return "NUMA", Text("numa_maps unreadable")
    rows: list[tuple[str, str | Text]] = [
        (f"node {node}", format_bytes(size)) for node, size in sorted(numa.node_bytes.items())
    ]
    allowed = UNKNOWN if numa.mems_allowed is None else format_cpu_list(numa.mems_allowed)
    rows.append(("mems allowed", allowed))
    return "NUMA", _rows(rows)


def cgroup_notes(reading: DetailReading) -> list[str]:
    """What the group decides for tuning: a quota that throttles, an RT budget of 0."""
    detail = reading.detail
    stats = None if detail is None else detail.cgroup
    if stats is None:
        return []
    notes = []
    if reading.throttled_per_s and stats.quota_cpus is not None:
        notes.append(
            f"throttled: {stats.files.get('cpu_quota', 'cpu.max')} allows {stats.quota_cpus:g} CPU per period"
        )
    if stats.rt_runtime_us == 0:
        notes.append(f"RT policies refused: {stats.files.get('rt_runtime', 'cpu.rt_runtime_us')} is 0")
    return notes


def cgroup_section(reading: DetailReading) -> Section:
    """The group's paths, container, CPU quota and weight, cpuset, memory, throttling and pressure."""
    detail = reading.detail
    assert detail is not None
    stats = detail.cgroup
    if stats is None:
        return "Cgroup", Text("/proc/PID/cgroup unreadable")
    rows: list[tuple[str, str | Text]] = [("path", printable(stats.path or UNKNOWN))]
    groups = stats.cgroups
    if groups is not None:
        if groups.v2 is not None and groups.v2 != stats.path:
            rows.append(("v2", printable(groups.v2)))
        for controller in ("cpu", "cpuset", "memory"):
            path = groups.v1.get(controller)
            if path is not None and path != stats.path:
                rows.append((f"v1 {controller}", printable(path)))
    if detail.container is not None:
        rows.append(("container", printable(str(detail.container))))
    quota = stats.cpu_quota_us
    if quota is None:
        quota_text = "absent"
    elif quota == UNLIMITED:
        quota_text = f"max {_n(stats.cpu_period_us)}"
    else:
        quota_text = f"{quota} {_n(stats.cpu_period_us)} ({stats.quota_cpus or 0:g} CPU)"
    rows += [
        ("cpu quota", quota_text + _file(stats, "cpu_quota")),
        (
            "cpu weight",
            (_n(stats.cpu_weight) if stats.cpu_weight is not None else "absent") + _file(stats, "cpu_weight"),
        ),
        ("cpuset cpus", "absent" if stats.cpuset_cpus is None else format_cpu_list(stats.cpuset_cpus)),
        ("cpuset mems", "absent" if stats.cpuset_mems is None else format_cpu_list(stats.cpuset_mems)),
        ("memory max", _bytes_limit(stats.memory_max_bytes) + _file(stats, "memory_max")),
        ("memory high", _bytes_limit(stats.memory_high_bytes) + _file(stats, "memory_high")),
        (
            "memory current",
            "absent" if stats.memory_current_bytes is None else format_bytes(stats.memory_current_bytes),
        ),
    ]
    cpu = stats.cpu_stat
    if cpu is None:
        rows.append(("throttling", "absent"))
    else:
        rows += [
            ("periods", _n(cpu.nr_periods)),
            ("throttled", f"{_n(cpu.nr_throttled)}  {_n(reading.throttled_per_s, '{:.1f}')}/s"),
            (
                "throttled time",
                f"{_n(None if cpu.throttled_usec is None else cpu.throttled_usec / 1000, '{:.1f}')} ms  "
                f"{_n(reading.throttled_ms_per_s, '{:.1f}')} ms/s",
            ),
        ]
    if stats.rt_runtime_us is not None:
        rows.append(
            ("rt_runtime_us", "unlimited" if stats.rt_runtime_us == UNLIMITED else str(stats.rt_runtime_us))
        )
    for kind in ("cpu", "memory", "io"):
        pressure = stats.pressure.get(kind)
        if pressure is None:
            rows.append((f"{kind}.pressure", "absent"))
        else:
            rows.append(
                (
                    f"{kind}.pressure",
                    f"some {_n(pressure.some_avg10, '{:.2f}')}%  "
                    f"full {_n(pressure.full_avg10, '{:.2f}')}% (avg10)",
                )
            )
    text = _rows(rows)
    for note in cgroup_notes(reading):
        text.append("\n" + printable(note), style="bold yellow")
    return "Cgroup", text


def command_section(detail: ProcessDetail) -> Section:
    """The command line, then the environment where readable (escaped; never logged)."""
    text = Text()
    text.append("command line\n", style="dim")
    text.append(escaped(detail.cmdline or f"[{detail.comm or UNKNOWN}]"), style="bold")
    text.append("\nenvironment\n", style="dim")
    if detail.environ is None:
        text.append("unreadable (another user's process: root reads it)")
    elif not detail.environ:
        text.append("empty")
    else:
        shown = detail.environ[:ENVIRON_LINES]
        text.append("\n".join(escaped(e) for e in shown))
        if len(detail.environ) > len(shown):
            text.append(f"\n… {len(detail.environ) - len(shown)} more")
    return "Command line and environment", text


def detail_sections(reading: DetailReading) -> list[Section]:
    """Every section of the screen, in order (none before the first reading)."""
    detail = reading.detail
    if detail is None:
        return []
    return [
        scheduler_section(reading),
        status_section(detail),
        limits_section(detail),
        memory_io_section(reading),
        numa_section(detail),
        cgroup_section(reading),
        command_section(detail),
    ]


def headline(pid: int, comm: str, reading: DetailReading | None) -> Text:
    """The title line: the process, its container, and whether it has exited."""
    text = Text()
    text.append(f"Process {pid} ({escaped(comm)})", style="bold")
    detail = None if reading is None else reading.detail
    if detail is not None and detail.container is not None:
        text.append(f"  {printable(str(detail.container))}")
    if detail is not None and detail.scheduling is not None:
        sched = detail.scheduling
        policy = sched.policy or UNKNOWN
        rtprio = f"  rtprio {sched.rtprio}" if policy in ("SCHED_FIFO", "SCHED_RR") else ""
        uid = None if detail.status is None else detail.status.uid
        text.append(
            f"\nppid {sched.ppid}  uid {_n(uid)}  {policy} ({POLICY_CLASS.get(policy, '-')}){rtprio}  "
            f"nice {sched.nice}  priority {sched.priority}  last CPU {_n(sched.processor)}  "
            f"started {detail.start_time} ticks after boot"
        )
    if reading is None:
        text.append("  reading…", style="dim")
    elif reading.gone:
        text.append(
            f"\nprocess {pid} has exited: its last values stay; tuning it is refused", style="bold red"
        )
    return text


def render_detail(reading: DetailReading, width: int) -> RenderableType:
    """The sections as one renderable: one column, or two from :data:`TWO_COLUMNS_WIDTH` cells."""
    sections = detail_sections(reading)
    if not sections:
        return Text("")
    # Folded, not cut: a section may name a long path (a container's group).
    blocks = [
        Text.assemble((title, "bold underline"), "\n", body, overflow="fold") for title, body in sections
    ]
    if width < TWO_COLUMNS_WIDTH:
        joined = Text()
        for i, block in enumerate(blocks):
            if i:
                joined.append("\n\n")
            joined.append(block)
        return joined
    grid = Table.grid(padding=(0, 3), expand=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    half = (len(blocks) + 1) // 2
    left, right = blocks[:half], blocks[half:]
    for i in range(half):
        grid.add_row(left[i], right[i] if i < len(right) else Text(""))
        grid.add_row(Text(""), Text(""))
    return grid


class ProcessDetailView(VerticalScroll):
    """The scrolling body of the detail screen; :meth:`show` draws a reading."""

    DEFAULT_CSS = """
    ProcessDetailView { height: 1fr; padding: 0 1; }
    ProcessDetailView > #detail-head { height: auto; margin-bottom: 1; }
    ProcessDetailView > #detail-body { height: auto; }
    """

    def __init__(self, pid: int, comm: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pid = pid
        self.comm = comm
        self.reading: DetailReading | None = None

    def compose(self) -> ComposeResult:
        yield Static(headline(self.pid, self.comm, None), id="detail-head")
        yield Static(Text(""), id="detail-body")

    def show(self, reading: DetailReading) -> None:
        """Draw ``reading``."""
        self.reading = reading
        self.query_one("#detail-head", Static).update(headline(self.pid, self.comm, reading))
        self.query_one("#detail-body", Static).update(render_detail(reading, self.size.width))

    def on_resize(self) -> None:
        if self.reading is not None:
            self.query_one("#detail-body", Static).update(render_detail(self.reading, self.size.width))

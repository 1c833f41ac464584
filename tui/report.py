"""``perftop report``: a recording's main series drawn with plotext, each tuning action marked and labelled.

Two steps, so the chart screen (``G`` in replay) can read a recording once and draw it again at every
size: :func:`collect` reads the frames into :class:`ReportData` (plain numbers and labels, every text from
the recording already escaped), and :func:`draw` makes the text of the charts at a size, with ANSI colours
or without. :func:`save` writes a drawing to a ``.txt`` or ``.html`` file atomically. Plain Python, no
Textual (the HTML comes from Rich's exporter, which escapes what it writes).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import plotext

from perftop.probes.snapshot import CPU_STATES
from perftop.tui.recording import RecordedAction, Recording, RecordingError, parse_when
from perftop.tui.system_tuning import Setting
from perftop.widgets.safe_text import escaped

#: How a chart's values are counted, for its axis labels: percent, bytes (binary units), a rate or a
#: figure (decimal units: ``k``, ``M``).
Unit = Literal["percent", "bytes", "count"]

#: What a metric is about: the machine, the process of ``--pid``, or a disk (``--device`` or the busiest).
Scope = Literal["machine", "process", "disk"]

#: Values of one frame for each series of a metric (``None``: unknown in that frame).
Reader = Callable[[Mapping[str, Any]], tuple[float | None, ...]]


class ReportError(Exception):
    """The report cannot be drawn as asked (a PID or device the recording never saw, no frame in the
    range); the message is one line."""


@dataclass(frozen=True, slots=True)
class Metric:
    """One chart: its name on the command line, its title, its series and how to read them from a frame's
    ``--json`` data (for a process metric, the process's entry; for a disk metric, the disk's)."""

    name: str
    title: str
    unit: Unit
    scope: Scope
    series: tuple[str, ...]
    read: Reader


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _sum(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if len(known) == len(values) else None


def _cpu_total(data: Mapping[str, Any]) -> dict[str, float | None]:
    total = _get(data, "cpu", "total")
    if not isinstance(total, Mapping):
        return {}
    return {name: _number(total.get(name)) for name in CPU_STATES}


def _cpu(data: Mapping[str, Any]) -> tuple[float | None, ...]:
    state = _cpu_total(data)
    idle, iowait = state.get("idle"), state.get("iowait")
    busy = None if idle is None or iowait is None else max(0.0, 100.0 - idle - iowait)
    return (busy, iowait)


def _cpu_states(data: Mapping[str, Any]) -> tuple[float | None, ...]:
    state = _cpu_total(data)
    if not state:
        return (None, None, None, None)
    return (
        _sum(state["user"], state["nice"]),
        state["system"],
        _sum(state["irq"], state["softirq"]),
        state["steal"],
    )


def _load(data: Mapping[str, Any]) -> tuple[float | None, ...]:
    load = _get(data, "cpu", "loadavg")
    if not isinstance(load, list) or len(load) != 3:
        return (None, None, None)
    return tuple(_number(v) for v in load)


def _figures(section: str, *keys: str) -> Reader:
    def read(data: Mapping[str, Any]) -> tuple[float | None, ...]:
        return tuple(_number(_get(data, section, key)) for key in keys)

    return read


def _net(data: Mapping[str, Any]) -> tuple[float | None, ...]:
    interfaces = _get(data, "net", "interfaces")
    if not isinstance(interfaces, list):
        return (None, None)
    out: list[float | None] = []
    for key in ("rx_bytes_per_s", "tx_bytes_per_s"):
        # Loopback left out: it carries the machine's talk with itself, not its traffic.
        known = [
            v
            for i in interfaces
            if isinstance(i, Mapping) and i.get("name") != "lo" and (v := _number(i.get(key))) is not None
        ]
        out.append(sum(known) if known else None)
    return tuple(out)


def _entry(*keys: str) -> Reader:
    def read(entry: Mapping[str, Any]) -> tuple[float | None, ...]:
        return tuple(_number(entry.get(key)) for key in keys)

    return read


METRICS: tuple[Metric, ...] = (
    Metric("cpu", "CPU busy % (all CPUs)", "percent", "machine", ("busy", "iowait"), _cpu),
    Metric(
        "cpu-states",
        "CPU % by state (all CPUs)",
        "percent",
        "machine",
        ("user", "system", "irq", "steal"),
        _cpu_states,
    ),
    Metric("load", "Load average", "count", "machine", ("1 min", "5 min", "15 min"), _load),
    Metric(
        "memory",
        "Memory (bytes)",
        "bytes",
        "machine",
        ("used", "available"),
        _figures("memory", "used_bytes", "available_bytes"),
    ),
    Metric("swap", "Swap used (bytes)", "bytes", "machine", ("used",), _figures("memory", "swap_used_bytes")),
    Metric(
        "majfaults",
        "Major page faults/s",
        "count",
        "machine",
        ("faults/s",),
        _figures("memory", "pgmajfault_per_s"),
    ),
    Metric(
        "cswitch",
        "Context switches/s",
        "count",
        "machine",
        ("switches/s",),
        _figures("cpu", "context_switches_per_s"),
    ),
    Metric("disk-util", "Disk util %", "percent", "disk", ("util",), _entry("util_percent")),
    Metric(
        "disk-io",
        "Disk throughput (bytes/s)",
        "bytes",
        "disk",
        ("read", "written"),
        _entry("read_bytes_per_s", "written_bytes_per_s"),
    ),
    Metric("net", "Network (bytes/s, all interfaces but lo)", "bytes", "machine", ("rx", "tx"), _net),
    Metric(
        "retrans",
        "TCP retransmits/s",
        "count",
        "machine",
        ("segments/s",),
        _figures("net", "tcp_retrans_segs_per_s"),
    ),
    Metric("proc-cpu", "CPU % (100 = one core)", "percent", "process", ("cpu",), _entry("cpu_percent")),
    Metric("proc-rss", "RSS (bytes)", "bytes", "process", ("rss",), _entry("rss_bytes")),
    Metric(
        "proc-delay",
        "Run delay (ms/s waiting for a CPU)",
        "count",
        "process",
        ("delay",),
        _entry("run_delay_ms_per_s"),
    ),
    Metric(
        "proc-switches",
        "Context switches/s",
        "count",
        "process",
        ("voluntary", "involuntary"),
        _entry("voluntary_ctxt_switches_per_s", "nonvoluntary_ctxt_switches_per_s"),
    ),
)

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

#: What a report shows when no ``--metric`` is given: the machine; a process with ``--pid``; a disk with
#: ``--device`` (more than fit the height are left out, and the header says so).
DEFAULT_METRICS: tuple[str, ...] = ("cpu", "memory", "disk-util", "net", "load", "cswitch")
PROCESS_METRICS: tuple[str, ...] = ("proc-cpu", "proc-rss", "proc-delay", "proc-switches")
DISK_METRICS: tuple[str, ...] = ("disk-util", "disk-io")


def metric_list() -> str:
    """The metrics ``--metric`` accepts, one a line with what it draws (``--metric list``)."""
    needs = {"machine": "", "process": "  (needs --pid)", "disk": "  (--device, else the busiest disk)"}
    width = max(len(m.name) for m in METRICS)
    return "\n".join(f"{m.name:<{width}}  {m.title}: {', '.join(m.series)}{needs[m.scope]}" for m in METRICS)


def parse_metrics(text: str) -> tuple[str, ...]:
    """The metric names of ``--metric a,b``; ``ValueError`` naming an unknown one and the known ones."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("give metric names, e.g. cpu,memory (perftop report --metric list)")
    for name in names:
        if name not in _BY_NAME:
            raise ValueError(f"unknown metric {escaped(name)!r}; choose from {', '.join(METRIC_NAMES)}")
    return tuple(dict.fromkeys(names))


def default_metrics(pid: int | None, device: str | None) -> tuple[str, ...]:
    """The metrics drawn without ``--metric``."""
    if pid is not None:
        return PROCESS_METRICS + (DISK_METRICS if device is not None else ())
    if device is not None:
        return DISK_METRICS
    return DEFAULT_METRICS


# -- reading a recording ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    """One metric's chart: its title (the process or disk named), its series and their values, one per
    frame time of the report (``None``: unknown then)."""

    metric: str
    title: str
    unit: Unit
    names: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A tuning action on the charts: when, its label on the chart (``nice 5 -> 1234``) and its line below
    them (the process's name, the command, the result when it failed). Text from the recording is escaped."""

    time: float
    label: str
    detail: str


@dataclass(frozen=True, slots=True)
class ReportData:
    """What :func:`draw` draws: the frames' times, a chart per metric, the actions between the first and
    the last frame, and the header's facts."""

    hostname: str | None
    times: tuple[float, ...]
    charts: tuple[Chart, ...]
    marks: tuple[Mark, ...]
    #: Metrics asked for by default that :func:`draw` may leave out when they do not fit.
    optional: frozenset[str] = frozenset()


def frame_range(recording: Recording, start: float | None, end: float | None) -> tuple[int, int]:
    """The indexes of the first and last frame between ``start`` and ``end`` (each ``None``: the
    recording's own); :class:`ReportError` when no frame lies there."""
    if start is not None and end is not None and start > end:
        raise ReportError("--from is after --to")
    lo = 0 if start is None else _first_at_or_after(recording, start)
    hi = len(recording) - 1 if end is None else recording.index_at(end)
    if lo >= len(recording) or hi < lo or (end is not None and recording.frames[hi].time > end):
        raise ReportError(
            f"no sample between {_stamp(start or recording.start)} and {_stamp(end or recording.end)}: "
            f"the recording spans {_stamp(recording.start)} to {_stamp(recording.end)}"
        )
    return lo, hi


def _first_at_or_after(recording: Recording, when: float) -> int:
    index = recording.index_at(when)
    return index if recording.frames[index].time >= when else index + 1


def action_label(action: RecordedAction) -> str:
    """An action's label on a chart: ``nice 5 -> 1234``, ``sysctl vm.swappiness=10`` (escaped)."""
    record = action.record
    subject = record.subject
    if isinstance(subject, Setting):
        return chart_text(f"{record.what} {subject.key}={record.new}")
    return chart_text(f"{record.what} {record.new} -> {subject.target.pid}")


def _action_detail(action: RecordedAction) -> str:
    record = action.record
    subject = record.subject
    who = subject.label if not isinstance(subject, Setting) else escaped(subject.path)
    result = "" if record.result == "ok" else f" [{escaped(record.result)}]"
    return chart_text(f"{who}: {record.command}{result}")


def chart_text(text: str) -> str:
    """``text`` made safe for a chart: control and bidi characters spelled out (:func:`escaped`), and each
    character that does not take exactly one cell (wide, combining) shown as ``?`` so the grid stays
    straight."""
    return "".join(c if _one_cell(c) else "?" for c in escaped(text))


def _one_cell(c: str) -> bool:
    return c.isascii() or (unicodedata.east_asian_width(c) not in "WF" and not unicodedata.combining(c))


def collect(
    recording: Recording,
    metrics: Sequence[str],
    first: int,
    last: int,
    *,
    pid: int | None = None,
    device: str | None = None,
    optional: Sequence[str] = (),
) -> ReportData:
    """Read frames ``first``..``last`` for ``metrics``. A process metric follows ``pid`` (the process it
    named first in the range: a later process given the same PID is not it); a disk metric ``device``, or
    the disk busiest over the range. :class:`ReportError` when the range never holds that PID or device;
    :class:`~perftop.tui.recording.RecordingError` when a frame cannot be decoded."""
    chosen = [_BY_NAME[name] for name in metrics]
    if pid is None and any(m.scope == "process" for m in chosen):
        raise ReportError("a process metric needs --pid (or choose machine metrics: --metric list)")
    times: list[float] = []
    machine: list[list[tuple[float | None, ...]]] = [[] for _ in chosen]
    process_rows: list[Mapping[str, Any] | None] = []
    disk_rows: list[dict[str, Mapping[str, Any]]] = []
    wants_process = any(m.scope == "process" for m in chosen)
    wants_disk = any(m.scope == "disk" for m in chosen)
    identity: int | None = None
    comm: str | None = None
    for index in range(first, last + 1):
        data = recording.data(index)
        times.append(recording.frames[index].time)
        for slot, metric in zip(machine, chosen, strict=True):
            if metric.scope == "machine":
                slot.append(metric.read(data))
        if wants_process:
            row = _process(data, pid)
            if row is not None and identity is None:
                identity, comm = row.get("start_time"), str(row.get("comm"))
            process_rows.append(row if row is not None and row.get("start_time") == identity else None)
        if wants_disk:
            disk_rows.append(_disks(data))
    if wants_process and identity is None:
        raise ReportError(f"process {pid} is not in the recording between {_span(times)}")
    disk = _choose_disk(disk_rows, device, times) if wants_disk else None
    charts = []
    for slot, metric in zip(machine, chosen, strict=True):
        title = metric.title
        if metric.scope == "process":
            rows = process_rows
            title = chart_text(f"PID {pid} ({comm}) {title}")
        elif metric.scope == "disk":
            rows = [d.get(disk or "") for d in disk_rows]
            title = chart_text(f"{title} of {disk}")
        if metric.scope != "machine":
            empty = (None,) * len(metric.series)
            slot = [empty if row is None else metric.read(row) for row in rows]
        values = tuple(tuple(frame[i] for frame in slot) for i in range(len(metric.series)))
        charts.append(Chart(metric.name, title, metric.unit, metric.series, values))
    marks = []
    for _, action in recording.actions():
        # By time: an action applied just before the first frame of the range is not in it.
        if times[0] <= action.record.time <= times[-1] and action.record.command != "-":
            marks.append(Mark(action.record.time, action_label(action), _action_detail(action)))
    hostname = None if recording.header.hostname is None else chart_text(recording.header.hostname)
    return ReportData(hostname, tuple(times), tuple(charts), tuple(marks), frozenset(optional))


def _process(data: Mapping[str, Any], pid: int | None) -> Mapping[str, Any] | None:
    for row in data.get("processes") or ():
        if isinstance(row, Mapping) and row.get("pid") == pid:
            return row
    return None


def _disks(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    disks = data.get("disks")
    if not isinstance(disks, list):
        return {}
    return {str(d["name"]): d for d in disks if isinstance(d, Mapping) and isinstance(d.get("name"), str)}


def _choose_disk(rows: list[dict[str, Mapping[str, Any]]], device: str | None, times: list[float]) -> str:
    if device is not None:
        if not any(device in r for r in rows):
            raise ReportError(f"no disk {escaped(device)!r} in the recording between {_span(times)}")
        return device
    busy: dict[str, float] = {}
    for frame in rows:
        for name, disk in frame.items():
            if not disk.get("is_partition"):
                busy[name] = busy.get(name, 0.0) + (_number(disk.get("util_percent")) or 0.0)
    if not busy:
        raise ReportError(f"the recording holds no disk between {_span(times)}")
    # The busiest; among equals the first seen (the kernel's order).
    return max(busy, key=lambda name: busy[name])


def _span(times: Sequence[float]) -> str:
    return f"{_stamp(times[0])} and {_stamp(times[-1])}"


def _stamp(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))


# -- drawing ---------------------------------------------------------------------------------------------

#: The rows one chart needs at least: its title, the frame's two lines and three rows of plot.
CHART_ROWS = 6
#: Actions listed below the charts at most; the rest are counted.
MAX_MARK_LINES = 6
#: Frames drawn at most per chart column: beyond, neighbouring frames are averaged.
POINTS_PER_COLUMN = 2
#: Cells of the y axis's labels (the same in every chart, so their time axes line up).
_TICK_CELLS = 6
#: Markers of the series when drawn without colour, so they stay told apart.
_PLAIN_MARKERS = ("hd", "•", "+", "x")
_MARK_COLOUR = "red"

# plotext draws on one figure of its own module: one drawing at a time.
_PLOTEXT = threading.Lock()


def draw(data: ReportData, width: int, height: int, *, colour: bool) -> str:
    """The report at ``width`` x ``height`` cells: a header line, the charts (one under the other, sharing
    the time axis), a line per action. ANSI colours when ``colour``, else plain text. Metrics the data
    holds as optional are left out when they do not fit; the others are drawn however small."""
    width = max(width, 40)
    marks = data.marks
    footer = _footer(marks, width)
    rows = max(height - 1 - len(footer), CHART_ROWS + 1)
    charts = list(data.charts)
    fits = max(1, (rows - 1) // CHART_ROWS)
    left_out = []
    while len(charts) > fits and charts[-1].metric in data.optional:
        left_out.append(charts.pop().metric)
    header = _header(data, left_out)
    with _PLOTEXT:
        _clear()
        # The size asked for, whatever the terminal's (plotext keeps a plot within the terminal by default).
        plotext.limit_size(False, False)
        plotext.theme("pro" if colour else "clear")
        plotext.subplots(len(charts), 1)
        plotext.plot_size(width, rows)
        times = data.times
        span = (times[0], times[-1]) if times[-1] > times[0] else (times[0] - 1, times[0] + 1)
        columns = width - _TICK_CELLS - 2
        for row, chart in enumerate(charts, start=1):
            plotext.subplot(row, 1)
            # Rows inside the chart's frame (its title and the frame's lines aside, and the time axis under
            # the last): no more value ticks than that, or plotext drops some.
            inside = max(2, rows // len(charts) - 3 - (row == len(charts)))
            _chart(chart, times, span, columns, inside, colour=colour, marks=marks, labelled=row == 1)
            if row == len(charts):
                ticks = _time_ticks(span, max(2, min(6, columns // 14)))
                plotext.xticks([t for t, _ in ticks], [label for _, label in ticks])
            else:
                plotext.xticks([], [])
        canvas = plotext.build()
        _clear()
    if not colour:
        canvas = plotext.uncolorize(canvas)
    lines = [header[:width], canvas.rstrip("\n"), *footer]
    return "\n".join(lines) + "\n"


def _clear() -> None:
    # The whole figure: plotext's clear_figure clears the active one, which a subplot may be.
    plotext.main()
    plotext.clear_figure()


def _header(data: ReportData, left_out: list[str]) -> str:
    first, last = data.times[0], data.times[-1]
    end = time.strftime("%H:%M:%S", time.localtime(last)) if _same_day(first, last) else _stamp(last)
    text = f"{data.hostname or 'recording'}: {_stamp(first)} to {end}, {len(data.times)} samples"
    if left_out:
        text += f"; not shown: {','.join(reversed(left_out))}"
    return text


def _same_day(a: float, b: float) -> bool:
    return time.localtime(a)[:3] == time.localtime(b)[:3]


def _footer(marks: Sequence[Mark], width: int) -> list[str]:
    lines = [
        f"{n} {time.strftime('%H:%M:%S', time.localtime(m.time))} {m.label}  {m.detail}"
        for n, m in enumerate(marks[:MAX_MARK_LINES], start=1)
    ]
    if len(marks) > MAX_MARK_LINES:
        lines.append(f"... and {len(marks) - MAX_MARK_LINES} more actions (perftop --replay FILE --json)")
    return [line if len(line) <= width else line[: width - 3] + "..." for line in lines]


def _chart(
    chart: Chart,
    times: Sequence[float],
    span: tuple[float, float],
    columns: int,
    inside: int,
    *,
    colour: bool,
    marks: Sequence[Mark],
    labelled: bool,
) -> None:
    plotext.title(chart.title)
    plotext.xlim(*span)
    known = [v for series in chart.values for v in series if v is not None]
    top = max(known, default=0.0)
    if chart.unit == "percent":
        top = max(top, 100.0)
    ticks = _value_ticks(top, chart.unit, min(4, inside - 1))
    plotext.ylim(0, ticks[-1][0])
    plotext.yticks([t for t, _ in ticks], [label.rjust(_TICK_CELLS) for _, label in ticks])
    limit = max(2, columns * POINTS_PER_COLUMN)
    for n, (name, values) in enumerate(zip(chart.names, chart.values, strict=True)):
        xs, ys = _thinned(times, values, limit)
        marker = "hd" if colour else _PLAIN_MARKERS[n % len(_PLAIN_MARKERS)]
        for i, (seg_x, seg_y) in enumerate(_segments(xs, ys)):
            plotext.plot(seg_x, seg_y, marker=marker, label=name if i == 0 else None, color=_series_colour(n))
    if not known:
        # An invisible point, so an empty chart keeps its axes (and its frame lines up with the others).
        plotext.plot([span[0]], [0.0], marker=" ", label="no data")
    for mark in marks:
        plotext.vertical_line(mark.time, color=_MARK_COLOUR)
    if labelled:
        _label_marks(marks, span, columns, ticks[-1][0])


def _series_colour(n: int) -> str:
    return ("cyan", "green", "orange", "magenta")[n % 4]


def _label_marks(marks: Sequence[Mark], span: tuple[float, float], columns: int, top: float) -> None:
    """Each action's number and label at the top of its line, cut where the next action's line begins."""
    width = span[1] - span[0]
    at = [round((m.time - span[0]) / width * (columns - 1)) for m in marks]
    for n, mark in enumerate(marks, start=1):
        room = (at[n] if n < len(marks) else columns) - at[n - 1] - 1
        text = f"{n} {mark.label}"[: max(1, room)]
        plotext.text(text, mark.time, top, color=_MARK_COLOUR, alignment="left")


def _thinned(
    times: Sequence[float], values: Sequence[float | None], limit: int
) -> tuple[list[float], list[float | None]]:
    """At most ``limit`` points: runs of neighbouring frames averaged (unknown values left out of the mean;
    a run of only unknown values stays unknown)."""
    if len(times) <= limit:
        return list(times), list(values)
    step = math.ceil(len(times) / limit)
    xs: list[float] = []
    ys: list[float | None] = []
    for i in range(0, len(times), step):
        run = [v for v in values[i : i + step] if v is not None]
        xs.append(sum(times[i : i + step]) / len(times[i : i + step]))
        ys.append(sum(run) / len(run) if run else None)
    return xs, ys


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[tuple[list[float], list[float]]]:
    """The runs of known values: a gap (a process not yet started, a counter reset) stays a gap."""
    out: list[tuple[list[float], list[float]]] = []
    run_x: list[float] = []
    run_y: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if run_x:
                out.append((run_x, run_y))
            run_x, run_y = [], []
        else:
            run_x.append(x)
            run_y.append(y)
    if run_x:
        out.append((run_x, run_y))
    return out


_STEPS = (1.0, 2.0, 2.5, 5.0)


def _value_ticks(top: float, unit: Unit, steps: int) -> list[tuple[float, str]]:
    """Ticks of the value axis from 0 to a round value at or above ``top``, at most ``steps`` steps (at
    least one), labelled in a unit that keeps them short: ``50%``, ``1.5G`` (binary for bytes), ``12k``."""
    steps = max(1, steps)
    base, prefixes = (1024.0, "KMGTPE") if unit == "bytes" else (1000.0, "kMGTPE")
    scale, prefix = 1.0, ""
    for p in prefixes:
        if top < base * scale * 0.95:
            break
        scale, prefix = scale * base, p
    scaled = top / scale if top > 0 else 1.0
    magnitude = 10.0 ** math.floor(math.log10(scaled))
    candidates = [s * magnitude * 10.0**k for k in (-1, 0, 1, 2) for s in _STEPS]
    step = next(s for s in candidates if math.ceil(scaled / s - 1e-9) <= steps or s == candidates[-1])
    count = max(1, math.ceil(scaled / step - 1e-9))
    suffix = "%" if unit == "percent" else ""
    decimals = 0 if step >= 1 and float(step).is_integer() else (1 if (step * 10).is_integer() else 2)
    return [
        (k * step * scale, f"{k * step:.{decimals if k else 0}f}{prefix if k else ''}{suffix}")
        for k in range(count + 1)
    ]


def _time_ticks(span: tuple[float, float], count: int) -> list[tuple[float, str]]:
    """``count`` ticks of the time axis, labelled with the local clock time (with the date when the span
    crosses a day)."""
    start, end = span
    form = "%m-%d %H:%M" if not _same_day(start, end) else ("%H:%M:%S" if end - start < 3600 else "%H:%M")
    return [
        (t, time.strftime(form, time.localtime(t)))
        for t in (start + (end - start) * k / (count - 1) for k in range(count))
    ]


# -- saving ----------------------------------------------------------------------------------------------


def save(text: str, path: Path, *, width: int) -> None:
    """Write a drawing of :func:`draw` to ``path``: ``.html`` keeps its colours (Rich's exporter, which
    escapes every character it writes), ``.txt`` is plain. Written to a temporary file beside ``path`` and
    renamed, so ``path`` is never half-written; ``OSError`` when it cannot be."""
    content = _html(text, width) if path.suffix == ".html" else plotext.uncolorize(text)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _html(text: str, width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=io.StringIO(), record=True, width=width + 1, color_system="truecolor")
    console.print(Text.from_ansi(text), end="", crop=False, soft_wrap=True)
    return console.export_html(inline_styles=True)


# -- the command line ------------------------------------------------------------------------------------

#: ``--size`` when stdout is not a terminal (a pipe, a file) and nothing else was asked.
PLAIN_SIZE = (80, 24)
#: ``--size`` of a saved chart (``--save``) when none was asked: wide enough to read in a ticket.
SAVE_SIZE = (120, 40)


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` (``100x30``) as cells; ``ValueError`` for anything else or a size no chart fits in."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdecimal() or not height.isdecimal():
        raise ValueError(f"not a size: {escaped(text)!r}; give columns x rows, e.g. 100x30")
    size = int(width), int(height)
    if not (40 <= size[0] <= 1000 and CHART_ROWS + 3 <= size[1] <= 1000):
        raise ValueError(f"size {escaped(text)} is out of range: 40x{CHART_ROWS + 3} to 1000x1000")
    return size


def _pid(text: str) -> int:
    if not text.isdecimal() or not text.isascii() or int(text) < 1:
        raise ValueError(f"not a PID: {escaped(text)!r}")
    return int(text)


def save_problem(path: Path) -> str | None:
    """Why a chart cannot be saved at ``path`` (its kind, its folder), in one line, or ``None``."""
    if path.suffix not in (".html", ".txt"):
        return f"save to a .html (in colour) or .txt file, not {escaped(path.name)!r}"
    folder = path.parent
    if not folder.is_dir():
        return f"no folder {escaped(str(folder))} to save {escaped(path.name)} in"
    if path.is_dir():
        return f"{escaped(str(path))} is a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in {escaped(str(folder))}: permission denied"
    return None


def build_report_parser() -> Any:
    """The parser of ``perftop report``."""
    import argparse

    def typed(convert: Callable[[str], Any]) -> Callable[[str], Any]:
        def check(text: str) -> Any:
            try:
                return convert(text)
            except ValueError as error:
                raise argparse.ArgumentTypeError(str(error)) from None

        return check

    parser = argparse.ArgumentParser(
        prog="perftop report",
        description="Draw a recording's main series in the terminal, each tuning action marked and labelled.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a recording (perftop record FILE)")
    parser.add_argument(
        "--metric",
        metavar="M[,M...]",
        help="the charts to draw, one under the other ('--metric list' names them); by default the machine's "
        "CPU, memory, disk and network (a process's with --pid, a disk's with --device)",
    )
    parser.add_argument("--list-metrics", action="store_true", help="print the metric names and exit")
    parser.add_argument("--pid", type=typed(_pid), metavar="PID", help="chart this process (proc-* metrics)")
    parser.add_argument(
        "--device", metavar="NAME", help="chart this disk (disk-* metrics; default: the busiest disk)"
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="T",
        help="start at T: 14:05, +30s (after the start), "
        "-10m (before the end), 2026-12-07T14:05 or epoch seconds",
    )
    parser.add_argument("--to", dest="end", metavar="T", help="end at T (as --from)")
    parser.add_argument(
        "--size",
        type=typed(parse_size),
        metavar="WxH",
        help=f"columns x rows (default: the terminal's; {PLAIN_SIZE[0]}x{PLAIN_SIZE[1]} without one, "
        f"{SAVE_SIZE[0]}x{SAVE_SIZE[1]} with --save)",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="OUT.html|OUT.txt",
        help="write the chart to a file instead (html in colour)",
    )
    return parser


def report_main(argv: Sequence[str]) -> int:
    """``perftop report``: its exit status (2 for bad arguments, 1 when the chart cannot be written)."""
    import sys

    if _asks_for_list(argv):
        print(metric_list())
        return 0
    parser = build_report_parser()
    args = parser.parse_args(argv)
    try:
        metrics = parse_metrics(args.metric) if args.metric is not None else None
    except ValueError as error:
        parser.error(f"argument --metric: {error}")
    if args.save is not None and (problem := save_problem(args.save)):
        parser.error(f"argument --save: {problem}")
    try:
        recording = Recording(args.file)
    except RecordingError as error:
        print(f"perftop report: {error}", file=sys.stderr)
        return error.status
    for problem in recording.problems:
        print(f"perftop report: {problem}", file=sys.stderr)
    try:
        start = None if args.start is None else _when(args.start, recording)
        end = None if args.end is None else _when(args.end, recording)
        first, last = frame_range(recording, start, end)
    except (ValueError, ReportError) as error:
        parser.error(str(error))
    optional: tuple[str, ...] = ()
    if metrics is None:
        metrics = optional = default_metrics(args.pid, args.device)
    try:
        data = collect(recording, metrics, first, last, pid=args.pid, device=args.device, optional=optional)
    except ReportError as error:
        parser.error(str(error))
    except RecordingError as error:
        print(f"perftop report: {error}", file=sys.stderr)
        return 1
    if args.save is not None:
        width, height = args.size or SAVE_SIZE
        text = draw(data, width, height, colour=args.save.suffix == ".html")
        try:
            save(text, args.save, width=width)
        except OSError as error:
            print(f"perftop report: cannot save {escaped(str(args.save))}: {error.strerror}", file=sys.stderr)
            return 1
        return 0
    terminal = sys.stdout.isatty()
    if args.size is not None:
        width, height = args.size
    elif terminal:
        columns, lines = os.get_terminal_size(sys.stdout.fileno())
        width, height = columns, lines - 1  # the shell's prompt comes back below
    else:
        width, height = PLAIN_SIZE
    colour = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    try:
        sys.stdout.write(draw(data, width, height, colour=colour))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, less) went away: nothing more to say, and no traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _asks_for_list(argv: Sequence[str]) -> bool:
    """``--list-metrics`` or ``--metric list``: answered without a recording."""
    args = list(argv)
    pairs = zip(args, [*args[1:], ""], strict=True)
    return "--list-metrics" in args or "--metric=list" in args or ("--metric", "list") in pairs


def _when(text: str, recording: Recording) -> float:
    return parse_when(text, plus_from=recording.start, minus_from=recording.end, day_of=recording.start)

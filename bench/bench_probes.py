"""pyperf benchmarks of every probe and of a whole refresh, on generated trees of 1k, 5k and 10k processes.

Run from the repository root (one command, about 5 minutes on the 2-core dev machine, plus about a
minute the first time to build the trees)::

    python -m bench.bench_probes                     # writes bench/results/probes-<date>-<time>.json
    python -m bench.bench_probes -o bench/results/new.json --sizes 1000,5000 --only scan
    python -m pyperf compare_to bench/results/old.json bench/results/new.json

Defaults are 4 worker processes x 3 values each, to keep a full run near 5 minutes (pyperf's own
default is 20 x 3: pass ``-p 20`` for tighter figures, or ``--fast`` for rougher ones). At the end the
manager prints each benchmark's mean and, where it scans a tree, the cost per process and
cost(largest) / cost(smallest).

Trees (256 CPUs, 8 NUMA nodes, 64 disks) are built once and cached (see ``bench.trees``). Benchmarks:

``scan/stat-only/N``        ``ProcessScanner.scan`` reading only ``/proc/PID/stat``, cache warm, no stat
                            changed since the last scan (an idle machine: the parse is skipped).
``scan/stat-changed/N``     the same, the tree flipping between two ticks each loop so every busy
                            process's ``stat`` changed (about 3 in 4 of the generated ones) and is parsed.
                            (A flip rewrites the changed files in place, as procfs changes under an open
                            file, and is not timed.)
``scan/visible-status/N``   stat for all plus ``status`` for 70 PIDs (the App: 50 rows on screen and a
                            margin of 10 above and below).
``scan/status-all/N``       stat and ``status`` for every process: the cost of sorting by a status column.
``scan/cold/N``             a new scanner each loop: every file opened, every stat parsed, every cmdline
                            and user read (closing the last scanner is not timed).
``infos/N``                 ``process_infos`` alone (rates and rows from two scans, pure).
``infos-idle/N``            the same when nothing changed since the last two scans: every row is reused.
``sort-filter/N``           ``filter_processes`` + ``sort_processes`` by CPU%, as the table does per refresh.
``refresh/N``               one App refresh without the App: ``Sampler.sample`` (status for 70 PIDs) on the
                            flipping tree, filter, sort by CPU% and render the 48 lines of a 200x50 screen.
``refresh-status-sort/N``   the same sorted by VCSW/s, so ``status`` is read for every process.
``cpu/256``, ``memory``, ``numa/8-nodes``, ``disks/64``, ``render/200x50``: the other probes and the
                            drawing alone.
``real/net``, ``real/net-socket-owners``: the network probe on this machine (a tree has no sockets).
``real/...``                the same scans and refresh on this machine's ``/proc`` (figures per process
                            use the number of processes at start, in the benchmark's metadata);
                            ``real/refresh-no-io`` reads ``status`` but not ``io`` of the 70 rows.
``real/sample-app-like``    ``Sampler.sample`` alone on this machine, called as the App calls it once a
                            second: ``status`` for 45 rows, no ``io``, no socket tables, no memory details.
``real/memory-pane-hidden``, ``real/memory-pane-shown``: the ``memory`` section on this machine as the
                            sampler reads it with the memory pane hidden (meminfo's meter lines and the
                            vmstat counters of the pane's histories) and shown (all of meminfo and vmstat,
                            the THP settings).

In a flipping tree the counters go back every other loop, so half of the refreshes have no CPU% rates
(they sort unknown values last, which is cheaper); ``sort-filter/N`` measures the sort on real rates.
Rendering uses the table's public column functions (``visible_columns``, ``fit``, ``command_text``) and
builds Textual ``Strip`` lines as the widget does, without a running App: Textual's compositor and the
terminal driver are left out (``bench/overhead.py`` measures the whole program).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from bench import trees
from perftop.probes.cpu import cpu_snapshot, read_loadavg, read_pressure, read_stat, user_hz
from perftop.probes.fs import FS, HeldFiles
from perftop.probes.memory import memory_snapshot, read_meminfo, read_meminfo_used, read_thp, read_vmstat
from perftop.probes.numa import numa_snapshot, process_numa, read_numa
from perftop.probes.processes import ProcessScanner, page_size, process_infos
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import ProcessInfo
from perftop.widgets.process_columns import (
    SEPARATOR_WIDTH,
    command_text,
    filter_processes,
    fit,
    sort_processes,
    visible_columns,
)

SIZES: tuple[int, ...] = (1000, 5000, 10000)
CPUS = 256
NUMA_NODES = 8
DISKS = 64
#: A 200x50 terminal: the table body under the header, meters and graph shows about this many rows.
SCREEN_WIDTH = 200
SCREEN_ROWS = 48
#: Rows whose status the App reads: those on screen plus ``STATUS_MARGIN_ROWS`` (``perftop.tui.app``) above
#: and below.
STATUS_ROWS = 70
#: Rows whose status the App reads at ~70 processes in a 200x50 terminal (``real/sample-app-like``).
APP_STATUS_ROWS = 45
RESULTS = Path(__file__).resolve().parent / "results"

Body = Callable[[], object]


@dataclass(frozen=True, slots=True)
class Work:
    """A loop body with an untimed step before each run (``prepare``): flipping a tree, a new scanner."""

    body: Body
    prepare: Body


class Case:
    """One benchmark: ``setup`` runs once per worker process (lazily, so unselected cases cost nothing)
    and returns the body that one loop runs (or a :class:`Work`, whose ``prepare`` is not timed)."""

    def __init__(self, name: str, setup: Callable[[], Body | Work], processes: int | None = None) -> None:
        self.name = name
        self.setup = setup
        self.processes = processes
        self._work: Body | Work | None = None

    def body(self) -> Body | Work:
        """The loop body, set up on first use."""
        if self._work is None:
            self._work = self.setup()
        return self._work

    def close(self) -> None:
        """Let go of what ``setup`` made (a later run sets up again). The scanners and samplers in it close
        the files they hold open as they go: the real cases each hold a file or more per process of this
        machine, too many for one process at once (a pyperf worker runs one case, the smoke test all)."""
        self._work = None

    def __call__(self, loops: int) -> float:
        """pyperf's time function: seconds for ``loops`` runs of the body (``prepare`` steps excluded)."""
        work = self.body()
        if isinstance(work, Work):
            total = 0.0
            for _ in range(loops):
                work.prepare()
                start = time.perf_counter()
                work.body()
                total += time.perf_counter() - start
            return total
        start = time.perf_counter()
        for _ in range(loops):
            work()
        return time.perf_counter() - start


class Flipper:
    """A working copy of tree ``a`` that ``flip`` rewrites into tree ``b`` and back, as if a second passed.

    Files that differ between the two are rewritten in place: the process scanner keeps ``stat`` (and the
    visible rows' ``status`` and ``io``) open between scans and reads them again through the same open
    file, as procfs allows; a swapped link or a renamed file would leave it reading the old tick. They
    live in memory (``/dev/shm`` where there is one) so that a flip of a 10k tree takes a fraction of a
    second; files equal in both trees are symbolic links into the cached tree. Directories keep their
    owners (the scanner reads a process's owner from its directory).
    """

    def __init__(self, a: FS, b: FS) -> None:
        shm = "/dev/shm"
        memory = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
        self._dir = tempfile.TemporaryDirectory(prefix="perftop-bench-flip.", dir=memory)
        root_a, root_b = Path(a.procfs).parent.resolve(), Path(b.procfs).parent.resolve()
        live = Path(self._dir.name) / "live"
        #: (path in the copy, bytes in a, bytes in b) of every file that differs
        self._changed: list[tuple[str, bytes, bytes]] = []
        for dirpath, dirnames, filenames in os.walk(root_a):
            rel = os.path.relpath(dirpath, root_a)
            target = os.path.join(live, rel)
            os.makedirs(target, exist_ok=True)
            _copy_owner(dirpath, target)
            for name in [*dirnames, *filenames]:
                src, dst = os.path.join(dirpath, name), os.path.join(target, name)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                elif name in filenames:
                    self._copy_file(src, os.path.join(root_b, rel, name), dst)
        self._at_b = False
        self.fs = FS(procfs=live / "proc", sysfs=live / "sys")

    def _copy_file(self, src: str, other: str, dst: str) -> None:
        data = Path(src).read_bytes()
        try:
            other_data = Path(other).read_bytes()
        except OSError:
            other_data = data  # absent from b: left as in a
        if other_data == data:
            os.symlink(src, dst)
            return
        Path(dst).write_bytes(data)
        _copy_owner(src, dst)
        self._changed.append((dst, data, other_data))

    def flip(self) -> None:
        """Rewrite every differing file, in place, with the other tree's bytes."""
        self._at_b = not self._at_b
        for path, a, b in self._changed:
            with open(path, "wb") as f:  # truncate and write: the same inode, as procfs
                f.write(b if self._at_b else a)


def _copy_owner(src: str, dst: str) -> None:
    st = os.lstat(src)
    with contextlib.suppress(PermissionError):  # only root can give files away
        os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)


def _status_pids(fs: FS, count: int) -> frozenset[int]:
    """The first ``count`` PIDs of a tree, standing in for the rows on screen."""
    return frozenset(sorted(ProcessScanner(fs).list_pids())[:count])


@dataclass(frozen=True, slots=True)
class TreeSet:
    """The two ticks of one tree size."""

    processes: int
    tick0: FS
    tick1: FS


def tree_set(processes: int) -> TreeSet:
    """Ticks 0 and 1 of the ``processes`` tree, built if missing."""
    return TreeSet(
        processes,
        trees.tree(processes, CPUS, 0, NUMA_NODES, DISKS),
        trees.tree(processes, CPUS, 1, NUMA_NODES, DISKS),
    )


def render_visible(rows: Sequence[ProcessInfo], width: int, height: int) -> list[Strip]:
    """The table's first ``height`` lines of ``rows`` at ``width`` cells, built from the public column
    functions into Textual strips (one segment per cell and separator), as the line-API table does."""
    spans = []
    x = 0
    for column in visible_columns(width):
        cells = max(0, width - x) if column.flexible else column.width
        spans.append((column, cells))
        x += cells + SEPARATOR_WIDTH
    style = Style()
    separator = Segment(" " * SEPARATOR_WIDTH, style)
    lines = []
    for p in rows[:height]:
        segments = []
        for column, cells in spans:
            if column.flexible:
                text = set_cell_size(command_text(p), cells)
            else:
                text = fit(column.text(p), cells, column.align)
            segments.append(Segment(text, style))
            segments.append(separator)
        lines.append(Strip(segments[:-1]).adjust_cell_length(width, style))
    return lines


def table_refresh(procs: Sequence[ProcessInfo], sort_key: str) -> list[Strip]:
    """What the table does with a new snapshot: filter, sort (descending), draw the lines on screen."""
    rows = sort_processes(filter_processes(procs), sort_key, reverse=True)
    return render_visible(rows, SCREEN_WIDTH, SCREEN_ROWS)


def _ticking_clock() -> Callable[[], float]:
    """A monotonic clock that moves one second per call, so every refresh has ``elapsed == 1``."""
    counter = itertools.count()
    return lambda: float(next(counter))


# -- cases on generated trees -----------------------------------------------------------------------------


def scan_case(ts: TreeSet, status: str, *, changed: bool = False, cold: bool = False) -> Body:
    """A scan of ``ts``; ``status`` is "none", "visible" or "all" (which PIDs get ``status`` read)."""
    wanted: frozenset[int] | None = {
        "none": frozenset(),
        "visible": _status_pids(ts.tick0, STATUS_ROWS),
        "all": None,
    }[status]
    if cold:
        # A new scanner per loop (the last one closed, untimed): its first scan opens everything.
        scanners = [ProcessScanner(ts.tick0)]

        def renew() -> None:
            scanners.pop().close()
            scanners.append(ProcessScanner(ts.tick0))

        return Work(body=lambda: scanners[0].scan(wanted), prepare=renew)
    if changed:
        flipper = Flipper(ts.tick0, ts.tick1)
        scanner = ProcessScanner(flipper.fs)
        scanner.scan(wanted)
        return Work(body=lambda: scanner.scan(wanted), prepare=flipper.flip)
    scanner = ProcessScanner(ts.tick0)
    scanner.scan(wanted)
    return lambda: scanner.scan(wanted)


def _scan_once(fs: FS, status_pids: frozenset[int] | None) -> dict:
    scanner = ProcessScanner(fs)
    try:
        return scanner.scan(status_pids)
    finally:
        scanner.close()


def two_scans(ts: TreeSet, status_pids: frozenset[int] | None) -> tuple[dict, dict]:
    """Scans of tick 0 and tick 1 of ``ts``."""
    return _scan_once(ts.tick0, status_pids), _scan_once(ts.tick1, status_pids)


def infos_case(ts: TreeSet) -> Body:
    prev, cur = two_scans(ts, _status_pids(ts.tick0, STATUS_ROWS))
    hz, page = user_hz(), page_size()
    return lambda: process_infos(prev, cur, 1.0, hz, page, 16 << 30)


def infos_idle_case(ts: TreeSet) -> Body:
    """``process_infos`` when no process changed since the last two scans (an idle machine): each scan
    returns the very readings of the last one, and every last row is reused."""
    scanner = ProcessScanner(ts.tick0)
    scanner.scan(frozenset())
    scan = scanner.scan(frozenset())
    scanner.close()
    hz, page = user_hz(), page_size()
    rows = {p.pid: p for p in process_infos(scan, scan, 1.0, hz, page, 16 << 30)}
    return lambda: process_infos(scan, scan, 1.0, hz, page, 16 << 30, last_rows=rows)


def real_rows(ts: TreeSet) -> tuple[ProcessInfo, ...]:
    """ProcessInfo rows with real rates: tick 0 then tick 1 through one sampler."""
    flipper = Flipper(ts.tick0, ts.tick1)
    sampler = Sampler(flipper.fs, clock=_ticking_clock())
    sampler.sample(frozenset())
    flipper.flip()
    return sampler.sample(_status_pids(ts.tick0, STATUS_ROWS)).processes


def sort_filter_case(ts: TreeSet) -> Body:
    procs = real_rows(ts)
    return lambda: sort_processes(filter_processes(procs), "cpu", reverse=True)


def refresh_case(ts: TreeSet, sort_key: str) -> Body:
    """``Sampler.sample`` on the flipping tree + the table's filter, sort and drawing."""
    flipper = Flipper(ts.tick0, ts.tick1)
    sampler = Sampler(flipper.fs, clock=_ticking_clock())
    wanted = None if sort_key != "cpu" else _status_pids(ts.tick0, STATUS_ROWS)
    sampler.sample(wanted)
    return Work(
        body=lambda: table_refresh(sampler.sample(wanted, memory=False).processes, sort_key),
        prepare=flipper.flip,
    )


def cpu_case(ts: TreeSet) -> Body:
    prev = read_stat(ts.tick0)
    fs = ts.tick1
    hz = user_hz()
    return lambda: cpu_snapshot(prev, read_stat(fs), 1.0, hz, read_loadavg(fs), read_pressure(fs))


def memory_case(ts: TreeSet) -> Body:
    return lambda: memory_snapshot(read_meminfo_used(ts.tick1))  # what the sampler reads


def numa_case(ts: TreeSet) -> Body:
    prev = read_numa(ts.tick0)
    return lambda: numa_snapshot(prev, read_numa(ts.tick1), 1.0)


def render_case(ts: TreeSet) -> Body:
    rows = sort_processes(real_rows(ts), "cpu", reverse=True)
    return lambda: render_visible(rows, SCREEN_WIDTH, SCREEN_ROWS)


# -- cases on this machine --------------------------------------------------------------------------------


def real_scan_case(status: str) -> Body:
    fs = FS()
    scanner = ProcessScanner(fs)
    wanted = None if status == "all" else frozenset()
    scanner.scan(wanted)
    return lambda: scanner.scan(wanted)


def real_refresh_case(io: bool = True) -> Body:
    """A refresh on this machine; ``io=False`` reads no ``/proc/PID/io`` (the App without IO columns)."""
    sampler = Sampler(FS())
    sampler.sample(frozenset())
    # The rows on screen: any 70 PIDs of this machine (the table reads status only for those).
    wanted = frozenset(sorted(ProcessScanner(FS()).list_pids())[:STATUS_ROWS])
    io_pids = wanted if io else frozenset()
    return lambda: table_refresh(sampler.sample(wanted, io_pids=io_pids, memory=False).processes, "cpu")


def real_sample_case() -> Body:
    """``Sampler.sample`` as ``perftop.tui.app`` calls it, without the table: the sampler thread's cost."""
    sampler = Sampler(FS())
    wanted = frozenset(sorted(ProcessScanner(FS()).list_pids())[:APP_STATUS_ROWS])
    # As the App with no pane shown that needs more: no socket tables, the memory details left out.
    sampler.sample(wanted, io_pids=(), sockets=False, memory=False)
    return lambda: sampler.sample(wanted, io_pids=(), sockets=False, memory=False)


def real_memory_case(shown: bool) -> Body:
    """What the sampler reads for the ``memory`` section on this machine, through held files as it does:
    with the memory pane hidden (the meters' meminfo lines, vmstat's history counters) or shown (all of
    meminfo and vmstat, the THP files), with rates against the last read."""
    fs, held = FS(), HeldFiles()
    last: list[dict[str, int] | None] = [None]

    def body() -> object:
        vmstat = read_vmstat(fs, held, every=shown)
        meminfo = read_meminfo(fs, held) if shown else read_meminfo_used(fs, held)
        thp = read_thp(fs, held) if shown else (None, None)
        snapshot = memory_snapshot(
            meminfo, full=shown, vmstat=vmstat, prev_vmstat=last[0], elapsed=1.0, thp=thp
        )
        last[0] = vmstat
        return snapshot

    body()
    return body


def real_numa_case() -> Body:
    fs, pid = FS(), os.getpid()
    return lambda: process_numa(fs, pid)


def _optional(module: str, *names: str) -> tuple | None:
    """``names`` from ``module``, or ``None`` while that probe is not written (or its API moved)."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        mod = importlib.import_module(module)
        return tuple(getattr(mod, name) for name in names)
    except (ImportError, AttributeError):
        return None


def disks_case(ts: TreeSet) -> Body:
    read_diskstats, read_disks_info, disk_rates = _optional(
        "perftop.probes.disks", "read_diskstats", "read_disks_info", "disk_rates"
    )
    prev = read_diskstats(ts.tick0)
    fs = ts.tick1

    def body() -> object:
        counters = read_diskstats(fs)
        return disk_rates(prev, counters, 1.0, read_disks_info(fs, counters or ()))

    return body


def real_net_case() -> Body:
    read_net, net_snapshot = _optional("perftop.probes.net", "read_net", "net_snapshot")
    fs = FS()
    prev = read_net(fs)
    return lambda: net_snapshot(prev, read_net(fs), 1.0)


def real_socket_owners_case() -> Body:
    (socket_owners,) = _optional("perftop.probes.net", "socket_owners")
    fs = FS()
    return lambda: socket_owners(fs)


def optional_cases(small: int) -> list[Case]:
    """Disk and network probes, when they exist (``probes/disks.py``, ``probes/net.py``, written
    concurrently): a probe missing, or whose functions were renamed, is skipped with a note."""
    out = []
    if _optional("perftop.probes.disks", "read_diskstats", "read_disks_info", "disk_rates"):
        out.append(Case(f"disks/{DISKS}", lambda: disks_case(tree_set(small))))
    if _optional("perftop.probes.net", "read_net", "net_snapshot"):
        out.append(Case("real/net", real_net_case))
    if _optional("perftop.probes.net", "socket_owners"):
        real = len(ProcessScanner(FS()).list_pids())
        out.append(Case("real/net-socket-owners", real_socket_owners_case, real))
    return out


def cases(sizes: Sequence[int]) -> list[Case]:
    """Every benchmark, in the order they run. Trees are looked up lazily, inside each setup."""
    out: list[Case] = []
    for n in sizes:

        def ts(n: int = n) -> TreeSet:
            return tree_set(n)

        out += [
            Case(f"scan/stat-only/{n}", lambda ts=ts: scan_case(ts(), "none"), n),
            Case(f"scan/stat-changed/{n}", lambda ts=ts: scan_case(ts(), "none", changed=True), n),
            Case(f"scan/visible-status/{n}", lambda ts=ts: scan_case(ts(), "visible"), n),
            Case(f"scan/status-all/{n}", lambda ts=ts: scan_case(ts(), "all"), n),
            Case(f"scan/cold/{n}", lambda ts=ts: scan_case(ts(), "visible", cold=True), n),
            Case(f"infos/{n}", lambda ts=ts: infos_case(ts()), n),
            Case(f"infos-idle/{n}", lambda ts=ts: infos_idle_case(ts()), n),
            Case(f"sort-filter/{n}", lambda ts=ts: sort_filter_case(ts()), n),
            Case(f"refresh/{n}", lambda ts=ts: refresh_case(ts(), "cpu"), n),
            Case(f"refresh-status-sort/{n}", lambda ts=ts: refresh_case(ts(), "vcsw"), n),
        ]
    small = min(sizes)
    out += [
        Case(f"cpu/{CPUS}", lambda: cpu_case(tree_set(small))),
        Case("memory", lambda: memory_case(tree_set(small))),
        Case(f"numa/{NUMA_NODES}-nodes", lambda: numa_case(tree_set(small))),
        Case(f"render/{SCREEN_WIDTH}x{SCREEN_ROWS + 2}", lambda: render_case(tree_set(small))),
    ]
    real = len(ProcessScanner(FS()).list_pids())
    out += [
        Case("real/scan/stat-only", lambda: real_scan_case("none"), real),
        Case("real/scan/status-all", lambda: real_scan_case("all"), real),
        Case("real/refresh", real_refresh_case, real),
        Case("real/refresh-no-io", lambda: real_refresh_case(io=False), real),
        Case("real/sample-app-like", real_sample_case, real),
        Case("real/memory-pane-hidden", lambda: real_memory_case(shown=False)),
        Case("real/memory-pane-shown", lambda: real_memory_case(shown=True)),
    ]
    if os.path.exists(f"/proc/{os.getpid()}/numa_maps"):
        out.append(Case("real/numa-maps-self", real_numa_case))
    return out + optional_cases(small)


# -- reporting --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    """One benchmark's mean and how many processes it covered (``None``: not a per-process figure)."""

    name: str
    mean_seconds: float
    stdev_seconds: float
    processes: int | None


def summary(results: Sequence[Result]) -> str:
    """A table of means, microseconds per process, and cost(largest N) / cost(smallest N) per family."""
    lines = [f"{'benchmark':<30} {'mean':>10} {'± stdev':>9} {'procs':>6} {'µs/proc':>8}"]
    for r in results:
        per = f"{r.mean_seconds / r.processes * 1e6:8.2f}" if r.processes else f"{'':8}"
        procs = str(r.processes) if r.processes else ""
        lines.append(
            f"{r.name:<30} {r.mean_seconds * 1e3:8.3f}ms {r.stdev_seconds * 1e3:7.3f}ms {procs:>6} {per}"
        )
    families: dict[str, dict[int, float]] = {}
    for r in results:
        family, _, size = r.name.rpartition("/")
        if size.isdigit() and r.processes and not r.name.startswith(("cpu/", "real/")):
            families.setdefault(family, {})[int(size)] = r.mean_seconds
    ratios = [
        f"{family:<30} cost({max(sizes)})/cost({min(sizes)}) = {sizes[max(sizes)] / sizes[min(sizes)]:.2f}"
        for family, sizes in families.items()
        if len(sizes) > 1
    ]
    if ratios:
        lines += ["", "scaling (issue 6 target: at most 11 from 1k to 10k):", *ratios]
    return "\n".join(lines)


def _default_output(argv: list[str]) -> list[str]:
    """``argv`` with ``--output bench/results/probes-<time>.json`` added unless it names an output."""
    named = any(a in ("-o", "--output", "--append") or a.startswith(("--output=", "--append=")) for a in argv)
    if named or "--worker" in argv:
        return argv
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("probes-%Y%m%d-%H%M%S.json")
    return [*argv, "--output", str(path)]


def _add_cmdline_args(cmd: list[str], args) -> None:
    cmd += ["--sizes", args.sizes]
    if args.only:
        cmd += ["--only", args.only]


def main() -> None:
    """Run the benchmarks (pyperf's command line, plus ``--sizes`` and ``--only``)."""
    import pyperf

    sys.argv = _default_output(sys.argv)
    runner = pyperf.Runner(
        processes=4,
        values=3,
        program_args=("-m", "bench.bench_probes"),
        add_cmdline_args=_add_cmdline_args,
    )
    runner.argparser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="process counts of the trees, comma-separated (default 1000,5000,10000)",
    )
    runner.argparser.add_argument("--only", default="", help="run only benchmarks whose name contains this")
    args = runner.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    selected = [c for c in cases(sizes) if args.only in c.name]
    if not args.worker:
        for n in sizes:
            print(f"trees: {n} processes, {CPUS} CPUs ...", file=sys.stderr, flush=True)
            tree_set(n)
        present = " ".join(c.name for c in optional_cases(min(sizes)))
        for probe in ("disks", "net"):
            if probe not in present:
                note = f"note: no {probe} benchmark (probes/{probe}.py missing or its API moved)"
                print(note, file=sys.stderr)
    results = []
    for case in selected:
        metadata = {"processes": case.processes} if case.processes else {}
        bench = runner.bench_time_func(case.name, case, metadata=metadata)
        if bench is not None and not args.worker:
            stdev = bench.stdev() if bench.get_nvalue() > 1 else 0.0
            results.append(Result(case.name, bench.mean(), stdev, case.processes))
    if results and not args.worker:
        print()
        print(summary(results))
        if args.output:
            print(f"\nresults: {args.output}  (compare: python -m pyperf compare_to OLD.json {args.output})")


if __name__ == "__main__":
    main()

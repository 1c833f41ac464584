"""Processes from ``/proc/PID/{stat,status,cmdline}``: pure parsers, a caching scanner, and the rates.

The scanner reads ``stat`` of every process on every call (cheap, and it carries every sortable counter),
``status`` only for the PIDs asked for (the rows on screen; every PID for ``--json``), and ``cmdline`` and
the user name once per process identity ``(pid, start_time)``. ``process_infos`` turns two scans and the
elapsed time into :class:`probes.snapshot.ProcessInfo` rows; it is pure, so it is tested on fixture data.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from probes.cpulist import parse_cpu_list
from probes.fs import FS, read_bytes, read_text
from probes.snapshot import POLICY_NAMES, ProcessInfo, ProcessNuma, TaskCounts

#: ``/proc/PID/stat`` needs at least fields 1..24 (up to ``rss``) to be of use.
_MIN_FIELDS_AFTER_COMM = 22
#: Longer than any real ``/proc/PID/stat`` line (about 300 bytes, comm at most 64).
_STAT_READ_SIZE = 4096


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The fields of ``/proc/PID/stat`` perftop uses (man 5 proc numbers them from 1).

    ``utime``, ``stime`` and ``start_time`` are in clock ticks; ``processor``, ``rt_priority`` and
    ``policy`` (fields 39-41) are ``None`` on kernels too old to write them.
    """

    pid: int
    comm: str
    state: str
    ppid: int
    utime: int
    stime: int
    priority: int
    nice: int
    num_threads: int
    start_time: int
    rss_pages: int
    processor: int | None
    rt_priority: int | None
    policy: int | None
    #: Field 9, the kernel's per-task flags (``PF_*``); None only where a caller built a ProcStat by hand.
    flags: int | None = None


@dataclass(frozen=True, slots=True)
class ProcStatus:
    """The fields of ``/proc/PID/status`` perftop uses; each is ``None`` when its line is absent or bad."""

    cpus_allowed: tuple[int, ...] | None
    voluntary_ctxt_switches: int | None
    nonvoluntary_ctxt_switches: int | None
    uid: int | None  # the effective uid (second column of ``Uid:``)


@dataclass(frozen=True, slots=True)
class RawProcess:
    """One process as one scan read it: raw counters, before any rate is computed.

    ``status`` is ``None`` when it was not asked for this scan, or vanished, or was unreadable. ``uid`` is
    the owner of the ``/proc/PID`` directory and its files (the kernel sets it to the task's effective
    uid, or root for non-dumpable tasks), as htop reads it. ``cmdline`` is ``None`` when it could not be read.
    """

    stat: ProcStat
    status: ProcStatus | None
    uid: int | None
    user: str | None
    cmdline: str | None
    kernel_thread: bool
    #: ``/proc/PID/io``, read with ``status`` (None likewise, and for other users' processes unless root).
    io: ProcIo | None = None


@dataclass(frozen=True, slots=True)
class ProcIo:
    """Storage IO of ``/proc/PID/io``: bytes the process caused to be read from / written to storage."""

    read_bytes: int | None
    write_bytes: int | None


def parse_pid_io(text: str) -> ProcIo:
    """Parse ``/proc/PID/io``; a missing or malformed line leaves its field ``None``."""
    values: dict[str, int | None] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("read_bytes", "write_bytes"):
            values[key] = _int_or_none(value.strip())
    return ProcIo(values.get("read_bytes"), values.get("write_bytes"))


#: ``include/linux/sched.h``: set on every kernel thread.
PF_KTHREAD = 0x00200000


def parse_pid_stat(text: str) -> ProcStat:
    """Parse one ``/proc/PID/stat`` line. Raises ``ValueError`` when it is garbled.

    ``comm`` is everything between the first ``(`` and the last ``)``: a process may name itself
    ``a) (b`` and the kernel does not escape it, but nothing after the last ``)`` can hold one.
    """
    open_paren = text.find("(")
    close_paren = text.rfind(")")
    if open_paren <= 0 or close_paren < open_paren:
        raise ValueError(f"garbled /proc/PID/stat (no '(comm)'): {text[:80]!r}")
    # f[i] is man 5 proc's field i + 3: f[0] is field 3 (state).
    f = text[close_paren + 1 :].split()
    n = len(f)
    if n < _MIN_FIELDS_AFTER_COMM or len(f[0]) != 1:
        raise ValueError(f"garbled /proc/PID/stat ({n + 2} fields): {text[:80]!r}")
    try:
        return ProcStat(
            int(text[:open_paren]),
            text[open_paren + 1 : close_paren],
            f[0],
            int(f[1]),
            int(f[11]),
            int(f[12]),
            int(f[15]),
            int(f[16]),
            int(f[17]),
            int(f[19]),
            int(f[21]),
            int(f[36]) if n > 36 else None,
            int(f[37]) if n > 37 else None,
            int(f[38]) if n > 38 else None,
            int(f[6]),
        )
    except ValueError:
        raise ValueError(f"garbled /proc/PID/stat (non-numeric field): {text[:80]!r}") from None


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def parse_pid_status(text: str) -> ProcStatus:
    """Parse ``/proc/PID/status``; a missing or malformed line leaves its field ``None``."""
    cpus: tuple[int, ...] | None = None
    voluntary: int | None = None
    nonvoluntary: int | None = None
    uid: int | None = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key == "Uid":
            ids = value.split()
            uid = _int_or_none(ids[1]) if len(ids) > 1 else None
        elif key == "Cpus_allowed_list":
            try:
                cpus = tuple(sorted(parse_cpu_list(value)))
            except ValueError:
                cpus = None
        elif key == "voluntary_ctxt_switches":
            voluntary = _int_or_none(value.strip())
        elif key == "nonvoluntary_ctxt_switches":
            nonvoluntary = _int_or_none(value.strip())
    return ProcStatus(cpus, voluntary, nonvoluntary, uid)


def parse_cmdline(data: bytes) -> str:
    """``/proc/PID/cmdline`` as one line: NUL separators become spaces, trailing NULs and blanks go."""
    return data.replace(b"\0", b" ").rstrip().decode("utf-8", "replace")


def is_kernel_thread(stat: ProcStat) -> bool:
    """True for kernel threads: the ``PF_KTHREAD`` bit of field 9 (flags).

    The flag is exact in any PID namespace (inside a container PID 2 is an ordinary process). An empty
    cmdline is no test: zombies and processes that cleared theirs have one too. Without flags, fall back
    to kthreadd (PID 2) and its children, true in the host's namespace.
    """
    if stat.flags is not None:
        return bool(stat.flags & PF_KTHREAD)
    return stat.pid == 2 or stat.ppid == 2


def page_size() -> int:
    """Bytes per page, the unit of ``ProcStat.rss_pages``."""
    return os.sysconf("SC_PAGE_SIZE")


class ProcessScanner:
    """Reads every process of a procfs root, caching what only changes on ``exec`` or ``setuid``.

    The cache maps a PID to the raw ``stat`` bytes and the status-less :class:`RawProcess` of the last
    scan. An entry is reused as long as the ``start_time`` matches (same process, not a reused PID):
    the cmdline is re-read when ``comm`` changes (an ``exec``), the user name is looked up again when
    the owner changes (a ``setuid``); both keep ``start_time``. Entries of PIDs absent from a scan are
    dropped, so the cache never outgrows the process table.
    """

    def __init__(self, fs: FS) -> None:
        self._fs = fs
        self._cache: dict[int, tuple[bytes, RawProcess]] = {}

    def list_pids(self) -> list[int]:
        """The PIDs of the numeric directories of the procfs root, in directory order."""
        try:
            with os.scandir(self._fs.procfs) as entries:
                return [int(e.name) for e in entries if e.name.isdigit()]
        except OSError:
            return []

    def cached_identities(self) -> frozenset[tuple[int, int]]:
        """The ``(pid, start_time)`` identities the cache holds (what the last scan saw)."""
        return frozenset((pid, raw.stat.start_time) for pid, (_, raw) in self._cache.items())

    def scan(self, status_pids: Collection[int] | None) -> dict[int, RawProcess]:
        """Read every process once; read ``status`` only for ``status_pids`` (``None``: for all).

        A process that vanishes mid-scan or has a garbled ``stat`` is left out; one whose ``status``
        vanished or is unreadable has ``status=None``.
        """
        wanted = None if status_pids is None else frozenset(status_pids)
        prefix = os.path.join(self._fs.procfs, "")
        old = self._cache
        cache: dict[int, tuple[bytes, RawProcess]] = {}
        out: dict[int, RawProcess] = {}
        users: dict[int, str] = {}  # one passwd lookup per uid per scan
        # Local names: this loop runs over thousands of PIDs every second.
        os_open, os_read, os_close, os_fstat, rdonly = os.open, os.read, os.close, os.fstat, os.O_RDONLY
        for pid in self.list_pids():
            base = prefix + str(pid)
            try:
                fd = os_open(base + "/stat", rdonly)
                try:
                    data = os_read(fd, _STAT_READ_SIZE)
                    if len(data) == _STAT_READ_SIZE:
                        data += _read_rest(fd)
                    # procfs gives /proc/PID and its files one owner; fstat on the open file skips
                    # a second path lookup (about 2 us of the per-process budget).
                    uid = os_fstat(fd).st_uid
                finally:
                    os_close(fd)
            except OSError:
                continue  # vanished between listing and reading
            cached = old.get(pid)
            if cached is not None and cached[0] == data and cached[1].uid == uid:
                raw = cached[1]
            else:
                try:
                    stat = parse_pid_stat(data.decode("utf-8", "replace"))
                except ValueError:
                    continue
                prev = cached[1] if cached is not None else None
                if prev is not None and prev.stat.start_time != stat.start_time:
                    prev = None  # a reused PID: nothing cached belongs to this process
                kernel = is_kernel_thread(stat)
                if prev is not None and prev.stat.comm == stat.comm:
                    cmdline = prev.cmdline
                elif kernel:
                    cmdline = ""
                else:
                    cmdline_bytes = read_bytes(base + "/cmdline")
                    cmdline = None if cmdline_bytes is None else parse_cmdline(cmdline_bytes)
                if prev is not None and prev.uid == uid:
                    user = prev.user
                else:
                    user = users.get(uid)
                    if user is None:
                        user = users[uid] = _user_name(uid)
                raw = RawProcess(stat, None, uid, user, cmdline, kernel)
            cache[pid] = (data, raw)
            if wanted is None or pid in wanted:
                text = read_text(base + "/status")
                status = None if text is None else parse_pid_status(text)
                text = read_text(base + "/io")
                io = None if text is None else parse_pid_io(text)
                raw = RawProcess(raw.stat, status, raw.uid, raw.user, raw.cmdline, raw.kernel_thread, io)
            out[pid] = raw
        self._cache = cache
        return out


def _read_rest(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, _STAT_READ_SIZE):
        chunks.append(chunk)
    return b"".join(chunks)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)  # no passwd entry (a container's uid): show the number, as ps does


def _rate(prev: int | None, cur: int | None, elapsed: float) -> float | None:
    if prev is None or cur is None or cur < prev:
        return None
    return (cur - prev) / elapsed


def process_infos(
    prev: dict[int, RawProcess] | None,
    cur: dict[int, RawProcess],
    elapsed: float | None,
    clk_tck: int,
    page_size: int,
    mem_total_bytes: int | None,
    cpu_node: Mapping[int, int] | None = None,
    placements: Mapping[int, ProcessNuma | None] | None = None,
) -> tuple[ProcessInfo, ...]:
    """The table rows for scan ``cur``, with rates against scan ``prev`` taken ``elapsed`` seconds before.

    Rates are ``None`` on the first sample, for a PID whose ``start_time`` changed (a reused PID) and for
    a counter that went backwards; ``cpu_percent`` is 100 for one full core and may exceed 100. The
    context-switch rates need ``status`` in both samples, the IO rates ``io``. ``node`` is the NUMA node of
    the last CPU (``cpu_node`` maps CPU -> node); ``remote_percent`` is filled for the PIDs in
    ``placements`` (their ``numa_maps``). Rows are in PID order.
    """
    seconds = elapsed if elapsed is not None and elapsed > 0 else None
    rows: list[ProcessInfo] = []
    for pid in sorted(cur):
        raw = cur[pid]
        st = raw.stat
        status = raw.status
        before = prev.get(pid) if prev is not None and seconds is not None else None
        if before is not None and before.stat.start_time != st.start_time:
            before = None
        cpu_ticks = st.utime + st.stime
        cpu_percent = vcsw_rate = nvcsw_rate = io_read_rate = io_write_rate = None
        io = raw.io
        if before is not None and seconds is not None:
            if io is not None and before.io is not None:
                io_read_rate = _rate(before.io.read_bytes, io.read_bytes, seconds)
                io_write_rate = _rate(before.io.write_bytes, io.write_bytes, seconds)
            ticks_rate = _rate(before.stat.utime + before.stat.stime, cpu_ticks, seconds)
            cpu_percent = None if ticks_rate is None else ticks_rate / clk_tck * 100.0
            if status is not None and before.status is not None:
                vcsw_rate = _rate(
                    before.status.voluntary_ctxt_switches, status.voluntary_ctxt_switches, seconds
                )
                nvcsw_rate = _rate(
                    before.status.nonvoluntary_ctxt_switches, status.nonvoluntary_ctxt_switches, seconds
                )
        rss_bytes = st.rss_pages * page_size
        node = None if cpu_node is None or st.processor is None else cpu_node.get(st.processor)
        placement = None if placements is None else placements.get(pid)
        rows.append(
            ProcessInfo(
                pid=pid,
                ppid=st.ppid,
                user=raw.user,
                uid=raw.uid,
                comm=st.comm,
                cmdline=raw.cmdline,
                state=st.state,
                policy=None if st.policy is None else POLICY_NAMES.get(st.policy),
                rtprio=st.rt_priority,
                nice=st.nice,
                priority=st.priority,
                processor=st.processor,
                affinity=None if status is None else status.cpus_allowed,
                threads=st.num_threads,
                start_time=st.start_time,
                cpu_percent=cpu_percent,
                cpu_time_seconds=cpu_ticks / clk_tck,
                rss_bytes=rss_bytes,
                mem_percent=rss_bytes / mem_total_bytes * 100.0 if mem_total_bytes else None,
                voluntary_ctxt_switches=None if status is None else status.voluntary_ctxt_switches,
                nonvoluntary_ctxt_switches=None if status is None else status.nonvoluntary_ctxt_switches,
                voluntary_ctxt_switches_per_s=vcsw_rate,
                nonvoluntary_ctxt_switches_per_s=nvcsw_rate,
                kernel_thread=raw.kernel_thread,
                io_read_bytes=None if io is None else io.read_bytes,
                io_write_bytes=None if io is None else io.write_bytes,
                io_read_bytes_per_s=io_read_rate,
                io_write_bytes_per_s=io_write_rate,
                node=node,
                remote_percent=None if placement is None else placement.remote_percent(node),
            )
        )
    return tuple(rows)


def task_counts(cur: dict[int, RawProcess]) -> TaskCounts:
    """htop's Tasks line from one scan.

    ``processes`` counts every process directory, kernel threads included (``kernel_threads`` says how
    many of them are); ``threads`` is the sum of ``num_threads`` (every task). States as htop groups
    them: ``running`` is R, ``zombie`` is Z, ``sleeping`` is every other state (S, D, I, T, t, ...).
    """
    threads = kernel = running = zombie = 0
    for raw in cur.values():
        threads += raw.stat.num_threads
        kernel += raw.kernel_thread
        state = raw.stat.state
        if state == "R":
            running += 1
        elif state == "Z":
            zombie += 1
    processes = len(cur)
    return TaskCounts(
        processes=processes,
        threads=threads,
        kernel_threads=kernel,
        running=running,
        sleeping=processes - running - zombie,
        zombie=zombie,
    )

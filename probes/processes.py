"""Processes from ``/proc/PID/{stat,status,cmdline}``: pure parsers, a caching scanner, and the rates.

The scanner reads ``stat`` of every process on every call (cheap, and it carries every sortable counter),
``status`` and ``io`` only for the PIDs asked for (the rows on screen and, if asked, the processes that ran
since the last call; every PID for ``--json``), and ``cmdline`` and the user name once per process
identity ``(pid, start_time)``. It keeps the files it reads every time open between calls, skips a
``status`` that cannot have changed and the listing of ``/proc`` when no process can have appeared (see
:class:`ProcessScanner`). ``process_infos`` turns two scans and the elapsed time into
:class:`~perftop.probes.snapshot.ProcessInfo` rows; it is pure, so it is tested on fixture data.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import resource
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from types import EllipsisType

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS, READ_FLAGS, open_regular, read_bytes, read_text
from perftop.probes.kernel_numbers import is_decimal, u64
from perftop.probes.rates import rate
from perftop.probes.snapshot import POLICY_NAMES, ProcessInfo, ProcessNuma, TaskCounts, ThreadInfo

#: ``/proc/PID/stat`` needs at least fields 1..24 (up to ``rss``) to be of use.
_MIN_FIELDS_AFTER_COMM = 22
#: Longer than any real ``/proc/PID/stat`` line (about 300 bytes, comm at most 64).
_STAT_READ_SIZE = 4096


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The fields of ``/proc/PID/stat`` perftop uses (man 5 proc numbers them from 1).

    ``utime``, ``stime`` and ``start_time`` are in clock ticks; ``processor``, ``rt_priority`` and
    ``policy`` (fields 39-41) are ``None`` on kernels too old to write them. A field the kernel writes
    unsigned that is not an unsigned 64-bit number (negative, or wider) is ``None``: garbled, unknown.
    """

    pid: int
    comm: str
    state: str
    ppid: int
    utime: int | None
    stime: int | None
    priority: int
    nice: int
    num_threads: int
    start_time: int
    rss_pages: int | None
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
    the owner of the ``/proc/PID`` directory, as htop and top read it: the task's effective uid (the files
    inside go to root while a task is not dumpable, after a setuid for one, so they are not asked).
    ``cmdline`` is ``None`` when it could not be read.
    """

    stat: ProcStat
    status: ProcStatus | None
    uid: int | None
    user: str | None
    cmdline: str | None
    kernel_thread: bool
    #: ``/proc/PID/io``, read for the PIDs asked (None likewise, and for other users' processes unless root).
    io: ProcIo | None = None


@dataclass(frozen=True, slots=True)
class ProcIo:
    """Storage IO of ``/proc/PID/io``: bytes the process caused to be read from / written to storage."""

    read_bytes: int | None
    write_bytes: int | None


def parse_pid_io(text: str) -> ProcIo:
    """Parse ``/proc/PID/io``; a missing or malformed line leaves its field ``None``."""
    return ProcIo(_int_value(text, "read_bytes"), _int_value(text, "write_bytes"))


def _line_value(text: str, key: str) -> str | None:
    """The value of the line ``key: value`` of a ``status``-style file (what follows the colon), or None
    when no line starts with ``key:``.

    Four ``find`` calls cost less than splitting the ~55 lines of ``status``: this runs for every row on
    screen at every refresh.
    """
    tag = key + ":"
    start = text.find("\n" + tag) + 1
    if start == 0 and not text.startswith(tag):
        return None
    start += len(tag)
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _int_value(text: str, key: str) -> int | None:
    value = _line_value(text, key)
    return None if value is None else _int_or_none(value.strip())


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
        utime, stime, start_time, rss, flags = int(f[11]), int(f[12]), int(f[19]), int(f[21]), int(f[6])
        rt_priority = int(f[37]) if n > 37 else None
        policy = int(f[38]) if n > 38 else None
        stat = ProcStat(
            int(text[:open_paren]),
            text[open_paren + 1 : close_paren],
            f[0],
            int(f[1]),
            utime,
            stime,
            int(f[15]),
            int(f[16]),
            int(f[17]),
            start_time,
            rss,
            int(f[36]) if n > 36 else None,
            rt_priority,
            policy,
            flags,
        )
    except ValueError:
        raise ValueError(f"garbled /proc/PID/stat (non-numeric field): {text[:80]!r}") from None
    # The fields the kernel writes unsigned, checked at once: a negative one makes the OR negative, a wider
    # one sets a bit beyond 63; either way the shift leaves something.
    if (utime | stime | start_time | rss | flags | (rt_priority or 0) | (policy or 0)) >> 64:
        if u64(start_time) is None:  # the process's identity: nothing read of it can be told apart
            raise ValueError(f"garbled /proc/PID/stat (start time {start_time}): {text[:80]!r}")
        stat = replace(
            stat,
            utime=u64(utime),
            stime=u64(stime),
            rss_pages=u64(rss),
            rt_priority=None if rt_priority is None else u64(rt_priority),
            policy=None if policy is None else u64(policy),
            flags=u64(flags),
        )
    return stat


def _int_or_none(text: str) -> int | None:
    """An unsigned number of ``status`` or ``io`` (uids and counts, all unsigned in the kernel)."""
    try:
        return u64(int(text))
    except ValueError:
        return None


def read_stat_of(fs: FS, pid: int, start_time: int) -> ProcStat | None:
    """``pid``'s stat while it is the process that started at ``start_time``; ``None`` once it is gone (or
    its PID names another process)."""
    text = read_text(fs.proc(pid, "stat"))
    if text is None:
        return None
    try:
        stat = parse_pid_stat(text)
    except ValueError:
        return None
    return stat if stat.start_time == start_time else None


def is_same_process(fs: FS, pid: int, start_time: int) -> bool:
    """True while ``pid`` is the process that started at ``start_time`` (not gone, PID not reused)."""
    return read_stat_of(fs, pid, start_time) is not None


def parse_pid_status(text: str) -> ProcStatus:
    """Parse ``/proc/PID/status``; a missing or malformed line leaves its field ``None``."""
    ids = _line_value(text, "Uid")
    uid_fields = None if ids is None else ids.split()
    uid = _int_or_none(uid_fields[1]) if uid_fields is not None and len(uid_fields) > 1 else None
    cpus_text = _line_value(text, "Cpus_allowed_list")
    cpus: tuple[int, ...] | None = None
    if cpus_text is not None:
        try:
            cpus = tuple(sorted(parse_cpu_list(cpus_text)))
        except ValueError:
            cpus = None
    return ProcStatus(
        cpus,
        _int_value(text, "voluntary_ctxt_switches"),
        _int_value(text, "nonvoluntary_ctxt_switches"),
        uid,
    )


def parse_cmdline(data: bytes) -> str:
    """``/proc/PID/cmdline`` as one line: NUL separators become spaces, trailing NULs and blanks go."""
    return data.replace(b"\0", b" ").rstrip().decode("utf-8", "replace")


def cpu_ticks_of(stat: ProcStat) -> int | None:
    """``utime + stime``: the CPU time the process used, in clock ticks; ``None`` when either is garbled."""
    utime, stime = stat.utime, stat.stime
    return None if utime is None or stime is None else utime + stime


def is_kernel_thread(stat: ProcStat) -> bool:
    """True for kernel threads: the ``PF_KTHREAD`` bit of field 9 (flags).

    The flag is exact in any PID namespace (inside a container PID 2 is an ordinary process). An empty
    cmdline is no test: zombies and processes that cleared theirs have one too. Without flags, fall back
    to kthreadd (PID 2) and its children, true in the host's namespace.
    """
    if stat.flags is not None:
        return bool(stat.flags & PF_KTHREAD)
    return stat.pid == 2 or stat.ppid == 2


def thread_group(fs: FS, pid: int) -> int | None:
    """The process task ``pid`` belongs to: ``pid`` for a process, its process's PID for a thread (procfs
    has an unlisted directory for each thread too), ``None`` when no task ``pid`` is there."""
    status = read_text(fs.proc(pid, "status"))
    if status is None:
        return pid if read_bytes(fs.proc(pid, "stat")) is not None else None
    tgid = _int_value(status, "Tgid")
    return pid if tgid is None else tgid


def page_size() -> int:
    """Bytes per page, the unit of ``ProcStat.rss_pages``."""
    return os.sysconf("SC_PAGE_SIZE")


#: File descriptors the scanner leaves free for every other open (sysfs files, sockets, the terminal)
#: while it holds procfs files open between scans.
FD_RESERVE = 256


class _Entry:
    """What the scanner keeps of one process between scans: its last ``stat`` bytes and reading, and the
    descriptors it holds open (-1: none). ``link_check``: the files are regular files (a fixture tree),
    which can be removed or replaced under an open descriptor, so each read checks they are still linked.
    """

    __slots__ = (
        "data",
        "dir_fd",
        "full",
        "full_base",
        "io",
        "io_data",
        "io_fd",
        "link_check",
        "path",
        "raw",
        "sched_fd",
        "stat_fd",
        "status",
        "status_data",
        "status_fd",
        "status_signs",
    )

    def __init__(self, path: str) -> None:
        self.path = path  # the process directory
        self.data = b""
        self.raw: RawProcess | None = None
        self.dir_fd = self.stat_fd = self.status_fd = self.io_fd = self.sched_fd = -1
        self.link_check = False
        # The last status and io bytes and their parse, and the last reading built with them.
        self.status_data: bytes | None = None
        self.status: ProcStatus | None = None
        #: What ``schedstat`` and ``sched_getaffinity`` gave just before ``status`` was last read (see
        #: ``ProcessScanner._status_signs``); None: unknown, read ``status``.
        self.status_signs: tuple[bytes, set[int]] | None = None
        self.io_data: bytes | None = None
        self.io: ProcIo | None = None
        self.full_base: RawProcess | None = None
        self.full: RawProcess | None = None


class ProcessScanner:
    """Reads every process of a procfs root, caching what only changes on ``exec`` or ``setuid``.

    The cache maps a PID to the raw ``stat`` bytes and the status-less :class:`RawProcess` of the last
    scan. An entry is reused as long as the ``start_time`` matches (same process, not a reused PID):
    the cmdline is re-read when ``comm`` changes (an ``exec``), the user name is looked up again when
    the owner changes (a ``setuid``); both keep ``start_time``. Entries of PIDs absent from a scan are
    dropped, so the cache never outgrows the process table.

    Opening a procfs file costs more than reading it, so the scanner keeps ``/proc/PID`` and its ``stat``
    open between scans and reads ``stat`` again with ``pread``; ``status``, ``io`` and ``schedstat`` stay
    open too for the PIDs asked by name (the rows on screen). A descriptor of a process that exited fails
    (``ESRCH``) and is closed; a new process with that PID is opened by path, so it never reads through the
    old one.
    At most ``max_held_fds`` descriptors are held, and never more than the soft ``RLIMIT_NOFILE`` minus
    :data:`FD_RESERVE`; processes beyond that are opened, read and closed every scan. :meth:`close`
    closes them all (a later scan opens them again). Not thread-safe: one scan at a time.

    On this machine's own ``/proc`` (:meth:`~perftop.probes.fs.FS.is_own_proc`) ``status`` is read again only
    when what it shows may have changed: the kernel formats its ~55 lines for each read, far more work than
    ``stat``. Its context-switch counts (those of the main thread) move only when that thread is switched
    in or out, which moves its ``schedstat`` (run time, wait time, time slices: one short line);
    ``Cpus_allowed_list`` changes without the process running (``taskset -p``), which ``sched_getaffinity``
    shows, exactly while every possible CPU is online (it leaves out inactive CPUs, the file does not).
    ``schedstat`` is read through the process's held directory after ``sched_getaffinity``, so a PID reused
    meanwhile fails that read rather than lending its mask.

    ``owners`` gives the uid of some PIDs in place of their directory's owner: for a fixture tree written
    without root, which cannot give its directories away (``chown``). It comes from the code that makes the
    scanner, never from the tree, so a procfs root cannot claim an owner its files do not have.
    """

    def __init__(
        self, fs: FS, max_held_fds: int | None = None, owners: Mapping[int, int] | None = None
    ) -> None:
        self._fs = fs
        self._max_held_fds = max_held_fds
        self._owners = owners
        self._entries: dict[int, _Entry] = {}
        self._held = 0  # descriptors open in all entries
        # Only our own procfs: sched_getaffinity asks this kernel about a PID of our namespace.
        self._own_proc = fs.is_own_proc()
        # A kernel without scheduler statistics writes "0 0 0" for every task, this one (running) too.
        own_schedstat = read_bytes(fs.proc("self", "schedstat")) if self._own_proc else None
        self._schedstat_live = bool(own_schedstat and not own_schedstat.startswith(b"0 "))
        # Fixed at boot; read on first use.
        self._possible_cpus: bytes | None = None
        # The sysfs list of online CPUs, held open (and counted in held_fds) once status is asked for.
        self._online_fd = -1
        # The fork counter given to the last complete scan (see scan), None after a failed one.
        self._listed_forks: int | None = None

    def __del__(self) -> None:
        # A scanner dropped without close() must not leak thousands of descriptors (as a file object).
        with contextlib.suppress(Exception):  # at interpreter exit os may be torn down already
            self.close()

    @property
    def held_fds(self) -> int:
        """How many descriptors the scanner holds open now."""
        return self._held

    def fd_budget(self) -> int:
        """How many descriptors the scanner may hold: the soft ``RLIMIT_NOFILE`` minus :data:`FD_RESERVE`,
        and at most ``max_held_fds``. Read at every scan, so a limit raised later is used."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        budget = sys.maxsize if soft == resource.RLIM_INFINITY else soft - FD_RESERVE
        if self._max_held_fds is not None:
            budget = min(budget, self._max_held_fds)
        return max(budget, 0)

    def close(self) -> None:
        """Close every held descriptor (idempotent). The cache stays: the next scan opens them again."""
        for entry in self._entries.values():
            self._release(entry)
        if self._online_fd >= 0:
            self._online_fd = self._close(self._online_fd)

    def _status_signs_usable(self, budget: int) -> bool:
        """True when ``schedstat`` and ``sched_getaffinity`` may stand in for a ``status`` read this scan:
        on our own procfs, while the CPUs online are every possible CPU."""
        if not self._schedstat_live:
            return False
        if self._possible_cpus is None:
            self._possible_cpus = read_bytes(self._fs.sys("devices", "system", "cpu", "possible")) or b""
        online_path = self._fs.sys("devices", "system", "cpu", "online")
        if self._online_fd < 0:
            if self._held >= budget:
                return bool(online := read_bytes(online_path)) and online == self._possible_cpus
            try:
                self._online_fd = open_regular(online_path)[0]
            except OSError:
                return False
            self._held += 1
        try:
            # A sysfs attribute is written anew for each read from offset 0.
            online = os.pread(self._online_fd, 4096, 0)
        except OSError:
            self._online_fd = self._close(self._online_fd)
            return False
        return bool(online) and online == self._possible_cpus

    def list_pids(self) -> list[int]:
        """The PIDs of the numeric directories of the procfs root, in directory order."""
        try:
            # listdir, not scandir: no DirEntry object per name (procfs lists ~60 other names too).
            return [int(name) for name in os.listdir(self._fs.procfs) if is_decimal(name)]
        except OSError:
            return []

    def cached_identities(self) -> frozenset[tuple[int, int]]:
        """The ``(pid, start_time)`` identities the cache holds (what the last scan saw)."""
        return frozenset(
            (pid, e.raw.stat.start_time) for pid, e in self._entries.items() if e.raw is not None
        )

    def scan(
        self,
        status_pids: Collection[int] | None,
        io_pids: Collection[int] | EllipsisType | None = ...,
        *,
        forks: int | None = None,
        ran: bool = False,
    ) -> dict[int, RawProcess]:
        """Read every process once; read ``status`` only for ``status_pids`` and ``io`` only for ``io_pids``
        (``None``: for all; ``io_pids`` defaults to the same as ``status_pids``).

        ``ran``: also read ``status``, and ``io`` unless ``io_pids`` is empty, of every process that ran since
        the last scan (its ``utime + stime`` moved) or is new since it. Those are the processes a sort by
        CPU% can bring into view at once; reading them costs one file each, as ``stat`` tells them apart.

        A process that vanishes mid-scan or has a garbled ``stat`` is left out; one whose ``status`` or
        ``io`` vanished or is unreadable has ``None`` there.

        ``forks`` is the ``processes`` counter of ``/proc/stat`` (every task ever created), read just
        before this call. On our own procfs, while it equals the one of the last complete scan, no
        process can have appeared since that scan listed the directory, so the processes it found are
        read again without listing ``/proc`` (those gone since fail their read and are left out).
        """
        want_status = None if status_pids is None else frozenset(status_pids)
        want_io = None if io_pids is None else want_status if io_pids is ... else frozenset(io_pids)
        budget = self.fd_budget()
        if self._held > budget:
            self._shed(budget)
        signs = (want_status is None or bool(want_status) or ran) and self._status_signs_usable(budget)
        io_if_ran = ran and (want_io is None or bool(want_io))
        # A process new since the last scan ran meanwhile; on the first scan every process is new.
        new_ran = ran and bool(self._entries)
        listed_forks, self._listed_forks = self._listed_forks, None  # set again once this scan completes
        if forks is not None and forks == listed_forks and self._own_proc:
            pids: Iterable[int] = list(self._entries)
        else:
            pids = self.list_pids()
        prefix = os.path.join(self._fs.procfs, "")
        old = self._entries
        entries: dict[int, _Entry] = {}
        out: dict[int, RawProcess] = {}
        users: dict[int, str] = {}  # one passwd lookup per uid per scan
        # Local names: this loop runs over thousands of PIDs every second.
        os_pread, os_fstat, pop, size, owners = os.pread, os.fstat, old.pop, _STAT_READ_SIZE, self._owners
        pid, e = 0, None
        try:
            for pid in pids:
                e = pop(pid, None)
                if e is None:
                    e = _Entry(prefix + str(pid))
                data = b""
                uid = 0
                if e.stat_fd >= 0:
                    try:
                        # The owner first: a process gone after this fails the read below.
                        uid = os_fstat(e.dir_fd).st_uid
                        data = os_pread(e.stat_fd, size, 0)
                        if len(data) == size:
                            data = _pread_all(e.stat_fd)
                        if e.link_check and not os_fstat(e.stat_fd).st_nlink:
                            data = b""  # a fixture file removed or replaced: open the path again
                    except OSError:
                        data = b""  # the process exited (ESRCH): its PID may be a new process now
                    if not data:
                        self._release(e)
                if not data:
                    opened = self._open_stat(e, budget)
                    if opened is None:
                        continue  # vanished between listing and reading
                    data, uid = opened
                if owners is not None:
                    uid = owners.get(pid, uid)
                prev = e.raw
                moved = False
                if prev is not None and data == e.data and prev.uid == uid:
                    raw = prev
                else:
                    try:
                        stat = parse_pid_stat(data.decode("utf-8", "replace"))
                    except ValueError:
                        self._release(e)
                        continue
                    if prev is not None and prev.stat.start_time != stat.start_time:
                        prev = None  # a reused PID: nothing cached belongs to this process
                    if ran:
                        moved = new_ran if prev is None else cpu_ticks_of(stat) != cpu_ticks_of(prev.stat)
                    raw = self._raw(stat, prev, uid, e.path, users)
                    e.data, e.raw = data, raw
                entries[pid] = e
                read_status = want_status is None or pid in want_status or moved
                read_io = want_io is None or pid in want_io or (moved and io_if_ran)
                if read_status or read_io or e.status_fd >= 0 or e.io_fd >= 0 or e.sched_fd >= 0:
                    raw = self._with_status_io(
                        e, pid, raw, read_status, read_io, want_status, want_io, budget, signs
                    )
                out[pid] = raw
            self._listed_forks = forks
        finally:
            # Whatever is left was not listed (gone), or not reached when a scan failed: close it, and
            # the entry in hand if the scan failed before keeping it.
            for gone in old.values():
                self._release(gone)
            if e is not None and entries.get(pid) is not e:
                self._release(e)
            self._entries = entries
        return out

    def _raw(
        self, stat: ProcStat, prev: RawProcess | None, uid: int, base: str, users: dict[int, str]
    ) -> RawProcess:
        """The status-less reading of a parsed ``stat``, taking cmdline and user from ``prev`` (the same
        process's last reading, or None) where they cannot have changed."""
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
        return RawProcess(stat, None, uid, user, cmdline, kernel)

    def _open_stat(self, e: _Entry, budget: int) -> tuple[bytes, int] | None:
        """Read ``stat`` of the process directory by path, and the directory's owner; hold both open in
        ``e`` while the budget allows. None when the process is gone."""
        base = e.path
        if self._held + 2 > budget:
            try:
                uid = os.stat(base).st_uid
                fd = self._open(base + "/stat")
            except OSError:
                return None
            try:
                data = _read_all(fd)
            except OSError:
                return None
            finally:
                os.close(fd)
            return data, uid
        try:
            dir_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return None
        fd = -1
        try:
            fd, info = open_regular("stat", dir_fd)
            uid = os.fstat(dir_fd).st_uid
            data = _read_all(fd)
            # procfs files show size 0 (made anew at each read); a regular file has its real size.
            link_check = info.st_size > 0
        except OSError:
            data = b""
        if not data:
            if fd >= 0:
                os.close(fd)
            os.close(dir_fd)
            return None
        e.dir_fd, e.stat_fd, e.link_check = dir_fd, fd, link_check
        self._held += 2
        return data, uid

    def _with_status_io(
        self,
        e: _Entry,
        pid: int,
        raw: RawProcess,
        read_status: bool,
        read_io: bool,
        want_status: frozenset[int] | None,
        want_io: frozenset[int] | None,
        budget: int,
        signs: bool,
    ) -> RawProcess:
        """``raw`` with ``status`` and ``io`` read as asked; closes held files no longer asked for.

        Unchanged bytes keep their parsed object, and an unchanged process (same status-less reading,
        same status and io) gets the very object of the last scan, so its row can be reused too.
        ``signs``: ``status`` may be skipped when its signs did not change (see the class docstring).
        """
        # Hold status and io open only for PIDs asked by name: the rows on screen, few.
        status = io = None
        if read_status:
            hold = want_status is not None and e.dir_fd >= 0
            # Only through a held directory: a schedstat opened by path could be a new process's.
            seen = self._status_signs(e, pid, hold, budget) if signs and e.dir_fd >= 0 else None
            if not signs and e.sched_fd >= 0:
                e.sched_fd = self._close(e.sched_fd)
            if seen is None or seen != e.status_signs or e.status is None:
                e.status_fd, data = self._read_member(e, e.status_fd, "status", hold, budget)
                if data != e.status_data:
                    e.status_data = data
                    e.status = None if data is None else parse_pid_status(data.decode("utf-8", "replace"))
                # Read after the signs: equal signs next time mean this reading is still current.
                e.status_signs = None if data is None else seen
            status = e.status
        else:
            if e.status_fd >= 0:
                e.status_fd = self._close(e.status_fd)
            if e.sched_fd >= 0:
                e.sched_fd = self._close(e.sched_fd)
        if read_io:
            e.io_fd, data = self._read_member(e, e.io_fd, "io", want_io is not None and e.dir_fd >= 0, budget)
            if data != e.io_data:
                e.io_data = data
                e.io = None if data is None else parse_pid_io(data.decode("utf-8", "replace"))
            io = e.io
        elif e.io_fd >= 0:
            e.io_fd = self._close(e.io_fd)
        if not (read_status or read_io):
            return raw
        last = e.full
        if last is not None and e.full_base is raw and last.status is status and last.io is io:
            return last
        e.full_base = raw
        e.full = RawProcess(raw.stat, status, raw.uid, raw.user, raw.cmdline, raw.kernel_thread, io)
        return e.full

    def _status_signs(self, e: _Entry, pid: int, hold: bool, budget: int) -> tuple[bytes, set[int]] | None:
        """The process's affinity, then its ``schedstat`` line; None when either is not to be had (gone,
        refused). ``0 0 0`` is a task that never ran (the scanner checked that this kernel keeps the
        statistics), and stays so until it runs."""
        try:
            cpus = os.sched_getaffinity(pid)
        except OSError:
            return None
        # After the affinity: a readable schedstat proves the PID was still this process when it was asked.
        e.sched_fd, data = self._read_member(e, e.sched_fd, "schedstat", hold, budget)
        if not data:
            return None
        return data, cpus

    def _read_member(
        self, e: _Entry, fd: int, name: str, hold: bool, budget: int
    ) -> tuple[int, bytes | None]:
        """Read file ``name`` of the process through ``fd`` (held, or -1), else open it; keep it open when
        ``hold`` and the budget allow. Returns the descriptor now held (-1: none) and the bytes (None:
        gone or unreadable)."""
        if fd >= 0:
            try:
                data = _pread_all(fd)
                if not e.link_check or os.fstat(fd).st_nlink:
                    return fd, data
            except OSError:
                pass
            fd = self._close(fd)
        try:
            fd = self._open(name, e.dir_fd) if e.dir_fd >= 0 else self._open(e.path + "/" + name)
        except OSError:
            return -1, None
        try:
            data = _read_all(fd)
        except OSError:
            os.close(fd)
            return -1, None
        if hold and self._held < budget:
            self._held += 1
            return fd, data
        os.close(fd)
        return -1, data

    def _open(self, path: str, dir_fd: int | None = None) -> int:
        """Open a file of a process directory for reading. Off our own procfs it must be a regular file (see
        :func:`~perftop.probes.fs.open_regular`); the kernel's procfs holds nothing else, so there the check's
        ``fstat`` is spared."""
        if self._own_proc:
            return os.open(path, READ_FLAGS, dir_fd=dir_fd)
        return open_regular(path, dir_fd)[0]

    def _close(self, fd: int) -> int:
        """Close a held descriptor; returns -1 (what its slot holds now)."""
        self._held -= 1
        with contextlib.suppress(OSError):
            os.close(fd)
        return -1

    def _release(self, e: _Entry) -> None:
        """Close every descriptor ``e`` holds, and forget the status signs: the next descriptors may
        belong to another process with the same PID."""
        e.status_signs = None
        if e.sched_fd >= 0:
            e.sched_fd = self._close(e.sched_fd)
        if e.io_fd >= 0:
            e.io_fd = self._close(e.io_fd)
        if e.status_fd >= 0:
            e.status_fd = self._close(e.status_fd)
        if e.stat_fd >= 0:
            e.stat_fd = self._close(e.stat_fd)
        if e.dir_fd >= 0:
            e.dir_fd = self._close(e.dir_fd)

    def _shed(self, budget: int) -> None:
        """Close whole entries until at most ``budget`` descriptors are held (the limit was lowered)."""
        for e in self._entries.values():
            if self._held <= budget:
                break
            self._release(e)


def _read_all(fd: int) -> bytes:
    """Everything from ``fd``'s offset to EOF; one read for a file shorter than a page."""
    data = os.read(fd, _STAT_READ_SIZE)
    if len(data) < _STAT_READ_SIZE:
        return data
    chunks = [data]
    while chunk := os.read(fd, _STAT_READ_SIZE):
        chunks.append(chunk)
    return b"".join(chunks)


def _pread_all(fd: int) -> bytes:
    """The whole file behind ``fd``, read from offset 0. A short read is the end (procfs, regular files)."""
    data = os.pread(fd, _STAT_READ_SIZE, 0)
    if len(data) < _STAT_READ_SIZE:
        return data
    chunks = [data]
    offset = len(data)
    while chunk := os.pread(fd, _STAT_READ_SIZE, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)  # no passwd entry (a container's uid): show the number, as ps does


class SteadyRows:
    """Which rows of the last :func:`process_infos` call were the rows of two equal readings (all rates 0),
    and under what context (clock ticks, page size, memory total, CPU -> node). The caller keeps one per
    sequence of calls and passes it with ``last_rows``; :func:`process_infos` reads and refills it."""

    __slots__ = ("context", "pids")

    def __init__(self) -> None:
        self.context: tuple[object, ...] | None = None
        self.pids: set[int] = set()


def process_infos(
    prev: dict[int, RawProcess] | None,
    cur: dict[int, RawProcess],
    elapsed: float | None,
    clk_tck: int,
    page_size: int,
    mem_total_bytes: int | None,
    cpu_node: Mapping[int, int] | None = None,
    placements: Mapping[int, ProcessNuma | None] | None = None,
    last_rows: Mapping[int, ProcessInfo] | None = None,
    *,
    steady: SteadyRows | None = None,
) -> tuple[ProcessInfo, ...]:
    """The table rows for scan ``cur``, with rates against scan ``prev`` taken ``elapsed`` seconds before.

    Rates are ``None`` on the first sample, for a PID whose ``start_time`` changed (a reused PID) and for
    a counter that went backwards; ``cpu_percent`` is 100 for one full core and may exceed 100. The
    context-switch rates need ``status`` in both samples, the IO rates ``io``. ``node`` is the NUMA node of
    the last CPU (``cpu_node`` maps CPU -> node); ``remote_percent`` is filled for the PIDs in
    ``placements`` (their ``numa_maps``). Rows are in PID order.

    ``last_rows`` are the rows this function returned for ``prev`` (by PID). An idle process's reading is
    the very object of ``prev`` (the scanner reuses it while ``stat`` is unchanged and nothing else was
    read), and its row is then its last row again once that row's rates are 0 too: that row is returned
    instead of building an equal one. The result is the same with or without ``last_rows``.

    ``steady`` (with ``last_rows``) makes that cheaper: a row already known to be such a row, under the same
    context, is returned without looking at it again (most rows of an idle machine).
    """
    seconds = elapsed if elapsed is not None and elapsed > 0 else None
    rows: list[ProcessInfo] = []
    append = rows.append
    prev_get = prev.get if prev is not None and seconds is not None else None
    last_get = last_rows.get if last_rows is not None else None
    node_of = cpu_node.get if cpu_node is not None else None
    context = (clk_tck, page_size, mem_total_bytes, None if cpu_node is None else dict(cpu_node))
    known: Collection[int] = ()
    now_steady: set[int] = set()
    if steady is not None:
        if last_get is not None and steady.context == context:
            known = steady.pids
        steady.context, steady.pids = context, now_steady
    for pid in sorted(cur):
        raw = cur[pid]
        before = prev_get(pid) if prev_get is not None else None
        if before is raw and pid in known and (placements is None or pid not in placements):
            # Same reading, and its last row holds the rates of two equal readings: nothing to compute.
            last = last_get(pid)  # type: ignore[misc]
            if last is not None:
                append(last)
                now_steady.add(pid)
                continue
        st = raw.stat
        status = raw.status
        if before is not None and before is not raw and before.stat.start_time != st.start_time:
            before = None
        utime, stime, rss_pages = st.utime, st.stime, st.rss_pages
        # cpu_ticks_of(st), inline: this runs for every changed row.
        cpu_ticks = None if utime is None or stime is None else utime + stime
        cpu_time = None if cpu_ticks is None else cpu_ticks / clk_tck
        rss_bytes = None if rss_pages is None else rss_pages * page_size
        mem_percent = (
            rss_bytes / mem_total_bytes * 100.0 if mem_total_bytes and rss_bytes is not None else None
        )
        processor = st.processor
        node = None if node_of is None or processor is None else node_of(processor)
        placement = None if placements is None else placements.get(pid)
        remote_percent = None if placement is None else placement.remote_percent(node)
        io = raw.io
        if before is raw and last_get is not None:
            last = last_get(pid)
            # Every field but these comes from ``raw`` alone; these must be what a new row would hold.
            if (
                last is not None
                and last.cpu_percent == 0.0
                and last.rss_bytes == rss_bytes
                and last.mem_percent == mem_percent
                and last.node == node
                and last.remote_percent == remote_percent
                and last.cpu_time_seconds == cpu_time
                and _is_zero_rate(last.voluntary_ctxt_switches_per_s, status, "voluntary_ctxt_switches")
                and _is_zero_rate(last.nonvoluntary_ctxt_switches_per_s, status, "nonvoluntary_ctxt_switches")
                and _is_zero_rate(last.io_read_bytes_per_s, io, "read_bytes")
                and _is_zero_rate(last.io_write_bytes_per_s, io, "write_bytes")
            ):
                append(last)
                if placements is None or pid not in placements:
                    now_steady.add(pid)
                continue
        if before is raw and seconds is not None and (placements is None or pid not in placements):
            now_steady.add(pid)  # the row built below has every rate of two equal readings
        cpu_percent = vcsw_rate = nvcsw_rate = io_read_rate = io_write_rate = None
        if before is not None and seconds is not None:
            if io is not None and before.io is not None:
                io_read_rate = rate(before.io.read_bytes, io.read_bytes, seconds)
                io_write_rate = rate(before.io.write_bytes, io.write_bytes, seconds)
            ticks_rate = rate(cpu_ticks_of(before.stat), cpu_ticks, seconds)
            cpu_percent = None if ticks_rate is None else ticks_rate / clk_tck * 100.0
            if status is not None and before.status is not None:
                vcsw_rate = rate(
                    before.status.voluntary_ctxt_switches, status.voluntary_ctxt_switches, seconds
                )
                nvcsw_rate = rate(
                    before.status.nonvoluntary_ctxt_switches, status.nonvoluntary_ctxt_switches, seconds
                )
        # Positional, in ProcessInfo's field order: keywords cost more, for every changed row.
        append(
            ProcessInfo(
                pid, st.ppid, raw.user, raw.uid, st.comm, raw.cmdline, st.state,
                None if st.policy is None else POLICY_NAMES.get(st.policy),  # policy
                st.rt_priority, st.nice, st.priority, st.processor,
                None if status is None else status.cpus_allowed,  # affinity
                st.num_threads, st.start_time, cpu_percent, cpu_time, rss_bytes, mem_percent,
                None if status is None else status.voluntary_ctxt_switches,
                None if status is None else status.nonvoluntary_ctxt_switches,
                vcsw_rate, nvcsw_rate, raw.kernel_thread,
                None if io is None else io.read_bytes,
                None if io is None else io.write_bytes,
                io_read_rate, io_write_rate, node, remote_percent,
            )
        )  # fmt: skip
    return tuple(rows)


def _is_zero_rate(rate: float | None, counters: ProcStatus | ProcIo | None, name: str) -> bool:
    """True when ``rate`` is what counter ``name`` gives over two equal readings: 0.0, or None where the
    counter is unknown."""
    if counters is None or getattr(counters, name) is None:
        return rate is None
    return rate == 0.0


class TaskScanner:
    """Reads the threads of some processes (``/proc/PID/task/TID/stat``, and ``status`` for the TIDs asked),
    reusing what an idle thread gave last time.

    Each call of :meth:`scan` reads every thread of the processes given once. A thread whose ``stat`` (and
    ``status`` when read) gave the very bytes of the last scan gets the very :class:`RawProcess` of that scan,
    so :func:`process_infos` can return its last row without computing it again (most threads of a big
    process sleep). The cache holds only the threads of the last scan. Not thread-safe.
    """

    def __init__(self, fs: FS) -> None:
        self._fs = fs
        # Our own procfs holds nothing but regular files: the check's fstat is spared (see ProcessScanner).
        self._own_proc = fs.is_own_proc()
        self._last: dict[int, tuple[bytes, bytes | None, RawProcess]] = {}

    def scan(
        self, processes: Iterable[RawProcess], status_tids: Collection[int] | None
    ) -> tuple[dict[int, RawProcess], dict[int, int]]:
        """The threads of ``processes`` by TID (the main ones included), and each one's process PID.

        A process whose ``task`` directory cannot be listed (exited, refused) gives none; a thread that
        exits meanwhile or whose ``stat`` is garbled is left out. ``status`` (the thread's affinity and
        context switches) is read for ``status_tids`` only (``None``: every thread). Each thread has its
        process's owner and, as its command line, its own ``comm``.
        """
        last, fs = self._last, self._fs
        read = self._read
        cur: dict[int, RawProcess] = {}
        tgid_of: dict[int, int] = {}
        kept: dict[int, tuple[bytes, bytes | None, RawProcess]] = {}
        for process in processes:
            pid = process.stat.pid
            task = fs.proc(pid, "task")
            try:
                names = os.listdir(task)
            except OSError:
                continue
            for name in names:
                if not is_decimal(name):
                    continue
                path = f"{task}/{name}/"
                data = read(path + "stat")
                if data is None:
                    continue
                tid = int(name)
                status_data = None
                if status_tids is None or tid in status_tids:
                    status_data = read(path + "status")
                before = last.get(tid)
                if (
                    before is not None
                    and before[0] == data
                    and before[1] == status_data
                    and before[2].uid == process.uid
                ):
                    raw = before[2]
                else:
                    try:
                        stat = parse_pid_stat(data.decode("utf-8", "replace"))
                    except ValueError:
                        continue
                    status = (
                        None
                        if status_data is None
                        else parse_pid_status(status_data.decode("utf-8", "replace"))
                    )
                    raw = RawProcess(stat, status, process.uid, process.user, stat.comm, False)
                kept[tid] = (data, status_data, raw)
                cur[tid] = raw
                tgid_of[tid] = pid
        self._last = kept
        return cur, tgid_of

    def forget(self) -> None:
        """Drop the cache (threads are not shown for a while)."""
        self._last = {}

    def _read(self, path: str) -> bytes | None:
        if not self._own_proc:
            return read_bytes(path)
        try:
            fd = os.open(path, READ_FLAGS)
        except OSError:
            return None
        try:
            return _read_all(fd)
        except OSError:
            return None
        finally:
            os.close(fd)


def thread_infos(
    rows: tuple[ProcessInfo, ...],
    tgid_of: Mapping[int, int],
    last: Mapping[int, tuple[ProcessInfo, ThreadInfo]] | None = None,
) -> tuple[ThreadInfo, ...]:
    """``rows`` (made by :func:`process_infos` from :meth:`TaskScanner.scan` readings, keyed by TID) as
    :class:`ThreadInfo` rows of their processes (``tgid_of``: TID -> PID), ``ppid`` their process.
    ``last``: TID -> the row and thread row of the last call; a row that is the very object of then gives
    its thread row again."""
    out = []
    for p in rows:
        if last is not None:
            before = last.get(p.pid)
            if before is not None and before[0] is p:
                out.append(before[1])
                continue
        tgid = tgid_of[p.pid]
        values = [getattr(p, name) for name in _PROCESS_FIELDS]
        values[1] = tgid  # ppid
        values.append(tgid)
        out.append(ThreadInfo(*values))
    return tuple(out)


_PROCESS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ProcessInfo))


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

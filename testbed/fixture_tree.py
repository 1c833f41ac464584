"""Deterministic fake procfs/sysfs trees for tests, screenshots and benchmarks.

``make_tree(root, ...)`` writes ``root/proc`` and ``root/sys`` and returns the :class:`FS` pointing at
them. Everything is a function of the arguments (no clock, no randomness beyond ``seed``), so two calls
with the same arguments write byte-identical files, and a call with a higher ``tick`` on the same root
rewrites the counters in place, as if ``tick`` seconds had passed (USER_HZ 100: one tick adds 100 clock
ticks to every CPU):

    fs = make_tree(tmp_path, tick=0)   # sample
    make_tree(tmp_path, tick=1)        # one second later
                                       # sample again: rates over elapsed=1.0 are exact

The tree holds the process kinds a tuning monitor must show (see ``_canonical``): init, kthreadd and
kernel threads (``kworker/0:1-events``, ``migration/0`` at SCHED_FIFO 99), SCHED_FIFO, SCHED_RR,
SCHED_BATCH, SCHED_IDLE and SCHED_DEADLINE processes, multi-threaded ones, a zombie, D/T/R states,
comms with spaces and parentheses (``(sd-pam)``, ``weird) (name``) and brackets (``[fake-kthread]``),
owners uid 0 and 65534, varied nice and affinity. ``processes`` beyond those are plain sleepers.

Ownership: the scanner takes a process's uid from the owner of ``proc/PID`` (as the kernel sets it).
When running as root the tree chowns each process directory and its files to the process's effective
uid; otherwise that is impossible, every directory belongs to the caller, and only the ``Uid:`` line of
``status`` carries the intended owner. A sampler on such a tree is told the owners instead
(``Sampler(fs, owners={p.pid: p.uid for p in processes_for(...)})``, as ``testbed.demo`` does), so it
shows the same users for everyone. Git keeps no owners either: in a checkout of the committed demo tree
every process belongs to whoever cloned it.

CLI:

    python -m testbed.fixture_tree ROOT [--cpus N] [--processes N] [--tick T] [--seed S] [--stat-only PID]

The committed demo tree is ``python -m testbed.fixture_tree tests/fixtures/demo --cpus 4 --processes 25
--tick 1 --stat-only 2250`` (``DEMO_ARGS``; a test regenerates it and compares every byte).
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.fs import FS

#: The arguments that made ``tests/fixtures/demo`` (a test regenerates it and compares every byte).
DEMO_ARGS: tuple[str, ...] = ("--cpus", "4", "--processes", "25", "--tick", "1", "--stat-only", "2250")

USER_HZ = 100
PAGE_KB = 4
#: Seconds from boot to tick 0.
BOOT_SECONDS = 123_456
BOOT_TIME = 1_700_000_000  # btime, epoch seconds
MEM_TOTAL_KB = 16 * 1024 * 1024
HOSTNAME = "perftop-demo"
FIRST_PLAIN_PID = 3000

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
_PF_KTHREAD = 0x00200000
_PF_USER = 0x00400100  # PF_RANDOMIZE | PF_FORKNOEXEC, as ordinary processes show
_ULONG_MAX = 18446744073709551615
_MASK64 = (1 << 64) - 1
#: Busy percent of one core, per tick; each CPU walks it with its own offset and scale.
_LOAD_PATTERN = (30, 45, 60, 40, 20, 55, 70, 35)


@dataclass(frozen=True, slots=True)
class FakeProcess:
    """One process of the tree. Rates are clock ticks (or switches) added per tick (per second).

    ``affinity`` ``None`` means every CPU; ``cmdline`` ``()`` writes an empty file (kernel threads,
    zombies); ``real_uid`` ``None`` means the same as ``uid`` (the effective uid, the directory owner).
    """

    pid: int
    comm: str
    ppid: int = 1
    state: str = "S"
    uid: int = 0
    real_uid: int | None = None
    cmdline: tuple[str, ...] = ()
    kernel: bool = False
    policy: int = SCHED_OTHER
    rtprio: int = 0
    nice: int = 0
    threads: int = 1
    affinity: tuple[int, ...] | None = None
    start_time: int = 1000
    utime_rate: int = 0
    stime_rate: int = 0
    rss_pages: int = 0
    vcsw_rate: int = 1
    nvcsw_rate: int = 0

    @property
    def priority(self) -> int:
        """``/proc/PID/stat`` field 18 as the kernel computes it for this policy."""
        if self.policy == SCHED_DEADLINE:
            return -101
        if self.policy in (SCHED_FIFO, SCHED_RR):
            return -1 - self.rtprio
        return 20 + self.nice


def _mix(*values: int) -> int:
    """A splitmix64-style hash: deterministic across Python versions, unlike ``random``."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = ((x ^ (v & _MASK64)) * 0xBF58476D1CE4E5B9) & _MASK64
        x ^= x >> 31
        x = (x * 0x94D049BB133111EB) & _MASK64
        x ^= x >> 29
    return x


def _canonical(cpus: int) -> list[FakeProcess]:
    """The interesting processes, most important first (a small ``processes`` count keeps a prefix)."""
    last = cpus - 1
    second = min(1, last)
    pair = tuple(range(min(2, cpus)))
    return [
        FakeProcess(
            1,
            "systemd",
            ppid=0,
            cmdline=("/sbin/init", "splash"),
            start_time=30,
            utime_rate=1,
            stime_rate=1,
            rss_pages=3300,
            vcsw_rate=4,
            nvcsw_rate=1,
        ),
        FakeProcess(2, "kthreadd", ppid=0, kernel=True, start_time=30),
        FakeProcess(
            60,
            "kworker/0:1-events",
            ppid=2,
            state="I",
            kernel=True,
            affinity=(0,),
            start_time=41,
            stime_rate=1,
            vcsw_rate=30,
        ),
        FakeProcess(
            15,
            "migration/0",
            ppid=2,
            kernel=True,
            policy=SCHED_FIFO,
            rtprio=99,
            affinity=(0,),
            start_time=31,
            vcsw_rate=2,
        ),
        FakeProcess(
            402,
            "jackd",
            uid=65534,
            cmdline=("jackd", "-R", "-P50", "-d", "alsa"),
            policy=SCHED_FIFO,
            rtprio=50,
            threads=6,
            start_time=1200,
            utime_rate=4,
            stime_rate=2,
            rss_pages=5200,
            vcsw_rate=1000,
            nvcsw_rate=3,
        ),
        FakeProcess(
            517,
            "pulseaudio",
            cmdline=("/usr/bin/pulseaudio", "--daemonize=no"),
            policy=SCHED_RR,
            rtprio=5,
            nice=-11,
            threads=3,
            start_time=1350,
            utime_rate=2,
            stime_rate=1,
            rss_pages=4100,
            vcsw_rate=200,
            nvcsw_rate=1,
        ),
        FakeProcess(
            2001,
            "borg",
            cmdline=("borg", "create", "/backup::today", "/home"),
            policy=SCHED_BATCH,
            nice=10,
            start_time=900_000,
            utime_rate=70,
            stime_rate=10,
            rss_pages=52_000,
            vcsw_rate=20,
            nvcsw_rate=40,
        ),
        FakeProcess(
            2002,
            "updatedb.plocat",
            cmdline=("/usr/sbin/updatedb.plocate",),
            state="D",
            policy=SCHED_IDLE,
            nice=19,
            start_time=900_100,
            utime_rate=3,
            stime_rate=12,
            rss_pages=900,
            vcsw_rate=150,
            nvcsw_rate=2,
        ),
        FakeProcess(
            2100,
            "sensor-loop",
            cmdline=("/opt/rt/sensor-loop", "--period", "1ms"),
            policy=SCHED_DEADLINE,
            affinity=(last,),
            start_time=901_000,
            utime_rate=5,
            rss_pages=300,
            vcsw_rate=1000,
        ),
        FakeProcess(
            1290,
            "java",
            uid=65534,
            cmdline=("java", "-Xmx2g", "-jar", "/srv/app.jar"),
            threads=37,
            start_time=5000,
            utime_rate=120,
            stime_rate=30,
            rss_pages=400_000,
            vcsw_rate=300,
            nvcsw_rate=25,
        ),
        FakeProcess(1377, "sh", ppid=1290, state="Z", uid=65534, start_time=6000),
        FakeProcess(
            1024,
            "Web Content",
            uid=65534,
            cmdline=("/usr/lib/firefox/firefox", "-contentproc", "-isForBrowser", "8", "tab"),
            threads=28,
            affinity=pair,
            start_time=4000,
            utime_rate=9,
            stime_rate=3,
            rss_pages=61_000,
            vcsw_rate=90,
            nvcsw_rate=6,
        ),
        FakeProcess(655, "(sd-pam)", cmdline=("(sd-pam)",), start_time=2100, rss_pages=800),
        # sshd rewrites its command line to one string with spaces, NUL-padded.
        FakeProcess(
            640,
            "sshd",
            cmdline=("sshd: root@pts/0", "", ""),
            start_time=2000,
            stime_rate=1,
            rss_pages=2300,
            vcsw_rate=12,
        ),
        FakeProcess(700, "bash", ppid=640, cmdline=("-bash",), start_time=2200, rss_pages=1300),
        FakeProcess(
            731,
            "tmux: server",
            cmdline=("tmux", "new", "-s", "work"),
            start_time=2300,
            stime_rate=1,
            rss_pages=1100,
            vcsw_rate=8,
        ),
        FakeProcess(
            2203,
            "stress-ng",
            ppid=700,
            state="R",
            cmdline=("stress-ng", "--cpu", "1"),
            nice=7,
            affinity=(second,),
            start_time=901_500,
            utime_rate=99,
            stime_rate=1,
            rss_pages=1500,
            vcsw_rate=0,
            nvcsw_rate=250,
        ),
        FakeProcess(
            2250,
            "dd",
            ppid=700,
            state="D",
            cmdline=("dd", "if=/dev/zero", "of=/tmp/x", "bs=1M"),
            start_time=902_000,
            utime_rate=1,
            stime_rate=40,
            rss_pages=700,
            vcsw_rate=400,
        ),
        FakeProcess(3, "rcu_gp", ppid=2, state="I", kernel=True, start_time=30),
        FakeProcess(
            14, "ksoftirqd/0", ppid=2, kernel=True, affinity=(0,), start_time=31, stime_rate=1, vcsw_rate=50
        ),
        FakeProcess(
            21, f"ksoftirqd/{second}", ppid=2, kernel=True, affinity=(second,), start_time=32, vcsw_rate=40
        ),
        FakeProcess(
            88, "kworker/u8:2-flush-8:0", ppid=2, state="I", kernel=True, start_time=60, vcsw_rate=20
        ),
        FakeProcess(
            131, "irq/9-acpi", ppid=2, kernel=True, policy=SCHED_FIFO, rtprio=50, affinity=(0,), start_time=70
        ),
        # A userland process posing as a kernel thread: brackets that markup would eat.
        FakeProcess(
            2301,
            "[fake-kthread]",
            ppid=700,
            state="T",
            uid=65534,
            cmdline=("[fake-kthread]",),
            start_time=903_000,
            rss_pages=200,
        ),
        # A setuid program: real uid 65534, effective (and owner) root; its comm fools naive parsers.
        FakeProcess(
            2342,
            "weird) (name",
            ppid=700,
            uid=0,
            real_uid=65534,
            cmdline=("./weird", "--x"),
            nice=-5,
            start_time=903_500,
            utime_rate=2,
            rss_pages=400,
            vcsw_rate=3,
        ),
    ]


def _plain(index: int, seed: int) -> FakeProcess:
    """A plain sleeping process, its details a deterministic function of ``(seed, index)``."""
    h = _mix(seed, index)
    comm, cmdline = (
        ("sleep", ("sleep", str(3600 + index))),
        ("bash", ("/bin/bash",)),
        ("python3", ("python3", "-m", "worker", f"--id={index}")),
        ("nginx", ("nginx: worker process",)),
        ("cat", ("cat",)),
    )[h % 5]
    return FakeProcess(
        FIRST_PLAIN_PID + index,
        comm,
        ppid=1,
        uid=(0, 65534)[(h >> 8) & 1],
        cmdline=cmdline,
        nice=(0, 0, 0, 0, 5, 10, -5, 19)[(h >> 12) % 8],
        threads=(1, 1, 1, 2, 4, 8)[(h >> 16) % 6],
        start_time=1_000_000 + 7 * index,
        utime_rate=(h >> 20) % 3,
        stime_rate=(h >> 24) % 2,
        rss_pages=100 + (h >> 28) % 5000,
        vcsw_rate=(h >> 40) % 20,
        nvcsw_rate=(h >> 48) % 3,
    )


def processes_for(cpus: int, processes: int, seed: int, extra: Iterable[FakeProcess]) -> list[FakeProcess]:
    """The processes ``make_tree`` writes, in PID order (``extra`` replaces a process of the same PID)."""
    chosen = _canonical(cpus)[:processes]
    chosen += [_plain(i, seed) for i in range(processes - len(chosen))]
    by_pid = {p.pid: p for p in chosen}
    for p in extra:
        by_pid[p.pid] = p
    return [by_pid[pid] for pid in sorted(by_pid)]


def _cpu_increment(cpu: int, k: int, seed: int) -> tuple[int, ...]:
    """Ticks one CPU spends in each /proc/stat state during tick ``k`` (they sum to USER_HZ)."""
    busy = _LOAD_PATTERN[(k + cpu + seed) % len(_LOAD_PATTERN)] * (cpu % 4 + 1) // 4 + cpu % 3
    user = busy * 6 // 10
    system = busy * 2 // 10
    nice = busy // 20
    irq = busy // 50
    softirq = busy // 25
    steal = 1 if cpu % 4 == 3 else 0
    iowait = 2 if (k + cpu) % 3 == 0 else 0
    idle = USER_HZ - user - nice - system - iowait - irq - softirq - steal
    return (user, nice, system, idle, iowait, irq, softirq, steal)


def _cpu_ticks(cpu: int, seconds: int, seed: int) -> list[int]:
    """Cumulative ticks per state after ``seconds`` since boot (closed form over the load period)."""
    period = len(_LOAD_PATTERN)
    totals = [0] * 8
    for k in range(period):
        for i, v in enumerate(_cpu_increment(cpu, k, seed)):
            totals[i] += v
    full = seconds // period
    out = [t * full for t in totals]
    for k in range(seconds % period):
        for i, v in enumerate(_cpu_increment(cpu, k, seed)):
            out[i] += v
    return out


def _mask(cpus: Iterable[int], nbits: int) -> str:
    """A CPU set as the kernel's ``%*pb`` bitmap: 32-bit groups, comma-separated, most significant first."""
    value = 0
    for cpu in cpus:
        value |= 1 << cpu
    groups = []
    for start in range(0, max(nbits, 1), 32):
        width = min(32, nbits - start) if nbits else 32
        groups.append(format((value >> start) & 0xFFFFFFFF, f"0{(width + 3) // 4}x"))
    return ",".join(reversed(groups))


def _write(path: Path, data: str | bytes) -> None:
    """Write ``data`` over the file at ``path`` in place, then cut it to length.

    Not by opening with truncation: ext4 flushes a file truncated to nothing and rewritten when it is
    closed (its auto_da_alloc), and the demo machine rewrites hundreds of files every tick. A reader
    holding the file open (the sampler does) sees the new text as it would after a truncation.
    """
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(raw))
    finally:
        os.close(fd)


def _stat_line(p: FakeProcess, tick: int, cpus: int) -> str:
    allowed = p.affinity if p.affinity is not None else tuple(range(cpus))
    age = BOOT_SECONDS + tick - p.start_time // USER_HZ
    zombie = p.state == "Z"
    utime = p.utime_rate * age
    stime = p.stime_rate * age
    # Only processes that run move between CPUs and touch memory: an idle one's stat stays the same.
    moves = tick if p.utime_rate or p.stime_rate else 0
    rss = 0 if p.kernel or zombie else p.rss_pages + moves % 3
    vsize = 0 if p.kernel or zombie else p.rss_pages * PAGE_KB * 1024 * 3 + 4096 * p.threads
    flags = _PF_KTHREAD | 0x8040 if p.kernel else _PF_USER
    processor = allowed[(p.pid + moves) % len(allowed)]
    code = 0 if p.kernel else 1
    fields = (
        f"{p.pid} ({p.comm}) {p.state} {p.ppid} {p.pid} {p.pid} 0 -1 {flags}",  # 1-9
        f"{123 * p.pid % 9000} 0 {p.pid % 7} 0",  # 10-13 page faults
        f"{utime} {stime} 0 0 {p.priority} {p.nice} {p.threads} 0 {p.start_time} {vsize} {rss}",  # 14-24
        f"{_ULONG_MAX} {code} {code} 0 0 0",  # 25-30 rsslim .. kstkeip
        "0 0 0 0 0 0 0 17",  # 31-38 signals, wchan, nswap, cnswap, exit_signal
        f"{processor} {p.rtprio} {p.policy} {p.pid % 5}",  # 39-42
        "0 0 0 0 0 0 0 0 0 0",  # 43-52
    )
    return " ".join(fields) + "\n"


def _status_text(p: FakeProcess, tick: int, cpus: int) -> str:
    allowed = p.affinity if p.affinity is not None else tuple(range(cpus))
    age = BOOT_SECONDS + tick - p.start_time // USER_HZ
    state_names = {
        "R": "running",
        "S": "sleeping",
        "D": "disk sleep",
        "I": "idle",
        "T": "stopped",
        "Z": "zombie",
    }
    real = p.uid if p.real_uid is None else p.real_uid
    lines = [
        f"Name:\t{p.comm}",
        "Umask:\t0022" if not p.kernel else "Umask:\t0000",
        f"State:\t{p.state} ({state_names.get(p.state, 'sleeping')})",
        f"Tgid:\t{p.pid}",
        "Ngid:\t0",
        f"Pid:\t{p.pid}",
        f"PPid:\t{p.ppid}",
        "TracerPid:\t0",
        f"Uid:\t{real}\t{p.uid}\t{p.uid}\t{p.uid}",
        f"Gid:\t{real}\t{p.uid}\t{p.uid}\t{p.uid}",
        "FDSize:\t64",
        "Groups:\t",
        f"NStgid:\t{p.pid}",
        f"NSpid:\t{p.pid}",
        f"NSpgid:\t{p.pid}",
        f"NSsid:\t{p.pid}",
        f"Kthread:\t{int(p.kernel)}",
    ]
    if not p.kernel and p.state != "Z":
        rss_kb = p.rss_pages * PAGE_KB
        lines += [
            f"VmPeak:\t{rss_kb * 3 + 4096:8d} kB",
            f"VmSize:\t{rss_kb * 3:8d} kB",
            "VmLck:\t       0 kB",
            f"VmRSS:\t{rss_kb:8d} kB",
            f"RssAnon:\t{rss_kb // 2:8d} kB",
            f"RssFile:\t{rss_kb - rss_kb // 2:8d} kB",
            "VmSwap:\t       0 kB",
        ]
    lines += [
        f"Threads:\t{p.threads}",
        "SigQ:\t0/63421",
        "SigPnd:\t0000000000000000",
        "ShdPnd:\t0000000000000000",
        "SigBlk:\t0000000000000000",
        "SigIgn:\t0000000000001000",
        "SigCgt:\t0000000180004002",
        "CapInh:\t0000000000000000",
        f"CapPrm:\t{'000001ffffffffff' if p.uid == 0 else '0000000000000000'}",
        f"CapEff:\t{'000001ffffffffff' if p.uid == 0 else '0000000000000000'}",
        "CapBnd:\t000001ffffffffff",
        "CapAmb:\t0000000000000000",
        "NoNewPrivs:\t0",
        "Seccomp:\t0",
        f"Cpus_allowed:\t{_mask(allowed, cpus)}",
        f"Cpus_allowed_list:\t{format_cpu_list(allowed)}",
        "Mems_allowed:\t00000000,00000001",
        "Mems_allowed_list:\t0",
        f"voluntary_ctxt_switches:\t{p.vcsw_rate * age}",
        f"nonvoluntary_ctxt_switches:\t{p.nvcsw_rate * age}",
    ]
    return "\n".join(lines) + "\n"


def _cmdline_bytes(p: FakeProcess) -> bytes:
    if not p.cmdline or p.state == "Z":
        return b""
    return "\0".join(p.cmdline).encode() + b"\0"


def _write_process(
    proc: Path, p: FakeProcess, tick: int, cpus: int, stat_only: bool, chown: bool, tasks: bool = False
) -> None:
    d = proc / str(p.pid)
    d.mkdir(exist_ok=True)
    _write(d / "stat", _stat_line(p, tick, cpus))
    names = ("status", "cmdline", "comm")
    if stat_only:
        for name in names:
            (d / name).unlink(missing_ok=True)
    else:
        _write(d / "status", _status_text(p, tick, cpus))
        _write(d / "cmdline", _cmdline_bytes(p))
        _write(d / "comm", p.comm + "\n")
    if tasks and not stat_only and not p.kernel and p.state != "Z" and p.threads > 1:
        _write_tasks(d / "task", p, tick, cpus)
    if chown:
        # The kernel gives /proc/PID and every file in it the task's effective uid.
        for path in (d, *(d / n for n in ("stat", *(() if stat_only else names)))):
            os.chown(path, p.uid, p.uid)


def _write_system(
    proc: Path, sys_cpu: Path, procs: Sequence[FakeProcess], cpus: int, tick: int, seed: int
) -> None:
    seconds = BOOT_SECONDS + tick
    per_cpu = [_cpu_ticks(c, seconds, seed) for c in range(cpus)]
    total = [sum(col) for col in zip(*per_cpu, strict=True)] if per_cpu else [0] * 8
    running = max(1, sum(p.state == "R" for p in procs))
    blocked = sum(p.state == "D" for p in procs)
    threads = sum(p.threads for p in procs if p.state != "Z")
    last_pid = max((p.pid for p in procs), default=1)
    ctxt = 987_654_321 + 4_321 * tick
    intr = 123_456_789 + 2_345 * tick
    lines = ["cpu  " + " ".join(map(str, total)) + " 0 0"]
    lines += [f"cpu{c} " + " ".join(map(str, t)) + " 0 0" for c, t in enumerate(per_cpu)]
    lines += [
        f"intr {intr} 0 9 0 0 0 0 0 0 0 {intr // 3} 0 0 {intr // 5}",
        f"ctxt {ctxt}",
        f"btime {BOOT_TIME}",
        f"processes {last_pid + 50_000 + 3 * tick}",
        f"procs_running {running}",
        f"procs_blocked {blocked}",
        f"softirq {intr // 2} 10 {intr // 4} 3 100 0 0 {intr // 8} 0 0 {intr // 10}",
    ]
    _write(proc / "stat", "\n".join(lines) + "\n")
    wave = (tick * 37 + seed) % 50
    _write(
        proc / "loadavg",
        f"{0.40 + wave / 100:.2f} {0.35 + wave / 200:.2f} {0.30 + wave / 400:.2f} "
        f"{running}/{threads} {last_pid}\n",
    )
    idle = sum(t[3] for t in per_cpu) / USER_HZ
    _write(proc / "uptime", f"{seconds}.00 {idle:.2f}\n")
    free_kb = MEM_TOTAL_KB // 2 + (tick % 5) * 1024
    cached_kb = 3 * 1024 * 1024
    meminfo = {
        "MemTotal": MEM_TOTAL_KB,
        "MemFree": free_kb,
        "MemAvailable": free_kb + cached_kb + 200_000,
        "Buffers": 180_000,
        "Cached": cached_kb,
        "SwapCached": 1024,
        "Active": 4_000_000,
        "Inactive": 2_500_000,
        "Shmem": 300_000,
        "SReclaimable": 250_000,
        "SUnreclaim": 90_000,
        "KernelStack": 12_000,
        "PageTables": 40_000,
        "SwapTotal": 4 * 1024 * 1024,
        "SwapFree": 4 * 1024 * 1024 - 51_200,
        "Dirty": 120 + tick,
        "Writeback": 0,
        "AnonPages": 3_900_000,
        "Mapped": 700_000,
        "Committed_AS": 9_000_000,
        "VmallocTotal": 34359738367,
    }
    text = "".join(f"{k + ':':<16}{v:>8} kB\n" for k, v in meminfo.items())
    text += "HugePages_Total:       0\nHugePages_Free:        0\nHugepagesize:       2048 kB\n"
    _write(proc / "meminfo", text)
    pressure = proc / "pressure"
    pressure.mkdir(exist_ok=True)
    for i, name in enumerate(("cpu", "io", "memory")):
        some = 5_000_000 * (i + 1) + 12_345 * tick * (3 - i)
        full = some // 4 if name != "cpu" else 0
        avg = (wave + 10 * i) / 10
        _write(
            pressure / name,
            f"some avg10={avg:.2f} avg60={avg / 2:.2f} avg300={avg / 4:.2f} total={some}\n"
            f"full avg10={avg / 5 if full else 0:.2f} avg60=0.00 avg300=0.00 total={full}\n",
        )
    kernel = proc / "sys" / "kernel"
    kernel.mkdir(parents=True, exist_ok=True)
    _write(kernel / "hostname", HOSTNAME + "\n")
    cpu_list = format_cpu_list(range(cpus)) + "\n"
    for name in ("present", "online", "possible"):
        _write(sys_cpu / name, cpu_list)


#: The TIDs of the fake threads: ``TID_BASE + 64 * pid + k`` for the k-th thread after the main one, clear
#: of every fake PID.
TID_BASE = 4_000_000


def thread_of(p: FakeProcess, k: int, cpus: int) -> FakeProcess:
    """Thread ``k`` of ``p`` (0 is the main thread, ``p`` itself): its own name, start time, CPU use and,
    for the first two after the main one, its own affinity and nice."""
    if k == 0:
        return p
    return replace(
        p,
        pid=TID_BASE + 64 * p.pid + k,
        comm=f"{p.comm[:11]}-w{k}",
        start_time=p.start_time + k,
        utime_rate=p.utime_rate if k == 1 else 0,
        stime_rate=0,
        nice=p.nice + 1 if k == 2 else p.nice,
        affinity=(k % cpus,) if k <= 2 else p.affinity,
        vcsw_rate=k % 4,
    )


def _write_tasks(task: Path, p: FakeProcess, tick: int, cpus: int) -> None:
    """``/proc/PID/task/TID/{stat,status}`` of each of ``p``'s threads (at most 8 written)."""
    task.mkdir(exist_ok=True)
    for k in range(min(p.threads, 8)):
        t = thread_of(p, k, cpus)
        d = task / str(t.pid)
        d.mkdir(exist_ok=True)
        _write(d / "stat", _stat_line(t, tick, cpus))
        _write(d / "status", _status_text(t, tick, cpus))


class SteppingClock:
    """A monotonic clock for a ``Sampler`` over a tree: it moves one second per reading."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def make_tree(
    root: Path,
    *,
    cpus: int = 4,
    processes: int = 12,
    tick: int = 0,
    seed: int = 0,
    stat_only_pids: Collection[int] = (),
    extra: Iterable[FakeProcess] = (),
    tasks: bool = False,
) -> FS:
    """Write a fake procfs under ``root/proc`` and sysfs under ``root/sys``; return the FS for them.

    ``processes`` is the number of process directories before ``extra`` (which replaces a process of the
    same PID or adds one). ``stat_only_pids`` get a directory with only ``stat`` (as a racing read or a
    restricted mount leaves). Process directories of an earlier call that are not in this one are removed,
    so the tree always holds exactly what the arguments say. ``tasks``: write ``task/TID/{stat,status}`` of
    every multi-threaded process too (see :func:`thread_of`), for the thread view.
    """
    if cpus < 1 or processes < 0 or tick < 0:
        raise ValueError(f"bad tree size: cpus={cpus} processes={processes} tick={tick}")
    procs = processes_for(cpus, processes, seed, extra)
    pids = {p.pid for p in procs}
    unknown = set(stat_only_pids) - pids
    if unknown:
        raise ValueError(f"stat_only_pids {sorted(unknown)} are not in the tree")
    proc = Path(root) / "proc"
    sys_cpu = Path(root) / "sys" / "devices" / "system" / "cpu"
    proc.mkdir(parents=True, exist_ok=True)
    sys_cpu.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(proc):
        if entry.name.isdigit() and int(entry.name) not in pids:
            shutil.rmtree(entry.path)
    chown = os.geteuid() == 0
    for p in procs:
        _write_process(proc, p, tick, cpus, p.pid in stat_only_pids, chown, tasks)
    _write_system(proc, sys_cpu, procs, cpus, tick, seed)
    return FS(procfs=proc, sysfs=Path(root) / "sys")


#: The node counters of ``/sys/devices/system/node/nodeN/numastat``, in the kernel's order.
_NUMASTAT_KEYS = ("numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node")


def write_numa(root: Path, *, nodes: int, cpus: int, tick: int) -> None:
    """Write ``nodes`` NUMA nodes under ``root/sys/devices/system/node``, the CPUs split evenly.

    Every counter grows with ``tick`` by a per-node amount, so two ticks give real rates. Zero nodes
    writes nothing (a machine without NUMA).
    """
    if nodes <= 0:
        return
    base = root / "sys" / "devices" / "system" / "node"
    base.mkdir(parents=True, exist_ok=True)
    every = format_cpu_list(range(nodes)) + "\n"
    for name in ("online", "possible", "has_cpu", "has_memory", "has_normal_memory"):
        _write(base / name, every)
    per_node = max(1, cpus // nodes)
    for node in range(nodes):
        d = base / f"node{node}"
        d.mkdir(exist_ok=True)
        first = node * per_node
        _write(d / "cpulist", format_cpu_list(range(first, min(cpus, first + per_node))) + "\n")
        distance = " ".join(str(10 if node == o else 16 + 4 * abs(node - o)) for o in range(nodes))
        _write(d / "distance", distance + "\n")
        total_kb = 64 * 1024 * 1024
        free_kb = 8 * 1024 * 1024 + 1024 * ((tick + node) % 7)
        meminfo = [
            ("MemTotal", total_kb),
            ("MemFree", free_kb),
            ("MemUsed", total_kb - free_kb),
            ("Active", 20 * 1024 * 1024),
            ("Inactive", 10 * 1024 * 1024),
            ("FilePages", 12 * 1024 * 1024),
            ("AnonPages", 30 * 1024 * 1024),
            ("Shmem", 1024),
        ]
        text = "".join(f"Node {node} {k + ':':<16}{v:>10} kB\n" for k, v in meminfo)
        text += "".join(f"Node {node} {k + ':':<16}{0:>7}\n" for k in ("HugePages_Total", "HugePages_Free"))
        _write(d / "meminfo", text)
        hit = 10_000_000 * (node + 1) + tick * (50_000 + node)
        miss = 1_000 * node + tick * 17 * node
        other = 2_000 * node + tick * 11 * node
        values = (hit, miss, 500 * node + tick * node, 1_000 + tick, hit + miss - other, other)
        numastat = "".join(f"{k} {v}\n" for k, v in zip(_NUMASTAT_KEYS, values, strict=True))
        _write(d / "numastat", numastat)
    sysctl = root / "proc" / "sys" / "kernel"
    sysctl.mkdir(parents=True, exist_ok=True)
    _write(sysctl / "numa_balancing", "1\n")


def write_disks(root: Path, *, disks: int, tick: int) -> None:
    """Write ``root/proc/diskstats`` (20-field lines, one whole disk and one partition each) and
    ``root/sys/block/NAME/{queue/scheduler,stat}`` for ``disks`` NVMe disks; counters grow with ``tick``."""
    lines = []
    block = root / "sys" / "block"
    for i in range(disks):
        name = f"nvme{i}n1"
        reads = 1_000_000 + i * 1_000 + tick * (100 + i)
        writes = 2_000_000 + i * 2_000 + tick * (200 + i)
        fields = (
            reads, 10 * i, reads * 8, reads // 2,  # reads, merged, sectors, ms
            writes, 20 * i, writes * 16, writes // 3,  # writes, merged, sectors, ms
            i % 3, 1_000_000 + tick * 600, writes // 3 + reads // 2,  # in flight, io ms, weighted ms
            0, 0, 0, 0,  # discards
            10_000 + tick, 5_000 + tick,  # flushes, flush ms
        )  # fmt: skip
        stat = " ".join(map(str, fields))
        lines.append(f"{259:>4} {2 * i:>7} {name} {stat}")
        lines.append(f"{259:>4} {2 * i + 1:>7} {name}p1 {stat}")
        partition = root / "sys" / "class" / "block" / f"{name}p1"
        partition.mkdir(parents=True, exist_ok=True)
        _write(partition / "partition", "1\n")
        queue = block / name / "queue"
        queue.mkdir(parents=True, exist_ok=True)
        _write(queue / "scheduler", "[none] mq-deadline kyber\n")
        _write(block / name / "stat", stat + "\n")
    proc = root / "proc"
    proc.mkdir(parents=True, exist_ok=True)
    _write(proc / "diskstats", "\n".join(lines) + "\n" if lines else "")


def write_net(root: Path, *, tick: int) -> None:
    """Write ``root/proc/net/{dev,sockstat,sockstat6,snmp,tcp,tcp6,udp,udp6}`` for a small server:
    ``lo`` and ``eth0`` whose counters grow with ``tick``, a listener on :22 and :8080, and a few
    connections in several TCP states."""
    net = root / "proc" / "net"
    net.mkdir(parents=True, exist_ok=True)
    header = (
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|"
        "bytes    packets errs drop fifo colls carrier compressed\n"
    )
    rows = []
    for name, rx, tx in (("lo", 2_000, 2_000), ("eth0", 1_250_000, 310_000)):
        rx_bytes, tx_bytes = 10_000_000 + tick * rx, 5_000_000 + tick * tx
        rx_pk, tx_pk = rx_bytes // 900, tx_bytes // 600
        rows.append(f"{name:>6}: {rx_bytes} {rx_pk} 0 {tick // 3} 0 0 0 0 {tx_bytes} {tx_pk} 0 0 0 0 0 0")
    _write(net / "dev", header + "\n".join(rows) + "\n")
    _write(
        net / "sockstat",
        "sockets: used 180\nTCP: inuse 6 orphan 0 tw 2 alloc 9 mem 12\nUDP: inuse 2 mem 1\n"
        "UDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n",
    )
    _write(
        net / "sockstat6",
        "TCP6: inuse 1\nUDP6: inuse 1\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n",
    )
    tcp_keys = (
        "RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab "
        "InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors"
    )
    tcp_values = f"1 200 120000 -1 {1000 + tick} {5000 + 3 * tick} 12 40 4 {900000 + 800 * tick} "
    tcp_values += f"{850000 + 700 * tick} {1200 + tick // 2} 0 {300 + tick} 0"
    udp_keys = "InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti"
    udp_values = f"{40000 + 20 * tick} 12 0 {39000 + 20 * tick} 0 0 0 0"
    _write(net / "snmp", f"Tcp: {tcp_keys}\nTcp: {tcp_values}\nUdp: {udp_keys}\nUdp: {udp_values}\n")
    head = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    )
    # (local, remote, state, uid, inode); addresses are the kernel's little-endian hex.
    sockets = (
        ("00000000:0016", "00000000:0000", "0A", 0, 1001),  # 0.0.0.0:22 LISTEN
        ("0100007F:1F90", "00000000:0000", "0A", 65534, 1002),  # 127.0.0.1:8080 LISTEN
        ("0A00000A:0016", "0A00000B:C350", "01", 0, 1003),  # 10.0.0.10:22 <- 10.0.0.11:50000
        ("0100007F:1F90", "0100007F:D431", "01", 65534, 1004),
        ("0100007F:D431", "0100007F:1F90", "01", 0, 1005),
        ("0A00000A:E0F2", "0A000001:01BB", "06", 0, 0),  # TIME_WAIT
        ("0A00000A:E0F4", "0A000001:01BB", "08", 0, 1006),  # CLOSE_WAIT
    )
    lines = [
        f"{i:>4}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000 {uid:>5} 0 {inode} 1"
        for i, (local, remote, state, uid, inode) in enumerate(sockets)
    ]
    _write(net / "tcp", head + "\n".join(lines) + "\n")
    _write(
        net / "tcp6",
        head + "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0 0 1007 1\n",
    )
    udp = "   0: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0 0 1008 2\n"
    _write(net / "udp", head + udp)
    _write(net / "udp6", head)


#: The demo machine's sysctls (file under /proc/sys -> text); ``kernel/sched_autogroup_enabled`` is left
#: out, as on a kernel built without it, so that the tunables pane shows one absent.
SYSCTLS: dict[str, str] = {
    "vm/swappiness": "60",
    "vm/overcommit_memory": "0",
    "vm/overcommit_ratio": "50",
    "vm/vfs_cache_pressure": "100",
    "vm/dirty_ratio": "20",
    "vm/dirty_background_ratio": "10",
    "vm/dirty_expire_centisecs": "3000",
    "vm/min_free_kbytes": "67584",
    "vm/nr_hugepages": "0",
    "vm/panic_on_oom": "0",
    "vm/zone_reclaim_mode": "0",
    "kernel/sched_rt_runtime_us": "950000",
    "kernel/shmmax": "18446744073692774399",
    "kernel/shmall": "18446744073692774399",
    "kernel/shmmni": "4096",
    "kernel/msgmax": "8192",
    "kernel/msgmnb": "16384",
    "kernel/msgmni": "32000",
    "kernel/sem": "32000\t1024000000\t500\t32000",
    "fs/file-max": "9223372036854775807",
    "net/core/rmem_max": "212992",
    "net/core/wmem_max": "212992",
    "net/core/rmem_default": "212992",
    "net/core/wmem_default": "212992",
    "net/core/netdev_max_backlog": "1000",
    "net/core/somaxconn": "4096",
    "net/ipv4/tcp_rmem": "4096\t131072\t6291456",
    "net/ipv4/tcp_wmem": "4096\t16384\t4194304",
    "net/ipv4/tcp_mem": "188562\t251418\t377124",
    "net/ipv4/tcp_tw_reuse": "2",
    "net/ipv4/tcp_max_tw_buckets": "65536",
    "net/ipv4/tcp_fin_timeout": "60",
    "net/ipv4/tcp_syncookies": "1",
    "net/ipv4/tcp_window_scaling": "1",
    "net/ipv4/ip_local_port_range": "32768\t60999",
}


def write_tunables(root: Path) -> None:
    """The demo machine's tunables: :data:`SYSCTLS`, and ``read_ahead_kb`` and ``nr_requests`` of every
    ``/sys/block/NAME/queue`` already written (:func:`write_disks`); the transparent huge pages settings
    are :func:`write_memory`'s."""
    for name, value in SYSCTLS.items():
        path = root / "proc" / "sys" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, value + "\n")
    block = root / "sys" / "block"
    for queue in sorted(block.glob("*/queue")) if block.is_dir() else ():
        _write(queue / "read_ahead_kb", "128\n")
        _write(queue / "nr_requests", "1023\n")


def write_memory(root: Path, *, tick: int) -> None:
    """Write ``root/proc/vmstat`` (counters growing with ``tick``, in waves, so that the paging histories
    move: reclaim and swapping come in bursts), the THP settings under
    ``root/sys/kernel/mm/transparent_hugepage``, and add the meminfo lines beyond ``free``'s that
    :func:`make_tree` leaves out (call after it, which rewrites meminfo)."""
    proc = root / "proc"
    proc.mkdir(parents=True, exist_ok=True)

    def total(per_tick: int, every: int = 1) -> int:
        # A counter that grows by ``per_tick`` on one tick in ``every`` (a burst), and a little otherwise.
        return sum(per_tick if t % every == 0 else per_tick // 20 for t in range(1, tick + 1))

    counters = {
        "pgpgin": 8_000_000 + total(4_096, 3),
        "pgpgout": 30_000_000 + total(12_000),
        "pswpin": 1_200 + total(40, 7),
        "pswpout": 5_100 + total(160, 7),
        "pgfree": 60_000_000 + total(30_000),
        "pgfault": 59_000_000 + total(75_000),
        "pgmajfault": 14_000 + total(50, 4),
        "pgsteal_kswapd": 900_000 + total(2_000, 5),
        "pgsteal_direct": 1_000 + total(100, 10),
        "pgscan_kswapd": 1_000_000 + total(2_500, 5),
        "pgscan_direct": 1_200 + total(200, 10),
        "pgscan_direct_throttle": 0,
        "allocstall_dma32": 0,
        "allocstall_normal": 3 + total(2, 10),
        "allocstall_movable": 1,
        "oom_kill": 1,
        "compact_stall": 20 + total(1, 10),
        "thp_fault_alloc": 3_000 + total(6),
        "thp_fault_fallback": 40 + total(1, 5),
        "thp_collapse_alloc": 200 + total(1, 3),
        "thp_collapse_alloc_failed": 2,
    }
    _write(proc / "vmstat", "".join(f"{key} {value}\n" for key, value in counters.items()))
    with (proc / "meminfo").open("a") as meminfo:
        for key, value in (("CommitLimit", 12_582_912), ("AnonHugePages", 409_600), ("Hugetlb", 0)):
            meminfo.write(f"{key + ':':<16}{value:>8} kB\n")
        meminfo.write("HugePages_Rsvd:        0\nHugePages_Surp:        0\n")
    thp = root / "sys" / "kernel" / "mm" / "transparent_hugepage"
    thp.mkdir(parents=True, exist_ok=True)
    _write(thp / "enabled", "always [madvise] never\n")
    _write(thp / "defrag", "always defer defer+madvise [madvise] never\n")


#: The architecture rows of an x86 ``/proc/interrupts`` after the numbered IRQs, with their descriptions
#: (``ERR`` and ``MIS`` have one count for the machine and none).
_ARCH_ROWS: tuple[tuple[str, str | None], ...] = (
    ("NMI", "Non-maskable interrupts"),
    ("LOC", "Local timer interrupts"),
    ("SPU", "Spurious interrupts"),
    ("PMI", "Performance monitoring interrupts"),
    ("IWI", "IRQ work interrupts"),
    ("RTR", "APIC ICR read retries"),
    ("RES", "Rescheduling interrupts"),
    ("CAL", "Function call interrupts"),
    ("TLB", "TLB shootdowns"),
    ("TRM", "Thermal event interrupts"),
    ("THR", "Threshold APIC interrupts"),
    ("DFR", "Deferred Error APIC interrupts"),
    ("MCE", "Machine check exceptions"),
    ("MCP", "Machine check polls"),
    ("ERR", None),
    ("MIS", None),
    ("PIN", "Posted-interrupt notification event"),
    ("NPI", "Nested posted-interrupt event"),
    ("PIW", "Posted-interrupt wakeup event"),
)

#: The softirq types of ``/proc/softirqs``, in the kernel's order.
SOFTIRQ_NAMES = ("HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU")


@dataclass(frozen=True, slots=True)
class FakeIrq:
    """One numbered IRQ of the fake machine: its number, chip, hardware IRQ and trigger, handler name,
    the CPUs it may go to, the one it goes to, and interrupts per second there (0: idle)."""

    irq: int
    chip: str
    hwirq: str
    name: str
    affinity: tuple[int, ...]
    target: int
    per_s: int


def fake_irqs(cpus: int, queues: int | None = None) -> list[FakeIrq]:
    """The numbered IRQs of a machine with ``cpus`` CPUs: legacy IO-APIC ones, then an NVMe drive and a
    NIC with ``queues`` queues each (default: one per CPU, as their drivers make them), each queue on its
    own CPU, and a few idle MSI ones."""
    every = tuple(range(cpus))
    queues = cpus if queues is None else queues
    irqs = [
        FakeIrq(0, "IO-APIC", "2-edge", "timer", every, 0, 0),
        FakeIrq(1, "IO-APIC", "1-edge", "i8042", every, min(1, cpus - 1), 3),
        FakeIrq(8, "IO-APIC", "8-edge", "rtc0", every, 0, 0),
        FakeIrq(9, "IO-APIC", "9-fasteoi", "acpi", every, 0, 1),
        FakeIrq(12, "IO-APIC", "12-edge", "i8042", every, 0, 0),
        FakeIrq(16, "IO-APIC", "16-fasteoi", "ehci_hcd:usb1", every, cpus - 1, 7),
    ]
    number = 24
    for q in range(queues):
        cpu = q % cpus
        irqs.append(
            FakeIrq(
                number, "PCI-MSIX-0000:01:00.0", f"{q}-edge", f"nvme0q{q}", (cpu,), cpu, 40 + 400 * (q % 3)
            )
        )
        number += 1
    for q in range(queues):
        cpu = q % cpus
        rate = 2500 if q == 0 else 90 * (q % 5)
        irqs.append(FakeIrq(number, "PCI-MSIX-0000:02:00.0", f"{q}-edge", f"eth0-TxRx-{q}", every, cpu, rate))
        number += 1
    for name in ("virtio0-config", "xhci_hcd", "ahci[0000:00:1f.2]"):
        irqs.append(FakeIrq(number, "PCI-MSI", f"{number * 512}-edge", name, every, 0, 0))
        number += 1
    return irqs


def _irq_count(irq: int, cpu: int, target: int, per_s: int, tick: int) -> int:
    base = _mix(irq, cpu) % 5000 if cpu == target else _mix(irq, cpu) % 3
    return base + (per_s * (BOOT_SECONDS + tick) if cpu == target else 0)


def interrupts_text(cpus: int, tick: int, queues: int | None = None) -> str:
    """``/proc/interrupts`` of the fake machine at ``tick``, laid out as the kernel writes it (x86)."""
    lines = ["    " + "".join(f"       {'CPU' + str(c):<4}" for c in range(cpus))]
    for f in fake_irqs(cpus, queues):
        counts = "".join(f" {_irq_count(f.irq, c, f.target, f.per_s, tick):10d}" for c in range(cpus))
        lines.append(f"{f.irq:3d}:{counts}  {f.chip:>8} {f.hwirq:>8}      {f.name}")
    for label, description in _ARCH_ROWS:
        if description is None:
            lines.append(f"{label}: {0:10d}")
            continue
        per_s = {"LOC": 250, "RES": 30, "CAL": 12, "TLB": 2, "MCP": 0}.get(label, 0)
        seed = len(label) + ord(label[0])
        counts = "".join(
            f" {_irq_count(seed, c, c, per_s + c % 7 if per_s else 0, tick):10d}" for c in range(cpus)
        )
        lines.append(f"{label}:{counts}   {description}")
    return "\n".join(lines) + "\n"


def softirqs_text(cpus: int, tick: int) -> str:
    """``/proc/softirqs`` of the fake machine at ``tick``."""
    lines = ["                    " + "".join(f"{'CPU' + str(c):<11}" for c in range(cpus))]
    for i, name in enumerate(SOFTIRQ_NAMES):
        per_s = (0, 250, 3, 120, 40, 0, 1, 60, 0, 90)[i]
        counts = "".join(f" {_irq_count(i, c, c, per_s * (1 + c % 3), tick):10d}" for c in range(cpus))
        lines.append(f"{name:>12}:{counts}")
    return "\n".join(lines) + "\n"


def write_interrupts(root: Path, *, cpus: int, tick: int, queues: int | None = None) -> None:
    """``proc/interrupts``, ``proc/softirqs`` and each numbered IRQ's ``proc/irq/N`` affinity files."""
    proc = Path(root) / "proc"
    _write(proc / "interrupts", interrupts_text(cpus, tick, queues))
    _write(proc / "softirqs", softirqs_text(cpus, tick))
    for f in fake_irqs(cpus, queues):
        irq = proc / "irq" / str(f.irq)
        irq.mkdir(parents=True, exist_ok=True)
        _write(irq / "smp_affinity_list", format_cpu_list(f.affinity) + "\n")
        _write(irq / "effective_affinity_list", f"{f.target}\n")


def write_devices(root: Path, *, cpus: int, tick: int, numa_nodes: int = 2, disks: int = 3) -> None:
    """NUMA nodes, disks, network and memory files and tunables for the demo machine (see
    :func:`make_tree`)."""
    write_numa(root, nodes=numa_nodes, cpus=cpus, tick=tick)
    write_disks(root, disks=disks, tick=tick)
    write_net(root, tick=tick)
    write_memory(root, tick=tick)
    write_tunables(root)


#: Container ID of the demo's Docker container (the java process runs in it).
DEMO_CONTAINER_ID = "3f2a9c41d5e8b7a6" + "0" * 48
#: Cgroup (v2) of some demo processes; the others are in a login session, kernel threads in the root.
_GROUPS = {
    1: "/init.scope",
    640: "/system.slice/ssh.service",
    1290: f"/system.slice/docker-{DEMO_CONTAINER_ID}.scope",
    2100: "/rt.slice",
}
_SESSION = "/user.slice/user-1000.slice/session-3.scope"


def _group_of(p: FakeProcess) -> str:
    return "/" if p.kernel else _GROUPS.get(p.pid, _SESSION)


def _group_files(group: str, tick: int, cpus: int) -> dict[str, str]:
    """The cgroup v2 files of ``group``: the container has a quota of 1.5 CPU that throttles it; the RT
    slice a cpuset of the last two CPUs."""
    busy = group.startswith("/system.slice/docker-")
    periods = 10 * (BOOT_SECONDS + tick) if busy else 0
    throttled = periods // 5
    cpuset = (
        format_cpu_list(range(max(0, cpus - 2), cpus))
        if group == "/rt.slice"
        else format_cpu_list(range(cpus))
    )
    files = {
        "cgroup.procs": "",
        "cpu.max": "150000 100000\n" if busy else "max 100000\n",
        "cpu.weight": "200\n" if busy else "100\n",
        "cpuset.cpus.effective": cpuset + "\n",
        "cpuset.mems.effective": "0\n",
        "memory.max": f"{2 << 30}\n" if busy else "max\n",
        "memory.high": "max\n",
        "memory.current": f"{(900 << 20) + (tick % 7) * 4096}\n" if busy else f"{(60 << 20)}\n",
        "cpu.stat": (
            f"usage_usec {1_000_000 * (BOOT_SECONDS + tick)}\nuser_usec 0\nsystem_usec 0\n"
            f"nr_periods {periods}\nnr_throttled {throttled}\nthrottled_usec {throttled * 20_000}\n"
        ),
    }
    for i, kind in enumerate(("cpu", "memory", "io")):
        avg = (12.5 if busy else 0.25) / (i + 1)
        total = int(avg * 10_000) * (BOOT_SECONDS + tick)
        files[f"{kind}.pressure"] = (
            f"some avg10={avg:.2f} avg60={avg:.2f} avg300={avg:.2f} total={total}\n"
            f"full avg10={avg / 2:.2f} avg60=0.00 avg300=0.00 total={total // 2}\n"
        )
    return files


def _sched_text(p: FakeProcess, tick: int) -> str:
    age = BOOT_SECONDS + tick - p.start_time // USER_HZ
    switches = (p.vcsw_rate + p.nvcsw_rate) * age
    runtime_ms = (p.utime_rate + p.stime_rate) * age * 10.0
    rows = [
        ("se.exec_start", f"{age * 1000.0:.6f}"),
        ("se.sum_exec_runtime", f"{runtime_ms:.6f}"),
        ("se.nr_migrations", str(age // 100 if p.utime_rate else 0)),
        ("nr_switches", str(switches)),
        ("nr_voluntary_switches", str(p.vcsw_rate * age)),
        ("nr_involuntary_switches", str(p.nvcsw_rate * age)),
        ("policy", str(p.policy)),
        ("prio", str(120 + p.nice)),
    ]
    head = f"{p.comm} ({p.pid}, #threads: {p.threads})\n" + "-" * 67 + "\n"
    return head + "".join(f"{k:<45}:{v:>21}\n" for k, v in rows)


_LIMITS = (
    ("Max cpu time", "unlimited", "unlimited", "seconds"),
    ("Max open files", "1024", "524288", "files"),
    ("Max locked memory", "8388608", "8388608", "bytes"),
    ("Max nice priority", "0", "0", ""),
    ("Max realtime priority", "0", "0", ""),
    ("Max realtime timeout", "unlimited", "unlimited", "us"),
)


def write_details(
    root: Path, *, cpus: int, processes: int, tick: int, extra: Iterable[FakeProcess] = ()
) -> None:
    """The files the process detail screen reads, for the demo machine (see :func:`make_tree`, which
    writes the rest): per process ``schedstat``, ``sched``, ``limits``, ``oom_score``, ``oom_score_adj``,
    ``cgroup``, ``environ`` and a few descriptors in ``fd``; ``proc/self/mountinfo`` naming a cgroup v2
    mount at ``/sys/fs/cgroup``, and the groups' files under ``root/sys/fs/cgroup``."""
    proc, cgroup_root = Path(root) / "proc", Path(root) / "sys" / "fs" / "cgroup"
    own = proc / "self"
    if own.is_symlink():
        own.unlink()  # a tree copied from a machine
    own.mkdir(parents=True, exist_ok=True)
    _write(
        own / "mountinfo",
        "31 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n",
    )
    groups: set[str] = set()
    for p in processes_for(cpus, processes, 0, extra):
        d = proc / str(p.pid)
        if not (d / "status").exists():
            continue  # a stat-only directory
        age = BOOT_SECONDS + tick - p.start_time // USER_HZ
        ticks = (p.utime_rate + p.stime_rate) * age
        # Waits that vary from second to second, so the run-delay history has a shape.
        wobble = sum((k * 37 + p.pid) % 7 for k in range(tick + 1)) * 15_000_000 if ticks else 0
        delay_ns = ticks * 10_000_000 // 8 + (p.nvcsw_rate * age * 50_000) + wobble
        _write(d / "schedstat", f"{ticks * 10_000_000} {delay_ns} {(p.vcsw_rate + p.nvcsw_rate) * age}\n")
        _write(d / "sched", _sched_text(p, tick))
        _write(d / "limits", "".join(f"{n:<26}{s:<21}{h:<21}{u:<10}\n" for n, s, h, u in _LIMITS))
        _write(d / "oom_score", f"{(p.rss_pages * 1000) // (MEM_TOTAL_KB // PAGE_KB) + 666}\n")
        _write(d / "oom_score_adj", "-900\n" if p.pid == 1290 else "0\n")
        group = _group_of(p)
        groups.add(group)
        _write(d / "cgroup", f"0::{group}\n")
        environ = b"" if p.kernel else b"PATH=/usr/bin:/bin\0LANG=C.UTF-8\0HOME=/root\0"
        _write(d / "environ", environ)
        fd = d / "fd"
        if not p.kernel and not fd.exists():
            fd.mkdir()
            for number, target in enumerate(("/dev/null", "/dev/pts/0", "/dev/pts/0", "socket:[1001]")):
                os.symlink(target, fd / str(number))
        if not p.kernel:
            # Position and open flags of each descriptor (the l key): stdin read-only, the terminal
            # read-write, the socket non-blocking and close-on-exec; the socket listens on 8080.
            (d / "fdinfo").mkdir(exist_ok=True)
            (d / "net").mkdir(exist_ok=True)
            for number, flags in enumerate(("0100000", "0100002", "0100002", "02004002")):
                _write(d / "fdinfo" / str(number), f"pos:\t0\nflags:\t{flags}\nmnt_id:\t25\n")
            _write(
                d / "net" / "tcp",
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                "inode\n   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
                "        0 1001\n",
            )
    for group in groups:
        directory = cgroup_root / group.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in _group_files(group, tick, cpus).items():
            _write(directory / name, text)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m testbed.fixture_tree ROOT [--cpus N] [--processes N] [--tick T] ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m testbed.fixture_tree", description=__doc__.split("\n")[0]
    )
    parser.add_argument("root", type=Path, help="directory to write proc/ and sys/ into")
    parser.add_argument("--cpus", type=int, default=4)
    parser.add_argument("--processes", type=int, default=12, help="number of process directories")
    parser.add_argument("--tick", type=int, default=0, help="seconds since the tree's tick 0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--stat-only",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="give PID a directory holding only stat (repeatable)",
    )
    args = parser.parse_args(argv)
    fs = make_tree(
        args.root,
        cpus=args.cpus,
        processes=args.processes,
        tick=args.tick,
        seed=args.seed,
        stat_only_pids=args.stat_only,
    )
    print(f"wrote {fs.procfs} and {fs.sysfs}")


if __name__ == "__main__":
    main()

"""The kernel's tunables: the catalogue of the settings perftop shows (and may change), and their values.

A :class:`Tunable` says where a setting lives (a file under ``/proc/sys`` or ``/sys``), what it means in one
line, and what it takes: one whole number in a range (``int``), a fixed count of numbers each in its range
(``ints``: ``tcp_rmem``'s min, default and max), or one of the words the file itself offers (``choice``:
``queue/scheduler``'s ``none [mq-deadline] kyber``). :mod:`perftop.probes.tunable_files` reads their
values (:class:`TunableValue`); a setting this kernel lacks (no file) is *absent*, not an error. The block
device settings are per whole device (``/sys/block/NAME/queue/...``), never per partition.

Plain Python, no IO: the tunables pane shows these types, the tuning module checks values against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from perftop.probes.kernel_numbers import is_decimal

#: What a tunable takes: one number, a fixed count of numbers, or one of the words its file offers.
TunableKind = Literal["int", "ints", "choice"]

#: The groups the pane shows the tunables in, in its order.
GROUPS: Final = ("memory", "kernel", "network", "thp", "block")

#: How the pane titles each group.
GROUP_TITLES: Final = {
    "memory": "Memory (vm)",
    "kernel": "Kernel, scheduler and IPC",
    "network": "Network (net.core, net.ipv4)",
    "thp": "Transparent huge pages",
    "block": "Block devices",
}

INT_MAX: Final = (1 << 31) - 1
LONG_MAX: Final = (1 << 63) - 1
ULONG_MAX: Final = (1 << 64) - 1
#: The most IPC identifiers the kernel allows (``IPCMNI``, with ``ipcmni_extend`` on the command line).
IPCMNI_MAX: Final = 1 << 24


@dataclass(frozen=True, slots=True)
class Tunable:
    """One setting: ``key`` as people name it (the sysctl name, ``transparent_hugepage/enabled``, ``vda
    queue/scheduler``), its ``group``, the ``root`` its file is under (``proc`` or ``sys``) and its
    ``parts`` there, its one-line ``meaning``, its ``kind``, and for numbers ``bounds`` (one ``(low,
    high)`` per number), ``names`` (what each number of an ``ints`` is), ``ascending`` (each number at
    least the one before) and ``values`` (what particular values mean: ``0 heuristic, 1 always, 2 never``).
    """

    key: str
    group: str
    root: Literal["proc", "sys"]
    parts: tuple[str, ...]
    meaning: str
    kind: TunableKind = "int"
    bounds: tuple[tuple[int, int], ...] = ((0, INT_MAX),)
    names: str = ""
    ascending: bool = False
    values: str = ""

    @property
    def count(self) -> int:
        """How many numbers the value holds (1 for ``int``, 0 for ``choice``)."""
        return 0 if self.kind == "choice" else len(self.bounds)

    def range_text(self, choices: tuple[str, ...] | None = None) -> str:
        """The valid range or choices in a few words: ``0..200``, ``>= 0``, ``min default max, each >= 1``,
        ``none | mq-deadline | kyber`` (``choices``: those the file offers)."""
        if self.kind == "choice":
            return " | ".join(choices) if choices else "the choices the file offers"
        each = [_bounds_text(*b) for b in self.bounds]
        if self.kind == "int":
            return each[0]
        names = self.names or f"{self.count} numbers"
        text = f"{names}, each {each[0]}" if len(set(each)) == 1 else f"{names}: " + ", ".join(each)
        return text + (", ascending" if self.ascending else "")

    @property
    def explained(self) -> str:
        """The meaning, with what particular values mean when the tunable says."""
        return f"{self.meaning} ({self.values})" if self.values else self.meaning


def _bounds_text(low: int, high: int) -> str:
    if high >= INT_MAX:
        return f">= {low}"
    return f"{low}..{high}"


def _sysctl(
    group: str,
    key: str,
    meaning: str,
    *,
    kind: TunableKind = "int",
    bounds: tuple[tuple[int, int], ...] = ((0, INT_MAX),),
    names: str = "",
    ascending: bool = False,
    values: str = "",
) -> Tunable:
    # A sysctl's file is its key with the dots made slashes, under /proc/sys.
    parts = ("sys", *key.split("."))
    return Tunable(key, group, "proc", parts, meaning, kind, bounds, names, ascending, values)


_ALL_U64 = ((0, ULONG_MAX),)
_NON_NEGATIVE = ((0, INT_MAX),)

#: The machine-wide tunables, in the pane's order (the ranges are those the kernel's handlers accept).
CATALOGUE: Final[tuple[Tunable, ...]] = (
    _sysctl(
        "memory",
        "vm.swappiness",
        "how readily memory is reclaimed by swapping anonymous pages vs dropping cache",
        bounds=((0, 200),),
    ),
    _sysctl(
        "memory",
        "vm.overcommit_memory",
        "how memory allocations may exceed RAM + swap",
        bounds=((0, 2),),
        values="0 heuristic, 1 always, 2 never (strict)",
    ),
    _sysctl(
        "memory", "vm.overcommit_ratio", "with overcommit_memory 2: % of RAM counted in the commit limit"
    ),
    _sysctl("memory", "vm.vfs_cache_pressure", "reclaim of dentry/inode caches vs page cache (100: fair)"),
    _sysctl(
        "memory",
        "vm.dirty_ratio",
        "% of available memory dirty before writers must write back themselves",
        bounds=((0, 100),),
    ),
    _sysctl(
        "memory",
        "vm.dirty_background_ratio",
        "% of available memory dirty before background writeback starts",
        bounds=((0, 100),),
    ),
    _sysctl("memory", "vm.dirty_expire_centisecs", "age (1/100 s) at which dirty data is written back"),
    _sysctl("memory", "vm.min_free_kbytes", "kB the kernel keeps free (watermarks for reclaim)"),
    _sysctl(
        "memory",
        "vm.nr_hugepages",
        "persistent huge pages in the pool (default size)",
        bounds=((0, LONG_MAX),),
    ),
    _sysctl(
        "memory",
        "vm.panic_on_oom",
        "panic instead of killing a process when out of memory",
        bounds=((0, 2),),
        values="0 kill, 1 panic unless cpuset/mempolicy, 2 always",
    ),
    _sysctl(
        "memory",
        "vm.zone_reclaim_mode",
        "reclaim on the local NUMA node before allocating on another",
        bounds=((0, 7),),
        values="bits 1 reclaim, 2 write dirty, 4 swap",
    ),
    _sysctl(
        "kernel",
        "kernel.numa_balancing",
        "automatic NUMA balancing (moves tasks and pages to their node)",
        bounds=((0, 3),),
        values="0 off, 1 on, 2 memory tiering, 3 both",
    ),
    _sysctl(
        "kernel",
        "kernel.sched_autogroup_enabled",
        "group tasks by session for CPU fairness (desktop)",
        bounds=((0, 1),),
    ),
    _sysctl(
        "kernel",
        "kernel.sched_rt_runtime_us",
        "µs per sched_rt_period_us real-time tasks may use",
        bounds=((-1, INT_MAX),),
        values="-1 no limit",
    ),
    _sysctl("kernel", "kernel.shmmax", "largest System V shared memory segment, bytes", bounds=_ALL_U64),
    _sysctl("kernel", "kernel.shmall", "System V shared memory in all, pages", bounds=_ALL_U64),
    _sysctl("kernel", "kernel.shmmni", "System V shared memory segments, at most", bounds=((0, IPCMNI_MAX),)),
    _sysctl("kernel", "kernel.msgmax", "largest System V message, bytes"),
    _sysctl("kernel", "kernel.msgmnb", "bytes a System V message queue holds, at most"),
    _sysctl("kernel", "kernel.msgmni", "System V message queues, at most", bounds=((0, IPCMNI_MAX),)),
    _sysctl(
        "kernel",
        "kernel.sem",
        "System V semaphores: per set, in all, per semop, sets",
        kind="ints",
        bounds=_NON_NEGATIVE * 4,
        names="semmsl semmns semopm semmni",
    ),
    _sysctl("kernel", "fs.file-max", "open files the kernel allows in all", bounds=((0, LONG_MAX),)),
    _sysctl("network", "net.core.rmem_max", "largest receive buffer a socket may ask for (SO_RCVBUF), bytes"),
    _sysctl("network", "net.core.wmem_max", "largest send buffer a socket may ask for (SO_SNDBUF), bytes"),
    _sysctl("network", "net.core.rmem_default", "receive buffer of a new socket, bytes"),
    _sysctl("network", "net.core.wmem_default", "send buffer of a new socket, bytes"),
    _sysctl(
        "network",
        "net.core.netdev_max_backlog",
        "packets queued per CPU when the interface is faster than the kernel",
    ),
    _sysctl("network", "net.core.somaxconn", "listen() backlog at most"),
    _sysctl(
        "network",
        "net.ipv4.tcp_rmem",
        "TCP receive buffer: min, default, max (bytes; autotuned between)",
        kind="ints",
        bounds=((1, INT_MAX),) * 3,
        names="min default max",
    ),
    _sysctl(
        "network",
        "net.ipv4.tcp_wmem",
        "TCP send buffer: min, default, max (bytes; autotuned between)",
        kind="ints",
        bounds=((1, INT_MAX),) * 3,
        names="min default max",
    ),
    _sysctl(
        "network",
        "net.ipv4.tcp_mem",
        "TCP memory in all (pages): below, pressure from, at most",
        kind="ints",
        bounds=((0, LONG_MAX),) * 3,
        names="low pressure high",
        ascending=True,
    ),
    _sysctl(
        "network",
        "net.ipv4.tcp_tw_reuse",
        "reuse TIME_WAIT sockets for new outgoing connections",
        bounds=((0, 2),),
        values="0 off, 1 on, 2 loopback only",
    ),
    _sysctl(
        "network", "net.ipv4.tcp_max_tw_buckets", "TIME_WAIT sockets at most (more are destroyed at once)"
    ),
    _sysctl("network", "net.ipv4.tcp_fin_timeout", "seconds an orphaned connection stays in FIN_WAIT2"),
    _sysctl(
        "network",
        "net.ipv4.tcp_syncookies",
        "SYN cookies when the SYN backlog overflows",
        bounds=((0, 2),),
        values="0 off, 1 on overflow, 2 always",
    ),
    _sysctl(
        "network",
        "net.ipv4.tcp_window_scaling",
        "TCP window scaling (RFC 1323; windows above 64 kB)",
        bounds=((0, 1),),
    ),
    _sysctl(
        "network",
        "net.ipv4.ip_local_port_range",
        "ports for outgoing connections: first, last",
        kind="ints",
        bounds=((1, 65535),) * 2,
        names="first last",
        ascending=True,
    ),
    Tunable(
        "transparent_hugepage/enabled",
        "thp",
        "sys",
        ("kernel", "mm", "transparent_hugepage", "enabled"),
        "transparent huge pages: for all, only madvise()d memory, or none",
        kind="choice",
    ),
    Tunable(
        "transparent_hugepage/defrag",
        "thp",
        "sys",
        ("kernel", "mm", "transparent_hugepage", "defrag"),
        "how hard a fault tries to make a huge page (stall, defer to kcompactd, or not)",
        kind="choice",
    ),
)

#: The queue settings of a block device: file, meaning, kind, bounds.
DEVICE_SETTINGS: Final[tuple[tuple[str, str, TunableKind, tuple[tuple[int, int], ...]], ...]] = (
    ("scheduler", "IO scheduler of the device's queue", "choice", ()),
    ("read_ahead_kb", "kB read ahead of sequential reads", "int", ((0, INT_MAX),)),
    ("nr_requests", "requests the queue holds (per hardware queue)", "int", ((4, INT_MAX),)),
)


def device_tunables(device: str) -> tuple[Tunable, ...]:
    """The queue settings of the whole block device ``device`` (its ``/sys/block`` name)."""
    return tuple(
        Tunable(
            f"{device} queue/{name}", "block", "sys", ("block", device, "queue", name), meaning, kind, bounds
        )
        for name, meaning, kind, bounds in DEVICE_SETTINGS
    )


@dataclass(frozen=True, slots=True)
class TunableValue:
    """A tunable as read: the file's ``path``, its ``value`` as a person types it back (``None``: absent
    or unreadable), ``present`` (the file exists) and ``choices`` (those a choice file offers)."""

    tunable: Tunable
    path: str
    value: str | None
    present: bool
    choices: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        """The tunable's key."""
        return self.tunable.key

    def typed(self) -> int | list[int] | str | None:
        """The value as JSON gives it: a number, a list of numbers, or the chosen word; ``None`` when
        absent, unreadable, or not the shape the tunable takes (a garbled file)."""
        if self.value is None:
            return None
        if self.tunable.kind == "choice":
            return self.value if self.choices is None or self.value in self.choices else None
        words = self.value.split()
        if len(words) != self.tunable.count or not all(is_decimal(w.removeprefix("-")) for w in words):
            return None
        numbers = [int(w) for w in words]
        return numbers[0] if self.tunable.kind == "int" else numbers

"""Tuning live processes: nice, scheduling policy, CPU affinity, IO priority, OOM score and signals.

Plain functions, no Textual. Every action takes a :class:`Target` (a PID plus the start time that makes it
one process, not whichever process holds that PID now) and a value, and:

1. validates the value itself, because the kernel silently clamps (nice 30 becomes 19, an affinity naming
   an absent CPU loses it);
2. re-reads the start time and refuses a gone process or a reused PID;
3. applies the change by syscall, to every thread in ``/proc/PID/task`` where the kernel keeps the value
   per thread (nice, policy, affinity, IO priority), or to the main thread only;
4. reads the value back from the kernel and returns a :class:`TuningResult` carrying the equivalent shell
   command.

Every failure raises :class:`TuningError`, whose message says what happened and what would allow it.
Actions work on this machine's own ``/proc`` only; :func:`tuning_allowed` says whether an ``FS`` is it.
The bottom of tui's layers: it imports no other module of tui, and never Textual.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import signal
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Final, TypeVar

import psutil

from perftop.probes.capabilities import CAP_SYS_NICE, read_effective_capabilities
from perftop.probes.cgroup import read_rt_budget
from perftop.probes.cgroup_stats import read_cpuset
from perftop.probes.cpulist import format_cpu_list, parse_cpu_list, parse_cpu_mask
from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import is_decimal
from perftop.probes.limits import read_pid_limits
from perftop.probes.processes import ProcStat, parse_pid_stat, parse_pid_status
from perftop.probes.snapshot import POLICY_NAMES
from perftop.widgets.safe_text import escaped

#: Actions act on the running kernel, whatever root the display reads.
_LIVE: Final = FS()

NICE_MIN: Final = -20
NICE_MAX: Final = 19
OOM_SCORE_ADJ_MIN: Final = -1000
OOM_SCORE_ADJ_MAX: Final = 1000
SCHED_DEADLINE: Final = 6
#: The task flag of threads whose CPUs only the kernel sets (per-CPU kernel threads, kernel workers).
PF_NO_SETAFFINITY: Final = 0x04000000
#: The value shown where a process's threads disagree.
MIXED: Final = "mixed"

#: Policies perftop sets, in the scheduling dialog's order, with chrt's option for each.
CHRT_OPTIONS: Final[dict[int, str]] = {
    os.SCHED_OTHER: "-o",
    os.SCHED_BATCH: "-b",
    os.SCHED_IDLE: "-i",
    os.SCHED_FIFO: "-f",
    os.SCHED_RR: "-r",
}
RT_POLICIES: Final = frozenset({os.SCHED_FIFO, os.SCHED_RR})

#: IO scheduling classes by ``ionice -c`` number.
IO_CLASSES: Final[tuple[str, ...]] = ("none", "realtime", "best-effort", "idle")
#: The classes that take a level 0 (highest) .. 7.
IO_CLASSES_WITH_LEVEL: Final = frozenset({"realtime", "best-effort"})
IO_LEVEL_MAX: Final = 7
_PSUTIL_IO_CLASSES: Final = (
    psutil.IOPRIO_CLASS_NONE,
    psutil.IOPRIO_CLASS_RT,
    psutil.IOPRIO_CLASS_BE,
    psutil.IOPRIO_CLASS_IDLE,
)

#: Signals offered, the most common first.
SIGNALS: Final[tuple[signal.Signals, ...]] = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGKILL,
    signal.SIGSTOP,
    signal.SIGCONT,
    signal.SIGTSTP,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGWINCH,
    signal.SIGABRT,
)

_T = TypeVar("_T")


class TuningError(Exception):
    """An action was refused, by perftop's own validation or by the kernel. ``str()`` is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Target:
    """One process: its PID and ``start_time`` (``/proc/PID/stat`` field 22, clock ticks since boot).

    Or one thread: ``pid`` its TID, ``start_time`` its own (``/proc/PID/task/TID/stat``), ``tgid`` its
    process's PID. An action on a thread applies to that thread alone (``all_threads`` is ignored), and its
    command names the TID; its identity is checked under ``/proc/TGID/task``, so a TID reused by another
    process is refused.
    """

    pid: int
    start_time: int
    tgid: int | None = None

    @property
    def label(self) -> str:
        """``process 1234`` or ``thread 1240 of process 1234``."""
        if self.tgid is None:
            return f"process {self.pid}"
        return f"thread {self.pid} of process {self.tgid}"


@dataclass(frozen=True, slots=True)
class Scheduling:
    """A scheduling policy (``os.SCHED_*``), its RT priority and the reset-on-fork flag."""

    policy: int
    priority: int
    reset_on_fork: bool = False

    def __str__(self) -> str:
        name = POLICY_NAMES.get(self.policy, f"policy {self.policy}")
        text = f"{name} {self.priority}" if self.policy in RT_POLICIES else name
        return text + " reset-on-fork" if self.reset_on_fork else text


@dataclass(frozen=True, slots=True)
class IoPriority:
    """An IO scheduling class (one of :data:`IO_CLASSES`) and its level (``None`` for none and idle)."""

    ioclass: str
    level: int | None = None

    def __str__(self) -> str:
        return self.ioclass if self.level is None else f"{self.ioclass} {self.level}"


#: What an action sets: nice and OOM score are ``int``, affinity a CPU set, a signal its name.
Value = int | str | frozenset[int] | Scheduling | IoPriority
_V = TypeVar("_V", bound=Value)


def format_value(value: Value | None) -> str:
    """A value as the UI and the action log show it (CPU sets in list form, ``-`` for none)."""
    if value is None:
        return "-"
    if isinstance(value, frozenset):
        return format_cpu_list(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class ThreadFailure:
    """A thread the action could not change (the process as a whole was changed)."""

    tid: int
    message: str


@dataclass(frozen=True, slots=True)
class TuningResult:
    """What an action did, as read back from the kernel.

    ``old`` and ``new`` are the main thread's values before and after; ``mixed_before`` and
    ``mixed_after`` say whether the process's threads disagreed then (shown as ``mixed``). ``tids`` are
    the tasks the action was applied to, main thread first, and ``all_threads`` whether it was meant for
    every thread or the main one; ``failed`` those that refused it. ``note`` explains a read-back value
    that differs from the one asked for. ``undo_command`` is the shell command that sets ``old`` again,
    ``None`` when nothing can (a signal, an unknown old value). When the action was for every thread and
    they had different values, ``thread_values`` keeps each one's, ``(tid, old)`` in TID order, and the undo
    gives each thread its own again (:func:`restore_threads`).
    """

    target: Target
    what: str
    old: Value | None
    new: Value | None
    command: str
    tids: tuple[int, ...] = ()
    failed: tuple[ThreadFailure, ...] = ()
    mixed_before: bool = False
    mixed_after: bool = False
    note: str | None = None
    all_threads: bool = True
    undo_command: str | None = None
    thread_values: tuple[tuple[int, Value], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every thread took the change."""
        return not self.failed

    def describe(self) -> str:
        """One line for a notification or the action log."""
        target = self.target
        if self.what == "signal":
            text = f"sent {self.new} to {target.pid}"
            if target.tgid is not None:
                text = f"sent {self.new} to process {target.tgid} (from the row of its thread {target.pid})"
        else:
            old = MIXED if self.mixed_before else format_value(self.old)
            new = format_value(self.new) + (f" ({MIXED} threads)" if self.mixed_after else "")
            who = f"{target.pid}" if target.tgid is None else f"thread {target.pid} only (of {target.tgid})"
            text = f"{self.what} of {who}: {old} -> {new}"
        text += f"  [{self.command}]"
        if self.note:
            text += f"; {self.note}"
        if self.failed:
            text += "; failed on " + ", ".join(f"thread {f.tid}: {f.message}" for f in self.failed)
        return text


# --- values typed into a dialog --------------------------------------------------------------------


#: A whole number as typed: ASCII digits with an optional sign (``int()`` also takes ``1_0`` and other
#: scripts' digits).
_WHOLE_NUMBER: Final = re.compile(r"[+-]?[0-9]+")


def _parse_int(text: str, what: str, lo: int, hi: int) -> int:
    typed = text.strip(" \t")
    if _WHOLE_NUMBER.fullmatch(typed) is None:
        raise TuningError(f"{what} must be a whole number from {lo} to {hi}, not {typed!r}")
    if len(typed) > 20:  # beyond every range here: not converted, nor quoted whole
        raise TuningError(f"{what} {typed[:12]}... is out of range: it must be from {lo} to {hi}")
    return _check_range(int(typed), what, lo, hi)


def _check_range(value: int, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TuningError(f"{what} must be a whole number from {lo} to {hi}, not {value!r}")
    if not lo <= value <= hi:
        raise TuningError(f"{what} {value} is out of range: it must be from {lo} to {hi}")
    return value


def parse_nice(text: str) -> int:
    """A nice value typed by the user, -20..19; raises :class:`TuningError` otherwise."""
    return _parse_int(text, "nice value", NICE_MIN, NICE_MAX)


def parse_oom_score_adj(text: str) -> int:
    """An OOM score adjustment typed by the user, -1000..1000."""
    return _parse_int(text, "OOM score adjustment", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX)


def parse_io_level(text: str, ioclass: str) -> int:
    """An IO priority level typed by the user for ``ioclass`` (realtime or best-effort), 0..7."""
    return _parse_int(text, f"{ioclass} IO level", 0, IO_LEVEL_MAX)


def rt_priority_range(policy: int) -> tuple[int, int]:
    """The priorities ``policy`` accepts, from the kernel (1..99 for FIFO and RR, 0..0 otherwise)."""
    return os.sched_get_priority_min(policy), os.sched_get_priority_max(policy)


def parse_rt_priority(text: str, policy: int) -> int:
    """An RT priority typed by the user, within the range of ``policy``."""
    lo, hi = rt_priority_range(policy)
    return _parse_int(text, f"{POLICY_NAMES.get(policy, 'policy')} priority", lo, hi)


def online_cpus(fs: FS = _LIVE) -> frozenset[int] | None:
    """The online CPUs (``/sys/devices/system/cpu/online``), or ``None`` when unreadable."""
    text = read_text(fs.sys("devices", "system", "cpu", "online"))
    if text is None:
        return None
    try:
        return parse_cpu_list(text)
    except ValueError:
        return None


_LIST_BOUND = re.compile(r"(?:^|,)\s*([0-9]+)(?:\s*-\s*([0-9]+))?")


def parse_cpu_spec(text: str, cpus: Collection[int] | None = None) -> frozenset[int]:
    """A CPU set typed as taskset takes it: a list (``0-2,7``, ``0-7:2``) or a hex mask (``0x5``).

    A mask needs its ``0x`` (``abc`` is a malformed list, not a mask). The set must be non-empty and
    within ``cpus`` (default: the online CPUs). Raises :class:`TuningError` saying what is wrong.
    """
    spec = text.strip()
    hint = "type a list such as 0-2,7 or a hex mask such as 0x5"
    if not spec:
        raise TuningError(f"no CPUs given: {hint}")
    available = online_cpus() if cpus is None else frozenset(cpus)
    if available is None:
        raise TuningError("cannot tell which CPUs are online (/sys/devices/system/cpu/online is unreadable)")
    if spec[:2].lower() == "0x":
        try:
            chosen = parse_cpu_mask(spec)
        except ValueError:
            raise TuningError(f"{spec!r} is not a hex CPU mask: {hint}") from None
    else:
        # Refuse absent CPUs before expanding ranges, so a typo like 0-4000000000 costs nothing.
        top = max(available, default=-1)
        for match in _LIST_BOUND.finditer(spec):
            highest = max(int(n) for n in match.groups() if n is not None)
            if highest > top:
                raise TuningError(_absent_cpus_message(frozenset({highest}), available))
        try:
            chosen = parse_cpu_list(spec)
        except ValueError as exc:
            raise TuningError(f"{spec!r} is not a CPU list ({exc}): {hint}") from None
    if not chosen:
        raise TuningError(f"{spec!r} names no CPU: a process needs at least one; {hint}")
    absent = chosen - available
    if absent:
        raise TuningError(_absent_cpus_message(absent, available))
    return chosen


def _absent_cpus_message(absent: frozenset[int], available: frozenset[int]) -> str:
    word = "CPU" if len(absent) == 1 else "CPUs"
    verb = "is" if len(absent) == 1 else "are"
    return (
        f"{word} {format_cpu_list(absent)} {verb} not online on this machine "
        f"(online: {format_cpu_list(available) or 'none'})"
    )


# --- guards -----------------------------------------------------------------------------------------


def tuning_allowed(fs: FS) -> str | None:
    """``None`` when actions may run on the processes ``fs`` shows, else why perftop is read-only."""
    if fs.is_own_proc():
        return None
    return (
        f"read-only: {fs.procfs} is not this machine's own /proc (a fixture, a container's view or a "
        "recording), so its PIDs are not perftop's to change"
    )


def needs_rt_confirmation(
    policy: int, priority: int, targets_affinity_union: Collection[int], online_cpus: Collection[int]
) -> str | None:
    """Why setting ``policy`` at ``priority`` deserves a confirmation, or ``None`` when it does not.

    A busy SCHED_FIFO/RR task runs until it blocks: at priority 50 or more it also preempts the kernel's
    interrupt threads, and if the targets may run on every online CPU they can take all of them.
    """
    if policy not in RT_POLICIES:
        return None
    reasons: list[str] = []
    if priority >= 50:
        reasons.append(
            f"priority {priority} is at or above the kernel's interrupt threads (50): a busy task "
            "there delays interrupts and can starve its CPU"
        )
    online = frozenset(online_cpus)
    if online and online <= frozenset(targets_affinity_union):
        reasons.append(
            f"the targets may run on every online CPU ({format_cpu_list(online)}): busy real-time "
            "tasks can starve all of them, the shell you would stop them from included"
        )
    return "; ".join(reasons) or None


def _check_identity(target: Target) -> ProcStat:
    pid = target.pid
    if isinstance(pid, bool) or not isinstance(pid, int) or pid < 1:
        # 0 and negative PIDs mean "this process" or "a process group" to the syscalls.
        raise TuningError(f"{pid!r} is not a process ID; nothing was changed")
    if target.tgid is not None:
        return _check_thread_identity(target)
    text = read_text(_LIVE.proc(pid, "stat"))
    if text is None:
        raise TuningError(f"process {pid} has exited; nothing was changed")
    try:
        stat = parse_pid_stat(text)
    except ValueError:
        raise TuningError(f"process {pid} has exited; nothing was changed") from None
    if stat.start_time != target.start_time:
        raise TuningError(
            f"process {pid} has exited and its PID was reused by another process ({escaped(stat.comm)}, "
            f"started at tick {stat.start_time}, not {target.start_time}); nothing was changed"
        )
    if stat.state in ("Z", "X"):
        raise TuningError(
            f"process {pid} ({escaped(stat.comm)}) has exited (a zombie its parent has not reaped); "
            "nothing was changed"
        )
    return stat


def _check_thread_identity(target: Target) -> ProcStat:
    """A thread target's stat, read under its process's ``task`` directory; refused when the thread has
    exited (its TID gone from that process, or reused by a new thread with another start time)."""
    tid, tgid = target.pid, target.tgid
    if isinstance(tgid, bool) or not isinstance(tgid, int) or tgid < 1:
        raise TuningError(f"{tgid!r} is not a process ID; nothing was changed")
    text = read_text(_LIVE.proc(tgid, "task", tid, "stat"))
    stat = None
    if text is not None:
        try:
            stat = parse_pid_stat(text)
        except ValueError:
            stat = None
    if stat is None or stat.start_time != target.start_time or stat.state in ("Z", "X"):
        raise TuningError(f"{target.label} has exited; nothing was changed")
    return stat


def _scope(target: Target, all_threads: bool) -> bool:
    """``all_threads`` as an action applies it: never for a thread target, which is one thread."""
    return all_threads and target.tgid is None


def check_identity(target: Target) -> None:
    """Raise :class:`TuningError` saying why when the target has exited or its PID names another process."""
    _check_identity(target)


def _tids(pid: int, all_threads: bool) -> tuple[int, ...]:
    if not all_threads:
        return (pid,)
    try:
        names = os.listdir(_LIVE.proc(pid, "task"))
    except OSError:
        raise TuningError(f"process {pid} has exited; nothing was changed") from None
    others = sorted(int(n) for n in names if is_decimal(n) and int(n) != pid)
    return (pid, *others)


def _all_tids(pid: int) -> tuple[int, ...]:
    try:
        return tuple(sorted(int(n) for n in os.listdir(_LIVE.proc(pid, "task")) if is_decimal(n)))
    except OSError:
        return (pid,)


def _values(tids: Iterable[int], read: Callable[[int], _T]) -> dict[int, _T]:
    """``read`` for each thread still there; a thread that exits meanwhile is left out."""
    out: dict[int, _T] = {}
    for tid in tids:
        try:
            out[tid] = read(tid)
        except (OSError, psutil.Error):
            continue
    return out


def _apply(
    pid: int,
    tids: tuple[int, ...],
    apply: Callable[[int], None],
    explain: Callable[[int, Exception], str],
    errors: tuple[type[Exception], ...] = (OSError,),
) -> tuple[ThreadFailure, ...]:
    """Apply to the main thread, then the others; the main thread's failure aborts and raises.

    A thread other than the main one may exit between the listing and the syscall: ESRCH there is skipped.
    """
    failures: list[ThreadFailure] = []
    for tid in tids:
        try:
            apply(tid)
        except errors as exc:
            if tid == pid:
                raise TuningError(explain(tid, exc)) from exc
            if _is_gone(exc):
                continue
            failures.append(ThreadFailure(tid, explain(tid, exc)))
    return tuple(failures)


def _is_gone(exc: Exception) -> bool:
    return isinstance(exc, psutil.NoSuchProcess) or (isinstance(exc, OSError) and exc.errno == errno.ESRCH)


def _run(
    target: Target,
    what: str,
    tids: tuple[int, ...],
    read: Callable[[int], _V],
    apply: Callable[[int], None],
    explain: Callable[[int, Exception], str],
    command: str,
    undo: Callable[[_V], str | None],
    all_threads: bool,
    errors: tuple[type[Exception], ...] = (OSError,),
) -> TuningResult:
    """The common shape of a per-thread action: read, apply, read back, compare threads.

    ``undo(old)`` is the command that sets the main thread's old value again. When the action was for
    every thread and they had different values before, each thread's is kept, and the undo is the commands
    that set each again.
    """
    pid = target.pid
    # A thread target is that thread alone: the process's other threads are not its business.
    everyone = _all_tids(pid) if target.tgid is None else (pid,)
    before = _values(everyone, read)
    failures = _apply(pid, tids, apply, explain, errors)
    after = _values(everyone, read)
    if pid not in after:
        raise TuningError(f"process {pid} exited while it was being changed")
    old = before.get(pid)
    mixed_before = len(set(before.values())) > 1
    # Each thread's own old value, when one for all would not set them back.
    kept: tuple[tuple[int, Value], ...] = ()
    if mixed_before and all_threads:
        kept = tuple(sorted(before.items()))
    undo_command = None if old is None else _restore_command(what, kept) if kept else undo(old)
    return TuningResult(
        target=target,
        what=what,
        old=old,
        new=after[pid],
        command=command,
        tids=tids,
        failed=failures,
        mixed_before=mixed_before,
        mixed_after=len(set(after.values())) > 1,
        all_threads=all_threads,
        undo_command=undo_command,
        thread_values=kept,
    )


# --- explanations -----------------------------------------------------------------------------------


def _has_capability(cap: int) -> bool:
    held = read_effective_capabilities(_LIVE)
    return os.geteuid() == 0 if held is None else bool(held >> cap & 1)


def _owner(pid: int) -> int | None:
    try:
        return os.stat(_LIVE.proc(pid)).st_uid
    except OSError:
        return None


def _foreign(pid: int) -> str | None:
    """``'belongs to uid N'`` when the process is not ours (so only a capability lets us change it)."""
    owner = _owner(pid)
    if owner is None or owner == os.geteuid():
        return None
    return f"process {pid} belongs to uid {owner}, not to perftop's uid {os.geteuid()}"


def _soft_limit(pid: int, rlimit: int) -> int:
    """The target's soft ``RLIMIT_NICE`` or ``RLIMIT_RTPRIO``: the kernel checks the target's, not ours.

    Falls back to perftop's own limit when ``/proc/PID/limits`` is unreadable.
    """
    limits = read_pid_limits(_LIVE, pid)
    value = None
    if limits is not None:
        value = limits.nice if rlimit == resource.RLIMIT_NICE else limits.rtprio
    return resource.getrlimit(rlimit)[0] if value is None else value


def describe_nice_limit(limit: int) -> str:
    """What an ``RLIMIT_NICE`` soft limit allows without CAP_SYS_NICE (the floor is ``20 - limit``)."""
    if limit == resource.RLIM_INFINITY or limit >= 40:
        allows = "which allows any nice value"
    elif limit <= 0:
        allows = "so without CAP_SYS_NICE its nice value can only be raised"
    else:
        allows = f"which allows nice values down to {20 - limit}"
    shown = "unlimited" if limit == resource.RLIM_INFINITY else str(limit)
    return f"its RLIMIT_NICE (ulimit -e) is {shown}, {allows}"


def _nice_limit_text(pid: int) -> str:
    return describe_nice_limit(_soft_limit(pid, resource.RLIMIT_NICE))


def _nice_error(pid: int, old: int | None, new: int, exc: Exception) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ESRCH:
        return f"process {pid} has exited"
    if code in (errno.EPERM, errno.EACCES):
        parts = []
        foreign = _foreign(pid)
        if foreign:
            parts.append(f"{foreign}; changing another user's process needs root or CAP_SYS_NICE")
        if old is None or new < old:
            parts.append(
                f"lowering the nice value of {pid} from {format_value(old)} to {new} needs root or "
                f"CAP_SYS_NICE; {_nice_limit_text(pid)}. Run perftop as root, give it CAP_SYS_NICE, or raise "
                "RLIMIT_NICE (the 'nice' item of /etc/security/limits.conf)"
            )
        return "; ".join(parts) or f"the kernel refused nice {new} for {pid}: {os.strerror(code or 0)}"
    if code == errno.EINVAL:
        return f"nice value {new} is out of range: it must be from {NICE_MIN} to {NICE_MAX}"
    return f"setting nice {new} on {pid} failed: {exc}"


def _policy_error(pid: int, wanted: Scheduling, current: Scheduling | None, exc: Exception) -> str:
    code = getattr(exc, "errno", None)
    name = POLICY_NAMES.get(wanted.policy, str(wanted.policy))
    if code == errno.ESRCH:
        return f"process {pid} has exited"
    if code == errno.EINVAL:
        lo, hi = rt_priority_range(wanted.policy)
        return f"{name} priority {wanted.priority} is out of range: {name} takes {lo} to {hi}"
    if code == errno.EBUSY:
        return (
            f"the kernel refused {name} for {pid} (EBUSY): the real-time or deadline bandwidth of its "
            "root domain or cgroup is used up"
        )
    if code != errno.EPERM:
        return f"setting {name} on {pid} failed: {exc}"
    parts: list[str] = []
    foreign = _foreign(pid)
    if foreign:
        parts.append(f"{foreign}; changing another user's process needs root or CAP_SYS_NICE")
    if wanted.policy in RT_POLICIES:
        limit = _soft_limit(pid, resource.RLIMIT_RTPRIO)
        text = f"setting {wanted} on {pid} was refused: {_rt_rlimit_text(wanted, limit)}"
        if _has_capability(CAP_SYS_NICE):
            budget = read_rt_budget(_LIVE, pid)
            if budget is None:
                text += (
                    "; perftop has CAP_SYS_NICE, so check the real-time budget of the process's cgroup "
                    "(cpu.rt_runtime_us) and /proc/sys/kernel/sched_rt_runtime_us"
                )
            else:
                file, value = budget
                text += f"; perftop has CAP_SYS_NICE, so the limit is the real-time budget: {file} is {value}"
                if value == 0:
                    text += f", and {_zero_rt_budget_text(file)}"
        parts.append(text)
    elif current is not None and current.policy == os.SCHED_IDLE:
        parts.append(
            f"leaving SCHED_IDLE needs root or CAP_SYS_NICE, or an RLIMIT_NICE that allows the "
            f"process's nice value; {_nice_limit_text(pid)}"
        )
    return "; ".join(parts) or f"the kernel refused {name} for {pid} (EPERM): needs root or CAP_SYS_NICE"


def _rt_rlimit_text(wanted: Scheduling, limit: int) -> str:
    shown = "unlimited" if limit == resource.RLIM_INFINITY else str(limit)
    return (
        f"real-time policies need root or CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least {wanted.priority} "
        f"(the process's is {shown}; ulimit -r, or the 'rtprio' item of /etc/security/limits.conf)"
    )


def _zero_rt_budget_text(file: str) -> str:
    return (
        "a budget of 0 refuses real-time policies even to root: give the group a budget within its "
        f"parent's (echo 100000 > {file}) or move the process to a cgroup that has one"
    )


def rt_refusal(target: Target, policy: int, priority: int) -> str | None:
    """Why the kernel will refuse ``policy`` at ``priority`` for the target, told before anything is
    asked or applied; ``None`` when nothing says so (the kernel may still refuse; the action explains).

    The rules are the kernel's for sched_setscheduler(2): a real-time group budget of 0 refuses everyone;
    without CAP_SYS_NICE, the target's soft RLIMIT_RTPRIO must allow entering a real-time policy (above
    0) and any priority raised above it. Only what is certain refuses: an unreadable file refuses nothing.
    """
    if policy not in RT_POLICIES:
        return None
    pid = target.pid
    wanted = Scheduling(policy, priority)
    budget = read_rt_budget(_LIVE, pid)
    global_budget = read_text(_LIVE.proc("sys", "kernel", "sched_rt_runtime_us"))
    if (
        budget is not None
        and budget[1] == 0
        and budget[0].endswith("/cpu.rt_runtime_us")
        # -1 switches the bandwidth checks off, the group's budget of 0 included.
        and global_budget is not None
        and global_budget.strip() != "-1"
    ):
        file = budget[0]
        return f"{wanted} on {pid} would be refused: {file} is 0, and {_zero_rt_budget_text(file)}"
    if _has_capability(CAP_SYS_NICE):
        return None
    limits = read_pid_limits(_LIVE, pid)
    try:
        current = read_scheduling(pid)
    except OSError:
        return None
    if limits is None or limits.rtprio is None:
        return None
    limit = limits.rtprio
    entering = policy != current.policy and limit == 0
    raising = priority > current.priority and priority > limit
    if not (entering or raising):
        return None
    return f"{wanted} on {pid} would be refused: {_rt_rlimit_text(wanted, limit)}"


def _deadline_message(pid: int, action: str) -> str:
    return (
        f"process {pid} runs SCHED_DEADLINE; perftop shows deadline tasks but does not {action}: their "
        "runtime, deadline and period come from sched_setattr (chrt -d -T -D -P sets them). Its nice value, "
        "IO priority and OOM score can be changed and it can be sent signals; its CPU affinity cannot be "
        "narrowed (a deadline task must be allowed on every CPU of its root domain)"
    )


def _bound_by_kernel(tid: int) -> bool:
    """True when the task's ``PF_NO_SETAFFINITY`` flag is set (``/proc/TID/stat`` field 9)."""
    text = read_text(_LIVE.proc(tid, "stat"))
    try:
        flags = None if text is None else parse_pid_stat(text).flags
    except ValueError:
        return False
    return flags is not None and bool(flags & PF_NO_SETAFFINITY)


def _affinity_error(pid: int, cpus: frozenset[int], exc: Exception) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ESRCH:
        return f"process {pid} has exited"
    if code == errno.EBUSY:
        return (
            f"process {pid} runs SCHED_DEADLINE (EBUSY): a deadline task must be allowed on every CPU of its "
            "root domain, where the kernel accounts its bandwidth, so its affinity cannot be narrowed. "
            f"Move it to another policy first (chrt -o -p 0 {pid}) or give it an exclusive cpuset"
        )
    if code == errno.EINVAL and _bound_by_kernel(pid):
        return (
            f"process {pid} is bound to its CPU by the kernel (PF_NO_SETAFFINITY: a per-CPU kernel thread or "
            "a kernel worker whose CPUs the kernel manages): its affinity cannot be changed, even by root"
        )
    if code == errno.EINVAL:
        cpuset = read_cpuset(_LIVE, pid)
        if cpuset is not None and not cpus & cpuset[1]:
            file, allowed = cpuset
            return (
                f"the kernel refused CPUs {format_cpu_list(cpus)} for {pid} (EINVAL): its cgroup's cpuset "
                f"allows only CPUs {format_cpu_list(allowed)} ({file}); choose among those, or widen the "
                "cpuset of its group"
            )
        return (
            f"the kernel refused CPUs {format_cpu_list(cpus)} for {pid} (EINVAL): the set must include an "
            f"online CPU that its cpuset cgroup allows (see /proc/{pid}/cpuset)"
        )
    if code == errno.EPERM:
        foreign = _foreign(pid) or f"process {pid} is not perftop's"
        return f"{foreign}; changing another user's process needs root or CAP_SYS_NICE"
    return f"setting the affinity of {pid} failed: {exc}"


def _ionice_error(pid: int, wanted: IoPriority, exc: Exception) -> str:
    if _is_gone(exc):
        return f"process {pid} has exited"
    if isinstance(exc, psutil.AccessDenied | PermissionError):
        parts = []
        foreign = _foreign(pid)
        if foreign:
            parts.append(f"{foreign}; changing another user's IO priority needs root or CAP_SYS_NICE")
        if wanted.ioclass == "realtime":
            parts.append("the realtime IO class needs root, CAP_SYS_ADMIN or CAP_SYS_NICE")
        return "; ".join(parts) or f"the kernel refused IO priority {wanted} for {pid}"
    return f"setting IO priority {wanted} on {pid} failed: {exc}"


# --- actions ----------------------------------------------------------------------------------------


def renice(target: Target, nice: int, all_threads: bool = True) -> TuningResult:
    """Set the nice value (-20..19): ``renice -n N -p TID...``."""
    _check_range(nice, "nice value", NICE_MIN, NICE_MAX)
    _check_identity(target)
    all_threads = _scope(target, all_threads)
    pid = target.pid
    tids = _tids(pid, all_threads)
    old = _values((pid,), _read_nice).get(pid)
    return _run(
        target,
        "nice",
        tids,
        _read_nice,
        lambda tid: os.setpriority(os.PRIO_PROCESS, tid, nice),
        lambda tid, exc: _nice_error(tid, old, nice, exc),
        _renice_command(nice, tids),
        lambda was: _renice_command(was, tids),
        all_threads,
    )


def _renice_command(nice: int, tids: Iterable[int]) -> str:
    # renice has no all-threads option; naming every task is the exact equivalent.
    return f"renice -n {nice} -p {' '.join(map(str, tids))}"


def _read_nice(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def read_scheduling(tid: int) -> Scheduling:
    """A task's policy, RT priority and reset-on-fork flag; ``OSError`` when it is gone."""
    raw = os.sched_getscheduler(tid)
    return Scheduling(
        raw & ~os.SCHED_RESET_ON_FORK,
        os.sched_getparam(tid).sched_priority,
        bool(raw & os.SCHED_RESET_ON_FORK),
    )


def set_policy(
    target: Target, policy: int, priority: int = 0, reset_on_fork: bool = False, all_threads: bool = True
) -> TuningResult:
    """Set the scheduling policy (``os.SCHED_*``) and RT priority: ``chrt [-a] [-R] -f -p PRIO PID``.

    SCHED_DEADLINE is neither set nor changed: a deadline process or thread is refused with what is possible.
    """
    if policy == SCHED_DEADLINE:
        raise TuningError(
            "perftop does not set SCHED_DEADLINE: it needs runtime, deadline and period "
            "(chrt -d -T RUNTIME -D DEADLINE -P PERIOD -p 0 PID)"
        )
    if policy not in CHRT_OPTIONS:
        names = ", ".join(POLICY_NAMES[p] for p in CHRT_OPTIONS)
        raise TuningError(f"unknown scheduling policy {policy!r}: choose one of {names}")
    lo, hi = rt_priority_range(policy)
    _check_range(priority, f"{POLICY_NAMES[policy]} priority", lo, hi)
    if not isinstance(reset_on_fork, bool):
        raise TuningError(f"reset-on-fork must be true or false, not {reset_on_fork!r}")
    stat = _check_identity(target)
    all_threads = _scope(target, all_threads)
    pid = target.pid
    if stat.policy == SCHED_DEADLINE:
        raise TuningError(_deadline_message(pid, "change their policy"))
    tids = _tids(pid, all_threads)
    wanted = Scheduling(policy, priority, reset_on_fork)
    current = _values((pid,), read_scheduling).get(pid)
    flags = policy | (os.SCHED_RESET_ON_FORK if reset_on_fork else 0)

    def apply(tid: int) -> None:
        if tid != pid and read_scheduling(tid).policy == SCHED_DEADLINE:
            raise TuningError(_deadline_message(tid, "change their policy"))
        os.sched_setscheduler(tid, flags, os.sched_param(priority))

    def explain(tid: int, exc: Exception) -> str:
        return str(exc) if isinstance(exc, TuningError) else _policy_error(tid, wanted, current, exc)

    return _run(
        target,
        "policy",
        tids,
        read_scheduling,
        apply,
        explain,
        _chrt_command(wanted, pid, all_threads) or "",
        lambda was: _chrt_command(was, pid, all_threads),
        all_threads,
        (OSError, TuningError),
    )


def _chrt_command(scheduling: Scheduling, pid: int, all_threads: bool) -> str | None:
    """``chrt`` setting ``scheduling``; ``None`` for a policy perftop does not set (SCHED_DEADLINE)."""
    option = CHRT_OPTIONS.get(scheduling.policy)
    if option is None:
        return None
    flags = ("-a " if all_threads else "") + ("-R " if scheduling.reset_on_fork else "")
    return f"chrt {flags}{option} -p {scheduling.priority} {pid}"


def set_affinity(target: Target, cpus: Collection[int], all_threads: bool = True) -> TuningResult:
    """Set the CPU affinity to online CPUs ``cpus``: ``taskset [-a] -p -c LIST PID``."""
    online = online_cpus()
    if online is None:
        raise TuningError("cannot tell which CPUs are online (/sys/devices/system/cpu/online is unreadable)")
    items = list(cpus)
    if any(isinstance(c, bool) or not isinstance(c, int) for c in items):
        raise TuningError(f"CPU numbers must be whole numbers, not {items!r}")
    wanted = frozenset(items)
    if not wanted:
        raise TuningError("an empty CPU set: a process needs at least one CPU to run on")
    absent = wanted - online
    if absent:
        raise TuningError(_absent_cpus_message(absent, online))
    _check_identity(target)
    all_threads = _scope(target, all_threads)
    pid = target.pid
    tids = _tids(pid, all_threads)
    result = _run(
        target,
        "affinity",
        tids,
        lambda tid: frozenset(os.sched_getaffinity(tid)),
        lambda tid: os.sched_setaffinity(tid, wanted),
        lambda tid, exc: _affinity_error(tid, wanted, exc),
        _taskset_command(wanted, pid, all_threads),
        lambda was: _taskset_command(was, pid, all_threads),
        all_threads,
    )
    if result.new != wanted:
        # sched_setaffinity silently drops CPUs the task's cpuset does not allow.
        cpuset = read_cpuset(_LIVE, pid)
        where = "" if cpuset is None else f" ({cpuset[0]}: {format_cpu_list(cpuset[1])})"
        return replace(
            result,
            note=f"the kernel kept CPUs {format_value(result.new)}: its cpuset cgroup allows only those"
            + where,
        )
    return result


def _taskset_command(cpus: frozenset[int], pid: int, all_threads: bool) -> str:
    return f"taskset {'-a ' if all_threads else ''}-p -c {format_cpu_list(cpus)} {pid}"


def read_ionice(tid: int) -> IoPriority:
    """A task's IO class and level; psutil's error when it is gone."""
    ioclass, level = psutil.Process(tid).ionice()
    name = IO_CLASSES[int(ioclass)]
    return IoPriority(name, level if name in IO_CLASSES_WITH_LEVEL else None)


def set_ionice(
    target: Target, ioclass: str, level: int | None = None, all_threads: bool = True
) -> TuningResult:
    """Set the IO class (:data:`IO_CLASSES`) and level 0..7: ``ionice -c N [-n LEVEL] -p TID...``.

    The kernel keeps the IO priority per thread, as it does nice.
    """
    if ioclass not in IO_CLASSES:
        raise TuningError(f"unknown IO class {ioclass!r}: choose one of {', '.join(IO_CLASSES)}")
    if ioclass in IO_CLASSES_WITH_LEVEL:
        if level is None:
            raise TuningError(f"the {ioclass} IO class needs a level from 0 (highest) to {IO_LEVEL_MAX}")
        _check_range(level, f"{ioclass} IO level", 0, IO_LEVEL_MAX)
    elif level is not None:
        raise TuningError(f"the {ioclass} IO class takes no level")
    _check_identity(target)
    all_threads = _scope(target, all_threads)
    pid = target.pid
    tids = _tids(pid, all_threads)
    wanted = IoPriority(ioclass, level)
    number = IO_CLASSES.index(ioclass)
    psutil_class = _PSUTIL_IO_CLASSES[number]
    return _run(
        target,
        "ionice",
        tids,
        read_ionice,
        lambda tid: psutil.Process(tid).ionice(psutil_class, level),
        lambda tid, exc: _ionice_error(tid, wanted, exc),
        _ionice_command(wanted, tids),
        lambda was: _ionice_command(was, tids),
        all_threads,
        (OSError, psutil.Error),
    )


def _ionice_command(priority: IoPriority, tids: Iterable[int]) -> str:
    option = "" if priority.level is None else f" -n {priority.level}"
    return f"ionice -c {IO_CLASSES.index(priority.ioclass)}{option} -p {' '.join(map(str, tids))}"


def _read_oom_score_adj(pid: int) -> int | None:
    text = read_text(_LIVE.proc(pid, "oom_score_adj"))
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _oom_lowering_message(pid: int, old: int | None, new: int) -> str:
    text = (
        f"lowering the OOM score adjustment of {pid} from {format_value(old)} to {new} needs "
        "CAP_SYS_RESOURCE (without it a process may only raise its adjustment, or lower it back to "
        "the floor a privileged process set)"
    )
    if os.geteuid() == 0:
        return text + "; perftop runs as root but without CAP_SYS_RESOURCE, which containers often drop"
    return text + "; run perftop as root"


def set_oom_score_adj(target: Target, value: int) -> TuningResult:
    """Set ``/proc/PID/oom_score_adj`` (-1000..1000, per process): ``echo N > /proc/PID/oom_score_adj``."""
    _check_range(value, "OOM score adjustment", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX)
    if target.tgid is not None:
        # The kernel keeps it per process (every thread's file writes the same value).
        raise TuningError(
            f"the OOM score adjustment is per process, so no thread has its own: select the row of "
            f"process {target.tgid} to change it for the whole process; nothing was changed"
        )
    _check_identity(target)
    pid = target.pid
    old = _read_oom_score_adj(pid)
    path = _LIVE.proc(pid, "oom_score_adj")
    try:
        # Unbuffered, so the kernel's refusal surfaces from write() instead of vanishing at close().
        with open(path, "wb", buffering=0) as f:
            try:
                f.write(str(value).encode())
            except PermissionError as exc:
                raise TuningError(_oom_lowering_message(pid, old, value)) from exc
    except FileNotFoundError as exc:
        raise TuningError(f"process {pid} has exited; nothing was changed") from exc
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            raise TuningError(f"process {pid} has exited; nothing was changed") from exc
        if exc.errno in (errno.EACCES, errno.EPERM):
            foreign = _foreign(pid) or f"/proc/{pid}/oom_score_adj is not writable by perftop"
            raise TuningError(
                f"{foreign}; writing its OOM score adjustment needs its owner, root or CAP_DAC_OVERRIDE"
            ) from exc
        raise TuningError(f"setting the OOM score adjustment of {pid} failed: {exc}") from exc
    new = _read_oom_score_adj(pid)
    if new is None:
        raise TuningError(f"process {pid} exited while it was being changed")
    return TuningResult(
        target,
        "oom_score_adj",
        old,
        new,
        _oom_command(value, pid),
        (pid,),
        all_threads=False,
        undo_command=None if old is None else _oom_command(old, pid),
    )


def _oom_command(value: int, pid: int) -> str:
    return f"echo {value} > /proc/{pid}/oom_score_adj"


def read_value(what: str, pid: int) -> Value | None:
    """The main thread's current value of an action ``what`` (``nice``, ``policy``, ``affinity``,
    ``ionice``, ``oom_score_adj``), typed as that action's :attr:`TuningResult.new`; ``None`` when the
    process is gone or the action has no value (a signal)."""
    readers: dict[str, Callable[[int], Value | None]] = {
        "nice": _read_nice,
        "policy": read_scheduling,
        "affinity": lambda tid: frozenset(os.sched_getaffinity(tid)),
        "ionice": read_ionice,
        "oom_score_adj": _read_oom_score_adj,
    }
    read = readers.get(what)
    if read is None:
        return None
    try:
        return read(pid)
    except (OSError, psutil.Error):
        return None


def _restore_command(what: str, values: Iterable[tuple[int, Value]]) -> str | None:
    """The commands that give each thread its own value again, one per value where the tool takes several
    threads (renice, ionice), one per thread otherwise (chrt, taskset); ``None`` when a value is not one
    perftop sets (SCHED_DEADLINE)."""
    groups: dict[Value, list[int]] = {}
    for tid, value in values:
        groups.setdefault(value, []).append(tid)
    commands: list[str] = []
    for value, tids in groups.items():
        if what == "nice" and isinstance(value, int):
            commands.append(_renice_command(value, tids))
        elif what == "ionice" and isinstance(value, IoPriority):
            commands.append(_ionice_command(value, tids))
        elif what == "affinity" and isinstance(value, frozenset):
            commands += [_taskset_command(value, tid, False) for tid in tids]
        elif what == "policy" and isinstance(value, Scheduling) and value.policy in CHRT_OPTIONS:
            commands += [_chrt_command(value, tid, False) or "" for tid in tids]
        else:
            return None
    return "; ".join(commands) or None


def _uniform_command(what: str, value: Value, pid: int, tids: tuple[int, ...]) -> str | None:
    """The command that gives every thread ``value``: the undo of :func:`restore_threads`."""
    if what == "nice" and isinstance(value, int):
        return _renice_command(value, tids)
    if what == "ionice" and isinstance(value, IoPriority):
        return _ionice_command(value, tids)
    if what == "affinity" and isinstance(value, frozenset):
        return _taskset_command(value, pid, True)
    if what == "policy" and isinstance(value, Scheduling):
        return _chrt_command(value, pid, True)
    return None


def _check_thread_value(what: str, value: Value) -> None:
    """Raise :class:`TuningError` when ``value`` is not one perftop sets for ``what``."""
    if what == "nice" and isinstance(value, int):
        _check_range(value, "nice value", NICE_MIN, NICE_MAX)
    elif what == "policy" and isinstance(value, Scheduling):
        if value.policy not in CHRT_OPTIONS:
            raise TuningError(f"a thread's old policy was {value}, which perftop does not set")
        lo, hi = rt_priority_range(value.policy)
        _check_range(value.priority, f"{POLICY_NAMES[value.policy]} priority", lo, hi)
    elif what == "affinity" and isinstance(value, frozenset):
        online = online_cpus()
        if online is not None and not value <= online:
            raise TuningError(_absent_cpus_message(value - online, online))
    elif not (what == "ionice" and isinstance(value, IoPriority) and value.ioclass in IO_CLASSES):
        raise TuningError(f"perftop does not set {what} {format_value(value)} per thread")


def restore_threads(target: Target, what: str, values: Iterable[tuple[int, Value]]) -> TuningResult:
    """Give each thread its own ``what`` again (``(tid, value)`` as :attr:`TuningResult.thread_values` kept
    them): the undo of an action for every thread of a process whose threads had different values. Threads
    that exited since are left out; threads started since keep theirs. Raises :class:`TuningError` as the
    other actions do."""
    _check_identity(target)
    pid = target.pid
    present = set(_all_tids(pid))
    wanted = {tid: value for tid, value in values if tid in present}
    if pid not in wanted:
        raise TuningError(f"the old {what} of process {pid}'s main thread is not known; nothing was changed")
    for value in wanted.values():
        _check_thread_value(what, value)
    tids = (pid, *sorted(t for t in wanted if t != pid))
    command = _restore_command(what, ((t, wanted[t]) for t in tids)) or ""
    read: Callable[[int], Value]
    errors: tuple[type[Exception], ...] = (OSError,)
    if what == "nice":
        read = _read_nice
        current = _values(tids, _read_nice)

        def apply(tid: int) -> None:
            os.setpriority(os.PRIO_PROCESS, tid, _int(wanted[tid]))

        def explain(tid: int, exc: Exception) -> str:
            return _nice_error(tid, current.get(tid), _int(wanted[tid]), exc)
    elif what == "policy":
        read = read_scheduling
        schedules = _values(tids, read_scheduling)

        def apply(tid: int) -> None:
            value = wanted[tid]
            assert isinstance(value, Scheduling)
            flags = value.policy | (os.SCHED_RESET_ON_FORK if value.reset_on_fork else 0)
            os.sched_setscheduler(tid, flags, os.sched_param(value.priority))

        def explain(tid: int, exc: Exception) -> str:
            value = wanted[tid]
            assert isinstance(value, Scheduling)
            return _policy_error(tid, value, schedules.get(tid), exc)
    elif what == "affinity":
        read = _read_affinity

        def apply(tid: int) -> None:
            os.sched_setaffinity(tid, _cpus(wanted[tid]))

        def explain(tid: int, exc: Exception) -> str:
            return _affinity_error(tid, _cpus(wanted[tid]), exc)
    else:
        read, errors = read_ionice, (OSError, psutil.Error)

        def apply(tid: int) -> None:
            value = wanted[tid]
            assert isinstance(value, IoPriority)
            psutil.Process(tid).ionice(_PSUTIL_IO_CLASSES[IO_CLASSES.index(value.ioclass)], value.level)

        def explain(tid: int, exc: Exception) -> str:
            value = wanted[tid]
            assert isinstance(value, IoPriority)
            return _ionice_error(tid, value, exc)

    def read_one(tid: int) -> Value:
        return read(tid)

    def undo(was: Value) -> str | None:
        return _uniform_command(what, was, pid, tids)

    return _run(target, what, tids, read_one, apply, explain, command, undo, True, errors)


def _read_affinity(tid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(tid))


def _int(value: Value) -> int:
    assert isinstance(value, int)
    return value


def _cpus(value: Value) -> frozenset[int]:
    assert isinstance(value, frozenset)
    return value


def _signal(sig: int | str | signal.Signals) -> signal.Signals:
    choices = ", ".join(s.name.removeprefix("SIG") for s in SIGNALS)
    found: signal.Signals | None = None
    if isinstance(sig, str):
        name = sig.strip().upper()
        name = name if name.startswith("SIG") else "SIG" + name
        found = next((s for s in SIGNALS if s.name == name), None)
    elif isinstance(sig, int) and not isinstance(sig, bool):
        found = next((s for s in SIGNALS if s.value == sig), None)
    if found is None:
        raise TuningError(f"unknown signal {sig!r}: choose one of {choices}")
    return found


def send_signal(target: Target, sig: int | str | signal.Signals) -> TuningResult:
    """Send one of :data:`SIGNALS` (by number, ``Signals`` or name such as ``"TERM"``): ``kill -TERM PID``.

    For a thread target the signal goes to its process (``kill -TERM TGID``): a signal's default action
    (terminate, stop, continue) acts on the whole process whichever thread takes it, and ``kill`` with a TID
    signals the process too; the thread is only checked to be still there.
    """
    chosen = _signal(sig)
    pid = target.pid if target.tgid is None else target.tgid
    name = chosen.name.removeprefix("SIG")
    pidfd = None
    if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
        try:
            # Holding a pidfd before the identity check makes the signal race-free: if the identity
            # matches now, the pidfd names that process even if it exits and its PID is reused.
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise TuningError(f"process {pid} has exited; nothing was sent") from None
        except OSError:
            pidfd = None  # a kernel without pidfds: fall back to kill()
    try:
        _check_identity(target)
        try:
            if pidfd is not None:
                signal.pidfd_send_signal(pidfd, chosen)
            else:
                os.kill(pid, chosen)
        except ProcessLookupError as exc:
            raise TuningError(f"process {pid} has exited; nothing was sent") from exc
        except PermissionError as exc:
            foreign = _foreign(pid) or f"process {pid} is not perftop's"
            raise TuningError(f"{foreign}; signalling another user's process needs root or CAP_KILL") from exc
        except OSError as exc:
            raise TuningError(f"sending SIG{name} to {pid} failed: {exc}") from exc
    finally:
        if pidfd is not None:
            os.close(pidfd)
    # No undo_command: a signal is delivered, and nothing sets back what it did.
    return TuningResult(target, "signal", None, chosen.name, f"kill -{name} {pid}", (pid,), all_threads=False)


# --- per-thread values for the table ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadValue:
    """One thread's scheduling values, from ``/proc/PID/task/TID/{stat,status}``."""

    tid: int
    nice: int
    policy: int | None
    rt_priority: int | None
    affinity: frozenset[int] | None


def _common(values: Iterable[_T]) -> _T | str | None:
    distinct = set(values)
    if not distinct:
        return None
    return next(iter(distinct)) if len(distinct) == 1 else MIXED


@dataclass(frozen=True, slots=True)
class ThreadValues:
    """Every thread of a process; each property is the shared value, :data:`MIXED`, or ``None`` if unknown."""

    pid: int
    threads: tuple[ThreadValue, ...]

    @property
    def nice(self) -> int | str | None:
        """The nice value every thread shares, or :data:`MIXED`."""
        return _common(t.nice for t in self.threads)

    @property
    def policy(self) -> str | None:
        """The policy name (``SCHED_FIFO``) shared by every thread, or :data:`MIXED`."""
        common = _common(t.policy for t in self.threads if t.policy is not None)
        return common if common is None or isinstance(common, str) else POLICY_NAMES.get(common)

    @property
    def rt_priority(self) -> int | str | None:
        """The RT priority every thread shares, or :data:`MIXED`."""
        return _common(t.rt_priority for t in self.threads if t.rt_priority is not None)

    @property
    def affinity(self) -> frozenset[int] | str | None:
        """The CPU set every thread shares, or :data:`MIXED`."""
        return _common(t.affinity for t in self.threads if t.affinity is not None)


def thread_values(pid: int, fs: FS = _LIVE, only: int | None = None) -> ThreadValues | None:
    """Read each thread's nice, policy, RT priority and affinity; ``None`` when the process is gone.

    A thread that exits while being read is left out. ``only``: read that thread (TID) alone.
    """
    if only is not None:
        names = [str(only)]
    else:
        try:
            names = os.listdir(fs.proc(pid, "task"))
        except OSError:
            return None
    threads: list[ThreadValue] = []
    for tid in sorted(int(n) for n in names if is_decimal(n)):
        text = read_text(fs.proc(pid, "task", tid, "stat"))
        if text is None:
            continue
        try:
            stat = parse_pid_stat(text)
        except ValueError:
            continue
        status_text = read_text(fs.proc(pid, "task", tid, "status"))
        status = None if status_text is None else parse_pid_status(status_text)
        cpus = None if status is None or status.cpus_allowed is None else frozenset(status.cpus_allowed)
        threads.append(ThreadValue(tid, stat.nice, stat.policy, stat.rt_priority, cpus))
    return ThreadValues(pid, tuple(threads)) if threads else None

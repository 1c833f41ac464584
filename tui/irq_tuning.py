"""Tuning an IRQ's CPU affinity: ``/proc/irq/N/smp_affinity_list``, as ``echo 0-1 > ...`` does it.

Plain functions, no Textual. The write itself is :func:`~perftop.tui.system_tuning.change_setting`'s (old
value, read-back, the equivalent command and its undo); this module adds what is particular to IRQs: which
IRQs the kernel lets no one move (per-CPU and managed interrupts), why a write was refused, the effective
affinity the kernel kept (an x86 interrupt goes to one CPU of the set; an IO-APIC one moves only when it
next fires), and ``irqbalance``, which moves IRQs on its own and may undo the change.

Layers: the tuning flows build on this module; it builds on :mod:`perftop.tui.system_tuning`.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.fs import FS, read_text
from perftop.probes.interrupts import IrqAffinity, read_irq_affinity
from perftop.probes.kernel_numbers import is_decimal
from perftop.tui.system_tuning import Setting, SettingResult
from perftop.widgets.safe_text import escaped

#: The comm of the daemon that spreads IRQs over the CPUs every few seconds.
IRQBALANCE = "irqbalance"


def irq_setting(fs: FS, irq: str) -> Setting:
    """The settings file of IRQ ``irq``'s affinity."""
    return Setting(
        kind="file",
        key=f"IRQ {irq} smp_affinity_list",
        path=fs.proc("irq", irq, "smp_affinity_list"),
        what="irq_affinity",
    )


def _fixed_message(irq: str) -> str:
    return (
        f"IRQ {irq}: the kernel fixes its affinity: a managed interrupt (a multi-queue device, such as an "
        "NVMe or virtio queue, whose driver spreads its queues over the CPUs) or a per-CPU one; no one may "
        "move it"
    )


def fixed_affinity(fs: FS, irq: str) -> str | None:
    """Why IRQ ``irq``'s affinity cannot be changed, or ``None`` when it may be.

    An architecture row (``LOC``, ``NMI``) is each CPU's own. The kernel makes ``smp_affinity_list``
    read-only (mode 0444, which root could still write, to be refused) for an IRQ whose affinity it manages.
    """
    if not is_decimal(irq):
        return (
            f"{escaped(irq)} is an interrupt of the architecture that every CPU takes for itself: it has no "
            "affinity to set"
        )
    path = fs.proc("irq", irq, "smp_affinity_list")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return f"IRQ {irq} has no {path}: the kernel offers no affinity to set for it"
    if not mode & stat.S_IWUSR:
        return _fixed_message(irq)
    return None


def affinity_error(irq: str, cpus: Collection[int]) -> Callable[[OSError], str | None]:
    """The explanation of a refused write of ``cpus`` to IRQ ``irq``'s affinity, for
    :func:`~perftop.tui.system_tuning.change_setting`'s ``explain`` (``None``: its usual message)."""
    asked = format_cpu_list(cpus)

    def explain(exc: OSError) -> str | None:
        code = exc.errno
        # Recent kernels refuse a fixed affinity with EPERM, older ones with EIO, even to root.
        if code == errno.EIO or (code == errno.EPERM and os.geteuid() == 0):
            return f"{_fixed_message(irq)} ({errno.errorcode.get(code or 0, code)})"
        if code == errno.EINVAL:
            return (
                f"IRQ {irq}: the kernel refused CPUs {asked} (EINVAL): none of them may take this interrupt "
                "now (offline, or the interrupt chip cannot send it there)"
            )
        if code == errno.ENOSPC:
            return (
                f"IRQ {irq}: no interrupt vector is free on CPUs {asked} (ENOSPC): choose more CPUs, or "
                "others"
            )
        return None

    return explain


def effective_note(result: SettingResult, fs: FS, irq: str, cpus: Collection[int]) -> SettingResult:
    """``result`` with a note when the effective affinity the kernel read back is not the set asked for:
    an x86 interrupt goes to one CPU of it; an IO-APIC one keeps its old CPU until it next fires; a chip
    may not move it at all."""
    effective = read_irq_affinity(fs, irq).effective_affinity_list
    asked = frozenset(cpus)
    if effective is None or frozenset(effective) == asked:
        return result
    shown = format_cpu_list(effective)
    if frozenset(effective) <= asked:
        note = f"the kernel sends it to CPU {shown} of them (effective_affinity_list)"
    else:
        note = (
            f"the kernel still sends it to CPU {shown} (effective_affinity_list), outside "
            f"{format_cpu_list(asked)}: it moves when it next fires, if its chip can move it"
        )
    return replace(result, note=f"{result.note}; {note}" if result.note else note)


def irqbalance_pids(fs: FS) -> list[int]:
    """The processes whose comm is ``irqbalance``, found by scanning ``/proc/PID/comm``."""
    try:
        names = os.listdir(fs.procfs)
    except OSError:
        return []
    found = []
    for name in names:
        if not is_decimal(name):
            continue
        comm = read_text(fs.proc(name, "comm"))
        if comm is not None and comm.rstrip("\n") == IRQBALANCE:
            found.append(int(name))
    return sorted(found)


def irqbalance_warning(pids: Collection[int]) -> str | None:
    """What to know when ``irqbalance`` runs (``pids``), or ``None`` when it does not."""
    if not pids:
        return None
    which = ", ".join(str(p) for p in sorted(pids))
    return (
        f"irqbalance is running (pid {which}): it moves IRQs every few seconds and may undo this; stop it "
        "(systemctl stop irqbalance) or have it leave this IRQ alone (--banirq)"
    )


@dataclass(frozen=True, slots=True)
class IrqState:
    """What the affinity dialog of an IRQ starts from: its affinity files, why it cannot be changed
    (``None``: it can), and the ``irqbalance`` processes running."""

    affinity: IrqAffinity
    fixed: str | None
    irqbalance: tuple[int, ...]

    def current(self) -> str:
        """The dialog's "now" line(s)."""
        smp, effective = self.affinity.smp_affinity_list, self.affinity.effective_affinity_list
        line = "now: CPUs " + ("-" if smp is None else format_cpu_list(smp))
        line += ", effective " + ("-" if effective is None else format_cpu_list(effective))
        warning = irqbalance_warning(self.irqbalance)
        return line if warning is None else f"{line}\n{warning}"


def irq_state(fs: FS, irq: str) -> IrqState:
    """Read IRQ ``irq``'s affinity, whether it may change, and whether irqbalance runs."""
    return IrqState(read_irq_affinity(fs, irq), fixed_affinity(fs, irq), tuple(irqbalance_pids(fs)))

"""An IRQ's affinity: a real change on this machine (restored after), the IRQs the kernel fixes, the
refused paths (not root, a foreign procfs root) and irqbalance found by its process."""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perftop.probes.cpulist import format_cpu_list, parse_cpu_list
from perftop.probes.fs import FS, read_text
from perftop.probes.interrupts import parse_interrupts
from perftop.tui.irq_tuning import (
    affinity_error,
    effective_note,
    fixed_affinity,
    irq_setting,
    irq_state,
    irqbalance_pids,
    irqbalance_warning,
)
from perftop.tui.system_tuning import SettingResult, change_setting
from perftop.tui.tuning import TuningError, online_cpus
from perftop.tui.tuning_flows import AffinityChoice, AskAffinity, TuningFlows
from testbed.fixture_tree import fake_irqs, make_tree, write_interrupts
from tests.scripted_host import ScriptedHost
from tests.unprivileged import run_as_nobody

# machine: moves this machine's IRQs (and puts them back).
pytestmark = pytest.mark.machine

ONLINE = online_cpus() or frozenset()


def _irqs_by_mode(writable: bool) -> list[str]:
    """This machine's numbered IRQs whose affinity the kernel lets root change (or not), least busy first."""
    parsed = parse_interrupts(read_text("/proc/interrupts") or "")
    if parsed is None:
        return []
    found = []
    for row in sorted((r for r in parsed.rows if r.numbered), key=lambda r: r.total):
        try:
            mode = os.stat(f"/proc/irq/{row.irq}/smp_affinity_list").st_mode
        except OSError:
            continue
        if bool(mode & stat.S_IWUSR) == writable:
            found.append(row.irq)
    return found


def _affinity(irq: str) -> frozenset[int]:
    return parse_cpu_list(Path(f"/proc/irq/{irq}/smp_affinity_list").read_text())


def _effective(irq: str) -> frozenset[int]:
    return parse_cpu_list(Path(f"/proc/irq/{irq}/effective_affinity_list").read_text())


def _restore(irq: str, cpus: frozenset[int]) -> None:
    Path(f"/proc/irq/{irq}/smp_affinity_list").write_text(format_cpu_list(cpus) + "\n")


@pytest.fixture
def movable_irq() -> Iterator[tuple[str, frozenset[int]]]:
    """A real IRQ root may move, and its affinity, restored after the test."""
    if os.geteuid() != 0:
        pytest.skip("needs root to change an IRQ's affinity")
    if len(ONLINE) < 2:
        pytest.skip("needs two online CPUs")
    irqs = [irq for irq in _irqs_by_mode(True) if len(_affinity(irq) & ONLINE) >= 2]
    if not irqs:
        pytest.skip("no IRQ here whose affinity may change and spans two CPUs")
    irq = irqs[0]
    before = _affinity(irq)
    try:
        yield irq, before
    finally:
        _restore(irq, before)
        assert _affinity(irq) == before


@pytest.mark.live
async def test_a_real_affinity_change_is_written_read_back_recorded_and_undoable(
    movable_irq: tuple[str, frozenset[int]],
) -> None:
    irq, before = movable_irq
    # The CPU it is not delivered to now, so that it moves.
    target = max(ONLINE - _effective(irq)) if ONLINE - _effective(irq) else max(ONLINE)
    host = ScriptedHost(AffinityChoice(frozenset({target}), True))
    await TuningFlows(host, FS()).irq_affinity(irq, "test", [(0, sorted(ONLINE))])
    (question,) = host.asked
    assert isinstance(question, AskAffinity)
    assert question.threads is False and question.initial == before and question.online == ONLINE
    assert question.subjects == f"IRQ {irq}: test"
    assert question.current.startswith(f"now: CPUs {format_cpu_list(before)}, effective ")
    assert _affinity(irq) == {target}
    (record,) = host.records
    assert record.ok and record.what == "irq_affinity"
    assert record.old == format_cpu_list(before) and record.new == str(target)
    assert record.command == f"echo {target} > /proc/irq/{irq}/smp_affinity_list"
    applied = record.applied
    assert isinstance(applied, SettingResult)
    assert applied.undo_command == f"echo {format_cpu_list(before)} > /proc/irq/{irq}/smp_affinity_list"
    effective = _effective(irq)
    if effective != {target}:
        # An IO-APIC interrupt moves only when it next fires: the kernel's effective CPU is said.
        assert applied.note is not None and "effective_affinity_list" in applied.note
    else:
        assert applied.note is None
    assert host.notices and host.notices[0][1] == "information"


@pytest.mark.live
async def test_an_irq_the_kernel_fixes_is_refused_with_the_reason() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the kernel's refusal of root is what is explained")
    fixed = _irqs_by_mode(False)
    if not fixed:
        pytest.skip("no managed or per-CPU IRQ on this machine")
    irq = fixed[0]
    before = _affinity(irq)
    why = fixed_affinity(FS(), irq)
    assert why is not None and "managed interrupt" in why
    # The flow refuses before asking.
    host = ScriptedHost()
    await TuningFlows(host, FS()).irq_affinity(irq, "queue", [])
    assert host.asked == [] and host.records == []
    assert host.notices == [(why, "error")]
    # Written anyway, the kernel refuses root (EPERM here, EIO on older kernels): explained the same way.
    cpus = frozenset({min(ONLINE)})
    with pytest.raises(TuningError) as refused:
        change_setting(irq_setting(FS(), irq), format_cpu_list(cpus), explain=affinity_error(irq, cpus))
    assert "fixes its affinity" in str(refused.value)
    assert "EPERM" in str(refused.value) or "EIO" in str(refused.value)
    assert _affinity(irq) == before


@pytest.mark.live
def test_not_root_is_refused_with_the_reason(movable_irq: tuple[str, frozenset[int]]) -> None:
    irq, before = movable_irq

    def work() -> dict[str, Any]:
        cpus = frozenset({min(ONLINE)})
        try:
            change_setting(irq_setting(FS(), irq), format_cpu_list(cpus), explain=affinity_error(irq, cpus))
        except TuningError as exc:
            return {"message": str(exc)}
        return {"message": None}

    out = run_as_nobody(work)
    assert out["message"] is not None and "only root may change it" in out["message"]
    assert _affinity(irq) == before


def test_a_foreign_procfs_root_refuses_every_write(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=2)
    write_interrupts(tmp_path, cpus=2, tick=0)
    irq = str(fake_irqs(2)[0].irq)
    path = tmp_path / "proc" / "irq" / irq / "smp_affinity_list"
    host = ScriptedHost(AffinityChoice(frozenset({1}), True))
    asyncio.run(TuningFlows(host, fs).irq_affinity(irq, "timer", [(0, [0, 1])]))
    (question,) = host.asked
    assert isinstance(question, AskAffinity) and question.initial == {0, 1}
    assert question.current == "now: CPUs 0-1, effective 0"
    (record,) = host.records
    assert not record.ok and "read-only" in record.result
    assert path.read_text() == "0-1\n"  # nothing written


def test_what_cannot_be_moved_and_why_a_write_was_refused(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=2)
    write_interrupts(tmp_path, cpus=2, tick=0)
    assert fixed_affinity(fs, "0") is None
    assert "architecture" in (fixed_affinity(fs, "LOC") or "")
    assert "no " in (fixed_affinity(fs, "999") or "")
    os.chmod(tmp_path / "proc" / "irq" / "0" / "smp_affinity_list", 0o444)
    assert "managed interrupt" in (fixed_affinity(fs, "0") or "")
    explain = affinity_error("24", {2, 3})
    assert "managed interrupt" in (explain(OSError(errno.EIO, "EIO")) or "")
    assert "refused CPUs 2-3 (EINVAL)" in (explain(OSError(errno.EINVAL, "EINVAL")) or "")
    assert "ENOSPC" in (explain(OSError(errno.ENOSPC, "ENOSPC")) or "")
    assert explain(OSError(errno.EACCES, "EACCES")) is None  # the usual message: only root may


def test_the_effective_affinity_the_kernel_kept_is_noted(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=4, processes=2)
    write_interrupts(tmp_path, cpus=4, tick=0)
    setting = irq_setting(fs, "0")
    result = SettingResult(setting, "0-3", "2-3", "echo 2-3 > x", "echo 0-3 > x")
    effective = tmp_path / "proc" / "irq" / "0" / "effective_affinity_list"
    effective.write_text("2-3\n")
    assert effective_note(result, fs, "0", {2, 3}).note is None
    effective.write_text("3\n")
    assert "sends it to CPU 3 of them" in (effective_note(result, fs, "0", {2, 3}).note or "")
    effective.write_text("0\n")
    note = effective_note(result, fs, "0", {2, 3}).note or ""
    assert "still sends it to CPU 0" in note and "outside 2-3" in note


def test_irqbalance_found_in_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=2)
    write_interrupts(tmp_path, cpus=2, tick=0)
    assert irqbalance_pids(fs) == []
    (tmp_path / "proc" / "4242").mkdir()
    (tmp_path / "proc" / "4242" / "comm").write_text("irqbalance\n")
    assert irqbalance_pids(fs) == [4242]
    state = irq_state(fs, "0")
    assert state.irqbalance == (4242,)
    assert "irqbalance is running (pid 4242)" in state.current()
    assert irqbalance_warning([]) is None


@pytest.mark.live
async def test_irqbalance_found_by_its_process_and_warned_of(movable_irq: tuple[str, frozenset[int]]) -> None:
    irq, before = movable_irq
    # A child whose comm is irqbalance, as the daemon's is.
    code = (
        "import ctypes, time; ctypes.CDLL(None).prctl(15, b'irqbalance', 0, 0, 0); "  # PR_SET_NAME
        "print(1, flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline()
        deadline = time.monotonic() + 5
        while child.pid not in irqbalance_pids(FS()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.pid in irqbalance_pids(FS())
        host = ScriptedHost(AffinityChoice(before, True))
        await TuningFlows(host, FS()).irq_affinity(irq, "", [])
        (question,) = host.asked
        assert isinstance(question, AskAffinity) and question.subjects == f"IRQ {irq}"
        assert f"irqbalance is running (pid {child.pid}" in question.current
        assert any("irqbalance" in message and severity == "warning" for message, severity in host.notices)
    finally:
        child.kill()
        child.wait()

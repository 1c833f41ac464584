"""``/proc/interrupts`` and ``/proc/softirqs``: parsers on texts written here and generated for 2, 64 and
256 CPUs, rates, the sampler's reads, and the sum against ``/proc/stat``'s ``intr`` total."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from perftop.probes.cpu import parse_stat
from perftop.probes.fs import FS, read_text
from perftop.probes.interrupts import (
    InterruptCounters,
    IrqCounters,
    IrqLines,
    SoftirqCounters,
    interrupts_snapshot,
    irq_stats,
    parse_interrupts,
    parse_softirqs,
    read_affinities,
    softirq_stats,
)
from perftop.probes.sampler import IRQ_AFFINITY_SECONDS, Sampler
from perftop.tui.json_lines import snapshot_to_dict
from testbed.fixture_tree import SteppingClock, fake_irqs, interrupts_text, make_tree, write_interrupts

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs" / "proc"

TWO_CPUS = """\
           CPU0       CPU1
  0:         44          0   IO-APIC   2-edge      timer
  1:          0          9   IO-APIC   1-edge      i8042
  9:          0          0   IO-APIC   9-fasteoi
 24:       1800          3   PCI-MSI 114689-edge      virtio5-req.0
 25:          5          6  PCI-MSIX-0000:00:01.0   0-edge      eth0, eth0-rx
NMI:          1          2   Non-maskable interrupts
LOC:      10196       7429   Local timer interrupts
TLB:        212        137   TLB shootdowns
ERR:          3
MIS:          1

PIN:          0          0   Posted-interrupt notification event
"""


def test_two_cpus_with_architecture_rows_and_rows_of_one_count() -> None:
    parsed = parse_interrupts(TWO_CPUS)
    assert parsed is not None
    assert parsed.cpus == (0, 1)
    rows = {r.irq: r for r in parsed.rows}
    assert [r.irq for r in parsed.rows] == [
        "0",
        "1",
        "9",
        "24",
        "25",
        "NMI",
        "LOC",
        "TLB",
        "ERR",
        "MIS",
        "PIN",
    ]
    assert rows["0"] == IrqCounters("0", (44, 0), 44, "timer", "IO-APIC")
    # A hardware IRQ as wide as its column leaves one space after the chip.
    assert rows["24"] == IrqCounters("24", (1800, 3), 1803, "virtio5-req.0", "PCI-MSI")
    assert rows["25"].name == "eth0, eth0-rx" and rows["25"].chip == "PCI-MSIX-0000:00:01.0"
    assert rows["9"].name == "" and rows["9"].chip == "IO-APIC"  # no handler
    assert rows["LOC"] == IrqCounters("LOC", (10196, 7429), 17625, "Local timer interrupts", None)
    assert rows["NMI"].numbered is False and rows["24"].numbered is True
    # ERR and MIS: one count for the machine, no column per CPU.
    assert rows["ERR"] == IrqCounters("ERR", None, 3, "", None)
    assert rows["MIS"].counts is None and rows["MIS"].total == 1
    # /proc/stat's intr total leaves out TLB (counted in CAL) and MIS (counted under its IRQ).
    assert parsed.stat_total == sum(r.total for r in parsed.rows) - 349 - 1


def test_lines_cut_short_or_garbled_are_skipped_and_a_bad_header_is_none() -> None:
    text = (
        "           CPU0       CPU1       CPU2\n"
        "  0:         44          0          1   IO-APIC   2-edge      timer\n"
        "  1:          0          9\n"  # cut short: fewer counts than CPUs, no description
        "  8:          0        x9          1   IO-APIC   8-edge      rtc0\n"  # garbled count
        " 12:         -1          0          0   IO-APIC  12-edge      i8042\n"
        "  0:          1          1          1   IO-APIC   2-edge      again\n"  # seen twice
        "LOC:        100        200        300   Local timer interrupts\n"
        "RES:        1"  # the file cut mid-line
    )
    parsed = parse_interrupts(text)
    assert parsed is not None
    assert [r.irq for r in parsed.rows] == ["0", "LOC", "RES"]
    assert parsed.rows[0].name == "timer"
    # "RES: 1" reads as a row of one count, as ERR is: a cut line cannot be told apart from it.
    assert parsed.rows[2].counts is None
    for bad in ("", "garbage\n  0: 1 2\n", "  CPU0  CPU0\n 0: 1 1 x\n", "CPU0 CPUx\n"):
        assert parse_interrupts(bad) is None


def test_an_arm_layout_reads_its_chip_and_names() -> None:
    text = (
        "           CPU0       CPU1\n"
        " 11:       1022        300     GICv3  27 Level     arch_timer\n"
        " 13:          5          0     ITS-MSI 524288 Edge      eth0\n"
        "IPI0:        10         20       Rescheduling interrupts\n"
        "Err:          0\n"
    )
    parsed = parse_interrupts(text)
    assert parsed is not None
    assert [(r.irq, r.chip, r.name) for r in parsed.rows] == [
        ("11", "GICv3", "arch_timer"),
        ("13", "ITS-MSI", "eth0"),
        ("IPI0", None, "Rescheduling interrupts"),
        ("Err", None, ""),
    ]


@pytest.mark.parametrize("cpus", [2, 64, 256])
def test_generated_texts_of_2_64_and_256_cpus(cpus: int) -> None:
    text = interrupts_text(cpus, tick=3)
    parsed = parse_interrupts(text)
    assert parsed is not None
    assert parsed.cpus == tuple(range(cpus))
    irqs = fake_irqs(cpus)
    numbered = [r for r in parsed.rows if r.numbered]
    assert [r.irq for r in numbered] == [str(f.irq) for f in irqs]
    assert [r.name for r in numbered] == [f.name for f in irqs]
    assert all(r.counts is not None and len(r.counts) == cpus for r in numbered)
    # Each row holds the counts its line wrote.
    for row, line in zip(parsed.rows, text.splitlines()[1:], strict=False):
        if row.counts is not None:
            words = line.split(":", 1)[1].split()
            assert list(row.counts) == [int(w) for w in words[:cpus]]
    assert {r.irq for r in parsed.rows if r.counts is None} == {"ERR", "MIS"}


def test_the_memo_gives_an_unchanged_line_its_last_row_and_forgets_another_set_of_cpus() -> None:
    lines = IrqLines()
    first = parse_interrupts(interrupts_text(4, tick=0), lines)
    second = parse_interrupts(interrupts_text(4, tick=1), lines)
    plain = parse_interrupts(interrupts_text(4, tick=1))
    assert first is not None and second is not None and plain is not None
    assert second == plain
    before = {r.irq: r for r in first.rows}
    idle = [r for r in second.rows if r == before[r.irq]]
    busy = [r for r in second.rows if r != before[r.irq]]
    assert idle and busy
    assert all(r is before[r.irq] for r in idle)  # not parsed again
    # Two CPUs now (one went offline): the lines of four mean nothing for them.
    two = parse_interrupts(interrupts_text(2, tick=1), lines)
    assert two is not None and two.cpus == (0, 1) and lines.cpus == (0, 1)
    assert two == parse_interrupts(interrupts_text(2, tick=1))


def test_softirqs() -> None:
    text = (
        "                    CPU0       CPU1       \n"
        "          HI:          3          0\n"
        "       TIMER:    2776180     247490\n"
        "      NET_TX:       2419\n"  # cut short
        "      NET_RX:      55919      28694\n"
        "       BLOCK:     17x915     262755\n"
    )
    parsed = parse_softirqs(text)
    assert parsed == SoftirqCounters(
        (0, 1), {"HI": (3, 0), "TIMER": (2776180, 247490), "NET_RX": (55919, 28694)}
    )
    assert parse_softirqs("HI: 1 2\n") is None


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared procfs captures are not here")
def test_the_shared_captures() -> None:
    parsed = parse_interrupts((SHARED / "interrupts").read_text())
    assert parsed is not None and parsed.cpus == (0, 1, 2, 3)
    rows = {r.irq: r for r in parsed.rows}
    assert rows["29"] == IrqCounters("29", (1362, 0, 0, 934), 2296, "ahci[0000:00:1f.2]", "PCI-MSI")
    assert rows["LOC"].total == 10196 + 7429 + 8542 + 8229
    assert rows["ERR"].counts is None and rows["MIS"].counts is None
    assert "PIW" in rows  # after the blank line
    soft = parse_softirqs((SHARED / "softirqs").read_text())
    assert soft is not None and soft.cpus == (0, 1)
    assert soft.rows["NET_RX"] == (55919, 28694) and list(soft.rows)[-1] == "RCU"


def _counters(cpus: tuple[int, ...], *rows: IrqCounters) -> InterruptCounters:
    return InterruptCounters(cpus, rows)


def test_rates_per_cpu_busiest_first_and_null_over_counters_that_went_backwards() -> None:
    prev = _counters(
        (0, 1),
        IrqCounters("24", (100, 200), 300, "nvme0q0", "PCI-MSI"),
        IrqCounters("25", (4_294_967_000, 0), 4_294_967_000, "eth0", "PCI-MSI"),
        IrqCounters("26", (5, 5), 10, "old-device", "PCI-MSI"),
        IrqCounters("ERR", None, 7, "", None),
        IrqCounters("LOC", (1000, 1000), 2000, "Local timer interrupts", None),
    )
    cur = _counters(
        (0, 1),
        IrqCounters("24", (110, 240), 350, "nvme0q0", "PCI-MSI"),
        IrqCounters("25", (100, 4), 104, "eth0", "PCI-MSI"),  # CPU0's 32-bit count wrapped
        IrqCounters("26", (6, 6), 12, "new-device", "PCI-MSI"),  # the number is another device's now
        IrqCounters("ERR", None, 9, "", None),
        IrqCounters("LOC", (1500, 1250), 2750, "Local timer interrupts", None),
        IrqCounters("27", (1, 1), 2, "hotplugged", "PCI-MSI"),
    )
    stats = irq_stats(prev, cur, 2.0)
    by_irq = {s.irq: s for s in stats}
    assert by_irq["24"].counts_per_s == (5.0, 20.0) and by_irq["24"].total_per_s == 25.0
    assert by_irq["25"].counts_per_s == (None, 2.0) and by_irq["25"].total_per_s is None
    assert by_irq["26"].counts_per_s == (None, None)
    assert by_irq["27"].counts_per_s == (None, None)
    assert by_irq["ERR"].counts_per_s is None and by_irq["ERR"].total_per_s == 1.0
    assert by_irq["LOC"].total_per_s == 375.0
    # Busiest first, the unknown last in the file's order.
    assert [s.irq for s in stats] == ["LOC", "24", "ERR", "25", "26", "27"]
    # Without a baseline nothing has a rate.
    assert all(s.total_per_s is None for s in irq_stats(None, cur, 2.0))
    # A counter that went backwards as a whole (another tree read in place of the last one).
    assert irq_stats(cur, prev, 1.0)[-1].total_per_s is None


def test_rates_follow_cpus_by_number_when_one_goes_offline() -> None:
    prev = _counters((0, 1, 2), IrqCounters("LOC", (10, 20, 30), 60, "Local timer interrupts", None))
    cur = _counters((0, 2, 3), IrqCounters("LOC", (15, 40, 7), 62, "Local timer interrupts", None))
    (loc,) = irq_stats(prev, cur, 1.0)
    assert loc.counts_per_s == (5.0, 10.0, None)  # CPU3 came online: no rate yet


def test_softirq_rates() -> None:
    prev = SoftirqCounters((0, 1), {"NET_RX": (10, 20), "TIMER": (100, 100)})
    cur = SoftirqCounters((0, 1), {"NET_RX": (30, 20), "TIMER": (90, 150), "RCU": (1, 1)})
    net_rx, timer, rcu = softirq_stats(prev, cur, 2.0)
    assert (net_rx.name, net_rx.counts_per_s, net_rx.total_per_s) == ("NET_RX", (10.0, 0.0), 10.0)
    assert timer.counts_per_s == (None, 25.0) and timer.total_per_s is None
    assert rcu.counts_per_s == (None, None) and rcu.total == 2
    empty = interrupts_snapshot(None, (None, None), None)
    assert empty.irqs is None and empty.softirqs is None and empty.cpus is None


def test_the_sampler_reads_interrupts_only_when_asked_with_affinity(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=4, processes=3, tick=0)
    write_interrupts(tmp_path, cpus=4, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    try:
        assert sampler.sample().interrupts is not None
        make_tree(tmp_path, cpus=4, processes=3, tick=1)
        write_interrupts(tmp_path, cpus=4, tick=1)
        snapshot = sampler.sample()
        section = snapshot.interrupts
        assert section is not None and section.irqs is not None and section.softirqs is not None
        assert section.cpus == (0, 1, 2, 3) and section.softirq_cpus == (0, 1, 2, 3)
        by_irq = {s.irq: s for s in section.irqs}
        first_nic = next(f for f in fake_irqs(4) if f.name == "eth0-TxRx-0")
        nic = by_irq[str(first_nic.irq)]
        assert nic.counts_per_s == (2500.0, 0.0, 0.0, 0.0) and nic.total_per_s == 2500.0
        assert nic.smp_affinity_list == (0, 1, 2, 3) and nic.effective_affinity_list == (0,)
        assert section.irqs[0].irq == nic.irq  # the busiest first
        assert by_irq["LOC"].smp_affinity_list is None  # no /proc/irq/LOC
        timer = next(s for s in section.softirqs if s.name == "TIMER")
        assert timer.counts_per_s == (250.0, 500.0, 750.0, 250.0)
        # JSON: the section as the README documents it.
        data = snapshot_to_dict(snapshot)["interrupts"]
        json.dumps(data)
        assert set(data) == {"cpus", "irqs", "softirq_cpus", "softirqs"}
        row = next(r for r in data["irqs"] if r["irq"] == nic.irq)
        assert row["name"] == "eth0-TxRx-0" and row["counts_per_s"] == [2500.0, 0.0, 0.0, 0.0]
        assert row["smp_affinity_list"] == [0, 1, 2, 3] and row["effective_affinity_list"] == [0]
        # Not asked: not read (both files closed), and the next read has no baseline.
        held = sampler._files.held
        assert sampler.sample(interrupts=False).interrupts is None
        assert sampler._files.held == held - 2
        again = sampler.sample().interrupts
        assert again is not None and again.irqs is not None
        assert all(s.total_per_s is None for s in again.irqs)
    finally:
        sampler.close()


def test_affinity_is_read_again_every_few_seconds(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=3, tick=0)
    write_interrupts(tmp_path, cpus=2, tick=0)
    clock = SteppingClock()  # one second a reading
    sampler = Sampler(fs, clock=clock)
    path = tmp_path / "proc" / "irq" / "0" / "smp_affinity_list"
    try:
        sampler.sample()
        path.write_text("1\n")
        snapshot = sampler.sample()
        assert snapshot.interrupts is not None and snapshot.interrupts.irqs is not None
        row = next(s for s in snapshot.interrupts.irqs if s.irq == "0")
        assert row.smp_affinity_list == (0, 1)  # cached
        sampler.settings_changed()  # perftop changed a setting: read again at once
        snapshot = sampler.sample()
        assert snapshot.interrupts is not None and snapshot.interrupts.irqs is not None
        row = next(s for s in snapshot.interrupts.irqs if s.irq == "0")
        assert row.smp_affinity_list == (1,)
        path.write_text("0\n")
        clock.now += IRQ_AFFINITY_SECONDS
        snapshot = sampler.sample()
        assert snapshot.interrupts is not None and snapshot.interrupts.irqs is not None
        row = next(s for s in snapshot.interrupts.irqs if s.irq == "0")
        assert row.smp_affinity_list == (0,)
    finally:
        sampler.close()


@pytest.mark.live
def test_proc_interrupts_sums_to_proc_stat_intr_total() -> None:
    # /proc/stat's intr total counts each IRQ and the architecture's interrupts, over every possible CPU;
    # read around /proc/interrupts it bounds that file's sum (a few interrupts come between the reads).
    for _ in range(5):
        before = parse_stat(read_text("/proc/stat") or "")
        text = read_text("/proc/interrupts")
        after = parse_stat(read_text("/proc/stat") or "")
        assert text is not None and before.interrupts is not None and after.interrupts is not None
        parsed = parse_interrupts(text)
        assert parsed is not None
        if before.interrupts <= parsed.stat_total <= after.interrupts:
            return
        slack = max(50, (after.interrupts - before.interrupts) * 2)
        if before.interrupts - slack <= parsed.stat_total <= after.interrupts + slack:
            return
    pytest.fail(f"sum {parsed.stat_total} not between {before.interrupts} and {after.interrupts}")


@pytest.mark.machine  # reads the IRQ affinities test_irq_tuning changes
@pytest.mark.live
def test_this_machine_has_affinity_for_its_irqs() -> None:
    parsed = parse_interrupts(read_text("/proc/interrupts") or "")
    assert parsed is not None
    affinities = read_affinities(FS(), parsed)
    numbered = [r.irq for r in parsed.rows if r.numbered and os.path.isdir(f"/proc/irq/{r.irq}")]
    assert numbered and set(numbered) <= set(affinities)
    online = set(range(os.cpu_count() or 1))
    for irq in numbered:
        smp = affinities[irq].smp_affinity_list
        assert smp is not None and set(smp) <= online | set(smp)

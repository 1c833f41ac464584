"""The memory pane's probe: the rest of meminfo, /proc/vmstat with rates, THP, the OOM figures, and what
the sampler reads with and without ``memory`` (the pane shown or hidden); checked against free and raw reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.memory import (
    HISTORY_COUNTERS,
    VMSTAT_COUNTERS,
    memory_snapshot,
    paging_figures,
    parse_meminfo,
    parse_vmstat,
    parse_vmstat_history,
    read_thp,
    vmstat_counter,
)
from perftop.probes.sampler import Sampler, read_oom
from testbed.fixture_tree import SteppingClock, make_tree, write_memory
from tests.test_memory_probe import parse_free

# ../shared of the repository; a worktree under /work/wt finds it at /work/shared.
CAPTURES = next(
    (
        path
        for path in (
            Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs",
            Path("/work/shared/fixtures/procfs"),
        )
        if path.is_dir()
    ),
    Path("/nonexistent"),
)
KIB = 1024
MIB = 1024 * KIB

VMSTAT = """\
nr_free_pages 123456
pgpgin 8817229
pgpgout 34198804
pswpin 12
pswpout 34
allocstall_dma 0
allocstall_dma32 1
allocstall_normal 5
allocstall_movable 2
pgfree 66117140
pgfault 59067368
pgmajfault 14571
pgsteal_kswapd 900
pgsteal_direct 10
pgscan_kswapd 1000
pgscan_direct 20
pgscan_direct_throttle 7
oom_kill 3
compact_stall 4
thp_fault_alloc 50
thp_fault_fallback 6
thp_collapse_alloc 8
thp_collapse_alloc_failed 1
"""

# A 4.4 kernel: reclaim and allocation stalls counted per zone, no oom_kill yet.
OLD_VMSTAT = """\
pgscan_kswapd_dma 1
pgscan_kswapd_dma32 100
pgscan_kswapd_normal 1000
pgscan_kswapd_movable 0
pgscan_direct_dma32 5
pgscan_direct_normal 50
pgscan_direct_throttle 9
pgsteal_kswapd_normal 800
allocstall 17
"""


# --- parsers ------------------------------------------------------------------------------------------------


def test_parse_vmstat_reads_every_counter() -> None:
    vmstat = parse_vmstat(VMSTAT)
    assert len(vmstat) == VMSTAT.count("\n")
    assert vmstat["pgfault"] == 59067368 and vmstat["nr_free_pages"] == 123456
    assert {name: vmstat_counter(vmstat, name) for name in VMSTAT_COUNTERS} == {
        "pgfault": 59067368,
        "pgmajfault": 14571,
        "pgpgin": 8817229,
        "pgpgout": 34198804,
        "pswpin": 12,
        "pswpout": 34,
        "pgfree": 66117140,
        "pgscan_kswapd": 1000,
        "pgscan_direct": 20,  # pgscan_direct_throttle is another counter
        "pgsteal_kswapd": 900,
        "pgsteal_direct": 10,
        "allocstall": 8,  # summed over the zones
        "compact_stall": 4,
        "oom_kill": 3,
        "thp_fault_alloc": 50,
        "thp_fault_fallback": 6,
        "thp_collapse_alloc": 8,
        "thp_collapse_alloc_failed": 1,
    }


def test_per_zone_counters_of_an_old_kernel_are_summed() -> None:
    vmstat = parse_vmstat(OLD_VMSTAT)
    assert vmstat_counter(vmstat, "pgscan_kswapd") == 1101
    assert vmstat_counter(vmstat, "pgscan_direct") == 55  # not the throttle counter
    assert vmstat_counter(vmstat, "pgsteal_kswapd") == 800
    assert vmstat_counter(vmstat, "allocstall") == 17
    assert vmstat_counter(vmstat, "oom_kill") is None  # absent: unknown, not 0
    figures = paging_figures(None, vmstat, None)
    assert "oom_kill" not in figures and figures["pgscan_kswapd"] == 1101


def test_parse_vmstat_skips_garbled_and_truncated_lines() -> None:
    text = (
        "pgfault 10\n"
        "pgmajfault abc\n"  # not a number
        "pgfree -5\n"  # negative
        "pswpin 1 2\n"  # two values
        "pgpgin 99999999999999999999\n"  # wider than a u64
        "PGPGOUT 5\n"  # not the kernel's lowercase
        "pswpout\n"  # no value
        "oom_kill 7\n"
        "pgscan_kswapd 1"  # the last line cut short, still whole
    )
    assert parse_vmstat(text) == {"pgfault": 10, "oom_kill": 7, "pgscan_kswapd": 1}
    assert parse_vmstat("") == {} and parse_vmstat("\x00\xff garbage") == {}
    assert parse_vmstat("pgfault 18446744073709551615\n") == {"pgfault": 18446744073709551615}


def test_the_history_parse_gives_the_full_parses_values() -> None:
    for text in (VMSTAT, OLD_VMSTAT, Path("/proc/vmstat").read_text()):
        full, history = parse_vmstat(text), parse_vmstat_history(text)
        assert set(history) <= set(full)
        assert all(full[name] == value for name, value in history.items())
        for name in HISTORY_COUNTERS:
            assert vmstat_counter(history, name) == vmstat_counter(full, name)
    assert "pgfault" not in parse_vmstat_history(VMSTAT)  # only what the histories need


@pytest.mark.skipif(not (CAPTURES / "sys").is_dir(), reason="no shared procfs captures")
def test_parse_vmstat_and_meminfo_of_real_captures() -> None:
    nodes = sorted((CAPTURES / "sys" / "devices" / "system" / "node").glob("node*/vmstat"))
    assert nodes
    for path in nodes:
        text = path.read_text()
        vmstat = parse_vmstat(text)
        assert len(vmstat) == len([line for line in text.splitlines() if line.strip()])
    meminfo = parse_meminfo((CAPTURES / "proc" / "meminfo").read_text())
    snap = memory_snapshot(meminfo, full=True)
    assert snap.slab_reclaimable_bytes == 1738124 * KIB
    assert snap.dirty_bytes is not None and snap.hugepages_total == 0
    assert snap.hugepage_size_bytes == meminfo["Hugepagesize"]


def test_meminfo_details_only_when_full() -> None:
    meminfo = parse_meminfo(
        "MemTotal: 1000 kB\nSUnreclaim: 30 kB\nDirty: 4 kB\nWriteback: 0 kB\nHugePages_Rsvd: 2\n"
        "HugePages_Surp: 1\nHugepagesize: 2048 kB\nAnonHugePages: 8192 kB\n"
    )
    lean = memory_snapshot(meminfo)
    assert lean.dirty_bytes is None and lean.thp_enabled is None
    full = memory_snapshot(meminfo, full=True, thp=("madvise", "never"))
    assert (full.dirty_bytes, full.writeback_bytes, full.slab_unreclaimable_bytes) == (4 * KIB, 0, 30 * KIB)
    assert (full.hugepages_rsvd, full.hugepages_surp, full.hugepage_size_bytes) == (2, 1, 2 * MIB)
    assert full.anon_huge_pages_bytes == 8 * MIB
    assert full.slab_reclaimable_bytes is None  # missing: unknown
    assert (full.thp_enabled, full.thp_defrag) == ("madvise", "never")
    assert memory_snapshot(None, full=True).dirty_bytes is None


# --- rates --------------------------------------------------------------------------------------------------


def test_rates_over_the_interval_and_none_when_a_counter_goes_backwards() -> None:
    prev = parse_vmstat(VMSTAT)
    cur = dict(prev, pgfault=prev["pgfault"] + 500, pgmajfault=prev["pgmajfault"] - 1)
    cur.update(pgscan_kswapd=1100, pgscan_direct=20, pgsteal_kswapd=950, pgsteal_direct=10)
    figures = paging_figures(prev, cur, 2.0)
    assert figures["pgfault_per_s"] == 250.0
    assert figures["pgmajfault"] == prev["pgmajfault"] - 1 and figures["pgmajfault_per_s"] is None
    assert figures["pswpin_per_s"] == 0.0
    assert figures["vmeff_percent"] == 50.0  # 50 stolen per 100 scanned
    assert paging_figures(prev, prev, 1.0)["vmeff_percent"] is None  # nothing scanned
    assert paging_figures(None, cur, 1.0)["pgfault_per_s"] is None  # no baseline
    assert paging_figures(prev, cur, 0.0)["pgfault_per_s"] is None
    # A per-zone counter that went backwards in one zone makes the sum go backwards: no rate.
    old = parse_vmstat(OLD_VMSTAT)
    assert paging_figures(old, dict(old, pgscan_kswapd_normal=10), 1.0)["pgscan_kswapd_per_s"] is None


def test_sampler_rates_on_a_tree_and_none_after_a_reset(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=3, tick=0)
    write_memory(tmp_path, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    first = sampler.sample(frozenset())
    assert first.memory.pgfault is not None and first.memory.pgfault_per_s is None
    make_tree(tmp_path, cpus=2, processes=3, tick=1)
    write_memory(tmp_path, tick=1)
    second = sampler.sample(frozenset())
    assert second.memory.pgfault_per_s == second.memory.pgfault - first.memory.pgfault > 0  # 1 s apart
    assert second.memory.thp_enabled == "madvise" and second.memory.dirty_bytes is not None
    vmstat = Path(fs.proc("vmstat"))
    vmstat.write_text(vmstat.read_text().replace(f"pgfault {second.memory.pgfault}\n", "pgfault 5\n"))
    third = sampler.sample(frozenset())
    assert third.memory.pgfault == 5 and third.memory.pgfault_per_s is None
    assert third.memory.pgmajfault_per_s == 0.0
    vmstat.unlink()
    gone = sampler.sample(frozenset())
    assert gone.memory.pgfault is None and gone.memory.pgfault_per_s is None
    assert gone.memory.total_bytes is not None


def test_without_memory_only_the_history_counters_are_read(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=3, tick=0)
    write_memory(tmp_path, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset(), memory=False)
    make_tree(tmp_path, cpus=2, processes=3, tick=1)
    write_memory(tmp_path, tick=1)
    lean = sampler.sample(frozenset(), memory=False)
    m = lean.memory
    assert m.total_bytes is not None and m.used_bytes is not None  # the header's figures
    assert None not in (m.pgmajfault_per_s, m.pgscan_kswapd_per_s, m.pgscan_direct_per_s, m.pswpout_per_s)
    assert m.pgfault is None and m.dirty_bytes is None and m.thp_enabled is None
    # THP files are not even opened while the pane is hidden.
    assert not any("transparent_hugepage" in path for path in sampler._files._files)
    full = sampler.sample(frozenset())
    assert full.memory.pgfault is not None and full.memory.pgfault_per_s is None  # rates from the next
    assert full.memory.pgmajfault_per_s is not None


def test_read_thp(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    assert read_thp(fs) == (None, None)
    thp = tmp_path / "sys" / "kernel" / "mm" / "transparent_hugepage"
    thp.mkdir(parents=True)
    (thp / "enabled").write_text("[always] madvise never\n")
    (thp / "defrag").write_text("")
    assert read_thp(fs) == ("always", None)


# --- agreement with independent tools -----------------------------------------------------------------------


def _raw_vmstat() -> dict[str, int]:
    """``/proc/vmstat`` read the plain way, line by line."""
    out = {}
    for line in Path("/proc/vmstat").read_text().splitlines():
        name, value = line.split()
        out[name] = int(value)
    return out


@pytest.mark.live
def test_vmstat_deltas_agree_with_raw_reads_around_the_interval() -> None:
    sampler = Sampler(FS())
    before = _raw_vmstat()
    first = sampler.sample(frozenset())
    # Fault some pages in (sar -B's fault/s, as vmstat's counters see them).
    block = bytearray(64 * MIB)
    block[:: os.sysconf("SC_PAGE_SIZE")] = b"x" * len(block[:: os.sysconf("SC_PAGE_SIZE")])
    time.sleep(0.3)
    second = sampler.sample(frozenset())
    after = _raw_vmstat()
    del block
    interval = second.interval
    assert interval is not None and interval > 0
    for name in ("pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout", "pgfree", "oom_kill"):
        ours_first, ours_second = getattr(first.memory, name), getattr(second.memory, name)
        assert before[name] <= ours_first <= ours_second <= after[name], name
        per_s = getattr(second.memory, name + "_per_s")
        # The rate is the delta over the interval, and that delta lies within the raw reads around it.
        assert per_s == pytest.approx((ours_second - ours_first) / interval), name
        assert 0 <= per_s * interval <= after[name] - before[name] + 1e-6, name
    assert second.memory.pgfault - first.memory.pgfault >= 16 * MIB // os.sysconf("SC_PAGE_SIZE")


@pytest.mark.live
def test_full_memory_figures_agree_with_free() -> None:
    free = shutil.which("free")
    if free is None:
        pytest.skip("no free(1)")
    sampler = Sampler(FS())
    before = sampler.sample(frozenset()).memory
    rows = parse_free(subprocess.run([free, "-b"], capture_output=True, text=True, check=True).stdout)
    after = sampler.sample(frozenset()).memory
    total, used, free_bytes, shared, buff_cache, available = rows["Mem"]

    def near(theirs: int, ours: list[int | None]) -> bool:
        known = [v for v in ours if v is not None]
        return bool(known) and min(known) - 32 * MIB <= theirs <= max(known) + 32 * MIB

    assert before.total_bytes == total
    assert near(used, [before.used_bytes, after.used_bytes])
    assert near(available, [before.available_bytes, after.available_bytes])
    assert near(free_bytes, [before.free_bytes, after.free_bytes])
    assert near(shared, [before.shared_bytes, after.shared_bytes])
    cache = [
        None if m.buffers_bytes is None or m.cached_bytes is None else m.buffers_bytes + m.cached_bytes
        for m in (before, after)
    ]
    assert near(buff_cache, cache)
    assert near(rows["Swap"][1], [before.swap_used_bytes, after.swap_used_bytes])


# --- OOM figures --------------------------------------------------------------------------------------------


def test_read_oom_on_a_tree(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path)
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "oom_score").write_text("667\n")
    (tmp_path / "42" / "oom_score_adj").write_text("-1000\n")
    assert read_oom(fs, 42) == (667, -1000)
    (tmp_path / "42" / "oom_score_adj").write_text("--5\n")
    (tmp_path / "42" / "oom_score").write_text("99999999999999999999999\n")
    assert read_oom(fs, 42) == (None, None)
    assert read_oom(fs, 43) == (None, None)


def test_oom_columns_of_a_real_child() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # Raising one's own oom_score_adj needs no privilege.
        Path(f"/proc/{child.pid}/oom_score_adj").write_text("500\n")
        sampler = Sampler(FS())
        sampler.sample(frozenset())
        snapshot = sampler.sample(frozenset(), oom_pids={child.pid})
        rows = {p.pid: p for p in snapshot.processes}
        row = rows[child.pid]
        assert row.oom_score_adj == 500
        assert row.oom_score is not None and 500 <= row.oom_score <= 2000
        assert rows[os.getpid()].oom_score is None  # not asked for
        # Not asked for any more: the row no longer carries them, even an idle process's kept row.
        later = {p.pid: p for p in sampler.sample(frozenset()).processes}
        assert later[child.pid].oom_score is None and later[child.pid].oom_score_adj is None
        # None: every process.
        every = sampler.sample(frozenset(), oom_pids=None).processes
        assert all(p.oom_score_adj is not None for p in every if p.pid in (child.pid, os.getpid()))
        # After an action, a reread row shows the new value when the columns are shown.
        Path(f"/proc/{child.pid}/oom_score_adj").write_text("700\n")
        assert sampler.reread([child.pid])[child.pid].oom_score_adj == 700
    finally:
        child.kill()
        child.wait()

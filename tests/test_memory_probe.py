"""Tests for probes/memory.py: parser, free(1)'s arithmetic, reader, real captures and this machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perftop.probes.fs import FS
from perftop.probes.memory import (
    MEMINFO_KEYS,
    memory_snapshot,
    parse_meminfo,
    parse_meminfo_used,
    read_meminfo,
    read_meminfo_used,
)
from perftop.probes.snapshot import MemorySnapshot

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs"
KIB = 1024
MIB = 1024 * KIB

MODERN = """\
MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    5000000 kB
Buffers:          200000 kB
Cached:          3000000 kB
SwapCached:            0 kB
Active(anon):     123456 kB
Shmem:             40000 kB
SReclaimable:     300000 kB
SUnreclaim:        50000 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
HugePages_Total:      16
HugePages_Free:       12
Hugepagesize:       2048 kB
"""

# A 3.10 kernel: no MemAvailable yet.
OLD = """\
MemTotal:        8000000 kB
MemFree:         1000000 kB
Buffers:          200000 kB
Cached:          3000000 kB
Shmem:             40000 kB
SReclaimable:     300000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
"""


def test_parse_meminfo_converts_kb_and_keeps_counts() -> None:
    meminfo = parse_meminfo(MODERN)
    assert meminfo["MemTotal"] == 8000000 * KIB
    assert meminfo["Active(anon)"] == 123456 * KIB
    assert meminfo["Hugepagesize"] == 2048 * KIB
    # HugePages_* are page counts with no unit: kept as written.
    assert meminfo["HugePages_Total"] == 16
    assert meminfo["HugePages_Free"] == 12
    assert len(meminfo) == 15


def test_parse_meminfo_skips_garbled_lines() -> None:
    text = (
        "MemTotal:        1000 kB\n"
        "MemFree:  lots kB\n"
        "NoColon 12 kB\n"
        "Weird:   12 MB\n"
        "Empty:\n"
        ": 12 kB\n"
        "Extra:  1 kB 2\n"
        "\n"
        "Shmem:  7 kB"
    )
    assert parse_meminfo(text) == {"MemTotal": 1000 * KIB, "Shmem": 7 * KIB}
    assert parse_meminfo("") == {}


def _meminfo_by_lines(text: str) -> dict[str, int]:
    """What parse_meminfo must give, read the plain way: each line split into key, value and unit."""
    values: dict[str, int] = {}
    for line in text.split("\n"):
        key, colon, rest = line.partition(":")
        columns = rest.split(" ")
        columns = [c for c in columns if c]
        digits = columns[0] if columns else ""
        # At most 20 digits: a wider number is no 64-bit counter, the line is garbled.
        if (
            colon
            and key
            and 1 <= len(columns) <= 2
            and digits.isascii()
            and digits.isdigit()
            and len(digits) <= 20
        ):
            if len(columns) == 1:
                values[key] = int(columns[0])
            elif columns[1] == "kB":
                values[key] = int(columns[0]) * 1024
    return values


_meminfo_line = st.one_of(
    # The kernel's shapes: a padded key, a value, "kB" or no unit.
    st.builds(
        lambda key, pad, value, unit: f"{key}:{' ' * pad}{value}{unit}",
        st.sampled_from(["MemTotal", "MemFree", "Active(anon)", "HugePages_Total", "DirectMap4k", "X"]),
        st.integers(0, 12),
        st.integers(0, 2**70),
        st.sampled_from([" kB", "", " MB", "  kB"]),
    ),
    # Anything else made of the same characters: garbled or cut lines.
    st.text(alphabet="MemFr:0123456789 kB(x)", max_size=24),
)


@given(st.lists(_meminfo_line, max_size=12))
@settings(max_examples=300, deadline=None)
def test_parse_meminfo_equals_a_line_by_line_reading(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert parse_meminfo(text) == _meminfo_by_lines(text)


def test_parse_meminfo_of_this_machine_equals_a_line_by_line_reading() -> None:
    text = Path("/proc/meminfo").read_text()
    assert parse_meminfo(text) == _meminfo_by_lines(text)
    assert len(parse_meminfo(text)) == text.count("\n")


# --- parse_meminfo_used: the keys perftop uses only ---------------------------------------------------------


def _used_part(meminfo: dict[str, int]) -> dict[str, int]:
    return {key: value for key, value in meminfo.items() if key in MEMINFO_KEYS}


_used_line = st.one_of(
    st.builds(
        lambda key, pad, value, unit: f"{key}:{' ' * pad}{value}{unit}",
        # Every key perftop uses, keys that merely start or end like one, and others.
        st.sampled_from([*MEMINFO_KEYS, "MemTotalX", "XMemFree", "Cached2", "SwapCachedX", "Active(anon)"]),
        st.integers(0, 12),
        st.integers(0, 2**64),
        st.sampled_from([" kB", "", " MB", "  kB", " kB x"]),
    ),
    st.text(alphabet="MemFrCachd:0123456789 kB(x)", max_size=24),
)


@given(st.lists(_used_line, max_size=16))
@settings(max_examples=300, deadline=None)
def test_parse_meminfo_used_gives_parse_meminfos_value_of_every_used_key(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert parse_meminfo_used(text) == _used_part(parse_meminfo(text))


@pytest.mark.parametrize("text", [MODERN, OLD, "MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 300 kB\n", ""])
def test_memory_snapshot_of_the_used_keys_equals_that_of_every_key(text: str) -> None:
    assert memory_snapshot(parse_meminfo_used(text)) == memory_snapshot(parse_meminfo(text))


def test_the_used_keys_of_this_machine(tmp_path: Path) -> None:
    text = Path("/proc/meminfo").read_text()
    used = parse_meminfo_used(text)
    assert used == _used_part(parse_meminfo(text))
    assert memory_snapshot(used) == memory_snapshot(parse_meminfo(text))
    # Every figure the snapshot shows comes out of the restricted parse (none left unknown by it).
    assert {"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SReclaimable", "Shmem"} <= set(used)
    (tmp_path / "meminfo").write_text(text)
    assert read_meminfo_used(FS(procfs=tmp_path)) == used
    assert read_meminfo_used(FS(procfs=tmp_path / "nowhere")) is None


def test_memory_snapshot_with_mem_available() -> None:
    snap = memory_snapshot(parse_meminfo(MODERN))
    assert snap == MemorySnapshot(
        total_bytes=8000000 * KIB,
        free_bytes=1000000 * KIB,
        available_bytes=5000000 * KIB,
        used_bytes=3000000 * KIB,  # MemTotal - MemAvailable
        buffers_bytes=200000 * KIB,
        cached_bytes=3300000 * KIB,  # Cached + SReclaimable
        shared_bytes=40000 * KIB,
        swap_total_bytes=2000000 * KIB,
        swap_free_bytes=1500000 * KIB,
        swap_used_bytes=500000 * KIB,
    )


def test_memory_snapshot_without_mem_available() -> None:
    snap = memory_snapshot(parse_meminfo(OLD))
    assert snap.available_bytes is None  # not estimated: unknown
    # MemTotal - MemFree - Buffers - Cached - SReclaimable
    assert snap.used_bytes == (8000000 - 1000000 - 200000 - 3000000 - 300000) * KIB
    assert snap.cached_bytes == 3300000 * KIB
    assert (snap.swap_total_bytes, snap.swap_used_bytes) == (0, 0)


def test_memory_snapshot_missing_keys_are_none() -> None:
    snap = memory_snapshot(parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 300 kB\n"))
    assert snap.total_bytes == 1000 * KIB and snap.free_bytes == 100 * KIB
    # Neither MemAvailable nor Buffers/SReclaimable: used cannot be computed either way.
    assert snap.used_bytes is None
    assert snap.cached_bytes is None
    assert snap.buffers_bytes is None and snap.shared_bytes is None
    assert snap.swap_total_bytes is None and snap.swap_used_bytes is None

    assert memory_snapshot({"SwapTotal": 10, "MemAvailable": 5}) == MemorySnapshot(
        None, None, 5, None, None, None, None, 10, None, None
    )
    assert memory_snapshot({}) == memory_snapshot(None)


def test_memory_snapshot_of_nothing() -> None:
    assert memory_snapshot(None) == MemorySnapshot(None, None, None, None, None, None, None, None, None, None)


def test_memory_snapshot_container_with_host_mem_available() -> None:
    # lxcfs-style views can show the host's MemAvailable, above the container's MemTotal: procps-ng 4 then
    # counts only MemFree as available, so used is MemTotal - MemFree rather than negative.
    snap = memory_snapshot({"MemTotal": 1000 * KIB, "MemFree": 400 * KIB, "MemAvailable": 9000 * KIB})
    assert snap.used_bytes == 600 * KIB
    assert snap.available_bytes == 9000 * KIB  # the kernel's figure, as read
    # A fallback sum larger than MemTotal (a distorted view again) falls back to MemTotal - MemFree too.
    odd = {"MemTotal": 1000, "MemFree": 400, "Buffers": 300, "Cached": 300, "SReclaimable": 100}
    assert memory_snapshot(odd).used_bytes == 600


def test_read_meminfo(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    assert read_meminfo(fs) is None  # no procfs root at all
    (tmp_path / "proc").mkdir()
    assert read_meminfo(fs) is None  # root without meminfo
    (tmp_path / "proc" / "meminfo").write_text(OLD)
    assert read_meminfo(fs) == parse_meminfo(OLD)
    assert memory_snapshot(read_meminfo(fs)).total_bytes == 8000000 * KIB


def test_real_capture_meminfo() -> None:
    if not (CAPTURES / "proc").is_dir():
        pytest.skip(f"no real captures at {CAPTURES}")
    meminfo = read_meminfo(FS(procfs=CAPTURES / "proc", sysfs=CAPTURES / "sys"))
    assert meminfo is not None
    assert meminfo["MemTotal"] == 15666184 * KIB
    assert meminfo["DirectMap2M"] == 16039936 * KIB
    assert meminfo["HugePages_Total"] == 0
    assert "MemAvailable" not in meminfo
    snap = memory_snapshot(meminfo)
    assert snap.available_bytes is None
    # The capture predates MemAvailable: MemTotal - MemFree - Buffers - Cached - SReclaimable.
    assert snap.used_bytes == (15666184 - 440324 - 1020128 - 12007640 - 1738124) * KIB
    assert snap.cached_bytes == (12007640 + 1738124) * KIB
    assert snap.buffers_bytes == 1020128 * KIB
    assert snap.shared_bytes == 1308 * KIB
    assert (snap.swap_total_bytes, snap.swap_free_bytes, snap.swap_used_bytes) == (0, 0, 0)


def test_real_meminfo_total_matches_psutil() -> None:
    meminfo = read_meminfo(FS())
    assert meminfo is not None
    assert meminfo["MemTotal"] == psutil.virtual_memory().total


def parse_free(text: str) -> dict[str, list[int]]:
    """``free -b`` rows by label: ``Mem`` is [total, used, free, shared, buff/cache, available]."""
    rows: dict[str, list[int]] = {}
    for line in text.splitlines()[1:]:
        label, _, numbers = line.partition(":")
        rows[label] = [int(n) for n in numbers.split()]
    return rows


@pytest.mark.live
def test_real_memory_matches_free() -> None:
    free = shutil.which("free")
    if free is None:
        pytest.skip("no free(1)")
    before = memory_snapshot(read_meminfo(FS()))
    rows = parse_free(subprocess.run([free, "-b"], capture_output=True, text=True, check=True).stdout)
    after = memory_snapshot(read_meminfo(FS()))
    total, used, free_bytes, shared, buff_cache, available = rows["Mem"]
    swap_total, swap_used, swap_free = rows["Swap"]

    assert before.total_bytes == total == after.total_bytes
    assert before.swap_total_bytes == swap_total

    # Memory moves between the reads: accept anything within the span of our two reads, plus a margin.
    def near(field: str, theirs: int) -> bool:
        ours = [getattr(before, field), getattr(after, field)]
        return min(ours) - 32 * MIB <= theirs <= max(ours) + 32 * MIB

    assert near("used_bytes", used)
    assert near("free_bytes", free_bytes)
    assert near("shared_bytes", shared)
    assert near("available_bytes", available)
    assert near("swap_used_bytes", swap_used)
    assert near("swap_free_bytes", swap_free)
    assert before.buffers_bytes is not None and before.cached_bytes is not None
    assert abs(before.buffers_bytes + before.cached_bytes - buff_cache) <= 32 * MIB

"""Tests for probes/disks.py: the diskstats layouts, sysfs queue settings, iostat's arithmetic (checked
against iostat itself where it is installed), real captures, and this machine's disks."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.disks import (
    SECTOR_BYTES,
    DiskCounters,
    DiskInfo,
    DiskStats,
    disk_rates,
    is_partition,
    parse_diskstats,
    parse_scheduler,
    read_disk_info,
    read_disks_info,
    read_diskstats,
    whole_disk_of,
)
from perftop.probes.fs import FS

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs"

# --- parse_diskstats --------------------------------------------------------------------------------------

LINE_14 = "   8       0 sda 1001 22 30003 404 5005 66 70007 808 3 9009 10010"
LINE_18 = " 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"
LINE_20 = " 254       0 vda 56494 10715 1739978 16459 287460 124266 3744984 61661 0 75840 115878 264184 62 2173888 37742 180 15"  # noqa: E501
LINE_OLD_PARTITION = "   3       1 hda1 35486 38030 38030 38030"


def test_parse_14_field_line() -> None:
    disk = parse_diskstats(LINE_14 + "\n")["sda"]
    assert disk == DiskCounters(
        major=8,
        minor=0,
        name="sda",
        reads_completed=1001,
        reads_merged=22,
        read_sectors=30003,
        read_time_ms=404,
        writes_completed=5005,
        writes_merged=66,
        written_sectors=70007,
        write_time_ms=808,
        in_flight=3,
        io_time_ms=9009,
        weighted_io_time_ms=10010,
    )
    # A 14-field kernel (before 4.18) has no discard or flush counters: unknown, not zero.
    assert disk.discards_completed is None and disk.discard_time_ms is None and disk.flushes_completed is None


def test_parse_18_field_line_has_discards_but_no_flushes() -> None:
    disk = parse_diskstats(LINE_18)["nvme0n1"]
    assert (disk.reads_completed, disk.weighted_io_time_ms) == (1, 11)
    assert (disk.discards_completed, disk.discards_merged, disk.discarded_sectors, disk.discard_time_ms) == (
        12,
        13,
        14,
        15,
    )
    assert disk.flushes_completed is None and disk.flush_time_ms is None


def test_parse_20_field_line() -> None:
    disk = parse_diskstats(LINE_20)["vda"]
    assert (disk.major, disk.minor) == (254, 0)
    assert (disk.reads_completed, disk.reads_merged, disk.read_sectors, disk.read_time_ms) == (
        56494,
        10715,
        1739978,
        16459,
    )
    assert (disk.writes_completed, disk.writes_merged, disk.written_sectors, disk.write_time_ms) == (
        287460,
        124266,
        3744984,
        61661,
    )
    assert (disk.in_flight, disk.io_time_ms, disk.weighted_io_time_ms) == (0, 75840, 115878)
    assert (disk.discards_completed, disk.discards_merged, disk.discarded_sectors, disk.discard_time_ms) == (
        264184,
        62,
        2173888,
        37742,
    )
    assert (disk.flushes_completed, disk.flush_time_ms) == (180, 15)


def test_parse_old_seven_field_partition_line() -> None:
    whole = "   3    0 hda 446216 784926 9550688 4382310 424847 312726 5922052 19310380 0 3376340 23705160"
    disks = parse_diskstats(f"{whole}\n{LINE_OLD_PARTITION}\n")
    part = disks["hda1"]
    # Before 2.6.25 a partition line held reads issued, sectors read, writes issued, sectors written.
    assert (part.reads_completed, part.read_sectors, part.writes_completed, part.written_sectors) == (
        35486,
        38030,
        38030,
        38030,
    )
    assert part.reads_merged is None and part.read_time_ms is None and part.io_time_ms is None
    assert part.in_flight is None and part.weighted_io_time_ms is None
    assert disks["hda"].weighted_io_time_ms == 23705160


def test_parse_skips_truncated_and_garbled_lines() -> None:
    text = "\n".join(
        [
            LINE_14,
            "   8      32 sdc 1 2 3 4 5 6",  # 9 fields
            "   8      33 sdc1 1 2 3 4 5 6 7 8 9 10",  # 13 fields: one classic counter short
            "   8      48 sdd 1 2 x 4 5 6 7 8 9 10 11",  # garbled number
            "   8      64 sde 1 2 -3 4 5 6 7 8 9 10 11",  # the kernel's counters are unsigned
            "   8  eighty sdf 1 2 3 4 5 6 7 8 9 10 11",  # garbled minor
            "",
            "   8",
            "   8       0 sda 9 9 9 9 9 9 9 9 9 9 9",  # a repeated name keeps its first line
            "   8     112 sdh 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",  # a newer kernel's extras
            " 179       0 mmcblk0 192 3 1560 156 0 0 0 0 0 136 156",  # no trailing newline
        ]
    )
    disks = parse_diskstats(text)
    assert list(disks) == ["sda", "sdh", "mmcblk0"]
    assert disks["sda"].reads_completed == 1001
    assert (disks["sdh"].flushes_completed, disks["sdh"].flush_time_ms) == (16, 17)
    assert disks["mmcblk0"].weighted_io_time_ms == 156


@pytest.mark.parametrize("count", [15, 16, 17, 19])
def test_lines_of_other_field_counts_keep_the_counters_they_hold_whole(count: int) -> None:
    # iostat reads every line with the 11 classic counters; discards need all 4 fields, flushes both.
    line = "   8      16 sdb " + " ".join(str(100 + n) for n in range(count - 3))
    (disk,) = parse_diskstats(line + "\n").values()
    assert (disk.name, disk.reads_completed, disk.weighted_io_time_ms) == ("sdb", 100, 110)
    discards = (disk.discards_completed, disk.discards_merged, disk.discarded_sectors, disk.discard_time_ms)
    assert discards == ((111, 112, 113, 114) if count >= 18 else (None,) * 4)
    assert (disk.flushes_completed, disk.flush_time_ms) == (None, None)
    (row,) = disk_rates(None, {"sdb": disk}, None)
    assert row.read_bytes == 102 * SECTOR_BYTES and row.d_per_s is None


def test_parse_empty() -> None:
    assert parse_diskstats("") == {}


@pytest.mark.parametrize(
    ("text", "active", "available"),
    [
        ("none [mq-deadline] kyber bfq\n", "mq-deadline", ("none", "mq-deadline", "kyber", "bfq")),
        ("[none] mq-deadline\n", "none", ("none", "mq-deadline")),
        ("noop deadline [cfq] \n", "cfq", ("noop", "deadline", "cfq")),
        ("none\n", "none", ("none",)),  # a lone name without brackets is the only, active one
        ("mq-deadline kyber\n", None, ("mq-deadline", "kyber")),  # no brackets, several names: unknown
        ("", None, ()),
    ],
)
def test_parse_scheduler(text: str, active: str | None, available: tuple[str, ...]) -> None:
    assert parse_scheduler(text) == (active, available)


# --- disk_rates: iostat -x arithmetic ----------------------------------------------------------------------


def counters(line: str) -> DiskCounters:
    (disk,) = parse_diskstats(line).values()
    return disk


PREV = counters(" 8 0 sda 1000 100 80000 500 2000 300 160000 4000 2 6000 9000 50 5 40000 100 20 30")
CUR = counters(" 8 0 sda 2234 156 178765 4821 4345 978 283457 12765 1 13777 21345 62 8 44096 140 27 51")


def test_rates_follow_iostat_formulas() -> None:
    (disk,) = disk_rates({"sda": PREV}, {"sda": CUR}, 10.0)
    # iostat: S_VALUE(prev, cur, itv) is (cur - prev) / seconds; awaits and %rrqm are over requests.
    assert disk.r_per_s == pytest.approx(123.4)
    assert disk.w_per_s == pytest.approx(234.5)
    assert disk.read_bytes_per_s == pytest.approx(98765 * 512 / 10)
    assert disk.written_bytes_per_s == pytest.approx(123457 * 512 / 10)
    assert disk.rrqm_per_s == pytest.approx(5.6)
    assert disk.wrqm_per_s == pytest.approx(67.8)
    assert disk.rrqm_percent == pytest.approx(56 / (56 + 1234) * 100)
    assert disk.wrqm_percent == pytest.approx(678 / (678 + 2345) * 100)
    assert disk.r_await_ms == pytest.approx(4321 / 1234)
    assert disk.w_await_ms == pytest.approx(8765 / 2345)
    assert disk.r_areq_bytes == pytest.approx(98765 * 512 / 1234)
    assert disk.w_areq_bytes == pytest.approx(123457 * 512 / 2345)
    assert disk.aqu_sz == pytest.approx(12345 / 10000)
    assert disk.util_percent == pytest.approx(77.77)
    assert disk.d_per_s == pytest.approx(1.2)
    assert disk.discarded_bytes_per_s == pytest.approx(4096 * 512 / 10)
    assert disk.drqm_per_s == pytest.approx(0.3)
    assert disk.drqm_percent == pytest.approx(3 / 15 * 100)
    assert disk.d_await_ms == pytest.approx(40 / 12)
    assert disk.d_areq_bytes == pytest.approx(4096 * 512 / 12)
    assert disk.f_per_s == pytest.approx(0.7)
    assert disk.f_await_ms == pytest.approx(21 / 7)
    # Counters are shown as of the current sample, sectors as bytes; in_flight is a gauge.
    assert (disk.read_bytes, disk.written_bytes) == (178765 * 512, 283457 * 512)
    assert (disk.discarded_bytes, disk.in_flight) == (44096 * 512, 1)
    assert (disk.io_time_ms, disk.weighted_io_time_ms, disk.flushes_completed) == (13777, 21345, 27)


def test_idle_interval_gives_zero_awaits_as_iostat() -> None:
    (disk,) = disk_rates({"sda": PREV}, {"sda": PREV}, 2.0)
    assert disk.r_per_s == disk.w_per_s == disk.util_percent == disk.aqu_sz == 0.0
    # No request completed: iostat prints 0.00 for the per-request figures rather than dividing by zero.
    assert disk.r_await_ms == disk.w_await_ms == disk.d_await_ms == disk.f_await_ms == 0.0
    assert disk.rrqm_percent == disk.wrqm_percent == disk.drqm_percent == 0.0
    assert disk.r_areq_bytes == disk.w_areq_bytes == 0.0


def rate_fields(disk: DiskStats) -> dict[str, object]:
    names = [f.name for f in dataclasses.fields(DiskStats)]
    first, last = names.index("r_per_s"), names.index("f_await_ms")
    return {name: getattr(disk, name) for name in names[first : last + 1]}


def test_reregistered_disk_with_smaller_counters_has_no_rates() -> None:
    fresh = counters(" 8 0 sda 10 0 80 1 5 0 40 2 0 3 3 0 0 0 0 0 0")
    (disk,) = disk_rates({"sda": PREV}, {"sda": fresh}, 1.0)
    assert set(rate_fields(disk).values()) == {None}
    assert disk.reads_completed == 10  # the counters themselves are still shown

    # One counter going backwards is enough (a wrapped 32-bit field, a reset).
    one_back = dataclasses.replace(CUR, io_time_ms=PREV.io_time_ms - 1)
    (disk,) = disk_rates({"sda": PREV}, {"sda": one_back}, 1.0)
    assert set(rate_fields(disk).values()) == {None}

    # The same name on another device number is another device.
    moved = dataclasses.replace(CUR, minor=16)
    (disk,) = disk_rates({"sda": PREV}, {"sda": moved}, 1.0)
    assert set(rate_fields(disk).values()) == {None}


def test_in_flight_falling_is_not_a_reset() -> None:
    (disk,) = disk_rates({"sda": PREV}, {"sda": dataclasses.replace(CUR, in_flight=0)}, 10.0)
    assert disk.r_per_s == pytest.approx(123.4)


def test_no_baseline_new_device_and_bad_interval() -> None:
    (disk,) = disk_rates(None, {"sda": CUR}, None)
    assert set(rate_fields(disk).values()) == {None}
    new = dataclasses.replace(CUR, name="sdb", minor=16)
    old, added = disk_rates({"sda": PREV}, {"sda": CUR, "sdb": new}, 10.0)
    assert old.r_per_s == pytest.approx(123.4)
    assert added.name == "sdb" and added.r_per_s is None
    for elapsed in (0.0, -1.0, None):
        (disk,) = disk_rates({"sda": PREV}, {"sda": CUR}, elapsed)
        assert disk.r_per_s is None
    assert disk_rates({"sda": PREV}, None, 1.0) == ()


def test_old_layouts_give_rates_only_where_they_have_counters() -> None:
    prev = counters("   3       1 hda1 100 800 50 400")
    cur = counters("   3       1 hda1 150 1200 70 720")
    (part,) = disk_rates({"hda1": prev}, {"hda1": cur}, 2.0)
    assert part.r_per_s == 25.0 and part.w_per_s == 10.0
    assert part.read_bytes_per_s == 400 * 512 / 2 and part.written_bytes_per_s == 320 * 512 / 2
    assert part.r_areq_bytes == 400 * 512 / 50
    assert part.r_await_ms is None and part.util_percent is None and part.aqu_sz is None
    assert part.rrqm_per_s is None and part.rrqm_percent is None

    old = counters(LINE_14)
    assert old.read_time_ms is not None
    newer = dataclasses.replace(
        old, reads_completed=old.reads_completed + 10, read_time_ms=old.read_time_ms + 30
    )
    (disk,) = disk_rates({"sda": old}, {"sda": newer}, 1.0)
    assert disk.r_per_s == 10.0 and disk.r_await_ms == 3.0
    assert disk.d_per_s is None and disk.f_per_s is None and disk.f_await_ms is None


COUNTER_NAMES = [f.name for f in dataclasses.fields(DiskCounters)][3:]


@given(
    base=st.lists(st.integers(0, 2**40), min_size=17, max_size=17),
    steps=st.lists(st.integers(-5, 10**6), min_size=17, max_size=17),
    elapsed=st.floats(0.01, 1000.0),
)
def test_rates_are_none_exactly_when_a_counter_went_backwards(
    base: list[int], steps: list[int], elapsed: float
) -> None:
    prev = DiskCounters(8, 0, "sda", *base)
    cur = DiskCounters(8, 0, "sda", *(max(0, b + s) for b, s in zip(base, steps, strict=True)))
    (disk,) = disk_rates({"sda": prev}, {"sda": cur}, elapsed)
    backwards = any(getattr(cur, name) < getattr(prev, name) for name in COUNTER_NAMES if name != "in_flight")
    values = rate_fields(disk).values()
    if backwards:
        assert set(values) == {None}
    else:
        assert all(v is not None and v >= 0 for v in values)
        assert disk.r_per_s == pytest.approx((cur.reads_completed - prev.reads_completed) / elapsed)
        assert disk.util_percent == pytest.approx((cur.io_time_ms - prev.io_time_ms) / elapsed / 10)


# --- iostat itself as the oracle ---------------------------------------------------------------------------


def _open_fifo_for_writing(path: Path, proc: subprocess.Popen[str], deadline: float) -> int:
    """Open ``path`` once iostat opens it for reading (ENXIO until then); fail if iostat died."""
    while True:
        try:
            return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise
        if proc.poll() is not None:
            _, stderr = proc.communicate()
            if "mount" in stderr or "unshare" in stderr:  # no CAP_SYS_ADMIN here (a container)
                pytest.skip(f"cannot bind-mount captures for iostat: {stderr.strip()}")
            pytest.fail(f"iostat exited before reading the captures: {stderr.strip()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("iostat never read the capture")
        time.sleep(0.005)


def iostat_on_captures(tmp_path: Path, device: str, samples: list[tuple[str, str]]) -> dict[str, float]:
    """Run ``iostat -x -y DEV 1 1`` on two captures fed to it as /sys/block/DEV/stat and /proc/uptime.

    iostat reads those two files once per sample; each is a FIFO bind-mounted over the real file in a
    private mount namespace, so iostat sees exactly the captures, in order, whatever the timing.
    """
    stat_fifo, uptime_fifo = tmp_path / "stat", tmp_path / "uptime"
    os.mkfifo(stat_fifo)
    os.mkfifo(uptime_fifo)
    script = (
        'mount --bind "$1" "/sys/block/$3/stat" && mount --bind "$2" /proc/uptime && '
        'exec iostat -x -d -k -y -o JSON "$3" 1 1'
    )
    proc = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(stat_fifo),
         str(uptime_fifo), device],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LC_ALL": "C", "S_COLORS": "never"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    try:
        for uptime, stat in samples:
            for path, text in ((uptime_fifo, uptime), (stat_fifo, stat)):
                fd = _open_fifo_for_writing(path, proc, deadline)
                try:
                    os.write(fd, text.encode())
                finally:
                    os.close(fd)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    (disk,) = report["sysstat"]["hosts"][0]["statistics"][0]["disk"]
    assert disk["disk_device"] == device
    return disk


def _sys_stat_line(line: str) -> str:
    """The /sys/block/DEV/stat form of a diskstats line: the counters without major, minor and name."""
    return " ".join(line.split()[3:]) + "\n"


@pytest.mark.live
@pytest.mark.parametrize(
    ("prev_line", "cur_line", "seconds"),
    [
        (
            " 8 0 sda 1000 100 80000 500 2000 300 160000 4000 2 6000 9000 50 5 40000 100 20 30",
            " 8 0 sda 2234 156 178765 4821 4345 978 283457 12765 1 13777 21345 62 8 44096 140 27 51",
            10.0,
        ),
        # Reads but no writes, discards or flushes: iostat's zero-request branches.
        (
            " 8 0 sda 500 0 4000 90 7000 10 90000 700 0 800 900 0 0 0 0 0 0",
            " 8 0 sda 533 7 4264 123 7000 10 90000 700 0 891 1003 0 0 0 0 0 0",
            2.5,
        ),
    ],
    ids=["busy", "reads-only"],
)
def test_rates_equal_iostat_on_the_same_captures(
    tmp_path: Path, prev_line: str, cur_line: str, seconds: float
) -> None:
    if os.geteuid() != 0 or not shutil.which("iostat") or not shutil.which("unshare"):
        pytest.skip("needs root, iostat (sysstat) and unshare to feed iostat captures")
    devices = sorted(d for d in os.listdir("/sys/block") if os.path.exists(f"/sys/block/{d}/stat"))
    if not devices:
        pytest.skip("no block device with a stat file to stand in for")
    uptime0 = 5000.0
    iostat = iostat_on_captures(
        tmp_path,
        devices[0],
        [
            (f"{uptime0:.2f} 1.00\n", _sys_stat_line(prev_line)),
            (f"{uptime0 + seconds:.2f} 1.00\n", _sys_stat_line(cur_line)),
        ],
    )
    (disk,) = disk_rates({"sda": counters(prev_line)}, {"sda": counters(cur_line)}, seconds)
    kib = 1024
    ours = {
        "r/s": disk.r_per_s,
        "w/s": disk.w_per_s,
        "rkB/s": disk.read_bytes_per_s / kib,
        "wkB/s": disk.written_bytes_per_s / kib,
        "rrqm/s": disk.rrqm_per_s,
        "wrqm/s": disk.wrqm_per_s,
        "rrqm": disk.rrqm_percent,
        "wrqm": disk.wrqm_percent,
        "r_await": disk.r_await_ms,
        "w_await": disk.w_await_ms,
        "rareq-sz": disk.r_areq_bytes / kib,
        "wareq-sz": disk.w_areq_bytes / kib,
        "aqu-sz": disk.aqu_sz,
        "util": disk.util_percent,
        "d/s": disk.d_per_s,
        "dkB/s": disk.discarded_bytes_per_s / kib,
        "drqm/s": disk.drqm_per_s,
        "drqm": disk.drqm_percent,
        "d_await": disk.d_await_ms,
        "dareq-sz": disk.d_areq_bytes / kib,
        "f/s": disk.f_per_s,
        "f_await": disk.f_await_ms,
    }
    for key, value in ours.items():
        # iostat prints two decimals.
        assert value == pytest.approx(iostat[key], abs=0.0051), key


# --- readers on fixture trees ------------------------------------------------------------------------------

SDA_PATH = "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
TREE_DISKSTATS = """\
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 40 0 320 8 0 0 0 0 0 8 8 0 0 0 0 0 0
   8       0 sda 1000 100 80000 500 2000 300 160000 4000 2 6000 9000 50 5 40000 100 20 30
   8       1 sda1 900 100 70000 450 1900 300 150000 3900 2 5900 8800 50 5 40000 100 0 0
 104       0 cciss/c0d0 10 0 80 1 0 0 0 0 0 1 1
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
"""


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), link)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_block_tree(root: Path) -> FS:
    """A procfs/sysfs pair laid out as the kernel does: devices under ``devices/``, linked from ``block/``,
    ``class/block/`` (partitions too) and ``dev/block/MAJ:MIN``."""
    proc, sys = root / "proc", root / "sys"
    _write(proc / "diskstats", TREE_DISKSTATS)
    devices = {
        "sda": (sys / SDA_PATH, "8:0"),
        "sda1": (sys / SDA_PATH / "sda1", "8:1"),
        "cciss!c0d0": (sys / "devices/pci0000:00/0000:00:03.0/cciss0/c0d0/block/cciss!c0d0", "104:0"),
        "zram0": (sys / "devices/virtual/block/zram0", "253:0"),
        "loop0": (sys / "devices/virtual/block/loop0", "7:0"),
        "loop1": (sys / "devices/virtual/block/loop1", "7:1"),
    }
    for name, (path, dev) in devices.items():
        _write(path / "dev", dev + "\n")
        _link(sys / "class" / "block" / name, path)
        _link(sys / "dev" / "block" / dev, path)
        if name != "sda1":
            _link(sys / "block" / name, path)
    _write(sys / SDA_PATH / "sda1" / "partition", "1\n")
    queue = sys / SDA_PATH / "queue"
    _write(queue / "scheduler", "mq-deadline kyber [bfq] none\n")
    _write(queue / "rotational", "1\n")
    _write(queue / "read_ahead_kb", "128\n")
    _write(queue / "nr_requests", "64\n")
    cciss = devices["cciss!c0d0"][0] / "queue"
    _write(cciss / "scheduler", "noop deadline [cfq]\n")
    _write(cciss / "rotational", "garbage\n")
    # zram has a queue but no scheduler file.
    _write(devices["zram0"][0] / "queue" / "rotational", "0\n")
    _write(devices["zram0"][0] / "queue" / "read_ahead_kb", "128\n")
    for loop in ("loop0", "loop1"):
        _write(devices[loop][0] / "queue" / "scheduler", "[none] mq-deadline\n")
    return FS(procfs=proc, sysfs=sys)


def test_readers_on_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_block_tree(tmp_path)
    disks = read_diskstats(fs)
    assert disks is not None
    assert list(disks) == ["loop0", "loop1", "sda", "sda1", "cciss/c0d0", "zram0"]
    assert read_disk_info(fs, "sda") == DiskInfo(
        scheduler="bfq",
        schedulers=("mq-deadline", "kyber", "bfq", "none"),
        rotational=True,
        read_ahead_kb=128,
        nr_requests=64,
        is_partition=False,
    )
    # A partition has no queue of its own: it shows its disk's.
    assert read_disk_info(fs, "sda1") == dataclasses.replace(read_disk_info(fs, "sda"), is_partition=True)
    zram = read_disk_info(fs, "zram0")
    assert zram.scheduler is None and zram.schedulers is None
    assert zram.rotational is False and zram.read_ahead_kb == 128 and zram.nr_requests is None
    cciss = read_disk_info(fs, "cciss/c0d0")  # '/' in diskstats is '!' in sysfs
    assert cciss.scheduler == "cfq" and cciss.rotational is None
    assert is_partition(fs, "sda1") and not is_partition(fs, "sda") and not is_partition(fs, "nosuch")
    assert read_disk_info(fs, "nosuch") == DiskInfo(None, None, None, None, None, False)


def test_disk_rates_with_sysfs_info_and_default_visibility(tmp_path: Path) -> None:
    fs = make_block_tree(tmp_path)
    cur = read_diskstats(fs)
    assert cur is not None
    stats = {d.name: d for d in disk_rates(None, cur, None, read_disks_info(fs, cur))}
    assert stats["sda"].scheduler == "bfq" and stats["sda"].rotational is True
    assert stats["sda1"].is_partition and stats["zram0"].scheduler is None
    hidden = {name for name, disk in stats.items() if disk.hidden_by_default}
    # Partitions, and loop/ram/zram devices that never did IO; a used loop device stays visible.
    assert hidden == {"sda1", "loop0", "zram0"}


def test_whole_disk_of_device_numbers(tmp_path: Path) -> None:
    fs = make_block_tree(tmp_path)
    assert whole_disk_of(fs, os.makedev(8, 0)) == "sda"
    assert whole_disk_of(fs, os.makedev(8, 1)) == "sda"  # a partition resolves to its disk
    assert whole_disk_of(fs, os.makedev(104, 0)) == "cciss/c0d0"
    assert whole_disk_of(fs, os.makedev(253, 0)) == "zram0"
    assert whole_disk_of(fs, os.makedev(0, 45)) is None  # tmpfs, overlay: anonymous device numbers
    assert whole_disk_of(fs, os.makedev(8, 99)) is None


def test_missing_files_give_none(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    assert read_diskstats(fs) is None
    assert read_disks_info(fs, ["sda"]) == {"sda": DiskInfo(None, None, None, None, None, False)}
    assert whole_disk_of(fs, os.makedev(8, 0)) is None


# --- real captures (../shared/fixtures/procfs) -------------------------------------------------------------


@pytest.fixture
def captures() -> FS:
    if not (CAPTURES / "proc" / "diskstats").exists():
        pytest.skip("../shared/fixtures/procfs is absent")
    return FS(procfs=CAPTURES / "proc", sysfs=CAPTURES / "sys")


def test_captured_diskstats(captures: FS) -> None:
    disks = read_diskstats(captures)
    assert disks is not None
    sda = disks["sda"]
    assert (sda.reads_completed, sda.reads_merged, sda.read_sectors, sda.read_time_ms) == (
        25354637,
        34367663,
        1003346126,
        18492372,
    )
    assert (sda.io_time_ms, sda.weighted_io_time_ms, sda.discards_completed) == (9653880, 82621804, None)
    sdb = disks["sdb"]  # 18 fields
    assert (sdb.discards_completed, sdb.discarded_sectors, sdb.discard_time_ms) == (68851, 1925173784, 11130)
    assert sdb.flushes_completed is None
    sdc = disks["sdc"]  # 20 fields
    assert (sdc.flushes_completed, sdc.flush_time_ms) == (127, 182)
    assert disks["nvme0n1p2"].written_sectors == 39451632
    assert disks["dm-0"].weighted_io_time_ms == 1206301256
    assert sum(name.startswith("ram") for name in disks) == 16
    stats = {d.name: d for d in disk_rates(None, disks, None)}
    assert stats["sda"].read_bytes == 1003346126 * SECTOR_BYTES
    assert stats["ram0"].hidden_by_default and stats["loop7"].hidden_by_default
    assert not stats["fd0"].hidden_by_default


def test_every_captured_disk_is_read_whatever_its_field_count(captures: FS, tmp_path: Path) -> None:
    lines = Path(captures.proc("diskstats")).read_text().splitlines()
    # The capture's discard-capable lines cut to 15, 16 and 17 fields, as some kernels write them.
    cut = [
        " ".join(line.split()[: 15 + n % 3]) if len(line.split()) > 14 else line
        for n, line in enumerate(lines)
    ]
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("\n".join(cut) + "\n")
    disks = read_diskstats(FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys"))
    assert disks is not None and list(disks) == [line.split()[2] for line in lines]
    assert disks["sdb"].weighted_io_time_ms == 67070 and disks["sdb"].discards_completed is None


def test_captured_queue_settings(captures: FS) -> None:
    sda = read_disk_info(captures, "sda")
    assert sda.scheduler == "bfq" and sda.schedulers == ("mq-deadline", "kyber", "bfq", "none")
    assert (sda.rotational, sda.read_ahead_kb, sda.nr_requests) == (True, 128, 64)
    # The capture holds no queue for dm-0: everything unknown, nothing made up.
    dm = read_disk_info(captures, "dm-0")
    assert (dm.scheduler, dm.rotational, dm.nr_requests) == (None, None, None)


# --- this machine ------------------------------------------------------------------------------------------


def _raw_diskstats() -> dict[str, list[int]]:
    """/proc/diskstats read without the probe: name -> the counters after the name."""
    rows: dict[str, list[int]] = {}
    for line in Path("/proc/diskstats").read_text().splitlines():
        columns = line.split()
        rows.setdefault(columns[2], [int(c) for c in columns[3:]])
    return rows


def test_real_counters_lie_between_two_reads() -> None:
    before = _raw_diskstats()
    probed = read_diskstats(FS())
    after = _raw_diskstats()
    assert probed is not None and set(probed) == set(before)
    for name, disk in probed.items():
        values = [getattr(disk, field) for field in COUNTER_NAMES][: len(before[name])]
        for field, low, value, high in zip(COUNTER_NAMES, before[name], values, after[name], strict=False):
            if field != "in_flight":
                assert low <= value <= high, (name, field)


@pytest.mark.live
def test_writing_a_file_grows_its_disks_written_bytes(tmp_path: Path) -> None:
    disk = whole_disk_of(FS(), os.stat(tmp_path).st_dev)
    if disk is None:
        pytest.skip(f"{tmp_path} is on tmpfs, overlay or another device-less filesystem")
    findmnt, lsblk = shutil.which("findmnt"), shutil.which("lsblk")
    if findmnt and lsblk:
        # Cross-check the st_dev -> disk mapping with util-linux: the mount's source and its parent.
        source = subprocess.run(
            [findmnt, "-n", "-o", "SOURCE", "--target", str(tmp_path)], capture_output=True, text=True
        ).stdout.strip()
        if source.startswith("/dev/"):
            parent = subprocess.run([lsblk, "-ndo", "PKNAME", source], capture_output=True, text=True)
            expected = parent.stdout.strip() or os.path.basename(os.path.realpath(source))
            assert disk == expected
    size = 8 * 1024 * 1024
    before = read_diskstats(FS())
    assert before is not None and disk in before
    with open(tmp_path / "payload", "wb") as f:
        f.write(os.urandom(size))
        f.flush()
        os.fsync(f.fileno())
    after = read_diskstats(FS())
    assert after is not None
    (stats,) = [d for d in disk_rates(before, after, 1.0) if d.name == disk]
    assert stats.written_bytes - before[disk].written_sectors * SECTOR_BYTES >= size
    assert stats.written_bytes_per_s is not None and stats.written_bytes_per_s >= size


def test_real_queue_settings_match_sysfs() -> None:
    fs = FS()
    disks = read_diskstats(fs) or {}
    infos = read_disks_info(fs, disks)
    for name, info in infos.items():
        path = Path("/sys/class/block", name.replace("/", "!"))
        assert info.is_partition == (path / "partition").exists()
        if info.is_partition:
            continue
        scheduler = path / "queue" / "scheduler"
        if scheduler.exists():
            text = scheduler.read_text()
            assert f"[{info.scheduler}]" in text or text.split() == [info.scheduler]
        else:
            assert info.scheduler is None  # zram and friends
        assert info.nr_requests == (
            int((path / "queue" / "nr_requests").read_text())
            if (path / "queue" / "nr_requests").exists()
            else None
        )


def test_tmpfs_has_no_disk() -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.major(os.stat(shm).st_dev) != 0:
        pytest.skip("/dev/shm is not an anonymous-device filesystem here")
    assert whole_disk_of(FS(), os.stat(shm).st_dev) is None

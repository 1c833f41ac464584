"""The tunables catalogue, its reader on fixture trees, and the checks of a typed value (no writes here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.tunable_files import (
    block_devices,
    parse_tunable_text,
    queue_device,
    read_tunable,
    read_tunables,
)
from perftop.probes.tunables import CATALOGUE, GROUPS, Tunable, device_tunables
from perftop.tui.json_lines import tunables_to_list, write_json_lines
from perftop.tui.system_tuning import parse_tunable, set_tunable, tunable_setting
from perftop.tui.tuning import TuningError
from testbed.fixture_tree import SYSCTLS, make_tree, write_devices

BY_KEY = {t.key: t for t in CATALOGUE}

#: Every key the issue names, in the catalogue.
ISSUE_KEYS = [
    "vm.swappiness",
    "vm.overcommit_memory",
    "vm.overcommit_ratio",
    "vm.vfs_cache_pressure",
    "vm.dirty_ratio",
    "vm.dirty_background_ratio",
    "vm.dirty_expire_centisecs",
    "vm.min_free_kbytes",
    "vm.nr_hugepages",
    "vm.panic_on_oom",
    "vm.zone_reclaim_mode",
    "kernel.numa_balancing",
    "kernel.sched_autogroup_enabled",
    "kernel.sched_rt_runtime_us",
    "kernel.shmmax",
    "kernel.shmall",
    "kernel.shmmni",
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "fs.file-max",
    "net.core.rmem_max",
    "net.core.wmem_max",
    "net.core.rmem_default",
    "net.core.wmem_default",
    "net.core.netdev_max_backlog",
    "net.core.somaxconn",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_mem",
    "net.ipv4.tcp_tw_reuse",
    "net.ipv4.tcp_max_tw_buckets",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_window_scaling",
    "net.ipv4.ip_local_port_range",
    "transparent_hugepage/enabled",
    "transparent_hugepage/defrag",
]


def test_the_catalogue_holds_every_tunable_the_issue_names_once() -> None:
    assert sorted(BY_KEY) == sorted(ISSUE_KEYS)
    assert len(BY_KEY) == len(CATALOGUE)
    assert all(t.group in GROUPS and t.meaning for t in CATALOGUE)
    # A sysctl's file is its key with dots made slashes, under /proc/sys.
    for t in CATALOGUE:
        if t.root == "proc":
            assert t.parts == ("sys", *t.key.split(".")), t.key


def test_ranges_read_as_a_person_says_them() -> None:
    assert BY_KEY["vm.swappiness"].range_text() == "0..200"
    assert BY_KEY["vm.min_free_kbytes"].range_text() == ">= 0"
    assert BY_KEY["net.ipv4.tcp_rmem"].range_text() == "min default max, each >= 1"
    assert BY_KEY["net.ipv4.ip_local_port_range"].range_text() == "first last, each 1..65535, ascending"
    assert BY_KEY["vm.overcommit_memory"].explained.endswith("(0 heuristic, 1 always, 2 never (strict))")
    scheduler = device_tunables("sda")[0]
    assert scheduler.range_text(("none", "mq-deadline")) == "none | mq-deadline"
    assert (
        scheduler.parts == ("block", "sda", "queue", "scheduler") and scheduler.key == "sda queue/scheduler"
    )


# --- parsing what a file holds ----------------------------------------------------------------------------


def test_a_file_is_parsed_by_its_kind() -> None:
    rmem = parse_tunable_text(BY_KEY["net.ipv4.tcp_rmem"], "/p", "4096\t131072\t6291456\n", True)
    assert rmem.value == "4096 131072 6291456" and rmem.typed() == [4096, 131072, 6291456]
    thp = parse_tunable_text(BY_KEY["transparent_hugepage/enabled"], "/p", "always [madvise] never\n", True)
    assert (
        thp.value == "madvise" and thp.choices == ("always", "madvise", "never") and thp.typed() == "madvise"
    )
    swappiness = parse_tunable_text(BY_KEY["vm.swappiness"], "/p", "60\n", True)
    assert swappiness.typed() == 60
    runtime = parse_tunable_text(BY_KEY["kernel.sched_rt_runtime_us"], "/p", "-1\n", True)
    assert runtime.typed() == -1


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("vm.swappiness", "sixty\n"),
        ("vm.swappiness", "\n"),
        ("net.ipv4.tcp_rmem", "4096 131072\n"),  # cut short
        ("net.ipv4.tcp_rmem", "4096 x 6291456\n"),
    ],
)
def test_a_garbled_file_gives_a_null_value_not_an_error(key: str, text: str) -> None:
    assert parse_tunable_text(BY_KEY[key], "/p", text, True).typed() is None


def test_absent_and_unreadable_differ() -> None:
    absent = parse_tunable_text(BY_KEY["vm.swappiness"], "/p", None, False)
    unreadable = parse_tunable_text(BY_KEY["vm.swappiness"], "/p", None, True)
    assert absent.value is None and not absent.present and absent.typed() is None
    assert unreadable.value is None and unreadable.present


# --- the reader on a fixture tree ----------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> FS:
    fs = make_tree(tmp_path, cpus=2, processes=3, tick=0)
    write_devices(tmp_path, cpus=2, tick=0, disks=2)
    return fs


def test_the_reader_on_a_fixture_tree(tree: FS) -> None:
    values = {v.key: v for v in read_tunables(tree)}
    assert values["vm.swappiness"].value == "60"
    assert values["vm.swappiness"].path == str(tree.procfs / "sys/vm/swappiness")
    assert values["net.ipv4.tcp_rmem"].typed() == [4096, 131072, 6291456]
    assert values["transparent_hugepage/defrag"].value == "madvise"
    # A tunable this kernel lacks is absent, not an error.
    autogroup = values["kernel.sched_autogroup_enabled"]
    assert "kernel/sched_autogroup_enabled" not in SYSCTLS
    assert autogroup.value is None and not autogroup.present
    # Whole devices only: the partitions nvme0n1p1... are not listed.
    assert block_devices(tree) == ["nvme0n1", "nvme1n1"]
    assert values["nvme0n1 queue/scheduler"].value == "none"
    assert values["nvme0n1 queue/scheduler"].choices == ("none", "mq-deadline", "kyber")
    assert values["nvme1n1 queue/nr_requests"].typed() == 1023


def test_idle_loop_devices_are_left_out(tree: FS) -> None:
    for name, size in (("loop0", "0"), ("loop1", "2048"), ("ram0", "0")):
        queue = Path(tree.sys("block", name, "queue"))
        queue.mkdir(parents=True)
        (queue.parent / "size").write_text(size + "\n")
    assert block_devices(tree) == ["loop1", "nvme0n1", "nvme1n1"]


def test_a_partition_is_tuned_through_its_disk(tmp_path: Path) -> None:
    disk = tmp_path / "sys" / "devices" / "virtual" / "block" / "vdb"
    (disk / "vdb1").mkdir(parents=True)
    (disk / "vdb1" / "partition").write_text("1\n")
    links = tmp_path / "sys" / "class" / "block"
    links.mkdir(parents=True)
    (links / "vdb1").symlink_to(disk / "vdb1")
    (links / "vdb").symlink_to(disk)
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    assert queue_device(fs, "vdb1") == "vdb"
    assert queue_device(fs, "vdb") == "vdb"


def test_no_sysfs_gives_the_catalogue_absent(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    values = read_tunables(fs)
    assert [v.key for v in values] == [t.key for t in CATALOGUE]
    assert all(v.value is None and not v.present for v in values)


def test_a_directory_where_a_file_should_be_reads_as_unreadable(tree: FS) -> None:
    path = Path(tree.proc("sys", "vm", "swappiness"))
    path.unlink()
    path.mkdir()
    value = read_tunable(tree, BY_KEY["vm.swappiness"])
    assert value.value is None and value.present


def test_json_lists_every_tunable_with_key_path_and_value(tree: FS) -> None:
    from io import StringIO

    from perftop.probes.sampler import Sampler

    out = StringIO()
    write_json_lines(Sampler(tree), out, count=1, interval=0.0, sleep=lambda _: None)
    tunables = json.loads(out.getvalue())["tunables"]
    by_key = {t["key"]: t for t in tunables}
    assert all(set(t) == {"key", "path", "value"} for t in tunables)
    assert by_key["vm.swappiness"] == {
        "key": "vm.swappiness",
        "path": tree.proc("sys/vm/swappiness"),
        "value": 60,
    }
    assert by_key["net.ipv4.ip_local_port_range"]["value"] == [32768, 60999]
    assert by_key["transparent_hugepage/enabled"]["value"] == "madvise"
    assert by_key["kernel.sched_autogroup_enabled"]["value"] is None
    assert by_key["nvme0n1 queue/read_ahead_kb"]["value"] == 128
    assert tunables_to_list(()) == []


# --- checking a typed value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "typed", "written"),
    [
        ("vm.swappiness", "200", "200"),
        ("vm.swappiness", " +07 ", "7"),
        ("kernel.sched_rt_runtime_us", "-1", "-1"),
        ("net.ipv4.tcp_rmem", "4096  87380\t6291456", "4096 87380 6291456"),
        ("net.ipv4.ip_local_port_range", "1024 65535", "1024 65535"),
        ("kernel.shmmax", "18446744073692774399", "18446744073692774399"),
    ],
)
def test_good_values_are_written_in_the_kernels_form(key: str, typed: str, written: str) -> None:
    assert parse_tunable(BY_KEY[key], typed) == written


@pytest.mark.parametrize(
    ("key", "typed", "said"),
    [
        ("vm.swappiness", "201", "vm.swappiness 201 is out of range: it must be from 0 to 200"),
        ("vm.swappiness", "-1", "out of range"),
        ("vm.swappiness", "sixty", "must be a whole number from 0 to 200"),
        ("vm.swappiness", "1.5", "must be a whole number"),
        ("vm.swappiness", "60 61", "takes one number, not 2"),
        ("vm.swappiness", "", "type a value (0..200)"),
        ("vm.swappiness", "   ", "type a value"),
        ("vm.swappiness", "9" * 40, "out of range"),
        ("vm.overcommit_memory", "3", "vm.overcommit_memory 3 is out of range: it must be from 0 to 2"),
        ("net.ipv4.tcp_rmem", "4096 131072", "takes 3 numbers (min default max), not 2"),
        ("net.ipv4.tcp_rmem", "0 131072 6291456", "net.ipv4.tcp_rmem min 0 is out of range"),
        ("net.ipv4.ip_local_port_range", "60000 1024", "each number must be at least the one before"),
        ("net.ipv4.ip_local_port_range", "1024 70000", "last 70000 is out of range"),
    ],
)
def test_bad_values_are_refused_with_the_reason(key: str, typed: str, said: str) -> None:
    with pytest.raises(TuningError, match=None) as refused:
        parse_tunable(BY_KEY[key], typed)
    assert said in str(refused.value)


def test_a_choice_must_be_one_the_file_offers() -> None:
    scheduler = device_tunables("vda")[0]
    assert parse_tunable(scheduler, " kyber ", ("none", "mq-deadline", "kyber")) == "kyber"
    with pytest.raises(TuningError) as refused:
        parse_tunable(scheduler, "bfq", ("none", "mq-deadline", "kyber"))
    assert str(refused.value) == "vda queue/scheduler takes one of none, mq-deadline, kyber; not 'bfq'"
    with pytest.raises(TuningError):
        parse_tunable(scheduler, "none kyber", ("none", "kyber"))


def test_typed_control_characters_are_spelled_out_in_the_reason() -> None:
    with pytest.raises(TuningError) as refused:
        parse_tunable(BY_KEY["vm.swappiness"], "6\x1b[31m0")
    assert "\x1b" not in str(refused.value)


def test_the_setting_of_a_tunable_writes_the_equivalent_command() -> None:
    sysctl = tunable_setting(BY_KEY["net.ipv4.tcp_rmem"], "/proc/sys/net/ipv4/tcp_rmem")
    assert sysctl.command("4096 87380 6291456") == "sysctl -w 'net.ipv4.tcp_rmem=4096 87380 6291456'"
    assert sysctl.what == "sysctl"
    device = tunable_setting(device_tunables("vda")[0], "/sys/block/vda/queue/scheduler")
    assert (
        device.command("kyber") == "echo kyber > /sys/block/vda/queue/scheduler" and device.what == "device"
    )
    thp = tunable_setting(
        BY_KEY["transparent_hugepage/enabled"], "/sys/kernel/mm/transparent_hugepage/enabled"
    )
    assert thp.kind == "file" and thp.what == "thp"


def test_a_fixture_root_refuses_every_write_and_writes_nothing(tree: FS) -> None:
    value = read_tunable(tree, BY_KEY["vm.swappiness"])
    with pytest.raises(TuningError, match="read-only"):
        set_tunable(value, "10", fs=tree)
    assert Path(value.path).read_text() == "60\n"


def test_bad_input_is_refused_before_the_file_is_touched(tree: FS) -> None:
    # Even with the live roots allowed, a bad value never reaches the (fixture) file.
    value = read_tunable(tree, BY_KEY["vm.swappiness"])
    before = os.stat(value.path).st_mtime_ns
    with pytest.raises(TuningError, match="out of range"):
        set_tunable(value, "500")
    assert os.stat(value.path).st_mtime_ns == before and Path(value.path).read_text() == "60\n"


def test_every_tunable_of_the_catalogue_has_a_valid_shape() -> None:
    for t in CATALOGUE:
        assert isinstance(t, Tunable)
        if t.kind == "choice":
            assert t.count == 0
        else:
            assert t.count == len(t.bounds) >= 1 and all(lo <= hi for lo, hi in t.bounds)
            assert not t.names or len(t.names.split()) == t.count

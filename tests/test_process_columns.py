"""Process table columns: formatters, sorting, filtering and the narrow-width drop order."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

import perftop.widgets.process_columns as process_columns
from perftop.probes.snapshot import POLICY_NAMES, ProcessInfo
from perftop.widgets.formatting import (
    format_byte_rate,
    format_bytes,
    format_percent,
    format_rate,
    format_time,
)
from perftop.widgets.process_columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    COMMAND_MIN_WIDTH,
    DROP_ORDER,
    OPTIONAL_KEYS,
    SEPARATOR_WIDTH,
    Column,
    command_text,
    filter_processes,
    find_column,
    fit,
    matches,
    resolve_column,
    sort_processes,
    table_columns,
    user_text,
    visible_columns,
)
from tests.factories import MIB, make_proc


def text_of(key: str, p: ProcessInfo) -> str:
    return COLUMN_BY_KEY[key].text(p)


# Formatters


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0:00.00"),
        (0.999, "0:00.99"),
        (61.5, "1:01.50"),
        (754.07, "12:34.07"),
        (3599.99, "59:59.99"),
        (3600.0, "1h00:00"),
        (3723.4, "1h02:03"),
        (999 * 3600 + 59 * 60 + 59, "999h59:59"),
        (1000 * 3600, "41d16h"),
        (None, "-"),
    ],
)
def test_format_time_is_htop_time_plus(seconds: float | None, text: str) -> None:
    assert format_time(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (512 * 1024, "512K"),
        (int(12.3 * MIB), "12.3M"),
        (123 * MIB, "123M"),
        (int(999.4 * MIB), "999M"),
        (1000 * MIB, "1.0G"),
        (int(1.2 * 1024 * MIB), "1.2G"),
        (3 * 1024**4, "3.0T"),
        (None, "-"),
    ],
)
def test_format_bytes_uses_binary_units_like_htop(value: int | None, text: str) -> None:
    assert format_bytes(value) == text


@given(st.integers(min_value=0, max_value=2**60))
def test_format_bytes_fits_the_rss_column(value: int) -> None:
    assert len(format_bytes(value)) <= COLUMN_BY_KEY["rss"].width


@pytest.mark.parametrize(
    ("value", "text"), [(0.0, "0.0"), (12.34, "12.3"), (150.0, "150.0"), (2400.4, "2400"), (None, "-")]
)
def test_format_percent(value: float | None, text: str) -> None:
    assert format_percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0.0, "0.0"), (12.34, "12.3"), (4567.2, "4567"), (25_000_000.0, "25M"), (None, "-")]
)
def test_format_rate(value: float | None, text: str) -> None:
    assert format_rate(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (0.4, "0"),  # less than a byte per second rounds to nothing
        (100.0, "0.1K"),
        (512 * 1024.0, "512K"),
        (1.2 * MIB, "1.2M"),
        (4 * MIB / 0.2, "20.0M"),
        (123.4 * MIB, "123M"),
        (None, "-"),
    ],
)
def test_format_byte_rate_uses_the_units_of_rss(value: float | None, text: str) -> None:
    assert format_byte_rate(value) == text


@given(st.floats(min_value=0, max_value=2.0**60, allow_nan=False))
def test_byte_rates_fit_the_io_columns(value: float) -> None:
    assert len(format_byte_rate(value)) <= COLUMN_BY_KEY["io_read"].width


def test_io_node_and_remote_columns_show_their_fields() -> None:
    p = make_proc(1, io_read_bytes_per_s=3 * MIB, io_write_bytes_per_s=512.0, node=1, remote_percent=75.0)
    assert text_of("io_read", p) == "3.0M"
    assert text_of("io_write", p) == "0.5K"
    assert text_of("node", p) == "1"
    assert text_of("remote", p) == "75.0"
    assert text_of("remote", replace(p, remote_percent=100.0)) == "100.0"
    assert [text_of(k, make_proc(2)) for k in ("io_read", "io_write", "node", "remote")] == ["-"] * 4


@pytest.mark.parametrize(
    ("policy", "rtprio", "priority", "cls", "rtprio_shown", "pri_shown"),
    [
        ("SCHED_OTHER", 0, 20, "TS", "-", "20"),
        ("SCHED_OTHER", 0, 0, "TS", "-", "0"),
        ("SCHED_BATCH", 0, 39, "B", "-", "39"),
        ("SCHED_IDLE", 0, 20, "IDL", "-", "20"),
        ("SCHED_FIFO", 99, -100, "FF", "99", "RT"),
        ("SCHED_FIFO", 50, -51, "FF", "50", "-51"),
        ("SCHED_RR", 1, -2, "RR", "1", "-2"),
        ("SCHED_DEADLINE", 0, -101, "DLN", "-", "-101"),
        (None, None, None, "-", "-", "-"),
    ],
)
def test_scheduling_columns(
    policy: str | None, rtprio: int | None, priority: int | None, cls: str, rtprio_shown: str, pri_shown: str
) -> None:
    p = make_proc(1, policy=policy, rtprio=rtprio, priority=priority)
    assert text_of("policy", p) == cls
    assert text_of("rtprio", p) == rtprio_shown
    assert text_of("priority", p) == pri_shown


def test_command_shows_brackets_for_kernel_threads_and_empty_cmdlines() -> None:
    kthread = make_proc(7, comm="kworker/0:1-events", cmdline="", kernel_thread=True, user="root")
    zombie = make_proc(8, comm="defunct-child", cmdline="", state="Z")
    unreadable = make_proc(9, comm="secret", cmdline=None)
    assert text_of("command", kthread) == "[kworker/0:1-events]"
    assert text_of("command", zombie) == "[defunct-child]"
    assert text_of("command", unreadable) == "[secret]"
    assert text_of("command", make_proc(10)) == "/usr/bin/proc10 --serve"


def test_process_text_cannot_carry_terminal_controls() -> None:
    p = make_proc(11, cmdline="evil\x1b[2J\x07 --x\u202eyrt", comm="a\tb", user="bob\n")
    assert command_text(p) == "evil?[2J? --x?yrt"
    assert user_text(p) == "bob?"
    assert command_text(replace(p, cmdline="")) == "[a?b]"


def test_user_falls_back_to_uid_then_unknown() -> None:
    assert user_text(make_proc(1)) == "alice"
    assert user_text(make_proc(1, user=None, uid=1234)) == "1234"
    assert user_text(make_proc(1, user=None, uid=None)) == "-"


def test_other_columns_show_unknown_as_dash() -> None:
    unknown = make_proc(
        5,
        nice=None,
        cpu_percent=None,
        mem_percent=None,
        rss_bytes=None,
        processor=None,
        affinity=None,
        voluntary_ctxt_switches_per_s=None,
        nonvoluntary_ctxt_switches_per_s=None,
        cpu_time_seconds=None,
        state="",
    )
    for column in COLUMNS:
        if column.key not in {"pid", "user", "policy", "rtprio", "priority", "command"}:
            assert column.text(unknown) == "-", column.key


def test_affinity_is_the_kernel_list_form() -> None:
    assert text_of("affinity", make_proc(1, affinity=(0, 1, 2, 3, 8))) == "0-3,8"
    assert text_of("affinity", make_proc(1, affinity=(5,))) == "5"
    assert text_of("processor", make_proc(1, processor=3)) == "3"


@pytest.mark.parametrize(
    ("text", "width", "align", "out"),
    [
        ("42", 5, "right", "   42"),
        ("root", 6, "left", "root  "),
        ("postgres-admin", 9, "left", "postgres+"),
        ("0-3,5,7,9-11", 10, "left", "0-3,5,7,9+"),
        ("日本語", 5, "left", "日本+"),
        ("abc", 3, "right", "abc"),
    ],
)
def test_fit(text: str, width: int, align: str, out: str) -> None:
    fitted = fit(text, width, align)  # type: ignore[arg-type]
    assert fitted == out
    assert cell_len(fitted) == width


# Column set and lookup


def test_columns_are_in_the_documented_order() -> None:
    assert [c.title for c in COLUMNS] == [
        "PID",
        "USER",
        "POL",
        "RTPRIO",
        "PRI",
        "NI",
        "CPU%",
        "MEM%",
        "RSS",
        "CPU",
        "NODE",
        "REMOTE%",
        "AFFINITY",
        "VCSW/s",
        "NVCSW/s",
        "IO_R/s",
        "IO_W/s",
        "OOM_SCORE",
        "OOM_ADJ",
        "CGROUP",
        "CONTAINER",
        "RUN-DELAY/s",
        "THROTTLED%",
        "S",
        "TIME+",
        "COMMAND",
    ]
    assert {c.key for c in COLUMNS if c.needs_status} == {"affinity", "vcsw", "nvcsw", "io_read", "io_write"}
    assert {c.key for c in COLUMNS if c.needs_numa} == {"remote"}
    numeric = {"pid", "rtprio", "priority", "nice", "cpu", "mem", "rss", "processor", "vcsw", "nvcsw", "time"}
    numeric |= {"node", "remote", "io_read", "io_write", "oom_score", "oom_adj", "run_delay", "throttled"}
    assert {c.key for c in COLUMNS if c.align == "right"} == numeric


def test_optional_columns_are_hidden_by_default() -> None:
    assert OPTIONAL_KEYS == (
        "remote",
        "io_read",
        "io_write",
        "oom_score",
        "oom_adj",
        "cgroup",
        "container",
        "run_delay",
        "throttled",
    )
    assert {c.key for c in COLUMNS if c.optional} == set(OPTIONAL_KEYS)
    assert "node" in [c.key for c in table_columns()]
    assert [c.key for c in table_columns()] == [c.key for c in COLUMNS if c.key not in OPTIONAL_KEYS]
    assert [c.key for c in table_columns({"io_write"})] == [
        c.key
        for c in COLUMNS
        if c.key
        not in ("remote", "io_read", "oom_score", "oom_adj", "cgroup", "container", "run_delay", "throttled")
    ]
    assert [c.key for c in table_columns(OPTIONAL_KEYS)] == [c.key for c in COLUMNS]
    # Sorting and lookup know them whether shown or not.
    assert resolve_column("IO_W/s").key == "io_write"
    assert resolve_column("remote_percent").key == "remote"
    assert resolve_column("io_read_bytes_per_s").key == "io_read"


def test_find_column_accepts_keys_titles_and_aliases_case_insensitively() -> None:
    assert resolve_column("cpu").title == "CPU%"
    assert resolve_column("CPU%").key == "cpu"
    assert resolve_column(" Mem ").key == "mem"
    assert resolve_column("VCSW/s").key == "vcsw"
    assert resolve_column("processor").title == "CPU"
    assert resolve_column("rss_bytes").key == "rss"
    assert resolve_column("TIME+").key == "time"
    assert find_column("nonsense") is None
    with pytest.raises(ValueError, match="unknown column 'nonsense'"):
        resolve_column("nonsense")


# Drop order


ALWAYS = ["pid", "policy", "priority", "nice", "cpu", "command"]


def required_width(keys: list[str]) -> int:
    return sum(COLUMN_BY_KEY[k].width for k in keys) + SEPARATOR_WIDTH * (len(keys) - 1)


def test_drop_order_is_documented_and_matches_the_columns() -> None:
    assert DROP_ORDER == (
        "nvcsw",
        "vcsw",
        "affinity",
        "node",
        "time",
        "rtprio",
        "processor",
        "rss",
        "state",
        "mem",
        "user",
        "remote",
        "io_write",
        "io_read",
        "oom_adj",
        "oom_score",
        "cgroup",
        "container",
        "run_delay",
        "throttled",
    )
    assert [c.key for c in COLUMNS if c.drop_order is None] == ALWAYS
    titles = ", ".join(COLUMN_BY_KEY[key].title for key in DROP_ORDER)
    assert titles in " ".join((process_columns.__doc__ or "").split())  # the list may wrap


def test_all_columns_fit_on_a_wide_terminal() -> None:
    assert [c.key for c in visible_columns(200)] == [c.key for c in table_columns()]
    assert [c.key for c in visible_columns(230, OPTIONAL_KEYS)] == [c.key for c in COLUMNS]


def test_eighty_columns_keep_the_documented_set() -> None:
    keys = [c.key for c in visible_columns(80)]
    expected = [
        "pid",
        "user",
        "policy",
        "rtprio",
        "priority",
        "nice",
        "cpu",
        "mem",
        "rss",
        "processor",
        "state",
    ]
    assert keys == [*expected, "command"]


def test_a_shown_optional_column_outlasts_the_default_ones() -> None:
    # At 80 columns the user who pressed F2 for IO_R/s sees it: RTPRIO gives way instead.
    keys = [c.key for c in visible_columns(80, {"io_read"})]
    assert "io_read" in keys and "rtprio" not in keys and "processor" in keys
    assert required_width(keys) <= 80
    both = [c.key for c in visible_columns(80, {"io_read", "io_write"})]
    assert {"io_read", "io_write"} <= set(both) and "processor" not in both
    # NODE drops early: between AFFINITY and TIME+.
    widths = [w for w in range(60, 200) if "node" in [c.key for c in visible_columns(w)]]
    first = min(widths)
    at_first = [c.key for c in visible_columns(first)]
    assert "time" in at_first and "affinity" not in at_first
    assert "node" not in [c.key for c in visible_columns(first - 1)]


@given(st.integers(min_value=0, max_value=250), st.sets(st.sampled_from(OPTIONAL_KEYS)))
def test_columns_drop_in_order_and_command_keeps_its_minimum(width: int, shown: set[str]) -> None:
    keys = [c.key for c in visible_columns(width, shown)]
    order = [key for key in DROP_ORDER if COLUMN_BY_KEY[key].optional is False or key in shown]
    dropped = [c.key for c in table_columns(shown) if c.key not in keys]
    assert sorted(dropped, key=order.index) == order[: len(dropped)]
    assert set(ALWAYS) <= set(keys)
    assert keys == [c.key for c in COLUMNS if c.key in keys]  # display order kept
    assert not set(OPTIONAL_KEYS) - shown & set(keys)  # hidden ones never show
    if len(dropped) < len(order):
        assert required_width(keys) <= width  # COMMAND gets at least COMMAND_MIN_WIDTH cells
    if dropped:
        # The last column dropped really did not fit.
        last = order[len(dropped) - 1]
        assert required_width([*keys, last]) > width
    assert COLUMN_BY_KEY["command"].width == COMMAND_MIN_WIDTH


# Sorting


def test_sort_puts_unknown_last_in_both_directions_and_breaks_ties_by_pid() -> None:
    procs = [
        make_proc(5, cpu_percent=None),
        make_proc(4, cpu_percent=10.0),
        make_proc(3, cpu_percent=None),
        make_proc(2, cpu_percent=50.0),
        make_proc(1, cpu_percent=10.0),
    ]
    assert [p.pid for p in sort_processes(procs, "cpu", reverse=True)] == [2, 1, 4, 3, 5]
    assert [p.pid for p in sort_processes(procs, "CPU%", reverse=False)] == [1, 4, 2, 3, 5]


def test_sort_by_text_and_by_scheduling_strength() -> None:
    procs = [
        make_proc(1, user="zed"),
        make_proc(2, user="adam", policy="SCHED_IDLE"),
        make_proc(3, user="mia", policy="SCHED_FIFO", rtprio=10, priority=-11),
        make_proc(4, user=None, uid=None, policy="SCHED_DEADLINE", priority=-101),
        make_proc(5, user="bob", policy="SCHED_BATCH"),
    ]
    assert [p.pid for p in sort_processes(procs, "user")] == [2, 5, 3, 1, 4]
    assert [p.pid for p in sort_processes(procs, "policy")] == [4, 3, 1, 5, 2]
    assert [p.pid for p in sort_processes(procs, "priority")] == [4, 3, 1, 2, 5]
    assert [p.pid for p in sort_processes(procs, "rtprio", reverse=True)] == [3, 1, 2, 4, 5]


def test_sort_by_affinity_lists_pinned_processes_first() -> None:
    procs = [make_proc(1, affinity=(0, 1, 2, 3)), make_proc(2, affinity=(3,)), make_proc(3, affinity=None)]
    procs.append(make_proc(4, affinity=(1,)))
    assert [p.pid for p in sort_processes(procs, "affinity")] == [4, 2, 1, 3]


def test_sort_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown column"):
        sort_processes([make_proc(1)], "bogus")


@given(
    st.lists(
        st.tuples(st.integers(1, 10_000), st.none() | st.floats(0, 400, allow_nan=False)),
        unique_by=lambda t: t[0],
        max_size=40,
    ),
    st.booleans(),
)
def test_sort_is_ordered_with_unknown_last(pairs: list[tuple[int, float | None]], reverse: bool) -> None:
    procs = [make_proc(pid, cpu_percent=cpu) for pid, cpu in pairs]
    ordered = sort_processes(procs, "cpu", reverse)
    assert sorted(p.pid for p in ordered) == sorted(pid for pid, _ in pairs)
    known = [p for p in ordered if p.cpu_percent is not None]
    assert ordered[: len(known)] == known
    for a, b in itertools.pairwise(known):
        assert a.cpu_percent is not None and b.cpu_percent is not None
        if a.cpu_percent == b.cpu_percent:
            assert a.pid < b.pid
        else:
            assert (a.cpu_percent > b.cpu_percent) == reverse


# Filtering


def test_matches_is_case_insensitive_on_cmdline_comm_and_user() -> None:
    p = make_proc(1, comm="nginx", cmdline="nginx: worker process", user="www-data")
    assert matches(p, "WORKER")
    assert matches(p, "Nginx")
    assert matches(p, "www")
    assert matches(p, "")
    assert not matches(p, "apache")
    kthread = make_proc(2, comm="kworker/0:1-events", cmdline="", kernel_thread=True)
    assert matches(kthread, "KWORKER/0")


def test_filter_processes_combines_every_filter() -> None:
    procs = [
        make_proc(1, user="root", comm="systemd", cmdline="/sbin/init"),
        make_proc(2, user="root", comm="kthreadd", cmdline="", kernel_thread=True),
        make_proc(300, user="alice", comm="python3", cmdline="python3 serve.py"),
        make_proc(301, user="bob", comm="python3", cmdline="python3 batch.py"),
    ]

    def pids(**kwargs: object) -> list[int]:
        return [p.pid for p in filter_processes(procs, **kwargs)]  # type: ignore[arg-type]

    assert pids() == [1, 2, 300, 301]
    assert pids(text="PYTHON") == [300, 301]
    assert pids(text="python", user="bob") == [301]
    assert pids(user="root", hide_kernel=True) == [1]
    assert pids(pids=frozenset({2, 301, 999})) == [2, 301]
    assert pids(text="nomatch") == []


# The real tools agree on the scheduling columns.


def _stat_proc(pid: int) -> ProcessInfo:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    policy = POLICY_NAMES[int(fields[38])]
    return make_proc(
        pid,
        comm=stat[stat.index("(") + 1 : stat.rindex(")")],
        state=fields[0],
        priority=int(fields[15]),
        nice=int(fields[16]),
        rtprio=int(fields[37]),
        policy=policy,
    )


@pytest.mark.live
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("chrt") is None, reason="needs root and chrt")
def test_scheduling_columns_agree_with_ps() -> None:
    commands = [
        ["sleep", "30"],
        ["nice", "-n", "7", "sleep", "30"],
        ["chrt", "-f", "99", "sleep", "30"],
        ["chrt", "-r", "10", "sleep", "30"],
        ["chrt", "-b", "0", "sleep", "30"],
        ["chrt", "-i", "0", "sleep", "30"],
    ]
    children = [subprocess.Popen(cmd) for cmd in commands]
    try:
        for child in children:
            for _ in range(100):  # wait until the exec of sleep took effect
                if Path(f"/proc/{child.pid}/comm").read_text().strip() == "sleep":
                    break
                time.sleep(0.01)
            p = _stat_proc(child.pid)
            out = subprocess.run(
                ["ps", "-o", "cls=,priority=,rtprio=,ni=", "-p", str(child.pid)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            cls, priority, rtprio, nice = out
            assert text_of("policy", p) == cls
            # top's PR: the stat priority, "RT" where ps prints -100.
            assert text_of("priority", p) == ("RT" if priority == "-100" else priority)
            if p.policy in ("SCHED_OTHER", "SCHED_FIFO", "SCHED_RR"):
                assert text_of("rtprio", p) == rtprio
            else:
                assert text_of("rtprio", p) == "-"  # ps prints 0 for BATCH/IDLE; we say not RT
            if p.policy in ("SCHED_OTHER", "SCHED_BATCH"):
                assert text_of("nice", p) == nice
    finally:
        for child in children:
            child.kill()
            child.wait()


def _processes() -> st.SearchStrategy[ProcessInfo]:
    """Processes with any mix of known and unknown values (rates and percentages are never negative)."""
    small = st.none() | st.integers(-5, 2**40)
    rate = st.none() | st.floats(min_value=0.0, max_value=1e12, allow_nan=False)
    text = st.text(alphabet="ab \x1bé漢", max_size=6)
    return st.builds(
        ProcessInfo,
        pid=st.integers(1, 4_000_000),
        ppid=small,
        user=st.none() | text,
        uid=small,
        comm=text,
        cmdline=st.none() | text,
        state=st.sampled_from(["R", "S", "D", "Z", "T", "", "\x1b"]),
        policy=st.none() | st.sampled_from([*POLICY_NAMES.values(), "SCHED_EXT"]),
        rtprio=small,
        nice=small,
        priority=small,
        processor=small,
        affinity=st.none()
        | st.lists(st.integers(0, 300), max_size=4).map(lambda cpus: tuple(sorted(set(cpus)))),
        threads=small,
        start_time=st.integers(0, 2**40),
        cpu_percent=rate,
        cpu_time_seconds=rate,
        rss_bytes=st.none() | st.integers(0, 2**50),
        mem_percent=rate,
        voluntary_ctxt_switches=small,
        nonvoluntary_ctxt_switches=small,
        voluntary_ctxt_switches_per_s=rate,
        nonvoluntary_ctxt_switches_per_s=rate,
        kernel_thread=st.booleans(),
        io_read_bytes=small,
        io_write_bytes=small,
        io_read_bytes_per_s=rate,
        io_write_bytes_per_s=rate,
        node=small,
        remote_percent=rate,
    )


@given(_processes(), _processes())
def test_a_columns_text_is_made_of_the_fields_it_reads(a: ProcessInfo, b: ProcessInfo) -> None:
    """The table keeps a cell's text while ``Column.inputs`` stays equal: a field a column's text reads
    but its ``reads`` leaves out would leave a stale value on screen."""
    for column in COLUMNS:
        mixed = replace(b, **{name: getattr(a, name) for name in column.reads})
        assert column.inputs(mixed) == column.inputs(a)
        assert column.text(mixed) == column.text(a), column.key


def test_a_column_must_name_what_it_reads() -> None:
    with pytest.raises(ValueError, match="reads names no field"):
        Column("x", "X", 1, "left", str, str)


def test_an_optional_column_says_what_it_shows_and_reads() -> None:
    for key in OPTIONAL_KEYS:
        column = COLUMN_BY_KEY[key]
        assert column.help and column.source, key
    assert COLUMN_BY_KEY["io_read"].source == "/proc/PID/io read_bytes"
    with pytest.raises(ValueError, match="optional column needs help and source"):
        Column("x", "X", 1, "left", str, str, optional=True, reads=("pid",))

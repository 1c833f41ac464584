"""The process probe: stat/status/cmdline parsers, the caching scanner on fixture trees, and the rates."""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.processes import (
    PF_KTHREAD,
    ProcessScanner,
    ProcIo,
    ProcStat,
    ProcStatus,
    RawProcess,
    is_kernel_thread,
    parse_cmdline,
    parse_pid_io,
    parse_pid_stat,
    parse_pid_status,
    process_infos,
    task_counts,
    thread_group,
)
from perftop.probes.snapshot import ProcessInfo
from testbed.fixture_tree import BOOT_SECONDS, FakeProcess, make_tree, processes_for

# Fields 3..52 of a real line (an RT process: priority -51, rtprio 50, SCHED_FIFO, on CPU 1).
REST = (
    "R 1 4242 4242 0 -1 4194560 10 0 0 0 150 50 0 0 -51 0 3 0 98765 1000000 256 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 50 1 0 0 0 0 0 0 0 0 0 0 0\n"
)


def stat_line(comm: str, rest: str = REST, pid: int = 4242) -> str:
    return f"{pid} ({comm}) {rest}"


def old_kernel(fields_after_comm: int) -> str:
    """REST cut to the first ``fields_after_comm`` fields (field 3 onwards), as older kernels write."""
    return " ".join(REST.split()[:fields_after_comm]) + "\n"


# --- parse_pid_stat -----------------------------------------------------------------------------------


def test_parse_stat_reads_every_field_by_its_number() -> None:
    st = parse_pid_stat(stat_line("worker"))
    assert st == ProcStat(
        pid=4242,
        comm="worker",
        state="R",
        ppid=1,
        utime=150,
        stime=50,
        priority=-51,
        nice=0,
        num_threads=3,
        start_time=98765,
        rss_pages=256,
        processor=1,
        rt_priority=50,
        policy=1,
        flags=4194560,
    )


@pytest.mark.parametrize(
    "comm",
    ["a) b", "Web Content", "(sd-pam)", "x) 1 2 3) S 9", "", "[kworker/0:1-events]", "tmux: server", ")("],
)
def test_parse_stat_comm_runs_to_the_last_paren(comm: str) -> None:
    st = parse_pid_stat(stat_line(comm))
    assert st.comm == comm
    # Whatever the comm holds, the fields after it are read from the right place.
    assert (st.state, st.ppid, st.utime, st.start_time, st.policy) == ("R", 1, 150, 98765, 1)


def test_parse_stat_negative_nice_and_deadline_priority() -> None:
    rest = REST.replace(" -51 0 3 ", " -101 -5 3 ").replace(" 17 1 50 1 ", " 17 0 0 6 ")
    st = parse_pid_stat(stat_line("dl", rest))
    assert (st.priority, st.nice, st.rt_priority, st.policy, st.processor) == (-101, -5, 0, 6, 0)


def test_parse_stat_old_kernels_lack_fields_39_to_41() -> None:
    before_39 = parse_pid_stat(stat_line("old", old_kernel(36)))  # fields 3..38
    assert (before_39.processor, before_39.rt_priority, before_39.policy) == (None, None, None)
    assert (before_39.utime, before_39.num_threads, before_39.rss_pages) == (150, 3, 256)
    only_39 = parse_pid_stat(stat_line("old", old_kernel(37)))
    assert (only_39.processor, only_39.rt_priority, only_39.policy) == (1, None, None)
    up_to_rss = parse_pid_stat(stat_line("old", old_kernel(22)))  # fields 3..24: the minimum
    assert up_to_rss.rss_pages == 256


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "garbage",
        "4242 (unterminated S 1 2 3",
        "4242 no parens S 1 2 3",
        "(nopid) " + REST,
        "abc (x) " + REST,
        stat_line("x", old_kernel(21)),  # one field short of rss
        stat_line("x", REST.replace(" 150 50 ", " 150 fifty ")),
        stat_line("x", "SS" + REST[1:]),  # state is one letter
        "4242 )x( " + REST,
    ],
)
def test_parse_stat_rejects_garbled_text(text: str) -> None:
    with pytest.raises(ValueError, match="garbled"):
        parse_pid_stat(text)


# --- parse_pid_status, parse_cmdline ------------------------------------------------------------------

STATUS = """\
Name:\tpasswd
Umask:\t0022
State:\tS (sleeping)
Uid:\t1000\t0\t0\t0
Gid:\t1000\t1000\t1000\t1000
Threads:\t1
Cpus_allowed:\t27
Cpus_allowed_list:\t0-2,5
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t1234
nonvoluntary_ctxt_switches:\t56
"""


def test_parse_status_keeps_the_effective_uid() -> None:
    assert parse_pid_status(STATUS) == ProcStatus(
        cpus_allowed=(0, 1, 2, 5), voluntary_ctxt_switches=1234, nonvoluntary_ctxt_switches=56, uid=0
    )


def test_parse_status_missing_or_bad_lines_are_none() -> None:
    assert parse_pid_status("") == ProcStatus(None, None, None, None)
    only_name = parse_pid_status("Name:\tx\nThreads:\t1\n")
    assert only_name == ProcStatus(None, None, None, None)
    bad = parse_pid_status(
        "Uid:\t1000\nCpus_allowed_list:\t3-1\nvoluntary_ctxt_switches:\tlots\n"
        "nonvoluntary_ctxt_switches:\t7\nno colon line\n"
    )
    assert bad == ProcStatus(
        cpus_allowed=None, voluntary_ctxt_switches=None, nonvoluntary_ctxt_switches=7, uid=None
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"sleep\x0060\x00", "sleep 60"),
        (b"", ""),
        (b"sshd: root@pts/0\x00\x00\x00", "sshd: root@pts/0"),
        (b"a\x00\x00b\x00", "a  b"),
        (b"bad \xff byte\x00", "bad \ufffd byte"),
    ],
)
def test_parse_cmdline(data: bytes, expected: str) -> None:
    assert parse_cmdline(data) == expected


def test_kernel_threads_are_told_by_the_pf_kthread_flag() -> None:
    base = parse_pid_stat(stat_line("x"))
    assert base.flags == 4194560
    kthread = replace(base, flags=base.flags | PF_KTHREAD)
    assert is_kernel_thread(kthread) and is_kernel_thread(replace(kthread, pid=77, ppid=1))
    # Inside a container's PID namespace PID 2 and its children are ordinary processes.
    assert not is_kernel_thread(replace(base, pid=2, ppid=0))
    assert not is_kernel_thread(replace(base, pid=77, ppid=2))


def test_without_flags_kernel_threads_are_kthreadd_and_its_children() -> None:
    base = replace(parse_pid_stat(stat_line("x")), flags=None)
    assert is_kernel_thread(replace(base, pid=2, ppid=0))
    assert is_kernel_thread(replace(base, pid=77, ppid=2))
    assert not is_kernel_thread(replace(base, pid=1, ppid=0))
    assert not is_kernel_thread(replace(base, pid=77, ppid=1))


# --- the scanner on generated trees -------------------------------------------------------------------


def fake(pid: int) -> FakeProcess:
    """The generator's definition of ``pid`` in the default 25-process tree."""
    return next(p for p in processes_for(4, 25, 0, ()) if p.pid == pid)


@pytest.fixture
def tree(tmp_path: Path) -> FS:
    return make_tree(tmp_path, processes=25, stat_only_pids=(2250,))


def test_scan_reads_stat_of_every_process(tree: FS) -> None:
    scanned = ProcessScanner(tree).scan(())
    expected = processes_for(4, 25, 0, ())
    assert sorted(scanned) == [p.pid for p in expected]
    for p in expected:
        st = scanned[p.pid].stat
        assert (st.pid, st.comm, st.ppid, st.state) == (p.pid, p.comm, p.ppid, p.state)
        assert (st.policy, st.rt_priority, st.nice, st.priority) == (p.policy, p.rtprio, p.nice, p.priority)
        assert (st.num_threads, st.start_time) == (p.threads, p.start_time)


def test_scan_reads_status_only_for_the_requested_pids(tree: FS) -> None:
    scanner = ProcessScanner(tree)
    some = scanner.scan([1, 402, 999_999])
    assert {pid for pid, raw in some.items() if raw.status is not None} == {1, 402}
    jackd = fake(402)
    age = BOOT_SECONDS - jackd.start_time // 100  # seconds it has run at tick 0
    assert some[402].status == ProcStatus((0, 1, 2, 3), jackd.vcsw_rate * age, jackd.nvcsw_rate * age, 65534)
    assert all(raw.status is None for raw in scanner.scan(()).values())
    every = scanner.scan(None)
    assert {pid for pid, raw in every.items() if raw.status is None} == {2250}  # the stat-only directory


def test_stat_only_process_has_no_status_fields(tree: FS) -> None:
    scanner = ProcessScanner(tree)
    scanned = scanner.scan(None)
    raw = scanned[2250]
    assert raw.status is None and raw.cmdline is None  # cmdline unknown, not made up as ""
    assert raw.stat.comm == "dd"
    info = next(p for p in process_infos(None, scanned, None, 100, 4096, None) if p.pid == 2250)
    assert (info.affinity, info.voluntary_ctxt_switches, info.nonvoluntary_ctxt_switches) == (
        None,
        None,
        None,
    )
    assert info.state == "D" and info.start_time == fake(2250).start_time


def test_thread_group_of_processes_threads_and_missing_pids(tree: FS) -> None:
    assert thread_group(tree, 402) == 402
    assert thread_group(tree, 2250) == 2250  # only a stat file: a process all the same
    assert thread_group(tree, 999_999) is None
    thread = Path(tree.proc(403))  # a thread's directory: not listed by the kernel, but there
    thread.mkdir()
    (thread / "status").write_text("Name:\tjackd\nTgid:\t402\nPid:\t403\n")
    assert thread_group(tree, 403) == 402


def test_cmdline_users_and_kernel_threads(tree: FS) -> None:
    scanned = ProcessScanner(tree).scan(())
    assert scanned[1].cmdline == "/sbin/init splash"
    assert scanned[640].cmdline == "sshd: root@pts/0"  # NUL padding stripped
    assert scanned[2342].stat.comm == "weird) (name"
    kernel = {pid for pid, raw in scanned.items() if raw.kernel_thread}
    assert kernel == {p.pid for p in processes_for(4, 25, 0, ()) if p.kernel}
    assert all(scanned[pid].cmdline == "" for pid in kernel)
    zombie = scanned[1377]
    assert zombie.stat.state == "Z" and zombie.cmdline == "" and not zombie.kernel_thread
    for pid, raw in scanned.items():
        assert raw.uid == os.stat(tree.proc(pid)).st_uid
    if os.geteuid() == 0:  # the tree could chown the directories
        assert (scanned[1].uid, scanned[1].user) == (0, "root")
        assert scanned[402].uid == 65534
        assert scanned[402].user == _name_of(65534)


def _name_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class _RemovingScanner(ProcessScanner):
    """Removes one process directory after the listing, as a process exiting mid-scan does."""

    def __init__(self, fs: FS, victim: int) -> None:
        super().__init__(fs)
        self.victim_dir = fs.proc(victim)
        self.listed: list[int] = []

    def list_pids(self) -> list[int]:
        self.listed = super().list_pids()
        shutil.rmtree(self.victim_dir)
        return self.listed


def test_process_vanishing_between_listing_and_reading_is_skipped(tree: FS) -> None:
    scanner = _RemovingScanner(tree, victim=1290)
    scanned = scanner.scan(None)
    assert 1290 in scanner.listed  # listed, then gone before its stat was read
    assert 1290 not in scanned
    assert len(scanned) == 24 and 1024 in scanned


def test_missing_or_vanished_status_gives_none(tree: FS) -> None:
    os.unlink(tree.proc(402, "status"))
    scanned = ProcessScanner(tree).scan([402, 1])
    assert scanned[402].status is None and scanned[402].stat.comm == "jackd"
    assert scanned[1].status is not None


def test_garbled_or_missing_stat_is_skipped(tree: FS) -> None:
    Path(tree.proc(517, "stat")).write_text("517 (pulseaudio) S 1 2\n")
    Path(tree.proc(655, "stat")).write_bytes(b"\x00\xff garbage")
    os.unlink(tree.proc(731, "stat"))
    scanner = ProcessScanner(tree)
    scanned = scanner.scan(None)
    assert {517, 655, 731}.isdisjoint(scanned)
    assert len(scanned) == 22
    assert {pid for pid, _ in scanner.cached_identities()} == set(scanned)


def test_missing_procfs_root_scans_nothing(tmp_path: Path) -> None:
    assert ProcessScanner(FS(procfs=tmp_path / "absent")).scan(None) == {}


def test_cmdline_is_cached_until_comm_changes(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    assert scanner.scan(())[700].cmdline == "-bash"
    # A new cmdline with the same comm and start_time is not re-read: the cache holds.
    Path(fs.proc(700, "cmdline")).write_bytes(b"bash\x00--login\x00")
    assert scanner.scan(())[700].cmdline == "-bash"
    # exec: comm changes, start_time stays.
    bash = fake(700)
    make_tree(tmp_path, processes=25, extra=[replace(bash, comm="vim", cmdline=("vim", "notes.txt"))])
    after_exec = scanner.scan(())[700]
    assert (after_exec.stat.comm, after_exec.cmdline) == ("vim", "vim notes.txt")
    assert after_exec.stat.start_time == bash.start_time


def test_reused_pid_reads_everything_again(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    assert scanner.scan(())[700].cmdline == "-bash"
    reused = replace(fake(700), start_time=fake(700).start_time + 500, cmdline=("bash", "-c", "make"))
    make_tree(tmp_path, processes=25, extra=[reused])
    assert scanner.scan(())[700].cmdline == "bash -c make"  # same comm, new identity
    assert (700, reused.start_time) in scanner.cached_identities()
    assert (700, fake(700).start_time) not in scanner.cached_identities()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a directory's owner needs root")
def test_user_is_looked_up_again_when_the_owner_changes(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    assert (scanner.scan(())[700].uid, scanner.scan(())[700].user) == (0, "root")
    make_tree(tmp_path, processes=25, extra=[replace(fake(700), uid=65534)])  # setuid keeps start_time
    after = scanner.scan(())[700]
    assert (after.uid, after.user) == (65534, _name_of(65534))
    assert after.cmdline == "-bash"


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a directory's owner needs root")
def test_uid_without_passwd_entry_shows_the_number(tmp_path: Path) -> None:
    uid = next(u for u in range(54321, 60000) if _name_of(u) == str(u))
    fs = make_tree(tmp_path, processes=3, extra=[FakeProcess(4000, "ghost", uid=uid, cmdline=("ghost",))])
    assert ProcessScanner(fs).scan(())[4000].user == str(uid)


def test_owners_given_to_the_scanner_stand_in_for_the_directories_owners(tmp_path: Path) -> None:
    """As the demo machine runs for any user: the tree's directories all belong to the caller, and the
    owners the tree means are given to the scanner; PIDs it does not name keep their directory's owner."""
    fs = make_tree(tmp_path, processes=25)
    mine = os.stat(fs.proc(1)).st_uid
    owners = {1: 0, 402: 65534}
    scanner = ProcessScanner(fs, owners=owners)
    first = scanner.scan(())
    assert (first[1].uid, first[1].user) == (0, "root")
    assert (first[402].uid, first[402].user) == (65534, _name_of(65534))
    assert first[700].uid == mine and first[700].user == _name_of(mine)
    # An owner that changes (a setuid keeps start_time and stat): the user is looked up again.
    owners[700] = 65534
    after = scanner.scan(())
    assert (after[700].uid, after[700].user) == (65534, _name_of(65534))
    assert after[700].cmdline == "-bash" and after[700].stat == first[700].stat
    # Nothing changed since: the very objects of the last scan.
    again = scanner.scan(())
    assert again[700] is after[700] and again[1] is after[1]
    scanner.close()


def test_cache_forgets_processes_that_are_gone(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    scanner.scan(())
    assert len(scanner.cached_identities()) == 25
    shutil.rmtree(fs.proc(1290))
    make_tree(tmp_path, processes=12)  # 13 more exit (1290 was already gone)
    scanned = scanner.scan(())
    assert len(scanned) == 12
    assert {pid for pid, _ in scanner.cached_identities()} == set(scanned)


def test_unchanged_process_keeps_its_raw_object(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    first = scanner.scan(())
    make_tree(tmp_path, processes=25, tick=1)
    second = scanner.scan(())
    # (sd-pam) never runs: its stat is byte-identical, so nothing is parsed or allocated again.
    assert second[655] is first[655]
    assert second[2001] is not first[2001] and second[2001].stat.utime > first[2001].stat.utime


# --- process_infos and task_counts --------------------------------------------------------------------


def raw(
    pid: int = 10,
    utime: int = 100,
    stime: int = 50,
    start_time: int = 5000,
    status: ProcStatus | None = None,
    policy: int | None = 0,
    rss_pages: int = 1000,
    io: ProcIo | None = None,
) -> RawProcess:
    st = ProcStat(pid, "p", "S", 1, utime, stime, 20, 0, 2, start_time, rss_pages, 1, 0, policy)
    return RawProcess(st, status, 1000, "alice", "p --x", False, io)


def status(vcsw: int | None, nvcsw: int | None, cpus: tuple[int, ...] = (0, 1)) -> ProcStatus:
    return ProcStatus(cpus, vcsw, nvcsw, 1000)


def one(prev: dict[int, RawProcess] | None, cur: RawProcess, elapsed: float | None = 0.5) -> ProcessInfo:
    """The row of the single process ``cur`` (clock 100 Hz, 4 KiB pages, 8 GiB of memory)."""
    (info,) = process_infos(prev, {cur.stat.pid: cur}, elapsed, 100, 4096, 8 << 30)
    return info


def test_cpu_percent_over_two_samples() -> None:
    prev = {10: raw(utime=100, stime=50)}
    info = one(prev, raw(utime=150, stime=70), elapsed=0.5)
    assert info.cpu_percent == pytest.approx(140.0)  # 70 ticks / 100 Hz / 0.5 s: above one core
    assert info.cpu_time_seconds == pytest.approx(2.2)
    assert info.rss_bytes == 1000 * 4096
    assert info.mem_percent == pytest.approx(1000 * 4096 / (8 << 30) * 100)
    assert (info.user, info.uid, info.cmdline, info.threads, info.processor) == ("alice", 1000, "p --x", 2, 1)


def test_no_rates_without_a_baseline_or_elapsed_time() -> None:
    cur = raw(utime=150)
    assert one(None, cur).cpu_percent is None
    assert one({}, cur).cpu_percent is None  # a new process
    assert one({10: raw()}, cur, elapsed=None).cpu_percent is None
    assert one({10: raw()}, cur, elapsed=0.0).cpu_percent is None


def test_reused_pid_or_backwards_counter_gives_none_not_a_spike() -> None:
    reused = one({10: raw(utime=10, start_time=4000)}, raw(utime=900_000, start_time=5000))
    assert reused.cpu_percent is None
    backwards = one({10: raw(utime=500)}, raw(utime=100))
    assert backwards.cpu_percent is None
    assert one({10: raw(utime=100)}, raw(utime=99)).cpu_percent is None  # never a negative rate
    idle = one({10: raw()}, raw())
    assert idle.cpu_percent == 0.0


def test_parse_io_takes_storage_bytes() -> None:
    text = (
        "rchar: 323934931\nwchar: 323929600\nsyscr: 632687\nsyscw: 632675\n"
        "read_bytes: 4096\nwrite_bytes: 323932160\ncancelled_write_bytes: 0\n"
    )
    assert parse_pid_io(text) == ProcIo(4096, 323932160)
    assert parse_pid_io("rchar: 1\nread_bytes: x\n") == ProcIo(None, None)


def test_io_rates_need_io_in_both_samples() -> None:
    both = one({10: raw(io=ProcIo(1000, 0))}, raw(io=ProcIo(5000, 8192)), elapsed=2.0)
    assert (both.io_read_bytes_per_s, both.io_write_bytes_per_s) == (2000.0, 4096.0)
    assert (both.io_read_bytes, both.io_write_bytes) == (5000, 8192)
    assert one({10: raw()}, raw(io=ProcIo(5000, 8192))).io_read_bytes_per_s is None
    assert one({10: raw(io=ProcIo(9000, 0))}, raw(io=ProcIo(5000, 0))).io_read_bytes_per_s is None
    reused = one({10: raw(io=ProcIo(1, 1), start_time=1)}, raw(io=ProcIo(5, 5)))
    assert reused.io_write_bytes_per_s is None


def test_io_is_read_with_status_only(tree: FS) -> None:
    pid = next(iter(ProcessScanner(tree).scan(())))
    io_file = Path(tree.proc(pid, "io"))
    io_file.write_text("read_bytes: 512\nwrite_bytes: 1024\n")
    assert ProcessScanner(tree).scan(())[pid].io is None
    assert ProcessScanner(tree).scan([pid])[pid].io == ProcIo(512, 1024)
    io_file.unlink()
    assert ProcessScanner(tree).scan([pid])[pid].io is None


def test_context_switch_rates_need_status_in_both_samples() -> None:
    both = one({10: raw(status=status(100, 10))}, raw(status=status(150, 12)), elapsed=2.0)
    assert (both.voluntary_ctxt_switches_per_s, both.nonvoluntary_ctxt_switches_per_s) == (25.0, 1.0)
    assert (both.voluntary_ctxt_switches, both.nonvoluntary_ctxt_switches, both.affinity) == (150, 12, (0, 1))
    no_prev_status = one({10: raw()}, raw(status=status(150, 12)))
    assert no_prev_status.voluntary_ctxt_switches_per_s is None
    assert no_prev_status.voluntary_ctxt_switches == 150
    no_cur_status = one({10: raw(status=status(100, 10))}, raw())
    assert (no_cur_status.voluntary_ctxt_switches, no_cur_status.voluntary_ctxt_switches_per_s) == (
        None,
        None,
    )
    assert no_cur_status.affinity is None
    reused = one({10: raw(status=status(100, 10), start_time=1)}, raw(status=status(150, 12)))
    assert reused.voluntary_ctxt_switches_per_s is None
    backwards = one({10: raw(status=status(100, 10))}, raw(status=status(50, 12)))
    assert (backwards.voluntary_ctxt_switches_per_s, backwards.nonvoluntary_ctxt_switches_per_s) == (
        None,
        4.0,
    )


@pytest.mark.parametrize(
    ("policy", "name"),
    [
        (0, "SCHED_OTHER"),
        (1, "SCHED_FIFO"),
        (2, "SCHED_RR"),
        (3, "SCHED_BATCH"),
        (5, "SCHED_IDLE"),
        (6, "SCHED_DEADLINE"),
        (4, None),
        (None, None),
    ],
)
def test_policy_names(policy: int | None, name: str | None) -> None:
    assert one(None, raw(policy=policy)).policy == name


def test_mem_percent_needs_mem_total() -> None:
    (info,) = process_infos(None, {10: raw()}, None, 100, 4096, None)
    assert info.mem_percent is None and info.rss_bytes == 4096000


def test_rows_come_in_pid_order() -> None:
    cur = {pid: raw(pid=pid) for pid in (30, 2, 17)}
    assert [p.pid for p in process_infos(None, cur, None, 100, 4096, None)] == [2, 17, 30]


def test_rates_over_two_ticks_of_a_generated_tree(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    before = scanner.scan(None)
    make_tree(tmp_path, processes=25, tick=1)  # one second later
    after = scanner.scan(None)
    infos = {p.pid: p for p in process_infos(before, after, 1.0, 100, 4096, 16 << 30)}
    for p in processes_for(4, 25, 0, ()):
        info = infos[p.pid]
        assert info.cpu_percent == pytest.approx(p.utime_rate + p.stime_rate), p.comm
        assert info.voluntary_ctxt_switches_per_s == pytest.approx(p.vcsw_rate), p.comm
        assert info.nonvoluntary_ctxt_switches_per_s == pytest.approx(p.nvcsw_rate), p.comm
        assert info.affinity == (p.affinity if p.affinity is not None else (0, 1, 2, 3))
        assert info.processor in info.affinity
    assert infos[1290].cpu_percent == 150.0  # a multi-threaded process above one core


def test_task_counts_follow_htop() -> None:
    def task(pid: int, state: str, threads: int, ppid: int = 1) -> RawProcess:
        st = ProcStat(pid, "t", state, ppid, 0, 0, 20, 0, threads, 1, 0, 0, 0, 0)
        return RawProcess(st, None, 0, "root", "", is_kernel_thread(st))

    cur = {
        1: task(1, "S", 1, ppid=0),
        2: task(2, "S", 1, ppid=0),
        3: task(3, "I", 1, ppid=2),
        4: task(4, "R", 8),
        5: task(5, "D", 1),
        6: task(6, "Z", 1),
        7: task(7, "T", 3),
        8: task(8, "R", 2),
    }
    counts = task_counts(cur)
    assert (counts.processes, counts.threads, counts.kernel_threads) == (8, 18, 2)
    assert (counts.running, counts.sleeping, counts.zombie) == (2, 5, 1)
    empty = task_counts({})
    assert (empty.processes, empty.threads, empty.running, empty.sleeping, empty.zombie) == (0, 0, 0, 0, 0)


def test_task_counts_on_a_generated_tree(tree: FS) -> None:
    counts = task_counts(ProcessScanner(tree).scan(()))
    procs = processes_for(4, 25, 0, ())
    assert counts.processes == 25
    assert counts.threads == sum(p.threads for p in procs)
    assert counts.kernel_threads == sum(p.kernel for p in procs)
    assert counts.running == sum(p.state == "R" for p in procs)
    assert counts.zombie == sum(p.state == "Z" for p in procs) == 1
    assert counts.sleeping == 25 - counts.running - counts.zombie

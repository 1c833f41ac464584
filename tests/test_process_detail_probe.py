"""One process's detail: the status, limits, io and environ parsers on fixture texts, and the reader with
its rates, history and exit handling on the demo tree."""

from __future__ import annotations

import resource
import shutil
from pathlib import Path

from perftop.probes.capabilities import capability_names
from perftop.probes.detail_data import Limit
from perftop.probes.limits import parse_tuning_limits
from perftop.probes.process_detail import (
    DetailSampler,
    parse_environ,
    parse_io_counters,
    parse_status_detail,
)
from testbed.demo import DemoMachine

STATUS = """\
Name:\tworker
State:\tR (running)
Threads:\t4
CapEff:\t0000000000800400
NoNewPrivs:\t1
Seccomp:\t2
Cpus_allowed_list:\t0-3,8
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t120
nonvoluntary_ctxt_switches:\t7
"""

LIMITS = """\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         65536                65536                bytes
Max nice priority         0                    10
Max realtime priority     5                    5
Max realtime timeout      unlimited            200000               us
"""


def test_status_detail_decodes_capabilities_and_flags() -> None:
    status = parse_status_detail(STATUS)
    assert status.state == "R (running)" and status.threads == 4
    assert status.capabilities == ("cap_net_bind_service", "cap_sys_nice")
    assert (status.seccomp, status.no_new_privs) == ("filter", True)
    assert (status.cpus_allowed_list, status.mems_allowed_list) == ("0-3,8", "0")
    assert (status.voluntary_ctxt_switches, status.nonvoluntary_ctxt_switches) == (120, 7)
    empty = parse_status_detail("Name:\tx\nNoNewPrivs:\tmaybe\nThreads:\t-1\n")
    assert (empty.capabilities, empty.no_new_privs, empty.threads, empty.seccomp) == (None, None, None, None)
    assert capability_names(1 << 45) == ("cap_45",)  # a capability newer than perftop


def test_the_limits_that_govern_tuning() -> None:
    limits = parse_tuning_limits(LIMITS)
    assert limits == {
        "NOFILE": Limit(1024, 524288, "files"),
        "MEMLOCK": Limit(65536, 65536, "bytes"),
        "NICE": Limit(0, 10, ""),
        "RTPRIO": Limit(5, 5, ""),
        "RTTIME": Limit(resource.RLIM_INFINITY, 200000, "us"),
    }
    assert parse_tuning_limits("Max nice priority\n") == {}


def test_io_and_environ() -> None:
    io = parse_io_counters("rchar: 10\nwchar: 20\nread_bytes: 4096\nwrite_bytes: x\n")
    assert io == {"rchar": 10, "wchar": 20, "read_bytes": 4096}
    assert parse_environ(b"A=1\0B=\xff\x1b[2J\0\0") == ("A=1", "B=\ufffd\x1b[2J")


def test_rates_history_and_exit_on_the_demo_tree(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    sampler = DetailSampler(machine.fs, 1290, 5000, lambda pid: "best-effort 4", machine.clock)
    first = sampler.read()
    assert first.detail is not None and not first.gone and first.run_delay_ms_per_s is None
    assert first.detail.cgroup is not None and first.detail.cgroup.quota_cpus == 1.5
    assert first.detail.container is not None and first.detail.container.runtime == "docker"
    assert first.ionice == "best-effort 4" and first.detail.descriptors is not None
    assert first.detail.descriptors.sockets == 1
    assert sampler.read() is first  # no time has passed
    delays = []
    for _ in range(2):
        machine.advance()
        reading = sampler.read()
        delays.append(reading.run_delay_ms_per_s)
    assert reading.throttled_per_s == 2.0 and reading.throttled_ms_per_s == 40.0
    assert reading.run_delay_history == tuple(delays) and all(d is not None and d > 0 for d in delays)
    # The process exits: its last values stay, marked gone, and nothing more is read.
    shutil.rmtree(tmp_path / "proc" / "1290")
    machine.clock.now += 1
    gone = sampler.read()
    assert gone.gone and gone.detail == reading.detail and gone.run_delay_history == reading.run_delay_history
    machine.clock.now += 1
    assert sampler.read() is gone
    # A PID reused by another process is not the one shown.
    other = DetailSampler(machine.fs, 1, 999, None, machine.clock).read()
    assert other.gone and other.detail is None

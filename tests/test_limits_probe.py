"""perftop.probes.limits: the soft limits of /proc/PID/limits, parsed and read."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from perftop.probes.fs import FS
from perftop.probes.limits import SoftLimits, parse_pid_limits, read_pid_limits


def test_parse_pid_limits() -> None:
    text = (
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max cpu time              unlimited            unlimited            seconds   \n"
        "Max nice priority         25                   30                   \n"
        "Max realtime priority     unlimited            unlimited            \n"
        "Max realtime timeout      unlimited            unlimited            us        \n"
    )
    assert parse_pid_limits(text) == SoftLimits(nice=25, rtprio=resource.RLIM_INFINITY)
    assert parse_pid_limits("Limit Soft Hard\n") == SoftLimits(nice=None, rtprio=None)


def test_parse_pid_limits_leaves_a_garbled_line_unknown() -> None:
    text = "Max nice priority         -3      30\nMax realtime priority\n"
    assert parse_pid_limits(text) == SoftLimits(nice=None, rtprio=None)


def test_parse_pid_limits_matches_getrlimit() -> None:
    limits = parse_pid_limits(Path("/proc/self/limits").read_text())
    assert limits.nice == resource.getrlimit(resource.RLIMIT_NICE)[0]
    assert limits.rtprio == resource.getrlimit(resource.RLIMIT_RTPRIO)[0]


def test_read_pid_limits_of_this_process_and_of_none(tmp_path: Path) -> None:
    limits = read_pid_limits(FS(), os.getpid())
    assert limits is not None and limits.nice == resource.getrlimit(resource.RLIMIT_NICE)[0]
    assert read_pid_limits(FS(procfs=tmp_path), 42) is None  # no such file: unknown, no exception

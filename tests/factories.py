"""Builders of plausible snapshot values for widget tests."""

from __future__ import annotations

from dataclasses import replace

from perftop.probes.snapshot import ProcessInfo

MIB = 1024 * 1024


def make_proc(pid: int, **fields: object) -> ProcessInfo:
    """A plausible user process; ``fields`` override any field."""
    base = ProcessInfo(
        pid=pid,
        ppid=1,
        user="alice",
        uid=1000,
        comm=f"proc{pid}",
        cmdline=f"/usr/bin/proc{pid} --serve",
        state="S",
        policy="SCHED_OTHER",
        rtprio=0,
        nice=0,
        priority=20,
        processor=0,
        affinity=(0, 1),
        threads=1,
        start_time=1000 + pid,
        cpu_percent=0.0,
        cpu_time_seconds=1.0,
        rss_bytes=4 * MIB,
        mem_percent=0.1,
        voluntary_ctxt_switches=10,
        nonvoluntary_ctxt_switches=1,
        voluntary_ctxt_switches_per_s=1.0,
        nonvoluntary_ctxt_switches_per_s=0.0,
        kernel_thread=False,
    )
    return replace(base, **fields)

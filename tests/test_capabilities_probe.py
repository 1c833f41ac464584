"""perftop.probes.capabilities: the CapEff line of /proc/PID/status."""

from __future__ import annotations

from pathlib import Path

from perftop.probes.capabilities import (
    CAP_SYS_NICE,
    parse_effective_capabilities,
    read_effective_capabilities,
)
from perftop.probes.fs import FS


def test_parse_effective_capabilities() -> None:
    text = "Name:\tbash\nCapInh:\t0000000000000000\nCapEff:\t0000000000800000\nCapBnd:\t000001ffffffffff\n"
    assert parse_effective_capabilities(text) == 1 << CAP_SYS_NICE
    assert parse_effective_capabilities("Name:\tbash\n") is None
    assert parse_effective_capabilities("CapEff:\n") is None
    assert parse_effective_capabilities("CapEff:\tzz\n") is None


def test_read_effective_capabilities_of_this_process(tmp_path: Path) -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            expected = int(line.split()[1], 16)
    assert read_effective_capabilities(FS()) == expected
    assert read_effective_capabilities(FS(procfs=tmp_path)) is None

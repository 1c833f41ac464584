"""perftop.probes.fs: read_text and read_bytes on regular files and on this machine's procfs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

import pytest

from perftop.probes.fs import FS, read_bytes, read_text


def test_reads_a_small_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "status"
    path.write_bytes(b"Name:\tbash\nUid:\t0\t0\t0\t0\n")
    assert read_bytes(str(path)) == b"Name:\tbash\nUid:\t0\t0\t0\t0\n"
    assert read_text(str(path)) == "Name:\tbash\nUid:\t0\t0\t0\t0\n"


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 3 * 8192 + 17, 5 << 20])
def test_reads_files_of_any_length_to_the_end(tmp_path: Path, size: int) -> None:
    # Sizes around the first read (8 KiB) and beyond the largest single read (1 MiB).
    data = bytes((i * 7 + i // 251) % 256 for i in range(size))
    path = tmp_path / "big"
    path.write_bytes(data)
    assert read_bytes(str(path)) == data


def test_text_keeps_line_ends_and_replaces_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "comm"
    path.write_bytes(b"caf\xc3\xa9 \xff\xfe\r\nnext\n")
    assert read_text(str(path)) == "café \ufffd\ufffd\r\nnext\n"


def test_missing_unreadable_or_odd_paths_give_none(tmp_path: Path) -> None:
    assert read_text(str(tmp_path / "absent")) is None
    assert read_bytes(str(tmp_path / "absent")) is None
    assert read_text(str(tmp_path)) is None  # a directory opens, but reading it fails
    assert read_text(str(tmp_path / "a\0b")) is None  # a NUL in the path
    assert read_text(str(tmp_path / "absent" / "deeper")) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_unreadable_file_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("x")
    path.chmod(0)
    assert read_text(str(path)) is None


def test_empty_file_is_empty_text_not_none(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    assert read_text(str(tmp_path / "empty")) == ""


@pytest.mark.live
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")
def test_procfs_files_read_as_python_reads_them() -> None:
    # A sleeping child: its files do not change between the two reads.
    child = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/comm").read_text() != "sleep\n" or _state(child.pid) != "S":
            assert time.monotonic() < deadline, "the child never went to sleep"
            time.sleep(0.01)
        for name in ("status", "cmdline", "limits"):
            path = f"/proc/{child.pid}/{name}"
            with open(path, "rb") as f:
                expected = f.read()
            assert read_bytes(path) == expected, name
        assert read_text(f"/proc/{child.pid}/status").startswith("Name:\t")
    finally:
        child.kill()
        child.wait()
    assert read_text(f"/proc/{child.pid}/status") is None  # reaped: gone


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


@pytest.mark.parametrize("root", ["/", "/proc", "relative/root", "/tmp/with space"])
def test_paths_are_those_of_os_path_join_under_any_root(root: str) -> None:
    fs = FS(procfs=Path(root), sysfs=Path(root) / "sys")
    assert fs.proc(1234, "stat") == os.path.join(Path(root), "1234", "stat")
    assert fs.proc("sys", "kernel", "hostname") == os.path.join(Path(root), "sys", "kernel", "hostname")
    sysfs = Path(root) / "sys"
    assert fs.sys("devices", "system", "node") == os.path.join(sysfs, "devices", "system", "node")
    # Another root, made with replace, makes its own paths; the roots alone make FS equal.
    moved = dataclasses.replace(fs, procfs=Path("/elsewhere"))
    assert moved.proc("stat") == "/elsewhere/stat"
    assert moved.sys("x") == fs.sys("x")
    assert fs == FS(procfs=Path(root), sysfs=Path(root) / "sys") != moved
    assert hash(fs) == hash(FS(procfs=Path(root), sysfs=Path(root) / "sys"))

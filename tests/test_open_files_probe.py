"""The ``l`` key's listing: fdinfo and unix-table parsers on fixture texts, and the reader on a real child
holding a file, a pipe, a loopback TCP connection and a Unix socket, checked against ``ls -l /proc/PID/fd``
(and ``lsof -p`` where installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.open_files import (
    describe,
    flag_names,
    parse_fdinfo,
    parse_unix_table,
    read_open_files,
    socket_inode,
)

# The child opens fds 3.. in this order and prints READY with its TCP ports and the socket path.
CHILD = r"""
import os, socket, sys, time
path, sock_path = sys.argv[1], sys.argv[2]
f = open(path, "a+")
f.write("hello")
f.flush()
r, w = os.pipe()
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
client = socket.create_connection(server.getsockname())
accepted, _ = server.accept()
unix = socket.socket(socket.AF_UNIX); unix.bind(sock_path); unix.listen()
print("READY", server.getsockname()[1], client.getsockname()[1], flush=True)
time.sleep(60)
"""


@pytest.fixture
def child(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, Path, int, int]]:
    path, sock = tmp_path / "held.txt", tmp_path / "s.sock"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(sock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        words = proc.stdout.readline().split()
        assert words[0] == "READY"
        yield proc, path, sock, int(words[1]), int(words[2])
    finally:
        proc.kill()
        proc.wait()


def test_fdinfo_parser() -> None:
    info = parse_fdinfo("pos:\t5\nflags:\t02102002\nmnt_id:\t30\nino:\t12\n")
    assert info.position == 5
    assert info.flags == 0o2102002
    assert flag_names(info.flags).split("|")[0] == "O_RDWR"
    assert "O_APPEND" in flag_names(info.flags) and "O_CLOEXEC" in flag_names(info.flags)
    assert parse_fdinfo("pos:\tnope\nflags:\t9\n").position is None
    assert parse_fdinfo("").flags is None


def test_unix_table_parser() -> None:
    text = (
        "Num       RefCount Protocol Flags    Type St Inode Path\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 1234 /run/a b.sock\n"
        "0000000000000000: 00000002 00000000 00000000 0001 03 99\n"
        "garbage\n"
    )
    assert parse_unix_table(text) == {1234: "/run/a b.sock", 99: ""}
    assert socket_inode("socket:[77]") == 77
    assert socket_inode("pipe:[77]") is None


def test_a_real_child_listed_as_ls_and_lsof_see_it(
    child: tuple[subprocess.Popen[str], Path, Path, int, int],
) -> None:
    proc, path, sock, server_port, client_port = child
    listing = read_open_files(FS(), proc.pid)
    assert listing is not None and not listing.truncated
    by_fd = {f.fd: f for f in listing.files}
    # ls -l /proc/PID/fd: the same descriptors naming the same things.
    ls = subprocess.run(["ls", "-l", f"/proc/{proc.pid}/fd"], capture_output=True, text=True, check=True)
    pairs = (line.split(" -> ", 1) for line in ls.stdout.splitlines() if " -> " in line)
    links = {left.split()[-1]: right for left, right in pairs}
    assert {str(fd): f.target for fd, f in by_fd.items()} == links
    held = by_fd[3]
    assert (held.kind, held.target, held.position) == ("REG", str(path), 5)
    assert held.flags is not None and "O_APPEND" in flag_names(held.flags)
    assert "O_RDWR" in flag_names(held.flags)
    assert by_fd[4].kind == by_fd[5].kind == "FIFO"
    assert by_fd[4].target == by_fd[5].target and str(by_fd[4].target).startswith("pipe:[")
    assert "O_WRONLY" in flag_names(by_fd[5].flags or 0)
    endpoints = {f.endpoint for f in listing.files if f.kind == "SOCK"}
    assert f"TCP 127.0.0.1:{server_port} (LISTEN)" in endpoints
    assert f"TCP 127.0.0.1:{client_port} -> 127.0.0.1:{server_port} (ESTABLISHED)" in endpoints
    assert f"TCP 127.0.0.1:{server_port} -> 127.0.0.1:{client_port} (ESTABLISHED)" in endpoints
    assert f"UNIX {sock}" in endpoints
    text = describe(listing)
    assert str(path) in text and f"UNIX {sock}" in text
    if shutil.which("lsof"):
        out = subprocess.run(
            ["lsof", "-n", "-P", "-a", "-p", str(proc.pid), "-d", "0-999"], capture_output=True, text=True
        ).stdout
        lsof_fds = {int(line.split()[3].rstrip("urw")) for line in out.splitlines()[1:]}
        assert lsof_fds == set(by_fd)
        assert f"127.0.0.1:{client_port}->127.0.0.1:{server_port}" in out


def test_gone_or_unlistable_gives_none() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    time.sleep(0.01)
    assert read_open_files(FS(), proc.pid) is None


def test_another_users_process_is_unlistable_as_nobody(
    child: tuple[subprocess.Popen[str], Path, Path, int, int],
) -> None:
    from tests.unprivileged import run_as_nobody

    pid = child[0].pid
    out = run_as_nobody(lambda: {"listing": read_open_files(FS(), pid) is None, "own": os.getpid()})
    assert out["listing"] is True

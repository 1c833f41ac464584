"""The open files and sockets of one process, as ``lsof -p`` lists them: ``/proc/PID/fd`` (what each
descriptor names), ``/proc/PID/fdinfo`` (position and open flags) and the process's own socket tables
(``/proc/PID/net/tcp``, ``tcp6``, ``udp``, ``udp6``, ``unix``: its network namespace's) for endpoints.

Read on demand for one process (the ``l`` key), never while sampling.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import U64_MAX, is_decimal
from perftop.probes.net import parse_socket_table

#: Most descriptors listed: a process with more shows this many (``truncated``).
MAX_LISTED = 10_000

#: Open flags shown by name besides the access mode, as this platform numbers them (``os`` constants).
_FLAG_NAMES: tuple[tuple[str, int], ...] = tuple(
    (name, value)
    for name in (
        "O_APPEND",
        "O_NONBLOCK",
        "O_SYNC",
        "O_DSYNC",
        "O_DIRECT",
        "O_DIRECTORY",
        "O_NOFOLLOW",
        "O_NOATIME",
        "O_CLOEXEC",
        "O_PATH",
        "O_TMPFILE",
    )
    if (value := getattr(os, name, 0))
)
_ACCESS = {os.O_RDONLY: "O_RDONLY", os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}


@dataclass(frozen=True, slots=True)
class FdInfo:
    """``/proc/PID/fdinfo/FD``: file position and open flags (octal in the file)."""

    position: int | None
    flags: int | None


@dataclass(frozen=True, slots=True)
class OpenFile:
    """One descriptor: its number, ``kind`` (lsof's TYPE: ``REG``, ``DIR``, ``CHR``, ``BLK``, ``FIFO``,
    ``SOCK``, ``a_inode``, ``?`` when unknown), what it names (the link), position and flags where readable,
    and for a socket its endpoints (``TCP 127.0.0.1:80 -> 10.0.0.1:5000 ESTABLISHED``) when found."""

    fd: int
    kind: str
    target: str | None
    position: int | None
    flags: int | None
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class OpenFiles:
    """The descriptors of a process, in fd order; ``truncated`` when it had more than were listed."""

    files: tuple[OpenFile, ...]
    truncated: bool


def parse_fdinfo(text: str) -> FdInfo:
    """``/proc/PID/fdinfo/FD`` text (``pos:``, ``flags:`` lines; the others ignored)."""
    position = flags = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "pos" and is_decimal(value) and int(value) <= U64_MAX:
            position = int(value)
        elif key == "flags" and value and len(value) <= 22 and all(c in "01234567" for c in value):
            flags = int(value, 8)
    return FdInfo(position, flags)


def flag_names(flags: int) -> str:
    """Open flags as names joined by ``|``: the access mode first (``O_RDWR|O_APPEND|O_CLOEXEC``)."""
    names = [_ACCESS.get(flags & os.O_ACCMODE, f"O_ACCMODE={flags & os.O_ACCMODE}")]
    for name, value in _FLAG_NAMES:
        if flags & value == value:
            names.append(name)
    return "|".join(names)


def parse_unix_table(text: str) -> dict[int, str]:
    """``/proc/net/unix``: socket inode -> its path (``@name`` for an abstract one, ``""`` unnamed)."""
    paths: dict[int, str] = {}
    for line in text.splitlines()[1:]:
        # Num RefCount Protocol Flags Type St Inode [Path]
        columns = line.split(None, 7)
        if len(columns) < 7 or not columns[0].endswith(":") or not is_decimal(columns[6]):
            continue
        paths[int(columns[6])] = columns[7].rstrip("\n") if len(columns) > 7 else ""
    return paths


def socket_inode(target: str) -> int | None:
    """The inode of a ``socket:[INODE]`` link, else ``None``."""
    if target.startswith("socket:[") and target.endswith("]") and is_decimal(target[8:-1]):
        return int(target[8:-1])
    return None


def _kind(target: str | None, mode: int | None) -> str:
    if target is not None:
        if target.startswith("socket:"):
            return "SOCK"
        if target.startswith("pipe:"):
            return "FIFO"
        if target.startswith("anon_inode:"):
            return "a_inode"
    if mode is None:
        return "?"
    for test, name in (
        (stat.S_ISREG, "REG"),
        (stat.S_ISDIR, "DIR"),
        (stat.S_ISCHR, "CHR"),
        (stat.S_ISBLK, "BLK"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "SOCK"),
    ):
        if test(mode):
            return name
    return "?"


def socket_endpoints(fs: FS, pid: int) -> dict[int, str]:
    """Socket inode -> endpoints in words, from the socket tables of ``pid``'s network namespace."""
    found: dict[int, str] = {}
    for table in ("tcp", "tcp6", "udp", "udp6"):
        text = read_text(fs.proc(pid, "net", table))
        if text is None:
            continue
        protocol = table.upper()
        for entry in parse_socket_table(text, table):
            local = f"{_host(entry.local_address)}:{entry.local_port}"
            if entry.state == "LISTEN" or (table.startswith("udp") and entry.remote_port == 0):
                found[entry.inode] = f"{protocol} {local} ({entry.state})"
            else:
                remote = f"{_host(entry.remote_address)}:{entry.remote_port}"
                found[entry.inode] = f"{protocol} {local} -> {remote} ({entry.state})"
    unix = read_text(fs.proc(pid, "net", "unix"))
    if unix is not None:
        for inode, path in parse_unix_table(unix).items():
            found[inode] = f"UNIX {path}" if path else "UNIX (unnamed)"
    return found


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def read_open_files(fs: FS, pid: int, limit: int = MAX_LISTED) -> OpenFiles | None:
    """The descriptors of ``pid``; ``None`` when ``/proc/PID/fd`` cannot be listed (gone, or another user's
    process without root). A descriptor closed while it is read is left out. On a procfs root other than this
    machine's (a fixture, a capture) a path's type is ``?``: its links name files of another machine."""
    directory = fs.proc(pid, "fd")
    own = fs.is_own_proc()
    try:
        names = [n for n in os.listdir(directory) if is_decimal(n)]
    except OSError:
        return None
    numbers = sorted(int(n) for n in names)
    truncated = len(numbers) > limit
    files: list[OpenFile] = []
    sockets = False
    for fd in numbers[:limit]:
        path = os.path.join(directory, str(fd))
        try:
            target: str | None = os.readlink(path)
        except FileNotFoundError:
            continue  # closed meanwhile
        except OSError:
            target = None
        mode: int | None = None
        if own:
            try:
                # stat, never open: a FIFO's descriptor must not block.
                mode = os.stat(path).st_mode
            except OSError:
                mode = None
        info_text = read_text(fs.proc(pid, "fdinfo", str(fd)))
        info = parse_fdinfo(info_text) if info_text is not None else FdInfo(None, None)
        kind = _kind(target, mode)
        sockets = sockets or kind == "SOCK"
        files.append(OpenFile(fd, kind, target, info.position, info.flags))
    if sockets:
        endpoints = socket_endpoints(fs, pid)
        files = [
            OpenFile(f.fd, f.kind, f.target, f.position, f.flags, endpoints.get(inode))
            if f.kind == "SOCK" and f.target is not None and (inode := socket_inode(f.target)) is not None
            else f
            for f in files
        ]
    return OpenFiles(tuple(files), truncated)


def describe(files: OpenFiles) -> str:
    """The listing as lines of text, ``lsof -p``'s columns: FD, TYPE, position, flags, then the name (a
    socket's endpoints where known), each column as wide as its widest value. Names are the kernel's,
    unescaped: the screen escapes them."""
    rows = [("FD", "TYPE", "POS", "FLAGS", "NAME")]
    for f in files.files:
        name = f.target if f.target is not None else "?"
        if f.endpoint is not None:
            name = f"{f.endpoint}  {name}"
        position = "" if f.position is None else str(f.position)
        flags = "" if f.flags is None else flag_names(f.flags)
        rows.append((str(f.fd), f.kind, position, flags, name))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"{fd:>{widths[0]}}  {kind:<{widths[1]}}  {pos:>{widths[2]}}  {flags:<{widths[3]}}  {name}"
        for fd, kind, pos, flags, name in rows
    ]
    if files.truncated:
        lines.append(f"(only the first {len(files.files)} descriptors are listed)")
    return "\n".join(lines)

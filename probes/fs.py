"""Where procfs and sysfs live, and the one safe way to read a file from them."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

#: How a reader gets a file's text: :func:`read_text`, or a :class:`HeldFiles` (or its ``read_text``) of a
#: sampler that keeps the files it reads every sample open. ``None`` when missing, unreadable or vanished.
TextReader = Callable[[str], "str | None"]

_T = TypeVar("_T")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def parse_named_lines(
    text: str, parse_line: Callable[[str], _N | None], lines: dict[str, _N] | None = None
) -> dict[str, _N]:
    """Each line's ``parse_line`` result (``None``: a line skipped) by its ``name``, in the file's order; a
    name seen twice keeps its first line.

    ``lines`` is the caller's memo between calls (empty at first), refilled by each call with its lines and
    what they gave: a line found there unchanged gives that object again without being parsed (the line of
    an idle disk or interface). The result equals the one without it.
    """
    named: dict[str, _N] = {}
    memo = lines.get if lines is not None else None
    seen: dict[str, _N] = {}
    for line in text.splitlines():
        parsed = memo(line) if memo is not None else None
        if parsed is None:
            parsed = parse_line(line)
            if parsed is None:
                continue
        seen[line] = parsed
        if parsed.name not in named:
            named[parsed.name] = parsed
    if lines is not None:
        lines.clear()
        lines.update(seen)
    return named


@dataclass(frozen=True, slots=True)
class FS:
    """The roots of procfs and sysfs (``--procfs`` / ``--sysfs``).

    Every probe reads through one, so it runs unchanged on a fixture tree or a container's ``/host/proc``.
    """

    procfs: Path = Path("/proc")
    sysfs: Path = Path("/sys")
    # The roots as text ending in "/": a sampler makes dozens of paths a sample, and os.path.join of a
    # Path costs far more than this concatenation.
    _proc_prefix: str = field(init=False, repr=False, compare=False)
    _sys_prefix: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_proc_prefix", os.path.join(self.procfs, ""))
        object.__setattr__(self, "_sys_prefix", os.path.join(self.sysfs, ""))

    def proc(self, *parts: str | int) -> str:
        """Path of a file under the procfs root, e.g. ``fs.proc(1234, "stat")``."""
        return self._proc_prefix + "/".join(map(str, parts))

    def sys(self, *parts: str) -> str:
        """Path of a file under the sysfs root."""
        return self._sys_prefix + "/".join(parts)

    def is_own_proc(self) -> bool:
        """True when the procfs root is this process's own ``/proc``: the very mount at ``/proc`` (a bind
        mount of it included), whose ``self`` link names our PID.

        Only then may perftop act on the PIDs it shows; on a fixture, a container's ``/host/proc`` or a
        recording the PIDs are not ours to signal. The link alone is not enough: whoever writes a tree
        can give it a ``self`` link naming perftop's PID.
        """
        try:
            if os.stat(self.procfs).st_dev != os.stat("/proc").st_dev:
                return False
            return os.readlink(self.proc("self")) == str(os.getpid())
        except OSError:
            return False


#: First read size: more than any procfs or sysfs file perftop reads per process; bigger files (``numa_maps``,
#: ``net/tcp``) take a few reads, each twice the last.
_FIRST_READ = 8192
#: Largest single read, so a huge file does not allocate a huge buffer per call.
_MAX_READ = 1 << 20
#: Largest file perftop reads, well above any procfs or sysfs file (a socket table of half a million
#: sockets is ~75 MiB): a bigger one (a sparse file in a foreign tree) reads as missing rather than filling
#: memory.
MAX_FILE_BYTES = 128 << 20


#: How every procfs and sysfs file is opened: read-only, not inherited by children, and without waiting on a
#: FIFO (a fixture or a container's tree may hold anything where a kernel file should be).
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


def open_regular(path: str, dir_fd: int | None = None) -> tuple[int, os.stat_result]:
    """Open a file for reading; its descriptor and ``fstat``. ``OSError`` when it cannot be opened or is not a
    regular file: every procfs and sysfs file is one, while reading a FIFO or a terminal blocks and reading
    ``/dev/zero`` never ends."""
    fd = os.open(path, READ_FLAGS, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        if info.st_size > MAX_FILE_BYTES:  # (procfs files show size 0: made as they are read)
            raise OSError(errno.EFBIG, "larger than any procfs or sysfs file", path)
    except OSError:
        os.close(fd)
        raise
    return fd, info


def _read_fd(fd: int) -> bytes:
    """Everything from ``fd``'s offset to EOF (a read returning nothing)."""
    data = os.read(fd, _FIRST_READ)
    if not data:
        return data
    chunks = [data]
    size = _FIRST_READ
    total = len(data)
    while chunk := os.read(fd, size):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise OSError(errno.EFBIG, "larger than any procfs or sysfs file")
        size = min(size * 2, _MAX_READ)
    return b"".join(chunks)


def read_bytes(path: str) -> bytes | None:
    """The whole file as bytes, or ``None`` when it is missing, unreadable or vanished mid-read."""
    # os.open/os.read skip the buffered-file and text-wrapper objects of open(): procfs files are read
    # thousands of times a second, and that setup cost more than the kernel's work for small ones.
    try:
        fd = open_regular(path)[0]
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    try:
        return _read_fd(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_text(path: str) -> str | None:
    """The whole file as text (UTF-8, bad bytes replaced), or ``None`` when it is missing, unreadable or
    vanished mid-read."""
    data = read_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")


def read_parsed(read: TextReader, path: str, parse: Callable[..., _T], *args: Any) -> _T | None:
    """``parse(text, *args)`` of the file, or ``None`` when it cannot be read.

    Through a :class:`HeldFiles` the result of the last call for ``path`` comes back while the file's bytes
    and ``parse`` are unchanged (see :meth:`HeldFiles.parsed`).
    """
    if isinstance(read, HeldFiles):
        return read.parsed(path, parse, *args)
    text = read(path)
    return None if text is None else parse(text, *args)


class _Held:
    """One file :class:`HeldFiles` keeps open: its descriptor, whether it is sized (a regular file or a
    sysfs attribute: a short read is its end), a read size that fits it, whether it was read since the
    last sweep, and the last :meth:`HeldFiles.parsed` result with what it was made from."""

    __slots__ = ("fd", "memo", "read_size", "sized", "used")

    def __init__(self, fd: int, sized: bool) -> None:
        self.fd = fd
        self.sized = sized
        self.read_size = _FIRST_READ
        self.used = True
        #: (bytes, parse, result) of the last parse of this file.
        self.memo: tuple[bytes, Callable[..., Any], Any] | None = None


class HeldFiles:
    """The files a sampler reads at every sample (``/proc/stat``, ``/proc/meminfo``, a NUMA node's
    ``numastat``, ...), kept open by path and read again with ``pread`` from offset 0.

    Opening and closing a small procfs or sysfs file costs more than reading it, and both make the text
    anew at each read from offset 0, so a held descriptor gives the same bytes as a fresh open. A read that
    fails (a device that went away gives ``ENODEV``) closes the file and opens the path again once, so a
    file that is gone gives ``None``. A regular file (a fixture tree) removed or replaced since it was
    opened is opened again by path: its descriptor would still read the old one. :meth:`sweep` closes the
    files not read since the last sweep (a disk, a NIC or a node that went away), :meth:`close` all of
    them (a later read opens them again). Not thread-safe: the sampler reads under its lock.
    """

    def __init__(self) -> None:
        self._files: dict[str, _Held] = {}

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit os may be torn down already
            self.close()

    @property
    def held(self) -> int:
        """How many files are open now."""
        return len(self._files)

    def read_bytes(self, path: str) -> bytes | None:
        """The whole file as bytes, as :func:`read_bytes` gives it, through the held descriptor."""
        return self._read_held(path)[0]

    def read_text(self, path: str) -> str | None:
        """The whole file as text, as :func:`read_text` gives it, through the held descriptor."""
        data = self._read_held(path)[0]
        return None if data is None else data.decode("utf-8", "replace")

    __call__ = read_text

    def parsed(self, path: str, parse: Callable[..., _T], *args: Any) -> _T | None:
        """``parse(text, *args)`` of the file, or ``None`` when it cannot be read; the very result of the
        last call again while the bytes and ``parse`` are unchanged. ``args`` must not change what
        ``parse`` gives for a text, only how (``parse_diskstats``'s ``lines`` lends it unchanged objects).

        Most of these files change rarely (a node's CPUs and distances, the socket counts of an idle
        machine): their text is then neither decoded nor parsed again. Results are shared between calls,
        so callers must not change them.
        """
        data, held = self._read_held(path)
        if data is None:
            return None
        memo = held.memo if held is not None else None
        if memo is not None and memo[1] is parse and memo[0] == data:
            same: _T = memo[2]  # what this very parse gave for these bytes
            return same
        result = parse(data.decode("utf-8", "replace"), *args)
        if held is not None:
            held.memo = (data, parse, result)
        return result

    def _read_held(self, path: str) -> tuple[bytes | None, _Held | None]:
        """The whole file and the entry that holds it open (None: not held, the file read plainly)."""
        held = self._files.get(path)
        if held is not None:
            held.used = True
            try:
                data = self._read(held)
                # A sized (regular) file may have been removed or replaced under the descriptor.
                if (data and not held.sized) or os.fstat(held.fd).st_nlink:
                    return data, held
            except OSError:
                pass
            self._drop(path, held)
        try:
            fd, info = open_regular(path)
        except (OSError, ValueError):  # ValueError: a NUL in the path
            return None, None
        try:
            # procfs files show size 0 (made anew at each read); sysfs attributes and regular files do not.
            held = _Held(fd, info.st_size > 0)
            data = self._read(held)
        except OSError:
            # Gone, or not readable at an offset: one plain read, and the file is not held.
            try:
                return _read_fd(fd), None
            except OSError:
                return None, None
            finally:
                os.close(fd)
        self._files[path] = held
        return data, held

    def sweep(self) -> None:
        """Close the files not read since the last sweep; the others count as unread from now on."""
        for path, held in list(self._files.items()):
            if held.used:
                held.used = False
            else:
                self._drop(path, held)

    def close(self) -> None:
        """Close every held file (idempotent)."""
        for path, held in list(self._files.items()):
            self._drop(path, held)

    def _drop(self, path: str, held: _Held) -> None:
        del self._files[path]
        with contextlib.suppress(OSError):
            os.close(held.fd)

    @staticmethod
    def _read(held: _Held) -> bytes:
        """The whole file from offset 0. A sized file ends at a short read; a procfs file may return less
        than asked before its end (a seq_file returns one buffer of records per read), so it ends only at
        an empty read."""
        size = held.read_size
        data = os.pread(held.fd, size, 0)
        if len(data) < size and (held.sized or not data):
            return data
        chunks = [data]
        offset = len(data)
        while chunk := os.pread(held.fd, size, offset):
            chunks.append(chunk)
            offset += len(chunk)
            if offset > MAX_FILE_BYTES:
                raise OSError(errno.EFBIG, "larger than any procfs or sysfs file")
        data = b"".join(chunks)
        # Next time, one read of a buffer larger than the file (capped: a huge file takes a few reads).
        while held.read_size <= len(data) and held.read_size < _MAX_READ:
            held.read_size *= 2
        return data

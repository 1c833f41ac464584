"""Make ``screenshots/demo.perftop``: a few minutes of a busy machine, with tuning actions along the way.

Run as root from the repository root with the project's virtualenv (it writes ``vm.swappiness`` and sets
an RT policy)::

    sudo .venv/bin/python screenshots/make_demo_recording.py               # 180 s, ~1 MB
    sudo .venv/bin/python screenshots/make_demo_recording.py --duration 30 --out /tmp/short.perftop

It starts its own load, each a process of this script (``--child ROLE``, named ``demo-ROLE``): two CPU
hogs, an RT worker (SCHED_FIFO 10, set with ``os.sched_setscheduler``, busy 2 ms in every 10), a disk
writer (256 KiB writes, each followed by ``fsync``, into a temporary file of at most 64 MiB), and a TCP
client and server on loopback. It records the machine at 1 s (every process's ``status``, ``io``, OOM
score and run delay read, as a recorder reading everything would) and, along the way, applies tuning
actions with perftop's own functions, each recorded with the next frame as the action log shows it:
``renice`` a hog, ``taskset`` it to one CPU, ``chrt`` the RT worker, ``ionice`` the writer, and
``vm.swappiness`` 60 -> 10, set back at the end (that is an action too).

What the file holds of this machine is trimmed, as a file anyone may download should be: the hostname is
``demo``; the processes are the kernel's threads and this script's own (the rest of the machine, other
users' command lines, is left out; the task counts stay the machine's); no cgroup paths are read; and the
path of the interpreter and of this script are written as ``python3`` and ``screenshots/...``.

The script ends only the processes it started and sets back what it changed (``try``/``finally``); the
recording is written beside ``--out`` and renamed over it only when whole.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ROLES = ("hog", "rt", "writer", "server", "client")
#: The RT worker's duty: busy this long in every period (seconds).
RT_BUSY, RT_PERIOD = 0.002, 0.010
WRITE_CHUNK = 256 * 1024
WRITE_LIMIT = 64 * 1024 * 1024
#: Bytes a second the writer and the TCP client aim at.
WRITE_RATE = 4 * 1024 * 1024
NET_RATE = 8 * 1024 * 1024


# -- the load: each role runs in a process of its own, and ends when its parent is gone --------------------


def _name_self(role: str) -> None:
    with open("/proc/self/comm", "w") as f:
        f.write(f"demo-{role}")


def _orphaned(parent: int) -> bool:
    return os.getppid() != parent


def _hog(parent: int) -> None:
    while not _orphaned(parent):
        n = 0
        for i in range(200_000):
            n += i


def _rt(parent: int) -> None:
    while not _orphaned(parent):
        until = time.monotonic() + RT_BUSY
        while time.monotonic() < until:
            pass
        time.sleep(RT_PERIOD - RT_BUSY)


def _writer(parent: int, path: str) -> None:
    chunk = os.urandom(WRITE_CHUNK)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while not _orphaned(parent):
            if written >= WRITE_LIMIT:
                os.lseek(fd, 0, os.SEEK_SET)
                written = 0
            written += os.write(fd, chunk)
            os.fsync(fd)
            time.sleep(WRITE_CHUNK / WRITE_RATE)
    finally:
        os.close(fd)
        os.unlink(path)


def _server(parent: int) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, selectors.DefaultSelector() as selector:
        print(server.getsockname()[1], flush=True)
        selector.register(server, selectors.EVENT_READ)
        while not _orphaned(parent):
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is server:
                    peer, _ = server.accept()
                    selector.register(peer, selectors.EVENT_READ)
                elif data := sock.recv(65536):
                    sock.sendall(data[:64])  # a short answer to each read: traffic both ways
                else:
                    selector.unregister(sock)
                    sock.close()


def _client(parent: int, port: int) -> None:
    block = b"x" * 65536
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    while not _orphaned(parent):
        try:
            for c in conns:
                c.sendall(block)
                with contextlib.suppress(BlockingIOError):
                    while c.recv(65536, socket.MSG_DONTWAIT):  # the answers, as they come
                        pass
        except OSError:  # the server is gone: the end of the demo
            return
        time.sleep(len(conns) * len(block) / NET_RATE)


def child_main(role: str, parent: int, arg: str | None) -> None:
    """Run one role of the load until the parent is gone (or a signal ends it)."""
    _name_self(role)
    if role == "hog":
        _hog(parent)
    elif role == "rt":
        _rt(parent)
    elif role == "writer":
        assert arg is not None
        _writer(parent, arg)
    elif role == "server":
        _server(parent)
    elif role == "client":
        assert arg is not None
        _client(parent, int(arg))


# -- the recording --------------------------------------------------------------------------------------

#: When each action is applied, as a share of the duration, and what it is.
PLAN: tuple[tuple[float, str], ...] = (
    (0.17, "renice hog-1 to 10"),
    (0.33, "taskset hog-1 to CPU 1"),
    (0.50, "chrt the RT worker to SCHED_RR 20"),
    (0.67, "ionice the writer to idle"),
    (0.80, "vm.swappiness to 10"),
)


def _spawn(role: str, arg: str | None = None, **popen: Any) -> subprocess.Popen[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", role, "--parent", str(os.getpid())]
    if arg is not None:
        argv += ["--arg", arg]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, text=True, **popen)


def _shown_cmdline(cmdline: str | None) -> str | None:
    """The command line with this checkout's interpreter and script paths shortened."""
    if cmdline is None:
        return None
    words = []
    for word in cmdline.split(" "):
        if word in (sys.executable, os.path.realpath(sys.executable)) or re.fullmatch(
            r"\S*/python3?[.\d]*", word
        ):
            word = "python3"
        elif word.endswith("/make_demo_recording.py") or word == "make_demo_recording.py":
            word = "screenshots/make_demo_recording.py"
        words.append(word)
    return " ".join(words)


class Trim:
    """The snapshot as the demo file holds it: hostname ``demo``, the kernel's threads and this script's
    processes only, command lines shortened. A row the sampler kept (an idle process) stays the same
    object, so the recorder still skips it at once."""

    def __init__(self, own: Callable[[], set[int]]) -> None:
        self._own = own
        self._rows: dict[int, tuple[Any, Any]] = {}

    def __call__(self, snapshot: Any) -> Any:
        own = self._own()
        rows: dict[int, tuple[Any, Any]] = {}
        kept = []
        for row in snapshot.processes:
            if not (row.pid == 2 or row.ppid == 2 or row.pid in own):
                continue
            hit = self._rows.get(row.pid)
            if hit is None or hit[0] is not row:
                hit = (row, dataclasses.replace(row, cmdline=_shown_cmdline(row.cmdline)))
            rows[row.pid] = hit
            kept.append(hit[1])
        self._rows = rows
        return dataclasses.replace(snapshot, hostname="demo", processes=tuple(kept))


def record_demo(out: Path, duration: float, keyframe_every: int) -> int:
    """Start the load, record ``duration`` seconds into ``out`` with the actions of :data:`PLAN`; returns
    the frames written."""
    from perftop.probes.fs import FS
    from perftop.probes.sampler import Sampler
    from perftop.probes.tunable_files import read_tunables
    from perftop.tui import tuning
    from perftop.tui.action_records import ActionRecord, Subject, subject_of
    from perftop.tui.json_lines import tunables_to_list
    from perftop.tui.recording import Recorder
    from perftop.tui.system_tuning import Setting, change_setting, read_setting

    swappiness = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    swappiness_before = read_setting(swappiness)
    children: list[subprocess.Popen[str]] = []
    tmp = tempfile.mkdtemp(prefix="perftop-demo.", dir="/var/tmp")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    fs = FS()
    sampler = Sampler(fs)
    recorder = Recorder(partial, interval=1.0, hostname="demo", keyframe_every=keyframe_every)
    pending: list[ActionRecord] = []
    rows: dict[int, Any] = {}

    def own() -> set[int]:
        return {os.getpid(), *(c.pid for c in children)}

    trim = Trim(own)

    def subject(pid: int) -> Subject:
        row = rows.get(pid)
        if row is None:
            raise RuntimeError(f"process {pid} of the demo is not in the last sample")
        return subject_of(row)

    def act(what: str, who: Subject | Setting, do: Callable[[], Any]) -> None:
        try:
            applied, error = do(), None
        except tuning.TuningError as exc:
            applied, error = None, exc.message
        record = ActionRecord.of(time.time(), who, what, applied, error)
        print(f"  {record.what}: {record.old} -> {record.new}  [{record.command}] {record.result}")
        pending.append(record)

    def sample() -> int:
        snapshot = trim(sampler.sample(status_pids=None, io_pids=None, oom_pids=None, sched_pids=None))
        rows.clear()
        rows.update((p.pid, p) for p in snapshot.processes)
        written = recorder.add(snapshot, actions=list(pending), tunables=tunables_to_list(read_tunables(fs)))
        pending.clear()
        return written

    try:
        hogs = [_spawn("hog"), _spawn("hog")]
        rt = _spawn("rt")
        writer = _spawn("writer", os.path.join(tmp, "demo-writer.data"))
        children += [*hogs, rt, writer]
        server = _spawn("server", stdout=subprocess.PIPE)
        children.append(server)
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        children.append(_spawn("client", port))
        os.sched_setscheduler(rt.pid, os.SCHED_FIFO, os.sched_param(10))
        time.sleep(0.5)  # the children name themselves
        sampler.sample(status_pids=None, io_pids=None, oom_pids=None, sched_pids=None)
        steps = {
            "renice hog-1 to 10": lambda: act(
                "nice", subject(hogs[0].pid), lambda: tuning.renice(subject(hogs[0].pid).target, 10)
            ),
            "taskset hog-1 to CPU 1": lambda: act(
                "affinity",
                subject(hogs[0].pid),
                lambda: tuning.set_affinity(subject(hogs[0].pid).target, {max(tuning.online_cpus() or {0})}),
            ),
            "chrt the RT worker to SCHED_RR 20": lambda: act(
                "policy",
                subject(rt.pid),
                lambda: tuning.set_policy(subject(rt.pid).target, os.SCHED_RR, 20),
            ),
            "ionice the writer to idle": lambda: act(
                "ionice",
                subject(writer.pid),
                lambda: tuning.set_ionice(subject(writer.pid).target, "idle"),
            ),
            "vm.swappiness to 10": lambda: act(
                swappiness.what, swappiness, lambda: change_setting(swappiness, "10", fs=fs)
            ),
        }
        count = round(duration)
        due_at = {round(share * count): name for share, name in PLAN}
        due = time.monotonic()
        for i in range(count):
            if i in due_at:
                steps[due_at[i]]()
            if i == count - 1 and swappiness_before is not None:
                act(
                    swappiness.what,
                    swappiness,
                    lambda: change_setting(swappiness, swappiness_before, fs=fs),
                )
            due += 1.0
            time.sleep(max(0.0, due - time.monotonic()))
            sample()
        recorder.close()
        os.replace(partial, out)
        return count
    finally:
        recorder.close()
        partial.unlink(missing_ok=True)
        for child in reversed(children):  # the client before its server
            child.kill()
        for child in children:
            child.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        sampler.close()
        if swappiness_before is not None and read_setting(swappiness) != swappiness_before:
            change_setting(swappiness, swappiness_before, fs=fs)


def main(argv: list[str] | None = None) -> int:
    """Start the load, record it with the actions, stop the load, set back what changed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots" / "demo.perftop")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds recorded (default 180)")
    parser.add_argument("--keyframe-every", type=int, default=60, help="frames between keyframes (60)")
    parser.add_argument("--child", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--arg", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child, args.parent, args.arg)
        return 0
    if os.geteuid() != 0:
        print("make_demo_recording: run as root (it sets vm.swappiness and an RT policy)", file=sys.stderr)
        return 2
    if args.duration < 10:
        print("make_demo_recording: --duration must be at least 10 s", file=sys.stderr)
        return 2
    _name_self("recorder")
    frames = record_demo(args.out, args.duration, args.keyframe_every)
    size = args.out.stat().st_size
    print(f"{args.out}: {frames} frames, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

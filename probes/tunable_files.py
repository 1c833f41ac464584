"""Reading the tunables of :mod:`perftop.probes.tunables` on an :class:`~perftop.probes.fs.FS`.

A setting this kernel lacks (no file) reads as *absent* (``present`` false), one that cannot be read as
``None`` with ``present`` true: never an exception. Read only while the tunables pane is shown, and by
``--json``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from perftop.probes.fs import FS, read_text
from perftop.probes.settings import setting_choices, setting_value
from perftop.probes.tunables import CATALOGUE, Tunable, TunableValue, device_tunables


def tunable_path(fs: FS, tunable: Tunable) -> str:
    """The file of ``tunable`` on ``fs``."""
    return fs.proc(*tunable.parts) if tunable.root == "proc" else fs.sys(*tunable.parts)


def parse_tunable_text(tunable: Tunable, path: str, text: str | None, present: bool) -> TunableValue:
    """A tunable's value from its file's ``text`` (``None``: unreadable, or absent when not ``present``)."""
    if text is None:
        return TunableValue(tunable, path, None, present)
    choices = setting_choices(text) if tunable.kind == "choice" else None
    value = setting_value(text)
    return TunableValue(tunable, path, value or None, True, choices)


def read_tunable(fs: FS, tunable: Tunable) -> TunableValue:
    """One tunable's value on ``fs``."""
    path = tunable_path(fs, tunable)
    text = read_text(path)
    return parse_tunable_text(tunable, path, text, text is not None or os.path.exists(path))


def block_devices(fs: FS) -> list[str]:
    """The whole block devices with a request queue (``/sys/block/NAME/queue``), sorted; loop and ram
    devices with nothing attached (size 0) are left out, as they hold no data to tune for."""
    try:
        names = sorted(os.listdir(fs.sys("block")))
    except OSError:
        return []
    devices = []
    for name in names:
        if not os.path.isdir(fs.sys("block", name, "queue")):
            continue
        if name.startswith(("loop", "ram")) and (read_text(fs.sys("block", name, "size")) or "").strip() in (
            "",
            "0",
        ):
            continue
        devices.append(name)
    return devices


def all_tunables(fs: FS, devices: Iterable[str] | None = None) -> tuple[Tunable, ...]:
    """The catalogue and the queue settings of ``devices`` (default: :func:`block_devices` on ``fs``)."""
    names = block_devices(fs) if devices is None else devices
    return CATALOGUE + tuple(t for name in names for t in device_tunables(name))


def read_tunables(fs: FS) -> tuple[TunableValue, ...]:
    """Every tunable's value on ``fs``: the catalogue, then each block device's queue settings."""
    return tuple(read_tunable(fs, t) for t in all_tunables(fs))


def queue_device(fs: FS, name: str) -> str:
    """The ``/sys/block`` name of the whole device whose queue serves the block device ``name`` (a
    ``/proc/diskstats`` name): its own, or a partition's disk."""
    sysname = name.replace("/", "!")
    if os.path.exists(fs.sys("class", "block", sysname, "partition")):
        # /sys/class/block/vda1 links to .../block/vda/vda1: the parent directory is the disk.
        return os.path.basename(os.path.dirname(os.path.realpath(fs.sys("class", "block", sysname))))
    return sysname

"""A process's control groups and the container or systemd unit they name.

Source: ``/proc/PID/cgroup``: one ``0::PATH`` line for the cgroup v2 hierarchy and one
``N:CONTROLLERS:PATH`` line per cgroup v1 hierarchy. Container engines name their groups after the
container (Docker ``docker-ID.scope`` or ``/docker/ID``, containerd ``cri-containerd-ID.scope``, CRI-O
``crio-ID.scope``, Podman ``libpod-ID.scope``, LXC ``/lxc/NAME`` or ``/lxc.payload.NAME``, Kubernetes pods
``kubepods…pod UID``), and systemd names them after units (``nginx.service``, ``session-3.scope``). Pure
functions: the readers are elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The v1 controllers whose path stands for a process's group when the v2 one is the root (hybrid
#: hierarchies, where systemd or an engine places processes in the v1 trees only), in order of preference.
_V1_PREFERENCE = ("name=systemd", "cpu", "memory", "pids", "cpuset")

_ID = r"([0-9a-f]{64})"
#: (runtime, pattern whose first group is the container's ID or name), tried in order on each component.
_ENGINES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("docker", re.compile(r"docker-" + _ID + r"\.scope")),
    ("containerd", re.compile(r"cri-containerd-" + _ID + r"\.scope")),
    ("cri-o", re.compile(r"crio-(?:conmon-)?" + _ID + r"\.scope")),
    ("podman", re.compile(r"libpod-(?:conmon-)?" + _ID + r"(?:\.scope)?")),
    ("lxc", re.compile(r"lxc\.payload\.(.+)")),
)
#: Engines that name a folder after themselves and the container below it: ``/docker/ID``, ``/lxc/NAME``.
_FOLDERS = {"docker": "docker", "lxc": "lxc"}
_HEX_ID = re.compile(_ID)
_UID = r"[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}"
_POD = re.compile(r"(?:kubepods.*-)?pod(" + _UID + ")")
_UNIT = re.compile(r".+\.(?:service|scope)")


@dataclass(frozen=True, slots=True)
class ProcessCgroups:
    """A process's groups: ``v2`` the unified hierarchy's path (``None`` without one), ``v1`` the path of
    each mounted v1 controller (``name=systemd`` for the named hierarchy)."""

    v2: str | None
    v1: dict[str, str]

    @property
    def path(self) -> str | None:
        """The path that stands for the process's group: the v2 one, unless that is the root and a v1
        controller places it deeper (a hybrid hierarchy)."""
        if self.v2 not in (None, "/"):
            return self.v2
        for controller in _V1_PREFERENCE:
            path = self.v1.get(controller)
            if path not in (None, "/"):
                return path
        return self.v2 if self.v2 is not None else next(iter(self.v1.values()), None)

    def paths(self) -> list[str]:
        """Every distinct path, the one of :attr:`path` first."""
        first = self.path
        seen = [] if first is None else [first]
        for path in (self.v2, *self.v1.values()):
            if path is not None and path not in seen:
                seen.append(path)
        return seen


def parse_pid_cgroup(text: str) -> ProcessCgroups | None:
    """``/proc/PID/cgroup`` text as :class:`ProcessCgroups`; ``None`` when it holds no well-formed line."""
    v2: str | None = None
    v1: dict[str, str] = {}
    for line in text.splitlines():
        number, sep, rest = line.partition(":")
        controllers, sep2, path = rest.partition(":")
        if not (sep and sep2 and number.isascii() and number.isdigit() and path.startswith("/")):
            continue
        if number == "0" and not controllers:
            v2 = path
        else:
            for controller in controllers.split(","):
                if controller:
                    v1[controller] = path
    if v2 is None and not v1:
        return None
    return ProcessCgroups(v2, v1)


@dataclass(frozen=True, slots=True)
class Container:
    """What a group path names: ``runtime`` (``docker``, ``containerd``, ``cri-o``, ``podman``, ``lxc``,
    ``kubernetes`` for a pod, or a pod's container whose engine the path does not tell, or ``systemd``) and
    ``name`` (a container's ID cut to 12 characters, as ``docker ps`` shows it, an LXC container's name, a
    pod's UID or a unit's name)."""

    runtime: str
    name: str

    def __str__(self) -> str:
        return f"{self.runtime}:{self.name}"


def _short(ident: str) -> str:
    return ident[:12] if _HEX_ID.fullmatch(ident) else ident


def container_of(path: str) -> Container | None:
    """The container (or else the systemd unit) a cgroup path names, or ``None`` (the root, a plain
    folder). The innermost container wins: a container inside a pod is named, not the pod."""
    parts = [p for p in path.split("/") if p]
    for i in range(len(parts) - 1, -1, -1):
        part = parts[i]
        for runtime, pattern in _ENGINES:
            match = pattern.fullmatch(part)
            if match is not None:
                return Container(runtime, _short(match.group(1)))
        if i > 0 and parts[i - 1] in _FOLDERS:
            runtime = _FOLDERS[parts[i - 1]]
            if runtime != "lxc" and _HEX_ID.fullmatch(part) is None:
                continue
            return Container(runtime, _short(part))
    # A container of a pod in the cgroupfs layout: /kubepods/burstable/podUID/ID.
    for i in range(len(parts) - 1, -1, -1):
        pod = _POD.fullmatch(parts[i].removesuffix(".slice"))
        if pod is not None:
            below = parts[i + 1] if i + 1 < len(parts) else None
            if below is not None and _HEX_ID.fullmatch(below):
                # The cgroupfs layout does not tell the engine (Docker or containerd).
                return Container("kubernetes", _short(below))
            return Container("kubernetes", pod.group(1).replace("_", "-"))
    for part in reversed(parts):
        if _UNIT.fullmatch(part) is not None:
            return Container("systemd", part)
    return None


def process_container(cgroups: ProcessCgroups) -> Container | None:
    """The container of a process: the first of its paths that names one (see :func:`container_of`)."""
    for path in cgroups.paths():
        found = container_of(path)
        if found is not None and found.runtime != "systemd":
            return found
    first = cgroups.path
    return None if first is None else container_of(first)

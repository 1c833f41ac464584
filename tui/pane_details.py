"""The costly, on-demand reads behind the NUMA and sockets panes (blocking: call them in a thread).

The sampler reads what every tick needs; these read only for the pane on screen and the selected
process: a process's ``numa_maps``, and the socket tables with their owners (a walk over every
``/proc/PID/fd``).

Layers: the pane registry loads this module on the first show of a pane that needs it; it imports no other
module of tui.
"""

from __future__ import annotations

from dataclasses import dataclass

from perftop.probes.fs import FS
from perftop.probes.net import read_sockets, socket_owners
from perftop.probes.numa import process_numa
from perftop.probes.snapshot import ProcessInfo, ProcessNuma, Snapshot, SocketEntry


@dataclass(frozen=True, slots=True)
class Placement:
    """What the NUMA pane shows for the selected process."""

    pid: int | None
    comm: str | None
    placement: ProcessNuma | None
    cpu_node: int | None


@dataclass(frozen=True, slots=True)
class SocketViews:
    """What the sockets pane shows: listening sockets with owners, and the selected process's sockets."""

    listening: tuple[tuple[SocketEntry, int | None, str | None], ...]
    pid: int | None
    comm: str | None
    connections: tuple[SocketEntry, ...]


def _process(snapshot: Snapshot, pid: int | None) -> ProcessInfo | None:
    return None if pid is None else next((p for p in snapshot.processes if p.pid == pid), None)


def read_placement(fs: FS, snapshot: Snapshot, pid: int | None) -> Placement:
    """The selected process's memory per node (``numa_maps``) and the node of the CPU it last ran on."""
    proc = _process(snapshot, pid)
    if proc is None:
        return Placement(None, None, None, None)
    return Placement(proc.pid, proc.comm, process_numa(fs, proc.pid), proc.node)


def is_listening(entry: SocketEntry) -> bool:
    """A TCP socket in LISTEN, or a UDP socket bound to a port and not connected (what ``ss -l`` lists)."""
    if entry.protocol.startswith("tcp"):
        return entry.state == "LISTEN"
    return entry.state == "CLOSE" and entry.local_port != 0


def read_socket_views(fs: FS, snapshot: Snapshot, pid: int | None) -> SocketViews:
    """Every socket table once and one owner scan, split into listening sockets and ``pid``'s sockets."""
    entries = read_sockets(fs)
    owners = socket_owners(fs, {e.inode for e in entries if e.inode})
    comms = {p.pid: p.comm for p in snapshot.processes}
    listening = tuple(
        (e, owners.get(e.inode), comms.get(owners.get(e.inode, -1))) for e in entries if is_listening(e)
    )
    proc = _process(snapshot, pid)
    if proc is None:
        return SocketViews(listening, None, None, ())
    mine = tuple(e for e in entries if e.inode and owners.get(e.inode) == proc.pid and not is_listening(e))
    return SocketViews(listening, proc.pid, proc.comm, mine)

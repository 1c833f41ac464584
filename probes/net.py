"""Network: interfaces, the ``ss -s`` summary, TCP states, the TCP/UDP counters, and socket tables.

Sources: ``/proc/net/dev``, ``/proc/net/sockstat`` and ``sockstat6``, ``/proc/net/tcp``, ``tcp6``, ``udp`` and
``udp6``, ``/proc/net/snmp``, and the ``/proc/PID/fd`` links for socket ownership. Parsers are pure (``text ->
data``); readers take an :class:`~perftop.probes.fs.FS` and give ``None`` for whatever is missing or
unreadable. :func:`net_snapshot` turns two :class:`NetReading` into rates, ``None`` for any counter that went
backwards (an interface re-created, a 32-bit driver counter wrapping).

Cost: ``/proc/net/tcp`` lists every socket, so counting states is linear in the connections;
:func:`socket_owners` reads every fd of every process and belongs off the UI thread and only on demand.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import Any

from perftop.probes.fs import FS, TextReader, parse_named_lines, read_parsed, read_text
from perftop.probes.kernel_numbers import U64_DIGITS, all_u64, is_decimal, u64
from perftop.probes.rates import rate
from perftop.probes.snapshot import InterfaceStats, NetSnapshot, SocketEntry, Sockstat

#: Kernel TCP state numbers (``include/net/tcp_states.h``) -> the names ``tcp_states`` uses.
TCP_STATES: dict[int, str] = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
}

#: The socket tables under ``/proc/net`` that :func:`read_socket_table` reads.
SOCKET_TABLES: tuple[str, ...] = ("tcp", "tcp6", "udp", "udp6")

#: The counters of a ``/proc/net/dev`` line, in the kernel's column order.
INTERFACE_COUNTERS: tuple[str, ...] = (
    "rx_bytes",
    "rx_packets",
    "rx_errors",
    "rx_dropped",
    "rx_fifo",
    "rx_frame",
    "rx_compressed",
    "rx_multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errors",
    "tx_dropped",
    "tx_fifo",
    "tx_collisions",
    "tx_carrier",
    "tx_compressed",
)

# /proc/net/snmp (table, column) -> the name perftop uses, for the cumulative counters (they get rates).
_SNMP_COUNTERS: dict[tuple[str, str], str] = {
    ("Tcp", "ActiveOpens"): "tcp_active_opens",
    ("Tcp", "PassiveOpens"): "tcp_passive_opens",
    ("Tcp", "AttemptFails"): "tcp_attempt_fails",
    ("Tcp", "EstabResets"): "tcp_estab_resets",
    ("Tcp", "InSegs"): "tcp_in_segs",
    ("Tcp", "OutSegs"): "tcp_out_segs",
    ("Tcp", "RetransSegs"): "tcp_retrans_segs",
    ("Tcp", "InErrs"): "tcp_in_errs",
    ("Tcp", "OutRsts"): "tcp_out_rsts",
    ("Udp", "InDatagrams"): "udp_in_datagrams",
    ("Udp", "OutDatagrams"): "udp_out_datagrams",
    ("Udp", "NoPorts"): "udp_no_ports",
    ("Udp", "InErrors"): "udp_in_errors",
    ("Udp", "RcvbufErrors"): "udp_rcvbuf_errors",
    ("Udp", "SndbufErrors"): "udp_sndbuf_errors",
}
# Every /proc/net/snmp value perftop reads: the counters and one gauge.
_SNMP_FIELDS: dict[tuple[str, str], str] = {**_SNMP_COUNTERS, ("Tcp", "CurrEstab"): "tcp_curr_estab"}
_SNMP_TABLES = frozenset(table for table, _ in _SNMP_FIELDS)
# Each counter's NetSnapshot key and the key of its rate.
_SNMP_RATE_KEYS: tuple[tuple[str, str], ...] = tuple((key, f"{key}_per_s") for key in _SNMP_COUNTERS.values())


# ---------------------------------------------------------------------------------------------------------
# Raw readings (what the sampler keeps between two samples)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterfaceCounters:
    """One ``/proc/net/dev`` line: the 16 counters of :data:`INTERFACE_COUNTERS`."""

    name: str
    rx_bytes: int
    rx_packets: int
    rx_errors: int
    rx_dropped: int
    rx_fifo: int
    rx_frame: int
    rx_compressed: int
    rx_multicast: int
    tx_bytes: int
    tx_packets: int
    tx_errors: int
    tx_dropped: int
    tx_fifo: int
    tx_collisions: int
    tx_carrier: int
    tx_compressed: int


@dataclass(frozen=True, slots=True)
class SnmpCounters:
    """The ``Tcp:`` and ``Udp:`` counters of ``/proc/net/snmp`` perftop shows; ``None`` where missing."""

    tcp_curr_estab: int | None = None
    tcp_active_opens: int | None = None
    tcp_passive_opens: int | None = None
    tcp_attempt_fails: int | None = None
    tcp_estab_resets: int | None = None
    tcp_in_segs: int | None = None
    tcp_out_segs: int | None = None
    tcp_retrans_segs: int | None = None
    tcp_in_errs: int | None = None
    tcp_out_rsts: int | None = None
    udp_in_datagrams: int | None = None
    udp_out_datagrams: int | None = None
    udp_no_ports: int | None = None
    udp_in_errors: int | None = None
    udp_rcvbuf_errors: int | None = None
    udp_sndbuf_errors: int | None = None


_NO_SNMP = SnmpCounters()


@dataclass(frozen=True, slots=True)
class NetReading:
    """Everything :func:`read_net` read in one sample."""

    interfaces: dict[str, InterfaceCounters] | None
    sockstat: Sockstat | None
    tcp_states: dict[str, int] | None
    udp_sockets: int | None
    snmp: SnmpCounters | None


# ---------------------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------------------


def parse_net_dev(
    text: str, lines: dict[str, InterfaceCounters] | None = None
) -> dict[str, InterfaceCounters]:
    """Parse ``/proc/net/dev``. Header, cut and garbled lines are skipped; a name seen twice keeps its
    first line.

    ``lines``: the caller's memo of :func:`~perftop.probes.fs.parse_named_lines` (an idle interface's line
    gives its last object again).
    """
    return parse_named_lines(text, _net_dev_line, lines)


def _net_dev_line(line: str) -> InterfaceCounters | None:
    """One interface's line, or ``None`` for a header, cut or garbled line."""
    # Interface names cannot contain ':'; big counters may touch it (``eth0:1234``), so split on it.
    name, colon, rest = line.partition(":")
    name = name.strip()
    columns = rest.split()
    if not colon or not name or len(columns) < len(INTERFACE_COUNTERS):
        return None
    try:
        values = [int(c) for c in columns[: len(INTERFACE_COUNTERS)]]
    except ValueError:
        return None
    if not all_u64(values):
        return None
    return InterfaceCounters(name, *values)


def _parse_keyed_lines(text: str) -> dict[str, dict[str, int]]:
    """``PROTO: key value key value ...`` lines (sockstat) -> ``{PROTO: {key: value}}``."""
    tables: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        proto, colon, rest = line.partition(":")
        if not colon:
            continue
        words = rest.split()
        pairs = tables.setdefault(proto.strip(), {})
        for key, value in zip(words[::2], words[1::2], strict=False):
            try:
                number = u64(int(value))
            except ValueError:
                continue
            if number is not None:
                pairs.setdefault(key, number)
    return tables


def parse_sockstat(text: str, text6: str | None = None) -> Sockstat:
    """Parse ``/proc/net/sockstat`` and, when given, ``/proc/net/sockstat6``. Missing values are ``None``."""
    return _sockstat(_parse_keyed_lines(text), _parse_keyed_lines(text6) if text6 is not None else {})


def _sockstat(v4: dict[str, dict[str, int]], v6: dict[str, dict[str, int]]) -> Sockstat:
    """The figures of the parsed ``sockstat`` and ``sockstat6`` tables."""
    return Sockstat(
        sockets_used=v4.get("sockets", {}).get("used"),
        tcp_inuse=v4.get("TCP", {}).get("inuse"),
        tcp_orphan=v4.get("TCP", {}).get("orphan"),
        tcp_tw=v4.get("TCP", {}).get("tw"),
        tcp_alloc=v4.get("TCP", {}).get("alloc"),
        tcp_mem_pages=v4.get("TCP", {}).get("mem"),
        udp_inuse=v4.get("UDP", {}).get("inuse"),
        udp_mem_pages=v4.get("UDP", {}).get("mem"),
        udplite_inuse=v4.get("UDPLITE", {}).get("inuse"),
        raw_inuse=v4.get("RAW", {}).get("inuse"),
        frag_inuse=v4.get("FRAG", {}).get("inuse"),
        frag_memory_bytes=v4.get("FRAG", {}).get("memory"),
        tcp6_inuse=v6.get("TCP6", {}).get("inuse"),
        udp6_inuse=v6.get("UDP6", {}).get("inuse"),
        udplite6_inuse=v6.get("UDPLITE6", {}).get("inuse"),
        raw6_inuse=v6.get("RAW6", {}).get("inuse"),
        frag6_inuse=v6.get("FRAG6", {}).get("inuse"),
        frag6_memory_bytes=v6.get("FRAG6", {}).get("memory"),
    )


def parse_snmp(text: str) -> SnmpCounters:
    """Parse the ``Tcp:`` and ``Udp:`` tables of ``/proc/net/snmp`` (a header line of names, then a line of
    values). A table whose two lines disagree in length is skipped; a garbled value is ``None``."""
    found: dict[str, int] = {}
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        table, colon, rest = line.partition(":")
        if not colon or table not in _SNMP_TABLES:
            continue  # Ip, Icmp, IcmpMsg, UdpLite: nothing perftop reads
        words = rest.split()
        if table not in header:
            header[table] = words
            continue
        names = header.pop(table)  # a later pair of lines for the same table starts afresh
        if len(names) != len(words):
            continue
        for column, value in zip(names, words, strict=True):
            key = _SNMP_FIELDS.get((table, column))
            if key is None or key in found:
                continue
            try:
                number = u64(int(value))
            except ValueError:
                continue
            if number is not None:
                found[key] = number
    return SnmpCounters(**found)


def _hex_words_to_bytes(hex_text: str) -> bytes:
    """The kernel prints an address as native 32-bit words (``%08X``); on little-endian machines each
    word's bytes are reversed relative to network order."""
    raw = bytes.fromhex(hex_text)
    return b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))


def decode_address(hex_text: str) -> str:
    """A ``/proc/net/tcp`` address as text: ``0100007F`` -> ``127.0.0.1``,
    ``00000000000000000000000001000000`` -> ``::1``; v4-mapped v6 as ``::ffff:127.0.0.1``.

    Assumes the little-endian word order of every mainstream Linux (x86, arm64, ppc64le, riscv).
    Raises ``ValueError`` for anything but 8 or 32 hex digits.
    """
    if len(hex_text) not in (8, 32):
        raise ValueError(f"not a /proc/net address: {hex_text!r}")
    packed = _hex_words_to_bytes(hex_text)
    if len(packed) == 4:
        return str(ipaddress.IPv4Address(packed))
    address = ipaddress.IPv6Address(packed)
    if address.ipv4_mapped is not None:
        # Python before 3.13 prints ::ffff:7f00:1; ss and the kernel's docs write the dotted form.
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _endpoint(text: str) -> tuple[str, int]:
    address, colon, port = text.partition(":")
    if not colon or len(port) != 4:  # the kernel writes a port as 4 hex digits
        raise ValueError(f"not an address:port: {text!r}")
    return decode_address(address), int(port, 16)


def _hex_u64(text: str) -> int:
    """A queue size as the kernel writes it (hex, at most 64 bits); ``ValueError`` for anything else."""
    value = u64(int(text, 16)) if len(text) <= 16 else None
    if value is None:
        raise ValueError(f"not a 64-bit hex number: {text!r}")
    return value


def _state_name(hex_state: str) -> str:
    if len(hex_state) > 2:
        raise ValueError(f"not a socket state: {hex_state!r}")
    number = int(hex_state, 16)
    return TCP_STATES.get(number, f"UNKNOWN_{number:02X}")


def _decimal_u64(text: str) -> int:
    """A uid or an inode as the kernel writes it; ``ValueError`` for anything else."""
    value = u64(int(text)) if is_decimal(text) and len(text) <= U64_DIGITS else None
    if value is None:
        raise ValueError(f"not a 64-bit number: {text!r}")
    return value


def parse_socket_table(text: str, protocol: str) -> tuple[SocketEntry, ...]:
    """Parse ``/proc/net/tcp``, ``tcp6``, ``udp`` or ``udp6``; ``protocol`` labels the entries.

    The header and cut or garbled lines are skipped.
    """
    entries: list[SocketEntry] = []
    for line in text.splitlines():
        columns = line.split()
        # sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode, ...
        if len(columns) < 10 or not columns[0].endswith(":"):
            continue
        tx_queue, _, rx_queue = columns[4].partition(":")
        try:
            local_address, local_port = _endpoint(columns[1])
            remote_address, remote_port = _endpoint(columns[2])
            entries.append(
                SocketEntry(
                    protocol=protocol,
                    local_address=local_address,
                    local_port=local_port,
                    remote_address=remote_address,
                    remote_port=remote_port,
                    state=_state_name(columns[3]),
                    tx_queue=_hex_u64(tx_queue),
                    rx_queue=_hex_u64(rx_queue),
                    uid=_decimal_u64(columns[7]),
                    inode=_decimal_u64(columns[9]),
                )
            )
        except ValueError:
            continue
    return tuple(entries)


def count_tcp_states(texts: Iterable[str]) -> dict[str, int]:
    """Count the sockets of ``/proc/net/tcp`` and ``tcp6`` texts per state: every :data:`TCP_STATES` name,
    0 where none. Only the state column is read, which keeps this cheap on big tables."""
    counts = dict.fromkeys(TCP_STATES.values(), 0)
    for text in texts:
        for line in text.splitlines():
            columns = line.split(None, 4)
            if len(columns) < 5 or not columns[0].endswith(":"):
                continue
            try:
                name = TCP_STATES.get(int(columns[3], 16))
            except ValueError:
                continue
            if name is not None:
                counts[name] += 1
    return counts


def _count_entries(text: str) -> int:
    """Socket lines of a ``/proc/net`` table (its header and garbled lines aside)."""
    count = 0
    for line in text.splitlines():
        columns = line.split(None, 4)
        if len(columns) >= 5 and columns[0].endswith(":") and is_decimal(columns[0][:-1]):
            count += 1
    return count


# ---------------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------------


def read_net_dev(
    fs: FS, read: TextReader = read_text, lines: dict[str, InterfaceCounters] | None = None
) -> dict[str, InterfaceCounters] | None:
    """``/proc/net/dev`` parsed, or ``None`` when it cannot be read (``read``: see
    :data:`~perftop.probes.fs.TextReader`, as in the readers below; ``lines``: see :func:`parse_net_dev`)."""
    return read_parsed(read, fs.proc("net", "dev"), parse_net_dev, lines)


def read_sockstat(fs: FS, read: TextReader = read_text) -> Sockstat | None:
    """``/proc/net/sockstat`` (and ``sockstat6`` where IPv6 exists), or ``None`` when unreadable."""
    v4 = read_parsed(read, fs.proc("net", "sockstat"), _parse_keyed_lines)
    if v4 is None:
        return None
    return _sockstat(v4, read_parsed(read, fs.proc("net", "sockstat6"), _parse_keyed_lines) or {})


def read_snmp(fs: FS, read: TextReader = read_text) -> SnmpCounters | None:
    """``/proc/net/snmp`` parsed, or ``None`` when it cannot be read."""
    return read_parsed(read, fs.proc("net", "snmp"), parse_snmp)


def _tables(fs: FS, names: Iterable[str]) -> list[str]:
    """The texts of the readable ``/proc/net`` tables among ``names`` (``tcp6`` is absent without IPv6)."""
    texts = (read_text(fs.proc("net", name)) for name in names)
    return [text for text in texts if text is not None]


def read_tcp_states(fs: FS) -> dict[str, int] | None:
    """TCP sockets per state over ``/proc/net/tcp`` and ``tcp6``, or ``None`` when neither is readable."""
    texts = _tables(fs, ("tcp", "tcp6"))
    return count_tcp_states(texts) if texts else None


def read_udp_socket_count(fs: FS) -> int | None:
    """UDP sockets in ``/proc/net/udp`` and ``udp6``, or ``None`` when neither is readable."""
    texts = _tables(fs, ("udp", "udp6"))
    return sum(_count_entries(text) for text in texts) if texts else None


def read_socket_table(fs: FS, protocol: str) -> tuple[SocketEntry, ...] | None:
    """One of :data:`SOCKET_TABLES` parsed, or ``None`` when it cannot be read."""
    if protocol not in SOCKET_TABLES:
        raise ValueError(f"unknown socket table {protocol!r}: expected one of {', '.join(SOCKET_TABLES)}")
    text = read_text(fs.proc("net", protocol))
    return None if text is None else parse_socket_table(text, protocol)


def read_sockets(fs: FS, protocols: Iterable[str] = SOCKET_TABLES) -> tuple[SocketEntry, ...]:
    """The entries of every readable table among ``protocols``, in that order."""
    entries: list[SocketEntry] = []
    for protocol in protocols:
        entries.extend(read_socket_table(fs, protocol) or ())
    return tuple(entries)


def read_net(
    fs: FS,
    *,
    tables: bool = True,
    read: TextReader = read_text,
    lines: dict[str, InterfaceCounters] | None = None,
) -> NetReading:
    """One sample of every network source (the socket tables only as state and entry counts).

    ``tables=False`` skips ``/proc/net/{tcp,tcp6,udp,udp6}`` (``tcp_states`` and ``udp_sockets`` are then
    None): the kernel formats every socket into them, costly even on a quiet machine, so the TUI reads them
    only while the sockets pane is on screen. ``read`` reads the small files (the socket tables, big and read
    on demand, are read plainly). ``lines``: the ``/proc/net/dev`` memo of :func:`parse_net_dev`.
    """
    return NetReading(
        interfaces=read_net_dev(fs, read, lines),
        sockstat=read_sockstat(fs, read),
        tcp_states=read_tcp_states(fs) if tables else None,
        udp_sockets=read_udp_socket_count(fs) if tables else None,
        snmp=read_snmp(fs, read),
    )


def _pids(fs: FS) -> list[int]:
    try:
        names = os.listdir(fs.procfs)
    except OSError:
        return []
    return sorted(int(name) for name in names if is_decimal(name))


def _socket_inode(link: str) -> int | None:
    """``socket:[12345]`` -> 12345; ``None`` for any other fd target."""
    if link.startswith("socket:[") and link.endswith("]"):
        inner = link[len("socket:[") : -1]
        if is_decimal(inner):
            return int(inner)
    return None


def socket_owners(fs: FS, inodes: Collection[int] | None = None) -> dict[int, int]:
    """Map socket inodes to the PID holding them, from the ``socket:[INODE]`` links of ``/proc/PID/fd``.

    Expensive: it lists and reads every fd of every process (hundreds of thousands of syscalls on a busy
    server). Run it off the UI thread, on demand. ``inodes`` limits the answer to those sockets and stops
    the scan once all are found. A socket shared by several processes (after ``fork``) maps to the lowest
    PID. Processes that vanish mid-scan or whose fds are not ours to read (EACCES) are skipped.
    """
    wanted = None if inodes is None else set(inodes)
    owners: dict[int, int] = {}
    for pid in _pids(fs):
        if wanted is not None and not wanted:
            break
        fd_dir = fs.proc(pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                inode = _socket_inode(os.readlink(os.path.join(fd_dir, fd)))
            except OSError:
                continue  # closed meanwhile, or not a link (a capture that flattened links)
            if inode is None or inode in owners:
                continue
            if wanted is None:
                owners[inode] = pid
            elif inode in wanted:
                owners[inode] = pid
                wanted.discard(inode)
    return owners


# ---------------------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------------------


_interface_counters = attrgetter(*INTERFACE_COUNTERS)
_NO_INTERFACE_RATES: tuple[None, ...] = (None,) * len(INTERFACE_COUNTERS)


def _interface(
    prev: InterfaceCounters | None, cur: InterfaceCounters, elapsed: float | None
) -> InterfaceStats:
    # Positional: InterfaceStats holds the name, the counters, then their rates, in INTERFACE_COUNTERS order.
    counters = _interface_counters(cur)
    if prev is None or elapsed is None or elapsed <= 0:
        return InterfaceStats(cur.name, *counters, *_NO_INTERFACE_RATES)
    rates = map(rate, _interface_counters(prev), counters, repeat(elapsed))
    return InterfaceStats(cur.name, *counters, *rates)


def net_snapshot(
    prev: NetReading | None,
    cur: NetReading,
    elapsed: float | None,
    idle_rows: dict[str, tuple[InterfaceCounters, InterfaceStats]] | None = None,
) -> NetSnapshot:
    """The ``net`` section from two readings ``elapsed`` seconds apart (``prev`` ``None``: no rates).

    ``idle_rows`` is the caller's memo between calls (empty at first): an interface whose counters are the
    very object of ``prev`` (see :func:`parse_net_dev`'s ``lines``) moved nothing, every rate is 0 whatever
    the elapsed time, and its row is kept there and returned again while its counters stay that object.
    The result is the same with or without it.
    """
    before = (prev.interfaces if prev is not None else None) or {}
    rows: list[InterfaceStats] = []
    current = cur.interfaces or {}
    for name, counters in current.items():
        last = before.get(name)
        if idle_rows is not None and last is counters and elapsed is not None and elapsed > 0:
            memo = idle_rows.get(name)
            if memo is None or memo[0] is not counters:
                memo = idle_rows[name] = (counters, _interface(last, counters, elapsed))
            rows.append(memo[1])
            continue
        rows.append(_interface(last, counters, elapsed))
    if idle_rows is not None:
        for name in [name for name, memo in idle_rows.items() if current.get(name) is not memo[0]]:
            del idle_rows[name]
    interfaces = tuple(rows)
    snmp = cur.snmp or _NO_SNMP
    snmp_before = (prev.snmp if prev is not None else None) or _NO_SNMP
    # By field name, as getattr gives them (Any): NetSnapshot's fields are the types.
    snmp_values: dict[str, Any] = {}
    for key, rate_key in _SNMP_RATE_KEYS:
        value = snmp_values[key] = getattr(snmp, key)
        snmp_values[rate_key] = rate(getattr(snmp_before, key), value, elapsed)
    return NetSnapshot(
        interfaces=interfaces,
        sockstat=cur.sockstat,
        tcp_states=cur.tcp_states,
        udp_sockets=cur.udp_sockets,
        tcp_curr_estab=snmp.tcp_curr_estab,
        **snmp_values,
    )

"""Tests for probes/net.py: the /proc/net formats, address decoding, rates, socket ownership on fixture
trees, real captures, and this machine's loopback compared with ``ss``."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.fs import FS
from perftop.probes.net import (
    INTERFACE_COUNTERS,
    TCP_STATES,
    InterfaceCounters,
    NetReading,
    SnmpCounters,
    SocketEntry,
    Sockstat,
    count_tcp_states,
    decode_address,
    net_snapshot,
    parse_net_dev,
    parse_snmp,
    parse_socket_table,
    parse_sockstat,
    read_net,
    read_net_dev,
    read_snmp,
    read_socket_table,
    read_sockets,
    read_sockstat,
    read_tcp_states,
    read_udp_socket_count,
    socket_owners,
)

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs"


Pair = tuple[socket.socket, socket.socket, socket.socket]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def kernel_hex(address: str) -> str:
    """An address as ``/proc/net/tcp`` prints it on a little-endian machine: each 32-bit word of the
    network-order bytes loaded as a native integer, ``%08X``."""
    packed = ipaddress.ip_address(address).packed
    return "".join(f"{word:08X}" for word in struct.unpack(f"<{len(packed) // 4}I", packed))


# --- /proc/net/dev ------------------------------------------------------------------------------------------

NET_DEV = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1664039048 1566805    0    0    0     0          0         0 1664039048 1566805    0    0    0     0       0          0
  eth0:12345678901234 1036395    3    4    5     6          7         8 563352563  732147    9   10   11    12      13         14
 wlan0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
 tun0: 1 2 3 x 5 6 7 8 9 10 11 12 13 14 15 16
 veth1a2b: 648 8 0 0 0 0 0 0 438 5 0 0 0 0 0 0"""  # noqa: E501


def test_parse_net_dev() -> None:
    interfaces = parse_net_dev(NET_DEV)
    # wlan0 is cut short and tun0 garbled: skipped. The last line has no newline and still counts.
    assert list(interfaces) == ["lo", "eth0", "veth1a2b"]
    eth0 = interfaces["eth0"]
    # A counter wide enough to touch the colon is still read (old kernels print no space after it).
    assert eth0.rx_bytes == 12345678901234
    assert [getattr(eth0, name) for name in INTERFACE_COUNTERS] == [
        12345678901234, 1036395, 3, 4, 5, 6, 7, 8, 563352563, 732147, 9, 10, 11, 12, 13, 14,
    ]  # fmt: skip
    assert interfaces["lo"].tx_packets == 1566805


# --- sockstat -----------------------------------------------------------------------------------------------

SOCKSTAT = """\
sockets: used 1602
TCP: inuse 35 orphan 2 tw 4 alloc 59 mem 22
UDP: inuse 12 mem 62
UDPLITE: inuse 0
RAW: inuse 1
FRAG: inuse 3 memory 4096
"""
SOCKSTAT6 = """\
TCP6: inuse 17
UDP6: inuse 9
UDPLITE6: inuse 0
RAW6: inuse 1
FRAG6: inuse 0 memory 0
"""


def test_parse_sockstat_both_files() -> None:
    assert parse_sockstat(SOCKSTAT, SOCKSTAT6) == Sockstat(
        sockets_used=1602,
        tcp_inuse=35,
        tcp_orphan=2,
        tcp_tw=4,
        tcp_alloc=59,
        tcp_mem_pages=22,
        udp_inuse=12,
        udp_mem_pages=62,
        udplite_inuse=0,
        raw_inuse=1,
        frag_inuse=3,
        frag_memory_bytes=4096,
        tcp6_inuse=17,
        udp6_inuse=9,
        udplite6_inuse=0,
        raw6_inuse=1,
        frag6_inuse=0,
        frag6_memory_bytes=0,
    )


def test_parse_sockstat_missing_and_garbled_values_are_none() -> None:
    stat = parse_sockstat("sockets: used many\nTCP: inuse 5 orphan\nUDP: inuse 2\n")
    assert stat.sockets_used is None
    assert stat.tcp_inuse == 5 and stat.tcp_orphan is None and stat.tcp_alloc is None
    assert stat.udp_inuse == 2 and stat.udp_mem_pages is None
    assert stat.tcp6_inuse is None and stat.frag6_memory_bytes is None  # no sockstat6 (IPv6 disabled)


# --- /proc/net/snmp -----------------------------------------------------------------------------------------

SNMP = """\
Ip: Forwarding DefaultTTL InReceives
Ip: 2 64 594223
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 1103 9 8 51 15 653161 594855 348 98 1038 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti
Udp: 10179 50 1 9846 2 3 0 58
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti
UdpLite: 0 0 0 0 0 0 0 0
"""  # noqa: E501


def test_parse_snmp() -> None:
    assert parse_snmp(SNMP) == SnmpCounters(
        tcp_curr_estab=15,
        tcp_active_opens=1103,
        tcp_passive_opens=9,
        tcp_attempt_fails=8,
        tcp_estab_resets=51,
        tcp_in_segs=653161,
        tcp_out_segs=594855,
        tcp_retrans_segs=348,
        tcp_in_errs=98,
        tcp_out_rsts=1038,
        udp_in_datagrams=10179,
        udp_out_datagrams=9846,
        udp_no_ports=50,
        udp_in_errors=1,
        udp_rcvbuf_errors=2,
        udp_sndbuf_errors=3,
    )


def test_parse_snmp_cut_and_garbled() -> None:
    # The Tcp value line is cut short (its columns no longer line up: skipped); a garbled Udp value is None.
    text = "Tcp: ActiveOpens PassiveOpens RetransSegs\nTcp: 10 20\nUdp: InDatagrams NoPorts\nUdp: 5 lots\n"
    snmp = parse_snmp(text)
    assert snmp.tcp_active_opens is None and snmp.tcp_retrans_segs is None
    assert snmp.udp_in_datagrams == 5 and snmp.udp_no_ports is None
    assert parse_snmp("") == SnmpCounters()


# --- addresses and socket tables ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_text", "address"),
    [
        ("0100007F", "127.0.0.1"),
        ("0500000A", "10.0.0.5"),
        ("00000000", "0.0.0.0"),
        ("00000000000000000000000001000000", "::1"),
        ("00000000000000000000000000000000", "::"),
        ("0000000000000000FFFF00000100007F", "::ffff:127.0.0.1"),
        ("000080FE00000000FFADE15609667CFE", "fe80::56e1:adff:fe7c:6609"),
        ("B80D0120000000000000000001000000", "2001:db8::1"),
    ],
)
def test_decode_address(hex_text: str, address: str) -> None:
    assert decode_address(hex_text) == address
    assert decode_address(hex_text.lower()) == address


@pytest.mark.parametrize("bad", ["", "0100007", "0100007F00", "GG00007F"])
def test_decode_address_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_address(bad)


@given(st.ip_addresses())
def test_decode_address_round_trips_any_address(address: IPAddress) -> None:
    decoded = decode_address(kernel_hex(str(address)))
    assert ipaddress.ip_address(decoded) == address


TCP4 = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 4242 1 ffff8800b4e3e000 100 0 0 10 0
   1: 0100007F:D2F0 0100007F:1F90 01 00000010:00000000 02:000A7D8C 00000000  1000        0 4343 1 ffff8800b4e3e800 20 4 30 10 -1
   2: 0500000A:0016 6400000A:C350 06 00000000:00000000 03:00001770 00000000     0        0 0 3 ffff8800b4e3f000
   3: 0100007F:1F91 0100007F:D2F1 0C 00000000:00000000 00:00000000 00000000  1000        0 0 1
   4: 0100007F:1F92
   5: 0100007F:1F93 0100007F:D2F1 zz 00000000:00000000 00:00000000 00000000  1000        0 77 1
"""  # noqa: E501
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:9C40 08 00000000:00000007 00:00000000 00000000    33        0 5252 1 0000000000000000 20 4 0 10 -1
   2: 000080FE00000000FFADE15609667CFE:C781 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 11337031 2 00000000b9256fdd 0
"""  # noqa: E501


def test_parse_tcp_table() -> None:
    entries = parse_socket_table(TCP4, "tcp")
    # Line 4 is cut short and line 5 has a garbled state: skipped. NEW_SYN_RECV (0C) is kept as such.
    assert [e.state for e in entries] == ["LISTEN", "ESTABLISHED", "TIME_WAIT", "NEW_SYN_RECV"]
    listen, established, time_wait, _ = entries
    assert listen == SocketEntry("tcp", "127.0.0.1", 8080, "0.0.0.0", 0, "LISTEN", 0, 3, 1000, 4242)
    assert established == SocketEntry(
        "tcp", "127.0.0.1", 54000, "127.0.0.1", 8080, "ESTABLISHED", 16, 0, 1000, 4343
    )
    assert (time_wait.local_address, time_wait.local_port) == ("10.0.0.5", 22)
    assert (time_wait.remote_address, time_wait.remote_port, time_wait.inode) == ("10.0.0.100", 50000, 0)


def test_parse_tcp6_table() -> None:
    entries = parse_socket_table(TCP6, "tcp6")
    assert entries[0] == SocketEntry("tcp6", "::1", 80, "::", 0, "LISTEN", 0, 0, 0, 5151)
    assert entries[1] == SocketEntry(
        "tcp6", "::ffff:127.0.0.1", 8080, "::ffff:127.0.0.1", 40000, "CLOSE_WAIT", 0, 7, 33, 5252
    )
    assert entries[2].local_address == "fe80::56e1:adff:fe7c:6609" and entries[2].local_port == 51073
    assert parse_socket_table("", "tcp6") == ()


def test_count_tcp_states() -> None:
    counts = count_tcp_states([TCP4, TCP6])
    assert list(counts) == list(TCP_STATES.values())  # every state, in the kernel's order
    assert counts["LISTEN"] == 2 and counts["ESTABLISHED"] == 1 and counts["TIME_WAIT"] == 1
    assert counts["CLOSE_WAIT"] == 1 and counts["CLOSE"] == 1 and counts["NEW_SYN_RECV"] == 1
    assert counts["SYN_SENT"] == counts["FIN_WAIT1"] == counts["LAST_ACK"] == counts["CLOSING"] == 0
    # Line 4 is cut before its state and line 5's state is garbled: neither is counted.
    assert sum(counts.values()) == 7
    assert count_tcp_states([]) == dict.fromkeys(TCP_STATES.values(), 0)


# --- rates --------------------------------------------------------------------------------------------------


def reading(interfaces: dict[str, InterfaceCounters] | None, snmp: SnmpCounters | None) -> NetReading:
    return NetReading(interfaces=interfaces, sockstat=None, tcp_states=None, udp_sockets=None, snmp=snmp)


def iface(name: str, **values: int) -> InterfaceCounters:
    return InterfaceCounters(name, **{key: values.get(key, 0) for key in INTERFACE_COUNTERS})


def test_net_snapshot_rates() -> None:
    prev = reading(
        {"eth0": iface("eth0", rx_bytes=1000, tx_bytes=500, rx_dropped=7), "lo": iface("lo", rx_bytes=10)},
        SnmpCounters(tcp_retrans_segs=100, tcp_in_segs=1000, tcp_curr_estab=5, udp_in_datagrams=20),
    )
    cur = reading(
        {
            "eth0": iface("eth0", rx_bytes=5000, tx_bytes=300, rx_dropped=7, rx_packets=8),
            "lo": iface("lo", rx_bytes=30),
            "veth0": iface("veth0", rx_bytes=99),
        },
        SnmpCounters(tcp_retrans_segs=104, tcp_in_segs=900, tcp_curr_estab=3, udp_in_datagrams=30),
    )
    snap = net_snapshot(prev, cur, 2.0)
    eth0, lo, veth0 = snap.interfaces
    assert (eth0.rx_bytes, eth0.rx_bytes_per_s, eth0.rx_packets_per_s, eth0.rx_dropped_per_s) == (
        5000,
        2000.0,
        4.0,
        0.0,
    )
    # tx_bytes went backwards (the driver reset it): that one rate is unknown, the others stand.
    assert eth0.tx_bytes == 300 and eth0.tx_bytes_per_s is None
    assert lo.rx_bytes_per_s == 10.0
    assert veth0.rx_bytes == 99 and veth0.rx_bytes_per_s is None  # new interface: no baseline
    assert snap.tcp_retrans_segs == 104 and snap.tcp_retrans_segs_per_s == 2.0
    assert snap.tcp_in_segs == 900 and snap.tcp_in_segs_per_s is None
    assert snap.tcp_curr_estab == 3
    assert snap.udp_in_datagrams_per_s == 5.0
    assert snap.tcp_active_opens is None and snap.tcp_active_opens_per_s is None


def test_net_snapshot_without_baseline_or_sources() -> None:
    cur = reading({"lo": iface("lo", rx_bytes=30)}, SnmpCounters(tcp_retrans_segs=4))
    snap = net_snapshot(None, cur, None)
    assert snap.interfaces[0].rx_bytes_per_s is None
    assert snap.tcp_retrans_segs == 4 and snap.tcp_retrans_segs_per_s is None
    empty = net_snapshot(None, reading(None, None), 1.0)
    assert empty.interfaces == () and empty.tcp_retrans_segs is None and empty.tcp_states is None
    for elapsed in (0.0, -1.0):
        assert net_snapshot(cur, cur, elapsed).interfaces[0].rx_bytes_per_s is None


# --- readers on fixture trees -----------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _fd(proc: Path, pid: int, fd: int, target: str) -> None:
    (proc / str(pid) / "fd").mkdir(parents=True, exist_ok=True)
    os.symlink(target, proc / str(pid) / "fd" / str(fd))


UDP4 = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6161 2 0000000000000000 0
  456: 0100007F:0035 0100007F:C000 01 00000000:00000200 00:00000000 00000000   101        0 6262 2 0000000000000000 5
"""  # noqa: E501


def make_net_tree(root: Path) -> FS:
    proc = root / "proc"
    _write(proc / "net" / "dev", NET_DEV)
    _write(proc / "net" / "sockstat", SOCKSTAT)
    _write(proc / "net" / "sockstat6", SOCKSTAT6)
    _write(proc / "net" / "snmp", SNMP)
    _write(proc / "net" / "tcp", TCP4)
    _write(proc / "net" / "tcp6", TCP6)
    _write(proc / "net" / "udp", UDP4)
    _fd(proc, 100, 0, "/dev/null")
    _fd(proc, 100, 3, "socket:[4242]")
    _fd(proc, 100, 4, "socket:[5151]")
    _fd(proc, 100, 5, "pipe:[4343]")  # a pipe with a socket's inode number is not that socket
    _fd(proc, 200, 9, "socket:[4242]")  # shared after fork: the lowest PID answers
    _fd(proc, 200, 10, "socket:[4343]")
    _fd(proc, 300, 1, "socket:[bogus]")
    _fd(proc, 300, 2, "anon_inode:[eventpoll]")
    (proc / "400").mkdir()  # a process that vanished between listing /proc and reading its fds
    _write(proc / "500" / "fd", "not a directory\n")
    _write(proc / "600" / "fd" / "3", "socket:[6161]")  # a flattened link (as some captures hold)
    (proc / "net" / "unix").write_text("")
    return FS(procfs=proc, sysfs=root / "sys")


def test_readers_on_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_net_tree(tmp_path)
    assert read_net_dev(fs) == parse_net_dev(NET_DEV)
    assert read_sockstat(fs) == parse_sockstat(SOCKSTAT, SOCKSTAT6)
    assert read_snmp(fs) == parse_snmp(SNMP)
    assert read_tcp_states(fs) == count_tcp_states([TCP4, TCP6])
    assert read_udp_socket_count(fs) == 2  # udp6 is absent: IPv6 disabled
    assert read_socket_table(fs, "udp6") is None
    udp = read_socket_table(fs, "udp")
    assert udp is not None and [(e.local_port, e.state, e.rx_queue) for e in udp] == [
        (68, "CLOSE", 0),
        (53, "ESTABLISHED", 512),
    ]
    assert [e.protocol for e in read_sockets(fs)] == ["tcp"] * 4 + ["tcp6"] * 3 + ["udp"] * 2
    with pytest.raises(ValueError, match="unknown socket table"):
        read_socket_table(fs, "unix")
    snap = net_snapshot(None, read_net(fs), None)
    assert [i.name for i in snap.interfaces] == ["lo", "eth0", "veth1a2b"]
    assert snap.sockstat is not None and snap.sockstat.tcp_alloc == 59
    assert snap.tcp_states is not None and snap.tcp_states["LISTEN"] == 2
    assert snap.udp_sockets == 2 and snap.tcp_retrans_segs == 348


def test_missing_net_files_give_none(tmp_path: Path) -> None:
    fs = FS(procfs=tmp_path, sysfs=tmp_path)
    assert read_net(fs) == NetReading(None, None, None, None, None)
    assert read_sockets(fs) == ()
    assert socket_owners(fs) == {}


def test_socket_owners_on_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_net_tree(tmp_path)
    assert socket_owners(fs) == {4242: 100, 5151: 100, 4343: 200}
    assert socket_owners(fs, {4343, 9999}) == {4343: 200}
    assert socket_owners(fs, set()) == {}


# --- real captures (../shared/fixtures/procfs) -------------------------------------------------------------


@pytest.fixture
def captures() -> FS:
    if not (CAPTURES / "proc" / "net" / "dev").exists():
        pytest.skip("../shared/fixtures/procfs is absent")
    return FS(procfs=CAPTURES / "proc", sysfs=CAPTURES / "sys")


def test_captured_net_files(captures: FS) -> None:
    interfaces = read_net_dev(captures)
    assert interfaces is not None and list(interfaces) == ["vethf345468", "lo", "docker0", "eth0"]
    assert (interfaces["eth0"].rx_bytes, interfaces["eth0"].rx_packets) == (874354587, 1036395)
    assert (interfaces["eth0"].tx_bytes, interfaces["eth0"].tx_packets) == (563352563, 732147)
    stat = read_sockstat(captures)
    assert stat is not None
    assert (stat.sockets_used, stat.tcp_inuse, stat.tcp_tw, stat.tcp_alloc, stat.tcp_mem_pages) == (
        1602,
        35,
        4,
        59,
        22,
    )
    assert (stat.udp_inuse, stat.tcp6_inuse, stat.udp6_inuse, stat.raw6_inuse) == (12, 17, 9, 1)
    tcp = read_socket_table(captures, "tcp")
    assert tcp is not None
    assert [(e.local_address, e.local_port, e.state, e.tx_queue, e.rx_queue) for e in tcp] == [
        ("10.0.0.5", 22, "LISTEN", 0, 1),
        ("0.0.0.0", 22, "LISTEN", 1, 0),
        ("0.0.0.0", 22, "LISTEN", 1, 1),
    ]
    tcp6 = read_socket_table(captures, "tcp6")
    assert tcp6 is not None
    assert [(e.local_address, e.local_port, e.uid, e.inode) for e in tcp6] == [
        ("::", 5355, 981, 21040),
        ("fe80::56e1:adff:fe7c:6609", 51073, 1000, 11337031),
    ]
    states = read_tcp_states(captures)
    assert states is not None and states["LISTEN"] == 3 and states["CLOSE"] == 2
    assert sum(states.values()) == 5
    # udp_broken has only four columns: nothing to read, nothing raised.
    broken = (CAPTURES / "proc" / "net" / "udp_broken").read_text()
    assert parse_socket_table(broken, "udp") == ()
    # The capture's fd "links" are flattened to files: no owner found, no error.
    assert socket_owners(captures) == {}


def test_captured_snmp(captures: FS) -> None:
    fs = FS(procfs=CAPTURES / "proc" / "26231", sysfs=captures.sysfs)  # a process's net/ view
    snmp = read_snmp(fs)
    assert snmp is not None
    assert (snmp.tcp_active_opens, snmp.tcp_passive_opens, snmp.tcp_retrans_segs) == (1103, 9, 348)
    assert (snmp.tcp_in_segs, snmp.tcp_out_segs, snmp.tcp_curr_estab) == (653161, 594855, 15)
    assert (snmp.udp_in_datagrams, snmp.udp_out_datagrams, snmp.udp_no_ports) == (10179, 9846, 50)
    interfaces = read_net_dev(fs)
    assert interfaces is not None and interfaces["eth0"].tx_bytes == 648


# --- this machine: loopback sockets -------------------------------------------------------------------------


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("the kernel never reached the expected socket state")
        time.sleep(0.01)


def inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


@pytest.fixture
def tcp_pair() -> Iterator[Pair]:
    """A listener on 127.0.0.1 and one connection to it: (listener, client, accepted)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    client = socket.create_connection(listener.getsockname(), timeout=5)
    accepted, _ = listener.accept()
    yield listener, client, accepted
    for sock in (accepted, client, listener):
        sock.close()


def by_inode(protocol: str) -> dict[int, SocketEntry]:
    entries = read_socket_table(FS(), protocol)
    assert entries is not None
    return {e.inode: e for e in entries if e.inode}


def test_real_loopback_connection_states_and_owner(
    tcp_pair: Pair,
) -> None:
    listener, client, accepted = tcp_pair
    table = by_inode("tcp")
    port = listener.getsockname()[1]
    listen = table[inode(listener)]
    assert (listen.state, listen.local_address, listen.local_port) == ("LISTEN", "127.0.0.1", port)
    out = table[inode(client)]
    assert out.state == "ESTABLISHED"
    assert (out.local_address, out.local_port) == client.getsockname()
    assert (out.remote_address, out.remote_port) == ("127.0.0.1", port)
    back = table[inode(accepted)]
    assert back.state == "ESTABLISHED" and (back.remote_address, back.remote_port) == client.getsockname()
    assert listen.uid == out.uid == os.geteuid()
    mine = {inode(s) for s in tcp_pair}
    assert socket_owners(FS(), mine) == dict.fromkeys(mine, os.getpid())
    everything = socket_owners(FS())
    assert all(everything[i] == os.getpid() for i in mine)


def test_real_ipv6_loopback_and_v4_mapped() -> None:
    if not socket.has_ipv6 or not os.path.exists("/proc/net/tcp6"):
        pytest.skip("no IPv6 here")
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", 0))
    except OSError as error:
        listener.close()
        pytest.skip(f"cannot bind a dual-stack IPv6 socket: {error}")
    listener.listen(8)
    port = listener.getsockname()[1]
    sockets = [listener]
    try:
        v6_client = socket.create_connection(("::1", port), timeout=5)
        sockets.append(v6_client)
        v6_accepted, _ = listener.accept()
        sockets.append(v6_accepted)
        v4_client = socket.create_connection(("127.0.0.1", port), timeout=5)
        sockets.append(v4_client)
        mapped, _ = listener.accept()
        sockets.append(mapped)
        table = by_inode("tcp6")
        assert (table[inode(listener)].local_address, table[inode(listener)].state) == ("::", "LISTEN")
        out = table[inode(v6_client)]
        assert (out.local_address, out.remote_address, out.remote_port) == ("::1", "::1", port)
        assert out.state == "ESTABLISHED"
        # A v4 client of a dual-stack listener: the accepted socket is a tcp6 entry with mapped addresses,
        # the client itself a plain tcp entry.
        entry = table[inode(mapped)]
        assert (entry.local_address, entry.local_port) == ("::ffff:127.0.0.1", port)
        assert (entry.remote_address, entry.remote_port) == ("::ffff:127.0.0.1", v4_client.getsockname()[1])
        assert mapped.getsockname()[0] == entry.local_address
        assert by_inode("tcp")[inode(v4_client)].remote_port == port
        assert socket_owners(FS(), {inode(mapped)}) == {inode(mapped): os.getpid()}
    finally:
        for sock in reversed(sockets):
            sock.close()


def test_real_udp_sockets() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bound,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as connected,
    ):
        bound.bind(("127.0.0.1", 0))
        connected.connect(bound.getsockname())
        connected.send(b"x" * 100)
        wait_for(lambda: by_inode("udp")[inode(bound)].rx_queue > 0)
        table = by_inode("udp")
        entry = table[inode(bound)]
        assert (entry.state, entry.local_port) == ("CLOSE", bound.getsockname()[1])
        assert table[inode(connected)].state == "ESTABLISHED"
        assert table[inode(connected)].remote_port == bound.getsockname()[1]
        count = read_udp_socket_count(FS())
        assert count is not None and count >= 2


def _states_now() -> dict[str, int]:
    states = read_tcp_states(FS())
    assert states is not None
    return states


def test_real_states_cover_the_connections_the_test_made(
    tcp_pair: Pair,
) -> None:
    listener, _, _ = tcp_pair
    # Half-close one connection: its client waits in FIN_WAIT2, the server side in CLOSE_WAIT.
    half_client = socket.create_connection(listener.getsockname(), timeout=5)
    half_server, _ = listener.accept()
    half_client.shutdown(socket.SHUT_WR)
    wait_for(lambda: by_inode("tcp")[inode(half_server)].state == "CLOSE_WAIT")
    # Close another from the client first: the client's side lingers in TIME_WAIT.
    tw_client = socket.create_connection(listener.getsockname(), timeout=5)
    tw_server, _ = listener.accept()
    tw_port = tw_client.getsockname()[1]
    tw_client.close()
    wait_for(lambda: by_inode("tcp")[inode(tw_server)].state == "CLOSE_WAIT")
    tw_server.close()

    def time_wait_seen() -> bool:
        entries = read_socket_table(FS(), "tcp") or ()
        return any(e.local_port == tw_port and e.state == "TIME_WAIT" for e in entries)

    wait_for(time_wait_seen)
    try:
        states = _states_now()
        assert states["LISTEN"] >= 1 and states["ESTABLISHED"] >= 2
        assert states["FIN_WAIT2"] >= 1 and states["CLOSE_WAIT"] >= 1 and states["TIME_WAIT"] >= 1
        owners = socket_owners(FS(), {inode(half_client), inode(half_server)})
        assert set(owners.values()) == {os.getpid()}
    finally:
        half_client.close()
        half_server.close()


# ss -tan's state names -> the kernel's.
SS_STATES = {
    "ESTAB": "ESTABLISHED",
    "SYN-SENT": "SYN_SENT",
    "SYN-RECV": "SYN_RECV",
    "FIN-WAIT-1": "FIN_WAIT1",
    "FIN-WAIT-2": "FIN_WAIT2",
    "TIME-WAIT": "TIME_WAIT",
    "UNCONN": "CLOSE",
    "CLOSE-WAIT": "CLOSE_WAIT",
    "LAST-ACK": "LAST_ACK",
    "LISTEN": "LISTEN",
    "CLOSING": "CLOSING",
}


def ss_states(ss: str) -> dict[str, int]:
    out = subprocess.run([ss, "-tan"], capture_output=True, text=True, check=True).stdout
    counts = dict.fromkeys(TCP_STATES.values(), 0)
    for line in out.splitlines()[1:]:
        state = line.split(None, 1)[0]
        counts[SS_STATES[state]] += 1
    return counts


@pytest.mark.live
def test_real_state_counts_match_ss(tcp_pair: Pair) -> None:
    """Tolerance: other processes (other test runs, services) open and close connections while we look.
    Each attempt reads the tables, runs ``ss -tan``, and reads them again; the churn is how many sockets
    changed state between our two reads. ss must agree exactly in an attempt without churn, and otherwise
    lie within the churn of the best attempt."""
    ss = shutil.which("ss")
    if ss is None:
        pytest.skip("ss (iproute2) is not installed")
    best: tuple[int, dict[str, int], dict[str, int], dict[str, int]] | None = None
    for _ in range(20):
        before = _states_now()
        theirs = ss_states(ss)
        after = _states_now()
        churn = sum(abs(after[s] - before[s]) for s in before)
        if churn == 0 and theirs == before:
            break
        if best is None or churn < best[0]:
            best = (churn, before, theirs, after)
    else:
        assert best is not None
        churn, before, theirs, after = best
        for state in TCP_STATES.values():
            low, high = min(before[state], after[state]), max(before[state], after[state])
            assert low - churn <= theirs[state] <= high + churn, (state, before, theirs, after)
    assert before["LISTEN"] >= 1 and before["ESTABLISHED"] >= 2  # the test's own pair is in both


def test_real_loopback_traffic_and_tcp_counters() -> None:
    fs = FS()
    first = read_net(fs)
    if first.interfaces is None or "lo" not in first.interfaces:
        pytest.skip("no loopback interface in /proc/net/dev")
    start = time.monotonic()
    payload, count = b"p" * 1000, 50
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx,
    ):
        rx.bind(("127.0.0.1", 0))
        for _ in range(count):
            tx.sendto(payload, rx.getsockname())
        # The kernel counts InDatagrams when the application takes a datagram, not when it arrives.
        for _ in range(count):
            assert rx.recv(len(payload)) == payload
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            accepted, _ = listener.accept()
            client.sendall(b"hello")
            assert accepted.recv(5) == b"hello"
            accepted.close()
    second = read_net(fs)
    elapsed = time.monotonic() - start
    snap = net_snapshot(first, second, elapsed)
    (lo,) = [i for i in snap.interfaces if i.name == "lo"]
    assert first.interfaces is not None and second.interfaces is not None
    grown = lo.rx_bytes - first.interfaces["lo"].rx_bytes
    assert grown >= len(payload) * count  # payloads plus their headers
    assert lo.rx_packets - first.interfaces["lo"].rx_packets >= count
    assert lo.rx_bytes_per_s == pytest.approx(grown / elapsed)
    assert first.snmp is not None and second.snmp is not None
    for name in ("tcp_active_opens", "tcp_passive_opens", "udp_in_datagrams", "udp_out_datagrams"):
        assert getattr(second.snmp, name) - getattr(first.snmp, name) >= 1, name
    assert second.snmp.udp_out_datagrams - first.snmp.udp_out_datagrams >= count
    assert second.snmp.udp_in_datagrams - first.snmp.udp_in_datagrams >= count
    assert snap.tcp_out_segs_per_s is not None and snap.tcp_out_segs_per_s > 0


def test_real_sockstat_counts_our_sockets(tcp_pair: Pair) -> None:
    stat = read_sockstat(FS())
    assert stat is not None and stat.tcp_inuse is not None and stat.sockets_used is not None
    assert stat.tcp_inuse >= 3 and stat.tcp_alloc is not None and stat.tcp_alloc >= 3
    assert stat.sockets_used >= 3


@pytest.mark.live
def test_owner_scan_survives_eacces(tcp_pair: Pair) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    mine = {inode(s) for s in tcp_pair}
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody, then scan; it must always leave through os._exit
        status = 1
        try:
            os.close(read_end)
            for sock in tcp_pair:
                sock.close()  # only the parent (root) holds the test's sockets now
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            owners = socket_owners(FS())
            os.write(write_end, json.dumps(owners).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    # As nobody, /proc/PID/fd of every root process answers EACCES: the scan skips them, never raises.
    assert os.waitstatus_to_exitcode(status) == 0
    owners = {int(k): v for k, v in json.loads(data).items()}
    assert not mine & owners.keys()


def test_dataclass_fields_follow_the_contract() -> None:
    from perftop.probes.net import InterfaceStats, NetSnapshot

    interface_keys = {f.name for f in dataclasses.fields(InterfaceStats)}
    for key in ("name", "rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors"):
        assert key in interface_keys and (key == "name" or f"{key}_per_s" in interface_keys)
    assert {"rx_dropped_per_s", "tx_dropped_per_s"} <= interface_keys
    net_keys = {f.name for f in dataclasses.fields(NetSnapshot)}
    assert {"interfaces", "sockstat", "tcp_states", "tcp_retrans_segs", "tcp_retrans_segs_per_s"} <= net_keys
    sockstat_keys = {f.name for f in dataclasses.fields(Sockstat)}
    assert {"sockets_used", "tcp_inuse", "tcp_orphan", "tcp_tw", "tcp_alloc"} <= sockstat_keys
    assert {"tcp_mem_pages", "udp_inuse"} <= sockstat_keys

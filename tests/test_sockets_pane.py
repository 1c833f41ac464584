"""The sockets pane driven inside a small test App, on NetSnapshots computed here by ``perftop.probes.net``
from ``/proc/net`` texts written in the tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.style import Style
from textual.widgets import ContentSwitcher

from perftop.probes.net import (
    TCP_STATES,
    NetReading,
    decode_address,
    net_snapshot,
    parse_net_dev,
    parse_snmp,
    parse_socket_table,
    parse_sockstat,
)
from perftop.probes.snapshot import NetSnapshot, SocketEntry
from perftop.widgets.formatting import SPARK_ZERO, sparkline
from perftop.widgets.line_pane import fit
from perftop.widgets.sockets_pane import (
    LOADING,
    SocketsPane,
    TcpSummary,
    retrans_percent,
    tcp_summary,
    transport_rows,
)
from perftop.widgets.summary import plain
from tests.pane_app import PaneApp, line_starting, screen_lines

MIB = 1024**2

# A busy server's /proc/net/sockstat{,6}, with the `ss -s` it gives (public example):
#   TCP:   1001 (estab 974, closed 13, orphaned 0, timewait 5)
#   RAW 0 0 0 / UDP 3 2 1 / TCP 988 9 979 / INET 991 11 980 / FRAG 0 0 0
SOCKSTAT = """sockets: used 1425
TCP: inuse 9 orphan 0 tw 5 alloc 996 mem 300
UDP: inuse 2 mem 4
UDPLITE: inuse 0
RAW: inuse 0
FRAG: inuse 0 memory 0
"""
SOCKSTAT6 = """TCP6: inuse 979
UDP6: inuse 1
UDPLITE6: inuse 0
RAW6: inuse 0
FRAG6: inuse 0 memory 0
"""

SNMP_HEADER = (
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab "
    "InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
)
UDP_HEADER = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors\n"


def snmp_text(step: int) -> str:
    """Counters after ``step`` intervals of 2 s: per second 5 active and 30 passive opens, 1 reset,
    1000 segments in, 2000 out, 20 retransmitted (1%), 1 RST; UDP 100 in, 50 out, 1 no-port,
    1 receive buffer error."""
    tcp = [1, 200, 120000, -1, 100 + 10 * step, 200 + 60 * step, 3, 4 + 2 * step, 974]
    tcp += [10000 + 2000 * step, 20000 + 4000 * step, 50 + 40 * step, 0, 7 + 2 * step, 0]
    udp = [500 + 200 * step, 1 + 2 * step, 0, 400 + 100 * step, 2 * step, 0, 0]
    return (
        SNMP_HEADER
        + "Tcp: "
        + " ".join(map(str, tcp))
        + "\n"
        + UDP_HEADER
        + "Udp: "
        + " ".join(map(str, udp))
        + "\n"
    )


def net_dev_text(interfaces: dict[str, tuple[int, ...]]) -> str:
    header = (
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
        "colls carrier compressed\n"
    )
    return header + "".join(f"{name:>6}: {' '.join(map(str, v))}\n" for name, v in interfaces.items())


def dev(rx_bytes: int, rx_packets: int, tx_bytes: int, tx_packets: int, errors: int = 0, drops: int = 0):
    """16 counters: rx errors and drops as given, tx ones 0."""
    return (rx_bytes, rx_packets, errors, drops, 0, 0, 0, 0, tx_bytes, tx_packets, 0, 0, 0, 0, 0, 0)


def states(**counts: int) -> dict[str, int]:
    found = dict.fromkeys(TCP_STATES.values(), 0)
    found.update(counts)
    return found


def reading(step: int, lo_bytes: int = 0, eth_errors: int = 0, interfaces: bool = True) -> NetReading:
    """eth0 receives 2 MiB/s and sends 512 KiB/s (1500 and 700 packets/s); lo moves ``lo_bytes``."""
    devices = {
        "lo": dev(lo_bytes, lo_bytes // 100, lo_bytes, lo_bytes // 100),
        "eth0": dev(4 * MIB * step, 3000 * step, MIB * step, 1400 * step, errors=eth_errors, drops=3),
    }
    return NetReading(
        interfaces=parse_net_dev(net_dev_text(devices)) if interfaces else None,
        sockstat=parse_sockstat(SOCKSTAT, SOCKSTAT6),
        tcp_states=states(ESTABLISHED=974, TIME_WAIT=5, LISTEN=9, CLOSE_WAIT=2),
        udp_sockets=3,
        snmp=parse_snmp(snmp_text(step)),
    )


def server_net(step: int = 1, **kwargs: int) -> NetSnapshot:
    """The snapshot of interval ``step`` (2 s) of the busy server."""
    return net_snapshot(reading(step - 1), reading(step, **kwargs), 2.0)


# /proc/net/tcp, tcp6 and udp lines of the server's sockets.
TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1002 1 0 100 0 0 10 0
   2: 0500000A:0016 0700000A:C822 01 00000010:00000000 01:00000014 00000000     0        0 1003 4 0 20 4 30 10 -1
"""  # noqa: E501
TCP6 = """  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1004 1 0 100 0 0 10 0
   1: 0000000000000000FFFF00000500000A:01BB 0000000000000000FFFF00000700000A:D431 01 00000000:00000020 00:00000000 00000000    33        0 1005 1 0 20 4 30 10 -1
   2: B80D01200000A3852E8A000034737003:01BB B80D01200000A3852E8A000035737003:E000 08 00000000:00000000 00:00000000 00000000    33        0 1006 1 0 20 4 30 10 -1
"""  # noqa: E501
UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 2001 2 0 0
"""  # noqa: E501

V6_PEER = "2001:db8:85a3::8a2e:370:7335"


def sockets() -> dict[int, SocketEntry]:
    """The server's sockets by inode."""
    entries = [
        *parse_socket_table(TCP, "tcp"),
        *parse_socket_table(TCP6, "tcp6"),
        *parse_socket_table(UDP, "udp"),
    ]
    return {e.inode: e for e in entries}


def listening() -> list[tuple[SocketEntry, int | None, str | None]]:
    s = sockets()
    return [(s[1002], 900, "postgres"), (s[1001], 812, "sshd"), (s[2001], None, None), (s[1004], 812, "sshd")]


def after(lines: list[str], start: str, count: int) -> list[str]:
    """The ``count`` lines after the first starting with ``start``."""
    index = lines.index(line_starting(lines, start))
    return lines[index + 1 : index + 1 + count]


def column_end(header: str, title: str) -> int:
    return header.index(title) + len(title)


def style_at(pane: SocketsPane, y: int, text: str) -> Style:
    """The style of the first cell of ``text`` on screen line ``y``."""
    strip = pane.render_line(y)
    x = strip.text.index(text)
    for segment in strip:
        if x < len(segment.text):
            assert segment.style is not None
            return segment.style
        x -= len(segment.text)
    raise AssertionError(f"{text!r} not on line {y}")


def component(pane: SocketsPane, role: str) -> Style:
    return pane.get_component_rich_style(f"sockets-pane--{role}")


# --- pure parts -------------------------------------------------------------------------------------------


def test_tcp_summary_is_what_ss_s_prints() -> None:
    sockstat = parse_sockstat(SOCKSTAT, SOCKSTAT6)
    assert tcp_summary(sockstat, 974) == TcpSummary(total=1001, estab=974, closed=13, orphaned=0, timewait=5)
    assert transport_rows(sockstat) == [
        ("RAW", 0, 0),
        ("UDP", 2, 1),
        ("TCP", 9, 979),
        ("INET", 11, 980),
        ("FRAG", 0, 0),
    ]
    # Without sockstat6 (no IPv6) the v6 figures and the sums that need them are unknown.
    v4_only = parse_sockstat(SOCKSTAT)
    assert tcp_summary(v4_only, None) == TcpSummary(1001, None, None, 0, 5)
    assert transport_rows(v4_only)[3] == ("INET", 11, None)
    assert tcp_summary(None, 3) == TcpSummary(None, 3, None, None, None)


def test_retrans_percent() -> None:
    assert retrans_percent(server_net()) == pytest.approx(1.0)
    assert retrans_percent(net_snapshot(None, reading(1), None)) is None


def test_sparkline_scales_to_its_peak_and_marks_zero_and_unknown() -> None:
    assert sparkline([0.0, 25.0, 50.0, 100.0], 4, 100.0) == SPARK_ZERO + "▂▄█"
    assert sparkline([100.0, None, 1.0], 5, 100.0) == "  █ ▁"
    assert sparkline([5.0, 5.0, 5.0], 2, 0.0) == SPARK_ZERO * 2
    assert sparkline([1.0], 0, 1.0) == ""


def test_decoded_fixture_addresses() -> None:
    s = sockets()
    assert (s[1001].local_address, s[1001].local_port, s[1001].state) == ("0.0.0.0", 22, "LISTEN")
    assert (s[1005].local_address, s[1005].remote_port) == ("::ffff:10.0.0.5", 54321)
    assert decode_address("B80D01200000A3852E8A000035737003") == V6_PEER
    assert s[1006].state == "CLOSE_WAIT"


# --- the pane ---------------------------------------------------------------------------------------------


async def test_summary_and_transport_table_match_ss_s() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()
        lines = screen_lines(pane)
        assert lines[0].rstrip() == "SOCKETS total 1425"
        assert lines[1].rstrip() == "TCP 1001 (estab 974, closed 13, orphaned 0, timewait 5)"
        assert line_starting(lines, "TCP alloc").split() == [
            "TCP", "alloc", "996", "TCP", "mem", "300", "pages", "UDP", "mem", "4", "pages",
            "FRAG", "mem", "0", "bytes",
        ]  # fmt: skip
        header = line_starting(lines, "Transport")
        assert header.split()[:4] == ["Transport", "Total", "IP", "IPv6"]
        rows = [line.split()[:4] for line in after(lines, "Transport", 5)]
        assert rows == [
            ["RAW", "0", "0", "0"],
            ["UDP", "3", "2", "1"],
            ["TCP", "988", "9", "979"],
            ["INET", "991", "11", "980"],
            ["FRAG", "0", "0", "0"],
        ]
        # Right-aligned under their titles.
        tcp_row = after(lines, "Transport", 3)[2]
        assert tcp_row[: column_end(header, "IPv6")].endswith(" 979")
        assert tcp_row[: column_end(header, "Total")].endswith(" 988")


async def test_every_tcp_state_is_counted_zeros_included() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()
        lines = screen_lines(pane)
        top = lines.index(line_starting(lines, "Transport"))
        assert "TCP STATES" in lines[top]
        # Beside the transport table at 80 columns: two columns of states, in the kernel's order.
        words = " ".join(line[33:] for line in lines[top + 1 : top + 7]).split()
        shown = dict(zip(words[::2], map(int, words[1::2]), strict=True))
        assert sorted(shown) == sorted(TCP_STATES.values())
        assert shown == states(ESTABLISHED=974, TIME_WAIT=5, LISTEN=9, CLOSE_WAIT=2)
        assert lines[top + 1][33:].split() == ["ESTABLISHED", "974", "CLOSE", "0"]
        row = lines.index(line_starting(lines, "RAW"))
        assert style_at(pane, row, "ESTABLISHED") == component(pane, "label")
        assert style_at(pane, row, "974") == component(pane, "value")
        assert style_at(pane, row + 1, "  0") == component(pane, "dim")

    # Too narrow to sit beside the transport table: below it, as many columns as fit.
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(45, 60)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "Transport").rstrip().endswith("IPv6")
        assert line_starting(lines, "TCP STATES").rstrip() == "TCP STATES"
        state_rows = after(lines, "TCP STATES", len(TCP_STATES) // 2)
        assert [line.split()[0::2] for line in state_rows] == [
            [a, b] for a, b in zip(list(TCP_STATES.values())[:6], list(TCP_STATES.values())[6:], strict=True)
        ]
        assert all(len(line) == 45 for line in state_rows)


async def test_tcp_and_udp_rates() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()
        lines = screen_lines(pane)
        titles = [line.rstrip() for line in lines]
        # The TCP grid (11 items, 3 columns) and the UDP grid (7 items) under their titles.
        assert titles[titles.index("TCP") + 5] == "UDP"
        assert titles[titles.index("UDP") + 4] == ""
        text = " ".join(lines[titles.index("TCP") : titles.index("UDP") + 4])
        expected = {
            "retrans/s": "20",
            "retrans % out": "1.00%",
            "in segs/s": "1000",
            "out segs/s": "2000",
            "active opens/s": "5",
            "passive opens/s": "30",
            "attempt fails/s": "0",
            "estab resets/s": "1",
            "in errs/s": "0",
            "out resets/s": "1",
            "established": "974",
            "sockets": "3",
            "in dgrams/s": "100",
            "out dgrams/s": "50",
            "no port/s": "1",
            "in errors/s": "0",
            "rcvbuf errors/s": "1",
            "sndbuf errors/s": "0",
        }
        for label, value in expected.items():
            assert f"{label} " in text
            assert text.split(f"{label} ", 1)[1].split()[0] == value, label
        # 1% of segments retransmitted and rising receive-buffer errors are warnings.
        row = lines.index(line_starting(lines, "retrans/s"))
        assert style_at(pane, row, " 20 ") == component(pane, "warn")
        assert style_at(pane, row + 1, "1.00%") == component(pane, "warn")
        assert style_at(pane, row + 2, "1000") == component(pane, "value")


async def test_interfaces_with_rates_errors_and_history() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 50)) as pilot:
        previous = reading(0)
        for step, lo in enumerate([0, 100, 200, 200, 600], start=1):
            current = reading(step, lo_bytes=lo * 1000, eth_errors=10 if step < 5 else 12)
            pane.update_snapshot(net_snapshot(previous, current, 2.0))
            previous = current
        await pilot.pause()
        lines = screen_lines(pane)
        header = line_starting(lines, "IFACE")
        eth0 = line_starting(lines, "eth0 ")
        for title, value in {"RX/s": "2.0M", "TX/s": "512K", "RXPK/s": "1500", "TXPK/s": "700"}.items():
            assert eth0[: column_end(header, title)].endswith(" " + value), title
        assert eth0[: column_end(header, "ERRS")].endswith(" 12")
        assert eth0[: column_end(header, "DROPS")].endswith(" 3")
        # Errors rose over the last interval (10 -> 12); drops did not.
        row = lines.index(eth0)
        assert style_at(pane, row, " 12 ") == component(pane, "warn")
        # lo: rx+tx 0, 100k, 50k, 0, 200k bytes/s (each of rx and tx moved the difference over 2 s).
        assert pane.history("lo") == (0.0, 100_000.0, 100_000.0, 0.0, 400_000.0)
        lo = line_starting(lines, "lo ")
        history_start = header.index("RX+TX HISTORY")
        spark = lo[history_start : column_end(header, "PEAK/s") - 7].rstrip()
        assert spark.endswith(SPARK_ZERO + "▂▂" + SPARK_ZERO + "█")
        assert lo.rstrip().endswith(" 391K")
        assert style_at(pane, lines.index(lo), "█") == component(pane, "spark")
        assert style_at(pane, lines.index(lo), SPARK_ZERO) == component(pane, "dim")


async def test_history_is_recorded_while_hidden() -> None:
    pane = SocketsPane(maxlen=4)
    app = PaneApp(pane, switcher=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not pane.is_on_screen
        previous = reading(0)
        for step in range(1, 6):
            current = reading(step, lo_bytes=step * 2000)
            pane.update_snapshot(net_snapshot(previous, current, 2.0))
            previous = current
        await pilot.pause()
        assert pane.history("eth0") == (2.5 * MIB,) * 4
        assert pane.history("lo") == (2000.0,) * 4
        assert pane.history("wlan0") == ()
        # The interfaces vanish (an unreadable /proc/net/dev): gaps, then forgotten.
        pane.update_snapshot(net_snapshot(previous, reading(6, interfaces=False), 2.0))
        assert pane.history("eth0") == (2.5 * MIB,) * 3 + (None,)
        for _ in range(3):
            pane.update_snapshot(net_snapshot(previous, reading(6, interfaces=False), 2.0))
        assert pane.history("eth0") == ()

        pane.update_snapshot(net_snapshot(reading(6), reading(7), 2.0))
        app.query_one("#panes", ContentSwitcher).current = "pane"
        await pilot.pause()
        assert pane.is_on_screen
        assert screen_lines(pane)[0].rstrip() == "SOCKETS total 1425"


async def test_listening_sockets_with_owners() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 60)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()
        # Nothing asked for yet: the App is looking them up.
        assert after(screen_lines(pane), "LISTENING", 1)[0].strip() == LOADING

        pane.show_listening([])
        await pilot.pause()
        assert after(screen_lines(pane), "LISTENING", 1)[0].strip() == "none"

        pane.show_listening(listening())
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "LISTENING").rstrip() == "LISTENING 4 sockets"
        header, *rows = after(lines, "LISTENING", 5)
        assert header.split() == ["PROTO", "ADDRESS", "PORT", "RECV-Q", "PID", "COMMAND"]
        # By port; the accept queue of sshd's listener holds 3 connections; an unknown owner is "-".
        assert [row.split() for row in rows] == [
            ["tcp", "0.0.0.0", "22", "3", "812", "sshd"],
            ["tcp6", "::", "22", "0", "812", "sshd"],
            ["udp", "127.0.0.53", "53", "0", "-", "-"],
            ["tcp", "127.0.0.1", "5432", "0", "900", "postgres"],
        ]
        assert rows[0][: column_end(header, "RECV-Q")].endswith(" 3")
        assert rows[2][: column_end(header, "PID")].endswith(" -")

        # Names are literal text with control characters masked.
        s = sockets()
        pane.show_listening([(s[1001], 1, "[bold]x\x1b[2J")])
        await pilot.pause()
        assert after(screen_lines(pane), "LISTENING", 2)[1].split()[-1] == "[bold]x?[2J"

        pane.show_listening(None)
        await pilot.pause()
        assert after(screen_lines(pane), "LISTENING", 1)[0].strip() == LOADING


async def test_connections_of_the_selected_process() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 60)) as pilot:
        pane.update_snapshot(server_net())
        pane.show_listening([])
        await pilot.pause()
        assert after(screen_lines(pane), "CONNECTIONS", 1)[0].strip() == "no process selected"

        pane.show_connections(812, "sshd", None)
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "CONNECTIONS").rstrip() == "CONNECTIONS of 812 sshd"
        assert after(lines, "CONNECTIONS", 1)[0].strip() == LOADING

        pane.show_connections(812, "sshd", [])
        await pilot.pause()
        assert after(screen_lines(pane), "CONNECTIONS", 1)[0].strip() == "none"

        s = sockets()
        pane.show_connections(812, "sshd", [s[1006], s[1003], s[1001], s[1005]])
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "CONNECTIONS").rstrip() == "CONNECTIONS of 812 sshd  4 sockets"
        header, *rows = after(lines, "CONNECTIONS", 5)
        assert header.split() == ["PROTO", "STATE", "RECV-Q", "SEND-Q", "LOCAL", "PORT", "PEER", "PORT"]
        assert rows[0].split() == ["tcp", "LISTEN", "3", "0", "0.0.0.0", "22", "0.0.0.0", "0"]
        assert rows[1].split() == ["tcp", "ESTABLISHED", "0", "16", "10.0.0.5", "22", "10.0.0.7", "51234"]
        assert rows[1][: column_end(header, "SEND-Q")].endswith(" 16")
        assert rows[3].split() == [
            "tcp6", "ESTABLISHED", "32", "0", "::ffff:10.0.0.5", "443", "::ffff:10.0.0.7", "54321",
        ]  # fmt: skip
        # At 80 columns the long IPv6 address is cut, its port kept.
        long_row = rows[2].split()
        assert long_row[:4] == ["tcp6", "CLOSE_WAIT", "0", "0"]
        assert long_row[4].endswith("…") and V6_PEER.startswith(long_row[6][:-1])
        assert long_row[5] == "443" and long_row[7] == "57344"
        assert all(len(line) <= pane.scrollable_size.width for line in lines)

    # Wide enough: the whole address.
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(140, 60)) as pilot:
        pane.show_connections(812, "sshd", [sockets()[1006]])
        await pilot.pause()
        row = after(screen_lines(pane), "CONNECTIONS", 2)[1].split()
        assert row[4:] == ["2001:db8:85a3::8a2e:370:7334", "443", V6_PEER, "57344"]


async def test_unknown_values_print_a_dash() -> None:
    pane = SocketsPane()
    nothing = NetReading(interfaces=None, sockstat=None, tcp_states=None, udp_sockets=None, snmp=None)
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(net_snapshot(None, nothing, None))
        await pilot.pause()
        lines = screen_lines(pane)
        assert lines[0].rstrip() == "SOCKETS total -"
        assert lines[1].strip() == "/proc/net/sockstat not readable"
        assert line_starting(lines, "Transport").split()[-2:] == ["TCP", "STATES"]
        assert "/proc/net/tcp not readable" in after(lines, "Transport", 1)[0]
        assert line_starting(lines, "retrans/s").split() == [
            "retrans/s", "-", "active", "opens/s", "-", "in", "errs/s", "-",
        ]  # fmt: skip
        assert after(lines, "INTERFACES", 1)[0].strip() == "none reported"

        # The first sample of a readable machine: counters known, rates not yet.
        pane.update_snapshot(net_snapshot(None, reading(1), None))
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "eth0").split()[1:7] == ["-", "-", "-", "-", "0", "3"]
        assert line_starting(lines, "retrans % out").split()[3] == "-"


@pytest.mark.slow
async def test_everything_is_reachable_at_80x24_by_scrolling() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(server_net())
        pane.show_listening(listening())
        pane.show_connections(812, "sshd", list(sockets().values()))
        pane.focus()
        await pilot.pause()
        content = pane.text.splitlines()
        assert len(content) > 24
        lines = screen_lines(pane)
        assert lines[0].startswith("SOCKETS total")
        assert not any(line.startswith("CONNECTIONS") for line in lines)
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "CONNECTIONS")
        assert lines[-1].rstrip() == content[-1].rstrip()
        assert lines[-1].split()[:2] == ["udp", "CLOSE"]
        await pilot.press("home")
        await pilot.pause()
        assert screen_lines(pane)[0].startswith("SOCKETS total")
        assert pane.virtual_size.height == len(content)


async def test_styles_stay_distinct_on_a_16_colour_terminal() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(server_net())
        await pilot.pause()

        def ansi(style: Style) -> int | None:
            return style.color.downgrade(ColorSystem.STANDARD).number if style.color else None

        colours = [ansi(component(pane, role)) for role in ("label", "spark", "warn")]
        assert None not in colours and len(set(colours)) == len(colours)
        assert ansi(pane.rich_style) not in colours
        assert (
            style_at(pane, 0, "SOCKETS").bgcolor
            == component(pane, "title").bgcolor
            != pane.rich_style.bgcolor
        )


async def test_pane_before_any_sample_waits() -> None:
    pane = SocketsPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_lines(pane)
        assert lines[0].strip() == "waiting for the first network sample"
        assert after(lines, "CONNECTIONS", 1)[0].strip() == "no process selected"
        assert plain((("a", "x"), ("b", "y"))) == "ab"


def test_snapshot_busy_server(snap_compare) -> None:
    pane = SocketsPane()

    async def run_before(pilot) -> None:
        previous = reading(0)
        for step in range(1, 60):
            current = reading(step, lo_bytes=(step * 7919) % 50_000 * step, eth_errors=step // 20)
            pane.update_snapshot(net_snapshot(previous, current, 2.0))
            previous = current
        pane.show_listening(listening())
        pane.show_connections(812, "sshd", [s for s in sockets().values() if s.state != "LISTEN"])
        await pilot.pause()

    assert snap_compare(PaneApp(pane), terminal_size=(80, 24), run_before=run_before)


@given(st.text(alphabet=st.sampled_from("ab漢字✓é"), max_size=12), st.integers(0, 10), st.booleans())
def test_a_pane_cell_is_as_wide_as_asked_in_terminal_cells(text: str, cells: int, right: bool) -> None:
    """Wide characters (a process or interface name in Chinese) take two cells: the panes' cells count
    them so, and a cut name ends in ``…``."""
    shown = fit(text, cells, right)
    assert cell_len(shown) == cells
    if cell_len(text) > cells > 0:
        assert shown.endswith("…")

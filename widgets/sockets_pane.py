"""The sockets pane: the ``ss -s`` summary, TCP state counts, the TCP and UDP counters of
``/proc/net/snmp`` as rates, interfaces with an rx+tx history, listening sockets with their owners, and the
connections of the process selected in the process table.

Socket ownership (socket inode -> PID) is expensive, so the App looks it up off the UI thread on demand and
hands the results to :meth:`SocketsPane.show_listening` and :meth:`SocketsPane.show_connections`; the
summary, counters and interfaces come with every snapshot. Every line is built by pure functions as
``(text, role)`` pieces, so the layout is testable without a terminal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from perftop.probes.snapshot import InterfaceStats, NetSnapshot, SocketEntry, Sockstat
from perftop.widgets.formatting import SPARK_ZERO, UNKNOWN, format_bytes_per_s, format_count, sparkline
from perftop.widgets.line_pane import Line, LinePane, figure, fit, merge
from perftop.widgets.marks import marked_cells, with_marks
from perftop.widgets.safe_text import printable
from perftop.widgets.series import record
from perftop.widgets.summary import Piece, SummaryRow, plain, wrap_row

#: Samples kept per interface: five minutes at the default one-second interval.
DEFAULT_MAXLEN = 300

#: Shown while the App looks socket owners up.
LOADING = "loading…"

#: Retransmitted segments from this share of segments sent up are drawn in the warning colour.
WARN_RETRANS_PERCENT = 1.0

#: Roles a piece may have; each is the component class ``sockets-pane--<role>``. ``""`` is the base style.
ROLES: tuple[str, ...] = ("title", "label", "value", "dim", "spark", "warn", "mark")


#: Cell widths.
RATE_CELLS = 7
COUNT_CELLS = 6
PORT_CELLS = 5
QUEUE_CELLS = 6
PID_CELLS = 7
PROTO_CELLS = 5
MIN_ADDRESS_CELLS = 7
MIN_COMMAND_CELLS = 8
MIN_SPARK_CELLS = 6
STATE_NAME_CELLS = 13
STATE_COUNT_CELLS = 7
GRID_LABEL_CELLS = 16
GRID_VALUE_CELLS = 8
GRID_GAP = 2
TRANSPORT_CELLS = 9
#: Columns between the transport table and the TCP states beside it.
BESIDE_GAP = 3


# ---------------------------------------------------------------------------------------------------------
# Formatting (pure)
# ---------------------------------------------------------------------------------------------------------


def _int_text(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def _sum(*values: int | None) -> int | None:
    """The sum, or ``None`` when any part is unknown."""
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def address_text(address: str, cells: int) -> str:
    """An address cut to ``cells`` (IPv6 can be 39 characters)."""
    return fit(address, cells)


def retrans_percent(net: NetSnapshot) -> float | None:
    """Retransmitted segments as a percent of segments sent over the interval (``None`` when unknown or
    nothing was sent)."""
    retrans, out = net.tcp_retrans_segs_per_s, net.tcp_out_segs_per_s
    if retrans is None or out is None or out <= 0:
        return None
    return retrans / out * 100.0


# ---------------------------------------------------------------------------------------------------------
# The ss -s summary (pure)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TcpSummary:
    """The ``TCP:`` line of ``ss -s``: ``total`` is allocated plus TIME_WAIT sockets, ``closed`` those
    allocated but in no hash table (TIME_WAIT aside), ``estab`` the ``CurrEstab`` gauge."""

    total: int | None
    estab: int | None
    closed: int | None
    orphaned: int | None
    timewait: int | None


def tcp_summary(sockstat: Sockstat | None, curr_estab: int | None) -> TcpSummary:
    """The ``ss -s`` TCP figures, computed as ``ss`` does from ``sockstat``/``sockstat6`` and ``snmp``."""
    if sockstat is None:
        return TcpSummary(None, curr_estab, None, None, None)
    s = sockstat
    total = _sum(s.tcp_alloc, s.tcp_tw)
    hashed = _sum(s.tcp_inuse, s.tcp6_inuse, None if s.tcp_tw is None else -s.tcp_tw)
    closed = None if s.tcp_alloc is None or hashed is None else s.tcp_alloc - hashed
    return TcpSummary(total, curr_estab, closed, s.tcp_orphan, s.tcp_tw)


def transport_rows(sockstat: Sockstat) -> list[tuple[str, int | None, int | None]]:
    """``(name, IPv4, IPv6)`` of the ``Transport Total IP IPv6`` table of ``ss -s``."""
    s = sockstat
    inet4 = _sum(s.raw_inuse, s.udp_inuse, s.tcp_inuse)
    inet6 = _sum(s.raw6_inuse, s.udp6_inuse, s.tcp6_inuse)
    return [
        ("RAW", s.raw_inuse, s.raw6_inuse),
        ("UDP", s.udp_inuse, s.udp6_inuse),
        ("TCP", s.tcp_inuse, s.tcp6_inuse),
        ("INET", inet4, inet6),
        ("FRAG", s.frag_inuse, s.frag6_inuse),
    ]


def summary_lines(net: NetSnapshot, width: int) -> list[Line]:
    """``SOCKETS total N`` and the TCP line of ``ss -s`` with the allocation and memory figures, wrapped
    to ``width``."""
    s = net.sockstat
    lines: list[Line] = [
        (("SOCKETS total ", "title"), (_int_text(None if s is None else s.sockets_used), "title")),
    ]
    if s is None:
        lines.append((("  /proc/net/sockstat not readable", "dim"),))
        return lines
    tcp = tcp_summary(s, net.tcp_curr_estab)

    def chunk(label: str, value: int | None, after: str = "") -> tuple[Piece, ...]:
        text = _int_text(value)
        return tuple(merge([(label, "label"), (text, "dim" if value is None else "value"), (after, "label")]))

    tcp_row = SummaryRow(
        chunks=(
            chunk("TCP ", tcp.total),
            chunk("(estab ", tcp.estab, ","),
            chunk("closed ", tcp.closed, ","),
            chunk("orphaned ", tcp.orphaned, ","),
            chunk("timewait ", tcp.timewait, ")"),
        ),
        indent=4,
    )
    memory_row = SummaryRow(
        chunks=(
            chunk("TCP alloc ", s.tcp_alloc),
            chunk("TCP mem ", s.tcp_mem_pages, " pages"),
            chunk("UDP mem ", s.udp_mem_pages, " pages"),
            chunk("FRAG mem ", _sum(s.frag_memory_bytes, s.frag6_memory_bytes), " bytes"),
        ),
        separator="   ",
    )
    for row in (tcp_row, memory_row):
        lines += [tuple(line) for line in wrap_row(row, width)]
    return lines


def transport_lines(sockstat: Sockstat | None) -> list[Line]:
    """The ``Transport Total IP IPv6`` table of ``ss -s``; ``-`` where a figure is missing."""
    header = fit("Transport", TRANSPORT_CELLS) + "".join(fit(t, 7, True) for t in ("Total", "IP", "IPv6"))
    lines: list[Line] = [((header, "title"),)]
    if sockstat is None:
        return lines
    for name, v4, v6 in transport_rows(sockstat):
        pieces: list[Piece] = [(fit(name, TRANSPORT_CELLS), "label")]
        for value in (_sum(v4, v6), v4, v6):
            pieces.append(figure(_int_text(value), 7))
        lines.append(tuple(merge(pieces)))
    return lines


#: Width of :func:`transport_lines`.
TRANSPORT_WIDTH = TRANSPORT_CELLS + 3 * 7


def grid(items: Sequence[tuple[Piece, Piece]], item_cells: int, width: int) -> list[Line]:
    """``(label, value)`` items laid out column by column, as many columns of ``item_cells`` as fit."""
    if not items:
        return []
    columns = max(1, (width + GRID_GAP) // (item_cells + GRID_GAP))
    rows = -(-len(items) // columns)
    lines: list[Line] = []
    for row in range(rows):
        pieces: list[Piece] = []
        for column in range(columns):
            index = column * rows + row
            if index >= len(items):
                break
            if column:
                pieces.append((" " * GRID_GAP, ""))
            label, value = items[index]
            pieces += [label, value]
        lines.append(tuple(merge(pieces)))
    return lines


def state_lines(states: Mapping[str, int] | None, width: int) -> list[Line]:
    """``TCP STATES`` and a count per state (every state, zeros dimmed), in the kernel's order."""
    title: Line = (("TCP STATES", "title"),)
    if states is None:
        return [title, (("  /proc/net/tcp not readable", "dim"),)]
    items = [
        (
            (fit(name, STATE_NAME_CELLS), "label"),
            (fit(str(count), STATE_COUNT_CELLS, True), "value" if count else "dim"),
        )
        for name, count in states.items()
    ]
    return [title, *grid(items, STATE_NAME_CELLS + STATE_COUNT_CELLS, width)]


def beside(left: Sequence[Line], left_cells: int, right: Sequence[Line]) -> list[Line]:
    """Two blocks side by side, the left padded to ``left_cells`` and :data:`BESIDE_GAP`."""
    lines: list[Line] = []
    for index in range(max(len(left), len(right))):
        first = left[index] if index < len(left) else ()
        pad = " " * (left_cells + BESIDE_GAP - len(plain(first)))
        second = right[index] if index < len(right) else ()
        lines.append(tuple(merge([*first, (pad, ""), *second])) if second else tuple(first))
    return lines


def _counter_item(
    label: str, value: float | None, warn: bool = False, text: str | None = None
) -> tuple[Piece, Piece]:
    """A grid item: the label, and the value (``text`` if given, else the count) warn-coloured if asked."""
    shown = format_count(value) if text is None else text
    role = "dim" if value is None else "warn" if warn else "value"
    return ((fit(label, GRID_LABEL_CELLS), "label"), (fit(shown, GRID_VALUE_CELLS, True), role))


def counter_lines(net: NetSnapshot, width: int) -> list[Line]:
    """The ``/proc/net/snmp`` TCP and UDP counters as rates per second (``sar -n TCP,ETCP,UDP``), the
    retransmitted share of segments sent, and the gauges."""
    retrans = retrans_percent(net)
    retrans_text = UNKNOWN if retrans is None else f"{retrans:.2f}%"
    warn = retrans is not None and retrans >= WARN_RETRANS_PERCENT
    tcp = [
        _counter_item("retrans/s", net.tcp_retrans_segs_per_s, warn),
        _counter_item("retrans % out", retrans, warn, retrans_text),
        _counter_item("in segs/s", net.tcp_in_segs_per_s),
        _counter_item("out segs/s", net.tcp_out_segs_per_s),
        _counter_item("active opens/s", net.tcp_active_opens_per_s),
        _counter_item("passive opens/s", net.tcp_passive_opens_per_s),
        _counter_item("attempt fails/s", net.tcp_attempt_fails_per_s),
        _counter_item("estab resets/s", net.tcp_estab_resets_per_s),
        _counter_item("in errs/s", net.tcp_in_errs_per_s, bool(net.tcp_in_errs_per_s)),
        _counter_item("out resets/s", net.tcp_out_rsts_per_s),
        _counter_item("established", net.tcp_curr_estab),
    ]
    udp = [
        _counter_item("sockets", net.udp_sockets),
        _counter_item("in dgrams/s", net.udp_in_datagrams_per_s),
        _counter_item("out dgrams/s", net.udp_out_datagrams_per_s),
        _counter_item("no port/s", net.udp_no_ports_per_s),
        _counter_item("in errors/s", net.udp_in_errors_per_s, bool(net.udp_in_errors_per_s)),
        _counter_item("rcvbuf errors/s", net.udp_rcvbuf_errors_per_s, bool(net.udp_rcvbuf_errors_per_s)),
        _counter_item("sndbuf errors/s", net.udp_sndbuf_errors_per_s, bool(net.udp_sndbuf_errors_per_s)),
    ]
    cells = GRID_LABEL_CELLS + GRID_VALUE_CELLS
    return [
        (("TCP", "title"),),
        *grid(tcp, cells, width),
        (("UDP", "title"),),
        *grid(udp, cells, width),
    ]


# ---------------------------------------------------------------------------------------------------------
# Interfaces (pure)
# ---------------------------------------------------------------------------------------------------------


def interface_throughput(interface: InterfaceStats) -> float | None:
    """Received plus sent bytes per second, ``None`` when either is unknown."""
    if interface.rx_bytes_per_s is None or interface.tx_bytes_per_s is None:
        return None
    return interface.rx_bytes_per_s + interface.tx_bytes_per_s


def _increasing(*rates: float | None) -> bool:
    return any(r is not None and r > 0 for r in rates)


def interface_lines(
    interfaces: Sequence[InterfaceStats],
    histories: Mapping[str, Sequence[float | None]],
    width: int,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """A row per interface: rx/tx bytes and packets per second, errors and drops since it came up (in the
    warning colour while they rise), and an rx+tx history on the interface's own scale with its peak."""
    if not interfaces:
        return [(("INTERFACES", "title"),), (("  none reported", "dim"),)]
    name_cells = min(15, max(5, *(len(i.name) for i in interfaces)))
    fixed = name_cells + 4 * (1 + RATE_CELLS) + 2 * (1 + COUNT_CELLS)
    spark_cells = width - fixed - 2 - (1 + RATE_CELLS)
    if spark_cells < MIN_SPARK_CELLS:
        spark_cells = 0
    titles = [fit("IFACE", name_cells)]
    titles += [fit(t, RATE_CELLS, True) for t in ("RX/s", "TX/s", "RXPK/s", "TXPK/s")]
    titles += [fit(t, COUNT_CELLS, True) for t in ("ERRS", "DROPS")]
    header = " ".join(titles)
    if spark_cells:
        header += "  " + fit("RX+TX HISTORY", spark_cells) + " " + fit("PEAK/s", RATE_CELLS, True)
    lines: list[Line] = [((header, "title"),)]
    marked = marked_cells(marks, spark_cells)
    for i in interfaces:
        errors = i.rx_errors + i.tx_errors
        drops = i.rx_dropped + i.tx_dropped
        pieces: list[Piece] = [(fit(printable(i.name), name_cells), "label")]
        for text in (
            format_bytes_per_s(i.rx_bytes_per_s, suffix=""),
            format_bytes_per_s(i.tx_bytes_per_s, suffix=""),
            format_count(i.rx_packets_per_s),
            format_count(i.tx_packets_per_s),
        ):
            pieces += [(" ", ""), figure(text, RATE_CELLS)]
        rising_errors = _increasing(i.rx_errors_per_s, i.tx_errors_per_s)
        rising_drops = _increasing(i.rx_dropped_per_s, i.tx_dropped_per_s)
        for count, rising in ((errors, rising_errors), (drops, rising_drops)):
            pieces += [(" ", ""), figure(format_count(count), COUNT_CELLS, "warn" if rising else "value")]
        if spark_cells:
            history = histories.get(i.name, ())
            window = list(history)[-spark_cells:]
            known = [v for v in window if v is not None]
            peak = max(known, default=0.0)
            line = sparkline(window, spark_cells, peak)
            pieces += [("  ", "")]
            spark = merge((char, "dim" if char == SPARK_ZERO else "spark") for char in line)
            pieces += with_marks(spark, marked)
            pieces += [(" ", ""), figure(format_bytes_per_s(peak if known else None, suffix=""), RATE_CELLS)]
        lines.append(tuple(merge(pieces)))
    lines.append((("ERRS/DROPS rx+tx since the interface came up, red while rising", "dim"),))
    return lines


# ---------------------------------------------------------------------------------------------------------
# Listening sockets and connections (pure)
# ---------------------------------------------------------------------------------------------------------


def _address_cells(addresses: Iterable[str], room: int) -> int:
    """As wide as the longest address, within ``[MIN_ADDRESS_CELLS, room]``."""
    widest = max((len(a) for a in addresses), default=MIN_ADDRESS_CELLS)
    return max(MIN_ADDRESS_CELLS, min(widest, room))


def _sockets(count: int) -> str:
    return "1 socket" if count == 1 else f"{count} sockets"


def _queue(value: int) -> Piece:
    return (fit(str(value), QUEUE_CELLS, True), "value" if value else "dim")


def listening_lines(
    entries: Sequence[tuple[SocketEntry, int | None, str | None]] | None, width: int, pending: str = LOADING
) -> list[Line]:
    """Listening sockets, by port: protocol, local address and port, Recv-Q (for a listening TCP socket
    the connections waiting to be accepted, as ``ss -lnt`` shows it) and the owning process.

    There is no Send-Q column: ``ss`` shows a listener's backlog limit there, which it gets over netlink;
    ``/proc/net/tcp`` writes 0 in that field for listeners. ``entries`` ``None`` means the lookup is still
    running (``pending`` says so)."""
    if entries is None:
        return [(("LISTENING", "title"),), ((f"  {pending}", "dim"),)]
    title: Line = (("LISTENING ", "title"), (_sockets(len(entries)), "title"))
    if not entries:
        return [(("LISTENING", "title"),), (("  none", "dim"),)]
    ordered = sorted(entries, key=lambda e: (e[0].local_port, e[0].protocol, e[0].local_address))
    fixed = PROTO_CELLS + 1 + 1 + PORT_CELLS + 1 + QUEUE_CELLS + 1 + PID_CELLS + 1
    cells = _address_cells((e.local_address for e, _, _ in ordered), width - fixed - MIN_COMMAND_CELLS)
    header = " ".join(
        [
            fit("PROTO", PROTO_CELLS),
            fit("ADDRESS", cells),
            fit("PORT", PORT_CELLS, True),
            fit("RECV-Q", QUEUE_CELLS, True),
            fit("PID", PID_CELLS, True),
            "COMMAND",
        ]
    )
    lines: list[Line] = [title, ((header, "title"),)]
    for entry, pid, comm in ordered:
        pieces: list[Piece] = [
            (fit(entry.protocol, PROTO_CELLS), "label"),
            (" ", ""),
            (address_text(entry.local_address, cells), "value"),
            (" ", ""),
            (fit(str(entry.local_port), PORT_CELLS, True), "value"),
            (" ", ""),
            _queue(entry.rx_queue),
            (" ", ""),
            figure(_int_text(pid), PID_CELLS),
            (" ", ""),
            (UNKNOWN, "dim") if comm is None else (printable(comm), "value"),
        ]
        lines.append(tuple(merge(pieces)))
    return lines


@dataclass(frozen=True, slots=True)
class ConnectionsView:
    """The process whose connections the pane lists. ``pid`` ``None``: none selected; ``entries``
    ``None``: the lookup is still running."""

    pid: int | None = None
    comm: str | None = None
    entries: tuple[SocketEntry, ...] | None = ()


def connection_lines(view: ConnectionsView, width: int, pending: str = LOADING) -> list[Line]:
    """The sockets of one process (``ss -tanp`` for one PID): protocol, state, receive and send queues,
    local and remote address and port."""
    if view.pid is None:
        return [(("CONNECTIONS", "title"),), (("  no process selected", "dim"),)]
    comm = UNKNOWN if view.comm is None else printable(view.comm)
    who = f"of {view.pid} {comm}"
    if view.entries is None:
        return [(("CONNECTIONS ", "title"), (who, "title")), ((f"  {pending}", "dim"),)]
    if not view.entries:
        return [(("CONNECTIONS ", "title"), (who, "title")), (("  none", "dim"),)]
    entries = sorted(
        view.entries, key=lambda e: (e.protocol, e.local_port, e.remote_address, e.remote_port, e.state)
    )
    state_cells = max(5, *(len(e.state) for e in entries))
    fixed = PROTO_CELLS + 1 + state_cells + 1 + QUEUE_CELLS + 1 + QUEUE_CELLS + 2 * (1 + 1 + PORT_CELLS)
    addresses = [a for e in entries for a in (e.local_address, e.remote_address)]
    cells = _address_cells(addresses, (width - fixed) // 2)
    header = " ".join(
        [
            fit("PROTO", PROTO_CELLS),
            fit("STATE", state_cells),
            fit("RECV-Q", QUEUE_CELLS, True),
            fit("SEND-Q", QUEUE_CELLS, True),
            fit("LOCAL", cells),
            fit("PORT", PORT_CELLS, True),
            fit("PEER", cells),
            fit("PORT", PORT_CELLS, True),
        ]
    )
    lines: list[Line] = [
        (("CONNECTIONS ", "title"), (f"{who}  {_sockets(len(entries))}", "title")),
        ((header, "title"),),
    ]
    for e in entries:
        pieces: list[Piece] = [
            (fit(e.protocol, PROTO_CELLS), "label"),
            (" ", ""),
            (fit(e.state, state_cells), "value"),
            (" ", ""),
            _queue(e.rx_queue),
            (" ", ""),
            _queue(e.tx_queue),
            (" ", ""),
            (address_text(e.local_address, cells), "value"),
            (" ", ""),
            (fit(str(e.local_port), PORT_CELLS, True), "value"),
            (" ", ""),
            (address_text(e.remote_address, cells), "value"),
            (" ", ""),
            (fit(str(e.remote_port), PORT_CELLS, True), "value"),
        ]
        lines.append(tuple(merge(pieces)))
    return lines


# ---------------------------------------------------------------------------------------------------------
# The whole pane (pure)
# ---------------------------------------------------------------------------------------------------------


def pane_lines(
    net: NetSnapshot | None,
    histories: Mapping[str, Sequence[float | None]],
    listening: Sequence[tuple[SocketEntry, int | None, str | None]] | None,
    connections: ConnectionsView,
    width: int,
    pending: str = LOADING,
    marks: Sequence[bool] = (),
) -> list[Line]:
    """Every line of the pane at ``width`` cells, sections separated by a blank line; ``pending`` is what
    the socket lists say while they are not there."""
    sections: list[list[Line]] = []
    if net is None:
        sections.append([(("waiting for the first network sample", "dim"),)])
    else:
        sections.append(summary_lines(net, width))
        transport = transport_lines(net.sockstat)
        right_cells = width - TRANSPORT_WIDTH - BESIDE_GAP
        if right_cells >= STATE_NAME_CELLS + STATE_COUNT_CELLS:
            sections.append(beside(transport, TRANSPORT_WIDTH, state_lines(net.tcp_states, right_cells)))
        else:
            sections += [transport, state_lines(net.tcp_states, width)]
        sections.append(counter_lines(net, width))
        sections.append(interface_lines(net.interfaces, histories, width, marks))
    sections.append(listening_lines(listening, width, pending))
    sections.append(connection_lines(connections, width, pending))
    lines: list[Line] = []
    for section in sections:
        if lines:
            lines.append(())
        lines.extend(section)
    return lines


# ---------------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------------


class SocketsPane(LinePane):
    """Sockets and network interfaces: the ``ss -s`` summary, TCP states, TCP/UDP rates, interfaces with
    an rx+tx history, listening sockets with their owners, and one process's connections.

    `update_snapshot` records each interface's rx+tx rate on every tick, shown or not; the pane computes
    and draws its lines only while it is on screen. Content taller than the pane scrolls.

    | Class | Description |
    | :- | :- |
    | `sockets-pane--title` | Section captions and table headers. |
    | `sockets-pane--label` | Names: states, counters, interfaces, protocols. |
    | `sockets-pane--value` | Figures. |
    | `sockets-pane--dim` | Unknown values, zero counts and queues, notes, zero-traffic samples. |
    | `sockets-pane--spark` | Interface history cells. |
    | `sockets-pane--warn` | Errors and drops while rising, retransmissions from 1% of segments sent. |
    | `sockets-pane--mark` | A tuning action's marker (``▼``) in the interface histories. |

    The default colours map to distinct ANSI colours, so a 16-colour terminal keeps them apart.
    """

    ROLE_PREFIX = "sockets-pane"
    ROLES = ROLES
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"sockets-pane--{role}" for role in ROLES}

    DEFAULT_CSS = """
    SocketsPane {
        height: 1fr;
        width: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .sockets-pane--title { background: $panel; color: $foreground; text-style: bold; }
        & > .sockets-pane--label { color: $perftop-cyan; }
        & > .sockets-pane--value { color: $foreground; }
        & > .sockets-pane--dim { color: $text-muted; }
        & > .sockets-pane--spark { color: $perftop-green; }
        & > .sockets-pane--warn { color: $perftop-warning; text-style: bold; }
        & > .sockets-pane--mark { color: $perftop-magenta; text-style: bold; }
    }
    """

    def __init__(
        self,
        maxlen: int = DEFAULT_MAXLEN,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._maxlen = maxlen
        self._net: NetSnapshot | None = None
        self._histories: dict[str, deque[float | None]] = {}
        #: Beside the histories: whether a tuning action was applied during each sample.
        self._marks: deque[bool] = deque(maxlen=maxlen)
        self._listening: tuple[tuple[SocketEntry, int | None, str | None], ...] | None = None
        self._connections = ConnectionsView()
        #: What the socket lists say while they are not there (a replay: not recorded).
        self.pending_text = LOADING

    @property
    def maxlen(self) -> int:
        """Samples kept per interface."""
        return self._maxlen

    def history(self, interface: str) -> tuple[float | None, ...]:
        """Rx+tx bytes/s of one interface, oldest first; empty for an interface never seen."""
        return tuple(self._histories.get(interface, ()))

    def clear_history(self) -> None:
        """Forget the interfaces' histories (a replay's jump)."""
        self._histories.clear()
        self._marks.clear()
        self.changed()

    @property
    def marks(self) -> tuple[bool, ...]:
        """Whether a tuning action was applied during each sample, oldest first."""
        return tuple(self._marks)

    def update_snapshot(self, net: NetSnapshot, marked: bool = False) -> None:
        """Record one sample (call on every tick, shown or not), ``marked`` when a tuning action was
        applied during it; redraw only while on screen."""
        self._marks.append(marked)
        samples = ((interface.name, interface_throughput(interface)) for interface in net.interfaces)
        # A vanished interface keeps its place in time with a gap; once its whole history is gaps it is
        # forgotten (veth and tun devices come and go).
        for name in record(self._histories, samples, self._maxlen):
            if not any(v is not None for v in self._histories[name]):
                del self._histories[name]
        self._net = net
        self.changed()

    def show_listening(self, entries: Sequence[tuple[SocketEntry, int | None, str | None]] | None) -> None:
        """List listening sockets as ``(socket, owner pid, owner comm)``; an owner is ``None`` where it
        could not be found (another namespace, not ours to read). ``None``: the lookup is running."""
        self._listening = None if entries is None else tuple(entries)
        self.changed()

    def show_connections(
        self, pid: int | None, comm: str | None, entries: Sequence[SocketEntry] | None
    ) -> None:
        """List the sockets of process ``pid`` (``None``: no process selected; ``entries`` ``None``: the
        lookup is running)."""
        self._connections = ConnectionsView(pid, comm, None if entries is None else tuple(entries))
        self.changed()

    def build_lines(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells."""
        return pane_lines(
            self._net,
            self._histories,
            self._listening,
            self._connections,
            width,
            self.pending_text,
            self._marks,
        )

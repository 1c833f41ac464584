"""``perftop export``: the latest snapshot as Prometheus metrics over HTTP.

A background thread samples every ``interval``; each scrape turns the latest snapshot into metric families
(:class:`SnapshotCollector`), so a scrape never waits on ``/proc``. Names follow Prometheus conventions: a
``perftop_`` prefix, base units (seconds, bytes), ``_total`` on counters, and bounded labels (the processes
are the top N by CPU, labelled ``pid``, ``comm`` and ``policy`` only). The exporter never tunes: it imports
no tuning module and its tuning-actions counter only counts what a recorder hands it.

Textual-free (see pyproject's import-linter contracts).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import CpuSeconds, InterfaceStats, MemorySnapshot, ProcessInfo, Snapshot

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from perftop.tui.action_records import ActionRecord

#: The CPU states of ``perftop_cpu_seconds_total``'s ``mode`` label, as ``/proc/stat`` names them.
CPU_MODES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CpuSeconds))


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """Where the exporter listens: a host (IPv4 or IPv6 literal, or a name) and a port (0: any free one)."""

    host: str
    port: int


def parse_listen(text: str) -> ListenAddress:
    """``ADDR:PORT`` (``127.0.0.1:9787``, ``[::1]:9787``, ``localhost:9787``). Raises ``ValueError`` with the
    reason in one line."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"give ADDR:PORT, such as 127.0.0.1:9787 or [::1]:9787, not {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"not an IPv6 address between the brackets: {text!r}") from None
    elif ":" in host:
        raise ValueError(f"put an IPv6 address in brackets, as [::1]:9787, not {text!r}")
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"the port must be a number from 0 to 65535, not {port!r}")
    return ListenAddress(host, int(port))


#: A family samples are added to (one type for both, so a loop may build either).
Family = CounterMetricFamily | GaugeMetricFamily


def _counter(name: str, doc: str, labels: Sequence[str] = ()) -> Family:
    return CounterMetricFamily(f"perftop_{name}", doc, labels=list(labels))


def _gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Family:
    return GaugeMetricFamily(f"perftop_{name}", doc, labels=list(labels))


def _add(family: Family, labels: Sequence[str], value: float | None) -> None:
    """One sample; an unknown value (``None``) gives no sample rather than a made-up one."""
    if value is not None:
        family.add_metric(list(labels), float(value))


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def top_processes(processes: Iterable[ProcessInfo], n: int) -> list[ProcessInfo]:
    """The ``n`` busiest processes by CPU (unknown CPU last, then by PID, so the choice is stable)."""
    return sorted(processes, key=lambda p: (p.cpu_percent is None, -(p.cpu_percent or 0.0), p.pid))[:n]


def cpu_families(snapshot: Snapshot) -> Iterator[Metric]:
    """Per-CPU seconds by mode, online state, the ``sar -w``/``-q`` counters, load and pressure."""
    cpu = snapshot.cpu
    seconds = _counter("cpu_seconds", "Seconds each CPU spent in each mode (/proc/stat).", ["cpu", "mode"])
    online = _gauge("cpu_online", "1 when the CPU is online, 0 when offline.", ["cpu"])
    for usage in cpu.per_cpu:
        online.add_metric([str(usage.cpu)], 1.0 if usage.online else 0.0)
        if usage.seconds is not None:
            for mode in CPU_MODES:
                seconds.add_metric([str(usage.cpu), mode], getattr(usage.seconds, mode))
    yield seconds
    yield online
    for name, value, doc in (
        ("context_switches", cpu.context_switches, "Context switches since boot (/proc/stat ctxt)."),
        ("interrupts", cpu.interrupts, "Interrupts serviced since boot (/proc/stat intr)."),
        ("forks", cpu.forks, "Processes and threads created since boot (/proc/stat processes)."),
    ):
        family = _counter(name, doc)
        _add(family, (), value)
        yield family
    for name, value, doc in (
        ("procs_running", cpu.procs_running, "Tasks runnable now (/proc/stat procs_running)."),
        ("procs_blocked", cpu.procs_blocked, "Tasks blocked on IO now (/proc/stat procs_blocked)."),
    ):
        family = _gauge(name, doc)
        _add(family, (), value)
        yield family
    for index, period in enumerate(("1", "5", "15")):
        family = _gauge(f"load{period}", f"Load average over {period} minute(s) (/proc/loadavg).")
        _add(family, (), cpu.loadavg[index] if cpu.loadavg is not None else None)
        yield family
    stalled = _counter(
        "pressure_stalled_seconds",
        "Seconds tasks stalled on the resource (/proc/pressure).",
        ["resource", "kind"],
    )
    avg10 = _gauge(
        "pressure_avg10_ratio",
        "Share of the last 10 s tasks stalled (/proc/pressure avg10).",
        ["resource", "kind"],
    )
    for resource, pressure in sorted((cpu.pressure or {}).items()):
        _add(stalled, (resource, "some"), _scaled(pressure.some_total_us, 1e-6))
        _add(stalled, (resource, "full"), _scaled(pressure.full_total_us, 1e-6))
        _add(avg10, (resource, "some"), _scaled(pressure.some_avg10, 0.01))
        _add(avg10, (resource, "full"), _scaled(pressure.full_avg10, 0.01))
    yield stalled
    yield avg10


def _rate_counters(cls: type[Any]) -> list[str]:
    """The integer counter fields of a snapshot class: those with a ``_per_s`` rate beside them."""
    names = {f.name for f in dataclasses.fields(cls)}
    return [n for n in names if f"{n}_per_s" in names and not n.endswith("_bytes")]


#: The vmstat counters of the memory section (``pgfault`` ...), in field order.
_VMSTAT_COUNTERS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(MemorySnapshot) if f.name in set(_rate_counters(MemorySnapshot))
)

#: The memory gauges: every byte figure, plus the huge page counts.
_MEMORY_GAUGES: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(MemorySnapshot)
    if f.name.endswith("_bytes")
    or f.name in ("hugepages_total", "hugepages_free", "hugepages_rsvd", "hugepages_surp")
)


def memory_families(snapshot: Snapshot) -> Iterator[Metric]:
    """Each byte figure of ``/proc/meminfo`` as a gauge, each vmstat counter sampled as a counter."""
    memory = snapshot.memory
    for name in _MEMORY_GAUGES:
        family = _gauge(f"memory_{name}", f"/proc/meminfo: {name}.")
        _add(family, (), getattr(memory, name))
        yield family
    for name in _VMSTAT_COUNTERS:
        family = _counter(f"vmstat_{name}", f"/proc/vmstat: {name} since boot.")
        _add(family, (), getattr(memory, name))
        yield family


#: NUMA node counters (``/sys/devices/system/node/nodeN/numastat``), in pages.
NUMA_COUNTERS: tuple[str, ...] = (
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "interleave_hit",
    "local_node",
    "other_node",
)
_NUMA_GAUGES: tuple[str, ...] = (
    "mem_total_bytes",
    "mem_free_bytes",
    "mem_used_bytes",
    "file_pages_bytes",
    "anon_pages_bytes",
)


def numa_families(snapshot: Snapshot) -> Iterator[Metric]:
    """Per node: the numastat counters and the node's memory."""
    nodes = snapshot.numa.nodes
    for name in NUMA_COUNTERS:
        family = _counter(
            f"numa_{name.removeprefix('numa_')}", f"numastat {name} of the node (pages).", ["node"]
        )
        for node in nodes:
            _add(family, (str(node.node),), getattr(node, name))
        yield family
    for name in _NUMA_GAUGES:
        family = _gauge(
            f"numa_{name}", f"The node's {name.removesuffix('_bytes')} memory in bytes.", ["node"]
        )
        for node in nodes:
            _add(family, (str(node.node),), getattr(node, name))
        yield family


#: Disk counters: (metric name, field, factor to base units).
DISK_COUNTERS: tuple[tuple[str, str, float], ...] = (
    ("disk_reads_completed", "reads_completed", 1.0),
    ("disk_writes_completed", "writes_completed", 1.0),
    ("disk_read_bytes", "read_bytes", 1.0),
    ("disk_written_bytes", "written_bytes", 1.0),
    ("disk_read_time_seconds", "read_time_ms", 1e-3),
    ("disk_write_time_seconds", "write_time_ms", 1e-3),
    ("disk_io_time_seconds", "io_time_ms", 1e-3),
    ("disk_weighted_io_time_seconds", "weighted_io_time_ms", 1e-3),
)


def disk_families(snapshot: Snapshot) -> Iterator[Metric]:
    """Per device of ``/proc/diskstats``: its counters in base units and the requests in flight."""
    for metric, field, factor in DISK_COUNTERS:
        family = _counter(metric, f"/proc/diskstats {field} (in base units).", ["device"])
        for disk in snapshot.disks:
            _add(family, (disk.name,), _scaled(getattr(disk, field), factor))
        yield family
    in_flight = _gauge("disk_in_flight", "Requests in flight (/proc/diskstats).", ["device"])
    for disk in snapshot.disks:
        _add(in_flight, (disk.name,), disk.in_flight)
    yield in_flight


#: The ``/proc/net/dev`` counters of an interface.
NET_COUNTERS: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(InterfaceStats)
    if f.name.startswith(("rx_", "tx_")) and not f.name.endswith("_per_s")
)


def net_families(snapshot: Snapshot) -> Iterator[Metric]:
    """Interface counters, sockstat, TCP states and the TCP/UDP counters of ``/proc/net/snmp``."""
    net = snapshot.net
    for name in NET_COUNTERS:
        family = _counter(f"network_{name}", f"/proc/net/dev {name} of the interface.", ["interface"])
        for interface in net.interfaces:
            _add(family, (interface.name,), getattr(interface, name))
        yield family
    sockstat = net.sockstat
    if sockstat is not None:
        for field in dataclasses.fields(sockstat):
            family = _gauge(f"sockstat_{field.name}", f"/proc/net/sockstat: {field.name}.")
            _add(family, (), getattr(sockstat, field.name))
            yield family
    states = _gauge("tcp_connections", "TCP sockets in each state (/proc/net/tcp and tcp6).", ["state"])
    for state, count in sorted((net.tcp_states or {}).items()):
        states.add_metric([state], float(count))
    yield states
    for name, value, doc in (
        (
            "tcp_curr_estab",
            net.tcp_curr_estab,
            "TCP connections now ESTABLISHED or CLOSE_WAIT (/proc/net/snmp).",
        ),
        ("udp_sockets", net.udp_sockets, "UDP sockets (/proc/net/udp and udp6)."),
    ):
        family = _gauge(name, doc)
        _add(family, (), value)
        yield family
    for name in sorted(_rate_counters(type(net))):
        family = _counter(f"net_{name}", f"/proc/net/snmp: {name} since boot.")
        _add(family, (), getattr(net, name))
        yield family


#: Per-process series: (metric name, field, counter or gauge, help).
PROCESS_METRICS: tuple[tuple[str, str, bool, str], ...] = (
    ("process_cpu_seconds", "cpu_time_seconds", True, "CPU seconds the process used (user + system)."),
    ("process_resident_memory_bytes", "rss_bytes", False, "Resident memory of the process."),
    ("process_nice", "nice", False, "Nice value of the process (-20..19)."),
    ("process_rt_priority", "rtprio", False, "Real-time priority (1..99; 0 for a normal policy)."),
    ("process_voluntary_context_switches", "voluntary_ctxt_switches", True, "Voluntary context switches."),
    (
        "process_nonvoluntary_context_switches",
        "nonvoluntary_ctxt_switches",
        True,
        "Involuntary context switches (preemptions).",
    ),
)


def process_families(snapshot: Snapshot, top: int) -> Iterator[Metric]:
    """The ``top`` busiest processes by CPU, labelled ``pid``, ``comm``, ``policy``."""
    chosen = top_processes(snapshot.processes, top)
    for metric, field, counter, doc in PROCESS_METRICS:
        labels = ["pid", "comm", "policy"]
        family = _counter(metric, doc, labels) if counter else _gauge(metric, doc, labels)
        for p in chosen:
            _add(family, (str(p.pid), p.comm, p.policy or ""), getattr(p, field))
        yield family


def action_families(actions: Sequence[ActionRecord]) -> Iterator[Metric]:
    """Tuning actions, counted by what was changed, the equivalent command and the result: an info-style
    counter a dashboard draws as annotations (``changes(perftop_tuning_actions_total[$__interval]) > 0``)."""
    family = _counter(
        "tuning_actions",
        "Tuning actions applied, by kind, command and result.",
        ["what", "command", "result"],
    )
    counts: dict[tuple[str, str, str], int] = {}
    for record in actions:
        key = (record.what, record.command, record.result)
        counts[key] = counts.get(key, 0) + 1
    for key, count in counts.items():
        family.add_metric(list(key), float(count))
    yield family


def snapshot_families(snapshot: Snapshot, *, top: int, actions: Sequence[ActionRecord] = ()) -> list[Metric]:
    """Every metric family of one snapshot (a new list each call: a scrape owns it)."""
    families: list[Metric] = []
    families.extend(cpu_families(snapshot))
    families.extend(memory_families(snapshot))
    families.extend(numa_families(snapshot))
    families.extend(disk_families(snapshot))
    families.extend(net_families(snapshot))
    families.extend(process_families(snapshot, top))
    families.extend(action_families(actions))
    sampled = _gauge("sample_timestamp_seconds", "When the exported sample was taken (epoch seconds).")
    sampled.add_metric([], snapshot.time)
    families.append(sampled)
    return families


class SnapshotCollector(Collector):
    """A collector of the latest snapshot it was given: a scrape reads what is there, it never samples."""

    def __init__(self, top: int, actions: Callable[[], Sequence[ActionRecord]] = tuple) -> None:
        self.top = top
        self._actions = actions
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def update(self, snapshot: Snapshot) -> None:
        """Export this snapshot from the next scrape on."""
        with self._lock:
            self._snapshot = snapshot

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot scrapes see now (``None`` before the first one with rates)."""
        with self._lock:
            return self._snapshot

    def collect(self) -> Iterable[Metric]:
        snapshot = self.snapshot
        if snapshot is None:
            return []
        return snapshot_families(snapshot, top=self.top, actions=self._actions())


#: What each sample reads: every process's status (the switch counts of whichever processes end up on top),
#: the socket tables (TCP states) and the full memory figures; not the interrupt table, which is not exported.
SAMPLE_OPTIONS: dict[str, Any] = {"io_pids": (), "sockets": True, "memory": True, "interrupts": False}


class SamplingThread(threading.Thread):
    """Samples every ``interval`` seconds (on a fixed cadence) and hands each snapshot to the collector."""

    def __init__(self, sampler: Sampler, collector: SnapshotCollector, interval: float) -> None:
        super().__init__(name="perftop-export-sampler", daemon=True)
        self.sampler = sampler
        self.collector = collector
        self.interval = interval
        self.stopped = threading.Event()

    def sample(self) -> Snapshot:
        """One sample, exported from now on when it has rates."""
        snapshot = self.sampler.sample(None, **SAMPLE_OPTIONS)
        if snapshot.interval is not None:
            self.collector.update(snapshot)
        return snapshot

    def run(self) -> None:
        due = time.monotonic()
        while not self.stopped.is_set():
            due += self.interval
            if self.stopped.wait(max(0.0, due - time.monotonic())):
                break
            self.sample()
            if time.monotonic() - due > self.interval:
                due = time.monotonic()  # after a stall keep the cadence instead of catching up

    def stop(self) -> None:
        """Stop after the sample under way (if any)."""
        self.stopped.set()


def serve(address: ListenAddress, registry: CollectorRegistry) -> WSGIServer:
    """Start serving ``registry`` at ``address`` on a thread of its own; ``OSError`` when it cannot bind."""
    server, _thread = start_http_server(address.port, addr=address.host, registry=registry)
    return server


def bound_url(server: WSGIServer) -> str:
    """The URL of the metrics page on the address and port actually bound (port 0 picks one)."""
    host, port = server.server_address[:2]
    text = host.decode() if isinstance(host, bytes) else str(host)
    shown = f"[{text}]" if ":" in text else text
    return f"http://{shown}:{port}/metrics"


def run_exporter(sampler: Sampler, address: ListenAddress, *, interval: float, top: int) -> int:
    """``perftop export``: serve until SIGTERM or SIGINT; the exit status (1 when the address cannot be
    bound, reported in one line)."""
    collector = SnapshotCollector(top)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    try:
        server = serve(address, registry)
    except OSError as error:
        print(
            f"perftop: cannot listen on {address.host}:{address.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    done = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        done.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    sampling = SamplingThread(sampler, collector, interval)
    try:
        print(f"perftop: serving {bound_url(server)} every {interval:g} s", file=sys.stderr, flush=True)
        sampling.sample()  # the baseline the first rates rest on
        sampling.start()
        while not done.wait(1.0):
            pass
    finally:
        sampling.stop()
        server.shutdown()
        server.server_close()
        if sampling.is_alive():
            sampling.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0

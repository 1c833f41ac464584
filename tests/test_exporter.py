"""``perftop export``: the scraped metrics equal the ``--json`` snapshot of the same sample, process series
stay bounded, bad addresses exit non-zero in one line, and the real server answers on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from perftop.probes.snapshot import Snapshot
from perftop.tui.exporter import (
    CPU_MODES,
    SAMPLE_OPTIONS,
    ListenAddress,
    SnapshotCollector,
    action_families,
    bound_url,
    parse_listen,
    serve,
    snapshot_families,
)
from perftop.tui.json_lines import snapshot_to_dict
from testbed.demo import DemoMachine

ROOT = Path(__file__).resolve().parents[1]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def demo_snapshot(root: Path, processes: int = 25) -> Snapshot:
    """A snapshot with rates of the deterministic demo tree, sampled as the exporter samples."""
    machine = DemoMachine(root, processes=processes)
    try:
        machine.sampler.sample(None, **SAMPLE_OPTIONS)
        machine.advance()
        return machine.sampler.sample(None, **SAMPLE_OPTIONS)
    finally:
        machine.close()


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = s.value
    return samples


@contextlib.contextmanager
def served(snapshot: Snapshot, top: int) -> Iterator[str]:
    collector = SnapshotCollector(top)
    collector.update(snapshot)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    server = serve(ListenAddress("127.0.0.1", 0), registry)
    try:
        yield bound_url(server)
    finally:
        server.shutdown()
        server.server_close()


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def series(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for n, labels in samples if n == name]


def test_scraped_values_equal_the_json_snapshot_of_the_same_sample(tmp_path: Path) -> None:
    snapshot = demo_snapshot(tmp_path)
    data = snapshot_to_dict(snapshot)
    with served(snapshot, top=5) as url:
        got = scrape(url)

    cpu = data["cpu"]
    assert len(cpu["per_cpu"]) == 4
    for entry in cpu["per_cpu"]:
        for mode in CPU_MODES:
            assert value(got, "perftop_cpu_seconds_total", cpu=str(entry["cpu"]), mode=mode) == pytest.approx(
                entry["seconds"][mode]
            )
        assert value(got, "perftop_cpu_online", cpu=str(entry["cpu"])) == (1.0 if entry["online"] else 0.0)
    for key in ("context_switches", "interrupts", "forks"):
        assert value(got, f"perftop_{key}_total") == cpu[key]
    for key in ("procs_running", "procs_blocked"):
        assert value(got, f"perftop_{key}") == cpu[key]
    assert [value(got, f"perftop_load{p}") for p in (1, 5, 15)] == cpu["loadavg"]
    assert cpu["pressure"], "the demo tree has pressure files"
    for resource, pressure in cpu["pressure"].items():
        for kind in ("some", "full"):
            total = pressure[f"{kind}_total_us"]
            key = (
                "perftop_pressure_stalled_seconds_total",
                frozenset({"resource": resource, "kind": kind}.items()),
            )
            assert got.get(key) == (None if total is None else pytest.approx(total / 1e6))

    memory = data["memory"]
    for key in ("total_bytes", "available_bytes", "cached_bytes", "swap_used_bytes", "dirty_bytes"):
        assert value(got, f"perftop_memory_{key}") == memory[key], key
    for key in ("pgfault", "pgmajfault", "pswpin", "pgscan_direct", "oom_kill"):
        assert memory[key] is not None
        assert value(got, f"perftop_vmstat_{key}_total") == memory[key], key

    nodes = data["numa"]["nodes"]
    assert len(nodes) == 2
    for node in nodes:
        n = str(node["node"])
        assert value(got, "perftop_numa_hit_total", node=n) == node["numa_hit"]
        assert value(got, "perftop_numa_other_node_total", node=n) == node["other_node"]
        assert value(got, "perftop_numa_mem_used_bytes", node=n) == node["mem_used_bytes"]

    assert data["disks"]
    for disk in data["disks"]:
        d = disk["name"]
        assert value(got, "perftop_disk_reads_completed_total", device=d) == disk["reads_completed"]
        assert value(got, "perftop_disk_written_bytes_total", device=d) == disk["written_bytes"]
        assert value(got, "perftop_disk_io_time_seconds_total", device=d) == pytest.approx(
            disk["io_time_ms"] / 1000
        )
        assert value(got, "perftop_disk_in_flight", device=d) == disk["in_flight"]

    net = data["net"]
    assert net["interfaces"]
    for interface in net["interfaces"]:
        i = interface["name"]
        for key in ("rx_bytes", "tx_bytes", "rx_packets", "tx_dropped"):
            assert value(got, f"perftop_network_{key}_total", interface=i) == interface[key]
    for key, count in net["sockstat"].items():
        if count is not None:
            assert value(got, f"perftop_sockstat_{key}") == count
    for state, count in net["tcp_states"].items():
        assert value(got, "perftop_tcp_connections", state=state) == count
    assert value(got, "perftop_net_tcp_retrans_segs_total") == net["tcp_retrans_segs"]

    busiest = sorted(data["processes"], key=lambda p: (-(p["cpu_percent"] or 0), p["pid"]))[:5]
    assert series(got, "perftop_process_cpu_seconds_total") == [
        {"pid": str(p["pid"]), "comm": p["comm"], "policy": p["policy"]} for p in busiest
    ]
    for p in busiest:
        labels = {"pid": str(p["pid"]), "comm": p["comm"], "policy": p["policy"]}
        assert value(got, "perftop_process_resident_memory_bytes", **labels) == p["rss_bytes"]
        assert value(got, "perftop_process_nice", **labels) == p["nice"]
        assert value(got, "perftop_process_rt_priority", **labels) == p["rtprio"]
        assert (
            value(got, "perftop_process_voluntary_context_switches_total", **labels)
            == p["voluntary_ctxt_switches"]
        )
        assert (
            value(got, "perftop_process_nonvoluntary_context_switches_total", **labels)
            == p["nonvoluntary_ctxt_switches"]
        )
    assert value(got, "perftop_sample_timestamp_seconds") == data["time"]
    assert series(got, "perftop_tuning_actions_total") == []  # the exporter applies nothing


@pytest.mark.parametrize("processes", [3, 25, 120])
def test_process_series_stay_at_n_whatever_the_process_count(tmp_path: Path, processes: int) -> None:
    snapshot = demo_snapshot(tmp_path, processes=processes)
    assert len(snapshot.processes) >= processes
    with served(snapshot, top=20) as url:
        got = scrape(url)
    for name in ("perftop_process_cpu_seconds_total", "perftop_process_resident_memory_bytes"):
        assert len(series(got, name)) == min(20, len(snapshot.processes))
        assert {frozenset(labels) for labels in series(got, name)} == {frozenset({"pid", "comm", "policy"})}


def test_nothing_is_served_before_a_sample_with_rates() -> None:
    assert list(SnapshotCollector(20).collect()) == []


def test_tuning_actions_are_counted_by_kind_command_and_result() -> None:
    records: Any = [
        SimpleNamespace(what="nice", command="renice -n 5 -p 10", result="ok"),
        SimpleNamespace(what="nice", command="renice -n 5 -p 10", result="ok"),
        SimpleNamespace(what="affinity", command="taskset -p -c 0 10", result="ok"),
    ]
    (family,) = action_families(records)
    assert family.name == "perftop_tuning_actions"
    assert {(s.labels["command"], s.value) for s in family.samples} == {
        ("renice -n 5 -p 10", 2.0),
        ("taskset -p -c 0 10", 1.0),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9787", ListenAddress("127.0.0.1", 9787)),
        ("[::1]:9787", ListenAddress("::1", 9787)),
        ("localhost:0", ListenAddress("localhost", 0)),
    ],
)
def test_listen_addresses(text: str, expected: ListenAddress) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9787", ":9787", "::1:9787", "[nothost]:1", "127.0.0.1:65536", "1.2.3.4:x"])
def test_bad_listen_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(text)


def test_the_exporter_reaches_no_tuning_code_and_no_textual() -> None:
    code = (
        "import sys, perftop.tui.exporter;"
        "bad = [m for m in sys.modules if m.startswith(('textual', 'perftop.tui.tuning',"
        " 'perftop.tui.system_tuning', 'perftop.tui.tuning_flows', 'perftop.tui.irq_tuning',"
        " 'perftop.tui.action_records'))];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def export(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "perftop.tui.cli", "export", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.live
def test_a_port_in_use_is_one_line_and_a_non_zero_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = export("--listen", f"127.0.0.1:{port}")
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.splitlines() == [f"perftop: cannot listen on 127.0.0.1:{port}: Address already in use"]


@pytest.mark.live
def test_an_address_that_cannot_be_bound_is_one_line_and_a_non_zero_exit() -> None:
    proc = export("--listen", "192.0.2.1:9787")  # TEST-NET-1: no interface of this machine has it
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert len(err.splitlines()) == 1
    assert "cannot listen on 192.0.2.1:9787" in err


@pytest.mark.live
def test_export_help_and_a_bad_listen_argument() -> None:
    helped = export("--help")
    out, _ = helped.communicate(timeout=30)
    assert helped.returncode == 0
    assert "--listen ADDR:PORT" in out and "127.0.0.1:9787" in out
    bad = export("--listen", "9787")
    _, err = bad.communicate(timeout=30)
    assert bad.returncode == 2
    assert "argument --listen: give ADDR:PORT" in err


def _serving_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("perftop: serving http://"), line
    return line.split()[2]


def _scrape_until_processes(url: str) -> Samples:
    deadline = time.monotonic() + 20
    while True:
        got = scrape(url)
        if series(got, "perftop_process_cpu_seconds_total") or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_live_exporter_serves_this_machine_and_ends_on_sigterm(host: str) -> None:
    if host == "[::1]":
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
    proc = export("--listen", f"{host}:0", "--interval", "0.2", "--top", "3")
    try:
        url = _serving_url(proc)
        got = _scrape_until_processes(url)
        assert len(series(got, "perftop_process_cpu_seconds_total")) == 3
        cpus = {labels["cpu"] for labels in series(got, "perftop_cpu_online")}
        assert len(cpus) == os.cpu_count()
        assert value(got, "perftop_memory_total_bytes") > 0
        assert value(got, "perftop_context_switches_total") > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


@pytest.mark.live
def test_sigint_ends_the_exporter_cleanly() -> None:
    proc = export("--listen", "127.0.0.1:0", "--interval", "0.2")
    try:
        _serving_url(proc)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_the_grafana_dashboard_asks_only_for_exported_metrics(tmp_path: Path) -> None:
    dashboard = json.loads((ROOT / "contrib" / "grafana" / "perftop.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"] if "expr" in a]
    used = {name for e in exprs for name in re.findall(r"perftop_\w+", e)}
    assert "perftop_tuning_actions_total" in used
    snapshot = demo_snapshot(tmp_path)
    exported = {s.name for f in snapshot_families(snapshot, top=20) for s in f.samples}
    exported.add("perftop_tuning_actions_total")  # no series without actions, but declared
    assert used <= exported, used - exported
    assert {p["id"] for p in dashboard["panels"]} == set(range(1, len(dashboard["panels"]) + 1))


def test_openmetrics_is_served_when_the_scraper_asks_for_it(tmp_path: Path) -> None:
    snapshot = demo_snapshot(tmp_path)
    with served(snapshot, top=5) as url:
        plain = scrape(url)
        request = urllib.request.Request(
            url, headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/openmetrics-text")
            text = response.read().decode()
    assert text.endswith("# EOF\n")
    families = list(openmetrics_families(text))
    assert {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples} == plain

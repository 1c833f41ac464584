"""The NUMA, IO and sockets panes on this machine's real /proc, in the App, against the real tools."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from perftop.widgets.io_pane import IoPane
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.sockets_pane import SocketsPane

ROOT = Path(__file__).resolve().parents[1]


def real_app(**options: object) -> PerftopApp:
    return PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, **options))  # type: ignore[arg-type]


async def test_sockets_pane_lists_a_listener_with_its_owner_and_our_connection() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    try:
        app = real_app(pids=(os.getpid(),))
        async with app.run_test(size=(160, 60)) as pilot:
            await app.sample_now()
            await pilot.press("5")
            await app.sample_now()
            await app.refresh_pane_details(force=True)
            await pilot.pause()
            text = app.query_one(SocketsPane).text
            assert app.snapshot is not None and app.snapshot.net.tcp_states is not None
            assert app.snapshot.net.tcp_states["LISTEN"] >= 1
            listening, connections = text.split("LISTENING", 1)[1].split("CONNECTIONS", 1)
            rows = [line.split() for line in listening.splitlines() if str(port) in line.split()]
            assert len(rows) == 1, listening
            assert rows[0][:3] == ["tcp", "127.0.0.1", str(port)]
            assert rows[0][-2:] == [str(os.getpid()), "python"]
            # This process holds both ends of the connection: both are its sockets.
            ours = [line.split() for line in connections.splitlines() if str(port) in line.split()]
            assert len(ours) == 2 and all(cells[1] == "ESTABLISHED" for cells in ours)
    finally:
        for s in (accepted, client, server):
            s.close()


async def test_numa_pane_shows_the_selected_process_placement() -> None:
    app = real_app(pids=(os.getpid(),))
    async with app.run_test(size=(120, 50)) as pilot:
        await app.sample_now()
        await app.sample_now()
        await pilot.press("3")
        await app.refresh_pane_details(force=True)
        await pilot.pause()
        pane = app.query_one(NumaPane)
        assert str(os.getpid()) in pane.text
        assert app.snapshot is not None and app.snapshot.numa.nodes
        assert "node" in pane.text.lower()


async def test_io_pane_lists_this_machines_disks() -> None:
    disks = [line.split()[2] for line in Path("/proc/diskstats").read_text().splitlines() if line.split()]
    whole = [d for d in disks if not Path(f"/sys/class/block/{d}/partition").exists()]
    if not whole:
        pytest.skip("no block devices here")
    app = real_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await app.sample_now()
        await pilot.press("4")
        await pilot.pause()
        pane = app.query_one(IoPane)
        shown = {str(row[0]) for row in (pane.table.get_row_at(i) for i in range(pane.table.row_count))}
        visible = {d for d in whole if not re.fullmatch(r"(loop|ram|zram)[0-9]+", d)}
        assert visible <= shown
        await pilot.press("A")
        shown_all = {str(pane.table.get_row_at(i)[0]) for i in range(pane.table.row_count)}
        assert set(disks) <= shown_all


def _numastat_node0() -> dict[str, int]:
    out = subprocess.run(["numastat"], capture_output=True, text=True, check=True).stdout
    values = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            values[parts[0]] = int(parts[1])
    return values


@pytest.mark.live
@pytest.mark.skipif(shutil.which("numastat") is None, reason="numastat (numactl) is not installed")
def test_json_numa_counters_agree_with_numastat() -> None:
    if not Path("/sys/devices/system/node/node0/numastat").exists():
        pytest.skip("no NUMA node directory here")
    before = _numastat_node0()
    result = subprocess.run(
        [sys.executable, "-m", "perftop.tui.cli", "--json", "--interval", "0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    after = _numastat_node0()
    node0 = json.loads(result.stdout)["numa"]["nodes"][0]
    for key in ("numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node"):
        assert before[key] <= node0[key] <= after[key], key


@pytest.mark.slow
async def test_refreshes_go_on_after_the_sockets_pane_samples_at_once() -> None:
    """Showing pane 5 moves the next sample forward (the socket tables are read only while it is
    shown); the refresh timer must keep running afterwards, on every pane."""
    import asyncio

    app = PerftopApp(Sampler(FS()), AppOptions(interval=0.25))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(50):
            await asyncio.sleep(0.1)
            if app.snapshot is not None and app.snapshot.interval is not None:
                break
        assert app.snapshot is not None
        await pilot.press("5")
        for _ in range(20):
            await asyncio.sleep(0.1)
            if app.snapshot.net.tcp_states is not None:
                break
        assert app.snapshot.net.tcp_states is not None  # sampled with the tables, well before 2 s
        await pilot.press("1")
        seen = app.snapshot.time
        await asyncio.sleep(1.0)
        assert app.snapshot.time > seen  # still refreshing (about four samples in that second)
        assert app.snapshot.net.tcp_states is None  # and the tables are not read off pane 5

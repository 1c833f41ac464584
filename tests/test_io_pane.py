"""The IO pane driven inside a small test App, on DiskStats computed here by
``perftop.probes.disks.disk_rates`` from ``/proc/diskstats`` counters written in the tests."""

from __future__ import annotations

import dataclasses

import pytest
from rich.color import ColorSystem
from textual.widgets import ContentSwitcher, DataTable, Static

from perftop.probes.disks import DiskCounters, DiskInfo, disk_rates
from perftop.probes.snapshot import DiskStats
from perftop.widgets.formatting import format_bytes_per_s, format_figure
from perftop.widgets.io_pane import (
    COLUMNS,
    DeviceHistory,
    IoPane,
    caption_text,
    device_cells,
    group_scroll,
    group_stops,
    history_lines,
    media_text,
    shown_devices,
)
from perftop.widgets.load_history import braille_graph
from tests.pane_app import PaneApp


def counters(name: str, major: int = 8, minor: int = 0, **values: int) -> DiskCounters:
    """A 20-field ``/proc/diskstats`` line; counters not given are 0."""
    fields = {f.name: 0 for f in dataclasses.fields(DiskCounters) if f.name not in ("major", "minor", "name")}
    fields.update(values)
    return DiskCounters(major=major, minor=minor, name=name, **fields)


SSD = DiskInfo("mq-deadline", ("none", "mq-deadline", "kyber"), False, 128, 64, False)
HDD = DiskInfo("bfq", ("none", "bfq"), True, 128, 64, False)
PARTITION = DiskInfo("mq-deadline", ("none", "mq-deadline"), False, 128, 64, True)
NO_QUEUE = DiskInfo(None, None, None, None, None, False)

# sda over 2 seconds: the iostat -x figures worked out by hand next to each counter.
SDA_BEFORE = counters(
    "sda",
    reads_completed=1000,
    reads_merged=10,
    read_sectors=8000,
    read_time_ms=500,
    writes_completed=2000,
    written_sectors=0,
)
SDA_AFTER = counters(
    "sda",
    reads_completed=1100,  # r/s 50.00
    reads_merged=30,  # rrqm/s 10.00
    read_sectors=8800,  # 800 sectors = 400 KiB: rkB/s 200.00
    read_time_ms=800,  # r_await 300 ms / 100 reads = 3.00
    writes_completed=2050,  # w/s 25.00
    writes_merged=5,  # wrqm/s 2.50
    written_sectors=4000,  # 2000 KiB: wkB/s 1000.00
    write_time_ms=250,  # w_await 5.00
    io_time_ms=1500,  # %util 75.00
    weighted_io_time_ms=2200,  # aqu-sz 1.10
)
SDA_EXPECTED = {
    "r/s": "50.00",
    "w/s": "25.00",
    "rkB/s": "200.00",
    "wkB/s": "1000.00",
    "rrqm/s": "10.00",
    "wrqm/s": "2.50",
    "r_await": "3.00",
    "w_await": "5.00",
    "aqu-sz": "1.10",
    "%util": "75.00",
}


def machine(elapsed: float = 2.0, sda_sectors: int | None = None, **util_ms: int) -> tuple[DiskStats, ...]:
    """sda, its partition sda1, an idle loop0, a busy loop1 and an nvme disk without a queue scheduler,
    in the kernel's order. ``util_ms`` maps a disk to its io_time_ms over the interval; ``sda_sectors``
    replaces the sectors sda read."""
    names = ("sda", "sda1", "loop0", "loop1", "nvme0n1")
    before = {
        "sda": SDA_BEFORE,
        "sda1": counters("sda1", 8, 1, reads_completed=10, read_sectors=80),
        "loop0": counters("loop0", 7, 0),
        "loop1": counters("loop1", 7, 1, reads_completed=5, read_sectors=40),
        "nvme0n1": counters("nvme0n1", 259, 0, reads_completed=7),
    }
    after = {
        "sda": dataclasses.replace(
            SDA_AFTER,
            io_time_ms=util_ms.get("sda", SDA_AFTER.io_time_ms),
            read_sectors=SDA_AFTER.read_sectors if sda_sectors is None else 8000 + sda_sectors,
        ),
        "sda1": counters("sda1", 8, 1, reads_completed=20, read_sectors=160),
        "loop0": counters("loop0", 7, 0),
        "loop1": counters("loop1", 7, 1, reads_completed=6, read_sectors=48),
        "nvme0n1": counters("nvme0n1", 259, 0, reads_completed=7, io_time_ms=util_ms.get("nvme0n1", 0)),
    }
    info = {"sda": HDD, "sda1": PARTITION, "loop0": SSD, "loop1": SSD, "nvme0n1": NO_QUEUE}
    disks = disk_rates(before, after, elapsed, info)
    assert tuple(d.name for d in disks) == names
    return disks


def table_lines(pane: IoPane) -> list[str]:
    """What the device table draws, one string per line (header first)."""
    table = pane.table
    return [table.render_line(y).text for y in range(table.size.height)]


def row_of(lines: list[str], device: str) -> str:
    found = [line for line in lines if line.split() and line.split()[0] == device]
    assert found, f"no row for {device} in {lines}"
    return found[0]


def column_end(header: str, title: str) -> int:
    """Where a right-aligned column ends: the cell after its title."""
    return header.index(f" {title} ") + 1 + len(title)


def graph(pane: IoPane) -> DeviceHistory:
    return pane.query_one(DeviceHistory)


# --- pure parts -------------------------------------------------------------------------------------------


def test_format_figure_keeps_iostat_decimals_while_they_fit() -> None:
    assert format_figure(None, 7) == "-"
    assert format_figure(0.0, 7) == "0.00"
    assert format_figure(1234.567, 7) == "1234.57"
    assert format_figure(12345.67, 7) == "12345.7"
    assert format_figure(1234567.0, 7) == "1234567"
    assert format_figure(123456789.0, 7) == "123.5M"
    assert format_figure(100.0, 6) == "100.00"


def test_format_byte_rate_uses_binary_units() -> None:
    assert format_bytes_per_s(None) == "-"
    assert format_bytes_per_s(0) == "0B/s"
    assert format_bytes_per_s(512) == "512B/s"
    assert format_bytes_per_s(1536) == "1.5K/s"
    assert format_bytes_per_s(12.3 * 1024**2) == "12.3M/s"
    assert format_bytes_per_s(123 * 1024**2) == "123M/s"
    assert format_bytes_per_s(2 * 1024**3) == "2.0G/s"


def test_media_text() -> None:
    assert [media_text(v) for v in (True, False, None)] == ["HDD", "SSD", "-"]


def test_device_cells_are_the_iostat_figures() -> None:
    sda = machine()[0]
    cells = dict(zip((c.title for c in COLUMNS), device_cells(sda), strict=True))
    assert {title: cells[title][0] for title in SDA_EXPECTED} == SDA_EXPECTED
    assert cells["Device"] == ("sda", "")
    assert cells["Scheduler"] == ("bfq", "")
    assert cells["Type"] == ("HDD", "")
    assert cells["%util"][1] == ""


def test_device_cells_without_baseline_or_queue_are_dashes() -> None:
    nvme = disk_rates(
        None, {"nvme0n1": counters("nvme0n1", 259, 0, reads_completed=7)}, None, {"nvme0n1": NO_QUEUE}
    )[0]
    cells = device_cells(nvme)
    assert cells[0] == ("nvme0n1", "")
    assert all(cell == ("-", "dim") for cell in cells[1:])


def test_shown_devices_and_caption() -> None:
    disks = machine()
    assert [d.name for d in shown_devices(disks, False)] == ["sda", "loop1", "nvme0n1"]
    assert [d.name for d in shown_devices(disks, True)] == ["sda", "sda1", "loop0", "loop1", "nvme0n1"]
    assert caption_text(disks, False) == "3 of 5 devices; 2 hidden (partitions, idle loop/ram/zram)"
    assert (
        caption_text(disks, True) == "all 5 devices shown (2 partitions or idle virtual devices among them)"
    )
    assert caption_text((), False) == "no block devices"
    assert caption_text(None, False) == "waiting for the first disk sample"


def test_history_lines_scale_throughput_to_its_peak_and_util_to_100() -> None:
    kib = 1024.0
    lines = history_lines("sda", [None, kib, 2 * kib, 4 * kib], [None, 0.0, 50.0, 100.0], 2, 6)
    text = ["".join(t for t, _ in line) for line in lines]
    assert text[0] == "sda read+write 4.0K/s  peak 4.0K/s"
    # Two graph rows each; the throughput graph is the util graph of the same shape (25/50/100% of peak).
    assert text[1:3] == braille_graph([None, 25.0, 50.0, 100.0], 2, 2)
    assert text[3] == "sda %util 100.00  avg 50.00  max 100.00"
    assert text[4:6] == braille_graph([None, 0.0, 50.0, 100.0], 2, 2)
    assert [role for line in lines[1:3] for _, role in line] == ["throughput", "throughput"]
    assert [role for line in lines[4:6] for _, role in line] == ["util", "util"]
    # Only the newest two samples per cell count toward the peak.
    lines = history_lines("sda", [100 * kib, kib, kib], [None], 1, 4)
    assert "".join(t for t, _ in lines[0]) == "sda read+write 1.0K/s  peak 1.0K/s"
    assert history_lines(None, [], [], 10, 3)[0] == (("no device selected", "dim"),)
    assert len(history_lines(None, [], [], 10, 3)) == 3


# --- the pane ---------------------------------------------------------------------------------------------


async def test_values_are_shown_under_their_column_titles() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(160, 30)) as pilot:
        pane.update_snapshot(machine())
        await pilot.pause()
        lines = table_lines(pane)
        header = lines[0]
        assert header.split() == [c.title for c in COLUMNS]
        sda = row_of(lines, "sda")
        for title, value in SDA_EXPECTED.items():
            assert sda[: column_end(header, title)].endswith(" " + value), title
        assert sda[header.index("Scheduler") :].split() == ["bfq", "HDD"]
        # Unknown values print a dash in their column.
        nvme = row_of(lines, "nvme0n1")
        assert nvme[: column_end(header, "r_await")].endswith(" 0.00")
        assert nvme[header.index("Scheduler") :].split() == ["-", "-"]
        assert pane.query_one("#io-caption", Static).render().plain == caption_text(machine(), False)


async def test_first_sample_has_dashes_for_every_rate() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(160, 30)) as pilot:
        pane.update_snapshot(disk_rates(None, {"sda": SDA_AFTER}, None, {"sda": SSD}))
        await pilot.pause()
        lines = table_lines(pane)
        assert row_of(lines, "sda").split() == ["sda", *["-"] * 10, "mq-deadline", "SSD"]
        dim = pane.get_component_rich_style("io-pane--dim")
        assert pane.table.get_cell("sda", "util").style == dim


async def test_toggle_shows_partitions_and_idle_virtual_devices_in_kernel_order() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(160, 30)) as pilot:
        pane.update_snapshot(machine())
        await pilot.pause()
        shown = [line.split()[0] for line in table_lines(pane)[1:] if line.strip()]
        assert shown == ["sda", "loop1", "nvme0n1"]
        assert not pane.showing_all

        # The cursor sits on nvme0n1; rows appear above it, and it stays on nvme0n1.
        pane.table.focus()
        await pilot.press("down", "down")
        assert pane.selected_device == "nvme0n1"
        pane.show_all(True)
        await pilot.pause()
        assert pane.showing_all
        shown = [line.split()[0] for line in table_lines(pane)[1:] if line.strip()]
        assert shown == ["sda", "sda1", "loop0", "loop1", "nvme0n1"]
        assert pane.selected_device == "nvme0n1"
        assert "all 5 devices shown" in pane.query_one("#io-caption", Static).render().plain

        pane.show_all(False)
        pane.update_snapshot(machine())
        await pilot.pause()
        shown = [line.split()[0] for line in table_lines(pane)[1:] if line.strip()]
        assert shown == ["sda", "loop1", "nvme0n1"]
        assert pane.selected_device == "nvme0n1"


async def test_rows_are_updated_in_place_and_devices_come_and_go() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(160, 30)) as pilot:
        pane.update_snapshot(machine())
        await pilot.pause()
        table = pane.table
        rows = {key: table.rows[key] for key in table.rows}
        scheduler = table.get_cell("sda", "scheduler")
        r_per_s = table.get_cell("sda", "r_per_s")

        pane.update_snapshot(machine(sda=1900))
        await pilot.pause()
        # Same Row objects (no row re-added), unchanged cells untouched, the changed one rewritten.
        assert {key: table.rows[key] for key in table.rows} == rows
        assert all(table.rows[key] is row for key, row in rows.items())
        assert table.get_cell("sda", "scheduler") is scheduler
        assert table.get_cell("sda", "r_per_s") is r_per_s
        assert table.get_cell("sda", "util").plain == "95.00"
        assert table.get_cell("sda", "util").style == pane.get_component_rich_style("io-pane--warn")

        # loop1 goes away and sdb (new, between sda and nvme0n1 in the kernel's list) appears.
        disks = [d for d in machine() if d.name != "loop1"]
        sdb = disk_rates(None, {"sdb": counters("sdb", 8, 16, reads_completed=3)}, None, {"sdb": SSD})[0]
        disks.insert(1, sdb)
        pane.update_snapshot(tuple(disks))
        await pilot.pause()
        shown = [line.split()[0] for line in table_lines(pane)[1:] if line.strip()]
        assert shown == ["sda", "sdb", "nvme0n1"]
        assert pane.util_history("loop1")[-1] is None
        assert pane.util_history("sdb") == (None,)


async def test_history_is_recorded_while_hidden_and_drawn_for_the_selected_device() -> None:
    pane = IoPane(maxlen=5)
    app = PaneApp(pane, switcher=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not pane.is_on_screen
        sda_util = [10.0, 20.0, 30.0, 40.0, 50.0, 100.0]
        for value in sda_util:
            pane.update_snapshot(machine(sda=int(value * 20), nvme0n1=2000))
        await pilot.pause()
        # Bounded, oldest dropped; hidden rows (partitions) are recorded too.
        assert pane.util_history("sda") == pytest.approx(tuple(sda_util[1:]))
        assert pane.util_history("nvme0n1") == (100.0,) * 5
        assert pane.throughput_history("sda1") == (80 * 512 / 2,) * 5
        assert pane.util_history("sdz") == ()
        assert table_lines(pane) == []  # never laid out while hidden

        app.query_one("#panes", ContentSwitcher).current = "pane"
        await pilot.pause()
        assert pane.selected_device == "sda"
        text = graph(pane).text.splitlines()
        assert text[0] == "sda read+write 1.2M/s  peak 1.2M/s"
        util_caption = next(line for line in text if line.startswith("sda %util"))
        assert util_caption.split() == ["sda", "%util", "100.00", "avg", "48.00", "max", "100.00"]
        # The newest sample (100%) fills the right dot column of the last cell in every util row.
        util_rows = text[text.index(util_caption) + 1 :]
        right_column = 0x80 | 0x20 | 0x10 | 0x08
        assert util_rows and all((ord(row[-1]) - 0x2800) & right_column == right_column for row in util_rows)

        # Down to nvme0n1 (loop1 is in between): the graph follows the cursor.
        pane.table.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert pane.selected_device == "nvme0n1"
        text = graph(pane).text.splitlines()
        assert text[0] == "nvme0n1 read+write 0B/s  peak 0B/s"
        util_caption = next(line for line in text if line.startswith("nvme0n1 %util"))
        assert util_caption.split()[2:] == ["100.00", "avg", "100.00", "max", "100.00"]
        rows = text[text.index(util_caption) + 1 :]
        # Five samples of 100%: five filled dot columns at the right of every row.
        assert all(row.endswith("⢸⣿⣿") for row in rows)


async def test_no_device_selected_before_any_sample() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert pane.selected_device is None
        assert graph(pane).text.splitlines()[0] == "no device selected"
        assert pane.query_one("#io-caption", Static).render().plain == "waiting for the first disk sample"


async def test_device_names_are_literal_text() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(160, 24)) as pilot:
        odd = counters("[bold]x", 253, 0, reads_completed=1)
        pane.update_snapshot(disk_rates(None, {odd.name: odd}, None, {}))
        await pilot.pause()
        assert table_lines(pane)[1].split()[0] == "[bold]x"


async def test_many_devices_at_80x24_scroll_down_and_right() -> None:
    pane = IoPane()
    names = [f"sd{chr(ord('a') + i)}" for i in range(26)]
    before = {n: counters(n, 8, 16 * i) for i, n in enumerate(names)}
    after = {n: counters(n, 8, 16 * i, reads_completed=i, io_time_ms=40 * i) for i, n in enumerate(names)}
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(disk_rates(before, after, 1.0, dict.fromkeys(names, SSD)))
        pane.focus()
        await pilot.pause()
        assert pilot.app.focused is pane.table
        lines = table_lines(pane)
        # The table leaves room for the graph, so not every device fits at once.
        assert len(lines) < len(names)
        assert "Scheduler" not in lines[0]
        assert graph(pane).size.height >= 4
        # DataTable's keys with a row cursor: ctrl+end to the last row, end to the last column.
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert pane.selected_device == "sdz"
        lines = table_lines(pane)
        assert row_of(lines, "sdz")[: column_end(lines[0], "%util")].endswith(" 100.00")
        await pilot.press("end")
        await pilot.pause()
        lines = table_lines(pane)
        # Scrolled right: the last columns show, the Device column stays fixed at the left.
        assert "%util" not in lines[0] and "Type" in lines[0]
        assert lines[0].split()[0] == "Device"
        assert row_of(lines, "sdz").split()[-2:] == ["mq-deadline", "SSD"]
        assert graph(pane).text.splitlines()[0].startswith("sdz read+write")


async def test_at_80x24_the_first_figures_show_and_arrows_scroll_by_group() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(machine())
        pane.focus()
        await pilot.pause()
        lines = table_lines(pane)
        # What a tuner reads first, whole, right after the device.
        first = ["Device", "%util", "r_await", "w_await", "aqu-sz", "r/s", "w/s"]
        assert lines[0].split()[:7] == first
        assert "rkB/s" in lines[0]  # the next group starts in the room left
        sda = row_of(lines, "sda")
        for title in first[1:]:
            assert sda[: column_end(lines[0], title)].endswith(" " + SDA_EXPECTED[title]), title
        # → brings the next group to the Device column, not a cell; from there on everything fits, so
        # → goes no further. ← goes back the same way.
        seen = []
        for key in ("right", "right", "left", "left"):
            await pilot.press(key)
            await pilot.pause()
            seen.append(table_lines(pane)[0].split())
        throughput = ["Device", "rkB/s", "wkB/s", "rrqm/s", "wrqm/s", "Scheduler", "Type"]
        start = [*first, "rkB/s", "wkB"]
        assert seen == [throughput, throughput, start, start]
        await pilot.press("right")
        await pilot.pause()
        assert row_of(table_lines(pane), "sda").split()[-2:] == ["bfq", "HDD"]
        # Narrower, the last group gets a stop of its own.
        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        assert table_lines(pane)[0].split() == ["Device", "Scheduler", "Type"]


def test_group_stops_end_where_the_rest_fits() -> None:
    columns = [(1, 8), (1, 9), (2, 11), (2, 11), (3, 13)]  # groups start at 0, 17 and 39; 52 in all
    # In 30 cells: the third group alone fits after the second (52 - 17 > 30), so it is a stop too,
    # with 17 blank cells after it to be scrolled to.
    assert group_stops(columns, 30) == ([0, 17, 39], 17)
    # In 40 cells: from the second group on, everything fits: no third stop.
    assert group_stops(columns, 40) == ([0, 17], 5)
    assert group_stops(columns, 52) == ([0], 0)
    assert [group_scroll([0, 17, 39], x, 1) for x in (0, 17, 39, 20)] == [17, 39, 39, 39]
    assert [group_scroll([0, 17, 39], x, -1) for x in (39, 17, 0, 20)] == [17, 0, 0, 17]


async def test_styles_stay_distinct_on_a_16_colour_terminal() -> None:
    pane = IoPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(machine())
        await pilot.pause()
        history = graph(pane)

        def ansi(style) -> int | None:
            return style.color.downgrade(ColorSystem.STANDARD).number if style.color else None

        colours = [
            ansi(history.get_component_rich_style("device-history--throughput")),
            ansi(history.get_component_rich_style("device-history--util")),
            ansi(pane.get_component_rich_style("io-pane--warn")),
        ]
        assert None not in colours and len(set(colours)) == len(colours)
        assert isinstance(pane.table, DataTable)


def test_snapshot_three_devices(snap_compare) -> None:
    pane = IoPane()

    async def run_before(pilot) -> None:
        for step in range(60):
            pane.update_snapshot(
                machine(
                    sda_sectors=(step * 7919) % 40000,
                    sda=(step * 137) % 2000,
                    nvme0n1=2000 if step % 20 < 10 else 200,
                )
            )
        await pilot.pause()

    assert snap_compare(PaneApp(pane), terminal_size=(80, 24), run_before=run_before)

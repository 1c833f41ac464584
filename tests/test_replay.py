"""``perftop --replay``: the App on a recording driven with Pilot (steps, go-to, play, the time bar and its
marks, refused tuning, the recorded actions in ``L``), and the pieces without Textual (cursor, tunables,
the time bar's line, the frames between two times)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import Snapshot
from perftop.probes.tunables import CATALOGUE
from perftop.tui.action_log import ActionLogScreen
from perftop.tui.app import AppOptions
from perftop.tui.bindings import REPLAY_CHANGED_KEYS, REPLAY_KEYS
from perftop.tui.detail_screen import DetailScreen
from perftop.tui.recording import Recorder, Recording
from perftop.tui.replay import (
    REFUSED,
    SPEEDS,
    RecordingSamples,
    ReplayCursor,
    recorded_tunables,
    replayed,
)
from perftop.tui.replay_app import GoToDialog, ReplayApp
from perftop.tui.screens import HelpScreen
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.overview_pane import OverviewPane
from perftop.widgets.sockets_pane import SocketsPane
from perftop.widgets.time_bar import MARK, POSITION, TimeBarState, bar_text, cell_of
from perftop.widgets.tunables_pane import TunablesPane
from tests.replay_recordings import START, record_demo

#: Clock times read the same everywhere.
pytestmark = pytest.mark.usefixtures("utc")

FRAMES = 20


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Snapshot]]:
    """A recording of 20 demo frames (a renice at frame 5, a sysctl at 12) and the snapshots recorded."""
    root = tmp_path_factory.mktemp("replay")
    path = root / "demo.perftop"
    return path, record_demo(root / "tree", path, FRAMES)


@pytest.fixture
def recording(recorded: tuple[Path, list[Snapshot]]) -> Recording:
    return Recording(recorded[0])


async def settle(pilot: Pilot) -> None:
    """Let the replay's moves (workers) end and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notices(app: ReplayApp) -> list[str]:
    return [n.message for n in app._notifications]


def pids(snapshot: Snapshot) -> set[int]:
    return {p.pid for p in snapshot.processes}


async def test_steps_forward_and_back_through_the_frames(
    recording: Recording, recorded: tuple[Path, list[Snapshot]]
) -> None:
    snapshots = recorded[1]
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.cursor.index == 0 and app.snapshot is not None
        assert app.snapshot.time == START
        for key, index in ((".", 1), (".", 2), (".", 3), (",", 2)):
            await pilot.press(key)
            await settle(pilot)
            assert app.cursor.index == index
            assert app.snapshot.time == snapshots[index].time
            assert {p.pid for p in app.table.rows()} <= pids(snapshots[index])
            assert f"REPLAY {index + 1}/{FRAMES}" in str(app.status_line.render())
        busiest = max(snapshots[2].processes, key=lambda p: p.cpu_percent or 0.0)
        row = next(p for p in app.table.rows() if p.pid == busiest.pid)
        assert row.cpu_percent == busiest.cpu_percent
        await pilot.press(",", ",", ",")  # past the first frame: stays there
        await settle(pilot)
        assert app.cursor.index == 0


async def test_histories_follow_steps_and_start_afresh_on_a_jump(
    recording: Recording, recorded: tuple[Path, list[Snapshot]]
) -> None:
    snapshots = recorded[1]

    def busy(index: int) -> float | None:
        total = snapshots[index].cpu.total
        return None if total is None else total.busy

    app = ReplayApp(recording, start=4)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        history = app.query_one(OverviewPane).history
        assert history.total_history == tuple(busy(i) for i in range(5))
        await pilot.press(".", ".")
        await settle(pilot)
        assert history.total_history == tuple(busy(i) for i in range(7))
        await pilot.press(",")  # back: the history is that of the frames up to the new position
        await settle(pilot)
        assert history.total_history == tuple(busy(i) for i in range(6))
        app.move_to(15, jump=True)
        await settle(pilot)
        assert history.total_history == tuple(busy(i) for i in range(16))


async def test_g_goes_to_a_time_and_keeps_the_box_open_on_bad_input(recording: Recording) -> None:
    app = ReplayApp(recording, start=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, GoToDialog)
        await pilot.press(*"half past", "enter")
        await pilot.pause()
        assert app.screen is dialog and "is not a time" in dialog.error
        dialog.query_one("#when").value = "23:59"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "outside the recording" in dialog.error
        dialog.query_one("#when").value = "+5s"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, GoToDialog)
        assert app.cursor.index == 7
        await pilot.press("g", *"16:00:03", "enter")  # a time of day on the recording's day (UTC here)
        await settle(pilot)
        assert app.cursor.index == 2
        await pilot.press("g", *"-1s", "enter")  # relative to the position
        await settle(pilot)
        assert app.cursor.index == 1
        await pilot.press("g", "escape")
        await settle(pilot)
        assert app.cursor.index == 1 and not isinstance(app.screen, GoToDialog)


async def test_the_time_bar_shows_the_span_the_position_and_a_mark_per_action(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.time_bar
        state = bar.state
        assert state is not None
        assert (state.start, state.end, state.position) == (START, START + FRAMES - 1, START)
        assert state.marks == (START + 4.5, START + 11.5)
        text = bar.text
        assert text.startswith("16:00:01 ") and " 16:00:20 " in text
        assert text.count(MARK) == 2 and text.count(POSITION) == 1
        await pilot.press(".")
        await settle(pilot)
        assert bar.state is not None and bar.state.position == START + 1
        assert bar.text.endswith("16:00:02 ‖ x1")


async def test_z_plays_and_pauses_and_plus_minus_change_the_speed(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(4):
            await pilot.press("plus")
        assert app.cursor.speed == 16.0
        await pilot.press("plus")
        assert app.cursor.speed == 16.0  # the fastest
        await pilot.press("Z")
        assert app.cursor.playing and "▶" in str(app.status_line.render())
        for _ in range(200):
            await pilot.pause(0.02)
            if app.cursor.index >= 3:
                break
        assert app.cursor.index >= 3
        await pilot.press("Z")
        await settle(pilot)
        paused_at = app.cursor.index
        await pilot.pause(0.3)
        assert not app.cursor.playing and app.cursor.index == paused_at
        await pilot.press("minus")
        assert app.cursor.speed == 8.0 and "x8" in str(app.status_line.render())
        # Playing to the end stops there.
        app.move_to(FRAMES - 2)
        await settle(pilot)
        await pilot.press("Z")
        for _ in range(100):
            await pilot.pause(0.02)
            if not app.cursor.playing:
                break
        assert not app.cursor.playing and app.cursor.index == FRAMES - 1


async def test_tuning_keys_undo_enter_and_inspection_keys_are_refused(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("n", "f7", "right_square_bracket", "k", "Y", "a", "i", "o"):
            await pilot.press(key)
            await settle(pilot)
            assert len(app.screen_stack) == 1, key
            assert notices(app)[-1] == REFUSED, key
        await pilot.press("8")  # the tunables pane: Enter would change one
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert len(app.screen_stack) == 1 and notices(app)[-1] == REFUSED
        await pilot.press("1")
        await settle(pilot)
        refusals = (("enter", "detail screen"), ("l", "open files"), ("e", "environment"), ("s", "system"))
        for key, said in refusals:
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, DetailScreen) and len(app.screen_stack) == 1, key
            assert notices(app)[-1].startswith("replay: ") and said in notices(app)[-1], key
        assert len(app.action_log) == 2  # the recorded actions only


async def test_renicing_a_real_process_from_a_replay_changes_nothing(tmp_path: Path) -> None:
    # A recording of this machine with a child in it: its PID is real, and replay must not touch it.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        sampler = Sampler(FS())
        path = tmp_path / "live.perftop"
        recorder = Recorder(path, interval=0.2, hostname=None)
        try:
            sampler.sample()
            for _ in range(3):
                time.sleep(0.2)
                recorder.add(sampler.sample(None))
        finally:
            recorder.close()
            sampler.close()
        nice = os.getpriority(os.PRIO_PROCESS, child.pid)
        app = ReplayApp(Recording(path), options=AppOptions(pids=(child.pid,)))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.table.selected_pid == child.pid
            for key in ("f8", "f7", "n", "k"):
                await pilot.press(key)
                await settle(pilot)
                assert len(app.screen_stack) == 1 and notices(app)[-1] == REFUSED
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == nice
        assert child.poll() is None  # no signal reached it
    finally:
        child.kill()
        child.wait()


async def test_l_lists_the_recorded_actions_and_r_is_refused(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ActionLogScreen)
        text = screen.text
        assert "nice: 0 -> 5" in text and "renice -n 5 -p" in text
        assert "vm.swappiness  sysctl: 60 -> 10" in text and "undo: sysctl -w vm.swappiness=60" in text
        assert "Enter compares, r and w are refused" in str(screen.query_one("#log-keys").render())
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen and "cannot be undone" in notices(app)[-1]
        assert len(screen.records) == 2
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("g")  # a replay key works again once the log is closed
        await pilot.pause()
        assert isinstance(app.screen, GoToDialog)


async def test_the_tunables_pane_shows_the_frames_tunables(
    recording: Recording, recorded: tuple[Path, list[Snapshot]]
) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        pane = app.query_one(TunablesPane)
        recorded_values = {v["key"]: v["value"] for v in recording.data(0)["tunables"]}
        shown = {v.key: v.typed() for v in pane.values}
        assert shown and all(recorded_values[key] == value for key, value in shown.items())


async def test_help_lists_the_replay_keys_and_the_recordings_problems(tmp_path: Path) -> None:
    path = tmp_path / "torn.perftop"
    record_demo(tmp_path / "tree", path, 4, actions_at={})
    with open(path, "ab") as f:
        f.write(b"PF")  # a torn frame head at the end
    recording = Recording(path)
    assert recording.problems
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        assert any("cut short" in n for n in notices(app))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text
        for key in REPLAY_KEYS:
            assert key.shown in text and key.help in text
        for shown, help_text in REPLAY_CHANGED_KEYS:
            assert shown in text and help_text in text
        assert "Recording problem:" in text and "cut short" in text


def test_readme_documents_the_replay_keys() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    keys_section = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    for key in REPLAY_KEYS:
        assert f"`{key.shown}`" in keys_section, key
    for shown, _ in REPLAY_CHANGED_KEYS:
        assert all(f"`{k}`" in keys_section for k in shown.split()), shown
    assert "## Replay" in readme


# -- without Textual -------------------------------------------------------------------------------------


def test_the_cursor_steps_speeds_and_play_delays(recording: Recording) -> None:
    cursor = ReplayCursor(recording)
    assert cursor.clamp(-3) == 0 and cursor.clamp(99) == FRAMES - 1
    assert [cursor.speed_step(-1) for _ in range(3)] == [0.5, 0.25, 0.25]
    assert [cursor.speed_step(1) for _ in range(7)] == [*SPEEDS[1:], 16.0]
    cursor.speed = 2.0
    assert cursor.play_delay() == 0.5
    cursor.index = FRAMES - 1
    assert cursor.play_delay() is None
    cursor.index = 10
    assert cursor.index_of("+2s") == 12 and cursor.index_of("-10s") == 0
    with pytest.raises(ValueError, match="outside the recording"):
        cursor.index_of("+1h")


def test_recorded_actions_keep_their_result_and_undo(recording: Recording) -> None:
    records = [replayed(a) for _, a in recording.actions()]
    assert [r.what for r in records] == ["nice", "sysctl"]
    assert all(r.ok for r in records)
    assert records[1].undo_command == "sysctl -w vm.swappiness=60"
    assert records[0].undo_line == "none: the recording holds no undo command for it"


def test_recorded_tunables_become_values_again() -> None:
    by_key = {t.key: t for t in CATALOGUE}
    data = {
        "tunables": [
            {"key": "vm.swappiness", "path": "/proc/sys/vm/swappiness", "value": 10},
            {"key": "net.ipv4.ip_local_port_range", "path": "p", "value": [32768, 60999]},
            {"key": "transparent_hugepage/enabled", "path": "p", "value": "madvise"},
            {"key": "vm.dirty_ratio", "path": "p", "value": None},
            {"key": "sda queue/scheduler", "path": "q", "value": "mq-deadline"},
            {"key": "no.such.tunable", "path": "p", "value": 1},
            {"key": "vm.overcommit_memory", "path": "p", "value": {"a": 1}},
            "garbage",
        ]
    }
    values = recorded_tunables(data)
    assert values is not None
    assert [(v.key, v.value, v.present) for v in values] == [
        ("vm.swappiness", "10", True),
        ("net.ipv4.ip_local_port_range", "32768 60999", True),
        ("transparent_hugepage/enabled", "madvise", True),
        ("vm.dirty_ratio", None, False),
        ("sda queue/scheduler", "mq-deadline", True),
    ]
    assert values[0].tunable is by_key["vm.swappiness"]
    assert [v.typed() for v in values[:3]] == [10, [32768, 60999], "madvise"]
    assert recorded_tunables({}) is None


def test_recording_samples_between_two_times(recording: Recording) -> None:
    samples = RecordingSamples(recording)
    found = samples.between(START + 3, START + 6)
    assert [s.time for s in found] == [START + 3, START + 4, START + 5, START + 6]
    assert samples.between(START - 100, START - 50) == []


def test_the_time_bar_line() -> None:
    state = TimeBarState(START, START + 100, START + 50, (START + 10, START + 90), playing=True, speed=0.25)
    line = bar_text(state, 80).plain
    assert len(line) == 80
    assert line.startswith("16:00:01 ") and line.endswith(" 16:00:51 ▶ x0.25")
    assert line.count(MARK) == 2 and line.count(POSITION) == 1
    assert line.index(MARK) < line.index(POSITION) < line.rindex(MARK)
    narrow = bar_text(state, 30).plain
    assert narrow.startswith("16:00:01..16:01:41") and MARK not in narrow
    assert cell_of(START - 5, START, START + 100, 10) == 0
    assert cell_of(START + 500, START, START + 100, 10) == 9


async def test_filter_and_panes_work_on_the_recorded_samples(
    recording: Recording, recorded: tuple[Path, list[Snapshot]]
) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("backslash", *"java", "enter")
        await settle(pilot)
        await pilot.press(".")
        await settle(pilot)
        rows = app.table.rows()
        assert rows and all("java" in (p.cmdline or p.comm) for p in rows)
        await pilot.press("3")  # NUMA: the nodes recorded, the process's placement not
        await settle(pilot)
        lines = [line.text for line in app.query_one(NumaPane).render_lines(Region(0, 0, 120, 30))]
        assert any("memory placement not recorded" in line for line in lines)
        assert "numa_maps" in notices(app)[-1] and "not recorded" in notices(app)[-1]
        await pilot.press("5")  # sockets: the lists and their owners are not recorded
        await settle(pilot)
        lines = [line.text for line in app.query_one(SocketsPane).render_lines(Region(0, 0, 120, 80))]
        assert sum("not recorded" in line for line in lines) == 2
        assert not any("loading" in line for line in lines)


async def test_g_chart_opens_the_report_helpers_screen_or_says_it_is_missing(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        try:
            import perftop.tui.chart_screen  # noqa: F401
        except ImportError:
            assert "charts are not in this build" in notices(app)[-1]
        else:
            assert len(app.screen_stack) == 2


async def test_the_interrupts_pane_keeps_its_g_and_dots_typed_go_to_the_search(recording: Recording) -> None:
    app = ReplayApp(recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("7", "g")
        await settle(pilot)
        assert len(app.screen_stack) == 1  # the pane's g (sum more CPUs a column), not the go-to box
        await pilot.press("4", "full_stop")
        await settle(pilot)
        assert app.cursor.index == 1
        await pilot.press("1", "slash", "j", "full_stop")
        await settle(pilot)
        assert app.cursor.index == 1 and app.search_box.value == "j."

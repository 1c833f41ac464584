"""The action log screen (``L``) driven with Pilot: its entries, ``r`` undoing one on a real child, the
confirmation when the value changed since, ``w`` writing the sysctl.d file, and the keys in the help and
the README."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.action_log import ActionLogScreen
from perftop.tui.action_records import ActionRecord
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.bindings import LOG_KEYS
from perftop.tui.comparison_screen import ComparisonScreen
from perftop.tui.dialogs import ConfirmDialog, PathDialog
from perftop.tui.system_tuning import Setting, SettingResult
from tests import test_tuning_ui
from tests.test_tuning_ui import live_app, log_text, nice_of, notices, screen_of, settle, start, type_into

pytestmark = pytest.mark.live

#: The fixtures that start ``sleep 60`` children, killed at teardown.
spawn = test_tuning_ui.spawn
child = test_tuning_ui.child


def _setting_record(setting: Setting, old: str, new: str) -> ActionRecord:
    result = SettingResult(setting, old, new, setting.command(new), setting.command(old))
    return ActionRecord.of(1000.0, setting, setting.what, result, None)


SWAPPINESS = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")


def _entries(app: PerftopApp) -> OptionList:
    return app.screen.query_one("#log-entries", OptionList)


async def test_r_undoes_the_selected_entry_and_asks_when_changed_since(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot)
        for _ in range(2):
            await pilot.press("f8")
            await settle(pilot)
        assert nice_of(child.pid) == 2
        await pilot.press("L")
        screen = await screen_of(pilot, ActionLogScreen)
        assert _entries(app).highlighted == 1  # opened at the newest
        await pilot.press("enter")  # Enter opens the entry's before/after comparison, changes nothing
        await pilot.pause()
        assert isinstance(app.screen, ComparisonScreen) and nice_of(child.pid) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("r")  # the newest: nice 1 -> 2, undone to 1 at once
        await settle(pilot)
        assert nice_of(child.pid) == 1
        assert app.screen is screen and _entries(app).option_count == 3  # the undo joins the open log
        assert f"{child.pid} (sleep)  nice: 2 -> 1" in log_text(screen)
        assert _entries(app).highlighted == 1  # the selection stays on the entry undone
        await pilot.press("up")  # the first entry: nice 0 -> 1
        assert _entries(app).highlighted == 0
        os.setpriority(os.PRIO_PROCESS, child.pid, 3)  # someone else changes it meanwhile
        await pilot.press("r")
        dialog = await screen_of(pilot, ConfirmDialog)
        reason = str(dialog.query_one("#confirm-reason", Static).render())
        assert "is 3 now, not the 1 perftop set" in reason
        await pilot.press("y")
        await settle(pilot)
        assert nice_of(child.pid) == 0
        assert app.screen is screen and _entries(app).option_count == 4
        assert [(r.what, r.old, r.new) for r in app.action_log][-1] == ("nice", "3", "0")
        await pilot.press("escape")
        assert not isinstance(app.screen, ActionLogScreen)


async def test_r_on_an_exited_process_says_why(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    proc = test_tuning_ui.sleep_child(spawn)
    app = live_app(proc.pid)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot)
        await pilot.press("f8")
        await settle(pilot)
        proc.kill()
        proc.wait()
        await pilot.press("L")
        await screen_of(pilot, ActionLogScreen)
        await pilot.press("r")
        await settle(pilot)
        assert any(f"process {proc.pid} has exited" in n for n in notices(app))
        assert len(app.action_log) == 1


async def test_r_is_refused_read_only() -> None:
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, read_only=True, pids=(os.getpid(),)))
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot)
        app.action_log.append(_setting_record(SWAPPINESS, "60", "10"))
        await pilot.press("L")
        await screen_of(pilot, ActionLogScreen)
        await pilot.press("r")
        await settle(pilot)
        assert any("read-only" in n for n in notices(app))


async def test_w_writes_the_sysctl_file_the_user_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, read_only=True, pids=(os.getpid(),)))
    async with app.run_test(size=(80, 24)) as pilot:
        await start(app, pilot)
        app.action_log.append(_setting_record(SWAPPINESS, "60", "10"))
        await pilot.press("L")
        await screen_of(pilot, ActionLogScreen)
        await pilot.press("w")  # writing a file changes nothing on the machine: allowed read-only
        dialog = await screen_of(pilot, PathDialog)
        assert dialog.query_one("#path", Input).value == "./perftop-sysctl.conf"
        await type_into(pilot, dialog, "#path", "nowhere/x.conf")
        await pilot.press("enter")
        await pilot.pause(0.1)
        dialog = await screen_of(pilot, PathDialog)  # asked again, with why
        assert dialog.error == "cannot write nowhere/x.conf: there is no directory nowhere"
        assert dialog.query_one("#path", Input).value == "nowhere/x.conf"
        await type_into(pilot, dialog, "#path", "kept.conf")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ActionLogScreen)
    text = (tmp_path / "kept.conf").read_text()
    assert text.startswith("# perftop: ") and "\nvm.swappiness = 10\n" in text


async def test_w_with_nothing_to_keep_says_so() -> None:
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, read_only=True, pids=(os.getpid(),)))
    async with app.run_test(size=(80, 24)) as pilot:
        await start(app, pilot)
        await pilot.press("L")
        await screen_of(pilot, ActionLogScreen)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ActionLogScreen)
        assert any("nothing to write" in n for n in notices(app))


def test_the_log_keys_are_the_screens_bindings_and_documented() -> None:
    shown = {key for key, _ in LOG_KEYS}
    keys = [b.key for b in ActionLogScreen.BINDINGS if isinstance(b, Binding)]
    own = {k for key in keys for k in key.split(",")} - {"escape", "q"}
    # Enter is the entries' list's own (it selects an entry: the screen opens its comparison).
    assert own == {"r", "w"} and shown == {"r", "w", "Enter"}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    keys_section = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    for key in own:
        assert f"| `{key}` (in `L`) |" in keys_section
    assert "| Enter (in `L`) |" in keys_section


async def test_an_action_ending_while_the_log_opens_is_listed() -> None:
    """A tuning key's worker can finish between ``L`` pushing the log and the log mounting (keys sent in
    one burst): its record is listed with the others, not lost and not a crash."""
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, read_only=True, pids=(os.getpid(),)))
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot)
        app.action_log.append(_setting_record(SWAPPINESS, "60", "10"))
        app.action_action_log()
        app.record_actions([_setting_record(SWAPPINESS, "10", "30")])  # before the screen has mounted
        screen = await screen_of(pilot, ActionLogScreen)
        await settle(pilot)
        assert isinstance(screen, ActionLogScreen)
        assert len(screen.records) == 2
        assert _entries(app).option_count == 2
        assert "10 -> 30" in screen.text

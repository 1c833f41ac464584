"""htop's inspection keys on the selected process (the detail screen's while it is open): ``l`` its open
files and sockets, ``e`` its environment, ``s`` its system calls through ``strace -p``, and ``F`` follow.

Layers: the App builds on this module; this one on the modal screens and the probes. Reads run in a thread;
the process is named by its identity ``(pid, start_time)``, so a PID reused meanwhile is never shown as the
one chosen.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.app import App

from perftop.widgets.safe_text import escaped

if TYPE_CHECKING:
    from perftop.probes.sampler import Sampler
    from perftop.tui.action_records import Subject
    from perftop.widgets.process_table import ProcessTable

#: What ``e`` says when the kernel refuses ``/proc/PID/environ``.
ENVIRON_REFUSED = (
    "The environment of this process cannot be read: the kernel lets only its owner (with ptrace access) "
    "or root read /proc/PID/environ."
)


#: What ``s`` says when strace is not installed.
STRACE_MISSING = (
    "strace is not installed: install it (apt-get install strace, dnf install strace) for the s key."
)


def ptrace_refused_help(scope: str | None) -> str:
    """Why the kernel refused ptrace, with the ``kernel.yama.ptrace_scope`` value in force (``None``:
    no Yama)."""
    rules = {
        "0": "0: any process of the same user",
        "1": "1: only descendants, unless the process allows it (PR_SET_PTRACER)",
        "2": "2: only with CAP_SYS_PTRACE (root)",
        "3": "3: no process at all, until reboot",
    }
    words = "" if scope is None else f" kernel.yama.ptrace_scope is {rules.get(scope, scope)}."
    return (
        "The kernel refused to let strace attach (ptrace): tracing another user's process needs root "
        f"(CAP_SYS_PTRACE), and a process being traced already (a debugger) cannot be traced again.{words}"
    )


class InspectActions(App[None]):
    """The inspection keys of :class:`~perftop.tui.app.PerftopApp` (its base)."""

    # What the App provides.
    table: ProcessTable
    sampler: Sampler
    detail_subject: Subject | None

    #: True while ``F`` follows the selected process (the status line says ``follow``).
    following: bool = False

    def _view_changed(self) -> None:
        """The App redraws its status line and asks its next sample for the rows now on screen."""
        raise NotImplementedError

    def action_follow(self) -> None:
        """``F``: the cursor stays on the selected process and keeps it in view whatever the sort, filter or
        view; ``F`` again (or Esc) stops: the cursor keeps its line from then on."""
        if self.following:
            self.stop_following()
            return
        if self.table.selected_pid is None:
            self.notify("No process selected.", severity="warning")
            return
        self.table.choose_selected()
        self.following = True
        self._view_changed()

    def stop_following(self, why: str | None = None) -> None:
        """Stop ``F``'s follow (``why``: a notice saying why, when it was not the user's key)."""
        self.following = False
        self.table.stop_following()
        if why is not None:
            self.notify(why, severity="warning")
        self._view_changed()

    def check_followed(self) -> None:
        """After a refresh: a followed process that left the table (exited, or a filter hides it) ends the
        follow, said so."""
        lost = self.table.lost_choice
        if self.following and lost is not None:
            self.stop_following(f"Process {lost}, followed, is no longer in the table: follow stopped.")

    def _inspected(self) -> tuple[int, int, str] | None:
        """``(pid, start_time, comm)`` of the detail screen's process, else of the selected row; None (with
        a notice) when there is none."""
        if self.detail_subject is not None:
            target = self.detail_subject.target
            return target.pid, target.start_time, self.detail_subject.comm
        pid = self.table.selected_pid
        proc = next((p for p in self.table.rows() if p.pid == pid), None)
        if proc is None:
            self.notify("No process selected.", severity="warning")
            return None
        return proc.pid, proc.start_time, proc.comm

    async def action_open_files(self) -> None:
        """``l``: the descriptors of the process, as ``lsof -p`` lists them."""
        from perftop.probes.open_files import describe, read_open_files
        from perftop.probes.processes import is_same_process
        from perftop.tui.screens import TextScreen

        chosen = self._inspected()
        if chosen is None:
            return
        pid, start_time, comm = chosen
        fs = self.sampler.fs

        def read() -> str | None:
            listing = read_open_files(fs, pid)
            if listing is None or not is_same_process(fs, pid, start_time):
                return None
            # File names are anyone's: a line break in one must not pass for a line of the listing.
            files = tuple(
                replace(f, target=None if f.target is None else escaped(f.target)) for f in listing.files
            )
            return describe(replace(listing, files=files))

        body = await asyncio.to_thread(read)
        if body is None:
            if not await asyncio.to_thread(is_same_process, fs, pid, start_time):
                self.notify(f"Process {pid} has exited.", severity="warning")
            else:
                self.notify(
                    f"The descriptors of process {pid} cannot be listed: another user's process needs root.",
                    severity="warning",
                )
            return
        self.push_screen(TextScreen(f"Open files of {pid} ({comm})  ·  lsof -p {pid}", body))

    async def action_environment(self) -> None:
        """``e``: the environment of the process, where the kernel lets perftop read it."""
        from perftop.probes.fs import read_bytes
        from perftop.probes.process_detail import parse_environ
        from perftop.probes.processes import is_same_process
        from perftop.tui.screens import TextScreen

        chosen = self._inspected()
        if chosen is None:
            return
        pid, start_time, comm = chosen
        fs = self.sampler.fs

        def read() -> tuple[bool, tuple[str, ...] | None]:
            data = read_bytes(fs.proc(pid, "environ"))
            return is_same_process(fs, pid, start_time), None if data is None else parse_environ(data)

        alive, environ = await asyncio.to_thread(read)
        if not alive:
            self.notify(f"Process {pid} has exited.", severity="warning")
            return
        if environ is None:
            self.notify(ENVIRON_REFUSED, title=f"Environment of {pid}", severity="warning")
            return
        # A value may hold line breaks: escaped, so that it cannot pass for another variable.
        body = (
            "\n".join(escaped(e) for e in sorted(environ))
            if environ
            else "(empty: a kernel thread, or it cleared it)"
        )
        self.push_screen(TextScreen(f"Environment of {pid} ({comm})", body))

    async def action_strace(self) -> None:
        """``s``: the system calls of the process, live, through ``strace -f -p PID`` (Esc stops it)."""
        from perftop.probes.fs import read_text
        from perftop.probes.processes import is_same_process
        from perftop.tui.strace_screen import StraceScreen

        chosen = self._inspected()
        if chosen is None:
            return
        pid, start_time, comm = chosen
        fs = self.sampler.fs
        if not fs.is_own_proc():
            self.notify("strace traces processes of this machine only, not of a --procfs tree.")
            return
        strace = shutil.which("strace")
        if strace is None:
            self.notify(STRACE_MISSING, severity="warning")
            return
        if not await asyncio.to_thread(is_same_process, fs, pid, start_time):
            self.notify(f"Process {pid} has exited.", severity="warning")
            return
        scope = await asyncio.to_thread(read_text, fs.proc("sys", "kernel", "yama", "ptrace_scope"))
        argv = [strace, "-f", "-p", str(pid)]
        title = f"System calls of {pid} ({comm})  ·  strace -f -p {pid}"
        self.push_screen(
            StraceScreen(argv, title, ptrace_refused_help(None if scope is None else scope.strip()))
        )

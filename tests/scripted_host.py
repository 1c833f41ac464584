"""A :class:`~perftop.tui.tuning_flows.Host` for tests: it answers a flow's questions from a script and
keeps what the flow told it (notices, records, the PIDs it asked to read again)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from perftop.tui.action_records import ActionRecord
from perftop.tui.tuning_flows import Question


class ScriptedHost:
    """Answers each question with the next scripted answer (``None``: cancelled)."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.asked: list[Question[Any]] = []
        self.notices: list[tuple[str, str]] = []
        self.records: list[ActionRecord] = []
        self.reread_pids: list[list[int]] = []

    async def ask(self, question: Question[Any]) -> Any:
        self.asked.append(question)
        return self.answers.pop(0)

    def notify(
        self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None
    ) -> None:
        self.notices.append((message, severity))

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        self.records.extend(records)

    async def reread(self, pids: Sequence[int]) -> None:
        await asyncio.sleep(0)
        self.reread_pids.append(list(pids))

"""A small terminal model for tests of what perftop's renderer writes."""

from __future__ import annotations

import io
import re

from rich.console import Console

CONSOLE = Console(file=io.StringIO(), color_system="256", force_terminal=True)
SCROLL = re.compile(r"\x1b\[\d+[LM]")
REGION = re.compile(r"\x1b\[(\d+);(\d+)r")


class Terminal:
    """Enough of a VT100 for what the renderers write: cursor moves, SGR, scroll regions, insert and
    delete line. Each cell holds its character and the SGR attributes in force when it was written."""

    _SEQUENCE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|(.)", re.DOTALL)

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.lines = [self._blank() for _ in range(height)]
        self.x = self.y = 0
        self.top, self.bottom = 0, height - 1
        self.attrs: dict[str, object] = {}

    def _blank(self) -> list[tuple[str, frozenset]]:
        return [(" ", frozenset())] * self.width

    def text(self) -> list[str]:
        return ["".join(char for char, _ in line) for line in self.lines]

    def feed(self, data: str) -> None:
        for match in self._SEQUENCE.finditer(data):
            params, final, char = match.groups()
            if char == "\n":
                continue  # Textual ends a full update's lines so; each line starts with a cursor move
            if char is not None:
                assert self.x < self.width, f"written past the right edge on line {self.y}"
                self.lines[self.y][self.x] = (char, frozenset(self.attrs.items()))
                self.x += 1
                continue
            numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
            if final == "H":
                row, column = [*numbers, 1, 1][:2]
                self.y, self.x = max(row, 1) - 1, max(column, 1) - 1
            elif final == "r":
                top, bottom = numbers if numbers else (1, self.height)
                self.top, self.bottom = top - 1, bottom - 1
                self.x = self.y = 0
            elif final in "LM":
                assert self.top <= self.y <= self.bottom, "insert/delete line outside the scroll region"
                count = max(numbers[0] if numbers else 1, 1)
                region = self.lines[self.y : self.bottom + 1]
                blanks = [self._blank() for _ in range(count)]
                region = (blanks + region)[: len(region)] if final == "L" else (region + blanks)[count:]
                self.lines[self.y : self.bottom + 1] = region
            elif final == "m":
                self._sgr(numbers or [0])
            else:
                raise AssertionError(f"unexpected sequence {match.group(0)!r}")

    def _sgr(self, numbers: list[int]) -> None:
        attrs = self.attrs
        i = 0
        while i < len(numbers):
            n = numbers[i]
            if n == 0:
                attrs.clear()
            elif n in (38, 48):
                key = "fg" if n == 38 else "bg"
                if numbers[i + 1] == 5:
                    attrs[key] = ("256", numbers[i + 2])
                    i += 2
                else:
                    attrs[key] = tuple(numbers[i + 2 : i + 5])
                    i += 4
            elif 30 <= n <= 37 or 90 <= n <= 97:
                attrs["fg"] = n
            elif 40 <= n <= 47 or 100 <= n <= 107:
                attrs["bg"] = n
            elif n == 39:
                attrs.pop("fg", None)
            elif n == 49:
                attrs.pop("bg", None)
            elif n == 22:
                attrs.pop(1, None)
                attrs.pop(2, None)
            elif 23 <= n <= 29:
                attrs.pop(n - 20, None)
            else:
                attrs[n] = True
            i += 1

"""The value a settings file of the kernel holds, as a person types it back.

A file under ``/proc/sys`` or ``/sys`` holds one value, several numbers separated by tabs (``tcp_rmem``), or
a list of choices with the chosen one in brackets (``queue/scheduler``: ``none [mq-deadline] kyber``). Plain
Python, no IO: the readers and the tuning module share it.
"""

from __future__ import annotations

import re

_CHOSEN = re.compile(r"\[([^\[\]\s]+)\]")


def setting_value(text: str) -> str:
    """The value of a settings file's text: the bracketed choice of a choice list, else its words joined by
    one space (``4096\\t131072\\t6291456`` -> ``4096 131072 6291456``)."""
    chosen = _CHOSEN.search(text)
    if chosen is not None:
        return chosen.group(1)
    return " ".join(text.split())


def setting_choices(text: str) -> tuple[str, ...] | None:
    """The choices a choice list offers (brackets removed), or ``None`` when ``text`` is not one."""
    if _CHOSEN.search(text) is None:
        return None
    return tuple(word.strip("[]") for word in text.split())

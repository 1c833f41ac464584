"""The numbers the kernel writes in procfs and sysfs, and what lies outside them.

A counter is an unsigned 64-bit number at most; a load or pressure average and the uptime are finite and
not negative. A figure outside that (a negative count, one wider than 64 bits that no float can hold, NaN)
was not written by a kernel: the parsers read it as a garbled field, i.e. unknown, rather than crash on it
or show it.
"""

from __future__ import annotations

import math

#: The largest unsigned 64-bit number: the widest counter the kernel writes (``%llu``).
U64_MAX = (1 << 64) - 1
#: A ``[0-9]`` run of at most this many digits (the width of :data:`U64_MAX`) is safe to multiply by a unit
#: and divide as a float, for the parsers that match numbers with a regular expression.
U64_DIGITS = len(str(U64_MAX))


def is_decimal(text: str) -> bool:
    """True when ``text`` is ASCII digits only, as the kernel writes numbers and PIDs (``str.isdigit`` also
    takes other scripts' digits and superscripts, which ``int`` then refuses or reads as other numbers)."""
    return text.isascii() and text.isdigit()


def u64(value: int) -> int | None:
    """``value`` when it is an unsigned 64-bit number, else ``None``."""
    return value if 0 <= value <= U64_MAX else None


def all_u64(values: list[int]) -> bool:
    """True when every value is an unsigned 64-bit number."""
    return not values or (min(values) >= 0 and max(values) <= U64_MAX)


def average(value: float) -> float | None:
    """``value`` when it is finite and not negative (a load or pressure average, seconds), else ``None``."""
    return value if 0.0 <= value < math.inf else None

"""How perftop writes figures: counts, rates, percents, bytes, durations and sparklines.

Pure Python (no Textual). Every function shows an unknown value as :data:`UNKNOWN`, and so a negative
one: every figure perftop formats is a count, size, rate, share or duration, which a negative value can
only misreport.

Bytes follow one rule, as htop's columns and ``ps`` show memory: binary units, a unit up as soon as the
figure would need a fourth digit (``999K``, then ``1.0M``), one decimal below 100 and none above, and
``0`` for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import floor

#: Shown for a value that is unknown (not read this tick, unreadable, or not applicable).
UNKNOWN = "-"

#: Sparkline levels, lowest first. Any value above zero lights the lowest one.
SPARK_LEVELS = "▁▂▃▄▅▆▇█"

#: A sparkline sample of zero: visible, so that an idle history reads as "recorded, nothing" rather than
#: as the blank of a sample that is unknown.
SPARK_ZERO = "·"


# ---------------------------------------------------------------------------------------------------------
# Counts, rates and percents
# ---------------------------------------------------------------------------------------------------------


def format_percent(value: float | None) -> str:
    """``12.3``; from 1000 on without decimals (``2400`` for 24 busy cores)."""
    if value is None or value < 0:
        return UNKNOWN
    return f"{value:.1f}" if value < 999.95 else f"{value:.0f}"


def format_share(value: float | None) -> str:
    """A share in percent with its sign, one decimal: ``12.3%``, ``100.0%``."""
    if value is None or value < 0:
        return UNKNOWN
    return f"{value:.1f}%"


def format_ratio(ratio: float | None) -> str:
    """A ratio (0..1) as a percent that fits six cells: ``0.42%``, ``12.5%``, ``100%``."""
    if ratio is None or ratio < 0:
        return UNKNOWN
    percent = ratio * 100.0
    if percent == 0:
        return "0%"
    if percent < 1:
        return f"{percent:.2f}%"
    if percent < 99.95:
        return f"{percent:.1f}%"
    return "100%"


def format_rate(value: float | None) -> str:
    """A per-second rate in a table cell: ``12.3``, ``4567``, ``12M`` past ten million."""
    if value is None or value < 0:
        return UNKNOWN
    if value < 999.95:
        return f"{value:.1f}"
    if value < 9_999_999.5:
        return f"{value:.0f}"
    return f"{value / 1e6:.0f}M"


def format_count(value: float | None) -> str:
    """A count or rate in running text: one decimal only for small fractions, ``k``/``M`` when big."""
    if value is None or value < 0:
        return UNKNOWN
    # Up a unit as soon as the figure would round to a fourth digit (999.5k is 1.0M, not 1000k).
    if value >= 999_500:
        return f"{value / 1e6:.1f}M"
    if value >= 99_999.5:
        return f"{value / 1e3:.0f}k"
    if value < 10 and abs(value - round(value)) >= 0.05:
        return f"{value:.1f}"
    return f"{value:.0f}"


def format_figure(value: float | None, cells: int) -> str:
    """A figure as ``iostat`` prints it (two decimals), with fewer decimals when that does not fit in
    ``cells``, and ``k``/``M`` beyond (:func:`format_count`)."""
    if value is None or value < 0:
        return UNKNOWN
    for decimals in (2, 1, 0):
        text = f"{value:.{decimals}f}"
        if len(text) <= cells:
            return text
    return format_count(value)


# ---------------------------------------------------------------------------------------------------------
# Bytes
# ---------------------------------------------------------------------------------------------------------


def _binary(amount: float, units: str) -> tuple[float, str]:
    """``amount`` of ``units[0]`` in the first of ``units`` (each 1024 of the one before) that keeps it
    below 999.5, so that it never needs a fourth digit; the last unit takes anything larger."""
    for unit in units[:-1]:
        if amount < 999.5:
            return amount, unit
        amount /= 1024
    return amount, units[-1]


def format_bytes(value: int | None) -> str:
    """Bytes in binary units from KiB: ``4.0K``, ``512K``, ``12.3M``, ``123M``, ``1.0G``; ``0`` for 0."""
    if value is None or value < 0:
        return UNKNOWN
    if value == 0:
        return "0"
    amount, unit = _binary(value / 1024, "KMGTP")
    return f"{amount:.1f}{unit}" if amount < 99.95 else f"{amount:.0f}{unit}"


def format_byte_rate(value: float | None) -> str:
    """Bytes per second in the units of :func:`format_bytes`, without ``/s`` (a column title says it):
    ``1.2M`` is 1.2 MiB/s."""
    if value is None or value < 0:
        return UNKNOWN
    return format_bytes(round(value))


def format_bytes_per_s(value: float | None, suffix: str = "/s") -> str:
    """Bytes per second in binary units from single bytes: ``512B/s``, ``1.5K/s``, ``12.3M/s``,
    ``123M/s``. ``suffix=""`` leaves ``/s`` out."""
    if value is None or value < 0:
        return UNKNOWN
    amount, unit = _binary(value, "BKMGT")
    if unit == "B" or amount >= 99.95:
        return f"{amount:.0f}{unit}{suffix}"
    return f"{amount:.1f}{unit}{suffix}"


# ---------------------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------------------


def format_time(seconds: float | None) -> str:
    """CPU time as htop's TIME+: ``M:SS.hh`` under an hour, ``HhMM:SS`` under 1000 hours, then ``DdHHh``."""
    if seconds is None or seconds < 0:
        return UNKNOWN
    hundredths = int(seconds * 100)
    total_seconds, hh = divmod(hundredths, 100)
    total_minutes, ss = divmod(total_seconds, 60)
    hours, mm = divmod(total_minutes, 60)
    if hours == 0:
        return f"{mm}:{ss:02d}.{hh:02d}"
    if hours < 1000:
        return f"{hours}h{mm:02d}:{ss:02d}"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_uptime(seconds: float | None) -> tuple[str, ...]:
    """Uptime as htop writes it, in unbreakable parts: ``("3 days,", "04:05:06")``, or ``("-",)``."""
    if seconds is None or seconds < 0:
        return (UNKNOWN,)
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days == 0:
        return (clock,)
    return (f"{days} day{'s' if days != 1 else ''},", clock)


# ---------------------------------------------------------------------------------------------------------
# Sparklines
# ---------------------------------------------------------------------------------------------------------


def spark_cell(value: float | None, scale: float = 100.0, zero: str = " ") -> str:
    """One sparkline cell for ``value`` on a scale whose top is ``scale`` (a value above it is capped):
    a blank for unknown, ``zero`` for zero (or no scale), else an eighth block."""
    if value is None:
        return " "
    if value <= 0 or scale <= 0:
        return zero
    level = floor(min(value, scale) / scale * len(SPARK_LEVELS) + 0.5)
    return SPARK_LEVELS[max(1, level) - 1]


def sparkline(samples: Sequence[float | None], cells: int, scale: float) -> str:
    """The newest ``cells`` samples on a scale topped by ``scale``, newest at the right, zero samples as
    :data:`SPARK_ZERO`; a short history leaves the left side blank."""
    if cells <= 0:
        return ""
    # Deques do not slice: copy first (a few hundred samples at most).
    shown = list(samples)[-cells:]
    return " " * (cells - len(shown)) + "".join(spark_cell(value, scale, SPARK_ZERO) for value in shown)

"""CPU list syntax as the kernel and taskset write it: ``0-3,8`` lists and ``0x5`` hex masks."""

from __future__ import annotations

from collections.abc import Iterable

from perftop.probes.kernel_numbers import is_decimal

#: Highest CPU number accepted. The kernel's NR_CPUS tops out at 8192; a typed ``0-4000000000`` must
#: fail fast instead of building a set of four billion numbers.
MAX_CPU = 65535


def parse_cpu_list(text: str) -> frozenset[int]:
    """Parse a kernel/taskset CPU list such as ``0-3,8,10-14:2`` into a set of CPU numbers.

    Numbers are ASCII digits. An empty or blank string is the empty set (the kernel writes an empty
    ``cpulist`` for a node without CPUs). Raises ``ValueError`` with a message naming the bad part for
    malformed input.
    """
    cpus: set[int] = set()
    text = text.strip()
    if not text:
        return frozenset()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"empty item in CPU list {text!r}")
        stride = 1
        if ":" in part:
            part, _, stride_text = part.partition(":")
            if not is_decimal(stride_text) or int(stride_text) == 0:
                raise ValueError(f"bad stride {stride_text!r} in CPU list {text!r}")
            stride = int(stride_text)
        first, dash, last = part.partition("-")
        if not is_decimal(first) or (dash and not is_decimal(last)):
            raise ValueError(f"bad item {part!r} in CPU list {text!r}")
        lo = int(first)
        hi = int(last) if dash else lo
        if hi < lo:
            raise ValueError(f"range {part!r} runs backwards in CPU list {text!r}")
        if hi > MAX_CPU:
            raise ValueError(f"CPU {hi} in CPU list {text!r} is beyond the highest possible ({MAX_CPU})")
        cpus.update(range(lo, hi + 1, stride))
    return frozenset(cpus)


def parse_cpu_mask(text: str) -> frozenset[int]:
    """Parse a hex CPU mask (``0x5``, ``5``, or the kernel's comma-grouped ``ff,00000001``)."""
    digits = text.strip().lower().removeprefix("0x").replace(",", "")
    if not digits or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(f"bad hex CPU mask {text!r}")
    if len(digits) * 4 > MAX_CPU + 1:
        raise ValueError(f"hex CPU mask {text!r} names CPUs beyond the highest possible ({MAX_CPU})")
    mask = int(digits, 16)
    return frozenset(i for i in range(mask.bit_length()) if mask >> i & 1)


def format_cpu_list(cpus: Iterable[int]) -> str:
    """Format CPU numbers in the kernel's list form, ranges collapsed: ``{0,1,2,3,8}`` -> ``0-3,8``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def format_cpu_mask(cpus: Iterable[int]) -> str:
    """Format CPU numbers as a hex mask: ``{0, 2}`` -> ``0x5``."""
    mask = 0
    for cpu in cpus:
        mask |= 1 << cpu
    return hex(mask)

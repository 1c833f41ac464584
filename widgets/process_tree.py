"""The process tree: processes ordered parent first, children under it, with htop's guides.

Pure Python (no Textual): :func:`tree_order` takes the rows the flat view would show (filtered and sorted)
and returns their tree order, so siblings keep the order of the active sort. Tests check it on plain data.

Rules:

- A process hangs under its parent when the parent is shown. When the parent is not shown (a filter, the
  user filter, ``--pid`` or ``K`` hides it), it hangs under its nearest shown ancestor, found through
  ``links`` (every process's parent, shown or not); with none, it is a root. So a filter shows the
  matching processes only, keeping their nesting among themselves; the ancestors that do not match are
  not drawn.
- Roots: processes whose parent is unknown (``ppid`` 0 or ``None``: init and kthreadd, or a process whose
  parent lives outside the PID namespace read) or not in the processes at all (it exited between two
  reads; the kernel re-parents orphans to 1 or to a subreaper, which the next sample shows).
- A cycle of parent links (a PID reused between two reads can make one) is cut: the first of its
  processes in sort order becomes a root, so every process is shown exactly once.
- A collapsed process (its identity ``(pid, start_time)`` in ``collapsed``) hides its descendants; its
  guide ends with ``+`` and the number hidden.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from perftop.probes.snapshot import ProcessInfo

#: The guides, as htop draws them: a child that has siblings below it, the last child, and the lines that
#: continue past a level (a vertical line while that level has more children, else blanks).
TEE = "├─ "
ELBOW = "└─ "
PIPE = "│  "
BLANK = "   "

_PPID = attrgetter("ppid")


def collapsed_marker(hidden: int) -> str:
    """What a collapsed process shows after its guide: ``+`` and how many processes it hides."""
    return f"+{hidden} "


@dataclass(frozen=True, slots=True)
class TreeOrder:
    """The tree order of a list of rows.

    ``order``: indices into the rows, in display order (collapsed subtrees left out). For each displayed
    row, aligned with ``order``: ``prefixes`` (guides and collapsed marker, drawn before the command),
    ``parents`` (the display index of the row it hangs under, -1 for a root), ``branches`` (True when it
    has children, shown or collapsed), ``hidden`` (descendants a collapse hides, 0 unless collapsed).
    """

    order: list[int]
    prefixes: list[str]
    parents: list[int]
    branches: list[bool]
    hidden: list[int]


def tree_order(
    rows: Sequence[ProcessInfo],
    collapsed: Collection[tuple[int, int]] = (),
    links: Mapping[int, int | None] | None = None,
) -> TreeOrder:
    """``rows`` (in sort order) as a tree: each process under its parent, siblings in the order of
    ``rows``. ``links``: PID -> parent PID of every process, shown or not, to find the nearest shown
    ancestor of a process whose parent is not in ``rows`` (``None``: the parent or a root)."""
    index = {p.pid: i for i, p in enumerate(rows)}
    # The parent's row of every row, in C loops (no PID is 0 or None, so those find no row).
    shown_parents = list(map(index.get, map(_PPID, rows)))
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, parent in enumerate(shown_parents):
        if parent is None and links is not None:
            parent = _shown_ancestor(rows[i], index, links)
        if parent is None or parent == i:
            roots.append(i)
        else:
            children.setdefault(parent, []).append(i)
    result = TreeOrder([], [], [], [], [])
    seen: set[int] = set()
    _walk(rows, roots, children, collapsed, seen, result)
    if len(seen) < len(rows):
        # Only processes on a cycle of parent links (and their descendants) are left: cut each cycle at
        # its first process in sort order.
        for i in range(len(rows)):
            if i not in seen:
                _walk(rows, [i], children, collapsed, seen, result)
    return result


def _shown_ancestor(
    p: ProcessInfo, index: Mapping[int, int], links: Mapping[int, int | None] | None
) -> int | None:
    """The row index of the nearest ancestor of ``p`` in ``index``, or ``None``."""
    ppid = p.ppid
    if not ppid:
        return None
    found = index.get(ppid)
    if found is not None or links is None:
        return found
    # Up through the processes not shown; a cycle among them ends the walk after as many steps as there
    # are processes.
    for _ in range(len(links)):
        ppid = links.get(ppid)
        if not ppid:
            return None
        found = index.get(ppid)
        if found is not None:
            return found
    return None


def _walk(
    rows: Sequence[ProcessInfo],
    roots: list[int],
    children: Mapping[int, list[int]],
    collapsed: Collection[tuple[int, int]],
    seen: set[int],
    result: TreeOrder,
) -> None:
    """Append ``roots`` and their subtrees to ``result``, depth first, skipping rows already ``seen``."""
    order, prefixes, parents, branches, hidden = (
        result.order,
        result.prefixes,
        result.parents,
        result.branches,
        result.hidden,
    )
    for root in roots:
        if root in seen:
            continue
        # Row i is drawn with ``guide``; its children continue with ``below``. A frame is a row's children
        # still to draw: [children, next position, their guides (not last, last), their continuations
        # (not last, last), the row's display index]. (Guides made once per row with children, not once
        # per child: a process with a thousand children is common enough.)
        frames: list[list[Any]] = []
        i, guide, below, parent = root, "", "", -1
        while True:
            seen.add(i)
            me = len(order)
            order.append(i)
            parents.append(parent)
            kids = children.get(i)
            if kids is not None:
                kids = [k for k in kids if k not in seen]
            p = rows[i]
            if kids and collapsed and (p.pid, p.start_time) in collapsed:
                count = _subtree_size(kids, children, seen)
                prefixes.append(guide + collapsed_marker(count))
                branches.append(True)
                hidden.append(count)
            else:
                prefixes.append(guide)
                branches.append(bool(kids))
                hidden.append(0)
                if kids:
                    frames.append([kids, 0, below + TEE, below + ELBOW, below + PIPE, below + BLANK, me])
            # The next row: the next child of the deepest row with children left.
            while frames:
                frame = frames[-1]
                kids, position = frame[0], frame[1]
                if position == len(kids):
                    frames.pop()
                    continue
                frame[1] = position + 1
                i = kids[position]
                if i in seen:
                    continue
                last = position == len(kids) - 1
                guide, below, parent = frame[3 if last else 2], frame[5 if last else 4], frame[6]
                break
            else:
                break


def _subtree_size(kids: list[int], children: Mapping[int, list[int]], seen: set[int]) -> int:
    """How many rows hang below a collapsed row whose children are ``kids``; they count as ``seen``."""
    count = 0
    stack = list(kids)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        count += 1
        stack.extend(children.get(i, ()))
    return count

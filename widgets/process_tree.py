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

from perftop.probes.snapshot import ProcessInfo

#: The guides, as htop draws them: a child that has siblings below it, the last child, and the lines that
#: continue past a level (a vertical line while that level has more children, else blanks).
TEE = "├─ "
ELBOW = "└─ "
PIPE = "│  "
BLANK = "   "


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
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, p in enumerate(rows):
        parent = _shown_ancestor(p, index, links)
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
    # (row, guide of the row, guide its children continue with, display index of its parent)
    stack: list[tuple[int, str, str, int]] = [(i, "", "", -1) for i in reversed(roots)]
    order, prefixes, parents, branches, hidden = (
        result.order,
        result.prefixes,
        result.parents,
        result.branches,
        result.hidden,
    )
    while stack:
        i, guide, below, parent = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        kids = [k for k in children.get(i, ()) if k not in seen]
        me = len(order)
        order.append(i)
        parents.append(parent)
        branches.append(bool(kids))
        p = rows[i]
        if kids and collapsed and (p.pid, p.start_time) in collapsed:
            count = _subtree_size(kids, children, seen)
            prefixes.append(guide + collapsed_marker(count))
            hidden.append(count)
            continue
        prefixes.append(guide)
        hidden.append(0)
        last = len(kids) - 1
        for n in range(last, -1, -1):
            if n == last:
                stack.append((kids[n], below + ELBOW, below + BLANK, me))
            else:
                stack.append((kids[n], below + TEE, below + PIPE, me))


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

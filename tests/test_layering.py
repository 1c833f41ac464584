"""The architecture's rules, enforced: import-linter contracts, ruff, and mypy on the probes."""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import rich
import textual

import perftop

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_import_contracts_hold() -> None:
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_ruff_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tui_contracts_are_declared() -> None:
    """The contracts lint-imports checks for tui are there (a dropped contract would pass unnoticed)."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    forbidden = {
        (tuple(c["source_modules"]), tuple(c["forbidden_modules"]))
        for c in contracts
        if c["type"] == "forbidden"
    }
    assert (("perftop.widgets",), ("perftop.tui",)) in forbidden
    assert any("perftop.tui.tuning" in sources and "textual" in banned for sources, banned in forbidden)
    [layers] = [c for c in contracts if c["type"] == "layers" and c.get("containers") == ["perftop.tui"]]
    # The replay App builds on the App: a layer of its own between the command line and the App.
    assert layers["layers"][:3] == ["cli", "replay_app", "app"] and layers["layers"][-1] == "tuning"
    assert any(c["type"] == "acyclic_siblings" and c["ancestors"] == ["perftop.tui"] for c in contracts)


# -- private Textual only in the fence --------------------------------------------------------------------
#
# Import-linter sees modules, not attributes: these read the source. A private name (one leading
# underscore) is Textual's (or Rich's) when their code defines it on a class or an instance, or at the top
# of a module; perftop may read such a name only in the fence, and may not define one a Textual class it
# derives from has (a subclass attribute would replace Textual's own). A name perftop defines itself is
# taken as perftop's where it is read on some other object, as nothing tells the objects apart.

FENCE = "widgets/textual_fence.py"
PACKAGE_FOLDERS = ("probes", "tui", "widgets")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined(tree: ast.AST) -> set[str]:
    """Private names ``tree`` defines: in class bodies, as ``self.<name> =``, in ``__slots__`` or at the
    top of the module."""
    names: set[str] = set()
    bodies = [tree.body] if isinstance(tree, ast.Module) else []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bodies.append(node.body)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            names.add(node.attr)
    for body in bodies:
        for item in body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(item.name)
            targets = item.targets if isinstance(item, ast.Assign) else []
            targets += [item.target] if isinstance(item, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__slots__" and isinstance(item, ast.Assign):
                        names |= {c.value for c in ast.walk(item.value) if isinstance(c, ast.Constant)}
    return {name for name in names if isinstance(name, str) and _is_private(name)}


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def _textual_private_names() -> frozenset[str]:
    names: set[str] = set()
    for package in (textual, rich):
        for path in Path(package.__file__).parent.rglob("*.py"):
            names |= _defined(_parsed(path))
    return frozenset(names)


def _perftop_files() -> list[Path]:
    return sorted(path for folder in PACKAGE_FOLDERS for path in (ROOT / folder).rglob("*.py"))


def _names_read(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Private attribute names ``tree`` uses, with their lines: ``x.<name>``, ``getattr(x, "<name>")``
    and the like, and ``from textual... import <name>``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            yield node.attr, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            yield node.args[1].value, node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("textual", "rich"):
            yield from ((alias.name, node.lineno) for alias in node.names if _is_private(alias.name))


@pytest.mark.slow
def test_private_textual_attributes_are_used_only_in_the_fence() -> None:
    files = [path for path in _perftop_files() if path != ROOT / FENCE]
    trees = {path: _parsed(path) for path in files}
    own = set().union(*(_defined(tree) for tree in trees.values()))
    textual_names = _textual_private_names()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path, tree in trees.items()
        for name, line in _names_read(tree)
        if name in textual_names and name not in own
    ]
    assert found == [], f"private Textual outside {FENCE}:\n" + "\n".join(found)


@functools.cache
def _class_defines(cls: type) -> frozenset[str]:
    """Private names a class defines: its own attributes and those its methods set on ``self``."""
    names = {name for name in vars(cls) if _is_private(name)}
    with contextlib.suppress(OSError, TypeError):  # no source (built in, or made at run time)
        names |= _defined(ast.parse(textwrap.dedent(inspect.getsource(cls))))
    return frozenset(names)


def _perftop_classes() -> Iterator[type]:
    for info in pkgutil.walk_packages(perftop.__path__, "perftop."):
        if info.name != "perftop.__main__":
            module = importlib.import_module(info.name)
            yield from (c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == info.name)


@pytest.mark.slow
def test_no_perftop_class_shadows_a_private_textual_attribute() -> None:
    found = set()
    for cls in _perftop_classes():
        theirs = [base for base in cls.__mro__ if base.__module__.split(".")[0] in ("textual", "rich")]
        ours = [base for base in cls.__mro__ if base.__module__.startswith("perftop.")]
        for base in ours:
            # The source of a perftop class only: Textual's __init_subclass__ sets private names on each.
            with contextlib.suppress(OSError, TypeError):
                mine = _defined(ast.parse(textwrap.dedent(inspect.getsource(base))))
                found |= {
                    f"{base.__qualname__}.{name} (in {cls.__qualname__}) shadows {other.__qualname__}'s"
                    for name in mine
                    for other in theirs
                    if name in _class_defines(other)
                }
    assert found == set(), "\n".join(sorted(found))


def test_probes_type_check_strictly() -> None:
    """``mypy`` as configured in pyproject.toml: ``--strict`` on ``perftop.probes``."""
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout

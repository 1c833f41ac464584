"""The architecture's rules, enforced: import-linter contracts and ruff."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

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
    assert layers["layers"][:2] == ["cli", "app"] and layers["layers"][-1] == "tuning"
    assert any(c["type"] == "acyclic_siblings" and c["ancestors"] == ["perftop.tui"] for c in contracts)

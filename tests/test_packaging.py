"""perftop installs as one ``perftop`` package and runs from anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("how", ["python -m perftop", "perftop script"])
def test_perftop_runs_from_a_directory_outside_the_checkout(how: str, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("perftop")
    if how == "perftop script" and not script.exists():
        pytest.skip("the perftop script is not installed beside this Python (pip install -e .)")
    argv = [sys.executable, "-m", "perftop"] if how == "python -m perftop" else [str(script)]
    done = subprocess.run([*argv, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("perftop ")


def test_the_wheel_holds_one_top_level_package_with_every_module(tmp_path: Path) -> None:
    """Built offline with the installed setuptools: no generic top-level name (``probes``, ``tui``) beside
    perftop's own, and every module and stylesheet of the three folders inside it."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("perftop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names if not name.startswith("perftop-")} == {"perftop"}
    expected = {
        f"perftop/{path.relative_to(ROOT)}"
        for folder in ("probes", "tui", "widgets")
        for path in (ROOT / folder).iterdir()
        if path.suffix in (".py", ".tcss")
    }
    assert expected <= set(names)
    assert {"perftop/__init__.py", "perftop/__main__.py"} <= set(names)

"""A /proc mounted with hidepid=2 (other users' processes hidden): perftop shows what it may see, no more.

Run in a private mount namespace (``unshare -m``) as uid 65534, so the machine's /proc is left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a procfs needs root"),
    pytest.mark.skipif(not (shutil.which("unshare") and shutil.which("setpriv")), reason="needs util-linux"),
]

ROOT = Path(__file__).resolve().parents[1]
AS_NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
MOUNT = 'mount -t proc -o hidepid=2 proc "$1" && shift && exec "$@"'


@pytest.fixture
def mount_point() -> Iterator[Path]:
    """An empty folder uid 65534 can reach (pytest's temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="perftop-hidepid-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        folder.rmdir()


def _perftop_on_hidepid(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "perftop.tui.cli", "--procfs", str(root), *args]
    reachable = subprocess.run([*AS_NOBODY, *command[:3], "--version"], capture_output=True, cwd=ROOT)
    if reachable.returncode != 0:
        pytest.skip("this checkout or its Python cannot be run by uid 65534")
    result = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            MOUNT,
            "sh",
            str(root),
            *AS_NOBODY,
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    if result.returncode != 0 and result.stderr.startswith("mount"):
        pytest.skip(f"cannot mount a procfs here: {result.stderr.strip()}")
    return result


def test_json_lists_only_the_processes_hidepid_lets_it_see(mount_point: Path) -> None:
    result = _perftop_on_hidepid(mount_point, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    # Only perftop itself runs as uid 65534 in there; every other process is hidden, PID 1 included.
    assert [p["user"] for p in doc["processes"]] == ["nobody"]
    assert all(p["pid"] != 1 for p in doc["processes"])
    assert doc["cpu"]["per_cpu"]  # the system files stay readable


def test_a_hidden_pid_is_an_argument_error(mount_point: Path) -> None:
    result = _perftop_on_hidepid(mount_point, "--json", "--pid", "1")
    assert result.returncode == 2
    assert "no process 1" in result.stderr and "Traceback" not in result.stderr

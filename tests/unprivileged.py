"""Running part of a test as a user who is really unprivileged, for the refused paths of the tuning keys."""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Callable
from typing import Any

import pytest

NOBODY = 65534


def run_as_nobody(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``work()`` in a forked child that dropped to uid/gid 65534 (which clears every capability) with
    RLIMIT_NICE and RLIMIT_RTPRIO 0 (lowering one's own limits needs no privilege); what it returned (JSON),
    with ``uid``. An exception in the child fails the test. Skips unless root.

    Forked rather than exec'd, because the interpreter may live where 65534 cannot enter (a pyenv under
    /root); for the same reason the standard library's modules that asyncio loads on first use (its thread
    pool) are loaded before the fork. Children that ``work`` starts inherit those limits.
    """
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    import concurrent.futures.thread  # noqa: F401

    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            resource.setrlimit(resource.RLIMIT_NICE, (0, 0))
            resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))
            payload = {**work(), "uid": os.geteuid()}
        except BaseException as exc:  # reported to the parent: never pytest's teardown in the child
            payload = {"error": repr(exc)}
        with os.fdopen(wfd, "w") as pipe:
            pipe.write(json.dumps(payload))
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as pipe:
        out: dict[str, Any] = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert "error" not in out, out["error"]
    assert out["uid"] == NOBODY
    return out

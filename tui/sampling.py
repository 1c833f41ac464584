"""The App's sampling thread: takes each sample on a thread of its own and hands it to the event loop.

A sample through ``asyncio.to_thread`` woke the event loop twice (the timer, then the result) and went through
a task, an executor's future and an asyncio future: a noticeable part of a sample's cost. This thread keeps
the cadence itself: it sleeps until the next sample is due, takes it, wakes the loop once with it, and sleeps
again. A sample is taken only once the last one has been shown, so samples never overlap and never pile up
behind a busy loop, however slow one is.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")

#: Seconds ``stop`` waits for a sample under way to end.
STOP_WAIT_SECONDS = 2.0


class SamplingThread(Generic[_T]):
    """Calls ``take()`` on a daemon thread and hands what it returns to ``deliver`` on ``loop`` (an error
    to ``fail``, after which the thread ends).

    The first sample is taken when :meth:`schedule` says; each next one ``next_delay(result)`` seconds
    after the last was taken, and never before the owner has called :meth:`shown` for the last. A
    :meth:`schedule` moves the next sample (sooner or later) from wherever it was.
    """

    def __init__(
        self,
        take: Callable[[], _T],
        deliver: Callable[[_T], None],
        fail: Callable[[Exception], None],
        next_delay: Callable[[_T], float],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._take = take
        self._deliver = deliver
        self._fail = fail
        self._next_delay = next_delay
        self._loop = loop
        self._wake = threading.Condition(threading.Lock())
        #: Monotonic time the next sample is due (None: not yet scheduled).
        self._due: float | None = None
        #: False from a sample's start until the owner has shown it.
        self._shown = True
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="perftop-sampler", daemon=True)
        self._thread.start()

    def schedule(self, delay: float) -> None:
        """Take the next sample ``delay`` seconds from now (once the last one is shown)."""
        with self._wake:
            self._due = time.monotonic() + delay
            self._wake.notify()

    def shown(self) -> None:
        """The owner has shown the last sample: the next one may be taken when due."""
        with self._wake:
            self._shown = True
            # The thread sleeps until the next sample is due; it waits on this only past that time.
            if self._due is not None and self._due <= time.monotonic():
                self._wake.notify()

    def stop(self) -> None:
        """End the thread, after the sample under way if any (idempotent)."""
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(STOP_WAIT_SECONDS)

    def _run(self) -> None:
        wake = self._wake
        while True:
            with wake:
                while not self._stopped:
                    due = self._due
                    left = None if due is None else due - time.monotonic()
                    if left is not None and left <= 0:
                        if self._shown:
                            break
                        left = None  # due: wait for the last sample to be shown
                    wake.wait(left)
                if self._stopped:
                    return
                self._due, self._shown = None, False
            try:
                result = self._take()
            except Exception as error:  # handed to the owner, as a timer hands its error
                self._hand_over(self._fail, error)
                return
            if not self._hand_over(self._deliver, result):
                return
            delay = self._next_delay(result)
            with wake:
                if self._due is None:  # unless a schedule() moved it meanwhile
                    self._due = time.monotonic() + delay

    def _hand_over(self, callback: Callable[[Any], None], value: object) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, value)
        except RuntimeError:  # the loop is closed: the App is gone
            return False
        return True

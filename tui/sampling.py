"""The App's sampling thread: takes each sample on a thread of its own and hands it to the event loop.

A sample through ``asyncio.to_thread`` woke the event loop twice (the timer, then the result) and went
through a task, an executor's future and an asyncio future: ~0.4 ms of CPU a sample here, on a budget of
~10 ms. This thread sleeps until the next sample is due, takes it, and wakes the loop once, with the
snapshot. The App re-arms it after each snapshot is shown, so samples never overlap and never pile up
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
    """Calls ``take()`` on a daemon thread whenever :meth:`schedule` says, and hands what it returns to
    ``deliver`` on ``loop`` (an error to ``fail``, after which the thread ends).

    Each :meth:`schedule` asks for one sample; another :meth:`schedule` before it is taken moves it. A
    call while a sample is under way, or taken and not yet delivered, is ignored: the owner re-arms the
    thread once it has the sample, as a one-shot timer is re-armed.
    """

    def __init__(
        self,
        take: Callable[[], _T],
        deliver: Callable[[_T], None],
        fail: Callable[[Exception], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._take = take
        self._deliver = deliver
        self._fail = fail
        self._loop = loop
        self._wake = threading.Condition(threading.Lock())
        #: Monotonic time the next sample is due (None: none asked for).
        self._due: float | None = None
        #: True from the start of a sample until the owner's next :meth:`schedule` after its delivery.
        self._busy = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="perftop-sampler", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a sample is under way or on its way to ``deliver``."""
        return self._busy

    def schedule(self, delay: float) -> bool:
        """Take the next sample ``delay`` seconds from now. False (nothing changes) while :attr:`busy`."""
        with self._wake:
            if self._busy or self._stopped:
                return False
            self._due = time.monotonic() + delay
            self._wake.notify()
            return True

    def delivered(self, delay: float) -> None:
        """The owner has the last sample: take the next one ``delay`` seconds from now."""
        with self._wake:
            self._busy = False
        self.schedule(delay)

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
                    left = None if self._due is None else self._due - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    wake.wait(left)
                if self._stopped:
                    return
                self._due, self._busy = None, True
            try:
                result = self._take()
            except Exception as error:  # handed to the owner, as a timer hands its error
                self._hand_over(self._fail, error)
                return
            if not self._hand_over(self._deliver, result):
                return

    def _hand_over(self, callback: Callable[[Any], None], value: object) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, value)
        except RuntimeError:  # the loop is closed: the App is gone
            return False
        return True

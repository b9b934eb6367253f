"""Background work for the widgets: the kernel stays responsive while a search, a signature or a
computation runs, and any error goes to a :class:`~dinamis_widgets.ui.status.StatusBar`.

Widget callbacks run on the kernel's main thread; a long call there freezes every widget of the notebook.
:class:`TaskRunner` runs the call in a daemon thread and hands its result to a callback; tests (and
notebooks) can :meth:`TaskRunner.wait` for it.

Examples
--------
>>> from dinamis_widgets.ui.status import StatusBar
>>> runner = TaskRunner(StatusBar())
>>> box = []
>>> _ = runner.run(lambda: 6 * 7, on_done=box.append)
>>> runner.wait(5), box
(True, [42])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .status import StatusBar

__all__ = ["TaskRunner", "wait_until"]

T = TypeVar("T")


class TaskRunner:
    """Run callables in background threads, one generation at a time.

    Parameters
    ----------
    status
        Where errors (and the busy message) are shown.
    name
        Prefix of the threads' names (shown by debuggers).

    Notes
    -----
    Each :meth:`run` starts a new *generation*; the result of an older one that finishes late is dropped
    (a search started twice shows the last one only).
    """

    def __init__(self, status: StatusBar, name: str = "dinamis-ui") -> None:
        self.status = status
        self.name = name
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._generation = 0

    @property
    def running(self) -> bool:
        """Whether a task is under way."""
        with self._lock:
            self._threads = [th for th in self._threads if th.is_alive()]
            return bool(self._threads)

    def run(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None, *,
            busy: str | None = None, on_finally: Callable[[], None] | None = None,
            exclusive: bool = True) -> threading.Thread:
        """Start ``fn()`` in a thread; call ``on_done(result)`` there when it succeeds.

        Parameters
        ----------
        fn
            The work (no argument).
        on_done
            Called with the result (skipped when a newer exclusive task started meanwhile).
        busy
            Message shown while the task runs.
        on_finally
            Called at the end in every case (re-enable buttons...).
        exclusive
            Start a new generation: results of older tasks are dropped.

        Returns
        -------
        threading.Thread
        """
        with self._lock:
            if exclusive:
                self._generation += 1
            generation = self._generation
        if busy:
            self.status.busy(busy)

        def target() -> None:
            try:
                result = fn()
                if on_done is not None and (not exclusive or generation == self._generation):
                    on_done(result)
            except Exception as exc:
                if not exclusive or generation == self._generation:
                    self.status.report(exc)
            finally:
                if on_finally is not None:
                    try:
                        on_finally()
                    except Exception as exc:
                        self.status.report(exc)

        thread = threading.Thread(target=target, name=f"{self.name}-{generation}", daemon=True)
        with self._lock:
            self._threads = [th for th in self._threads if th.is_alive()] + [thread]
        thread.start()
        return thread

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until every task has finished; return False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = [th for th in self._threads if th.is_alive()]
            if not threads:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            threads[0].join(min(left, 0.5))


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; return its last truth value.

    Examples
    --------
    >>> wait_until(lambda: True)
    True
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(interval)

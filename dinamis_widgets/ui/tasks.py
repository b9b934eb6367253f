"""Background work for the widgets, and the rule that brings its results back to them.

Widget callbacks run on the kernel's main thread; a long call there freezes every widget of the notebook.
:class:`TaskRunner` runs the call (a search, a signature, a load, an NDVI, a download) in a daemon thread.

**The rule: widgets and their traits are changed on the thread that built them, by its event loop.**
A worker thread never sets a trait. It hands its result (and its progress, and the final
"re-enable the button") to a :class:`MainLoop`, which applies it on the thread that built the widget:

- In a notebook (ipykernel, Voilà), cells and widget callbacks run inside the kernel's asyncio loop on its
  main thread. The loop running when the widget is built is captured, and results are handed over with
  :meth:`asyncio.AbstractEventLoop.call_soon_threadsafe`: observers run on the main thread, between two
  messages of the kernel, never in the middle of a cell.
- :meth:`TaskRunner.wait` called on that thread (``explorer.wait()`` in a cell) waits for the threads and
  then applies what they handed over itself, so the next line of the cell sees the results.
- Outside an event loop (a script, plain pytest) there is no loop to hand over to: the update is applied
  at once in the worker thread, one at a time (under a lock), and :meth:`TaskRunner.wait` still returns
  once it is applied.

Examples
--------
>>> from dinamis_widgets.ui.status import StatusBar
>>> runner = TaskRunner(StatusBar())
>>> box = []
>>> _ = runner.run(lambda: 6 * 7, on_done=box.append)
>>> runner.wait(5), box
(True, [42])

Inside a running loop, the result reaches the callback on the loop's thread:

>>> import asyncio, threading
>>> async def main():
...     runner = TaskRunner(StatusBar())
...     seen = []
...     _ = runner.run(lambda: 42, on_done=lambda v: seen.append((v, threading.current_thread().name)))
...     while not seen:
...         await asyncio.sleep(0.01)
...     return seen
>>> asyncio.run(main()) == [(42, threading.current_thread().name)]
True
"""

from __future__ import annotations

import asyncio
import collections
import functools
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .status import StatusBar, log

__all__ = ["MainLoop", "TaskRunner", "main_loop", "wait_until"]

T = TypeVar("T")

#: Serialises the updates applied from worker threads when there is no event loop to hand them to.
_UI_LOCK = threading.RLock()


class MainLoop:
    """Where the results of background work are applied: the thread that built the widgets.

    Parameters
    ----------
    loop
        The asyncio loop running on that thread, or None (no loop: updates are applied at once, in the
        calling thread, under a lock).
    thread_id
        :func:`threading.get_ident` of that thread.

    Notes
    -----
    Use :func:`main_loop` rather than this constructor: there is one instance per loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None, thread_id: int) -> None:
        self.loop = loop
        self.thread_id = thread_id
        self._lock = threading.Lock()
        self._pending: collections.OrderedDict[Hashable, Callable[[], None]] = collections.OrderedDict()
        self._scheduled = False
        self._count = 0

    @property
    def on_loop_thread(self) -> bool:
        """Whether the caller runs on the thread that owns the widgets."""
        return threading.get_ident() == self.thread_id

    @property
    def pending(self) -> int:
        """How many updates wait for the loop."""
        with self._lock:
            return len(self._pending)

    def post(self, fn: Callable[[], None], key: Hashable | None = None) -> None:
        """Apply ``fn()`` on the loop's thread: at once when called there, else as soon as the loop can.

        ``key``: a later update with the same key replaces an earlier one still waiting (progress bars).
        Without a loop, ``fn()`` runs at once in the calling thread, one update at a time.
        """
        if self.on_loop_thread:
            self._apply(fn)
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            with _UI_LOCK:
                self._apply(fn)
            return
        with self._lock:
            if key is None:
                self._count += 1
                key = ("update", self._count)
            self._pending.pop(key, None)
            self._pending[key] = fn
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            try:
                loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the loop closed meanwhile: nobody else will apply them
                with _UI_LOCK:
                    self.drain()

    def drain(self) -> None:
        """Apply the updates waiting (in the order posted). Called by the loop, or by :meth:`TaskRunner.wait`
        on the loop's thread."""
        while True:
            with self._lock:
                if not self._pending:
                    self._scheduled = False
                    return
                _, fn = self._pending.popitem(last=False)
            self._apply(fn)

    @staticmethod
    def _apply(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # an update must not kill the loop; the components report their own errors
            log.error("Error while updating a widget: %s", exc, exc_info=exc)


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MainLoop] = weakref.WeakKeyDictionary()
_NO_LOOP: dict[int, MainLoop] = {}
_LOOPS_LOCK = threading.Lock()


def main_loop() -> MainLoop:
    """The :class:`MainLoop` of the calling thread: its running asyncio loop (the kernel's, in a notebook),
    or none (updates then apply at once). Call it where widgets are built."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    with _LOOPS_LOCK:
        if loop is None:
            return _NO_LOOP.setdefault(threading.get_ident(), MainLoop(None, threading.get_ident()))
        found = _LOOPS.get(loop)
        if found is None:
            found = _LOOPS[loop] = MainLoop(loop, threading.get_ident())
        return found


class TaskRunner:
    """Run callables in background threads, one generation at a time; apply their results on the main loop.

    Parameters
    ----------
    status
        Where errors (and the busy message) are shown.
    name
        Prefix of the threads' names (shown by debuggers).

    Attributes
    ----------
    loop : MainLoop
        Captured when the runner is built (so build it where its widget is built).

    Notes
    -----
    Each :meth:`run` starts a new *generation*; the result of an older one that finishes late is dropped
    (a search started twice shows the last one only).
    """

    def __init__(self, status: StatusBar, name: str = "dinamis-ui") -> None:
        self.status = status
        self.name = name
        self.loop = main_loop()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._generation = 0

    @property
    def running(self) -> bool:
        """Whether a task is under way (or its result waits for the loop)."""
        return bool(self._alive()) or (self.loop.loop is not None and self.loop.pending > 0)

    @property
    def idle(self) -> bool:
        """Whether no task's thread is running (a result it handed over may still wait for the loop:
        :attr:`running` counts those too; :meth:`wait` applies them)."""
        return not self._alive()

    @property
    def settled(self) -> bool:
        """Whether no task's thread is running and, on the loop's thread, no result of theirs waits to be
        applied (as :meth:`wait` leaves it; from another thread, only the threads count). A waiter for
        several runners sharing the loop checks it after waiting for each: one's result may start
        another's task."""
        return self.idle and not (self.loop.on_loop_thread and self.loop.pending)

    def _alive(self) -> list[threading.Thread]:
        with self._lock:
            self._threads = [th for th in self._threads if th.is_alive()]
            return list(self._threads)

    def post(self, fn: Callable[..., None], *args: Any, key: Hashable | None = None) -> None:
        """Apply ``fn(*args)`` on the main loop (from a worker thread: progress, messages).

        ``key`` coalesces: only the last update with a key still waiting is applied.
        """
        self.loop.post(functools.partial(fn, *args), key=key)

    def run(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None, *,
            busy: str | None = None, on_finally: Callable[[], None] | None = None,
            exclusive: bool = True) -> threading.Thread:
        """Start ``fn()`` in a thread; call ``on_done(result)`` on the main loop when it succeeds.

        Parameters
        ----------
        fn
            The work (no argument). It must not touch widgets: it runs in a worker thread.
        on_done
            Called on the main loop with the result (skipped when a newer exclusive task started meanwhile).
        busy
            Message shown while the task runs.
        on_finally
            Called on the main loop at the end in every case (re-enable buttons...).
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

        def current() -> bool:
            return not exclusive or generation == self._generation

        def succeed(result: T) -> None:
            if on_done is not None and current():
                with self.status.guard():
                    on_done(result)

        def fail(exc: Exception) -> None:
            if current():
                self.status.report(exc)

        def finish() -> None:
            if on_finally is not None:
                with self.status.guard():
                    on_finally()

        def target() -> None:
            try:
                result = fn()
            except Exception as exc:
                self.loop.post(functools.partial(fail, exc))
            else:
                self.loop.post(functools.partial(succeed, result))
            finally:
                self.loop.post(finish)

        thread = threading.Thread(target=target, name=f"{self.name}-{generation}", daemon=True)
        with self._lock:  # started under the lock: a thread not yet started is not alive, and would be pruned
            self._threads = [th for th in self._threads if th.is_alive()] + [thread]
            thread.start()
        return thread

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until every task has finished and its result is applied; return False on timeout.

        On the main loop's thread (a notebook cell) the results waiting for the loop are applied here, so
        the cell's next line sees them; from another thread, only the threads are waited for.
        """
        deadline = time.monotonic() + timeout
        while True:
            finished = self.idle
            if self.loop.on_loop_thread:
                self.loop.drain()  # what finished threads handed over; it may start new tasks
            threads = self._alive()
            if finished and not threads:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if threads:
                threads[0].join(min(left, 0.05))


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

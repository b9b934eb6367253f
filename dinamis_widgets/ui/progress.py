"""Progress of a dask computation, reported to a callback (which moves an ``IntProgress``).

:class:`DaskProgress` is a :class:`dask.callbacks.Callback`: it counts the tasks of the graph being
computed and those finished, and calls ``report(done, total)`` at most every ``interval`` seconds (and
once at the end). It works with dask's local schedulers (threads, processes); with a ``dask.distributed``
client the computation runs elsewhere and only the final report is made.

Examples
--------
>>> import dask.array as da
>>> seen = []
>>> with DaskProgress(lambda done, total: seen.append((done, total)), interval=0):
...     _ = da.ones(8, chunks=2).sum().compute()
>>> seen[-1][0] == seen[-1][1] > 0
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from dask.callbacks import Callback

__all__ = ["DaskProgress"]


class DaskProgress(Callback):
    """Report ``(done, total)`` tasks of the dask computations run inside the ``with`` block.

    Parameters
    ----------
    report
        Called with the number of finished tasks and the number of tasks.
    interval
        Least seconds between two reports.
    """

    def __init__(self, report: Callable[[int, int], None], interval: float = 0.2) -> None:
        super().__init__()
        self.report = report
        self.interval = float(interval)
        self.done = 0
        self.total = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def _start_state(self, dsk: Any, state: Any) -> None:
        with self._lock:
            self.total = sum(len(state[k]) for k in ("ready", "waiting", "finished", "running") if k in state)
            self.done = len(state.get("finished", ()))
        self._emit(force=True)

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        with self._lock:
            self.done += 1
        self._emit()

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        if not errored:
            with self._lock:
                self.done = self.total
        self._emit(force=True)

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        with self._lock:
            done, total = self.done, self.total
        self.report(min(done, total), total)

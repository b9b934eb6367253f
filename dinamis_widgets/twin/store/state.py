"""Counters and faults of one object store, shared between the server's thread and its callers.

Examples
--------
>>> state = StoreState()
>>> state.record_request("GET", "/products/a.tif", has_range=True)
>>> state.record_status(206)
>>> state.record_bytes(1024)
>>> stats = state.stats()
>>> stats["requests"], stats["range_requests"], stats["bytes_served"], stats["by_status"]
(1, 1, 1024, {206: 1})
>>> state.record_bytes(10, status=200)
>>> state.stats()["bytes_by_status"]
{0: 1024, 200: 10}
>>> state.add_fault(Fault(kind="error", status=503, count=1, match="a.tif"))
>>> [f.kind for f in state.take_faults("/products/a.tif")], state.faults()
([<FaultKind.ERROR: 'error'>], [])
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from starlette.applications import Starlette

from .faults import Fault

__all__ = ["StoreState", "store_state"]


class StoreState:
    """Counters and faults of one store; safe to use from another thread than the server's.

    Counters cover object requests only, never the control routes. A request whose connection was
    reset before any answer is counted with status ``0``. The state also counts how many times each
    request (path and ``Range``) came, which is what faults with a ``probability`` draw from; :meth:`reset`
    sets that back to zero too, so a run after a reset meets the same faults as the run before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.reset()

    # counters ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Set every counter back to zero (faults are kept)."""
        with self._lock:
            self._requests = 0
            self._range_requests = 0
            self._bytes = 0
            self._bytes_by_status: Counter[int] = Counter()
            self._by_status: Counter[int] = Counter()
            self._by_method: Counter[str] = Counter()
            self._paths: Counter[str] = Counter()
            self._seen: Counter[tuple[str, str]] = Counter()
            self._faulted: Counter[str] = Counter()

    def record_request(self, method: str, path: str, *, has_range: bool) -> None:
        """Count one object request."""
        with self._lock:
            self._requests += 1
            self._by_method[method] += 1
            self._paths[path] += 1
            self._range_requests += int(has_range)

    def record_status(self, status: int) -> None:
        """Count one answer with ``status``."""
        with self._lock:
            self._by_status[status] += 1

    def record_bytes(self, n: int, *, status: int = 0) -> None:
        """Count ``n`` body bytes sent in an answer with ``status`` (``0``: not said)."""
        with self._lock:
            self._bytes += n
            self._bytes_by_status[status] += n

    def stats(self) -> dict[str, Any]:
        """Return a snapshot of the counters.

        Returns
        -------
        dict
            ``requests``, ``range_requests``, ``bytes_served`` (body bytes actually sent),
            ``bytes_by_status`` (the same, by the answers' status: ``206`` counts the bytes
            clients asked for with ``Range``, while a ``200`` that a client abandons after its
            headers, as GDAL does to learn a size, counts whatever the kernel's socket buffers took
            before the client closed, which depends on the machine and its load),
            ``by_status`` (status to count), ``by_method``, ``paths`` (decoded path to count) and
            ``faults`` (kind of fault to the number of requests it was applied to).
        """
        with self._lock:
            return {
                "requests": self._requests,
                "range_requests": self._range_requests,
                "bytes_served": self._bytes,
                "bytes_by_status": dict(self._bytes_by_status),
                "by_status": dict(self._by_status),
                "by_method": dict(self._by_method),
                "paths": dict(self._paths),
                "faults": dict(self._faulted),
            }

    # faults --------------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Add a fault after the current ones."""
        with self._lock:
            self._faults.append(fault)

    def set_faults(self, faults: list[Fault]) -> None:
        """Replace every fault."""
        with self._lock:
            self._faults = list(faults)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self.set_faults([])

    def faults(self) -> list[Fault]:
        """Return the active faults (``count`` is what remains)."""
        with self._lock:
            return list(self._faults)

    def take_faults(self, path: str, range_header: str = "") -> list[Fault]:
        """Return the faults that apply to a request on ``path``, and use up their counts.

        Faults are taken in order; a fault with a ``probability`` is taken when its draw for this
        request says so (:meth:`Fault.draws`); the first terminal one (error, reset before answering)
        ends the list, so later faults keep their counts.
        """
        taken: list[Fault] = []
        with self._lock:
            n = self._seen[(path, range_header)]
            self._seen[(path, range_header)] += 1
            for fault in list(self._faults):
                if fault.match and fault.match not in path:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if not fault.draws(path, range_header, n):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                taken.append(fault)
                self._faulted[str(fault.kind)] += 1
                if fault.terminal:
                    break
        return taken


def store_state(app: Starlette) -> StoreState:
    """Return the :class:`StoreState` of an app made by :func:`create_store_app`."""
    state: StoreState = app.state.twin
    return state

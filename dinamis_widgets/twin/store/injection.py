"""Counters and faults around an ASGI app: the store's own, and the same for the signing service and the
STAC API (:class:`FaultyService`), so that tests can make any of the twin's services slow, failing or
cut off, at a rate.

Examples
--------
>>> from starlette.applications import Starlette
>>> from dinamis_widgets.twin.store import Fault
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> config = ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                         signing_url="http://127.0.0.1:9001/")
>>> service = FaultyService(Starlette(), config, name="signing")
>>> service.state.add_fault(Fault(kind="error", status=500, probability=0.05))
>>> [f.probability for f in service.state.faults()]
[0.05]
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import ServicesConfig
from .connection import Connection, ConnectionKilledError, ResponseTap
from .control import CONTROL_PREFIX, fault_routes
from .faults import FaultKind
from .state import StoreState

__all__ = ["FaultyService", "serve_with_faults"]

#: Builds the answer of an ``error`` fault: (status, Retry-After or None, request path) -> response.
ErrorAnswer = Callable[[int, "int | None", str], Response]


async def serve_with_faults(app: Callable[[Scope, Receive, Send], Awaitable[None]], scope: Scope,
                            receive: Receive, send: Send, state: StoreState, error: ErrorAnswer) -> None:
    """Serve one HTTP request with ``app``, counted in ``state`` and with the faults it draws.

    Latency is waited first; a terminal fault (``error``, ``reset`` before the answer) answers in place
    of ``app``; the others (``reset``/``truncate`` after some bytes, ``throttle``) act on its answer.
    """
    headers = dict(scope["headers"])
    method = scope["method"]
    state.record_request(method, scope["path"], has_range=b"range" in headers)
    faults = state.take_faults(scope["path"], headers.get(b"range", b"").decode("latin-1"))
    delay = sum(f.seconds for f in faults if f.kind is FaultKind.LATENCY)
    if delay:
        await asyncio.sleep(delay)
    connection = Connection(send)
    if faults and faults[-1].terminal:
        fault = faults[-1]
        if fault.kind is FaultKind.RESET:
            state.record_status(0)
            connection.reset()
            await connection.wait_closed()
            return
        response = error(fault.status, fault.retry_after, scope["path"])
        state.record_status(fault.status)
        if method != "HEAD":
            state.record_bytes(len(response.body), status=fault.status)
        await response(scope, receive, send)
        return
    tap = ResponseTap(send, state, faults, connection, count_body=method != "HEAD")
    try:
        await app(scope, receive, tap)
    except ConnectionKilledError:
        raise
    except Exception:
        if not tap.dead:
            raise
    if tap.dead:
        await connection.wait_closed()


def json_error(status: int, retry_after: int | None, path: str) -> Response:
    """The JSON error answer (``{"detail": ...}``, as FastAPI's) of an ``error`` fault."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    body = {"detail": f"Injected fault: HTTP {status} on {path} (twin)"}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


class FaultyService:
    """An ASGI app wrapped in counters and faults, with the store's fault routes.

    ``GET|POST|DELETE /_twin/faults`` (header ``x-twin-admin``) drive the faults as on the store; every
    other path outside ``/_twin/`` is served through :func:`serve_with_faults`, with JSON error answers.

    Parameters
    ----------
    app
        The service (the signing service's FastAPI app, the STAC API).
    config
        The twin's configuration (its admin token).
    name
        The service's name, for messages.
    """

    def __init__(self, app: ASGIApp, config: ServicesConfig, *, name: str) -> None:
        self.app = app
        self.name = name
        self.state = StoreState()
        self._control = Starlette(routes=fault_routes())
        self._control.state.twin = self.state
        self._control.state.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"].startswith(CONTROL_PREFIX + "faults"):
            await self._control(scope, receive, send)
        elif scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
        else:
            await serve_with_faults(self.app, scope, receive, send, self.state, json_error)

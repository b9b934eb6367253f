"""The object store's ASGI app: object requests wrapped in counters and faults, and control routes.

Examples
--------
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> config = ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                         signing_url="http://127.0.0.1:9001/")
>>> app = create_store_app(config)
>>> store_state(app).stats()["requests"]
0
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..config import ServicesConfig
from ..sigv4 import install_log_masking
from .connection import Connection, ConnectionKilledError, ResponseTap
from .control import CONTROL_PREFIX, control_routes
from .faults import Fault, FaultKind
from .objects import OBJECT_METHODS, serve_object
from .s3_errors import ERROR_CODES, s3_error
from .state import StoreState, store_state

__all__ = ["create_store_app", "store_state"]


class _StoreApp(Starlette):
    """The store's Starlette app, with counters and faults wrapped around object requests."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await super().__call__(scope, receive, send)
            return
        await self._instrumented(scope, receive, send)

    async def _instrumented(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an object request with counters and faults."""
        state: StoreState = self.state.twin
        headers = dict(scope["headers"])
        method = scope["method"]
        state.record_request(method, scope["path"], has_range=b"range" in headers)
        faults = state.take_faults(scope["path"])
        delay = sum(f.seconds for f in faults if f.kind is FaultKind.LATENCY)
        if delay:
            await asyncio.sleep(delay)
        connection = Connection(send)
        if faults and faults[-1].terminal:
            await self._terminal_fault(faults[-1], scope, receive, send, connection)
            return
        tap = ResponseTap(send, state, faults, connection, count_body=method != "HEAD")
        try:
            await super().__call__(scope, receive, tap)
        except ConnectionKilledError:
            raise
        except Exception:
            if not tap.dead:
                raise
        if tap.dead:
            await connection.wait_closed()

    async def _terminal_fault(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, connection: Connection
    ) -> None:
        """Answer an error, or reset the connection, in place of the store."""
        state: StoreState = self.state.twin
        if fault.kind is FaultKind.RESET:
            state.record_status(0)
            connection.reset()
            await connection.wait_closed()
            return
        code, message = ERROR_CODES.get(fault.status, ("ServiceUnavailable", "Service unavailable."))
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        response = s3_error(code, message, fault.status, scope["path"], headers)
        state.record_status(fault.status)
        if scope["method"] != "HEAD":
            state.record_bytes(len(response.body))
        await response(scope, receive, send)


def create_store_app(config: ServicesConfig, state: StoreState | None = None) -> Starlette:
    """Create the object store.

    Parameters
    ----------
    config
        ``data_root`` (served folder), ``data_url`` (its host is the only one accepted),
        ``storage_access_key``/``storage_secret_key`` (to check signatures), ``public_buckets`` and
        ``admin_token`` (control routes).
    state
        Counters and faults; a new :class:`StoreState` by default. Also reachable as
        ``store_state(app)``.

    Returns
    -------
    starlette.applications.Starlette
        The ASGI app. Control routes: ``GET /_twin/health`` (no authentication); with the header
        ``x-twin-admin: <admin token>``: ``GET /_twin/stats``, ``POST /_twin/stats/reset``,
        ``GET|POST|DELETE /_twin/faults``. Everything else is an object path.
    """
    install_log_masking()
    routes = [
        *control_routes(),
        Route("/{path:path}", serve_object, methods=OBJECT_METHODS),
    ]
    app = _StoreApp(routes=routes)
    app.state.config = config
    app.state.root = Path(config.data_root).resolve()
    app.state.twin = state if state is not None else StoreState()
    return app

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

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..config import ServicesConfig
from ..sigv4 import install_log_masking
from .control import CONTROL_PREFIX, control_routes
from .injection import serve_with_faults
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
        await serve_with_faults(super().__call__, scope, receive, send, self.state.twin, _s3_fault)


def _s3_fault(status: int, retry_after: int | None, path: str) -> Response:
    """The S3 error document an ``error`` fault answers."""
    code, message = ERROR_CODES.get(status, ("ServiceUnavailable", "Service unavailable."))
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return s3_error(code, message, status, path, headers)


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

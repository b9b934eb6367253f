"""Control routes of the store under ``/_twin/``: health, statistics and faults.

``GET /_twin/health`` needs no authentication; the others need the header ``x-twin-admin`` with the
twin's admin token: ``GET /_twin/stats``, ``POST /_twin/stats/reset``, ``GET|POST|DELETE /_twin/faults``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..config import ADMIN_HEADER
from .faults import Fault
from .state import store_state

__all__ = ["CONTROL_PREFIX", "control_routes", "fault_routes"]

#: Prefix of the control routes (statistics, faults, health).
CONTROL_PREFIX = "/_twin/"


def _is_admin(request: Request) -> bool:
    """Whether the request carries the admin token (constant-time comparison)."""
    token = request.headers.get(ADMIN_HEADER, "")
    expected: str = request.app.state.config.admin_token
    return hmac.compare_digest(token.encode(), expected.encode())


def _admin_only(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a control route so that it answers 403 without the admin header."""

    async def guarded(request: Request) -> Response:
        if not _is_admin(request):
            return JSONResponse(
                {"detail": f"control routes need the header {ADMIN_HEADER}: <admin token>"},
                status_code=403,
            )
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


async def _health(request: Request) -> Response:
    """``GET /_twin/health``: liveness, without authentication."""
    return JSONResponse({"status": "ok", "service": "store"})


async def _get_stats(request: Request) -> Response:
    """``GET /_twin/stats``: the counters."""
    return JSONResponse(store_state(request.app).stats())


async def _reset_stats(request: Request) -> Response:
    """``POST /_twin/stats/reset``: counters back to zero."""
    state = store_state(request.app)
    state.reset()
    return JSONResponse(state.stats())


async def _get_faults(request: Request) -> Response:
    """``GET /_twin/faults``: the active faults."""
    return JSONResponse({"faults": [f.to_dict() for f in store_state(request.app).faults()]})


async def _post_faults(request: Request) -> Response:
    """``POST /_twin/faults``: add faults.

    The body is one fault (``{"kind": "error", "status": 503, "count": 2, "match": "SCENE1"}``) or
    ``{"faults": [...], "replace": true}``; ``replace`` (default false) removes the others first.
    """
    state = store_state(request.app)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        replace = bool(body.pop("replace", False))
        items = body.get("faults", [body])
        new = [Fault.from_dict(dict(item)) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        return JSONResponse({"detail": f"invalid fault: {exc}"}, status_code=400)
    if replace:
        state.set_faults(new)
    else:
        for fault in new:
            state.add_fault(fault)
    return await _get_faults(request)


async def _delete_faults(request: Request) -> Response:
    """``DELETE /_twin/faults``: remove every fault."""
    store_state(request.app).clear_faults()
    return await _get_faults(request)


def fault_routes() -> list[Route]:
    """``GET|POST|DELETE /_twin/faults`` (also mounted on the signing service and the STAC API)."""
    return [
        Route(CONTROL_PREFIX + "faults", _admin_only(_get_faults), methods=["GET"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_post_faults), methods=["POST"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_delete_faults), methods=["DELETE"]),
        Route(CONTROL_PREFIX + "faults/stats", _admin_only(_get_stats), methods=["GET"]),
        Route(CONTROL_PREFIX + "faults/stats/reset", _admin_only(_reset_stats), methods=["POST"]),
    ]


def control_routes() -> list[Route]:
    """Return the control routes, to put before the object route."""
    return [
        Route(CONTROL_PREFIX + "health", _health, methods=["GET"]),
        Route(CONTROL_PREFIX + "stats", _admin_only(_get_stats), methods=["GET"]),
        Route(CONTROL_PREFIX + "stats/reset", _admin_only(_reset_stats), methods=["POST"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_get_faults), methods=["GET"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_post_faults), methods=["POST"]),
        Route(CONTROL_PREFIX + "faults", _admin_only(_delete_faults), methods=["DELETE"]),
    ]

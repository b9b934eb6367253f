"""Control routes of the signing service under ``/_twin/``: health, statistics, device approval."""

# No ``from __future__ import annotations``: FastAPI must resolve the annotations of routes defined
# in closures, whose dependencies are local variables.

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from pydantic import BaseModel

from .auth import require_admin
from .state import signing_state

__all__ = ["add_control_routes"]


class _Approval(BaseModel):
    user_code: str
    username: str | None = None
    deny: bool = False


class _AutoApprove(BaseModel):
    enabled: bool = True
    username: str | None = None


class _TokenOrder(BaseModel):
    username: str
    client_id: str = "gdal"


def add_control_routes(app: FastAPI) -> None:
    """Control routes under ``/_twin/``."""
    admin = [Depends(require_admin)]

    @app.get("/_twin/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": "signing"}

    @app.get("/_twin/stats", dependencies=admin, include_in_schema=False)
    async def stats(request: Request) -> dict[str, Any]:
        return signing_state(request.app).stats()

    @app.post("/_twin/stats/reset", dependencies=admin, include_in_schema=False)
    async def reset(request: Request) -> dict[str, Any]:
        state = signing_state(request.app)
        state.reset()
        return state.stats()

    @app.post("/_twin/device/approve", dependencies=admin, include_in_schema=False)
    async def approve(request: Request, order: _Approval) -> dict[str, Any]:
        idp = signing_state(request.app).idp
        if not idp.approve(order.user_code, order.username, deny=order.deny):
            raise HTTPException(404, detail=f"No pending sign-in has code {order.user_code!r}")
        return {"user_code": order.user_code, "status": "denied" if order.deny else "approved"}

    @app.get("/_twin/device/pending", dependencies=admin, include_in_schema=False)
    async def pending(request: Request) -> list[dict[str, Any]]:
        return signing_state(request.app).idp.pending()

    @app.post("/_twin/auto_approve", dependencies=admin, include_in_schema=False)
    async def auto_approve(request: Request, order: _AutoApprove) -> dict[str, Any]:
        idp = signing_state(request.app).idp
        idp.set_auto_approve(order.enabled, order.username)
        return {"auto_approve": idp.settings.auto_approve,
                "username": idp.settings.default_username}

    @app.post("/_twin/tokens", dependencies=admin, include_in_schema=False)
    async def tokens(request: Request, order: _TokenOrder) -> dict[str, Any]:
        return signing_state(request.app).idp.issue_tokens(order.username, order.client_id)

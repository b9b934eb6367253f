"""HTTP routes of the emulated realm (device authorization, token, userinfo, discovery) and the
device approval page."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .protocol import DEVICE_GRANT_TYPE, OIDC_PREFIX, REALM, OAuthError
from .provider import IdentityProvider

__all__ = ["create_oidc_router"]


async def _form(request: Request) -> dict[str, str]:
    """Read an ``application/x-www-form-urlencoded`` body (first value of each field)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _bearer(request: Request) -> str | None:
    """Return the bearer token of a request, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _device_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A minimal HTML page (everything interpolated is escaped by the callers)."""
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}</body></html>",
        status_code=status,
    )


def create_oidc_router(idp: IdentityProvider) -> APIRouter:
    """Create the routes of the emulated realm and of the device approval page.

    Parameters
    ----------
    idp
        The provider.

    Returns
    -------
    fastapi.APIRouter
        ``POST {OIDC_PREFIX}/auth/device``, ``POST {OIDC_PREFIX}/token``,
        ``GET|POST {OIDC_PREFIX}/userinfo``, ``GET /auth/realms/dinamis/.well-known/
        openid-configuration``, and ``GET|POST /device`` (approval page). They are left out of the
        OpenAPI document: they belong to the identity provider, not to the signing service.
    """
    router = APIRouter(include_in_schema=False)

    @router.post(OIDC_PREFIX + "/auth/device")
    async def device_authorization(request: Request) -> Response:
        form = await _form(request)
        try:
            answer = idp.start_device_authorization(form.get("client_id", ""),
                                                    form.get("scope", "openid"))
        except OAuthError as exc:
            return exc.response()
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @router.post(OIDC_PREFIX + "/token")
    async def token(request: Request) -> Response:
        form = await _form(request)
        grant = form.get("grant_type", "")
        try:
            if grant == DEVICE_GRANT_TYPE:
                answer = idp.poll_device_token(form.get("client_id", ""),
                                               form.get("device_code", ""))
            elif grant == "refresh_token":
                answer = idp.refresh(form.get("client_id", ""), form.get("refresh_token", ""))
            else:
                raise OAuthError("unsupported_grant_type",
                                 f"grant_type must be {DEVICE_GRANT_TYPE} or refresh_token")
        except OAuthError as exc:
            return exc.response()
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @router.api_route(OIDC_PREFIX + "/userinfo", methods=["GET", "POST"])
    async def userinfo(request: Request) -> Response:
        token = _bearer(request)
        username = idp.user_of(token) if token else None
        if username is None:
            return OAuthError("invalid_token", "Token verification failed", 401).response()
        return JSONResponse(idp.userinfo(username))

    @router.get(f"/auth/realms/{REALM}/.well-known/openid-configuration")
    async def discovery() -> Response:
        base = idp.issuer + "/protocol/openid-connect"
        return JSONResponse({
            "issuer": idp.issuer,
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "device_authorization_endpoint": base + "/auth/device",
            "grant_types_supported": [DEVICE_GRANT_TYPE, "refresh_token"],
        })

    @router.get("/device")
    async def device_page(user_code: str = "") -> Response:
        code = html.escape(user_code)
        form = (
            "<form method='post' action='device'>"
            f"<label>Code <input name='user_code' value='{code}'></label> "
            "<label>User <input name='username' value=''></label> "
            "<button name='action' value='approve'>Approve</button> "
            "<button name='action' value='deny'>Deny</button></form>"
        )
        intro = "<p>Twin sign-in: no password. Approve to let the device sign URLs.</p>"
        return _device_page("Device sign-in", intro + form)

    @router.post("/device")
    async def device_decision(request: Request) -> Response:
        form = await _form(request)
        code = form.get("user_code", "")
        deny = form.get("action") == "deny"
        if not idp.approve(code, form.get("username") or None, deny=deny):
            return _device_page("Unknown code",
                                f"<p>No pending sign-in has code {html.escape(code)}.</p>", 404)
        word = "denied" if deny else "approved"
        return _device_page(f"Device {word}",
                            "<p>You can close this page and return to your notebook.</p>")

    return router

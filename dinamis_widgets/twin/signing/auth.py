"""Authentication of the signing service: API keys or OAuth2 bearer tokens; the admin header."""

# No ``from __future__ import annotations``: FastAPI must resolve the annotations of routes defined
# in closures, whose dependencies are local variables.

import hmac
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.exceptions import HTTPException
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from ..config import ADMIN_HEADER
from ..oauth import token_url
from .models import Principal
from .state import SigningState, signing_state

__all__ = ["make_authenticators", "require_admin"]


def _unauthorized(state: SigningState, reason: str) -> HTTPException:
    """A 401 that says how to authenticate."""
    state.count("auth_failures")
    detail = (
        f"{reason} Authenticate with an API key in the headers 'access-key' and 'secret-key', "
        f"or with 'authorization: bearer <access token>' from the OAuth2 device flow "
        f"(token URL {token_url(state.config.signing_url)})."
    )
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def make_authenticators(signing_url: str) -> tuple[Any, Any]:
    """Build the dependencies that authenticate a request (any method, or bearer only)."""
    oauth2 = OAuth2PasswordBearer(tokenUrl=token_url(signing_url), auto_error=False)
    access_key_header = APIKeyHeader(name="access-key", scheme_name="AccessKey", auto_error=False)
    secret_key_header = APIKeyHeader(name="secret-key", scheme_name="SecretKey", auto_error=False)

    def bearer_principal(state: SigningState, token: str | None) -> Principal | None:
        username = state.idp.user_of(token) if token else None
        return Principal(username, "bearer") if username else None

    async def any_principal(
        request: Request,
        token: Annotated[str | None, Security(oauth2)],
        access_key: Annotated[str | None, Security(access_key_header)],
        secret_key: Annotated[str | None, Security(secret_key_header)],
    ) -> Principal:
        state = signing_state(request.app)
        if access_key or secret_key:
            record = state.check_api_key(access_key or "", secret_key or "")
            if record is None:
                raise _unauthorized(state, "Invalid API key.")
            state.count("auth_api_key")
            return Principal(record.owner, "api_key", access_key)
        principal = bearer_principal(state, token)
        if principal is None:
            reason = "Invalid or expired access token." if token else "Not authenticated."
            raise _unauthorized(state, reason)
        state.count("auth_bearer")
        return principal

    async def bearer_only(
        request: Request, token: Annotated[str | None, Security(oauth2)]
    ) -> Principal:
        state = signing_state(request.app)
        principal = bearer_principal(state, token)
        if principal is None:
            reason = "Invalid or expired access token." if token else "Not authenticated."
            raise _unauthorized(state, reason + " API keys are managed with an OAuth2 token.")
        return principal

    return any_principal, bearer_only


def require_admin(request: Request) -> None:
    """Dependency of control routes: the ``x-twin-admin`` header (constant-time check)."""
    expected: str = signing_state(request.app).config.admin_token
    given = request.headers.get(ADMIN_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, detail=f"control routes need the header {ADMIN_HEADER}")

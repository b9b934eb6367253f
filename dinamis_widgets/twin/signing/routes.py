"""Routes of the signing service: ``POST /sign_urls`` and the API-key routes; validation errors."""

# No ``from __future__ import annotations``: FastAPI must resolve the annotations of routes defined
# in closures, whose dependencies are local variables.

from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..config import MAX_URLS_PER_REQUEST, ServicesConfig
from ..sigv4 import MAX_EXPIRES
from .models import Principal, SignRequest, SignResponse
from .state import signing_state

__all__ = ["add_api_key_routes", "add_signing_routes", "on_validation_error"]


def _validation_message(exc: RequestValidationError) -> str:
    """One line per problem: ``<where>: <message>``."""
    lines = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query"))
        msg = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            msg = "the body is not valid JSON"
        lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines) or "invalid request"


async def on_validation_error(request: Request, exc: Exception) -> Response:
    """422 with a plain-text ``detail`` (the SDK cannot read FastAPI's default list)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": "Invalid request: " + _validation_message(exc)},
                        status_code=422)


def _check_duration(duration: int | None, config: ServicesConfig) -> int:
    """Return the validity to grant, or raise 422/400 with a clear message."""
    if duration is None:
        return config.default_validity
    if duration <= 0:
        raise HTTPException(
            422, detail=f"duration_seconds must be a positive whole number of seconds, "
                        f"not {duration}"
        )
    top = min(config.max_validity, MAX_EXPIRES)
    if duration > top:
        raise HTTPException(
            400, detail=f"duration_seconds={duration} is above the maximum validity of "
                        f"{top} seconds ({top / 86400:g} days)"
        )
    return duration


def add_signing_routes(app: FastAPI, any_principal: Any) -> None:
    """``POST /sign_urls``."""

    async def count_request(request: Request) -> None:
        signing_state(request.app).count("sign_requests")

    @app.post("/sign_urls", response_model=SignResponse, tags=["signing"],
              summary="Sign URLs of the object store", dependencies=[Depends(count_request)])
    async def sign_urls(
        request: Request,
        principal: Annotated[Principal, Depends(any_principal)],
        body: Annotated[SignRequest | None, Body()] = None,
        urls: Annotated[list[str] | None, Query(description="Older clients: URLs")] = None,
        duration_seconds: Annotated[int | None, Query(description="Older clients")] = None,
    ) -> SignResponse:
        state = signing_state(request.app)
        wanted = body.urls if body is not None else urls
        if wanted is None:
            raise HTTPException(422, detail='No URLs: send {"urls": [...]} as JSON, or ?urls=...')
        if len(wanted) > MAX_URLS_PER_REQUEST:
            raise HTTPException(
                400, detail=f"Too many URLs: {len(wanted)}; at most {MAX_URLS_PER_REQUEST} per "
                            "request (send several requests)"
            )
        asked = duration_seconds
        if body is not None and body.duration_seconds is not None:
            asked = body.duration_seconds
        answer = state.sign(wanted, _check_duration(asked, state.config))
        state.count("sign_requests_ok")
        return answer


def add_api_key_routes(app: FastAPI, bearer_only: Any) -> None:
    """``create_api_key``, ``list_api_keys_with_metadata``, ``revoke_api_key``."""

    @app.get("/create_api_key", tags=["api keys"])
    async def create_api_key(
        request: Request,
        principal: Annotated[Principal, Depends(bearer_only)],
        description: str = "",
    ) -> dict[str, str]:
        ak, sk = signing_state(request.app).create_api_key(principal.username, description)
        return {"access-key": ak, "secret-key": sk}

    @app.get("/list_api_keys_with_metadata", tags=["api keys"])
    async def list_api_keys(
        request: Request, principal: Annotated[Principal, Depends(bearer_only)]
    ) -> list[dict[str, str]]:
        return signing_state(request.app).list_api_keys(principal.username)

    @app.get("/revoke_api_key", tags=["api keys"])
    async def revoke_api_key(
        request: Request, principal: Annotated[Principal, Depends(bearer_only)], access_key: str
    ) -> dict[str, str]:
        if not signing_state(request.app).revoke_api_key(principal.username, access_key):
            raise HTTPException(404, detail=f"You have no API key {access_key!r}")
        return {"access-key": access_key, "status": "revoked"}

"""Signing service of the twin: the protocol of ``signing.stac.teledetection.fr``, on 127.0.0.1.

Routes (the official ``teledetection`` SDK works against them unchanged):

- ``POST /sign_urls``: JSON ``{"urls": [...], "duration_seconds": N}``, or the same as query
  parameters (``?urls=..&urls=..&duration_seconds=N``, older clients). At most 64 URLs. Answers
  ``{"hrefs": {url: signed url}, "expiry": "<ISO 8601 with time zone>"}``. URLs of the store's host are
  presigned (SigV4, :func:`.sigv4.presign`, with the store's credentials; existing ``X-Amz-*``
  parameters are replaced); others are passed through unchanged. Validity defaults to
  ``config.default_validity``; ``duration_seconds`` not a positive whole number gives ``422``; above
  ``config.max_validity`` gives ``400``.
- ``GET /create_api_key?description=``, ``GET /list_api_keys_with_metadata``,
  ``GET /revoke_api_key?access_key=``: API keys of the user of a bearer token.
- Authentication: headers ``access-key``/``secret-key``, or ``authorization: bearer <token>`` from
  the emulated identity provider (:mod:`.oauth`), whose token URL ``openapi.json`` declares under
  ``components.securitySchemes.OAuth2PasswordBearer``. Failures are ``401`` with a ``detail`` saying
  how to authenticate.
- Control routes, header ``x-twin-admin``: ``GET /_twin/stats``, ``POST /_twin/stats/reset``,
  ``POST /_twin/device/approve``, ``GET /_twin/device/pending``, ``POST /_twin/auto_approve``,
  ``POST /_twin/tokens``; and ``GET /_twin/health`` without authentication.

Error bodies are always ``{"detail": "<text>"}`` (also for validation errors): the SDK passes the body
of an error to :func:`ast.literal_eval`, which JSON ``null``/``true`` would break.
"""

# No ``from __future__ import annotations``: FastAPI must resolve the annotations of routes defined
# in closures, whose dependencies are local variables.

import hmac
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Body, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pydantic import BaseModel, Field

from .config import MAX_URLS_PER_REQUEST, ServicesConfig
from .oauth import REALM, IdentityProvider, create_oidc_router, token_url
from .sigv4 import MAX_EXPIRES, canonical_host, install_log_masking, presign

__all__ = [
    "ApiKeyRecord",
    "Principal",
    "SignRequest",
    "SignResponse",
    "SigningState",
    "create_signing_app",
    "signing_state",
]

ADMIN_HEADER = "x-twin-admin"
#: Owner of the API keys given in ``config.api_keys`` (not listed or revocable by any user).
CONFIG_KEY_OWNER = "(twin configuration)"


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


class SignRequest(BaseModel):
    """Body of ``POST /sign_urls``."""

    urls: list[str] = Field(description="URLs to sign (at most 64).")
    duration_seconds: int | None = Field(
        default=None, description="Validity in seconds; the service's default when absent."
    )


class SignResponse(BaseModel):
    """Answer of ``POST /sign_urls``."""

    hrefs: dict[str, str] = Field(description="Each requested URL and its signed form.")
    expiry: datetime = Field(description="When the signed URLs expire (ISO 8601, with time zone).")


@dataclass(frozen=True)
class Principal:
    """Who made a request: a user, and how they proved it (``api_key`` or ``bearer``)."""

    username: str
    method: str
    access_key: str | None = None


@dataclass
class ApiKeyRecord:
    """An API key known to the service."""

    secret_key: str
    owner: str
    description: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


class SigningState:
    """In-memory state of the signing service: API keys, identity provider, counters.

    Parameters
    ----------
    config
        The services' configuration.
    """

    def __init__(self, config: ServicesConfig) -> None:
        self.config = config
        self.idp = IdentityProvider(
            issuer=config.signing_url + f"auth/realms/{REALM}",
            verification_uri=config.signing_url + "device",
            access_token_lifetime=config.access_token_lifetime,
            refresh_token_lifetime=config.refresh_token_lifetime,
            device_code_lifetime=config.device_code_lifetime,
            poll_interval=config.device_poll_interval,
            auto_approve=config.auto_approve,
            default_username=config.default_username,
        )
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKeyRecord] = {
            ak: ApiKeyRecord(sk, CONFIG_KEY_OWNER, "from the twin configuration")
            for ak, sk in config.api_keys.items()
        }
        self._counters: Counter[str] = Counter()
        self.data_host = canonical_host(config.data_url)

    # counters ------------------------------------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to a counter."""
        with self._lock:
            self._counters[name] += n

    def stats(self) -> dict[str, Any]:
        """Counters of the service and of its identity provider.

        Returns
        -------
        dict
            ``sign_requests`` (every ``POST /sign_urls``, refused ones included),
            ``sign_requests_ok``, ``urls_requested``,
            ``urls_signed``, ``urls_passed_through``, ``auth_failures``, ``by_auth`` (``api_key``,
            ``bearer``), and ``oauth`` (device authorizations, grants, refreshes, errors).
        """
        with self._lock:
            counters = dict(self._counters)
        by_auth = {k[5:]: v for k, v in counters.items() if k.startswith("auth_") and k != (
            "auth_failures")}
        names = ("sign_requests", "sign_requests_ok", "urls_requested", "urls_signed",
                 "urls_passed_through", "auth_failures")
        return {
            **{name: counters.get(name, 0) for name in names},
            "by_auth": by_auth,
            "oauth": self.idp.counters(),
        }

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counters.clear()
        self.idp.reset_counters()

    # API keys ------------------------------------------------------------------------------------

    def check_api_key(self, access_key: str, secret_key: str) -> ApiKeyRecord | None:
        """Return the key record if the secret matches (compared in constant time)."""
        with self._lock:
            record = self._keys.get(access_key)
        expected = record.secret_key if record is not None else secrets.token_urlsafe(32)
        matches = hmac.compare_digest(expected.encode(), secret_key.encode())
        return record if record is not None and matches else None

    def create_api_key(self, owner: str, description: str) -> tuple[str, str]:
        """Create an API key for ``owner``; return (access key, secret key)."""
        access_key, secret_key = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        with self._lock:
            self._keys[access_key] = ApiKeyRecord(secret_key, owner, description)
        return access_key, secret_key

    def list_api_keys(self, owner: str) -> list[dict[str, str]]:
        """The keys of ``owner``, without their secrets."""
        with self._lock:
            mine = [(ak, r) for ak, r in self._keys.items() if r.owner == owner]
        return [
            {
                "access-key": ak,
                "description": r.description,
                "created": r.created.isoformat(sep=" ", timespec="microseconds"),
                "creation_date": r.created.isoformat(),
            }
            for ak, r in sorted(mine, key=lambda item: item[1].created)
        ]

    def revoke_api_key(self, owner: str, access_key: str) -> bool:
        """Revoke a key of ``owner``; False when ``owner`` has no such key."""
        with self._lock:
            record = self._keys.get(access_key)
            if record is None or record.owner != owner:
                return False
            del self._keys[access_key]
            return True

    # signing -------------------------------------------------------------------------------------

    def sign(self, urls: list[str], duration: int) -> SignResponse:
        """Sign the URLs of the store's host; pass the others through.

        Parameters
        ----------
        urls
            URLs as sent by the client; each is a key of the answer.
        duration
            Validity in seconds (already checked).

        Returns
        -------
        SignResponse
            The signed URLs and their common expiry (``X-Amz-Date`` + ``duration``).
        """
        now = datetime.now(UTC).replace(microsecond=0)
        hrefs: dict[str, str] = {}
        signed = 0
        for url in urls:
            if self._signable(url):
                hrefs[url] = presign(
                    url, access_key=self.config.storage_access_key,
                    secret_key=self.config.storage_secret_key, expires=duration, now=now,
                )
                signed += 1
            else:
                hrefs[url] = url
        self.count("urls_requested", len(urls))
        self.count("urls_signed", signed)
        self.count("urls_passed_through", len(urls) - signed)
        return SignResponse(hrefs=hrefs, expiry=now + timedelta(seconds=duration))

    def _signable(self, url: str) -> bool:
        """Whether a URL belongs to the store (same host and port)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(parts.netloc) and (
            canonical_host(url) == self.data_host
        )


def signing_state(app: FastAPI) -> SigningState:
    """Return the :class:`SigningState` of an app made by :func:`create_signing_app`."""
    state: SigningState = app.state.twin
    return state


# --------------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------------


def _unauthorized(state: SigningState, reason: str) -> HTTPException:
    """A 401 that says how to authenticate."""
    state.count("auth_failures")
    detail = (
        f"{reason} Authenticate with an API key in the headers 'access-key' and 'secret-key', "
        f"or with 'authorization: bearer <access token>' from the OAuth2 device flow "
        f"(token URL {token_url(state.config.signing_url)})."
    )
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _make_authenticators(signing_url: str) -> tuple[Any, Any]:
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


def _require_admin(request: Request) -> None:
    """Dependency of control routes: the ``x-twin-admin`` header (constant-time check)."""
    expected: str = signing_state(request.app).config.admin_token
    given = request.headers.get(ADMIN_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, detail=f"control routes need the header {ADMIN_HEADER}")


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


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


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    """422 with a plain-text ``detail`` (the SDK cannot read FastAPI's default list)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": "Invalid request: " + _validation_message(exc)},
                        status_code=422)


# --------------------------------------------------------------------------------------------------
# App
# --------------------------------------------------------------------------------------------------


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


def _add_signing_routes(app: FastAPI, any_principal: Any) -> None:
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


def _add_api_key_routes(app: FastAPI, bearer_only: Any) -> None:
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


def _add_control_routes(app: FastAPI) -> None:
    """Control routes under ``/_twin/``."""
    admin = [Depends(_require_admin)]

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


def create_signing_app(config: ServicesConfig, state: SigningState | None = None) -> FastAPI:
    """Create the signing service (with its emulated identity provider).

    Parameters
    ----------
    config
        ``signing_url`` (the service's own URL, for the token URL), ``data_url`` (the only signable
        host), the store's credentials, ``api_keys``, validity limits, token lifetimes and
        ``admin_token``.
    state
        In-memory state; a new :class:`SigningState` by default. Also reachable as
        ``signing_state(app)``.

    Returns
    -------
    fastapi.FastAPI
        The ASGI app.
    """
    install_log_masking()
    app = FastAPI(
        title="DINAMIS signing service (offline twin)",
        description="Signs URLs of the twin's object store (AWS SigV4 presigned URLs).",
        version="1.0",
    )
    app.state.twin = state if state is not None else SigningState(config)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    any_principal, bearer_only = _make_authenticators(config.signing_url)
    _add_signing_routes(app, any_principal)
    _add_api_key_routes(app, bearer_only)
    _add_control_routes(app)
    app.include_router(create_oidc_router(signing_state(app).idp))
    return app

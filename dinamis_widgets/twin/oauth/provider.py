"""In-memory OpenID Connect provider: device authorizations (RFC 8628), tokens, user claims.

Examples
--------
The device flow, approved from Python as the user would in a browser:

>>> idp = IdentityProvider(issuer="http://127.0.0.1:8001/auth/realms/dinamis",
...                        verification_uri="http://127.0.0.1:8001/device", poll_interval=0)
>>> started = idp.start_device_authorization("gdal", "openid offline_access")
>>> sorted(started)
['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']
>>> try:
...     idp.poll_device_token("gdal", started["device_code"])
... except OAuthError as exc:
...     print(exc.error)
authorization_pending
>>> idp.approve(started["user_code"], "trainee")
True
>>> tokens = idp.poll_device_token("gdal", started["device_code"])
>>> idp.user_of(tokens["access_token"]), idp.user_of("forged")
('trainee', None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .protocol import OAuthError

__all__ = ["IdentityProvider"]

_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


@dataclass
class _DeviceAuthorization:
    """One pending (or decided) device authorization."""

    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int
    status: str = "pending"  # pending, approved, denied, used
    username: str | None = None
    last_poll: float | None = None


@dataclass
class _Token:
    """What the provider knows of an access or refresh token."""

    kind: str  # "access" or "refresh"
    username: str
    client_id: str
    scope: str
    expires_at: float


@dataclass
class _Settings:
    """Lifetimes and approval policy (seconds)."""

    access_token_lifetime: int
    refresh_token_lifetime: int
    device_code_lifetime: int
    poll_interval: int
    auto_approve: bool
    default_username: str
    counters: Counter[str] = field(default_factory=Counter)


def _digest(token: str) -> str:
    """Key under which a secret token is stored (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    """Base64url without padding, as in JWTs."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class IdentityProvider:
    """In-memory OpenID Connect provider: device flow, refresh tokens, userinfo.

    Thread-safe. Times come from ``clock`` (seconds since the epoch), so tests can move it.

    Parameters
    ----------
    issuer
        The realm URL, e.g. ``http://127.0.0.1:8001/auth/realms/dinamis``.
    verification_uri
        The page where the user approves a device, e.g. ``http://127.0.0.1:8001/device``.
    access_token_lifetime, refresh_token_lifetime, device_code_lifetime
        Lifetimes in seconds.
    poll_interval
        Least interval between two polls of the token endpoint, in seconds.
    auto_approve
        Approve every device authorization at once, as ``default_username``.
    default_username
        User of approvals that name nobody.
    clock
        Source of the current time.
    """

    def __init__(
        self,
        *,
        issuer: str,
        verification_uri: str,
        access_token_lifetime: int = 300,
        refresh_token_lifetime: int = 1800,
        device_code_lifetime: int = 600,
        poll_interval: int = 5,
        auto_approve: bool = False,
        default_username: str = "twin-user",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.verification_uri = verification_uri
        self.clock = clock
        self.settings = _Settings(
            access_token_lifetime, refresh_token_lifetime, device_code_lifetime, poll_interval,
            auto_approve, default_username,
        )
        self._lock = threading.Lock()
        self._devices: dict[str, _DeviceAuthorization] = {}  # by digest of the device code
        self._tokens: dict[str, _Token] = {}  # by digest of the token
        self._jwt_key = secrets.token_bytes(32)

    # policy --------------------------------------------------------------------------------------

    def set_auto_approve(self, enabled: bool, username: str | None = None) -> None:
        """Turn automatic approval on or off (and choose its user)."""
        with self._lock:
            self.settings.auto_approve = enabled
            if username:
                self.settings.default_username = username

    def counters(self) -> dict[str, int]:
        """Counts of device authorizations, token grants, refreshes and errors."""
        with self._lock:
            return dict(self.settings.counters)

    def reset_counters(self) -> None:
        """Set the counters back to zero."""
        with self._lock:
            self.settings.counters.clear()

    # device flow ---------------------------------------------------------------------------------

    def start_device_authorization(self, client_id: str, scope: str) -> dict[str, Any]:
        """Start a device authorization (``POST auth/device``).

        Parameters
        ----------
        client_id
            The client, e.g. ``gdal``.
        scope
            Requested scopes, space-separated.

        Returns
        -------
        dict
            The RFC 8628 answer.

        Raises
        ------
        OAuthError
            ``invalid_client`` when ``client_id`` is empty.
        """
        if not client_id:
            raise OAuthError("invalid_client", "client_id is required", 401)
        device_code = secrets.token_urlsafe(32)
        user_code = self._new_user_code()
        now = self.clock()
        with self._lock:
            self._prune(now)
            s = self.settings
            record = _DeviceAuthorization(
                user_code, client_id, scope, now + s.device_code_lifetime, s.poll_interval
            )
            if s.auto_approve:
                record.status, record.username = "approved", s.default_username
            self._devices[_digest(device_code)] = record
            s.counters["device_authorizations"] += 1
        return {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": f"{self.verification_uri}?user_code={quote(user_code)}",
            "expires_in": self.settings.device_code_lifetime,
            "interval": record.interval,
        }

    def _new_user_code(self) -> str:
        """A Keycloak-like user code, ``WDJB-MJHT``."""
        letters = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
        return f"{letters[:4]}-{letters[4:]}"

    def poll_device_token(self, client_id: str, device_code: str) -> dict[str, Any]:
        """Answer one poll of the token endpoint with the device-code grant.

        Returns
        -------
        dict
            The token answer, once approved (the device code is then used up).

        Raises
        ------
        OAuthError
            ``invalid_grant`` (unknown or used code, other client), ``expired_token``,
            ``slow_down``, ``access_denied`` or ``authorization_pending``.
        """
        now = self.clock()
        with self._lock:
            record = self._devices.get(_digest(device_code))
            if record is None or record.status == "used" or record.client_id != client_id:
                raise self._error("invalid_grant", "Device code not valid")
            too_fast = record.last_poll is not None and now - record.last_poll < (
                record.interval - 0.05
            )
            record.last_poll = now
            if now > record.expires_at:
                raise self._error("expired_token", "Device code is expired")
            if record.status == "denied":
                raise self._error("access_denied", "The end-user denied the authorization request")
            if too_fast:
                raise self._error("slow_down", f"Poll at most every {record.interval} s")
            if record.status != "approved" or record.username is None:
                raise self._error("authorization_pending", "The authorization request is pending")
            record.status = "used"
            self.settings.counters["device_grants"] += 1
            return self._issue(record.username, record.client_id, record.scope, now)

    def approve(self, user_code: str, username: str | None = None, deny: bool = False) -> bool:
        """Approve (or deny) a pending device authorization, as its user would in a browser.

        Parameters
        ----------
        user_code
            The code shown to the user (case and the hyphen do not matter).
        username
            Who approves; ``default_username`` when None.
        deny
            Deny instead of approving.

        Returns
        -------
        bool
            False when no pending, unexpired authorization has this code.
        """
        wanted = _normal_user_code(user_code)
        now = self.clock()
        with self._lock:
            for record in self._devices.values():
                if _normal_user_code(record.user_code) != wanted:
                    continue
                if record.status != "pending" or now > record.expires_at:
                    return False
                record.status = "denied" if deny else "approved"
                record.username = username or self.settings.default_username
                return True
        return False

    def pending(self) -> list[dict[str, Any]]:
        """Return the pending device authorizations (user code, client, seconds left)."""
        now = self.clock()
        with self._lock:
            return [
                {"user_code": r.user_code, "client_id": r.client_id,
                 "expires_in": round(r.expires_at - now)}
                for r in self._devices.values()
                if r.status == "pending" and now <= r.expires_at
            ]

    # tokens --------------------------------------------------------------------------------------

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        """Answer the refresh-token grant with new tokens.

        As Keycloak by default, the old refresh token stays valid until it expires.

        Raises
        ------
        OAuthError
            ``invalid_grant`` for an unknown, expired or revoked token, or another client's.
        """
        now = self.clock()
        with self._lock:
            token = self._tokens.get(_digest(refresh_token))
            if token is None or token.kind != "refresh" or token.client_id != client_id:
                raise self._error("invalid_grant", "Invalid refresh token")
            if now > token.expires_at:
                raise self._error("invalid_grant", "Token is not active")
            self.settings.counters["refreshes"] += 1
            return self._issue(token.username, token.client_id, token.scope, now)

    def issue_tokens(self, username: str, client_id: str = "gdal",
                     scope: str = "openid offline_access") -> dict[str, Any]:
        """Issue tokens for ``username`` directly (tests and control routes)."""
        with self._lock:
            return self._issue(username, client_id, scope, self.clock())

    def user_of(self, access_token: str) -> str | None:
        """Return the user of a valid access token, or None (unknown, expired, revoked)."""
        now = self.clock()
        with self._lock:
            token = self._tokens.get(_digest(access_token))
        if token is None or token.kind != "access" or now > token.expires_at:
            return None
        return token.username

    def revoke_user(self, username: str) -> int:
        """Forget every token of a user; return how many."""
        with self._lock:
            gone = [k for k, t in self._tokens.items() if t.username == username]
            for key in gone:
                del self._tokens[key]
        return len(gone)

    def userinfo(self, username: str) -> dict[str, Any]:
        """Return the OpenID Connect claims of a user."""
        return {
            "sub": str(_user_id(username)),
            "preferred_username": username,
            "email": f"{username}@twin.invalid",
            "email_verified": True,
            "name": username,
        }

    def _issue(self, username: str, client_id: str, scope: str, now: float) -> dict[str, Any]:
        """Create an access and a refresh token (lock held)."""
        self._prune(now)
        s = self.settings
        access = self._jwt(username, client_id, scope, "Bearer", now, s.access_token_lifetime)
        refresh = self._jwt(username, client_id, scope, "Refresh", now, s.refresh_token_lifetime)
        self._tokens[_digest(access)] = _Token(
            "access", username, client_id, scope, now + s.access_token_lifetime
        )
        self._tokens[_digest(refresh)] = _Token(
            "refresh", username, client_id, scope, now + s.refresh_token_lifetime
        )
        s.counters["tokens_issued"] += 1
        return {
            "access_token": access,
            "expires_in": s.access_token_lifetime,
            "refresh_expires_in": s.refresh_token_lifetime,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": secrets.token_hex(16),
            "scope": scope,
        }

    def _jwt(self, username: str, client_id: str, scope: str, typ: str, now: float,
             lifetime: int) -> str:
        """A JWT shaped like Keycloak's (HS256, key of this process)."""
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "exp": int(now + lifetime), "iat": int(now), "jti": secrets.token_hex(16),
            "iss": self.issuer, "sub": str(_user_id(username)), "typ": typ, "azp": client_id,
            "scope": scope, "preferred_username": username,
        }
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self._jwt_key, f"{header}.{payload}".encode(), hashlib.sha256)
        return f"{header}.{payload}.{_b64(signature.digest())}"

    def _error(self, error: str, description: str) -> OAuthError:
        """Count and build an error (lock held)."""
        self.settings.counters[f"error_{error}"] += 1
        return OAuthError(error, description)

    def _prune(self, now: float) -> None:
        """Forget expired device codes and tokens (lock held)."""
        grace = 60.0  # expired codes still answer expired_token for a while, not invalid_grant
        self._devices = {k: d for k, d in self._devices.items() if d.expires_at + grace > now}
        self._tokens = {k: t for k, t in self._tokens.items() if t.expires_at + grace > now}


def _normal_user_code(code: str) -> str:
    """User codes compare without case or hyphen."""
    return code.replace("-", "").strip().upper()


def _user_id(username: str) -> str:
    """A stable UUID-like subject for a user name."""
    h = hashlib.sha256(username.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

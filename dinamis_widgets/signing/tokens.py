"""OAuth2 tokens, and the ``.jwt`` file shared with the official SDK.

:class:`Token` holds the access and refresh tokens an identity provider answers, with when they were
issued; the ``.jwt`` file of ``TLD_CONFIG_DIR`` keeps them in the SDK's format, so that the SDK and this
toolkit share one sign-in (:mod:`.device_flow` gets and refreshes them).

Examples
--------
>>> t = Token.from_response({"access_token": "a", "expires_in": 300, "refresh_token": "r",
...                          "refresh_expires_in": 0}, issued_at=0)
>>> t
Token(token_type='Bearer', expires_at='1970-01-01T00:05:00+00:00')
>>> t.access_valid(now=100), t.access_valid(now=290), t.refresh_valid()
(True, False, True)
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..settings import get_settings
from .storage import write_private

__all__ = ["TOKEN_MARGIN_SECONDS", "Token", "load_token", "save_token"]

#: Refresh an access token when it has less than this many seconds left.
TOKEN_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class Token:
    """OAuth2 tokens, as stored in ``.jwt`` (the official SDK's fields, plus ``issued_at``).

    Parameters
    ----------
    access_token, refresh_token
        The tokens (never in the repr).
    expires_in, refresh_expires_in
        Lifetimes in seconds from ``issued_at``; ``refresh_expires_in`` 0 means no expiry (offline token).
    token_type
        ``Bearer``.
    issued_at
        When the tokens were issued (seconds since the epoch). The SDK ignores this field.
    """

    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str = field(repr=False)
    refresh_expires_in: int
    token_type: str = "Bearer"
    issued_at: float = field(default_factory=time.time)

    @property
    def expires_at(self) -> float:
        """When the access token expires (seconds since the epoch)."""
        return self.issued_at + self.expires_in

    @property
    def refresh_expires_at(self) -> float | None:
        """When the refresh token expires, or None if it does not (or is unknown)."""
        return self.issued_at + self.refresh_expires_in if self.refresh_expires_in > 0 else None

    def access_valid(self, margin: float = TOKEN_MARGIN_SECONDS, now: float | None = None) -> bool:
        """Whether the access token stays valid for ``margin`` seconds more.

        The margin is at most half the token's lifetime, so that short-lived tokens are used at all.
        """
        margin = min(margin, self.expires_in / 2)
        return self.expires_in > 0 and self.expires_at - (time.time() if now is None else now) > margin

    def refresh_valid(self, now: float | None = None) -> bool:
        """Whether the refresh token can still be used."""
        if not self.refresh_token:
            return False
        at = self.refresh_expires_at
        return at is None or at - (time.time() if now is None else now) > 5

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``.jwt``."""
        return {"access_token": self.access_token, "expires_in": int(self.expires_in),
                "refresh_token": self.refresh_token, "refresh_expires_in": int(self.refresh_expires_in),
                "token_type": self.token_type, "issued_at": self.issued_at}

    @classmethod
    def from_response(cls, data: Mapping[str, Any], issued_at: float | None = None) -> Token:
        """Build from a token endpoint's answer (or a ``.jwt`` file's JSON).

        ``issued_at`` comes, in order, from the argument, the JSON, the access token's ``iat``/``exp``
        claims, or now.
        """
        access = str(data["access_token"])
        expires_in = int(data.get("expires_in") or 0)
        if issued_at is None:
            issued_at = _float_or_none(data.get("issued_at"))
        if issued_at is None:
            claims = _jwt_claims(access)
            if isinstance(claims.get("exp"), int | float) and expires_in:
                issued_at = float(claims["exp"]) - expires_in
            elif isinstance(claims.get("iat"), int | float):
                issued_at = float(claims["iat"])
        return cls(
            access_token=access,
            expires_in=expires_in,
            refresh_token=str(data.get("refresh_token") or ""),
            refresh_expires_in=int(data.get("refresh_expires_in") or 0),
            token_type=str(data.get("token_type") or "Bearer"),
            issued_at=time.time() if issued_at is None else issued_at,
        )

    def __repr__(self) -> str:
        when = datetime.fromtimestamp(self.expires_at, UTC).isoformat(timespec="seconds")
        return f"Token(token_type={self.token_type!r}, expires_at={when!r})"


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (only to learn when it expires); {} if it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def load_token(config_dir: str | os.PathLike[str] | None = None) -> Token | None:
    """The tokens stored in ``.jwt`` (by this toolkit or the official SDK), or None.

    A file written by the SDK has no ``issued_at``: it is taken from the access token's claims, else
    from the file's modification time.
    """
    path = (Path(config_dir) if config_dir is not None else get_settings().config_dir) / ".jwt"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "issued_at" not in data and not _jwt_claims(str(data.get("access_token", ""))):
            data["issued_at"] = path.stat().st_mtime
        return Token.from_response(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_token(token: Token, config_dir: str | os.PathLike[str] | None = None) -> Path:
    """Store tokens in ``.jwt`` (mode 0600), in the official SDK's format."""
    folder = Path(config_dir) if config_dir is not None else get_settings().config_dir
    return write_private(folder / ".jwt", token.to_dict())


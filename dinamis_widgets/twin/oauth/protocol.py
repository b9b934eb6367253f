"""Names of the emulated Keycloak realm, and the OAuth 2.0 error answer.

Examples
--------
>>> token_url("http://127.0.0.1:8001/")
'http://127.0.0.1:8001/auth/realms/dinamis/protocol/openid-connect/token'
>>> OAuthError("slow_down", "Poll at most every 5 s").response().body
b'{"error":"slow_down","error_description":"Poll at most every 5 s"}'
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

__all__ = ["DEVICE_GRANT_TYPE", "OIDC_PREFIX", "REALM", "OAuthError", "token_url"]

#: Name of the emulated Keycloak realm.
REALM = "dinamis"
#: Path of the realm's OpenID Connect endpoints.
OIDC_PREFIX = f"/auth/realms/{REALM}/protocol/openid-connect"
#: Grant type of the device flow (RFC 8628).
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def token_url(signing_url: str) -> str:
    """Return the token endpoint of the emulated realm, served by the signing service.

    Parameters
    ----------
    signing_url
        Base URL of the signing service, ending with ``/``.

    Returns
    -------
    str
        ``{signing_url}auth/realms/dinamis/protocol/openid-connect/token``.
    """
    return signing_url.rstrip("/") + OIDC_PREFIX + "/token"


class OAuthError(Exception):
    """An OAuth 2.0 error answer (RFC 6749 section 5.2).

    Parameters
    ----------
    error
        The error code, e.g. ``authorization_pending``.
    description
        What went wrong, for people.
    status
        HTTP status of the answer.
    """

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        """Return the JSON answer of the error."""
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Bearer error="{self.error}"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )

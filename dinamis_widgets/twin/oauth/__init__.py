"""Emulated OpenID Connect provider of the twin (the device flow of Keycloak), in memory.

The real signing service trusts a Keycloak realm; the official ``teledetection`` SDK signs in with the
OAuth 2.0 device authorization grant (RFC 8628), as client ``gdal`` with scope
``openid offline_access``. This module speaks the same protocol under
``/auth/realms/dinamis/protocol/openid-connect/``:

- ``POST auth/device`` (form ``client_id``, ``scope``) gives ``device_code``, ``user_code``,
  ``verification_uri``, ``verification_uri_complete``, ``expires_in`` and ``interval``;
- ``POST token`` (form) with ``grant_type=urn:ietf:params:oauth:grant-type:device_code`` answers
  ``400 {"error": "authorization_pending"}`` until the user approves, ``slow_down`` when polled faster
  than ``interval``, ``expired_token``, ``access_denied``; then the tokens. With
  ``grant_type=refresh_token`` it gives new tokens, or ``400 invalid_grant``;
- ``GET``/``POST userinfo`` with ``authorization: bearer <access token>`` gives ``sub``,
  ``preferred_username``, ``email``.

Approval is simulated: the page ``GET /device?user_code=...`` has an approve button (no password),
:meth:`IdentityProvider.approve` does it from Python (the signing service exposes it as a control
route), and ``auto_approve`` approves every request at once.

Tokens look like Keycloak's (JWT, HS256 with a secret of this process), but are checked by looking them
up: the twin can forget or expire them at will.

Modules: :mod:`.protocol` (the realm's names and error answers), :mod:`.provider` (device codes and
tokens, in memory) and :mod:`.routes` (the HTTP routes and the approval page).
"""

from .protocol import DEVICE_GRANT_TYPE, OIDC_PREFIX, REALM, OAuthError, token_url
from .provider import IdentityProvider
from .routes import create_oidc_router

__all__ = [
    "DEVICE_GRANT_TYPE",
    "OIDC_PREFIX",
    "REALM",
    "IdentityProvider",
    "OAuthError",
    "create_oidc_router",
    "token_url",
]

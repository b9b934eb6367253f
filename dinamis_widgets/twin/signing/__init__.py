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

Modules: :mod:`.app` (the FastAPI app), :mod:`.routes` (signing and API keys), :mod:`.auth`
(authentication), :mod:`.control` (control routes), :mod:`.state` (API keys, counters, signing) and
:mod:`.models`.
"""

from ..config import ADMIN_HEADER
from .app import create_signing_app
from .models import ApiKeyRecord, Principal, SignRequest, SignResponse
from .state import CONFIG_KEY_OWNER, SigningState, signing_state

__all__ = [
    "ADMIN_HEADER",
    "CONFIG_KEY_OWNER",
    "ApiKeyRecord",
    "Principal",
    "SignRequest",
    "SignResponse",
    "SigningState",
    "create_signing_app",
    "signing_state",
]

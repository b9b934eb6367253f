"""The signing service's FastAPI app, with its emulated identity provider.

Examples
--------
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> app = create_signing_app(ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                                         signing_url="http://127.0.0.1:9001/"))
>>> sorted(p for p in app.openapi()["paths"] if not p.startswith("/_twin"))
['/create_api_key', '/list_api_keys_with_metadata', '/revoke_api_key', '/sign_urls']
"""

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from ..config import ServicesConfig
from ..oauth import create_oidc_router
from ..sigv4 import install_log_masking
from .auth import make_authenticators
from .control import add_control_routes
from .routes import add_api_key_routes, add_signing_routes, on_validation_error
from .state import SigningState, signing_state

__all__ = ["create_signing_app"]


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
    app.add_exception_handler(RequestValidationError, on_validation_error)
    any_principal, bearer_only = make_authenticators(config.signing_url)
    add_signing_routes(app, any_principal)
    add_api_key_routes(app, bearer_only)
    add_control_routes(app)
    app.include_router(create_oidc_router(signing_state(app).idp))
    return app

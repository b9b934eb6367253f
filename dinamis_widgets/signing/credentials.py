"""Credentials for the signing service: which ones are used, and signing in and out.

Which credentials are used (:func:`get_credentials`), first match wins:

1. none, if ``TLD_DISABLE_AUTH`` is set (:class:`NoAuth`);
2. an API key (:class:`ApiKeyAuth`): ``TLD_ACCESS_KEY`` and ``TLD_SECRET_KEY`` (or
   :func:`~dinamis_widgets.settings.set_settings` ``access_key``/``secret_key``), else the ``.apikey``
   file of ``TLD_CONFIG_DIR`` (:mod:`.apikeys`);
3. an OAuth2 access token, as the official SDK gets it (:class:`~.device_flow.DeviceFlowAuth`): tokens
   stored in ``.jwt``, refreshed, or a new device-flow sign-in where someone can see its link
   (:mod:`.prompting`).

:func:`login` signs in now (``dw.login()``), :func:`logout` forgets the tokens; API keys are created,
listed and revoked with :mod:`.account`.

Examples
--------
>>> from dinamis_widgets.settings import Settings
>>> get_credentials(Settings(disable_auth=True)).describe()
'no credentials (TLD_DISABLE_AUTH is set)'
>>> ApiKeyAuth(ApiKey("AK1234", "s3cret"), "TLD_ACCESS_KEY/TLD_SECRET_KEY").describe()
'the API key AK12… from TLD_ACCESS_KEY/TLD_SECRET_KEY'

Sign in interactively, then create and store an API key for headless runs (dask, CI)::

    import dinamis_widgets as dw
    from dinamis_widgets.signing.account import create_api_key
    dw.login()
    create_api_key("laptop", save=True)
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..errors import AuthenticationError
from ..settings import Settings, get_settings, profile_for
from .apikeys import ApiKey, load_api_key
from .device_flow import DeviceFlowAuth
from .prompting import SignInHandler
from .storage import credentials_changed
from .tokens import Token

__all__ = ["ApiKeyAuth", "Credentials", "NoAuth", "get_credentials", "login", "logout",
           "signing_endpoint_for"]


def _short(key: str) -> str:
    return key[:4] + "…" if len(key) > 4 else "…"


@runtime_checkable
class Credentials(Protocol):
    """What the signer needs from credentials."""

    def headers(self) -> dict[str, str]:
        """Request headers that authenticate (may sign in, refresh, or raise AuthenticationError)."""
        ...

    def invalidate(self) -> bool:
        """Forget what the service refused; True if trying again may help."""
        ...

    def describe(self) -> str:
        """What these credentials are, for messages (no secret)."""
        ...


@dataclass(frozen=True)
class NoAuth:
    """No credentials (``TLD_DISABLE_AUTH``)."""

    def headers(self) -> dict[str, str]:
        """No header."""
        return {}

    def invalidate(self) -> bool:
        """Nothing to forget: trying again cannot help."""
        return False

    def describe(self) -> str:
        """For messages."""
        return "no credentials (TLD_DISABLE_AUTH is set)"


@dataclass(frozen=True)
class ApiKeyAuth:
    """An API key, sent as headers ``access-key`` and ``secret-key``."""

    key: ApiKey
    source: str = "an API key"

    def headers(self) -> dict[str, str]:
        """``access-key`` and ``secret-key``."""
        return self.key.headers()

    def invalidate(self) -> bool:
        """A refused key stays refused: trying again cannot help."""
        return False

    def describe(self) -> str:
        """For messages: the start of the access key and where it came from (never the secret)."""
        return f"the API key {_short(self.key.access_key)} from {self.source}"


# One DeviceFlowAuth per service and folder in a process, so that threads share one sign-in.
_device_auths: dict[tuple[str, str, bool | None], DeviceFlowAuth] = {}
_device_auths_lock = threading.Lock()


def _device_auth(settings: Settings, signing_endpoint: str, interactive: bool | None) -> DeviceFlowAuth:
    flag = settings.interactive if interactive is None else interactive
    key = (signing_endpoint, str(settings.config_dir), flag)
    with _device_auths_lock:
        auth = _device_auths.get(key)
        if auth is None:
            auth = DeviceFlowAuth(signing_endpoint, settings.config_dir, interactive=flag,
                                  timeout=settings.request_timeout, retry_total=settings.retry_total,
                                  backoff_factor=settings.retry_backoff_factor)
            _device_auths[key] = auth
        else:
            auth.timeout = settings.request_timeout
            auth.retry_total = settings.retry_total
            auth.backoff_factor = settings.retry_backoff_factor
        return auth


def signing_endpoint_for(settings: Settings, signing_endpoint: str | None = None) -> str:
    """The signing service: ``signing_endpoint`` (ending with ``/``), else the active profile's."""
    if signing_endpoint:
        return signing_endpoint if signing_endpoint.endswith("/") else signing_endpoint + "/"
    endpoint = profile_for(None, settings).signing_endpoint
    if not endpoint:
        raise AuthenticationError("The active catalogue profile has no signing service.")
    return endpoint


def get_credentials(settings: Settings | None = None, *, signing_endpoint: str | None = None,
                    interactive: bool | None = None, oauth_only: bool = False) -> Credentials:
    """The credentials to send to the signing service (see the module's documentation for the order).

    Nothing is requested over the network here: a sign-in starts when headers are first needed.

    Parameters
    ----------
    settings
        :func:`get_settings` by default.
    signing_endpoint
        The service; the active profile's by default.
    interactive
        Overrides ``settings.interactive`` for a sign-in.
    oauth_only
        Skip API keys (the API-key routes need a sign-in).
    """
    s = settings or get_settings()
    if s.disable_auth and not oauth_only:
        return NoAuth()
    if not oauth_only:
        found = load_api_key(s)
        if found is not None:
            return ApiKeyAuth(found[0], found[1])
    return _device_auth(s, signing_endpoint_for(s, signing_endpoint), interactive)


def login(*, force: bool = False, signing_endpoint: str | None = None,
          on_sign_in: SignInHandler | None = None, interactive: bool | None = None,
          cancel: threading.Event | None = None, settings: Settings | None = None) -> Token:
    """Sign in with the device flow (unless stored tokens are still good and ``force`` is False).

    Parameters
    ----------
    force
        Sign in again even if stored tokens are valid.
    signing_endpoint
        The service; the active profile's by default.
    on_sign_in
        Shows the link (default: :func:`~.prompting.set_sign_in_handler`'s handler, else
        :func:`~.prompting.print_sign_in`).
    interactive
        Overrides ``settings.interactive``.
    cancel
        Set this event (from another thread) to stop waiting.

    Returns
    -------
    Token
        The tokens, also stored in ``.jwt``.

    Raises
    ------
    AuthenticationError
        If the sign-in is denied, expires, is cancelled, or cannot be shown here.
    """
    s = settings or get_settings()
    auth = _device_auth(s, signing_endpoint_for(s, signing_endpoint), interactive)
    return auth.login(force=force, cancel=cancel, on_sign_in=on_sign_in)


def logout(*, signing_endpoint: str | None = None, settings: Settings | None = None) -> None:
    """Forget the OAuth2 tokens (memory and ``.jwt``). API keys are left alone."""
    s = settings or get_settings()
    with _device_auths_lock:
        auths = [a for k, a in _device_auths.items() if k[1] == str(s.config_dir)]
    for a in auths:
        a.logout()
    with contextlib.suppress(FileNotFoundError):
        s.jwt_path.unlink()
    credentials_changed()


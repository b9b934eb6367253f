"""The OAuth2 device flow of the official SDK: sign in once, then refresh the tokens.

:class:`DeviceFlowAuth` gets an access token as the official SDK does: the device flow (RFC 8628) of the
service's Keycloak (client ``gdal``, scope ``openid offline_access``). The token URL is read from the
service's ``openapi.json`` (:func:`token_endpoint`); tokens are stored in ``.jwt`` next to ``.apikey``
(:mod:`.tokens`, the SDK's format, so the SDK and this toolkit share one sign-in) and refreshed shortly
before they expire. A sign-in is shown only where someone can see it (:mod:`.prompting`); a copy
unpickled in another process never shows one.

Examples
--------
>>> auth = DeviceFlowAuth("https://signing.example.org/", "/nonexistent", interactive=False)
>>> auth
DeviceFlowAuth('https://signing.example.org/', token=None)
>>> auth.describe()
'an OAuth2 sign-in (token in /nonexistent/.jwt)'

Interactively (a link to open is shown, then the tokens are stored)::

    import dinamis_widgets as dw
    dw.login()
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from ..errors import AuthenticationError
from ..http import RetryPolicy, request, service_message
from .prompting import DeviceCode, SignInHandler, can_prompt, current_sign_in_handler, how_to_authenticate
from .tokens import TOKEN_MARGIN_SECONDS, Token, load_token, save_token

__all__ = ["CLIENT_ID", "SCOPE", "DeviceFlowAuth", "token_endpoint"]

#: OAuth2 client of the official SDK (the service's Keycloak knows it).
CLIENT_ID = "gdal"
#: Scopes asked by the official SDK (``offline_access`` gives a long-lived refresh token).
SCOPE = "openid offline_access"
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"

_token_urls: dict[str, str] = {}
_token_urls_lock = threading.Lock()


def token_endpoint(signing_endpoint: str, *, timeout: float = 30.0, retry_total: int = 3,
                   backoff_factor: float = 0.8) -> str:
    """The token URL of the service's identity provider, read from its ``openapi.json`` (cached).

    It is ``components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl``, as the
    official SDK reads it.
    """
    with _token_urls_lock:
        if signing_endpoint in _token_urls:
            return _token_urls[signing_endpoint]
    url = urljoin(signing_endpoint, "openapi.json")
    response = request("GET", url, timeout=timeout, policy=RetryPolicy.from_settings(
                       total=retry_total, backoff_factor=backoff_factor), error_cls=AuthenticationError,
                       what="Reading the signing service's openapi.json")
    if not response.ok:
        raise AuthenticationError(f"Cannot read the sign-in configuration at {url}",
                                  status=response.status_code, service_message=service_message(response),
                                  url=url)
    try:
        flows = response.json()["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
        found = str(flows["password"]["tokenUrl"])
    except (ValueError, KeyError, TypeError):
        raise AuthenticationError(
            f"The signing service's {url} declares no OAuth2 token URL "
            "(components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl): it offers no "
            "sign-in; use an API key (TLD_ACCESS_KEY/TLD_SECRET_KEY).", url=url) from None
    found = urljoin(signing_endpoint, found)
    with _token_urls_lock:
        _token_urls[signing_endpoint] = found
    return found


class DeviceFlowAuth:
    """OAuth2 bearer tokens: stored ones, refreshed, or a new device-flow sign-in. Thread-safe, picklable.

    A copy unpickled in another process (a dask worker) never starts a sign-in: it uses the tokens it
    carries or finds in ``.jwt``, refreshes them, and otherwise raises an
    :class:`~dinamis_widgets.errors.AuthenticationError` with advice.

    Parameters
    ----------
    signing_endpoint
        The signing service, whose ``openapi.json`` names the token URL.
    config_dir
        Folder of ``.jwt``.
    interactive
        See :func:`~.prompting.can_prompt`; None decides from the context each time.
    on_sign_in
        Shows the link; by default the handler of :func:`~.prompting.set_sign_in_handler`, else
        :func:`~.prompting.print_sign_in`.
    timeout, retry_total, backoff_factor
        HTTP behaviour.
    margin
        Refresh the access token when it has less than this many seconds left.
    """

    def __init__(self, signing_endpoint: str, config_dir: str | os.PathLike[str], *,
                 interactive: bool | None = None, on_sign_in: SignInHandler | None = None,
                 timeout: float = 30.0, retry_total: int = 10, backoff_factor: float = 0.8,
                 margin: float = TOKEN_MARGIN_SECONDS, client_id: str = CLIENT_ID) -> None:
        self.signing_endpoint = signing_endpoint
        self.config_dir = Path(config_dir)
        self.interactive = interactive
        self.on_sign_in = on_sign_in
        self.timeout = timeout
        self.retry_total = retry_total
        self.backoff_factor = backoff_factor
        self.margin = margin
        self.client_id = client_id
        self._token: Token | None = None
        self._remote = False
        self._lock = threading.RLock()

    # pickling: no lock; never prompt where unpickled ------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        state["on_sign_in"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._remote = True
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"DeviceFlowAuth({self.signing_endpoint!r}, token={self._token!r})"

    # Credentials protocol ----------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        """``authorization: bearer <access token>`` (may refresh, or sign in where someone can see it)."""
        return {"authorization": f"bearer {self.access_token()}"}

    def invalidate(self) -> bool:
        """The service refused the access token: expire it here, so that the next call refreshes it."""
        with self._lock:
            t = self._token
            if t is None:
                return False
            self._token = Token(t.access_token, 0, t.refresh_token, t.refresh_expires_in, t.token_type,
                                issued_at=t.issued_at)
            return t.refresh_valid()

    def describe(self) -> str:
        """For messages."""
        return f"an OAuth2 sign-in (token in {self.config_dir / '.jwt'})"

    # tokens ------------------------------------------------------------------------------------
    @property
    def token(self) -> Token | None:
        """The tokens in memory (or None before the first use)."""
        return self._token

    def access_token(self) -> str:
        """A valid access token: in memory, in ``.jwt``, refreshed, or from a new sign-in."""
        with self._lock:
            token = self._token
            if token is not None and token.access_valid(self.margin):
                return token.access_token
            stored = load_token(self.config_dir)
            if stored is not None and (token is None or stored.issued_at > token.issued_at):
                token = stored  # another process may have refreshed it
            if token is not None and token.access_valid(self.margin):
                self._token = token
                return token.access_token
            if token is not None and token.refresh_valid():
                refreshed = self._refresh(token)
                if refreshed is not None:
                    return refreshed.access_token
            return self._sign_in(reason="the stored sign-in has expired" if token else "").access_token

    def _token_url(self) -> str:
        return token_endpoint(self.signing_endpoint, timeout=self.timeout,
                              retry_total=min(self.retry_total, 3), backoff_factor=self.backoff_factor)

    def _post_form(self, url: str, data: Mapping[str, str], what: str) -> requests.Response:
        return request(
            "POST", url, data=dict(data), timeout=self.timeout,
            policy=RetryPolicy.from_settings(total=self.retry_total, backoff_factor=self.backoff_factor),
            error_cls=AuthenticationError, what=what,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )

    def _store(self, token: Token) -> Token:
        self._token = token
        with contextlib.suppress(OSError):  # a read-only folder must not stop the work
            save_token(token, self.config_dir)
        return token

    def _refresh(self, token: Token) -> Token | None:
        """Refresh the tokens; None if the identity provider refuses (a new sign-in is needed)."""
        issued = time.time()
        response = self._post_form(
            self._token_url(),
            {"client_id": self.client_id, "scope": SCOPE, "grant_type": "refresh_token",
             "refresh_token": token.refresh_token},
            "Refreshing the sign-in",
        )
        if response.status_code == 200:
            return self._store(Token.from_response(response.json(), issued_at=issued))
        if response.status_code in (400, 401):
            return None
        raise AuthenticationError("Refreshing the sign-in failed", status=response.status_code,
                                  service_message=service_message(response), url=response.url)

    def _sign_in(self, reason: str = "", *, cancel: threading.Event | None = None,
                 on_sign_in: SignInHandler | None = None) -> Token:
        if self._remote:
            ok, why = False, ("this signer was sent to another process (e.g. a dask worker), where no one "
                              "can see a sign-in link")
        else:
            ok, why = can_prompt(interactive=self.interactive)
        if not ok:
            state = f" ({reason})" if reason else ""
            raise AuthenticationError(
                f"No valid credentials for the signing service{state}, and no sign-in can be shown here: "
                f"{why}. " + how_to_authenticate(self.signing_endpoint, self.config_dir)
            )
        return self._store(self._device_flow(cancel=cancel, on_sign_in=on_sign_in))

    def login(self, *, force: bool = False, cancel: threading.Event | None = None,
              on_sign_in: SignInHandler | None = None) -> Token:
        """Sign in now (unless valid tokens exist and ``force`` is False)."""
        with self._lock:
            if not force:
                with contextlib.suppress(AuthenticationError):
                    token = self._token or load_token(self.config_dir)
                    if token is not None and (token.access_valid(self.margin) or token.refresh_valid()):
                        self.access_token()
                        assert self._token is not None
                        return self._token
            return self._sign_in(cancel=cancel, on_sign_in=on_sign_in)

    def _device_flow(self, *, cancel: threading.Event | None = None,
                     on_sign_in: SignInHandler | None = None) -> Token:
        token_url = self._token_url()
        device_url = f"{token_url.rsplit('/', 1)[0]}/auth/device"
        base = {"client_id": self.client_id, "scope": SCOPE}
        response = self._post_form(device_url, base, "Starting the sign-in")
        if response.status_code != 200:
            raise AuthenticationError("The identity provider refused to start a sign-in",
                                      status=response.status_code,
                                      service_message=service_message(response), url=device_url)
        try:
            body = response.json()
            code = DeviceCode(
                verification_uri=str(body.get("verification_uri") or body.get("verification_uri_complete")),
                verification_uri_complete=str(body.get("verification_uri_complete") or ""),
                user_code=str(body.get("user_code") or ""),
                expires_in=int(body.get("expires_in") or 600),
                interval=int(body.get("interval") or 5),
                device_code=str(body["device_code"]),
            )
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError(f"The identity provider's answer at {device_url} is not a device "
                                      "authorization.", url=device_url) from None
        handler = on_sign_in or self.on_sign_in or current_sign_in_handler()
        handler(code)
        deadline = time.monotonic() + code.expires_in
        interval = float(max(code.interval, 0))
        data = {**base, "device_code": code.device_code, "grant_type": DEVICE_GRANT_TYPE}
        while True:
            issued = time.time()
            response = self._post_form(token_url, data, "Waiting for the sign-in")
            if response.status_code == 200:
                return Token.from_response(response.json(), issued_at=issued)
            try:
                error = str(response.json().get("error", ""))
            except (ValueError, AttributeError):
                error = ""
            if error == "slow_down":
                interval += 5
            elif error == "expired_token":
                raise AuthenticationError(
                    "The sign-in link expired before it was approved. Sign in again with "
                    "dinamis_widgets.login().", status=response.status_code,
                    service_message=service_message(response))
            elif error == "access_denied":
                raise AuthenticationError(
                    "The sign-in was denied in the browser. Sign in again with dinamis_widgets.login() "
                    "and approve it, or use an API key (TLD_ACCESS_KEY/TLD_SECRET_KEY).",
                    status=response.status_code, service_message=service_message(response))
            elif error != "authorization_pending":
                raise AuthenticationError("The sign-in failed", status=response.status_code,
                                          service_message=service_message(response), url=token_url)
            if time.monotonic() + interval > deadline:
                raise AuthenticationError("The sign-in link expired before it was approved. Sign in again "
                                          "with dinamis_widgets.login().")
            if cancel is not None:
                if cancel.wait(max(interval, 0.05)):
                    raise AuthenticationError("The sign-in was cancelled.")
            else:
                time.sleep(max(interval, 0.05))

    def logout(self) -> None:
        """Forget the tokens, in memory and in ``.jwt``."""
        with self._lock:
            self._token = None
            with contextlib.suppress(FileNotFoundError):
                (self.config_dir / ".jwt").unlink()


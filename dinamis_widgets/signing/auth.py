"""Credentials for the signing service: API keys, and the OAuth2 device flow of the official SDK.

Which credentials are used (:func:`get_credentials`), first match wins:

1. none, if ``TLD_DISABLE_AUTH`` is set;
2. an API key: ``TLD_ACCESS_KEY`` and ``TLD_SECRET_KEY`` (or :func:`~dinamis_widgets.settings.set_settings`
   ``access_key``/``secret_key``), else the ``.apikey`` file of ``TLD_CONFIG_DIR``
   (``~/.config/teledetection/.apikey``, JSON ``{"access-key": ..., "secret-key": ...}``) — what
   ``tld apikey register`` of the official CLI writes, so its users need nothing more;
3. an OAuth2 access token, as the official SDK gets it: the device flow of the service's Keycloak
   (client ``gdal``, scope ``openid offline_access``). The token URL is read from the service's
   ``openapi.json``; tokens are stored in ``.jwt`` next to ``.apikey`` (the SDK's format, so the SDK and
   this toolkit share one sign-in) and refreshed shortly before they expire.

The device flow shows a link through a pluggable handler (:func:`set_sign_in_handler`; by default a
message on standard error, or a clickable link in a Jupyter notebook) and waits for its approval. It never
starts where no one can see the link: inside a dask worker, in a process that received a pickled
signer, when ``CI`` is set, without a terminal outside Jupyter, or with ``interactive=False``
(``DINAMIS_INTERACTIVE=0``). There, an :class:`~dinamis_widgets.errors.AuthenticationError` says how to
authenticate instead.

Examples
--------
Store an API key once (it is then used by this toolkit and by the official SDK):

>>> from dinamis_widgets.signing import auth
>>> auth.save_api_key("my-access-key", "my-secret-key", config_dir=tmp)      # doctest: +SKIP
PosixPath('.../.apikey')

Or sign in interactively, then create and store an API key for headless runs (dask, CI):

>>> auth.login()                                   # doctest: +SKIP
>>> auth.create_api_key("laptop", save=True)       # doctest: +SKIP
ApiKey(access_key='Xq1…', secret_key=***)
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import html
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin

import requests

from ..errors import AuthenticationError, SigningError
from ..http import RetryPolicy, request, service_message
from ..settings import Settings, get_settings, profile_for

__all__ = [
    "CLIENT_ID",
    "SCOPE",
    "ApiKey",
    "ApiKeyAuth",
    "Credentials",
    "DeviceCode",
    "DeviceFlowAuth",
    "NoAuth",
    "SignInHandler",
    "Token",
    "can_prompt",
    "create_api_key",
    "get_credentials",
    "how_to_authenticate",
    "list_api_keys",
    "load_api_key",
    "load_token",
    "login",
    "logout",
    "print_sign_in",
    "revoke_api_key",
    "save_api_key",
    "save_token",
    "set_sign_in_handler",
    "token_endpoint",
    "userinfo",
]

#: OAuth2 client of the official SDK (the service's Keycloak knows it).
CLIENT_ID = "gdal"
#: Scopes asked by the official SDK (``offline_access`` gives a long-lived refresh token).
SCOPE = "openid offline_access"
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: Refresh an access token when it has less than this many seconds left.
TOKEN_MARGIN_SECONDS = 60
# --------------------------------------------------------------------------------------------------
# Files shared with the official SDK
# --------------------------------------------------------------------------------------------------


def _write_private(path: Path, data: Mapping[str, Any]) -> Path:
    """Write JSON to ``path`` atomically, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)
            json.dump(dict(data), fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    return path


def _short(key: str) -> str:
    return key[:4] + "…" if len(key) > 4 else "…"


@dataclass(frozen=True)
class ApiKey:
    """An API key of the signing service (the secret never appears in the repr).

    Examples
    --------
    >>> ApiKey("AK1234", "s3cret")
    ApiKey(access_key='AK1234', secret_key=***)
    >>> ApiKey("AK1234", "s3cret").headers()
    {'access-key': 'AK1234', 'secret-key': 's3cret'}
    """

    access_key: str
    secret_key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        """The request headers that carry the key."""
        return {"access-key": self.access_key, "secret-key": self.secret_key}

    def to_dict(self) -> dict[str, str]:
        """The JSON of the ``.apikey`` file."""
        return self.headers()

    def __repr__(self) -> str:
        return f"ApiKey(access_key={self.access_key!r}, secret_key=***)"


def load_api_key(settings: Settings | None = None) -> tuple[ApiKey, str] | None:
    """The API key to use, and where it came from, or None.

    The environment (``TLD_ACCESS_KEY`` and ``TLD_SECRET_KEY``, or overrides) comes before the
    ``.apikey`` file of ``TLD_CONFIG_DIR``. An unreadable file counts as absent, like in the SDK.
    """
    s = settings or get_settings()
    if s.access_key and s.secret_key:
        return ApiKey(s.access_key, s.secret_key), "TLD_ACCESS_KEY/TLD_SECRET_KEY"
    try:
        data = json.loads(s.apikey_path.read_text(encoding="utf-8"))
        key = ApiKey(str(data["access-key"]), str(data["secret-key"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not key.access_key or not key.secret_key:
        return None
    return key, str(s.apikey_path)


def save_api_key(access_key: str | ApiKey, secret_key: str | None = None, *,
                 config_dir: str | os.PathLike[str] | None = None) -> Path:
    """Store an API key in ``.apikey`` (mode 0600), where this toolkit and the official SDK read it.

    Parameters
    ----------
    access_key, secret_key
        The key (or an :class:`ApiKey` alone).
    config_dir
        Folder; ``TLD_CONFIG_DIR`` (default ``~/.config/teledetection``) by default.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    key = access_key if isinstance(access_key, ApiKey) else ApiKey(access_key, secret_key or "")
    if not key.access_key or not key.secret_key:
        raise AuthenticationError("An API key needs both an access key and a secret key.")
    folder = Path(config_dir) if config_dir is not None else get_settings().config_dir
    path = _write_private(folder / ".apikey", key.to_dict())
    _credentials_changed()
    return path


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
    return _write_private(folder / ".jwt", token.to_dict())


# --------------------------------------------------------------------------------------------------
# Interactivity
# --------------------------------------------------------------------------------------------------


def _in_dask_worker() -> bool:
    if "distributed" not in sys.modules:
        return False
    try:
        from distributed import get_worker

        get_worker()
    except Exception:
        return False
    return True


def _in_jupyter_kernel() -> bool:
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and hasattr(shell, "kernel")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def can_prompt(settings: Settings | None = None, *, interactive: bool | None = None) -> tuple[bool, str]:
    """Whether a person can see a sign-in link here, and why (or why not).

    Parameters
    ----------
    settings
        For ``interactive`` (``DINAMIS_INTERACTIVE``); :func:`get_settings` by default.
    interactive
        Overrides the settings: True allows it anywhere but in a dask worker, False forbids it.

    Returns
    -------
    (bool, str)
        The answer and its reason, for messages.

    Examples
    --------
    >>> can_prompt(interactive=False)
    (False, 'interactive=False was asked (setting interactive, DINAMIS_INTERACTIVE=0)')
    """
    if _in_dask_worker():
        return False, "this code runs inside a dask worker, where no one can see a sign-in link"
    flag = interactive if interactive is not None else (settings or get_settings()).interactive
    if flag is True:
        return True, "interactive=True was asked"
    if flag is False:
        return False, "interactive=False was asked (setting interactive, DINAMIS_INTERACTIVE=0)"
    ci = os.environ.get("CI", "").strip()
    if ci and ci.lower() not in ("0", "false", "no"):
        return False, f"the CI environment variable is set (CI={ci!r})"
    if _in_jupyter_kernel():
        return True, "a Jupyter kernel"
    if _isatty(sys.stderr) or _isatty(sys.stdout):
        return True, "a terminal"
    return False, "there is no terminal and this is not a Jupyter kernel"


def how_to_authenticate(signing_endpoint: str | None, config_dir: Path | None = None) -> str:
    """The advice given when credentials are missing or refused."""
    folder = config_dir or get_settings().config_dir
    where = f" for {signing_endpoint}" if signing_endpoint else ""
    return (
        f"To authenticate{where}: (1) set TLD_ACCESS_KEY and TLD_SECRET_KEY to an API key; or "
        f"(2) store one in {folder / '.apikey'}: sign in once where you can open a link (a notebook "
        "or a terminal) with dinamis_widgets.login(), then run "
        "dinamis_widgets.signing.auth.create_api_key(save=True) (or `tld apikey register` with the official "
        f"CLI); or (3) sign in with dinamis_widgets.login(): the token saved in {folder / '.jwt'} "
        "is then used, and refreshed, by every process that reads that folder."
    )


# --------------------------------------------------------------------------------------------------
# Showing the sign-in link
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCode:
    """What to show a person so they approve a sign-in (RFC 8628).

    Attributes
    ----------
    verification_uri_complete
        The link to open (carries the code).
    verification_uri, user_code
        The page and the code to type there, for those who cannot click.
    expires_in, interval
        Seconds the link stays valid, and between two polls.
    """

    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_in: int
    interval: int
    device_code: str = field(repr=False)

    @property
    def link(self) -> str:
        """The link to open."""
        return self.verification_uri_complete or self.verification_uri

    def message(self) -> str:
        """Plain text for a terminal."""
        minutes = max(1, round(self.expires_in / 60))
        return (
            "To sign in to the DINAMIS signing service, open this link in a browser and approve:\n"
            f"    {self.link}\n"
            f"(or open {self.verification_uri} and enter the code {self.user_code}). "
            f"The link expires in {minutes} min. Waiting..."
        )

    def _repr_html_(self) -> str:
        link = html.escape(self.link, quote=True)
        return (
            "<div><b>Sign in to the DINAMIS signing service</b>: "
            f"<a href=\"{link}\" target=\"_blank\" rel=\"noopener\">open this link and approve</a> "
            f"(code <code>{html.escape(self.user_code)}</code>, valid "
            f"{max(1, round(self.expires_in / 60))} min).</div>"
        )


SignInHandler = Callable[[DeviceCode], None]


def print_sign_in(code: DeviceCode) -> None:
    """Default handler: a clickable link in a Jupyter notebook, else a message on standard error."""
    if _in_jupyter_kernel():
        try:
            from IPython.display import HTML, display

            display(HTML(code._repr_html_()))
            return
        except Exception:  # pragma: no cover - IPython without display
            pass
    print(code.message(), file=sys.stderr, flush=True)


_sign_in_handler: SignInHandler | None = None


def set_sign_in_handler(handler: SignInHandler | None) -> SignInHandler | None:
    """Choose how sign-in links are shown (the notebook UI passes its own); None restores the default.

    Returns
    -------
    callable or None
        The previous handler.
    """
    global _sign_in_handler
    previous, _sign_in_handler = _sign_in_handler, handler
    return previous


# --------------------------------------------------------------------------------------------------
# OAuth2
# --------------------------------------------------------------------------------------------------

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
    response = request("GET", url, timeout=timeout, policy=RetryPolicy(total=retry_total,
                       backoff_factor=backoff_factor), error_cls=AuthenticationError,
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
        See :func:`can_prompt`; None decides from the context each time.
    on_sign_in
        Shows the link; by default the handler of :func:`set_sign_in_handler`, else :func:`print_sign_in`.
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
            policy=RetryPolicy(total=self.retry_total, backoff_factor=self.backoff_factor),
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
        handler = on_sign_in or self.on_sign_in or _sign_in_handler or print_sign_in
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


def _endpoint(settings: Settings, signing_endpoint: str | None) -> str:
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
    return _device_auth(s, _endpoint(s, signing_endpoint), interactive)


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
        Shows the link (default: :func:`set_sign_in_handler`'s handler, else :func:`print_sign_in`).
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
    auth = _device_auth(s, _endpoint(s, signing_endpoint), interactive)
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
    _credentials_changed()


def _bearer_get(route: str, params: Mapping[str, str] | None, settings: Settings | None,
                signing_endpoint: str | None, what: str) -> Any:
    s = settings or get_settings()
    endpoint = _endpoint(s, signing_endpoint)
    auth = get_credentials(s, signing_endpoint=endpoint, oauth_only=True)
    url = endpoint + route
    for attempt in range(2):
        response = request("GET", url, params=dict(params or {}), headers=auth.headers(),
                           timeout=s.request_timeout, policy=RetryPolicy.from_settings(s),
                           error_cls=AuthenticationError, what=what)
        if response.status_code == 401 and attempt == 0 and auth.invalidate():
            continue
        if response.status_code == 401:
            raise AuthenticationError(what + " was refused", status=401,
                                      service_message=service_message(response), url=url)
        if not response.ok:
            raise SigningError(what + " failed", status=response.status_code,
                               service_message=service_message(response), url=url)
        return response.json()
    raise AssertionError("unreachable")  # pragma: no cover


def create_api_key(description: str | None = None, *, save: bool = False, signing_endpoint: str | None = None,
                   settings: Settings | None = None) -> ApiKey:
    """Create an API key (needs a sign-in, started if necessary), optionally stored in ``.apikey``.

    Parameters
    ----------
    description
        A note to recognise the key; by default who created it and when.
    save
        Store it with :func:`save_api_key`, where this toolkit and the official SDK find it.

    Returns
    -------
    ApiKey
    """
    if not description:
        description = (f"Created by {getpass.getuser()} on {datetime.now():%Y-%m-%d %H:%M} "
                       "(dinamis_widgets)")
    data = _bearer_get("create_api_key", {"description": description}, settings, signing_endpoint,
                       "Creating an API key")
    try:
        key = ApiKey(str(data["access-key"]), str(data["secret-key"]))
    except (KeyError, TypeError):
        raise SigningError("The signing service's answer to create_api_key has no access-key/secret-key.") \
            from None
    if save:
        s = settings or get_settings()
        save_api_key(key, config_dir=s.config_dir)
    return key


def list_api_keys(*, signing_endpoint: str | None = None,
                  settings: Settings | None = None) -> list[dict[str, Any]]:
    """The API keys of the signed-in user (``access-key``, ``description``, ``created``; no secrets)."""
    data = _bearer_get("list_api_keys_with_metadata", None, settings, signing_endpoint, "Listing API keys")
    return list(data) if isinstance(data, list) else []


def revoke_api_key(access_key: str, *, signing_endpoint: str | None = None,
                   settings: Settings | None = None) -> None:
    """Revoke an API key of the signed-in user. If it is the stored one, ``.apikey`` is removed."""
    _bearer_get("revoke_api_key", {"access_key": access_key}, settings, signing_endpoint,
                "Revoking an API key")
    s = settings or get_settings()
    found = load_api_key(s)
    if found is not None and found[0].access_key == access_key and found[1] == str(s.apikey_path):
        with contextlib.suppress(FileNotFoundError):
            s.apikey_path.unlink()
        _credentials_changed()


def userinfo(*, signing_endpoint: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """OpenID claims of the signed-in user (``preferred_username``, ``email``...)."""
    s = settings or get_settings()
    endpoint = _endpoint(s, signing_endpoint)
    auth = get_credentials(s, signing_endpoint=endpoint, oauth_only=True)
    url = token_endpoint(endpoint, timeout=s.request_timeout).rsplit("/", 1)[0] + "/userinfo"
    response = request("GET", url, headers=auth.headers(), timeout=s.request_timeout,
                       policy=RetryPolicy.from_settings(s), error_cls=AuthenticationError,
                       what="Reading the user's profile")
    if not response.ok:
        raise AuthenticationError("Reading the user's profile failed", status=response.status_code,
                                  service_message=service_message(response), url=url)
    data = response.json()
    return dict(data) if isinstance(data, Mapping) else {}


def _credentials_changed() -> None:
    """Let the default signer pick up new credentials."""
    signer = sys.modules.get("dinamis_widgets.signing.signer")
    if signer is not None:
        signer._reset_default_signer()

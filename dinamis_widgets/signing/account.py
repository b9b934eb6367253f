"""The signed-in user's account at the signing service: API keys and profile.

These routes need an OAuth2 sign-in (started if necessary, where someone can see its link): create an
API key for headless runs (dask workers, CI) and store it where this toolkit and the official SDK find it,
list the user's keys, revoke one, read the user's OpenID claims.

Examples
--------
Where a sign-in can be shown (a notebook or a terminal)::

    from dinamis_widgets.signing.account import create_api_key, list_api_keys
    create_api_key("laptop", save=True)     # ApiKey(access_key='Xq1…', secret_key=***), in .apikey
    list_api_keys()                         # [{'access-key': 'Xq1…', 'description': 'laptop', ...}]
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import AuthenticationError, SigningError
from ..http import RetryPolicy, request, service_message
from ..settings import Settings, get_settings
from .apikeys import ApiKey, load_api_key, save_api_key
from .credentials import get_credentials, signing_endpoint_for
from .device_flow import token_endpoint
from .storage import credentials_changed

__all__ = ["create_api_key", "list_api_keys", "revoke_api_key", "userinfo"]


def _bearer_get(route: str, params: Mapping[str, str] | None, settings: Settings | None,
                signing_endpoint: str | None, what: str) -> Any:
    s = settings or get_settings()
    endpoint = signing_endpoint_for(s, signing_endpoint)
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
        Store it with :func:`~.apikeys.save_api_key`, where this toolkit and the official SDK find it.

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
        credentials_changed()


def userinfo(*, signing_endpoint: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """OpenID claims of the signed-in user (``preferred_username``, ``email``...)."""
    s = settings or get_settings()
    endpoint = signing_endpoint_for(s, signing_endpoint)
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


"""One signer per configuration in a process, and the default signer of the settings.

A :class:`~.client.Signer` sent to a dask worker (pickled) carries its configuration and credentials
only; unpickled, it is the signer of that process with the same configuration (:func:`restore_signer`),
so that every task of a worker shares one cache and one sign-in. :func:`get_signer` is the process-wide
signer of the active profile, rebuilt when the settings change or new credentials are stored.

Examples
--------
>>> import pickle
>>> from dinamis_widgets.signing.client import Signer
>>> signer = Signer(None)
>>> pickle.loads(pickle.dumps(signer)) is signer      # the same process: the same signer
True
>>> sign_url("https://example.org/a.tif", signer=signer).expiry is None
True
"""

from __future__ import annotations

import collections
import hashlib
import threading
from typing import Any

from ..settings import Settings, get_settings
from .apikeys import ApiKey
from .client import Signer
from .credentials import ApiKeyAuth, Credentials, NoAuth
from .device_flow import DeviceFlowAuth
from .urls import SignedURL
from .validity import ValidityLike

__all__ = ["get_signer", "register", "resign_url", "restore_signer", "sign_url"]

_registry: collections.OrderedDict[tuple[Any, ...], Signer] = collections.OrderedDict()
_registry_lock = threading.Lock()
_REGISTRY_SIZE = 16


def _credentials_key(credentials: Credentials) -> tuple[Any, ...]:
    if isinstance(credentials, NoAuth):
        return ("none",)
    if isinstance(credentials, ApiKeyAuth):
        key: ApiKey = credentials.key
        return ("apikey", key.access_key, hashlib.sha256(key.secret_key.encode()).hexdigest())
    if isinstance(credentials, DeviceFlowAuth):
        return ("oauth", credentials.signing_endpoint, str(credentials.config_dir))
    return ("other", id(credentials))


def _registry_key(config: tuple[Any, ...], credentials: Credentials) -> tuple[Any, ...]:
    return (*config, _credentials_key(credentials))


def register(signer: Signer) -> None:
    """Make ``signer`` the one that unpickled copies of its configuration become in this process."""
    key = _registry_key(signer._config(), signer.credentials if signer.endpoint else NoAuth())
    with _registry_lock:
        _registry[key] = signer
        _registry.move_to_end(key)
        while len(_registry) > _REGISTRY_SIZE:
            _registry.popitem(last=False)


def restore_signer(config: tuple[Any, ...], credentials: Credentials) -> Signer:
    """Unpickle a signer: the one of this process with the same configuration, or a new one."""
    key = _registry_key(config, credentials)
    with _registry_lock:
        existing = _registry.get(key)
        if existing is not None:
            _registry.move_to_end(key)
            return existing
    endpoint, hosts, validity, margin, max_validity, timeout, retry_total, backoff, deadline, batch = config
    signer = Signer(endpoint, credentials=credentials, signable_hosts=hosts, validity=validity,
                    margin=margin, max_validity=max_validity, timeout=timeout, retry_total=retry_total,
                    backoff_factor=backoff, retry_deadline=deadline, batch_size=batch)
    with _registry_lock:
        return _registry.setdefault(key, signer)


# --------------------------------------------------------------------------------------------------
# The default signer
# --------------------------------------------------------------------------------------------------

_default: tuple[Settings, Signer] | None = None
_default_lock = threading.Lock()


def get_signer() -> Signer:
    """The process-wide signer of the active profile, rebuilt when the settings change.

    Raises
    ------
    ConfigurationError
        If the settings are invalid, or the ``twin`` profile is asked without a running twin.
    """
    global _default
    settings = get_settings()
    with _default_lock:
        if _default is not None and _default[0] is settings:
            return _default[1]
        signer = Signer.from_settings(settings)
        _default = (settings, signer)
        return signer


def _reset_default_signer() -> None:
    """Forget the default signer (new credentials were stored)."""
    global _default
    with _default_lock:
        _default = None


def sign_url(url: str, validity: ValidityLike | None = None, *, signer: Signer | None = None) -> SignedURL:
    """Sign one URL and tell when it expires.

    Examples
    --------
    >>> sign_url("https://example.org/a.tif", signer=Signer(None)).expiry is None
    True
    """
    return (signer or get_signer()).sign_url(url, validity)


def resign_url(url: str, validity: ValidityLike | None = None, *, force: bool = False,
               signer: Signer | None = None) -> SignedURL:
    """A URL valid now for a signed (maybe expired) or unsigned URL. See :meth:`.Signer.resign_url`."""
    return (signer or get_signer()).resign_url(url, validity, force=force)

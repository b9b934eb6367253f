"""In-memory state of the signing service: API keys, identity provider, counters; and the signing.

Examples
--------
>>> from dinamis_widgets.twin.config import ServicesConfig
>>> state = SigningState(ServicesConfig(data_root="/tmp", data_url="http://127.0.0.1:9000",
...                                     signing_url="http://127.0.0.1:9001/"))
>>> answer = state.sign(["http://127.0.0.1:9000/b/k.tif", "https://elsewhere.org/k.tif"], 60)
>>> [href.split("?")[0] for href in answer.hrefs.values()]
['http://127.0.0.1:9000/b/k.tif', 'https://elsewhere.org/k.tif']
>>> {k: v for k, v in state.stats().items() if k.startswith("urls")}
{'urls_requested': 2, 'urls_asked_again': 0, 'urls_signed': 1, 'urls_passed_through': 1}
"""

import hmac
import secrets
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI

from ..config import ServicesConfig
from ..oauth import REALM, IdentityProvider
from ..sigv4 import canonical_host, presign
from .models import ApiKeyRecord, SignResponse

__all__ = ["CONFIG_KEY_OWNER", "SigningState", "signing_state"]

#: Owner of the API keys given in ``config.api_keys`` (not listed or revocable by any user).
CONFIG_KEY_OWNER = "(twin configuration)"


class SigningState:
    """In-memory state of the signing service: API keys, identity provider, counters.

    Parameters
    ----------
    config
        The services' configuration.
    """

    def __init__(self, config: ServicesConfig) -> None:
        self.config = config
        self.idp = IdentityProvider(
            issuer=config.signing_url + f"auth/realms/{REALM}",
            verification_uri=config.signing_url + "device",
            access_token_lifetime=config.access_token_lifetime,
            refresh_token_lifetime=config.refresh_token_lifetime,
            device_code_lifetime=config.device_code_lifetime,
            poll_interval=config.device_poll_interval,
            auto_approve=config.auto_approve,
            default_username=config.default_username,
        )
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKeyRecord] = {
            ak: ApiKeyRecord(sk, CONFIG_KEY_OWNER, "from the twin configuration")
            for ak, sk in config.api_keys.items()
        }
        self._counters: Counter[str] = Counter()
        self._asked: set[str] = set()  # every URL asked since the last reset, for ``urls_asked_again``
        self.data_host = canonical_host(config.data_url)

    # counters ------------------------------------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to a counter."""
        with self._lock:
            self._counters[name] += n

    def stats(self) -> dict[str, Any]:
        """Counters of the service and of its identity provider.

        Returns
        -------
        dict
            ``sign_requests`` (every ``POST /sign_urls``, refused ones included),
            ``sign_requests_ok``, ``urls_requested``, ``urls_asked_again`` (URLs already asked
            since the last reset: a client that coalesces and caches keeps it at 0), ``urls_signed``,
            ``urls_passed_through``, ``auth_failures``, ``by_auth`` (``api_key``,
            ``bearer``), and ``oauth`` (device authorizations, grants, refreshes, errors).
        """
        with self._lock:
            counters = dict(self._counters)
        by_auth = {k[5:]: v for k, v in counters.items() if k.startswith("auth_") and k != (
            "auth_failures")}
        names = ("sign_requests", "sign_requests_ok", "urls_requested", "urls_asked_again", "urls_signed",
                 "urls_passed_through", "auth_failures")
        return {
            **{name: counters.get(name, 0) for name in names},
            "by_auth": by_auth,
            "oauth": self.idp.counters(),
        }

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counters.clear()
            self._asked.clear()
        self.idp.reset_counters()

    # API keys ------------------------------------------------------------------------------------

    def check_api_key(self, access_key: str, secret_key: str) -> ApiKeyRecord | None:
        """Return the key record if the secret matches (compared in constant time)."""
        with self._lock:
            record = self._keys.get(access_key)
        expected = record.secret_key if record is not None else secrets.token_urlsafe(32)
        matches = hmac.compare_digest(expected.encode(), secret_key.encode())
        return record if record is not None and matches else None

    def create_api_key(self, owner: str, description: str) -> tuple[str, str]:
        """Create an API key for ``owner``; return (access key, secret key)."""
        access_key, secret_key = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        with self._lock:
            self._keys[access_key] = ApiKeyRecord(secret_key, owner, description)
        return access_key, secret_key

    def list_api_keys(self, owner: str) -> list[dict[str, str]]:
        """The keys of ``owner``, without their secrets."""
        with self._lock:
            mine = [(ak, r) for ak, r in self._keys.items() if r.owner == owner]
        return [
            {
                "access-key": ak,
                "description": r.description,
                "created": r.created.isoformat(sep=" ", timespec="microseconds"),
                "creation_date": r.created.isoformat(),
            }
            for ak, r in sorted(mine, key=lambda item: item[1].created)
        ]

    def revoke_api_key(self, owner: str, access_key: str) -> bool:
        """Revoke a key of ``owner``; False when ``owner`` has no such key."""
        with self._lock:
            record = self._keys.get(access_key)
            if record is None or record.owner != owner:
                return False
            del self._keys[access_key]
            return True

    # signing -------------------------------------------------------------------------------------

    def sign(self, urls: list[str], duration: int) -> SignResponse:
        """Sign the URLs of the store's host; pass the others through.

        Parameters
        ----------
        urls
            URLs as sent by the client; each is a key of the answer.
        duration
            Validity in seconds (already checked).

        Returns
        -------
        SignResponse
            The signed URLs and their common expiry (``X-Amz-Date`` + ``duration``).
        """
        now = datetime.now(UTC).replace(microsecond=0)
        hrefs: dict[str, str] = {}
        signed = 0
        for url in urls:
            if self._signable(url):
                hrefs[url] = presign(
                    url, access_key=self.config.storage_access_key,
                    secret_key=self.config.storage_secret_key, expires=duration, now=now,
                )
                signed += 1
            else:
                hrefs[url] = url
        with self._lock:
            again = sum(url in self._asked for url in urls)
            self._asked.update(urls)
        self.count("urls_requested", len(urls))
        self.count("urls_asked_again", again)
        self.count("urls_signed", signed)
        self.count("urls_passed_through", len(urls) - signed)
        return SignResponse(hrefs=hrefs, expiry=now + timedelta(seconds=duration))

    def _signable(self, url: str) -> bool:
        """Whether a URL belongs to the store (same host and port)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(parts.netloc) and (
            canonical_host(url) == self.data_host
        )


def signing_state(app: FastAPI) -> SigningState:
    """Return the :class:`SigningState` of an app made by :func:`create_signing_app`."""
    state: SigningState = app.state.twin
    return state

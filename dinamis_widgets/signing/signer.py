"""Sign the URLs of DINAMIS assets so that GDAL, rasterio or QGIS can read them.

:func:`sign` takes a URL, a pystac Asset, Item, ItemCollection or Collection, a pystac-client ItemSearch,
or a STAC mapping (item, collection or feature collection), and returns it with signed hrefs
(a copy unless ``copy=False``). :func:`sign_inplace` is the same, in place: pass it as pystac-client's
``modifier``. Both use a process-wide :class:`Signer` built from the settings (:func:`get_signer`),
rebuilt when the settings change.

What the :class:`Signer` does, beyond the official SDK:

- it signs only URLs of the signable hosts (``meso.umontpellier.fr`` on the real service) and passes
  the others through, untouched and without a request;
- it refuses, with the reason, products the catalogue cannot sign (:class:`~dinamis_widgets.errors.
  NotSignableError`): BRUT products and Regards products;
- it reuses a URL that is already signed while it stays valid long enough (``X-Amz-Date`` +
  ``X-Amz-Expires``), and caches signed URLs by unsigned URL; threads asking for the same URLs at the
  same time share one request;
- it sends at most 64 URLs per request, and retries ``POST`` on 429, 5xx and connection errors with an
  exponential backoff that honours ``Retry-After``;
- it turns HTTP errors into typed errors that keep the status and the service's message, and never
  shows a signature (in reprs, logs or messages);
- it can be pickled into dask workers (threads, processes, ``distributed``), where it signs at read
  time (:meth:`Signer.resign_url`) and never starts an interactive sign-in.

When is a signed URL reused? With ``margin`` the TTL margin (``TLD_TTL_MARGIN``, 30 min) and ``D`` the
validity asked (or the signer's default, ``TLD_URL_DURATION``), a URL is reused while the time it has
left is between ``D - m`` and ``D + m``, where ``m = min(margin, D / 2)``: the validity asked is what the
user gets, give or take the margin (a URL asked for 3 h is reused while it has 2.5 h to 3.5 h left, an
8 h one is not). With no validity asked (the service's default), any URL with ``margin`` left is reused
(half its lifetime if that is shorter, so that a 2 s demo validity still works).

Examples
--------
>>> from dinamis_widgets.signing.signer import Signer
>>> signer = Signer(None)                 # no signing service: every URL passes through
>>> signer.sign_url("https://example.org/a.tif").href
'https://example.org/a.tif'
>>> parse_signed_url("https://h/k.tif?X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600"
...                  "&X-Amz-Signature=abc").expiry
datetime.datetime(2025, 1, 1, 1, 0, tzinfo=datetime.timezone.utc)

With the settings pointing at a catalogue (``dinamis_widgets.twin.start()`` does it for the twin)::

    import dinamis_widgets as dw
    item = dw.sign(item, validity="3h", assets=["multispectral"])
    client = pystac_client.Client.open(url, modifier=dw.sign_inplace)
"""

from __future__ import annotations

import collections
import copy as copy_module
import functools
import hashlib
import logging
import sys
import threading
import warnings
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import pystac

from ..errors import (
    AuthenticationError,
    NotSignableError,
    SigningError,
    ValidityError,
    mask_signatures,
)
from ..http import RetryPolicy, request, service_message
from ..settings import Profile, Settings, get_settings, host_matches, profile_for
from ..warnings import NotSignableWarning
from .auth import (
    ApiKeyAuth,
    Credentials,
    DeviceFlowAuth,
    NoAuth,
    get_credentials,
    how_to_authenticate,
)
from .validity import ACCEPTED_FORMS, ValidityLike, parse_validity

__all__ = [
    "EXPIRY_FIELD",
    "MAX_URLS_PER_REQUEST",
    "SignedURL",
    "Signer",
    "check_signable",
    "get_signer",
    "is_signed",
    "parse_signed_url",
    "resign_url",
    "sign",
    "sign_inplace",
    "sign_url",
    "signability",
    "unsigned_url",
]

log = logging.getLogger(__name__)

#: At most this many URLs per ``sign_urls`` request (as the real service).
MAX_URLS_PER_REQUEST = 64
#: Asset field where :func:`sign` records when a signed href expires (ISO 8601, UTC).
EXPIRY_FIELD = "dinamis:expiry"
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_DEFAULT_MARGIN = 1800.0



# --------------------------------------------------------------------------------------------------
# Signed URLs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedURL:
    """A URL and its signed form (reprs mask the signature).

    Attributes
    ----------
    href
        The URL to read (signed, or the URL itself when it needs no signature).
    unsigned_href
        The URL without its ``X-Amz-*`` parameters (the cache key).
    expiry
        When the signature expires (UTC), or None for a URL that needs no signature.
    issued
        When it was signed (``X-Amz-Date``), if known.
    """

    href: str
    unsigned_href: str
    expiry: datetime | None
    issued: datetime | None = field(default=None, compare=False)

    @property
    def signed(self) -> bool:
        """Whether ``href`` carries a signature."""
        return self.expiry is not None

    @property
    def lifetime(self) -> float | None:
        """Seconds between signing and expiry, if known."""
        if self.expiry is None or self.issued is None:
            return None
        return (self.expiry - self.issued).total_seconds()

    def ttl(self, now: datetime | None = None) -> float:
        """Seconds left before expiry (infinite for a URL that needs no signature)."""
        if self.expiry is None:
            return float("inf")
        return (self.expiry - (now or datetime.now(UTC))).total_seconds()

    def vsicurl(self) -> str:
        """The GDAL path ``/vsicurl/<href>`` (the query string is kept as it is)."""
        return "/vsicurl/" + self.href

    def __repr__(self) -> str:
        expiry = self.expiry.isoformat(timespec="seconds") if self.expiry else None
        return f"SignedURL(href={mask_signatures(self.href)!r}, expiry={expiry!r})"

    __str__ = __repr__


def _query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def is_signed(url: str) -> bool:
    """Whether a URL carries an ``X-Amz-Signature``.

    Examples
    --------
    >>> is_signed("https://h/k.tif?X-Amz-Signature=abc"), is_signed("https://h/k.tif")
    (True, False)
    """
    if "?" not in url:
        return False
    return any(k.lower() == "x-amz-signature" for k, _ in _query_pairs(url))


def unsigned_url(url: str) -> str:
    """The URL without its ``X-Amz-*`` query parameters (other parameters are kept, in order).

    Examples
    --------
    >>> unsigned_url("https://h/b/k.tif?v=2&X-Amz-Date=20250101T000000Z&X-Amz-Signature=abc")
    'https://h/b/k.tif?v=2'
    """
    if "?" not in url:
        return url
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&")
            if p and not unquote(p.split("=", 1)[0]).lower().startswith("x-amz-")]
    return urlunsplit(parts._replace(query="&".join(kept)))


def parse_signed_url(url: str) -> SignedURL | None:
    """Read when a presigned URL expires, from ``X-Amz-Date`` and ``X-Amz-Expires``.

    Returns
    -------
    SignedURL or None
        None when the URL is not signed, or its dates cannot be read.

    Examples
    --------
    >>> s = parse_signed_url("https://h/k.tif?X-Amz-Date=20250101T000000Z&X-Amz-Expires=60"
    ...                      "&X-Amz-Signature=abc")
    >>> s.unsigned_href, s.lifetime
    ('https://h/k.tif', 60.0)
    >>> parse_signed_url("https://h/k.tif") is None
    True
    """
    if not is_signed(url):
        return None
    params = {k.lower(): v for k, v in _query_pairs(url)}
    try:
        issued = datetime.strptime(params["x-amz-date"], _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        expires = int(params["x-amz-expires"])
    except (KeyError, ValueError):
        return None
    return SignedURL(href=url, unsigned_href=unsigned_url(url), expiry=issued + timedelta(seconds=expires),
                     issued=issued)


def _parse_expiry(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# --------------------------------------------------------------------------------------------------
# The signer
# --------------------------------------------------------------------------------------------------


@dataclass
class _Entry:
    signed: SignedURL
    requested: int | None  # validity asked, None for the service's default


class _Pending:
    """A signature being requested by one thread, that others wait for."""

    __slots__ = ("error", "event", "result")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: SignedURL | None = None
        self.error: BaseException | None = None


def _copy_error(exc: BaseException) -> BaseException:
    try:
        return copy_module.copy(exc)
    except Exception:  # pragma: no cover - an exception that cannot be copied
        return exc


class Signer:
    """Client of a signing service: batching, caching, retries, typed errors. Thread-safe, picklable.

    Parameters
    ----------
    endpoint
        The signing service (``https://signing.stac.teledetection.fr/``), or None: nothing is signed.
    credentials
        How to authenticate (:mod:`~.auth`); by default found from the settings when first
        needed (API key, else OAuth2 sign-in).
    signable_hosts
        Hosts whose URLs are signed (see :func:`dinamis_widgets.settings.host_matches`).
    validity
        Default validity (any form of :func:`~dinamis_widgets.parse_validity`); None for the
        service's default (8 h on the real service).
    margin
        TTL margin in seconds (``TLD_TTL_MARGIN``): see the module's documentation.
    max_validity
        Longest validity asked, checked before any request (None: leave it to the service).
    timeout, retry_total, backoff_factor, retry_deadline
        Per-request timeout, retries on 429/5xx/connection errors, backoff base (seconds), and the time
        after which no retry starts (seconds; None for no limit): see :class:`~..http.RetryPolicy`.
    batch_size
        URLs per request (at most 64).
    settings
        Where default credentials come from; :func:`get_settings` when None.

    Examples
    --------
    >>> signer = Signer("https://signing.example.org/", signable_hosts=["data.example.org"],
    ...                 validity="3h")
    >>> signer.is_signable("https://data.example.org/b/k.tif"), signer.is_signable("https://x.org/k")
    (True, False)
    >>> signer                                  # doctest: +ELLIPSIS
    Signer('https://signing.example.org/', signable_hosts=('data.example.org',), validity='3h', ...)
    """

    def __init__(
        self,
        endpoint: str | None,
        *,
        credentials: Credentials | None = None,
        signable_hosts: Sequence[str] = (),
        validity: ValidityLike | None = None,
        margin: float = _DEFAULT_MARGIN,
        max_validity: ValidityLike | None = None,
        timeout: float = 30.0,
        retry_total: int = 10,
        backoff_factor: float = 0.8,
        retry_deadline: float | None = 30.0,
        batch_size: int = MAX_URLS_PER_REQUEST,
        settings: Settings | None = None,
    ) -> None:
        if endpoint is not None and not endpoint.endswith("/"):
            endpoint += "/"
        self.endpoint = endpoint
        self.signable_hosts = tuple(h.strip().lower() for h in signable_hosts if h.strip())
        self.max_validity = int(parse_validity(max_validity).total_seconds()) if max_validity else None
        self.validity = (int(parse_validity(validity, maximum=self.max_validity).total_seconds())
                         if validity is not None else None)
        self.margin = float(margin)
        self.timeout = float(timeout)
        self.retry_total = int(retry_total)
        self.backoff_factor = float(backoff_factor)
        self.retry_deadline = None if retry_deadline is None else float(retry_deadline)
        self.retry = RetryPolicy(total=self.retry_total, backoff_factor=self.backoff_factor,
                                 deadline=self.retry_deadline)
        if not 1 <= batch_size <= MAX_URLS_PER_REQUEST:
            raise ValueError(f"batch_size must be between 1 and {MAX_URLS_PER_REQUEST}")
        self.batch_size = int(batch_size)
        self._credentials = credentials
        self._settings = settings
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}
        self._inflight: dict[tuple[str, int | None], _Pending] = {}
        self._stats: collections.Counter[str] = collections.Counter()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, profile: str | Profile | None = None,
                      **overrides: Any) -> Signer:
        """A signer for a catalogue profile, configured by the settings.

        Parameters
        ----------
        settings
            :func:`get_settings` by default.
        profile
            A profile or its name/URL (:func:`~dinamis_widgets.settings.profile_for`); the active one by
            default.
        **overrides
            Arguments of :class:`Signer` that replace the settings' (``validity``, ``margin``...).
        """
        s = settings or get_settings()
        p = profile_for(profile, s)
        kwargs: dict[str, Any] = {
            "signable_hosts": p.signable_hosts,
            "validity": s.url_duration or None,
            "margin": s.ttl_margin,
            "max_validity": s.max_validity,
            "timeout": s.request_timeout,
            "retry_total": s.retry_total,
            "backoff_factor": s.retry_backoff_factor,
            "retry_deadline": s.retry_deadline if s.retry_deadline > 0 else None,
            "settings": s,
        }
        kwargs.update(overrides)
        return cls(p.signing_endpoint, **kwargs)

    # -- pickling: configuration and credentials only ---------------------------------------------
    def _config(self) -> tuple[Any, ...]:
        return (self.endpoint, self.signable_hosts, self.validity, self.margin, self.max_validity,
                self.timeout, self.retry_total, self.backoff_factor, self.retry_deadline, self.batch_size)

    def __reduce__(self) -> tuple[Any, ...]:
        credentials = self.credentials if self.endpoint is not None else NoAuth()
        _register(self)
        return (_restore_signer, (self._config(), credentials))

    def __repr__(self) -> str:
        from .validity import format_validity

        validity = format_validity(self.validity) if self.validity else None
        return (f"Signer({self.endpoint!r}, signable_hosts={self.signable_hosts!r}, validity={validity!r}, "
                f"margin={self.margin:g}, cached={len(self._cache)})")

    # -- credentials and HTTP ----------------------------------------------------------------------
    @property
    def credentials(self) -> Credentials:
        """The credentials sent to the service (found from the settings on first use)."""
        if self._credentials is None:
            self._credentials = get_credentials(self._settings, signing_endpoint=self.endpoint)
        return self._credentials

    @property
    def stats(self) -> dict[str, int]:
        """Counters: ``requests`` (POSTs answered), ``urls_sent``, ``cache_hits``, ``reused_signed``,
        ``passed_through``, ``coalesced`` (URLs another thread was already signing)."""
        with self._lock:
            return dict(self._stats)

    def clear_cache(self) -> None:
        """Forget every cached signature."""
        with self._lock:
            self._cache.clear()

    # -- rules -------------------------------------------------------------------------------------
    def is_signable(self, url: str) -> bool:
        """Whether ``url`` is sent to the service (its host is a signable one)."""
        return self.endpoint is not None and host_matches(url, self.signable_hosts)

    def _duration(self, validity: ValidityLike | None) -> int | None:
        if validity is None:
            return self.validity
        return int(parse_validity(validity, maximum=self.max_validity).total_seconds())

    def _ttl_bounds(self, duration: int | None, entry: _Entry) -> tuple[float, float]:
        """Least and most time left for ``entry`` to be reused for a request of ``duration`` seconds."""
        if duration is None:
            lifetime = entry.signed.lifetime
            if entry.requested is None and lifetime:
                return min(self.margin, lifetime / 2), float("inf")
            return self.margin, float("inf")
        m = min(self.margin, duration / 2)
        return max(m, duration - m), duration + m

    def _acceptable(self, entry: _Entry, duration: int | None, now: datetime) -> bool:
        if entry.signed.expiry is None:
            return True
        least, most = self._ttl_bounds(duration, entry)
        return least <= entry.signed.ttl(now) <= most

    # -- signing -----------------------------------------------------------------------------------
    def sign_url(self, url: str, validity: ValidityLike | None = None) -> SignedURL:
        """Sign one URL. See :meth:`sign_urls`."""
        return self.sign_urls([url], validity)[url]

    def sign_urls(self, urls: Iterable[str], validity: ValidityLike | None = None) -> dict[str, SignedURL]:
        """Sign URLs: reuse what is still valid, request the rest in batches of 64.

        Parameters
        ----------
        urls
            URLs, signed or not. URLs of other hosts pass through unchanged.
        validity
            How long the signatures must last (``"3h"``, ``"PT3H10M"``, seconds...); the signer's default
            when None.

        Returns
        -------
        dict of str to SignedURL
            Every given URL, in order.

        Raises
        ------
        ValidityError
            If ``validity`` is malformed, not positive or above the maximum (also when the service says so).
        AuthenticationError
            If there are no usable credentials, or the service refuses them (HTTP 401/403).
        SigningError
            If the service fails (status and message kept), or cannot be reached after the retries.
        """
        if isinstance(urls, str):
            urls = [urls]
        ordered = list(dict.fromkeys(urls))
        shown = validity
        seconds = self._duration(validity)
        now = datetime.now(UTC)
        out: dict[str, SignedURL] = {}
        need: dict[str, list[str]] = {}
        passed = reused = 0
        for url in ordered:
            if not isinstance(url, str):
                raise TypeError(f"URLs must be strings, not {type(url).__name__}")
            if not self.is_signable(url):
                out[url] = SignedURL(url, url, None)
                passed += 1
                continue
            key = unsigned_url(url)
            if key != url:
                parsed = parse_signed_url(url)
                if parsed is not None and self._acceptable(_Entry(parsed, int(parsed.lifetime or 0)),
                                                           seconds, now):
                    out[url] = parsed
                    reused += 1
                    continue
            need.setdefault(key, []).append(url)
        if passed or reused:
            with self._lock:
                self._stats["passed_through"] += passed
                self._stats["reused_signed"] += reused
        if need:
            signed = self._sign_keys(list(need), seconds, shown)
            for key, inputs in need.items():
                for url in inputs:
                    out[url] = signed[key]
        return {url: out[url] for url in ordered}

    def resign_url(self, url: str, validity: ValidityLike | None = None, *, force: bool = False) -> SignedURL:
        """A URL valid now for a URL signed (maybe expired) or not: the URL itself while its signature lasts
        long enough (see the module's documentation), else a new signature of its unsigned form (its
        ``X-Amz-*`` parameters dropped).

        Cheap when called before every read: the cache answers while the signature stays valid long
        enough. After a read failed with 403, call it with ``force=True`` to get a new signature.

        Examples
        --------
        >>> Signer(None).resign_url("https://x.org/k.tif").href   # not signable: passed through
        'https://x.org/k.tif'
        """
        if not force:
            return self.sign_urls([url], validity)[url]
        key = unsigned_url(url)
        with self._lock:
            self._cache.pop(key, None)
        if not self.is_signable(url):
            return SignedURL(url, url, None)
        return self.sign_urls([key], validity)[key]

    def _sign_keys(self, keys: list[str], seconds: int | None, shown: Any) -> dict[str, SignedURL]:
        result: dict[str, SignedURL] = {}
        mine: list[tuple[str, _Pending]] = []
        waits: list[tuple[str, _Pending]] = []
        with self._lock:
            now = datetime.now(UTC)
            for key in keys:
                entry = self._cache.get(key)
                if entry is not None and self._acceptable(entry, seconds, now):
                    result[key] = entry.signed
                    self._stats["cache_hits"] += 1
                    continue
                pending = self._inflight.get((key, seconds))
                if pending is not None:
                    waits.append((key, pending))
                    self._stats["coalesced"] += 1
                    continue
                pending = _Pending()
                self._inflight[(key, seconds)] = pending
                mine.append((key, pending))
        try:
            for start in range(0, len(mine), self.batch_size):
                batch = mine[start:start + self.batch_size]
                signed = self._post([k for k, _ in batch], seconds, shown)
                with self._lock:
                    for key, pending in batch:
                        self._cache[key] = _Entry(signed[key], seconds)
                        self._inflight.pop((key, seconds), None)
                        pending.result = signed[key]
                        pending.event.set()
                    self._prune()
                result.update(signed)
        except BaseException as exc:
            with self._lock:
                for key, pending in mine:
                    if not pending.event.is_set():
                        pending.error = exc
                        self._inflight.pop((key, seconds), None)
                        pending.event.set()
            raise
        for key, pending in waits:
            pending.event.wait()
            if pending.error is not None:
                raise _copy_error(pending.error)
            assert pending.result is not None
            result[key] = pending.result
        return result

    def _prune(self) -> None:
        """Drop expired entries when the cache grows large (lock held)."""
        if len(self._cache) < 50_000:
            return
        now = datetime.now(UTC)
        for key in [k for k, e in self._cache.items() if e.signed.ttl(now) <= 0]:
            del self._cache[key]

    def _post(self, keys: list[str], seconds: int | None, shown: Any) -> dict[str, SignedURL]:
        assert self.endpoint is not None
        url = self.endpoint + "sign_urls"
        payload: dict[str, Any] = {"urls": keys}
        if seconds is not None:
            payload["duration_seconds"] = seconds
        credentials = self.credentials
        for attempt in range(2):
            headers = {"Accept": "application/json", **credentials.headers()}
            response = request(
                "POST", url, json=payload, headers=headers, timeout=self.timeout, policy=self.retry,
                error_cls=SigningError, what=f"Signing {len(keys)} URL(s)",
            )
            with self._lock:
                self._stats["requests"] += 1
            if response.status_code in (401, 403):
                if attempt == 0 and credentials.invalidate():
                    continue
                raise AuthenticationError(
                    f"The signing service {self.endpoint} refused {credentials.describe()}. "
                    + how_to_authenticate(self.endpoint, self._config_dir()),
                    status=response.status_code, service_message=service_message(response), url=url,
                )
            break
        detail = service_message(response)
        if response.status_code in (400, 422) and seconds is not None and _about_validity(detail):
            err = ValidityError(
                f"Invalid validity {_quote(shown, seconds)}: the signing service refused "
                f"duration_seconds={seconds} ({detail}). Ask for a shorter validity. "
                f"Accepted forms: {ACCEPTED_FORMS}."
            )
            err.status = response.status_code  # type: ignore[attr-defined]
            raise err
        if not response.ok:
            raise SigningError(f"Signing {len(keys)} URL(s) failed", status=response.status_code,
                               service_message=detail, url=url)
        try:
            body = response.json()
            hrefs = body["hrefs"]
            expiry = _parse_expiry(body.get("expiry"))
            missing = [k for k in keys if not isinstance(hrefs.get(k), str)]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SigningError("The signing service's answer is not {\"hrefs\": ..., \"expiry\": ...}",
                               status=response.status_code, url=url) from None
        if missing:
            raise SigningError(f"The signing service's answer lacks {len(missing)} of the {len(keys)} URLs "
                               f"asked (first: {mask_signatures(missing[0])})", status=response.status_code,
                               url=url)
        out: dict[str, SignedURL] = {}
        for key in keys:
            href = hrefs[key]
            parsed = parse_signed_url(href)
            if parsed is None:  # the service passed it through: it needs no signature
                out[key] = SignedURL(href, key, None)
                continue
            out[key] = SignedURL(href, key, expiry or parsed.expiry, issued=parsed.issued)
        with self._lock:
            self._stats["urls_sent"] += len(keys)
        log.debug("signed %d URL(s) at %s", len(keys), self.endpoint)
        return out

    def _config_dir(self) -> Any:
        return (self._settings or get_settings()).config_dir


def _about_validity(detail: str) -> bool:
    text = detail.lower()
    return any(word in text for word in ("duration", "validity", "expir", "maximum"))


def _quote(shown: Any, seconds: int) -> str:
    if shown is None:
        return f"'{seconds}s' (the default, TLD_URL_DURATION)"
    return repr(shown) if not isinstance(shown, timedelta) else f"'{shown}'"


# --------------------------------------------------------------------------------------------------
# One signer per configuration in a process (unpickled copies share it)
# --------------------------------------------------------------------------------------------------

_registry: collections.OrderedDict[tuple[Any, ...], Signer] = collections.OrderedDict()
_registry_lock = threading.Lock()
_REGISTRY_SIZE = 16


def _credentials_key(credentials: Credentials) -> tuple[Any, ...]:
    if isinstance(credentials, NoAuth):
        return ("none",)
    if isinstance(credentials, ApiKeyAuth):
        secret = hashlib.sha256(credentials.key.secret_key.encode()).hexdigest()
        return ("apikey", credentials.key.access_key, secret)
    if isinstance(credentials, DeviceFlowAuth):
        return ("oauth", credentials.signing_endpoint, str(credentials.config_dir))
    return ("other", id(credentials))


def _registry_key(config: tuple[Any, ...], credentials: Credentials) -> tuple[Any, ...]:
    return (*config, _credentials_key(credentials))


def _register(signer: Signer) -> None:
    key = _registry_key(signer._config(), signer.credentials if signer.endpoint else NoAuth())
    with _registry_lock:
        _registry[key] = signer
        _registry.move_to_end(key)
        while len(_registry) > _REGISTRY_SIZE:
            _registry.popitem(last=False)


def _restore_signer(config: tuple[Any, ...], credentials: Credentials) -> Signer:
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
    """A URL valid now for a signed (maybe expired) or unsigned URL. See :meth:`Signer.resign_url`."""
    return (signer or get_signer()).resign_url(url, validity, force=force)


# --------------------------------------------------------------------------------------------------
# Signability of products
# --------------------------------------------------------------------------------------------------

_ORDER_HINT = ("Only ORTHO products of MTD and SEAS Guyane can be signed and streamed. To get this product, "
               "order it through the DINAMIS catalogue (add it to the basket).")


def _provider_names(providers: Any) -> list[str]:
    names = []
    if isinstance(providers, list):
        for p in providers:
            name = p.get("name") if isinstance(p, Mapping) else getattr(p, "name", None)
            if isinstance(name, str):
                names.append(name)
    return names


def _reason(item_id: str, properties: Mapping[str, Any], collection: Mapping[str, Any] | None) -> str | None:
    level = properties.get("processing:level")
    if isinstance(level, str) and level.strip().upper() == "BRUT":
        return (f"Item {item_id!r} cannot be signed: it is a BRUT product (processing:level = {level!r}: "
                f"raw, in sensor geometry, not georeferenced). {_ORDER_HINT}")
    provider = properties.get("dinamis:provider")
    sources = [("dinamis:provider", provider)] if isinstance(provider, str) else []
    sources += [("providers", n) for n in _provider_names(properties.get("providers"))]
    if collection is not None:
        cp = collection.get("dinamis:provider")
        if isinstance(cp, str):
            sources.append(("the collection's dinamis:provider", cp))
        sources += [("the collection's providers", n) for n in _provider_names(collection.get("providers"))]
    for where, name in sources:
        if "regards" in name.lower():
            return (f"Item {item_id!r} cannot be signed: it is a Regards (CNES) product "
                    f"({where} = {name!r}); Regards products are delivered by CNES, not streamed by "
                    f"the MTD. {_ORDER_HINT}")
    return None


def _resolved_collection(item: pystac.Item) -> Mapping[str, Any] | None:
    """The item's collection if it is already in memory (never fetched)."""
    link = item.get_single_link(pystac.RelType.COLLECTION)
    if link is None or not link.is_resolved():
        return None
    target = link.target
    if isinstance(target, pystac.Collection):
        return {"providers": target.providers or [], **target.extra_fields}
    return None


def signability(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> str | None:
    """Why a product cannot be signed, or None if it can.

    Parameters
    ----------
    obj
        A pystac Item, an Asset (its item is checked), or an item as a mapping.

    Examples
    --------
    >>> signability({"id": "X", "properties": {"processing:level": "ORTHO", "dinamis:provider": "MTD"}})
    >>> print(signability({"id": "X_BRUT", "properties": {"processing:level": "BRUT"}}))
    Item 'X_BRUT' cannot be signed: it is a BRUT product ...
    """
    if isinstance(obj, pystac.Asset):
        owner = obj.owner
        return signability(owner) if isinstance(owner, pystac.Item) else None
    if isinstance(obj, pystac.Item):
        return _reason(obj.id, obj.properties, _resolved_collection(obj))
    if isinstance(obj, Mapping):
        props = obj.get("properties")
        return _reason(str(obj.get("id", "?")), props if isinstance(props, Mapping) else {}, None)
    return None


def check_signable(obj: pystac.Item | pystac.Asset | Mapping[str, Any]) -> None:
    """Raise :class:`~dinamis_widgets.errors.NotSignableError`, with the reason, if ``obj`` is not
    signable."""
    reason = signability(obj)
    if reason is not None:
        raise NotSignableError(reason)


# --------------------------------------------------------------------------------------------------
# sign / sign_inplace
# --------------------------------------------------------------------------------------------------


@functools.singledispatch
def sign(obj: Any, validity: ValidityLike | None = None, *, copy: bool = True,
         assets: Sequence[str] | None = None, signer: Signer | None = None) -> Any:
    """Sign the asset URLs of a STAC object (or one URL) so they can be read.

    Parameters
    ----------
    obj
        A URL (str), pystac Asset, Item, ItemCollection, Collection, pystac-client ItemSearch (searched,
        then signed), or a mapping: item, collection or feature collection as dicts.
    validity
        How long the signatures last: ``"3h"``, ``"30min"``, ``"PT3H10M"``, ``"P1D"``, seconds or a
        timedelta (:func:`~dinamis_widgets.parse_validity`); by default ``TLD_URL_DURATION`` or
        the service's default (8 h).
    copy
        Return a signed copy (default), or change ``obj`` in place (not possible for a str).
    assets
        Asset keys to sign (e.g. ``["multispectral"]`` or ``["panchromatic"]``); all by default.
    signer
        The :class:`Signer`; :func:`get_signer` by default.

    Returns
    -------
    The signed object (a new str for a URL; an ItemCollection for an ItemSearch). Each signed asset gets
    ``dinamis:expiry`` (ISO 8601) in its fields.

    Raises
    ------
    NotSignableError
        For an Item (or its Asset) that is a BRUT or Regards product. In collections and searches such items
        are left unsigned with a :class:`NotSignableWarning` instead, so that mixed results still work.
    ValidityError, AuthenticationError, SigningError
        See :meth:`Signer.sign_urls`.

    Examples
    --------
    >>> sign("https://example.org/not-signable.tif", signer=Signer(None))
    'https://example.org/not-signable.tif'
    """
    # pystac-client's ItemSearch, without importing pystac-client (slow) before anyone uses it
    client_module = sys.modules.get("pystac_client")
    if client_module is not None and isinstance(obj, client_module.ItemSearch):
        return _sign_search(obj, validity, assets, signer)
    raise TypeError(
        f"Cannot sign a {type(obj).__name__}: give a URL, a pystac Asset, Item, ItemCollection or "
        "Collection, a pystac-client ItemSearch, or a STAC item/collection/feature collection mapping."
    )


def sign_inplace(obj: Any, validity: ValidityLike | None = None, *, assets: Sequence[str] | None = None,
                 signer: Signer | None = None) -> Any:
    """Sign in place, for pystac-client's ``modifier`` hook (``Client.open(url, modifier=sign_inplace)``).

    Returns the object itself (pystac-client accepts that as "no result"); a URL cannot change in place,
    so its signed form is returned.
    """
    return sign(obj, validity, copy=False, assets=assets, signer=signer)


def _selected(asset_keys: Iterable[str], wanted: Sequence[str] | None, owner: str) -> list[str]:
    keys = list(asset_keys)
    if wanted is None:
        return keys
    if isinstance(wanted, str):
        wanted = [wanted]
    unknown = [w for w in wanted if w not in keys]
    if unknown:
        raise NotSignableError(f"{owner} has no asset {', '.join(map(repr, unknown))}; its assets are: "
                               f"{', '.join(keys) or 'none'}.")
    return [k for k in keys if k in wanted]


def _apply(targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]],
           validity: ValidityLike | None, signer: Signer | None) -> None:
    """Sign the hrefs of ``targets`` (asset dicts or Assets) in one batched call, and set them."""
    if not targets:
        return
    hrefs = [t.href if isinstance(t, pystac.Asset) else str(t["href"]) for t, _ in targets]
    signed = (signer or get_signer()).sign_urls(hrefs, validity)
    for (target, _), href in zip(targets, hrefs, strict=True):
        s = signed[href]
        expiry = s.expiry.isoformat().replace("+00:00", "Z") if s.expiry else None
        fields: MutableMapping[str, Any]
        if isinstance(target, pystac.Asset):
            target.href = s.href
            fields = target.extra_fields
        else:
            target["href"] = s.href
            fields = target
        if expiry:
            fields[EXPIRY_FIELD] = expiry


def _warn_unsigned(reasons: list[str]) -> None:
    if reasons:
        shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
        warnings.warn(f"{len(reasons)} item(s) left unsigned: {shown}", NotSignableWarning, stacklevel=4)


@sign.register(str)
def _sign_str(obj: str, validity: ValidityLike | None = None, *, copy: bool = True,
              assets: Sequence[str] | None = None, signer: Signer | None = None) -> str:
    return (signer or get_signer()).sign_url(obj, validity).href


@sign.register(pystac.Asset)
def _sign_asset(obj: pystac.Asset, validity: ValidityLike | None = None, *, copy: bool = True,
                assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Asset:
    check_signable(obj)
    target = obj.clone() if copy else obj
    if copy:
        target.owner = obj.owner
    _apply([(target, "")], validity, signer)
    return target


@sign.register(pystac.Item)
def _sign_item(obj: pystac.Item, validity: ValidityLike | None = None, *, copy: bool = True,
               assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Item:
    check_signable(obj)
    keys = _selected(obj.assets, assets, f"Item {obj.id!r}")
    item = obj.clone() if copy else obj
    _apply([(item.assets[k], k) for k in keys], validity, signer)
    return item


def _sign_items(items: Iterable[pystac.Item], validity: ValidityLike | None, assets: Sequence[str] | None,
                signer: Signer | None) -> None:
    targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]] = []
    reasons: list[str] = []
    for item in items:
        reason = signability(item)
        if reason is not None:
            reasons.append(reason.split(". Only ORTHO")[0])
            continue
        keys = _selected(item.assets, assets, f"Item {item.id!r}")
        targets.extend((item.assets[k], k) for k in keys)
    _apply(targets, validity, signer)
    _warn_unsigned(reasons)


@sign.register(pystac.ItemCollection)
def _sign_item_collection(obj: pystac.ItemCollection, validity: ValidityLike | None = None, *,
                          copy: bool = True, assets: Sequence[str] | None = None,
                          signer: Signer | None = None) -> pystac.ItemCollection:
    collection = obj.clone() if copy else obj
    _sign_items(collection.items, validity, assets, signer)
    return collection


@sign.register(pystac.Collection)
def _sign_collection(obj: pystac.Collection, validity: ValidityLike | None = None, *, copy: bool = True,
                     assets: Sequence[str] | None = None, signer: Signer | None = None) -> pystac.Collection:
    reason = _reason(obj.id, {"providers": obj.providers or [], **obj.extra_fields}, None)
    if reason is not None:
        raise NotSignableError(reason.replace("Item ", "Collection ", 1))
    collection = obj.clone() if copy else obj
    if copy and obj.assets and not collection.assets:  # older pystac dropped assets in clone
        collection.assets = {k: a.clone() for k, a in obj.assets.items()}
    keys = _selected(collection.assets, assets, f"Collection {obj.id!r}")
    _apply([(collection.assets[k], k) for k in keys], validity, signer)
    return collection


def _sign_search(obj: Any, validity: ValidityLike | None, assets: Sequence[str] | None,
                 signer: Signer | None) -> pystac.ItemCollection:
    """Run a pystac-client ItemSearch and sign its items (unsignable ones are left with a warning)."""
    items = obj.item_collection()
    _sign_items(items.items, validity, assets, signer)
    return items


def _asset_dicts(feature: Mapping[str, Any], wanted: Sequence[str] | None) -> list[MutableMapping[str, Any]]:
    found = feature.get("assets")
    if not isinstance(found, Mapping):
        return []
    keys = _selected([k for k, a in found.items() if isinstance(a, MutableMapping) and "href" in a], wanted,
                     f"Item {feature.get('id', '?')!r}")
    return [found[k] for k in keys]


@sign.register(Mapping)
def _sign_mapping(obj: Mapping[str, Any], validity: ValidityLike | None = None, *, copy: bool = True,
                  assets: Sequence[str] | None = None, signer: Signer | None = None) -> Mapping[str, Any]:
    mapping = copy_module.deepcopy(obj) if copy else obj
    kind = mapping.get("type")
    targets: list[tuple[MutableMapping[str, Any] | pystac.Asset, str]] = []
    if kind == "FeatureCollection":
        reasons: list[str] = []
        for feature in mapping.get("features") or []:
            if not isinstance(feature, Mapping):
                continue
            reason = signability(feature)
            if reason is not None:
                reasons.append(reason.split(". Only ORTHO")[0])
                continue
            targets.extend((a, "") for a in _asset_dicts(feature, assets))
        _apply(targets, validity, signer)
        _warn_unsigned(reasons)
        return mapping
    if kind == "Collection":
        reason = _reason(str(mapping.get("id", "?")), mapping, None)
        if reason is not None:
            raise NotSignableError(reason.replace("Item ", "Collection ", 1))
    elif kind == "Feature" or "assets" in mapping:
        check_signable(mapping)
    elif all(k in mapping for k in ("version", "templates", "refs")):  # kerchunk references
        templates = mapping["templates"]
        urls = [v for v in templates.values() if isinstance(v, str)]
        signed = (signer or get_signer()).sign_urls(urls, validity)
        for k, v in list(templates.items()):
            if isinstance(v, str):
                templates[k] = signed[v].href
        return mapping
    else:
        return mapping
    targets.extend((a, "") for a in _asset_dicts(mapping, assets))
    _apply(targets, validity, signer)
    return mapping

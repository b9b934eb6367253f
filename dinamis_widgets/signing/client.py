"""The client of the signing service: :class:`Signer` (batching, cache, coalescing, retries, re-signing).

What the :class:`Signer` does, beyond the official SDK:

- it signs only URLs of the hosts that need signing (``meso.umontpellier.fr`` on the real service) and
  passes the others through, untouched and without a request;
- it reuses a URL that is already signed while it stays valid long enough (``X-Amz-Date`` +
  ``X-Amz-Expires``), and caches signed URLs by unsigned URL; threads asking for the same URLs at the
  same time share one request;
- it sends at most 64 URLs per request, and retries ``POST`` on 429, 5xx and connection errors with an
  exponential backoff that honours ``Retry-After`` (:class:`~dinamis_widgets.http.RetryPolicy`);
- it turns HTTP errors into typed errors that keep the status and the service's message, and never
  shows a signature (in reprs, logs or messages);
- it can be pickled into dask workers (threads, processes, ``distributed``), where it signs at read
  time (:meth:`Signer.resign_url`) and never starts an interactive sign-in (:mod:`.registry`).

Which products may be signed is decided before, by :mod:`.rules`; :func:`~dinamis_widgets.sign` applies
both to STAC objects (:mod:`.dispatch`).

When is a signed URL reused? With ``margin`` the TTL margin (``TLD_TTL_MARGIN``, 30 min) and ``D`` the
validity asked (or the signer's default, ``TLD_URL_DURATION``), a URL is reused while the time it has
left is between ``D - m`` and ``D + m``, where ``m = min(margin, D / 2)``: the validity asked is what the
user gets, give or take the margin (a URL asked for 3 h is reused while it has 2.5 h to 3.5 h left, an
8 h one is not). With no validity asked (the service's default), any URL with ``margin`` left is reused
(half its lifetime if that is shorter, so that a 2 s demo validity still works).

Examples
--------
>>> signer = Signer(None)                 # no signing service: every URL passes through
>>> signer.sign_url("https://example.org/a.tif").href
'https://example.org/a.tif'
"""

from __future__ import annotations

import collections
import copy as copy_module
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import (
    AuthenticationError,
    InputError,
    SigningError,
    masked_logger,
    quote,
)
from ..http import RetryPolicy, request, service_message
from ..settings import Profile, Settings, get_settings, host_matches, profile_for
from .answers import read_answer
from .credentials import Credentials, NoAuth, get_credentials
from .prompting import how_to_authenticate
from .urls import SignedURL, parse_signed_url, unsigned_url
from .validity import ValidityLike, format_validity, parse_validity

__all__ = ["MAX_URLS_PER_REQUEST", "Signer"]

log = masked_logger(__name__)

#: At most this many URLs per ``sign_urls`` request (as the real service).
MAX_URLS_PER_REQUEST = 64
_DEFAULT_MARGIN = 1800.0


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
        How to authenticate (:mod:`.credentials`); by default found from the settings when first
        needed (API key, else OAuth2 sign-in).
    signable_hosts
        Hosts whose URLs need signing (see :func:`dinamis_widgets.settings.host_matches`).
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
    >>> signer.needs_signing("https://data.example.org/b/k.tif"), signer.needs_signing("https://x.org/k")
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
        from .registry import register, restore_signer  # the registry builds signers: imported late

        credentials = self.credentials if self.endpoint is not None else NoAuth()
        register(self)
        return (restore_signer, (self._config(), credentials))

    def __repr__(self) -> str:
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

    # -- which URLs, and how long ------------------------------------------------------------------
    def needs_signing(self, url: str) -> bool:
        """Whether ``url`` is sent to the service (its host is one of ``signable_hosts``)."""
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
                raise InputError(f"URLs to sign must be strings, not a {type(url).__name__} ({quote(url)}): "
                                 "give asset hrefs such as 'https://.../file.tif'.")
            if not self.needs_signing(url):
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
        >>> Signer(None).resign_url("https://x.org/k.tif").href   # needs no signature: passed through
        'https://x.org/k.tif'
        """
        if not force:
            return self.sign_urls([url], validity)[url]
        key = unsigned_url(url)
        with self._lock:
            self._cache.pop(key, None)
        if not self.needs_signing(url):
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
        hrefs, expiry = read_answer(response, keys, url, self.endpoint, seconds, shown)
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



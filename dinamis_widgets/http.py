"""HTTP with the services: one retry policy, one session per process, and the message of an error answer.

Shared by the signer, the authentication, the catalogue (pystac-client's ``StacApiIO``) and the downloads,
so that every service is retried the same way and every service error reaches the user as one typed
error with the service's own words.

:class:`RetryPolicy` says when to retry (429 and 5xx answers, connection errors and timeouts, whatever
the method) and how long to wait: ``Retry-After`` when the service sends one (at most 120 s), otherwise
an exponential backoff capped at 30 s; no retry starts after the policy's ``deadline`` (30 s by default,
``DINAMIS_RETRY_DEADLINE``), so a service that is down is reported in about that time, not minutes.

Examples
--------
>>> policy = RetryPolicy(total=4, backoff_factor=0.5, deadline=None)
>>> [policy.backoff(a) for a in range(4)]
[0.5, 1.0, 2.0, 4.0]
>>> policy.delay(4, elapsed=0.0) is None          # the fifth retry is one too many
True
>>> RetryPolicy(total=10, backoff_factor=1.0, deadline=5.0).delay(3, elapsed=4.0) is None
True
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from .errors import HTTPServiceError, SigningError, mask_signatures

if TYPE_CHECKING:
    from urllib3.util.retry import Retry

    from .settings import Settings

__all__ = ["RETRY_STATUSES", "RetryPolicy", "request", "retry_after", "service_message", "session"]

#: HTTP statuses retried with backoff.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def retry_after(response: requests.Response) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry a request to a service.

    Parameters
    ----------
    total
        Retries after the first attempt (0: one attempt only).
    backoff_factor
        Seconds before the first retry; doubled at each next one (at most ``max_backoff``).
    deadline
        Seconds after the first attempt past which no retry starts (None: no limit).
    max_backoff
        Longest wait between two attempts, in seconds.
    max_retry_after
        Longest ``Retry-After`` honoured, in seconds.
    statuses
        HTTP statuses that are retried.
    """

    total: int = 10
    backoff_factor: float = 0.8
    deadline: float | None = 30.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = RETRY_STATUSES

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **changes: Any) -> RetryPolicy:
        """The policy of the settings (``TLD_RETRY_TOTAL``, ``TLD_RETRY_BACKOFF_FACTOR``,
        ``DINAMIS_RETRY_DEADLINE``), with ``changes`` applied."""
        from .settings import get_settings

        s = settings or get_settings()
        values: dict[str, Any] = {"total": s.retry_total, "backoff_factor": s.retry_backoff_factor,
                                  "deadline": s.retry_deadline if s.retry_deadline > 0 else None}
        values.update(changes)
        return cls(**values)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (0 is the first retry), without ``Retry-After``."""
        return float(min(self.max_backoff, self.backoff_factor * (2**attempt)))

    def delay(self, attempt: int, *, elapsed: float,
              response: requests.Response | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt``, or None when the policy gives up.

        Parameters
        ----------
        attempt
            0 for the first retry.
        elapsed
            Seconds since the first attempt started.
        response
            The answer that failed, whose ``Retry-After`` is honoured (None for a connection error).
        """
        if attempt >= self.total:
            return None
        wait = retry_after(response) if response is not None else None
        wait = self.backoff(attempt) if wait is None else min(wait, self.max_retry_after)
        if self.deadline is not None and elapsed + wait > self.deadline:
            return None
        return wait

    def urllib3_retry(self) -> Retry:
        """The same policy for urllib3 (pystac-client's ``StacApiIO(max_retries=...)``, requests adapters).

        urllib3 knows no deadline: the number of retries is cut to what fits in it.
        """
        from urllib3.util.retry import Retry

        total, waited = 0, 0.0
        while total < self.total:
            nxt = self.backoff(total)
            if self.deadline is not None and waited + nxt > self.deadline:
                break
            waited += nxt
            total += 1
        return Retry(total=total, connect=total, read=total, status=total, backoff_factor=self.backoff_factor,
                     backoff_max=self.max_backoff, status_forcelist=tuple(sorted(self.statuses)),
                     allowed_methods=None, raise_on_status=False, respect_retry_after_header=True)


_local = threading.local()


def session() -> requests.Session:
    """This thread's :class:`requests.Session` for the services (connections kept alive between calls).

    One per thread, because a ``Session`` is not guaranteed to be thread-safe; a process reuses its
    connections across the signer, the authentication and the downloads.
    """
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def request(
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    timeout: float | tuple[float, float],
    error_cls: type[HTTPServiceError] = SigningError,
    what: str = "Contacting the signing service",
    hint: str = "Check the network, or the service's URL (TLD_SIGNING_ENDPOINT).",
    http: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    **kwargs: Any,
) -> requests.Response:
    """Send a request, retrying by ``policy`` on 429/5xx answers and connection errors, whatever the method.

    Parameters
    ----------
    method, url
        The request.
    policy
        When and how long to retry.
    timeout
        Seconds for each attempt (connect and read, or one number for both).
    error_cls, what, hint
        The error raised when no answer came after every attempt, what the toolkit was doing, and what
        the user can do.
    http
        Session to use (this thread's :func:`session` by default).
    sleep, clock
        For tests.
    **kwargs
        Passed to :meth:`requests.Session.request` (``json``, ``data``, ``headers``, ``params``...).

    Returns
    -------
    requests.Response
        The last answer, whatever its status (the caller interprets it).

    Raises
    ------
    HTTPServiceError
        Of class ``error_cls``, with no status, when the service could not be reached; the message names
        the URL (signatures masked), the attempts and the time spent.
    """
    sender = (http or session()).request
    start = clock()
    attempt = 0
    while True:
        try:
            response = sender(method, url, timeout=timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            wait = policy.delay(attempt, elapsed=clock() - start)
            if wait is None:
                raise error_cls(
                    f"{what}: no answer from {mask_signatures(url)} after {attempt + 1} attempt(s) in "
                    f"{clock() - start:.0f} s ({type(exc).__name__}). {hint}",
                    url=url,
                ) from None
            sleep(wait)
            attempt += 1
            continue
        if response.status_code in policy.statuses:
            wait = policy.delay(attempt, elapsed=clock() - start, response=response)
            if wait is not None:
                response.close()
                sleep(wait)
                attempt += 1
                continue
        return response


def service_message(answer: requests.Response | str) -> str:
    """The message of a service's error answer, made short (at most 500 characters).

    Understands FastAPI's ``detail`` (a string, or a list of validation errors), OGC/STAC API
    ``code``/``description``, OAuth2's ``error_description``, S3's XML ``<Message>``, and plain text.

    Parameters
    ----------
    answer
        The response, or its body as text.

    Examples
    --------
    >>> service_message('{"code": "InvalidQueryParameter", "description": "Bad datetime."}')
    'InvalidQueryParameter: Bad datetime.'
    >>> service_message('{"detail": [{"loc": ["body", "limit"], "msg": "Input should be > 0"}]}')
    'limit: Input should be > 0'
    >>> service_message('{"error": "invalid_grant", "error_description": "Token is not active"}')
    'Token is not active'
    >>> service_message("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
    'Request has expired'
    """
    text = (answer if isinstance(answer, str) else (answer.text or "")).strip()
    xml = _S3_MESSAGE.search(text)
    if text.startswith("<") and xml:
        return xml.group(1).strip()[:500]
    try:
        body = json.loads(text)
    except ValueError:
        return text[:500]
    if not isinstance(body, Mapping):
        return text[:500]
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return detail[:500]
    if isinstance(detail, list):
        parts: list[str] = []
        for entry in detail:
            if not isinstance(entry, Mapping):
                continue
            loc = [str(p) for p in entry.get("loc", []) if p != "body"]
            where = ".".join(loc[:2])
            msg = f"{where}: {entry.get('msg', '')}" if where else str(entry.get("msg", ""))
            if msg not in parts:
                parts.append(msg)
        if parts:
            shown = "; ".join(parts[:3]) + (f"; and {len(parts) - 3} more" if len(parts) > 3 else "")
            return shown[:500]
    code, description = body.get("code"), body.get("description")
    if description:
        return f"{code}: {description}"[:500] if code else str(description)[:500]
    for key in ("error_description", "message", "error"):
        value = body.get(key)
        if value:
            return value[:500] if isinstance(value, str) else json.dumps(value)[:500]
    return text[:500]

"""HTTP with the services: retries with backoff, and the message of an error answer.

Shared by the signer, the authentication, the catalogue and the downloads, so that every service error
reaches the user as one typed error with the service's own words.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from .errors import HTTPServiceError, SigningError, mask_signatures

__all__ = ["RETRY_STATUSES", "backoff_delay", "request_with_retries", "service_message"]

#: HTTP statuses retried with backoff.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_BACKOFF = 30.0
_MAX_RETRY_AFTER = 120.0
_S3_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def _retry_after(response: requests.Response) -> float | None:
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


def backoff_delay(attempt: int, factor: float) -> float:
    """Exponential backoff: ``factor * 2**attempt`` seconds (attempt 0 is the first retry), at most 30 s.

    Examples
    --------
    >>> [backoff_delay(a, 0.5) for a in range(4)]
    [0.5, 1.0, 2.0, 4.0]
    """
    return float(min(_MAX_BACKOFF, factor * (2**attempt)))


def request_with_retries(
    session: requests.Session | None,
    method: str,
    url: str,
    *,
    timeout: float,
    retry_total: int,
    backoff_factor: float,
    error_cls: type[HTTPServiceError] = SigningError,
    what: str = "Contacting the signing service",
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> requests.Response:
    """Send a request, retrying on 429/5xx answers and on connection errors, whatever the method.

    ``Retry-After`` is honoured (up to 120 s); otherwise the delay grows as :func:`backoff_delay`.

    Parameters
    ----------
    session
        Session to use (None: a one-off request).
    method, url
        The request.
    timeout
        Seconds for each attempt.
    retry_total
        How many times to retry (0: one attempt only).
    backoff_factor
        Base of the exponential backoff, in seconds.
    error_cls, what
        The error raised when no answer came after every attempt, and what the toolkit was doing.
    **kwargs
        Passed to :meth:`requests.Session.request` (``json``, ``data``, ``headers``, ``params``...).

    Returns
    -------
    requests.Response
        The last answer, whatever its status (the caller interprets it).

    Raises
    ------
    HTTPServiceError
        Of class ``error_cls``, with no status, when the service could not be reached.
    """
    sender = session.request if session is not None else requests.request
    attempt = 0
    while True:
        try:
            response = sender(method, url, timeout=timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt >= retry_total:
                raise error_cls(
                    f"{what}: no answer from {mask_signatures(url)} after {attempt + 1} attempt(s) "
                    f"({type(exc).__name__}). Check the network, or the service's URL "
                    "(TLD_SIGNING_ENDPOINT).",
                    url=url,
                ) from None
            sleep(backoff_delay(attempt, backoff_factor))
            attempt += 1
            continue
        if response.status_code in RETRY_STATUSES and attempt < retry_total:
            delay = _retry_after(response)
            delay = backoff_delay(attempt, backoff_factor) if delay is None else min(delay, _MAX_RETRY_AFTER)
            response.close()
            sleep(delay)
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

"""What the signing service answered to a ``sign_urls`` request: the signed hrefs and their expiry, or an
error that names the endpoint, says what came back (an HTML page, a body of another shape, URLs left
unsigned, a refused validity) and what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from ..errors import SigningError, ValidityError, mask_signatures, quote
from ..http import service_message
from .validity import ACCEPTED_FORMS

__all__ = ["parse_expiry", "read_answer"]


def parse_expiry(value: Any) -> datetime | None:
    """The service's ``expiry`` as an aware UTC datetime, or None when absent or unreadable.

    Examples
    --------
    >>> parse_expiry("2026-02-24T12:00:00Z")
    datetime.datetime(2026, 2, 24, 12, 0, tzinfo=datetime.timezone.utc)
    >>> parse_expiry("soon") is None
    True
    """
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _about_validity(detail: str) -> bool:
    text = detail.lower()
    return any(word in text for word in ("duration", "validity", "expir", "maximum"))


def _quote(shown: Any, seconds: int) -> str:
    if shown is None:
        return f"'{seconds}s' (the default, TLD_URL_DURATION)"
    return repr(shown) if not isinstance(shown, timedelta) else f"'{shown}'"


def read_answer(response: requests.Response, keys: list[str], url: str, endpoint: str, seconds: int | None,
                shown: Any) -> tuple[dict[str, str], datetime | None]:
    """The hrefs (by URL asked) and the expiry the service answered, or the error that says why not.

    Raises
    ------
    ValidityError
        If the service refused the validity asked (``seconds``; ``shown`` as the user wrote it).
    SigningError
        If the service failed, answered something else than ``{"hrefs", "expiry"}``, or left URLs unsigned.
    """
    detail = service_message(response)
    if response.status_code in (400, 422) and seconds is not None and _about_validity(detail):
        err = ValidityError(
            f"Invalid validity {_quote(shown, seconds)}: the signing service refused "
            f"duration_seconds={seconds} ({detail}). Ask for a shorter validity. "
            f"Accepted forms: {ACCEPTED_FORMS}."
        )
        err.status = response.status_code  # type: ignore[attr-defined]
        raise err
    check = (f"Check the signing endpoint ({endpoint}: TLD_SIGNING_ENDPOINT or the catalogue "
             "profile's signing URL)")
    html = detail.lstrip().startswith("<") or "html" in response.headers.get("Content-Type", "")
    if not response.ok:
        hint = (f". {check}: it should be the root of the service that has /sign_urls"
                if response.status_code in (404, 405) or html else
                ". Try again later; if it persists, tell the catalogue's support")
        raise SigningError(f"Signing {len(keys)} URL(s) at {url} failed{hint}",
                           status=response.status_code, url=url,
                           service_message="an HTML page" if html else detail)
    try:
        body = response.json()
        hrefs = body["hrefs"]
        expiry = parse_expiry(body.get("expiry"))
        missing = [k for k in keys if not isinstance(hrefs.get(k), str)]
    except (ValueError, KeyError, TypeError, AttributeError):
        found = "an HTML page" if html else quote(response.text[:200], 60) or "an empty body"
        raise SigningError(f"The signing service at {url} did not answer {{\"hrefs\": ..., \"expiry\": "
                           f"...}} but {found}. {check}.", status=response.status_code, url=url) from None
    if missing:
        empty = " (its 'hrefs' is empty)" if not hrefs else ""
        raise SigningError(f"The signing service at {url} did not sign {len(missing)} of the "
                           f"{len(keys)} URLs asked{empty} (first: {mask_signatures(missing[0])}). Are "
                           f"they URLs of the catalogue's object store? {check}.",
                           status=response.status_code, url=url)
    return hrefs, expiry

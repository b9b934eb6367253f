"""Presigned URLs: tell them apart, read when they expire, strip their signature.

A presigned URL carries its signature and dates in ``X-Amz-*`` query parameters (SigV4): it is signed
when it has ``X-Amz-Signature``, and expires ``X-Amz-Expires`` seconds after ``X-Amz-Date``. Its unsigned
form (the URL without those parameters) is what the signer caches by.

Examples
--------
>>> url = "https://h/k.tif?X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=abc"
>>> is_signed(url), unsigned_url(url)
(True, 'https://h/k.tif')
>>> parse_signed_url(url).expiry
datetime.datetime(2025, 1, 1, 1, 0, tzinfo=datetime.timezone.utc)
>>> parse_signed_url(url)                  # the signature is masked
SignedURL(href='https://h/k.tif?X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=***', \
expiry='2025-01-01T01:00:00+00:00')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from ..errors import mask_signatures

__all__ = ["SignedURL", "is_signed", "parse_signed_url", "unsigned_url"]

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


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

    Examples
    --------
    >>> plain = SignedURL("https://x.org/k.tif", "https://x.org/k.tif", None)
    >>> plain.signed, plain.ttl(), plain.vsicurl()
    (False, inf, '/vsicurl/https://x.org/k.tif')
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

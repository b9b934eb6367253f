"""Presigning URLs with AWS Signature Version 4 query parameters (what the signing service does).

Examples
--------
>>> from datetime import datetime, timezone
>>> url = presign("http://127.0.0.1:9000/bucket/a b.tif", access_key="AK", secret_key="SK",
...               expires=60, now=datetime(2024, 1, 2, tzinfo=timezone.utc))
>>> for part in url.split("&"):
...     print(part)
http://127.0.0.1:9000/bucket/a%20b.tif?X-Amz-Algorithm=AWS4-HMAC-SHA256
X-Amz-Credential=AK%2F20240102%2Fus-east-1%2Fs3%2Faws4_request
X-Amz-Date=20240102T000000Z
X-Amz-Expires=60
X-Amz-SignedHeaders=host
X-Amz-Signature=4c23683b267621f7d620546c2c3f55a48631c2e8f7ac851d642aee4748103a99
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote, urlsplit, urlunsplit

from .canonical import (
    DATE_FORMAT,
    MAX_EXPIRES,
    as_utc,
    canonical_host,
    canonical_query_string,
    canonical_uri,
    presigned_signature,
)
from .masking import mask_url
from .query import parse_query, strip_presign_params

__all__ = ["presign"]


def presign(
    url: str,
    *,
    access_key: str,
    secret_key: str,
    expires: int,
    now: datetime | None = None,
    region: str = "us-east-1",
    service: str = "s3",
    method: str = "GET",
) -> str:
    """Presign a URL with AWS Signature Version 4 query parameters.

    Any ``X-Amz-*`` parameter already in the URL is dropped first, so an already presigned URL is
    signed afresh. Other query parameters are kept and signed. The path is decoded then encoded
    canonically, and the returned URL carries the canonical path and query.

    Parameters
    ----------
    url
        The URL to sign, e.g. ``http://127.0.0.1:9000/bucket/key.tif``.
    access_key, secret_key
        The credentials of the store.
    expires
        Validity in seconds, from 1 to 604800 (7 days).
    now
        Signing time (UTC; naive datetimes are taken as UTC). Defaults to the current time. Only whole
        seconds count: ``X-Amz-Date`` has no fraction.
    region, service
        Credential scope.
    method
        The HTTP method the URL is for.

    Returns
    -------
    str
        The presigned URL, ``X-Amz-Signature`` last.

    Raises
    ------
    ValueError
        If ``expires`` is out of range or the URL has no host.
    """
    if not 1 <= int(expires) <= MAX_EXPIRES:
        raise ValueError(f"expires must be between 1 and {MAX_EXPIRES} seconds, not {expires}")
    parts = urlsplit(strip_presign_params(url))
    if not parts.netloc:
        raise ValueError(f"cannot presign a URL without a host: {mask_url(url)!r}")
    amz_date = as_utc(now).strftime(DATE_FORMAT)
    path = unquote(parts.path) or "/"
    params, signature = presigned_signature(
        method, path, parse_query(parts.query), canonical_host(url), access_key=access_key,
        secret_key=secret_key, amz_date=amz_date, expires=expires, region=region, service=service,
    )
    query = canonical_query_string(params) + f"&X-Amz-Signature={signature}"
    return urlunsplit((parts.scheme, parts.netloc, canonical_uri(path), query, ""))

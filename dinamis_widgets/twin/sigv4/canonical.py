"""The canonical request of a SigV4 presigned URL, and its HMAC-SHA256 signature.

S3 rules ("Authenticating Requests: Using Query Parameters"): the method, the URI-encoded path (encoded
once, never normalised), the sorted canonical query string without ``X-Amz-Signature``, the single
signed header ``host`` and the payload hash ``UNSIGNED-PAYLOAD``.

Examples
--------
>>> canonical_uri("/bucket/a b+c.tif")
'/bucket/a%20b%2Bc.tif'
>>> canonical_host("http://Example.org:80/path"), canonical_host("127.0.0.1:9000", "http")
('example.org', '127.0.0.1:9000')
>>> print(canonical_request("get", "/k", [("b", "2"), ("a", "1")], "h:1"))
GET
/k
a=1&b=2
host:h:1
<BLANKLINE>
host
UNSIGNED-PAYLOAD
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

__all__ = [
    "ALGORITHM",
    "DATE_FORMAT",
    "MAX_EXPIRES",
    "TERMINATOR",
    "as_utc",
    "canonical_host",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "presigned_signature",
    "request_signature",
]

#: The only algorithm the twin speaks.
ALGORITHM = "AWS4-HMAC-SHA256"
#: Longest validity of a SigV4 presigned URL (7 days), in seconds.
MAX_EXPIRES = 604_800
#: Format of ``X-Amz-Date``.
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
#: Last part of a credential scope.
TERMINATOR = "aws4_request"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """URI-encode as SigV4 wants: unreserved characters kept, everything else ``%XX`` (UTF-8)."""
    return quote(text, safe="/" if keep_slash else "")


def canonical_uri(path: str) -> str:
    """Return the canonical URI of a *decoded* path (S3 rules: encoded once, not normalised).

    Parameters
    ----------
    path
        The path, percent-decoded (as in an ASGI scope's ``path``).

    Returns
    -------
    str
        The path with every byte outside ``A-Za-z0-9-_.~/`` percent-encoded; ``/`` when empty.
    """
    return _uri_encode(path, keep_slash=True) or "/"


def canonical_query_string(params: Iterable[tuple[str, str]]) -> str:
    """Return the canonical query string of decoded parameters.

    Parameters
    ----------
    params
        Decoded (name, value) pairs, ``X-Amz-Signature`` excluded.

    Returns
    -------
    str
        Names and values URI-encoded, sorted by name then value, joined with ``&``.
    """
    encoded = sorted((_uri_encode(k), _uri_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_host(url_or_netloc: str, scheme: str = "") -> str:
    """Return the host as signed: lower case, without user info, default port dropped.

    Parameters
    ----------
    url_or_netloc
        A URL (``http://Host:80/path``) or a bare ``host[:port]`` (a ``Host`` header).
    scheme
        Scheme to decide which port is the default, when ``url_or_netloc`` is a bare host.

    Returns
    -------
    str
        E.g. ``127.0.0.1:8080``, ``examplebucket.s3.amazonaws.com``.
    """
    if "://" in url_or_netloc:
        parts = urlsplit(url_or_netloc)
        netloc, scheme = parts.netloc, parts.scheme
    else:
        netloc = url_or_netloc
    netloc = netloc.rsplit("@", 1)[-1].strip().lower()
    default = _DEFAULT_PORTS.get(scheme.lower())
    host, sep, port = netloc.rpartition(":")
    if sep and port.isascii() and port.isdigit() and default is not None and int(port) == default:
        return host
    return netloc


def canonical_request(method: str, path: str, params: Iterable[tuple[str, str]], host: str) -> str:
    """Return the canonical request of a presigned URL (signed header ``host`` only).

    Parameters
    ----------
    method
        HTTP method, e.g. ``GET``.
    path
        Decoded path.
    params
        Decoded query parameters, ``X-Amz-Signature`` excluded.
    host
        Value of the ``host`` header, as returned by :func:`canonical_host`.

    Returns
    -------
    str
        The six lines of the canonical request joined with newlines.
    """
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query_string(params),
            f"host:{host.strip().lower()}\n",
            "host",
            _UNSIGNED_PAYLOAD,
        ]
    )


def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key of one day, region and service."""
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def request_signature(
    secret_key: str, amz_date: str, region: str, service: str, canonical: str
) -> str:
    """Return the hex signature of a canonical request."""
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/{TERMINATOR}"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _signing_key(secret_key, date, region, service)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def presigned_signature(
    method: str,
    path: str,
    others: Iterable[tuple[str, str]],
    host: str,
    *,
    access_key: str,
    secret_key: str,
    amz_date: str,
    expires: int,
    region: str,
    service: str,
) -> tuple[list[tuple[str, str]], str]:
    """The query parameters a presigned URL is signed with, and its signature: one computation for the
    signer (:func:`~.presigning.presign`) and the store (:func:`~.verification.verify`).

    Parameters
    ----------
    method, path, host
        As for :func:`canonical_request`.
    others
        The URL's own query parameters (decoded), without any ``X-Amz-*`` one.
    access_key, secret_key, amz_date, expires, region, service
        The credentials, ``X-Amz-Date``, validity in seconds and credential scope.

    Returns
    -------
    tuple
        The parameters (``others``, then ``X-Amz-Algorithm``, ``-Credential``, ``-Date``, ``-Expires``,
        ``-SignedHeaders``), and the hex signature.
    """
    params = [
        *others,
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{access_key}/{amz_date[:8]}/{region}/{service}/{TERMINATOR}"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(int(expires))),
        ("X-Amz-SignedHeaders", "host"),
    ]
    canonical = canonical_request(method, path, params, host)
    return params, request_signature(secret_key, amz_date, region, service, canonical)


def as_utc(now: datetime | None) -> datetime:
    """Return ``now`` in UTC (naive datetimes are taken as UTC), or the current time."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)

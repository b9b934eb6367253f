"""Checking presigned requests, as the object store does.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from dinamis_widgets.twin.sigv4 import presign
>>> signed_at = datetime(2024, 1, 2, tzinfo=timezone.utc)
>>> url = presign("http://127.0.0.1:9000/b/k.tif", access_key="AK", secret_key="SK", expires=60,
...               now=signed_at)
>>> query = url.split("?", 1)[1]
>>> verify("GET", "/b/k.tif", query, "127.0.0.1:9000", credentials={"AK": "SK"}, now=signed_at).status
<VerifyStatus.OK: 'ok'>
>>> later = signed_at + timedelta(minutes=2)
>>> verify("HEAD", "/b/k.tif", query, "127.0.0.1:9000", credentials={"AK": "SK"}, now=later).message
'request has expired'
>>> verify("GET", "/b/other.tif", query, "127.0.0.1:9000", credentials={"AK": "SK"}).status
<VerifyStatus.SIGNATURE_MISMATCH: 'signature mismatch'>
"""

from __future__ import annotations

import enum
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .canonical import (
    ALGORITHM,
    DATE_FORMAT,
    MAX_EXPIRES,
    TERMINATOR,
    as_utc,
    canonical_host,
    presigned_signature,
)
from .query import parse_query

__all__ = ["DEFAULT_MAX_SKEW", "VerifyResult", "VerifyStatus", "verify"]

#: How far in the future ``X-Amz-Date`` may be, to allow for clock skew.
DEFAULT_MAX_SKEW = timedelta(seconds=60)
_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


class VerifyStatus(enum.Enum):
    """Outcome of :func:`verify`."""

    OK = "ok"
    UNSIGNED = "unsigned"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown key"
    WRONG_SCOPE = "wrong scope"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    SIGNATURE_MISMATCH = "signature mismatch"


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found.

    Parameters
    ----------
    status
        The outcome.
    message
        A human-readable reason, without any secret.
    access_key
        The access key named by the URL, when it could be read.
    expires_at
        When the URL expires (``X-Amz-Date`` + ``X-Amz-Expires``), when it could be read.
    """

    status: VerifyStatus
    message: str
    access_key: str | None = None
    expires_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """Whether the URL is valid now."""
        return self.status is VerifyStatus.OK

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class _AuthParams:
    """The SigV4 query parameters of a request, parsed and checked for shape."""

    access_key: str
    date: str
    region: str
    service: str
    amz_date: str
    signed_at: datetime
    expires: int
    signature: str
    others: list[tuple[str, str]]


def _parse_auth_params(pairs: list[tuple[str, str]]) -> _AuthParams | VerifyResult:
    """Read and check the shape of the authentication parameters."""
    auth: dict[str, str] = {}
    others: list[tuple[str, str]] = []
    for name, value in pairs:
        if name in _AUTH_PARAMS:
            if name in auth:
                return _fail(VerifyStatus.MALFORMED, f"{name} is given more than once")
            auth[name] = value
        else:
            others.append((name, value))
    if not auth:
        return _fail(VerifyStatus.UNSIGNED, "the URL is not signed (no X-Amz-Signature)")
    missing = [name for name in _AUTH_PARAMS if name not in auth]
    if missing:
        return _fail(VerifyStatus.MALFORMED, "missing query parameters: " + ", ".join(missing))
    if auth["X-Amz-Algorithm"] != ALGORITHM:
        return _fail(VerifyStatus.MALFORMED, f"X-Amz-Algorithm must be {ALGORITHM}")
    if auth["X-Amz-SignedHeaders"].lower() != "host":
        return _fail(VerifyStatus.MALFORMED, "X-Amz-SignedHeaders must be 'host'")
    credential = auth["X-Amz-Credential"].split("/")
    if len(credential) != 5 or credential[4] != TERMINATOR or not credential[0]:
        return _fail(
            VerifyStatus.MALFORMED,
            "X-Amz-Credential must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request",
        )
    try:
        signed_at = datetime.strptime(auth["X-Amz-Date"], DATE_FORMAT).replace(tzinfo=UTC)
        signed_at + timedelta(seconds=MAX_EXPIRES)  # a date whose expiry is past year 9999: malformed
    except (ValueError, OverflowError):
        return _fail(VerifyStatus.MALFORMED, "X-Amz-Date must be YYYYMMDDTHHMMSSZ")
    expires_text = auth["X-Amz-Expires"]
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,7}", expires_text) or not 1 <= int(expires_text) <= MAX_EXPIRES:
        return _fail(VerifyStatus.MALFORMED, f"X-Amz-Expires must be 1 to {MAX_EXPIRES} seconds")
    if not re.fullmatch(r"[0-9a-f]{64}", auth["X-Amz-Signature"]):
        return _fail(VerifyStatus.MALFORMED, "X-Amz-Signature must be 64 lower-case hex digits")
    return _AuthParams(
        access_key=credential[0],
        date=credential[1],
        region=credential[2],
        service=credential[3],
        amz_date=auth["X-Amz-Date"],
        signed_at=signed_at,
        expires=int(expires_text),
        signature=auth["X-Amz-Signature"],
        others=others,
    )


def _fail(
    status: VerifyStatus,
    message: str,
    access_key: str | None = None,
    expires_at: datetime | None = None,
) -> VerifyResult:
    """Shorthand for a failed :class:`VerifyResult`."""
    return VerifyResult(status, message, access_key, expires_at)


def _signature_matches(
    auth: _AuthParams, methods: tuple[str, ...], path: str, host: str, secret_key: str
) -> bool:
    """Whether the signature matches the request for one of ``methods`` (constant-time compare)."""
    matched = False
    for method in methods:
        # the credential's date is X-Amz-Date's (verify checked the scope before)
        _, expected = presigned_signature(
            method, path, auth.others, host, access_key=auth.access_key, secret_key=secret_key,
            amz_date=auth.amz_date, expires=auth.expires, region=auth.region, service=auth.service,
        )
        # No short cut: every candidate is compared, in constant time.
        matched |= hmac.compare_digest(expected.encode(), auth.signature.encode())
    return matched


def verify(
    method: str,
    path: str,
    query_string: str,
    host: str,
    *,
    credentials: Mapping[str, str],
    now: datetime | None = None,
    region: str = "us-east-1",
    service: str = "s3",
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> VerifyResult:
    """Check a presigned request.

    Checks are made in this order: shape of the parameters (unsigned, malformed), access key, scope
    (region, service, and the credential date against ``X-Amz-Date``), signature, then time. A
    tampered URL is therefore reported as a signature mismatch even when it has also expired.

    Leniency: a ``HEAD`` request is accepted with a URL presigned for ``GET`` (clients such as GDAL
    probe a URL with ``HEAD`` before reading it), as well as with one presigned for ``HEAD``.

    Parameters
    ----------
    method
        HTTP method of the request.
    path
        Percent-decoded path (an ASGI scope's ``path``).
    query_string
        Raw query string, without ``?``.
    host
        The request's ``Host`` header.
    credentials
        Known access keys and their secret keys.
    now
        Time of the check (UTC); the current time by default.
    region, service
        The scope the store expects.
    max_skew
        How far in the future ``X-Amz-Date`` may be.

    Returns
    -------
    VerifyResult
        ``OK``, or the first reason to refuse.
    """
    auth = _parse_auth_params(parse_query(query_string))
    if isinstance(auth, VerifyResult):
        return auth
    expires_at = auth.signed_at + timedelta(seconds=auth.expires)
    secret = credentials.get(auth.access_key)
    if secret is None:
        return _fail(VerifyStatus.UNKNOWN_KEY, "the access key is not known", auth.access_key, expires_at)
    if auth.region != region or auth.service != service or auth.date != auth.amz_date[:8]:
        return _fail(
            VerifyStatus.WRONG_SCOPE,
            f"credential scope {auth.date}/{auth.region}/{auth.service} does not match "
            f"{auth.amz_date[:8]}/{region}/{service}",
            auth.access_key, expires_at,
        )
    methods = ("HEAD", "GET") if method.upper() == "HEAD" else (method.upper(),)
    if not _signature_matches(auth, methods, path, canonical_host(host), secret):
        return _fail(
            VerifyStatus.SIGNATURE_MISMATCH,
            "the request signature we calculated does not match the signature provided",
            auth.access_key, expires_at,
        )
    current = as_utc(now)
    if auth.signed_at > current + max_skew:
        return _fail(VerifyStatus.NOT_YET_VALID, "request is not valid yet", auth.access_key, expires_at)
    if current > expires_at:
        return _fail(VerifyStatus.EXPIRED, "request has expired", auth.access_key, expires_at)
    return VerifyResult(VerifyStatus.OK, "valid", auth.access_key, expires_at)

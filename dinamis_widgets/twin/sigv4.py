"""AWS Signature Version 4 presigned URLs (query-string authentication), as pure functions.

The signing service of the twin presigns URLs with :func:`presign`; the object store checks them with
:func:`verify`. Both follow the AWS specification for Amazon S3 ("Authenticating Requests: Using Query
Parameters"): the canonical request is made of the method, the URI-encoded path (encoded once, never
normalised), the sorted canonical query string without ``X-Amz-Signature``, the single signed header
``host`` and the payload hash ``UNSIGNED-PAYLOAD``.

Examples
--------
>>> from datetime import datetime, timezone
>>> url = presign(
...     "https://examplebucket.s3.amazonaws.com/test.txt",
...     access_key="AKIAIOSFODNN7EXAMPLE",
...     secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
...     expires=86400,
...     now=datetime(2013, 5, 24, tzinfo=timezone.utc),
... )
>>> url.rsplit("X-Amz-Signature=", 1)[1]
'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = [
    "ALGORITHM",
    "MAX_EXPIRES",
    "MaskSignaturesFilter",
    "VerifyResult",
    "VerifyStatus",
    "canonical_host",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "install_log_masking",
    "is_presigned",
    "mask_url",
    "parse_query",
    "presign",
    "strip_presign_params",
    "verify",
]

#: The only algorithm the twin speaks.
ALGORITHM = "AWS4-HMAC-SHA256"
#: Longest validity of a SigV4 presigned URL (7 days), in seconds.
MAX_EXPIRES = 604_800
#: How far in the future ``X-Amz-Date`` may be, to allow for clock skew.
DEFAULT_MAX_SKEW = timedelta(seconds=60)

_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_TERMINATOR = "aws4_request"
_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MASK_RE = re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s\"'<>]+", re.I)


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


# --------------------------------------------------------------------------------------------------
# Canonical forms
# --------------------------------------------------------------------------------------------------


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
    if sep and port.isdigit() and default is not None and int(port) == default:
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
    for part in (date, region, service, _TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signature(
    secret_key: str, amz_date: str, region: str, service: str, canonical: str
) -> str:
    """Return the hex signature of a canonical request."""
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/{_TERMINATOR}"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _signing_key(secret_key, date, region, service)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------------
# Query strings
# --------------------------------------------------------------------------------------------------


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """Split a raw query string into decoded pairs, keeping blanks and order.

    ``+`` is kept as a literal plus sign (RFC 3986), as S3 does for signature checks.

    Parameters
    ----------
    query_string
        The query, without ``?``.

    Returns
    -------
    list of (str, str)
        Decoded (name, value) pairs; ``a`` alone gives ``("a", "")``.
    """
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def _is_auth_param(name: str) -> bool:
    """Whether a query parameter belongs to SigV4 query authentication."""
    return name.lower().startswith("x-amz-")


def strip_presign_params(url: str) -> str:
    """Remove every ``X-Amz-*`` query parameter from a URL, keeping the others in order.

    Parameters
    ----------
    url
        A URL, presigned or not.

    Returns
    -------
    str
        The URL without query authentication.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _is_auth_param(unquote(p.split("=")[0]))]
    return urlunsplit(parts._replace(query="&".join(kept)))


def is_presigned(url: str) -> bool:
    """Whether a URL carries an ``X-Amz-Signature`` query parameter."""
    return any(k.lower() == "x-amz-signature" for k, _ in parse_query(urlsplit(url).query))


def mask_url(url: str) -> str:
    """Mask the secret parts of a presigned URL (signature, credential) for logs and messages.

    Parameters
    ----------
    url
        Any text that may contain presigned URLs.

    Returns
    -------
    str
        The text with the values of ``X-Amz-Signature``, ``X-Amz-Credential`` and
        ``X-Amz-Security-Token`` replaced by ``***``.

    Examples
    --------
    >>> mask_url("http://h/b/k.tif?X-Amz-Expires=60&X-Amz-Signature=abc")
    'http://h/b/k.tif?X-Amz-Expires=60&X-Amz-Signature=***'
    """
    return _MASK_RE.sub(r"\1***", url)


class MaskSignaturesFilter(logging.Filter):
    """Logging filter that masks presigned URLs in a record's message and arguments.

    uvicorn's access log prints the path with its query string: install this filter on
    ``uvicorn.access`` (see :func:`install_log_masking`) so that no live signature reaches a log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drop it."""
        if isinstance(record.msg, str):
            record.msg = mask_url(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_url(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_masking(logger_names: Iterable[str] = ("uvicorn.access", "uvicorn.error")) -> None:
    """Install :class:`MaskSignaturesFilter` on loggers, once each.

    Parameters
    ----------
    logger_names
        Loggers to protect; uvicorn's access and error logs by default.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskSignaturesFilter) for f in logger.filters):
            logger.addFilter(MaskSignaturesFilter())


# --------------------------------------------------------------------------------------------------
# Presigning
# --------------------------------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    """Return ``now`` in UTC (naive datetimes are taken as UTC), or the current time."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


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
    amz_date = _utc(now).strftime(_DATE_FORMAT)
    path = unquote(parts.path) or "/"
    params = [
        *parse_query(parts.query),
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{access_key}/{amz_date[:8]}/{region}/{service}/{_TERMINATOR}"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(int(expires))),
        ("X-Amz-SignedHeaders", "host"),
    ]
    canonical = canonical_request(method, path, params, canonical_host(url))
    signature = _signature(secret_key, amz_date, region, service, canonical)
    query = canonical_query_string(params) + f"&X-Amz-Signature={signature}"
    return urlunsplit((parts.scheme, parts.netloc, canonical_uri(path), query, ""))


# --------------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------------


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
    if len(credential) != 5 or credential[4] != _TERMINATOR or not credential[0]:
        return _fail(
            VerifyStatus.MALFORMED,
            "X-Amz-Credential must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request",
        )
    try:
        signed_at = datetime.strptime(auth["X-Amz-Date"], _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return _fail(VerifyStatus.MALFORMED, "X-Amz-Date must be YYYYMMDDTHHMMSSZ")
    expires_text = auth["X-Amz-Expires"]
    if not expires_text.isdigit() or not 1 <= int(expires_text) <= MAX_EXPIRES:
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
    params = [
        *auth.others,
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", "/".join([auth.access_key, auth.date, auth.region, auth.service,
                                       _TERMINATOR])),
        ("X-Amz-Date", auth.amz_date),
        ("X-Amz-Expires", str(auth.expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    matched = False
    for method in methods:
        canonical = canonical_request(method, path, params, host)
        expected = _signature(secret_key, auth.amz_date, auth.region, auth.service, canonical)
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
    current = _utc(now)
    if auth.signed_at > current + max_skew:
        return _fail(VerifyStatus.NOT_YET_VALID, "request is not valid yet", auth.access_key, expires_at)
    if current > expires_at:
        return _fail(VerifyStatus.EXPIRED, "request has expired", auth.access_key, expires_at)
    return VerifyResult(VerifyStatus.OK, "valid", auth.access_key, expires_at)

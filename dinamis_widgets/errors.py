"""Typed errors of dinamis_widgets.

Every error the toolkit raises derives from :class:`DinamisError`, so a notebook can catch them all with
one ``except`` clause, and a user interface can show :attr:`DinamisError.message` without a traceback.
HTTP errors keep the status code and the message of the service that answered.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .signing.rules import NotSignable

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "CubeTooLargeError",
    "DinamisError",
    "ExportError",
    "HTTPServiceError",
    "InputError",
    "LoadError",
    "MaskingFilter",
    "MissingBandError",
    "NoMaskError",
    "NotSignableError",
    "QueryError",
    "SearchError",
    "SigningError",
    "TwinError",
    "ValidityError",
    "mask_signatures",
    "masked_logger",
    "quote",
]

#: Longest quotation of an input in a message (:func:`quote`).
QUOTE_LIMIT = 80

# A presigned URL's secret parameters, plain or percent-encoded (a URL quoted inside another URL).
# The value ends at "&", or at "%26" (an encoded "&") when the whole URL is percent-encoded.
_SIGNATURE_RE = re.compile(
    r"""(X-Amz-(?:Signature|Credential|Security-Token)(?:=|%3D))(?:[^&\s"'<>%]|%(?!26)[0-9A-F]{2})+""", re.I)
# Tokens and keys of the signing service: query or form parameters, JSON fields, headers, bearer tokens.
# The separator is "=", a colon between quotes (JSON, a dict's repr) or a bare colon (a header): a quoted key
# followed by an unquoted word is prose (a message quoting an input), not a secret.
_TOKEN_RE = re.compile(
    r"""((?:access|refresh|id)_token|device_code|secret[-_]key|client_secret)"""
    r"""(\s*=\s*["']?|["']\s*:\s*["']|\s*:\s*(?!["']))"""
    r"""[^&\s"'<>,}]+|(bearer\s+)[\w.~+/=-]+""", re.I)


def mask_signatures(text: str) -> str:
    """Mask the secret parts of presigned URLs found in ``text``.

    Parameters
    ----------
    text
        Any text, such as an error message of GDAL that quotes a signed URL.

    Returns
    -------
    str
        The same text where the values of ``X-Amz-Signature``, ``X-Amz-Credential`` and
        ``X-Amz-Security-Token`` (plain or percent-encoded), of OAuth2 tokens (``access_token``,
        ``refresh_token``, ``id_token``, ``device_code``, ``Bearer ...``) and of secret keys
        (``secret-key``, ``secret_key``, ``client_secret``) are replaced by ``***``.

    Examples
    --------
    >>> mask_signatures("https://h/f.tif?X-Amz-Expires=60&X-Amz-Signature=abcdef")
    'https://h/f.tif?X-Amz-Expires=60&X-Amz-Signature=***'
    >>> mask_signatures("/vsicurl?url=https%3A%2F%2Fh%2Ff.tif%3FX-Amz-Signature%3Dabcdef%26X-Amz-Date%3D1")
    '/vsicurl?url=https%3A%2F%2Fh%2Ff.tif%3FX-Amz-Signature%3D***%26X-Amz-Date%3D1'
    >>> mask_signatures('{"access_token": "eyJhbGciOi.x.y", "secret-key": "s3"} Authorization: Bearer a.b')
    '{"access_token": "***", "secret-key": "***"} Authorization: Bearer ***'
    """
    text = _SIGNATURE_RE.sub(r"\1***", text)
    return _TOKEN_RE.sub(lambda m: f"{m[1]}{m[2]}***" if m[1] else f"{m[3]}***", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks signatures and tokens (:func:`mask_signatures`) in a record's message
    and in the text of its exception; it never drops a record. See :func:`masked_logger`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record: leave it to logging
            return True
        masked = mask_signatures(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_signatures(logging.Formatter().formatException(record.exc_info))
        return True


def masked_logger(name: str) -> logging.Logger:
    """The logger ``name``, with a :class:`MaskingFilter` (installed once).

    A filter acts on the records logged by its own logger only, not by its children: every logger that
    may quote a URL or a token goes through this function (the toolkit's, and rasterio's and urllib3's,
    which quote the URLs they fail to read).

    Examples
    --------
    >>> log = masked_logger("dinamis_widgets.example")
    >>> masked_logger("dinamis_widgets.example").filters == log.filters and len(log.filters)
    1
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Quote what a user gave, for an error message: its ``repr``, cut to about ``limit`` characters.

    Every message that names an input quotes it through this function, so that a 100,000-character
    string is not echoed whole. Signatures of presigned URLs are masked.

    Parameters
    ----------
    value
        Anything the user passed.
    limit
        Characters of the ``repr`` kept; the length of what was cut is told.

    Returns
    -------
    str

    Examples
    --------
    >>> quote("3h")
    "'3h'"
    >>> quote("x" * 1000, limit=10)
    "'xxxxxxxxx... (1000 characters)"
    >>> quote(list(range(100)), limit=20)
    '[0, 1, 2, 3, 4, 5, 6... (a list of 100)'
    """
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the error being reported
        text = f"<{type(value).__name__}>"
    text = mask_signatures(text)
    if len(text) <= limit:
        return text
    try:
        size = len(value)  # type: ignore[arg-type]
    except Exception:
        size = None
    if isinstance(value, str | bytes):
        more = f" ({size} characters)"
    elif size is not None:
        more = f" (a {type(value).__name__} of {size})"
    else:
        more = f" (a {type(value).__name__})"
    return text[:limit] + "..." + more


def _rebuild(cls: type[DinamisError], args: tuple[Any, ...], state: dict[str, Any]) -> DinamisError:
    """An error back from a pickle: its type, ``args`` and attributes, without calling its ``__init__``."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


def _joined(message: str, details: tuple[Any, ...]) -> str:
    return ": ".join([str(message), *(str(d) for d in details)])


class DinamisError(Exception):
    """Base class of every error raised by dinamis_widgets.

    Every error round-trips through :mod:`pickle` with its type, message and attributes, whatever its
    subclass's ``__init__`` takes (``__reduce__`` rebuilds it without calling it): dask.distributed pickles
    an error raised in a task to hand it to the client, and sends a plain ``Exception`` when that fails.

    Parameters
    ----------
    message
        What went wrong and, where the user can act, what to do. Signatures are masked.
    *details
        More parts of the message, joined to it by ``": "`` (dask.distributed shortens an error whose message
        is over 10,000 characters by calling its type with two texts).

    Examples
    --------
    >>> import pickle
    >>> error = LoadError("Reading band(s) [1] of https://h/k.tif?X-Amz-Signature=abc failed")
    >>> error.asset = "multispectral"
    >>> back = pickle.loads(pickle.dumps(error))
    >>> type(back).__name__, back.asset, str(back)
    ('LoadError', 'multispectral', 'Reading band(s) [1] of https://h/k.tif?X-Amz-Signature=*** failed')
    >>> str(LoadError("Long error message", "Reading band(s) [1] failed"))
    'Long error message: Reading band(s) [1] failed'
    """

    def __init__(self, message: str, *details: Any) -> None:
        self.message = mask_signatures(_joined(message, details))
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError subclasses would show the repr of the message
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class ConfigurationError(DinamisError):
    """A setting, profile or environment variable is missing or invalid."""


class TwinError(DinamisError):
    """The offline twin could not start, or one of its services failed."""


class HTTPServiceError(DinamisError):
    """A service answered with an HTTP error.

    Parameters
    ----------
    message
        What the toolkit was doing.
    status
        The HTTP status code, or None when no answer was received.
    service_message
        The message the service gave (its ``detail`` or body), if any.
    url
        The URL requested (signatures masked).
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        status: int | None = None,
        service_message: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.service_message = mask_signatures(service_message)
        self.url = mask_signatures(url)
        full = _joined(message, details)
        if status is not None:
            full += f" (HTTP {status}"
            if self.service_message:
                full += f": {self.service_message}"
            full += ")"
        super().__init__(full)


class AuthenticationError(HTTPServiceError):
    """The signing service refused the credentials, or none could be found."""


class SigningError(HTTPServiceError):
    """The signing service failed to sign URLs."""


class NotSignableError(DinamisError):
    """The product cannot be signed (BRUT level, or a Regards product), or has no such asset.

    Parameters
    ----------
    message
        A :class:`~dinamis_widgets.signing.rules.NotSignable` (its full message is shown), or a message.
    reason
        The product rule that refused it, when ``message`` is a text written around it.

    Attributes
    ----------
    reason : NotSignable or None
        Why the product cannot be signed (``.kind``, ``.short``, ``.message``); None for other causes
        (an asset the item does not have).
    """

    def __init__(self, message: NotSignable | str, *details: Any, reason: NotSignable | None = None) -> None:
        if not isinstance(message, str):
            reason, message = message, message.message
        self.reason = reason
        super().__init__(message, *details)


class ValidityError(DinamisError, ValueError):
    """A validity (duration of a signed URL) is malformed, not positive, or above the maximum."""


class QueryError(DinamisError, ValueError):
    """A search query is invalid (AOI, dates, unknown property, unsupported parameter)."""


class SearchError(HTTPServiceError):
    """The STAC API failed to answer a search."""


class LoadError(DinamisError):
    """Assets could not be loaded into a cube.

    Parameters
    ----------
    message, *details
        As for :class:`DinamisError`.
    asset
        The file whose read failed (its unsigned href), when a read failed.
    window
        Where: ``(left, bottom, right, top, crs)`` of the part of the cube being read.

    Attributes
    ----------
    asset : str or None
    window : tuple or None
    """

    def __init__(self, message: str, *details: Any, asset: str | None = None,
                 window: tuple[float, float, float, float, str] | None = None) -> None:
        self.asset = mask_signatures(asset) if asset is not None else None
        self.window = window
        super().__init__(message, *details)


class NoMaskError(LoadError):
    """``mask="clouds"`` was asked for items of a collection that has no cloud mask."""


class InputError(DinamisError, ValueError, TypeError):
    """An argument of a public function has the wrong type or value (the message names it and says what
    to give). Also a ``ValueError`` and a ``TypeError``, as code written before it caught those."""


class MissingBandError(LoadError, KeyError):
    """A computation needs a band the cube does not have (e.g. :func:`~dinamis_widgets.ndvi` without
    ``nir``): the message names it and shows how to load it."""


class CubeTooLargeError(LoadError):
    """A load would build an absurdly large cube, or a grid that looks wrong (a resolution in degrees on
    a metric CRS, items spread over several UTM zones): the message gives the plan's figures and the
    override."""


class ExportError(DinamisError):
    """A cube could not be written (:func:`~dinamis_widgets.to_cog`, ``to_zarr``, ``to_netcdf``)."""

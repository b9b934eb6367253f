"""Typed errors of dinamis_widgets.

Every error the toolkit raises derives from :class:`DinamisError`, so a notebook can catch them all with
one ``except`` clause, and a user interface can show :attr:`DinamisError.message` without a traceback.
HTTP errors keep the status code and the message of the service that answered.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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
    "MissingBandError",
    "NoMaskError",
    "NotSignableError",
    "QueryError",
    "SearchError",
    "SigningError",
    "TwinError",
    "ValidityError",
    "mask_signatures",
    "quote",
]

#: Longest quotation of an input in a message (:func:`quote`).
QUOTE_LIMIT = 80

_SIGNATURE_RE = re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"'<>]+", re.I)


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
        ``X-Amz-Security-Token`` are replaced by ``***``.

    Examples
    --------
    >>> mask_signatures("https://h/f.tif?X-Amz-Expires=60&X-Amz-Signature=abcdef")
    'https://h/f.tif?X-Amz-Expires=60&X-Amz-Signature=***'
    """
    return _SIGNATURE_RE.sub(r"\1***", text)


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


class DinamisError(Exception):
    """Base class of every error raised by dinamis_widgets.

    Parameters
    ----------
    message
        What went wrong and, where the user can act, what to do. Signatures are masked.
    """

    def __init__(self, message: str) -> None:
        self.message = mask_signatures(message)
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError subclasses would show the repr of the message
        return self.message


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
        *,
        status: int | None = None,
        service_message: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.service_message = mask_signatures(service_message)
        self.url = mask_signatures(url)
        full = message
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

    def __init__(self, message: NotSignable | str, *, reason: NotSignable | None = None) -> None:
        if not isinstance(message, str):
            reason, message = message, message.message
        self.reason = reason
        super().__init__(message)


class ValidityError(DinamisError, ValueError):
    """A validity (duration of a signed URL) is malformed, not positive, or above the maximum."""


class QueryError(DinamisError, ValueError):
    """A search query is invalid (AOI, dates, unknown property, unsupported parameter)."""


class SearchError(HTTPServiceError):
    """The STAC API failed to answer a search."""


class LoadError(DinamisError):
    """Assets could not be loaded into a cube."""


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

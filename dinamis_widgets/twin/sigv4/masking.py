"""Masking the secret parts of presigned URLs in messages and logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["MaskSignaturesFilter", "install_log_masking", "mask_url"]

_MASK_RE = re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s\"'<>]+", re.I)


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

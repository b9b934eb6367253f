"""Say what a failed read means and what to do: the message of the :class:`~dinamis_widgets.LoadError`
raised when a file of a load cannot be read (the object store answering 403 or 404 to every request is the
usual case, which GDAL reports as a bare ``HTTP response code: 403``).

Examples
--------
>>> print(explain_read_error("https://s3/bucket/a/IMG_XS.tif", [1, 2], OSError("HTTP response code: 404"),
...                          signed=True))  # doctest: +ELLIPSIS
Reading band(s) [1, 2] of https://s3/bucket/a/IMG_XS.tif failed: the file IMG_XS.tif was not found ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import mask_signatures

__all__ = ["explain_read_error"]

_STATUS_RE = re.compile(r"HTTP (?:response )?code:? (\d{3})|HTTP error code ?: ?(\d{3})", re.I)


def _status(text: str) -> int | None:
    match = _STATUS_RE.search(text[:2000])
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def explain_read_error(uri: str, bands: Sequence[int], exc: BaseException, *, signed: bool,
                       where: str = "") -> str:
    """The message of a failed read of ``bands`` of the file ``uri`` (unsigned href): what the object store
    answered, what it means, and what to do. ``where`` (e.g. the window and the attempts) follows the
    file's name. Signatures are masked."""
    detail = mask_signatures(f"{type(exc).__name__}: {exc}")[:300]
    name = uri.rsplit("/", 1)[-1].split("?", 1)[0] or uri
    status = _status(str(exc))
    head = f"Reading band(s) {list(bands)} of {uri}{where} failed"
    if status in (401, 403):
        if signed:
            return (f"{head}: the object store refused the signed URL of {name} (HTTP {status}), even signed "
                    "again: the signature is refused or expired. Check your credentials (dw.login(), or "
                    "TLD_ACCESS_KEY/TLD_SECRET_KEY) and that the product can be streamed "
                    f"(dw.explain_signability(item)), then load again. ({detail})")
        return (f"{head}: the object store refused {name} (HTTP {status}) and the URL was not signed: its "
                "host is not one the signer signs. Check the catalogue profile (dw.profile_for(url)) or "
                f"sign the items first with dw.sign(items). ({detail})")
    if status == 404:
        return (f"{head}: the file {name} was not found on the object store (HTTP 404): the item points at "
                "a file that was moved or deleted. Search the item again (dw.search(ids=[...])) for fresh "
                f"hrefs, or leave it out; if it persists, tell the catalogue's support. ({detail})")
    return f"{head}: {detail}. Check your network and that the object store answers, then compute again."

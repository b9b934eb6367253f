""""Visualiser": an item's quicklook, read in the kernel and handed to the map as a ``data:`` URL.

The browser never fetches the quicklook itself, so it shows where the browser cannot reach the catalogue's
storage or the kernel's machine (the twin on Binder, Voilà behind a proxy).

Examples
--------
With the twin running::

    url, bounds = quicklook_data_url(item)
    explorer_map.show_quicklook(url, bounds)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import DinamisError
from ..reading.download import fetch_bytes
from .map import Bounds, item_bounds
from .png import data_url

if TYPE_CHECKING:
    from ..signing.client import Signer

__all__ = ["QUICKLOOK_KEYS", "NoQuicklookError", "quicklook_data_url"]

#: Asset keys looked for, in order.
QUICKLOOK_KEYS = ("thumbnail", "overview", "quicklook", "preview")


class NoQuicklookError(DinamisError):
    """The item has no quicklook asset."""


def _mime(data: bytes, declared: str | None) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    return declared or "image/png"


def quicklook_data_url(item: Any, signer: Signer | None = None) -> tuple[str, Bounds]:
    """The item's quicklook as a ``data:`` URL, and the bounds to show it over.

    Raises
    ------
    NoQuicklookError
        No ``thumbnail``/``overview`` asset (nor an asset with the ``thumbnail`` or ``overview`` role).
    DownloadError
        The image could not be read.
    """
    asset = next((item.assets[k] for k in QUICKLOOK_KEYS if k in item.assets), None)
    if asset is None:
        asset = next((a for a in item.assets.values()
                      if {"thumbnail", "overview"} & set(a.roles or [])), None)
    if asset is None:
        raise NoQuicklookError(f"{item.id} has no quicklook (no 'thumbnail' asset).")
    data = fetch_bytes(asset.href, signer=signer)
    return data_url(data, _mime(data, asset.media_type)), item_bounds(item)

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

__all__ = ["QUICKLOOK_KEYS", "NoQuicklookError", "preview_asset", "quicklook_data_url"]

#: Asset keys looked for, in order.
QUICKLOOK_KEYS = ("thumbnail", "overview", "quicklook", "preview")
#: Roles of a preview asset.
PREVIEW_ROLES = ("thumbnail", "overview")
#: Media types (and file endings) of an image a browser shows.
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/jpg")
_IMAGE_ENDINGS = (".png", ".jpg", ".jpeg")
#: An image asset larger than this (``file:size``) is not a preview.
MAX_PREVIEW_BYTES = 8 << 20


class NoQuicklookError(DinamisError):
    """The item has no quicklook asset."""


def _mime(data: bytes, declared: str | None) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    return declared or "image/png"


def _is_image(asset: Any) -> bool:
    media = (asset.media_type or "").split(";")[0].strip().lower()
    if media:
        return media in _IMAGE_TYPES
    return asset.href.split("?", 1)[0].lower().endswith(_IMAGE_ENDINGS)


def preview_asset(item: Any) -> tuple[str, Any] | None:
    """The asset to preview an item with, as ``(key, asset)``, or None when it has none.

    In order: an asset named ``thumbnail``, ``overview``, ``quicklook`` or ``preview``; an asset with the
    role ``thumbnail`` or ``overview``; a small PNG or JPEG image that is not data (by media type, else by
    file ending; not over :data:`MAX_PREVIEW_BYTES` when its ``file:size`` is known).

    Examples
    --------
    >>> import pystac, datetime as dt
    >>> item = pystac.Item("x", None, None, dt.datetime(2025, 1, 1), {})
    >>> preview_asset(item) is None
    True
    >>> item.add_asset("ql", pystac.Asset("https://h/x_QKL.jpg", media_type="image/jpeg"))
    >>> preview_asset(item)[0]
    'ql'
    """
    assets = item.assets
    for key in QUICKLOOK_KEYS:
        if key in assets:
            return key, assets[key]
    for key, asset in assets.items():
        if set(PREVIEW_ROLES) & set(asset.roles or []):
            return key, asset
    for key, asset in assets.items():
        size = asset.extra_fields.get("file:size")
        small = not isinstance(size, int | float) or size <= MAX_PREVIEW_BYTES
        if _is_image(asset) and "data" not in (asset.roles or []) and small:
            return key, asset
    return None


def quicklook_data_url(item: Any, signer: Signer | None = None) -> tuple[str, Bounds]:
    """The item's quicklook (:func:`preview_asset`) as a ``data:`` URL, and the bounds to show it over.

    Raises
    ------
    NoQuicklookError
        The item has no asset to preview it with.
    DownloadError
        The image could not be read.
    """
    found = preview_asset(item)
    if found is None:
        raise NoQuicklookError(f"{item.id} has no quicklook (no 'thumbnail' or 'overview' asset, no PNG or "
                               "JPEG image).")
    _, asset = found
    data = fetch_bytes(asset.href, signer=signer)
    return data_url(data, _mime(data, asset.media_type)), item_bounds(item)

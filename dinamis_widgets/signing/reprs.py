"""Reprs of signed pystac objects that show no signature.

pystac's ``<Asset href=...>`` and the HTML views of items, assets and collections print hrefs in full: a
signed href would put its signature in every notebook that displays the object. :func:`mask_reprs` turns
an Asset, Item or Collection into a subclass whose reprs pass through
:func:`~dinamis_widgets.errors.mask_signatures`; hrefs, ``to_dict()`` and everything else are unchanged
(the signed URL stays the value to read, or to paste into QGIS).

Examples
--------
>>> import pystac
>>> asset = pystac.Asset("https://h/k.tif?X-Amz-Expires=60&X-Amz-Signature=abcdef")
>>> mask_reprs(asset)
<Asset href=https://h/k.tif?X-Amz-Expires=60&X-Amz-Signature=***>
>>> asset.href, isinstance(asset, pystac.Asset)
('https://h/k.tif?X-Amz-Expires=60&X-Amz-Signature=abcdef', True)
"""

from __future__ import annotations

from typing import Any, TypeVar

import pystac

from ..errors import mask_signatures

__all__ = ["SignedAsset", "SignedCollection", "SignedItem", "mask_reprs"]

T = TypeVar("T")


class SignedAsset(pystac.Asset):
    """A pystac Asset whose reprs mask signatures."""

    def __repr__(self) -> str:
        return mask_signatures(super().__repr__())

    def _repr_html_(self) -> str:
        return mask_signatures(super()._repr_html_())


class SignedItem(pystac.Item):
    """A pystac Item whose reprs mask signatures."""

    def __repr__(self) -> str:
        return mask_signatures(super().__repr__())

    def _repr_html_(self) -> str:
        return mask_signatures(super()._repr_html_())


class SignedCollection(pystac.Collection):
    """A pystac Collection whose reprs mask signatures."""

    def __repr__(self) -> str:
        return mask_signatures(super().__repr__())

    def _repr_html_(self) -> str:
        return mask_signatures(super()._repr_html_())


_MASKED: dict[type, type] = {pystac.Asset: SignedAsset, pystac.Item: SignedItem,
                             pystac.Collection: SignedCollection}


def mask_reprs(obj: T) -> T:
    """Give ``obj`` (a plain pystac Asset, Item or Collection) reprs that mask signatures, in place; other
    objects, subclasses included, are returned as they are."""
    masked: Any = _MASKED.get(type(obj))
    if masked is not None:
        obj.__class__ = masked
    return obj

"""Turning the pixels of a read into the numbers a cube holds: scale and offset, nodata, masks.

odc-stac keeps the files' integers (its issue 55: ``raster:bands`` scale and offset are not applied).
The toolkit applies them where an item declares them (``raster:bands``, or STAC 1.1 ``bands``), or where
:data:`~.product_tables.KNOWN_COLLECTIONS` knows them (THEIA: ``int16``, nodata -10000, scale 1/10000),
and applies the collection's cloud and saturation masks with ``mask="clouds"``. A band so transformed is
``float32`` with NaN where a pixel is nodata or masked; integer DINAMIS DN products keep their ``uint16``
unless an item declares a scale.

Each item's pixels are finished **before** the items of a time step are fused, by the read's own task in
the graph (:class:`~.driver.SigningDaskReader`): a cloud of one item lets another item of the same day
show through. A mask is an asset of the item, read through the same signed, re-signing reader as the
bands, once per chunk whatever the number of bands it masks.

Examples
--------
>>> import numpy as np
>>> pix = np.array([[[1000.0, np.nan], [2000.0, 500.0]]], dtype="float32")
>>> clm = np.array([[[0, 0], [1, 0]]], dtype="uint8")
>>> roi = (slice(0, 2), slice(0, 2))
>>> _, out = finish_band((roi, pix), 0, BandFinish(scale=1e-4, masks=(MaskUse("clm", 1, "clouds"),)),
...                      np.nan, (roi, clm))
>>> out.tolist()
[[0.10000000149011612, nan], [nan, 0.05000000074505806]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import LoadError, NoMaskError
from .asset_facts import CollectionFacts, collection_key

if TYPE_CHECKING:
    import pystac
    from odc.stac import ParsedItem

__all__ = ["BandFinish", "Finishing", "MaskRequest", "MaskUse", "finish_band", "plan_finishing"]

#: ``mask=`` values: ``"clouds"`` fails when a collection has no cloud mask, ``"clouds-if-any"`` warns.
MaskRequest = Literal["clouds", "clouds-if-any"]
MASK_REQUESTS = ("clouds", "clouds-if-any")

Read = tuple[tuple[slice, slice], np.ndarray]


@dataclass(frozen=True)
class MaskUse:
    """A mask file applied to a band: pixels where ``value & bits != 0`` are masked."""

    uri: str
    bits: int
    kind: str


@dataclass(frozen=True)
class BandFinish:
    """What turns the pixels of one band of one file into the cube's numbers."""

    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    """The declared nodata, used when the file's header declares none."""
    masks: tuple[MaskUse, ...] = ()

    @property
    def identity(self) -> bool:
        """No scale, offset or mask: the read's pixels as they are."""
        return self.scale == 1.0 and self.offset == 0.0 and not self.masks


@dataclass(frozen=True)
class Finishing:
    """How every source of a load is finished: by ``(unsigned href, band)``."""

    bands: Mapping[tuple[str, int], BandFinish]
    to_float: bool
    """Whether the cube is float (some band scaled or masked): then every band is ``float32`` with NaN."""

    def of(self, uri: str, band: int) -> BandFinish:
        """The finish of one band of one file (identity when none)."""
        return self.bands.get((uri, band), BandFinish())

    def describe(self) -> tuple[dict[str, str], tuple[str, ...]]:
        """For the plan: the scale/offset applied (per file name) and the masks read."""
        scaled = {uri.rsplit("/", 1)[-1]: f"x {f.scale:g} + {f.offset:g}"
                  for (uri, _), f in self.bands.items() if f.scale != 1.0 or f.offset != 0.0}
        masks = sorted({f"{m.uri.rsplit('/', 1)[-1]} ({m.kind}, bits {m.bits:#x})"
                        for f in self.bands.values() for m in f.masks})
        return scaled, tuple(masks)


def _overlay(roi: tuple[slice, slice], shape: tuple[int, int], mask_read: Read, bits: int) -> np.ndarray:
    """The masked pixels of a band's ``roi`` (``shape``), from a mask read over the same chunk."""
    (my, mx), mask = mask_read
    out = np.zeros(shape, dtype=bool)
    if mask.size == 0:
        return out
    y0, y1 = max(roi[0].start, my.start), min(roi[0].stop, my.stop)
    x0, x1 = max(roi[1].start, mx.start), min(roi[1].stop, mx.stop)
    if y1 > y0 and x1 > x0:
        values = mask[0] if mask.ndim == 3 else mask
        part = values[y0 - my.start:y1 - my.start, x0 - mx.start:x1 - mx.start]
        out[y0 - roi[0].start:y1 - roi[0].start, x0 - roi[1].start:x1 - roi[1].start] = (
            np.bitwise_and(part.astype(np.int64), bits) != 0)
    return out


def finish_band(shared: Read, i: int, finish: BandFinish, fill: float, *masks: Read) -> Read:
    """Band ``i`` of a shared read, scaled and masked (``masks`` in the order of ``finish.masks``).

    The read is float (nodata already ``fill``); scale and offset apply to valid pixels (computed in
    float64, stored in the read's dtype); masked pixels become ``fill``.
    """
    roi, pix = shared
    out = np.array(pix[i], copy=True)
    if out.size == 0:
        return roi, out
    missing = np.isnan(out) if math.isnan(fill) else (out == fill) | np.isnan(out)
    if finish.scale != 1.0 or finish.offset != 0.0:
        valid = ~missing
        out[valid] = (out[valid].astype(np.float64) * finish.scale + finish.offset).astype(out.dtype)
    for use, read in zip(finish.masks, masks, strict=True):
        out[_overlay(roi, out.shape, read, use.bits)] = fill
    return roi, out


def _declared_scale(item: pystac.Item, asset: str, band: int, facts: CollectionFacts | None,
                    ) -> tuple[float, float, float | None]:
    from .asset_facts import declared_bands

    declared = declared_bands(item.assets[asset])
    mine = declared[band - 1] if 0 < band <= len(declared) else None
    known = facts.assets.get(asset) if facts is not None else None
    table = known.table if known is not None else None
    scale = mine.scale if mine is not None and mine.scale is not None else (table.scale if table else 1.0)
    offset = mine.offset if mine is not None and mine.offset is not None else (table.offset if table else 0.0)
    nodata = mine.nodata if mine is not None and mine.nodata is not None else (
        table.nodata if table else None)
    return scale, offset, nodata


def _masks_of(item: pystac.Item, asset: str, band: int, facts: CollectionFacts | None) -> tuple[MaskUse, ...]:
    known = facts.assets.get(asset) if facts is not None else None
    if known is None or known.table is None or band > len(known.table.bands):
        return ()
    return tuple(MaskUse(item.assets[m.asset].href, m.bits, m.kind)
                 for m in known.table.bands[band - 1].masks if m.asset in item.assets)


def plan_finishing(items: Sequence[pystac.Item], parsed: Sequence[ParsedItem], names: Sequence[str],
                   facts: Mapping[str, CollectionFacts], *, rescale: bool, mask: MaskRequest | None,
                   ) -> tuple[Finishing, list[str]]:
    """How to finish each source of a load, and the warnings to give (``mask="clouds-if-any"``).

    Raises
    ------
    NoMaskError
        ``mask="clouds"`` and a collection of the items has no cloud mask (the message says which, and
        what to do).
    LoadError
        An unknown ``mask``.
    """
    from odc.loader import RasterSource

    if mask is not None and mask not in MASK_REQUESTS:
        raise LoadError(f"mask={mask!r}: use 'clouds' (an error when a collection has no cloud mask), "
                        "'clouds-if-any' (a warning) or None.")
    bands: dict[tuple[str, int], BandFinish] = {}
    unmasked: dict[str, str] = {}
    for item, p in zip(items, parsed, strict=True):
        coll = facts.get(collection_key(item))
        for src in p.resolve_bands(list(names)).values():
            if not isinstance(src, RasterSource) or (src.uri, src.band) in bands:
                continue
            asset = next((k for k, a in item.assets.items() if a.href == src.uri), None)
            if asset is None:
                continue
            scale, offset, nodata = _declared_scale(item, asset, src.band, coll)
            if not rescale:
                scale, offset = 1.0, 0.0
            uses = _masks_of(item, asset, src.band, coll) if mask else ()
            if mask and not any(u.kind == "clouds" for u in uses):
                why = coll.table.cloud_masks if coll is not None and coll.table is not None else (
                    "the toolkit knows no cloud mask asset for it")
                unmasked.setdefault(collection_key(item), why)
            bands[(src.uri, src.band)] = BandFinish(scale, offset, nodata, uses)
    if unmasked and mask == "clouds":
        listed = "; ".join(f"{c}: {why}" for c, why in unmasked.items())
        raise NoMaskError(f"mask='clouds' cannot be met, no cloud mask for {listed}. Load without a mask "
                          "(mask=None), or mask the collections that have one and warn for the others "
                          "(mask='clouds-if-any').")
    warnings = [f"No cloud mask for {c} ({why}): its pixels are not masked." for c, why in unmasked.items()]
    to_float = any(not f.identity for f in bands.values())
    return Finishing(bands, to_float), warnings


def fill_value(cfg: Any) -> float:
    """The value a finished band marks missing pixels with: the load's nodata, NaN by default."""
    value = getattr(cfg, "fill_value", None)
    return float("nan") if value is None else float(value)

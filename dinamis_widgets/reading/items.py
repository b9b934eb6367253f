"""The items of a load: accepted forms, signability, the AOI they cover, and their bands as odc-stac parses
them (no IO).

Bands are resolved by odc-stac's own STAC parsing (:func:`odc.stac.parse_items`) with the aliases of
:mod:`.band_names`: a name is an alias of ``(asset, band index)``, and each band's native grid is a geobox
from the projection extension. :class:`ItemBands` answers what a load needs from that: the native
resolution and pixel anchor, and the band plan (the bands read together from each file).

Examples
--------
>>> aoi_geometry((-0.97, 45.93, -0.95, 45.95)).boundingbox.left
-0.97
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError, LoadError, NotSignableError, quote
from ..signing.dispatch import EXPIRY_FIELD
from ..signing.rules import explain_signability, warn_unverified
from ..signing.urls import unsigned_url
from .asset_facts import collection_key
from .options import Resolution

if TYPE_CHECKING:
    import pystac
    from odc.geo.geobox import GeoBox
    from odc.geo.geom import Geometry

__all__ = ["ItemBands", "aoi_geometry", "as_items", "clip_to_items", "signable_only"]


def as_items(items: Any) -> list[pystac.Item]:
    """Unsigned clones of the items (dicts, Items, ItemCollection, ItemSearch, search results)."""
    import pystac

    accepted = ("give STAC items: a search result, a pystac ItemCollection, a list of pystac Items or of "
                "item dicts, or a pystac-client ItemSearch")
    if hasattr(items, "item_collection") and callable(items.item_collection):
        items = items.item_collection()
    if isinstance(items, Mapping) and items.get("type") == "FeatureCollection":
        items = items.get("features") or []
    if isinstance(items, pystac.Item | Mapping):
        items = [items]
    if isinstance(items, str | bytes):
        raise InputError(f"Cannot load the text {quote(items)}: {accepted}. To load items by id, search them "
                         "first: dw.load(dw.search(ids=[...]), ...).")
    if not isinstance(items, Iterable):
        raise InputError(f"Cannot load a {type(items).__name__} ({quote(items)}): {accepted}.")
    out: list[pystac.Item] = []
    for i, it in enumerate(items):
        if isinstance(it, Mapping):
            if it.get("type") not in (None, "Feature") or not isinstance(it.get("assets"), Mapping):
                raise InputError(f"Item {i} of the list is not a STAC item dict (it needs 'type': 'Feature' "
                                 f"and 'assets'): {quote(it)}. {accepted[0].upper()}{accepted[1:]}.")
            try:
                item = pystac.Item.from_dict(dict(it), preserve_dict=True)
            except Exception as exc:  # pystac raises KeyError, TypeError, STACTypeError...
                raise InputError(f"Item {i} of the list is not a valid STAC item ({type(exc).__name__}: "
                                 f"{quote(str(exc))}): {quote(it)}. {accepted[0].upper()}{accepted[1:]}."
                                 ) from None
        elif isinstance(it, pystac.Item):
            item = it.clone()
        else:
            raise InputError(f"Item {i} of the list is a {type(it).__name__} ({quote(it)}), not a STAC item: "
                             f"{accepted}.")
        for asset in item.assets.values():
            asset.href = unsigned_url(asset.href)
            asset.extra_fields.pop(EXPIRY_FIELD, None)
        if not item.collection_id:  # odc-stac finds the configuration of an item by its collection id
            item.collection_id = collection_key(item)
        out.append(item)
    if not out:
        raise LoadError("Nothing to load: the list of items is empty. Search with a larger AOI or dates.")
    return out


def signable_only(items: list[pystac.Item]) -> list[pystac.Item]:
    """The items that can be signed; the others are left out with a warning (all of them: an error).

    Items that nothing describes (no processing level found by any rule of
    :func:`~dinamis_widgets.explain_signability`) are kept, with one
    :class:`~dinamis_widgets.UnverifiedProductWarning` naming them, as :func:`~dinamis_widgets.sign` does.
    The warnings point at the caller of :func:`~dinamis_widgets.load` or :func:`~dinamis_widgets.plan`
    (two frames above the caller of this function).
    """
    import warnings

    from ..warnings import NotSignableWarning

    verdicts = [explain_signability(it) for it in items]
    reasons = {v.item_id: v.reason for v in verdicts if v.reason is not None}
    if len(reasons) == len(items):
        more = f" (and {len(reasons) - 1} other item(s))" if len(reasons) > 1 else ""
        first = next(iter(reasons.values()))
        raise NotSignableError(first.message + more, reason=first)
    warn_unverified(verdicts, stacklevel=4)
    if not reasons:
        return items
    shown = "; ".join(r.why for r in list(reasons.values())[:3])
    warnings.warn(f"{len(reasons)} of {len(items)} item(s) left out, they cannot be streamed: {shown}"
                  f"{'; ...' if len(reasons) > 3 else ''}", NotSignableWarning, stacklevel=4)
    return [it for it in items if it.id not in reasons]


def aoi_geometry(aoi: Any) -> Geometry:
    """An AOI as an odc-geo Geometry in EPSG:4326, checked by :func:`dinamis_widgets.as_aoi`.

    Parameters
    ----------
    aoi
        Any form :func:`~dinamis_widgets.as_aoi` reads (GeoJSON geometry, Feature or
        FeatureCollection, bbox ``(west, south, east, north)`` in degrees, WKT, shapely geometry,
        GeoDataFrame, :class:`~dinamis_widgets.AOI`), or an :class:`odc.geo.geom.Geometry` (its CRS
        is kept).

    Raises
    ------
    QueryError
        If the AOI cannot be read, is empty, out of range or in latitude/longitude order.

    Examples
    --------
    >>> aoi_geometry((-0.97, 45.93, -0.95, 45.95)).boundingbox.left
    -0.97
    """
    from odc.geo import geom

    from ..catalog.aoi import as_aoi

    if isinstance(aoi, geom.Geometry):
        return aoi
    return geom.Geometry(as_aoi(aoi).geometry, "EPSG:4326")


def clip_to_items(aoi: Geometry, items: Sequence[pystac.Item]) -> Geometry:
    """The part of the AOI the items cover (so that a large AOI does not make a large empty cube)."""
    from odc.geo import geom

    footprints = [geom.Geometry(it.geometry, "EPSG:4326") for it in items if it.geometry]
    if not footprints:
        return aoi
    covered = geom.unary_union(footprints)
    if covered is None:
        return aoi
    clipped = aoi.to_crs("EPSG:4326").intersection(covered)
    if clipped.is_empty:
        asked = tuple(round(v, 5) for v in aoi.boundingbox)
        have = tuple(round(v, 5) for v in covered.boundingbox)
        raise LoadError(f"The AOI {asked} does not intersect the footprints of the {len(items)} item(s) "
                        f"(together {have}). Give an AOI inside the items' extent, or search again with "
                        "this AOI (dw.search(..., aoi=...)) to get the items that cover it.")
    return clipped


class ItemBands:
    """The bands of items as odc-stac parses them (:func:`odc.stac.parse_items`; no IO).

    Parameters
    ----------
    items
        The items of a load (unsigned clones, completed by :func:`.asset_facts.complete_items`).
    stac_cfg
        odc-stac's per-collection configuration (aliases, data types): see
        :meth:`.band_names.BandResolution.stac_cfg`.
    resolutions
        Native pixel sizes by asset key, for assets that give neither a grid nor a ``gsd`` (from the
        tables), and of ``"pan"`` when the load does not read it (for ``resolution="pan"``).
    """

    def __init__(self, items: Sequence[pystac.Item], stac_cfg: Mapping[str, Any] | None = None,
                 resolutions: Mapping[str, float] | None = None) -> None:
        import odc.stac

        self.items = list(items)
        self.stac_cfg = dict(stac_cfg or {})
        self.parsed = list(odc.stac.parse_items(self.items, self.stac_cfg or None))
        self.resolutions = dict(resolutions or {})

    def band_plan(self, bands: Sequence[str]) -> dict[str, list[int]]:
        """For each file (unsigned href), the 1-based bands of ``bands`` it holds, read together."""
        from odc.loader import RasterSource

        plan: dict[str, set[int]] = {}
        for parsed in self.parsed:
            try:
                sources = parsed.resolve_bands(list(bands))
            except ValueError:
                continue
            for src in sources.values():
                if isinstance(src, RasterSource):
                    plan.setdefault(src.uri, set()).add(int(src.band))
        return {uri: sorted(b) for uri, b in plan.items()}

    def native_geobox(self, band: str) -> GeoBox | None:
        """The native grid of ``band`` in the first item (None without the projection extension)."""
        from odc.geo.geobox import GeoBox

        first = self.parsed[0] if self.parsed else None
        if first is None or band not in first:
            return None
        geobox = getattr(first[band], "geobox", None)
        return geobox if isinstance(geobox, GeoBox) else None

    def native_resolution(self, band: str) -> float | None:
        """The native pixel size of ``band`` in the first item: its grid's, else its asset's ``gsd``, else
        the one given in ``resolutions`` (by asset key, or by name for a band the load does not read)."""
        geobox = self.native_geobox(band)
        if geobox is not None:
            return float(geobox.resolution.x)
        first = self.parsed[0] if self.parsed else None
        if first is None or band not in first:
            return self.resolutions.get(band)
        asset, _ = first.collection.band_key(band)
        gsd = self.items[0].assets[asset].extra_fields.get("gsd") if asset in self.items[0].assets else None
        return float(gsd) if gsd else self.resolutions.get(asset)

    def resolution(self, bands: Sequence[str],
                   resolution: Resolution | None) -> float | tuple[float, float] | None:
        """The output resolution: as given, ``"ms"``/``"pan"`` or None (the first band's) made native."""
        if resolution is None:
            return self.native_resolution(bands[0])
        if isinstance(resolution, str):
            band = {"ms": next((b for b in bands if b != "pan"), "red"), "pan": "pan"}.get(resolution.lower())
            res = self.native_resolution(band) if band else None
            if res is None:
                raise LoadError(f"resolution={resolution!r}: use 'ms', 'pan' or a number of CRS units "
                                f"(metres); the first item has no "
                                f"{'panchromatic' if band == 'pan' else 'matching'} asset.")
            return res
        if isinstance(resolution, int | float):
            if resolution <= 0:
                raise LoadError(f"resolution must be positive, not {resolution!r}")
            return float(resolution)
        return (float(resolution[0]), float(resolution[1]))

    def native_anchor(self, bands: Sequence[str], res: Any, crs: Any) -> Any:
        """An odc-geo anchor that puts output pixels on the first item's pixels of ``bands[0]``, or None
        (no grid, another CRS, or a resolution per axis)."""
        from odc.geo import xy_
        from odc.geo.crs import norm_crs

        geobox = self.native_geobox(bands[0])
        if geobox is None or res is None or not isinstance(res, int | float):
            return None
        if crs is not None and geobox.crs is not None and norm_crs(crs) != geobox.crs:
            return None
        x0, y0 = geobox.transform.c, geobox.transform.f

        def frac(v: float) -> float:
            f = (v / float(res)) % 1.0
            return 0.0 if min(f, 1.0 - f) < 1e-6 else f

        return xy_(frac(x0), frac(y0))

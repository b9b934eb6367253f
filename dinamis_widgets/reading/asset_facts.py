"""What the items of a load declare about their assets, what the tables add, and completing the items'
clones where odc-stac's configuration cannot (no IO).

Per collection, the first item stands for the others (odc-stac assumes the same). For each raster asset:
its bands as declared (``bands`` of STAC 1.1, ``eo:bands``, ``raster:bands``, merged by index), its band
count (declared, else from :mod:`.product_tables`, else from the file's header: :mod:`.probe`), and
whether the item gives its grid (``proj:shape`` and ``proj:transform``).

odc-stac reads a band count from ``bands`` or ``raster:bands`` only (``eo:bands`` alone gives one band)
and a grid from the projection fields only; :func:`complete_items` writes those into the load's clones of
the items when they lack them (from ``eo:bands``, the tables or the files' headers). Names, data types
and nodata values of single-band assets go through odc-stac's own configuration instead
(:meth:`.band_names.BandResolution.stac_cfg`).

Examples
--------
>>> import pystac, datetime
>>> item = pystac.Item("x", None, None, datetime.datetime(2025, 1, 1), {})
>>> item.add_asset("src_xs", pystac.Asset("https://h/x.tif", media_type="image/tiff", roles=["data"]))
>>> facts = collect_facts([item])["_"]
>>> facts.assets["src_xs"].count is None, facts.assets["src_xs"].has_grid
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .product_tables import KNOWN_COLLECTIONS, AssetInfo, CollectionInfo, is_sentinel2, sensor_of

if TYPE_CHECKING:
    import pystac

    from .probe import FileFacts

__all__ = ["AssetFacts", "CollectionFacts", "DeclaredBand", "collect_facts", "collection_key",
           "complete_items", "declared_bands", "has_grid"]

#: Projection v2.0.0, declared on clones that receive a grid.
PROJECTION_V2 = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
#: Projection v1.1.0 (``proj:epsg``), declared on clones that use its fields without declaring it.
PROJECTION_V1 = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
_NOT_RASTER_ROLES = {"thumbnail", "overview", "metadata"}
_RASTER_SUFFIXES = (".tif", ".tiff", ".jp2", ".img", ".vrt")


@dataclass(frozen=True)
class DeclaredBand:
    """One band as an asset declares it (any field may be missing)."""

    name: str | None = None
    common_name: str | None = None
    data_type: str | None = None
    nodata: float | None = None
    scale: float | None = None
    offset: float | None = None


@dataclass(frozen=True)
class AssetFacts:
    """One raster asset of a collection's items."""

    key: str
    bands: tuple[DeclaredBand, ...]
    """Bands as declared (empty when the item declares none)."""
    count: int | None
    """Band count: declared, else the table's, else the file's (after a probe), else None."""
    has_grid: bool
    table: AssetInfo | None = None
    file: FileFacts | None = None

    @property
    def named(self) -> bool:
        """Whether the item names the bands (``eo:bands`` or ``bands``)."""
        return any(b.name or b.common_name for b in self.bands)

    def band(self, index: int) -> DeclaredBand:
        """Declared band ``index`` (1-based), or an empty one."""
        return self.bands[index - 1] if 0 < index <= len(self.bands) else DeclaredBand()

    def describe(self) -> str:
        """``src_xs (4 bands: src_xs.1 ... src_xs.4)`` (for messages)."""
        if self.count is None:
            return f"{self.key} (bands not declared)"
        if self.count == 1:
            name = self.band(1).common_name or self.band(1).name
            return f"{self.key} (1 band{f': {name}' if name and name != self.key else ''})"
        names = [self.band(i).common_name or self.band(i).name or f"{self.key}.{i}"
                 for i in range(1, self.count + 1)]
        shown = ", ".join(names) if len(names) <= 6 else f"{names[0]} ... {names[-1]}"
        return f"{self.key} ({self.count} bands: {shown})"


@dataclass
class CollectionFacts:
    """The raster assets of a collection's items (its first item's), and what the tables know of it."""

    key: str
    item: pystac.Item
    assets: dict[str, AssetFacts] = field(default_factory=dict)
    table: CollectionInfo | None = None
    sensor: str | None = None
    sentinel2: bool = False


def collection_key(item: pystac.Item) -> str:
    """The collection an item's metadata is grouped by, as odc-stac groups it (``"_"`` without one)."""
    return str(item.collection_id) if item.collection_id else str(item.properties.get("odc:product", "_"))


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def declared_bands(asset: pystac.Asset) -> tuple[DeclaredBand, ...]:
    """The bands an asset declares, ``bands`` (STAC 1.1), ``eo:bands`` and ``raster:bands`` merged by index.

    Fields shared by all bands may sit on the asset (``nodata``, ``data_type``, ``raster:scale``...).

    Examples
    --------
    >>> import pystac
    >>> a = pystac.Asset("x.tif", extra_fields={"eo:bands": [{"name": "B2", "common_name": "red"}],
    ...                                         "raster:bands": [{"nodata": 0, "scale": 2}]})
    >>> declared_bands(a)[0]
    DeclaredBand(name='B2', common_name='red', data_type=None, nodata=0.0, scale=2.0, offset=None)
    """
    fields = asset.extra_fields
    lists = [v for k in ("bands", "eo:bands", "raster:bands") if isinstance(v := fields.get(k), list)]
    n = max((len(v) for v in lists), default=0)
    out = []
    for i in range(n):
        merged: dict[str, Any] = {k: fields[k] for k in ("nodata", "data_type") if k in fields}
        for k in ("raster:scale", "raster:offset"):
            if k in fields:
                merged[k.split(":")[1]] = fields[k]
        for values in lists:
            if i < len(values) and isinstance(values[i], Mapping):
                entry = dict(values[i])
                for k in ("eo:common_name", "raster:scale", "raster:offset"):
                    if k in entry:
                        entry[k.split(":")[1]] = entry.pop(k)
                merged.update({k: v for k, v in entry.items() if v is not None})
        out.append(DeclaredBand(
            name=merged.get("name") if isinstance(merged.get("name"), str) else None,
            common_name=merged.get("common_name") if isinstance(merged.get("common_name"), str) else None,
            data_type=merged.get("data_type") if isinstance(merged.get("data_type"), str) else None,
            nodata=_float(merged.get("nodata")), scale=_float(merged.get("scale")),
            offset=_float(merged.get("offset"))))
    return tuple(out)


def has_grid(item: pystac.Item, key: str) -> bool:
    """Whether the item gives the grid of asset ``key`` (``proj:shape`` and ``proj:transform``)."""
    fields = item.assets[key].extra_fields
    return all(name in fields or name in item.properties for name in ("proj:shape", "proj:transform"))


def _is_raster(asset: pystac.Asset) -> bool:
    roles = set(asset.roles or [])
    if roles & _NOT_RASTER_ROLES and "data" not in roles:
        return False
    media = (asset.media_type or "").split(";")[0].lower()
    if media:
        return media.startswith("image/") or "netcdf" in media or "zarr" in media
    return "data" in roles or asset.href.lower().split("?")[0].endswith(_RASTER_SUFFIXES)


def collect_facts(items: Sequence[pystac.Item]) -> dict[str, CollectionFacts]:
    """The facts of each collection of ``items``, from its first item and the tables."""
    out: dict[str, CollectionFacts] = {}
    for item in items:
        key = collection_key(item)
        if key in out:
            continue
        table = KNOWN_COLLECTIONS.get(key)
        facts = CollectionFacts(key, item, table=table, sensor=sensor_of(item.properties, item.id),
                                sentinel2=is_sentinel2(item.properties, item.id, item.collection_id))
        for name, asset in item.assets.items():
            if not _is_raster(asset):
                continue
            bands = declared_bands(asset)
            info = table.assets.get(name) if table is not None else None
            count = len(bands) or (len(info.bands) if info is not None else None)
            facts.assets[name] = AssetFacts(name, bands, count, has_grid(item, name), info)
        out[key] = facts
    return out


def with_files(facts: Mapping[str, CollectionFacts], files: Mapping[str, FileFacts]) -> None:
    """Record what the files' headers said (band counts of assets that declare none)."""
    for coll in facts.values():
        for key, asset in list(coll.assets.items()):
            found = files.get(coll.item.assets[key].href)
            if found is not None:
                coll.assets[key] = replace(asset, file=found, count=asset.count or found.count)


def _raster_bands(asset: AssetFacts) -> list[dict[str, Any]]:
    """``raster:bands`` for a clone: data type and nodata of each band, from the table or the file."""
    out = []
    for i in range(1, (asset.count or 0) + 1):
        band: dict[str, Any] = {}
        if asset.table is not None:
            band = {"data_type": asset.table.data_type, "nodata": asset.table.nodata}
        elif asset.file is not None:
            band = {"data_type": asset.file.dtypes[min(i, len(asset.file.dtypes)) - 1],
                    "nodata": asset.file.nodata}
        declared = asset.band(i)
        band.update({k: v for k, v in (("data_type", declared.data_type), ("nodata", declared.nodata)) if v})
        out.append({k: v for k, v in band.items() if v is not None})
    return out


def _declare_projection(item: pystac.Item) -> None:
    """Declare the projection extension on an item whose fields use it undeclared (v1 for ``proj:epsg``)."""
    if any("/projection/" in e for e in item.stac_extensions):
        return
    keys = {k for d in (item.properties, *(a.extra_fields for a in item.assets.values())) for k in d
            if k.startswith("proj:")}
    if keys:
        version = PROJECTION_V1 if "proj:epsg" in keys else PROJECTION_V2
        item.stac_extensions = [*item.stac_extensions, version]


def complete_items(items: Sequence[pystac.Item], facts: Mapping[str, CollectionFacts],
                   files: Mapping[str, FileFacts], assets: Mapping[str, set[str]]) -> None:
    """Write into the clones what odc-stac needs and cannot be told by configuration: the band count of
    multi-band assets that declare no ``bands``/``raster:bands`` (with data type and nodata), and the
    grid of the files probed, and the projection extension of items that give ``proj:`` fields without
    declaring it (odc-stac reads no grid from those). ``assets``: the asset keys the load reads, by
    collection."""
    for item in items:
        _declare_projection(item)
        coll = facts.get(collection_key(item))
        if coll is None:
            continue
        for key in assets.get(coll.key, set()):
            if key not in item.assets or key not in coll.assets:
                continue
            asset, known = item.assets[key], coll.assets[key]
            fields = asset.extra_fields
            needs_bands = (known.count or 0) > 1 or (known.file is not None and known.table is None)
            if needs_bands and not any(isinstance(fields.get(k), list) for k in ("bands", "raster:bands")):
                fields["raster:bands"] = _raster_bands(known)
            probed = files.get(asset.href)
            if probed is not None and not has_grid(item, key):
                fields.update({"proj:code": probed.crs, "proj:shape": list(probed.shape),
                               "proj:transform": list(probed.transform)})
                if not any("/projection/" in e for e in item.stac_extensions):
                    item.stac_extensions = [*item.stac_extensions, PROJECTION_V2]

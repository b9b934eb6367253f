"""STAC items and collections shaped like the MTD STAC API's, as plain dicts.

Items of ``spot-6-7-drs`` and ``super-sentinel-2-l2a`` are STAC 1.0.0 with projection v1.1.0
(``proj:epsg``: on the item for DRS, on the ``img`` asset for the super-resolved images), as pystac
before 1.12 wrote them. Items of ``sentinel2-l2a-theia`` are STAC 1.1.0 with eo v1.1.0
(``eo:cloud_cover`` only), projection v2.0.0 (``proj:code``, ``proj:shape``, ``proj:transform``,
``proj:bbox`` on each raster asset), sat v1.0.0 (``sat:relative_orbit``) and processing v1.2.0
(``processing:version``); their ``s2:mgrs_tile`` is not declared as an extension. None carries
``eo:bands``, ``raster:bands``, ``processing:level`` or a ``dinamis:`` property; the DRS item of a
raw product has no projection field at all. Collections are STAC 1.1.0 (only the 1.1.0 core
schemas are available to validate offline, and stac-api-validator validates every collection the
API lists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .products import ItemResult
from .rasters import RasterAsset, main_keys, raster_assets
from .specs import BRUT, DRS, SUPERRES, THEIA, CollectionDef, SceneSpec
from .stac_common import (
    COG_MEDIA_TYPE,
    COLLECTION_LINK,
    DATA_URL_PLACEHOLDER,
    extent,
    footprint_lonlat,
    grid_fields,
    iso,
    value_range,
)

__all__ = ["MTD_STAC_EXTENSIONS", "mtd_collection_dict", "mtd_item_dict"]

#: Extensions of the MTD-shaped items.
MTD_STAC_EXTENSIONS = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "projection-v1": "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "projection": "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
}
_MTD_HOST = {"name": "Maison de la Télédétection (MTD)", "roles": ["host"],
             "url": "https://www.teledetection.fr"}
_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    DRS: [{"name": "DINAMIS DRS", "roles": ["producer", "licensor"]}],
    THEIA: [{"name": "CNES", "roles": ["producer", "licensor"]},
            {"name": "CESBIO", "roles": ["processor"]}],
    SUPERRES: [{"name": "INRAE", "roles": ["producer", "processor"]}],
}
_LICENSE = {DRS: "proprietary", THEIA: "other", SUPERRES: "other"}
_DRS_TERMS = "https://ids-dinamis.data-terra.org/web/guest/37"
_MASK_ROLES = {"CLM": ["cloud", "cloud-shadow"], "EDG": ["data-mask"],
               "MG2": ["water-mask", "snow-ice", "cloud"]}


def _href(spec: SceneSpec, key: str) -> str:
    return f"{DATA_URL_PLACEHOLDER}/{spec.object_key(key)}"


def _theia_asset(spec: SceneSpec, raster: RasterAsset) -> dict[str, Any]:
    asset: dict[str, Any] = {"href": _href(spec, raster.key), "type": COG_MEDIA_TYPE}
    if raster.kind == "bands":
        asset["roles"] = ["data", "reflectance"]
        asset["gsd"] = raster.transform[0]
    else:
        asset["roles"] = list(_MASK_ROLES[raster.key.split("_")[0]])
    asset["proj:code"] = f"EPSG:{spec.epsg}"
    asset.update(grid_fields(raster.shape, raster.transform))
    return asset


def _assets(spec: SceneSpec) -> dict[str, dict[str, Any]]:
    if spec.layout == DRS:
        kind = "image/tiff" if spec.level == BRUT else COG_MEDIA_TYPE
        return {k: {"href": _href(spec, k), "type": kind, "roles": ["data"]}
                for k in main_keys(spec)}
    if spec.layout == SUPERRES:
        return {"img": {"href": _href(spec, "img"), "type": COG_MEDIA_TYPE, "roles": ["data"],
                        "proj:epsg": spec.epsg}}
    assets = {r.key: _theia_asset(spec, r) for r in raster_assets(spec)}
    assets["MD"] = {"href": _href(spec, "MD"), "type": "application/xml", "roles": ["metadata"]}
    return assets


def mtd_item_dict(spec: SceneSpec, result: ItemResult) -> dict[str, Any]:
    """The STAC item of an MTD-shaped ``spec``, with the cloud cover measured while writing it."""
    from .theia_metadata import PRODUCT_VERSION

    geometry = footprint_lonlat(spec)
    ring = geometry["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    props: dict[str, Any] = {"datetime": iso(spec.acquired)}
    extensions: list[str] = []
    if spec.layout == DRS and spec.level != BRUT:
        props["proj:epsg"] = spec.epsg
        extensions = ["projection-v1"]
    elif spec.layout == SUPERRES:
        extensions = ["projection-v1"]
    elif spec.layout == THEIA:
        props.update({
            "platform": spec.platform,
            "constellation": spec.sensor.constellation,
            "instruments": list(spec.sensor.instruments),
            "eo:cloud_cover": result.cloud_cover,
            "sat:relative_orbit": spec.relative_orbit,
            "s2:mgrs_tile": spec.tile,
            "processing:version": PRODUCT_VERSION,
        })
        extensions = ["eo", "projection", "sat", "processing"]
    return {
        "type": "Feature",
        "stac_version": spec.collection.item_stac_version,
        "stac_extensions": [MTD_STAC_EXTENSIONS[e] for e in extensions],
        "id": spec.item_id,
        "collection": spec.collection_id,
        "geometry": geometry,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "properties": props,
        "links": [dict(COLLECTION_LINK)],
        "assets": _assets(spec),
    }


def mtd_collection_dict(coll: CollectionDef, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The STAC collection ``coll`` (MTD-shaped), with extent and summaries from its ``items``."""
    out: dict[str, Any] = {
        "type": "Collection",
        "stac_version": "1.1.0",
        "stac_extensions": [],
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "keywords": list(coll.keywords),
        "license": _LICENSE[coll.layout],
        "providers": [*(dict(p) for p in _PROVIDERS[coll.layout]), dict(_MTD_HOST)],
        "extent": extent(items),
        "links": [],
    }
    if coll.layout == DRS:
        out["links"] = [{"rel": "license", "href": _DRS_TERMS, "type": "text/html",
                         "title": "DINAMIS terms of service"}]
    if coll.layout == THEIA:
        props = [it["properties"] for it in items]
        out["summaries"] = {
            "platform": sorted({p["platform"] for p in props}),
            "constellation": [coll.sensor.constellation],
            "instruments": list(coll.sensor.instruments),
            "gsd": [10.0, 20.0],
            "eo:cloud_cover": value_range([p["eo:cloud_cover"] for p in props]),
            "sat:relative_orbit": sorted({p["sat:relative_orbit"] for p in props}),
        }
    return out

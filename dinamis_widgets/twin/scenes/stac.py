"""STAC items and collections of the twin, as plain dicts.

DINAMIS-shaped items (this module) are STAC 1.1.0. Extensions: eo v1.1.0 (``eo:bands``, covers),
raster v1.1.0 (``raster:bands``), projection v2.0.0 (``proj:code`` on ORTHO items,
``proj:shape``/``proj:transform``/``proj:bbox`` on each COG asset, since MS and PAN grids differ),
view v1.0.0 (angles) and processing v1.2.0 (``processing:level`` = ``ORTHO`` or ``BRUT``). The
catalogue's Information fields use the ``dinamis:`` prefix. MTD-shaped items are written by
:mod:`.stac_mtd`; :func:`item_dict` and :func:`collection_dict` serve both.

Hrefs to the twin's object store start with :data:`DATA_URL_PLACEHOLDER`, replaced by the runner.
No absolute links to the twin: DINAMIS-shaped collections have none, items only the relative
``collection`` link that core STAC requires with the ``collection`` field; the STAC API replaces it
and adds self, parent, root.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .astro import sun_position
from .products import ItemResult
from .sensors import Band, Sensor
from .specs import BRUT, DINAMIS, ORTHO, CollectionDef, SceneSpec
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
from .stac_mtd import MTD_STAC_EXTENSIONS, mtd_collection_dict, mtd_item_dict

__all__ = [
    "COG_MEDIA_TYPE",
    "DATA_URL_PLACEHOLDER",
    "MTD_STAC_EXTENSIONS",
    "STAC_EXTENSIONS",
    "STAC_VERSION",
    "collection_dict",
    "footprint_lonlat",
    "item_dict",
    "sun_position",
]

#: STAC version of the DINAMIS-shaped collections and items.
STAC_VERSION = "1.1.0"
#: Extensions of the DINAMIS-shaped items (see :data:`MTD_STAC_EXTENSIONS` for the others).
STAC_EXTENSIONS = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "raster": "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "projection": "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "view": "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
}
_REGARDS_URL = "https://regards.cnes.fr/api/v1/rs-catalog/REGARDS-PHR/items"
_EARTH_RADIUS_KM = 6371.0
_PRODUCER = {"name": "Airbus Defence and Space", "roles": ["producer", "licensor"]}
_DINAMIS = {"name": "DINAMIS", "roles": ["host"]}


def _providers(coll: CollectionDef) -> list[dict[str, Any]]:
    roles = ["host"] if not coll.hosted else ["processor", "host"]
    return [dict(_PRODUCER), {"name": coll.provider_name, "roles": roles}, dict(_DINAMIS)]


def _eo_band(b: Band) -> dict[str, Any]:
    return {
        "name": b.name,
        "common_name": b.common_name,
        "description": b.description,
        "center_wavelength": b.center_wavelength,
        "full_width_half_max": b.full_width_half_max,
    }


def _raster_bands(n: int, resolution: float | None, nodata: bool) -> list[dict[str, Any]]:
    band: dict[str, Any] = {"data_type": "uint16", "bits_per_sample": 12}
    if nodata:
        band["nodata"] = 0
    if resolution is not None:
        band["spatial_resolution"] = resolution
    return [dict(band) for _ in range(n)]


def _asset_templates(sensor: Sensor, level: str, hosted: bool) -> dict[str, dict[str, Any]]:
    """Asset fields shared by all items of a kind (also the collection's ``item_assets``)."""
    ms_order = ", ".join(b.description for b in sensor.ms_bands)
    ms: dict[str, Any]
    pan: dict[str, Any]
    if not hosted:
        note = (
            "Orderable from CNES Regards only: not hosted by the twin's object store, "
            "cannot be signed nor streamed."
        )
        ms = {"type": "image/jp2", "roles": ["data", "orderable"], "description": note}
        pan = dict(ms)
        ms["title"] = f"Multispectral image ({ms_order}), to order"
        pan["title"] = "Panchromatic image, to order"
    elif level == BRUT:
        note = "Raw product in sensor geometry: not georeferenced, not a COG, cannot be signed."
        ms = {"type": "image/tiff", "roles": ["data"], "description": note,
              "title": f"Raw multispectral image ({ms_order})"}
        pan = {"type": "image/tiff", "roles": ["data"], "description": note,
               "title": "Raw panchromatic image"}
    else:
        ms = {"type": COG_MEDIA_TYPE, "roles": ["data"], "gsd": sensor.ms_gsd,
              "title": f"Multispectral image ({ms_order})"}
        pan = {"type": COG_MEDIA_TYPE, "roles": ["data"], "gsd": sensor.pan_gsd,
               "title": "Panchromatic image"}
    ortho = hosted and level == ORTHO
    ms["eo:bands"] = [_eo_band(b) for b in sensor.ms_bands]
    ms["raster:bands"] = _raster_bands(
        len(sensor.ms_bands), sensor.ms_gsd if ortho else None, nodata=ortho
    )
    pan["eo:bands"] = [_eo_band(sensor.pan)]
    pan["raster:bands"] = _raster_bands(1, sensor.pan_gsd if ortho else None, nodata=ortho)
    thumbnail = {"type": "image/png", "roles": ["thumbnail", "overview"], "title": "Quicklook"}
    return {"multispectral": ms, "panchromatic": pan, "thumbnail": thumbnail}


def _href(spec: SceneSpec, key: str) -> str:
    if key != "thumbnail" and not spec.hosted:
        return f"{_REGARDS_URL}/{spec.item_id}/files/{spec.item_id}_{key[:3].upper()}.JP2"
    return f"{DATA_URL_PLACEHOLDER}/{spec.object_key(key)}"


def item_dict(spec: SceneSpec, result: ItemResult) -> dict[str, Any]:
    """The STAC item of ``spec``, with the covers measured while writing its files."""
    if spec.layout != DINAMIS:
        return mtd_item_dict(spec, result)
    sensor = spec.sensor
    site = spec.site
    geometry = footprint_lonlat(spec)
    ring = geometry["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    centre_lon, centre_lat = sum(lons[:-1]) / 4, sum(lats[:-1]) / 4
    sun_el, sun_az = sun_position(spec.acquired, centre_lon, centre_lat)
    ratio = _EARTH_RADIUS_KM / (_EARTH_RADIUS_KM + sensor.altitude_km)
    off_nadir = math.degrees(math.asin(ratio * math.sin(math.radians(spec.incidence_angle))))
    ortho = spec.level == ORTHO

    props: dict[str, Any] = {
        "title": f"{sensor.label} {spec.acquired:%Y-%m-%d %H:%M} {site.city} ({spec.level})",
        "datetime": iso(spec.acquired),
        "platform": spec.platform,
        "constellation": sensor.constellation,
        "instruments": list(sensor.instruments),
        "gsd": sensor.pan_gsd,
        "eo:cloud_cover": result.cloud_cover,
        "eo:snow_cover": result.snow_cover,
        "view:incidence_angle": spec.incidence_angle,
        "view:off_nadir": round(off_nadir, 4),
        "view:azimuth": spec.view_azimuth,
        "view:sun_elevation": round(sun_el, 2),
        "view:sun_azimuth": round(sun_az, 2),
        "processing:level": spec.level,
        "providers": _providers(spec.collection),
        "dinamis:provider": spec.collection.provider,
        "dinamis:sensor": sensor.label,
        "dinamis:country": site.country,
        "dinamis:department": site.department,
        "dinamis:region": site.region,
        "dinamis:city": site.city,
    }
    extensions = ["eo", "raster", "view", "processing"]
    if ortho:
        props["proj:code"] = f"EPSG:{spec.epsg}"
        extensions.insert(2, "projection")

    templates = _asset_templates(sensor, spec.level, spec.hosted)
    keys = ["multispectral", "panchromatic", "thumbnail"]
    if spec.hosted:
        keys = [k for k in keys if k in spec.file_names]
    assets: dict[str, dict[str, Any]] = {}
    for key in keys:
        asset = {"href": _href(spec, key), **templates[key]}
        if ortho and spec.hosted and key == "multispectral":
            asset.update(grid_fields(spec.ms_shape, spec.ms_transform))
        if ortho and spec.hosted and key == "panchromatic":
            assert spec.pan_shape is not None and spec.pan_transform is not None
            asset.update(grid_fields(spec.pan_shape, spec.pan_transform))
        assets[key] = asset

    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [STAC_EXTENSIONS[e] for e in extensions],
        "id": spec.item_id,
        "collection": spec.collection_id,
        "geometry": geometry,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "properties": props,
        "links": [dict(COLLECTION_LINK)],
        "assets": assets,
    }


def collection_dict(coll: CollectionDef, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The STAC collection ``coll``, with extent and summaries computed from its ``items``."""
    if not items:
        raise ValueError(f"collection {coll.id} has no items")
    if coll.layout != DINAMIS:
        return mtd_collection_dict(coll, items)
    props = [it["properties"] for it in items]

    def distinct(name: str) -> list[Any]:
        seen: list[Any] = []
        for p in props:
            values = p[name] if isinstance(p[name], list) else [p[name]]
            seen.extend(v for v in values if v not in seen)
        return sorted(seen)

    item_assets = _asset_templates(coll.sensor, ORTHO, coll.hosted)
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": [STAC_EXTENSIONS[e] for e in ("eo", "raster", "view", "processing")],
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "keywords": list(coll.keywords),
        "license": "proprietary",
        "providers": _providers(coll),
        "extent": extent(items),
        "summaries": {
            "platform": distinct("platform"),
            "constellation": distinct("constellation"),
            "instruments": distinct("instruments"),
            "gsd": distinct("gsd"),
            "processing:level": distinct("processing:level"),
            "eo:cloud_cover": value_range([p["eo:cloud_cover"] for p in props]),
            "view:incidence_angle": value_range([p["view:incidence_angle"] for p in props]),
            "dinamis:provider": distinct("dinamis:provider"),
            "dinamis:sensor": distinct("dinamis:sensor"),
        },
        "item_assets": item_assets,
        "links": [],
    }

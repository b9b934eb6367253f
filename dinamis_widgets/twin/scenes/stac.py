"""STAC 1.1.0 items and collections of the twin, as plain dicts.

Extensions: eo v1.1.0 (``eo:bands``, covers), raster v1.1.0 (``raster:bands``), projection v2.0.0
(``proj:code`` on ORTHO items, ``proj:shape``/``proj:transform``/``proj:bbox`` on each COG asset,
since MS and PAN grids differ), view v1.0.0 (angles) and processing v1.2.0 (``processing:level`` =
``ORTHO`` or ``BRUT``). The catalogue's Information fields use the ``dinamis:`` prefix.

Hrefs to the twin's object store start with :data:`DATA_URL_PLACEHOLDER`, replaced by the runner.
No absolute links: collections have none, items only the relative ``collection`` link that core
STAC requires with the ``collection`` field; the STAC API replaces it and adds self, parent, root.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pyproj import Transformer
from shapely.geometry import Polygon, mapping
from shapely.geometry.polygon import orient

from .products import ItemResult
from .sites import BRUT, ORTHO, Band, CollectionDef, SceneSpec, Sensor

__all__ = [
    "COG_MEDIA_TYPE",
    "DATA_URL_PLACEHOLDER",
    "STAC_EXTENSIONS",
    "STAC_VERSION",
    "collection_dict",
    "item_dict",
    "sun_position",
]

#: Prefix of every href to the twin's object store (replaced by the real URL at start-up).
DATA_URL_PLACEHOLDER = "http://twin-data.invalid"
STAC_VERSION = "1.1.0"
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
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


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """Approximate sun elevation and azimuth (degrees, azimuth clockwise from north).

    Low-precision formulas of the Astronomical Almanac (about 0.1° here), enough for metadata.
    """
    n = when.timestamp() / 86400.0 + 2440587.5 - 2451545.0
    mean_lon = (280.460 + 0.9856474 * n) % 360.0
    anomaly = math.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl_lon = math.radians(mean_lon + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly))
    obliquity = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(math.cos(obliquity) * math.sin(ecl_lon), math.cos(ecl_lon))
    dec = math.asin(math.sin(obliquity) * math.sin(ecl_lon))
    gmst_hours = (18.697374558 + 24.06570982441908 * n) % 24.0
    hour_angle = math.radians(gmst_hours * 15.0 + lon) - ra
    phi = math.radians(lat)
    elevation = math.asin(
        math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * math.cos(hour_angle)
    )
    azimuth = math.atan2(
        -math.sin(hour_angle), math.tan(dec) * math.cos(phi) - math.sin(phi) * math.cos(hour_angle)
    )
    return math.degrees(elevation), math.degrees(azimuth) % 360.0


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


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
    pan["eo:bands"] = [_eo_band(sensor.pan_band)]
    pan["raster:bands"] = _raster_bands(1, sensor.pan_gsd if ortho else None, nodata=ortho)
    thumbnail = {"type": "image/png", "roles": ["thumbnail", "overview"], "title": "Quicklook"}
    return {"multispectral": ms, "panchromatic": pan, "thumbnail": thumbnail}


def _grid_fields(
    shape: tuple[int, int], transform: Sequence[float]
) -> dict[str, Any]:
    rows, cols = shape
    a, b, c, d, e, f = transform
    xs = (c, c + a * cols)
    ys = (f, f + e * rows)
    return {
        "proj:shape": [rows, cols],
        "proj:transform": [a, b, c, d, e, f],
        "proj:bbox": [min(xs), min(ys), max(xs), max(ys)],
    }


def _href(spec: SceneSpec, key: str) -> str:
    if key != "thumbnail" and not spec.hosted:
        return f"{_REGARDS_URL}/{spec.item_id}/files/{spec.item_id}_{key[:3].upper()}.JP2"
    return f"{DATA_URL_PLACEHOLDER}/{spec.object_key(key)}"


def footprint_lonlat(spec: SceneSpec) -> dict[str, Any]:
    """GeoJSON polygon (WGS84, counter-clockwise, closed) of the item's valid footprint."""
    tr = Transformer.from_crs(f"EPSG:{spec.epsg}", "EPSG:4326", always_xy=True)
    xs, ys = zip(*spec.footprint, strict=True)
    lons, lats = tr.transform(xs, ys)
    ring = [(round(float(lo), 7), round(float(la), 7)) for lo, la in zip(lons, lats, strict=True)]
    geom: dict[str, Any] = mapping(orient(Polygon(ring), sign=1.0))
    return {"type": "Polygon", "coordinates": [[list(p) for p in geom["coordinates"][0]]]}


def item_dict(spec: SceneSpec, result: ItemResult) -> dict[str, Any]:
    """The STAC item of ``spec``, with the covers measured while writing its files."""
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
        "datetime": _iso(spec.acquired),
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
            asset.update(_grid_fields(spec.ms_shape, spec.ms_transform))
        if ortho and spec.hosted and key == "panchromatic":
            assert spec.pan_shape is not None and spec.pan_transform is not None
            asset.update(_grid_fields(spec.pan_shape, spec.pan_transform))
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
        # Core STAC requires a "collection" link when the field is set. Relative, so nothing to
        # rewrite: the STAC API replaces it (and adds self, parent, root).
        "links": [{"rel": "collection", "href": "../collection.json", "type": "application/json"}],
        "assets": assets,
    }


def _range(values: Sequence[float]) -> dict[str, float]:
    return {"minimum": min(values), "maximum": max(values)}


def collection_dict(coll: CollectionDef, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The STAC collection ``coll``, with extent and summaries computed from its ``items``."""
    if not items:
        raise ValueError(f"collection {coll.id} has no items")
    boxes = [it["bbox"] for it in items]
    times = sorted(it["properties"]["datetime"] for it in items)
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
        "extent": {
            "spatial": {
                "bbox": [[
                    min(b[0] for b in boxes), min(b[1] for b in boxes),
                    max(b[2] for b in boxes), max(b[3] for b in boxes),
                ]]
            },
            "temporal": {"interval": [[times[0], times[-1]]]},
        },
        "summaries": {
            "platform": distinct("platform"),
            "constellation": distinct("constellation"),
            "instruments": distinct("instruments"),
            "gsd": distinct("gsd"),
            "processing:level": distinct("processing:level"),
            "eo:cloud_cover": _range([p["eo:cloud_cover"] for p in props]),
            "view:incidence_angle": _range([p["view:incidence_angle"] for p in props]),
            "dinamis:provider": distinct("dinamis:provider"),
            "dinamis:sensor": distinct("dinamis:sensor"),
        },
        "item_assets": item_assets,
        "links": [],
    }

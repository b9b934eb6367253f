"""What the twin's STAC writers share: the data URL placeholder, media types, geometry, links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pyproj import Transformer
from shapely.geometry import Polygon, mapping
from shapely.geometry.polygon import orient

from .specs import SceneSpec

__all__ = [
    "COG_MEDIA_TYPE",
    "COLLECTION_LINK",
    "DATA_URL_PLACEHOLDER",
    "extent",
    "footprint_lonlat",
    "grid_fields",
    "iso",
    "value_range",
]

#: Prefix of every href to the twin's object store (replaced by the real URL at start-up).
DATA_URL_PLACEHOLDER = "http://twin-data.invalid"
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
#: Core STAC requires a "collection" link when the field is set. Relative, so nothing to rewrite:
#: the STAC API replaces it (and adds self, parent, root).
COLLECTION_LINK = {"rel": "collection", "href": "../collection.json", "type": "application/json"}


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def grid_fields(
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


def footprint_lonlat(spec: SceneSpec) -> dict[str, Any]:
    """GeoJSON polygon (WGS84, counter-clockwise, closed) of the item's valid footprint."""
    tr = Transformer.from_crs(f"EPSG:{spec.epsg}", "EPSG:4326", always_xy=True)
    xs, ys = zip(*spec.footprint, strict=True)
    lons, lats = tr.transform(xs, ys)
    ring = [(round(float(lo), 7), round(float(la), 7)) for lo, la in zip(lons, lats, strict=True)]
    geom: dict[str, Any] = mapping(orient(Polygon(ring), sign=1.0))
    return {"type": "Polygon", "coordinates": [[list(p) for p in geom["coordinates"][0]]]}


def value_range(values: Sequence[float]) -> dict[str, float]:
    return {"minimum": min(values), "maximum": max(values)}


def extent(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Spatial and temporal extent of a collection's items."""
    boxes = [it["bbox"] for it in items]
    times = sorted(it["properties"]["datetime"] for it in items)
    return {
        "spatial": {
            "bbox": [[
                min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes),
            ]]
        },
        "temporal": {"interval": [[times[0], times[-1]]]},
    }

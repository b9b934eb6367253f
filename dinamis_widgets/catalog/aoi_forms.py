"""Reading an area of interest from the forms people give: GeoJSON, bbox, WKT, shapely, GeoDataFrame.

:func:`parse` turns any of them into a shapely geometry, or a bbox kept apart (a bbox has its own
antimeridian rule); :func:`~dinamis_widgets.as_aoi` then checks it.

Examples
--------
>>> parse("3.85, 43.59, 3.90, 43.63")
(3.85, 43.59, 3.9, 43.63)
>>> parse('{"type": "Point", "coordinates": [3.87, 43.61]}').wkt
'POINT (3.87 43.61)'
>>> parse("POLYGON ((0 0, 1 0, 1 1, 0 0))").geom_type
'Polygon'
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..errors import QueryError, quote
from ..warnings import AOIWarning

__all__ = ["ACCEPTED", "parse", "short"]

#: The forms of AOI accepted, for error messages.
ACCEPTED = ("a GeoJSON geometry, Feature or FeatureCollection (dict or JSON string), a bbox "
            "(west, south, east, north) in degrees, a WKT string, a shapely geometry, or a "
            "GeoDataFrame/GeoSeries")
# Separators do not overlap (a comma or semicolon with spaces around, or spaces alone), so that a long
# string of digits and spaces is rejected in linear time (``\s*[,;\s]\s*`` backtracked cubically).
_SEPARATOR = r"(?:\s*[,;]\s*|\s+)"
_NUMBERS_RE = re.compile(rf"^[-+0-9.eE]+(?:{_SEPARATOR}[-+0-9.eE]+){{3}}$")
_SPLIT_RE = re.compile(_SEPARATOR)
#: Longest string tried as a bbox "w,s,e,n" (four numbers of 25 characters and separators).
_MAX_BBOX_TEXT = 160


def short(obj: Any, limit: int = 80) -> str:
    """Quote what was given in a message (:func:`~dinamis_widgets.errors.quote`)."""
    return quote(obj, limit)


def _from_geojson(obj: Mapping[str, Any]) -> BaseGeometry:
    kind = obj.get("type")
    if kind == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, Mapping):
            raise QueryError(f"The AOI Feature has no geometry (id {short(obj.get('id'))}): {short(obj)}. "
                             f"Give "
                             "a Feature with a 'geometry', or the geometry itself.")
        return _from_geojson(geometry)
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise QueryError("The AOI FeatureCollection has no features: give one with at least one "
                             "feature, or a geometry or bbox (west, south, east, north).")
        return shapely.union_all([_from_geojson(f) for f in features if isinstance(f, Mapping)])
    if kind in ("Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString",
                "GeometryCollection"):
        try:
            return shape(obj)
        except Exception as exc:
            raise QueryError(f"The AOI is not a valid GeoJSON {kind}: {short(str(exc))} ({short(obj)}). Give "
                             "its 'coordinates' as GeoJSON does: [[[lon, lat], ...]] for a "
                             "Polygon.") from None
    raise QueryError(f"The AOI mapping has type {kind!r}, which is not GeoJSON: give {ACCEPTED}.")


def _is_geodataframe_like(obj: Any) -> bool:
    return hasattr(obj, "to_crs") and hasattr(obj, "crs") and (
        hasattr(obj, "union_all") or hasattr(obj, "unary_union"))


def _from_geopandas(obj: Any) -> BaseGeometry:
    if len(obj) == 0:
        raise QueryError(f"The AOI {type(obj).__name__} is empty (no rows).")
    if obj.crs is None:
        bounds = obj.total_bounds
        if not (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90):
            raise QueryError(
                f"The AOI {type(obj).__name__} has no CRS and its coordinates {tuple(bounds)} are not "
                "longitudes/latitudes: set its CRS (e.g. .set_crs('EPSG:2154')) so it can be reprojected.")
        warnings.warn(f"The AOI {type(obj).__name__} has no CRS: its coordinates are taken as "
                      "longitude/latitude (EPSG:4326).", AOIWarning, stacklevel=4)
    else:
        obj = obj.to_crs(4326)
    geom = obj.union_all() if hasattr(obj, "union_all") else obj.unary_union
    return geom


def _bbox_numbers(values: Sequence[Any]) -> tuple[float, float, float, float]:
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise QueryError(f"The AOI bbox {short(values)} must hold numbers: give (west, south, east, "
                         f"north) in "
                         "degrees, e.g. (3.85, 43.59, 3.90, 43.63).") from None
    if len(numbers) == 6:  # 3D bbox: (w, s, zmin, e, n, zmax)
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise QueryError(f"The AOI bbox {short(values)} has {len(numbers)} numbers; give 4: "
                         "(west, south, east, north) in degrees.")
    w, s, e, n = numbers
    return w, s, e, n


def parse(obj: Any) -> BaseGeometry | tuple[float, float, float, float]:
    """A shapely geometry, or a bbox (kept apart: a bbox has its own antimeridian rule)."""
    if isinstance(obj, BaseGeometry):
        return obj
    if isinstance(obj, str):
        text = obj.strip()
        if not text:
            raise QueryError(f"The AOI is an empty string: give {ACCEPTED}.")
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise QueryError(f"The AOI string {short(text)} is not valid JSON: {exc}. Give a GeoJSON "
                                 "geometry (dict or JSON text), or another form: " + ACCEPTED + ".") from None
            return parse(data)
        if len(text) <= _MAX_BBOX_TEXT and _NUMBERS_RE.match(text):
            return _bbox_numbers(_SPLIT_RE.split(text))
        try:
            return shapely.from_wkt(text)
        except Exception:
            raise QueryError(f"The AOI string {short(text)} is neither GeoJSON, nor a bbox "
                             "'west,south,east,north', nor WKT: write e.g. '3.85,43.59,3.90,43.63' or "
                             "'POLYGON ((...))'.") from None
    if isinstance(obj, Mapping):
        if "type" not in obj and "bbox" in obj:
            return _bbox_numbers(obj["bbox"])
        return _from_geojson(obj)
    if _is_geodataframe_like(obj):
        return _from_geopandas(obj)
    if hasattr(obj, "__geo_interface__"):
        interface = obj.__geo_interface__
        if isinstance(interface, Mapping):
            return _from_geojson(interface)
    if isinstance(obj, Sequence) or hasattr(obj, "__array__"):
        values = list(obj)
        numbers = all(isinstance(v, int | float) or hasattr(v, "__float__") for v in values)
        flat = not any(isinstance(v, Sequence | Mapping) and not isinstance(v, str) for v in values)
        if values and (numbers or (flat and len(values) in (4, 6))):
            return _bbox_numbers(values)
    raise QueryError(f"Cannot use a {type(obj).__name__} as AOI: give {ACCEPTED}.")

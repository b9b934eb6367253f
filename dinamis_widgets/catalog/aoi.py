"""Areas of interest: read any usual form, check it, and give it as a STAC API expects.

:func:`as_aoi` takes a GeoJSON geometry, Feature or FeatureCollection (a dict or a JSON string), a bbox
(four numbers, or ``"w,s,e,n"``), a WKT string, a shapely geometry, anything with ``__geo_interface__``,
or a GeoDataFrame/GeoSeries (reprojected to EPSG:4326), and returns a frozen :class:`AOI`.

What is checked, each with a :class:`~dinamis_widgets.errors.QueryError` that says what is wrong:

- coordinates are finite, longitudes in [-180, 180], latitudes in [-90, 90], and the geometry is not empty;
- the order is longitude, latitude: a bbox or geometry that lies over a French territory only once its
  axes are swapped (``(43.5, 3.8, 43.7, 3.9)`` for Montpellier) is refused with the corrected form;
- polygons are valid: an invalid one (a bow-tie, a self-touching ring) is repaired with
  :func:`shapely.make_valid` and an :class:`AOIWarning` saying why, or refused with ``repair=False``;
- the antimeridian: a bbox whose west is greater than its east (``(170, -10, -170, 10)``), or a polygon
  with an edge jumping more than 180° in longitude, crosses ±180° and is split into a MultiPolygon, as
  RFC 7946 section 3.1.9 asks (a STAC API then finds items on both sides).

Examples
--------
>>> aoi = as_aoi((3.85, 43.59, 3.90, 43.63))
>>> aoi.bbox, aoi.geometry["type"], aoi.is_box
((3.85, 43.59, 3.9, 43.63), 'Polygon', True)
>>> as_aoi((170, -10, -170, 10)).geometry["type"]
'MultiPolygon'
>>> as_aoi("POINT (3.87 43.61)").search_params()
{'intersects': {'type': 'Point', 'coordinates': [3.87, 43.61]}}
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry

from ..errors import QueryError
from ..warnings import AOIWarning

__all__ = ["AOI", "FRENCH_TERRITORIES", "AOILike", "as_aoi"]

#: What :func:`as_aoi` accepts.
AOILike = Any

#: Bounding boxes (west, south, east, north) of the territories the DINAMIS catalogue covers most, used to
#: detect coordinates given in latitude/longitude order.
FRENCH_TERRITORIES: Mapping[str, tuple[float, float, float, float]] = {
    "mainland France and Corsica": (-5.6, 41.2, 10.0, 51.3),
    "French Guiana": (-54.7, 2.0, -51.5, 6.0),
    "Guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "Martinique": (-61.3, 14.3, -60.7, 15.0),
    "Saint-Martin and Saint-Barthélemy": (-63.2, 17.8, -62.7, 18.2),
    "Réunion": (55.1, -21.5, 55.9, -20.8),
    "Mayotte": (44.9, -13.1, 45.4, -12.6),
}

_ACCEPTED = ("a GeoJSON geometry, Feature or FeatureCollection (dict or JSON string), a bbox "
             "(west, south, east, north) in degrees, a WKT string, a shapely geometry, or a "
             "GeoDataFrame/GeoSeries")
_NUMBERS_RE = re.compile(r"^\s*[-+0-9.eE]+(\s*[,;\s]\s*[-+0-9.eE]+){3}\s*$")



def _short(obj: Any, limit: int = 100) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, eq=False)
class AOI:
    """A checked area of interest in longitude/latitude (EPSG:4326), built by :func:`as_aoi`.

    Attributes
    ----------
    geometry
        The GeoJSON geometry (a dict; do not change it). A geometry crossing the antimeridian is a
        MultiPolygon split at ±180°.
    bbox
        ``(west, south, east, north)``; ``west > east`` when the AOI crosses the antimeridian (RFC 7946).
    crosses_antimeridian
        Whether the AOI was split at ±180°.
    is_box
        Whether the geometry is exactly its bbox (then searches send ``bbox``, else ``intersects``).

    Examples
    --------
    >>> aoi = AOI.from_any([-0.98, 45.92, -0.93, 45.96])
    >>> aoi.shape.bounds
    (-0.98, 45.92, -0.93, 45.96)
    >>> aoi == as_aoi({"type": "Polygon", "coordinates": [[[-0.98, 45.92], [-0.93, 45.92],
    ...                [-0.93, 45.96], [-0.98, 45.96], [-0.98, 45.92]]]})
    True
    """

    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    crosses_antimeridian: bool = False
    is_box: bool = False

    @classmethod
    def from_any(cls, obj: AOILike, **options: Any) -> AOI:
        """Same as :func:`as_aoi`."""
        return as_aoi(obj, **options)

    @functools.cached_property
    def shape(self) -> BaseGeometry:
        """The geometry as a shapely geometry."""
        return shape(self.geometry)

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        return self.geometry

    def search_params(self) -> dict[str, Any]:
        """``{"bbox": [...]}`` for a box, else ``{"intersects": geometry}``: what a STAC search takes.

        A box crossing the antimeridian is sent as its split MultiPolygon: servers disagree on bboxes
        whose west is greater than their east (pgstac reads them as the rest of the world).
        """
        if self.is_box and not self.crosses_antimeridian:
            return {"bbox": list(self.bbox)}
        return {"intersects": self.geometry}

    @functools.cached_property
    def _key(self) -> bytes:
        return bytes(shapely.normalize(self.shape).wkb)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AOI):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        extra = ", crosses the antimeridian" if self.crosses_antimeridian else ""
        kind = "box" if self.is_box else self.geometry.get("type")
        return f"AOI({kind}, bbox={self.bbox}{extra})"


# --------------------------------------------------------------------------------------------------
# Reading the forms
# --------------------------------------------------------------------------------------------------


def _from_geojson(obj: Mapping[str, Any]) -> BaseGeometry:
    kind = obj.get("type")
    if kind == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, Mapping):
            raise QueryError(f"The AOI Feature has no geometry (id {obj.get('id')!r}): {_short(obj)}.")
        return _from_geojson(geometry)
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise QueryError("The AOI FeatureCollection has no features.")
        return shapely.union_all([_from_geojson(f) for f in features if isinstance(f, Mapping)])
    if kind in ("Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString",
                "GeometryCollection"):
        try:
            return shape(obj)
        except Exception as exc:
            raise QueryError(f"The AOI is not a valid GeoJSON {kind}: {exc} ({_short(obj)}).") from None
    raise QueryError(f"The AOI mapping has type {kind!r}, which is not GeoJSON: give {_ACCEPTED}.")


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
        raise QueryError(f"The AOI bbox {_short(values)} must hold numbers (west, south, east, north)."
                         ) from None
    if len(numbers) == 6:  # 3D bbox: (w, s, zmin, e, n, zmax)
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise QueryError(f"The AOI bbox {_short(values)} has {len(numbers)} numbers; give 4: "
                         "(west, south, east, north) in degrees.")
    w, s, e, n = numbers
    return w, s, e, n


def _parse(obj: Any) -> BaseGeometry | tuple[float, float, float, float]:
    """A shapely geometry, or a bbox (kept apart: a bbox has its own antimeridian rule)."""
    if isinstance(obj, BaseGeometry):
        return obj
    if isinstance(obj, str):
        text = obj.strip()
        if not text:
            raise QueryError(f"The AOI is an empty string: give {_ACCEPTED}.")
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise QueryError(f"The AOI string is not valid JSON: {exc}.") from None
            return _parse(data)
        if _NUMBERS_RE.match(text):
            return _bbox_numbers(re.split(r"\s*[,;\s]\s*", text))
        try:
            return shapely.from_wkt(text)
        except Exception:
            raise QueryError(f"The AOI string {_short(text)} is neither GeoJSON, nor a bbox "
                             "'west,south,east,north', nor WKT.") from None
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
    raise QueryError(f"Cannot use a {type(obj).__name__} as AOI: give {_ACCEPTED}.")


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _reproject(geom: BaseGeometry, crs: Any) -> BaseGeometry:
    import numpy as np
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise QueryError(f"Unknown CRS {crs!r} for the AOI: {exc}.") from None
    if source.equals(CRS.from_epsg(4326)):
        return geom
    transformer = Transformer.from_crs(source, 4326, always_xy=True)
    minx, miny, maxx, maxy = geom.bounds
    step = max(maxx - minx, maxy - miny) / 32
    if step > 0 and geom.geom_type not in ("Point", "MultiPoint"):
        geom = shapely.segmentize(geom, step)

    def _tx(xy: Any) -> Any:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _tx)


def _check_coordinates(geom: BaseGeometry, given: Any) -> None:
    import numpy as np

    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        raise QueryError(f"The AOI is empty: {_short(given)}.")
    if not np.isfinite(coords).all():
        raise QueryError(f"The AOI has coordinates that are not finite numbers (NaN or infinite): "
                         f"{_short(given)}.")
    lon, lat = coords[:, 0], coords[:, 1]
    bad_lat = lat[(lat < -90) | (lat > 90)]
    bad_lon = lon[(lon < -180) | (lon > 180)]
    if bad_lat.size:
        hint = (" The longitudes look like latitudes and the reverse: give longitude first (x, y)."
                if (np.abs(lon) <= 90).all() else
                " Give coordinates in degrees (EPSG:4326), or pass crs=... to have them reprojected.")
        raise QueryError(f"The AOI has latitude {float(bad_lat[0])!r}, outside [-90, 90].{hint}")
    if bad_lon.size:
        raise QueryError(
            f"The AOI has longitude {float(bad_lon[0])!r}, outside [-180, 180]. Give coordinates in degrees "
            "(EPSG:4326) or pass crs=...; for an area crossing the antimeridian give a bbox with "
            "west > east, e.g. (170, -10, -170, 10), or a polygon whose edges jump across ±180°.")


def _inside(b: tuple[float, float, float, float], t: tuple[float, float, float, float]) -> bool:
    return t[0] <= b[0] and b[2] <= t[2] and t[1] <= b[1] and b[3] <= t[3]


def _touches_any(b: tuple[float, float, float, float]) -> bool:
    return any(b[0] <= t[2] and t[0] <= b[2] and b[1] <= t[3] and t[1] <= b[3]
               for t in FRENCH_TERRITORIES.values())


def _check_order(bounds: tuple[float, float, float, float], given: Any, what: str) -> None:
    w, s, e, n = bounds
    swapped = (s, w, n, e)
    if _touches_any(bounds):
        return
    for name, territory in FRENCH_TERRITORIES.items():
        if _inside(swapped, territory):
            fixed = tuple(round(v, 7) for v in swapped)
            raise QueryError(
                f"The AOI {what} {_short(given)} looks like (latitude, longitude) order: as given it lies at "
                f"longitudes {w:g}..{e:g}, latitudes {s:g}..{n:g}, while with the axes swapped it lies over "
                f"{name}. Give longitude first: bbox (west, south, east, north) = {fixed}, GeoJSON "
                "[lon, lat]. If you meant the place as given, pass check_order=False.")


def _repair(geom: BaseGeometry, repair: bool, given: Any) -> BaseGeometry:
    if geom.is_valid:
        return geom
    reason = shapely.is_valid_reason(geom)
    if not repair:
        raise QueryError(f"The AOI is not a valid geometry: {reason}. Fix it (e.g. shapely.make_valid) "
                         "or pass repair=True.")
    fixed = shapely.make_valid(geom)
    polygons = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        if not polygons:
            raise QueryError(f"The AOI polygon is not valid ({reason}) and has no area once repaired: "
                             f"{_short(given)}. Draw it again with at least three distinct corners.")
        fixed = shapely.union_all(polygons)
    if fixed.is_empty:
        raise QueryError(f"The AOI is not valid ({reason}) and is empty once repaired: {_short(given)}.")
    warnings.warn(f"The AOI was not a valid geometry ({reason}); it was repaired with shapely.make_valid.",
                  AOIWarning, stacklevel=4)
    return fixed


# --------------------------------------------------------------------------------------------------
# Antimeridian
# --------------------------------------------------------------------------------------------------


def _unwrap_ring(coords: Any) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    offset = 0.0
    prev = None
    for x, y in ((float(c[0]), float(c[1])) for c in coords):
        if prev is not None:
            dx = x - prev
            if dx > 180:
                offset -= 360
            elif dx < -180:
                offset += 360
        prev = x
        out.append((x + offset, y))
    return out


def _jumps(coords: Any) -> bool:
    xs = [float(c[0]) for c in coords]
    return any(abs(b - a) > 180 for a, b in itertools.pairwise(xs))


def _split_unwrapped(geom: BaseGeometry) -> list[BaseGeometry]:
    """Cut a geometry unwrapped beyond ±180° back into [-180, 180]."""
    import numpy as np

    parts: list[BaseGeometry] = []
    for shift in (-720, -360, 0, 360, 720):
        window = box(-180 - shift, -90, 180 - shift, 90)
        piece = geom.intersection(window)
        if piece.is_empty:
            continue
        moved = shapely.transform(piece, lambda xy, s=shift: np.add(xy, [s, 0.0]))
        parts.extend(p for p in shapely.get_parts(moved)
                     if not p.is_empty and (p.area > 0 or p.geom_type != "Polygon"))
    return parts


def _split_part(part: BaseGeometry) -> tuple[list[BaseGeometry], bool]:
    if part.geom_type == "Polygon":
        if not _jumps(part.exterior.coords):
            return [part], False
        shell = _unwrap_ring(part.exterior.coords)
        x0 = shell[0][0]
        holes = []
        for interior in part.interiors:
            ring = _unwrap_ring(interior.coords)
            shift = 360 * round((x0 - ring[0][0]) / 360)
            holes.append([(x + shift, y) for x, y in ring])
        unwrapped = shapely.Polygon(shell, holes)
        return _split_unwrapped(unwrapped), True
    if part.geom_type == "LineString":
        if not _jumps(part.coords):
            return [part], False
        return _split_unwrapped(shapely.LineString(_unwrap_ring(part.coords))), True
    return [part], False


def _split_antimeridian(geom: BaseGeometry) -> tuple[BaseGeometry, bool]:
    pieces: list[BaseGeometry] = []
    crossed = False
    for part in shapely.get_parts(geom):
        split, did = _split_part(part)
        pieces.extend(split)
        crossed |= did
    if not crossed:
        return geom, False
    kinds = {p.geom_type for p in pieces}
    if kinds == {"Polygon"}:
        return shapely.MultiPolygon(pieces), True
    if kinds == {"LineString"}:
        return shapely.MultiLineString(pieces), True
    return shapely.GeometryCollection(pieces), True


def _crossing_bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """RFC 7946 bbox of a geometry split at the antimeridian: west is the east side's westmost."""
    parts = list(shapely.get_parts(geom))
    east = [p.bounds for p in parts if (p.bounds[0] + p.bounds[2]) / 2 >= 0]
    west = [p.bounds for p in parts if (p.bounds[0] + p.bounds[2]) / 2 < 0]
    _, s, _, n = geom.bounds
    if not east or not west:
        return tuple(geom.bounds)
    return (min(b[0] for b in east), s, max(b[2] for b in west), n)


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def _geojson(geom: BaseGeometry) -> dict[str, Any]:
    return json.loads(json.dumps(mapping(geom)))


def _is_box(geom: BaseGeometry) -> bool:
    if geom.geom_type != "Polygon" or len(geom.interiors):
        return False
    minx, miny, maxx, maxy = geom.bounds
    area = (maxx - minx) * (maxy - miny)
    return area > 0 and math.isclose(geom.area, area, rel_tol=1e-12) and len(geom.exterior.coords) == 5


def _from_bbox(bbox: tuple[float, float, float, float], given: Any, check_order: bool,
               crs: Any) -> AOI:
    w, s, e, n = bbox
    if not all(math.isfinite(v) for v in bbox):
        raise QueryError(f"The AOI bbox {_short(given)} has values that are not finite numbers.")
    if crs is not None:
        if w >= e or s >= n:
            raise QueryError(f"The AOI bbox {_short(given)} must be (xmin, ymin, xmax, ymax) with "
                             "xmin < xmax and ymin < ymax.")
        return _finish(_reproject(box(w, s, e, n), crs), given, check_order, repair=True, what="bbox")
    for lat in (s, n):
        if not -90 <= lat <= 90:
            hint = (" It looks like (south, west, north, east) or (lat, lon) order: give "
                    f"(west, south, east, north) = {(s, w, n, e)}." if -90 <= w <= 90 and -90 <= e <= 90
                    else " Give degrees (EPSG:4326), or pass crs=... to have it reprojected.")
            raise QueryError(f"The AOI bbox {_short(given)} has latitude {lat:g}, outside [-90, 90].{hint}")
    for lon in (w, e):
        if not -180 <= lon <= 180:
            raise QueryError(f"The AOI bbox {_short(given)} has longitude {lon:g}, outside [-180, 180]. Give "
                             "degrees (EPSG:4326), or pass crs=... to have it reprojected.")
    if s > n:
        raise QueryError(f"The AOI bbox {_short(given)} has south ({s:g}) > north ({n:g}): give "
                         f"(west, south, east, north) = {(w, n, e, s)}.")
    if s == n or w == e:
        raise QueryError(f"The AOI bbox {_short(given)} has no area (west == east or south == north): give "
                         "a Point geometry for a single place.")
    if w > e:
        if not (w > 0 > e):
            raise QueryError(
                f"The AOI bbox {_short(given)} has west ({w:g}) > east ({e:g}). A bbox crossing the "
                f"antimeridian goes from a positive west to a negative east, e.g. (170, -10, -170, 10); "
                f"if you meant the box from {e:g} to {w:g}, give (west, south, east, north) = "
                f"{(e, s, w, n)}.")
        geom = shapely.MultiPolygon([box(w, s, 180, n), box(-180, s, e, n)])
        return AOI(_geojson(geom), (w, s, e, n), crosses_antimeridian=True, is_box=True)
    if check_order:
        _check_order((w, s, e, n), given, "bbox")
    return AOI(_geojson(box(w, s, e, n)), (w, s, e, n), crosses_antimeridian=False, is_box=True)


def _finish(geom: BaseGeometry, given: Any, check_order: bool, repair: bool, what: str = "geometry") -> AOI:
    if geom.is_empty:
        raise QueryError(f"The AOI is empty: {_short(given)}.")
    _check_coordinates(geom, given)
    geom, crossed = _split_antimeridian(geom)
    geom = _repair(geom, repair, given)
    if crossed:
        bbox = _crossing_bbox(geom)
    else:
        minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
        bbox = (minx, miny, maxx, maxy)
        if check_order:
            _check_order(bbox, given, what)
    return AOI(_geojson(geom), bbox, crosses_antimeridian=crossed, is_box=not crossed and _is_box(geom))


def as_aoi(obj: AOILike, *, crs: Any = None, check_order: bool = True, repair: bool = True) -> AOI:
    """Read an area of interest in any usual form, check it, and return an :class:`AOI`.

    Parameters
    ----------
    obj
        A GeoJSON geometry, Feature or FeatureCollection (dict or JSON string; a collection is merged),
        a bbox ``(west, south, east, north)`` (a sequence of 4 numbers, or the string ``"w,s,e,n"``), a WKT
        string, a shapely geometry, any object with ``__geo_interface__``, a GeoDataFrame or GeoSeries
        (reprojected from its CRS to EPSG:4326, rows merged), or an :class:`AOI` (returned as is).
    crs
        The CRS of ``obj``'s coordinates when they are not longitude/latitude (e.g. ``"EPSG:2154"`` for a
        Lambert-93 bbox); anything :class:`pyproj.CRS` reads. A reprojected bbox becomes a polygon.
    check_order
        Refuse coordinates that look like (latitude, longitude) over a French territory (default).
    repair
        Repair an invalid polygon with :func:`shapely.make_valid` and warn (default), or refuse it.

    Returns
    -------
    AOI

    Raises
    ------
    QueryError
        Saying what is wrong: unreadable form, empty, not finite, out of range, swapped axes, invalid
        polygon (with ``repair=False``), reversed bbox.

    Examples
    --------
    >>> as_aoi("3.85,43.59,3.90,43.63").bbox
    (3.85, 43.59, 3.9, 43.63)
    >>> as_aoi((43.59, 3.85, 43.63, 3.90))
    Traceback (most recent call last):
    ...
    dinamis_widgets.errors.QueryError: The AOI bbox (43.59, 3.85, 43.63, 3.9) looks like (latitude, ...
    >>> as_aoi((770000, 6279000, 772000, 6281000), crs="EPSG:2154").bbox  # doctest: +ELLIPSIS
    (3.86..., 43.60..., 3.89..., 43.62...)
    """
    if isinstance(obj, AOI):
        return obj
    parsed = _parse(obj)
    if isinstance(parsed, tuple):
        return _from_bbox(parsed, obj, check_order, crs)
    geom = parsed
    if crs is not None:
        geom = _reproject(geom, crs)
    return _finish(geom, obj, check_order, repair)

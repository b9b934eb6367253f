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
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry

from ..errors import QueryError
from ..warnings import AOIWarning
from .antimeridian import crossing_bbox, split_antimeridian
from .aoi_forms import parse, short

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
# Checks
# --------------------------------------------------------------------------------------------------

_EMPTY_HINT = ("Give an area with coordinates, e.g. a bbox (west, south, east, north) in degrees such as "
               "(3.85, 43.59, 3.90, 43.63), or draw one on the Explorer's map.")
_NAN_HINT = ("Give finite longitudes and latitudes in degrees, e.g. (3.85, 43.59, 3.90, 43.63); a NaN "
             "often comes from an empty selection or a failed computation upstream.")


def _reproject(geom: BaseGeometry, crs: Any) -> BaseGeometry:
    import numpy as np
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise QueryError(f"Unknown CRS {short(crs)} for the AOI ({str(exc)[:120]}): give an EPSG code "
                         "such as "
                         "'EPSG:2154' (Lambert-93) or 'EPSG:32631' (UTM 31N), or leave crs=None for "
                         "longitude/latitude.") from None
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
        raise QueryError(f"The AOI is empty: {short(given)}. {_EMPTY_HINT}")
    if not np.isfinite(coords).all():
        raise QueryError(f"The AOI has coordinates that are not finite numbers (NaN or infinite): "
                         f"{short(given)}. {_NAN_HINT}")
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
                f"The AOI {what} {short(given)} looks like (latitude, longitude) order: as given it lies at "
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
                             f"{short(given)}. Draw it again with at least three distinct corners.")
        fixed = shapely.union_all(polygons)
    if fixed.is_empty:
        raise QueryError(f"The AOI is not valid ({reason}) and is empty once repaired: {short(given)}. "
                         f"{_EMPTY_HINT}")
    warnings.warn(f"The AOI was not a valid geometry ({reason}); it was repaired with shapely.make_valid.",
                  AOIWarning, stacklevel=4)
    return fixed


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
        raise QueryError(f"The AOI bbox {short(given)} has values that are not finite numbers. {_NAN_HINT}")
    if crs is not None:
        if w >= e or s >= n:
            raise QueryError(f"The AOI bbox {short(given)} must be (xmin, ymin, xmax, ymax) with "
                             "xmin < xmax and ymin < ymax.")
        return _finish(_reproject(box(w, s, e, n), crs), given, check_order, repair=True, what="bbox")
    for lat in (s, n):
        if not -90 <= lat <= 90:
            hint = (" It looks like (south, west, north, east) or (lat, lon) order: give "
                    f"(west, south, east, north) = {(s, w, n, e)}." if -90 <= w <= 90 and -90 <= e <= 90
                    else " Give degrees (EPSG:4326), or pass crs=... to have it reprojected.")
            raise QueryError(f"The AOI bbox {short(given)} has latitude {lat:g}, outside [-90, 90].{hint}")
    for lon in (w, e):
        if not -180 <= lon <= 180:
            raise QueryError(f"The AOI bbox {short(given)} has longitude {lon:g}, outside [-180, 180]. Give "
                             "degrees (EPSG:4326), or pass crs=... to have it reprojected.")
    if s > n:
        raise QueryError(f"The AOI bbox {short(given)} has south ({s:g}) > north ({n:g}): give "
                         f"(west, south, east, north) = {(w, n, e, s)}.")
    if s == n or w == e:
        raise QueryError(f"The AOI bbox {short(given)} has no area (west == east or south == north): give "
                         "a Point geometry for a single place.")
    if w > e:
        if not (w > 0 > e):
            raise QueryError(
                f"The AOI bbox {short(given)} has west ({w:g}) > east ({e:g}). A bbox crossing the "
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
        raise QueryError(f"The AOI is empty: {short(given)}. {_EMPTY_HINT}")
    _check_coordinates(geom, given)
    geom, crossed = split_antimeridian(geom)
    geom = _repair(geom, repair, given)
    if crossed:
        bbox = crossing_bbox(geom)
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
    parsed = parse(obj)
    if isinstance(parsed, tuple):
        return _from_bbox(parsed, obj, check_order, crs)
    geom = parsed
    if crs is not None:
        geom = _reproject(geom, crs)
    return _finish(geom, obj, check_order, repair)

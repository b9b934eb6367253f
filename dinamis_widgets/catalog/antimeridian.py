"""The antimeridian: geometries crossing ±180° of longitude, split as RFC 7946 section 3.1.9 asks.

A polygon or line with an edge jumping more than 180° in longitude is taken to cross the antimeridian: it is
unwrapped (longitudes made continuous), cut at ±180° and moved back into [-180, 180], so that a STAC API
finds items on both sides.

Examples
--------
>>> import shapely
>>> geom, crossed = split_antimeridian(shapely.Polygon([(170, -10), (-170, -10), (-170, 10), (170, 10)]))
>>> crossed, geom.geom_type, crossing_bbox(geom)
(True, 'MultiPolygon', (170.0, -10.0, -170.0, 10.0))
"""

from __future__ import annotations

import itertools
from typing import Any

import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

__all__ = ["crossing_bbox", "split_antimeridian"]


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


def split_antimeridian(geom: BaseGeometry) -> tuple[BaseGeometry, bool]:
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


def crossing_bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """RFC 7946 bbox of a geometry split at the antimeridian: west is the east side's westmost."""
    parts = list(shapely.get_parts(geom))
    east = [p.bounds for p in parts if (p.bounds[0] + p.bounds[2]) / 2 >= 0]
    west = [p.bounds for p in parts if (p.bounds[0] + p.bounds[2]) / 2 < 0]
    _, s, _, n = geom.bounds
    if not east or not west:
        return tuple(geom.bounds)
    return (min(b[0] for b in east), s, max(b[2] for b in west), n)

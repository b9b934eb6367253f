"""AOI forms and errors: bbox, GeoJSON, WKT, shapely, GeoDataFrame; order, range, antimeridian, validity."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping, shape

from dinamis_widgets.catalog.aoi import AOI, as_aoi
from dinamis_widgets.errors import QueryError
from dinamis_widgets.warnings import AOIWarning

MONTPELLIER = (3.85, 43.59, 3.90, 43.63)
POLY = {"type": "Polygon", "coordinates": [[[3.85, 43.59], [3.90, 43.59], [3.88, 43.63], [3.85, 43.59]]]}


@pytest.mark.parametrize("given", [
    MONTPELLIER, list(MONTPELLIER), np.array(MONTPELLIER), "3.85,43.59,3.90,43.63", "3.85 43.59 3.90 43.63",
    {"bbox": list(MONTPELLIER)}, (3.85, 43.59, 0.0, 3.90, 43.63, 100.0),
])
def test_bbox_forms(given: object) -> None:
    aoi = as_aoi(given)
    assert aoi.bbox == MONTPELLIER
    assert aoi.is_box and not aoi.crosses_antimeridian
    assert aoi.search_params() == {"bbox": list(MONTPELLIER)}
    assert aoi.shape.equals(box(*MONTPELLIER))


class _HasGeoInterface:
    __geo_interface__ = POLY


@pytest.mark.parametrize("given", [
    POLY, json.dumps(POLY), {"type": "Feature", "properties": {}, "geometry": POLY},
    shape(POLY), shape(POLY).wkt, _HasGeoInterface(),
])
def test_geometry_forms(given: object) -> None:
    aoi = as_aoi(given)
    assert aoi.geometry["type"] == "Polygon"
    assert not aoi.is_box
    assert aoi.search_params() == {"intersects": aoi.geometry}
    assert aoi.shape.equals(shape(POLY))
    assert shape(aoi.__geo_interface__).equals(shape(POLY))  # usable wherever __geo_interface__ is
    json.dumps(aoi.geometry)  # plain JSON


def test_feature_collection_is_merged() -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(box(3.80, 43.5, 3.85, 43.6))},
        {"type": "Feature", "properties": {}, "geometry": mapping(box(3.84, 43.5, 3.90, 43.6))},
    ]}
    aoi = as_aoi(fc)
    assert aoi.bbox == (3.80, 43.5, 3.90, 43.6)
    assert aoi.shape.area == pytest.approx(0.1 * 0.1)


def test_point_and_box_polygon() -> None:
    assert as_aoi("POINT (3.87 43.61)").search_params() == {
        "intersects": {"type": "Point", "coordinates": [3.87, 43.61]}}
    assert as_aoi(mapping(box(*MONTPELLIER))).is_box  # a rectangle polygon is sent as a bbox


def test_geodataframe_in_lambert93_is_reprojected() -> None:
    gpd = pytest.importorskip("geopandas")
    l93 = box(770000, 6279000, 772000, 6281000)
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[l93], crs="EPSG:2154")
    aoi = as_aoi(frame)
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    corners = [to_wgs84.transform(x, y) for x, y in l93.exterior.coords]
    lons, lats = zip(*corners, strict=True)
    assert aoi.bbox == pytest.approx((min(lons), min(lats), max(lons), max(lats)), abs=1e-4)
    assert 3.8 < aoi.bbox[0] < 3.9 and 43.5 < aoi.bbox[1] < 43.7  # Montpellier, lon first
    assert as_aoi(frame.geometry).bbox == aoi.bbox  # a GeoSeries too
    assert as_aoi(frame.to_crs(3857)).bbox == pytest.approx(aoi.bbox, abs=1e-6)
    # the same with crs=...
    assert as_aoi(l93, crs="EPSG:2154").bbox == pytest.approx(aoi.bbox, abs=1e-9)
    assert as_aoi(l93.bounds, crs=2154).bbox == pytest.approx(aoi.bbox, abs=1e-9)


def test_geodataframe_without_crs() -> None:
    gpd = pytest.importorskip("geopandas")
    with pytest.warns(AOIWarning, match="no CRS"):
        assert as_aoi(gpd.GeoDataFrame(geometry=[box(*MONTPELLIER)])).bbox == MONTPELLIER
    with pytest.raises(QueryError, match=r"no CRS.*set_crs"):
        as_aoi(gpd.GeoDataFrame(geometry=[box(770000, 6279000, 772000, 6281000)]))
    with pytest.raises(QueryError, match="empty"):
        as_aoi(gpd.GeoDataFrame(geometry=[], crs=4326))


def test_swapped_bbox_over_france_is_refused_with_the_fix() -> None:
    with pytest.raises(QueryError) as err:
        as_aoi((43.59, 3.85, 43.63, 3.90))
    message = err.value.message
    assert "latitude, longitude" in message and "mainland France" in message
    assert "(3.85, 43.59, 3.9, 43.63)" in message and "check_order=False" in message
    with pytest.raises(QueryError, match="French Guiana"):
        as_aoi((4.91, -52.33, 4.93, -52.32))  # Cayenne as (lat, lon)
    with pytest.raises(QueryError, match="latitude, longitude"):
        as_aoi({"type": "Polygon",
                "coordinates": [[[43.59, 3.85], [43.63, 3.85], [43.63, 3.9], [43.59, 3.85]]]})
    # the place as given, on purpose
    assert as_aoi((43.59, 3.85, 43.63, 3.90), check_order=False).bbox == (43.59, 3.85, 43.63, 3.90)


@pytest.mark.parametrize(("given", "pattern"), [
    ((0, 100, 1, 101), r"latitude 100, outside \[-90, 90\]"),
    ((200, 0, 201, 1), r"longitude 200, outside \[-180, 180\]"),
    ({"type": "Point", "coordinates": [3.0, 95.0]}, r"latitude 95.0, outside"),
    ({"type": "Point", "coordinates": [190.0, 45.0]}, r"longitude 190.0, outside.*antimeridian"),
    ((float("nan"), 43.5, 3.9, 43.7), "not finite"),
    ({"type": "Point", "coordinates": [float("inf"), 43.0]}, "not finite"),
    ((3.85, 43.63, 3.90, 43.59), r"south \(43.63\) > north \(43.59\)"),
    ((3.90, 43.59, 3.85, 43.63), r"west \(3.9\) > east \(3.85\).*\(3.85, 43.59, 3.9, 43.63\)"),
    ((3.85, 43.59, 3.85, 43.63), "no area"),
    ((1, 2, 3), "has 3 numbers"),
    ("POLYGON EMPTY", "empty"),
    ("not an aoi", "neither GeoJSON"),
    ("{not json", "not valid JSON"),
    ({"type": "Feature", "geometry": None}, "no geometry"),
    ({"type": "FeatureCollection", "features": []}, "no features"),
    ({"type": "Circle", "coordinates": [0, 0]}, "not GeoJSON"),
    (42, "Cannot use a int"),
    ((3.0, "a", 4.0, 44.0), "must hold numbers"),
])
def test_errors_say_what_is_wrong(given: object, pattern: str) -> None:
    with pytest.raises(QueryError, match=pattern):
        as_aoi(given)


def test_bbox_across_the_antimeridian_is_split() -> None:
    aoi = as_aoi((170, -10, -170, 10))
    assert aoi.crosses_antimeridian
    assert aoi.bbox == (170, -10, -170, 10)  # RFC 7946: west > east
    assert aoi.geometry["type"] == "MultiPolygon"
    parts = list(shapely.get_parts(aoi.shape))
    assert sorted(p.bounds for p in parts) == [(-180, -10, -170, 10), (170, -10, 180, 10)]
    # never a west > east bbox (pgstac reads it as the rest of the world)
    assert "intersects" in aoi.search_params()


def test_polygon_across_the_antimeridian_is_split() -> None:
    ring = [[175, -5], [-175, -5], [-175, 5], [175, 5], [175, -5]]
    hole = [[178, -1], [-178, -1], [-178, 1], [178, 1], [178, -1]]
    aoi = as_aoi({"type": "Polygon", "coordinates": [ring, hole]})
    assert aoi.crosses_antimeridian and aoi.geometry["type"] == "MultiPolygon"
    assert aoi.bbox == (175, -5, -175, 5)
    assert aoi.shape.area == pytest.approx(10 * 10 - 4 * 2)  # not the 350° wide band the raw ring would be
    coords = shapely.get_coordinates(aoi.shape)
    assert coords[:, 0].min() >= -180 and coords[:, 0].max() <= 180
    line = as_aoi({"type": "LineString", "coordinates": [[175, 0], [-175, 5]]})
    assert line.geometry["type"] == "MultiLineString" and line.crosses_antimeridian


def test_invalid_polygon_is_repaired_with_a_warning_or_refused() -> None:
    bowtie = {"type": "Polygon",
              "coordinates": [[[3.8, 43.5], [3.9, 43.6], [3.9, 43.5], [3.8, 43.6], [3.8, 43.5]]]}
    with pytest.warns(AOIWarning, match="Self-intersection"):
        aoi = as_aoi(bowtie)
    assert aoi.shape.is_valid and aoi.shape.area == pytest.approx(0.005)
    with pytest.raises(QueryError, match="Self-intersection"):
        as_aoi(bowtie, repair=False)
    with pytest.raises(QueryError, match="no area once repaired"):
        as_aoi({"type": "Polygon", "coordinates": [[[3.8, 43.5], [3.9, 43.6], [3.8, 43.5], [3.8, 43.5]]]})


def test_aoi_is_frozen_hashable_and_compares_by_shape() -> None:
    a = as_aoi(MONTPELLIER)
    b = as_aoi(mapping(box(*MONTPELLIER, ccw=False)))  # other ring order, same area
    assert a == b and hash(a) == hash(b)
    assert a != as_aoi(POLY)
    assert as_aoi(a) is a
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.bbox = (0, 0, 1, 1)  # type: ignore[misc]
    assert isinstance(AOI.from_any(MONTPELLIER), AOI)
    assert "box" in repr(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_aoi(POLY)  # a valid AOI warns nothing

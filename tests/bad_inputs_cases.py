"""The corpus of bad inputs of tests/test_bad_inputs.py: one :class:`Case` per input, by family.

Each case calls a public entry (``dw.*``, the CLI) with one bad input. The test checks that it raises a
:class:`~dinamis_widgets.DinamisError` subclass (``error``) whose message names the input (``names``,
case-insensitive), quotes at most ~80 characters of it, and says what to do; and that it answers at once
(under a 2 s alarm: adversarial 10 kB strings included). Cases that need the catalogue take ``ctx`` (the
twin, its items, a temporary folder); the others ignore it.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dinamis_widgets as dw
from dinamis_widgets.errors import (
    CubeTooLargeError,
    DinamisError,
    ExportError,
    InputError,
    LoadError,
    MissingBandError,
    QueryError,
    ValidityError,
)

#: A long adversarial string (10 kB), of the kinds that made patterns backtrack.
LONG = 10_000


@dataclass(frozen=True)
class Case:
    """One bad input of a public entry."""

    family: str
    name: str
    call: Callable[[Any], Any]
    names: str
    """Text the message must contain (case-insensitive): the input's name or its quoted value."""
    error: type[DinamisError] = DinamisError
    raw: str | None = None
    """The input as text, when long: the message must not quote more than ~80 characters of it."""
    twin: bool = False
    """Needs the catalogue (``ctx``)."""

    @property
    def id(self) -> str:
        return f"{self.family}-{self.name}"


CASES: list[Case] = []


def case(
    family: str,
    name: str,
    call: Callable[[Any], Any],
    names: str,
    error: type[DinamisError] = DinamisError,
    *,
    raw: str | None = None,
    twin: bool = False,
) -> None:
    CASES.append(Case(family, name, call, names, error, raw, twin))


# --- validity -------------------------------------------------------------------------------------
def _validity(value: Any, **kw: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.parse_validity(value, **kw)


for _name, _value in [
    ("empty", ""),
    ("blank", "   "),
    ("word", "abc"),
    ("compound", "1h30min"),
    ("exponent", "1e9s"),
    ("exponent-upper", "2E3"),
    ("exponent-unit", "2.5e2 min"),
    ("ambiguous-m", "30m"),
    ("years", "P1Y"),
    ("months", "P2M"),
    ("month-unit", "3 months"),
    ("negative", "-3h"),
    ("zero", "0"),
    ("zero-s", "0s"),
    ("iso-empty", "PT"),
    ("iso-t", "P1DT"),
    ("iso-bad", "PXYZ"),
    ("unit-unknown", "3 fortnights"),
    ("unit-only", "h"),
    ("dots", "..h"),
    ("two-points", "1.2.3h"),
    ("iso-repeat", "PT1H1H"),
    ("sub-second", "0.2s"),
    ("absurd", "99999999999999d"),
    ("bool", True),
    ("none", None),
    ("list", [3]),
    ("dict", {}),
    ("nan", math.nan),
    ("inf", math.inf),
    ("neg-number", -1),
    ("tiny", 0.1),
    ("timedelta-zero", _dt.timedelta(0)),
    ("bytes", b"3h"),
]:
    case("validity", _name, _validity(_value), "validity", ValidityError)
case("validity", "above-maximum", _validity("8d", maximum="P7D"), "'8d'", ValidityError)
for _name, _value in [
    ("x-100k", "x" * 100_000),
    ("digits-h", "1" * LONG + "h"),
    ("iso-digits", "P" + "1" * LONG),
    ("pairs", "1h" * (LONG // 2) + "!"),
    ("iso-zeros", "PT" + "0" * LONG),
    ("spaces", "1" + " " * LONG + "h"),
]:
    case("validity", _name, _validity(_value), "validity", ValidityError, raw=_value)


# --- dates ----------------------------------------------------------------------------------------
def _dates(value: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.Query("SPOT67_HCF_GS1", datetime=value)


for _name, _value in [
    ("day-month-year", "31/12/2025"),
    ("month-day-year", "12/31/2025"),
    ("year-slashes", "2025/12/31"),
    ("word", "yesterday"),
    ("month-13", "2025-13-01"),
    ("feb-30", "2025-02-30"),
    ("reversed-pair", ("2025-06-01", "2025-01-01")),
    ("reversed-text", "2025-06-01/2025-01-01"),
    ("four-parts", "a/b/c/d"),
    ("number", 5),
    ("dict", {}),
    ("three", ("2025-01", "2025-02", "2025-03")),
    ("hour-25", "2025-06-01T25:00:00Z"),
    ("end-word", ("2025-01-01", "soon")),
    ("start-number", (3, None)),
    ("reversed-datetimes", (_dt.datetime(2025, 6, 1), _dt.datetime(2025, 1, 1))),
]:
    case("dates", _name, _dates(_value), "datetime" if _name != "end-word" else "end date", QueryError)
for _name, _value in [
    ("x-10k", "x" * LONG),
    ("digits-10k", "1" * LONG),
    ("dashes", "2025-" * (LONG // 5)),
    ("slashes", "1/" * (LONG // 2)),
]:
    case("dates", _name, _dates(_value), "datetime", QueryError, raw=_value)


# --- AOI ------------------------------------------------------------------------------------------
def _aoi(value: Any, **kw: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.as_aoi(value, **kw)


for _name, _value, _names in [
    ("empty", "", "AOI"),
    ("blank", "   ", "AOI"),
    ("empty-dict", {}, "AOI"),
    ("no-coords", {"type": "Polygon"}, "AOI"),
    ("feature-no-geometry", {"type": "Feature"}, "AOI"),
    ("no-features", {"type": "FeatureCollection", "features": []}, "AOI"),
    ("nan-bbox", (math.nan, 43.0, 4.0, 44.0), "AOI"),
    ("inf-bbox", (3.0, 43.0, math.inf, 44.0), "AOI"),
    ("flat-bbox", (3.0, 43.0, 3.0, 44.0), "AOI"),
    ("three-numbers", (1, 2, 3), "AOI"),
    ("lon-out", (200, 0, 201, 1), "AOI"),
    ("lat-out", (0, 95, 1, 96), "AOI"),
    ("swapped", (43.59, 3.85, 43.63, 3.90), "AOI"),
    ("south-north", (3.8, 44.0, 3.9, 43.0), "AOI"),
    ("west-east", (10, 45, 5, 46), "AOI"),
    ("polygon-empty", "POLYGON EMPTY", "AOI"),
    ("point-nan", "POINT (nan nan)", "AOI"),
    ("not-wkt", "the town hall", "AOI"),
    ("number", 5, "AOI"),
    ("none-list", [], "AOI"),
    ("object", object(), "AOI"),
    ("bad-json", "{not json", "AOI"),
    ("strings", ("a", "b", "c", "d"), "AOI"),
    ("nan-geojson", {"type": "Point", "coordinates": [math.nan, 1]}, "AOI"),
    ("geojson-type", {"type": "Circle", "coordinates": [0, 0]}, "AOI"),
]:
    case("aoi", _name, _aoi(_value), _names, QueryError)
case("aoi", "unknown-crs", _aoi((0, 0, 1, 1), crs="EPSG:999999"), "CRS", QueryError)
case(
    "aoi",
    "bowtie-no-repair",
    _aoi({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, repair=False),
    "AOI",
    QueryError,
)
for _name, _value in [
    ("digits-spaces", "1 " * (LONG // 2)),
    ("one-then-spaces", "1" + " " * LONG + "x"),
    ("commas", "1 , " * 2500),
    ("digits", "1" * LONG),
    ("words", "abc" * 3400),
    ("json-nesting", "{" + "[" * LONG),
    ("wkt-parens", "POLYGON " + "(" * LONG),
    ("numbers-x", "1.5 " * 2500 + "x"),
    ("semicolons", ";" * LONG),
    ("e-signs", "e+" * (LONG // 2)),
]:
    case("aoi", _name, _aoi(_value), "AOI", QueryError, raw=_value)


# --- search queries -------------------------------------------------------------------------------
def _query(**kw: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.Query("SPOT67_HCF_GS1", **kw)


for _name, _kw, _names in [
    ("range-reversed", {"filters": {"eo:cloud_cover": (50, 10)}}, "eo:cloud_cover"),
    ("unknown-operator", {"filters": {"eo:cloud_cover": ("~~", 10)}}, "~~"),
    ("filters-number", {"filters": 5}, "filter"),
    ("cql2-operator", {"cql2": {"op": "~~", "args": [{"property": "eo:cloud_cover"}, 1]}}, "~~"),
    ("cql2-nested-operator", {"cql2": {"op": "and", "args": [{"op": "less", "args": [1, 2]}]}}, "less"),
    ("cql2-args", {"cql2": {"op": "<=", "args": {}}}, "args"),
    ("cql2-text", {"cql2": "eo:cloud_cover < 10"}, "cql2"),
    ("cql2-no-op", {"cql2": {"args": []}}, "cql2"),
    ("cql2-long", {"cql2": "x" * LONG}, "cql2"),
    ("limit-zero", {"limit": 0}, "limit"),
    ("limit-text", {"limit": "ten"}, "limit"),
    ("aoi-and-bbox", {"aoi": (3.8, 43.5, 3.9, 43.6), "bbox": (3.8, 43.5, 3.9, 43.6)}, "bbox"),
]:
    case(
        "query",
        _name,
        _query(**_kw),
        _names,
        QueryError,
        raw=_kw.get("cql2") if isinstance(_kw.get("cql2"), str) and len(_kw["cql2"]) > 100 else None,
    )


# --- signing --------------------------------------------------------------------------------------
def _sign(obj: Any, **kw: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.sign(obj, **kw)


for _name, _value, _names in [
    ("int", 5, "int"),
    ("none", None, "NoneType"),
    ("float", 3.5, "float"),
    ("object", object(), "object"),
    ("item-id", "SPOT67_HCF_202504141052135_GS1_W001N46_SCENE1", "SPOT67_HCF_202504141052135"),
    ("empty", "", "''"),
    ("words", "my image", "my image"),
    ("list", [1, 2], "list"),
    ("bytes", b"https://h/f.tif", "bytes"),
    ("set", {"a"}, "set"),
]:
    case("sign", _name, _sign(_value), _names, InputError)
case("sign", "long-id", _sign("x" * LONG), "not a URL", InputError, raw="x" * LONG)
case(
    "sign", "item-assets-type", lambda ctx: dw.sign(ctx.spot_item, assets=5), "assets", InputError, twin=True
)
case("sign", "item-asset-unknown", lambda ctx: dw.sign(ctx.spot_item, assets=["nope"]), "nope", twin=True)
case(
    "sign",
    "validity-exponent",
    lambda ctx: dw.sign(ctx.spot_item, validity="1e9s"),
    "1e9s",
    ValidityError,
    twin=True,
)
case(
    "sign",
    "validity-negative",
    lambda ctx: dw.sign(ctx.spot_item, validity=-1),
    "validity",
    ValidityError,
    twin=True,
)
case(
    "sign",
    "endpoint-404",
    lambda ctx: ctx.signer(ctx.twin.stac_api + "nope/").sign_url(ctx.url),
    "sign_urls",
    twin=True,
)
case("sign", "endpoint-html", lambda ctx: ctx.signer(ctx.html_url).sign_url(ctx.url), "HTML", twin=True)


# --- load and plan --------------------------------------------------------------------------------
def _load(bands: Any = ("red",), items: Any = None, **kw: Any) -> Callable[[Any], Any]:
    return lambda ctx: dw.load(ctx.spot[:1] if items is None else items, bands=bands, **kw)


for _name, _call, _names, _error in [
    ("items-text", lambda ctx: dw.load("hello"), "hello", InputError),
    ("items-int", lambda ctx: dw.load(5), "int", InputError),
    ("items-none", lambda ctx: dw.load(None), "NoneType", InputError),
    ("items-empty", lambda ctx: dw.load([]), "empty", LoadError),
    ("items-mixed-int", lambda ctx: dw.load([ctx.spot[0], ctx.spot[1].to_dict(), 3]), "Item 2", InputError),
    (
        "items-dict-not-item",
        lambda ctx: dw.load([ctx.spot[0], {"type": "Feature", "assets": {}}]),
        "Item 1",
        InputError,
    ),
    ("items-dict-no-assets", lambda ctx: dw.load([{"id": "x"}]), "Item 0", InputError),
    ("bands-int", _load(5), "bands", InputError),
    ("bands-dict", _load({"red": 1}), "band_map", InputError),
    ("bands-empty", _load([]), "band", LoadError),
    ("bands-blank", _load([""]), "bands", InputError),
    ("bands-unknown", _load(["nope"]), "nope", LoadError),
    ("chunks-zero", _load(chunks=0), "chunks", LoadError),
    ("chunks-negative", _load(chunks=-5), "chunks", LoadError),
    ("chunks-text", _load(chunks="big"), "chunks", InputError),
    ("chunks-dim", _load(chunks={"z": 5}), "chunks", InputError),
    ("chunks-bool", _load(chunks=True), "chunks", InputError),
    ("resolution-one", _load(resolution=(10,)), "resolution", LoadError),
    ("resolution-three", _load(resolution=(10, 10, 10)), "resolution", LoadError),
    ("resolution-zero", _load(resolution=0), "resolution", LoadError),
    ("resolution-negative", _load(resolution=-10), "resolution", LoadError),
    ("resolution-word", _load(resolution="fine"), "resolution", LoadError),
    ("resolution-nan", _load(resolution=math.nan), "resolution", LoadError),
    ("resolution-bool", _load(resolution=True), "resolution", LoadError),
    ("resolution-degrees", _load(resolution=0.0001), "resolution", CubeTooLargeError),
    (
        "plan-resolution-degrees",
        lambda ctx: dw.plan(ctx.spot[:1], bands=["red"], resolution=0.0001),
        "degrees",
        CubeTooLargeError,
    ),
    ("crs-unknown", _load(crs="EPSG:999999"), "crs", InputError),
    ("crs-word", _load(crs="lambert"), "crs", InputError),
    ("groupby-unknown", _load(groupby="foo"), "groupby", InputError),
    ("groupby-int", _load(groupby=5), "groupby", InputError),
    ("options-dict", _load(options={"dtype": "float32"}), "options", InputError),
    ("keyword-typo", _load(resolutoin=10), "resolutoin", InputError),
    ("mask-unknown", _load(mask="snow"), "mask", LoadError),
    ("aoi-misses", _load(aoi=(3.85, 43.59, 3.90, 43.63)), "AOI", LoadError),
    ("aoi-nan", _load(aoi=(math.nan, 45.9, -0.9, 46.0)), "AOI", QueryError),
    ("aoi-empty", _load(aoi=""), "AOI", QueryError),
    ("utm-zones", lambda ctx: dw.load(ctx.s2, bands=["red"]), "UTM zones", CubeTooLargeError),
    ("too-big", _load(options=dw.LoadOptions(max_cube_bytes=1000)), "max_cube_bytes", CubeTooLargeError),
    (
        "plan-too-big",
        lambda ctx: dw.plan(ctx.spot[:1], bands=["red"], options=dw.LoadOptions(max_cube_bytes=1000)),
        "DINAMIS_MAX_CUBE_BYTES",
        CubeTooLargeError,
    ),
]:
    case("load", _name, _call, _names, _error, twin=True)

for _name, _kw, _names in [
    ("dtype-word", {"dtype": "foo"}, "dtype"),
    ("dtype-bool", {"dtype": "bool"}, "dtype"),
    ("dtype-band", {"dtype": {"red": "text"}}, "red"),
    ("resampling-word", {"resampling": "foo"}, "resampling"),
    ("resampling-band", {"resampling": {"red": "smooth"}}, "smooth"),
    ("nodata-text", {"nodata": "x"}, "nodata"),
    ("overviews-text", {"use_overviews": "yes"}, "use_overviews"),
    ("gdal-options", {"gdal_options": 5}, "gdal_options"),
    ("max-bytes-negative", {"max_cube_bytes": -1}, "max_cube_bytes"),
    ("validity-exponent", {"validity": "1e9s"}, "validity"),
]:
    case(
        "options",
        _name,
        (lambda kw: lambda ctx: dw.LoadOptions(**kw))(_kw),
        _names,
        ValidityError if _name == "validity-exponent" else InputError,
    )


# --- analysis and export --------------------------------------------------------------------------
for _name, _call, _names, _error in [
    ("ndvi-no-nir", lambda ctx: dw.ndvi(ctx.cube[["red"]]), "nir", MissingBandError),
    ("ndwi-no-green", lambda ctx: dw.ndwi(ctx.cube), "green", MissingBandError),
    ("savi-no-red", lambda ctx: dw.savi(ctx.cube[["nir"]]), "red", MissingBandError),
    ("ndvi-dataarray", lambda ctx: dw.ndvi(ctx.cube.red), "DataArray", InputError),
    ("ndvi-int", lambda ctx: dw.ndvi(5), "int", InputError),
    ("ndvi-none", lambda ctx: dw.ndvi(None), "NoneType", InputError),
    ("nd-band-int", lambda ctx: dw.normalized_difference(ctx.cube, "nir", 5), "band name", InputError),
    ("pansharpen-method", lambda ctx: dw.pansharpen(ctx.cube, "magic"), "magic", InputError),
    ("pansharpen-no-pan", lambda ctx: dw.pansharpen(ctx.cube), "pan", MissingBandError),
    ("cog-numpy", lambda ctx: dw.to_cog(ctx.cube.red.values, ctx.tmp / "x.tif"), "ndarray", InputError),
    ("cog-none", lambda ctx: dw.to_cog(None, ctx.tmp / "x.tif"), "NoneType", InputError),
    (
        "cog-missing-folder",
        lambda ctx: dw.to_cog(ctx.cube.red, ctx.tmp / "nodir" / "x.tif"),
        "does not exist",
        ExportError,
    ),
    ("cog-onto-folder", lambda ctx: dw.to_cog(ctx.cube.red, ctx.tmp), "folder", ExportError),
    (
        "cog-unwritable",
        lambda ctx: dw.to_cog(ctx.cube.red, ctx.readonly / "x.tif"),
        "not writable",
        ExportError,
    ),
    ("cog-path-int", lambda ctx: dw.to_cog(ctx.cube.red, 5), "not a path", InputError),
    ("zarr-onto-file", lambda ctx: dw.to_zarr(ctx.cube, ctx.a_file), "file", ExportError),
    (
        "netcdf-missing-folder",
        lambda ctx: dw.to_netcdf(ctx.cube, ctx.tmp / "nodir" / "x.nc"),
        "does not exist",
        ExportError,
    ),
    ("netcdf-numpy", lambda ctx: dw.to_netcdf(ctx.cube.red.values, ctx.tmp / "x.nc"), "ndarray", InputError),
]:
    case("analysis", _name, _call, _names, _error, twin=True)


# --- catalogue ------------------------------------------------------------------------------------
for _name, _call, _names, _error in [
    ("open-int", lambda ctx: dw.open_catalog(5), "open_catalog(5)", DinamisError),
    ("open-unknown-profile", lambda ctx: dw.open_catalog("notaprofile"), "notaprofile", DinamisError),
    ("open-object-store", lambda ctx: dw.open_catalog(ctx.twin.data), "STAC API", DinamisError),
    ("open-html", lambda ctx: dw.open_catalog(ctx.html_url), "HTML", DinamisError),
    ("open-404", lambda ctx: dw.open_catalog(ctx.html_url + "nope/"), "STAC API", DinamisError),
    ("search-unknown-collection", lambda ctx: dw.search(collections=["NOPE"]), "NOPE", QueryError),
    (
        "search-unknown-collection-unsorted",
        lambda ctx: dw.search(collections=["NOPE"], sortby=None),
        "NOPE",
        QueryError,
    ),
    (
        "search-unknown-property",
        lambda ctx: dw.search(collections=["SPOT67_HCF_GS1"], filters={"colour": "red"}),
        "colour",
        QueryError,
    ),
]:
    case("catalog", _name, _call, _names, _error, twin=True)


# --- reads ----------------------------------------------------------------------------------------
case("read", "store-403", lambda ctx: ctx.read_with_fault(403), "refused", LoadError, twin=True)
case("read", "store-404", lambda ctx: ctx.read_with_fault(404), "not found", LoadError, twin=True)


# --- command line ---------------------------------------------------------------------------------
for _name, _argv, _names in [
    ("empty-target", ["sign", ""], "empty"),
    ("s3-url", ["sign", "s3://bucket/f.tif"], "s3://"),
    ("spaces", ["sign", "my image"], "my image"),
    ("long", ["sign", "x" * LONG], "too long"),
    ("validity-exponent", ["sign", "https://h/f.tif", "--validity", "1e9s"], "1e9s"),
    ("validity-word", ["sign", "https://h/f.tif", "--validity", "soon"], "soon"),
    ("unknown-id", ["sign", "NOT_AN_ITEM_ID"], "NOT_AN_ITEM_ID"),
    ("control-chars", ["sign", "abc\x07def"], "control"),
]:
    case(
        "cli",
        _name,
        (lambda argv: lambda ctx: ctx.cli(argv))(_argv),
        _names,
        DinamisError,
        raw=_argv[1] if len(_argv[1]) > 100 else None,
        twin=_name == "unknown-id",
    )

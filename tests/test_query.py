"""The query model without a server: dates, filters -> CQL2-JSON, queryables, query-extension fallback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings

import pytest

from dinamis_widgets.catalog.conformance import conforms
from dinamis_widgets.catalog.filters import Filter
from dinamis_widgets.catalog.query import DEFAULT_SORTBY, Query
from dinamis_widgets.errors import QueryError
from dinamis_widgets.warnings import QueryWarning

UTC = dt.UTC
STAC = "https://api.stacspec.org/v1.0.0"
FULL = [f"{STAC}/core", f"{STAC}/item-search", f"{STAC}/item-search#query",
        "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter", "https://api.stacspec.org/v1.1.0/item-search#sort",
        f"{STAC}/item-search#fields"]
NO_FILTER = [u for u in FULL if not u.endswith("#filter")]
#: Queryables as the twin serves them (trimmed).
QUERYABLES = {
    "$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
    "properties": {
        "id": {"title": "Item ID"},
        "datetime": {"type": "string", "format": "date-time"},
        "eo:cloud_cover": {"type": "number", "minimum": 0, "maximum": 100},
        "view:incidence_angle": {"type": "number"},
        "platform": {"type": "string", "enum": ["spot-6", "spot-7"]},
        "processing:level": {"type": "string", "enum": ["BRUT", "ORTHO"]},
        "dinamis:city": {"type": "string", "enum": ["Montpellier", "Rochefort"]},
        "instruments": {"type": "array", "items": {"type": "string", "enum": ["naomi"]}},
    },
}


def prop(name: str) -> dict[str, str]:
    return {"property": name}


# -- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "interval"), [
    ("2026-02-24", "2026-02-24T00:00:00Z/2026-02-24T23:59:59.999999Z"),
    (dt.date(2026, 2, 24), "2026-02-24T00:00:00Z/2026-02-24T23:59:59.999999Z"),
    ("2025-12", "2025-12-01T00:00:00Z/2025-12-31T23:59:59.999999Z"),
    ("2025", "2025-01-01T00:00:00Z/2025-12-31T23:59:59.999999Z"),
    (("2026-01-01", None), "2026-01-01T00:00:00Z/.."),
    ((None, "2025-06-30"), "../2025-06-30T23:59:59.999999Z"),
    ("2025-01-01/..", "2025-01-01T00:00:00Z/.."),
    ("../2025-01-01T12:00:00Z", "../2025-01-01T12:00:00Z"),
    (("2025-01-01", dt.date(2025, 3, 31)), "2025-01-01T00:00:00Z/2025-03-31T23:59:59.999999Z"),
    (dt.datetime(2025, 6, 1, 10, 30), "2025-06-01T10:30:00Z"),  # naive: UTC, one instant
    (dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2025-06-01T10:30:00Z"),
    ("2025-06-01T12:30:00+02:00/2025-06-02T00:00:00.5Z", "2025-06-01T10:30:00Z/2025-06-02T00:00:00.500000Z"),
    ((None, None), None),
    (None, None),
])
def test_datetime_forms(given: object, interval: str | None) -> None:
    assert Query(datetime=given).datetime_interval == interval


@pytest.mark.parametrize(("given", "pattern"), [
    (("2026-01-01", "2025-01-01"), "start .* is after the end"),
    ("yesterday", "Invalid datetime 'yesterday'"),
    ("2025-13-01", "Invalid datetime"),
    (("2025", "2026", "2027"), "not 3 values"),
    (42, "Invalid datetime 42"),
])
def test_datetime_errors(given: object, pattern: str) -> None:
    with pytest.raises(QueryError, match=pattern):
        Query(datetime=given)


# -- filters --------------------------------------------------------------------------------------

def test_mapping_filters_become_cql2_json() -> None:
    q = Query(filters={
        "eo:cloud_cover": ("<=", 20),
        "platform": ["spot-6", "spot-7"],
        "processing:level": "ORTHO",
        "view:incidence_angle": (0, 25),
        "dinamis:city": "Mont%",
        "eo:snow_cover": None,
        "view:azimuth": {"gt": 10, "lt": 300},
        "properties.gsd": ("!=", 6),
    })
    assert q.to_cql2() == {"op": "and", "args": [
        {"op": "<=", "args": [prop("eo:cloud_cover"), 20]},
        {"op": "in", "args": [prop("platform"), ["spot-6", "spot-7"]]},
        {"op": "=", "args": [prop("processing:level"), "ORTHO"]},
        {"op": ">=", "args": [prop("view:incidence_angle"), 0]},
        {"op": "<=", "args": [prop("view:incidence_angle"), 25]},
        {"op": "like", "args": [prop("dinamis:city"), "Mont%"]},
        {"op": "isNull", "args": [prop("eo:snow_cover")]},
        {"op": ">", "args": [prop("view:azimuth"), 10]},
        {"op": "<", "args": [prop("view:azimuth"), 300]},
        {"op": "<>", "args": [prop("gsd"), 6]},
    ]}


def test_other_filter_forms() -> None:
    assert Query(filters={"eo:cloud_cover": (None, 10)}).to_cql2() == {
        "op": "<=", "args": [prop("eo:cloud_cover"), 10]}  # one condition: no "and"
    assert Query(filters=[("eo:cloud_cover", "lte", 10)]).filters == (Filter("eo:cloud_cover", "<=", 10),)
    assert Query(filters=[Filter("platform", "in", ("spot-6",))]).to_cql2() == {
        "op": "in", "args": [prop("platform"), ["spot-6"]]}
    assert set(Query(filters={"platform": {"spot-7", "spot-6"}}).filters[0].values()) == {"spot-6", "spot-7"}
    starts = Query(filters={"dinamis:city": ("startsWith", "Mont")}).filters[0]
    assert starts == Filter("dinamis:city", "like", "Mont%")
    assert Query(filters={"dinamis:city": ("contains", "pel")}).filters[0].value == "%pel%"
    # dates: timestamps, and a date as upper bound covers its whole day
    q = Query(filters={"datetime": ("2025-06-01", "2025-06-30")})
    assert q.to_cql2()["args"][1] == {"op": "<=", "args": [prop("datetime"),
                                                            {"timestamp": "2025-06-30T23:59:59.999999Z"}]}
    assert Query(filters={"datetime": (">=", dt.datetime(2025, 6, 1, tzinfo=UTC))}).to_cql2() == {
        "op": ">=", "args": [prop("datetime"), {"timestamp": "2025-06-01T00:00:00Z"}]}
    # a raw CQL2-JSON expression is ANDed
    either = {"op": "or", "args": [{"op": "=", "args": [prop("platform"), "spot-6"]},
                                   {"op": "<", "args": [prop("eo:cloud_cover"), 5]}]}
    assert Query(filters={"processing:level": "ORTHO"}, cql2=either).to_cql2()["args"][1] == either


@pytest.mark.parametrize(("filters", "pattern"), [
    ({"platform": ("spot-6", "spot-7")}, "is a range.*give a list"),
    ({"eo:cloud_cover": ("~", 3)}, "Unknown operator '~'"),
    ({"eo:cloud_cover": ("in", 3)}, "'in' needs a list"),
    ({"platform": []}, "'in' needs a non-empty list"),
    ({"eo:cloud_cover": (30, 10)}, "low > high"),
    ({"eo:cloud_cover": (None, None)}, "no bound"),
    ({"eo:cloud_cover": float("nan")}, "not a finite number"),
    ({"eo:cloud_cover": ("<=", None)}, "needs a value"),
    ({"eo:cloud_cover": object()}, "cannot compare with a object"),
    ({"": 3}, "property names"),
    ("cloud < 3", "Cannot read filters from a str"),
])
def test_filter_errors(filters: object, pattern: str) -> None:
    with pytest.raises(QueryError, match=pattern):
        Query(filters=filters)


def test_cql2_must_be_json() -> None:
    with pytest.raises(QueryError, match="cql2-text is not accepted"):
        Query(cql2="eo:cloud_cover < 5")
    assert Query(cql2='{"op": "<", "args": [{"property": "eo:cloud_cover"}, 5]}').cql2 == {
        "op": "<", "args": [prop("eo:cloud_cover"), 5]}


# -- queryables ----------------------------------------------------------------------------------

def test_unknown_property_lists_the_known_ones() -> None:
    with pytest.raises(QueryError) as err:
        Query("SPOT67_HCF_GS1", filters={"cloud_cover": ("<=", 10)}).to_cql2(QUERYABLES)
    message = err.value.message
    assert "Unknown property 'cloud_cover'" in message and "Did you mean 'eo:cloud_cover'?" in message
    assert "SPOT67_HCF_GS1" in message
    assert "Use one of the known properties: collection, datetime, dinamis:city, eo:cloud_cover" in message
    with pytest.raises(QueryError, match="Unknown property 'nope' in the cql2 expression"):
        Query(cql2={"op": "=", "args": [prop("nope"), 1]}).to_cql2(QUERYABLES)
    with pytest.raises(QueryError, match="Unknown property 'cloudiness' in the sort"):
        Query(sortby="cloudiness").to_search_kwargs(None, QUERYABLES)
    # the core properties need no queryable; the bare "properties" mapping works as well as the schema
    assert Query(filters={"collection": "X", "id": ["a"]}).to_cql2(QUERYABLES)["op"] == "and"
    assert Query(filters={"platform": "spot-6"}).to_cql2(QUERYABLES["properties"]) is not None


@pytest.mark.parametrize(("filters", "pattern"), [
    ({"eo:cloud_cover": ("<=", "20")}, "it is a number, but '20' is a string"),
    ({"eo:cloud_cover": [1, "2"]}, "it is a number, but '2'"),
    ({"eo:cloud_cover": True}, "it is a number, but True is a boolean"),
    ({"eo:cloud_cover": "1%"}, "'like' .* does not apply"),
    ({"platform": 6}, "it is text, but 6 is a number. Give a string among 'spot-6', 'spot-7'"),
    ({"datetime": ("<=", 2025)}, "it is a date, but 2025"),
    ({"instruments": ("<", "naomi")}, "only '=', '<>' and a list"),
])
def test_values_are_checked_against_queryables(filters: object, pattern: str) -> None:
    with pytest.raises(QueryError, match=pattern):
        Query(filters=filters).to_cql2(QUERYABLES)


def test_queryables_shape_the_expression() -> None:
    with pytest.warns(QueryWarning, match="'spot-8' is not among the values"):
        Query(filters={"platform": "spot-8"}).to_cql2(QUERYABLES)
    assert Query(filters={"instruments": "naomi"}).to_cql2(QUERYABLES) == {
        "op": "a_contains", "args": [prop("instruments"), ["naomi"]]}
    assert Query(filters={"instruments": ["naomi"]}).to_cql2(QUERYABLES)["op"] == "a_overlaps"
    assert Query(filters={"datetime": (">=", "2025-06-01")}).to_cql2(QUERYABLES) == {
        "op": ">=", "args": [prop("datetime"), {"timestamp": "2025-06-01T00:00:00Z"}]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Query(filters={"platform": ["spot-6", "spot-7"], "eo:cloud_cover": 3}).to_cql2(QUERYABLES)


# -- search arguments and the query-extension fallback ------------------------------------------

def test_search_kwargs() -> None:
    q = Query(["SPOT67_HCF_GS1"], aoi=(3.85, 43.59, 3.9, 43.63), datetime="2026",
              filters={"eo:cloud_cover": ("<", 20)}, ids="a,b", fields=["-assets"], limit=50, max_items=20)
    assert q.to_search_kwargs(FULL, QUERYABLES) == {
        "collections": ["SPOT67_HCF_GS1"], "ids": ["a", "b"], "bbox": [3.85, 43.59, 3.9, 43.63],
        "datetime": "2026-01-01T00:00:00Z/2026-12-31T23:59:59.999999Z",
        "filter": {"op": "<", "args": [prop("eo:cloud_cover"), 20]}, "filter_lang": "cql2-json",
        "sortby": [{"field": "datetime", "direction": "desc"}], "limit": 20, "max_items": 20,
        "fields": {"include": [], "exclude": ["assets"]},
    }
    polygon = Query(aoi="POLYGON ((3.8 43.5, 3.9 43.5, 3.85 43.6, 3.8 43.5))").to_search_kwargs()
    assert polygon["intersects"]["type"] == "Polygon" and "bbox" not in polygon
    assert Query(max_items=None).to_search_kwargs()["limit"] == 100
    assert "max_items" not in Query(max_items=None).to_search_kwargs()


def test_fallback_to_the_query_extension() -> None:
    q = Query(filters={"eo:cloud_cover": (0, 20), "platform": ["spot-6"], "dinamis:city": "Mont%",
                       "processing:level": "ORTHO", "datetime": (">=", "2025-01-01")})
    kw = q.to_search_kwargs(NO_FILTER, QUERYABLES)
    assert "filter" not in kw and "filter_lang" not in kw
    assert kw["query"] == {"eo:cloud_cover": {"gte": 0, "lte": 20}, "platform": {"in": ["spot-6"]},
                           "dinamis:city": {"startsWith": "Mont"}, "processing:level": {"eq": "ORTHO"},
                           "datetime": {"gte": "2025-01-01T00:00:00Z"}}
    ends = Query(filters={"dinamis:city": "%ier"}).to_query_extension()
    assert ends == {"dinamis:city": {"endsWith": "ier"}}
    contains = Query(filters={"dinamis:city": "%pel%"}).to_query_extension()
    assert contains == {"dinamis:city": {"contains": "pel"}}
    # what the query extension cannot say
    for bad, pattern in [({"dinamis:city": "M%p%"}, "cannot express"),
                         ({"eo:cloud_cover": None}, "cannot express"),
                         ({"instruments": "naomi"}, "holds a list")]:
        with pytest.raises(QueryError, match=pattern):
            Query(filters=bad).to_search_kwargs(NO_FILTER, QUERYABLES)
    with pytest.raises(QueryError, match="cql2 expression cannot be sent"):
        Query(cql2={"op": "=", "args": [prop("platform"), "spot-6"]}).to_search_kwargs(NO_FILTER)
    with pytest.raises(QueryError, match="takes one 'gte' per property"):
        Query(filters=[("gsd", ">=", 1), ("gsd", ">=", 2)]).to_search_kwargs(NO_FILTER)
    with pytest.raises(QueryError, match="neither the filter"):
        Query(filters={"platform": "spot-6"}).to_search_kwargs([f"{STAC}/core"])


def test_missing_sort_or_fields_conformance() -> None:
    bare = [f"{STAC}/core", f"{STAC}/item-search"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "sortby" not in Query().to_search_kwargs(bare)  # the default sort is dropped silently
    with pytest.warns(QueryWarning, match="cannot sort"):
        assert "sortby" not in Query(sortby="eo:cloud_cover").to_search_kwargs(bare)
    with pytest.warns(QueryWarning, match="no fields extension"):
        assert "fields" not in Query(fields="-assets").to_search_kwargs(bare)


def test_conformance_matching() -> None:
    assert conforms(FULL, "filter") and conforms(FULL, "sort") and conforms(FULL, "query")
    assert not conforms(NO_FILTER, "filter")
    assert not conforms(["https://example.org/item-search#filter"], "filter")


# -- the dataclass --------------------------------------------------------------------------------

def test_query_is_frozen_normalised_and_comparable() -> None:
    a = Query("SPOT67_HCF_GS1", bbox=[3.85, 43.59, 3.9, 43.63], datetime=dt.date(2026, 2, 24),
              filters={"eo:cloud_cover": ("lte", 20)})
    b = Query(["SPOT67_HCF_GS1"], aoi="3.85,43.59,3.9,43.63", datetime="2026-02-24",
              filters=[("eo:cloud_cover", "<=", 20)], sortby="-datetime")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.sortby == DEFAULT_SORTBY
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.limit = 3  # type: ignore[misc]
    assert a.replace(limit=3).limit == 3 and a.limit == 100
    assert a.replace(bbox=(3.8, 43.5, 3.9, 43.7)).aoi.bbox == (3.8, 43.5, 3.9, 43.7)
    assert dataclasses.replace(a, max_items=7).max_items == 7
    with pytest.raises(QueryError, match=r"parameter 'colections'\. Did you mean 'collections'"):
        a.replace(colections=["x"])
    assert Query(sortby=["eo:cloud_cover", "-datetime"]).sortby == (("eo:cloud_cover", "asc"),
                                                                    ("datetime", "desc"))
    assert Query(sortby=[{"field": "properties.gsd", "direction": "DESC"}]).sortby == (("gsd", "desc"),)
    assert Query(sortby=None).sortby == ()
    assert Query(collections="A, B,A").collections == ("A", "B")
    assert Query(collections=[]).collections is None
    hash(Query(cql2={"op": "=", "args": [prop("a"), 1]}))


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"limit": 0}, "limit must be a whole number >= 1"),
    ({"max_items": -1}, "max_items must be .* or None"),
    ({"sortby": "datetime sideways"}, "direction is 'asc' or 'desc'"),
    ({"aoi": (1, 2, 3, 4), "bbox": (1, 2, 3, 4)}, "Give one area of interest, not aoi and bbox"),
    ({"collections": [1]}, "Collections must be strings"),
])
def test_query_errors(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(QueryError, match=pattern):
        Query(**kwargs)  # type: ignore[arg-type]


def test_to_code_is_valid_python() -> None:
    q = Query("SPOT67_HCF_GS1", aoi="POLYGON ((3.8 43.5, 3.9 43.5, 3.85 43.6, 3.8 43.5))",
              datetime=("2025-01-01", None), filters={"eo:cloud_cover": (0, 20), "dinamis:city": "Mont%",
                                                      "processing:level": "ORTHO", "platform": ["spot-6"]},
              sortby="eo:cloud_cover", max_items=None)
    dw_code = q.to_code(catalog="https://stac.example.org/")
    compile(dw_code, "<dw>", "exec")
    assert "dw.open_catalog('https://stac.example.org/')" in dw_code
    assert "'eo:cloud_cover': (0, 20)" in dw_code and "'dinamis:city': ('like', 'Mont%')" in dw_code
    pc_code = q.to_code("pystac-client", catalog="https://stac.example.org/")
    compile(pc_code, "<pc>", "exec")
    assert "filter_lang='cql2-json'" in pc_code and "Client.open('https://stac.example.org/')" in pc_code
    assert "query=" in q.to_code("pystac-client", catalog="https://x.org/", conformance=NO_FILTER)
    # several conditions on one property: the list-of-triples form
    two = Query(filters=[("gsd", ">", 1), ("gsd", "!=", 6)]).to_code(catalog="https://x.org/")
    assert "filters=[('gsd', '>', 1), ('gsd', '<>', 6)]" in two
    with pytest.raises(QueryError, match="Unknown code style"):
        q.to_code("fortran", catalog="https://x.org/")

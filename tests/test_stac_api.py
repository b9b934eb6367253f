"""The twin's STAC API: the independent validator, and pystac-client searches checked against the items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from pystac_client import Client
from pystac_client.exceptions import APIError
from shapely.geometry import box, shape

from tests.offline_schemas import offline_schemas


def _dt(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))


def _ids(found: Any) -> list[str]:
    return sorted(i.id for i in found)


def _expect(items: list[dict[str, Any]], pred: Any) -> list[str]:
    return sorted(i["id"] for i in items if pred(i))


@pytest.fixture(scope="module")
def client(twin: Any) -> Client:
    return Client.open(twin.stac_api)


@pytest.fixture(scope="module")
def spot_items(twin_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in twin_items if i["collection"] == "SPOT67_HCF_GS1"]


def test_stac_api_validator_passes(twin: Any, spot_items: list[dict[str, Any]]) -> None:
    from stac_api_validator.validations import QueryConfig, validate_api

    geometry = json.dumps(spot_items[0]["geometry"])
    with offline_schemas() as served:
        warnings, errors = validate_api(
            root_url=twin.stac_api,
            # Left out, each covered by a test of ours below:
            # - query: stac-fastapi-pgstac implements only the comparison operators, while the validator
            #   also tries startsWith/contains/in (test_query_extension_comparisons);
            # - item-search#sort: the validator POSTs "collections" as a string, not an array, which the
            #   API rightly refuses (test_sortby_is_numeric);
            # - item-search#fields: it wants application/geo+json for field-filtered answers, which
            #   stac-fastapi sends as application/json (test_fields_include_exclude).
            ccs_to_validate=["core", "collections", "features", "item-search", "filter",
                             "features#sort", "features#fields"],
            collection="SPOT67_HCF_GS1",
            geometry=geometry,
            auth_bearer_token=None,
            auth_query_parameter=None,
            fields_nested_property="properties.eo:cloud_cover",
            validate_pagination=True,
            query_config=QueryConfig(*([None] * 13)),
            transaction_collection=None,
            headers={},
            open_assets_urls=False,
        )
    assert list(errors) == [], "\n".join(errors)
    # the schemas really were validated (served from local copies), not skipped
    assert any("schemas.stacspec.org" in u or "stac-extensions" in u for u in served)
    print(f"stac-api-validator: {len(list(warnings))} warnings, 0 errors")


def test_collections_are_all_there(client: Client, twin: Any) -> None:
    expected = sorted(c["id"] for c in twin.scenes.collections())
    assert sorted(c.id for c in client.get_collections()) == expected
    assert {"SPOT67_HCF_GS1", "SEASG-TA-PHR-FR-GUF", "SEASG-TA-PNeo-FR-GUF",
            "SEASG-TA-PHR-FR-GLP", "SEASG-TA-PHR-FR-MTQ"} <= set(expected)


def test_search_bbox(client: Client, twin_items: list[dict[str, Any]],
                     spot_items: list[dict[str, Any]]) -> None:
    g = shape(spot_items[0]["geometry"])
    minx, miny, maxx, maxy = g.bounds
    bbox = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    found = _ids(client.search(bbox=bbox, max_items=None).items())
    expected = _expect(twin_items, lambda i: shape(i["geometry"]).intersects(box(*bbox)))
    assert found == expected
    assert len(found) >= 3, "several dates over the same place"


def test_search_intersects(client: Client, twin_items: list[dict[str, Any]]) -> None:
    guf = [i for i in twin_items if i["collection"] == "SEASG-TA-PHR-FR-GUF"]
    aoi = shape(guf[0]["geometry"]).centroid.buffer(0.002)
    found = _ids(client.search(intersects=aoi.__geo_interface__, max_items=None).items())
    assert found == _expect(twin_items, lambda i: shape(i["geometry"]).intersects(aoi))
    assert found


def test_search_datetime(client: Client, twin_items: list[dict[str, Any]]) -> None:
    dates = sorted({_dt(i) for i in twin_items})
    lo, hi = dates[1], dates[-2]
    rng = f"{lo.isoformat()}/{hi.isoformat()}"
    assert _ids(client.search(datetime=rng, max_items=None).items()) == \
        _expect(twin_items, lambda i: lo <= _dt(i) <= hi)
    # open-ended
    assert _ids(client.search(datetime=f"../{lo.isoformat()}", max_items=None).items()) == \
        _expect(twin_items, lambda i: _dt(i) <= lo)


def test_search_collections_and_ids(client: Client, twin_items: list[dict[str, Any]]) -> None:
    colls = ["SEASG-TA-PHR-FR-GLP", "SEASG-TA-PHR-FR-MTQ"]
    assert _ids(client.search(collections=colls, max_items=None).items()) == \
        _expect(twin_items, lambda i: i["collection"] in colls)
    some = [twin_items[0]["id"], twin_items[-1]["id"]]
    assert _ids(client.search(ids=some, max_items=None).items()) == sorted(some)


def test_filter_cql2_json(client: Client, twin_items: list[dict[str, Any]]) -> None:
    flt = {"op": "and", "args": [
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 20]},
        {"op": "=", "args": [{"property": "processing:level"}, "ORTHO"]},
    ]}
    found = _ids(client.search(filter=flt, filter_lang="cql2-json", max_items=None).items())
    expected = _expect(twin_items, lambda i: i["properties"].get("eo:cloud_cover", 1e9) < 20
                       and i["properties"].get("processing:level") == "ORTHO")
    assert found == expected and found


def test_filter_cql2_text_get(client: Client, twin_items: list[dict[str, Any]]) -> None:
    text = "view:incidence_angle <= 15 AND dinamis:provider = 'SEAS Guyane'"
    found = _ids(client.search(filter=text, filter_lang="cql2-text", method="GET",
                               max_items=None).items())
    expected = _expect(twin_items, lambda i: i["properties"].get("view:incidence_angle", 1e9) <= 15
                       and i["properties"].get("dinamis:provider") == "SEAS Guyane")
    assert found == expected and found


def test_query_extension_comparisons(client: Client, spot_items: list[dict[str, Any]]) -> None:
    values = sorted(i["properties"]["eo:cloud_cover"] for i in spot_items)
    mid = values[len(values) // 2]
    for op, pred in (("lt", lambda v: v < mid), ("gte", lambda v: v >= mid), ("eq", lambda v: v == mid),
                     ("neq", lambda v: v != mid)):
        found = _ids(client.search(collections=["SPOT67_HCF_GS1"], query={"eo:cloud_cover": {op: mid}},
                                   max_items=None).items())
        assert found == _expect(spot_items, lambda i, p=pred: p(i["properties"]["eo:cloud_cover"])), op


def test_sortby_is_numeric(client: Client, twin_items: list[dict[str, Any]]) -> None:
    with_cc = [i for i in twin_items if "eo:cloud_cover" in i["properties"]]
    values = [i["properties"]["eo:cloud_cover"] for i in with_cc]
    # a textual sort would differ from a numeric one on these values
    assert sorted(values) != sorted(values, key=str)
    for direction, reverse in (("+", False), ("-", True)):
        got = [i.properties["eo:cloud_cover"] for i in client.search(
            sortby=f"{direction}properties.eo:cloud_cover", max_items=None).items()
            if "eo:cloud_cover" in i.properties]
        assert got == sorted(values, reverse=reverse)


def test_fields_include_exclude(client: Client) -> None:
    items = list(client.search(collections=["SPOT67_HCF_GS1"], max_items=2,
                               fields={"include": ["properties.eo:cloud_cover"],
                                       "exclude": ["assets"]}).items_as_dicts())
    assert items
    for i in items:
        assert "assets" not in i
        assert "eo:cloud_cover" in i["properties"]
        assert "view:incidence_angle" not in i["properties"]


def test_paging_follows_next_links(client: Client, twin_items: list[dict[str, Any]]) -> None:
    search = client.search(limit=2, max_items=None)
    pages = list(search.pages_as_dicts())
    assert len(pages) == -(-len(twin_items) // 2)
    assert all(len(p["features"]) <= 2 for p in pages)
    assert any(link["rel"] == "next" for link in pages[0]["links"])
    assert sorted(f["id"] for p in pages for f in p["features"]) == \
        sorted(i["id"] for i in twin_items)


def test_queryables_per_collection_are_typed(twin: Any, spot_items: list[dict[str, Any]]) -> None:
    r = requests.get(f"{twin.stac_api}collections/SPOT67_HCF_GS1/queryables", timeout=10)
    r.raise_for_status()
    props = r.json()["properties"]
    for name in ("eo:cloud_cover", "view:incidence_angle", "eo:snow_cover", "gsd"):
        assert props[name]["type"] == "number", name
    platforms = {i["properties"]["platform"] for i in spot_items}
    assert set(props["platform"]["enum"]) == platforms
    guf = requests.get(f"{twin.stac_api}collections/SEASG-TA-PHR-FR-GUF/queryables",
                       timeout=10).json()["properties"]
    assert set(guf["platform"]["enum"]).isdisjoint(platforms)


@pytest.mark.parametrize("kwargs", [
    {"bbox": [10, 10, 5, 5]},                         # min > max
    {"datetime": "2026-13-45"},                       # not a date
    {"filter": {"op": "<<", "args": [1, 2]}, "filter_lang": "cql2-json"},  # no such operator
])
def test_invalid_parameters_are_errors(client: Client, kwargs: dict[str, Any]) -> None:
    with pytest.raises((APIError, ValueError)):
        list(client.search(max_items=5, **kwargs).items())


def test_unsupported_cql2_text_by_post_is_an_error_not_a_silent_answer(twin: Any) -> None:
    r = requests.post(f"{twin.stac_api}search", timeout=10, json={
        "filter": "eo:cloud_cover < 0", "filter-lang": "cql2-text", "limit": 1})
    assert r.status_code >= 400


def test_unknown_collection_is_not_found(twin: Any) -> None:
    r = requests.get(f"{twin.stac_api}collections/NO-SUCH-COLLECTION", timeout=10)
    assert r.status_code == 404


def test_dates_are_recent_and_tz_aware(twin_items: list[dict[str, Any]]) -> None:
    assert all(_dt(i).tzinfo is not None and _dt(i) < datetime.now(UTC) for i in twin_items)

"""open_catalog and search against the twin, checked against the generated items computed locally."""

from __future__ import annotations

import json
import socket
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pystac
import pytest
from shapely.geometry import box, shape

import dinamis_widgets as dw
from dinamis_widgets.catalog.client import DinamisClient, profile_of
from dinamis_widgets.catalog.queryables import fetch_queryables
from dinamis_widgets.catalog.results import COLUMNS, Results
from dinamis_widgets.catalog.searching import search_pages
from dinamis_widgets.errors import ConfigurationError, QueryError, SearchError
from dinamis_widgets.twin.scenes import DINAMIS_COLLECTIONS
from dinamis_widgets.warnings import NotSignableWarning, SearchWarning

ROCHEFORT = (-0.99, 45.92, -0.93, 45.96)
SPOT = "SPOT67_HCF_GS1"


def _dt(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))


def _expect(items: list[dict[str, Any]], pred: Any) -> list[str]:
    return sorted(i["id"] for i in items if pred(i))


def _ids(results: Any) -> list[str]:
    return sorted(i.id for i in results)


@pytest.fixture(scope="module")
def client(twin: Any) -> Any:
    return dw.open_catalog()


# -- open_catalog ---------------------------------------------------------------------------------

def test_open_catalog_finds_the_twin_from_the_environment(twin: Any, client: Any) -> None:
    assert client.get_self_href().rstrip("/") == twin.stac_api.rstrip("/")
    profile = profile_of(client)
    assert profile is client.dinamis_profile
    assert profile.name == "twin" and profile.signing_endpoint == twin.signing
    assert profile.needs_signing(twin.data + "/b/k.tif")
    assert client.modifier is None  # signed on demand, not at search time
    assert dw.open_catalog(twin.stac_api).dinamis_profile.stac_api == twin.stac_api
    from pystac_client import Client

    assert profile_of(Client.open(twin.stac_api)).name == "twin"  # found from the URL
    assert dw.open_catalog("twin").get_self_href().rstrip("/") == twin.stac_api.rstrip("/")


def test_open_catalog_errors_name_the_url_and_profile(twin: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(SearchError, match=f"Cannot reach the STAC API at {url}") as err:
        dw.open_catalog(url)
    assert err.value.status is None
    with pytest.raises(ConfigurationError, match="Unknown catalogue profile 'nope'"):
        dw.open_catalog("nope")
    with pytest.raises(SearchError, match="HTTP 404"):
        dw.open_catalog(twin.stac_api + "collections/NOPE/")


def test_open_catalog_returns_a_dinamis_client(twin: Any, client: Any) -> None:
    from pystac_client import Client

    assert isinstance(client, DinamisClient) and isinstance(client, Client)
    assert isinstance(vars(DinamisClient)["dinamis_profile"], property)  # a property, not a patched attribute
    assert DinamisClient.open(twin.stac_api).dinamis_profile.name == "twin"  # profile of the URL
    # the twin declares sort in STAC API 1.1: pystac-client's Client knows 1.0 only, a DinamisClient any 1.x
    plain = Client.open(twin.stac_api)
    assert not plain.conforms_to("SORT") and client.conforms_to("SORT")
    assert client.conforms_to("FILTER") and client.conforms_to("ITEM_SEARCH")
    assert not client.conforms_to("TRANSACTION")


def test_queryables_of_a_plain_client_are_cached_without_touching_it(twin: Any) -> None:
    from pystac_client import Client

    plain = Client.open(twin.stac_api)
    attributes = set(vars(plain))
    calls: list[str] = []
    original = plain.get_queryables_from
    plain.get_queryables_from = lambda url: calls.append(url) or original(url)  # type: ignore[method-assign]
    try:
        assert fetch_queryables(plain, [SPOT]) == fetch_queryables(plain, [SPOT])
        assert len(calls) == 1
    finally:
        del plain.get_queryables_from
    assert set(vars(plain)) == attributes


@contextmanager
def _filter_changes() -> Iterator[list[str]]:
    """Record every call that changes the warning filters, in any thread (a profiler, not a patch)."""
    changes = {"simplefilter", "filterwarnings", "resetwarnings", "_add_filter", "__enter__"}
    seen: list[str] = []

    def spy(frame: Any, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call" and code.co_name in changes and code.co_filename == warnings.__file__:
            seen.append(f"{code.co_name} in {threading.current_thread().name}")

    sys.setprofile(spy)
    threading.setprofile(spy)
    try:
        yield seen
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        sys.setprofile(None)


def test_no_catalogue_operation_changes_the_warning_filters(twin: Any) -> None:
    """open_catalog, fetch_queryables and search leave the process's warning filters alone, in the main
    thread and in worker threads (warnings.catch_warnings is not thread-safe), and pystac-client has
    nothing to warn about: what it is sent is what the API declares."""
    from pystac_client.warnings import PystacClientWarning

    warm = dw.open_catalog()  # imports done outside the spied part
    dw.search(catalog=warm, collections=SPOT, datetime="2026-02-24")

    def operations() -> list[str]:
        client = dw.open_catalog()
        fetch_queryables(client, [SPOT], refresh=True)
        found = dw.search(catalog=client, collections=SPOT, filters={"eo:cloud_cover": ("<=", 50)},
                          sortby="-eo:cloud_cover", fields=["-properties.dinamis:city"], max_items=None)
        pages = list(search_pages(catalog=client, limit=3, max_items=5))
        with pytest.raises(QueryError, match="Unknown collection"):
            dw.search(catalog=client, collections="NOPE", filters={"gsd": (0, 10)})
        return found.ids + [i for p in pages for i in p.ids]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        with _filter_changes() as changes:
            here = operations()
            with ThreadPoolExecutor(1, thread_name_prefix="search") as pool:
                in_thread = pool.submit(operations).result()
        after = list(warnings.filters)
    assert changes == [] and before == after
    assert here and in_thread == here
    assert [str(w.message) for w in caught if issubclass(w.category, PystacClientWarning)] == []


# -- search against the items ---------------------------------------------------------------------

def test_bbox_and_intersects(client: Any, twin_items: list[dict[str, Any]]) -> None:
    found = dw.search(catalog=client, bbox=ROCHEFORT)
    assert _ids(found) == _expect(twin_items, lambda i: shape(i["geometry"]).intersects(box(*ROCHEFORT)))
    assert len([i for i in found if i.collection_id in DINAMIS_COLLECTIONS]) == 5
    triangle = {"type": "Polygon",
                "coordinates": [[[3.85, 43.59], [3.90, 43.59], [3.88, 43.63], [3.85, 43.59]]]}
    found = dw.search(catalog=client, aoi=triangle)
    assert _ids(found) == _expect(twin_items, lambda i: shape(i["geometry"]).intersects(shape(triangle)))
    dinamis = [i for i in found if i.collection_id in DINAMIS_COLLECTIONS]
    assert dinamis and all(i.collection_id == SPOT for i in dinamis)
    # across the antimeridian: nothing there (a raw west > east bbox would return the whole world)
    assert len(dw.search(catalog=client, aoi=(170, -10, -170, 10))) == 0


def test_datetime(client: Any, twin_items: list[dict[str, Any]]) -> None:
    day = dw.search(catalog=client, datetime="2026-02-24")
    assert _ids(day) == _expect(twin_items, lambda i: _dt(i).date().isoformat() == "2026-02-24")
    assert len([i for i in day if i.collection_id == SPOT]) == 2  # the ORTHO scene and its BRUT twin
    since = dw.search(catalog=client, datetime=("2026-01-01", None))
    assert _ids(since) == _expect(twin_items, lambda i: _dt(i) >= datetime(2026, 1, 1, tzinfo=UTC))
    until = dw.search(catalog=client, datetime=(None, "2025-06-30"))
    assert _ids(until) == _expect(twin_items, lambda i: _dt(i) < datetime(2025, 7, 1, tzinfo=UTC))


def test_filters(client: Any, twin_items: list[dict[str, Any]]) -> None:
    def p(i: dict[str, Any], k: str) -> Any:
        return i["properties"].get(k)

    found = dw.search(catalog=client, collections=SPOT, filters={
        "eo:cloud_cover": ("<=", 12), "processing:level": "ORTHO", "platform": ["spot-6", "spot-7"],
        "view:incidence_angle": (5, 22)})
    assert _ids(found) == _expect(twin_items, lambda i: i["collection"] == SPOT
                                  and p(i, "eo:cloud_cover") <= 12 and p(i, "processing:level") == "ORTHO"
                                  and 5 <= p(i, "view:incidence_angle") <= 22)
    assert len(found) == 5
    like = dw.search(catalog=client, filters={"dinamis:city": "Fort%", "dinamis:provider": "SEAS Guyane"})
    assert _ids(like) == _expect(twin_items, lambda i: str(p(i, "dinamis:city")).startswith("Fort"))
    ids = _expect(twin_items, lambda i: "BRUT" in i["id"])
    assert _ids(dw.search(catalog=client, ids=ids)) == ids
    assert _ids(dw.search(catalog=client, filters={"processing:level": "BRUT"})) == ids


def test_sorting_defaults_to_newest_first(client: Any, twin_items: list[dict[str, Any]]) -> None:
    found = dw.search(catalog=client)
    assert len(found) == len(twin_items)
    dates = [i.datetime for i in found]
    assert dates == sorted(dates, reverse=True)
    # (the twin's spot-6-7-drs and super-sentinel-2-l2a items have no cloud cover)
    clouds = [i.properties["eo:cloud_cover"] for i in dw.search(catalog=client, sortby="eo:cloud_cover")
              if "eo:cloud_cover" in i.properties]
    assert clouds == sorted(clouds)  # numeric, not textual, order
    clouds = [i.properties["eo:cloud_cover"] for i in dw.search(catalog=client, sortby="-eo:cloud_cover")
              if "eo:cloud_cover" in i.properties]
    assert clouds == sorted(clouds, reverse=True)


def test_limit_paging_and_max_items(client: Any, twin_items: list[dict[str, Any]]) -> None:
    every = dw.search(catalog=client, limit=4, max_items=None)
    assert _ids(every) == sorted(i["id"] for i in twin_items) and not every.truncated
    pages = list(search_pages(catalog=client, limit=4, max_items=None))
    n = len(twin_items)
    assert [len(p) for p in pages] == [4] * (n // 4) + ([n % 4] if n % 4 else [])
    assert [i.id for p in pages for i in p] == every.ids
    with pytest.warns(SearchWarning, match="stopped at max_items=5"):
        five = dw.search(catalog=client, limit=2, max_items=5)
    assert five.ids == every.ids[:5] and five.truncated
    capped = list(search_pages(catalog=client, limit=4, max_items=6))
    assert [len(p) for p in capped] == [4, 2] and capped[-1].truncated
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = dw.search(catalog=client, limit=7, max_items=len(twin_items))
    assert len(exact) == len(twin_items) and not exact.truncated
    empty = dw.search(catalog=client, collections=SPOT, datetime="1999")
    assert len(empty) == 0 and empty.matched == 0 and isinstance(empty, Results)


def test_query_object_and_keywords(client: Any) -> None:
    q = dw.Query(SPOT, bbox=ROCHEFORT, filters={"processing:level": "ORTHO"})
    found = dw.search(q, catalog=client)
    assert found.query == q and len(found) == 4
    assert dw.search(q, catalog=client, max_items=2).ids == found.ids[:2]
    with pytest.raises(QueryError, match="Did you mean 'collections'"):
        dw.search(catalog=client, colections=[SPOT])


# -- errors ---------------------------------------------------------------------------------------

def test_invalid_input_is_a_query_error_before_any_request(client: Any) -> None:
    with pytest.raises(QueryError, match=r"Unknown property 'cloud_cover'.*Did you mean 'eo:cloud_cover'"):
        dw.search(catalog=client, collections=SPOT, filters={"cloud_cover": ("<", 10)})
    with pytest.raises(QueryError, match="it is a number, but '10' is a string"):
        dw.search(catalog=client, filters={"eo:cloud_cover": ("<", "10")})
    with pytest.raises(QueryError, match=r"Unknown collection 'SPOT67_HCF_GS2'.*mean 'SPOT67_HCF_GS1'"):
        dw.search(catalog=client, collections="SPOT67_HCF_GS2")
    with pytest.raises(QueryError, match="latitude, longitude"):
        dw.search(catalog=client, bbox=(45.92, -0.99, 45.96, -0.93))


def test_api_errors_keep_status_and_message(client: Any) -> None:
    with pytest.raises(SearchError) as err:
        dw.search(catalog=client, cql2={"op": "=", "args": [{"property": "datetime"}, {"timestamp": "bad"}]})
    assert err.value.status == 400
    assert "Datetime parameter" in err.value.service_message
    assert "HTTP 400" in err.value.message and client.get_self_href() in err.value.message


def test_queryables_are_merged_and_cached(client: Any) -> None:
    merged = fetch_queryables(client, [SPOT, "SEASG-TA-PHR-FR-GUF"])
    assert merged["eo:cloud_cover"]["type"] == "number"
    assert {"spot-6", "spot-7", "phr-1a", "phr-1b"} <= set(merged["platform"]["enum"])
    calls: list[str] = []
    original = client.get_queryables_from
    client.get_queryables_from = lambda url: calls.append(url) or original(url)
    try:
        assert fetch_queryables(client, ["SEASG-TA-PHR-FR-GUF", SPOT]) == merged
        assert calls == []
        fetch_queryables(client, [SPOT], refresh=True)
        assert len(calls) == 1
    finally:
        del client.get_queryables_from


def test_fallback_to_query_extension_against_the_twin(twin: Any, twin_items: list[dict[str, Any]]) -> None:
    bare = dw.open_catalog()  # an API without filter: the twin's conformance, minus item-search#filter
    bare.set_conforms_to([u for u in bare.get_conforms_to() if not u.endswith("#filter")])
    filters = {"eo:cloud_cover": (0, 10), "processing:level": "ORTHO", "platform": ("<>", "spot-7")}
    found = dw.search(catalog=bare, filters=filters)
    kwargs = found.query.to_search_kwargs(bare)
    assert "filter" not in kwargs
    assert kwargs["query"] == {"eo:cloud_cover": {"gte": 0, "lte": 10}, "processing:level": {"eq": "ORTHO"},
                               "platform": {"neq": "spot-7"}}
    assert _ids(found) == _ids(dw.search(filters=filters))  # the same items as with CQL2
    assert _ids(found) == _expect(twin_items, lambda i: i["properties"].get("eo:cloud_cover", 1e9) <= 10
                                  and i["properties"].get("processing:level") == "ORTHO"
                                  and i["properties"]["platform"] != "spot-7")
    assert len(found) == 7
    with pytest.raises(QueryError, match="only the query extension"):
        dw.search(catalog=bare, filters={"dinamis:city": "M%p%"})
    # stac-fastapi-pgstac implements only the comparisons of the query extension: its refusal is kept
    with pytest.raises(SearchError, match="HTTP 400") as err:
        dw.search(catalog=bare, filters={"dinamis:city": "Mont%"})
    assert "dinamis:city" in err.value.service_message


# -- results --------------------------------------------------------------------------------------

def test_results_are_an_item_collection(client: Any, twin: Any) -> None:
    found = dw.search(catalog=client, collections=SPOT, bbox=(3.85, 43.59, 3.90, 43.63),
                      filters={"processing:level": "ORTHO"})
    assert isinstance(found, pystac.ItemCollection) and isinstance(found, Results)
    assert len(found) == 3 and all(isinstance(i, pystac.Item) for i in found)
    again = pystac.ItemCollection.from_dict(found.to_dict())
    assert [i.id for i in again] == found.ids
    clone = found.clone()
    assert isinstance(clone, Results) and clone.query == found.query and clone.ids == found.ids
    # hrefs are not signed at search time; dw.sign signs a copy and keeps the type
    assert all("X-Amz-Signature" not in a.href for i in found for a in i.assets.values())
    signed = dw.sign(found, "1h", assets=["multispectral"])
    assert isinstance(signed, Results) and signed.query == found.query
    assert all("X-Amz-Signature=" in i.assets["multispectral"].href for i in signed)
    # odc-stac takes it (lazily: nothing is read)
    import odc.stac

    ds = odc.stac.load(found, bands=["red", "nir"], chunks={}, groupby="solar_day")
    assert set(ds.data_vars) == {"red", "nir"} and ds.sizes["time"] == 3


def test_sign_true_signs_results_as_they_arrive(twin: Any) -> None:
    signing = dw.open_catalog(sign=True, validity="30min")
    with pytest.warns(NotSignableWarning):
        found = dw.search(catalog=signing, collections=SPOT, datetime="2026-02-24")
    by_id = {i.id: i for i in found}
    ortho, brut = by_id["SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1"], by_id[
        "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1_BRUT"]
    assert "X-Amz-Expires=1800" in ortho.assets["multispectral"].href
    assert "X-Amz-Signature" not in brut.assets["multispectral"].href


def test_dataframe_columns_and_values(client: Any, twin_items: list[dict[str, Any]]) -> None:
    found = dw.search(catalog=client, max_items=None)
    df = found.to_dataframe()
    # a mix of shapes (DINAMIS and MTD): every column has a value in some row
    assert list(df.columns) == [c for c, _, _ in COLUMNS] == [
        "sensor", "datetime", "cloud_cover", "incidence_angle", "snow_cover", "platform", "collection",
        "processing_level", "decided_by", "provider", "signable", "tile", "relative_orbit", "city",
        "department", "region", "country", "gsd", "id"]
    assert len(df) == len(twin_items) and list(df["id"]) == found.ids
    by_id = {i["id"]: i for i in twin_items}
    for row in df.itertuples():
        if by_id[row.id]["collection"] not in DINAMIS_COLLECTIONS:
            continue  # the twin's MTD-shaped items have none of these properties
        props = by_id[row.id]["properties"]
        assert row.sensor == props["dinamis:sensor"] and row.cloud_cover == props["eo:cloud_cover"]
        assert row.incidence_angle == props["view:incidence_angle"] and row.gsd == props["gsd"]
        assert row.collection == by_id[row.id]["collection"] and row.city == props["dinamis:city"]
        assert row.datetime == _dt(by_id[row.id])
        signable = props["processing:level"] == "ORTHO" and props["dinamis:provider"] != "Regards"
        assert row.signable == signable
    assert str(df["datetime"].dt.tz) == "UTC" and df["cloud_cover"].dtype == "float64"
    assert df["signable"].dtype == bool and 0 < df["signable"].sum() < len(df)
    assert found.__geo_interface__["features"][0]["id"] == found.ids[0]
    gdf = found.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.iloc[0].equals(shape(by_id[gdf["id"].iloc[0]]["geometry"]))


def test_html_repr_is_safe(client: Any, twin_items: list[dict[str, Any]]) -> None:
    hostile = json.loads(json.dumps(next(i for i in twin_items if i["collection"] == SPOT)))
    hostile["properties"]["title"] = "<script>alert('title')</script>"
    hostile["properties"]["dinamis:city"] = "<img src=x onerror=alert(1)>"
    hostile["id"] = "x\"'><b>id</b>"
    found = dw.search(catalog=client, collections=SPOT, filters={"processing:level": "ORTHO"})
    signed = dw.sign(found, "1h")
    results = Results([pystac.Item.from_dict(hostile), *signed.items], catalog_url="http://h/?<x>")
    page = results._repr_html_()
    assert "<script" not in page and "<img" not in page and "<b>id" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "X-Amz-Signature" not in page and "X-Amz-Signature" not in repr(results)
    assert f"{len(results)} items" in page and page.count("<tr") == 1 + len(results)
    many = Results([pystac.Item.from_dict(hostile)] * 12)._repr_html_()
    assert many.count("<tr") == 1 + Results.html_rows and "first 10 shown" in many
    assert "<Results: 8 items" in repr(results)
    assert "Results" in Results([])._repr_html_()


@pytest.mark.parametrize("style", ["dinamis_widgets", "pystac-client"])
def test_to_code_runs_and_finds_the_same_items(client: Any, style: str) -> None:
    q = dw.Query(SPOT, bbox=(-1.0, 43.0, 4.0, 46.0), datetime=("2025-05-01", None),
                 filters={"eo:cloud_cover": (0, 12), "platform": ["spot-6", "spot-7"], "dinamis:city": "%o%"},
                 sortby="-eo:cloud_cover", max_items=50)
    found = dw.search(q, catalog=client)
    assert len(found) >= 3
    code = found.to_code(style) if style == "dinamis_widgets" else q.to_code(style, catalog=client)
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, f"<{style}>", "exec"), namespace)
    ran = namespace["results" if style == "dinamis_widgets" else "items"]
    assert [i.id for i in ran] == found.ids

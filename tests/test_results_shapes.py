"""Search results of each shape of catalogue as tables: the columns each shape has (none empty for all
rows), their values, and a search's items linked to their collection."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import dinamis_widgets as dw
from dinamis_widgets.catalog.results import COLUMNS, Results

DRS, THEIA, SUPERRES = "spot-6-7-drs", "sentinel2-l2a-theia", "super-sentinel-2-l2a"


@pytest.fixture(scope="module")
def client(twin: Any) -> Any:
    return dw.open_catalog()


def _search(client: Any, *collections: str) -> Results:
    return dw.search(catalog=client, collections=list(collections), max_items=None)


def test_theia_columns_and_values(client: Any, twin_items: list[dict[str, Any]]) -> None:
    found = _search(client, THEIA)
    df = found.to_dataframe()
    assert list(df.columns) == ["sensor", "datetime", "cloud_cover", "platform", "collection",
                                "processing_level", "decided_by", "provider", "signable", "tile",
                                "relative_orbit", "gsd", "id"]
    by_id = {i["id"]: i["properties"] for i in twin_items}
    for row in df.itertuples():
        props = by_id[row.id]
        assert (row.sensor, row.platform) == ("Sentinel-2", props["platform"])
        assert (row.tile, row.relative_orbit, row.cloud_cover) == (
            props["s2:mgrs_tile"], props["sat:relative_orbit"], props["eo:cloud_cover"])
        assert (row.processing_level, row.decided_by, row.provider, row.signable, row.gsd) == (
            "L2A", "item id", "MTD", True, 10.0)
    assert str(df["relative_orbit"].dtype) == "Int64" and df["cloud_cover"].dtype == "float64"
    page = found._repr_html_()
    assert "Tile" in page and "Relative orbit" in page and "Incidence" not in page and "City" not in page


def test_drs_columns_and_values(client: Any) -> None:
    df = _search(client, DRS).to_dataframe()
    assert list(df.columns) == ["sensor", "datetime", "platform", "collection", "processing_level",
                                "decided_by", "provider", "signable", "id"]
    assert set(df["sensor"]) == {"SPOT 6/7"} and set(df["platform"]) == {"spot-6"}  # from the ids
    assert set(df["provider"]) == {"MTD"}
    raw = df[~df["signable"]]
    assert len(raw) == 1 and raw["decided_by"].iloc[0] == "assets"
    assert pd.isna(raw["processing_level"].iloc[0])
    ortho = df[df["signable"]]
    assert len(ortho) == 2 and set(ortho["processing_level"]) == {"ORTHO"}
    assert set(ortho["decided_by"]) == {"the collection's description"}


def test_super_resolved_columns(client: Any) -> None:
    df = _search(client, SUPERRES).to_dataframe()
    assert list(df.columns) == ["sensor", "datetime", "collection", "processing_level", "decided_by",
                                "provider", "signable", "id"]
    assert df.iloc[0][["sensor", "processing_level", "provider"]].tolist() == [
        "Sentinel-2 (super-resolved)", "L2A", "MTD"]


def test_a_mix_of_shapes_keeps_what_some_row_has(client: Any) -> None:
    mix = _search(client, "SPOT67_HCF_GS1", THEIA, DRS)
    df = mix.to_dataframe()
    expected = [c for c, _, _ in COLUMNS]  # every column has a value in some row
    assert list(df.columns) == expected
    for column in df.columns:
        assert df[column].notna().any(), column
    theia = df[df["collection"] == THEIA]
    dinamis = df[df["collection"] == "SPOT67_HCF_GS1"]
    assert theia["city"].isna().all() and dinamis["tile"].isna().all()
    assert set(dinamis["decided_by"]) == {"processing:level"} and set(dinamis["sensor"]) == {"SPOT 6/7"}
    assert df["signable"].dtype == bool
    assert list(Results([]).to_dataframe().columns) == expected  # nothing to judge: every column


def test_a_search_links_items_to_their_collection(client: Any) -> None:
    found = _search(client, THEIA, DRS)
    for item in found:
        link = item.get_single_link("collection")
        assert link is not None and link.is_resolved()
        assert item.get_collection().id == item.collection_id  # type: ignore[union-attr]
    assert set(client.collections_cache) >= {THEIA, DRS}
    cached = client.collections_cache[THEIA]
    again = _search(client, THEIA)
    assert again[0].get_collection() is cached  # fetched once per client
    assert again[0].to_dict()["id"] == found.ids[found.ids.index(again[0].id)]

"""The search panel against the twin: catalogue and collections, generated filters, search, paging, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import dinamis_widgets as dw
from dinamis_widgets.ui.search_panel import SearchPanel

from .ui_helpers import ROCHEFORT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def panel(twin: Any) -> SearchPanel:
    p = SearchPanel(lang="en", page_size=3)
    assert p.wait(60)
    assert p.status.level != "busy", p.status.message  # the criteria the connection started reading are in
    return p


def test_connects_lists_collections_with_provider_and_signability(panel: SearchPanel) -> None:
    assert panel.profile == "twin" and panel.client is not None
    assert panel.status.level == "success", panel.status.message
    labels = dict((v, label) for label, v in panel.collection_select.options)
    assert {"SPOT67_HCF_GS1", "SEASG-TA-PHR-FR-GUF", "REGARDS-PHR"} <= set(labels)
    assert "Maison de la Télédétection" in labels["SPOT67_HCF_GS1"]
    assert "✓ signable" in labels["SPOT67_HCF_GS1"]
    assert "SEAS Guyane" in labels["SEASG-TA-PHR-FR-GUF"]
    assert "not signable" in labels["REGARDS-PHR"]
    panel.collections = ("REGARDS-PHR",)
    assert "Regards" in panel.collection_info.value


def test_filters_come_from_the_collection_queryables(panel: SearchPanel) -> None:
    panel.collections = ("SPOT67_HCF_GS1",)
    assert panel.wait(30)
    expected = dw.fetch_queryables(panel.client, ["SPOT67_HCF_GS1"])
    controls = panel.filters.controls
    angle = controls["view:incidence_angle"]
    assert (angle.min, angle.max) == pytest.approx((expected["view:incidence_angle"]["minimum"],
                                                     expected["view:incidence_angle"]["maximum"]))
    assert (controls["eo:cloud_cover"].min, controls["eo:cloud_cover"].max) == (0, 100)
    assert "eo:snow_cover" in controls and "gsd" in controls
    assert [v for _, v in controls["processing:level"].options] == ["BRUT", "ORTHO"]
    assert [v for _, v in controls["platform"].options] == expected["platform"]["enum"]
    assert "instruments" in controls
    assert "eo:cloud_cover" in panel.criteria.queryables


def test_search_shows_what_the_api_finds_and_pages(panel: SearchPanel) -> None:
    panel.collections = ("SPOT67_HCF_GS1",)
    panel.filters.reset()
    panel.aoi_picker.set_from_text(",".join(map(str, ROCHEFORT)))
    panel.date_start.value, panel.date_end.value = dt.date(2025, 1, 1), None
    seen: list[dict[str, Any]] = []
    panel.on_results(lambda _p, **kw: seen.append(kw))
    panel.search_button.click()
    assert panel.wait(60)
    truth = dw.search(collections=["SPOT67_HCF_GS1"], aoi=ROCHEFORT, datetime=("2025-01-01", None),
                      max_items=None)
    assert len(truth) > 3
    assert panel.results is not None and panel.results.ids == truth.ids[:3]
    assert panel.has_more and not panel.more_button.disabled
    assert "3" in panel.count.value and "dw-result-count" in panel.count._dom_classes
    while panel.has_more:
        panel.more_button.click()
        assert panel.wait(60)
    assert panel.results.ids == truth.ids  # every page, in order, no duplicate
    assert seen[0]["replace"] and not seen[-1]["replace"]
    assert str(len(truth)) in panel.count.value


def test_filters_and_criteria_narrow_the_search(panel: SearchPanel) -> None:
    panel.collections = ("SPOT67_HCF_GS1",)
    assert panel.wait(30)
    panel.aoi_picker.clear()
    panel.date_start.value = panel.date_end.value = None
    panel.filters.controls["processing:level"].value = ("ORTHO",)
    panel.filters.controls["eo:cloud_cover"].value = (0, 30)
    row = panel.criteria.add_row("dinamis:city", "=", "Rochefort")
    try:
        panel.page_size.value = 50
        panel.search()
        assert panel.wait(60)
        truth = dw.search(collections=["SPOT67_HCF_GS1"], filters=[
            ("processing:level", "in", ["ORTHO"]), ("eo:cloud_cover", "<=", 30),
            ("dinamis:city", "=", "Rochefort")], max_items=None)
        assert panel.results is not None and panel.results.ids == truth.ids and len(truth) > 0
        assert all(i.properties["processing:level"] == "ORTHO" for i in panel.results)
        # the query as code runs and finds the same
        namespace: dict[str, Any] = {}
        exec(panel.query_code, namespace)  # code written by the toolkit, not user input
        assert namespace["results"].ids == truth.ids
        assert "processing:level" in panel.code.value
    finally:
        panel.criteria.remove_row(row)
        panel.filters.reset()
        panel.page_size.value = 3


def test_bad_input_and_unreachable_catalogue_show_in_the_status(twin: Any) -> None:
    p = SearchPanel(lang="en", profile="http://127.0.0.1:9/")
    assert p.wait(60)
    assert p.status.level == "error" and "127.0.0.1:9" in p.status.message
    assert "Traceback" not in p.status._html.value
    p.search_button.click()  # no exception escapes
    assert p.wait(60)
    assert p.status.level == "error"
    good = SearchPanel(lang="en")
    assert good.wait(60)
    good.criteria.add_row("eo:cloud_cover", "<", "cloudy")
    good.search_button.click()
    assert good.wait(60)  # the criteria are read with the search, on the panel's worker
    assert good.status.level == "error" and "not a number" in good.status.message

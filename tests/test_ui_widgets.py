"""UI components without a catalogue: labels, generated filters, criteria, AOI input, map, PNG, layering."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zlib
from typing import Any

import numpy as np
import pystac
import pytest

from dinamis_widgets.errors import QueryError
from dinamis_widgets.ui.aoi_picker import AOIPicker
from dinamis_widgets.ui.criteria import CriteriaEditor, parse_value
from dinamis_widgets.ui.filters import QueryableFilters, numeric_range
from dinamis_widgets.ui.i18n import LABELS, t
from dinamis_widgets.ui.map import FOOTPRINT_STYLES, ExplorerMap
from dinamis_widgets.ui.png import colorize, encode_png
from dinamis_widgets.ui.status import StatusBar

from .ui_helpers import ROCHEFORT, browser_draw

QUERYABLES: dict[str, Any] = {
    "eo:cloud_cover": {"type": "number", "minimum": 0, "maximum": 100, "title": "Cloud cover"},
    "view:incidence_angle": {"type": "number", "minimum": 6.22, "maximum": 24.7784,
                             "title": "Incidence angle"},
    "eo:snow_cover": {"type": "number", "minimum": 0, "maximum": 100},
    "gsd": {"type": "number", "minimum": 1.5, "maximum": 1.5},
    "platform": {"type": "string", "enum": ["spot-6", "spot-7"]},
    "instruments": {"type": "array", "items": {"type": "string", "enum": ["naomi"]}},
    "processing:level": {"type": "string", "enum": ["BRUT", "ORTHO"]},
    "dinamis:city": {"type": "string", "enum": ["Montpellier", "Rochefort"]},
    "dinamis:note": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
}

SQUARE = {"type": "Polygon", "coordinates": [[[-0.98, 45.92], [-0.93, 45.92], [-0.93, 45.96], [-0.98, 45.96],
                                              [-0.98, 45.92]]]}
TRIANGLE = {"type": "Polygon", "coordinates": [[[3.85, 43.59], [3.90, 43.59], [3.87, 43.63], [3.85, 43.59]]]}


def _feature(geometry: dict[str, Any]) -> dict[str, Any]:
    # what the leaflet-draw control sends: a Feature whose properties carry the style
    return {"type": "Feature", "properties": {"style": {"color": "#6a1b9a"}}, "geometry": geometry}


def _items(n: int = 3) -> list[pystac.Item]:
    out = []
    for i in range(n):
        w = -0.98 + 0.01 * i
        geometry = {"type": "Polygon", "coordinates": [[[w, 45.92], [w + 0.03, 45.92], [w + 0.03, 45.95],
                                                        [w, 45.95], [w, 45.92]]]}
        out.append(pystac.Item(f"ITEM{i}", geometry, [w, 45.92, w + 0.03, 45.95], dt.datetime(2025, 1, 1 + i),
                               {"eo:cloud_cover": 10.0 * i, "dinamis:sensor": "SPOT 6/7"}))
    return out


# -- labels ------------------------------------------------------------------------------------------


def test_every_label_exists_in_both_languages() -> None:
    assert set(LABELS["fr"]) == set(LABELS["en"])
    assert t("sign_url") == "Signer l'Url" and t("sign_url", "en") == "Sign URL"
    assert t("basket_add") == "Ajouter au panier" and t("zoom") == "Zoomer sur"
    assert t("unknown-key", "en") == "unknown-key"


def test_the_core_does_not_import_ipywidgets() -> None:
    code = ("import dinamis_widgets, dinamis_widgets.signing.dispatch, dinamis_widgets.reading.download, "
            "dinamis_widgets.catalog.searching, dinamis_widgets.reading.loading, sys; "
            "assert 'ipywidgets' not in sys.modules and 'ipyleaflet' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- filters -----------------------------------------------------------------------------------------


def test_queryables_generate_sliders_and_choices() -> None:
    f = QueryableFilters(lang="en")
    f.queryables = QUERYABLES
    c = f.controls
    assert type(c["eo:cloud_cover"]).__name__ == "FloatRangeSlider"
    assert (c["eo:cloud_cover"].min, c["eo:cloud_cover"].max) == (0, 100)
    angle = c["view:incidence_angle"]
    assert (angle.min, angle.max) == pytest.approx((6.22, 24.7784))
    assert angle.value == pytest.approx((6.22, 24.7784))
    assert (c["gsd"].min, c["gsd"].max) == (0.5, 2.5)  # equal bounds are widened
    assert type(c["platform"]).__name__ == "SelectMultiple"
    assert [v for _, v in c["platform"].options] == ["spot-6", "spot-7"]
    assert [v for _, v in c["instruments"].options] == ["naomi"]
    assert "dinamis:note" not in c and "datetime" not in c  # no enum, no range: a free criterion
    assert "dw-filter-eo-cloud-cover" in c["eo:cloud_cover"]._dom_classes
    assert c["eo:cloud_cover"].description == "Cloud cover (%)"
    assert f.filters() == []  # full ranges and empty choices add no condition
    c["eo:cloud_cover"].value = (0, 20)
    c["view:incidence_angle"].value = (10, 24.7784)
    c["processing:level"].value = ("ORTHO",)
    assert f.filters() == [("eo:cloud_cover", "<=", 20.0), ("view:incidence_angle", ">=", 10.0),
                           ("processing:level", "in", ["ORTHO"])]
    f.reset()
    assert f.filters() == []
    assert numeric_range({"type": "string"}) is None


def test_criteria_are_parsed_as_data_never_evaluated() -> None:
    editor = CriteriaEditor(lang="en")
    editor.queryables = QUERYABLES
    editor.add_row("eo:cloud_cover", "<", "12,5")
    editor.add_row("platform", "in", "spot-6, spot-7")
    editor.add_row("dinamis:note", "like", "%haze%")
    editor.add_row("view:azimuth", ">=", "100")  # not a queryable: guessed from the text
    editor.add_row("", "=", "ignored")
    assert editor.criteria() == [("eo:cloud_cover", "<", 12.5), ("platform", "in", ["spot-6", "spot-7"]),
                                 ("dinamis:note", "like", "%haze%"), ("view:azimuth", ">=", 100)]
    assert "id" in editor.rows[0].prop.options and "eo:cloud_cover" in editor.rows[0].prop.options
    hostile = "__import__('os').system('touch /tmp/pwned')"
    assert parse_value(hostile, "=", None) == hostile
    bad = editor.add_row("eo:cloud_cover", "<=", hostile)
    with pytest.raises(QueryError, match="not a number"):
        editor.criteria()
    assert "not a number" in editor._error.value
    editor.remove_row(bad)
    assert len(editor.criteria()) == 4
    assert parse_value("", "isNull") is None
    with pytest.raises(QueryError):
        parse_value(" ", "=", {"type": "string"})


# -- area of interest --------------------------------------------------------------------------------


def test_aoi_from_pasted_bbox_wkt_and_errors() -> None:
    picker = AOIPicker(lang="en")
    assert picker.aoi is None and "No area" in picker.summary.value
    picker.text.value = "-0.98, 45.92, -0.93, 45.96"  # what Enter does
    assert picker.aoi is not None and picker.aoi.bbox == ROCHEFORT and picker.source == "text"
    picker.set_from_text("POLYGON ((3.85 43.59, 3.90 43.59, 3.87 43.63, 3.85 43.59))")
    assert picker.aoi.geometry["type"] == "Polygon" and not picker.aoi.is_box
    picker.set_from_text("45.92, -0.98, 45.96, -0.93")  # latitude first: refused, area unchanged
    assert picker.error and picker.aoi.geometry["type"] == "Polygon"
    assert "dw-aoi-error" in picker.error_html._dom_classes and picker.error_html.value
    picker.clear()
    assert picker.aoi is None and not picker.error


def test_aoi_from_an_uploaded_geojson() -> None:
    picker = AOIPicker(lang="en")
    doc = json.dumps({"type": "FeatureCollection", "features": [_feature(SQUARE)]}).encode()
    picker.upload.value = ({"name": "zone.geojson", "type": "application/geo+json", "size": len(doc),
                            "content": memoryview(doc), "last_modified": dt.datetime.now(dt.UTC)},)
    assert picker.aoi is not None and picker.aoi.bbox == ROCHEFORT and picker.source == "file"
    picker.set_from_geojson(b"{not json", "broken.geojson")
    assert "broken.geojson" in picker.error and picker.aoi.bbox == ROCHEFORT


def test_aoi_from_drawing_edit_delete_and_view() -> None:
    m = ExplorerMap(lang="en")
    draw = m.draw_control
    # the browser sends each draw event, then the full list of shapes drawn (the control's data)
    browser_draw(draw, "created", _feature(SQUARE), [_feature(SQUARE)])
    assert m.drawn_aoi is not None and m.drawn_aoi.bbox == ROCHEFORT and m.drawn_aoi.is_box
    moved = {"type": "Polygon", "coordinates": [[[x + 0.01, y] for x, y in SQUARE["coordinates"][0]]]}
    browser_draw(draw, "edited", _feature(moved), [_feature(moved)])
    assert m.drawn_aoi.bbox == pytest.approx((-0.97, 45.92, -0.92, 45.96))
    browser_draw(draw, "created", _feature(TRIANGLE), [_feature(moved), _feature(TRIANGLE)])
    assert m.drawn_aoi.geometry["type"] == "MultiPolygon"  # the union of what is drawn
    browser_draw(draw, "deleted", _feature(TRIANGLE), [_feature(moved)])
    assert m.drawn_aoi.bbox == pytest.approx((-0.97, 45.92, -0.92, 45.96))
    browser_draw(draw, "deleted", _feature(moved), [])
    assert m.drawn_aoi is None
    # the browser's list of drawings, synchronised after each event, is the reference
    draw.data = [_feature(TRIANGLE)]
    assert m.drawn_aoi is not None and m.drawn_aoi.geometry["type"] == "Polygon"
    # the current view, once the browser reported it
    assert m.view_bounds() is None
    for name, value in (("south", 45.0), ("north", 46.0), ("west", -1.5), ("east", 0.5)):
        m.map.set_trait(name, value)
    picker = AOIPicker(lang="en", view_provider=m.view_bounds)
    picker.view_button.click()
    assert picker.aoi is not None and picker.aoi.bbox == (-1.5, 45.0, 0.5, 46.0) and picker.source == "view"


# -- map -----------------------------------------------------------------------------------------


def _offline_urls(m: ExplorerMap) -> list[str]:
    return [u for u in m.layer_urls() if not (u.startswith("data:") or "127.0.0.1" in u or "localhost" in u)]


def test_the_map_is_offline_unless_asked() -> None:
    m = ExplorerMap()
    assert m.online is False and _offline_urls(m) == []
    assert not any(type(layer).__name__ == "TileLayer" for layer in m.map.layers)
    online = ExplorerMap(online=True)
    assert any("openstreetmap" in u for u in online.layer_urls())


def test_footprints_one_layer_hover_and_selection() -> None:
    m = ExplorerMap(lang="en")
    items = _items(3)
    m.show_results(items[:2])
    m.show_results(items[2:], replace=False)
    layers = [layer for layer in m.map.layers if getattr(layer, "name", "") == "Footprints"]
    assert layers == [m.footprints]
    features = m.footprints.data["features"]
    assert [f["properties"]["id"] for f in features] == ["ITEM0", "ITEM1", "ITEM2"]
    assert all(f["properties"]["style"] == FOOTPRINT_STYLES["normal"] for f in features)
    assert m.footprints.hover_style and m.footprints.hover_style != FOOTPRINT_STYLES["normal"]
    chosen: list[str] = []
    m.on_select(chosen.append)
    feature = features[1]
    m.footprints._handle_mouse_events(None, {"event": "mouseover", "feature": feature,
                                             "properties": feature["properties"]}, None)
    assert m.hovered_id == "ITEM1"
    m.footprints._handle_mouse_events(None, {"event": "click", "feature": feature,
                                             "properties": feature["properties"]}, None)
    assert chosen == ["ITEM1"] and m.selected_id == "ITEM1"
    styles = {f["properties"]["id"]: f["properties"]["style"] for f in m.footprints.data["features"]}
    assert styles["ITEM1"] == FOOTPRINT_STYLES["selected"] and styles["ITEM0"] == FOOTPRINT_STYLES["normal"]
    m.zoom_to(items[0])
    assert m.map.center == pytest.approx([45.935, -0.965]) and 12 <= m.map.zoom <= 16
    m.map.add(_Layerable(items))  # the as_leaflet_layer protocol
    assert len(m.map.layers) == 5


class _Layerable:
    def __init__(self, items: list[pystac.Item]) -> None:
        from dinamis_widgets.ui.results_list import ResultsList

        self.results = ResultsList()
        self.results.set_items(items)

    def as_leaflet_layer(self) -> Any:
        return self.results.as_leaflet_layer()


def test_overlay_and_legend() -> None:
    m = ExplorerMap(lang="en")
    url = "data:image/png;base64," + "A" * 8
    import ipywidgets

    legend = ipywidgets.HTML("NDVI")
    m.show_overlay(url, ROCHEFORT, "NDVI", legend=legend)
    m.show_overlay(url, ROCHEFORT, "NDVI 2", legend=legend)
    overlays = [layer for layer in m.map.layers if type(layer).__name__ == "ImageOverlay"]
    assert overlays == [m.overlay] and m.overlay.bounds == [[45.92, -0.98], [45.96, -0.93]]
    legends = [c for c in m.map.controls if type(c).__name__ == "WidgetControl"
               and c.widget is not m.wheel_hint and c.widget is not m.basemap_switch]
    assert legends == [m.legend]
    assert _offline_urls(m) == []


# -- images and status ----------------------------------------------------------------------------


def test_png_encoder_round_trip() -> None:
    rgba = colorize(np.array([[np.nan, -1.0], [0.5, 1.0]]))
    png = encode_png(rgba)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    idat = png[png.index(b"IDAT") + 4: png.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(2, 1 + 2 * 4)
    assert raw[0, 4] == 0 and raw[0, 8] == 255  # NaN transparent, valid opaque
    assert rgba[1, 1, 1] > rgba[1, 1, 0]  # dense vegetation is green


def test_status_shows_messages_never_tracebacks() -> None:
    bar = StatusBar(lang="en")
    bar.report(QueryError("Bad area: https://h/k.tif?X-Amz-Signature=secret"))
    assert bar.level == "error" and "secret" not in bar._html.value and "***" in bar._html.value
    with bar.guard():
        raise KeyError("boom")
    assert bar.message == "Unexpected error (KeyError): 'boom'" and "Traceback" not in bar._html.value
    bar.progress(3, 10)
    assert bar._bar.layout.display == "" and bar._bar.value == 3
    bar.success("ok")
    assert bar._bar.layout.display == "none"

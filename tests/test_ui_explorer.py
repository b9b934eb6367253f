"""The whole explorer against the twin: cards, Information panel, actions, basket, cube and NDVI."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest

import dinamis_widgets as dw
from dinamis_widgets.twin.scenes import expected_ndvi
from dinamis_widgets.ui import Explorer

from .ui_helpers import DECK_ITEM, ROCHEFORT, TWO_DATES, searched_explorer, wait_for

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


@pytest.fixture(scope="module")
def explorer(twin: Any, tmp_path_factory: pytest.TempPathFactory) -> Explorer:
    return searched_explorer(download_folder=str(tmp_path_factory.mktemp("downloads")))


def test_search_from_a_drawn_area_fills_cards_and_the_map(explorer: Explorer) -> None:
    assert explorer.aoi is not None and explorer.aoi.bbox == ROCHEFORT
    assert explorer.panel.aoi_picker.source == "draw"
    truth = dw.search(collections=["SPOT67_HCF_GS1"], aoi=ROCHEFORT, max_items=None)
    assert explorer.results is not None
    assert len(explorer.results_list.cards) == len(truth) == len(explorer.results)
    assert {c.item_id for c in explorer.results_list.cards} == set(truth.ids)
    ids = [f["properties"]["id"] for f in explorer.map.footprints.data["features"]]
    assert sorted(ids) == sorted(truth.ids)
    assert "Explorer(profile='twin'" in repr(explorer) and f"results={len(truth)}" in repr(explorer)
    urls = explorer.map.layer_urls()
    assert all(u.startswith("data:") or "127.0.0.1" in u for u in urls)


def test_information_panel_of_the_deck_item(explorer: Explorer) -> None:
    card = explorer.card(DECK_ITEM)
    assert card is not None and "dw-result-card" in card._dom_classes and "dw-signable" in card._dom_classes
    assert card.info_panel.layout.display == "none"
    card.info_button.value = True
    assert card.info_panel.layout.display == ""
    fields = card.info_panel.fields()
    assert fields["Capteur"] == "SPOT 6/7"
    assert fields["Pays"] == "France"
    assert fields["Département"] == "Charente-Maritime"
    assert fields["Région"] == "Poitou-Charentes" and fields["Ville"] == "Rochefort"
    assert fields["Identifiant"] == DECK_ITEM and fields["Plateforme"] == "SPOT67_HCF_GS1"
    assert fields["Résolution"] == "1.5 (m)" and fields["Angle"] == "24.7784°"
    props = card.item.properties
    assert fields["Nuage"] == f"{props['eo:cloud_cover']:g} %"
    assert fields["Couverture neigeuse"] == f"{props['eo:snow_cover']:g}"
    assert "24 févr. 2026 10:36:27" in card.header.value and "24.7°" in card.header.value  # French UI
    assert "Charente-Maritime" in card.info_panel.value


def test_sorting_cards(explorer: Explorer) -> None:
    lst = explorer.results_list
    lst.sort_select.value = "cloud"
    lst.order_box.value = False
    clouds = [c.item.properties["eo:cloud_cover"] for c in lst.cards]
    assert clouds == sorted(clouds)
    lst.sort_select.value = "angle"
    lst.order_box.value = True
    angles = [c.item.properties["view:incidence_angle"] for c in lst.cards]
    assert angles == sorted(angles, reverse=True)
    lst.sort_select.value = "date"
    dates = [c.item.datetime for c in lst.cards]
    assert dates == sorted(dates, reverse=True)


def test_zoom_select_metadata_and_quicklook(explorer: Explorer) -> None:
    card = explorer.card(DECK_ITEM)
    assert card is not None
    card.zoom_button.click()
    west, south, east, north = card.item.bbox
    assert explorer.map.map.center == pytest.approx([(south + north) / 2, (west + east) / 2])
    assert explorer.map.selected_id == DECK_ITEM and card.selected
    # a footprint clicked on the map selects its card
    other = next(c for c in explorer.results_list.cards if c.item_id != DECK_ITEM)
    explorer.map.select(other.item_id)
    assert other.selected and not card.selected
    card.metadata_button.click()
    link = card.metadata_link.value
    assert f"download='{DECK_ITEM}.json'" in link
    payload = link.split("base64,", 1)[1].split("'", 1)[0]
    meta = json.loads(base64.b64decode(payload))
    assert meta["id"] == DECK_ITEM and "X-Amz-Signature" not in json.dumps(meta)
    card.visualise_button.click()
    assert explorer.wait(30), explorer.status.message
    overlay = explorer.map.quicklook
    assert overlay is not None and overlay in explorer.map.map.layers
    assert overlay.url.startswith("data:image/png;base64,")
    assert base64.b64decode(overlay.url.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert overlay.bounds == [[south, west], [north, east]]


def test_brut_card_has_no_sign_button_and_says_why(explorer: Explorer) -> None:
    brut = explorer.card(DECK_ITEM + "_BRUT")
    assert brut is not None and "dw-not-signable" in brut._dom_classes
    assert brut.sign_url_button.layout.display == "none"
    assert "BRUT" in brut.info_panel.fields()["Signature d'URL"]
    brut.download_button.click()
    assert brut.download_view is not None and brut.download_view.start_button.disabled


def test_card_download_with_progress(explorer: Explorer, twin: Any) -> None:
    card = explorer.card(DECK_ITEM)
    assert card is not None
    card.download_button.click()
    view = card.download_view
    assert view is not None and view in card.action_area.children
    assert explorer.results_list.open_card is card and card.details not in card.children
    view.asset.value = "panchromatic"
    view.start_button.click()
    assert view.wait(60), view.status.message
    path = Path(view.path)
    assert path.exists() and path.name.endswith("_PAN.tif") and view.bar.value == view.bar.max
    assert path.stat().st_size == len(pystac_bytes(twin, card.item.assets["panchromatic"].href))


def pystac_bytes(twin: Any, href: str) -> bytes:
    from urllib.parse import urlsplit

    return (Path(twin.scenes.data_root) / urlsplit(href).path.lstrip("/")).read_bytes()


def test_card_opens_the_sign_dialog(explorer: Explorer) -> None:
    card = explorer.card(DECK_ITEM)
    assert card is not None
    card.sign_url_button.click()
    assert card.sign_dialog is not None and card.sign_dialog in card.action_area.children
    # one place for dialogs: the list's details pane, which replaces the list; never inside the card
    lst = explorer.results_list
    assert lst.open_card is card and card.details in lst.details_body.children
    assert lst.details_pane.layout.display == "" and lst.list_view.layout.display == "none"
    assert card.details not in card.children
    card.sign_url_button.click()
    assert card.sign_dialog not in card.action_area.children
    lst.back_button.click()
    assert lst.open_card is None and lst.list_view.layout.display == "" and not card.info_button.value


def _truth_on_cube_grid(item: pystac.Item, frame: Any) -> np.ndarray:
    """The planted NDVI of ``item`` at the cube's pixel centres (nearest pixel of the item's MS grid)."""
    res, _, x0, _, neg_res, y0 = item.assets["multispectral"].extra_fields["proj:transform"][:6]
    rows_n, cols_n = item.assets["multispectral"].extra_fields["proj:shape"]
    cols = np.floor((frame.x.values - x0) / res).astype(int)
    rows = np.floor((frame.y.values - y0) / neg_res).astype(int)
    inside_c = (cols >= 0) & (cols < cols_n)
    inside_r = (rows >= 0) & (rows < rows_n)
    r0, r1 = rows[inside_r].min(), rows[inside_r].max()
    c0, c1 = cols[inside_c].min(), cols[inside_c].max()
    window = expected_ndvi(item.id, window=(int(r0), int(c0), int(r1 - r0 + 1), int(c1 - c0 + 1)))
    out = np.full((len(rows), len(cols)), np.nan)
    out[np.ix_(inside_r, inside_c)] = window[np.ix_(rows[inside_r] - r0, cols[inside_c] - c0)]
    return out


def test_basket_load_and_ndvi(explorer: Explorer) -> None:
    basket = explorer.basket
    for item_id in TWO_DATES:
        card = explorer.card(item_id)
        assert card is not None
        card.basket_button.click()
    explorer.card(TWO_DATES[0]).basket_button.click()  # type: ignore[union-attr]  # the same id once
    assert basket.ids == list(TWO_DATES)
    assert explorer.card(TWO_DATES[0]).in_basket  # type: ignore[union-attr]
    shown = sorted(f["properties"]["id"] for f in explorer.map.basket_layer.data["features"])
    assert shown == sorted(TWO_DATES)
    # removable
    basket.add(explorer.card(DECK_ITEM).item)  # type: ignore[union-attr]
    remove = [row.children[0] for row in basket.rows.children if DECK_ITEM in row.children[1].value
              and DECK_ITEM + "_" not in row.children[1].value]
    remove[0].click()
    assert basket.ids == list(TWO_DATES)

    basket.bands.value = ("red", "nir")
    basket.load_button.click()
    assert explorer.wait(120), basket.status.message
    cube = explorer.cube
    assert cube is not None and cube.sizes["time"] == 2 and set(cube.data_vars) == {"red", "nir"}
    assert cube.red.chunks is not None  # lazy
    assert "dw.load(items, bands=['red', 'nir'], aoi=[-0.98, 45.92, -0.93, 45.96])" in basket.code.value
    namespace: dict[str, Any] = {}
    exec(basket.code.value.replace("ndvi = dw.ndvi(cube).compute()", ""), namespace)  # toolkit-written code
    assert dict(namespace["cube"].sizes) == dict(cube.sizes)

    basket.ndvi_button.click()
    wait_for(lambda: explorer.ndvi is not None or basket.status.level == "error", 120, "the NDVI")
    assert explorer.wait(120), basket.status.message
    assert basket.status.level == "success", basket.status.message
    ndvi = explorer.ndvi
    assert ndvi is not None and ndvi.sizes["time"] == 2
    assert basket.ndvi_progress.value == basket.ndvi_progress.max > 1
    images = [w for panel in basket.plot.children for w in getattr(panel, "children", ())
              if "dw-ndvi-image" in w._dom_classes]
    assert len(images) == 2 and all(img.value[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    overlay = explorer.map.overlay
    assert overlay is not None and overlay.url.startswith("data:image/png;base64,")
    (s, w), (n, e) = overlay.bounds
    assert w < -0.93 and e > -0.98 and s < 45.96 and n > 45.92
    assert explorer.map.legend is not None and "dw-ndvi-legend" in explorer.map.legend.widget._dom_classes
    basket.ndvi_time.value = 0  # another date on the map
    assert explorer.map.overlay is not overlay
    # the values are the planted truth (nearest pixels of each date's own grid)
    by_date = {str(it.datetime.date()): it for it in basket.items}
    for i in range(2):
        frame = ndvi.isel(time=i)
        item = by_date[str(np.datetime_as_string(frame.time.values, unit="D"))]
        truth = _truth_on_cube_grid(item, frame)
        both = np.isfinite(truth) & np.isfinite(frame.values)
        assert both.mean() > 0.5
        diff = np.abs(frame.values[both] - truth[both])
        assert np.median(diff) < 1e-3 and diff.mean() < 0.02
        assert abs(float(np.nanmean(frame.values)) - float(np.nanmean(truth))) < 0.02


def test_english_labels(twin: Any) -> None:
    ex = Explorer(lang="en")
    assert ex.wait(60)
    assert ex.panel.search_button.description == "Search"
    assert ex.basket.load_button.description == "Load"
    ex.panel.collections = ("SPOT67_HCF_GS1",)
    ex.panel.aoi = ROCHEFORT
    assert ex.map.aoi_layer.data["features"]  # a typed area is outlined on the map
    ex.panel.search()
    assert ex.wait(60)
    card = ex.card(DECK_ITEM)
    assert card is not None
    assert [b.description for b in (card.zoom_button, card.metadata_button, card.download_button,
                                    card.visualise_button, card.sign_url_button, card.basket_button)] == [
        "Zoom to", "Download metadata", "Download product", "Visualise", "Sign URL", "Add to basket"]
    fields = card.info_panel.fields()
    assert fields["Sensor"] == "SPOT 6/7" and fields["Department"] == "Charente-Maritime"
    assert fields["Snow cover"] == "0" and fields["Identifier"] == DECK_ITEM
    card.sign_url_button.click()
    assert card.sign_dialog.sign_button.description == "Sign"
    with pytest.raises(ValueError, match="Unknown language"):
        Explorer(lang="de")

"""The Explorer on collections shaped like the MTD STAC API's: cards and Information panels show what the
items have (no empty rows), filters come from the collection's queryables, and a preview falls back to any
small image, or says there is none."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets
import pystac
import pytest

import dinamis_widgets as dw
from dinamis_widgets.ui.info_panel import info_fields
from dinamis_widgets.ui.quicklook import NoQuicklookError, preview_asset, quicklook_data_url
from dinamis_widgets.ui.result_card import ResultCard
from dinamis_widgets.ui.search_panel import SearchPanel

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

DRS, THEIA = "spot-6-7-drs", "sentinel2-l2a-theia"


@pytest.fixture(scope="module")
def items(twin: Any) -> dict[str, pystac.Item]:
    """The MTD-shaped items as the Explorer gets them: from a search (collections linked)."""
    return {i.id: i for i in dw.search(collections=[DRS, THEIA], max_items=None)}


def _theia(items: dict[str, pystac.Item], orbit: int) -> pystac.Item:
    return next(i for i in items.values() if i.properties.get("sat:relative_orbit") == orbit)


def _drs(items: dict[str, pystac.Item], georeferenced: bool) -> pystac.Item:
    # pystac reads the DRS items' proj:epsg (projection v1.1.0) as proj:code (v2.0.0)
    return next(i for i in items.values() if i.collection_id == DRS
                and any(k.startswith("proj:") for k in i.properties) == georeferenced)


def _no_empty_cells(card: ResultCard) -> None:
    page = card.info_panel.value
    assert not re.search(r"<td[^>]*>\s*</td>", page), page
    assert all(value for value in card.info_panel.fields().values())


def test_theia_card_and_information_panel(items: dict[str, pystac.Item]) -> None:
    item = _theia(items, 8)
    props = item.properties
    card = ResultCard(item, lang="fr")
    fields = card.info_panel.fields()
    assert fields == {
        "Capteur": "Sentinel-2", "Identifiant": item.id, "Plateforme": THEIA, "Résolution": "10 (m)",
        "Nuage": f"{props['eo:cloud_cover']:g} %", "Niveau de traitement": "L2A (d'après l'identifiant)",
        "Fournisseur": "MTD", "Satellite": props["platform"], "Instruments": "msi",
        "Tuile MGRS": props["s2:mgrs_tile"], "Orbite relative": "8", "Version de traitement": "4.0",
        "Système de coordonnées": "EPSG:32631", "Signature d'URL": "signable"}
    _no_empty_cells(card)
    assert "dw-info-tile" in card.info_panel.value and "dw-signable" in card._dom_classes
    header = card.header.value
    assert "<b>Sentinel-2</b>" in header and "☁" in header and "∠" not in header  # no angle: not shown
    assert card.sign_url_button.layout.display != "none"
    assert "dw-badge-unverified" not in header
    english = dict(info_fields(item, "en", with_signability=True))
    assert english["Processing level"] == "L2A (from the item id)" and english["MGRS tile"] == props[
        "s2:mgrs_tile"] and english["Relative orbit"] == "8" and english["URL signing"] == "signable"


def test_drs_cards(items: dict[str, pystac.Item]) -> None:
    ortho = ResultCard(_drs(items, True), lang="fr")
    fields = ortho.info_panel.fields()
    assert fields["Capteur"] == "SPOT 6/7" and fields["Satellite"] == "spot-6"
    assert fields["Niveau de traitement"] == "ORTHO (d'après la collection)"
    assert fields["Fournisseur"] == "MTD" and fields["Système de coordonnées"].startswith("EPSG:326")
    assert fields["Signature d'URL"] == "signable" and "Nuage" not in fields and "Pays" not in fields
    _no_empty_cells(ortho)
    assert "☁" not in ortho.header.value and "∠" not in ortho.header.value
    assert "<b>SPOT 6/7</b>" in ortho.header.value
    raw = ResultCard(_drs(items, False), lang="en")
    fields = raw.info_panel.fields()
    assert "dw-not-signable" in raw._dom_classes and raw.sign_url_button.layout.display == "none"
    assert fields["Processing level"] == "not georeferenced (from the assets)"
    assert fields["URL signing"].startswith("not signable — Item ") and "not georeferenced" in fields[
        "URL signing"]
    assert "Coordinate system" not in fields
    _no_empty_cells(raw)
    raw.sign_url_button.click()
    assert raw.sign_dialog is not None and raw.sign_dialog.reason is not None


def test_a_product_nothing_describes_is_signable_with_a_caution(twin: Any) -> None:
    item = pystac.Item("NOTHING_1", None, None, datetime(2025, 1, 1, tzinfo=UTC), {})
    item.add_asset("a", pystac.Asset(f"{twin.data}/sm1-gdc/nothing/a.tif", roles=["data"]))
    card = ResultCard(item, lang="en")
    assert "dw-badge-unverified" in card.header.value and "dw-signable" in card._dom_classes
    assert card.info_panel.fields()["URL signing"].startswith("signable — processing level unknown")
    assert list(card.info_panel.fields()) == ["Identifier", "URL signing"]
    card.sign_url_button.click()
    dialog = card.sign_dialog
    assert dialog is not None and dialog.reason is None
    assert any("dw-sign-unverified" in c._dom_classes for c in dialog.children)
    assert dialog.chosen() == ["a"]  # the only image is ticked


def test_filters_from_theia_queryables(twin: Any) -> None:
    panel = SearchPanel(lang="fr", page_size=10)
    assert panel.wait(60), panel.status.message
    labels = dict((v, label) for label, v in panel.collection_select.options)
    assert "✓ signable" in labels[THEIA] and "✓ signable" in labels[DRS]
    panel.collections = (THEIA,)
    assert panel.wait(60), panel.status.message
    assert "Produits signables (L2A)" in panel.collection_info.value
    controls = panel.filters.controls
    orbit = controls["sat:relative_orbit"]
    assert isinstance(orbit, widgets.IntRangeSlider) and (orbit.min, orbit.max, orbit.step) == (8, 137, 1)
    assert orbit.description == "Orbite relative"
    tile = controls["s2:mgrs_tile"]
    assert isinstance(tile, widgets.SelectMultiple) and [v for _, v in tile.options] == ["30TXR", "31TEJ"]
    assert tile.description == "Tuile MGRS"
    assert isinstance(controls["eo:cloud_cover"], widgets.FloatRangeSlider)
    assert {"platform", "instruments", "constellation", "processing:version"} <= set(controls)
    shown = set(panel.filters._main.children)
    assert {orbit, tile, controls["eo:cloud_cover"]} <= shown  # not hidden under "Plus de filtres"
    assert panel.filters.filters() == []  # nothing chosen: no condition
    # the maintainers' search: relative orbit 8, cloud cover under 50 %
    orbit.value = (8, 8)
    controls["eo:cloud_cover"].value = (0.0, 49.0)
    assert panel.filters.filters() == [("eo:cloud_cover", "<=", 49.0), ("sat:relative_orbit", "=", 8)]
    panel.search()
    assert panel.wait(60), panel.status.message
    truth = dw.search(collections=[THEIA], filters={"sat:relative_orbit": 8, "eo:cloud_cover": ("<", 50)},
                      max_items=None)
    assert panel.results is not None and panel.results.ids == truth.ids and len(truth) == 1
    assert panel.results[0].properties["sat:relative_orbit"] == 8
    panel.filters.reset()
    assert orbit.value == (8, 137) and panel.filters.filters() == []


def test_preview_from_an_image_asset_or_none(twin: Any, twin_items: list[dict[str, Any]],
                                            items: dict[str, pystac.Item]) -> None:
    thumb = next(i["assets"]["thumbnail"]["href"] for i in twin_items if "thumbnail" in i["assets"])
    item = pystac.Item("PREVIEWED_1", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                       [0, 0, 1, 1], datetime(2025, 1, 1, tzinfo=UTC), {"processing:level": "ORTHO"})
    item.add_asset("img", pystac.Asset(f"{twin.data}/sm1-gdc/x/img.png", media_type="image/png",
                                       roles=["data"]))  # data, even a PNG, is no preview
    item.add_asset("QKL_ALL", pystac.Asset(thumb, media_type="image/jpeg"))
    assert preview_asset(item) == ("QKL_ALL", item.assets["QKL_ALL"])
    url, bounds = quicklook_data_url(item)
    assert url.startswith("data:image/png;base64,")  # sniffed from the bytes, not the declared type
    assert base64.b64decode(url.split(",", 1)[1])[:4] == b"\x89PNG" and tuple(bounds) == (0, 0, 1, 1)
    card = ResultCard(item, lang="fr")
    assert card.has_preview and card.visualise_button.description == "Visualiser"
    assert not card.visualise_button.disabled
    by_role = item.clone()
    by_role.assets.pop("QKL_ALL")
    by_role.add_asset("browse", pystac.Asset(thumb, roles=["overview"]))
    assert preview_asset(by_role)[0] == "browse"  # type: ignore[index]
    theia = _theia(items, 8)
    assert preview_asset(theia) is None
    with pytest.raises(NoQuicklookError, match="no 'thumbnail' or 'overview' asset"):
        quicklook_data_url(theia)
    for lang, text in (("fr", "Pas d'aperçu"), ("en", "No preview")):
        card = ResultCard(theia, lang=lang)
        button = card.visualise_button
        assert (card.has_preview, button.description, button.disabled) == (False, text, True)
        assert "dw-no-preview" in button._dom_classes and button.tooltip

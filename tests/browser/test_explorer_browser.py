"""The Explorer in a real browser, offline: draw, search, inspect, sign, basket, load, NDVI on the map.

One notebook cell, ``import dinamis_widgets as dw; explorer = dw.Explorer(); explorer``, runs in JupyterLab
against the session's twin. Everything a trainee does is done with the mouse and keyboard on the rendered
widgets (found by their ``dw-*`` CSS classes, see :mod:`dinamis_widgets.ui`); the kernel is only read, to
check what the clicks produced, and asked once to centre the map on the test site (a user would pan there).
A screenshot is saved after each step in ``tests/screenshots/test_explorer_end_to_end/``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .browser import LabPage, NetworkGuard, lonlat_to_map_px, map_px_to_lonlat
from .explorer_steps import (
    EXPLORER_CELL,
    INFO_FIELDS,
    SITE_BBOX,
    centre_on_site,
    copy_signed_url,
    int_in,
    items_in,
    run_and_render,
    wait_for_site_view,
)
from .jupyter import JupyterLab, write_notebook

pytestmark = pytest.mark.browser

def test_explorer_end_to_end(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard,
                             twin_items: list[dict[str, Any]]) -> None:
    """Draw an AOI, search, open the Information panel, sign (30min), basket two, load, NDVI, on the map."""
    mark = guard.mark()
    site_items = items_in(twin_items, SITE_BBOX)
    site_ids = {it["id"] for it in site_items}
    assert len([i for i in site_ids if not i.endswith("_BRUT")]) >= 2, "the twin's test site changed"
    write_notebook(lab.root_dir / "explorer.ipynb", [EXPLORER_CELL])

    # 1. Open the notebook and run it: the search panel and the map render.
    lab_page.open_notebook("explorer.ipynb")
    leaflet = run_and_render(lab_page)

    # 2. Centre the map on the site (a user would pan and zoom), then draw the AOI with the mouse.
    # (explorer.map is the ExplorerMap, explorer.map.map its ipyleaflet Map.)
    centre_on_site(lab_page)
    leaflet.scroll_into_view_if_needed()
    wait_for_site_view(lab_page)
    view = lab_page.kernel_json("{'center': list(explorer.map.map.center), 'zoom': explorer.map.map.zoom}")
    box = leaflet.bounding_box()
    assert box is not None
    size = (box["width"], box["height"])
    center = (float(view["center"][0]), float(view["center"][1]))
    x1, y1 = lonlat_to_map_px(SITE_BBOX[0], SITE_BBOX[3], center, view["zoom"], size)
    x2, y2 = lonlat_to_map_px(SITE_BBOX[2], SITE_BBOX[1], center, view["zoom"], size)
    assert 50 < x1 < x2 < size[0] - 10 and 10 < y1 < y2 < size[1] - 10, f"site off the map: {view}, {size}"
    paths_before = lab_page.leaflet_paths(leaflet).count()
    lab_page.draw_rectangle(leaflet, (x1 / size[0], y1 / size[1]), (x2 / size[0], y2 / size[1]))
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.aoi is not None"), "explorer.aoi to be set")
    aoi = lab_page.kernel_json("list(explorer.aoi.bbox)")
    drawn_w, drawn_n = map_px_to_lonlat(x1, y1, center, view["zoom"], size)
    drawn_e, drawn_s = map_px_to_lonlat(x2, y2, center, view["zoom"], size)
    tol = 2 * 360.0 / (256 * 2 ** view["zoom"])  # two pixels
    assert aoi == pytest.approx([drawn_w, drawn_s, drawn_e, drawn_n], abs=tol)
    summary = lab_page.widget("dw-aoi-summary").first.inner_text()
    lab_page.shot("aoi-drawn", focus=leaflet)
    paths_aoi = lab_page.leaflet_paths(leaflet).count()
    assert paths_aoi == paths_before + 1, "the drawn AOI is one path on the map"

    # 3. Search: the results tab opens with the count of matches, the result cards, and as many footprints
    # on the map.
    lab_page.widget("dw-search-button").first.click()
    count = lab_page.widget("dw-results-count").first
    lab_page.wait_until(lambda: (int_in(count.inner_text()) or 0) > 0, "a result count > 0", timeout=90)
    cards = lab_page.widget("dw-result-card")
    lab_page.wait_until(lambda: cards.count() > 0, "the result cards")
    lab_page.wait_kernel_idle()
    n_cards = cards.count()
    results_ids = set(lab_page.kernel_json("[it.id for it in explorer.results.items]"))
    assert results_ids == site_ids, (count.inner_text(), summary)
    assert n_cards == len(site_ids) and int_in(count.inner_text()) == n_cards, count.inner_text()
    lab_page.wait_until(lambda: lab_page.leaflet_paths(leaflet).count() == paths_aoi + n_cards,
                        f"{n_cards} footprints on the map (+ the AOI)")
    signable = lab_page.widget("dw-result-card.dw-signable")
    n_ortho = len([i for i in site_ids if not i.endswith("_BRUT")])
    assert signable.count() == n_ortho
    assert lab_page.widget("dw-result-card.dw-not-signable").count() == n_cards - n_ortho
    lab_page.shot("footprints", focus=leaflet)
    lab_page.shot("searched", focus=cards.first)

    # 4. The Information panel of the first result, in the details pane: every field of the catalogue's.
    first = cards.first
    first.locator(".dw-info-button").first.click()
    details = lab_page.widget("dw-result-details").first
    info = details.locator(".dw-info-panel").first
    info.wait_for(state="visible")
    text = info.inner_text()
    missing = [f for f in INFO_FIELDS if f not in text]
    assert not missing, f"fields missing from the Information panel: {missing}\n{text}"
    item_id = info.locator(".dw-info-5").first.inner_text().strip()  # Identifiant
    assert item_id in site_ids, text
    item = next(it for it in site_items if it["id"] == item_id)
    assert info.locator(".dw-info-6").first.inner_text().strip() == item["collection"]  # Plateforme
    assert "SPOT" in info.locator(".dw-info-0").first.inner_text()  # Capteur
    lab_page.shot("information", focus=info)

    # 4b. A THEIA result (shaped like the MTD STAC API's): its card and Information panel show what it
    # has (tile, relative orbit...), no empty row, and "Pas d'aperçu" instead of a broken preview.
    theia = next(it for it in site_items if it["collection"] == "sentinel2-l2a-theia")
    lab_page.widget("dw-details-back").first.click()  # back to the list
    theia_card = cards.filter(has_text=theia["id"]).first
    theia_card.wait_for(state="visible")
    assert "∠" not in theia_card.locator(".dw-card-title").first.inner_text()  # no angle: not shown
    visualise = theia_card.locator(".dw-visualise-button").first
    assert "Pas d'aperçu" in visualise.inner_text() and visualise.is_disabled()
    theia_card.locator(".dw-info-button").first.click()
    theia_info = details.locator(".dw-info-panel").first
    theia_info.wait_for(state="visible")
    props = theia["properties"]
    assert theia_info.locator(".dw-info-tile").first.inner_text().strip() == props["s2:mgrs_tile"]
    assert theia_info.locator(".dw-info-relative-orbit").first.inner_text().strip() == str(
        props["sat:relative_orbit"])
    assert theia_info.locator(".dw-info-sensor").first.inner_text().strip() == "Sentinel-2"
    cells = theia_info.locator("td")
    assert all(cells.nth(i).inner_text().strip() for i in range(cells.count())), theia_info.inner_text()
    assert "Pays" not in theia_info.inner_text() and "Angle" not in theia_info.inner_text()
    lab_page.shot("information-theia", focus=theia_info)

    # 5. Sign the multispectral asset of an ORTHO result for 30min (its details pane); the URL streams with
    # rasterio.
    lab_page.widget("dw-details-back").first.click()
    card = signable.first
    card.locator(".dw-info-button").first.click()
    details.locator(".dw-sign-url-button").first.click()
    dialog = details.locator(".dw-sign-dialog").first
    dialog.wait_for(state="visible")
    dialog.locator(".dw-sign-ms input[type=checkbox]").first.check()
    if dialog.locator(".dw-sign-pan input[type=checkbox]").count():
        dialog.locator(".dw-sign-pan input[type=checkbox]").first.uncheck()
    lab_page.type_into(dialog.locator(".dw-sign-validity").first, "30min")
    lab_page.wait_kernel_idle()
    dialog.locator(".dw-sign-button").first.click()
    signed = dialog.locator(".dw-signed-url-ms").first
    lab_page.wait_until(lambda: signed.count() > 0 and "X-Amz-Signature=" in lab_page.value_of(signed),
                        "the signed URL of the multispectral asset")
    assert dialog.locator(".dw-signed-url-pan").count() == 0
    assert dialog.locator(".dw-sign-expiry").first.inner_text().strip()
    lab_page.shot("signed", focus=signed)
    # the field masks the signature (no secret in the widget state); the Copy button gives the whole URL
    assert "X-Amz-Signature=***" in lab_page.value_of(signed)
    copy = dialog.locator(".dw-copy-ms .dw-copy-button").first
    copy.scroll_into_view_if_needed()
    url = copy_signed_url(lab_page, copy)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["1800"], url
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert urlsplit(url).hostname == "127.0.0.1", url  # the twin's object store
    import rasterio

    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_HTTP_MAX_RETRY="0"), \
            rasterio.open(f"/vsicurl/{url}") as src:
        assert src.count == 4 and src.dtypes[0] == "uint16"
        assert src.read(1, window=((0, 64), (0, 64))).shape == (64, 64)

    # 6. Two results in the basket, loaded as a cube (the basket's tab), NDVI computed and shown on the map.
    lab_page.widget("dw-details-back").first.click()
    for i in range(2):
        signable.nth(i).locator(".dw-basket-add").first.click()
    lab_page.wait_kernel_idle()
    lab_page.side_tab(2)
    basket_count = lab_page.widget("dw-basket-count").first
    # The count and the list are two widgets: the browser may draw one before the other.
    lab_page.wait_until(lambda: int_in(basket_count.inner_text()) == 2
                        and lab_page.widget("dw-basket-item").count() == 2, "2 products in the basket")
    lab_page.shot("basket", focus=lab_page.widget("dw-basket-load").first)
    lab_page.widget("dw-basket-load").first.click()
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.cube is not None"), "explorer.cube",
                        timeout=120, interval=1.0)
    dims = lab_page.kernel_json("dict(explorer.cube.sizes)")
    assert dims.get("time", 0) >= 1 and min(dims.values()) > 0, dims
    lab_page.wait_until(lambda: bool(lab_page.widget("dw-cube-summary").first.inner_text().strip()),
                        "the cube's summary")
    lab_page.shot("loaded", focus=lab_page.widget("dw-cube-summary").first)
    lab_page.widget("dw-ndvi-button").first.click()
    overlay = lab_page.leaflet_image_overlays(leaflet)
    lab_page.wait_until(lambda: overlay.count() > 0, "the NDVI overlay on the map", timeout=180, interval=1.0)
    assert (overlay.first.get_attribute("src") or "").startswith("data:image/")
    assert lab_page.kernel_json("explorer.ndvi is not None")
    lab_page.widget("dw-ndvi-legend").first.wait_for(state="visible")
    # Every result's footprint is still on the map.
    assert lab_page.leaflet_paths(leaflet).count() >= paths_aoi + n_cards
    lab_page.shot("ndvi", focus=leaflet)

    # 7. Nothing left the machine: no basemap tile, no font, nothing from the kernel or the server.
    assert guard.since(mark) == [], "the page tried to reach other hosts"
    assert [str(o) for o in lab.outbound()] == []
    assert lab_page.console_errors == []

"""Flows of the Explorer v2 (issue 12) not covered by the other browser tests, done with the mouse:
a polygon drawn as the area of interest (the search's results framed on the map), and the hand-off to a GIS
from a result's details and from the basket (the VRT written opens with GDAL and holds the image's pixels).

Screenshots at 1366x768 and 1920x1080 go to ``tests/screenshots/<test>/``; nothing leaves the machine and
the console has no error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browser import LabPage, NetworkGuard, lonlat_to_map_px, map_px_to_lonlat
from .explorer_steps import (
    EXPLORER_CELL,
    SITE_BBOX,
    centre_on_site,
    items_in,
    run_and_render,
    wait_for_site_view,
)
from .jupyter import JupyterLab, write_notebook

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (1920, 1080))
SITE_TEXT = ",".join(map(str, SITE_BBOX))
_RECT = "el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _rect(locator: Any) -> list[float]:
    return [float(v) for v in locator.first.evaluate(_RECT)]


def _shots(page: LabPage, name: str, focus: Any) -> None:
    for width, height in SIZES:
        page.page.set_viewport_size({"width": width, "height": height})
        page.page.wait_for_timeout(400)
        page.shot(f"{name}-{width}x{height}", focus=focus)
    page.page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})


def test_polygon_drawn_is_the_area_and_the_map_frames_the_results(
        lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard, twin_items: list[dict[str, Any]]) -> None:
    mark = guard.mark()
    lab_page.page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    write_notebook(lab.root_dir / "polygon.ipynb", [EXPLORER_CELL])
    lab_page.open_notebook("polygon.ipynb")
    leaflet = run_and_render(lab_page)
    centre_on_site(lab_page)
    leaflet.scroll_into_view_if_needed()
    wait_for_site_view(lab_page)
    w, s, e, n = SITE_BBOX
    view = lab_page.kernel_json("{'center': list(explorer.map.map.center), 'zoom': explorer.map.map.zoom}")
    box = leaflet.bounding_box()
    assert box is not None
    size, centre = (box["width"], box["height"]), (float(view["center"][0]), float(view["center"][1]))
    # a triangle around the site's centre, as fractions of the map's box
    cx, cy = lonlat_to_map_px((w + e) / 2, (s + n) / 2, centre, view["zoom"], size)
    fx, fy = cx / size[0], cy / size[1]
    triangle = [(fx - 0.12, fy + 0.15), (fx + 0.12, fy + 0.15), (fx, fy - 0.18)]
    pixels = lab_page.draw_polygon(leaflet, triangle)
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.aoi is not None"), "explorer.aoi to be set")
    aoi = lab_page.kernel_json("explorer.aoi.geometry")
    assert aoi["type"] == "Polygon" and len(aoi["coordinates"][0]) == 4, aoi  # 3 vertices, closed
    tol = 3 * 360.0 / (256 * 2 ** view["zoom"])  # three pixels
    for (x, y), corner in zip(pixels, aoi["coordinates"][0], strict=False):
        lon, lat = map_px_to_lonlat(x - box["x"], y - box["y"], centre, view["zoom"], size)
        assert corner == pytest.approx([lon, lat], abs=tol)
    assert not lab_page.kernel_json("explorer.aoi.is_box")
    _shots(lab_page, "polygon-drawn", leaflet)

    # search within the triangle: the results tab, and the map framing their footprints
    lab_page.side_tab(0)
    lab_page.widget("dw-search-button").first.click()
    cards = lab_page.widget("dw-result-card")
    lab_page.wait_until(lambda: cards.count() > 0 and cards.first.is_visible(), "the result cards",
                        timeout=90)
    lab_page.wait_kernel_idle()
    ids = set(lab_page.kernel_json("[it.id for it in explorer.results.items]"))
    assert ids and ids <= {it["id"] for it in items_in(twin_items, SITE_BBOX)}
    lab_page.kernel("from dinamis_widgets.ui.map import item_bounds\n"
                    "found = [item_bounds(i) for i in explorer.results.items]")
    lab_page.wait_until(lambda: lab_page.kernel_json(
        "(lambda b: bool(b) and b[0][0] <= min(f[1] for f in found) and b[0][1] <= min(f[0] for f in found)"
        " and b[1][0] >= max(f[3] for f in found) and b[1][1] >= max(f[2] for f in found))"
        "(explorer.map.map.bounds)"), "the map framing the results' footprints")
    _shots(lab_page, "polygon-results", leaflet)

    # dates picked (the pickers show the browser's mm/dd/yyyy): the period written as French writes it
    lab_page.side_tab(0)
    for css, day in (("dw-date-start", "2025-06-01"), ("dw-date-end", "2025-06-30")):
        lab_page.widget(css).first.locator("input[type=date]").first.fill(day)
    period = lab_page.widget("dw-period").first
    lab_page.wait_until(lambda: period.inner_text().strip() == "Période : du 01/06/2025 au 30/06/2025",
                        "the period in French")
    lab_page.shot("period", focus=period)
    assert guard.since(mark) == []
    assert lab_page.console_errors == []


def _vrt_pixels(path: Path) -> tuple[int, str, tuple[int, int]]:
    import rasterio

    from dinamis_widgets.reading.gdal_io import DEFAULT_GDAL_OPTIONS

    with rasterio.Env(**DEFAULT_GDAL_OPTIONS), rasterio.open(path) as ds:
        block = ds.read(1, window=((0, 64), (0, 64)))
        return ds.count, ds.dtypes[0], block.shape


def test_gis_export_from_a_result_and_from_the_basket(lab: JupyterLab, lab_page: LabPage,
                                                      guard: NetworkGuard) -> None:
    mark = guard.mark()
    lab_page.page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    write_notebook(lab.root_dir / "gis.ipynb", [EXPLORER_CELL])
    lab_page.open_notebook("gis.ipynb")
    run_and_render(lab_page)
    lab_page.wait_kernel_idle()
    lab_page.type_into(lab_page.widget("dw-aoi-text").first, SITE_TEXT, submit=True)
    lab_page.wait_until(lambda: "3.85" in lab_page.widget("dw-aoi-summary").first.inner_text(), "the area")
    lab_page.widget("dw-search-button").first.click()
    cards = lab_page.widget("dw-result-card.dw-signable")
    lab_page.wait_until(lambda: cards.count() > 1 and cards.first.is_visible(), "the result cards",
                        timeout=90)
    lab_page.wait_kernel_idle()
    _shots(lab_page, "results", cards.first)
    # the card's four actions on one row, "Au panier" (tooltip "Ajouter au panier") whole, inside the card
    add = cards.first.locator(".dw-basket-add").first
    assert add.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), add.inner_text()
    assert _rect(add)[2] <= _rect(cards.first)[2] + 0.5
    assert abs(_rect(add)[1] - _rect(cards.first.locator(".dw-info-button"))[1]) < 2, "the actions wrap"

    # 1. From a result's details: its own VRT, the expiry said, the pyotb line shown
    item_id = cards.first.locator(".dw-card-id").first.inner_text().strip()
    cards.first.locator(".dw-info-button").first.click()
    details = lab_page.widget("dw-result-details").first
    details.locator(".dw-gis-open-button").first.click()
    box = details.locator(".dw-gis-export").first
    box.wait_for(state="visible")
    lab_page.wait_kernel_idle()
    box.locator(".dw-gis-vrt").first.click()
    status = box.locator(".dw-status").first
    lab_page.wait_until(lambda: "valables jusqu'au" in status.inner_text(), "the VRT written", timeout=90)
    assert "pyotb.Input" in box.locator(".dw-gis-output").first.inner_text()
    vrt = lab.root_dir / f"{item_id}_multispectral.vrt"
    assert vrt.exists(), sorted(p.name for p in lab.root_dir.iterdir())
    assert _vrt_pixels(vrt) == (4, "uint16", (64, 64))
    _shots(lab_page, "gis-result", box)

    # 2. From the basket: two products, the mosaic's VRT and the QGIS layers
    lab_page.widget("dw-details-back").first.click()
    for i in range(2):
        cards.nth(i).locator(".dw-basket-add").first.click()
        lab_page.wait_kernel_idle()
    lab_page.side_tab(2)
    basket_box = lab_page.widget("dw-basket").locator(".dw-gis-export").first
    basket_box.scroll_into_view_if_needed()
    basket_box.locator(".dw-gis-vrt").first.click()
    basket_status = basket_box.locator(".dw-status").first
    lab_page.wait_until(lambda: "dinamis_multispectral.vrt" in basket_status.inner_text(), "the basket's VRT",
                        timeout=90)
    basket_box.locator(".dw-gis-qlr").first.click()
    lab_page.wait_until(lambda: "dinamis_multispectral.qlr" in basket_status.inner_text(),
                        "the basket's layers", timeout=90)
    assert _vrt_pixels(lab.root_dir / "dinamis_multispectral.vrt")[:2] == (4, "uint16")
    assert "<qlr" in (lab.root_dir / "dinamis_multispectral.qlr").read_text()
    _shots(lab_page, "gis-basket", basket_box)
    assert guard.since(mark) == []
    assert [str(o) for o in lab.outbound()] == []
    assert lab_page.console_errors == []

"""The Explorer's layout in a real browser (issue 12, Explorer v2), at 1366x768 and 1920x1080, and in Voilà.

What a trainee sees on opening the notebook: the map in the centre and the side panel beside it, the area
of interest and "Rechercher" in view without scrolling, nothing overlapping nor wider than the window; the
mouse wheel over the map scrolls the page until the map is clicked; a slider's readout fits its box; a
search shows a compact list in the results tab; a result's Information and signing open in the one details
pane, with a Copy button for the signed URL. Screenshots go to ``tests/screenshots/<test name>/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .browser import LabPage, NetworkGuard
from .explorer_steps import copy_signed_url
from .jupyter import JupyterLab, write_notebook

pytestmark = pytest.mark.browser

EXPLORER_CELL = "import dinamis_widgets as dw\nexplorer = dw.Explorer()\nexplorer"
#: The twin's SPOT 6/7 scenes near Montpellier (W, S, E, N), typed as the area.
SITE_TEXT = "3.85,43.59,3.905,43.632"

_RECT = "el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _rect(locator: Any) -> list[float]:
    return [float(v) for v in locator.first.evaluate(_RECT)]


def _in_view(rect: list[float], width: int, height: int) -> bool:
    left, top, right, bottom = rect
    return left >= 0 and top >= 0 and right <= width + 0.5 and bottom <= height + 0.5 and right > left


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _notebook_to_top(page: LabPage) -> None:
    """Scroll the notebook to its top, as it opens (running the cell may have scrolled it)."""
    page.page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook')"
                       ".forEach(e => { e.scrollTop = 0; })")
    page.page.wait_for_timeout(200)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_explorer_layout(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard,
                         size: tuple[int, int]) -> None:
    width, height = size
    mark = guard.mark()
    lab_page.page.set_viewport_size({"width": width, "height": height})
    name = f"layout-{width}x{height}.ipynb"
    write_notebook(lab.root_dir / name, [EXPLORER_CELL])
    lab_page.open_notebook(name)
    lab_page.run_all()
    search = lab_page.widget("dw-search-button").first
    search.wait_for(state="visible", timeout=60_000)
    leaflet = lab_page.leaflet_map("dw-map")
    leaflet.wait_for(state="visible")
    lab_page.wait_until(lambda: lab_page.kernel_json("len(explorer.panel.collection_select.options)") > 0,
                        "the catalogue's collections")
    lab_page.wait_kernel_idle()
    _notebook_to_top(lab_page)
    lab_page.shot("opened")

    # 1. Without scrolling: the area of interest and Search in view; the side panel beside the map.
    for css in ("dw-aoi-text", "dw-aoi-apply", "dw-search-button"):
        assert _in_view(_rect(lab_page.widget(css)), width, height), (css, _rect(lab_page.widget(css)))
    side, the_map = _rect(lab_page.widget("dw-side-panel")), _rect(leaflet)
    assert not _overlap(side, the_map) and side[2] <= the_map[0], (side, the_map)
    explorer = lab_page.widget("dw-explorer").first
    whole = _rect(explorer)
    assert the_map[2] - the_map[0] > 0.5 * (whole[2] - whole[0]) and the_map[3] - the_map[1] >= 380, the_map
    assert the_map[3] <= height + 0.5, "the map's bottom is below the window"
    assert explorer.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "wider than its cell"
    parts = [_rect(lab_page.widget(c)) for c in ("dw-aoi-text", "dw-aoi-apply", "dw-search-button",
                                                    "dw-page-size")]
    assert not any(_overlap(a, b) for i, a in enumerate(parts) for b in parts[i + 1:]), parts

    # 2. The wheel over the map scrolls the page, until the map is clicked; then it zooms the map.
    zoom = lab_page.kernel_json("explorer.map.map.zoom")
    box = leaflet.bounding_box()
    assert box is not None
    centre = (box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    lab_page.page.mouse.move(*centre)
    lab_page.page.mouse.wheel(0, 300)
    lab_page.page.wait_for_timeout(800)
    assert lab_page.kernel_json("explorer.map.map.zoom") == zoom, "the wheel zoomed an unfocused map"
    assert leaflet.bounding_box()["y"] < box["y"] - 50, "the wheel did not scroll the notebook"  # type: ignore[index]
    assert "molette" in lab_page.widget("dw-wheel-hint").first.inner_text().lower()
    box = leaflet.bounding_box()
    assert box is not None
    centre = (box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    lab_page.page.mouse.click(*centre)
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.map.map.scroll_wheel_zoom") is True,
                        "the wheel given to the map by a click")
    lab_page.page.mouse.wheel(0, -300)
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.map.map.zoom") != zoom, "the wheel zooming")
    lab_page.page.mouse.move(2, height - 2)  # leaving the map gives the wheel back to the page
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.map.map.scroll_wheel_zoom") is False,
                        "the wheel given back to the page")
    _notebook_to_top(lab_page)

    # 3. A collection's filters: the resolution's readout fits its box.
    lab_page.kernel("explorer.panel.collections = ('SPOT67_HCF_GS1',)")
    gsd = lab_page.widget("dw-filter-gsd").first
    gsd.wait_for(state="visible", timeout=60_000)
    lab_page.wait_kernel_idle()
    lab_page.page.wait_for_timeout(500)  # the filters are rebuilt once the queryables arrive
    gsd.scroll_into_view_if_needed()
    readout = gsd.locator(".widget-readout, .jupyter-widget-readout").first
    fits = readout.evaluate("el => el.scrollWidth <= el.clientWidth + 1"
                            " && !el.classList.contains('overflow')")
    lab_page.shot("filters", focus=gsd)
    assert fits, readout.inner_text()
    assert _rect(readout)[2] <= _rect(lab_page.widget("dw-side-panel"))[2] + 0.5, "readout past the panel"
    lab_page.kernel("explorer.panel.collections = ()")
    lab_page.wait_kernel_idle()

    # 4. Search a typed area: the results tab, a compact list, the count once.
    lab_page.widget("dw-search-panel").first.evaluate("el => { el.scrollTop = 0; }")
    lab_page.type_into(lab_page.widget("dw-aoi-text").first, SITE_TEXT)
    lab_page.widget("dw-aoi-apply").first.click()
    lab_page.wait_until(lambda: "3.85" in lab_page.widget("dw-aoi-summary").first.inner_text(), "the area")
    search.click()
    cards = lab_page.widget("dw-result-card")
    lab_page.wait_until(lambda: cards.count() > 0 and cards.first.is_visible(), "the result cards",
                        timeout=90)
    lab_page.wait_kernel_idle()
    n = lab_page.kernel_json("len(explorer.results.items)")
    assert cards.count() == n
    header = lab_page.widget("dw-results-header").first.inner_text()
    assert header.count(f"{n} résultats") == 1 and "Décroissant" in header, header
    lab_page.shot("results")
    first_card = _rect(cards)
    assert _in_view(first_card, width, height) and first_card[3] - first_card[1] < 150, first_card

    # 5. A result's details in the one pane: Information, then signing, with a Copy button.
    card = lab_page.widget("dw-result-card.dw-signable").first
    card.locator(".dw-info-button").first.click()
    details = lab_page.widget("dw-result-details").first
    details.wait_for(state="visible")
    assert not cards.first.is_visible(), "the list stays under the details"
    details.locator(".dw-info-panel").first.wait_for(state="visible")
    lab_page.shot("details")
    details.locator(".dw-sign-url-button").first.click()
    dialog = details.locator(".dw-sign-dialog").first
    dialog.wait_for(state="visible")
    lab_page.wait_kernel_idle()
    dialog.locator(".dw-sign-button").first.click()
    signed = dialog.locator(".dw-signed-url-ms").first
    lab_page.wait_until(lambda: signed.count() > 0 and "X-Amz-Signature=" in lab_page.value_of(signed),
                        "the signed URL")
    copy = dialog.locator(".dw-copy-ms .dw-copy-button").first
    copy.scroll_into_view_if_needed()
    assert copy.is_visible() and "Copier" in copy.inner_text()
    assert _rect(copy)[2] <= _rect(lab_page.widget("dw-side-panel"))[2] + 0.5, "the Copy button is cut"
    assert "X-Amz-Signature=***" in lab_page.value_of(signed), "the URL is shown with its signature masked"
    pasted = copy_signed_url(lab_page, copy)
    assert re.search(r"X-Amz-Signature=[0-9a-f]{64}", pasted), f"not the whole signed URL: {pasted[:80]!r}"
    lab_page.shot("signed", focus=copy)
    lab_page.widget("dw-details-back").first.click()
    cards.first.wait_for(state="visible")

    assert guard.since(mark) == [], "the page tried to reach other hosts"
    assert [str(o) for o in lab.outbound()] == []
    assert lab_page.console_errors == []


def test_explorer_voila_full_width(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard) -> None:
    """Voilà at 1366x768: the Explorer is a full-width app, Search in view without scrolling."""
    mark = guard.mark()
    width, height = 1366, 768
    lab_page.page.set_viewport_size({"width": width, "height": height})
    write_notebook(lab.root_dir / "layout-voila.ipynb", [EXPLORER_CELL])
    lab_page.page.goto(lab.voila_url("layout-voila.ipynb"), wait_until="domcontentloaded")
    search = lab_page.widget("dw-search-button").first
    search.wait_for(state="visible", timeout=90_000)
    leaflet = lab_page.leaflet_map("dw-map")
    leaflet.wait_for(state="visible")
    lab_page.page.wait_for_timeout(1000)
    lab_page.shot("voila")
    assert _in_view(_rect(search), width, height), _rect(search)
    explorer = _rect(lab_page.widget("dw-explorer"))
    assert explorer[2] - explorer[0] >= 0.9 * width, explorer
    side, the_map = _rect(lab_page.widget("dw-side-panel")), _rect(leaflet)
    assert not _overlap(side, the_map) and the_map[3] <= height + 0.5, (side, the_map)
    assert guard.since(mark) == []
    # jupyter-server-proxy's front-end (installed in this environment, not ours) fails to load in Voilà
    assert [e for e in lab_page.console_errors if "jupyter-server-proxy" not in e] == []

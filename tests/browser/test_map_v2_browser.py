"""The Explorer's map in a real browser, offline: the basemap a trainee reads (and no request leaving the
machine), an area typed moving the map, and "Visualiser" streaming the COG at two zooms.

Screenshots at 1366x768 and 1920x1080 go to ``tests/screenshots/<test>/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ranged_bytes

from .browser import LabPage, NetworkGuard
from .jupyter import JupyterLab, write_notebook

pytestmark = pytest.mark.browser

EXPLORER_CELL = "import dinamis_widgets as dw\nexplorer = dw.Explorer()\nexplorer"
SIZES = ((1366, 768), (1920, 1080))
#: Réunion, typed as a trainee would (west, south, east, north).
REUNION = (55.2, -21.4, 55.85, -20.85)
#: An ORTHO SPOT scene of the twin (Rochefort).
SCENE = "SPOT67_HCF_202506191041058_GS1_W001N46_SCENE1"


def _open_explorer(lab: JupyterLab, page: LabPage, name: str) -> Any:
    write_notebook(lab.root_dir / f"{name}.ipynb", [EXPLORER_CELL])
    page.open_notebook(f"{name}.ipynb")
    page.run_all()
    leaflet = page.leaflet_map("dw-map")
    leaflet.wait_for(state="visible", timeout=60_000)
    page.wait_kernel_idle()
    return leaflet


def _shots(page: LabPage, name: str, leaflet: Any) -> None:
    for width, height in SIZES:
        page.page.set_viewport_size({"width": width, "height": height})
        page.page.wait_for_timeout(400)
        leaflet.scroll_into_view_if_needed()
        page.shot(f"{name}-{width}x{height}")


_RECT = "el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _rect(locator: Any) -> list[float]:
    return [float(v) for v in locator.evaluate(_RECT)]


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _view_covers(page: LabPage, bbox: tuple[float, float, float, float]) -> bool:
    w, s, e, n = bbox
    return bool(page.kernel_json(
        f"(lambda b: bool(b) and b[0][0] <= {s} and b[0][1] <= {w} and b[1][0] >= {n} and b[1][1] >= {e})"
        "(explorer.map.map.bounds)"))


def test_offline_basemap_and_typed_area(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard) -> None:
    """Countries, régions, départements and towns drawn offline; typing Réunion's bbox moves the map there."""
    mark = guard.mark()
    leaflet = _open_explorer(lab, lab_page, "basemap")
    # the basemap is vector paths and town labels drawn by the kernel's data: no tile image at all
    basemap_paths = leaflet.locator(".leaflet-dw-basemap-pane svg path")  # its own pane, under the images
    lab_page.wait_until(lambda: basemap_paths.count() > 150, "the basemap's paths")
    labels = leaflet.locator(".dw-town-label")
    lab_page.wait_until(lambda: labels.count() > 10, "the town labels")
    assert "Paris" in labels.all_inner_texts() and "Lyon" in labels.all_inner_texts()
    assert leaflet.locator("img.leaflet-tile").count() == 0
    switch = lab_page.widget("dw-basemap-switch").first
    assert "Fond hors ligne" in switch.inner_text()
    _shots(lab_page, "france", leaflet)
    # a trainee types an area: the map goes there, where Réunion's towns are labelled
    lab_page.type_into(lab_page.widget("dw-aoi-text").first, ", ".join(map(str, REUNION)), submit=True)
    lab_page.wait_until(lambda: _view_covers(lab_page, REUNION), "the map to show the typed area")
    view = lab_page.kernel_json("[explorer.map.map.zoom, list(explorer.map.map.center)]")
    assert view[0] >= 8 and view[1] == pytest.approx([-21.125, 55.525], abs=0.05)
    lab_page.wait_until(lambda: "Saint-Denis" in labels.all_inner_texts(), "Réunion's towns")
    _shots(lab_page, "reunion-typed", leaflet)
    assert guard.since(mark) == [], "the offline map asked another machine for something"


def test_visualise_streams_the_cog_at_two_zooms(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard,
                                                twin: Any) -> None:
    """The quicklook first, then the COG at the map's zoom; zoomed out, another overview, another image;
    the bytes of each view within 1.5 times the tiles its plan needs."""
    mark = guard.mark()
    leaflet = _open_explorer(lab, lab_page, "stream")
    lab_page.kernel("from dinamis_widgets.analysis.rendering import view_arguments\n"
                    f"item = next(iter(dw.search(ids=['{SCENE}'], collections=['SPOT67_HCF_GS1']).items))\n"
                    "explorer.live_view._debounce = 0.3\n"
                    "explorer.visualise(item)")
    images = lab_page.leaflet_image_overlays(leaflet)
    lab_page.wait_until(lambda: lab_page.kernel_json("explorer.live_view.renders") >= 1, "the first view",
                        timeout=120)
    lab_page.wait_until(lambda: images.count() >= 2, "the quicklook and the streamed image on the map")
    lab_page.wait_kernel_idle()

    def streamed_src() -> str:
        return str(leaflet.locator("img.leaflet-image-layer").last.get_attribute("src") or "")

    # zoom in (as the + button does): one new view, read at full resolution
    for label, zoom in (("in", 16), ("out", 12)):
        before = lab_page.kernel_json("explorer.live_view.renders")
        src = streamed_src()
        twin.reset_store_stats()
        lab_page.kernel(f"explorer.map.map.zoom = {zoom}")
        lab_page.wait_until(lambda b=before: lab_page.kernel_json("explorer.live_view.renders") == b + 1
                            and not lab_page.kernel_json("explorer.live_view._tasks.running"),
                            f"the view zoomed {label}", timeout=120)
        fetched = ranged_bytes(twin.store_stats())
        lab_page.wait_until(lambda s=src: streamed_src() != s and streamed_src().startswith("data:image/png"),
                            "the new image in the browser")
        plan = lab_page.kernel_json(
            "(lambda p: [p.estimated_bytes, list(p.files[0].levels)])(dw.plan([item], "
            "['red', 'green', 'blue'], **view_arguments(*explorer.live_view.last_view)))")
        resolution = lab_page.kernel_json("explorer.live_view.rendered.resolution")
        print(f"zoom {zoom}: {resolution:.1f} m/pixel, levels {plan[1]}, {fetched} bytes fetched, "
              f"{plan[0]} planned")
        assert fetched <= 1.5 * plan[0], (zoom, fetched, plan)
        assert (plan[1] == [0]) if zoom == 16 else (min(plan[1]) > 0)
        _shots(lab_page, f"streamed-zoom-{zoom}", leaflet)
    # the live view's box, at the map's top-right, leaves the image (centred, zoomed out) uncovered
    box = leaflet.locator(".dw-live-view").first
    assert not _overlap(_rect(box), _rect(leaflet.locator("img.leaflet-image-layer").last))
    # its status is in the box only (the box itself may say "Lecture…": the screenshots' resizes re-render)
    outside_box = lab_page.widget("dw-centre").first.evaluate(
        "el => { const c = el.cloneNode(true); c.querySelectorAll('.dw-live-view').forEach(b => b.remove());"
        " return c.textContent; }")
    assert "Lecture" not in outside_box

    def click_and_render(locator: Any, what: str, select: str | None = None) -> None:
        before = lab_page.kernel_json("explorer.live_view.renders")
        if select is None:
            locator.click()
        else:
            locator.select_option(label=select)
        lab_page.wait_until(lambda: lab_page.kernel_json("explorer.live_view.renders") > before
                            and not lab_page.kernel_json("explorer.live_view._tasks.running"), what,
                            timeout=120)

    # NDVI, clicked: the view is read again as NDVI, with its legend in the box
    click_and_render(box.locator(".dw-live-kind button").filter(has_text="NDVI").first, "the NDVI view")
    assert lab_page.kernel_json("explorer.live_view.rendered.kind") == "ndvi"
    box.locator(".dw-live-legend").first.wait_for(state="visible")
    _shots(lab_page, "streamed-ndvi", leaflet)
    # back to true colour, then the stretch unfolded and set to fixed bounds
    click_and_render(box.locator(".dw-live-kind button").first, "the true-colour view")
    box.locator(".dw-live-settings").first.click()
    stretch = box.locator(".dw-live-stretch select").first
    stretch.wait_for(state="visible")
    click_and_render(stretch, "the stretch menu", select="Min / max")
    assert lab_page.kernel_json("explorer.live_view.stretch") == "minmax"
    assert lab_page.kernel_json("explorer.live_view.rendered.limits['red']") == [0.0, 1500.0]
    _shots(lab_page, "streamed-stretch", leaflet)
    # "Arrêter": the image and the box leave the map
    box.locator(".dw-live-stop").first.click()
    lab_page.wait_until(lambda: leaflet.locator(".dw-live-view").count() == 0, "the live view stopped")
    assert guard.since(mark) == []
    assert lab_page.console_errors == []

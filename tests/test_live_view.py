"""The streamed view in the kernel (``ui.live_view``): the map's view read at its zoom, re-read after a
move (debounced, stale views skipped), NDVI and stretch, and "Visualiser" starting it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pystac
import pytest

from dinamis_widgets.ui.live_view import LiveView
from dinamis_widgets.ui.map import ExplorerMap
from dinamis_widgets.ui.status import StatusBar

from .ui_helpers import TWO_DATES, item

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


def browser_view(m: ExplorerMap, lon: float, lat: float, zoom: int,
                 size: tuple[int, int] = (640, 420)) -> None:
    """Set the map's view as the browser reports it: centre, zoom, bounds and pixel bounds."""
    scale = 256 * 2 ** zoom
    cx = (lon + 180) / 360 * scale
    cy = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * scale
    left, right, top, bottom = cx - size[0] / 2, cx + size[0] / 2, cy - size[1] / 2, cy + size[1] / 2

    def lon_of(x: float) -> float:
        return x / scale * 360 - 180

    def lat_of(y: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / scale))))

    lm = m.map
    with lm.hold_trait_notifications():
        lm.zoom = zoom
        lm.center = [lat, lon]
        for name, value in (("left", left), ("right", right), ("top", top), ("bottom", bottom),
                            ("west", lon_of(left)), ("east", lon_of(right)), ("north", lat_of(top)),
                            ("south", lat_of(bottom))):
            lm.set_trait(name, value)


@pytest.fixture()
def live(twin: Any) -> LiveView:
    return LiveView(ExplorerMap(lang="en"), StatusBar(lang="en"), lang="en", debounce=0.05)


@pytest.fixture(scope="module")
def scene(twin_items: list[dict[str, Any]]) -> pystac.Item:
    return item(twin_items, TWO_DATES[0])


def _centre(it: pystac.Item) -> tuple[float, float]:
    west, south, east, north = it.bbox  # type: ignore[misc]
    return (west + east) / 2, (south + north) / 2


def test_view_follows_zoom_and_pan(live: LiveView, scene: pystac.Item) -> None:
    lon, lat = _centre(scene)
    browser_view(live._map, lon, lat, 13)
    live.show([scene])
    assert live.wait(120) and live.renders == 1, live._status.message
    first = live.rendered
    assert first is not None and live.layer is not None
    assert live.layer.url.startswith("data:image/png;base64,")
    assert live.control in live._map.map.controls
    assert live.layer in live._map.map.layers
    # the whole scene is in view at zoom 13: the image is cut to it
    assert first.bounds[0] == pytest.approx(scene.bbox[0], abs=0.002)  # type: ignore[index]
    url = live.layer.url
    browser_view(live._map, lon + 0.005, lat + 0.003, 17)  # zoomed in and panned
    assert live.wait(120) and live.renders == 2
    second = live.rendered
    assert second is not None and second.resolution < first.resolution / 8
    assert second.coverage == 1.0 and live.layer.url != url


def test_stale_views_are_skipped(live: LiveView, scene: pystac.Item) -> None:
    lon, lat = _centre(scene)
    live._debounce = 0.5
    browser_view(live._map, lon, lat, 14)
    live.show([scene])
    assert live.wait(120) and live.renders == 1
    for step in range(4):  # a quick series of moves: only the last one is read
        browser_view(live._map, lon + 0.002 * step, lat, 15)
    assert live.wait(120) and live.renders == 2
    rendered = live.rendered
    assert rendered is not None
    west = max(live._map.view_bounds()[0], scene.bbox[0])  # type: ignore[index]
    assert rendered.bounds[0] == pytest.approx(west, abs=1e-4)


def test_ndvi_and_stretch_and_stop(live: LiveView, scene: pystac.Item) -> None:
    lon, lat = _centre(scene)
    browser_view(live._map, lon, lat, 16)
    live.show([scene])
    assert live.wait(120)
    natural = live.rendered
    live.stretch = "minmax"
    live.range_slider.value = (0.0, 4000.0)
    assert live.wait(120)
    dimmer = live.rendered
    assert natural is not None and dimmer is not None and dimmer.limits["red"] == (0.0, 4000.0)
    assert dimmer.rgba[..., :3].mean() < natural.rgba[..., :3].mean()
    live.kind = "ndvi"
    assert live.wait(120)
    ndvi = live.rendered
    assert ndvi is not None and ndvi.kind == "ndvi" and ndvi.values is not None
    assert np.nanmin(ndvi.values) >= -1 and np.nanmax(ndvi.values) <= 1
    assert live.legend.layout.display == ""
    live.stop()
    assert live.layer is None and live.control not in live._map.map.controls
    assert not [layer for layer in live._map.map.layers if type(layer).__name__ == "ImageOverlay"]


def test_visualise_streams_after_the_quicklook(twin: Any, scene: pystac.Item) -> None:
    import dinamis_widgets as dw

    ex = dw.Explorer(lang="en")
    assert ex.wait(60)
    lon, lat = _centre(scene)
    browser_view(ex.map, lon, lat, 15)
    ex.visualise(scene)
    assert ex.wait(60) and ex.map.quicklook is not None  # the instant preview first
    assert ex.live_view.active
    browser_view(ex.map, lon, lat, 15)  # the browser reports the view the quicklook zoomed to
    assert ex.live_view.wait(120) and ex.live_view.rendered is not None, ex.status.message
    layers = list(ex.map.map.layers)
    assert layers.index(ex.live_view.layer) > layers.index(ex.map.quicklook)  # the COG over the preview

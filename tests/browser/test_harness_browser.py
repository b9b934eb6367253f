"""The browser harness itself: offline guard, JupyterLab quiet, widgets clicked, typed and drawn on.

A trivial notebook (an ipywidgets Button and Label, a Text echoed back, an ipyleaflet Map with a
DrawControl) proves that the harness can do, in a real Chromium, everything the Explorer test needs:
run all cells, click, type, draw a rectangle with the mouse and read what the kernel received.
"""

from __future__ import annotations

from typing import Any

import pytest

from .browser import LabPage, NetworkGuard, map_px_to_lonlat, parse_json_text
from .jupyter import DISABLED_LAB_PLUGINS, PROBE_HOST, JupyterLab, write_notebook

pytestmark = pytest.mark.browser

HARNESS_CELL = """\
import json
import ipywidgets as w
from ipyleaflet import DrawControl, Map

label = w.Label("not clicked")
label.add_class("dw-test-label")
button = w.Button(description="Click me")
button.add_class("dw-test-button")
clicks = 0

def on_click(_):
    global clicks
    clicks += 1
    label.value = f"clicked {clicks}"

button.on_click(on_click)
text = w.Text(placeholder="type here")
text.add_class("dw-test-text")
echo = w.Label()
echo.add_class("dw-test-echo")
text.observe(lambda change: setattr(echo, "value", change["new"].upper()), "value")

# No basemap: nothing to fetch offline.
m = Map(center=(43.6, 3.9), zoom=9, layers=(), scroll_wheel_zoom=False,
        layout=w.Layout(width="640px", height="420px"))
m.add_class("dw-test-map")
draw = DrawControl(rectangle={"shapeOptions": {"color": "#0050ff"}}, polygon={}, polyline={},
                   circlemarker={})
drawn = w.Label()
drawn.add_class("dw-test-geojson")
last_geojson = None

def on_draw(control, action, geo_json):
    global last_geojson
    last_geojson = geo_json
    drawn.value = json.dumps({"action": action, "geometry": geo_json["geometry"]})

draw.on_draw(on_draw)
m.add(draw)
w.VBox([w.HBox([button, label]), w.HBox([text, echo]), m, drawn])
"""


def test_network_guard_aborts_and_records(lab: JupyterLab, browser_context: Any, guard: NetworkGuard) -> None:
    """Requests (fetch, image, WebSocket) to other hosts are aborted and recorded; loopback passes."""
    page = browser_context.new_page()
    try:
        # A loopback page whose Content-Security-Policy lets it connect anywhere: only the guard can block.
        page.goto(f"{lab.url}login")
        mark = guard.mark()
        result = page.evaluate("""async (local) => {
          const reach = (url) => fetch(url, {mode: 'no-cors'}).then(() => 'reached', () => 'blocked');
          const r = {};
          r.fetch = await reach('https://tile.openstreetmap.org/0/0/0.png');
          r.img = await new Promise((res) => {
            const i = new Image(); i.onload = () => res('loaded'); i.onerror = () => res('blocked');
            i.src = 'https://example.org/pixel.png';
          });
          r.ws = await new Promise((res) => {
            const s = new WebSocket('wss://example.org/socket');
            s.onopen = () => res('open'); s.onclose = () => res('closed');
          });
          r.local = await reach(local);
          return r;
        }""", f"{lab.url}login")
    finally:
        page.close()
    assert result["fetch"] == "blocked"
    assert result["img"] == "blocked"
    assert result["ws"] == "closed"
    assert result["local"] == "reached"
    assert set(guard.since(mark)) == {"https://tile.openstreetmap.org/0/0/0.png",
                                      "https://example.org/pixel.png", "wss://example.org/socket"}


def test_harness_widgets_and_mouse_drawing(lab: JupyterLab, lab_page: LabPage, guard: NetworkGuard) -> None:
    """Run a notebook, click a Button, type in a Text, draw a rectangle with the mouse on a Leaflet map."""
    mark = guard.mark()
    page = lab_page.page
    write_notebook(lab.root_dir / "harness.ipynb", [HARNESS_CELL])

    # 1. JupyterLab opens the notebook, its kernel is idle; the plugins that fetch news are off.
    lab_page.open_notebook("harness.ipynb")
    lab_page.shot("opened")
    for plugin in DISABLED_LAB_PLUGINS:
        if ":" in plugin:
            assert not page.evaluate("(id) => window.jupyterapp.isPluginActivated(id)", plugin), plugin
    assert page.locator('[data-id="extensionmanager.main-view"]').count() == 0

    # 2. Run all cells; the widgets render.
    counts = lab_page.run_all()
    assert counts == [1]
    button = lab_page.widget("dw-test-button")
    button.wait_for(state="visible")
    leaflet = lab_page.leaflet_map("dw-test-map")
    leaflet.wait_for(state="visible")
    lab_page.shot("rendered")

    # 3. A click reaches the kernel and its answer comes back.
    button.click()
    label = lab_page.widget("dw-test-label")
    lab_page.wait_until(lambda: label.inner_text() == "clicked 1", "the label to say 'clicked 1'")
    lab_page.shot("clicked")

    # 4. Typing in a Text widget, key by key.
    lab_page.type_into(lab_page.widget("dw-test-text"), "bonjour")
    echo = lab_page.widget("dw-test-echo")
    lab_page.wait_until(lambda: echo.inner_text() == "BONJOUR", "the echo of the typed text")
    assert lab_page.value_of(lab_page.widget("dw-test-text")) == "bonjour"
    lab_page.shot("typed")

    # 5. A rectangle drawn with the mouse arrives in the kernel as GeoJSON, where the mouse was.
    leaflet.scroll_into_view_if_needed()
    before = lab_page.leaflet_paths(leaflet).count()
    (x1, y1), (x2, y2) = lab_page.draw_rectangle(leaflet, (0.25, 0.3), (0.7, 0.75))
    geo = lab_page.widget("dw-test-geojson")
    lab_page.wait_until(lambda: geo.inner_text().startswith("{"), "the drawn GeoJSON in the kernel")
    lab_page.shot("drawn")
    shown = parse_json_text(geo.inner_text())
    assert shown["action"] == "created"
    ring = shown["geometry"]["coordinates"][0]
    assert shown["geometry"]["type"] == "Polygon" and len(ring) == 5
    assert lab_page.leaflet_paths(leaflet).count() == before + 1
    # Where the mouse went, in degrees: the map's view (from the kernel) and the map's box (from the DOM).
    view = lab_page.kernel_json("{'center': list(m.center), 'zoom': m.zoom}")
    assert lab_page.kernel_json("last_geojson['geometry']") == shown["geometry"]
    box = leaflet.bounding_box()
    assert box is not None
    size = (box["width"], box["height"])
    corners = [map_px_to_lonlat(x - box["x"], y - box["y"], tuple(view["center"]), view["zoom"], size)
               for x, y in ((x1, y1), (x2, y2))]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    tol = 2 * 360.0 / (256 * 2 ** view["zoom"])  # two pixels
    assert min(lons) == pytest.approx(min(c[0] for c in corners), abs=tol)
    assert max(lons) == pytest.approx(max(c[0] for c in corners), abs=tol)
    assert min(lats) == pytest.approx(min(c[1] for c in corners), abs=tol)
    assert max(lats) == pytest.approx(max(c[1] for c in corners), abs=tol)

    # 6. Nothing left the machine: not the page, not the server, not the kernel.
    assert guard.since(mark) == []
    assert [str(o) for o in lab.outbound()] == []
    assert lab_page.console_errors == []
    # ... and the kernel's audit hook would have seen it (a lookup that cannot succeed, made on purpose).
    lab_page.kernel(f"import socket\ntry:\n    socket.getaddrinfo({PROBE_HOST!r}, 443)\n"
                    "except OSError:\n    pass")
    probes = [o for o in lab.outbound(include_probe=True) if o.host == PROBE_HOST]
    assert [(o.process, o.event, o.port) for o in probes] == [
        ("ipykernel_launcher", "socket.getaddrinfo", "443")]

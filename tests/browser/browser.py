"""Debian's Chromium under Playwright, offline: launch it, guard its network, drive JupyterLab notebooks.

* :func:`launch_chromium` starts ``/usr/bin/chromium`` headless (Playwright's own browser download is not
  needed) with a fresh user-data folder and the flags of DESIGN.md section 4; the host resolver of the browser
  process itself maps every name but ``localhost`` to "not found", so nothing Chromium does on its own
  (component updates, safe browsing...) can leave the machine either.
* :class:`NetworkGuard` aborts every page request (HTTP or WebSocket) whose host is not loopback, and records
  it, so a test can assert that the page needed nothing from the internet, or list what it tried.
* :class:`LabPage` opens a notebook in JupyterLab or Notebook 7 (``window.jupyterapp``, exposed by the
  server), runs all its cells through ``notebook:run-all-cells``, finds widgets by CSS class, draws on
  Leaflet maps with the mouse and numbers its screenshots (it also serves a Voilà page, for the last three).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Locator, Page, Playwright, Route, ViewportSize, WebSocketRoute

from .jupyter import JupyterLab, is_loopback

#: The browser: Debian's package (apt-get install chromium); DW_CHROMIUM points elsewhere if needed.
CHROMIUM = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")

#: Flags of DESIGN.md section 4, plus everything that keeps Chromium's own services quiet.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)

VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}

# Requests Playwright hands to the guard: anything not addressed to a loopback host. (data:, blob: and
# about: URLs never reach the network layer; the handler double-checks with is_loopback anyway.)
_NON_LOOPBACK = re.compile(
    r"^(?!(?:https?|wss?)://(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d+)?(?:[/?#]|$))")


class NetworkGuard:
    """Aborts every request of a browser context that would leave the machine, and records its URL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._aborted: list[str] = []

    def install(self, context: BrowserContext) -> NetworkGuard:
        """Route ``context``'s HTTP requests and WebSockets through the guard."""
        context.route(_NON_LOOPBACK, self._on_request)
        context.route_web_socket(_NON_LOOPBACK, self._on_websocket)
        return self

    @staticmethod
    def leaves_machine(url: str) -> bool:
        """Whether a request to ``url`` would go to another machine."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False
        return not is_loopback(parts.hostname)

    def _record(self, url: str) -> None:
        with self._lock:
            self._aborted.append(url)

    def _on_request(self, route: Route) -> None:
        url = route.request.url
        if not self.leaves_machine(url):
            route.fallback()
            return
        self._record(url)
        route.abort("internetdisconnected")

    def _on_websocket(self, ws: WebSocketRoute) -> None:
        if not self.leaves_machine(ws.url):
            ws.connect_to_server()
            return
        self._record(ws.url)
        ws.close(code=1008, reason="offline test: non-loopback WebSocket refused")

    @property
    def aborted(self) -> list[str]:
        """Every URL aborted so far, in order."""
        with self._lock:
            return list(self._aborted)

    def mark(self) -> int:
        """A position in the record, for :meth:`since`."""
        with self._lock:
            return len(self._aborted)

    def since(self, mark: int) -> list[str]:
        """URLs aborted after :meth:`mark` returned ``mark``."""
        with self._lock:
            return list(self._aborted[mark:])


def launch_chromium(playwright: Playwright, profile_dir: Path, *, executable: str = CHROMIUM,
                    headless: bool = True) -> BrowserContext:
    """Debian's Chromium with a fresh profile in ``profile_dir`` (which must not hold one yet)."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    if any(profile_dir.iterdir()):
        raise ValueError(f"{profile_dir} is not empty: a fresh profile is needed")
    return playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=executable, headless=headless, args=list(CHROMIUM_ARGS),
        viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True,
        service_workers="block")


# JavaScript run in the page. `panel()` is the current notebook panel.
_JS_PANEL = """
const app = window.jupyterapp;
const panel = () => {
  const w = app && app.shell && app.shell.currentWidget;
  return w && w.sessionContext && w.content && w.content.model ? w : null;
};
"""

_JS_NOTEBOOK_READY = _JS_PANEL + """
const p = panel();
if (!p || !p.context.isReady || !p.sessionContext.session) return false;
const k = p.sessionContext.session.kernel;
return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
"""

_JS_RUN_ALL = "async () => {" + _JS_PANEL + """
  const p = panel();
  p.content.activate();
  const ok = await app.commands.execute('notebook:run-all-cells');
  const cells = p.content.model.cells;
  const errors = [], counts = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    counts.push(c.executionCount);
    for (const o of c.outputs.toJSON()) {
      if (o.output_type !== 'error') continue;
      errors.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
    }
  }
  return {ok: ok === true, errors, counts};
}"""

_JS_KERNEL_IDLE = _JS_PANEL + """
const p = panel();
const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
return !!k && k.status === 'idle';
"""

_JS_KERNEL_EXECUTE = "async (code) => {" + _JS_PANEL + """
  const k = panel().sessionContext.session.kernel;
  const future = k.requestExecute({code, silent: false, store_history: false});
  const out = [];
  let error = null;
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type, c = msg.content;
    if (t === 'stream') out.push(c.text);
    else if (t === 'execute_result' || t === 'display_data') out.push((c.data || {})['text/plain'] || '');
    else if (t === 'error') error = c.ename + ': ' + c.evalue + '\\n' + (c.traceback || []).join('\\n');
  };
  const reply = await future.done;
  return {out: out.join(''), error, status: reply.content.status};
}"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class LabPage:
    """One JupyterLab tab showing one notebook, with numbered screenshots of each step."""

    def __init__(self, page: Page, lab: JupyterLab, shots_dir: Path) -> None:
        self.page = page
        self.lab = lab
        self.shots_dir = shots_dir
        self.shots: list[Path] = []
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        shots_dir.mkdir(parents=True, exist_ok=True)
        for old in shots_dir.glob("*.png"):
            old.unlink()

    # -- screenshots ------------------------------------------------------------------------------
    def shot(self, name: str, focus: Locator | None = None) -> Path:
        """Save a screenshot of the page as ``NN-name.png`` (``focus`` scrolled into view first); its path."""
        if focus is not None:
            focus.scroll_into_view_if_needed()
        path = self.shots_dir / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path

    # -- notebook ---------------------------------------------------------------------------------
    def open_notebook(self, path: str, timeout: float = 90.0, *, notebook7: bool = False) -> None:
        """Open ``path`` (relative to the server's root) and wait until its kernel is idle.

        In JupyterLab, or in Notebook 7 (``/notebooks/<path>``) with ``notebook7``: both expose their
        application as ``window.jupyterapp``, whose current widget is the notebook panel.
        """
        url = self.lab.notebook7_url(path) if notebook7 else self.lab.lab_url(path)
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=timeout * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        self.page.wait_for_function("() => {" + _JS_NOTEBOOK_READY + "}", timeout=timeout * 1000,
                                    polling=250)

    def run_all(self, timeout: float = 180.0) -> list[int | None]:
        """Run every cell (``notebook:run-all-cells``); fail with the tracebacks if one raised.

        Returns the execution counts of the code cells.
        """
        self.page.set_default_timeout(timeout * 1000)
        try:
            result: dict[str, Any] = self.page.evaluate(_JS_RUN_ALL)
        finally:
            self.page.set_default_timeout(30_000)
        errors = [_ANSI.sub("", e) for e in result["errors"]]
        if errors or not result["ok"]:
            raise AssertionError("notebook cells failed:\n" + "\n\n".join(errors or ["(no error output)"]))
        return list(result["counts"])

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the notebook's kernel is idle (callbacks of a click done)."""
        self.page.wait_for_function("() => {" + _JS_KERNEL_IDLE + "}", timeout=timeout * 1000, polling=100)

    def kernel(self, code: str, timeout: float = 60.0) -> str:
        """Run ``code`` in the notebook's kernel, outside the notebook (nothing shows); what it printed.

        For reading the state behind the widgets (``explorer.aoi``...) and for setting up what a user would
        do by hand but a test cannot do reliably. Raises :class:`AssertionError` with the traceback on error.
        """
        self.page.set_default_timeout(timeout * 1000)
        try:
            result: dict[str, Any] = self.page.evaluate(_JS_KERNEL_EXECUTE, code)
        finally:
            self.page.set_default_timeout(30_000)
        if result["error"] or result["status"] != "ok":
            raise AssertionError(f"kernel code failed:\n{code}\n{_ANSI.sub('', result['error'] or '')}")
        return str(result["out"])

    def kernel_json(self, expression: str, timeout: float = 60.0) -> Any:
        """The value of a Python ``expression`` in the notebook's kernel, through JSON."""
        out = self.kernel(f"import json as _j; print(_j.dumps({expression}, default=str))", timeout)
        return parse_json_text(out.strip().splitlines()[-1])

    # -- widgets ----------------------------------------------------------------------------------
    def widget(self, css_class: str) -> Locator:
        """The element(s) carrying ``css_class`` (ipywidgets' ``add_class``) in the notebook's outputs."""
        return self.page.locator(f".jp-OutputArea-output .{css_class}")

    @staticmethod
    def input_of(widget: Locator) -> Locator:
        """The text input of an ipywidgets Text/Textarea/Combobox, or the element itself if it is one."""
        return widget.locator("xpath=self::input | self::textarea | .//input | .//textarea").first

    def value_of(self, widget: Locator) -> str:
        """What a widget shows: the value of its input or text area if it has one, else its text."""
        return str(widget.first.evaluate(
            "el => { const i = el.matches('input,textarea') ? el : el.querySelector('input,textarea');"
            " return i ? i.value : el.innerText; }"))

    def type_into(self, widget: Locator, text: str, *, submit: bool = False) -> None:
        """Replace the text of an input widget by ``text``, typed key by key (then Enter if ``submit``)."""
        box = self.input_of(widget)
        box.click()
        box.fill("")
        box.press_sequentially(text, delay=20)
        if submit:
            box.press("Enter")
        else:
            box.blur()

    def wait_until(self, predicate: Callable[[], bool], what: str, timeout: float = 60.0,
                   interval: float = 0.2) -> None:
        """Poll ``predicate`` (which may read the DOM) until true; fail saying ``what`` was awaited."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.shot("timeout")
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            self.page.wait_for_timeout(interval * 1000)

    def side_tab(self, index: int) -> Locator:
        """Click the ``index``-th tab of the Explorer's side panel (0 search, 1 results, 2 basket)."""
        tab = self.widget("dw-side-tabs").first.locator(".lm-TabBar-tab").nth(index)
        tab.click()
        return tab

    # -- Leaflet ----------------------------------------------------------------------------------
    def draw_rectangle(self, leaflet: Locator, start: tuple[float, float], end: tuple[float, float],
                       steps: int = 12) -> tuple[tuple[float, float], tuple[float, float]]:
        """Draw a rectangle with the mouse on a Leaflet map (leaflet-draw's rectangle tool).

        ``start`` and ``end`` are fractions (x, y) of the map's box. Returns the two corners in page pixels.
        """
        leaflet.locator(".leaflet-draw-draw-rectangle").first.click()
        box = leaflet.bounding_box()
        assert box is not None, "the map is not visible"
        x1, y1 = box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
        x2, y2 = box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"]
        mouse = self.page.mouse
        mouse.move(x1, y1)
        mouse.down()
        mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=steps)
        mouse.move(x2, y2, steps=steps)
        mouse.up()
        return (x1, y1), (x2, y2)

    def draw_polygon(self, leaflet: Locator, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Draw a polygon with the mouse (leaflet-draw's polygon tool): a click per vertex, then a click on
        the first one to close it. ``points`` are fractions (x, y) of the map's box; returns the vertices in
        page pixels."""
        leaflet.locator(".leaflet-draw-draw-polygon").first.click()
        box = leaflet.bounding_box()
        assert box is not None, "the map is not visible"
        pixels = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
        for x, y in [*pixels, pixels[0]]:
            self.page.mouse.move(x, y, steps=4)
            self.page.mouse.click(x, y)
            self.page.wait_for_timeout(250)  # not a double click
        return pixels

    def leaflet_map(self, css_class: str) -> Locator:
        """The Leaflet container of the map widget carrying ``css_class`` (on it or inside it)."""
        return self.widget(css_class).locator(
            "xpath=self::*[contains(concat(' ', @class, ' '), ' leaflet-container ')]"
            " | .//*[contains(concat(' ', @class, ' '), ' leaflet-container ')]").first

    @staticmethod
    def leaflet_paths(leaflet: Locator) -> Locator:
        """The vector paths (footprints, drawn shapes) of a Leaflet map."""
        return leaflet.locator(".leaflet-overlay-pane svg path")

    @staticmethod
    def leaflet_image_overlays(leaflet: Locator) -> Locator:
        """The image overlays (``L.ImageOverlay``) of a Leaflet map."""
        return leaflet.locator("img.leaflet-image-layer")


def parse_json_text(text: str) -> Any:
    """JSON shown in a widget (a Label's text), with a readable error when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise AssertionError(f"expected JSON in the widget, got {text!r}") from e


def _world_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel of (lon, lat) at ``zoom`` (Leaflet's EPSG:3857, 256-pixel tiles)."""
    size = 256.0 * 2.0 ** zoom
    s = math.sin(math.radians(lat))
    return (lon + 180.0) / 360.0 * size, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size


def lonlat_to_map_px(lon: float, lat: float, center: tuple[float, float], zoom: float,
                     size: tuple[float, float]) -> tuple[float, float]:
    """Pixel (x, y) inside a Leaflet map of ``size`` (w, h) centred on ``center`` (lat, lon) at ``zoom``."""
    cx, cy = _world_px(center[1], center[0], zoom)
    x, y = _world_px(lon, lat, zoom)
    return x - cx + size[0] / 2, y - cy + size[1] / 2


def map_px_to_lonlat(x: float, y: float, center: tuple[float, float], zoom: float,
                     size: tuple[float, float]) -> tuple[float, float]:
    """Inverse of :func:`lonlat_to_map_px`: (lon, lat) of a pixel of the map."""
    world = 256.0 * 2.0 ** zoom
    cx, cy = _world_px(center[1], center[0], zoom)
    gx, gy = cx + x - size[0] / 2, cy + y - size[1] / 2
    lon = gx / world * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * gy / world))))
    return lon, lat

"""The streamed view: "Visualiser" shows the signed COG itself, at the map's zoom, re-rendered as you move.

:class:`LiveView` watches the map's view (its bounds and size in pixels, which the browser reports after
every pan and zoom). A change waits for the map to settle (``debounce`` seconds), then a worker thread reads
the view with :func:`~dinamis_widgets.analysis.rendering.render_view` (the COG overview that matches the
zoom, down to full resolution, through the signed, re-signing reader), encodes it as a PNG and sends it to
the map as a ``data:`` URL in one :class:`ipyleaflet.ImageOverlay`, updated in place: it works wherever
the widgets work (JupyterLab, Binder, Voilà), with no tile server. A render made stale by a newer view is
skipped before it starts, or dropped when it ends; one render runs at a time.

Its controls (CSS class ``dw-live-view``) are one compact box at the map's top-right corner, under the
basemap switch (the image is centred in the view, so the corner covers the least of it): one row with
true colour or NDVI and "Arrêter", a "Vue en direct" button unfolding the stretch (percentiles of the view,
or fixed bounds), the NDVI legend when it is shown, and the view's one status line (what is being read,
what was shown, an error).

Examples
--------
>>> from dinamis_widgets.ui.map import ExplorerMap
>>> from dinamis_widgets.ui.status import StatusBar
>>> live = LiveView(ExplorerMap(lang="en"), lang="en")
>>> live.kind, live.active, live.settings_button.value  # the stretch folded
('truecolor', False, False)
>>> live.status in live.children  # its own status line, in the box
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipyleaflet
import ipywidgets as widgets
from traitlets import Bool, Float, Int, Unicode

from ..analysis.rendering import RenderedView, Stretch, render_view
from .map import ExplorerMap, items_bounds
from .png import NDVI_RAMP, data_url, encode_png, legend_html
from .status import StatusBar
from .tasks import TaskRunner

__all__ = ["LiveView"]

_WORDS: Mapping[str, Mapping[str, str]] = {
    "fr": {"title": "Vue en direct", "truecolor": "Couleurs naturelles", "ndvi": "NDVI",
           "stretch": "Étirement", "p2": "2 – 98 %", "p05": "0,5 – 99,5 %", "minmax": "Min / max",
           "stop": "Arrêter", "settings": "Réglages de l'image : étirement",
           "layer": "Image (vue en direct)", "rendering": "Lecture de la vue…",
           "shown": "Vue à {res} m/pixel (Web Mercator), {pct:.0f} % couverte",
           "outside": "La vue ne recouvre pas l'image.", "ndvi_legend": "NDVI"},
    "en": {"title": "Live view", "truecolor": "True colour", "ndvi": "NDVI", "stretch": "Stretch",
           "p2": "2 – 98 %", "p05": "0.5 – 99.5 %", "minmax": "Min / max", "stop": "Stop",
           "settings": "Image settings: stretch",
           "layer": "Image (live view)", "rendering": "Reading the view…",
           "shown": "View at {res} m/pixel (Web Mercator), {pct:.0f} % covered",
           "outside": "The view does not cover the image.", "ndvi_legend": "NDVI"},
}


def _words(lang: str) -> Mapping[str, str]:
    return _WORDS.get(lang, _WORDS["fr"])


class LiveView(widgets.VBox):
    """Streams the items shown with :meth:`show` at the map's current view (see the module).

    Parameters
    ----------
    explorer_map
        The map whose view is followed.
    status
        Where the progress and errors are shown; None (the explorer): a status line of its own, in the box.
    signer
        Returns the signer of the reads (None: :func:`~dinamis_widgets.get_signer`'s).
    lang
        ``"fr"`` or ``"en"``.
    debounce
        Seconds the view must stay still before it is read.

    Attributes
    ----------
    kind : str
        ``"truecolor"`` or ``"ndvi"``.
    stretch : str
        ``"p2"`` (2-98 percentiles), ``"p05"`` (0.5-99.5) or ``"minmax"`` (:attr:`vmin`, :attr:`vmax`).
    active : bool
        Whether items are being streamed.
    renders : int
        Views rendered and shown so far.
    rendered : RenderedView or None
        The last view shown.
    last_view : tuple or None
        ``(bounds, size)`` of the last view read: the part of the map's view the items cover (degrees)
        and its size in screen pixels (``dw.plan(items, bands, **view_arguments(*last_view))`` says
        what it cost).
    layer : ipyleaflet.ImageOverlay or None
        The overlay on the map.
    """

    kind = Unicode("truecolor")
    stretch = Unicode("p2")
    vmin = Float(0.0)
    vmax = Float(1500.0)
    active = Bool(False)
    renders = Int(0)

    def __init__(self, explorer_map: ExplorerMap, status: StatusBar | None = None,
                 signer: Callable[[], Any] | None = None, lang: str = "fr", debounce: float = 0.4,
                 **kwargs: Any) -> None:
        words = _words(lang)
        own_status = status is None
        self.status = status if status is not None else StatusBar(lang=lang)
        self._map, self._status, self._signer, self._lang = explorer_map, self.status, signer, lang
        self._debounce = debounce
        self._tasks = TaskRunner(self._status, "dinamis-live-view")
        self._items: list[Any] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._wanted = 0  # the number of the view last asked for
        self.rendered: RenderedView | None = None
        self.last_view: tuple[tuple[float, float, float, float], tuple[int, int]] | None = None
        self.layer: ipyleaflet.ImageOverlay | None = None
        compact = widgets.Layout(width="auto", height="28px", padding="0 6px", flex="0 0 auto")
        self.settings_button = widgets.ToggleButton(value=False, description=words["title"],
                                                    icon="sliders", tooltip=words["settings"], layout=compact)
        self.settings_button.add_class("dw-live-settings")
        self.kind_buttons = widgets.ToggleButtons(
            options=[(words["truecolor"], "truecolor"), (words["ndvi"], "ndvi")], value="truecolor",
            style={"button_width": "auto", "description_width": "0px"},
            layout=widgets.Layout(width="auto", flex="0 0 auto", margin="0 2px"))
        self.kind_buttons.add_class("dw-live-kind")
        self.stop_button = widgets.Button(icon="stop", tooltip=words["stop"],
                                          layout=widgets.Layout(width="32px", height="28px", padding="0",
                                                                flex="0 0 auto"))
        self.stop_button.add_class("dw-live-stop")
        self.stretch_menu = widgets.Dropdown(
            options=[(words["p2"], "p2"), (words["p05"], "p05"), (words["minmax"], "minmax")], value="p2",
            description=words["stretch"], style={"description_width": "auto"},
            layout=widgets.Layout(width="200px"))
        self.stretch_menu.add_class("dw-live-stretch")
        self.range_slider = widgets.FloatRangeSlider(value=(0.0, 1500.0), min=0.0, max=4095.0, step=10.0,
                                                     continuous_update=False, readout_format=".0f",
                                                     layout=widgets.Layout(width="280px", display="none"))
        self.settings = widgets.VBox([self.stretch_menu, self.range_slider],
                                     layout=widgets.Layout(display="none"))
        self.legend = widgets.HTML(legend_html(words["ndvi_legend"]), layout=widgets.Layout(display="none"))
        self.legend.add_class("dw-live-legend")
        header = widgets.HBox([self.settings_button, self.kind_buttons, self.stop_button],
                              layout=widgets.Layout(align_items="center", flex_flow="row nowrap"))
        children = [header, self.settings, self.legend] + ([self.status] if own_status else [])
        if own_status:
            self.status.layout.max_width = "330px"
            self.status.add_class("dw-live-status")
        super().__init__(children=children, layout=widgets.Layout(width="max-content", max_width="380px",
                                                                  padding="2px"), **kwargs)
        self.add_class("dw-live-view")
        self.control = ipyleaflet.WidgetControl(widget=self, position="topright")
        widgets.link((self.settings_button, "value"), (self.settings.layout, "display"),
                     transform=(lambda on: "" if on else "none", lambda shown: shown != "none"))
        widgets.link((self.kind_buttons, "value"), (self, "kind"))
        widgets.link((self.stretch_menu, "value"), (self, "stretch"))
        self.range_slider.observe(self._on_range, names="value")
        self.stop_button.on_click(lambda _b: self.stop())
        self.observe(self._on_setting, names=["kind", "stretch", "vmin", "vmax"])
        explorer_map.map.observe(self._on_view, names=["bounds", "pixel_bounds"])

    # -- API -------------------------------------------------------------------------------------
    def show(self, items: Sequence[Any]) -> None:
        """Stream ``items`` (pystac Items or dicts) at the map's view, now and after every move."""
        self._items = list(items)
        if not self._items:
            self.stop()
            return
        self.active = True
        if self.control not in self._map.map.controls:
            self._map.map.add(self.control)
        self.refresh()  # debounced: the browser first reports the view a zoom to the items makes

    def stop(self) -> None:
        """Stop streaming and remove the image and the controls from the map."""
        self.active = False
        self._items = []
        self._wanted += 1
        if self._timer is not None:
            self._timer.cancel()
        m = self._map.map
        if self.layer is not None and self.layer in m.layers:
            m.remove(self.layer)
        self.layer = None
        if self.control in m.controls:
            m.remove(self.control)

    def refresh(self, now: bool = False) -> None:
        """Read the current view again (after ``debounce`` seconds unless ``now``)."""
        if not self.active:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._wanted += 1
        number = self._wanted
        if now:
            self._start(number)
        else:
            # the timer's thread only posts to the main loop, which starts the render
            self._timer = threading.Timer(self._debounce, self._tasks.post, (self._start, number))
            self._timer.daemon = True
            self._timer.start()

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the pending render (tests, scripts); False on timeout."""
        timer = self._timer
        if timer is not None:
            timer.join(timeout)
        return self._tasks.wait(timeout)

    # -- reactions -------------------------------------------------------------------------------
    def _on_view(self, _change: Any) -> None:
        self.refresh()

    def _on_setting(self, change: Mapping[str, Any]) -> None:
        if change["name"] == "stretch":
            self.range_slider.layout.display = "" if change["new"] == "minmax" else "none"
        if change["name"] == "kind":
            self.legend.layout.display = "" if change["new"] == "ndvi" else "none"
            self.stretch_menu.disabled = change["new"] == "ndvi"
        self.refresh(now=True)

    def _on_range(self, change: Mapping[str, Any]) -> None:
        low, high = change["new"]
        with self.hold_trait_notifications():
            self.vmin, self.vmax = float(low), float(high)

    def _view(self) -> tuple[tuple[float, float, float, float], tuple[int, int]] | None:
        """The part of the view the items cover, and its size in screen pixels; None when none."""
        view = self._map.view_bounds()
        m = self._map.map
        width, height = float(m.right) - float(m.left), float(m.bottom) - float(m.top)
        if view is None or not self._items or width <= 0 or height <= 0 or width > 1e7:
            return None
        west, south, east, north = view
        iw, is_, ie, in_ = items_bounds(self._items)
        cut = (max(west, iw), max(south, is_), min(east, ie), min(north, in_))
        if not (cut[2] > cut[0] and cut[3] > cut[1]):
            return None
        # the screen pixels of the part covered (longitude is linear in Web Mercator's x; latitude
        # nearly so at a view's scale)
        size = (max(1, round(width * (cut[2] - cut[0]) / (east - west))),
                max(1, round(height * (cut[3] - cut[1]) / (north - south))))
        return cut, size

    def _stretch(self) -> Stretch:
        if self.stretch == "minmax":
            return Stretch.minmax(self.vmin, self.vmax)
        return Stretch.percentile(0.5, 99.5) if self.stretch == "p05" else Stretch.percentile(2, 98)

    def _start(self, number: int) -> None:
        """On the main loop: read the view asked for as ``number`` in a worker (skipped when stale)."""
        if number != self._wanted or not self.active:
            return
        view = self._view()
        if view is None:
            self._status.info(_words(self._lang)["outside"])
            return
        bounds, size = view
        items, kind, stretch = list(self._items), self.kind, self._stretch()
        signer = self._signer() if self._signer is not None else None

        def work() -> tuple[int, RenderedView, str] | None:
            with self._lock:  # one render at a time; a newer view makes this one stale
                if number != self._wanted:
                    return None
                self.last_view = (bounds, size)
                rendered = render_view(items, bounds, size, kind, stretch,  # type: ignore[arg-type]
                                       ramp=NDVI_RAMP, signer=signer)
                return number, rendered, data_url(encode_png(rendered.rgba))

        self._tasks.run(work, on_done=self._show, busy=_words(self._lang)["rendering"], exclusive=False)

    def _show(self, result: tuple[int, RenderedView, str] | None) -> None:
        if result is None:  # skipped: a newer view is on its way (or none, when the map stopped)
            if self._status.message == _words(self._lang)["rendering"]:
                self._status.clear()
            return
        number, rendered, url = result
        if number != self._wanted or not self.active:
            return
        west, south, east, north = rendered.bounds
        corners = [[south, west], [north, east]]
        m = self._map.map
        if self.layer is None or self.layer not in m.layers:
            self.layer = ipyleaflet.ImageOverlay(url=url, bounds=corners, name=_words(self._lang)["layer"])
            self._map._insert_below_footprints(self.layer)
        else:
            with self.layer.hold_sync():
                self.layer.url, self.layer.bounds = url, corners
        self.rendered = rendered
        self.renders += 1
        res = f"{rendered.resolution:.1f}"
        text = _words(self._lang)["shown"].format(res=res.replace(".", ",") if self._lang == "fr" else res,
                                                  pct=100 * rendered.coverage)
        self._status.success(text)

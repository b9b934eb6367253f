"""The basket: products collected across searches, loaded as a lazy cube, and their NDVI.

Items are added from result cards ("Ajouter au panier"; the same id only once) and removed one by one. A
product that cannot be streamed (BRUT, Regards) is not added: the message says why and where to order it
(the DINAMIS web catalogue's basket), in the status the caller gives (the card clicked). The code shown
follows the basket's content; a new "Charger" removes the NDVI of the previous cube.
"Charger" builds a lazy dask-backed cube with :func:`dinamis_widgets.load` (bands by common name, a
resolution, the search's area or the products' footprints) and shows the code that does the same; the cube
is :attr:`Basket.cube` (``explorer.cube``). "NDVI" computes :func:`dinamis_widgets.ndvi` in a background
thread with a progress bar, then shows one image per date; the date chosen is the :attr:`Basket.overlay`
trait, which the explorer's map shows.

Examples
--------
>>> basket = Basket(lang="en")
>>> basket.resolution_value("6"), basket.resolution_value(""), basket.resolution_value("pan")
(6.0, None, 'pan')
"""

from __future__ import annotations

import html
import pprint
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as widgets
import numpy as np
from traitlets import Any as AnyTrait
from traitlets import Instance, List, Unicode, observe

from ..catalog.aoi import AOI
from ..errors import LoadError
from ..reading.options import COMMON_NAMES, DEFAULT_BANDS
from ..signing.rules import signability
from .i18n import DEFAULT_LANG, t
from .info_panel import card_summary
from .localized import format_datetime
from .overlay import Frame, time_frames
from .png import legend_html
from .progress import DaskProgress
from .status import StatusBar
from .tasks import TaskRunner
from .traits import DataValue

if TYPE_CHECKING:
    import ipyleaflet

    from ..signing.client import Signer

__all__ = ["Basket", "load_code"]


def _short(reason: Any, lang: str) -> str:
    """A few words on why a product cannot be streamed, in ``lang``."""
    words = {"level": ("produit BRUT", "BRUT product"), "provider": ("produit Regards (CNES)",
                                                                   "Regards (CNES) product"),
             "georeferencing": ("non géoréférencé", "not georeferenced")}.get(reason.kind)
    return reason.short if words is None else words[0 if lang == "fr" else 1]


def _format_aoi(aoi: AOI | None) -> Any:
    if aoi is None:
        return None
    return [round(v, 7) for v in aoi.bbox] if aoi.is_box and not aoi.crosses_antimeridian else aoi.geometry


def load_code(ids: list[str], catalog: str, bands: list[str], aoi: AOI | None, resolution: Any) -> str:
    """Python code that loads the same cube as the basket.

    Examples
    --------
    >>> print(load_code(["A", "B"], "twin", ["red", "nir"], None, 6.0))
    import dinamis_widgets as dw
    <BLANKLINE>
    items = dw.search(catalog=dw.open_catalog('twin'), ids=['A', 'B'], max_items=None)
    cube = dw.load(items, bands=['red', 'nir'], resolution=6.0)
    ndvi = dw.ndvi(cube).compute()
    """
    args = [f"bands={bands!r}"]
    shown_aoi = _format_aoi(aoi)
    if shown_aoi is not None:
        args.append("aoi=" + pprint.pformat(shown_aoi, width=90, sort_dicts=False).replace("\n", "\n    "))
    if resolution is not None:
        args.append(f"resolution={resolution!r}")
    return "\n".join([
        "import dinamis_widgets as dw",
        "",
        f"items = dw.search(catalog=dw.open_catalog({catalog!r}), ids={ids!r}, max_items=None)",
        f"cube = dw.load(items, {', '.join(args)})",
        "ndvi = dw.ndvi(cube).compute()",
    ])


class Basket(widgets.VBox):
    """Products chosen for analysis (CSS class ``dw-basket``).

    Parameters
    ----------
    lang
        ``"fr"`` or ``"en"``.
    search_aoi
        The search's area (or None): what "Zone de la recherche" loads (the explorer links it to the
        search panel's area).
    catalog
        The catalogue's profile name or URL, for the code shown (linked to the search panel's).
    signer
        The signer used at read time (the active profile's by default).

    Attributes
    ----------
    items : list of pystac.Item
        The products, in the order added.
    cube : xarray.Dataset or None
        The lazy cube of the last "Charger".
    ndvi : xarray.DataArray or None
        The NDVI computed last (in memory).
    overlay : tuple or None
        The NDVI of the date chosen as a map overlay: ``(data URL, (west, south, east, north))``;
        ``overlay_label`` names it.
    """

    items: List[Any] = List()
    search_aoi = Instance(AOI, allow_none=True)
    catalog = Unicode("twin")
    cube = DataValue(None, allow_none=True)
    ndvi = DataValue(None, allow_none=True)
    overlay = AnyTrait(None, allow_none=True)
    overlay_label = Unicode("")
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, search_aoi: AOI | None = None, catalog: str = "twin",
                 signer: Signer | None = None, **kwargs: Any) -> None:
        self.signer = signer
        self._frames: list[Frame] = []
        self._skipped: list[str] = []
        self.status = StatusBar(lang=lang)
        self._tasks = TaskRunner(self.status, "dinamis-basket")
        self.title = widgets.HTML()
        self.title.add_class("dw-basket-count")
        self.rows = widgets.VBox()
        self.rows.add_class("dw-basket-items")
        initial = {"description_width": "initial"}
        # Every band in view (no scrolling the list to find nir, which NDVI needs).
        self.bands = widgets.SelectMultiple(options=list(COMMON_NAMES), value=list(DEFAULT_BANDS),
                                            rows=len(COMMON_NAMES), description=t("bands", lang),
                                            style=initial, layout=widgets.Layout(width="auto"))
        self.bands.add_class("dw-basket-bands")
        self.resolution = widgets.Text(value="", placeholder=t("resolution_placeholder", lang),
                                       description=t("resolution", lang), style=initial)
        self.resolution.add_class("dw-basket-resolution")
        self.aoi_choice = widgets.Dropdown(options=[(t("load_aoi_search", lang), "search"),
                                                    (t("load_aoi_items", lang), "items")],
                                           value="search", description=t("load_aoi", lang),
                                           style={"description_width": "initial"})
        self.aoi_choice.add_class("dw-basket-aoi")
        self.load_button = widgets.Button(description=t("load", lang), icon="cube", button_style="primary")
        self.load_button.add_class("dw-basket-load")
        self.cube_summary = widgets.HTML()
        self.cube_summary.add_class("dw-cube-summary")
        self.code = widgets.Textarea(layout=widgets.Layout(width="98%", height="110px", display="none"))
        self.code.add_class("dw-load-code")
        self.ndvi_button = widgets.Button(description=t("ndvi", lang), icon="leaf", button_style="success")
        self.ndvi_button.add_class("dw-ndvi-button")
        self.ndvi_progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="98%",
                                                                                              display="none"))
        self.ndvi_progress.add_class("dw-ndvi-progress")
        self.ndvi_time = widgets.Dropdown(options=[], description=t("ndvi_date", lang),
                                          style={"description_width": "initial"},
                                          layout=widgets.Layout(display="none"))
        self.ndvi_time.add_class("dw-ndvi-time")
        self.plot = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.plot.add_class("dw-ndvi-plot")
        self.legend = widgets.HTML(legend_html(t("ndvi_legend", lang)))
        self.legend.add_class("dw-ndvi-legend")
        super().__init__(children=[
            self.title, self.rows,
            widgets.HBox([self.bands, widgets.VBox([self.resolution, self.aoi_choice])],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.load_button, self.ndvi_button]),
            self.status, self.cube_summary, self.code, self.ndvi_progress, self.ndvi_time, self.plot,
        ], lang=lang, search_aoi=search_aoi, catalog=catalog, **kwargs)
        self.add_class("dw-basket")
        self.load_button.on_click(lambda _b: self.load())
        self.ndvi_button.on_click(lambda _b: self.compute_ndvi())
        self.ndvi_time.observe(self._on_time, names="value")
        self._render()

    # -- content ---------------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        """Ids of the products, in the order added."""
        return [it.id for it in self.items]

    def add(self, item: Any, status: StatusBar | None = None) -> bool:
        """Add a product (once: the same id again is ignored). Returns whether it was added.

        A product that cannot be streamed (BRUT, Regards) is not added; the message says why and where to
        order it. Messages go to ``status`` (where the user clicked) or the basket's own.
        """
        status = status or self.status
        reason = signability(item)
        if reason is not None:
            status.warning(t("basket_refused", self.lang, id=item.id, why=_short(reason, self.lang)))
            return False
        if item.id in self.ids:
            status.info(t("basket_already", self.lang, id=item.id))
            return False
        self.items = [*self.items, item]
        status.success(t("basket_added", self.lang, id=item.id))
        return True

    def remove(self, item_id: str) -> None:
        """Remove a product."""
        self.items = [it for it in self.items if it.id != item_id]

    def clear(self) -> None:
        """Empty the basket."""
        self.items = []

    @observe("items")
    def _render(self, _change: Any = None) -> None:
        if self.code.layout.display != "none":  # the code shown loads what is in the basket now
            with self.status.guard():
                self.code.value = self.load_code
        n = len(self.items)
        self.title.value = (f"<b>{html.escape(t('basket_count', self.lang, n=n))}</b>" if n else
                            f"<i>{html.escape(t('basket_empty', self.lang))}</i>")
        rows = []
        for item in self.items:
            sensor, when, cloud, _ = card_summary(item, self.lang)
            label = widgets.HTML(f"{html.escape(sensor)} {html.escape(when)} ☁ {html.escape(cloud)} "
                                 f"<span style='font-size:11px;color:#555'>{html.escape(item.id)}</span>")
            button = widgets.Button(icon="trash", tooltip=t("remove", self.lang),
                                    layout=widgets.Layout(width="32px", flex="0 0 32px", padding="0"))
            button.add_class("dw-basket-remove")
            button.on_click(lambda _b, iid=item.id: self.remove(iid))
            row = widgets.HBox([button, label])
            row.add_class("dw-basket-item")
            rows.append(row)
        self.rows.children = rows

    def as_leaflet_layer(self) -> ipyleaflet.GeoJSON:
        """The products' footprints as a GeoJSON layer (so ``map.add(basket)`` works)."""
        import ipyleaflet

        from .map import FOOTPRINT_STYLES, footprints_geojson

        return ipyleaflet.GeoJSON(data=footprints_geojson(self.items, style=FOOTPRINT_STYLES["basket"]),
                                  name=t("layer_basket", self.lang))

    # -- loading ---------------------------------------------------------------------------------
    def resolution_value(self, text: str | None = None) -> float | Literal["ms", "pan"] | None:
        """The resolution typed: None (native), ``"ms"``, ``"pan"`` or metres.

        Raises
        ------
        LoadError
            Anything else (the message quotes it).
        """
        raw = (self.resolution.value if text is None else text).strip()
        if not raw or raw.lower() in ("native", "natif", "native resolution"):
            return None
        if raw.lower() == "ms":
            return "ms"
        if raw.lower() == "pan":
            return "pan"
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            raise LoadError(t("bad_resolution", self.lang, value=raw)) from None
        if not value > 0:
            raise LoadError(t("bad_resolution", self.lang, value=raw))
        return value

    def _aoi(self) -> AOI | None:
        return self.search_aoi if self.aoi_choice.value == "search" else None

    @property
    def load_code(self) -> str:
        """Code that loads the same cube as "Charger" with the current choices."""
        return load_code(self.ids, self.catalog, list(self.bands.value), self._aoi(), self.resolution_value())

    def load(self) -> None:
        """Build the lazy cube of the basket's products (in the background): :attr:`cube`."""
        from ..reading.loading import load

        with self.status.guard():
            if not self.items:
                raise LoadError(t("basket_empty", self.lang))
            skipped = [it.id for it in self.items if signability(it) is not None]
            items = [it for it in self.items if it.id not in skipped]
            if not items:
                raise LoadError(t("basket_skipped", self.lang, ids=", ".join(skipped)))
            self._skipped = skipped
            bands = list(self.bands.value)
            resolution = self.resolution_value()
            aoi = self._aoi()
            self.code.value = self.load_code
            self.code.layout.display = ""
            signer = self.signer

            def work() -> Any:
                return load(items, bands, aoi=aoi, resolution=resolution, signer=signer)

            self.load_button.disabled = True
            self._tasks.run(work, on_done=self._loaded, busy=t("loading", self.lang),
                            on_finally=lambda: setattr(self.load_button, "disabled", False))

    def _loaded(self, cube: Any) -> None:
        self.clear_ndvi()
        self.cube = cube
        sizes = ", ".join(f"{k}: {v}" for k, v in cube.sizes.items())
        summary = f"{{{sizes}}}; {', '.join(map(str, cube.data_vars))}; {cube.nbytes / 2**20:.1f} MB"
        self.cube_summary.value = f"<code>{html.escape(summary)}</code>"
        message = t("loaded", self.lang)  # its sizes are in the summary under it, once
        if self._skipped:
            message += " " + t("basket_skipped", self.lang, ids=", ".join(self._skipped))
        self.status.success(message)

    def clear_ndvi(self) -> None:
        """Remove the NDVI shown (images, dates, map overlay): it was computed from another cube."""
        self.ndvi = None
        self._frames = []
        self.plot.children = ()
        self.ndvi_time.options = []
        self.ndvi_time.layout.display = "none"
        self.ndvi_progress.layout.display = "none"
        self.overlay = None

    # -- NDVI ------------------------------------------------------------------------------------
    def compute_ndvi(self) -> None:
        """Compute the NDVI of :attr:`cube` with progress (in the background), then plot and overlay it."""
        from ..analysis.indices import ndvi

        with self.status.guard():
            cube = self.cube
            if cube is None:
                raise LoadError(t("ndvi_needs_cube", self.lang))
            if not {"red", "nir"} <= set(map(str, cube.data_vars)):
                raise LoadError(t("ndvi_needs_bands", self.lang))
            lazy = ndvi(cube)
            self.ndvi_progress.value, self.ndvi_progress.max = 0, 1
            self.ndvi_progress.layout.display = ""

            def report(done: int, total: int) -> None:  # from dask's threads: handed to the main loop
                self._tasks.post(self._progress, done, total, key="ndvi-progress")

            def work() -> tuple[Any, list[Frame]]:
                with DaskProgress(report):
                    result = lazy.compute()
                return result, time_frames(result)  # images and overlays made here, off the main loop

            self.ndvi_button.disabled = True
            self._tasks.run(work, on_done=self._ndvi_done,
                            busy=t("ndvi_computing", self.lang, done=0, total="…"),
                            on_finally=lambda: setattr(self.ndvi_button, "disabled", False))

    def _progress(self, done: int, total: int) -> None:
        self.ndvi_progress.max = max(total, 1)
        self.ndvi_progress.value = done
        self.status.busy(t("ndvi_computing", self.lang, done=done, total=total))

    def _ndvi_done(self, result: tuple[Any, list[Frame]]) -> None:
        ndvi, frames = result
        self.ndvi_progress.value = self.ndvi_progress.max
        panels = []
        for frame in frames:
            image = widgets.Image(value=frame.png, format="png", layout=widgets.Layout(max_width="320px"))
            image.add_class("dw-ndvi-image")
            mean_text = t("ndvi_mean", self.lang, mean=f"{frame.mean:.3f}")
            caption = widgets.HTML(f"<b>{html.escape(frame.label)}</b> — {html.escape(mean_text)}")
            panels.append(widgets.VBox([caption, image]))
        self.plot.children = [*panels, self.legend]
        mean_all = float(np.nanmean(ndvi.values)) if np.isfinite(ndvi.values).any() else float("nan")
        self.status.success(t("ndvi_done", self.lang, mean=f"{mean_all:.3f}"))
        # The dates change: no frame to show while the menu's options are replaced (it selects the first
        # one on its way), then the last date.
        self._frames = []
        self.ndvi_time.options = [(format_datetime(frame.label, self.lang) or frame.label, i)  # as the cards
                                  for i, frame in enumerate(frames)]
        self.ndvi_time.value = len(frames) - 1
        self._frames = frames
        self.ndvi_time.layout.display = "" if len(frames) > 1 else "none"
        self.ndvi = ndvi
        self._show_frame(self.ndvi_time.value)

    def _on_time(self, change: dict[str, Any]) -> None:
        self._show_frame(change["new"])

    def _show_frame(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self._frames):
            return
        frame = self._frames[index]
        with self.hold_trait_notifications():  # observers of the overlay see its label
            self.overlay_label = f"NDVI {frame.label}" if frame.label != "NDVI" else "NDVI"
            self.overlay = (frame.url, frame.bounds)

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for a load or NDVI computation under way; False on timeout."""
        return self._tasks.wait(timeout)

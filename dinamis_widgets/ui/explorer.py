"""The explorer: the DINAMIS catalogue in one notebook cell, and the chosen scenes as a cube.

:class:`Explorer` is laid out as the DINAMIS web catalogue: the map in the centre, and beside it a side
panel with three tabs: the search (the area of interest and "Rechercher" at its top, so they are in view
without scrolling), the results (a compact list; a result's Information, its other actions and their forms
-- signing, download -- in one details pane instead of the list), and the basket. The whole fits the
window's height (the side panel scrolls inside), so the notebook page does not have to. Messages show next
to what caused them: a result's "Visualiser" under its buttons, the NDVI in the basket's tab. It wires the
components: results show on the map, a footprint clicked selects its card, "Zoomer sur" and
"Visualiser" act on the map, the area drawn on the map is the search's area, the basket's items show on
the map, and the NDVI computed from the basket shows as an overlay with its legend. The wiring is trait
links (``traitlets.link``/``dlink``) between the components' states, plus the reactions that do more than
copy a value (outline a typed area and erase the drawings, show the NDVI overlay with its legend).

Examples
--------
In a notebook (``dinamis_widgets.twin.start()`` first, to work offline on the twin)::

    import dinamis_widgets as dw
    explorer = dw.Explorer()                # lang="en" for English labels
    explorer                                # search, sign, add to the basket, load, NDVI...
    explorer.aoi, explorer.results          # the area and the results, as Python values
    explorer.cube                           # the lazy cube of "Charger"
    explorer.ndvi                           # the NDVI computed
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import ipywidgets as widgets
import traitlets
from traitlets import Bool, Unicode

from ..errors import DinamisError
from ..settings import profile_for
from .basket import Basket
from .gis_export import GisExport
from .i18n import DEFAULT_LANG, check_lang, t
from .live_view import LiveView
from .map import ExplorerMap, items_bounds
from .png import legend_html
from .quicklook import quicklook_data_url
from .result_card import ResultCard
from .results_list import ResultsList
from .search_panel import SearchPanel
from .status import StatusBar
from .styles import style_widget
from .tasks import TaskRunner

#: Height of the map and of the side panel: the window's less JupyterLab's bars and the cell's code (the
#: map's bottom in view at 1366x768), within bounds.
APP_HEIGHT = "clamp(400px, calc(100vh - 265px), 900px)"
#: Width of the side panel (the map takes the rest): wider on a wide screen, so a card's actions fit a row.
SIDE_WIDTH = "clamp(400px, 30%, 470px)"

if TYPE_CHECKING:
    from ..catalog.aoi import AOI
    from ..catalog.query import Query
    from ..catalog.results import Results
    from ..signing.client import Signer

__all__ = ["APP_HEIGHT", "Explorer", "default_online"]


def _items(results: Results | None) -> list[Any]:
    return list(results.items) if results is not None else []


def _ids(items: Any) -> list[str]:
    return [item.id for item in items]


def default_online(profile: str | None) -> bool:
    """Whether the map shows online tiles when not told: not for a catalogue on this machine (the twin),
    nor when the profile cannot be resolved; yes for a catalogue on the internet (which needs it anyway).

    Examples
    --------
    >>> default_online("http://127.0.0.1:8000/")
    False
    """
    try:
        url = profile_for(profile).stac_api
    except DinamisError:
        return False
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", ""):
        return False
    with contextlib.suppress(ValueError):
        return not ipaddress.ip_address(host).is_loopback
    return True


class Explorer(widgets.VBox):
    """Search, map, results, signing, basket, cube and NDVI in one widget (CSS class ``dw-explorer``).

    Parameters
    ----------
    lang
        ``"fr"`` (default, as the catalogue) or ``"en"``.
    profile
        Catalogue profile (``twin``, ``dinamis``, ``theia``...) or STAC API URL; the active one by default.
    online
        Show OpenStreetMap tiles. None (default): only when the catalogue is not on this machine (see
        :func:`default_online`); the twin's explorer sends no request outside the machine.
    page_size
        Results per page.
    download_folder
        Default folder of "Télécharger le produit".

    Attributes
    ----------
    panel : SearchPanel
    map : ExplorerMap
    results_list : ResultsList
    basket : Basket
    tabs : ipywidgets.Tab
        The side panel: search, results, basket (CSS class ``dw-side-tabs``).
    status : StatusBar
        Messages about the map and the catalogue's signer (under the map); actions report beside their
        buttons.
    """

    lang = Unicode(DEFAULT_LANG, read_only=True)
    online = Bool(False, read_only=True)

    def __init__(self, lang: str = DEFAULT_LANG, profile: str | None = None, online: bool | None = None,
                 page_size: int = 20, download_folder: str = ".", **kwargs: Any) -> None:
        lang = check_lang(lang)
        online = default_online(profile) if online is None else bool(online)
        self.status = StatusBar(lang=lang)
        self._tasks = TaskRunner(self.status, "dinamis-explorer")
        self._card_tasks: dict[str, TaskRunner] = {}
        pane = widgets.Layout(height=f"calc({APP_HEIGHT} - 44px)", overflow="auto", padding="0 4px 0 0")
        self.panel = SearchPanel(lang=lang, page_size=page_size, connect=False, more_button_here=False,
                                 layout=pane)
        self.map = ExplorerMap(lang=lang, online=online, height=APP_HEIGHT)
        # the streamed view: its controls and its one status line in a box at the map's top-right
        self.live_view = LiveView(self.map, signer=self._signer, lang=lang)
        self.results_list = ResultsList(lang=lang, download_folder=download_folder, layout=pane)
        self.results_list.footer.children = (self.panel.more_button,)
        self.basket = Basket(lang=lang, layout=pane)
        self.gis_export = GisExport(lang=lang, folder=download_folder)  # VRT, .qlr of the basket
        self.tabs = widgets.Tab(children=[self.panel, self.results_list, self.basket],
                                layout=widgets.Layout(width="100%", height=APP_HEIGHT))
        self.tabs.add_class("dw-side-tabs")
        side = widgets.VBox([self.tabs], layout=widgets.Layout(flex=f"0 0 {SIDE_WIDTH}", width=SIDE_WIDTH,
                                                               min_width="320px", margin="0 8px 0 0"))
        side.add_class("dw-side-panel")
        centre = widgets.VBox([self.map, self.status], layout=widgets.Layout(flex="1 1 auto", min_width="0"))
        centre.add_class("dw-centre")
        title = widgets.HTML(f"<b style='font-size:15px'>{html.escape(t('title', lang))}</b>")
        super().__init__(children=[
            style_widget(), title,
            widgets.HBox([side, centre], layout=widgets.Layout(width="100%", align_items="flex-start")),
        ], layout=widgets.Layout(width="100%"), **kwargs)
        self.set_trait("lang", lang)
        self.set_trait("online", online)
        self.add_class("dw-explorer")
        self.basket.children = (*self.basket.children, self.gis_export)
        self._wire()
        self._render_titles()
        self.panel.profile = profile or self.panel._default_profile()

    # -- wiring ----------------------------------------------------------------------------------
    def _wire(self) -> None:
        """State flows through links; only reactions that do more than copy a value are observers."""
        panel, picker, m, basket = self.panel, self.panel.aoi_picker, self.map, self.basket
        cards = self.results_list
        # results: the cards and the footprints show everything fetched so far
        traitlets.dlink((panel, "results"), (cards, "items"), transform=_items)
        traitlets.dlink((panel, "results"), (m, "items"), transform=_items)
        # one selection: a footprint clicked highlights its card, a card zoomed selects its footprint
        traitlets.link((m, "selected_id"), (cards, "selected_id"))
        # the area: the map's drawing (one source of truth) is the search's area; the basket loads it
        traitlets.dlink((m, "drawn_aoi"), (picker, "drawn"))
        traitlets.dlink((picker, "aoi"), (basket, "search_aoi"))
        traitlets.dlink((panel, "profile"), (basket, "catalog"))
        picker.observe(self._on_picker_aoi, names=["aoi", "source"])
        picker.view_provider = m.view_bounds
        # the basket's items: on the map, and marked on their cards
        traitlets.dlink((basket, "items"), (m, "basket_items"))
        traitlets.dlink((basket, "items"), (self.gis_export, "items"))
        traitlets.dlink((basket, "items"), (cards, "basket_ids"), transform=lambda items: tuple(_ids(items)))
        basket.observe(self._on_overlay, names="overlay")
        panel.observe(self._on_results, names="results")
        cards.observe(self._render_titles, names="items")
        basket.observe(self._render_titles, names="items")
        panel.observe(self._on_profile, names="profile")
        cards.on_action(self._on_card_action)

    def _signer(self, status: StatusBar | None = None) -> Signer | None:
        """The catalogue's signer; None, said in ``status`` (the explorer's by default), when it has none."""
        try:
            return self.panel.signer
        except DinamisError as exc:
            (status or self.status).report(exc)
            return None

    def _on_profile(self, _change: Any = None) -> None:
        signer = self._signer()
        self.results_list.signer = signer
        self.basket.signer = signer
        self.gis_export.signer = signer

    def _on_picker_aoi(self, _change: dict[str, Any]) -> None:
        """An area typed, uploaded, or the map's view is outlined and replaces the drawings; a drawn one is
        the drawing itself. Idempotent: it runs once per change of the area or of its source."""
        picker = self.panel.aoi_picker
        if picker.source == "draw":
            self.map.show_aoi(None)
            return
        self.map.show_aoi(picker.aoi)
        self.map.clear_drawings()
        if picker.aoi is not None and picker.source != "view":  # typed, pasted, uploaded: go and see it
            self.map.zoom_to(picker.aoi)

    def _render_titles(self, _change: Any = None) -> None:
        """The tabs' titles, with how many results and products they hold."""
        n, k = len(self.results_list.items), len(self.basket.items)
        self.tabs.titles = (t("tab_search", self.lang),
                            t("tab_results_n", self.lang, n=n) if n else t("tab_results", self.lang),
                            t("tab_basket_n", self.lang, n=k) if k else t("tab_basket", self.lang))

    def _on_results(self, change: dict[str, Any]) -> None:
        """A new search's results: show the results tab and frame their footprints on the map (a next page
        keeps the tab and the view the user is on)."""
        old, new = change["old"], change["new"]
        next_page = (old is not None and new is not None and len(new.items) > len(old.items)
                     and all(a is b for a, b in zip(old.items, new.items, strict=False)))
        if new is not None and not next_page:
            self.results_list.close_details()
            self.tabs.selected_index = 1
            if new.items:  # the map frames the footprints found
                self.map.zoom_to(items_bounds(new.items))

    def _card_runner(self, card: ResultCard) -> TaskRunner:
        runner = self._card_tasks.get(card.item_id)
        if runner is None or runner.status is not card.status:
            runner = self._card_tasks[card.item_id] = TaskRunner(card.status, "dinamis-quicklook")
        return runner

    def _on_card_action(self, card: ResultCard, action: str) -> None:
        with card.status.guard():
            if action == "zoom":
                self.map.zoom_to(card.item)
                self.map.select(card.item_id)
            elif action == "visualise":
                self.visualise(card.item, card)
            elif action == "basket":
                self.basket.add(card.item, status=card.status)

    def visualise(self, item: Any, card: ResultCard | None = None) -> None:
        """Show an item's quicklook on the map (read in the background, sent as a ``data:`` URL); the
        messages go under the card's buttons when a card asked."""
        signer = self._signer(card.status if card is not None else None)
        tasks = self._card_runner(card) if card is not None else self._tasks
        status = tasks.status

        def done(result: tuple[str, Any]) -> None:
            url, bounds = result
            self.map.show_quicklook(url, bounds, name=f"{t('layer_quicklook', self.lang)} {item.id}")
            self.map.zoom_to(bounds)
            status.success(t("quicklook_shown", self.lang, id=item.id))
            self.live_view.show([item])  # then the COG itself, at the map's zoom

        tasks.run(lambda: quicklook_data_url(item, signer), on_done=done,
                  busy=t("quicklook_loading", self.lang, id=item.id))

    def _on_overlay(self, change: dict[str, Any]) -> None:
        m = self.map
        if change["new"] is None:  # the NDVI of a previous cube: off the map, with its legend
            if m.overlay is not None and m.overlay in m.map.layers:
                m.map.remove(m.overlay)
            if m.legend is not None and m.legend in m.map.controls:
                m.map.remove(m.legend)
            m.overlay = m.legend = None
            return
        url, bounds = change["new"]
        label = self.basket.overlay_label or "NDVI"
        with self.basket.status.guard():
            legend = widgets.HTML(legend_html(t("ndvi_legend", self.lang)))
            legend.add_class("dw-ndvi-legend")
            legend.add_class("dw-map-legend")
            m.show_overlay(url, bounds, label, legend=legend)

    # -- values ----------------------------------------------------------------------------------
    @property
    def aoi(self) -> AOI | None:
        """The area of interest (drawn, typed, uploaded or the map's view); None for none."""
        return self.panel.aoi

    @aoi.setter
    def aoi(self, value: Any) -> None:
        self.panel.aoi = value

    @property
    def results(self) -> Results | None:
        """Every result fetched so far (a :class:`~dinamis_widgets.Results` ItemCollection)."""
        return self.panel.results

    @property
    def query(self) -> Query:
        """The search the panel describes (:class:`~dinamis_widgets.Query`)."""
        return self.panel.query

    @property
    def query_code(self) -> str:
        """The search as Python code."""
        return self.panel.query_code

    @property
    def cube(self) -> Any:
        """The lazy cube of the basket's last "Charger" (an :class:`xarray.Dataset`), or None."""
        return self.basket.cube

    @property
    def ndvi(self) -> Any:
        """The NDVI computed last (an :class:`xarray.DataArray`), or None."""
        return self.basket.ndvi

    def card(self, item_id: str) -> ResultCard | None:
        """The result card of an item."""
        return self.results_list.card(item_id)

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the background work (connection, search, quicklook, load, NDVI); False on timeout."""
        results = [self.panel.wait(timeout), self._tasks.wait(timeout), self.basket.wait(timeout)]
        results += [runner.wait(timeout) for runner in list(self._card_tasks.values())]
        return all(results)

    def __repr__(self) -> str:
        n = len(self.results.items) if self.results is not None else 0
        cube = "none"
        if self.cube is not None:
            cube = "{" + ", ".join(f"{k}: {v}" for k, v in self.cube.sizes.items()) + "}"
        return (f"Explorer(profile={self.panel.profile!r}, lang={self.lang!r}, online={self.online}, "
                f"aoi={self.aoi!r}, results={n}, basket={len(self.basket.items)}, cube={cube})")

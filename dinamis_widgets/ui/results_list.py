"""The list of results: one :class:`~dinamis_widgets.ui.result_card.ResultCard` per item, sortable.

Sorting (date, cloud, angle; descending or not) happens in the kernel on the results fetched so far.
The list is also a map layer: ``m.add(results_list)`` adds its footprints (``as_leaflet_layer``).

Examples
--------
>>> lst = ResultsList(lang="en")
>>> len(lst.cards), lst.count_label.value
(0, '')
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Bool, Enum, List, Tuple, Unicode, observe

from .i18n import DEFAULT_LANG, t
from .result_card import ResultCard

if TYPE_CHECKING:
    import ipyleaflet

    from ..signing.client import Signer

__all__ = ["SORT_KEYS", "ResultsList", "sort_items"]

#: Sort keys: name -> item property.
SORT_KEYS = {"date": "datetime", "cloud": "eo:cloud_cover", "angle": "view:incidence_angle"}


def _key(item: Any, prop: str) -> tuple[int, Any]:
    if prop == "datetime":
        when = getattr(item, "datetime", None)
        value = when.isoformat() if when else item.properties.get("datetime")
        return (0, value) if value else (1, "")
    value = item.properties.get(prop)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return 0, float(value)
    return 1, 0.0


def sort_items(items: Iterable[Any], by: str = "date", descending: bool = True) -> list[Any]:
    """Items sorted by ``date``, ``cloud`` or ``angle``; items lacking the property come last.

    Examples
    --------
    >>> import pystac, datetime as dt
    >>> a = pystac.Item("a", None, None, dt.datetime(2025, 1, 1), {"eo:cloud_cover": 30})
    >>> b = pystac.Item("b", None, None, dt.datetime(2026, 1, 1), {"eo:cloud_cover": 5})
    >>> [i.id for i in sort_items([a, b], "cloud", descending=False)]
    ['b', 'a']
    """
    prop = SORT_KEYS[by]
    items = list(items)
    present = [i for i in items if _key(i, prop)[0] == 0]
    missing = [i for i in items if _key(i, prop)[0] == 1]
    return sorted(present, key=lambda i: _key(i, prop)[1], reverse=descending) + missing


class ResultsList(widgets.VBox):
    """Result cards with a sort (CSS class ``dw-results``; sort ``dw-sort``, order ``dw-sort-order``).

    Parameters
    ----------
    lang
        ``"fr"`` or ``"en"``.
    signer
        Passed to the cards (sign dialog, downloads).
    download_folder
        Default folder of the cards' downloads.

    Attributes
    ----------
    items : list
        The items shown (as given; :attr:`cards` holds them in display order).
    sort_by : str
        ``"date"``, ``"cloud"`` or ``"angle"``.
    descending : bool
        Sort order.
    selected_id : str
        The item whose card is highlighted (the explorer links it to the map's selection).
    basket_ids : tuple of str
        Items in the basket: their cards say so.
    cards : list of ResultCard
        In display order.
    """

    items: List[Any] = List()
    sort_by = Enum(list(SORT_KEYS), default_value="date")
    descending = Bool(True)
    selected_id = Unicode("")
    basket_ids = Tuple()
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, signer: Signer | None = None, download_folder: str = ".",
                 **kwargs: Any) -> None:
        self.signer = signer
        self.download_folder = download_folder
        self._cards: dict[str, ResultCard] = {}
        # Card actions ("zoom", "visualise", "basket") are commands, not state: clicking "Zoomer sur" twice
        # zooms twice, and nothing is left to observe afterwards. So they keep a dispatcher.
        self._action_callbacks = widgets.CallbackDispatcher()
        self.sort_select = widgets.Dropdown(
            options=[(t(f"sort_{k}", lang), k) for k in SORT_KEYS], value="date", description=t("sort", lang),
            style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
        self.sort_select.add_class("dw-sort")
        self.order_box = widgets.Checkbox(value=True, description=t("sort_desc", lang), indent=False,
                                          layout=widgets.Layout(width="auto"))
        self.order_box.add_class("dw-sort-order")
        self.count_label = widgets.HTML()
        self.count_label.add_class("dw-results-count")
        self.count_label.layout.margin = "0 12px 0 4px"
        self.cards_box = widgets.VBox()
        self.cards_box.add_class("dw-result-cards")
        #: Where a composer puts what follows the list (the explorer: "Plus de résultats").
        self.footer = widgets.HBox()
        self.footer.add_class("dw-results-footer")
        header = widgets.HBox([self.count_label, widgets.HBox([self.sort_select, self.order_box],
                                                              layout=widgets.Layout(align_items="center"))],
                              layout=widgets.Layout(justify_content="space-between", align_items="center",
                                                    flex_flow="row wrap"))
        header.add_class("dw-results-header")
        self.list_view = widgets.VBox([header, self.cards_box, self.footer])
        self.list_view.add_class("dw-results-list")
        # The one details pane: a card's Information, its other actions and their forms (sign, download).
        self.back_button = widgets.Button(description=t("details_back", lang), icon="arrow-left",
                                          layout=widgets.Layout(width="auto", flex="0 0 auto"))
        self.back_button.add_class("dw-details-back")
        self.details_title = widgets.HTML()
        self.details_title.add_class("dw-details-title")
        self.details_body = widgets.VBox()
        self.details_pane = widgets.VBox([widgets.HBox([self.back_button, self.details_title],
                                                       layout=widgets.Layout(align_items="center")),
                                          self.details_body], layout=widgets.Layout(display="none"))
        self.details_pane.add_class("dw-result-details")
        self._open: ResultCard | None = None
        super().__init__(children=[self.list_view, self.details_pane], lang=lang, **kwargs)
        self.add_class("dw-results")
        self.back_button.on_click(lambda _b: self.close_details())
        widgets.link((self.sort_select, "value"), (self, "sort_by"))
        widgets.link((self.order_box, "value"), (self, "descending"))

    # -- content ---------------------------------------------------------------------------------
    @property
    def cards(self) -> list[ResultCard]:
        """The cards, in display order."""
        return list(self.cards_box.children)

    def card(self, item_id: str) -> ResultCard | None:
        """The card of an item, or None."""
        return self._cards.get(item_id)

    def set_items(self, items: Iterable[Any]) -> None:
        """Show these items (replacing the others); cards of items already shown are kept."""
        self.items = list(items)

    def add_items(self, items: Iterable[Any]) -> None:
        """Add items (a next page); those already shown are skipped."""
        known = {i.id for i in self.items}
        self.items = self.items + [i for i in items if i.id not in known]

    def _new_card(self, item: Any) -> ResultCard:
        card = ResultCard(item, lang=self.lang, signer=self.signer, download_folder=self.download_folder,
                          hosted=True)
        card.on_action(self._action_callbacks)
        card.info_button.observe(lambda change, c=card: self._on_info(c, change["new"]), names="value")
        return card

    # -- the details pane ------------------------------------------------------------------------
    @property
    def open_card(self) -> ResultCard | None:
        """The card whose details are shown (None: the list is shown)."""
        return self._open

    def _on_info(self, card: ResultCard, show: bool) -> None:
        if show:
            previous, self._open = self._open, card
            if previous is not None and previous is not card:
                previous.info_button.value = False
            self.details_title.value = card.header.value
            self.details_body.children = (card.status, card.details)
            self.list_view.layout.display = "none"
            self.details_pane.layout.display = ""
            self.selected_id = card.item_id
        elif card is self._open:
            self._open = None
            self.details_body.children = ()
            self.details_pane.layout.display = "none"
            self.list_view.layout.display = ""

    def open_details(self, item_id: str) -> ResultCard | None:
        """Show an item's details (Information, other actions, forms) in place of the list."""
        card = self._cards.get(item_id)
        if card is not None:
            card.open_details()
        return card

    def close_details(self) -> None:
        """Back to the list."""
        if self._open is not None:
            self._open.info_button.value = False

    @observe("items", "sort_by", "descending")
    def _refresh(self, _change: Any = None) -> None:
        ordered = sort_items(self.items, self.sort_by, self.descending)
        shown = {i.id for i in ordered}
        if self._open is not None and self._open.item_id not in shown:
            self.close_details()
        self._cards = {iid: c for iid, c in self._cards.items() if iid in shown}
        for item in ordered:
            if item.id not in self._cards:
                self._cards[item.id] = self._new_card(item)
        self.cards_box.children = tuple(self._cards[i.id] for i in ordered)
        self._mark()
        n = len(ordered)
        self.count_label.value = "" if not n else html.escape(
            t("n_results_one", self.lang) if n == 1 else t("n_results", self.lang, n=n))

    @observe("selected_id", "basket_ids")
    def _mark(self, _change: Any = None) -> None:
        chosen = set(self.basket_ids)
        for iid, card in self._cards.items():
            card.selected = iid == self.selected_id
            card.in_basket = iid in chosen

    # -- actions ---------------------------------------------------------------------------------
    def on_action(self, callback: Callable[[ResultCard, str], None], remove: bool = False) -> None:
        """Register ``callback(card, action)`` for the cards' actions (see
        :class:`~dinamis_widgets.ui.result_card.ResultCard`)."""
        self._action_callbacks.register_callback(callback, remove=remove)

    def select(self, item_id: str) -> None:
        """Highlight one card (and no other): sets :attr:`selected_id`."""
        self.selected_id = item_id

    def mark_basket(self, ids: Iterable[str]) -> None:
        """Mark the cards of items in the basket: sets :attr:`basket_ids`."""
        self.basket_ids = tuple(ids)

    def as_leaflet_layer(self) -> ipyleaflet.GeoJSON:
        """The footprints of the results as a GeoJSON layer (so ``map.add(results_list)`` works)."""
        import ipyleaflet

        from .map import FOOTPRINT_STYLES, footprints_geojson

        return ipyleaflet.GeoJSON(data=footprints_geojson(self.items), name=t("layer_footprints", self.lang),
                                  hover_style=dict(FOOTPRINT_STYLES["hover"]))

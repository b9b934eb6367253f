"""The Explorer's layout (issue 12, Explorer v2): the map in the centre, a side panel with tabs, the area and
"Rechercher" first, one details pane for a result's forms, messages next to their buttons, the wheel."""

from __future__ import annotations

from typing import Any

import ipyleaflet
import ipywidgets as widgets
import pytest

from dinamis_widgets.ui import Explorer
from dinamis_widgets.ui.explorer import APP_HEIGHT
from dinamis_widgets.ui.map import ExplorerMap

from .ui_helpers import DECK_ITEM, searched_explorer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]


@pytest.fixture(scope="module")
def explorer(twin: Any) -> Explorer:
    return searched_explorer()


def _descendants(widget: Any) -> list[Any]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out.extend(_descendants(child))
    return out


def test_the_map_is_the_centre_and_the_side_panel_has_three_tabs(explorer: Explorer) -> None:
    body = next(c for c in explorer.children if isinstance(c, widgets.HBox))
    side, centre = body.children
    assert "dw-side-panel" in side._dom_classes and "dw-centre" in centre._dom_classes
    assert explorer.map in centre.children
    assert explorer.tabs in side.children and list(explorer.tabs.children) == [
        explorer.panel, explorer.results_list, explorer.basket]
    assert explorer.tabs.titles[0] == "Recherche" and explorer.tabs.titles[2] == "Panier"
    # the map and the side panel share one height that follows the window; the tabs' content scrolls inside
    assert explorer.map.map.layout.height == APP_HEIGHT == explorer.tabs.layout.height
    for pane in explorer.tabs.children:
        assert pane.layout.overflow == "auto" and APP_HEIGHT in str(pane.layout.height)


def test_the_area_and_search_come_first_in_the_search_tab(explorer: Explorer) -> None:
    panel = explorer.panel
    assert panel.children[0] is panel.aoi_picker
    assert panel.search_button in panel.children[1].children
    assert panel.children[2] is panel.count and panel.children[3] is panel.status  # next to the button
    # "Plus de résultats" is under the list, where the results are
    assert panel.more_button not in panel.children[1].children
    assert explorer.results_list.footer.children == (panel.more_button,)


def test_a_search_opens_the_results_tab_with_its_count_in_the_title(explorer: Explorer) -> None:
    n = len(explorer.results.items)  # type: ignore[union-attr]
    assert explorer.tabs.selected_index == 1
    assert explorer.tabs.titles[1] == f"Résultats ({n})"
    explorer.basket.add(explorer.card(DECK_ITEM).item)  # type: ignore[union-attr]
    assert explorer.tabs.titles[2] == "Panier (1)"
    explorer.basket.clear()
    assert explorer.tabs.titles[2] == "Panier"


def test_cards_are_compact_and_their_forms_open_in_one_details_pane(explorer: Explorer) -> None:
    lst = explorer.results_list
    for card in lst.cards:
        shown = _descendants(card)
        assert card.details not in shown and card.info_panel not in shown
        assert card.sign_url_button not in shown and card.download_button not in shown
        assert {card.zoom_button, card.visualise_button, card.basket_button, card.info_button} <= set(shown)
    a, b = lst.cards[:2]
    a.info_button.value = True
    assert lst.open_card is a and a.details in lst.details_body.children and lst.selected_id == a.item_id
    assert lst.list_view.layout.display == "none" and a.info_panel.layout.display == ""
    b.open_details()  # another result: the pane shows it instead, the first is closed
    assert lst.open_card is b and not a.info_button.value and a.details not in lst.details_body.children
    lst.close_details()
    assert lst.open_card is None and lst.list_view.layout.display == "" and lst.details_body.children == ()


def test_visualise_reports_under_its_card_not_under_the_map(explorer: Explorer) -> None:
    card = explorer.card(DECK_ITEM)
    assert card is not None
    explorer.status.clear()
    card.visualise_button.click()
    assert explorer.wait(60), card.status.message
    assert card.status.level == "success" and DECK_ITEM in card.status.message
    assert explorer.status.message == ""
    assert explorer.map.quicklook is not None


def test_the_wheel_scrolls_the_page_until_the_map_is_clicked() -> None:
    m = ExplorerMap(lang="en")
    assert m.map.scroll_wheel_zoom is False and "click the map" in m.wheel_hint.value
    controls = [c for c in m.map.controls if isinstance(c, ipyleaflet.WidgetControl)]
    assert [c.widget for c in controls if c.widget is not m.basemap_switch] == [m.wheel_hint]
    # what the browser sends on a click on the map, then when the pointer leaves it
    m.map._handle_leaflet_event(None, {"event": "interaction", "type": "mousemove",
                                       "coordinates": [45.9, -0.9]}, None)
    assert m.map.scroll_wheel_zoom is False
    m.map._handle_leaflet_event(None, {"event": "interaction", "type": "click",
                                       "coordinates": [45.9, -0.9]}, None)
    assert m.map.scroll_wheel_zoom is True and "zoom on" in m.wheel_hint.value
    m.map._handle_leaflet_event(None, {"event": "interaction", "type": "mouseout",
                                       "coordinates": [45.9, -0.9]}, None)
    assert m.map.scroll_wheel_zoom is False and "click the map" in m.wheel_hint.value

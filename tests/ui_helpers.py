"""Helpers of the user-interface tests: items of the twin, waiting for background threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pystac

#: The item of the DINAMIS webinar deck (its Information panel is on a slide).
DECK_ITEM = "SPOT67_HCF_202602241036272_GS1_W001N46_SCENE1"
#: Two dates over the same place (Rochefort), ORTHO, MTD.
TWO_DATES = ("SPOT67_HCF_202506191041058_GS1_W001N46_SCENE1", "SPOT67_HCF_202508031047511_GS1_W001N46_SCENE1")
#: An area around them (west, south, east, north).
ROCHEFORT = (-0.98, 45.92, -0.93, 45.96)


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def item(twin_items: list[dict[str, Any]], item_id: str) -> pystac.Item:
    """A twin item as a pystac Item (hrefs point at the running store)."""
    for data in twin_items:
        if data["id"] == item_id:
            return pystac.Item.from_dict(data)
    raise KeyError(item_id)


def first(twin_items: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> pystac.Item:
    """The first twin item matching ``predicate`` (on its dict)."""
    return pystac.Item.from_dict(next(d for d in twin_items if predicate(d)))


def browser_draw(control: Any, action: str, feature: dict[str, Any], shapes: list[dict[str, Any]]) -> None:
    """What ipyleaflet's leaflet-draw view does on a drawing: send the ``draw:<action>`` event with the shape,
    then sync the control's ``data`` with every shape now drawn (its ``layers_to_data``)."""
    control._handle_leaflet_event(None, {"event": f"draw:{action}", "geo_json": feature}, None)
    control.data = shapes


def searched_explorer(**kwargs: Any) -> Any:
    """An Explorer (French unless told) that searched SPOT67_HCF_GS1 over an area drawn around Rochefort."""
    import dinamis_widgets as dw

    ex = dw.Explorer(**kwargs)
    assert ex.wait(60), ex.panel.status.message
    ex.panel.collections = ("SPOT67_HCF_GS1",)
    assert ex.wait(60)
    w, s, e, n = ROCHEFORT
    square = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    feature = {"type": "Feature", "properties": {}, "geometry": square}
    browser_draw(ex.map.draw_control, "created", feature, [feature])
    ex.panel.search_button.click()
    assert ex.wait(60), ex.panel.status.message
    return ex

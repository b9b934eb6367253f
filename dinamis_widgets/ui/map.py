"""The map: drawing the area of interest, result footprints, quicklooks and computed overlays.

:class:`ExplorerMap` wraps an :class:`ipyleaflet.Map` that works offline: without ``online=True`` it
requests no tile from anywhere (a basemap of countries, French régions, départements and towns drawn in the
kernel, see :mod:`.basemap`); with ``online=True`` it shows OpenStreetMap; a switch changes it. Quicklooks
and computed layers are ``data:`` PNG URLs built in the kernel, so they show even where the browser cannot
reach the kernel's machine (Binder, Voilà).

- Drawing: rectangles and polygons (edit and delete included). The draw control's ``data`` (the list of
  shapes, which the browser syncs after every draw, edit or delete) is the one source of truth:
  :attr:`ExplorerMap.drawn_aoi` (the union of what is drawn) follows it through a ``traitlets.dlink``.
- Footprints: all results (the ``items`` trait) in one GeoJSON layer; hovering highlights one (and sets
  ``hovered_id``), clicking selects it (the ``selected_id`` trait; the footprint is restyled).
- :meth:`ExplorerMap.zoom_to`, :meth:`ExplorerMap.show_quicklook`, :meth:`ExplorerMap.show_overlay`
  (with a legend in a ``WidgetControl``).
- The mouse wheel scrolls the page, as over maps embedded in web pages, until the map is clicked: then it
  zooms the map, until the pointer leaves the map (Leaflet's ``scrollWheelZoom``, the Map's
  ``scroll_wheel_zoom``, switched by the map's click and mouseout events; a line at the bottom of the map
  says which). Ctrl+wheel would need JavaScript of our own, which the package does not ship.

Examples
--------
>>> m = ExplorerMap(lang="en")
>>> [layer.name for layer in m.map.layers]
['Offline basemap', 'Area of interest', 'Footprints', 'Basket']
>>> m.zoom_to((-0.98, 45.92, -0.93, 45.96)); m.map.center
[45.94, -0.955]
>>> square = {"type": "Polygon", "coordinates": [[[-0.98, 45.92], [-0.93, 45.92], [-0.93, 45.96],
...                                               [-0.98, 45.96], [-0.98, 45.92]]]}
>>> m.draw_control.data = [{"type": "Feature", "properties": {}, "geometry": square}]  # as the browser
>>> m.drawn_aoi.bbox
(-0.98, 45.92, -0.93, 45.96)
>>> m.clear_drawings(); m.drawn_aoi is None
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ipyleaflet
import ipywidgets as widgets
import traitlets
from traitlets import Bool, Instance, List, Unicode, observe

from ..catalog.aoi import AOI, as_aoi
from ..errors import DinamisError
from .basemap import BasemapSwitch
from .i18n import DEFAULT_LANG, t
from .status import log

__all__ = ["FOOTPRINT_STYLES", "Bounds", "ExplorerMap", "footprints_geojson", "item_bounds", "items_bounds"]

#: ``(west, south, east, north)`` in degrees.
Bounds = tuple[float, float, float, float]

#: Styles of footprints: normal, hovered (applied by the browser), selected, and the basket's.
FOOTPRINT_STYLES: Mapping[str, Mapping[str, Any]] = {
    "normal": {"color": "#1b5e9a", "weight": 1.5, "opacity": 0.9, "fillColor": "#1b5e9a",
               "fillOpacity": 0.08},
    "hover": {"color": "#ff9800", "weight": 3, "fillColor": "#ff9800", "fillOpacity": 0.25},
    "selected": {"color": "#d81b60", "weight": 3, "opacity": 1.0, "fillColor": "#d81b60",
                 "fillOpacity": 0.22},
    "basket": {"color": "#2e7d32", "weight": 2, "opacity": 0.9, "fillColor": "#2e7d32", "fillOpacity": 0.12,
               "dashArray": "4 4"},
    "aoi": {"color": "#6a1b9a", "weight": 2, "opacity": 0.9, "fillOpacity": 0.05, "dashArray": "6 3"},
}
_DRAW_STYLE = {"shapeOptions": {"color": "#6a1b9a", "weight": 2, "fillOpacity": 0.05}}
_MAP_SIZE_PX = (640, 420)


def _item_id(item: Any) -> str:
    return str(item.id if hasattr(item, "id") else item.get("id", ""))


def _item_dict(item: Any) -> Mapping[str, Any]:
    return item.to_dict(transform_hrefs=False) if hasattr(item, "to_dict") else item


def item_bounds(item: Any) -> Bounds:
    """``(west, south, east, north)`` of an item (pystac Item or dict): its bbox, else its geometry's."""
    data = _item_dict(item)
    bbox = data.get("bbox")
    if isinstance(bbox, Sequence) and len(bbox) >= 4:
        if len(bbox) == 6:
            return float(bbox[0]), float(bbox[1]), float(bbox[3]), float(bbox[4])
        return float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])
    return as_aoi(data["geometry"], check_order=False).bbox


def items_bounds(items: Iterable[Any]) -> Bounds:
    """``(west, south, east, north)`` around several items (their :func:`item_bounds`' union)."""
    boxes = [item_bounds(it) for it in items]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def footprints_geojson(items: Iterable[Any], style: Mapping[str, Any] | None = None,
                       selected: str = "") -> dict[str, Any]:
    """A FeatureCollection of items' footprints, each styled (``properties.style``), selected one apart.

    Properties kept: ``id``, ``sensor``, ``datetime``, ``cloud_cover`` (what a tooltip needs, no href).
    """
    features = []
    for item in items:
        data = _item_dict(item)
        if not data.get("geometry"):
            continue
        props = data.get("properties", {})
        iid = str(data.get("id", ""))
        chosen = style or FOOTPRINT_STYLES["normal"]
        if iid and iid == selected:
            chosen = FOOTPRINT_STYLES["selected"]
        features.append({
            "type": "Feature", "id": iid, "geometry": copy.deepcopy(data["geometry"]),
            "properties": {"id": iid, "sensor": props.get("dinamis:sensor"),
                           "datetime": props.get("datetime"), "cloud_cover": props.get("eo:cloud_cover"),
                           "style": dict(chosen)},
        })
    return {"type": "FeatureCollection", "features": features}


def _zoom_for(bounds: Bounds, size: tuple[int, int] = _MAP_SIZE_PX) -> int:
    west, south, east, north = bounds
    width_deg = max(abs(east - west), 1e-6)

    def merc(lat: float) -> float:
        lat = max(-85.0, min(85.0, lat))
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    height_rad = max(abs(merc(north) - merc(south)), 1e-9)
    zx = math.log2(size[0] * 360.0 / (256.0 * width_deg))
    zy = math.log2(size[1] * 2 * math.pi / (256.0 * height_rad))
    return int(max(1, min(18, math.floor(min(zx, zy)))))


class ExplorerMap(widgets.VBox):
    """An ipyleaflet map for the explorer (the leaflet widget has CSS class ``dw-map``).

    Parameters
    ----------
    lang
        ``"fr"`` or ``"en"`` (layer names).
    online
        Show OpenStreetMap tiles (needs the internet); offline by default: no request leaves the machine.
    center, zoom
        Initial view (latitude, longitude).
    height
        CSS height of the map.

    Attributes
    ----------
    map : ipyleaflet.Map
        The map itself (add your own layers to it).
    draw_control : ipyleaflet.DrawControl
        Rectangle and polygon tools (edit and delete included).
    footprints, basket_layer, aoi_layer : ipyleaflet.GeoJSON
        Result footprints, basket items, and an area set otherwise than by drawing.
    drawn_aoi : AOI or None
        The union of the shapes drawn (None when nothing is drawn); follows ``draw_control.data``.
    items : list
        The items whose footprints are shown.
    basket_items : list
        The basket's items, shown in their own layer.
    selected_id, hovered_id : str
        Item selected (clicked) and last hovered.
    """

    online = Bool(False, read_only=True)
    drawn_aoi = Instance(AOI, allow_none=True)
    items: List[Any] = List()
    basket_items: List[Any] = List()
    selected_id = Unicode("")
    hovered_id = Unicode("")
    lang = Unicode(DEFAULT_LANG)

    def __init__(self, lang: str = DEFAULT_LANG, online: bool = False,
                 center: tuple[float, float] = (46.5, 2.5), zoom: int = 5, height: str = "480px",
                 **kwargs: Any) -> None:
        self._select_handlers: dict[Callable[[str], None], Callable[[Any], None]] = {}
        self.quicklook: ipyleaflet.ImageOverlay | None = None
        self.overlay: ipyleaflet.ImageOverlay | None = None
        self.legend: ipyleaflet.WidgetControl | None = None
        self.aoi_layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                            name=t("layer_aoi", lang), style=dict(FOOTPRINT_STYLES["aoi"]))
        self.footprints = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                             name=t("layer_footprints", lang),
                                             hover_style=dict(FOOTPRINT_STYLES["hover"]))
        self.basket_layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                               name=t("layer_basket", lang))
        self.map = ipyleaflet.Map(center=list(center), zoom=zoom, layers=(), scroll_wheel_zoom=False,
                                  layout=widgets.Layout(height=height, width="100%"))
        self.map.add_class("dw-map")
        self.basemap_switch = BasemapSwitch(self.map, online=online, lang=lang)  # offline basemap or OSM
        self.map.add(ipyleaflet.WidgetControl(widget=self.basemap_switch, position="topright"))
        for layer in (self.aoi_layer, self.footprints, self.basket_layer):
            self.map.add(layer)
        self.draw_control = ipyleaflet.DrawControl(
            rectangle=dict(_DRAW_STYLE), polygon=dict(_DRAW_STYLE), polyline={}, circlemarker={}, circle={},
            marker={}, edit=True, remove=True)
        self.map.add(self.draw_control)
        self.map.add(ipyleaflet.LayersControl(position="topright"))
        self.map.add(ipyleaflet.ScaleControl(position="bottomleft", imperial=False))
        self.wheel_hint = widgets.HTML()
        self.wheel_hint.add_class("dw-wheel-hint")
        self.map.add(ipyleaflet.WidgetControl(widget=self.wheel_hint, position="bottomleft"))
        self.map.observe(self._render_wheel, names="scroll_wheel_zoom")
        self.map.on_interaction(self._on_interaction)
        super().__init__(children=[self.map], lang=lang, **kwargs)
        self.set_trait("online", bool(online))
        self.add_class("dw-map-box")
        # One source of truth for the drawings: the control's synced ``data`` (the browser sends its full
        # list after every draw, edit and delete), not its draw events as well.
        traitlets.dlink((self.draw_control, "data"), (self, "drawn_aoi"), transform=self._drawings_aoi)
        self.footprints.on_hover(self._on_hover)
        self.footprints.on_click(self._on_click)
        self._render_wheel()

    # -- the mouse wheel ---------------------------------------------------------------------------
    def _on_interaction(self, **event: Any) -> None:
        """A click on the map gives it the wheel (zoom); the pointer leaving it gives the wheel back to the
        page (scroll)."""
        kind = event.get("type")
        if kind == "click":
            self.map.scroll_wheel_zoom = True
        elif kind == "mouseout":
            self.map.scroll_wheel_zoom = False

    def _render_wheel(self, _change: Any = None) -> None:
        on = bool(self.map.scroll_wheel_zoom)
        text = t("wheel_on" if on else "wheel_off", self.lang)
        self.wheel_hint.value = (f"<span style='font-size:11px;background:rgba(255,255,255,0.85);"
                                 f"padding:1px 4px;color:{'#1b5e9a' if on else '#555'}'>🖱 {text}</span>")

    # -- drawing ---------------------------------------------------------------------------------
    def _drawings_aoi(self, features: Any) -> AOI | None:
        """The area of the shapes drawn (``draw_control.data``, the browser's full list): their union."""
        geometries = [dict(f["geometry"]) for f in features or ()
                      if isinstance(f, Mapping) and isinstance(f.get("geometry"), Mapping)]
        if not geometries:
            return None
        collection = {"type": "FeatureCollection",
                      "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]}
        try:
            return as_aoi(geometries[0] if len(geometries) == 1 else collection)
        except DinamisError as exc:
            log.warning("Ignoring a drawn shape: %s", exc.message)
            return self.drawn_aoi

    def clear_drawings(self) -> None:
        """Remove every drawn shape (and so the drawn area): the browser follows ``draw_control.data``."""
        self.draw_control.data = []

    def show_aoi(self, aoi: AOI | None) -> None:
        """Outline an area set otherwise than by drawing (typed, uploaded, the map's view); None hides it."""
        features = [] if aoi is None else [{"type": "Feature", "properties": {}, "geometry": aoi.geometry}]
        self.aoi_layer.data = {"type": "FeatureCollection", "features": features}

    def view_bounds(self) -> Bounds | None:
        """The current view as ``(west, south, east, north)``, or None before the browser reported it."""
        m = self.map
        south, north, west, east = float(m.south), float(m.north), float(m.west), float(m.east)
        if not (north > south and east > west):
            return None
        west, east = max(-180.0, west), min(180.0, east)
        south, north = max(-85.0, south), min(85.0, north)
        return west, south, east, north

    # -- footprints -------------------------------------------------------------------------------
    def show_results(self, items: Iterable[Any], replace: bool = True) -> None:
        """Show items' footprints (one layer for all); ``replace=False`` adds them to those shown."""
        new = list(items)
        if not replace:
            known = {_item_id(i) for i in self.items}
            new = self.items + [i for i in new if _item_id(i) not in known]
        self.items = new

    @observe("items", "selected_id")
    def _restyle(self, _change: Any = None) -> None:
        if self.selected_id and self.selected_id not in {_item_id(i) for i in self.items}:
            self.selected_id = ""  # no longer shown: unselected (which restyles)
            return
        self.footprints.data = footprints_geojson(self.items, selected=self.selected_id)

    def _feature_id(self, feature: Any = None, properties: Any = None, **_: Any) -> str:
        for source in (properties, feature.get("properties") if isinstance(feature, Mapping) else None):
            if isinstance(source, Mapping) and source.get("id"):
                return str(source["id"])
        return str(feature.get("id", "")) if isinstance(feature, Mapping) else ""

    def _on_hover(self, **event: Any) -> None:
        self.hovered_id = self._feature_id(**event)

    def _on_click(self, **event: Any) -> None:
        iid = self._feature_id(**event)
        if iid:
            self.select(iid)

    def select(self, item_id: str) -> None:
        """Select an item (highlighted): sets :attr:`selected_id`."""
        self.selected_id = item_id

    def on_select(self, callback: Callable[[str], None], remove: bool = False) -> None:
        """Call ``callback(item_id)`` when :attr:`selected_id` changes (a footprint clicked, :meth:`select`);
        a shorthand for ``observe(..., names="selected_id")``."""
        if remove:
            handler = self._select_handlers.pop(callback, None)
            if handler is not None:
                self.unobserve(handler, names="selected_id")
            return
        if callback not in self._select_handlers:
            self._select_handlers[callback] = lambda change: callback(change["new"])
            self.observe(self._select_handlers[callback], names="selected_id")

    def show_basket(self, items: Iterable[Any]) -> None:
        """Show the basket's items (their own layer, green and dashed): sets :attr:`basket_items`."""
        self.basket_items = list(items)

    @observe("basket_items")
    def _render_basket(self, _change: Any = None) -> None:
        self.basket_layer.data = footprints_geojson(self.basket_items, style=FOOTPRINT_STYLES["basket"])

    # -- view ------------------------------------------------------------------------------------
    def zoom_to(self, target: Any) -> None:
        """Center and zoom on an item (pystac Item or dict), an :class:`~dinamis_widgets.AOI`, or
        bounds ``(west, south, east, north)``."""
        if isinstance(target, AOI):
            bounds = target.bbox
        elif isinstance(target, Sequence) and not isinstance(target, str) and len(target) == 4:
            bounds = tuple(float(v) for v in target)  # type: ignore[assignment]
        else:
            bounds = item_bounds(target)
        west, south, east, north = bounds
        self.map.center = [round((south + north) / 2, 7), round((west + east) / 2, 7)]
        self.map.zoom = _zoom_for(bounds)

    # -- images ----------------------------------------------------------------------------------
    def show_quicklook(self, url: str, bounds: Bounds, name: str | None = None) -> ipyleaflet.ImageOverlay:
        """Show a quicklook image (a ``data:`` URL) over ``bounds``, replacing the previous one."""
        west, south, east, north = bounds
        layer = ipyleaflet.ImageOverlay(url=url, bounds=[[south, west], [north, east]],
                                        name=name or t("layer_quicklook", self.lang))
        if self.quicklook is not None and self.quicklook in self.map.layers:
            self.map.remove(self.quicklook)
        self.quicklook = layer
        self._insert_below_footprints(layer)
        return layer

    def show_overlay(self, url: str, bounds: Bounds, name: str, legend: widgets.Widget | None = None,
                     opacity: float = 0.85) -> ipyleaflet.ImageOverlay:
        """Show a computed layer (a ``data:`` PNG URL) over ``bounds`` with an optional legend, replacing
        the previous overlay."""
        west, south, east, north = bounds
        layer = ipyleaflet.ImageOverlay(url=url, bounds=[[south, west], [north, east]], name=name,
                                        opacity=opacity)
        if self.overlay is not None and self.overlay in self.map.layers:
            self.map.remove(self.overlay)
        self.overlay = layer
        self._insert_below_footprints(layer)
        if self.legend is not None and self.legend in self.map.controls:
            self.map.remove(self.legend)
            self.legend = None
        if legend is not None:
            self.legend = ipyleaflet.WidgetControl(widget=legend, position="bottomright")
            self.map.add(self.legend)
        return layer

    def _insert_below_footprints(self, layer: ipyleaflet.Layer) -> None:
        layers = list(self.map.layers)
        index = layers.index(self.aoi_layer) if self.aoi_layer in layers else len(layers)
        layers.insert(index, layer)
        self.map.layers = tuple(layers)

    def layer_urls(self) -> list[str]:
        """The URLs of every layer on the map (to check that none leaves the machine offline)."""
        urls = []
        for layer in self.map.layers:
            url = getattr(layer, "url", None)
            if isinstance(url, str) and url:
                urls.append(url)
        return urls


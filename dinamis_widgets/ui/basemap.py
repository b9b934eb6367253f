"""A basemap a trainee can read without the internet, and the switch to an online one.

The offline basemap is drawn in the kernel from data shipped with the package (``basemap_data.json``,
about 400 kB, built by ``scripts/make_basemap.py``): sea, land and countries (Natural Earth 10 m),
French régions and départements, mainland and overseas (IGN Admin Express, Licence Ouverte, simplified),
and the main towns of the DINAMIS areas (GeoNames). It is a set of ipyleaflet vector layers: no request
leaves the machine. Town names show as labels, the smaller towns from zoom 7 on.

The online basemap (OpenStreetMap through :mod:`xyzservices`) is added only when chosen with the switch
(:class:`BasemapSwitch`), so an offline map never asks the internet for a tile.

Examples
--------
>>> base = offline_basemap("en")
>>> [layer.name for layer in base.layers]
['Sea', 'Countries', 'Régions', 'Départements', 'Towns']
>>> sorted(basemap_layers())
['countries', 'departements', 'regions', 'towns']
>>> len(basemap_layers()["departements"]["features"])
101
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipyleaflet
import ipywidgets as widgets

__all__ = ["BasemapSwitch", "basemap_layers", "offline_basemap", "online_basemap"]

_DATA = Path(__file__).with_name("basemap_data.json")

#: Population from which a mainland town is labelled at every zoom (the others from :data:`_DETAIL_ZOOM`
#: on); overseas towns are few and far apart: always labelled.
_MAJOR_TOWN = 150_000
_DETAIL_ZOOM = 7

_WORDS: Mapping[str, Mapping[str, str]] = {
    "fr": {"sea": "Mer", "countries": "Pays", "regions": "Régions", "departements": "Départements",
           "towns": "Villes", "offline": "Fond hors ligne", "online": "OpenStreetMap (internet)",
           "basemap": "Fond de carte", "switch_tip": "Le fond hors ligne n'envoie aucune requête hors de "
           "cette machine ; OpenStreetMap demande des tuiles sur internet."},
    "en": {"sea": "Sea", "countries": "Countries", "regions": "Régions", "departements": "Départements",
           "towns": "Towns", "offline": "Offline basemap", "online": "OpenStreetMap (internet)",
           "basemap": "Basemap", "switch_tip": "The offline basemap sends no request off this machine; "
           "OpenStreetMap asks the internet for tiles."},
}

_STYLES: Mapping[str, Mapping[str, Any]] = {
    "sea": {"color": "#a9cce3", "weight": 0, "fillColor": "#b5d8f0", "fillOpacity": 1.0},
    "countries": {"color": "#8d8d8d", "weight": 1, "opacity": 0.9, "fillColor": "#f4f1ea",
                  "fillOpacity": 1.0},
    "regions": {"color": "#7a5c8e", "weight": 1.6, "opacity": 0.85, "fill": False},
    "departements": {"color": "#9e9e9e", "weight": 0.6, "opacity": 0.8, "fill": False},
}

#: The map pane of the basemap's vector layers: under Leaflet's overlay pane (z-index 400), where images,
#: footprints and drawings go, above the tile pane (200). Leaflet puts every vector layer of a pane in one
#: SVG: without a pane of its own, the basemap's opaque land could cover an image added later.
PANE = "dw-basemap"
_PANE_STYLE = {"zIndex": 250}

_WORLD = {"type": "Feature", "properties": {},
          "geometry": {"type": "Polygon",
                       "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]]}}


def _words(lang: str) -> Mapping[str, str]:
    return _WORDS.get(lang, _WORDS["fr"])


@functools.cache
def _document() -> dict[str, Any]:
    return dict(json.loads(_DATA.read_text(encoding="utf-8")))


def basemap_layers() -> dict[str, dict[str, Any]]:
    """The basemap's FeatureCollections by name: ``countries``, ``regions``, ``departements``, ``towns``
    (copies: change them freely)."""
    layers: dict[str, dict[str, Any]] = json.loads(json.dumps(_document()["layers"]))
    return layers


def _town_marker(feature: Mapping[str, Any]) -> ipyleaflet.Marker:
    lon, lat = feature["geometry"]["coordinates"]
    name = html.escape(str(feature["properties"]["name"]))
    # A zero-size icon (Leaflet's div-icon box would frame the label) whose content overflows: a dot on the
    # town and its name beside it, haloed in white to read on any background.
    icon = ipyleaflet.DivIcon(
        html=(f"<div style='position:absolute;left:-3px;top:-3px;white-space:nowrap;line-height:6px'>"
              f"<span style='display:inline-block;width:6px;height:6px;border-radius:3px;background:#333'>"
              f"</span><span class='dw-town-label' style='position:relative;top:-1px;margin-left:3px;"
              f"font:600 11px sans-serif;color:#222;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff'>"
              f"{name}</span></div>"),
        icon_size=[0, 0], icon_anchor=[0, 0])
    label = str(feature["properties"]["name"])
    return ipyleaflet.Marker(location=(lat, lon), icon=icon, draggable=False, keyboard=False, title=label,
                             name=label)


def _spaced(features: list[Mapping[str, Any]], spacing: float) -> list[Mapping[str, Any]]:
    """Largest first, none closer than ``spacing`` degrees to one kept (labels that do not overlap)."""
    kept: list[Mapping[str, Any]] = []
    for f in sorted(features, key=lambda f: -f["properties"]["population"]):
        lon, lat = f["geometry"]["coordinates"]
        if all(abs(lon - k["geometry"]["coordinates"][0]) >= spacing
               or abs(lat - k["geometry"]["coordinates"][1]) >= spacing / 2 for k in kept):
            kept.append(f)
    return kept


class _Towns(ipyleaflet.LayerGroup):
    """Town labels: the large towns always, the others from zoom 7 on (:meth:`follow_zoom`)."""

    def __init__(self, features: list[Mapping[str, Any]], **kwargs: Any) -> None:
        major = _spaced([f for f in features if f["properties"]["population"] >= _MAJOR_TOWN
                         and not f["properties"].get("overseas")], 1.0)
        major += [f for f in features if f["properties"].get("overseas")]
        minor = [f for f in features if f not in major]
        self._major = [_town_marker(f) for f in major]
        self._minor = [_town_marker(f) for f in minor]
        super().__init__(layers=tuple(self._major), **kwargs)

    def follow_zoom(self, zoom: float) -> None:
        wanted = tuple(self._major + (self._minor if zoom >= _DETAIL_ZOOM else []))
        if len(wanted) != len(tuple(self.layers)):  # type: ignore[has-type]
            self.layers = wanted


#: Sources of the offline basemap, shown in the map's attribution while it is on.
OFFLINE_CREDIT = ("Natural Earth · IGN Admin Express (Licence Ouverte) · GeoNames (CC BY 4.0)")


def offline_basemap(lang: str = "fr") -> ipyleaflet.LayerGroup:
    """The offline basemap as one base layer (a :class:`ipyleaflet.LayerGroup` of vector layers, in the
    map pane :data:`PANE`, which the map must have: :class:`BasemapSwitch` adds it)."""
    words, layers = _words(lang), basemap_layers()
    # the pane and "not interactive" are path options that ipyleaflet's GeoJSON passes through its style
    # (applied to each path before it is added); not interactive: clicks go to the map and its drawing tools
    extra = {"pane": PANE, "interactive": False}
    parts: list[ipyleaflet.Layer] = [
        ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": [_WORLD]}, name=words["sea"],
                           style={**_STYLES["sea"], **extra})]
    for key in ("countries", "regions", "departements"):
        parts.append(ipyleaflet.GeoJSON(data=layers[key], name=words[key], style={**_STYLES[key], **extra}))
    parts.append(_Towns(layers["towns"]["features"], name=words["towns"]))
    group = ipyleaflet.LayerGroup(layers=tuple(parts), name=words["offline"], base=True)
    return group


def online_basemap(lang: str = "fr") -> ipyleaflet.TileLayer:
    """OpenStreetMap tiles (:mod:`xyzservices`): the browser asks the internet for them."""
    import xyzservices.providers as xyz

    layer = ipyleaflet.basemap_to_tiles(xyz.OpenStreetMap.Mapnik)
    layer.base = True
    layer.name = _words(lang)["online"]
    return layer


class BasemapSwitch(widgets.ToggleButtons):
    """Offline or online basemap, for a map (CSS class ``dw-basemap-switch``).

    The online layer is created and added only when chosen: an offline map asks nothing of the internet.
    Value ``"offline"`` or ``"online"``. The town labels follow the map's zoom.

    Examples
    --------
    >>> m = ipyleaflet.Map(zoom=5, layers=())
    >>> switch = BasemapSwitch(m, online=False, lang="en")
    >>> [layer.name for layer in m.layers]
    ['Offline basemap']
    >>> switch.value = "online"; [layer.name for layer in m.layers]
    ['OpenStreetMap (internet)']
    >>> switch.value = "offline"; [layer.name for layer in m.layers]
    ['Offline basemap']
    """

    def __init__(self, leaflet_map: ipyleaflet.Map, online: bool = False, lang: str = "fr") -> None:
        words = _words(lang)
        super().__init__(options=[(words["offline"], "offline"), (words["online"], "online")],
                         value="online" if online else "offline", tooltips=[words["switch_tip"]] * 2,
                         style={"button_width": "auto"}, layout=widgets.Layout(width="auto"))
        self.add_class("dw-basemap-switch")
        self._map, self._lang = leaflet_map, lang
        if PANE not in leaflet_map.panes:
            leaflet_map.panes = {**leaflet_map.panes, PANE: dict(_PANE_STYLE)}
        self.offline_layer: ipyleaflet.LayerGroup | None = None
        self.online_layer: ipyleaflet.TileLayer | None = None
        self._apply()
        self.observe(lambda _change: self._apply(), names="value")
        leaflet_map.observe(self._on_zoom, names="zoom")

    def _layer(self) -> ipyleaflet.Layer:
        if self.value == "online":
            if self.online_layer is None:
                self.online_layer = online_basemap(self._lang)
            return self.online_layer
        if self.offline_layer is None:
            self.offline_layer = offline_basemap(self._lang)
            self._on_zoom({"new": self._map.zoom})
        return self.offline_layer

    def _apply(self) -> None:
        self._credit()
        wanted = self._layer()
        others = [layer for layer in (self.offline_layer, self.online_layer) if layer is not wanted]
        layers = [layer for layer in self._map.layers if layer not in others]
        if wanted not in layers:
            layers.insert(0, wanted)
        self._map.layers = tuple(layers)

    def _credit(self) -> None:
        """Credit the offline basemap's sources (GeoNames' licence asks for it) in the map's attribution."""
        prefix = OFFLINE_CREDIT if self.value == "offline" else "ipyleaflet"
        for control in self._map.controls:
            if isinstance(control, ipyleaflet.AttributionControl):
                control.prefix = prefix
                return
        self._map.add(ipyleaflet.AttributionControl(position="bottomright", prefix=prefix))

    def _on_zoom(self, change: Mapping[str, Any]) -> None:
        if self.offline_layer is not None:
            for layer in self.offline_layer.layers:
                if isinstance(layer, _Towns):
                    layer.follow_zoom(float(change["new"]))



"""The offline basemap: what it shows, how much it weighs in the widget state, the switch, and the map
following an area typed or uploaded."""

from __future__ import annotations

import json
from typing import Any

import ipyleaflet
import pytest
from shapely.geometry import Point, shape

from dinamis_widgets.ui.aoi_picker import AOIPicker
from dinamis_widgets.ui.basemap import BasemapSwitch, basemap_layers, offline_basemap
from dinamis_widgets.ui.map import ExplorerMap

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _where(layer: str, lon: float, lat: float) -> list[str]:
    return [f["properties"]["name"] for f in basemap_layers()[layer]["features"]
            if shape(f["geometry"]).contains(Point(lon, lat))]


def test_basemap_names_the_places_of_the_dinamis_areas() -> None:
    # known truth: a point in each area falls in the right département and région
    assert _where("departements", -0.955, 45.94) == ["Charente-Maritime"]  # Rochefort
    assert _where("regions", -0.955, 45.94) == ["Nouvelle-Aquitaine"]
    assert _where("departements", -52.33, 4.93) == ["Guyane"]  # Cayenne
    assert _where("departements", -61.07, 14.62) == ["Martinique"]
    assert _where("departements", 55.45, -21.0) == ["La Réunion"]
    assert _where("departements", 45.15, -12.8) == ["Mayotte"]
    assert _where("countries", 4.35, 50.85) == ["Belgique"]  # a neighbour, from Natural Earth
    assert _where("countries", -3.0, 46.5) == []  # the Bay of Biscay is sea
    towns = {f["properties"]["name"] for f in basemap_layers()["towns"]["features"]}
    assert {"Paris", "Rochefort", "Cayenne", "Fort-de-France", "Mamoudzou"} - towns <= {"Rochefort"}
    assert {"Paris 15 Vaugirard", "Lyon 03"} & towns == set()  # no arrondissements


def test_offline_basemap_is_small_in_the_widget_state() -> None:
    group = offline_basemap("fr")

    def state(layer: Any) -> int:  # what the kernel sends the browser for it (GeoJSON is a LayerGroup too)
        own = len(json.dumps(layer.get_state(), default=str, separators=(",", ":")))
        if isinstance(layer, ipyleaflet.LayerGroup) and not isinstance(layer, ipyleaflet.GeoJSON):
            return own + sum(state(child) for child in layer.layers)
        if isinstance(layer, ipyleaflet.Marker):
            return own + state(layer.icon)
        return own

    size = state(group)
    print(f"offline basemap widget state: {size / 1000:.0f} kB")
    assert size < 500_000
    assert not [getattr(layer, "url", "") for layer in group.layers if getattr(layer, "url", "")]


def test_switch_adds_the_online_layer_only_when_chosen() -> None:
    m = ExplorerMap(lang="fr")
    assert m.layer_urls() == [] and m.basemap_switch.value == "offline"
    towns = next(layer for layer in m.basemap_switch.offline_layer.layers if layer.name == "Villes")
    few = len(towns.layers)
    m.map.zoom = 8
    assert len(towns.layers) > few  # smaller towns labelled when zoomed in
    m.basemap_switch.value = "online"
    assert any("openstreetmap" in url for url in m.layer_urls())
    m.basemap_switch.value = "offline"
    assert m.layer_urls() == []
    online = ExplorerMap(lang="fr", online=True)
    assert online.basemap_switch.value == "online"
    assert isinstance(online.basemap_switch, BasemapSwitch)


def test_typed_area_moves_the_explorer_map(twin: Any) -> None:
    import dinamis_widgets as dw

    ex = dw.Explorer(lang="en")
    picker: AOIPicker = ex.panel.aoi_picker
    picker.set_from_text("55.2, -21.4, 55.85, -20.85")  # Réunion, typed
    assert ex.map.map.center == pytest.approx([-21.125, 55.525])
    assert ex.map.map.zoom >= 8
    picker.set_from_geojson(json.dumps({"type": "Polygon", "coordinates": [[
        [-0.98, 45.92], [-0.93, 45.92], [-0.93, 45.96], [-0.98, 45.96], [-0.98, 45.92]]]}), "area.geojson")
    assert ex.map.map.center == pytest.approx([45.94, -0.955]) and ex.map.map.zoom >= 12


def test_offline_basemap_credits_its_sources_while_it_is_on() -> None:
    m = ipyleaflet.Map(layers=())
    switch = BasemapSwitch(m, online=False, lang="fr")

    def credit() -> str:
        (control,) = [c for c in m.controls if isinstance(c, ipyleaflet.AttributionControl)]
        return str(control.prefix)

    assert all(source in credit() for source in ("Natural Earth", "IGN", "GeoNames"))
    switch.value = "online"
    assert "GeoNames" not in credit()
    switch.value = "offline"
    assert "GeoNames" in credit()

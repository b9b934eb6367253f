"""The places the twin images: sites and the parameters of their planted land cover.

Nothing here reads or writes pixels; :mod:`.landcover` renders a site's landscape.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyproj import Transformer

__all__ = ["SITES", "Landscape", "Site"]


@dataclass(frozen=True)
class Landscape:
    """Parameters of a site's planted land cover (all distances in metres, angles in degrees).

    Attributes
    ----------
    climate
        ``"temperate"`` (deciduous forest, seasonal crops) or ``"tropical"`` (evergreen).
    coast
        ``(azimuth, distance)``: the sea lies beyond a wavy line at ``distance`` from the site
        centre, towards ``azimuth`` (clockwise from north). ``None``: no sea.
    river
        ``(azimuth, offset, width)``: a winding river flowing towards ``azimuth``, passing
        ``offset`` metres (to its right) from the centre.
    lakes
        ``(dx, dy, rx, ry)`` ellipses (lagoons, ponds) around the centre.
    town
        ``(dx, dy, radius)`` of the built-up area.
    forest_fraction
        Approximate share of forest outside water and town.
    parcels
        ``(length, width, azimuth)`` of the agricultural parcel grid.
    crops
        ``(crop, probability)`` of each parcel type; ``"bare"`` is bare soil. Crop names are keys
        of :data:`dinamis_widgets.twin.scenes.landcover.PHENOLOGY`.
    turbidity
        Share of soil in the water spectrum (muddy Amazon coast: high).
    forest_scale
        Size of forest patches (lattice spacing of their noise).
    """

    climate: str
    coast: tuple[float, float] | None
    river: tuple[float, float, float] | None
    lakes: tuple[tuple[float, float, float, float], ...]
    town: tuple[float, float, float]
    forest_fraction: float
    parcels: tuple[float, float, float]
    crops: tuple[tuple[str, float], ...]
    turbidity: float = 0.0
    forest_scale: float = 700.0


@dataclass(frozen=True)
class Site:
    """A place imaged several times, with the catalogue's Information fields."""

    key: str
    lon: float
    lat: float
    epsg: int
    country: str
    department: str
    region: str
    city: str
    landscape: Landscape

    @property
    def tile(self) -> str:
        """Tile code of the ids, e.g. ``W001N46``."""
        lon, lat = round(self.lon), round(self.lat)
        return f"{'W' if lon < 0 else 'E'}{abs(lon):03d}{'S' if lat < 0 else 'N'}{abs(lat):02d}"

    @property
    def origin(self) -> tuple[float, float]:
        """UTM coordinates of the site centre, rounded to the metre (origin of the land cover)."""
        return _utm_origin(self.lon, self.lat, self.epsg)


@lru_cache(maxsize=64)
def _utm_origin(lon: float, lat: float, epsg: int) -> tuple[float, float]:
    tr = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    x, y = tr.transform(lon, lat)
    return float(round(x)), float(round(y))


_TEMPERATE_CROPS = (("wheat", 0.3), ("maize", 0.22), ("sunflower", 0.15), ("grassland", 0.23))

SITES: dict[str, Site] = {
    s.key: s
    for s in (
        Site(
            "rochefort", -0.9608, 45.9421, 32630, "France", "Charente-Maritime",
            "Poitou-Charentes", "Rochefort",
            Landscape(
                "temperate", coast=None, river=(200.0, 150.0, 110.0), lakes=((-900, 950, 160, 90),),
                town=(250.0, -150.0, 520.0), forest_fraction=0.15, parcels=(230.0, 140.0, 20.0),
                crops=(*_TEMPERATE_CROPS, ("bare", 0.10)), turbidity=0.35,
            ),
        ),
        Site(
            "montpellier", 3.8767, 43.6108, 32631, "France", "Hérault", "Occitanie",
            "Montpellier",
            Landscape(
                "temperate", coast=None, river=(160.0, -350.0, 35.0),
                lakes=((1500, -1350, 950, 480),), town=(-500.0, 350.0, 600.0),
                forest_fraction=0.22, parcels=(160.0, 110.0, -15.0),
                crops=(("vineyard", 0.35), ("wheat", 0.18), ("sunflower", 0.1),
                       ("grassland", 0.15), ("bare", 0.22)),
                turbidity=0.15,
            ),
        ),
        Site(
            "toulouse", 1.4442, 43.6047, 32631, "France", "Haute-Garonne", "Occitanie",
            "Toulouse",
            Landscape(
                "temperate", coast=None, river=(330.0, 120.0, 150.0), lakes=(),
                town=(0.0, 0.0, 450.0), forest_fraction=0.1, parcels=(260.0, 150.0, 35.0),
                crops=(*_TEMPERATE_CROPS, ("bare", 0.10)), turbidity=0.3,
            ),
        ),
        Site(
            "cayenne", -52.3260, 4.9224, 32622, "France", "Guyane française", "Guyane française",
            "Cayenne",
            Landscape(
                "tropical", coast=(20.0, 260.0), river=None, lakes=((-250, -300, 90, 60),),
                town=(-80.0, -60.0, 210.0), forest_fraction=0.55, parcels=(90.0, 60.0, 10.0),
                crops=(("pasture", 0.45), ("banana", 0.25), ("bare", 0.30)), turbidity=0.6,
                forest_scale=300.0,
            ),
        ),
        Site(
            "kourou", -52.6503, 5.1599, 32622, "France", "Guyane française", "Guyane française",
            "Kourou",
            Landscape(
                "tropical", coast=(45.0, 220.0), river=(300.0, -120.0, 70.0), lakes=(),
                town=(60.0, 40.0, 120.0), forest_fraction=0.5, parcels=(70.0, 50.0, -25.0),
                crops=(("pasture", 0.5), ("bare", 0.5)), turbidity=0.55, forest_scale=300.0,
            ),
        ),
        Site(
            "pointe-a-pitre", -61.5331, 16.2411, 32620, "France", "Guadeloupe", "Guadeloupe",
            "Pointe-à-Pitre",
            Landscape(
                "tropical", coast=(190.0, 230.0), river=(0.0, 280.0, 40.0), lakes=(),
                town=(-60.0, -50.0, 190.0), forest_fraction=0.35, parcels=(110.0, 70.0, 30.0),
                crops=(("cane_a", 0.2), ("cane_b", 0.2), ("cane_c", 0.15), ("banana", 0.2),
                       ("bare", 0.25)),
                turbidity=0.1, forest_scale=300.0,
            ),
        ),
        Site(
            "fort-de-france", -61.0588, 14.6161, 32620, "France", "Martinique", "Martinique",
            "Fort-de-France",
            Landscape(
                "tropical", coast=(210.0, 200.0), river=None, lakes=(),
                town=(-100.0, -80.0, 210.0), forest_fraction=0.5, parcels=(100.0, 60.0, -40.0),
                crops=(("banana", 0.4), ("cane_a", 0.2), ("cane_b", 0.2), ("bare", 0.2)),
                turbidity=0.1, forest_scale=300.0,
            ),
        ),
    )
}

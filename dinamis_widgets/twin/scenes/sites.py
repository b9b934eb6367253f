"""What the twin's catalogue holds: sensors, sites, collections and acquisitions, as frozen dataclasses.

Nothing here reads or writes pixels. :func:`catalogue` turns the static tables below into one
:class:`SceneSpec` per STAC item, deterministically from a seed: the seed moves footprints a little,
and changes land cover, clouds and texture; item ids, dates and collections do not depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from pyproj import Transformer

from .noise import derive_key, make_rng

__all__ = [
    "BRUT",
    "COLLECTIONS",
    "ORTHO",
    "SCENE_SETS",
    "SENSORS",
    "SITES",
    "Band",
    "CollectionDef",
    "Landscape",
    "SceneSpec",
    "Sensor",
    "Site",
    "catalogue",
    "get_spec",
]

ORTHO = "ORTHO"
BRUT = "BRUT"
SCENE_SETS = ("default", "bench")
#: Raw (BRUT) products are small plain TIFFs: MS side in pixels (PAN is 4 times larger).
RAW_MS_SIDE = 128
#: MS side in pixels of the benchmark's large SPOT scene (60 km at 6 m, like a real SPOT scene).
BENCH_MS_SIDE = 10_000


@dataclass(frozen=True)
class Band:
    """One spectral band, as written in ``eo:bands``."""

    name: str
    common_name: str
    center_wavelength: float
    full_width_half_max: float
    description: str


@dataclass(frozen=True)
class Sensor:
    """A sensor family and the layout of its products.

    Attributes
    ----------
    ms_bands
        Multispectral bands in the order they are stored in the files (R, G, B, NIR first, as in
        real SPOT 6/7 and Pléiades deliveries), so consumers must select bands by name.
    pan_weights
        Weights of the band common names whose weighted mean gives the panchromatic DN.
    ms_side
        Side of a default ORTHO MS raster, in pixels (PAN is ``pan_factor`` times larger).
    """

    key: str
    label: str
    constellation: str
    instruments: tuple[str, ...]
    altitude_km: float
    ms_bands: tuple[Band, ...]
    pan_band: Band
    pan_weights: tuple[tuple[str, float], ...]
    ms_gsd: float
    pan_gsd: float
    ms_side: int
    pan_factor: int = 4


def _b(name: str, common: str, lo: float, hi: float, desc: str) -> Band:
    return Band(name, common, round((lo + hi) / 2, 4), round(hi - lo, 4), desc)


SENSORS: dict[str, Sensor] = {
    "spot67": Sensor(
        key="spot67",
        label="SPOT 6/7",
        constellation="spot",
        instruments=("naomi",),
        altitude_km=694.0,
        ms_bands=(
            _b("B2", "red", 0.625, 0.695, "Red"),
            _b("B1", "green", 0.530, 0.590, "Green"),
            _b("B0", "blue", 0.455, 0.525, "Blue"),
            _b("B3", "nir", 0.760, 0.890, "Near infrared"),
        ),
        pan_band=_b("PAN", "pan", 0.455, 0.745, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.35), ("nir", 0.15)),
        ms_gsd=6.0,
        pan_gsd=1.5,
        ms_side=500,
    ),
    "phr": Sensor(
        key="phr",
        label="PLEIADES",
        constellation="pleiades",
        instruments=("hiri",),
        altitude_km=694.0,
        ms_bands=(
            _b("B2", "red", 0.600, 0.720, "Red"),
            _b("B1", "green", 0.490, 0.610, "Green"),
            _b("B0", "blue", 0.430, 0.550, "Blue"),
            _b("B3", "nir", 0.750, 0.950, "Near infrared"),
        ),
        pan_band=_b("PAN", "pan", 0.470, 0.830, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.3), ("nir", 0.2)),
        ms_gsd=2.0,
        pan_gsd=0.5,
        ms_side=500,
    ),
    "pneo": Sensor(
        key="pneo",
        label="PLEIADES NEO",
        constellation="pleiades-neo",
        instruments=("pneo-imager",),
        altitude_km=620.0,
        ms_bands=(
            _b("R", "red", 0.620, 0.690, "Red"),
            _b("G", "green", 0.530, 0.590, "Green"),
            _b("B", "blue", 0.450, 0.520, "Blue"),
            _b("NIR", "nir", 0.770, 0.880, "Near infrared"),
            _b("RE", "rededge", 0.700, 0.750, "Red edge"),
            _b("DB", "coastal", 0.400, 0.450, "Deep blue"),
        ),
        pan_band=_b("PAN", "pan", 0.450, 0.800, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.3), ("rededge", 0.1), ("nir", 0.1)),
        ms_gsd=1.2,
        pan_gsd=0.3,
        ms_side=600,
    ),
}


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


@dataclass(frozen=True)
class CollectionDef:
    """One STAC collection of the twin (named after the catalogue's "Plateforme" field).

    Attributes
    ----------
    provider
        The catalogue's provider: ``"MTD"``, ``"SEAS Guyane"`` or ``"Regards"``.
    bucket
        Bucket of the twin's object store holding the products; ``None`` when the products live
        elsewhere (Regards: orderable, never streamed).
    """

    id: str
    title: str
    description: str
    provider: str
    provider_name: str
    bucket: str | None
    sensor: Sensor
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hosted(self) -> bool:
        """True when the twin's object store serves the products."""
        return self.bucket is not None


COLLECTIONS: dict[str, CollectionDef] = {
    c.id: c
    for c in (
        CollectionDef(
            "SPOT67_HCF_GS1", "SPOT 6/7 - MTD",
            "SPOT 6/7 scenes distributed by the Maison de la Télédétection (MTD) through DINAMIS: "
            "multispectral (4 bands, 6 m) and panchromatic (1.5 m), 12-bit.",
            "MTD", "Maison de la Télédétection (MTD)", "dinamis-mtd", SENSORS["spot67"],
            ("SPOT", "DINAMIS", "MTD", "France"),
        ),
        CollectionDef(
            "SEASG-TA-PHR-FR-GUF", "Pléiades - Guyane française (SEAS Guyane)",
            "Pléiades scenes over French Guiana received by SEAS Guyane: multispectral "
            "(4 bands, 2 m) and panchromatic (0.5 m), 12-bit.",
            "SEAS Guyane", "SEAS Guyane", "dinamis-seasguyane", SENSORS["phr"],
            ("Pleiades", "DINAMIS", "SEAS Guyane", "Guyane"),
        ),
        CollectionDef(
            "SEASG-TA-PNeo-FR-GUF", "Pléiades Neo - Guyane française (SEAS Guyane)",
            "Pléiades Neo scenes over French Guiana received by SEAS Guyane: multispectral "
            "(6 bands, 1.2 m) and panchromatic (0.3 m), 12-bit.",
            "SEAS Guyane", "SEAS Guyane", "dinamis-seasguyane", SENSORS["pneo"],
            ("Pleiades Neo", "DINAMIS", "SEAS Guyane", "Guyane"),
        ),
        CollectionDef(
            "SEASG-TA-PHR-FR-GLP", "Pléiades - Guadeloupe (SEAS Guyane)",
            "Pléiades scenes over Guadeloupe received by SEAS Guyane.",
            "SEAS Guyane", "SEAS Guyane", "dinamis-seasguyane", SENSORS["phr"],
            ("Pleiades", "DINAMIS", "SEAS Guyane", "Guadeloupe"),
        ),
        CollectionDef(
            "SEASG-TA-PHR-FR-MTQ", "Pléiades - Martinique (SEAS Guyane)",
            "Pléiades scenes over Martinique received by SEAS Guyane.",
            "SEAS Guyane", "SEAS Guyane", "dinamis-seasguyane", SENSORS["phr"],
            ("Pleiades", "DINAMIS", "SEAS Guyane", "Martinique"),
        ),
        CollectionDef(
            "REGARDS-PHR", "Pléiades - CNES Regards",
            "Pléiades archive of CNES, harvested from Regards. Products are orderable from "
            "Regards only: they cannot be signed nor streamed.",
            "Regards", "CNES (Regards)", None, SENSORS["phr"],
            ("Pleiades", "DINAMIS", "Regards", "CNES"),
        ),
    )
}


@dataclass(frozen=True)
class _Acq:
    collection: str
    site: str
    when: str
    platform: str
    incidence: float
    cloudiness: float
    snow: float = 0.0
    brut: bool = False
    scene: int = 1
    ms_side: int | None = None
    with_pan: bool = True


_PLATFORM_CODES = {
    "spot-6": "SPOT6", "spot-7": "SPOT7", "phr-1a": "PHR1A", "phr-1b": "PHR1B",
    "pneo-3": "PNEO3", "pneo-4": "PNEO4",
}

_DEFAULT_ACQUISITIONS: tuple[_Acq, ...] = (
    _Acq("SPOT67_HCF_GS1", "rochefort", "2025-04-14T10:52:13.5", "spot-7", 12.41, 0.04),
    _Acq("SPOT67_HCF_GS1", "rochefort", "2025-06-19T10:41:05.8", "spot-6", 8.93, 0.0),
    _Acq("SPOT67_HCF_GS1", "rochefort", "2025-08-03T10:47:51.1", "spot-7", 17.35, 0.07),
    _Acq("SPOT67_HCF_GS1", "rochefort", "2026-02-24T10:36:27.2", "spot-6", 24.7784, 0.16,
         brut=True),
    _Acq("SPOT67_HCF_GS1", "montpellier", "2025-05-12T10:31:44.6", "spot-6", 6.22, 0.02),
    _Acq("SPOT67_HCF_GS1", "montpellier", "2025-07-16T10:24:02.3", "spot-7", 21.04, 0.0),
    _Acq("SPOT67_HCF_GS1", "montpellier", "2026-01-21T10:28:39.9", "spot-7", 14.66, 0.10,
         snow=0.22, brut=True),
    _Acq("SEASG-TA-PHR-FR-GUF", "cayenne", "2025-09-18T14:02:11.7", "phr-1b", 11.8, 0.12),
    _Acq("SEASG-TA-PHR-FR-GUF", "cayenne", "2025-11-29T13:58:36.4", "phr-1a", 18.2, 0.30),
    _Acq("SEASG-TA-PHR-FR-GUF", "cayenne", "2026-02-27T14:09:40.8", "phr-1a", 5.0353, 0.22,
         brut=True),
    _Acq("SEASG-TA-PNeo-FR-GUF", "kourou", "2025-10-07T13:47:25.3", "pneo-3", 9.7, 0.08),
    _Acq("SEASG-TA-PNeo-FR-GUF", "kourou", "2026-03-02T13:51:08.9", "pneo-4", 15.1, 0.18),
    _Acq("SEASG-TA-PHR-FR-GLP", "pointe-a-pitre", "2025-12-11T14:27:44.1", "phr-1a", 13.3, 0.05),
    _Acq("SEASG-TA-PHR-FR-GLP", "pointe-a-pitre", "2026-03-19T14:19:52.6", "phr-1b", 7.6, 0.14),
    _Acq("SEASG-TA-PHR-FR-MTQ", "fort-de-france", "2026-01-08T14:33:10.2", "phr-1b", 22.5, 0.09),
    _Acq("SEASG-TA-PHR-FR-MTQ", "fort-de-france", "2026-04-13T14:24:55.0", "phr-1a", 26.4, 0.076),
    _Acq("REGARDS-PHR", "toulouse", "2025-06-27T10:49:31.5", "phr-1a", 10.2, 0.03),
    _Acq("REGARDS-PHR", "toulouse", "2025-10-04T10:56:12.0", "phr-1b", 16.9, 0.25),
)

_BENCH_ACQUISITIONS: tuple[_Acq, ...] = (
    _Acq("SPOT67_HCF_GS1", "montpellier", "2025-09-08T10:33:17.4", "spot-6", 19.3, 0.12,
         scene=2, ms_side=BENCH_MS_SIDE, with_pan=False),
)


@dataclass(frozen=True)
class SceneSpec:
    """Everything needed to render one item and write its STAC JSON, without reading any file.

    Attributes
    ----------
    item_id
        STAC item id (``_BRUT`` suffix for raw products).
    level
        ``"ORTHO"`` (georeferenced COGs) or ``"BRUT"`` (raw, sensor geometry, plain TIFFs).
    ms_shape, ms_transform
        The ortho MS grid ``(rows, cols)`` and its affine ``(a, b, c, d, e, f)`` in ``epsg``.
        Every spec has one (BRUT and Regards items use it for cloud statistics and quicklooks).
    pan_shape, pan_transform
        The ortho PAN grid, or ``None`` when the item has no PAN file (benchmark scene).
    footprint
        Corners of the valid area in UTM, counter-clockwise (not closed).
    raw_shape
        ``(rows, cols)`` of the raw MS image of a BRUT item (PAN is 4 times larger), else ``None``.
    acquisition_key
        Identifies the acquisition (shared by the ORTHO and BRUT products of one image).
    cloudiness, snow_fraction
        Targets used to plant clouds and snow; the STAC covers are measured, not these.
    """

    item_id: str
    collection: CollectionDef
    site: Site
    sensor: Sensor
    level: str
    acquired: datetime
    platform: str
    seed: int
    epsg: int
    ms_shape: tuple[int, int]
    ms_transform: tuple[float, float, float, float, float, float]
    pan_shape: tuple[int, int] | None
    pan_transform: tuple[float, float, float, float, float, float] | None
    footprint: tuple[tuple[float, float], ...]
    raw_shape: tuple[int, int] | None
    incidence_angle: float
    view_azimuth: float
    cloudiness: float
    snow_fraction: float
    acquisition_key: str

    @property
    def collection_id(self) -> str:
        """Id of the item's collection."""
        return self.collection.id

    @property
    def hosted(self) -> bool:
        """True when the twin's object store serves this item's products."""
        return self.collection.hosted

    @property
    def signable(self) -> bool:
        """Catalogue rule: only hosted (MTD, SEAS Guyane) ORTHO products can be signed."""
        return self.hosted and self.level == ORTHO

    @property
    def file_names(self) -> dict[str, str]:
        """File name of each asset stored by the twin (``multispectral``, ``panchromatic``,
        ``thumbnail``)."""
        names = {"thumbnail": f"{self.item_id}_QL.png"}
        if self.hosted:
            names["multispectral"] = f"{self.item_id}_MS.tif"
            if self.level == BRUT or self.pan_shape is not None:
                names["panchromatic"] = f"{self.item_id}_PAN.tif"
        return names

    def object_key(self, asset: str) -> str:
        """Path of an asset in the object store: ``<bucket>/<collection>/<item_id>/<file>``."""
        name = self.file_names[asset]
        bucket = "quicklooks" if asset == "thumbnail" else self.collection.bucket
        return f"{bucket}/{self.collection_id}/{self.item_id}/{name}"


def _timestamp(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S") + str(when.microsecond // 100_000)


def _item_id(acq: _Acq, site: Site, when: datetime) -> str:
    ts = _timestamp(when)
    if acq.collection.startswith("SPOT67"):
        return f"SPOT67_HCF_{ts}_GS1_{site.tile}_SCENE{acq.scene}"
    station = "FR1" if acq.collection.startswith("REGARDS") else "GU1"
    key = derive_key("dataset-number", acq.collection, acq.site, acq.when)
    return (
        f"DS_{_PLATFORM_CODES[acq.platform]}_{ts}_{station}_PX_{site.tile}"
        f"_{key % 10_000:04d}_{(key >> 20) % 100_000:05d}"
    )


def _footprint(
    seed: int, acq: _Acq, sensor: Sensor, site: Site, ms_side: int
) -> tuple[tuple[float, float, float, float, float, float], tuple[tuple[float, float], ...]]:
    rng = make_rng(seed, "footprint", acq.collection, acq.site, acq.when)
    gsd = sensor.ms_gsd
    width = ms_side * gsd
    ox, oy = site.origin
    cx = ox + rng.uniform(-0.06, 0.06) * width
    cy = oy + rng.uniform(-0.06, 0.06) * width
    x0 = round((cx - width / 2) / gsd) * gsd
    top = round((cy + width / 2) / gsd) * gsd
    transform = (gsd, 0.0, float(x0), 0.0, -gsd, float(top))
    fx, fy = x0 + width / 2, top - width / 2
    theta = math.radians(-rng.uniform(4.0, 9.0))
    half = 0.485 * width / (math.cos(theta) + abs(math.sin(theta))) - 0.01 * width
    corners = []
    for ux, uy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):  # counter-clockwise (y up)
        jx, jy = rng.uniform(-0.008, 0.008, size=2) * width
        px = ux * half * math.cos(theta) - uy * half * math.sin(theta) + jx
        py = ux * half * math.sin(theta) + uy * half * math.cos(theta) + jy
        corners.append((round(fx + px, 3), round(fy + py, 3)))
    return transform, tuple(corners)


def _spec(seed: int, acq: _Acq, level: str) -> SceneSpec:
    coll = COLLECTIONS[acq.collection]
    site = SITES[acq.site]
    sensor = coll.sensor
    when = datetime.fromisoformat(acq.when).replace(tzinfo=UTC)
    ms_side = acq.ms_side or sensor.ms_side
    transform, footprint = _footprint(seed, acq, sensor, site, ms_side)
    pan_shape = pan_transform = None
    if acq.with_pan:
        f = sensor.pan_factor
        pan_shape = (ms_side * f, ms_side * f)
        a, b, c, d, e, g = transform
        pan_transform = (a / f, b, c, d, e / f, g)
    item_id = _item_id(acq, site, when)
    if level == BRUT:
        item_id += "_BRUT"
    azimuth = make_rng("view-azimuth", acq.collection, acq.site, acq.when).uniform(0, 360)
    return SceneSpec(
        item_id=item_id,
        collection=coll,
        site=site,
        sensor=sensor,
        level=level,
        acquired=when,
        platform=acq.platform,
        seed=seed,
        epsg=site.epsg,
        ms_shape=(ms_side, ms_side),
        ms_transform=transform,
        pan_shape=pan_shape if level == ORTHO else None,
        pan_transform=pan_transform if level == ORTHO else None,
        footprint=footprint,
        raw_shape=(RAW_MS_SIDE, RAW_MS_SIDE) if level == BRUT else None,
        incidence_angle=acq.incidence,
        view_azimuth=round(float(azimuth), 2),
        cloudiness=acq.cloudiness,
        snow_fraction=acq.snow,
        acquisition_key=f"{acq.collection}|{acq.site}|{acq.when}",
    )


@lru_cache(maxsize=16)
def _catalogue(seed: int, scene_set: str) -> tuple[SceneSpec, ...]:
    if scene_set not in SCENE_SETS:
        raise ValueError(f"unknown scene set {scene_set!r}; choose one of {SCENE_SETS}")
    acqs = _DEFAULT_ACQUISITIONS + (_BENCH_ACQUISITIONS if scene_set == "bench" else ())
    specs: list[SceneSpec] = []
    for acq in acqs:
        specs.append(_spec(seed, acq, ORTHO))
        if acq.brut:
            specs.append(_spec(seed, acq, BRUT))
    ids = [s.item_id for s in specs]
    assert len(set(ids)) == len(ids), "item ids must be unique"
    return tuple(specs)


def catalogue(seed: int = 0, scene_set: str = "default") -> list[SceneSpec]:
    """List the items of a scene set, without generating anything.

    Parameters
    ----------
    seed
        Seed of the land cover, clouds, texture and footprint jitter.
    scene_set
        ``"default"`` (21 items, small scenes) or ``"bench"`` (the default items plus one
        10000 x 10000 MS SPOT scene without PAN).

    Returns
    -------
    list of SceneSpec
        One spec per STAC item, in catalogue order.

    Examples
    --------
    >>> from dinamis_widgets.twin.scenes import catalogue
    >>> specs = catalogue()
    >>> specs[0].item_id
    'SPOT67_HCF_202504141052135_GS1_W001N46_SCENE1'
    """
    return list(_catalogue(int(seed), scene_set))


def get_spec(item_id: str, seed: int = 0, scene_set: str = "default") -> SceneSpec:
    """Return the spec of one item.

    Raises
    ------
    KeyError
        If ``item_id`` is not in the scene set.
    """
    for spec in _catalogue(int(seed), scene_set):
        if spec.item_id == item_id:
            return spec
    raise KeyError(f"no item {item_id!r} in scene set {scene_set!r} (seed {seed})")

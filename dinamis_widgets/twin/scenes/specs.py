"""The twin's collections and items as frozen dataclasses: :class:`CollectionDef`, :class:`SceneSpec`.

Nothing here reads or writes pixels. Collections come in four *layouts*, the shapes their items take:

``dinamis``
    The DINAMIS catalogue's shape (``SPOT67_HCF_GS1``...): ``multispectral``, ``panchromatic`` and
    ``thumbnail`` assets with ``eo:bands``/``raster:bands``, ``processing:level`` and ``dinamis:*``
    properties (:mod:`.dinamis_shapes`).
``drs``, ``theia``, ``superres``
    The shapes of the MTD STAC API's ``spot-6-7-drs`` (``src_xs``, ``src_pan``),
    ``sentinel2-l2a-theia`` (one asset per band, THEIA masks) and ``super-sentinel-2-l2a`` (one
    multi-band ``img``) collections (:mod:`.mtd_shapes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .sensors import Sensor
from .sites import Site

__all__ = [
    "BRUT",
    "DINAMIS",
    "DRS",
    "LAYOUTS",
    "ORTHO",
    "SCENE_SETS",
    "SUPERRES",
    "THEIA",
    "CollectionDef",
    "SceneSpec",
    "theia_asset_key",
]

ORTHO = "ORTHO"
BRUT = "BRUT"
SCENE_SETS = ("default", "bench")
DINAMIS, DRS, THEIA, SUPERRES = "dinamis", "drs", "theia", "superres"
LAYOUTS = (DINAMIS, DRS, THEIA, SUPERRES)
#: THEIA's mask files, per resolution group (R1: 10 m, R2: 20 m).
THEIA_MASKS = ("CLM", "EDG", "MG2")

Transform = tuple[float, float, float, float, float, float]


def theia_asset_key(band_name: str) -> str:
    """STAC asset key of a THEIA band: ``B2`` -> ``B02``, ``B8A`` -> ``B8A``, ``B11`` -> ``B11``."""
    return "B" + band_name[1:].zfill(2)


@dataclass(frozen=True)
class CollectionDef:
    """One STAC collection of the twin.

    Attributes
    ----------
    provider
        Who distributes the products: ``"MTD"``, ``"SEAS Guyane"`` or ``"Regards"``.
    bucket
        Bucket of the twin's object store holding the products; ``None`` when the products live
        elsewhere (Regards: orderable, never streamed).
    layout
        Shape of the items (see the module docstring).
    item_stac_version
        STAC version of the items (collections are STAC 1.1.0).
    """

    id: str
    title: str
    description: str
    provider: str
    provider_name: str
    bucket: str | None
    sensor: Sensor
    keywords: tuple[str, ...] = field(default_factory=tuple)
    layout: str = DINAMIS
    item_stac_version: str = "1.1.0"

    @property
    def hosted(self) -> bool:
        """True when the twin's object store serves the products."""
        return self.bucket is not None


@dataclass(frozen=True)
class SceneSpec:
    """Everything needed to render one item and write its STAC JSON, without reading any file.

    Attributes
    ----------
    item_id
        STAC item id.
    level
        ``"ORTHO"`` (georeferenced COGs) or ``"BRUT"`` (raw, sensor geometry, plain TIFFs). Only
        DINAMIS-shaped items say it (``processing:level``); the twin knows it for every item.
    ms_shape, ms_transform
        The main grid ``(rows, cols)`` and its affine ``(a, b, c, d, e, f)`` in ``epsg``: the ortho
        MS grid (SPOT, Pléiades; BRUT and Regards items use it for cloud statistics and
        quicklooks), the 10 m (R1) grid of a THEIA item (its 20 m R2 grid is twice as coarse), the
        grid of a super-resolved image.
    pan_shape, pan_transform
        The ortho PAN grid, or ``None`` when the item has no PAN file.
    footprint
        Corners of the valid area in UTM, counter-clockwise (not closed), a convex polygon.
    raw_shape
        ``(rows, cols)`` of the raw MS image of a BRUT item (PAN is 4 times larger), else ``None``.
    acquisition_key
        Identifies the acquisition: items imaging the same acquisition share it, and so share
        land cover, phenology and clouds.
    cloudiness, snow_fraction
        Targets used to plant clouds and snow; the STAC covers are measured, not these.
    relative_orbit, tile
        Sentinel-2 relative orbit and MGRS tile (THEIA and super-resolved items).
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
    ms_transform: Transform
    pan_shape: tuple[int, int] | None
    pan_transform: Transform | None
    footprint: tuple[tuple[float, float], ...]
    raw_shape: tuple[int, int] | None
    incidence_angle: float
    view_azimuth: float
    cloudiness: float
    snow_fraction: float
    acquisition_key: str
    relative_orbit: int | None = None
    tile: str | None = None

    @property
    def collection_id(self) -> str:
        """Id of the item's collection."""
        return self.collection.id

    @property
    def layout(self) -> str:
        """Shape of the item: ``dinamis``, ``drs``, ``theia`` or ``superres``."""
        return self.collection.layout

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
        """File name of each asset stored by the twin, by STAC asset key."""
        i = self.item_id
        if self.layout == DRS:
            return {"src_xs": f"{i}_XS.tif", "src_pan": f"{i}_PAN.tif"}
        if self.layout == SUPERRES:
            return {"img": f"{i}.tif"}
        if self.layout == THEIA:
            names = {theia_asset_key(b.name): f"{i}_FRE_{b.name}.tif" for b in self.sensor.ms_bands}
            for mask in THEIA_MASKS:
                for group in ("R1", "R2"):
                    names[f"{mask}_{group}"] = f"{i}_{mask}_{group}.tif"
            names["MD"] = f"{i}_MTD_ALL.xml"
            return names
        names = {"thumbnail": f"{i}_QL.png"}
        if self.hosted:
            names["multispectral"] = f"{i}_MS.tif"
            if self.level == BRUT or self.pan_shape is not None:
                names["panchromatic"] = f"{i}_PAN.tif"
        return names

    def object_key(self, asset: str) -> str:
        """Path of an asset in the object store: ``<bucket>/<collection>/<item_id>/<file>``."""
        name = self.file_names[asset]
        bucket = "quicklooks" if asset == "thumbnail" else self.collection.bucket
        return f"{bucket}/{self.collection_id}/{self.item_id}/{name}"

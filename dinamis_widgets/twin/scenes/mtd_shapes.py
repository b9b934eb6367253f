"""Collections shaped like the MTD STAC API's (``api.stac.teledetection.fr``) and their items.

Three collections, named as the real ones (see the twin's section of README.md for what is modelled
on evidence and what is assumed):

``spot-6-7-drs`` (layout ``drs``, STAC 1.0.0 items)
    SPOT 6/7 images of the DINAMIS Direct Receiving Station: assets ``src_xs`` (4 bands, file order
    R, G, B, NIR) and ``src_pan``; no ``eo:bands``, no ``raster:bands``, ``proj:epsg``, no DINAMIS
    property. Each item is another product of one of the twin's DINAMIS SPOT acquisitions, on the
    same grid: its pixels are those of the DINAMIS item. One of them is raw (sensor geometry, plain
    TIFFs) and says so nowhere in its STAC JSON.
``sentinel2-l2a-theia`` (layout ``theia``, STAC 1.1.0)
    Sentinel-2 L2A as THEIA distributes it: one int16 asset per band (``B02``... ``B12``, ``B8A``;
    surface reflectance x 10000, nodata -10000), masks ``CLM_R1``/``CLM_R2`` (clouds, THEIA's bits),
    ``EDG_R1``/``EDG_R2`` (outside the swath), ``MG2_R1``/``MG2_R2`` (water, clouds, snow) and the
    ``MD`` metadata file; ``proj:code`` on each asset; ``sat:relative_orbit``, ``eo:cloud_cover``,
    ``s2:mgrs_tile``. The twin cuts a 6 km x 6 km window of the tile around a site.
``super-sentinel-2-l2a`` (layout ``superres``, STAC 1.0.0 items)
    Sentinel-2 B4, B3, B2, B8 super-resolved to 1.5 m: one int16 multi-band ``img`` asset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .sensors import SENSORS
from .sites import SITES
from .specs import BRUT, DRS, ORTHO, SUPERRES, THEIA, CollectionDef, SceneSpec, Transform

__all__ = ["MTD_COLLECTIONS", "THEIA_NODATA", "THEIA_QUANTIFICATION", "mtd_specs"]

#: THEIA's surface reflectance: ``reflectance = value / 10000``; -10000 outside the swath.
THEIA_QUANTIFICATION = 10_000
THEIA_NODATA = -10_000
#: Side of the twin's window of a Sentinel-2 tile, in 10 m pixels (6 km).
THEIA_SIDE = 600
#: Windows are aligned on S2's coarsest grid (60 m) in the tile's UTM zone.
_ALIGN = 60.0
#: Side of a super-resolved image, in 1.5 m pixels (1.2 km).
SUPERRES_SIDE = 800
#: Swath edges of a descending Sentinel-2 pass run about 12 degrees off north-south.
_SWATH_TILT = math.radians(12.0)

MTD_COLLECTIONS: dict[str, CollectionDef] = {
    c.id: c
    for c in (
        CollectionDef(
            "spot-6-7-drs", "Spot-6/7 images",
            "SPOT 6/7 Ortho images of France mainland received by the DINAMIS Direct Receiving "
            "Station, hosted by the Maison de la Télédétection (MTD): multispectral (src_xs, 4 "
            "bands, 6 m) and panchromatic (src_pan, 1.5 m).",
            "MTD", "DINAMIS DRS", "sm1-gdc", SENSORS["spot67"],
            ("SPOT", "SPOT-6", "SPOT-7", "DRS", "France"), layout=DRS, item_stac_version="1.0.0",
        ),
        CollectionDef(
            "sentinel2-l2a-theia", "Sentinel-2 images, level 2A",
            "Sentinel-2 level 2A products of THEIA (MAJA, CNES/CESBIO): flat surface reflectance "
            "(FRE) of the 10 m and 20 m bands, one COG per band, with THEIA's cloud (CLM), edge "
            "(EDG) and geophysical (MG2) masks.",
            "MTD", "CNES, CESBIO", "sm1-gdc-theia", SENSORS["s2"],
            ("Sentinel-2", "THEIA", "MAJA", "L2A", "France"), layout=THEIA,
        ),
        CollectionDef(
            "super-sentinel-2-l2a", "Sentinel-2 images enhanced to 1.5m",
            "Synthetic Sentinel-2 bands (B4, B3, B2, B8) enhanced to 1.5 m with a deep network "
            "trained with Spot-6/7 imagery, over selected sites.",
            "MTD", "INRAE", "sm1-gdc", SENSORS["s2-sr"],
            ("Sentinel-2", "super-resolution", "INRAE"), layout=SUPERRES,
            item_stac_version="1.0.0",
        ),
    )
}


@dataclass(frozen=True)
class _Tile:
    """The twin's window of a Sentinel-2 tile around a site."""

    site: str
    tile: str  # MGRS tile, as ``s2:mgrs_tile`` gives it (no leading "T")


@dataclass(frozen=True)
class _S2Acq:
    tile: _Tile
    when: str
    platform: str
    relative_orbit: int
    cloudiness: float
    swath_from: float | None = None  # fraction of the window (from the west) where the swath starts
    superres: bool = False


_ROCHEFORT = _Tile("rochefort", "30TXR")
_MONTPELLIER = _Tile("montpellier", "31TEJ")

# Over Montpellier, every MTD-shaped item is older than the DINAMIS SPOT item of 2025-07-16, so a
# search there, newest first, still starts with the two most recent DINAMIS ORTHO products.
_THEIA_ACQUISITIONS: tuple[_S2Acq, ...] = (
    _S2Acq(_ROCHEFORT, "2025-04-10T11:07:21.458", "sentinel-2b", 137, 0.30),
    _S2Acq(_ROCHEFORT, "2025-06-19T11:06:09.834", "sentinel-2c", 137, 0.0),
    _S2Acq(_ROCHEFORT, "2025-07-26T10:56:31.024", "sentinel-2b", 94, 0.08, swath_from=0.45),
    _S2Acq(_MONTPELLIER, "2025-06-26T10:40:31.024", "sentinel-2c", 8, 0.0, superres=True),
    _S2Acq(_MONTPELLIER, "2025-05-07T10:50:29.017", "sentinel-2b", 51, 0.15),
)

#: DRS products of DINAMIS acquisitions: ``(collection, site, datetime, level)`` of the source.
_DRS_SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("SPOT67_HCF_GS1", "rochefort", "2025-06-19T10:41:05.8", ORTHO),
    ("SPOT67_HCF_GS1", "montpellier", "2025-05-12T10:31:44.6", ORTHO),
    ("SPOT67_HCF_GS1", "rochefort", "2026-02-24T10:36:27.2", BRUT),
)


def _drs_id(spec: SceneSpec) -> str:
    plat = spec.platform.replace("-", "").upper()  # spot-6 -> SPOT6
    ts = spec.acquired.strftime("%Y%m%d%H%M%S") + str(spec.acquired.microsecond // 100_000)
    return f"{plat}_MS_{ts}_{plat}_P_{ts}_1"


def _drs_specs(dinamis: tuple[SceneSpec, ...]) -> list[SceneSpec]:
    coll = MTD_COLLECTIONS["spot-6-7-drs"]
    out = []
    for collection, site, when, level in _DRS_SOURCES:
        key = f"{collection}|{site}|{when}"
        source = next(s for s in dinamis if s.acquisition_key == key and s.level == level)
        out.append(replace(source, item_id=_drs_id(source), collection=coll))
    return out


def _window(site_key: str, side_m: float, gsd: float) -> tuple[tuple[int, int], Transform]:
    ox, oy = SITES[site_key].origin
    x0 = math.floor((ox - side_m / 2) / _ALIGN) * _ALIGN
    top = math.ceil((oy + side_m / 2) / _ALIGN) * _ALIGN
    n = round(side_m / gsd)
    return (n, n), (gsd, 0.0, float(x0), 0.0, -gsd, float(top))


def _rectangle(shape: tuple[int, int], t: Transform) -> tuple[float, float, float, float]:
    rows, cols = shape
    return t[2], t[5] + t[4] * rows, t[2] + t[0] * cols, t[5]


def _footprint(acq: _S2Acq, shape: tuple[int, int], t: Transform) -> tuple[
    tuple[float, float], ...
]:
    x0, y0, x1, y1 = _rectangle(shape, t)
    if acq.swath_from is None:
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    xc, yc = x0 + acq.swath_from * (x1 - x0), (y0 + y1) / 2

    def edge(y: float) -> float:
        return round(xc + math.tan(_SWATH_TILT) * (y - yc), 3)

    return ((edge(y0), y0), (x1, y0), (x1, y1), (edge(y1), y1))


def _theia_id(acq: _S2Acq, when: datetime) -> str:
    sat = acq.platform.split("-")[-1].upper()  # sentinel-2b -> 2B
    stamp = when.strftime("%Y%m%d-%H%M%S-") + f"{when.microsecond // 1000:03d}"
    return f"SENTINEL{sat}_{stamp}_L2A_T{acq.tile.tile}_C_V4-0"


def _theia_spec(seed: int, acq: _S2Acq) -> SceneSpec:
    site = SITES[acq.tile.site]
    when = datetime.fromisoformat(acq.when).replace(tzinfo=UTC)
    shape, transform = _window(acq.tile.site, THEIA_SIDE * 10.0, 10.0)
    return SceneSpec(
        item_id=_theia_id(acq, when), collection=MTD_COLLECTIONS["sentinel2-l2a-theia"],
        site=site, sensor=SENSORS["s2"], level=ORTHO, acquired=when, platform=acq.platform,
        seed=seed, epsg=site.epsg, ms_shape=shape, ms_transform=transform, pan_shape=None,
        pan_transform=None, footprint=_footprint(acq, shape, transform), raw_shape=None,
        incidence_angle=0.0, view_azimuth=0.0, cloudiness=acq.cloudiness, snow_fraction=0.0,
        acquisition_key=f"sentinel2|{acq.tile.site}|{acq.when}",
        relative_orbit=acq.relative_orbit, tile=acq.tile.tile,
    )


def _superres_spec(theia: SceneSpec) -> SceneSpec:
    sensor = SENSORS["s2-sr"]
    shape, transform = _window(theia.site.key, sensor.ms_side * sensor.ms_gsd, sensor.ms_gsd)
    x0, y0, x1, y1 = _rectangle(shape, transform)
    return replace(
        theia, item_id=f"SUPER-S2_T{theia.tile}_{theia.acquired:%Y%m%dT%H%M%S}",
        collection=MTD_COLLECTIONS["super-sentinel-2-l2a"], sensor=sensor, ms_shape=shape,
        ms_transform=transform, footprint=((x0, y0), (x1, y0), (x1, y1), (x0, y1)),
    )


def mtd_specs(seed: int, dinamis: tuple[SceneSpec, ...]) -> tuple[SceneSpec, ...]:
    """One spec per MTD-shaped item: DRS products of ``dinamis`` acquisitions, THEIA products,
    super-resolved images.

    Notes
    -----
    A super-resolved image shares its Sentinel-2 acquisition's land cover and phenology. Only
    cloudless acquisitions are super-resolved: the cloud field of an acquisition is scaled to the
    extent of the item's grid, which differs.
    """
    specs = _drs_specs(dinamis)
    theia = [_theia_spec(seed, acq) for acq in _THEIA_ACQUISITIONS]
    specs += theia
    for acq, spec in zip(_THEIA_ACQUISITIONS, theia, strict=True):
        if acq.superres:
            assert acq.cloudiness == 0, "super-resolved acquisitions must be cloudless"
            specs.append(_superres_spec(spec))
    return tuple(specs)

"""The DINAMIS-shaped collections of the twin and their acquisitions (the ``dinamis`` layout).

Collections are named after the DINAMIS catalogue's "Plateforme" field (``SPOT67_HCF_GS1``...);
items carry ``multispectral``, ``panchromatic`` and ``thumbnail`` assets, ``eo:bands``,
``raster:bands``, ``processing:level`` and the ``dinamis:*`` Information fields.
:func:`dinamis_specs` turns the static tables below into one :class:`~.specs.SceneSpec` per item,
deterministically from a seed: the seed moves footprints a little and changes land cover, clouds
and texture; item ids, dates and collections do not depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from .noise import derive_key, make_rng
from .sensors import SENSORS, Sensor
from .sites import SITES, Site
from .specs import BRUT, ORTHO, SCENE_SETS, CollectionDef, SceneSpec

__all__ = ["BENCH_MS_SIDE", "DINAMIS_COLLECTIONS", "RAW_MS_SIDE", "dinamis_specs"]

#: Raw (BRUT) products are small plain TIFFs: MS side in pixels (PAN is 4 times larger).
RAW_MS_SIDE = 128
#: MS side in pixels of the benchmark's large SPOT scene (60 km at 6 m, like a real SPOT scene).
BENCH_MS_SIDE = 10_000

DINAMIS_COLLECTIONS: dict[str, CollectionDef] = {
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
    coll = DINAMIS_COLLECTIONS[acq.collection]
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


def dinamis_specs(seed: int, scene_set: str) -> tuple[SceneSpec, ...]:
    """One spec per DINAMIS-shaped item of ``scene_set``, in catalogue order (BRUT after ORTHO)."""
    if scene_set not in SCENE_SETS:
        raise ValueError(f"unknown scene set {scene_set!r}; choose one of {SCENE_SETS}")
    acqs = _DEFAULT_ACQUISITIONS + (_BENCH_ACQUISITIONS if scene_set == "bench" else ())
    specs: list[SceneSpec] = []
    for acq in acqs:
        specs.append(_spec(seed, acq, ORTHO))
        if acq.brut:
            specs.append(_spec(seed, acq, BRUT))
    return tuple(specs)

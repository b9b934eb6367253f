"""What an item has, whatever its shape: the values of the result tables, cards and Information panels.

Items of the DINAMIS catalogue carry the catalogue's fields (``dinamis:sensor``, ``dinamis:city``...);
items of the MTD STAC API carry few (``platform``, ``s2:mgrs_tile``, ``sat:relative_orbit`` for THEIA;
nothing but a datetime and ``proj:epsg`` for ``spot-6-7-drs``). :func:`item_facts` reads each value where
an item of either shape has it: the sensor from ``dinamis:sensor``, else what is known of the collection,
else ``constellation`` or ``platform``; the platform from ``platform``, else the satellite named in the id
(``SPOT6_MS_...``, ``SENTINEL2B_...``); the resolution from ``gsd``, else the finest asset ``gsd``; the
level, the provider and whether it can be signed from :func:`~dinamis_widgets.explain_signability`.
A value the item does not have is None.

Examples
--------
>>> facts = item_facts({"id": "SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0",
...                     "collection": "sentinel2-l2a-theia",
...                     "properties": {"platform": "sentinel-2b", "constellation": "sentinel-2",
...                                    "s2:mgrs_tile": "30TXR", "sat:relative_orbit": 137},
...                     "assets": {"B04": {"href": "b4.tif", "gsd": 10.0, "proj:code": "EPSG:32630"}}})
>>> facts.sensor, facts.platform, facts.tile, facts.relative_orbit, facts.gsd, facts.crs
('Sentinel-2', 'sentinel-2b', '30TXR', 137, 10.0, 'EPSG:32630')
>>> facts.processing_level, facts.decided_by, facts.provider, facts.signable
('L2A', 'item id', 'MTD', True)
>>> item_facts({"id": "SPOT6_MS_202506191041058_SPOT6_P_202506191041058_1", "collection": "spot-6-7-drs",
...             "properties": {"proj:epsg": 32630}}).platform
'spot-6'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pystac

from ..signing.evidence import Subject
from ..signing.known_collections import known_collection
from ..signing.rules import Signability, explain_signability

__all__ = ["ItemFacts", "item_facts", "platform_from_id"]

#: Satellites named by ids (SPOT 6/7 DIMAP and DRS ids, Pléiades datasets, THEIA and ESA products).
_PLATFORM_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^SPOT([67])$"), "spot-{0}"),
    (re.compile(r"^PHR(1[AB])$"), "phr-{0}"),
    (re.compile(r"^PNEO([34])$"), "pneo-{0}"),
    (re.compile(r"^SENTINEL(2[ABCD])$"), "sentinel-{0}"),
    (re.compile(r"^S(2[ABCD])$"), "sentinel-{0}"),
)


@dataclass(frozen=True)
class ItemFacts:
    """The values an item has (None where it has none). See :func:`item_facts`."""

    id: str
    collection: str | None
    sensor: str | None
    platform: str | None
    constellation: str | None
    instruments: str | None
    cloud_cover: float | None
    incidence_angle: float | None
    snow_cover: float | None
    gsd: float | None
    crs: str | None
    tile: str | None
    relative_orbit: int | None
    processing_version: str | None
    processing_level: str | None
    decided_by: str | None
    provider: str | None
    signable: bool
    signability: Signability
    city: str | None
    department: str | None
    region: str | None
    country: str | None


def platform_from_id(item_id: str) -> str | None:
    """The satellite an id names (``SPOT6_MS_...`` -> ``spot-6``), or None.

    Examples
    --------
    >>> platform_from_id("SPOT7_MS_201805051026429_SPOT7_P_201805051026429_1")
    'spot-7'
    >>> platform_from_id("SENTINEL2C_20250626-104031-024_L2A_T31TEJ_C_V4-0"), platform_from_id("x")
    ('sentinel-2c', None)
    """
    for token in re.split(r"[^A-Z0-9]+", item_id.upper()):
        for pattern, form in _PLATFORM_TOKENS:
            match = pattern.match(token)
            if match:
                return form.format(match.group(1).lower())
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    return str(value) if isinstance(value, str | int | float) and str(value) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def _capitalised(value: str | None) -> str | None:
    return value[:1].upper() + value[1:] if value else None


def _crs(fields: Mapping[str, Any]) -> str | None:
    code = fields.get("proj:code")
    if isinstance(code, str) and code:
        return code
    epsg = fields.get("proj:epsg")
    return f"EPSG:{epsg}" if isinstance(epsg, int) and not isinstance(epsg, bool) else None


def item_facts(item: pystac.Item | Mapping[str, Any]) -> ItemFacts:
    """The values of ``item`` (a pystac Item or an item as a mapping) for tables and panels.

    Parameters
    ----------
    item
        The item. Its collection, when in memory (a search links it), is read too.

    Returns
    -------
    ItemFacts
        ``sensor``, ``platform``, ``cloud_cover``, ``gsd``, ``crs``, ``tile`` (``s2:mgrs_tile``),
        ``relative_orbit``, ``processing_version``, ``processing_level`` and ``decided_by`` (the rule
        that decided whether it can be signed), ``provider``, ``signable``, ``signability`` (the whole
        verdict), the catalogue's place fields...
    """
    subject = Subject.of(item)
    props = subject.properties
    verdict = explain_signability(item)
    collection = subject.collection or {}
    cid = subject.collection_id or (str(collection["id"]) if collection.get("id") else None)
    known = known_collection(cid)
    constellation = _text(props.get("constellation"))
    platform = _text(props.get("platform")) or platform_from_id(subject.id)
    sensor = (_text(props.get("dinamis:sensor")) or (known.sensor if known else None)
              or _capitalised(constellation) or (platform.upper() if platform else None))
    gsd = _number(props.get("gsd"))
    if gsd is None:
        sizes = [g for a in subject.assets.values() if (g := _number(a.get("gsd"))) is not None]
        gsd = min(sizes) if sizes else None
    crs = _crs(props) or next((c for a in subject.assets.values() if (c := _crs(a))), None)
    orbit = props.get("sat:relative_orbit")
    return ItemFacts(
        id=subject.id, collection=cid, sensor=sensor, platform=platform, constellation=constellation,
        instruments=_text(props.get("instruments")), cloud_cover=_number(props.get("eo:cloud_cover")),
        incidence_angle=_number(props.get("view:incidence_angle")),
        snow_cover=_number(props.get("eo:snow_cover")), gsd=gsd, crs=crs,
        tile=_text(props.get("s2:mgrs_tile")),
        relative_orbit=orbit if isinstance(orbit, int) and not isinstance(orbit, bool) else None,
        processing_version=_text(props.get("processing:version")),
        processing_level=verdict.level_label, decided_by=verdict.decided_by,
        provider=verdict.provider_name, signable=verdict.signable, signability=verdict,
        city=_text(props.get("dinamis:city")), department=_text(props.get("dinamis:department")),
        region=_text(props.get("dinamis:region")), country=_text(props.get("dinamis:country")),
    )

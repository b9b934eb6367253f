"""What a product says of itself: its processing level and its provider, read where real items carry them.

Items of the DINAMIS catalogue say everything (``processing:level``, ``dinamis:provider``); items of the MTD
STAC API say little (a ``spot-6-7-drs`` item has a datetime and ``proj:epsg``, nothing more). Each reader
below looks in one place and returns a :class:`Finding` (what it read, where, and what it means), or None:

- :func:`level_from_properties`: the item's ``processing:level``;
- :func:`level_from_id`: a product-type token of the item's id: ``BRUT`` (DINAMIS), DIMAP V2's ``SEN``
  (Primary, in sensor geometry), ``PRJ``, ``ORT``, ``MOS`` (``IMG_SPOT6_MS_..._ORT_...``), ``ORTHO`` (DINAMIS
  DRS deliveries ``SPOT6_2018_FRANCE_ORTHO_NC_GEOSUD_MS_82``), THEIA's and ESA's ``L2A``, ``L1C``...;
- :func:`level_from_collection`: the collection's ``processing:level`` (or a summary with one kind of
  level), its id, title and keywords (tokens as above), its description ("Ortho", "level 2A"), then
  :mod:`.known_collections`;
- :func:`level_from_assets`: no ``proj:*`` field anywhere and only plain (non-COG) rasters: not
  georeferenced; a ``proj:*`` field on the item or an asset: georeferenced;
- :func:`provider_findings`: ``dinamis:provider`` and ``providers`` of the item, then of its collection, then
  :mod:`.known_collections`.

Evidence for the tokens: DIMAP V2 product types ``SEN`` (Primary, L1A), ``PRJ`` (Projected), ``ORT`` and
``MOS`` (Ortho), as sertit/eoreader reads them (``DimapProductType``, ``eoreader/reader.py``), and DINAMIS's
"Primary (capteur parfait)" and "Ortho" levels (dinamis.data-terra.org/produits-pleiades).

Examples
--------
>>> subject = Subject.of({"id": "SENTINEL2B_20250410-110721-458_L2A_T30TXR_C_V4-0", "properties": {}})
>>> level_from_id(subject)
Finding(topic='level', source='item id', value='L2A', label='L2A', georeferenced=True)
>>> level_from_id(Subject.of({"id": "IMG_PHR1A_PMS_201202250025599_SEN_PRG_FC_5847-001"})).label
'PRIMARY'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pystac

from .known_collections import known_collection

__all__ = ["Finding", "Subject", "classify_level", "collection_mapping", "distributor", "level_from_assets",
           "level_from_collection", "level_from_id", "level_from_properties", "provider_findings",
           "provider_of"]

#: Levels of products in sensor geometry (not georeferenced): token -> label.
RAW_LEVELS: dict[str, str] = {"BRUT": "BRUT", "BRUTE": "BRUT", "RAW": "RAW", "SEN": "PRIMARY",
                              "PRIMARY": "PRIMARY", "L0": "L0", "L1A": "L1A", "L1B": "L1B"}
#: Levels of georeferenced products: token -> label.
GEOREFERENCED_LEVELS: dict[str, str] = {
    "ORTHO": "ORTHO", "ORT": "ORTHO", "MOS": "ORTHO", "ORTP": "ORTHO", "PRJ": "PROJECTED",
    "PROJECTED": "PROJECTED", "L1C": "L1C", "L2A": "L2A", "L2B": "L2B", "L3A": "L3A", "L3": "L3",
    "L1T": "L1T", "L1TP": "L1TP", "L1GT": "L1GT", "L2SP": "L2SP", "L2SR": "L2SR",
}
#: Phrases of a collection's description that say its products are georeferenced: pattern -> label.
_DESCRIPTION_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bortho(?:[- ]?(?:rectifi\w*|images?|photos?))?\b", re.IGNORECASE), "ORTHO"),
    (re.compile(r"\b(level|niveau)[ -]?2a\b", re.IGNORECASE), "L2A"),
    (re.compile(r"\b(level|niveau)[ -]?1c\b", re.IGNORECASE), "L1C"),
)
_COG = "profile=cloud-optimized"
_PLAIN_RASTERS = ("image/tiff", "image/jp2", "application/octet-stream")


@dataclass(frozen=True)
class Finding:
    """What one reader found.

    Parameters
    ----------
    topic
        ``"level"`` or ``"provider"``.
    source
        Where: ``processing:level``, ``item id``, ``the collection's description``, ``known collection
        'spot-6-7-drs'``, ``assets``, ``dinamis:provider``...
    value
        What was read there (``'BRUT'``, ``'Ortho'``, a summary of the assets).
    label
        What it means: a level (``ORTHO``, ``BRUT``, ``L2A``, ``PRIMARY``...) or a provider's name.
    georeferenced
        For a level: whether such products are georeferenced (None: a level this toolkit does not know).
    """

    topic: Literal["level", "provider"]
    source: str
    value: str
    label: str
    georeferenced: bool | None = None


@dataclass(frozen=True)
class Subject:
    """An item (pystac or mapping) as the readers see it: id, properties, assets and collection."""

    id: str
    collection_id: str | None
    properties: Mapping[str, Any]
    assets: Mapping[str, Mapping[str, Any]]
    collection: Mapping[str, Any] | None = field(default=None)

    @classmethod
    def of(cls, obj: pystac.Item | Mapping[str, Any],
           collection: pystac.Collection | Mapping[str, Any] | None = None) -> Subject:
        """The subject of an item; ``collection`` (else the item's collection if in memory) is read too."""
        assets: Mapping[str, Mapping[str, Any]]
        if isinstance(obj, pystac.Item):
            assets = {k: {"type": a.media_type, "roles": a.roles or [], **a.extra_fields}
                      for k, a in obj.assets.items()}
            found = collection if collection is not None else _resolved_collection(obj)
            return cls(obj.id, obj.collection_id, obj.properties, assets, collection_mapping(found))
        props = obj.get("properties")
        raw_assets = obj.get("assets")
        assets = ({k: a for k, a in raw_assets.items() if isinstance(a, Mapping)}
                  if isinstance(raw_assets, Mapping) else {})
        cid = obj.get("collection")
        return cls(str(obj.get("id", "?")), cid if isinstance(cid, str) else None,
                   props if isinstance(props, Mapping) else {}, assets, collection_mapping(collection))


def collection_mapping(obj: pystac.Collection | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A collection's fields as a mapping (providers as dicts), or None."""
    if obj is None or isinstance(obj, Mapping):
        return obj
    return {"id": obj.id, "title": obj.title, "description": obj.description, "keywords": obj.keywords or [],
            "providers": [p.to_dict() for p in obj.providers or []],
            "summaries": obj.summaries.to_dict() if obj.summaries is not None else {}, **obj.extra_fields}


def _resolved_collection(item: pystac.Item) -> pystac.Collection | None:
    """The item's collection if it is already in memory (never fetched)."""
    link = item.get_single_link(pystac.RelType.COLLECTION)
    if link is None or not link.is_resolved():
        return None
    target = link.target
    return target if isinstance(target, pystac.Collection) else None


# --------------------------------------------------------------------------------------------------
# Processing levels
# --------------------------------------------------------------------------------------------------


def classify_level(value: str) -> tuple[str, bool | None]:
    """A level's label and whether its products are georeferenced (None: unknown level).

    Examples
    --------
    >>> classify_level("brut"), classify_level("Ortho"), classify_level("L2A"), classify_level("L1")
    (('BRUT', False), ('ORTHO', True), ('L2A', True), ('L1', None))
    """
    token = value.strip().upper()
    if token in RAW_LEVELS:
        return RAW_LEVELS[token], False
    if token in GEOREFERENCED_LEVELS:
        return GEOREFERENCED_LEVELS[token], True
    return token, None


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^A-Z0-9]+", text.upper()) if t]


def _level_in_tokens(text: str, source: str) -> Finding | None:
    """The one kind of level named by tokens of ``text`` (none when tokens of both kinds appear)."""
    found = [(t, *classify_level(t)) for t in _tokens(text) if t in RAW_LEVELS or t in GEOREFERENCED_LEVELS]
    if not found or len({geo for _, _, geo in found}) > 1:
        return None
    token, label, geo = found[0]
    return Finding("level", source, token, label, geo)


def level_from_properties(subject: Subject) -> Finding | None:
    """The item's ``processing:level``."""
    value = subject.properties.get("processing:level")
    if not isinstance(value, str) or not value.strip():
        return None
    label, geo = classify_level(value)
    return Finding("level", "processing:level", value, label, geo)


def level_from_id(subject: Subject) -> Finding | None:
    """A product-type token of the item's id (``..._BRUT``, ``..._SEN_...``, ``..._L2A_...``)."""
    return _level_in_tokens(subject.id, "item id")


def _level_field(value: Any, source: str) -> Finding | None:
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    values = [v for v in values if isinstance(v, str) and v.strip()]
    classes = {classify_level(v)[1] for v in values}
    if not values or len(classes) != 1 or None in classes:
        return None
    labels = sorted({classify_level(v)[0] for v in values})
    return Finding("level", source, ", ".join(values), " / ".join(labels), classes.pop())


def level_from_collection(subject: Subject) -> Finding | None:
    """The collection's level: its fields, its id, title and keywords, its description, else the table of
    known collections."""
    coll = subject.collection
    cid = subject.collection_id or (str(coll.get("id")) if coll is not None and coll.get("id") else None)
    if coll is not None:
        summaries = coll.get("summaries")
        found = _level_field(coll.get("processing:level"), "the collection's processing:level")
        if found is None and isinstance(summaries, Mapping):
            found = _level_field(summaries.get("processing:level"), "the collection's summaries")
        if found is not None:
            return found
    if cid:
        found = _level_in_tokens(cid, f"collection id {cid!r}")
        if found is not None:
            return found
    if coll is not None:
        keywords = coll.get("keywords")
        texts = [("title", coll.get("title")),
                 ("keywords", " ".join(k for k in keywords if isinstance(k, str))
                  if isinstance(keywords, list) else None)]
        for name, text in texts:
            if isinstance(text, str) and (found := _level_in_tokens(text, f"the collection's {name}")):
                return found
        description = coll.get("description")
        if isinstance(description, str):
            labels = {(m.group(0), label) for pattern, label in _DESCRIPTION_PHRASES
                      if (m := pattern.search(description))}
            if len({label for _, label in labels}) == 1:
                word, label = labels.pop()
                return Finding("level", "the collection's description", word, label, True)
    known = known_collection(cid)
    if known is not None and known.level is not None:
        return Finding("level", f"known collection {cid!r}", known.source, *classify_level(known.level))
    return None


def _is_data(asset: Mapping[str, Any]) -> bool:
    roles = asset.get("roles") or []
    if roles:
        return "data" in roles
    media = str(asset.get("type") or "")
    return media.startswith("image/tiff") or media.startswith("image/jp2")


def _has_proj(fields: Mapping[str, Any]) -> bool:
    return any(k.startswith("proj:") and v is not None for k, v in fields.items())


def level_from_assets(subject: Subject) -> Finding | None:
    """What the assets show: georeferenced (a ``proj:*`` field on the item or an asset), or not (no
    ``proj:*`` field anywhere, and every data asset a plain raster: ``image/tiff`` that is not a COG,
    ``image/jp2``...). None when they show neither.

    Examples
    --------
    >>> raw = {"id": "x", "assets": {"xs": {"href": "x.tif", "type": "image/tiff", "roles": ["data"]}}}
    >>> level_from_assets(Subject.of(raw)).georeferenced
    False
    >>> level_from_assets(Subject.of({"id": "x", "properties": {"proj:epsg": 32631}})).value
    'proj:epsg on the item'
    """
    with_proj = [k for k, a in subject.assets.items() if _has_proj(a)]
    if _has_proj(subject.properties):
        names = sorted(k for k, v in subject.properties.items() if k.startswith("proj:") and v is not None)
        return Finding("level", "assets", f"{', '.join(names)} on the item", "georeferenced", True)
    if with_proj:
        shown = ", ".join(with_proj[:3]) + (", ..." if len(with_proj) > 3 else "")
        return Finding("level", "assets", f"proj:* fields on asset(s) {shown}", "georeferenced", True)
    data = {k: str(a.get("type") or "") for k, a in subject.assets.items() if _is_data(a)}
    plain = [k for k, media in data.items() if media.split(";")[0].strip() in _PLAIN_RASTERS
             and _COG not in media and "geotiff" not in media]
    if data and len(plain) == len(data):
        types = sorted({data[k].split(";")[0] for k in plain})
        return Finding("level", "assets",
                       f"no proj:* field on the item or its assets, data assets {', '.join(plain)} are "
                       f"{' / '.join(types)} (not COGs)", "not georeferenced", False)
    return None


# --------------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------------


def _provider_names(providers: Any) -> list[tuple[str, list[str]]]:
    out = []
    if isinstance(providers, list):
        for p in providers:
            name = p.get("name") if isinstance(p, Mapping) else getattr(p, "name", None)
            roles = p.get("roles") if isinstance(p, Mapping) else getattr(p, "roles", None)
            if isinstance(name, str) and name:
                out.append((name, [r for r in roles or [] if isinstance(r, str)]))
    return out


def distributor(providers: Any) -> str | None:
    """Who distributes, from STAC providers: a host other than DINAMIS (the catalogue itself), else a
    processor, else a producer.

    Examples
    --------
    >>> distributor([{"name": "CNES", "roles": ["producer"]}, {"name": "CESBIO", "roles": ["processor"]},
    ...              {"name": "Maison de la Télédétection (MTD)", "roles": ["host"]}])
    'Maison de la Télédétection (MTD)'
    """
    named = [(n, r) for n, r in _provider_names(providers) if n != "DINAMIS"]
    for role in ("host", "processor", "producer", "licensor"):
        found = next((n for n, roles in named if role in roles), None)
        if found:
            return found
    return named[0][0] if named else None


def provider_findings(subject: Subject) -> list[Finding]:
    """Every provider the item and its collection name, in this order: the item's ``dinamis:provider``,
    its ``providers``, the collection's ``dinamis:provider``, its ``providers``, the known collection."""
    out: list[Finding] = []

    def add(source: str, value: Any) -> None:
        if isinstance(value, str) and value:
            out.append(Finding("provider", source, value, value))

    add("dinamis:provider", subject.properties.get("dinamis:provider"))
    for name, _ in _provider_names(subject.properties.get("providers")):
        add("providers", name)
    coll = subject.collection
    if coll is not None:
        add("the collection's dinamis:provider", coll.get("dinamis:provider"))
        for name, _ in _provider_names(coll.get("providers")):
            add("the collection's providers", name)
    cid = subject.collection_id or (str(coll.get("id")) if coll is not None and coll.get("id") else None)
    known = known_collection(cid)
    if known is not None:
        out.append(Finding("provider", f"known collection {cid!r}", known.source, known.provider))
    return out


def provider_of(subject: Subject) -> Finding | None:
    """The provider to show: the item's ``dinamis:provider``, the collection's, the known collection's,
    else who distributes according to the item's ``providers``, then the collection's.

    Examples
    --------
    >>> provider_of(Subject.of({"id": "x", "collection": "sentinel2-l2a-theia"})).label
    'MTD'
    """
    coll = subject.collection or {}
    for source, value in (("dinamis:provider", subject.properties.get("dinamis:provider")),
                          ("the collection's dinamis:provider", coll.get("dinamis:provider"))):
        if isinstance(value, str) and value:
            return Finding("provider", source, value, value)
    cid = subject.collection_id or (str(coll.get("id")) if coll.get("id") else None)
    known = known_collection(cid)
    if known is not None:
        return Finding("provider", f"known collection {cid!r}", known.source, known.provider)
    for source, providers in (("providers", subject.properties.get("providers")),
                              ("the collection's providers", coll.get("providers"))):
        name = distributor(providers)
        if name:
            return Finding("provider", source, name, name)
    return None

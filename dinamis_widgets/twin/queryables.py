"""Queryables the twin's STAC API declares, derived from the generated items.

pgstac compares and sorts a property as text unless a queryable gives it a type wrapper. Every numeric
property the catalogue filters on is registered with ``to_float``, per collection, with its range; text
properties get the values found in the collection as an ``enum`` (what a search form offers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

__all__ = ["NUMERIC_PROPERTIES", "TEXT_PROPERTIES", "queryables_for"]

#: Numeric properties: name -> (title, unit or None).
NUMERIC_PROPERTIES: dict[str, tuple[str, str | None]] = {
    "eo:cloud_cover": ("Cloud cover", "%"),
    "eo:snow_cover": ("Snow cover", "%"),
    "view:incidence_angle": ("Incidence angle", "deg"),
    "view:azimuth": ("Viewing azimuth", "deg"),
    "view:sun_elevation": ("Sun elevation", "deg"),
    "view:sun_azimuth": ("Sun azimuth", "deg"),
    "gsd": ("Resolution (ground sample distance)", "m"),
    "sat:relative_orbit": ("Relative orbit", None),
}
#: Text properties: name -> title.
TEXT_PROPERTIES: dict[str, str] = {
    "platform": "Platform",
    "constellation": "Constellation",
    "processing:level": "Processing level",
    "dinamis:provider": "Provider",
    "dinamis:sensor": "Sensor",
    "dinamis:country": "Country",
    "dinamis:department": "Department",
    "dinamis:region": "Region",
    "dinamis:city": "City",
    "s2:mgrs_tile": "MGRS tile",
    "processing:version": "Processing version",
}
_ARRAY_PROPERTIES: dict[str, str] = {"instruments": "Instruments"}

Queryable = tuple[str, dict[str, Any], str | None, list[str] | None]


def queryables_for(items: Iterable[dict[str, Any]]) -> list[Queryable]:
    """Build pgstac queryables (one per property and collection) from items.

    Returns
    -------
    list of tuple
        ``(name, JSON schema, property wrapper, [collection id])``, as
        :meth:`dinamis_widgets.twin.postgres.PgstacCluster.load` takes them.
    """
    numbers: dict[tuple[str, str], list[float]] = defaultdict(list)
    texts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in items:
        coll, props = item.get("collection", ""), item.get("properties", {})
        for name in NUMERIC_PROPERTIES:
            if isinstance(props.get(name), int | float):
                numbers[(name, coll)].append(float(props[name]))
        for name in TEXT_PROPERTIES:
            if isinstance(props.get(name), str):
                texts[(name, coll)].add(props[name])
        for name in _ARRAY_PROPERTIES:
            for v in props.get(name) or []:
                texts[(name, coll)].add(str(v))
    out: list[Queryable] = []
    for (name, coll), values in sorted(numbers.items()):
        title, unit = NUMERIC_PROPERTIES[name]
        schema: dict[str, Any] = {"title": title, "type": "number",
                                  "minimum": min(values), "maximum": max(values)}
        if name in ("eo:cloud_cover", "eo:snow_cover"):
            schema.update(minimum=0, maximum=100)
        if name == "sat:relative_orbit":
            schema["type"] = "integer"
        if unit:
            schema["unit"] = unit
        out.append((name, schema, "to_float", [coll]))
    for (name, coll), svalues in sorted(texts.items()):
        if name in _ARRAY_PROPERTIES:
            schema = {"title": _ARRAY_PROPERTIES[name], "type": "array",
                      "items": {"type": "string", "enum": sorted(svalues)}}
            out.append((name, schema, "to_text_array", [coll]))
        else:
            schema = {"title": TEXT_PROPERTIES[name], "type": "string", "enum": sorted(svalues)}
            out.append((name, schema, "to_text", [coll]))
    return out

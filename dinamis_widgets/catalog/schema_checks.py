"""Checking a query against the catalogue's queryables, before anything is sent.

The queryables (:func:`~dinamis_widgets.fetch_queryables`) are JSON schemas of the properties a catalogue
can filter on. A filter on a property that is not among them raises a
:class:`~dinamis_widgets.errors.QueryError` naming the closest one; a value of the wrong type (text for a
number...) raises too; a value missing from a property's ``enum`` warns with a
:class:`~dinamis_widgets.warnings.QueryWarning`.

Examples
--------
>>> props = properties_of({"type": "object", "properties": {"eo:cloud_cover": {"type": "number"}}})
>>> check_property("eo:cloud_cover", props, None)
{'type': 'number'}
>>> check_property("cloud_cover", props, ("SPOT67_HCF_GS1",))
Traceback (most recent call last):
...
dinamis_widgets.errors.QueryError: Unknown property 'cloud_cover' in the filter: ... 'eo:cloud_cover'? ...
"""

from __future__ import annotations

import datetime as _dt
import difflib
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..errors import QueryError, quote
from ..warnings import QueryWarning
from .dates import period

if TYPE_CHECKING:
    from .filters import Filter

__all__ = ["CORE_PROPERTIES", "check_property", "check_values", "properties_of"]

#: Properties every STAC API knows, queryables or not.
CORE_PROPERTIES: Final = ("id", "collection", "datetime", "geometry")


def properties_of(queryables: Mapping[str, Any] | None) -> dict[str, Any]:
    """Property name -> schema, from a ``/queryables`` answer or an already flat mapping."""
    if not queryables:
        return {}
    props = queryables.get("properties")
    if isinstance(props, Mapping) and ("$schema" in queryables or "type" in queryables
                                       or len(queryables) <= 4):
        return dict(props)
    return dict(queryables)


def check_property(name: str, props: Mapping[str, Any], collections: tuple[str, ...] | None,
                   what: str = "filter") -> Mapping[str, Any]:
    """The schema of a property (``{}`` when unknown to no queryables); raise if the queryables lack it."""
    if not props or name in props:
        return props.get(name) or {}
    if name in CORE_PROPERTIES:
        return {}
    known = sorted(set(props) | set(CORE_PROPERTIES))
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.split(":")[-1] == name.split(":")[-1]][:1]
    hint = f" Did you mean {close[0]!r}?" if close else ""
    where = f" of {', '.join(collections)}" if collections else ""
    raise QueryError(f"Unknown property {quote(name)} in the {what}: it is not among the queryables{where}."
                     f"{hint} Use one of the known properties: {', '.join(known)}.")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), f"a {type(value).__name__}")


def _enum_hint(schema: Mapping[str, Any]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return f" among {', '.join(map(repr, enum[:12]))}{', ...' if len(enum) > 12 else ''}"
    return ""


def check_values(f: Filter, schema: Mapping[str, Any]) -> None:
    """Raise if a filter's values do not fit the property's schema; warn for values outside its ``enum``."""
    kind = schema.get("type")
    if kind == "array":
        schema = schema.get("items") or {}
        kind = schema.get("type")
    fmt = schema.get("format")
    title = f" ({schema['title']})" if isinstance(schema.get("title"), str) else ""
    for v in f.values():
        if kind in ("number", "integer"):
            if f.op == "like":
                raise QueryError(f"Filter on {f.property!r}{title}: it is a number, so 'like' (a text "
                                 "pattern) does not apply; use a comparison or a range (low, high).")
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise QueryError(f"Filter on {f.property!r}{title}: it is a number, but {v!r} is "
                                 f"{_type_name(v)}. Give a number, e.g. {{'{f.property}': ('<=', 20)}}.")
        elif kind == "string" and fmt in ("date-time", "date"):
            if not isinstance(v, str | _dt.datetime):
                raise QueryError(f"Filter on {f.property!r}{title}: it is a date, but {v!r} is "
                                 f"{_type_name(v)}.")
            if isinstance(v, str) and f.op != "like":
                period(v, f"date of {f.property!r}")
        elif kind == "string":
            if not isinstance(v, str):
                raise QueryError(f"Filter on {f.property!r}{title}: it is text, but {v!r} is "
                                 f"{_type_name(v)}. Give a string{_enum_hint(schema)}.")
        elif kind == "boolean" and not isinstance(v, bool):
            raise QueryError(f"Filter on {f.property!r}{title}: it is true or false, not {v!r}.")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and f.op in ("=", "in"):
        missing = [v for v in f.values() if v not in enum]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            listed = ", ".join(map(repr, enum))
            warnings.warn(f"{', '.join(map(repr, missing))} {verb} not among the values the catalogue lists "
                          f"for {f.property!r} ({listed}): the search may find nothing.", QueryWarning,
                          stacklevel=5)

"""The search query model: collections, AOI, dates, filters on any property, sort, limits.

A :class:`Query` is a frozen dataclass. Its constructor accepts the forms people type, and keeps them
normalised (tuples, UTC datetimes, :class:`~dinamis_widgets.AOI`, :class:`Filter`), so two queries
that mean the same are equal and can be compared or hashed by a user interface.

Filters are a mapping from property name to a condition:

=========================================== ==================================================
``{"eo:cloud_cover": ("<=", 20)}``            comparison: ``=``, ``<>`` (``!=``), ``<``, ``<=``,
                                               ``>``, ``>=`` (or ``eq``, ``lte``...)
``{"view:incidence_angle": (0, 25)}``         a tuple of two values is a range, bounds included;
                                               ``(None, 25)`` and ``(5, None)`` are open
``{"platform": ["spot-6", "spot-7"]}``        a list (or set) is "any of" (CQL2 ``in``)
``{"processing:level": "ORTHO"}``             a value is equality
``{"dinamis:city": "Mont%"}``                 a string with ``%`` is a pattern (CQL2 ``like``;
                                               ``_`` matches one character)
``{"eo:snow_cover": None}``                   the property is missing (``isNull``)
``{"eo:cloud_cover": {"gte": 5, "lte": 20}}`` the query extension's form also works
=========================================== ==================================================

A list of ``(property, operator, value)`` triples or :class:`Filter` objects works too (for several
conditions on one property). :meth:`Query.to_cql2` builds the CQL2-JSON expression, checked against the
collections' queryables when given (:func:`fetch_queryables`); :meth:`Query.to_search_kwargs` gives the
arguments of pystac-client's ``Client.search``, falling back to the ``query`` extension where the API has
no ``filter``; :meth:`Query.to_code` writes the same search as Python code.

Examples
--------
>>> q = Query("SPOT67_HCF_GS1", aoi=(3.85, 43.59, 3.90, 43.63), datetime=("2025-06-01", None),
...           filters={"eo:cloud_cover": ("<=", 20), "platform": ["spot-6", "spot-7"]})
>>> q.datetime_interval
'2025-06-01T00:00:00Z/..'
>>> q.to_cql2()["args"][0]
{'op': '<=', 'args': [{'property': 'eo:cloud_cover'}, 20]}
>>> sorted(q.to_search_kwargs())
['bbox', 'collections', 'datetime', 'filter', 'filter_lang', 'limit', 'max_items', 'sortby']
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import difflib
import json
import math
import pprint
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..errors import QueryError
from ..warnings import QueryWarning
from .aoi import AOI, AOILike, as_aoi

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_SORTBY",
    "Filter",
    "Query",
    "conforms",
    "fetch_queryables",
]

#: Items per page asked of the API.
DEFAULT_LIMIT: Final = 100
#: Items a search returns at most unless told otherwise (``max_items=None`` for no limit).
DEFAULT_MAX_ITEMS: Final = 1000
#: Newest first, as the catalogue.
DEFAULT_SORTBY: Final = (("datetime", "desc"),)

_UTC = _dt.UTC
#: Operators of :class:`Filter` (CQL2 names).
OPERATORS: Final = ("=", "<>", "<", "<=", ">", ">=", "like", "in", "isNull")
_OP_ALIASES: Final[dict[str, str]] = {
    "=": "=", "==": "=", "eq": "=", "!=": "<>", "<>": "<>", "neq": "<>", "ne": "<>",
    "<": "<", "lt": "<", "<=": "<=", "lte": "<=", "le": "<=", ">": ">", "gt": ">", ">=": ">=",
    "gte": ">=", "ge": ">=", "in": "in", "like": "like", "isnull": "isNull", "between": "between",
    "startswith": "startsWith", "endswith": "endsWith", "contains": "contains",
}
_QUERY_EXT_OPS: Final = {"=": "eq", "<>": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "in": "in"}
#: Properties every STAC API knows, queryables or not.
_CORE_PROPERTIES: Final = ("id", "collection", "datetime", "geometry")
_TIME_PROPERTIES: Final = ("datetime", "start_datetime", "end_datetime", "created", "updated")
_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_FULL_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")

FilterValue = str | int | float | bool | _dt.datetime | tuple[Any, ...] | None



# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


def _iso(value: _dt.datetime) -> str:
    """``2025-06-01T00:00:00Z`` (microseconds only when there are some)."""
    value = value.astimezone(_UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def _aware(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _period(value: Any, what: str) -> tuple[_dt.datetime, _dt.datetime]:
    """The first and last instant of a date, a partial date (``2025``, ``2025-06``) or a datetime."""
    if isinstance(value, _dt.datetime):
        instant = _aware(value)
        return instant, instant
    if isinstance(value, _dt.date):
        start = _dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
        return start, start + _dt.timedelta(days=1, microseconds=-1)
    if isinstance(value, str):
        text = value.strip()
        match = _PARTIAL_DATE_RE.match(text)
        try:
            if match:
                year, month, day = match.groups()
                start = _dt.datetime(int(year), int(month or 1), int(day or 1), tzinfo=_UTC)
                if day:
                    end = start + _dt.timedelta(days=1)
                elif month:
                    end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
                else:
                    end = start.replace(year=start.year + 1)
                return start, end - _dt.timedelta(microseconds=1)
            instant = _aware(_dt.datetime.fromisoformat(text.replace("z", "Z")))
            return instant, instant
        except ValueError:
            pass
    raise QueryError(f"Invalid {what} {value!r}: give a date or datetime in ISO 8601 ('2025-06-01', "
                     "'2025-06-01T10:30:00Z', '2025-06', '2025'), a datetime.date or datetime.datetime.")


def _datetime_range(value: Any) -> tuple[_dt.datetime | None, _dt.datetime | None] | None:
    if value is None:
        return None
    if isinstance(value, str) and "/" in value:
        parts: list[Any] = value.split("/")
    elif isinstance(value, str | _dt.date):
        return _period(value, "datetime")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        parts = list(value)
    else:
        raise QueryError(f"Invalid datetime {value!r}: give a date, a datetime, a string 'start/end' or a "
                         "pair (start, end) where None or '..' leaves one side open.")
    if len(parts) == 1:
        return _datetime_range(parts[0])
    if len(parts) != 2:
        raise QueryError(f"Invalid datetime range {value!r}: give (start, end), not {len(parts)} values.")
    lo, hi = (None if p is None or (isinstance(p, str) and p.strip() in ("", "..")) else p for p in parts)
    start: _dt.datetime | None = _period(lo, "start date")[0] if lo is not None else None
    end: _dt.datetime | None = _period(hi, "end date")[1] if hi is not None else None
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise QueryError(f"Invalid datetime range {value!r}: the start ({_iso(start)}) is after the end "
                         f"({_iso(end)}).")
    return start, end


# --------------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------------


def _scalar(value: Any, prop: str) -> str | int | float | bool | _dt.datetime:
    if isinstance(value, _dt.datetime):
        return _aware(value)
    if isinstance(value, _dt.date):
        return _period(value, "date")[0]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"Filter on {prop!r}: {value!r} is not a finite number.")
        return value
    raise QueryError(f"Filter on {prop!r}: cannot compare with a {type(value).__name__} ({value!r}); give "
                     "a number, a string, a boolean or a date.")


@dataclass(frozen=True)
class Filter:
    """One condition on one property.

    Attributes
    ----------
    property
        The property name, as in the items (``eo:cloud_cover``, ``platform``, ``id``...).
    op
        One of ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``like``, ``in``, ``isNull``.
    value
        A number, string, boolean or UTC datetime; a tuple for ``in``; None for ``isNull``.

    Examples
    --------
    >>> Filter("eo:cloud_cover", "<=", 20).to_cql2()
    {'op': '<=', 'args': [{'property': 'eo:cloud_cover'}, 20]}
    """

    property: str
    op: str
    value: FilterValue = None

    def __post_init__(self) -> None:
        if not isinstance(self.property, str) or not self.property.strip():
            raise QueryError(f"A filter needs a property name, not {self.property!r}.")
        if self.op not in OPERATORS:
            raise QueryError(f"Unknown operator {self.op!r} for {self.property!r}: use one of "
                             f"{', '.join(OPERATORS)}.")
        if self.op == "in":
            if not isinstance(self.value, tuple) or not self.value:
                raise QueryError(f"Filter on {self.property!r}: 'in' needs a non-empty list of values.")
        elif self.op == "like":
            if not isinstance(self.value, str):
                raise QueryError(f"Filter on {self.property!r}: 'like' needs a text pattern, not "
                                 f"{self.value!r}.")
        elif self.op == "isNull":
            if self.value is not None:
                raise QueryError(f"Filter on {self.property!r}: 'isNull' takes no value.")
        elif self.value is None or isinstance(self.value, tuple):
            raise QueryError(f"Filter on {self.property!r}: {self.op!r} needs one value, not {self.value!r}.")

    def values(self) -> tuple[Any, ...]:
        """The values compared with (one, or several for ``in``)."""
        if self.op == "isNull":
            return ()
        return self.value if isinstance(self.value, tuple) else (self.value,)

    def to_cql2(self, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """This condition as CQL2-JSON, checked against the property's queryable schema if given.

        Raises
        ------
        QueryError
            If a value does not fit the schema (a string for a number, a number for a text...).
        """
        schema = schema or {}
        _check_values(self, schema)
        prop = {"property": self.property}
        if self.op == "isNull":
            return {"op": "isNull", "args": [prop]}
        literal = [_literal(v, self.property, schema) for v in self.values()]
        if schema.get("type") == "array":
            if self.op in ("=", "in"):
                return {"op": "a_overlaps" if self.op == "in" else "a_contains", "args": [prop, literal]}
            if self.op == "<>":
                return {"op": "not", "args": [{"op": "a_contains", "args": [prop, literal]}]}
            raise QueryError(f"Filter on {self.property!r}: it holds a list of values, so only '=', '<>' and "
                             f"a list of values ('any of') apply, not {self.op!r}.")
        if self.op == "in":
            return {"op": "in", "args": [prop, literal]}
        return {"op": self.op, "args": [prop, literal[0]]}

    def to_query_extension(self, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """This condition in the ``query`` extension's form (``{"lte": 20}``).

        Dates (datetimes, or strings for a ``date-time`` queryable) are sent as ISO 8601 UTC strings.

        Raises
        ------
        QueryError
            For what the query extension cannot say (``isNull``, ``like`` with an inner ``%`` or ``_``).
        """
        schema = schema or {}
        literals = [_literal(v, self.property, schema) for v in self.values()]
        values = [v["timestamp"] if isinstance(v, dict) else v for v in literals]
        if self.op in _QUERY_EXT_OPS:
            key = _QUERY_EXT_OPS[self.op]
            return {key: list(values) if self.op == "in" else values[0]}
        if self.op == "like":
            pattern = str(values[0])
            inner = pattern.strip("%")
            if "%" not in inner and "_" not in inner:
                if pattern.startswith("%") and pattern.endswith("%") and len(pattern) > 1:
                    return {"contains": inner}
                if pattern.endswith("%"):
                    return {"startsWith": inner}
                if pattern.startswith("%"):
                    return {"endsWith": inner}
                return {"eq": inner}
        raise QueryError(
            f"This STAC API has no filter extension (CQL2), only the query extension, which cannot "
            f"express {self.property!r} {self.op} {self.value!r} (it knows eq, neq, lt, lte, gt, gte, in, "
            "startsWith, endsWith, contains). Simplify the filter (a pattern with '%' only at the start "
            "and/or end), or filter the results in Python.")

    def __str__(self) -> str:
        if self.op == "isNull":
            return f"{self.property} is null"
        shown = [_iso(v) if isinstance(v, _dt.datetime) else v for v in self.values()]
        value = list(shown) if self.op == "in" else shown[0]
        return f"{self.property} {self.op} {value!r}"


def _literal(value: Any, prop: str, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, _dt.datetime):
        return {"timestamp": _iso(value)}
    if isinstance(value, str) and (schema.get("format") in ("date-time", "date") or (
            not schema and prop in _TIME_PROPERTIES)):
        return {"timestamp": _iso(_period(value, f"date of {prop!r}")[0])}
    return value


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), f"a {type(value).__name__}")


def _check_values(f: Filter, schema: Mapping[str, Any]) -> None:
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
                _period(v, f"date of {f.property!r}")
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


def _enum_hint(schema: Mapping[str, Any]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return f" among {', '.join(map(repr, enum[:12]))}{', ...' if len(enum) > 12 else ''}"
    return ""


def _like_from(op: str, value: Any, prop: str) -> str:
    if not isinstance(value, str):
        raise QueryError(f"Filter on {prop!r}: {op!r} needs text, not {value!r}.")
    return {"startsWith": f"{value}%", "endsWith": f"%{value}", "contains": f"%{value}%"}[op]


def _range(prop: str, lo: Any, hi: Any) -> list[Filter]:
    if lo is None and hi is None:
        raise QueryError(f"Filter on {prop!r}: the range (None, None) has no bound.")
    if isinstance(lo, str) and isinstance(hi, str) and not _looks_like_date(lo) and not _looks_like_date(hi):
        raise QueryError(f"Filter on {prop!r}: a tuple ({lo!r}, {hi!r}) is a range (low, high); for "
                         f"'any of these values' give a list: [{lo!r}, {hi!r}].")

    def bound(value: Any, upper: bool) -> Any:
        if not isinstance(value, _dt.datetime) and _looks_like_date(value):
            start, end = _period(value, f"{'upper' if upper else 'lower'} bound of {prop!r}")
            return end if upper else start
        return _scalar(value, prop)

    low = bound(lo, False) if lo is not None else None
    high = bound(hi, True) if hi is not None else None
    if low is not None and high is not None and type(low) is type(high) and low > high:
        raise QueryError(f"Filter on {prop!r}: the range ({lo!r}, {hi!r}) has low > high.")
    out = []
    if low is not None:
        out.append(Filter(prop, ">=", low))
    if high is not None:
        out.append(Filter(prop, "<=", high))
    return out


def _looks_like_date(value: Any) -> bool:
    """A ``datetime.date`` or a string starting with ``YYYY-MM-DD`` that reads as a date."""
    if isinstance(value, _dt.date):
        return True
    if not isinstance(value, str) or not _FULL_DATE_RE.match(value.strip()):
        return False
    try:
        _period(value, "date")
    except QueryError:
        return False
    return True


def _op_filters(prop: str, op: Any, value: Any) -> list[Filter]:
    canonical = _OP_ALIASES.get(str(op).strip().lower()) if isinstance(op, str) else None
    if canonical is None:
        raise QueryError(f"Unknown operator {op!r} for {prop!r}: use one of =, <>, <, <=, >, >=, in, like, "
                         "between, startsWith, endsWith, contains, isNull (or eq, neq, lt, lte, gt, gte).")
    if canonical == "between":
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
            raise QueryError(f"Filter on {prop!r}: 'between' needs two values (low, high), not {value!r}.")
        return _range(prop, value[0], value[1])
    if canonical in ("startsWith", "endsWith", "contains"):
        return [Filter(prop, "like", _like_from(canonical, value, prop))]
    if canonical == "in":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise QueryError(f"Filter on {prop!r}: 'in' needs a list of values, not {value!r}.")
        values = tuple(_scalar(v, prop) for v in value)
        return [Filter(prop, "in", values)]
    if canonical == "isNull":
        if value not in (None, True):
            raise QueryError(f"Filter on {prop!r}: 'isNull' takes no value.")
        return [Filter(prop, "isNull", None)]
    if canonical == "like":
        if not isinstance(value, str):
            raise QueryError(f"Filter on {prop!r}: 'like' needs a text pattern, not {value!r}.")
        return [Filter(prop, "like", value)]
    if value is None:
        raise QueryError(f"Filter on {prop!r}: {op!r} needs a value; use None alone for 'is missing'.")
    return [Filter(prop, canonical, _scalar(value, prop))]


def _prop_name(prop: Any) -> str:
    if not isinstance(prop, str) or not prop.strip():
        raise QueryError(f"Filters are keyed by property names (strings), not {prop!r}.")
    prop = prop.strip()
    return prop[len("properties."):] if prop.startswith("properties.") else prop


def _spec_filters(prop: Any, spec: Any) -> list[Filter]:
    prop = _prop_name(prop)
    if isinstance(spec, Filter):
        return [spec]
    if spec is None:
        return [Filter(prop, "isNull", None)]
    if isinstance(spec, Mapping):
        out: list[Filter] = []
        for op, value in spec.items():
            out.extend(_op_filters(prop, op, value))
        return out
    if isinstance(spec, tuple):
        if len(spec) == 2 and isinstance(spec[0], str) and (
                spec[0].strip().lower() in _OP_ALIASES
                or (not _looks_like_date(spec[0]) and not isinstance(spec[1], str))):
            return _op_filters(prop, spec[0], spec[1])
        if len(spec) == 2:
            return _range(prop, spec[0], spec[1])
        raise QueryError(f"Filter on {prop!r}: a tuple is (operator, value) or a range (low, high), not "
                         f"{spec!r}; for 'any of these values' give a list.")
    if isinstance(spec, list | set | frozenset):
        values = sorted(spec, key=repr) if isinstance(spec, set | frozenset) else spec
        return _op_filters(prop, "in", values)
    if isinstance(spec, str) and "%" in spec:
        return [Filter(prop, "like", spec)]
    return [Filter(prop, "=", _scalar(spec, prop))]


def _parse_filters(filters: Any) -> tuple[Filter, ...]:
    if filters is None:
        return ()
    if isinstance(filters, Filter):
        return (filters,)
    if isinstance(filters, Mapping):
        out: list[Filter] = []
        for prop, spec in filters.items():
            out.extend(_spec_filters(prop, spec))
        return tuple(out)
    if isinstance(filters, Iterable) and not isinstance(filters, str | bytes):
        out = []
        for entry in filters:
            if isinstance(entry, Filter):
                out.append(entry)
            elif isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 3:
                out.extend(_op_filters(_prop_name(entry[0]), entry[1], entry[2]))
            elif isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 2:
                out.extend(_spec_filters(entry[0], entry[1]))
            else:
                raise QueryError(f"Cannot read the filter {entry!r}: give (property, operator, value), "
                                 "(property, condition) or a Filter.")
        return tuple(out)
    raise QueryError(f"Cannot read filters from a {type(filters).__name__}: give a mapping "
                     "{property: condition} or a list of (property, operator, value).")


# --------------------------------------------------------------------------------------------------
# Other fields
# --------------------------------------------------------------------------------------------------


def _strings(value: Any, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, Iterable):
        items = []
        for v in value:
            v = getattr(v, "id", v)  # a pystac Collection
            if not isinstance(v, str):
                raise QueryError(f"{what} must be strings, not {v!r}.")
            items.append(v.strip())
    else:
        v = getattr(value, "id", None)
        if not isinstance(v, str):
            raise QueryError(f"{what} must be a string or a list of strings, not {value!r}.")
        items = [v]
    items = [v for v in items if v]
    return tuple(dict.fromkeys(items)) or None


def _sortby(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None or value == "" or value == ():
        return ()
    parts: list[Any] = value.split(",") if isinstance(value, str) else list(value)
    out: list[tuple[str, str]] = []
    for part in parts:
        if isinstance(part, Mapping):
            name, direction = str(part.get("field", "")), str(part.get("direction", "asc"))
        elif isinstance(part, tuple) and len(part) == 2:
            name, direction = str(part[0]), str(part[1])
        elif isinstance(part, str):
            text = part.strip()
            words = text.split()
            if len(words) == 2:
                name, direction = words
            elif text.startswith("-"):
                name, direction = text[1:], "desc"
            else:
                name, direction = text.lstrip("+"), "asc"
        else:
            raise QueryError(f"Cannot read the sort {part!r}: give '-datetime' (descending), "
                             "'eo:cloud_cover' (ascending) or {'field': ..., 'direction': 'asc'|'desc'}.")
        name = name.strip()
        if name.startswith("properties."):
            name = name[len("properties."):]
        direction = direction.strip().lower()
        if direction not in ("asc", "desc") or not name:
            raise QueryError(f"Cannot read the sort {part!r}: the direction is 'asc' or 'desc'.")
        out.append((name, direction))
    return tuple(out)


def _positive(value: Any, what: str, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        alternative = " or None" if allow_none else ""
        raise QueryError(f"{what} must be a whole number >= 1{alternative}, not {value!r}.")
    return int(value)


def _cql2(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise QueryError(
                "cql2 must be a CQL2-JSON expression (a dict, or its JSON text); cql2-text is not accepted "
                "because stac-fastapi refuses it in POST searches. Use filters={...} for simple conditions."
            ) from None
    if not isinstance(value, Mapping) or "op" not in value:
        raise QueryError(f"cql2 must be a CQL2-JSON expression with an 'op', not {value!r}.")
    return copy.deepcopy(dict(value))


def _cql2_properties(expr: Any) -> list[str]:
    found: list[str] = []
    if isinstance(expr, Mapping):
        if set(expr) == {"property"} and isinstance(expr["property"], str):
            return [expr["property"]]
        for v in expr.values():
            found.extend(_cql2_properties(v))
    elif isinstance(expr, list):
        for v in expr:
            found.extend(_cql2_properties(v))
    return found


# --------------------------------------------------------------------------------------------------
# Conformance
# --------------------------------------------------------------------------------------------------

_CONFORMANCE_RE: Final = {
    name: re.compile(rf"^https?://api\.stacspec\.org/v1\.[^/]+/item-search#{name}$")
    for name in ("filter", "query", "sort", "fields")
}


def _uris(conformance: Any) -> list[str]:
    if conformance is None:
        return []
    if hasattr(conformance, "get_conforms_to"):
        return list(conformance.get_conforms_to())
    if isinstance(conformance, str):
        return [conformance]
    return [str(c) for c in conformance]


def conforms(conformance: Any, feature: str) -> bool:
    """Whether a conformance list (or a pystac-client Client) declares an item-search extension.

    Parameters
    ----------
    conformance
        URIs of ``/conformance`` (any version of STAC API 1.x), or a pystac-client ``Client``.
    feature
        ``filter``, ``query``, ``sort`` or ``fields``.

    Examples
    --------
    >>> conforms(["https://api.stacspec.org/v1.1.0/item-search#sort"], "sort")
    True
    >>> conforms(["https://api.stacspec.org/v1.0.0/item-search#query"], "filter")
    False
    """
    pattern = _CONFORMANCE_RE[feature]
    return any(pattern.match(uri) for uri in _uris(conformance))


# --------------------------------------------------------------------------------------------------
# Queryables
# --------------------------------------------------------------------------------------------------

_queryables_lock = threading.Lock()
_CACHE_ATTR = "_dinamis_queryables"


def _properties_of(queryables: Mapping[str, Any] | None) -> dict[str, Any]:
    if not queryables:
        return {}
    props = queryables.get("properties")
    if isinstance(props, Mapping) and ("$schema" in queryables or "type" in queryables
                                       or len(queryables) <= 4):
        return dict(props)
    return dict(queryables)


def _merge_schema(a: dict[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    if a.get("type") != b.get("type"):
        out.pop("type", None)
    if isinstance(a.get("enum"), list) and isinstance(b.get("enum"), list):
        out["enum"] = sorted(set(a["enum"]) | set(b["enum"]), key=str)
    elif "enum" in a or "enum" in b:
        out.pop("enum", None)
    for key, pick in (("minimum", min), ("maximum", max)):
        if isinstance(a.get(key), int | float) and isinstance(b.get(key), int | float):
            out[key] = pick(a[key], b[key])
        else:
            out.pop(key, None)
    if isinstance(a.get("items"), Mapping) and isinstance(b.get("items"), Mapping):
        out["items"] = _merge_schema(dict(a["items"]), b["items"])
    return out


def fetch_queryables(client: Any, collections: Iterable[str] | None = None, *,
                     refresh: bool = False) -> dict[str, dict[str, Any]]:
    """The queryable properties of collections (merged), cached on the client.

    Parameters
    ----------
    client
        A pystac-client ``Client`` (for instance from :func:`dinamis_widgets.open_catalog`).
    collections
        Collection ids; their ``/collections/{id}/queryables`` are merged (enums joined, ranges widened).
        None: the API's global ``/queryables``.
    refresh
        Ask the API again instead of using the cache.

    Returns
    -------
    dict
        Property name -> JSON schema (``type``, ``enum``, ``minimum``...). Empty when the API has no
        filter extension or no queryables (then nothing is checked).

    Raises
    ------
    QueryError
        If a collection does not exist (the message lists those that do).

    Examples
    --------
    Against the twin::

        client = dw.open_catalog()
        q = fetch_queryables(client, ["SPOT67_HCF_GS1"])
        q["eo:cloud_cover"]["type"]        # 'number'
    """
    from pystac_client.exceptions import APIError

    ids = tuple(sorted(set(collections))) if collections else ()
    with _queryables_lock:
        cache: dict[tuple[str, ...], dict[str, dict[str, Any]]] = client.__dict__.setdefault(_CACHE_ATTR, {})
        if not refresh and ids in cache:
            return copy.deepcopy(cache[ids])
    if not conforms(client, "filter"):
        return {}
    root = client.get_self_href() or ""
    root = root if root.endswith("/") else root + "/"
    merged: dict[str, dict[str, Any]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cid in ids or (None,):
            url = f"{root}collections/{cid}/queryables" if cid else f"{root}queryables"
            try:
                answer = client.get_queryables_from(url)
            except APIError as exc:
                status = getattr(exc, "status_code", None)
                if cid is not None and status == 404:
                    known = sorted(c.id for c in client.get_collections())
                    close = difflib.get_close_matches(cid, known, n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise QueryError(f"Unknown collection {cid!r} in the catalogue at {root}.{hint} "
                                     f"Collections: {', '.join(known)}.") from None
                warnings.warn(f"Could not read the queryables at {url} ({status}); filters are not checked.",
                              QueryWarning, stacklevel=2)
                return {}
            for name, schema in _properties_of(answer).items():
                if not isinstance(schema, Mapping):
                    continue
                merged[name] = _merge_schema(merged[name], schema) if name in merged else dict(schema)
    with _queryables_lock:
        client.__dict__.setdefault(_CACHE_ATTR, {})[ids] = merged
    return copy.deepcopy(merged)


def _check_property(name: str, props: Mapping[str, Any], collections: tuple[str, ...] | None,
                    what: str = "filter") -> Mapping[str, Any]:
    if not props or name in props:
        return props.get(name) or {}
    if name in _CORE_PROPERTIES:
        return {}
    known = sorted(set(props) | set(_CORE_PROPERTIES))
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.split(":")[-1] == name.split(":")[-1]][:1]
    hint = f" Did you mean {close[0]!r}?" if close else ""
    where = f" of {', '.join(collections)}" if collections else ""
    raise QueryError(f"Unknown property {name!r} in the {what}: it is not among the queryables{where}.{hint} "
                     f"Known properties: {', '.join(known)}.")


# --------------------------------------------------------------------------------------------------
# The query
# --------------------------------------------------------------------------------------------------

_DEFAULT = object()


@dataclass(frozen=True, init=False)
class Query:
    """A STAC item search: what to look for, where, when, and how to sort and page.

    Parameters
    ----------
    collections
        Collection ids (the catalogue's "Plateforme", e.g. ``SPOT67_HCF_GS1``): a string (``"A,B"``
        allowed), a list, or pystac Collections. None: every collection.
    aoi
        Area of interest, any form of :func:`~dinamis_widgets.as_aoi` (GeoJSON, bbox, WKT,
        shapely, GeoDataFrame...). ``bbox=`` and ``intersects=`` are accepted as aliases.
    datetime
        A date (``"2025-06-01"``, ``datetime.date``: that whole day in UTC), a partial date (``"2025-06"``:
        the month), a datetime (that instant; naive ones are UTC), a string ``"start/end"`` or a pair
        ``(start, end)``, where None or ``".."`` leaves a side open. Date bounds are whole days.
    filters
        Conditions on any property: see the module's documentation.
    ids
        Item ids.
    sortby
        ``"-datetime"`` (default: newest first, as the catalogue), ``"eo:cloud_cover"`` (ascending),
        a list of them, ``{"field": ..., "direction": ...}`` dicts, or None for the API's order.
    limit
        Items per page asked of the API (default 100).
    max_items
        Items returned at most (default 1000; None: all, paging as needed).
    fields
        The fields extension: ``["-assets", "+properties.gsd"]`` (items may then lack what pystac needs).
    cql2
        An extra CQL2-JSON expression, ANDed with ``filters``, for what the mapping cannot say
        (``or``, ``not``, spatial operators).

    Examples
    --------
    >>> q = Query(["SPOT67_HCF_GS1"], datetime="2026-02-24")
    >>> q.datetime_interval
    '2026-02-24T00:00:00Z/2026-02-24T23:59:59.999999Z'
    >>> q.replace(max_items=5).max_items
    5
    >>> [str(f) for f in Query(filters={"eo:cloud_cover": (0, 25)}).filters]
    ['eo:cloud_cover >= 0', 'eo:cloud_cover <= 25']
    """

    collections: tuple[str, ...] | None
    aoi: AOI | None
    datetime: tuple[_dt.datetime | None, _dt.datetime | None] | None
    filters: tuple[Filter, ...]
    ids: tuple[str, ...] | None
    sortby: tuple[tuple[str, str], ...]
    limit: int
    max_items: int | None
    fields: tuple[str, ...] | None
    cql2: dict[str, Any] | None

    def __init__(
        self,
        collections: str | Iterable[Any] | None = None,
        *,
        aoi: AOILike = None,
        bbox: Sequence[float] | None = None,
        intersects: Any = None,
        datetime: Any = None,
        filters: Any = None,
        ids: str | Iterable[str] | None = None,
        sortby: Any = _DEFAULT,
        limit: int | None = DEFAULT_LIMIT,
        max_items: int | None = DEFAULT_MAX_ITEMS,
        fields: str | Iterable[str] | None = None,
        cql2: Mapping[str, Any] | str | None = None,
    ) -> None:
        given = [n for n, v in (("aoi", aoi), ("bbox", bbox), ("intersects", intersects)) if v is not None]
        if len(given) > 1:
            raise QueryError(f"Give one area of interest, not {' and '.join(given)}.")
        area = aoi if aoi is not None else bbox if bbox is not None else intersects
        setattr_ = object.__setattr__
        setattr_(self, "collections", _strings(collections, "Collections"))
        setattr_(self, "aoi", as_aoi(area) if area is not None else None)
        setattr_(self, "datetime", _datetime_range(datetime))
        setattr_(self, "filters", _parse_filters(filters))
        setattr_(self, "ids", _strings(ids, "Item ids"))
        setattr_(self, "sortby", DEFAULT_SORTBY if sortby is _DEFAULT else _sortby(sortby))
        setattr_(self, "limit", _positive(DEFAULT_LIMIT if limit is None else limit, "limit", False))
        setattr_(self, "max_items", _positive(max_items, "max_items", True))
        setattr_(self, "fields", _strings(fields, "Fields"))
        setattr_(self, "cql2", _cql2(cql2))

    # -- identity ---------------------------------------------------------------------------------
    def __hash__(self) -> int:
        return hash((self.collections, self.aoi, self.datetime, self.filters, self.ids, self.sortby,
                     self.limit, self.max_items, self.fields, json.dumps(self.cql2, sort_keys=True)))

    def replace(self, **changes: Any) -> Query:
        """A copy with ``changes`` (any argument of the constructor, ``bbox``/``intersects`` included).

        Examples
        --------
        >>> Query("SPOT67_HCF_GS1").replace(bbox=(3.8, 43.5, 3.9, 43.7)).aoi.bbox
        (3.8, 43.5, 3.9, 43.7)
        """
        names = {f.name for f in dataclasses.fields(self)} | {"bbox", "intersects"}
        unknown = sorted(set(changes) - names)
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(names), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise QueryError(f"Unknown search parameter {unknown[0]!r}.{hint} Parameters: "
                             f"{', '.join(sorted(names))}.")
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if "bbox" in changes or "intersects" in changes:
            current.pop("aoi")
        current.update(changes)
        return Query(**current)

    # -- pieces -----------------------------------------------------------------------------------
    @property
    def datetime_interval(self) -> str | None:
        """The datetime as a STAC interval string (``start/end``, ``..`` for an open side), or None."""
        if self.datetime is None:
            return None
        start, end = self.datetime
        if start is not None and start == end:
            return _iso(start)
        return f"{_iso(start) if start else '..'}/{_iso(end) if end else '..'}"

    def properties(self) -> list[str]:
        """Names of the properties the filters, the ``cql2`` expression and the sort use."""
        names = [f.property for f in self.filters] + _cql2_properties(self.cql2) + [s[0] for s in self.sortby]
        return list(dict.fromkeys(names))

    def to_cql2(self, queryables: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The filters (and ``cql2``) as one CQL2-JSON expression, or None when there are none.

        Parameters
        ----------
        queryables
            The queryables of the searched collections (:func:`fetch_queryables`, or the JSON schema of a
            ``/queryables`` answer). When given, unknown properties and values of the wrong type raise
            :class:`~dinamis_widgets.errors.QueryError`; values not in a property's ``enum`` warn; list
            properties (``instruments``) use ``a_contains``/``a_overlaps``.

        Examples
        --------
        >>> Query(filters={"platform": ["spot-6", "spot-7"], "dinamis:city": "Mont%"}).to_cql2()
        {'op': 'and', 'args': [{'op': 'in', 'args': [{'property': 'platform'}, ['spot-6', 'spot-7']]}, \
{'op': 'like', 'args': [{'property': 'dinamis:city'}, 'Mont%']}]}
        >>> Query(filters={"eo:cloud_cover": "20"}).to_cql2({"eo:cloud_cover": {"type": "number"}})
        Traceback (most recent call last):
        ...
        dinamis_widgets.errors.QueryError: Filter on 'eo:cloud_cover': it is a number, but '20' is a ...
        """
        props = _properties_of(queryables)
        args = [f.to_cql2(_check_property(f.property, props, self.collections)) for f in self.filters]
        if self.cql2 is not None:
            for name in _cql2_properties(self.cql2):
                _check_property(name, props, self.collections, "cql2 expression")
            args.append(copy.deepcopy(self.cql2))
        if not args:
            return None
        return args[0] if len(args) == 1 else {"op": "and", "args": args}

    def to_query_extension(self, queryables: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The filters in the ``query`` extension's form, for APIs without ``filter``; None when none.

        Raises
        ------
        QueryError
            For what the query extension cannot say: ``isNull``, inner ``like`` patterns, list
            properties, a ``cql2`` expression, two equal operators on one property.

        Examples
        --------
        >>> Query(filters={"eo:cloud_cover": (0, 20), "dinamis:city": "Mont%"}).to_query_extension()
        {'eo:cloud_cover': {'gte': 0, 'lte': 20}, 'dinamis:city': {'startsWith': 'Mont'}}
        """
        if self.cql2 is not None:
            raise QueryError("This STAC API has no filter extension (CQL2): the cql2 expression cannot be "
                             "sent. Use filters={...} with comparisons only.")
        props = _properties_of(queryables)
        out: dict[str, dict[str, Any]] = {}
        for f in self.filters:
            schema = _check_property(f.property, props, self.collections)
            _check_values(f, schema)
            if schema.get("type") == "array":
                raise QueryError(f"This STAC API has no filter extension (CQL2): {f.property!r} holds a "
                                 "list, which the query extension cannot filter.")
            condition = f.to_query_extension(schema)
            target = out.setdefault(f.property, {})
            for key, value in condition.items():
                if key in target:
                    raise QueryError(f"This STAC API has no filter extension (CQL2), and the query extension "
                                     f"takes one {key!r} per property: {f.property!r} has two.")
                target[key] = value
        return out or None

    def to_search_kwargs(self, conformance: Any = None,
                         queryables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Arguments of pystac-client's ``Client.search`` for this query.

        Parameters
        ----------
        conformance
            The API's conformance URIs, or its pystac-client ``Client``; None assumes every extension.
            Without ``filter`` the filters go through the ``query`` extension (or raise
            :class:`~dinamis_widgets.errors.QueryError` if it cannot say them); without ``sort`` or
            ``fields`` those are dropped with a :class:`QueryWarning`.
        queryables
            See :meth:`to_cql2`.

        Examples
        --------
        >>> kw = Query(filters={"eo:cloud_cover": ("<=", 10)}, sortby=None, max_items=None).to_search_kwargs(
        ...     ["https://api.stacspec.org/v1.0.0/item-search#query"])
        >>> kw
        {'query': {'eo:cloud_cover': {'lte': 10}}, 'limit': 100}
        """
        kw: dict[str, Any] = {}
        if self.collections:
            kw["collections"] = list(self.collections)
        if self.ids:
            kw["ids"] = list(self.ids)
        if self.aoi is not None:
            kw.update(copy.deepcopy(self.aoi.search_params()))
        if self.datetime is not None:
            kw["datetime"] = self.datetime_interval
        everything = conformance is None
        if self.filters or self.cql2 is not None:
            if everything or conforms(conformance, "filter"):
                kw["filter"] = self.to_cql2(queryables)
                kw["filter_lang"] = "cql2-json"
            elif conforms(conformance, "query"):
                kw["query"] = self.to_query_extension(queryables)
            else:
                raise QueryError("This STAC API has neither the filter (CQL2) nor the query extension: it "
                                 "cannot filter on properties. Search without filters and select in Python "
                                 "(results.to_dataframe()).")
        if self.sortby:
            props = _properties_of(queryables)
            for name, _ in self.sortby:
                _check_property(name, props, self.collections, "sort")
            if everything or conforms(conformance, "sort"):
                kw["sortby"] = [{"field": f, "direction": d} for f, d in self.sortby]
            elif self.sortby != DEFAULT_SORTBY:
                warnings.warn("This STAC API cannot sort (no sort extension): results come in its own order.",
                              QueryWarning, stacklevel=2)
        kw["limit"] = min(self.limit, self.max_items) if self.max_items else self.limit
        if self.max_items is not None:
            kw["max_items"] = self.max_items
        if self.fields:
            if everything or conforms(conformance, "fields"):
                kw["fields"] = {"include": [f.lstrip("+") for f in self.fields if not f.startswith("-")],
                                "exclude": [f[1:] for f in self.fields if f.startswith("-")]}
            else:
                warnings.warn("This STAC API has no fields extension: whole items are returned.",
                              QueryWarning, stacklevel=2)
        return kw

    # -- as code ----------------------------------------------------------------------------------
    def _filters_for_code(self) -> Any:
        by_prop: dict[str, list[Filter]] = {}
        for f in self.filters:
            by_prop.setdefault(f.property, []).append(f)

        def code_value(v: Any) -> Any:
            return _iso(v) if isinstance(v, _dt.datetime) else v

        mapping: dict[str, Any] = {}
        for prop, fs in by_prop.items():
            ops = {f.op: f for f in fs}
            if len(fs) == 2 and set(ops) == {">=", "<="}:
                mapping[prop] = (code_value(ops[">="].value), code_value(ops["<="].value))
            elif len(fs) == 1:
                f = fs[0]
                if f.op == "isNull":
                    mapping[prop] = None
                elif f.op == "in":
                    mapping[prop] = [code_value(v) for v in f.values()]
                elif f.op == "like":
                    mapping[prop] = ("like", f.value)
                elif f.op == "=" and not (isinstance(f.value, str) and "%" in f.value):
                    mapping[prop] = code_value(f.value)
                else:
                    mapping[prop] = (f.op, code_value(f.value))
            else:
                return [(f.property, f.op, [code_value(v) for v in f.values()] if f.op == "in"
                         else code_value(f.value)) for f in self.filters]
        return mapping

    def to_code(self, style: str = "dinamis_widgets", *, catalog: Any = None, conformance: Any = None,
                queryables: Mapping[str, Any] | None = None) -> str:
        """The same search as Python code, to copy into a script or notebook.

        Parameters
        ----------
        style
            ``"dinamis_widgets"`` (``results = dw.search(...)``) or ``"pystac-client"``
            (``items = Client.open(...).search(...).item_collection()``, with the exact arguments sent).
        catalog
            The STAC API URL, a profile name, or a pystac-client ``Client`` (its URL, conformance and
            profile are used); the active profile's by default.
        conformance, queryables
            As in :meth:`to_search_kwargs` (taken from ``catalog`` when it is a ``Client``).

        Returns
        -------
        str
            Code that runs as it is and leaves the results in ``results`` (or ``items``).

        Examples
        --------
        >>> print(Query("SPOT67_HCF_GS1", max_items=10).to_code(catalog="https://stac.example.org/"))
        import dinamis_widgets as dw
        <BLANKLINE>
        results = dw.search(
            catalog=dw.open_catalog('https://stac.example.org/'),
            collections=['SPOT67_HCF_GS1'],
            sortby=['-datetime'],
            max_items=10,
        )
        print(len(results), "items")
        """
        url, profile_name = _catalog_target(catalog)
        if conformance is None and hasattr(catalog, "get_conforms_to"):
            conformance = catalog
        if style in ("pystac-client", "pystac_client"):
            kwargs = self.to_search_kwargs(conformance, queryables)
            lines = ["from pystac_client import Client", "", f"client = Client.open({url!r})",
                     "search = client.search("]
            lines += [_kwarg_line(k, v) for k, v in kwargs.items()]
            lines += [")", "items = search.item_collection()", 'print(len(items), "items")']
            return "\n".join(lines)
        if style not in ("dinamis_widgets", "dinamis-widgets", "dw"):
            raise QueryError(f"Unknown code style {style!r}: 'dinamis_widgets' or 'pystac-client'.")
        target = profile_name if profile_name else url
        entries: list[tuple[str, Any]] = []
        if self.collections:
            entries.append(("collections", list(self.collections)))
        if self.ids:
            entries.append(("ids", list(self.ids)))
        if self.aoi is not None:
            box_like = self.aoi.is_box and not self.aoi.crosses_antimeridian
            entries.append(("aoi", list(self.aoi.bbox) if box_like else self.aoi.geometry))
        if self.datetime is not None:
            start, end = self.datetime
            entries.append(("datetime", (_iso(start) if start else None, _iso(end) if end else None)))
        if self.filters:
            entries.append(("filters", self._filters_for_code()))
        if self.cql2 is not None:
            entries.append(("cql2", self.cql2))
        entries.append(("sortby", [("-" if d == "desc" else "") + f for f, d in self.sortby] or None))
        if self.limit != DEFAULT_LIMIT:
            entries.append(("limit", self.limit))
        if self.max_items != DEFAULT_MAX_ITEMS:
            entries.append(("max_items", self.max_items))
        if self.fields:
            entries.append(("fields", list(self.fields)))
        lines = ["import dinamis_widgets as dw", "", "results = dw.search(",
                 f"    catalog=dw.open_catalog({target!r}),"]
        lines += [_kwarg_line(k, v) for k, v in entries]
        lines += [")", 'print(len(results), "items")']
        return "\n".join(lines)


def _kwarg_line(name: str, value: Any) -> str:
    text = pprint.pformat(value, width=100 - 4 - len(name) - 1, sort_dicts=False)
    text = text.replace("\n", "\n" + " " * (4 + len(name) + 1))
    return f"    {name}={text},"


def _catalog_target(catalog: Any) -> tuple[str, str | None]:
    """(STAC API URL, profile name to write in code or None)."""
    from ..settings import profile_for

    if catalog is None:
        active = profile_for(None)
        return active.stac_api, None if active.name.startswith(("http://", "https://")) else active.name
    if hasattr(catalog, "get_self_href"):
        profile = getattr(catalog, "dinamis_profile", None)
        url = catalog.get_self_href() or getattr(profile, "stac_api", "")
        name = getattr(profile, "name", None)
        named = isinstance(name, str) and not name.startswith(("http://", "https://"))
        same = named and getattr(profile, "stac_api", "").rstrip("/") == url.rstrip("/")
        return url, name if same else None
    if isinstance(catalog, str):
        if catalog.startswith(("http://", "https://")):
            return catalog, None
        return profile_for(catalog).stac_api, catalog
    name = getattr(catalog, "name", None)
    return str(getattr(catalog, "stac_api", catalog)), name if isinstance(name, str) else None

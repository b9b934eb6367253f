"""Filters on item properties: :class:`Filter`, and the forms people type for them.

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
conditions on one property). :func:`parse_filters` reads all of them into :class:`Filter` objects.

Examples
--------
>>> [str(f) for f in parse_filters({"view:incidence_angle": (0, 25), "platform": ["spot-6", "spot-7"]})]
['view:incidence_angle >= 0', 'view:incidence_angle <= 25', "platform in ['spot-6', 'spot-7']"]
>>> parse_filters([("gsd", "!=", 6)])
(Filter(property='gsd', op='<>', value=6),)
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..errors import QueryError, quote
from .cql2 import filter_expression, query_extension_condition
from .dates import aware, iso, looks_like_date, period
from .schema_checks import check_values

__all__ = ["OPERATORS", "Filter", "FilterValue", "parse_filters"]

#: Operators of :class:`Filter` (CQL2 names).
OPERATORS: Final = ("=", "<>", "<", "<=", ">", ">=", "like", "in", "isNull")
_OP_ALIASES: Final[dict[str, str]] = {
    "=": "=", "==": "=", "eq": "=", "!=": "<>", "<>": "<>", "neq": "<>", "ne": "<>",
    "<": "<", "lt": "<", "<=": "<=", "lte": "<=", "le": "<=", ">": ">", "gt": ">", ">=": ">=",
    "gte": ">=", "ge": ">=", "in": "in", "like": "like", "isnull": "isNull", "between": "between",
    "startswith": "startsWith", "endswith": "endsWith", "contains": "contains",
}

FilterValue = str | int | float | bool | _dt.datetime | tuple[Any, ...] | None


def _scalar(value: Any, prop: str) -> str | int | float | bool | _dt.datetime:
    if isinstance(value, _dt.datetime):
        return aware(value)
    if isinstance(value, _dt.date):
        return period(value, "date")[0]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"Filter on {quote(prop)}: {quote(value)} is not a finite number.")
        return value
    raise QueryError(f"Filter on {quote(prop)}: cannot compare with a {type(value).__name__} "
                     f"({quote(value)}); give "
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
            raise QueryError(f"A filter needs a property name, not {quote(self.property)}.")
        if self.op not in OPERATORS:
            raise QueryError(f"Unknown operator {quote(self.op)} for {quote(self.property)}: use one of "
                             f"{', '.join(OPERATORS)}.")
        if self.op == "in":
            if not isinstance(self.value, tuple) or not self.value:
                raise QueryError(f"Filter on {quote(self.property)}: 'in' needs a non-empty list of values.")
        elif self.op == "like":
            if not isinstance(self.value, str):
                raise QueryError(f"Filter on {quote(self.property)}: 'like' needs a text pattern, not "
                                 f"{quote(self.value)}.")
        elif self.op == "isNull":
            if self.value is not None:
                raise QueryError(f"Filter on {quote(self.property)}: 'isNull' takes no value.")
        elif self.value is None or isinstance(self.value, tuple):
            raise QueryError(f"Filter on {quote(self.property)}: {quote(self.op)} needs one value, not "
                             f"{quote(self.value)}.")

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
        check_values(self, schema)
        return filter_expression(self, schema)

    def to_query_extension(self, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """This condition in the ``query`` extension's form (``{"lte": 20}``).

        Dates (datetimes, or strings for a ``date-time`` queryable) are sent as ISO 8601 UTC strings.

        Raises
        ------
        QueryError
            For what the query extension cannot say (``isNull``, ``like`` with an inner ``%`` or ``_``).
        """
        return query_extension_condition(self, schema or {})

    def __str__(self) -> str:
        if self.op == "isNull":
            return f"{self.property} is null"
        shown = [iso(v) if isinstance(v, _dt.datetime) else v for v in self.values()]
        value = list(shown) if self.op == "in" else shown[0]
        return f"{self.property} {self.op} {value!r}"


# --------------------------------------------------------------------------------------------------
# The forms people type
# --------------------------------------------------------------------------------------------------


def _like_from(op: str, value: Any, prop: str) -> str:
    if not isinstance(value, str):
        raise QueryError(f"Filter on {quote(prop)}: {quote(op)} needs text, not {quote(value)}.")
    return {"startsWith": f"{value}%", "endsWith": f"%{value}", "contains": f"%{value}%"}[op]


def _range(prop: str, lo: Any, hi: Any) -> list[Filter]:
    if lo is None and hi is None:
        raise QueryError(f"Filter on {quote(prop)}: the range (None, None) has no bound.")
    if isinstance(lo, str) and isinstance(hi, str) and not looks_like_date(lo) and not looks_like_date(hi):
        raise QueryError(f"Filter on {quote(prop)}: a tuple ({quote(lo)}, {quote(hi)}) is a range (low, "
                         f"high); for "
                         f"'any of these values' give a list: [{quote(lo)}, {quote(hi)}].")

    def bound(value: Any, upper: bool) -> Any:
        if not isinstance(value, _dt.datetime) and looks_like_date(value):
            start, end = period(value, f"{'upper' if upper else 'lower'} bound of {quote(prop)}")
            return end if upper else start
        return _scalar(value, prop)

    low = bound(lo, False) if lo is not None else None
    high = bound(hi, True) if hi is not None else None
    if low is not None and high is not None and type(low) is type(high) and low > high:
        raise QueryError(f"Filter on {quote(prop)}: the range ({quote(lo)}, {quote(hi)}) has low > high: "
                         f"swap them, "
                         f"({quote(hi)}, {quote(lo)}).")
    out = []
    if low is not None:
        out.append(Filter(prop, ">=", low))
    if high is not None:
        out.append(Filter(prop, "<=", high))
    return out


def _op_filters(prop: str, op: Any, value: Any) -> list[Filter]:
    canonical = _OP_ALIASES.get(str(op).strip().lower()) if isinstance(op, str) else None
    if canonical is None:
        raise QueryError(f"Unknown operator {quote(op)} for {quote(prop)}: use one of =, <>, <, <=, >, "
                         f">=, in, like, "
                         "between, startsWith, endsWith, contains, isNull (or eq, neq, lt, lte, gt, gte).")
    if canonical == "between":
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
            raise QueryError(f"Filter on {quote(prop)}: 'between' needs two values (low, high), not "
                             f"{quote(value)}.")
        return _range(prop, value[0], value[1])
    if canonical in ("startsWith", "endsWith", "contains"):
        return [Filter(prop, "like", _like_from(canonical, value, prop))]
    if canonical == "in":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise QueryError(f"Filter on {quote(prop)}: 'in' needs a list of values, not {quote(value)}.")
        values = tuple(_scalar(v, prop) for v in value)
        return [Filter(prop, "in", values)]
    if canonical == "isNull":
        if value not in (None, True):
            raise QueryError(f"Filter on {quote(prop)}: 'isNull' takes no value.")
        return [Filter(prop, "isNull", None)]
    if canonical == "like":
        if not isinstance(value, str):
            raise QueryError(f"Filter on {quote(prop)}: 'like' needs a text pattern, not {quote(value)}.")
        return [Filter(prop, "like", value)]
    if value is None:
        raise QueryError(f"Filter on {quote(prop)}: {quote(op)} needs a value; use None alone for 'is "
                         f"missing'.")
    return [Filter(prop, canonical, _scalar(value, prop))]


def _prop_name(prop: Any) -> str:
    if not isinstance(prop, str) or not prop.strip():
        raise QueryError(f"Filters are keyed by property names (strings), not {quote(prop)}.")
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
                or (not looks_like_date(spec[0]) and not isinstance(spec[1], str))):
            return _op_filters(prop, spec[0], spec[1])
        if len(spec) == 2:
            return _range(prop, spec[0], spec[1])
        raise QueryError(f"Filter on {quote(prop)}: a tuple is (operator, value) or a range (low, high), not "
                         f"{quote(spec)}; for 'any of these values' give a list.")
    if isinstance(spec, list | set | frozenset):
        values = sorted(spec, key=repr) if isinstance(spec, set | frozenset) else spec
        return _op_filters(prop, "in", values)
    if isinstance(spec, str) and "%" in spec:
        return [Filter(prop, "like", spec)]
    return [Filter(prop, "=", _scalar(spec, prop))]


def parse_filters(filters: Any) -> tuple[Filter, ...]:
    """Read filters in any of the forms above (a mapping, a list of triples or of :class:`Filter`)."""
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
                raise QueryError(f"Cannot read the filter {quote(entry)}: give (property, operator, value), "
                                 "(property, condition) or a Filter.")
        return tuple(out)
    raise QueryError(f"Cannot read filters from a {type(filters).__name__}: give a mapping "
                     "{property: condition} or a list of (property, operator, value).")

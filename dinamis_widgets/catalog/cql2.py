"""Filters as a STAC API reads them: CQL2-JSON (the filter extension), or the older query extension.

:meth:`Filter.to_cql2 <dinamis_widgets.Filter.to_cql2>` and :meth:`Query.to_cql2
<dinamis_widgets.Query.to_cql2>` build their expressions here; so do their ``to_query_extension``
counterparts, used where an API has no ``filter``. A property whose queryable schema is an array
(``instruments``) is compared with ``a_contains``/``a_overlaps``; dates are sent as ``{"timestamp": ...}``.

Examples
--------
>>> from dinamis_widgets.catalog.filters import Filter
>>> filter_expression(Filter("platform", "in", ("spot-6", "spot-7")), {"type": "array"})
{'op': 'a_overlaps', 'args': [{'property': 'platform'}, ['spot-6', 'spot-7']]}
>>> query_extension_condition(Filter("dinamis:city", "like", "Mont%"), {})
{'startsWith': 'Mont'}
>>> cql2_properties(parse_cql2('{"op": "=", "args": [{"property": "gsd"}, 6]}'))
['gsd']
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..errors import QueryError, quote
from .dates import iso, period

if TYPE_CHECKING:
    from .filters import Filter

__all__ = ["cql2_properties", "filter_expression", "literal", "parse_cql2", "query_extension_condition"]

#: Operators of the query extension, by CQL2 name.
QUERY_EXT_OPS: Final = {"=": "eq", "<>": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "in": "in"}
#: Properties taken as dates when no queryable schema says what they are.
TIME_PROPERTIES: Final = ("datetime", "start_datetime", "end_datetime", "created", "updated")


def literal(value: Any, prop: str, schema: Mapping[str, Any]) -> Any:
    """A CQL2 literal: datetimes, and date strings of a date property, as ``{"timestamp": "..."}``."""
    if isinstance(value, _dt.datetime):
        return {"timestamp": iso(value)}
    if isinstance(value, str) and (schema.get("format") in ("date-time", "date") or (
            not schema and prop in TIME_PROPERTIES)):
        return {"timestamp": iso(period(value, f"date of {prop!r}")[0])}
    return value


def filter_expression(f: Filter, schema: Mapping[str, Any]) -> dict[str, Any]:
    """One filter as CQL2-JSON, for a property of this queryable schema (``{}`` when unknown)."""
    prop = {"property": f.property}
    if f.op == "isNull":
        return {"op": "isNull", "args": [prop]}
    literals = [literal(v, f.property, schema) for v in f.values()]
    if schema.get("type") == "array":
        if f.op in ("=", "in"):
            return {"op": "a_overlaps" if f.op == "in" else "a_contains", "args": [prop, literals]}
        if f.op == "<>":
            return {"op": "not", "args": [{"op": "a_contains", "args": [prop, literals]}]}
        raise QueryError(f"Filter on {f.property!r}: it holds a list of values, so only '=', '<>' and "
                         f"a list of values ('any of') apply, not {f.op!r}.")
    if f.op == "in":
        return {"op": "in", "args": [prop, literals]}
    return {"op": f.op, "args": [prop, literals[0]]}


def query_extension_condition(f: Filter, schema: Mapping[str, Any]) -> dict[str, Any]:
    """One filter in the query extension's form (``{"lte": 20}``); dates as ISO 8601 UTC strings.

    Raises
    ------
    QueryError
        For what the query extension cannot say (``isNull``, ``like`` with an inner ``%`` or ``_``).
    """
    literals = [literal(v, f.property, schema) for v in f.values()]
    values = [v["timestamp"] if isinstance(v, dict) else v for v in literals]
    if f.op in QUERY_EXT_OPS:
        key = QUERY_EXT_OPS[f.op]
        return {key: list(values) if f.op == "in" else values[0]}
    if f.op == "like":
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
        f"express {f.property!r} {f.op} {f.value!r} (it knows eq, neq, lt, lte, gt, gte, in, "
        "startsWith, endsWith, contains). Simplify the filter (a pattern with '%' only at the start "
        "and/or end), or filter the results in Python.")


#: The operators of CQL2-JSON (OGC 21-065: basic, advanced, spatial, temporal, array, functions, arithmetic).
CQL2_OPERATORS: Final = frozenset({
    "and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull", "casei",
    "accenti", "s_intersects", "s_equals", "s_disjoint", "s_touches", "s_within", "s_overlaps", "s_crosses",
    "s_contains", "t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals", "t_finishedBy",
    "t_finishes",
    "t_intersects", "t_meets", "t_metBy", "t_overlappedBy", "t_overlaps", "t_startedBy", "t_starts",
    "a_equals", "a_contains", "a_containedBy", "a_overlaps", "+", "-", "*", "/", "%", "^", "div",
    # aliases pgstac and stac-fastapi accept
    "eq", "neq", "lt", "lte", "gt", "gte", "ilike", "anyinteracts",
})


def _check_operators(expr: Any, path: str = "cql2") -> None:
    """Refuse an unknown operator, or an operation without a list of ``args``, before it reaches a server
    (which answers HTTP 500 or a bare 400)."""
    if isinstance(expr, list):
        for i, v in enumerate(expr):
            _check_operators(v, f"{path}[{i}]")
        return
    if not isinstance(expr, Mapping) or "op" not in expr:
        return
    op = expr["op"]
    if not isinstance(op, str) or op not in CQL2_OPERATORS:
        close = difflib.get_close_matches(str(op), CQL2_OPERATORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise QueryError(f"Unknown CQL2 operator {quote(op)} at {path}.{hint} CQL2-JSON operators are "
                         "and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, s_intersects, "
                         "t_intersects... (OGC CQL2); for simple conditions use filters={...}.")
    args = expr.get("args")
    if not isinstance(args, list):
        raise QueryError(f"The CQL2 operation {op!r} at {path} has no list of 'args' ({quote(expr)}): write "
                         "{'op': '<=', 'args': [{'property': 'eo:cloud_cover'}, 20]}.")
    _check_operators(args, f"{path}.args")


def parse_cql2(value: Any) -> dict[str, Any] | None:
    """A user's CQL2-JSON expression (a dict, or its JSON text), copied; None when not given."""
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
        raise QueryError(f"cql2 must be a CQL2-JSON expression with an 'op', not {quote(value)}: write e.g. "
                         "{'op': '<=', 'args': [{'property': 'eo:cloud_cover'}, 20]}.")
    _check_operators(value)
    return copy.deepcopy(dict(value))


def cql2_properties(expr: Any) -> list[str]:
    """Names of the properties a CQL2-JSON expression uses, in order (repeats included)."""
    found: list[str] = []
    if isinstance(expr, Mapping):
        if set(expr) == {"property"} and isinstance(expr["property"], str):
            return [expr["property"]]
        for v in expr.values():
            found.extend(cql2_properties(v))
    elif isinstance(expr, list):
        for v in expr:
            found.extend(cql2_properties(v))
    return found

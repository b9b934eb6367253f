"""The search query model: collections, AOI, dates, filters on any property, sort, limits.

A :class:`Query` is a frozen dataclass. Its constructor accepts the forms people type, and keeps them
normalised (tuples, UTC datetimes, :class:`~dinamis_widgets.AOI`, :class:`~dinamis_widgets.Filter`), so two
queries that mean the same are equal and can be compared or hashed by a user interface.

Filters are a mapping from property name to a condition (``{"eo:cloud_cover": ("<=", 20)}``, a range
``(0, 25)``, a list for "any of", ``"Mont%"`` for a pattern...): the forms are listed in
:mod:`dinamis_widgets.catalog.filters`. :meth:`Query.to_cql2` builds the CQL2-JSON expression, checked
against the collections' queryables when given (:func:`~dinamis_widgets.fetch_queryables`);
:meth:`Query.to_search_kwargs` gives the arguments of pystac-client's ``Client.search``, falling back to the
``query`` extension where the API has no ``filter``; :meth:`Query.to_code` writes the same search as Python
code.

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
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..errors import QueryError, quote
from ..warnings import QueryWarning
from .aoi import AOI, AOILike, as_aoi
from .conformance import conforms
from .cql2 import cql2_properties, parse_cql2
from .dates import datetime_range, iso
from .filters import Filter, parse_filters
from .schema_checks import check_property, check_values, properties_of

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_SORTBY",
    "Filter",
    "Query",
]

#: Items per page asked of the API.
DEFAULT_LIMIT: Final = 100
#: Items a search returns at most unless told otherwise (``max_items=None`` for no limit).
DEFAULT_MAX_ITEMS: Final = 1000
#: Newest first, as the catalogue.
DEFAULT_SORTBY: Final = (("datetime", "desc"),)


# --------------------------------------------------------------------------------------------------
# Fields other than filters and dates
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
        raise QueryError(f"{what} must be a whole number >= 1{alternative}, not {quote(value)}: give e.g. "
                         f"{what}=100.")
    return int(value)



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
        Conditions on any property: see :mod:`dinamis_widgets.catalog.filters`.
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
        setattr_(self, "datetime", datetime_range(datetime))
        setattr_(self, "filters", parse_filters(filters))
        setattr_(self, "ids", _strings(ids, "Item ids"))
        setattr_(self, "sortby", DEFAULT_SORTBY if sortby is _DEFAULT else _sortby(sortby))
        setattr_(self, "limit", _positive(DEFAULT_LIMIT if limit is None else limit, "limit", False))
        setattr_(self, "max_items", _positive(max_items, "max_items", True))
        setattr_(self, "fields", _strings(fields, "Fields"))
        setattr_(self, "cql2", parse_cql2(cql2))

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
            return iso(start)
        return f"{iso(start) if start else '..'}/{iso(end) if end else '..'}"

    def properties(self) -> list[str]:
        """Names of the properties the filters, the ``cql2`` expression and the sort use."""
        names = [f.property for f in self.filters] + cql2_properties(self.cql2) + [s[0] for s in self.sortby]
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
        props = properties_of(queryables)
        args = [f.to_cql2(check_property(f.property, props, self.collections)) for f in self.filters]
        if self.cql2 is not None:
            for name in cql2_properties(self.cql2):
                check_property(name, props, self.collections, "cql2 expression")
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
        props = properties_of(queryables)
        out: dict[str, dict[str, Any]] = {}
        for f in self.filters:
            schema = check_property(f.property, props, self.collections)
            check_values(f, schema)
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
            props = properties_of(queryables)
            for name, _ in self.sortby:
                check_property(name, props, self.collections, "sort")
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
        from .codegen import query_code

        return query_code(self, style, catalog=catalog, conformance=conformance, queryables=queryables)

"""A search as Python code, to copy into a script or notebook: :meth:`Query.to_code
<dinamis_widgets.Query.to_code>` and :meth:`Results.to_code <dinamis_widgets.Results.to_code>`.

Two styles: ``dinamis_widgets`` (``results = dw.search(...)``, with the query's own forms: filters as a
mapping, dates as ISO strings, defaults left out) and ``pystac-client`` (``Client.open(...).search(...)``,
with the exact arguments :meth:`Query.to_search_kwargs <dinamis_widgets.Query.to_search_kwargs>` sends).

Examples
--------
>>> from dinamis_widgets.catalog.query import Query
>>> print(query_code(Query(filters={"gsd": (1, 6)}, sortby=None), "pystac-client",
...                  catalog="https://stac.example.org/"))
from pystac_client import Client
<BLANKLINE>
client = Client.open('https://stac.example.org/')
search = client.search(
    filter={'op': 'and',
            'args': [{'op': '>=', 'args': [{'property': 'gsd'}, 1]},
                     {'op': '<=', 'args': [{'property': 'gsd'}, 6]}]},
    filter_lang='cql2-json',
    limit=100,
    max_items=1000,
)
items = search.item_collection()
print(len(items), "items")
"""

from __future__ import annotations

import datetime as _dt
import pprint
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import QueryError
from .dates import iso
from .query import DEFAULT_LIMIT, DEFAULT_MAX_ITEMS

if TYPE_CHECKING:
    from .filters import Filter
    from .query import Query

__all__ = ["query_code"]


def _code_value(v: Any) -> Any:
    return iso(v) if isinstance(v, _dt.datetime) else v


def _filters_code(filters: Sequence[Filter]) -> Any:
    """The filters in the mapping form a user would type, or a list of triples when it cannot say them."""
    by_prop: dict[str, list[Filter]] = {}
    for f in filters:
        by_prop.setdefault(f.property, []).append(f)
    mapping: dict[str, Any] = {}
    for prop, fs in by_prop.items():
        ops = {f.op: f for f in fs}
        if len(fs) == 2 and set(ops) == {">=", "<="}:
            mapping[prop] = (_code_value(ops[">="].value), _code_value(ops["<="].value))
        elif len(fs) == 1:
            f = fs[0]
            if f.op == "isNull":
                mapping[prop] = None
            elif f.op == "in":
                mapping[prop] = [_code_value(v) for v in f.values()]
            elif f.op == "like":
                mapping[prop] = ("like", f.value)
            elif f.op == "=" and not (isinstance(f.value, str) and "%" in f.value):
                mapping[prop] = _code_value(f.value)
            else:
                mapping[prop] = (f.op, _code_value(f.value))
        else:
            return [(f.property, f.op, [_code_value(v) for v in f.values()] if f.op == "in"
                     else _code_value(f.value)) for f in filters]
    return mapping


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
        from .client import DinamisClient

        profile = catalog.dinamis_profile if isinstance(catalog, DinamisClient) else None
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


def query_code(query: Query, style: str = "dinamis_widgets", *, catalog: Any = None,
               conformance: Any = None, queryables: Mapping[str, Any] | None = None) -> str:
    """The search of ``query`` as Python code; see :meth:`Query.to_code <dinamis_widgets.Query.to_code>`."""
    url, profile_name = _catalog_target(catalog)
    if conformance is None and hasattr(catalog, "get_conforms_to"):
        conformance = catalog
    if style in ("pystac-client", "pystac_client"):
        kwargs = query.to_search_kwargs(conformance, queryables)
        lines = ["from pystac_client import Client", "", f"client = Client.open({url!r})",
                 "search = client.search("]
        lines += [_kwarg_line(k, v) for k, v in kwargs.items()]
        lines += [")", "items = search.item_collection()", 'print(len(items), "items")']
        return "\n".join(lines)
    if style not in ("dinamis_widgets", "dinamis-widgets", "dw"):
        raise QueryError(f"Unknown code style {style!r}: 'dinamis_widgets' or 'pystac-client'.")
    target = profile_name if profile_name else url
    entries: list[tuple[str, Any]] = []
    if query.collections:
        entries.append(("collections", list(query.collections)))
    if query.ids:
        entries.append(("ids", list(query.ids)))
    if query.aoi is not None:
        box_like = query.aoi.is_box and not query.aoi.crosses_antimeridian
        entries.append(("aoi", list(query.aoi.bbox) if box_like else query.aoi.geometry))
    if query.datetime is not None:
        start, end = query.datetime
        entries.append(("datetime", (iso(start) if start else None, iso(end) if end else None)))
    if query.filters:
        entries.append(("filters", _filters_code(query.filters)))
    if query.cql2 is not None:
        entries.append(("cql2", query.cql2))
    entries.append(("sortby", [("-" if d == "desc" else "") + f for f, d in query.sortby] or None))
    if query.limit != DEFAULT_LIMIT:
        entries.append(("limit", query.limit))
    if query.max_items != DEFAULT_MAX_ITEMS:
        entries.append(("max_items", query.max_items))
    if query.fields:
        entries.append(("fields", list(query.fields)))
    lines = ["import dinamis_widgets as dw", "", "results = dw.search(",
             f"    catalog=dw.open_catalog({target!r}),"]
    lines += [_kwarg_line(k, v) for k, v in entries]
    lines += [")", 'print(len(results), "items")']
    return "\n".join(lines)

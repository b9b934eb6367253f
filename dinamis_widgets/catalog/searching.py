"""Search a catalogue: :func:`search` returns :class:`~dinamis_widgets.Results`, an ItemCollection.

The query (:class:`~dinamis_widgets.Query`) is checked before anything is sent: the AOI, the dates,
and, when there are filters or a sort, the property names and value types against the collections'
queryables. Filters go as CQL2-JSON by POST (stac-fastapi refuses cql2-text by POST), or through the
``query`` extension where the API has no ``filter``. Results are newest first unless told otherwise.

Errors: an invalid query raises :class:`~dinamis_widgets.errors.QueryError` before any request; an API
that fails raises :class:`~dinamis_widgets.errors.SearchError` with the HTTP status and the service's own
message. Each item's ``collection`` link is resolved to its collection, fetched once per client
(:mod:`.collection_cache`): what it says decides, with the item, whether its products can be signed. The
search never changes the process's warning filters (it may run in a worker thread): it sends
pystac-client only what the API declares, so pystac-client has nothing to warn about with a
:class:`~dinamis_widgets.catalog.client.DinamisClient`.

Examples
--------
Against the twin (``dinamis_widgets.twin.start()`` points the settings at it)::

    import dinamis_widgets as dw
    results = dw.search(collections=["SPOT67_HCF_GS1"], aoi=(3.85, 43.59, 3.90, 43.63),
                        datetime=("2025-06-01", None), filters={"eo:cloud_cover": ("<=", 20)})
    results.to_dataframe()            # sensor, datetime, cloud_cover, incidence_angle, ...
    print(results.to_code())          # the same search as code
    for page in dw.search_pages(query, max_items=None):   # page by page
        ...
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import QueryError, SearchError
from ..http import service_message
from ..warnings import SearchWarning
from .client import DinamisClient, default_catalog, open_catalog
from .collection_cache import attach_collections
from .query import Query
from .queryables import fetch_queryables
from .results import Results

if TYPE_CHECKING:
    from pystac_client import Client

__all__ = ["search", "search_pages"]

_QUERY_FIELDS = ("collections", "aoi", "bbox", "intersects", "datetime", "filters", "ids", "sortby", "limit",
                 "max_items", "fields", "cql2")


def _build_query(query: Query | None, fields: dict[str, Any]) -> Query:
    unknown = sorted(set(fields) - set(_QUERY_FIELDS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], _QUERY_FIELDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise QueryError(f"Unknown search parameter {unknown[0]!r}.{hint} Parameters: "
                         f"{', '.join(_QUERY_FIELDS)}.")
    if query is None:
        return Query(**fields)
    if not isinstance(query, Query):
        raise QueryError(f"query must be a dinamis_widgets.Query, not a {type(query).__name__}; or give the "
                         "search parameters as keywords (collections=..., aoi=...).")
    return query.replace(**fields) if fields else query


def _client(catalog: Any) -> Client:
    if catalog is None:
        return default_catalog()
    if hasattr(catalog, "search") and hasattr(catalog, "get_conforms_to"):
        return catalog
    return open_catalog(catalog)


def _where(client: Any) -> tuple[str, str]:
    url = client.get_self_href() or "?"
    name = client.dinamis_profile.name if isinstance(client, DinamisClient) else None
    text = f"the STAC API at {url}" + (f" (profile {name!r})" if name and name != url else "")
    return url, text


def _error(exc: Exception, client: Any) -> SearchError:
    url, where = _where(client)
    status = getattr(exc, "status_code", None)
    if status is None:
        return SearchError(f"The search failed: cannot reach {where}: {str(exc)[:300]}. Check your network "
                           "and the catalogue's URL (DINAMIS_STAC_API or the profile), then search again.",
                           url=url)
    hint = "; the service has a problem: search again later" if status >= 500 else ""
    return SearchError(f"The search failed at {where}{hint}", status=status, url=url,
                       service_message=service_message(str(exc)))


def _prepare(query: Query, client: Any, validate: bool) -> tuple[dict[str, Any], Any]:
    queryables = None
    # the queryables also tell unknown collections (whatever the sort: an unknown one would give 0 items)
    if validate and (query.filters or query.cql2 is not None or query.sortby or query.collections):
        queryables = fetch_queryables(client, query.collections)
    kwargs = query.to_search_kwargs(client, queryables)
    kwargs.pop("max_items", None)  # paging and truncation are done here, to know whether more match
    from pystac_client import ConformanceClasses
    from pystac_client.exceptions import APIError

    if hasattr(client, "conforms_to") and not client.conforms_to(ConformanceClasses.ITEM_SEARCH):
        raise SearchError(f"Cannot search {_where(client)[1]}: it does not declare item search (its "
                          "conformance classes lack https://api.stacspec.org/v1.0.0/item-search).")
    try:
        item_search = client.search(**kwargs, method="POST")
    except APIError as exc:
        raise _error(exc, client) from None
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise QueryError(f"pystac-client refused the query: {exc}") from None
    return kwargs, item_search


def _pages(item_search: Any, client: Any) -> Iterator[dict[str, Any]]:
    from pystac_client.exceptions import APIError

    iterator = item_search.pages_as_dicts()
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return
        except APIError as exc:
            raise _error(exc, client) from None
        yield page


def _matched(page: dict[str, Any]) -> int | None:
    value = page.get("numberMatched")
    if value is None and isinstance(page.get("context"), dict):
        value = page["context"].get("matched")
    return int(value) if isinstance(value, int) else None


def _has_next(page: dict[str, Any]) -> bool:
    return any(isinstance(link, dict) and link.get("rel") == "next" for link in page.get("links", []))


def _run(query: Query | None, catalog: Any, validate: bool,
         fields: dict[str, Any]) -> tuple[Query, str, Iterator[Results]]:
    q = _build_query(query, fields)
    client = _client(catalog)
    _, item_search = _prepare(q, client, validate)
    url, _ = _where(client)

    def pages() -> Iterator[Results]:
        count = 0
        matched: int | None = None
        first = True
        for page in _pages(item_search, client):
            features = page.get("features") or []
            if first:
                matched, first = _matched(page), False
            truncated = False
            if q.max_items is not None and count + len(features) >= q.max_items:
                truncated = count + len(features) > q.max_items or _has_next(page)
                features = features[: q.max_items - count]
            count += len(features)
            items = [_item(f, client) for f in features]
            attach_collections(items, client)
            yield Results(items, clone_items=False, query=q, matched=matched, truncated=truncated,
                          catalog_url=url)
            if q.max_items is not None and count >= q.max_items:
                return

    return q, url, pages()


def search_pages(query: Query | None = None, *, catalog: Any = None, validate: bool = True,
                 **query_fields: Any) -> Iterator[Results]:
    """Search page by page: one :class:`~dinamis_widgets.Results` per page of the API.

    Same parameters as :func:`search`; ``max_items`` still caps the total (None: every match). The query
    is checked at once; pages are fetched as you iterate, so a large search can be stopped at any point.

    Examples
    --------
    ::

        for page in dw.search_pages(collections=["SPOT67_HCF_GS1"], limit=50, max_items=None):
            print(len(page), page.ids[:1])
    """
    return _run(query, catalog, validate, query_fields)[2]


def _item(feature: dict[str, Any], client: Any) -> Any:
    import pystac

    return pystac.Item.from_dict(feature, preserve_dict=False, root=client)


def search(query: Query | None = None, *, catalog: Any = None, validate: bool = True,
           **query_fields: Any) -> Results:
    """Search a catalogue and return the items found, newest first.

    Parameters
    ----------
    query
        A :class:`~dinamis_widgets.Query`; keywords below change or complete it.
    catalog
        A pystac-client ``Client`` (:func:`~dinamis_widgets.open_catalog`), a profile name or a STAC API
        URL; the active profile by default (``twin`` when a twin runs in this process).
    validate
        Check filter and sort properties against the collections' queryables (one cached request per
        client and set of collections) before searching.
    **query_fields
        Any argument of :class:`~dinamis_widgets.Query`: ``collections``, ``aoi`` (or ``bbox``,
        ``intersects``), ``datetime``, ``filters``, ``ids``, ``sortby`` (default ``"-datetime"``),
        ``limit`` (page size), ``max_items`` (default 1000, None for all), ``fields``, ``cql2``.

    Returns
    -------
    Results
        A :class:`pystac.ItemCollection` with ``query``, ``matched`` (``numberMatched`` if the API gives
        it), ``truncated``, ``to_dataframe()``, ``to_geodataframe()``, ``to_code()`` and an HTML view.
        Asset hrefs are unsigned unless ``catalog`` was opened with ``sign=True``: see
        :func:`~dinamis_widgets.open_catalog`.

    Raises
    ------
    QueryError
        Invalid input (AOI, dates, unknown property or collection, a value of the wrong type), before any
        search request.
    SearchError
        The API failed or refused the search: ``status`` and ``service_message`` keep its answer.

    Warns
    -----
    SearchWarning
        When ``max_items`` stopped the search while more items match.

    Examples
    --------
    ::

        results = dw.search(collections="SPOT67_HCF_GS1", filters={"processing:level": "ORTHO"},
                            datetime="2026-02-24")
        results.ids
        results.to_dataframe()[["sensor", "datetime", "cloud_cover"]]
    """
    q, url, iterator = _run(query, catalog, validate, query_fields)
    pages = list(iterator)
    if not pages:
        return Results([], query=q, matched=0, catalog_url=url)
    items = [item for page in pages for item in page.items]
    last = pages[-1]
    results = Results(items, clone_items=False, query=last.query, matched=pages[0].matched,
                      truncated=last.truncated, catalog_url=last.catalog_url)
    if results.truncated:
        total = f" of {results.matched}" if results.matched is not None else ""
        warnings.warn(f"The search stopped at max_items={len(items)} items{total}: more items match. Narrow "
                      "the search (AOI, dates, filters), raise max_items (None for all), or iterate "
                      "dinamis_widgets.search_pages(...).", SearchWarning, stacklevel=2)
    return results

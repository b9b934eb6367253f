"""The queryables of a catalogue: which properties its collections can be filtered on, and how.

:func:`fetch_queryables` asks the STAC API (``/collections/{id}/queryables``, or ``/queryables``) and merges
the answers of several collections. The result is kept on a :class:`~dinamis_widgets.catalog.client.
DinamisClient` (its ``queryables_cache``); for a ``Client`` opened with pystac-client directly, in a table
of this module that forgets the client with it.

Examples
--------
Against the twin::

    client = dw.open_catalog()
    fetch_queryables(client, ["SPOT67_HCF_GS1"])["eo:cloud_cover"]      # {'type': 'number', ...}
"""

from __future__ import annotations

import copy
import difflib
import threading
import warnings
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import QueryError, SearchError, quote
from ..http import service_message
from ..warnings import QueryWarning
from .client import DinamisClient
from .conformance import conforms
from .schema_checks import properties_of

__all__ = ["fetch_queryables"]

Queryables = dict[str, dict[str, Any]]

_lock = threading.Lock()
#: Caches of the clients that are not DinamisClients (opened with pystac-client directly).
_other_caches: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], Queryables]] = weakref.WeakKeyDictionary()


def _cache_of(client: Any) -> dict[tuple[str, ...], Queryables]:
    if isinstance(client, DinamisClient):
        return client.queryables_cache
    with _lock:
        cache = _other_caches.get(client)
        if cache is None:
            cache = _other_caches[client] = {}
        return cache


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


def _collection_ids(client: Any) -> list[str]:
    """The catalogue's collection ids, or none when it has no ``/collections`` (asked only to help)."""
    if not (client.conforms_to("COLLECTIONS") or client.conforms_to("FEATURES")):
        return []  # pystac-client would crawl the catalogue's links instead, and warn
    return sorted(c.id for c in client.get_collections())


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
    SearchError
        If the STAC API does not answer, or answers 429/502/503/504 after its retries (a search would fail
        the same way); other errors only skip the checks, with a warning.

    Examples
    --------
    Against the twin::

        client = dw.open_catalog()
        q = fetch_queryables(client, ["SPOT67_HCF_GS1"])
        q["eo:cloud_cover"]["type"]        # 'number'
    """
    from pystac_client.exceptions import APIError

    ids = tuple(sorted(set(collections))) if collections else ()
    cache = _cache_of(client)
    cached = cache.get(ids)
    if not refresh and cached is not None:
        return copy.deepcopy(cached)
    if not conforms(client, "filter"):
        return {}
    root = client.get_self_href() or ""
    root = root if root.endswith("/") else root + "/"
    merged: Queryables = {}
    for cid in ids or (None,):
        url = f"{root}collections/{cid}/queryables" if cid else f"{root}queryables"
        try:
            answer = client.get_queryables_from(url)
        except APIError as exc:
            status = getattr(exc, "status_code", None)
            if cid is not None and status == 404:
                known = _collection_ids(client)
                close = difflib.get_close_matches(cid, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                listed = f" Give one of its collections: {', '.join(known)}." if known else ""
                raise QueryError(f"Unknown collection {quote(cid)} in the catalogue at {root}.{hint}"
                                 f"{listed}") from None
            if status is None or status in (429, 502, 503, 504):
                # the catalogue is down or overloaded (already retried): the search would fail the same way
                raise SearchError(f"Cannot read the queryables at {url}: the STAC API at {root} "
                                  + ("does not answer" if status is None else "is unavailable")
                                  + "; search again later, or check your network and the catalogue's URL.",
                                  status=status, url=url, service_message=service_message(str(exc))) from None
            warnings.warn(f"Could not read the queryables at {url} ({status}); filters are not checked.",
                          QueryWarning, stacklevel=2)
            return {}
        for name, schema in properties_of(answer).items():
            if not isinstance(schema, Mapping):
                continue
            merged[name] = _merge_schema(merged[name], schema) if name in merged else dict(schema)
    cache[ids] = merged
    return copy.deepcopy(merged)

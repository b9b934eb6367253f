"""The collections of the items a search finds, fetched once per catalogue and linked to the items.

An item found by a search only links to its collection (an href). What the collection says (its title,
description, keywords, providers, summaries) is part of what decides whether its products can be signed
(:mod:`dinamis_widgets.signing.rules`) and what the result tables show (the provider, the sensor). So
:func:`attach_collections` fetches each collection once per client (a ``GET /collections/{id}``, kept on a
:class:`~dinamis_widgets.catalog.client.DinamisClient`, or in a table of this module that forgets a plain
pystac-client ``Client`` with it) and resolves the items' ``collection`` links to it: pystac's
``item.get_collection()`` then returns it without a request. A collection that cannot be read is simply
not linked (the rules fall back to what is known of its id).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

import pystac

__all__ = ["attach_collections", "cached_collection"]

_lock = threading.Lock()
_other_caches: weakref.WeakKeyDictionary[Any, dict[str, pystac.Collection | None]] = (
    weakref.WeakKeyDictionary())


def _cache_of(client: Any) -> dict[str, pystac.Collection | None]:
    cache = getattr(client, "collections_cache", None)
    if isinstance(cache, dict):
        return cache
    with _lock:
        found = _other_caches.get(client)
        if found is None:
            found = _other_caches[client] = {}
        return found


def cached_collection(client: Any, collection_id: str) -> pystac.Collection | None:
    """The collection ``collection_id`` of the catalogue ``client``, fetched at most once (None when the
    API has no ``/collections`` or cannot give it)."""
    cache = _cache_of(client)
    with _lock:
        if collection_id in cache:
            return cache[collection_id]
    found: pystac.Collection | None = None
    try:
        if client.conforms_to("COLLECTIONS"):
            got = client.get_collection(collection_id)
            found = got if isinstance(got, pystac.Collection) else None
    except Exception:  # any failure (HTTP, a collection pystac cannot read) only means the rules know less
        found = None
    with _lock:
        cache[collection_id] = found
    return found


def attach_collections(items: Iterable[pystac.Item], client: Any) -> None:
    """Resolve the ``collection`` link of each item to its collection, fetched once per client."""
    for item in items:
        link = item.get_single_link(pystac.RelType.COLLECTION)
        if item.collection_id is None or link is None or link.is_resolved():
            continue
        collection = cached_collection(client, item.collection_id)
        if collection is not None:
            link.target = collection

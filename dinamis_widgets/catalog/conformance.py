"""What a STAC API declares it can do: its conformance classes, in any STAC API 1.x version.

pystac-client recognises the classes of STAC API 1.0 only; catalogues built on recent stac-fastapi declare
some of them in version 1.1 (``https://api.stacspec.org/v1.1.0/item-search#sort``). The pattern here
accepts every 1.x version; :class:`~dinamis_widgets.catalog.client.DinamisClient` uses it too, so
pystac-client does not warn about a class the API does declare.

Examples
--------
>>> conforms(["https://api.stacspec.org/v1.1.0/item-search#sort"], "sort")
True
>>> bool(stac_api_pattern("/item-search#sort").match("https://api.stacspec.org/v1.0.0/item-search#sort"))
True
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["conforms", "stac_api_pattern"]


def stac_api_pattern(fragment: str) -> re.Pattern[str]:
    """The URIs of a STAC API 1.x conformance class, from its path (``/item-search#filter``)."""
    return re.compile(rf"^https?://api\.stacspec\.org/v1\.[^/]+{re.escape(fragment)}$")


_CONFORMANCE_RE: Final = {name: stac_api_pattern(f"/item-search#{name}")
                          for name in ("filter", "query", "sort", "fields")}


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
